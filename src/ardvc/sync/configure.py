"""Putting a lab remote into the repositories, and cloning a lab's repositories from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pygit2

from ardvc.errors import ConfigError
from ardvc.gitstore.network import NetworkError, clone
from ardvc.sync.context import SyncLab, Target
from ardvc.sync.provision import list_remote_repos
from ardvc.sync.steps import Progress, RepoJob, StepResult, StepStatus, SyncReport, failed, run_plan


@dataclass(frozen=True)
class RemoteApplied:
    repo: str
    action: str
    """``added``, ``same``, ``updated`` or ``kept`` (the repository has its own URL)."""
    url: str


def apply_remote(lab: SyncLab, name: str, *, force: bool = False) -> list[RemoteApplied]:
    """Give every repository the git remote ``name`` at its URL on the lab remote. A
    repository already holding another URL for it keeps it unless ``force``."""
    spec = lab.spec(name)
    if spec is None:
        raise ConfigError(f"no lab remote {name!r}", hint=f"ardvc remote add {name} URL")
    out = []
    for target in lab.targets():
        repo = pygit2.Repository(str(target.path))
        url = spec.repo_url(target.name)
        if name not in repo.remotes.names():
            repo.remotes.create(name, url)
            action = "added"
        elif repo.remotes[name].url == url:
            action = "same"
        elif force:
            repo.remotes.set_url(name, url)
            action = "updated"
        else:
            action, url = "kept", str(repo.remotes[name].url)
        out.append(RemoteApplied(target.name, action, lab.shown_url(url)))
    return out


class CloneStep:
    """Clone one repository of the lab remote into its place (nothing if present)."""

    name = "clone"

    def run(self, job: RepoJob) -> StepResult:
        lab, target = job.lab, job.target
        if (target.path / ".git").exists():
            return StepResult(self.name, StepStatus.NOTHING, "present already")
        spec = lab.spec(job.remote)
        assert spec is not None
        url = spec.repo_url(target.name)
        try:
            clone(lab.network(job.remote), url, target.path, remote=job.remote)
        except NetworkError as exc:
            return failed(self.name, str(exc), str(exc.kind), exc.hint or "")
        lab.states.succeeded(target.rel, "fetch")
        return StepResult(self.name, StepStatus.OK, f"cloned {lab.shown_url(url)}", changed=True)


def clone_repositories(
    lab: SyncLab,
    remote: str,
    repos: Sequence[str] | None,
    *,
    progress: Progress | None = None,
) -> SyncReport:
    """Clone the MetaRepo and ``repos`` (``None``: every repository the remote lists)
    from lab remote ``remote``; repositories already present are left as they are."""
    spec = lab.spec(remote)
    if spec is None:
        raise ConfigError(f"no lab remote {remote!r}", hint=f"ardvc remote add {remote} URL")
    if repos is None:
        listed = list_remote_repos(spec, lab.secret(remote), lab.timeout)
        repos = [r for r in listed if r != lab.meta_name]
    targets: list[Target] = [lab.meta_target(), *(lab.data_target(r) for r in repos)]
    return run_plan(lab, "clone", targets, remote, [CloneStep()], progress=progress)
