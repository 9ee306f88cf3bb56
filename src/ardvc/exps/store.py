"""Where experiments live: ``.ardvc/tmp/exps/<name>/`` holds ``experiment.json`` (the
settings, the selection, the results) and ``<repo>.git``, the experiment's own bare git
repository that borrows the lab repository's objects (``objects/info/alternates``) and
keeps the experiment's commits on its branch ``experiment``. Nothing of an experiment is
ever a ref of a lab repository.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from ardvc.errors import CorruptFileError, NotFoundError, UsageError
from ardvc.formats.jsonio import atomic_write_bytes
from ardvc.formats.names import check_safe_name

RECORD = "experiment.json"
BRANCH = "experiment"


class Applied(msgspec.Struct, kw_only=True):
    """One ``exp apply``: when, which analyses, and the commits it made in the lab."""

    time: str
    analyses: list[str]
    commits: list[str]
    ia_paths: list[str] = msgspec.field(default_factory=list)


class Experiment(msgspec.Struct, kw_only=True):
    """An experiment's record. ``results`` are :meth:`AnalysisResult.as_dict` rows."""

    name: str
    created: str
    ardvc_version: str
    repo: str
    branch: str
    """The lab branch the experiment started from (and ``apply`` commits to)."""
    base: str
    """Its head when the experiment ran."""
    meta_commit: str
    selection: dict[str, list[str]]
    analyses: list[str]
    """Main-file names (shard + tail) of the analyses, in reduction order."""
    requested: list[str]
    """The settings as given (``fit.Ar40=linear``, ``constants=min2000``)."""
    sets: list[str]
    """The lab's reduction defaults at run time, then the requested settings: what
    reproduces the experiment whatever the configuration says later."""
    conventions: str | None = None
    fit_kinds: dict[str, str] = msgspec.field(default_factory=dict)
    fit_error_type: str | None = None
    skip_problems: bool = False
    commits: list[str] = msgspec.field(default_factory=list)
    """The experiment's own commits (refits), in its repository."""
    results: list[dict[str, Any]] = msgspec.field(default_factory=list)
    from_run_cache: bool = False
    """The reduction was a run-cache lookup (an equal one had been made before)."""
    applied: list[Applied] = msgspec.field(default_factory=list)

    @property
    def refits(self) -> bool:
        return bool(self.fit_kinds or self.fit_error_type)


@dataclass(frozen=True)
class ExperimentStore:
    """The experiments of one lab (``folder`` = ``.ardvc/tmp/exps``)."""

    folder: Path

    def path(self, name: str) -> Path:
        return self.folder / check_safe_name(name, what="experiment name")

    def repo_path(self, name: str, repo: str) -> Path:
        return self.path(name) / f"{repo}.git"

    def exists(self, name: str) -> bool:
        return (self.path(name) / RECORD).is_file()

    def load(self, name: str) -> Experiment:
        record = self.path(name) / RECORD
        try:
            raw = record.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(
                f"no experiment {name!r}", hint="ardvc exp list shows the experiments"
            ) from None
        try:
            return msgspec.json.decode(raw, type=Experiment)
        except msgspec.DecodeError as exc:
            raise CorruptFileError(str(record), str(exc)) from exc

    def save(self, experiment: Experiment, folder: Path | None = None) -> None:
        """Write the record atomically (into ``folder`` while it is being built)."""
        target = (folder or self.path(experiment.name)) / RECORD
        atomic_write_bytes(target, msgspec.json.format(msgspec.json.encode(experiment)))

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if (p / RECORD).is_file())

    def all(self) -> list[Experiment]:
        return [self.load(name) for name in self.names()]

    def remove(self, name: str) -> None:
        folder = self.path(name)
        if not (folder / RECORD).is_file():
            raise NotFoundError(f"no experiment {name!r}", hint="ardvc exp list")
        shutil.rmtree(folder)

    def check_new(self, name: str, replace: bool) -> None:
        if self.exists(name) and not replace:
            raise UsageError(
                f"experiment {name!r} exists already",
                hint="choose another --name, or pass --replace",
            )
