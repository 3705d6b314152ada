"""cnnviz.jobs: the server-wide gate and one student's training job behind it, without Streamlit.

The jobs here train real tiny Keras models in this process (`run=training.train_built`); the
app's jobs train in worker processes (tests/test_workers.py)."""

from __future__ import annotations

import gc
import threading
from dataclasses import replace

import keras
import numpy as np
import psutil

from cnnviz import jobs, models, training
from cnnviz.recipes import TrainConfig
from tests.tiny import SMALL, TINY_CNN, tiny_model


def test_gate_lets_in_up_to_its_limit_and_numbers_the_queue_in_arrival_order():
    gate = jobs.TrainingGate(limit=1)
    first, second, third = object(), object(), object()
    assert gate.enter(first, lambda: False)
    entered = threading.Event()
    waiting = threading.Thread(
        target=lambda: entered.set() if gate.enter(second, lambda: False) else None
    )
    waiting.start()
    cancel_third = threading.Event()
    left = []
    queued = threading.Thread(target=lambda: left.append(gate.enter(third, cancel_third.is_set)))
    queued.start()
    while gate.waiting < 2:
        threading.Event().wait(0.01)
    assert (gate.position(second), gate.position(third), gate.position(first)) == (1, 2, 0)
    cancel_third.set()
    queued.join(5)
    assert left == [False] and gate.waiting == 1
    gate.leave(first)
    waiting.join(5)
    assert entered.is_set() and gate.running == 1 and gate.position(second) == 0
    gate.leave(second)
    assert gate.running == 0


def test_max_trainings_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "5")
    assert jobs.max_trainings_from_env() == 5
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "0")
    assert jobs.max_trainings_from_env() == 1
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "many")
    assert jobs.max_trainings_from_env() == 2
    monkeypatch.delenv("CNNVIZ_MAX_TRAININGS")
    assert jobs.max_trainings_from_env() == 2


def test_with_a_limit_of_one_the_second_job_waits_first_in_line_then_trains(mnist):
    gate = jobs.TrainingGate(limit=1)
    hold = threading.Event()

    def build_held() -> keras.Model:
        hold.wait(30)  # the first job keeps its place in the gate until the test lets go
        return tiny_model(mnist)

    first = jobs.TrainingJob(build_held, mnist, SMALL, gate, name="first", run=training.train_built)
    second = jobs.TrainingJob(
        lambda: tiny_model(mnist, 1), mnist, SMALL, gate, name="second", run=training.train_built
    )
    first.start()
    while gate.running < 1:
        threading.Event().wait(0.01)
    second.start()
    while gate.waiting < 1:
        threading.Event().wait(0.01)
    snapshot = second.snapshot()
    assert (first.status, snapshot.status, snapshot.queue_position) == ("running", "waiting", 1)
    assert snapshot.active and snapshot.curves is None

    hold.set()
    assert first.wait(120) and second.wait(120)
    assert (first.status, second.status) == ("finished", "finished")
    assert second.queue_position == 0 and gate.running == 0
    done = second.snapshot()
    assert done.result is not None and done.result.test_accuracy > 0.5
    assert done.curves.batch_steps == done.result.curves.batch_steps and done.seconds_left is None


def test_a_job_stopped_while_running_keeps_its_model_and_one_stopped_in_the_queue_never_builds(
    mnist,
):
    gate = jobs.TrainingGate(limit=1)
    built = []
    running = jobs.TrainingJob(
        lambda: tiny_model(mnist), mnist, replace(SMALL, epochs=50), gate, run=training.train_built
    )
    queued = jobs.TrainingJob(
        lambda: built.append(1) or tiny_model(mnist), mnist, SMALL, gate, run=training.train_built
    )
    running.start()
    queued.start()
    while running.snapshot().curves is None or not running.snapshot().curves.batch_steps:
        threading.Event().wait(0.02)  # wait for the first curve point
    queued.stop()
    running.stop()
    assert running.wait(60) and queued.wait(60)
    assert (running.status, queued.status) == ("stopped", "stopped")
    assert running.result.stopped and running.result.model is not None
    assert queued.result is None and built == []


def test_a_job_reports_a_student_error_as_its_catalogue_key(mnist):
    job = jobs.TrainingJob(
        lambda: models.build(TINY_CNN, (32, 32, 1), 10), mnist, SMALL, run=training.train_built
    )
    job.start()
    assert job.wait(60)
    assert job.status == "failed" and job.error.key == "train.shape_mismatch"
    broken = jobs.TrainingJob(
        lambda: models.build([{"type": "Lambda"}], (28, 28, 1), 10),
        mnist,
        SMALL,
        run=training.train_built,
    )
    broken.start()
    assert broken.wait(60) and broken.error.key == "models.unknown_layer"


def test_a_jobs_snapshots_carry_the_first_conv_kernel_as_it_is_learned(mnist):
    """What the page sees at each kernel the training hands over: the newest, random at first,
    the trained model's own at the end; a job without a Conv2D layer carries none."""
    seen: list[np.ndarray | None] = []

    def run(build, dataset, config, on_progress, should_stop, on_filters):
        def look(kernel: np.ndarray) -> None:
            on_filters(kernel)
            seen.append(job.snapshot().filters)  # the page polling just after the kernel came

        return training.train_built(build, dataset, config, on_progress, should_stop, look)

    job = jobs.TrainingJob(lambda: tiny_model(mnist), mnist, replace(SMALL, epochs=2), run=run)
    assert job.snapshot().filters is None
    job.start()
    assert job.wait(120) and job.status == "finished"

    assert len(seen) >= 3  # the start and two epochs (more if an epoch took over 2 s)
    assert all(k.shape == (3, 3, 1, 8) and k.dtype == np.float32 for k in seen)
    assert not np.allclose(seen[0], seen[-1])  # the filters have been learned
    final = job.snapshot().filters
    np.testing.assert_array_equal(final, training.first_conv_kernel(job.result.model))

    mlp = [{"type": "Flatten"}, {"type": "Dense", "units": 10, "activation": "softmax"}]
    without = jobs.TrainingJob(
        lambda: tiny_model(mnist, layers=mlp), mnist, SMALL, run=training.train_built
    )
    without.start()
    assert without.wait(120) and without.snapshot().filters is None


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 1e6


def test_ten_trainings_in_a_row_grow_the_process_by_a_bounded_amount(mnist):
    """Prints the resident memory after each of ten small trainings (see bench/RESULTS.md)."""
    config = TrainConfig(epochs=1, batch_size=64, max_train_images=600)
    sizes = []
    for seed in range(10):
        job = jobs.TrainingJob(
            lambda s=seed: tiny_model(mnist, s),
            mnist,
            replace(config, seed=seed),
            run=training.train_built,
        )
        job.start()
        assert job.wait(60) and job.status == "finished"
        del job
        gc.collect()
        sizes.append(rss_mb())
    print("RSS after each training (MB):", " ".join(f"{size:.0f}" for size in sizes))
    assert sizes[-1] - sizes[1] < 100  # ~1 MB a training; a leaked train step or dataset is 20+ MB
