"""cnnviz.workers: trainings in worker processes at a lower priority, on real (tiny) Keras models
and real MNIST digits. Every worker is a real process, started by multiprocessing's "spawn"."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from functools import partial
from pathlib import Path

import numpy as np
import psutil
import pytest

from cnnviz import data, jobs, models, training, workers
from cnnviz.errors import CnnvizError, ModelError
from cnnviz.recipes import TrainConfig
from tests.backends import OTHER_BACKENDS, run_under

TINY_CNN = [
    {"type": "Conv2D", "filters": 8, "kernel_size": 3, "activation": "relu"},
    {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Flatten"},
    {"type": "Dense", "units": 10, "activation": "softmax"},
]
SMALL = TrainConfig(epochs=2, batch_size=64, max_train_images=1200, validation_split=0.1)


@pytest.fixture(scope="module")
def pool():
    """One pool for the module: its spare is started while the tests before use theirs."""
    started = workers.WorkerPool()
    started.warm()
    yield started
    started.close()


def build_tiny(dataset: data.Dataset, seed: int = 0, shape=None) -> partial:
    """A picklable `build_model` for the tiny CNN."""
    return partial(
        models.build, TINY_CNN, shape or dataset.input_shape, dataset.num_classes, seed=seed
    )


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE  # a zombie has ended
    except psutil.NoSuchProcess:
        return False


def refuse_every_priority_call() -> None:
    """A worker's initializer: the OS calls a worker lowers its priority with are gone or
    refused, as where an OS lacks them or the teacher's account may not use them."""
    for name in ("nice", "sched_setscheduler", "SCHED_IDLE", "setpriority"):
        if hasattr(os, name):
            delattr(os, name)

    def refused(self, value=None):
        raise psutil.AccessDenied(self.pid)

    psutil.Process.nice = refused


def refuse_to_build() -> None:
    """A picklable `build_model` that fails as a student's model can."""
    raise ModelError("models.unknown_layer", layer="Lambda")


def test_a_training_in_a_worker_gives_the_curves_and_model_of_the_server_current_backend(
    mnist, pool
):
    reports: list[training.Progress] = []
    in_worker = pool.train(build_tiny(mnist), mnist, SMALL, reports.append)
    in_server = training.train(build_tiny(mnist)(), mnist, SMALL)

    # every batch report crossed over, in order, and the same seed gave the same curves
    assert [r.step for r in reports if r.kind == "batch"] == in_worker.curves.batch_steps
    assert in_worker.curves.batch_steps == in_server.curves.batch_steps
    np.testing.assert_allclose(in_worker.curves.batch_loss, in_server.curves.batch_loss, rtol=1e-5)
    np.testing.assert_allclose(in_worker.curves.val_accuracy, in_server.curves.val_accuracy)
    assert in_worker.test_accuracy > 0.5  # ten classes: chance is 0.1
    # the model handed back here carries the trained weights: it predicts what the worker scored
    scores = in_worker.model.predict(mnist.x_test / 255.0, verbose=0)
    assert np.array_equal(np.argmax(scores, axis=1), in_worker.predictions)
    for ours, theirs in zip(in_worker.model.weights, in_server.model.weights, strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-6)


def test_the_first_conv_kernel_crosses_from_the_worker_as_it_is_learned(mnist, pool):
    """The kernels reach the server with the progress: the random start, one per epoch at
    least, the last one the weights of the model handed back."""
    kernels: list[np.ndarray] = []
    result = pool.train(build_tiny(mnist), mnist, SMALL, None, None, kernels.append)

    assert len(kernels) >= 1 + SMALL.epochs
    assert all(k.shape == (3, 3, 1, 8) and k.dtype == np.float32 for k in kernels)
    np.testing.assert_array_equal(kernels[0], training.first_conv_kernel(build_tiny(mnist)()))
    np.testing.assert_array_equal(kernels[-1], training.first_conv_kernel(result.model))
    assert not np.allclose(kernels[0], kernels[-1])


@pytest.mark.skipif(not hasattr(os, "sched_getscheduler"), reason="Linux scheduling policies")
def test_a_worker_trains_below_the_server_and_its_process_ends_with_the_training(mnist, pool):
    seen: dict[int, tuple[int, int]] = {}

    def look(progress: training.Progress) -> None:
        for pid in pool.training_pids:
            seen.setdefault(pid, (psutil.Process(pid).nice(), os.sched_getscheduler(pid)))

    result = pool.train(build_tiny(mnist), mnist, SMALL, look)

    assert result.epochs_done == SMALL.epochs
    assert seen and all(p == (19, os.SCHED_IDLE) for p in seen.values()), seen
    (trained_in,) = seen
    assert not alive(trained_in) and trained_in not in pool.pids  # a new spare waits instead


def test_stop_ends_a_workers_training_after_the_batch_and_keeps_the_model(mnist, pool):
    stop = threading.Event()
    reports: list[training.Progress] = []

    def stop_after_three(progress: training.Progress) -> None:
        reports.append(progress)
        if progress.step >= 3:
            stop.set()

    result = pool.train(build_tiny(mnist), mnist, SMALL, stop_after_three, stop)

    assert result.stopped and result.curves.steps_done < result.curves.total_steps
    assert result.curves.batch_steps == [r.step for r in reports if r.kind == "batch"]
    assert result.model.count_params() == build_tiny(mnist)().count_params()


def test_a_students_mistake_in_a_worker_reaches_the_page_with_its_message(mnist, pool):
    wrong_shape = build_tiny(mnist, shape=(32, 32, 3))  # a CIFAR-sized model for MNIST digits
    job = jobs.TrainingJob(wrong_shape, mnist, SMALL, jobs.TrainingGate(1), run=pool.train)
    job.start()

    assert job.wait(120)
    assert job.status == "failed"
    assert job.error.key == "train.shape_mismatch"
    assert job.error.values == {"model": "32×32×3", "data": "28×28×1"}


def test_a_killed_worker_fails_its_job_with_a_message_and_frees_the_gate(mnist, pool):
    gate = jobs.TrainingGate(1)
    long = TrainConfig(epochs=50, batch_size=32)
    job = jobs.TrainingJob(build_tiny(mnist), mnist, long, gate, run=pool.train)
    job.start()
    deadline = time.monotonic() + 120
    while job.snapshot().curves is None and time.monotonic() < deadline:  # training has begun
        time.sleep(0.1)
    (busy,) = pool.training_pids
    os.kill(busy, signal.SIGKILL)  # out of memory, or a teacher's kill

    assert job.wait(60)
    assert job.status == "failed" and job.error.key == "train.failed"
    assert "ended unexpectedly" in job.error.values["reason"]
    assert gate.running == 0


def test_stop_while_the_worker_still_loads_keras_gives_the_model_as_it_is(mnist):
    cold = workers.WorkerPool(spares=0)  # no spare: the job's worker starts from nothing
    job = jobs.TrainingJob(build_tiny(mnist), mnist, SMALL, run=cold.train)
    job.start()
    job.stop()

    assert job.wait(120)
    assert job.status == "stopped" and job.error is None
    assert job.result.curves.steps_done <= 1 and len(job.result.predictions) == len(mnist.y_test)
    assert cold.pids == []


def test_a_worker_whose_server_has_gone_ends_by_itself():
    worker = workers.Worker(nice=0)
    worker.wait_ready(workers.START_TIMEOUT)
    worker._connection.close()  # what the operating system does when the server dies

    worker.process.join(60)
    assert worker.process.exitcode == 0


def test_a_training_whose_server_has_gone_ends_at_once(mnist):
    worker = workers.Worker(nice=0)
    worker.wait_ready(workers.START_TIMEOUT)
    long = TrainConfig(epochs=50, batch_size=32)
    worker._connection.send(("train", build_tiny(mnist), mnist, long))
    assert worker._connection.poll(60) and worker._connection.recv()[0] == "progress"
    worker._connection.close()

    worker.process.join(30)
    assert worker.process.exitcode == 0  # not after fifty epochs, nor after scoring


def test_the_pool_replaces_a_dead_spare_and_starts_the_next_when_a_training_ends(mnist, pool):
    pool.warm()
    (spare,) = pool.pids
    os.kill(spare, signal.SIGKILL)
    while alive(spare):  # left for the pool to reap, as a spare that died on its own is
        time.sleep(0.05)
    during: list[list[int]] = []

    result = pool.train(build_tiny(mnist), mnist, SMALL, lambda _: during.append(pool.pids))

    assert result.epochs_done == SMALL.epochs
    trained_in = during[0]
    assert len(trained_in) == 1 and trained_in[0] != spare  # a new worker, and no spare meanwhile
    assert all(pids == trained_in for pids in during)
    (next_spare,) = pool.pids  # started once the training ended
    assert next_spare not in (spare, trained_in[0])


def test_a_build_that_does_not_pickle_is_refused_with_a_message(mnist, pool):
    local = lambda: build_tiny(mnist)()  # noqa: E731 (a lambda cannot cross to another process)
    job = jobs.TrainingJob(local, mnist, SMALL, run=pool.train)
    job.start()

    assert job.wait(60)
    assert job.status == "failed" and job.error.key == "train.failed"


def test_the_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CNNVIZ_TRAINING_NICE", "5")
    assert workers.nice_from_env() == 5
    monkeypatch.setenv("CNNVIZ_TRAINING_NICE", "40")
    assert workers.nice_from_env() == 19
    monkeypatch.setenv("CNNVIZ_TRAINING_NICE", "low")
    assert workers.nice_from_env() == 19


def test_the_gpu_is_shared_unless_the_teacher_set_otherwise():
    environ = {"TF_FORCE_GPU_ALLOW_GROWTH": "false"}
    workers.share_the_gpu(environ)
    assert environ == {
        "TF_FORCE_GPU_ALLOW_GROWTH": "false",
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
    }


def test_an_error_raised_in_a_worker_crosses_as_its_class_key_and_values(mnist, pool):
    with pytest.raises(ModelError) as raised:
        pool.train(refuse_to_build, mnist, SMALL)
    assert raised.value.key == "models.unknown_layer" and raised.value.values == {"layer": "Lambda"}
    # a name that is not one of cnnviz's errors comes back as a plain CnnvizError
    assert workers._error_class("SystemExit") is CnnvizError
    assert workers._error_class("nothing") is CnnvizError


def test_a_worker_trains_where_the_os_refuses_every_priority_call_and_without_popen(
    mnist, monkeypatch
):
    """As on an OS without nice or SCHED_IDLE: the training runs at the server's priority. The
    server starts it through multiprocessing alone, without subprocess's `pass_fds` (which
    Windows lacks)."""

    def unavailable(*args, **kwargs):
        raise AssertionError("a worker must start without subprocess.Popen and its pass_fds")

    monkeypatch.setattr(subprocess, "Popen", unavailable)
    pool = workers.WorkerPool(spares=0, nice=19, initializer=refuse_every_priority_call)
    seen: dict[int, int] = {}

    def look(progress) -> None:
        for pid in pool.training_pids:
            seen.setdefault(pid, psutil.Process(pid).nice())

    result = pool.train(build_tiny(mnist), mnist, SMALL, look)

    assert result.epochs_done == SMALL.epochs and result.test_accuracy > 0.5
    assert seen and all(nice == psutil.Process().nice() for nice in seen.values()), seen


@pytest.mark.slow
@pytest.mark.parametrize("backend", OTHER_BACKENDS)
def test_training_in_a_worker_works_on_the_other_keras_backends(backend):
    run_under(backend, Path(__file__), expected=1)
