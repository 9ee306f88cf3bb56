"""The persister's commits, made in a process of their own.

Why: committing a run (blobs, trees, four commits, the working tree, the git index) and
recording the next run (fits, JSON) each cost milliseconds of CPU per analysis. In one
process they take turns on the interpreter lock; in two they run side by side, one core
each, which is what keeps an acquisition computer ahead of its instrument.

The commit process is ``python -m ardvc.persist.committer`` (not ``multiprocessing``, which
would re-import the acquisition program's main script in the child). Requests and answers
are pickled frames on its stdin and stdout: both ends are this package. The process takes
the repository's commit lock like any other writer, ends when its parent closes the pipe,
and on Linux is killed with its parent, so a killed acquisition leaves no commit running
behind it. Log records made in the child are sent back and logged by the parent.

If the process cannot be started, commits are made in the calling thread instead, with a
warning. If it dies during a batch, :class:`CommitProcessError` is raised (the persister
commits the batch again when its branch did not move) and the next call starts a new
process.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import pygit2

from ardvc.data import DataRepo
from ardvc.data.write import CollectionRun, write_collections
from ardvc.errors import ArdvcError
from ardvc.gitstore import Author, CommitResult
from ardvc.gitstore.repo import CommitPolicy, GitRepo
from ardvc.logs import LOGGER_NAME, get_logger

_HEADER = struct.Struct("!Q")
_PR_SET_PDEATHSIG = 1


class CommitProcessError(ArdvcError):
    """The commit process died or answered something that is not an answer."""


# --- the framing both ends use -------------------------------------------------------------


def _send(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    """The next message, or ``EOFError`` when the other end has gone."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # frames come from this package's own child


# --- the parent's side ---------------------------------------------------------------------


class Committer:
    """Commits runs with :func:`write_collections`, in a child process when it can."""

    def __init__(self, *, use_process: bool = True) -> None:
        self.use_process = use_process
        self._child: subprocess.Popen[bytes] | None = None
        self._answered = False
        """Whether a commit process has answered a request (it can start)."""
        self._lock = threading.Lock()
        self._log = get_logger("persist")

    @property
    def pid(self) -> int | None:
        """The commit process' pid, when one is running."""
        return self._child.pid if self._child is not None else None

    def start(self) -> None:
        """Start the commit process now (it is started at the first commit otherwise), so
        its start-up overlaps the first run's recording."""
        with self._lock:
            if self.use_process and self._child is None:
                self._spawn()

    def write_collections(
        self, repo: DataRepo, runs: Sequence[CollectionRun], author: Author, branch: str
    ) -> list[list[CommitResult]]:
        """As :func:`ardvc.data.write.write_collections`, in the commit process. If that
        process dies, :class:`CommitProcessError` is raised (the caller decides whether the
        batch is committed again) and the next call starts a new one — or commits here, if
        no process ever answered (one cannot start)."""
        with self._lock:
            if self.use_process and self._child is None:
                self._spawn()
            if self._child is None:
                return write_collections(repo, runs, author, branch=branch)
            try:
                status, payload, records = self._ask(repo, runs, author, branch)
            except CommitProcessError:
                if not self._answered:
                    self.use_process = False
                raise
            self._answered = True
        for record in records:
            logger = logging.getLogger(record.name)
            if logger.isEnabledFor(record.levelno):
                logger.handle(record)
        if status == "ok":
            results: list[list[CommitResult]] = payload
            hook = repo.git.policy.on_commit
            if hook is not None:  # runs here: the hook belongs to this process
                hook(
                    repo.git, [p for run in results for r in run for p in (*r.written, *r.deleted)]
                )
            return results
        if isinstance(payload, BaseException):
            raise payload
        raise CommitProcessError(f"the commit failed in the commit process: {payload}")

    def _ask(
        self, repo: DataRepo, runs: Sequence[CollectionRun], author: Author, branch: str
    ) -> tuple[str, Any, list[logging.LogRecord]]:
        child = self._child
        assert child is not None and child.stdin is not None and child.stdout is not None
        policy = replace(repo.git.policy, on_commit=None)  # called here after the answer
        request = (str(repo.git.path), policy, list(runs), author, branch)
        try:
            _send(child.stdin, request)
            answer: tuple[str, Any, list[logging.LogRecord]] = _receive(child.stdout)
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            self._child = None
            code = _reap(child)
            raise CommitProcessError(
                f"the commit process (pid {child.pid}) ended during a commit of "
                f"{repo.name} (exit status {code})",
                hint="a new commit process starts with the next save",
            ) from exc
        return answer

    def close(self, timeout: float = 10.0) -> None:
        """Let the commit process finish and end (it ends when its input closes)."""
        with self._lock:
            child, self._child = self._child, None
        if child is None:
            return
        assert child.stdin is not None
        with contextlib.suppress(OSError):  # already gone: nothing to close
            child.stdin.close()
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            self._log.warning("the commit process %d did not end; killing it", child.pid)
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()

    def _spawn(self) -> subprocess.Popen[bytes] | None:
        env = dict(os.environ)
        # the child imports the same ardvc as this process, installed or not
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        try:
            self._child = subprocess.Popen(
                # the parent's pid names the process in ps (and lets tests find it)
                [sys.executable, "-m", "ardvc.persist.committer", "--parent", str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                close_fds=True,
            )
        except OSError as exc:
            self.use_process = False
            self._log.warning(
                "cannot start the commit process (%s); committing in this process instead", exc
            )
        return self._child


def _reap(child: subprocess.Popen[bytes]) -> int | None:
    try:
        return child.wait(5)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.wait()


# --- the child's side ----------------------------------------------------------------------


class _Collect(logging.Handler):
    """Keeps the records of one request, ready to be pickled back to the parent."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        record.exc_info, record.exc_text = None, None
        self.records.append(record)


def _die_with_parent(parent: int) -> None:
    """On Linux, be killed when the parent dies, even mid-commit (elsewhere the child ends
    when it next reads its closed input)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


def _answer(request: tuple[str, CommitPolicy, list[CollectionRun], Author, str]) -> Any:
    path, policy, runs, author, branch = request
    repo = _repos.get(path)
    if repo is None:
        repo = _repos[path] = DataRepo(GitRepo(Path(path), policy))
    return write_collections(repo, runs, author, branch=branch)


_repos: dict[str, DataRepo] = {}


def _portable(exc: Exception) -> Exception | str:
    """The error itself if the parent can rebuild it from a pickle, else its text."""
    try:
        rebuilt = pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 — any failure means: send the text
        return f"{type(exc).__name__}: {exc}"
    return exc if isinstance(rebuilt, Exception) else f"{type(exc).__name__}: {exc}"


def main(argv: Sequence[str]) -> None:
    if len(argv) != 2 or argv[0] != "--parent" or not argv[1].isdigit():
        raise SystemExit("usage: python -m ardvc.persist.committer --parent PID (started by ardvc)")
    _die_with_parent(int(argv[1]))
    # this process writes objects only from trees it builds itself: the existence checks
    # of strict object creation re-read what it has just written
    pygit2.settings.enable_strict_object_creation(False)
    collect = _Collect()
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(collect)
    logger.setLevel(logging.INFO)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing may print into the answers
    while True:
        try:
            request = _receive(stdin)
        except EOFError:
            return
        collect.records = []
        try:
            answer: tuple[str, object, list[logging.LogRecord]] = (
                "ok", _answer(request), collect.records
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 — every error goes back to the parent
            answer = ("error", _portable(exc), collect.records)
        try:
            _send(stdout, answer)
        except (pickle.PicklingError, TypeError, AttributeError):
            _send(stdout, ("error", f"{type(answer[1]).__name__}: {answer[1]}", []))


if __name__ == "__main__":
    main(sys.argv[1:])
