"""Worker processes that store chunks of files (:func:`ardvc.cache.ingest.store_chunks`).

Each worker runs :func:`ardvc.cache.ingest.serve`
(:func:`ardvc.processes.serving_command`). A worker reads its whole share
of chunks first, then answers chunk by chunk, so neither side can block the other on a
full pipe.
"""

from __future__ import annotations

import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator

from ardvc.cache import ingest
from ardvc.errors import CacheError
from ardvc.logs import get_logger
from ardvc.processes import serving_command

Replies = queue.Queue[tuple[int, ingest.Reply | BaseException]]


def available() -> bool:
    """Worker processes can be started (an interpreter to start is known)."""
    return bool(sys.executable)


class Workers:
    """``jobs`` worker processes, started before their work is known (they boot while the
    folder is still being listed); :meth:`close` kills any still running."""

    def __init__(self, jobs: int) -> None:
        command = serving_command(ingest.__name__)
        self.procs: list[subprocess.Popen[bytes]] = []
        try:
            for _ in range(jobs):
                self.procs.append(
                    subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                )
        except BaseException:
            self.close()
            raise

    def run(
        self, target: ingest.Target, chunks: list[list[ingest.Item]]
    ) -> Iterator[tuple[int, ingest.Reply]]:
        """``(index, reply)`` per chunk, in the order they finish; each worker takes every
        ``jobs``-th chunk. A worker's error is raised here; a worker that dies raises
        :class:`CacheError` (what it stored is complete: see :mod:`ardvc.cache.ingest`)."""
        replies: Replies = queue.Queue()
        jobs = len(self.procs)
        for n, proc in enumerate(self.procs):
            share = [(i, chunks[i]) for i in range(n, len(chunks), jobs)]
            threading.Thread(target=_talk, args=(proc, target, share, replies), daemon=True,
                             name=f"ardvc-add-worker-{n}").start()  # fmt: skip
        for _ in chunks:
            index, reply = replies.get()
            if isinstance(reply, BaseException):
                raise reply
            yield index, reply

    def close(self) -> None:
        """Stop the workers: done ones exit by themselves; one never given work, or still
        working when its caller gave up, is killed (it leaves nothing partial)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()
        self.procs = []


def _talk(
    proc: subprocess.Popen[bytes],
    target: ingest.Target,
    share: list[tuple[int, list[ingest.Item]]],
    replies: Replies,
) -> None:
    """Hand one worker its chunks and pass its replies on (one thread per worker)."""
    assert proc.stdin is not None and proc.stdout is not None
    try:
        with proc.stdin:
            pickle.dump((target, share), proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        for _ in share:
            replies.put(pickle.load(proc.stdout))
    except (EOFError, OSError, ValueError, pickle.UnpicklingError) as exc:
        # ValueError: the pipe was closed under this read (the add gave up: close())
        get_logger("cache").debug("add worker %s: %r", proc.pid, exc)
        replies.put((-1, CacheError(
            f"an add worker process (pid {proc.pid}) died; every object it named is complete, "
            "nothing partial is in the cache",
            hint="run ardvc add again (cache.processes = 1 adds without worker processes)",
        )))  # fmt: skip
