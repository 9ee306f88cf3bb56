"""``ardvc doctor``: is this machine and this lab fit to work? Versions, configuration and
where each value comes from, the index (schema against this code, the server), git, and
whether every remote answers — each line with a remedy when something is wrong.

Checks are independent functions of a :class:`~ardvc.health.findings.LabView` returning
:class:`~ardvc.health.findings.DoctorCheck` lines; one that fails to run becomes a
``fail`` line naming why, never a crash. Environment checks run even when no lab opens.
"""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import PackageNotFoundError, version

import pygit2
from sqlalchemy.exc import SQLAlchemyError

from ardvc import __version__
from ardvc.config import Level, is_secret
from ardvc.errors import ArdvcError
from ardvc.gitstore import GitRepo
from ardvc.gitstore.commit import LOCK_NAME
from ardvc.health.findings import DoctorCheck, LabView
from ardvc.health.index_check import index_exists
from ardvc.health.remote import RemoteUnreachable, mask, remote_heads
from ardvc.identity import resolve_author
from ardvc.index import schema
from ardvc.index.db import describe
from ardvc.persist.journal import RunJournal
from ardvc.workspace import Workspace

MIN_GIT = (2, 25)
"""Oldest git CLI ardvc is tested with (push --porcelain, ls-remote, fetch)."""
LIBRARIES = ("pygit2", "sqlalchemy", "alembic", "msgspec", "numpy", "click", "rich")

LabCheck = Callable[[LabView], Iterable[DoctorCheck]]


def _version_of(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def check_versions() -> Iterator[DoctorCheck]:
    python = ".".join(str(p) for p in sys.version_info[:3])
    yield DoctorCheck("ardvc", "info", f"ardvc {__version__}, Python {python}")
    libs = ", ".join(f"{name} {_version_of(name)}" for name in LIBRARIES)
    yield DoctorCheck("libraries", "info", f"{libs}; libgit2 {pygit2.LIBGIT2_VERSION}")


def check_git() -> Iterator[DoctorCheck]:
    exe = shutil.which("git")
    if exe is None:
        yield DoctorCheck(
            "git",
            "fail",
            "the git command is not on PATH",
            "install git (Debian: apt-get install git); ardvc pushes and fetches with it",
        )
        return
    try:
        out = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (subprocess.SubprocessError, OSError) as exc:
        yield DoctorCheck("git", "fail", f"{exe} --version failed: {exc}", "reinstall git")
        return
    found = re.search(r"(\d+)\.(\d+)", out)
    numbers = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    if numbers < MIN_GIT:
        wanted = ".".join(map(str, MIN_GIT))
        yield DoctorCheck("git", "warn", f"{out} at {exe}", f"upgrade git to {wanted} or newer")
    else:
        yield DoctorCheck("git", "ok", f"{out} at {exe}")


def check_layout(view: LabView) -> Iterator[DoctorCheck]:
    workspace = Workspace(view.root)
    yield DoctorCheck("lab", "ok", f"lab at {view.root}")
    missing = [p for p in workspace.skeleton() if not p.is_dir()]
    if missing:
        shown = ", ".join(str(p.relative_to(view.root)) for p in missing)
        yield DoctorCheck(
            "layout",
            "warn",
            f"missing folders: {shown}",
            "mkdir -p them (ardvc creates them on init)",
        )
    meta = workspace.meta_repo_dir(str(view.config.get("lab.meta_repo")))
    if not GitRepo.is_repo(meta):
        yield DoctorCheck(
            "MetaRepo",
            "fail",
            f"no MetaRepo at {meta}",
            "clone it there, or set lab.meta_repo to its folder name",
        )


def check_config(view: LabView) -> Iterator[DoctorCheck]:
    config = view.config
    for setting in config.settings():
        if setting.level is not Level.DEFAULT:
            yield DoctorCheck(
                "config", "info", f"{setting.key} = {setting.shown()}  ({setting.origin})"
            )
    local = config.path(Level.LOCAL)
    if local.exists() and stat.S_IMODE(local.stat().st_mode) & 0o077:
        mode = oct(stat.S_IMODE(local.stat().st_mode))
        yield DoctorCheck(
            "config.local", "warn", f"{local} is readable by others ({mode})", f"chmod 600 {local}"
        )
    try:
        author = resolve_author(config)
    except ArdvcError as exc:
        yield DoctorCheck("author", "warn", str(exc), exc.hint or "")
    else:
        yield DoctorCheck("author", "ok", f"commits as {author.name} <{author.email}>")


def check_index(view: LabView) -> Iterator[DoctorCheck]:
    catalog = view.catalog()
    if not index_exists(catalog.engine):
        yield DoctorCheck(
            "index", "warn", f"{catalog.engine.url}: never built", "ardvc index rebuild"
        )
        return
    about = describe(catalog.engine)  # connects: an unreachable server fails here
    server = f"{about['backend']} {about['server_version']} at {about['url']}"
    current, head = schema.current_revision(catalog.engine), schema.head_revision()
    if current is None:
        yield DoctorCheck("index", "warn", f"{server}: never built", "ardvc index rebuild")
        return
    if current not in schema.known_revisions():
        yield DoctorCheck(
            "index",
            "fail",
            f"{server}: schema {current} is newer than this ardvc ({head})",
            "upgrade ardvc",
        )
        return
    if current != head:
        yield DoctorCheck(
            "index",
            "warn",
            f"{server}: schema {current}, code {head}",
            "ardvc index sync (upgrades it)",
        )
        return
    yield DoctorCheck("index", "ok", f"{server}, schema {current} (= code)")
    stale = [f"{r.name}:{r.branch}" for r in catalog.info().repos if r.stale]
    if stale:
        yield DoctorCheck(
            "index sync",
            "info",
            f"behind git: {', '.join(stale)}",
            "ardvc index sync (find does it by itself)",
        )


def check_repositories(view: LabView) -> Iterator[DoctorCheck]:
    for source in view.sources():
        git = GitRepo(source.path)
        branch = git.current_branch()
        locks = sorted(
            str(p.relative_to(git.git_dir))
            for p in git.git_dir.rglob("*.lock")
            if p.name != LOCK_NAME  # ardvc's own lock file stays; it is taken with flock
        )
        if locks:
            yield DoctorCheck(
                f"repo {source.name}",
                "warn",
                f"lock files left: {', '.join(locks)}",
                "if no git or ardvc process is running in it, delete them",
            )
        elif branch is None:
            yield DoctorCheck(
                f"repo {source.name}",
                "warn",
                "HEAD is detached",
                f"git -C {source.path} checkout master (or your branch)",
            )
        else:
            yield DoctorCheck(f"repo {source.name}", "ok", f"on {branch}")


def check_remotes(view: LabView) -> Iterator[DoctorCheck]:
    for source in view.sources():
        raw = GitRepo(source.path).raw
        for remote in raw.remotes:
            name = f"remote {source.name}/{remote.name}"
            url = remote.url or ""
            if is_secret("url", url):
                yield DoctorCheck(
                    name,
                    "warn",
                    f"{mask(url)} holds a password in .git/config",
                    "use a credential helper or an SSH key and remove the password from the URL",
                )
            try:
                heads = remote_heads(source.path, remote.name or "origin")
            except RemoteUnreachable as exc:
                yield DoctorCheck(
                    name,
                    "fail",
                    f"{mask(url)}: {exc}",
                    f"check the URL (git -C {source.path} remote -v), the "
                    "network and your credentials",
                )
                continue
            yield DoctorCheck(name, "ok", f"{mask(url)} answers ({len(heads)} branches)")


def check_queues(view: LabView) -> Iterator[DoctorCheck]:
    entries = view.outbox.entries()
    failing = [e for e in entries if e.last_error]
    if failing:
        yield DoctorCheck(
            "outbox",
            "warn",
            f"{len(entries)} commits wait to be pushed, "
            f"{len(failing)} failed: {failing[-1].last_error}",
            "ardvc outbox --push, or ardvc fsck",
        )
    elif entries:
        yield DoctorCheck(
            "outbox", "info", f"{len(entries)} commits wait to be pushed", "ardvc outbox --push"
        )
    else:
        yield DoctorCheck("outbox", "ok", "nothing waits to be pushed")
    stopped = RunJournal(Workspace(view.root).runs_dir).interrupted()
    if stopped:
        names = ", ".join(m.record_id for m in stopped)
        yield DoctorCheck(
            "runs",
            "warn",
            f"interrupted runs: {names}",
            "ardvc runs list; record them again or ardvc runs discard RUNID",
        )


LAB_CHECKS: list[LabCheck] = [
    check_layout,
    check_config,
    check_index,
    check_repositories,
    check_remotes,
    check_queues,
]
"""Checks of an opened lab, in order. The cache adds its own (remotes, object store)."""


def doctor(open_view: Callable[[], LabView]) -> list[DoctorCheck]:
    """Environment checks, then (if the lab opens) every check of :data:`LAB_CHECKS`."""
    lines = [*check_versions(), *check_git()]
    try:
        view = open_view()
    except ArdvcError as exc:
        lines.append(DoctorCheck("lab", "fail", str(exc), exc.hint or ""))
        return lines
    for check in LAB_CHECKS:
        try:
            lines.extend(check(view))
        except (ArdvcError, SQLAlchemyError, pygit2.GitError, OSError) as exc:
            hint = exc.hint if isinstance(exc, ArdvcError) and exc.hint else ""
            name = check.__name__.removeprefix("check_")
            lines.append(DoctorCheck(name, "fail", f"{type(exc).__name__}: {exc}", hint))
    return lines
