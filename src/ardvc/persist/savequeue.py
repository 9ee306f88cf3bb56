"""Saves committed in order by one thread, in batches: the runs that ended while a batch
was committing are committed together, as the next batch.

A lone run is saved at once, as it would be alone. When runs end faster than they are
committed, the fixed cost of publishing (moving the branch, rewriting the git index of the
working tree, queueing the push, asking for an index sync) is shared by the batch instead
of growing a backlog. At most ``limit`` saves are unfinished (queued or committing);
:meth:`SaveQueue.wait_for_room` bounds the wait for a place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


class SaveQueue(Generic[Item, Outcome]):
    """One thread handing everything queued so far to ``commit_batch`` (one outcome or
    error per item, in order)."""

    def __init__(
        self,
        commit_batch: Callable[[Sequence[Item]], Sequence[Outcome | BaseException]],
        *,
        limit: int,
        name: str = "ardvc-save",
        setup: Callable[[], None] | None = None,
    ) -> None:
        if limit < 1:
            raise ValueError(f"a save queue holds at least one save, not {limit}")
        self.limit = limit
        self._commit_batch = commit_batch
        self._queued: list[tuple[Item, Future[Outcome]]] = []
        self._committing: list[Item] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._setup = setup
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    @property
    def unfinished(self) -> int:
        with self._cond:
            return len(self._queued) + len(self._committing)

    def wait_for_room(self, timeout: float | None) -> Item | None:
        """Wait until fewer than ``limit`` saves are unfinished; ``None`` when there is room,
        else (after ``timeout``) the oldest unfinished item, the one holding things up."""
        with self._cond:
            if self._cond.wait_for(lambda: self._room(), timeout):
                return None
            return (self._committing or [q for q, _ in self._queued])[0]

    def _room(self) -> bool:
        return len(self._queued) + len(self._committing) < self.limit

    def submit(self, item: Item) -> Future[Outcome]:
        """Queue ``item`` (call :meth:`wait_for_room` first to respect ``limit``)."""
        future: Future[Outcome] = Future()
        with self._cond:
            if self._stopping:
                raise RuntimeError("the save queue is closed")
            self._queued.append((item, future))
            self._cond.notify_all()
        return future

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Until every save submitted so far has finished."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queued and not self._committing, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Commit what is queued, then end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def _loop(self) -> None:
        if self._setup is not None:
            self._setup()  # on this thread (see the persister's commit process)
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queued) or self._stopping)
                if not self._queued:
                    return
                batch, self._queued = self._queued, []
                self._committing = [item for item, _ in batch]
            try:
                outcomes: Sequence[Outcome | BaseException] = self._commit_batch(self._committing)
                if len(outcomes) != len(batch):
                    raise RuntimeError(
                        f"a batch of {len(batch)} saves gave {len(outcomes)} outcomes"
                    )
            except BaseException as exc:  # noqa: BLE001 — set on every future of the batch
                outcomes = [exc] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
            with self._cond:
                self._committing = []
                self._cond.notify_all()
