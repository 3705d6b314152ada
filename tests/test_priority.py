"""cnnviz.priority: trainings wait before a batch while a student's page is being run, but only
for a bounded time, and a page run stops counting once it is old."""

from __future__ import annotations

import threading
import time

from cnnviz import data, models, priority, training
from cnnviz.priority import Priority


def hold(runs: Priority, seconds: float) -> threading.Thread:
    """A page run lasting `seconds`, in another thread; returns once it has begun."""
    begun = threading.Event()

    def page() -> None:
        with runs.page_run():
            begun.set()
            time.sleep(seconds)

    thread = threading.Thread(target=page)
    thread.start()
    begun.wait()
    return thread


def test_with_no_page_running_a_training_goes_on_at_once():
    runs = Priority()
    assert runs.running() == 0
    assert runs.let_pages_run_first(limit=5) < 0.05


def test_a_training_waits_until_the_page_run_ends():
    runs = Priority()
    thread = hold(runs, 0.3)
    assert runs.running() == 1
    waited = runs.let_pages_run_first(limit=5)
    assert 0.25 <= waited < 4 and runs.running() == 0
    thread.join()


def test_the_wait_is_bounded_so_a_training_always_moves_on():
    runs = Priority()
    thread = hold(runs, 1.5)
    waited = runs.let_pages_run_first(limit=0.2)
    assert 0.15 <= waited < 1.2 and runs.running() == 1
    thread.join()


def test_a_long_page_run_stops_holding_trainings_back(monkeypatch):
    monkeypatch.setattr(priority, "PAGE_PRIORITY_SECONDS", 0.2)
    runs = Priority()
    thread = hold(runs, 1.5)
    waited = runs.let_pages_run_first(limit=5)
    assert 0.1 <= waited < 1.2 and runs.running() == 0
    thread.join()


def test_a_page_run_that_raises_is_no_longer_counted():
    runs = Priority()
    try:
        with runs.page_run():
            raise RuntimeError("the script stopped")
    except RuntimeError:
        pass
    assert runs.running() == 0


def test_the_trainer_waits_before_each_batch_while_a_page_runs():
    mnist = data.load("mnist")
    model = models.build(
        [{"type": "Flatten"}, {"type": "Dense", "units": 10, "activation": "softmax"}],
        mnist.input_shape,
        mnist.num_classes,
    )
    config = training.TrainConfig(
        epochs=1, batch_size=100, max_train_images=300, validation_split=0
    )
    batches: list[float] = []
    start = time.monotonic()
    thread = hold(priority.PRIORITY, 6.0)  # a page run longer than the whole training
    training.train(
        model,
        mnist,
        config,
        lambda p: batches.append(time.monotonic() - start) if p.kind == "batch" else None,
    )
    assert len(batches) == 3
    # each batch waited its bounded pause (MAX_PAUSE, 1 s) first; alone it takes milliseconds
    assert batches[0] >= 0.95 and batches[2] - batches[0] >= 1.9, batches
    assert batches[2] < 5.9  # and the training went on although the page run had not ended
    thread.join()
