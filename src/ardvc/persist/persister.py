"""The acquisition persister: runs in, committed and indexed analyses out.

Acquisition software calls::

    with lab.persister("SimLab") as persister:
        run = persister.begin_run(RunMetadata(...))
        run.save_extraction(...); run.add_signals(...); run.save_baselines(...)
        run.save_peakcenter(...); run.save_defaults(blanks=..., icfactors=...)
        future = persister.end_run(run)     # returns at once; the save runs in background
        ...                                  # the next run records meanwhile
        future.result()                      # PersistResult, or the save's error

Each ``end_run`` writes every file of the analysis in Pychron's four collection commits,
chained, with one branch move (the analysis appears whole or not at all), queues the
commit in the outbox for the push worker and updates the index. The index is derived: if
it cannot be reached the commit still stands, the result says so, and the next sync
catches up. Saves run in order on one thread; runs that ended while a save was committing
are committed together next, with one branch move (:mod:`ardvc.persist.savequeue`), by a
commit process beside the recording one (:mod:`ardvc.persist.committer`). When
``save_queue`` runs are ended but not committed, ``end_run`` waits at most
``save_timeout`` for room before refusing with :class:`SaveTimeoutError` (the run stays
recorded in memory and ``end_run`` can be called again).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from ardvc.cache.objects import ObjectStore
from ardvc.data import DataRepo
from ardvc.data.write import CollectionRun, EncodedAnalysis, encode_analysis
from ardvc.errors import ArdvcError, RepositoryNotFoundError, UsageError
from ardvc.formats.paths import write_address
from ardvc.gitstore import Author
from ardvc.gitstore.commit import recover_after_crash
from ardvc.gitstore.network import GitNetwork
from ardvc.index.catalog import Catalog
from ardvc.logs import get_logger
from ardvc.meta import MetaRepo
from ardvc.persist.artifacts import analysis_artifacts
from ardvc.persist.collection import CollectionFits, Context, collection_analysis
from ardvc.persist.committer import CommitProcessError, Committer
from ardvc.persist.indexer import IndexWorker
from ardvc.persist.journal import RunJournal, RunMarker
from ardvc.persist.metadata import RunMetadata
from ardvc.persist.outbox import Outbox
from ardvc.persist.push import OutboxWorker
from ardvc.persist.recording import Recording
from ardvc.persist.savequeue import SaveQueue

DEFAULT_SAVE_TIMEOUT_S = 120.0
DEFAULT_SAVE_QUEUE = 4

Prepared = tuple[EncodedAnalysis, list[str]]
"""A run's files, made at ``end_run``, and the problems found making them."""
Save = tuple[Recording, Prepared]


class SaveTimeoutError(ArdvcError):
    """The save queue stayed full for the bounded wait."""


@dataclass(frozen=True)
class PersistResult:
    """What ``end_run`` did: the commits on the branch, and what is still to happen."""

    record_id: str
    uuid: str
    analysis_type: str
    repository: str
    branch: str
    commits: tuple[str, ...]
    paths: tuple[str, ...]
    problems: tuple[str, ...] = ()
    """Series that could not be fitted (their raw data are stored, the intercept is not)."""
    indexed: Future[str | None] | None = None
    """Resolves to ``None`` once the index holds the analysis, or to why it does not
    (``ardvc index sync`` catches up); ``None`` when index updates are off."""

    @property
    def head(self) -> str:
        return self.commits[-1]

    def index_error(self, timeout: float | None = None) -> str | None:
        """Wait for the index update; its error, if any."""
        return None if self.indexed is None else self.indexed.result(timeout)


@dataclass
class PersisterSettings:
    """How a persister commits: branch (``None`` = each repository's current), collection
    fits, the remote the outbox pushes to (``None`` = no pushing), how many runs may be
    ended but not committed, and the bounded wait for room among them."""

    branch: str | None = None
    fits: CollectionFits = field(default_factory=CollectionFits)
    remote: str | None = "origin"
    save_timeout: float = DEFAULT_SAVE_TIMEOUT_S
    save_queue: int = DEFAULT_SAVE_QUEUE
    timezone: str | None = None
    sync_index: bool = True
    network: GitNetwork | None = None
    """How pushes reach the remote (ardvc's credential helper, SSH command)."""
    commit_process: bool = True
    """Commit in a process of its own (:mod:`ardvc.persist.committer`), beside recording."""


class Persister:
    """Commits the runs of one acquisition computer (see the module docstring)."""

    def __init__(
        self,
        root: Path,
        *,
        repository: str,
        author: Author,
        open_repo: Callable[[str], DataRepo],
        create_repo: Callable[[str], DataRepo] | None = None,
        meta: MetaRepo | None = None,
        index: Catalog | None = None,
        journal: RunJournal,
        outbox: Outbox,
        settings: PersisterSettings | None = None,
        cache: ObjectStore | None = None,
    ) -> None:
        self.root = root
        self.cache = cache
        """Where attached artifacts go (``None``: attaching one is an error at commit)."""
        self.repository = repository
        self.author = author
        self.settings = settings or PersisterSettings()
        self._open_repo, self._create_repo = open_repo, create_repo
        self.meta, self.index = meta, index
        self.journal, self.outbox = journal, outbox
        self._repos: dict[str, DataRepo] = {}
        self._markers: dict[str, RunMarker] = {}
        if self.settings.save_queue < 1:
            raise UsageError(
                f"persist.save_queue must be at least 1, not {self.settings.save_queue}"
            )
        self.committer = Committer(use_process=self.settings.commit_process)
        # started by the save thread, which lives as long as the persister: on Linux the
        # commit process is tied to the thread that starts it
        self._saves: SaveQueue[Save, PersistResult] = SaveQueue(
            self._save_batch, limit=self.settings.save_queue, setup=self.committer.start
        )
        self._lock = threading.Lock()
        self._log = get_logger("persist")
        self.failed: list[Recording] = []
        """Recordings whose save failed; ``end_run`` can be called on them again."""
        self.worker = (
            OutboxWorker(outbox, root, self.settings.remote, net=self.settings.network)
            if self.settings.remote
            else None
        )
        self.indexer = (
            IndexWorker(index) if index is not None and self.settings.sync_index else None
        )
        try:
            self.recovered = self._recover()
        except BaseException:
            self.close()
            raise
        self._interrupted = {m.uuid: m for m in self.recovered}

    # --- repositories ----------------------------------------------------------------------

    def repo(self, name: str) -> DataRepo:
        if name not in self._repos:
            try:
                self._repos[name] = self._open_repo(name)
            except RepositoryNotFoundError:
                if self._create_repo is None:
                    raise
                self._log.info("creating data repository %s", name)
                self._create_repo(name)
                self._repos[name] = self._open_repo(name)
        return self._repos[name]

    def _branch(self, repo: DataRepo) -> str:
        """The branch to commit on, created from ``origin/<b>`` or HEAD when missing
        (Pychron's ``data_collection`` mode)."""
        branch = repo.git.target_branch(self.settings.branch)
        if branch is None:
            raise UsageError(
                f"{repo.name} has a detached HEAD: configure core.branch or check out a branch"
            )
        if repo.git.branch_head(branch) is None and repo.git.head_id() is not None:
            start = repo.git.create_branch(branch)
            self._log.info("created branch %s of %s at %s", branch, repo.name, start[:12])
        return branch

    # --- runs ------------------------------------------------------------------------------

    def _recover(self) -> list[RunMarker]:
        """Look at runs a killed process left: committed ones are queued, others reported."""
        interrupted = []
        for marker in self.journal.interrupted():
            try:
                repo = self.repo(marker.repository)
                recovered = recover_after_crash(repo.git)  # ref lock, half-synced tree
                if recovered.recovered or recovered.error:
                    self._log.warning(
                        "%s after an interrupted save: %s", repo.name,
                        recovered.error or f"finished {', '.join(recovered.recovered)}",
                    )  # fmt: skip
                head = repo.git.branch_head(marker.branch)
            except ArdvcError as exc:
                self._log.warning("interrupted run %s: %s", marker.record_id, exc)
                interrupted.append(marker)
                continue
            if head is not None and repo.git.exists(write_address(marker.uuid).path, head):
                self.journal.finish(marker.uuid)
                rel = str(repo.git.path.resolve().relative_to(self.root.resolve()))
                self.outbox.add(rel, marker.branch, head, f"recovered {marker.record_id}")
                self._log.warning(
                    "run %s was committed to %s before its process died; queued for push",
                    marker.record_id, repo.name,
                )  # fmt: skip
                continue
            interrupted.append(marker)
            self._log.warning(
                "run %s (%s) was interrupted while %s (pid %d on %s, started %s); nothing of "
                "it is in git. Record it again, or discard it: ardvc runs discard %s",
                marker.record_id, marker.uuid, marker.stage, marker.pid, marker.host,
                marker.started, marker.record_id,
            )  # fmt: skip
        return interrupted

    def begin_run(self, metadata: RunMetadata) -> Recording:
        """Start recording a run; refuses a run ID that is being recorded right now."""
        repository = metadata.repository or self.repository
        # this process' runs, and those a killed one left (read once, when opened): no
        # folder scan per run
        for marker in [*self._markers.values(), *self._interrupted.values()]:
            if marker.record_id != metadata.record_id or marker.repository != repository:
                continue
            if marker.uuid in self._markers:
                raise UsageError(f"run {metadata.record_id} is already being recorded")
            self._log.warning(
                "recording %s again; the interrupted attempt %s is replaced",
                metadata.record_id, marker.uuid,
            )  # fmt: skip
            self.journal.finish(marker.uuid)
            del self._interrupted[marker.uuid]
        repo = self.repo(repository)
        branch = self._branch(repo)
        rec = Recording(metadata, repo.name, branch)
        self._markers[metadata.uuid] = self.journal.start(
            metadata.uuid, metadata.record_id, repo.name, branch
        )
        return rec

    @contextmanager
    def run(self, metadata: RunMetadata) -> Iterator[Recording]:
        """``with persister.run(meta) as rec:`` — an exception inside aborts the run (nothing
        is written); a normal exit calls :meth:`end_run` (its future is ``rec.future``)."""
        rec = self.begin_run(metadata)
        try:
            yield rec
        except BaseException as exc:
            self.abort(rec, f"{type(exc).__name__}: {exc}")
            raise
        if rec.state == "recording":
            rec.future = self.end_run(rec)

    def abort(self, rec: Recording, reason: str) -> None:
        """Give up a run: nothing of it is written, and the journal forgets it."""
        if rec.state in ("ending", "committed"):
            raise UsageError(f"run {rec.record_id} is already {rec.state}; it cannot be aborted")
        rec.state = "aborted"
        self._markers.pop(rec.uuid, None)
        self.journal.finish(rec.uuid)
        self._log.warning("run %s aborted (%s); nothing was written", rec.record_id, reason)

    def discard(self, name: str) -> RunMarker:
        """Forget an interrupted run (by run ID or uuid)."""
        marker = self.journal.find(name)
        if marker.alive and marker.uuid in self._markers:
            raise UsageError(f"run {name} is being recorded; abort it instead")
        if marker.alive:
            raise UsageError(
                f"run {name} is being recorded by process {marker.pid} on {marker.host}"
            )
        self.journal.finish(marker.uuid)
        self._interrupted.pop(marker.uuid, None)
        self._log.info("discarded interrupted run %s (%s)", marker.record_id, marker.uuid)
        return marker

    def end_run(self, rec: Recording, *, allow_incomplete: bool = False) -> Future[PersistResult]:
        """Queue the commit of a finished run and return at once."""
        if rec.state != "recording":
            raise UsageError(f"run {rec.record_id} is {rec.state}; end_run was called already")
        missing = rec.missing()
        if missing and not allow_incomplete:
            raise UsageError(
                f"run {rec.record_id} has no {', '.join(missing)}; nothing was written",
                hint="record them, pass allow_incomplete=True, or abort the run",
            )
        # the files are made here, while the previous save may still be committing: the
        # fits and JSON of this run overlap that save's git and disk work
        prepared = self._prepare(rec)
        with self._lock:
            blocking = self._saves.wait_for_room(self.settings.save_timeout)
            if blocking is not None:
                raise SaveTimeoutError(
                    f"the save of {blocking[0].record_id} has not finished after "
                    f"{self.settings.save_timeout:g} s ({self._saves.unfinished} runs wait to "
                    f"be committed); {rec.record_id} is kept in memory and was not written",
                    hint="check the disk and the repository lock, then call end_run again",
                )
            rec.state = "ending"
            return self._saves.submit((rec, prepared))

    def _prepare(self, rec: Recording) -> Prepared:
        """The analysis' files (fitted at collection, encoded and checked) and the problems
        found. Artifacts are not among them: they go into the cache at commit time."""
        meta_commit = self.meta.git.head_id() if self.meta is not None else None
        ctx = Context(meta_commit=meta_commit, timezone=self.settings.timezone)
        new, problems = collection_analysis(rec, self.settings.fits, ctx)
        for problem in problems:  # here, once: a batch may be committed twice
            self._log.warning("%s", problem)
        return encode_analysis(new), problems

    def _save_batch(self, batch: Sequence[Save]) -> list[PersistResult | BaseException]:
        """Commit the runs queued together: each group of consecutive runs for the same
        repository and branch with one branch move."""
        return [
            outcome
            for _, group in groupby(batch, key=lambda save: (save[0].repository, save[0].branch))
            for outcome in self._save_group(list(group))
        ]

    def _save_group(
        self, group: Sequence[Save], *, again: bool = False
    ) -> list[PersistResult | BaseException]:
        """Commit ``group``; if that fails and the branch did not move, commit it again
        once when the commit process died (a new one, or this process, takes over), else
        run by run, so one bad run does not fail the others."""
        first = group[0][0]
        before = self._head(first)
        try:
            results = self._commit(group)
        except Exception as exc:  # noqa: BLE001 — becomes the run's future's error, logged
            if self._head(first) == before:  # nothing was committed
                if isinstance(exc, CommitProcessError) and not again:
                    self._log.warning("%s; committing the batch again", exc)
                    return self._save_group(group, again=True)
                if len(group) > 1:
                    return [o for save in group for o in self._save_group([save])]
            for rec, _ in group:
                self._failed(rec, exc)
            return [exc] * len(group)
        except BaseException as exc:
            for rec, _ in group:
                self._failed(rec, exc)
            raise
        for rec, _ in group:
            rec.state = "committed"
            self._markers.pop(rec.uuid, None)
            self.journal.finish(rec.uuid)
        return list(results)

    def _head(self, rec: Recording) -> str | None:
        return self.repo(rec.repository).git.branch_head(rec.branch)

    def _failed(self, rec: Recording, exc: BaseException) -> None:
        rec.state = "recording"  # the caller may fix the cause and call end_run again
        self.failed.append(rec)
        marker = self._markers.get(rec.uuid)
        if marker is not None:
            self.journal.stage(marker, "failed")
        self._log.error("run %s was not committed: %s", rec.record_id, exc)

    def _commit(self, group: Sequence[Save]) -> list[PersistResult]:
        first = group[0][0]
        repo = self.repo(first.repository)
        runs = []
        for rec, (new, _) in group:
            if rec.artifacts:
                if self.cache is None:
                    raise UsageError(
                        f"run {rec.record_id} has artifacts but the persister no cache"
                    )
                new.files["artifacts"] = analysis_artifacts(self.cache, rec.uuid, rec.artifacts)
            previous = rec.defaults.previous_blank if rec.defaults else None
            runs.append(CollectionRun(new, previous))
        per_run = self.committer.write_collections(repo, runs, self.author, first.branch)
        head = [r.commit for results in per_run for r in results if r.commit is not None][-1]
        rel = str(repo.git.path.resolve().relative_to(self.root.resolve()))
        names = ", ".join(f"{rec.record_id} {rec.uuid}" for rec, _ in group)
        self.outbox.add(rel, first.branch, head, names)
        if self.worker is not None:
            self.worker.wake()
        indexed = None if self.indexer is None else self.indexer.request(str(repo.git.path))
        return [
            PersistResult(
                rec.record_id,
                rec.uuid,
                rec.metadata.analysis_type,
                repo.name,
                rec.branch,
                tuple(r.commit for r in results if r.commit is not None),
                tuple(p for r in results for p in r.written),
                tuple(problems),
                indexed,
            )
            for (rec, (_, problems)), results in zip(group, per_run, strict=True)
        ]

    # --- shutting down ---------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> None:
        """Wait for the saves in flight (their errors, if any, are raised by their futures)."""
        if not self._saves.wait_idle(timeout):
            raise SaveTimeoutError(
                f"{self._saves.unfinished} saves have not finished after {timeout:g} s"
            )

    def close(self, timeout: float | None = None, *, push_wait: float = 10.0) -> None:
        """Finish the pending save and the index updates, give the push worker a chance,
        stop the threads."""
        try:
            self.flush(timeout)
        finally:
            self._saves.close()
            self.committer.close()
            if self.indexer is not None:
                self.indexer.stop(timeout)
            if self.worker is not None:
                self.worker.wait_idle(push_wait)
                self.worker.stop()

    def __enter__(self) -> Persister:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
