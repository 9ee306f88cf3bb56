"""Persisting simulated analyses end to end: files, commits and index sync, per analysis.

ardvc: a fresh lab; the built-in simulator's runs are recorded through ``lab.persister``
call by call as acquisition software would (``record_run``: extraction, sniffs, signals in
chunks, baselines, peak centre, defaults, ``end_run``), each save overlapping the next
run's recording, then the background index worker is waited for. The clock covers all of
that; generating the simulated runs (the instrument's job) happens before it and is
excluded (its cost is reported separately).

Baseline, in the same run: how Pychron persists an analysis. The exact bytes ardvc wrote
are read back from its commits, and for each analysis the same files are written into the
working tree of a GitPython repository and committed in Pychron's four commits
(``<COLLECTION>``, ``<ISOEVO> default collection fits``, ``<BLANKS> preceding ...``,
``<ICFactor> default``), each with ``index.add`` + ``index.commit``. The file set of each
commit is that of the matching ardvc commit (its diff with its parent). The baseline has no
index sync and no fitting, so it is a lower bound on Pychron's cost.

The figure is ms per analysis. By default the baseline commits only the first 200
analyses (``--baseline-runs``): GitPython rewrites the whole git index on every ``add`` and
``commit``, so its cost per analysis grows with the repository, from ~100 ms at 50
analyses to ~1 s averaged over 1,000 (16 minutes). Fewer runs favour the baseline, so the
default ratio is conservative; ``--baseline-runs 1000`` compares like for like.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import git as gitpython
import pygit2

from ardvc import Lab
from ardvc.gitstore.objects import blob_at, commit_at, name_of
from ardvc.persist.drive import record_run
from ardvc.persist.persister import PersistResult
from ardvc.persist.sim_meta import install_irradiation
from ardvc.persist.simulate import SimulationPlan, simulated_runs
from ardvc.persist.simulator import SimulatedRun, Simulator
from common import write_result

REPO = "SimLab"
TARGET_MS = 20.0
TARGET_RATIO = 20.0
Commit = tuple[str, dict[str, bytes]]  # message, repo-relative path -> bytes


def generate(seed: int, n: int) -> list[SimulatedRun]:
    sim = Simulator(seed=seed)
    days = 1
    while True:
        runs = simulated_runs(sim, SimulationPlan(seed=seed, days=days))
        if len(runs) >= n:
            return runs[:n]
        days = days * n // max(len(runs), 1) + 1


def run_ardvc(
    root: Path, seed: int, n: int, worktree_sync: bool = True
) -> tuple[Lab, list[PersistResult], dict[str, Any]]:
    Lab.init(root)
    lab = Lab.open(root)
    lab.config.set("core.worktree_sync", "true" if worktree_sync else "false")
    sim = Simulator(seed=seed)
    install_irradiation(lab.meta, sim.irradiation, lab.author())
    start = time.perf_counter()
    runs = generate(seed, n)
    t_gen = time.perf_counter() - start
    if len(runs) < n:
        raise SystemExit(f"the simulator made only {len(runs)} runs")
    with lab.persister(REPO, remote="") as p:
        p.repo(REPO)
        assert p.indexer is not None, "the persister has no index worker"
        t0 = time.perf_counter()
        futures = [record_run(p, r) for r in runs]
        t_recorded = time.perf_counter()
        results: list[PersistResult] = [f.result() for f in futures]
        t_saved = time.perf_counter()
        if not p.indexer.wait_idle(600):
            raise SystemExit("the index worker did not finish within 600 s")
        t_indexed = time.perf_counter()
    timing = {
        "total_s": t_indexed - t0,
        "ms_per_analysis": (t_indexed - t0) / n * 1000,
        "last_end_run_returned_ms_per_analysis": (t_recorded - t0) / n * 1000,
        "last_save_done_ms_per_analysis": (t_saved - t0) / n * 1000,
        "index_tail_ms": (t_indexed - t_saved) * 1000,
        "simulation_pregeneration_ms_per_run_excluded": t_gen / n * 1000,
    }
    return lab, results, timing


def verify(lab: Lab, results: list[PersistResult], n: int, worktree_sync: bool) -> None:
    bad = [r.record_id for r in results if len(r.commits) != 4]
    if bad:
        raise SystemExit(f"{len(bad)} analyses without 4 commits, e.g. {bad[:3]}")
    errors = [e for r in results if (e := r.index_error(60)) is not None]
    if errors:
        raise SystemExit(f"{len(errors)} index errors, e.g. {errors[0]}")
    found = len(lab.find(repo=[REPO]))
    if found != n:
        raise SystemExit(f"the index holds {found} analyses of {REPO}, expected {n}")
    if not worktree_sync:
        return
    status = subprocess.run(
        ["git", "status", "--porcelain"],
        cwd=lab.repo(REPO).git.path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if status:
        raise SystemExit(f"the working tree is not clean after persisting:\n{status[:500]}")


def commits_of(path: Path, results: list[PersistResult]) -> tuple[dict[str, bytes], list[Commit]]:
    """The root commit's files, and each analysis commit's message and files, as written."""
    repo = pygit2.Repository(str(path))
    root = commit_at(repo, results[0].commits[0])
    while root.parents:
        root = root.parents[0]
    initial = {name_of(e): e.data for e in root.tree if isinstance(e, pygit2.Blob)}
    out: list[Commit] = []
    for result in results:
        written = set(result.paths)
        for sha in result.commits:
            commit = commit_at(repo, sha)
            files = {}
            for delta in repo.diff(commit.parents[0], commit).deltas:
                if delta.status != pygit2.enums.DeltaStatus.DELETED:
                    files[delta.new_file.path] = blob_at(repo, delta.new_file.id).data
            if not files.keys() <= written:
                raise SystemExit(f"{sha} changes files outside PersistResult.paths")
            out.append((commit.message.strip(), files))
    return initial, out


def run_baseline(path: Path, initial: dict[str, bytes], commits: list[Commit]) -> float:
    """Seconds to write and commit ``commits`` with GitPython's index, as Pychron does."""
    gp = gitpython.Repo.init(path)
    actor = gitpython.Actor("Bench", "bench@lab.example")
    for rel, data in initial.items():
        (path / rel).write_bytes(data)
    gp.index.add(list(initial))
    gp.index.commit("Initial commit", author=actor, committer=actor)
    start = time.perf_counter()
    for message, files in commits:
        for rel, data in files.items():
            target = path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        gp.index.add(list(files))
        gp.index.commit(message, author=actor, committer=actor)
    elapsed = time.perf_counter() - start
    gp.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000, help="analyses ardvc persists")
    parser.add_argument(
        "--baseline-runs",
        type=int,
        default=200,
        help="analyses the GitPython baseline commits, the first N (default 200; 0 = --runs)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-worktree-sync",
        action="store_true",
        help="core.worktree_sync false: commits only, checked-out files and git index left "
        "alone (for labs that do not run Pychron against the same checkout)",
    )
    args = parser.parse_args()
    n = args.runs
    n_base = min(n, args.baseline_runs or n)
    work = Path(tempfile.mkdtemp(prefix="ardvc-bench-persist-"))
    try:
        lab, results, ardvc = run_ardvc(work / "lab", args.seed, n, not args.no_worktree_sync)
        verify(lab, results, n, not args.no_worktree_sync)
        repo_path = lab.repo(REPO).git.path
        initial, commits = commits_of(repo_path, results[:n_base])
        files_per_analysis = sum(len(f) for _, f in commits) / n_base
        t_base = run_baseline(work / "gitpython", initial, commits)
        base_ms = t_base / n_base * 1000
        ratio = base_ms / ardvc["ms_per_analysis"]
        met_ms = ardvc["ms_per_analysis"] <= TARGET_MS
        met_ratio = ratio >= TARGET_RATIO
        result = {
            "runs": n,
            "seed": args.seed,
            "files_per_analysis": files_per_analysis,
            "commits_per_analysis": 4,
            "worktree_sync": not args.no_worktree_sync,
            "ardvc": ardvc,
            "ardvc_measures": (
                "record_run driver calls (begin_run, add_signals/sniffs/baselines, peak "
                "centre, defaults, end_run) for every run, saves (files, collection fits, "
                "4 commits, worktree and git index) and the background index sync up to "
                "idle; pre-generating the simulated runs is excluded"
            ),
            "gitpython_baseline": {
                "runs": n_base,
                "total_s": t_base,
                "ms_per_analysis": base_ms,
                "measures": (
                    "writing the same files and Pychron's 4 commits per analysis with "
                    "GitPython index.add + index.commit; no fitting, no index sync"
                    + ("" if n_base == n else f"; first {n_base} of the {n} analyses")
                ),
            },
            "ratio": ratio,
            "target": f"<= {TARGET_MS:g} ms per analysis and >= {TARGET_RATIO:g}x the baseline",
            "target_ms_met": met_ms,
            "target_ratio_met": met_ratio,
            "like_for_like": n_base == n,
        }
        out = write_result("persist", result)
        print(
            f"ardvc persist: {ardvc['ms_per_analysis']:.2f} ms/analysis "
            f"({n} runs, incl. driver calls and index sync; total {ardvc['total_s']:.1f} s)"
        )
        print(
            f"  last end_run returned at {ardvc['last_end_run_returned_ms_per_analysis']:.2f}"
            f" ms/analysis, last save at {ardvc['last_save_done_ms_per_analysis']:.2f},"
            f" index tail {ardvc['index_tail_ms']:.0f} ms"
        )
        print(
            "  simulation pre-generation (excluded): "
            f"{ardvc['simulation_pregeneration_ms_per_run_excluded']:.2f} ms/run"
        )
        print(
            f"GitPython 4 commits: {base_ms:.2f} ms/analysis ({n_base} runs, "
            f"{files_per_analysis:.1f} files/analysis, total {t_base:.1f} s)"
        )
        print(f"ratio: {ratio:.1f}x")
        print(f"target <={TARGET_MS:g} ms: {'met' if met_ms else 'not met'}")
        partial = (
            ""
            if n_base == n
            else f" (against the first {n_base} analyses only, which favours the baseline; "
            f"--baseline-runs {n} compares like for like)"
        )
        print(f"target >={TARGET_RATIO:g}x: {'met' if met_ratio else 'not met'}{partial}")
        print(f"written {out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
