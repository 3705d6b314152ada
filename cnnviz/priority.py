"""Students waiting for a page come before training batches.

On a classroom server a few trainings share the CPU with everybody else's pages. TensorFlow runs
both in one pool of threads, so a student's feature maps wait behind the trainings' batches and a
photo's predictions take seconds instead of a fraction of one. app.py runs every page inside
`PRIORITY.page_run()`; a training calls `PRIORITY.let_pages_run_first()` before each batch and
waits there while a page run is in progress, for at most `MAX_PAUSE` seconds a batch, so a
training always moves on. A page run counts for its first `PAGE_PRIORITY_SECONDS` only: a long
one (a dataset download) does not hold the trainings back.

The app trains in worker processes (`cnnviz.workers`), where the operating system's scheduler
puts the pages first and this wait has nothing to wait for; it matters for trainings in the
server's own threads ($CNNVIZ_TRAINING_WORKERS=0, and `TrainingJob` without workers).

No Keras here: app.py imports this before any lesson has loaded a model.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

MAX_PAUSE = 1.0  # seconds a training waits before one batch at most
PAGE_PRIORITY_SECONDS = 5.0  # a page run older than this no longer holds trainings back


class Priority:
    """Page runs in progress, and the wait of the trainings for them."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._runs: dict[int, float] = {}  # token -> start (time.monotonic())
        self._tokens = itertools.count()

    def _recent(self) -> tuple[list[float], float]:
        """Starts of the runs in progress that still count, and the oldest start that counts
        (call holding the lock)."""
        since = time.monotonic() - PAGE_PRIORITY_SECONDS
        return [start for start in self._runs.values() if start > since], since

    def running(self) -> int:
        """How many page runs started less than `PAGE_PRIORITY_SECONDS` ago are in progress."""
        with self._changed:
            return len(self._recent()[0])

    @contextmanager
    def page_run(self) -> Iterator[None]:
        """Mark a page run (a student waiting for the page) while the block runs."""
        token = next(self._tokens)
        with self._changed:
            self._runs[token] = time.monotonic()
        try:
            yield
        finally:
            with self._changed:
                del self._runs[token]
                self._changed.notify_all()

    def let_pages_run_first(self, limit: float = MAX_PAUSE) -> float:
        """Wait until no recent page run is in progress, `limit` seconds at most; the wait."""
        start = time.monotonic()
        deadline = start + limit
        with self._changed:
            while (left := deadline - time.monotonic()) > 0:
                recent, since = self._recent()
                if not recent:
                    break
                # wake when a run ends, or when the oldest recent one stops counting
                self._changed.wait(min(left, min(recent) - since))
        return time.monotonic() - start


PRIORITY = Priority()
