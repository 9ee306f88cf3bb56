"""Creating a lab (``ardvc init``) and adopting a Pychron ``.dvc`` folder in place.

Both are idempotent: re-running on an existing lab changes nothing and says so. The
``.ardvc/`` folder is assembled under a temporary name and renamed last, so an interrupted
init never leaves something that looks like a finished lab.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ardvc.config import Config, write_initial
from ardvc.errors import LabNotFoundError, WorkspaceExistsError
from ardvc.formats.names import check_safe_name
from ardvc.gitstore import GitRepo
from ardvc.identity import resolve_author
from ardvc.meta import MetaRepo
from ardvc.workspace import REPOSITORIES, Workspace

DEFAULT_META_REPO = "MetaData"


@dataclass(slots=True)
class InitResult:
    workspace: Workspace
    created: bool
    meta_repo: str
    messages: list[str] = field(default_factory=list)


def _write_ardvc_dir(workspace: Workspace, meta_repo: str, extra: dict[str, str]) -> None:
    """Build ``.ardvc/`` beside its final place, then rename it into place."""
    staging = Path(tempfile.mkdtemp(prefix=".ardvc-init-", dir=workspace.root))
    try:
        for folder in workspace.skeleton():
            if folder.is_relative_to(workspace.ardvc_dir):
                (staging / folder.relative_to(workspace.ardvc_dir)).mkdir(
                    parents=True, exist_ok=True
                )
        from ardvc.report.templates import write_default_templates  # matplotlib: deferred

        write_default_templates(staging / workspace.plots_dir.relative_to(workspace.ardvc_dir))
        write_initial(staging / "config", {"lab.meta_repo": meta_repo, **extra})
        write_initial(staging / "config.local", {}, local=True)
        staging.rename(workspace.ardvc_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for folder in workspace.skeleton():
        folder.mkdir(parents=True, exist_ok=True)


def init_lab(path: Path, meta_repo: str | None = None) -> InitResult:
    """Create a new lab at ``path`` with an initialised MetaRepo."""
    workspace = Workspace(path.expanduser().resolve())
    if workspace.exists():
        existing = Config(workspace.ardvc_dir).get("lab.meta_repo")
        result = InitResult(workspace, False, existing)
        result.messages.append(f"{workspace.root} is already an ardvc lab; nothing changed")
        if meta_repo and meta_repo != existing:
            result.messages.append(
                f"note: its MetaRepo is {existing!r}, not {meta_repo!r} "
                "(change it with ardvc config lab.meta_repo)"
            )
        return result
    name = check_safe_name(meta_repo or DEFAULT_META_REPO, what="MetaRepo name")
    workspace.root.mkdir(parents=True, exist_ok=True)
    meta_dir = workspace.meta_repo_dir(name)
    result = InitResult(workspace, True, name)
    if meta_dir.exists():
        if not GitRepo.is_repo(meta_dir):
            raise WorkspaceExistsError(
                f"{meta_dir} exists and is not a git repository",
                hint="choose another --meta-repo name or move the folder away",
            )
        result.messages.append(f"using the existing MetaRepo at {meta_dir}")
    else:
        author = resolve_author(Config(None))
        MetaRepo(GitRepo.init(meta_dir)).initialize(name, author)
        result.messages.append(f"created MetaRepo {name} with placeholder holders and productions")
    _write_ardvc_dir(workspace, name, {})
    result.messages.append(f"created lab at {workspace.root}")
    return result


def create_workspace(path: Path, meta_repo: str) -> Workspace:
    """``.ardvc/`` for a lab whose repositories come from a remote (``ardvc clone-lab``):
    no MetaRepo is created here. A lab already there is returned as it is."""
    workspace = Workspace(path.expanduser().resolve())
    if not workspace.exists():
        name = check_safe_name(meta_repo, what="MetaRepo name")
        workspace.root.mkdir(parents=True, exist_ok=True)
        _write_ardvc_dir(workspace, name, {})
    return workspace


def _meta_candidates(root: Path) -> list[str]:
    return sorted(
        child.name
        for child in root.iterdir()
        if child.is_dir() and child.name != REPOSITORIES and (child / ".git").exists()
    )


def adopt_pychron(dvc_dir: Path, meta_repo: str | None = None) -> InitResult:
    """Make a Pychron ``.dvc`` folder (MetaRepo + ``repositories/``) an ardvc lab in place.

    Only ``.ardvc/`` and ``logs/`` are added; no existing file is read for writing.
    """
    root = dvc_dir.expanduser().resolve()
    if not root.is_dir():
        raise LabNotFoundError(f"{root} does not exist")
    workspace = Workspace(root)
    if workspace.exists():
        existing = Config(workspace.ardvc_dir).get("lab.meta_repo")
        result = InitResult(workspace, False, existing)
        result.messages.append(f"{root} is already an ardvc lab; nothing changed")
        return result
    candidates = _meta_candidates(root)
    if meta_repo is not None:
        check_safe_name(meta_repo, what="MetaRepo name")
        if meta_repo not in candidates:
            raise LabNotFoundError(
                f"{root} has no MetaRepo {meta_repo!r}",
                hint=f"git repositories found there: {', '.join(candidates) or 'none'}",
            )
        name = meta_repo
    elif len(candidates) == 1:
        name = candidates[0]
    elif not candidates:
        raise LabNotFoundError(
            f"{root} does not look like a Pychron .dvc folder: no MetaRepo git repository",
            hint="point --from-pychron at the folder holding <MetaRepo>/ and repositories/",
        )
    else:
        raise LabNotFoundError(
            f"{root} holds several git repositories: {', '.join(candidates)}",
            hint="name the MetaRepo with --meta-repo",
        )
    repositories = workspace.repositories_dir
    found = (
        sorted(p.name for p in repositories.iterdir() if (p / ".git").exists())
        if repositories.is_dir()
        else []
    )
    _write_ardvc_dir(workspace, name, {})
    result = InitResult(workspace, True, name)
    result.messages.append(
        f"adopted Pychron data at {root}: MetaRepo {name}, {len(found)} data repositories"
    )
    return result
