"""Keeps the SQL index following the persister's commits, in the background.

The index is derived from git, so acquisition never waits for it: each commit asks for a
sync of its repository and gets a :class:`~concurrent.futures.Future` that resolves to
``None`` once a sync covering that commit has finished, or to the error that stopped it
(the database is down, say). Requests that arrive while a sync runs are served by the next
one, so a burst of runs costs one sync, not one per run; whatever a failed sync left out,
the next ``ardvc index sync`` catches up (sync diffs from the last indexed commit).

A request waits ``settle_s`` for company before its sync starts: during acquisition a run
ends every few tens of milliseconds, and one sync of ten analyses costs little more than a
sync of one, while each sync competes with the saves for the interpreter. Waiting on a
request's future (``result()``, ``exception()``) or on :meth:`IndexWorker.wait_idle` ends
the wait at once, so whoever needs the index current never pays for the settling.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from ardvc.errors import ArdvcError
from ardvc.index.catalog import Catalog
from ardvc.logs import get_logger

SETTLE_S = 0.2
"""How long a sync request waits for others to join it."""


class _Indexed(Future[str | None]):
    """A request's outcome; waiting on it asks the worker to sync now."""

    def __init__(self, worker: IndexWorker) -> None:
        super().__init__()
        self._worker = worker

    def result(self, timeout: float | None = None) -> Any:
        self._worker.flush()
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._worker.flush()
        return super().exception(timeout)


class IndexWorker:
    """One thread syncing the repositories it is asked about."""

    def __init__(self, catalog: Catalog, settle_s: float = SETTLE_S) -> None:
        self.catalog = catalog
        self.settle_s = settle_s
        self._waiting: dict[str, list[Future[str | None]]] = {}
        self._cond = threading.Condition()
        self._stopping = False
        self._flush = False
        self._busy = False
        self._log = get_logger("index")
        self._thread = threading.Thread(target=self._loop, name="ardvc-index", daemon=True)
        self._thread.start()

    def request(self, path: str) -> Future[str | None]:
        """Sync the repository at ``path`` soon; the future says how it went."""
        future: Future[str | None] = _Indexed(self)
        with self._cond:
            if self._stopping:
                future.set_result("the index worker was stopped before the sync")
                return future
            self._waiting.setdefault(path, []).append(future)
            self._cond.notify()
        return future

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._waiting and not self._stopping:
                    self._cond.wait()
                if not self._waiting:
                    return
                deadline = time.monotonic() + self.settle_s
                while not (self._stopping or self._flush):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                self._flush = False
                batch, self._waiting = self._waiting, {}
                self._busy = True
            for path, futures in batch.items():
                outcome = self._sync(path)
                for future in futures:
                    future.set_result(outcome)
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def _sync(self, path: str) -> str | None:
        try:
            self.catalog.sync_path(path)
        except (ArdvcError, SQLAlchemyError, OSError) as exc:
            message = f"{type(exc).__name__}: {exc}"
            self._log.warning(
                "committed to %s, but the index was not updated: %s (ardvc index sync "
                "catches up)", path, message,
            )  # fmt: skip
            return message
        return None

    def flush(self) -> None:
        """Start the pending sync now instead of letting it settle."""
        with self._cond:
            if self._waiting:
                self._flush = True
                self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Until every request made so far has been served."""
        self.flush()
        with self._cond:
            return self._cond.wait_for(lambda: not self._waiting and not self._busy, timeout)

    def stop(self, timeout: float | None = None) -> None:
        """Serve what is queued, then end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)
