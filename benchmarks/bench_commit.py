"""Committing one analysis (8 files) into a data repository that already holds 20,000 files.

ardvc builds the commit from blobs and a tree builder (no git index); the baseline is how
Pychron commits: GitPython ``index.add`` + ``index.commit`` on a checked-out repository.
Both start from byte-identical copies of the same repository, in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import git as gitpython
import numpy as np

from ardvc.gitstore import Author, GitRepo, commit_files
from common import analysis_files, summary_ms, timed, write_result

AUTHOR = Author("Bench", "bench@lab.example")


def build_repo(path: Path, n_files: int, rng: np.random.Generator) -> None:
    repo = GitRepo.init(path)
    files: dict[str, bytes] = {}
    while len(files) < n_files:
        files.update(analysis_files(rng))
    commit_files(repo, files, "<COLLECTION> seed", AUTHOR, update_worktree=False)
    # Loose objects, as on an acquisition computer that commits locally and never runs gc;
    # then the working tree and index a checkout has.
    subprocess.run(["git", "reset", "--hard", "-q"], cwd=path, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    rng = np.random.default_rng(42)
    work = Path(tempfile.mkdtemp(prefix="ardvc-bench-commit-"))
    try:
        seed = work / "seed"
        build_repo(seed, args.files, rng)
        copies = {k: work / k for k in ("ardvc", "ardvc_sync", "gitpython")}
        for path in copies.values():
            shutil.copytree(seed, path, symlinks=True)
        batches = [analysis_files(rng) for _ in range(3 * args.repeat + 6)]
        it = iter(batches)

        plain = GitRepo(copies["ardvc"])
        synced = GitRepo(copies["ardvc_sync"])
        for _ in range(3):  # warm the page cache and libgit2's object caches for both
            commit_files(plain, next(it), "warm-up", AUTHOR, update_worktree=False)
            commit_files(synced, next(it), "warm-up", AUTHOR)
        t_plain = timed(
            lambda: commit_files(plain, next(it), "<COLLECTION>", AUTHOR, update_worktree=False),
            args.repeat,
        )
        t_sync = timed(lambda: commit_files(synced, next(it), "<COLLECTION>", AUTHOR), args.repeat)

        gp = gitpython.Repo(copies["gitpython"])
        actor = gitpython.Actor(AUTHOR.name, AUTHOR.email)

        def gitpython_commit() -> None:
            files = next(it)
            for rel, data in files.items():
                target = copies["gitpython"] / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            gp.index.add(list(files))
            gp.index.commit("<COLLECTION>", author=actor, committer=actor)

        t_gp = timed(gitpython_commit, args.repeat)
        s_plain, s_sync, s_gp = summary_ms(t_plain), summary_ms(t_sync), summary_ms(t_gp)
        result = {
            "repo_files": args.files,
            "files_per_analysis": len(batches[0]),
            "ardvc_commit": s_plain,
            "ardvc_commit_and_worktree_sync": s_sync,
            "gitpython_index_baseline": s_gp,
            "speedup_commit": s_gp["median_ms"] / s_plain["median_ms"],
            "speedup_commit_and_sync": s_gp["median_ms"] / s_sync["median_ms"],
            "target": "<= 10 ms per analysis and >= 50x faster than the baseline",
        }
        out = write_result("bench_commit", result)
        print(f"commit one analysis ({result['files_per_analysis']} files) into {args.files} files")
        for label, s in (
            ("ardvc (index-free commit)", s_plain),
            ("ardvc (+ worktree/index sync)", s_sync),
            ("GitPython index.add+commit", s_gp),
        ):
            print(f"  {label:32s} median {s['median_ms']:8.2f} ms  p95 {s['p95_ms']:8.2f} ms")
        print(
            f"  speed-up vs baseline: commit {result['speedup_commit']:.0f}x, "
            f"commit+sync {result['speedup_commit_and_sync']:.1f}x"
        )
        print(f"  written {out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
