"""The lab workspace on disk (ARCHITECTURE.md §2) and how a command finds it.

A lab is a folder holding ``.ardvc/``, the MetaRepo and ``repositories/``. Commands find
their lab from ``--root``, then ``ARDVC_ROOT``, then the nearest parent folder holding
``.ardvc/`` (as git finds ``.git``), then the platformdirs default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ardvc.errors import LabNotFoundError

ARDVC_DIR = ".ardvc"
REPOSITORIES = "repositories"
ROOT_ENV = "ARDVC_ROOT"


@dataclass(frozen=True, slots=True)
class Workspace:
    """Paths of one lab. Pure layout: nothing here touches the disk."""

    root: Path

    @property
    def ardvc_dir(self) -> Path:
        return self.root / ARDVC_DIR

    @property
    def config_file(self) -> Path:
        return self.ardvc_dir / "config"

    @property
    def config_local_file(self) -> Path:
        return self.ardvc_dir / "config.local"

    @property
    def index_db(self) -> Path:
        return self.ardvc_dir / "index.sqlite3"

    @property
    def cache_dir(self) -> Path:
        return self.ardvc_dir / "cache"

    @property
    def plots_dir(self) -> Path:
        return self.ardvc_dir / "plots"

    @property
    def tmp_dir(self) -> Path:
        return self.ardvc_dir / "tmp"

    @property
    def outbox_dir(self) -> Path:
        return self.tmp_dir / "outbox"

    @property
    def runs_dir(self) -> Path:
        """Markers of runs being recorded (see :mod:`ardvc.persist.journal`)."""
        return self.tmp_dir / "runs"

    @property
    def exps_dir(self) -> Path:
        return self.tmp_dir / "exps"

    @property
    def lock_file(self) -> Path:
        return self.tmp_dir / "lock"

    @property
    def repositories_dir(self) -> Path:
        return self.root / REPOSITORIES

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def log_file(self) -> Path:
        return self.logs_dir / "ardvc.log"

    def meta_repo_dir(self, name: str) -> Path:
        return self.root / name

    def repository_dir(self, name: str) -> Path:
        return self.repositories_dir / name

    def skeleton(self) -> tuple[Path, ...]:
        """Folders ``init`` creates."""
        return (
            self.ardvc_dir,
            self.cache_dir / "files" / "blake3",
            self.cache_dir / "runs",
            self.plots_dir,
            self.tmp_dir / "index",
            self.exps_dir,
            self.outbox_dir,
            self.repositories_dir,
            self.logs_dir,
        )

    def exists(self) -> bool:
        return self.ardvc_dir.is_dir()


def default_root() -> Path:
    return Path(platformdirs.user_data_dir("ardvc")) / "lab"


def find_root(
    explicit: Path | str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    must_exist: bool = True,
) -> Workspace:
    """The lab a command works on, by the precedence in the module docstring."""
    environ = os.environ if env is None else env
    if explicit is not None:
        candidate, how = Path(explicit), "--root"
    elif environ.get(ROOT_ENV):
        candidate, how = Path(environ[ROOT_ENV]), ROOT_ENV
    else:
        start = (cwd or Path.cwd()).resolve()
        for folder in (start, *start.parents):
            if (folder / ARDVC_DIR).is_dir():
                return Workspace(folder)
        candidate, how = default_root(), "the default location"
    workspace = Workspace(candidate.expanduser().resolve())
    if must_exist and not workspace.exists():
        raise LabNotFoundError(
            f"no ardvc lab at {workspace.root} (from {how})",
            hint="create one with `ardvc init PATH`, adopt Pychron data with "
            "`ardvc init --from-pychron DIR`, or point --root / ARDVC_ROOT at a lab",
        )
    return workspace
