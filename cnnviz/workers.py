"""Trainings in worker processes, so that students' pages come first.

A training in the server's own process shares Python's GIL and the cores with every student's
page: on two cores, forty students waiting for their feature maps wait behind two trainings. A
worker is a separate Python process at the lowest OS priority ($CNNVIZ_TRAINING_NICE, 19 by
default: nice 19 and SCHED_IDLE on Linux, nice 19 on macOS, the idle priority class on Windows):
the operating system gives the cores to the server first, and the two never share a GIL. When no
page is running, a worker has the cores to itself.

Workers are started with `multiprocessing`'s "spawn" context, the one start method of every
operating system (Windows and macOS have no fork for a threaded server), and talk over its
`Pipe`. Each worker trains one job and exits, so all the memory a training took goes back to
the system. `WorkerPool` keeps a spare worker started (Keras already imported and the backend
started on its device, ~4 s on two cores), so a training starts without waiting for that; it
starts the next spare when a training ends. Under JAX, workers share a cache of compiled
programs on disk.

    pool = WorkerPool()
    result = pool.train(build_model, dataset, config, on_progress, should_stop, on_filters)

`build_model` must pickle (a module-level function or a `functools.partial` of one): the worker
builds and trains the model, the server builds the same model again and copies the trained
weights in. Messages (each a pickled tuple):

    worker -> server: ("ready",)  [("progress", [Progress, ...], kernel or None)]*
                      ("done", result, weights) or ("error", key, values, kind)
    server -> worker: ("train", build_model, dataset, config)  then maybe ("stop",)

A progress message carries the first Conv2D layer's newest kernel (`training.first_conv_kernel`,
at most 64 filters: a few KB) when the training has handed one over since the last message.

Only the standard library and psutil at the top: a worker lowers its priority before it
imports Keras.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path

import psutil

from cnnviz.quiet import quiet_tensorflow

log = logging.getLogger(__name__)

START_TIMEOUT = 180.0  # seconds a worker may take to import Keras (a busy two-core machine)
STOP_GRACE = 60.0  # seconds a worker has to finish its batch and score after Stop
PROGRESS_EVERY = 0.25  # a worker sends its batch reports at most this often (seconds)
SPAWN = multiprocessing.get_context("spawn")


# A GPU is shared by the server (feature maps) and the training processes: without these, JAX
# takes 75 % of its memory and TensorFlow all of it in the first process that uses it.
GPU_SHARING = {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", "TF_FORCE_GPU_ALLOW_GROWTH": "true"}


# Each worker is a new process, so JAX would compile every training's steps from nothing (on an
# H100, a worker's training took twice as long as the same one in a process that had compiled it
# before): workers keep JAX's compiled programs in a cache on disk that the next one reads.
JAX_CACHE = {
    "JAX_COMPILATION_CACHE_DIR": str(Path(tempfile.gettempdir()) / "cnnviz-jax-cache"),
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0.2",
    "JAX_COMPILATION_CACHE_MAX_SIZE": str(256 * 2**20),  # bytes; least recently used go first
}


def share_the_gpu(environ: dict | None = None) -> None:
    """Set `GPU_SHARING` in the environment (os.environ) where it is not set already; call
    before Keras is imported."""
    environ = os.environ if environ is None else environ
    for name, value in GPU_SHARING.items():
        environ.setdefault(name, value)


def nice_from_env(default: int = 19) -> int:
    """How much lower than the server a worker runs: $CNNVIZ_TRAINING_NICE (0-19) or 19."""
    try:
        return min(19, max(0, int(os.environ.get("CNNVIZ_TRAINING_NICE", default))))
    except ValueError:
        return default


def lower_priority(nice: int) -> list[str]:
    """Lower this process's priority by `nice` (0-19); what was done: "nice", "idle".

    Through psutil: on Windows the idle priority class for 19 (below normal for less), elsewhere
    the nice value raised by `nice` (at most 19). At 19, where the OS has it (Linux), also the
    SCHED_IDLE policy: the worker runs only when a core is free. Whatever the OS refuses is
    logged once and left as it was: the training still runs, only at the server's priority.
    """
    done: list[str] = []
    if nice <= 0:
        return done
    try:
        me = psutil.Process()
        if psutil.WINDOWS:
            low = psutil.IDLE_PRIORITY_CLASS if nice >= 19 else psutil.BELOW_NORMAL_PRIORITY_CLASS
            me.nice(low)
        else:
            me.nice(min(19, me.nice() + nice))
        done.append("nice")
    except (psutil.Error, OSError, AttributeError) as error:
        log.warning("the training process keeps the server's priority: %s", error)
    set_scheduler = getattr(os, "sched_setscheduler", None)
    idle = getattr(os, "SCHED_IDLE", None)
    if nice >= 19 and set_scheduler is not None and idle is not None:
        try:
            set_scheduler(0, idle, os.sched_param(0))
            done.append("idle")
        except OSError as error:
            log.warning("the training process runs without SCHED_IDLE: %s", error)
    return done


class WorkerFailed(RuntimeError):
    """The worker process ended before it sent a result (killed, out of memory, crashed)."""


class Worker:
    """One started worker process and the server's end of its pipe.

    `initializer` (a picklable function) runs first in the worker, before it lowers its priority
    and imports Keras, as `multiprocessing.Pool`'s does.
    """

    def __init__(self, nice: int, initializer: Callable[[], None] | None = None) -> None:
        ours, theirs = SPAWN.Pipe()
        self.process = SPAWN.Process(
            target=serve, args=(theirs, nice, initializer), name="cnnviz-training", daemon=True
        )
        self.process.start()
        theirs.close()  # the worker holds its own end now
        self._connection = ours
        self._ready = False

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        """Whether the process still runs. A process killed while its threads were busy (Keras
        importing) is a zombie before the OS lets it be reaped, and `is_alive` says True until
        then: psutil sees the zombie at once."""
        if not self.process.is_alive():
            return False
        try:
            return psutil.Process(self.process.pid).status() != psutil.STATUS_ZOMBIE
        except psutil.Error:  # gone already, or not ours to look at: only is_alive can say
            return True

    def wait_ready(self, timeout: float) -> None:
        """Wait until Keras is imported in the worker (WorkerFailed after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while not self._ready:
            if time.monotonic() > deadline:
                raise WorkerFailed(f"the training process did not start in {timeout:.0f} s")
            if self._poll(0.2):
                message = self._receive()
                self._ready = message[0] == "ready"

    def train(
        self,
        build_model,
        dataset,
        config,
        on_progress,
        should_stop: Callable[[], bool],
        on_filters: Callable | None = None,
    ):
        """Run `training.train_built` in the worker; the result (a `TrainResult`) holds a model
        built here with the trained weights. Raises what the training raised (CnnvizError or
        its subclass) or WorkerFailed."""
        try:
            self._connection.send(("train", build_model, dataset, config))
        except (OSError, EOFError) as error:  # the process has died since it said ready
            raise self._ended() from error
        stop_sent_at = None
        while True:
            if stop_sent_at is None and should_stop():
                self._connection.send(("stop",))
                stop_sent_at = time.monotonic()
            if stop_sent_at is not None and time.monotonic() - stop_sent_at > STOP_GRACE:
                raise WorkerFailed(f"the training did not stop within {STOP_GRACE:.0f} s")
            if not self._poll(0.2):
                continue
            message = self._receive()
            if message[0] == "progress":
                _, reports, kernel = message
                for progress in reports:
                    if on_progress is not None:
                        on_progress(progress)
                if kernel is not None and on_filters is not None:
                    on_filters(kernel)
            elif message[0] == "done":
                _, result, weights = message
                model = build_model()
                model.set_weights(weights)
                return replace(result, model=model)
            elif message[0] == "error":
                _, key, values, kind = message
                raise _error_class(kind)(key, **values)

    def close(self) -> None:
        """End the process (if it still runs) and close the pipe."""
        self._connection.close()
        if self.alive:
            self.process.terminate()
        self.process.join(10)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()

    def _poll(self, seconds: float) -> bool:
        try:
            return self._connection.poll(seconds)
        except (OSError, EOFError) as error:
            raise self._ended() from error

    def _receive(self) -> tuple:
        try:
            return self._connection.recv()
        except (OSError, EOFError) as error:
            raise self._ended() from error

    def _ended(self) -> WorkerFailed:
        self.process.join(5)
        code = self.process.exitcode
        return WorkerFailed(f"the training process ended unexpectedly (exit code {code})")


class WorkerPool:
    """Starts workers at a lower priority and keeps `spares` of them started for the next training.

    Shared by the whole server; every method may be called from any thread.
    """

    def __init__(
        self,
        spares: int = 1,
        nice: int | None = None,
        initializer: Callable[[], None] | None = None,
    ) -> None:
        self.spares = max(0, spares)
        self.nice = nice_from_env() if nice is None else nice
        self.initializer = initializer
        self._lock = threading.Lock()
        self._spare: list[Worker] = []
        self._running: set[Worker] = set()

    def _start(self) -> Worker:
        return Worker(self.nice, self.initializer)

    def warm(self) -> None:
        """Start spare workers until there are `spares` (returns at once: they start alone)."""
        with self._lock:
            self._spare = [worker for worker in self._spare if worker.alive]
            while len(self._spare) < self.spares:
                self._spare.append(self._start())

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Start the spares and wait until they have imported Keras (benchmarks, tests)."""
        self.warm()
        with self._lock:
            spares = list(self._spare)
        for worker in spares:
            worker.wait_ready(timeout)

    def take(self) -> Worker:
        """A started worker for one training: a spare if there is one, else a new one.

        The spare is replaced when a training ends, not now: a new spare importing Keras would
        take half the cores from the training that has just begun.
        """
        with self._lock:
            worker = None
            while self._spare and worker is None:
                candidate = self._spare.pop(0)
                worker = candidate if candidate.alive else None
            worker = worker or self._start()
            self._running.add(worker)
        return worker

    def train(
        self, build_model, dataset, config, on_progress=None, should_stop=None, on_filters=None
    ):
        """`training.train(build_model(), dataset, config, ...)` in a worker process: a
        `TrainResult`. `should_stop` is an Event or a function; `on_filters` gets the first
        conv kernels the training hands over. The `run` of a `TrainingJob`."""
        stop_requested = should_stop.is_set if hasattr(should_stop, "is_set") else should_stop
        stop_requested = stop_requested or (lambda: False)
        worker = self.take()
        try:
            # Stop pressed meanwhile still gives the model as it is
            worker.wait_ready(START_TIMEOUT)
            return worker.train(
                build_model, dataset, config, on_progress, stop_requested, on_filters
            )
        finally:
            worker.close()
            with self._lock:
                self._running.discard(worker)
            self.warm()

    @property
    def pids(self) -> list[int]:
        """Process ids of the workers alive now (spares and trainings)."""
        with self._lock:
            return [w.pid for w in [*self._spare, *self._running] if w.alive]

    @property
    def training_pids(self) -> list[int]:
        """Process ids of the workers given a training."""
        with self._lock:
            return [w.pid for w in self._running if w.alive]

    def close(self) -> None:
        """End the spare workers (trainings end when their jobs do)."""
        with self._lock:
            spares, self._spare = self._spare, []
        for worker in spares:
            worker.close()


def _error_class(kind: str) -> type:
    """The CnnvizError subclass named `kind` (CnnvizError for any other name)."""
    from cnnviz import errors

    found = getattr(errors, kind, errors.CnnvizError)
    is_ours = isinstance(found, type) and issubclass(found, errors.CnnvizError)
    return found if is_ours else errors.CnnvizError


# --- the worker's side -----------------------------------------------------------------------------


def serve(connection: Connection, nice: int, initializer: Callable[[], None] | None = None) -> None:
    """The worker process: lower its priority, import Keras, train the one job that comes."""
    if initializer is not None:
        initializer()
    lower_priority(nice)
    share_the_gpu()
    quiet_tensorflow()  # a worker started by other code than app.py
    for name, value in JAX_CACHE.items():
        os.environ.setdefault(name, value)
    # the server may go at any moment: then there is nobody to tell
    with connection, suppress(BrokenPipeError, ConnectionResetError, EOFError):
        _serve(connection)


def _serve(connection: Connection) -> None:
    """Import Keras, say ready, train the one job that comes, send the result."""
    from cnnviz import patches, training
    from cnnviz.errors import CnnvizError, error_reason

    patches.skip_single_replica_all_reduce()
    training.start_the_device()
    connection.send(("ready",))
    try:
        message = connection.recv()
    except EOFError:  # the server ended before giving a job
        return
    _, build_model, dataset, config = message
    stop = threading.Event()
    threading.Thread(target=_listen_for_stop, args=(connection, stop), daemon=True).start()
    reports = _Reports(connection)
    try:
        result = training.train_built(
            build_model, dataset, config, reports.add, stop, reports.add_filters
        )
        reports.flush()
        weights = result.model.get_weights()
        connection.send(("done", replace(result, model=None), weights))
    except Exception as error:  # whatever the backend raises must reach the page
        if not isinstance(error, CnnvizError):
            error = CnnvizError("train.failed", reason=error_reason(error))
        reports.flush()
        connection.send(("error", error.key, error.values, type(error).__name__))


def _listen_for_stop(connection: Connection, stop: threading.Event) -> None:
    """Set `stop` when the server says stop; end this process at once when the server has gone
    (nobody is left to take the result)."""
    try:
        while connection.recv()[0] != "stop":
            pass
    except (EOFError, OSError):
        os._exit(0)
    stop.set()


class _Reports:
    """Batch reports go to the server in small bundles (a few a second, not one per batch); a
    first-conv kernel goes at once, with the reports waiting (one every few seconds at most)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._waiting: list = []
        self._kernel = None
        self._sent_at = 0.0

    def add(self, progress) -> None:
        self._waiting.append(progress)
        now = time.monotonic()
        if progress.kind == "epoch" or now - self._sent_at >= PROGRESS_EVERY:
            self.flush()

    def add_filters(self, kernel) -> None:
        self._kernel = kernel
        self.flush()

    def flush(self) -> None:
        if self._waiting or self._kernel is not None:
            self._connection.send(("progress", self._waiting, self._kernel))
            self._waiting, self._kernel = [], None
        self._sent_at = time.monotonic()
