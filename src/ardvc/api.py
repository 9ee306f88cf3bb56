"""The Python API a lab scripts against.

    >>> from ardvc import Lab
    >>> lab = Lab.open("~/labs/nmgrl")
    >>> analysis = lab.analysis("66681-03L")
    >>> analysis.intercepts["Ar40"].value

The CLI and the web UI are thin shells over this class.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from ardvc.artifact_sync import CacheFetchStep, CachePushStep
from ardvc.cache.objects import ObjectStore
from ardvc.cache.runcache import RunCache
from ardvc.config import Config
from ardvc.data import Analysis, DataRepo, RepoSummary
from ardvc.data.tags import write_tags
from ardvc.errors import AnalysisNotFoundError, ArdvcError, RepositoryNotFoundError
from ardvc.exps import (
    Applied,
    ApplyOptions,
    Comparison,
    Experiment,
    ExperimentRequest,
    ExperimentStore,
    apply_experiment,
    compare,
    run_experiment,
)
from ardvc.formats.names import check_safe_name
from ardvc.formats.runid import is_uuid, parse_runid
from ardvc.gitstore import Author, CommitPolicy, CommitResult, GitRepo
from ardvc.health import DoctorCheck, FsckReport, LabView, doctor, fsck
from ardvc.identity import resolve_author
from ardvc.index.catalog import Catalog
from ardvc.index.query import AnalysisRecord
from ardvc.index.scope import indexed_paths
from ardvc.index.sync import Source
from ardvc.labcache import LabCache, commit_policy, repository_names, repository_path
from ardvc.labindex import index_sources, open_catalog, sync_after_commit
from ardvc.labinit import (
    DEFAULT_META_REPO,
    InitResult,
    adopt_pychron,
    create_workspace,
    init_lab,
)
from ardvc.logs import get_logger
from ardvc.meta import MetaRepo
from ardvc.persist.collection import CollectionFits
from ardvc.persist.journal import RunJournal
from ardvc.persist.outbox import Outbox
from ardvc.persist.persister import Persister, PersisterSettings
from ardvc.provenance import BlameLine, Revision, ValueDiff, blame, value_diff, value_history
from ardvc.provenance.history import ITEMS
from ardvc.reduction.flux_fit import FluxFit, fit_level_flux, save_flux_fit
from ardvc.reduction.ia_save import IAPlan, save_ia
from ardvc.reduction.run import Reduction, reduce_analyses
from ardvc.reduction.sample import SampleReport, reduce_sample
from ardvc.reduction.select import DEFAULT_TYPES, select_analyses
from ardvc.reduction.settings import settings as reduction_settings
from ardvc.repostatus import RepoStatus, local_status
from ardvc.sync import offline
from ardvc.sync.configure import RemoteApplied, apply_remote, clone_repositories
from ardvc.sync.context import SyncLab
from ardvc.sync.offline import FinishReport, PrepareReport
from ardvc.sync.offline_state import is_offline
from ardvc.sync.operations import ShareReport, pull_lab, push_lab, share
from ardvc.sync.remotes import RemoteSetup
from ardvc.sync.status import LabStatus, lab_status
from ardvc.sync.steps import Progress, SyncReport
from ardvc.workspace import Workspace, find_root

if TYPE_CHECKING:
    from ardvc.report.templates import PlotStyle


class Lab:
    """One lab workspace: its configuration, MetaRepo and data repositories."""

    def __init__(self, workspace: Workspace, config: Config) -> None:
        self.workspace = workspace
        self.config = config
        self._repos: dict[str, DataRepo] = {}

    # --- opening and creating -----------------------------------------------------------

    @classmethod
    def open(
        cls,
        root: Path | str | None = None,
        *,
        env: Mapping[str, str] | None = None,
        overrides: Mapping[str, str] | None = None,
    ) -> Lab:
        """Open the lab at ``root``, ``$ARDVC_ROOT``, the nearest parent, or the default."""
        environ = dict(os.environ if env is None else env)
        workspace = find_root(root, env=environ)
        return cls(workspace, Config(workspace.ardvc_dir, env=environ, overrides=overrides))

    @staticmethod
    def init(path: Path | str, meta_repo: str | None = None) -> InitResult:
        return init_lab(Path(path), meta_repo)

    @staticmethod
    def adopt_pychron(dvc_dir: Path | str, meta_repo: str | None = None) -> InitResult:
        return adopt_pychron(Path(dvc_dir), meta_repo)

    # --- parts --------------------------------------------------------------------------

    @property
    def root(self) -> Path:
        return self.workspace.root

    @cached_property
    def meta(self) -> MetaRepo:
        name = self.config.get("lab.meta_repo")
        path = self.workspace.meta_repo_dir(check_safe_name(name, what="MetaRepo name"))
        if not path.is_dir():
            raise RepositoryNotFoundError(
                f"the MetaRepo {name!r} is missing at {path}",
                hint="clone it there, or set lab.meta_repo to the right folder name",
            )
        return MetaRepo(GitRepo(path, self.commit_policy))

    def author(self) -> Author:
        return resolve_author(self.config)

    @cached_property
    def commit_policy(self) -> CommitPolicy:
        """``core.branch``, ``core.max_deletions`` and ``core.worktree_sync`` for every
        repository this lab opens; after each commit the index follows."""
        return commit_policy(self.config, self._index_after_commit)

    # --- the index ----------------------------------------------------------------------

    @cached_property
    def catalog(self) -> Catalog:
        """The SQL index (SQLite in ``.ardvc/`` unless ``index.url`` names PostgreSQL)."""
        return open_catalog(self.workspace, self.config)

    def index_sources(self) -> list[Source]:
        return index_sources(self.workspace, self.config)

    def _index_after_commit(self, git: GitRepo, paths: Sequence[str]) -> None:
        if indexed_paths(paths):
            sync_after_commit(self.catalog, git)

    def find(self, **filters: Any) -> list[AnalysisRecord]:
        """Analyses matching the filters of :class:`ardvc.index.query.Filters`, each with
        its place in git; ``lab.analysis_at(record)`` reads it."""
        return self.catalog.find(**filters)

    def analysis_at(self, record: AnalysisRecord) -> Analysis:
        return self.repo(record.repo).analysis(record.name, record.commit)

    def repository_names(self) -> list[str]:
        return repository_names(self.workspace)

    def repo(self, name: str) -> DataRepo:
        if name not in self._repos:
            path = repository_path(self.workspace, name)
            self._repos[name] = DataRepo(GitRepo(path, self.commit_policy))
        return self._repos[name]

    def create_repository(self, name: str) -> DataRepo:
        repo = DataRepo.create(
            self.workspace.repositories_dir, name, self.author(), self.commit_policy
        )
        self._repos[repo.name] = repo
        return repo

    # --- acquisition --------------------------------------------------------------------

    @property
    def outbox(self) -> Outbox:
        """Commits not yet pushed (``.ardvc/tmp/outbox``)."""
        return Outbox(self.workspace.outbox_dir)

    @property
    def run_journal(self) -> RunJournal:
        """Runs being recorded, and interrupted ones (``.ardvc/tmp/runs``)."""
        return RunJournal(self.workspace.runs_dir)

    def persister(
        self,
        repository: str,
        *,
        branch: str | None = None,
        fits: CollectionFits | None = None,
        remote: str | None = None,
        save_timeout: float | None = None,
        save_queue: int | None = None,
        sync_index: bool = True,
        create: bool = True,
    ) -> Persister:
        """A :class:`~ardvc.persist.persister.Persister` committing to ``repository`` (or
        each run's own repository); ``core.branch``, ``persist.remote``,
        ``persist.save_timeout``, ``persist.save_queue`` and ``persist.commit_process`` give
        the defaults. ``create`` makes missing repositories."""
        cfg = self.config
        policy = replace(self.commit_policy, on_commit=None)  # the persister syncs itself

        def open_repo(name: str) -> DataRepo:
            check_safe_name(name, what="repository name")
            path = self.workspace.repository_dir(name)
            if not (path / ".git").exists():
                raise RepositoryNotFoundError(f"no data repository {name!r} in {path.parent}")
            return DataRepo(GitRepo(path, policy))

        meta_dir = self.workspace.meta_repo_dir(str(cfg.get("lab.meta_repo")))
        push_to = (remote if remote is not None else cfg.get("persist.remote")) or None
        if is_offline(self.workspace):
            push_to = None  # offline: commits queue in the outbox; offline finish pushes
        settings = PersisterSettings(
            branch=branch or cfg.get("core.branch") or None,
            fits=fits or CollectionFits(),
            remote=push_to,
            network=self.sync.network(push_to) if push_to else None,
            save_timeout=float(save_timeout or cfg.get("persist.save_timeout")),
            save_queue=int(save_queue or cfg.get("persist.save_queue")),
            commit_process=bool(cfg.get("persist.commit_process")),
            timezone=cfg.get("lab.timezone") or None,
            sync_index=sync_index,
        )
        return Persister(
            self.root,
            repository=repository,
            author=self.author(),
            open_repo=open_repo,
            create_repo=self.create_repository if create else None,
            meta=MetaRepo(GitRepo(meta_dir)) if (meta_dir / ".git").exists() else None,
            index=self.catalog,
            journal=self.run_journal,
            outbox=self.outbox,
            settings=settings,
            cache=ObjectStore(self.workspace.cache_dir),
        )

    # --- sync (ardvc.sync) ---------------------------------------------------------------

    @cached_property
    def sync(self) -> SyncLab:
        """This lab as lab-wide sync sees it: remotes, repositories, outbox, records."""
        return SyncLab(
            self.workspace, self.config, author=self.author, catalog=lambda: self.catalog,
            sources=self.index_sources, push_steps=[CachePushStep(self)],
            pull_steps=[CacheFetchStep(self)],
        )  # fmt: skip

    def add_remote(self, setup: RemoteSetup, *, force: bool = False) -> list[RemoteApplied]:
        """Configure a lab remote and give every repository its git remote."""
        setup.write(self.config)
        return apply_remote(self.sync, setup.name, force=force)

    def status(self, remote: str | None = None, *, fetch: bool = False,
               progress: Progress | None = None) -> LabStatus:  # fmt: skip
        """Branch, ahead/behind, outbox and last error of every repository, with remedies."""
        return lab_status(self.sync, remote, fetch=fetch, progress=progress)

    def push(self, remote: str | None = None, repos: Sequence[str] = (),
             progress: Progress | None = None) -> SyncReport:  # fmt: skip
        return push_lab(self.sync, remote, repos, progress=progress)

    def pull(self, remote: str | None = None, repos: Sequence[str] = (),
             progress: Progress | None = None,
             allow_deletions: bool = False) -> SyncReport:  # fmt: skip
        return pull_lab(self.sync, remote, repos, progress=progress,
                        allow_deletions=allow_deletions)  # fmt: skip

    def share(self, remote: str | None = None, repos: Sequence[str] = (),
              progress: Progress | None = None, attempts: int = 4) -> ShareReport:  # fmt: skip
        return share(self.sync, remote, repos, progress=progress, attempts=attempts)

    def offline_prepare(self, repos: Sequence[str], remote: str | None = None,
                        progress: Progress | None = None) -> PrepareReport:  # fmt: skip
        report = offline.prepare(self.sync, repos, remote, progress=progress)
        self.__dict__.pop("catalog", None)  # the index moves to the offline one
        return report

    def offline_finish(self, progress: Progress | None = None) -> FinishReport:
        report = offline.finish(self.sync, progress=progress)
        self.__dict__.pop("catalog", None)
        return report

    @classmethod
    def clone_lab(cls, dest: Path | str, remote: RemoteSetup, repos: Sequence[str] | None,
                  *, meta_repo: str | None = None,
                  progress: Progress | None = None) -> tuple[Lab, SyncReport]:  # fmt: skip
        """A new workstation: the lab remote configured, the MetaRepo and ``repos`` (every
        repository the remote lists when ``None``) cloned, the index rebuilt."""
        workspace = create_workspace(Path(dest), meta_repo or DEFAULT_META_REPO)
        lab = cls.open(workspace.root)
        remote.write(lab.config)
        report = clone_repositories(lab.sync, remote.name, repos, progress=progress)
        if report.ok:
            lab.catalog.rebuild()
        return lab, report

    # --- reduction ----------------------------------------------------------------------

    def reduce(
        self,
        repo: str,
        names: Sequence[str] = (),
        *,
        identifiers: Sequence[str] = (),
        types: Sequence[str] | None = DEFAULT_TYPES,
        at: str | None = None,
        meta_at: str | None = None,
        conventions: str | None = None,
        settings: Sequence[str] = (),
        refit: bool = False,
        run_cache: bool = True,
    ) -> Reduction:
        """Ages of a selection, from the stored intercepts at ``at`` and the MetaRepo at
        ``meta_at``, with the lab's reduction settings plus ``KEY=VALUE`` overrides. A
        repeat with unchanged inputs, parameters and code is a run-cache lookup
        (``run_cache=False`` recomputes)."""
        data = self.repo(repo)
        analyses = select_analyses(data, at, names=names, identifiers=identifiers, types=types)
        constants, convs = reduction_settings(self.config, settings, conventions=conventions)
        return reduce_analyses(
            analyses,
            self.meta,
            meta_rev=meta_at,
            constants=constants,
            conventions=convs,
            repos={data.name: data},
            refit=refit,
            runs=RunCache(self.workspace.cache_dir / "runs") if run_cache else None,
        )

    def fit_flux(
        self,
        repo: str,
        irradiation: str,
        level: str,
        *,
        holder: str,
        monitor_sample: str = "FC-2",
        conventions: str | None = None,
        settings: Sequence[str] = (),
        include_omitted: bool = False,
    ) -> FluxFit:
        """A plane flux fit of ``irradiation`` ``level`` from the monitors in ``repo``
        (hole coordinates from the irradiation holder ``holder``); save it with
        :meth:`save_flux_fit`."""
        constants, convs = reduction_settings(self.config, settings, conventions=conventions)
        return fit_level_flux(
            self.meta, self.repo(repo), irradiation, level, self.meta.holder(holder),
            monitor_sample=monitor_sample, constants=constants, conventions=convs,
            include_omitted=include_omitted,
        )  # fmt: skip

    def save_flux_fit(self, fit: FluxFit) -> CommitResult:
        return save_flux_fit(self.meta, fit, self.author())

    # --- artifacts and the cache ----------------------------------------------------------

    def cache(self, *, wait: bool = False) -> LabCache:
        """Artifacts, the object cache and cache remotes (:class:`ardvc.labcache.LabCache`);
        ``wait``: wait for busy locks as long as it takes."""
        return LabCache(self, wait=wait)

    # --- analyses -----------------------------------------------------------------------

    def analysis(self, name: str, *, repo: str | None = None, rev: str | None = None) -> Analysis:
        """An analysis by run ID or uuid, searched in ``repo`` or in every repository."""
        names = [repo] if repo else self.repository_names()
        if len(names) == 1:
            return self.repo(names[0]).analysis(name, rev)
        for repo_name in names:  # cheap path lookups first, then content scans
            if self.repo(repo_name).locate(name, None, rev) is not None:
                return self.repo(repo_name).analysis(name, rev)
        for repo_name in names:
            try:
                return self.repo(repo_name).analysis(name, rev)
            except AnalysisNotFoundError:
                continue
        raise AnalysisNotFoundError(
            f"no analysis {name!r} in {', '.join(names) or 'any repository'}",
            hint="give the repository with --repo, or check the run ID / uuid",
        )

    # --- samples, provenance, tags, plots (web UI, ardvc plot/export/tag) -----------------

    def sample(
        self,
        repo: str,
        identifier: str,
        *,
        aliquot: int | None = None,
        at: str | None = None,
        meta_at: str | None = None,
        conventions: str | None = None,
        settings: Sequence[str] = (),
    ) -> SampleReport:
        """Every analysis of ``identifier`` (one ``aliquot`` if given) in ``repo``, any
        type, reduced with its group values. At the branch head the index names the steps
        (git is scanned when the index is unavailable); ``at`` reads another commit."""
        data = self.repo(repo)
        names: list[str] = []
        if at is None:
            try:
                self.catalog.sync([repo])
                names = [r.name for r in self.find(repo=[repo], identifier=[identifier])]
            except (ArdvcError, SQLAlchemyError) as exc:
                get_logger("api").warning("index unavailable, scanning %s: %s", repo, exc)
        analyses = (
            select_analyses(data, None, names=names) if names
            else select_analyses(data, at, identifiers=[identifier], types=None)
        )  # fmt: skip
        constants, convs = reduction_settings(self.config, settings, conventions=conventions)
        return reduce_sample(
            data, self.meta, analyses, identifier=identifier, aliquot=aliquot, meta_rev=meta_at,
            constants=constants, conventions=convs,
        )  # fmt: skip

    def tag(
        self, repo: str, names: Sequence[str], tag: str, *, note: str | None = None
    ) -> CommitResult:
        """Tag analyses (``ok``, ``omit``, ``invalid`` …) in one ``<TAG>`` commit."""
        return write_tags(self.repo(repo), names, tag, self.author(), note=note)

    def plot_style(self, kind: str) -> PlotStyle:
        """The lab's plot template of ``kind`` (``.ardvc/plots/<kind>.toml``)."""
        from ardvc.report.templates import load_template  # matplotlib: deferred

        return load_template(self.workspace.plots_dir, kind)

    def repository_status(
        self, summaries: dict[str, RepoSummary] | None = None
    ) -> list[RepoStatus]:
        """Branch, head, analysis count, unpushed outbox commits and sync state (as of the
        last fetch: nothing goes over the network) of every data repository."""
        repos = [self.repo(name) for name in self.repository_names()]
        rows = self.status().repos
        return local_status(repos, self.outbox, self.root, summaries, rows)

    def save_interpreted_age(
        self,
        repo: str,
        identifier: str,
        *,
        names: Sequence[str] = (),
        name: str | None = None,
        preferred: str | None = None,
        exclude: Sequence[str] = (),
        meta_at: str | None = None,
        conventions: str | None = None,
        settings: Sequence[str] = (),
    ) -> tuple[IAPlan, CommitResult]:
        """Reduce ``identifier`` (or the named steps) at the branch head and commit its IA
        file, as ``ardvc ia save`` does."""
        constants, convs = reduction_settings(self.config, settings, conventions=conventions)
        return save_ia(
            self.repo(repo), self.meta, self.author(), conventions=convs, identifier=identifier,
            names=names, constants=constants, meta_rev=meta_at, name=name, preferred=preferred,
            exclude=exclude,
        )  # fmt: skip

    def analysis_in(self, repo: str, name: str, rev: str | None = None) -> Analysis:
        """``name`` (run ID or uuid) in ``repo``: by Pychron's path rules, then through the
        index (a run ID in a uuid-named repository), then by scanning git."""
        data = self.repo(repo)
        if rev is None and not is_uuid(name) and data.locate(name) is None:
            try:
                identifier = parse_runid(name).identifier
                records = self.find(repo=[repo], identifier=[identifier])
            except (ArdvcError, SQLAlchemyError) as exc:
                get_logger("api").warning("index lookup of %s failed: %s", name, exc)
                records = []
            hit = next((r for r in records if r.record_id == name), None)
            if hit is not None:
                return data.analysis(hit.name)
        return data.analysis(name, rev)

    # --- provenance ---------------------------------------------------------------------

    def _repo_holding(self, name: str, repo: str | None, rev: str | None) -> DataRepo:
        return self.repo(repo) if repo else self.repo(self.analysis(name, rev=rev).repo)

    def history(
        self,
        name: str,
        *,
        repo: str | None = None,
        rev: str | None = None,
        kinds: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Revision]:
        """The commits that changed the analysis' files of ``kinds`` (default: the value
        files), newest first, each with its values before and after."""
        data = self._repo_holding(name, repo, rev)
        return list(value_history(data, name, rev=rev, items=kinds, limit=limit))

    def blame(
        self, name: str, isotope: str, *, repo: str | None = None, rev: str | None = None
    ) -> list[BlameLine]:
        """The commits that set the intercept, baseline, blank and IC factor of
        ``isotope`` as they are at ``rev``."""
        return blame(self._repo_holding(name, repo, rev), name, isotope, rev)

    def value_diff(
        self,
        name: str,
        rev1: str,
        rev2: str | None = None,
        *,
        repo: str | None = None,
        kinds: Sequence[str] | None = None,
    ) -> ValueDiff:
        """Value-level difference of the analysis between two revisions."""
        data = self._repo_holding(name, repo, None)
        return value_diff(data, name, rev1, rev2, kinds or ITEMS)

    # --- health -------------------------------------------------------------------------

    def view(self) -> LabView:
        """What fsck and doctor look at."""
        return LabView(self.root, self.config, self.index_sources, lambda: self.catalog,
                       self.outbox)  # fmt: skip

    def fsck(
        self,
        *,
        repair: bool = False,
        checks: Sequence[str] = (),
        progress: Callable[[str], None] | None = None,
    ) -> FsckReport:
        """Cross-check index, git history and outbox; ``repair`` fixes what it can."""
        return fsck(self.view(), repair=repair, checks=checks, progress=progress)

    @classmethod
    def doctor(
        cls, root: Path | str | None = None, *, overrides: Mapping[str, str] | None = None
    ) -> list[DoctorCheck]:
        """Environment and lab checks, each with a remedy; works without a lab too."""
        return doctor(lambda: cls.open(root, overrides=overrides).view())

    # --- experiments --------------------------------------------------------------------

    @property
    def experiments(self) -> ExperimentStore:
        """What-if reductions in ``.ardvc/tmp/exps`` (list, load, remove)."""
        return ExperimentStore(self.workspace.exps_dir)

    def run_experiment(
        self, request: ExperimentRequest, progress: Callable[[str], None] | None = None
    ) -> Experiment:
        """Refit and reduce ``request``'s selection in its own repository; the lab's
        branches are only read."""
        data = self.repo(request.repo)
        return run_experiment(
            self.experiments,
            data,
            self.meta,
            self.config,
            self.author(),
            request,
            progress,
            runs=RunCache(self.workspace.cache_dir / "runs"),
        )

    def compare_experiment(self, name: str) -> list[Comparison]:
        """The experiment's ages beside ``ardvc reduce``'s with the lab's settings now."""
        experiment = self.experiments.load(name)
        data = self.repo(experiment.repo)
        present = [n for n in experiment.analyses if data.locate(n) is not None]
        current = self.reduce(experiment.repo, present, types=None) if present else None
        return compare(experiment, current.results if current else [])

    def apply_experiment(self, name: str, options: ApplyOptions | None = None) -> Applied:
        """Commit the experiment's refits (and interpreted ages) in the lab."""
        experiment = self.experiments.load(name)
        return apply_experiment(
            self.experiments, name, self.repo(experiment.repo), self.meta, self.author(),
            options or ApplyOptions(),
        )  # fmt: skip
