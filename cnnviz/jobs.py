"""Many students at once: the server-wide gate, and one student's training job behind it.

    gate = TrainingGate(max_trainings_from_env())        # one per server
    job = TrainingJob(build_model, dataset, config, gate, run=pool.train)
    job.start(); ...; job.snapshot()                     # the page polls; job.stop() on Stop

A job is a thread that waits at the gate, then calls `run(build_model, dataset, config,
on_progress, should_stop, on_filters)`: the app passes `cnnviz.workers.WorkerPool.train` (a training in a
worker process), a test may pass `cnnviz.training.train_built`. So this module loads neither
Keras nor the workers, and never calls Streamlit.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cnnviz.curves import Curves, Progress, TrainResult
from cnnviz.data import Dataset
from cnnviz.errors import CnnvizError, error_reason
from cnnviz.recipes import TrainConfig

__all__ = ["JobSnapshot", "RunTraining", "TrainingGate", "TrainingJob", "max_trainings_from_env"]

# run(build_model, dataset, config, on_progress, should_stop, on_filters) -> TrainResult
RunTraining = Callable[
    [
        Callable[[], object],
        Dataset,
        TrainConfig,
        Callable[[Progress], None],
        threading.Event,
        Callable[[np.ndarray], None],
    ],
    TrainResult,
]


def max_trainings_from_env(default: int = 2) -> int:
    """The server-wide limit on trainings at once: $CNNVIZ_MAX_TRAININGS (at least 1) or 2."""
    try:
        return max(1, int(os.environ.get("CNNVIZ_MAX_TRAININGS", default)))
    except ValueError:
        return default


class TrainingGate:
    """At most `limit` trainings at once in the whole server; the others wait in arrival order."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, int(limit))
        self._changed = threading.Condition()
        self._running: set[object] = set()
        self._waiting: deque[object] = deque()

    def enter(self, ticket: object, cancelled: Callable[[], bool], poll: float = 0.2) -> bool:
        """Wait until `ticket` may train (True), or until `cancelled()` (False, left the queue)."""
        with self._changed:
            self._waiting.append(ticket)
            while not (self._waiting[0] is ticket and len(self._running) < self.limit):
                if cancelled():
                    self._waiting.remove(ticket)
                    self._changed.notify_all()
                    return False
                self._changed.wait(poll)
            self._waiting.popleft()
            self._running.add(ticket)
            self._changed.notify_all()
            return True

    def leave(self, ticket: object) -> None:
        """`ticket` has finished training: let the next in line in."""
        with self._changed:
            self._running.discard(ticket)
            self._changed.notify_all()

    def position(self, ticket: object) -> int:
        """1 for the next in line, 2 behind it …; 0 when `ticket` is not waiting."""
        with self._changed:
            for number, waiting in enumerate(self._waiting, start=1):
                if waiting is ticket:
                    return number
            return 0

    @property
    def running(self) -> int:
        with self._changed:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._changed:
            return len(self._waiting)


@dataclass
class JobSnapshot:
    """A copy of a job's state for the page: nothing in it changes while the page draws it."""

    status: str  # "new", "waiting", "running", "finished", "stopped", "failed"
    queue_position: int
    curves: Curves | None
    seconds_left: float | None
    result: TrainResult | None
    error: CnnvizError | None
    # the first Conv2D layer's latest kernel (kh, kw, C_in, F ≤ 64), float32; None for an MLP
    # or before training has begun
    filters: np.ndarray | None = None

    @property
    def active(self) -> bool:
        return self.status in ("waiting", "running")


class TrainingJob:
    """One student's training in its own thread, behind the server's gate; never calls Streamlit.

    `run` does the training (see the module's docstring); `build_model` is handed to it once the
    gate lets the job in, so a queued job holds no model. The page calls `start()`, `stop()` and
    `snapshot()`; when the thread ends, the job keeps only the result (the trained model,
    curves and test predictions) or the error.
    """

    def __init__(
        self,
        build_model: Callable[[], object],
        dataset: Dataset,
        config: TrainConfig,
        gate: TrainingGate | None = None,
        name: str = "model",
        *,
        run: RunTraining,
    ) -> None:
        self.name = name
        self.config = config
        self._run_training = run
        self._build_model: Callable[[], object] | None = build_model
        self._dataset: Dataset | None = dataset
        self._gate = gate
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._curves: Curves | None = None
        self._filters: np.ndarray | None = None
        self._status = "new"
        self._result: TrainResult | None = None
        self._error: CnnvizError | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start training in a new thread (once)."""
        if self._thread is not None:
            return
        self._status = "waiting" if self._gate is not None else "running"
        self._thread = threading.Thread(target=self._run, name=f"training-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask training to end after the batch it is on (or leave the queue)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the thread has ended (tests, benchmarks); True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.done

    @property
    def done(self) -> bool:
        return self._status in ("finished", "stopped", "failed")

    @property
    def status(self) -> str:
        return self._status

    @property
    def queue_position(self) -> int:
        return self._gate.position(self) if self._gate is not None else 0

    @property
    def result(self) -> TrainResult | None:
        return self._result

    @property
    def error(self) -> CnnvizError | None:
        return self._error

    def snapshot(self) -> JobSnapshot:
        """The state, with copies of the curves so far and the latest first-conv kernel (the
        training hands over a new array each time: this one is never written to)."""
        with self._lock:
            curves = self._curves.copy() if self._curves is not None else None
            filters = self._filters
        if self._result is not None:
            curves = self._result.curves
        left = curves.seconds_left() if curves is not None and not self.done else None
        return JobSnapshot(
            self._status, self.queue_position, curves, left, self._result, self._error, filters
        )

    def _on_progress(self, progress: Progress) -> None:
        with self._lock:
            if self._curves is None:
                steps = progress.total_steps // max(self.config.epochs, 1)
                self._curves = Curves(steps, progress.total_steps)
            self._curves.add(progress)

    def _on_filters(self, kernel: np.ndarray) -> None:
        with self._lock:
            self._filters = kernel

    def _run(self) -> None:
        admitted = False
        try:
            if self._gate is not None:
                admitted = self._gate.enter(self, self._stop.is_set)
                if not admitted:
                    self._status = "stopped"
                    return
            self._status = "running"
            self._result = self._run_training(
                self._build_model,
                self._dataset,
                self.config,
                self._on_progress,
                self._stop,
                self._on_filters,
            )
            self._status = "stopped" if self._result.stopped else "finished"
        except CnnvizError as error:
            self._error = error
            self._status = "failed"
        except Exception as error:  # whatever the backend raises must reach the page, not vanish
            self._error = CnnvizError("train.failed", reason=error_reason(error))
            self._status = "failed"
        finally:
            if admitted:
                self._gate.leave(self)
            self._build_model = None  # the job keeps the result only
            self._dataset = None
            with self._lock:
                self._curves = None
