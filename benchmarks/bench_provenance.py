"""Provenance and fsck on the shared bundles, against git's own C implementation.

* ``ardvc log`` of one analysis (every value file, all of Lusk01121's 1,705 commits) vs
  ``git log --format=%H -- <the same candidate paths>``; and the same walk with libgit2's
  default tree-cache limit (what ardvc raised: shard folders are larger than 4 KiB);
* ``ardvc blame`` of one isotope;
* the mass-deletion scan of MetaData's 11,043 commits vs ``git log --all
  --diff-filter=D --name-only`` (which only lists deletions, without counting the trees);
* an experiment (refit Ar40 of one sample, commit in its own repository, reduce) vs the
  same refit and reduction in memory (``lab.reduce(..., refit=overrides)``).

Needs ../shared/data (``ARDVC_SHARED_DATA``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

import pygit2

from ardvc.api import Lab
from ardvc.data import DataRepo
from ardvc.exps import ExperimentRequest
from ardvc.gitstore import GitRepo
from ardvc.gitstore.repo import TREE_CACHE_LIMIT
from ardvc.health.history_check import mass_deletions
from ardvc.provenance import blame, value_history
from ardvc.provenance.history import Watch
from ardvc.reduction.refit import FitOverrides
from ardvc.reduction.run import reduce_analyses
from ardvc.reduction.select import select_analyses
from ardvc.reduction.settings import settings
from common import summary_ms, timed, write_result

DATA = Path(
    os.environ.get("ARDVC_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
RUN = "66681-03L"


def clone(name: str, target: Path) -> Path:
    subprocess.run(
        ["git", "clone", "--quiet", str(DATA / f"{name}.bundle"), str(target)], check=True
    )
    return target


def git_log_paths(path: Path, paths: list[str]) -> None:
    subprocess.run(
        ["git", "log", "--format=%H", "HEAD", "--", *paths],
        cwd=path,
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ardvc-bench-provenance-"))
    root = work / "lab"
    clone("MetaData", root / "MetaData")
    for name in ("Lusk01121", "Cornudas"):
        clone(name, root / "repositories" / name)
    Lab.adopt_pychron(root)
    lab = Lab.open(root)
    lusk = DataRepo(GitRepo(root / "repositories" / "Lusk01121"))
    watch = Watch.of(lusk.analysis(RUN))
    paths = [p for group in watch.candidates.values() for p in group]

    def log() -> None:
        list(value_history(lusk, RUN))

    results = {
        "log_ardvc": summary_ms(timed(log, args.repeat)),
        "log_git_cli": summary_ms(timed(lambda: git_log_paths(lusk.git.path, paths), args.repeat)),
        "blame": summary_ms(timed(lambda: blame(lusk, RUN, "Ar36"), args.repeat)),
    }
    tree = pygit2.enums.ObjectType.TREE
    pygit2.settings.cache_object_limit(tree, 4096)  # libgit2's default
    cold = DataRepo(GitRepo(lusk.git.path))
    results["log_default_tree_cache"] = summary_ms(
        timed(lambda: list(value_history(cold, RUN)), args.repeat)
    )
    pygit2.settings.cache_object_limit(tree, TREE_CACHE_LIMIT)
    meta = GitRepo(root / "MetaData")
    results["mass_deletions_ardvc"] = summary_ms(
        timed(lambda: list(mass_deletions(meta, 10)), args.repeat)
    )
    results["mass_deletions_git_cli"] = summary_ms(
        timed(
            lambda: subprocess.run(
                [
                    "git",
                    "log",
                    "--all",
                    "--no-merges",
                    "--diff-filter=D",
                    "--name-only",
                    "--format=@%H",
                ],
                cwd=meta.path,
                check=True,
                capture_output=True,
            ),
            args.repeat,
        )
    )
    counter = iter(range(10_000))

    def experiment() -> None:
        request = ExperimentRequest(
            name=f"b{next(counter)}",
            repo="Cornudas",
            identifiers=["69421"],
            sets=["fit.Ar40=linear"],
        )
        lab.run_experiment(request)

    results["experiment"] = summary_ms(timed(experiment, args.repeat))

    def in_memory() -> None:
        data = lab.repo("Cornudas")
        analyses = select_analyses(data, identifiers=["69421"])
        constants, conventions = settings(lab.config)
        reduce_analyses(
            analyses,
            lab.meta,
            constants=constants,
            conventions=conventions,
            repos={"Cornudas": data},
            refit=FitOverrides({"Ar40": "linear"}),
        )

    results["reduce_refit_in_memory"] = summary_ms(timed(in_memory, args.repeat))
    ratios = {
        "log_vs_git_cli": results["log_ardvc"]["median_ms"] / results["log_git_cli"]["median_ms"],
        "log_default_cache_vs_ardvc": results["log_default_tree_cache"]["median_ms"]
        / results["log_ardvc"]["median_ms"],
        "mass_deletions_vs_git_cli": results["mass_deletions_ardvc"]["median_ms"]
        / results["mass_deletions_git_cli"]["median_ms"],
        "experiment_vs_reduce_refit": results["experiment"]["median_ms"]
        / results["reduce_refit_in_memory"]["median_ms"],
    }
    for name, figures in results.items():
        print(f"{name:28s} median {figures['median_ms']:9.1f} ms")
    for name, ratio in ratios.items():
        print(f"{name:28s} {ratio:6.2f}x")
    print(write_result("provenance", {"results": results, "ratios": ratios}))


if __name__ == "__main__":
    main()
