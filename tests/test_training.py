"""cnnviz.training: one `model.fit` with a progress callback, Stop, seeds, augmentation, the
server-wide gate and the per-student job, all on real (tiny) Keras models and real MNIST digits.

Tests that name "current_backend" run on whatever KERAS_BACKEND is; the backend tests run them
again in a subprocess under JAX and PyTorch when those are installed."""

from __future__ import annotations

import gc
import math
import os
import threading
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from cnnviz import data, models, training
from cnnviz.errors import CnnvizError
from tests.backends import OTHER_BACKENDS, run_under

ROOT = Path(__file__).resolve().parents[1]

TINY_CNN = [
    {"type": "Conv2D", "filters": 8, "kernel_size": 3, "activation": "relu"},
    {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Flatten"},
    {"type": "Dropout", "rate": 0.2},
    {"type": "Dense", "units": 10, "activation": "softmax"},
]
SMALL = training.TrainConfig(epochs=1, batch_size=64, max_train_images=1200, validation_split=0.1)


@pytest.fixture(scope="module")
def mnist() -> data.Dataset:
    return data.load("mnist")


def tiny_model(dataset: data.Dataset, seed: int = 0, layers: list[dict] = TINY_CNN) -> keras.Model:
    return models.build(layers, dataset.input_shape, dataset.num_classes, seed=seed)


def test_one_epoch_on_a_small_slice_beats_chance_and_reports_every_batch_current_backend(mnist):
    reports: list[training.Progress] = []
    result = training.train(tiny_model(mnist), mnist, SMALL, reports.append)

    batches = [r for r in reports if r.kind == "batch"]
    epochs = [r for r in reports if r.kind == "epoch"]
    steps = math.ceil(1080 / 64)  # 1,200 images, 120 of them for validation
    assert [r.step for r in batches] == list(range(1, steps + 1))
    assert all(r.total_steps == steps for r in reports)
    assert len(epochs) == 1 and math.isfinite(epochs[0].val_loss)
    assert 0 <= epochs[0].val_accuracy <= 1
    assert result.test_accuracy > 0.5  # ten classes: chance is 0.1
    assert result.curves.batch_steps == [r.step for r in batches]
    assert result.confusion.sum() == len(mnist.y_test)
    assert np.trace(result.confusion) == round(result.test_accuracy * len(mnist.y_test))
    assert not result.stopped and result.epochs_done == 1


def test_stop_ends_training_after_the_batch_it_is_on_and_keeps_a_usable_model_current_backend(
    mnist,
):
    stop = threading.Event()
    reports: list[training.Progress] = []

    def on_progress(progress: training.Progress) -> None:
        reports.append(progress)
        if progress.kind == "batch" and progress.step == 3:
            stop.set()  # as if the student pressed Stop during batch 3

    config = replace(SMALL, epochs=3)
    result = training.train(tiny_model(mnist), mnist, config, on_progress, stop)

    assert [r.step for r in reports if r.kind == "batch"] == [1, 2, 3]
    assert result.stopped and result.epochs_done == 0
    assert result.curves.epoch_loss == []  # the unfinished epoch is not an epoch point
    probabilities = result.model.predict(mnist.x_test[:8] / 255.0, verbose=0)
    assert probabilities.shape == (8, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert len(result.predictions) == len(mnist.y_test)


def test_a_stop_requested_before_the_first_batch_trains_nothing(mnist):
    model = tiny_model(mnist)
    before = [w.copy() for w in model.get_weights()]
    result = training.train(model, mnist, SMALL, should_stop=lambda: True)
    assert result.stopped and result.curves.batch_steps == [1]  # the batch already under way
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_same_seed_gives_the_same_curves_and_another_seed_does_not_current_backend(mnist):
    config = replace(SMALL, augmentation=training.Augmentation(rotation=15, shift=0.1, zoom=0.1))

    def curves(seed: int) -> training.Curves:
        return training.train(tiny_model(mnist, seed), mnist, replace(config, seed=seed)).curves

    first, again, other = curves(1), curves(1), curves(2)
    assert first.batch_loss == again.batch_loss and first.val_loss == again.val_loss
    assert first.batch_accuracy == again.batch_accuracy
    assert first.batch_loss != other.batch_loss


def test_batches_run_together_train_as_one_batch_at_a_time_current_backend(mnist, monkeypatch):
    """Several batches in one call (under JAX a scan over chunks of batches, as on a GPU; under
    TensorFlow Keras's steps_per_execution) give the weights and curves of one batch a call."""
    monkeypatch.setattr(training, "RUN_BATCHES_TOGETHER", "always")  # JAX: on the CPU too
    # 1,280 images, 256 for validation: 1,024 to train on, 16 batches an epoch
    config = replace(SMALL, max_train_images=1280, validation_split=0.2, epochs=2, seed=3)

    def run(steps: int) -> tuple[training.TrainResult, list[training.Progress]]:
        reports: list[training.Progress] = []
        model = tiny_model(mnist, seed=3)
        result = training.train(
            model, mnist, replace(config, steps_per_execution=steps), reports.append
        )
        return result, [r for r in reports if r.kind == "batch"]

    (alone, alone_reports), (together, together_reports) = run(1), run(4)
    assert [r.step for r in alone_reports] == list(range(1, 33))
    every = 1 if keras.backend.backend() == "torch" else 4  # Keras runs PyTorch a batch a call
    assert [r.step for r in together_reports] == list(range(every, 33, every))
    assert together.curves.steps_per_epoch == 16 and together.curves.total_steps == 32
    for a, b in zip(alone.model.get_weights(), together.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=2e-5)
    np.testing.assert_allclose(alone.curves.epoch_loss, together.curves.epoch_loss, rtol=1e-4)
    np.testing.assert_allclose(alone.curves.val_loss, together.curves.val_loss, rtol=1e-4)
    assert alone.curves.val_accuracy == together.curves.val_accuracy
    np.testing.assert_allclose(
        [r.loss for r in alone_reports][every - 1 :: every],
        [r.loss for r in together_reports],
        rtol=1e-4,
    )


def test_validation_batches_grow_with_the_training_batches_run_together_up_to_a_bound():
    assert training._validation_batch_size(256, 1, (28, 28, 1)) == 256
    assert training._validation_batch_size(256, 30, (28, 28, 1)) == 256 * 30
    assert training._validation_batch_size(256, 64, (28, 28, 1)) == 2**23 // 784  # 10,699
    assert training._validation_batch_size(32, 32, (224, 224, 3)) == 55  # 2**23 // 150,528
    assert training._validation_batch_size(64, 32, (1024, 1024, 3)) == 64  # never below a batch


def test_shuffled_batches_in_chunks_hold_whole_batches_all_of_one_size():
    images, labels = np.zeros((2000, 28, 28, 1), "uint8"), np.arange(2000) % 10
    rows = np.arange(1080)
    chunks = training.ShuffledBatches(images, labels, rows, 64, seed=1, batches=5)
    # 16 whole batches of 64 in 1,080 rows; at most 5 a chunk: 4 chunks of 4 batches
    assert len(chunks) == 4 and chunks.batches_per_item == 4
    seen = np.concatenate([chunks[i][1] for i in range(4)])
    assert all(len(chunks[i][0]) == 256 for i in range(4))
    assert len(seen) == 1024 and len(set(chunks.order[:1024])) == 1024  # 56 rows left out
    first = chunks.order.copy()
    chunks.on_epoch_end()
    assert not np.array_equal(chunks.order, first)  # other rows are left out next epoch


def test_a_saved_and_reloaded_model_predicts_the_same_current_backend(mnist):
    result = training.train(tiny_model(mnist), mnist, SMALL)
    reloaded = models.load_uploaded(models.save_bytes(result.model))
    images = mnist.x_test[:64] / 255.0
    np.testing.assert_allclose(
        reloaded.predict(images, verbose=0), result.model.predict(images, verbose=0), atol=1e-6
    )


def test_the_trained_model_takes_images_scaled_by_1_over_255(mnist):
    result = training.train(tiny_model(mnist), mnist, SMALL)
    scores = result.model.predict(mnist.x_test / 255.0, verbose=0)
    np.testing.assert_array_equal(np.argmax(scores, axis=1), result.predictions)


def test_a_model_without_softmax_trains_on_logits_and_reports_a_finite_loss(mnist):
    logits = [*TINY_CNN[:-1], {"type": "Dense", "units": 10}]
    result = training.train(tiny_model(mnist, layers=logits), mnist, SMALL)
    assert math.isfinite(result.test_loss) and result.test_accuracy > 0.5


def test_a_model_for_another_input_shape_or_class_count_is_refused_with_a_key(mnist):
    wrong_shape = models.build(TINY_CNN, (32, 32, 1), 10)
    with pytest.raises(CnnvizError) as error:
        training.train(wrong_shape, mnist, SMALL)
    assert error.value.key == "train.shape_mismatch"
    wrong_classes = models.build(TINY_CNN, (28, 28, 1), 7)
    with pytest.raises(CnnvizError) as error:
        training.train(wrong_classes, mnist, SMALL)
    assert error.value.key == "train.classes_mismatch"


@pytest.mark.parametrize(
    "change",
    [
        {"epochs": 0},
        {"batch_size": 0},
        {"optimizer": "adagrad"},
        {"learning_rate": 0.0},
        {"learning_rate": float("nan")},
        {"validation_split": 1.0},
        {"momentum": 1.0},
        {"max_train_images": 1},
    ],
)
def test_settings_no_training_can_use_are_refused_by_name(change):
    with pytest.raises(CnnvizError) as error:
        replace(training.TrainConfig(), **change).check()
    assert error.value.key == "train.bad_setting"
    assert error.value.values["name"] == next(iter(change))


def test_every_course_recipe_is_a_valid_config():
    for recipe in training.RECIPES.values():
        recipe.check()
    assert training.RECIPES["mnist_cnn"].optimizer == "rmsprop"
    assert training.RECIPES["cifar100"].lr_decay == training.LearningRateDecay(10_000, 0.96, True)


def test_optimizers_follow_the_config_and_exponential_decay_steps_down_as_a_staircase():
    sgd = training.make_optimizer(replace(training.RECIPES["cifar100"]))
    assert isinstance(sgd, keras.optimizers.SGD)
    assert sgd.nesterov and sgd.momentum == pytest.approx(0.9)
    schedule = sgd._learning_rate  # the ExponentialDecay schedule itself
    # 0.01 · 0.96^⌊step / 10000⌋
    assert float(schedule(9_999)) == pytest.approx(0.01)
    assert float(schedule(10_000)) == pytest.approx(0.0096)
    rmsprop = training.make_optimizer(training.RECIPES["mnist_cnn"])
    assert isinstance(rmsprop, keras.optimizers.RMSprop)
    assert float(rmsprop.learning_rate) == pytest.approx(1e-4)


def test_augment_preview_changes_the_images_the_same_way_for_the_same_seed(mnist):
    course = training.COURSE_AUGMENTATION
    first = training.augment_preview(mnist, course, n=6, seed=3)
    again = training.augment_preview(mnist, course, n=6, seed=3)
    assert first.augmented.shape == (6, 28, 28, 1) and first.augmented.dtype == np.uint8
    np.testing.assert_array_equal(first.augmented, again.augmented)
    assert not np.array_equal(first.augmented, first.originals)
    assert set(first.labels) <= set(range(10))
    plain = training.augment_preview(mnist, training.Augmentation(), n=6, seed=3)
    np.testing.assert_array_equal(plain.augmented, plain.originals)


def test_augment_preview_of_a_dataset_smaller_than_the_preview_shows_every_image(mnist):
    from dataclasses import replace

    tiny = replace(mnist, x_train=mnist.x_train[:3], y_train=mnist.y_train[:3])
    preview = training.augment_preview(tiny, training.COURSE_AUGMENTATION, n=8, seed=0)
    assert preview.originals.shape == (3, 28, 28, 1)
    np.testing.assert_array_equal(np.sort(preview.labels), np.sort(mnist.y_train[:3]))


def test_augmentation_layers_change_images_only_while_training(mnist):
    layers = training.augmentation_layers(training.COURSE_AUGMENTATION, seed=0)
    assert [type(layer).__name__ for layer in layers] == [
        "RandomRotation",
        "RandomTranslation",
        "RandomZoom",
        "RandomShear",
        "RandomFlip",
    ]
    images = keras.ops.convert_to_tensor(mnist.x_train[:4].astype("float32"))
    for layer in layers:
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(layer(images, training=False)), mnist.x_train[:4]
        )


def test_shuffled_batches_cover_every_row_once_per_epoch_in_a_new_seeded_order(mnist):
    rows = np.arange(100, 300)
    batches = training.ShuffledBatches(mnist.x_train, mnist.y_train, rows, 64, seed=5)
    assert len(batches) == 4  # 200 rows: 64 + 64 + 64 + 8
    first = np.concatenate([batches[i][1] for i in range(len(batches))])
    first_order = batches.order.copy()
    assert sorted(first_order) == list(rows)
    np.testing.assert_array_equal(first, mnist.y_train[first_order])
    batches.on_epoch_end()
    assert sorted(batches.order) == list(rows) and not np.array_equal(batches.order, first_order)
    kept = training.ShuffledBatches(mnist.x_train, mnist.y_train, rows, 64, seed=None)
    np.testing.assert_array_equal(kept.order, rows)


def test_confusion_matrix_counts_true_class_by_predicted_class():
    truth = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_array_equal(training.confusion_matrix(truth, predicted, 3), expected)
    np.testing.assert_array_equal(training.misclassified(truth, predicted), [1, 4])


def curves_with(train_loss: list[float], val_loss: list[float]) -> training.Curves:
    curves = training.Curves(steps_per_epoch=10, total_steps=10 * len(train_loss))
    for epoch, (loss, val) in enumerate(zip(train_loss, val_loss, strict=True)):
        curves.add(training.Progress("epoch", epoch, 10 * (epoch + 1), 0, loss, 0.5, 1.0, val))
    return curves


def test_overfitting_is_the_epoch_after_which_validation_loss_rose_while_training_loss_fell():
    assert training.overfitting_epoch(curves_with([0.9, 0.5, 0.3, 0.2], [0.8, 0.6, 0.7, 0.9])) == 2
    assert training.overfitting_epoch(curves_with([0.9, 0.5, 0.3], [0.8, 0.6, 0.5])) is None
    # both rising is not overfitting (the learning rate is too high)
    assert training.overfitting_epoch(curves_with([0.5, 0.6], [0.5, 0.7])) is None
    assert training.overfitting_epoch(curves_with([0.5], [0.5])) is None


def test_curves_csv_has_one_row_per_batch_and_per_epoch(mnist):
    result = training.train(tiny_model(mnist), mnist, replace(SMALL, epochs=2))
    lines = result.curves.to_csv().strip().splitlines()
    assert lines[0] == "kind,epoch,step,loss,accuracy,val_loss,val_accuracy"
    batch_rows = [line for line in lines if line.startswith("batch,")]
    epoch_rows = [line for line in lines if line.startswith("epoch,")]
    assert len(batch_rows) == 2 * result.curves.steps_per_epoch and len(epoch_rows) == 2
    assert epoch_rows[1].split(",")[:3] == ["epoch", "2", str(2 * result.curves.steps_per_epoch)]
    assert all(cell for cell in epoch_rows[0].split(","))


def test_seconds_left_follows_the_pace_so_far():
    curves = training.Curves(steps_per_epoch=10, total_steps=40)
    assert curves.seconds_left() is None
    curves.add(training.Progress("batch", 0, 1, 40, 2.3, 0.1, 3.0))  # building the step: slow
    assert curves.seconds_left() is None
    curves.add(training.Progress("batch", 0, 10, 40, 1.0, 0.5, 7.5))
    assert curves.seconds_left() == pytest.approx(15.0)  # 9 batches in 4.5 s, 30 to go


# --- the gate and the job, without Streamlit ----------------------------------------------------


def test_gate_lets_in_up_to_its_limit_and_numbers_the_queue_in_arrival_order():
    gate = training.TrainingGate(limit=1)
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
    assert training.max_trainings_from_env() == 5
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "0")
    assert training.max_trainings_from_env() == 1
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "many")
    assert training.max_trainings_from_env() == 2
    monkeypatch.delenv("CNNVIZ_MAX_TRAININGS")
    assert training.max_trainings_from_env() == 2


def test_with_a_limit_of_one_the_second_job_waits_first_in_line_then_trains(mnist):
    gate = training.TrainingGate(limit=1)
    hold = threading.Event()

    def build_held() -> keras.Model:
        hold.wait(30)  # the first job keeps its place in the gate until the test lets go
        return tiny_model(mnist)

    first = training.TrainingJob(build_held, mnist, SMALL, gate, name="first")
    second = training.TrainingJob(lambda: tiny_model(mnist, 1), mnist, SMALL, gate, name="second")
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
    gate = training.TrainingGate(limit=1)
    built = []
    running = training.TrainingJob(
        lambda: tiny_model(mnist), mnist, replace(SMALL, epochs=50), gate
    )
    queued = training.TrainingJob(lambda: built.append(1) or tiny_model(mnist), mnist, SMALL, gate)
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
    job = training.TrainingJob(lambda: models.build(TINY_CNN, (32, 32, 1), 10), mnist, SMALL)
    job.start()
    assert job.wait(60)
    assert job.status == "failed" and job.error.key == "train.shape_mismatch"
    broken = training.TrainingJob(
        lambda: models.build([{"type": "Lambda"}], (28, 28, 1), 10), mnist, SMALL
    )
    broken.start()
    assert broken.wait(60) and broken.error.key == "models.unknown_layer"


def test_device_description_names_the_device_and_the_backend():
    text = training.device_description()
    assert text.endswith(f" · {keras.backend.backend()}")
    assert text.startswith(training.gpu_name() or "CPU")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_ten_trainings_in_a_row_grow_the_process_by_a_bounded_amount(mnist):
    """Prints the resident memory after each of ten small trainings (see bench/RESULTS.md)."""
    config = training.TrainConfig(epochs=1, batch_size=64, max_train_images=600)
    sizes = []
    for seed in range(10):
        job = training.TrainingJob(
            lambda s=seed: tiny_model(mnist, s), mnist, replace(config, seed=seed)
        )
        job.start()
        assert job.wait(60) and job.status == "finished"
        del job
        gc.collect()
        sizes.append(rss_mb())
    print("RSS after each training (MB):", " ".join(f"{size:.0f}" for size in sizes))
    assert sizes[-1] - sizes[1] < 100  # ~1 MB a training; a leaked train step or dataset is 20+ MB


def _traced_graphs() -> int:
    from tensorflow.python.framework import func_graph

    gc.collect()
    return sum(isinstance(o, func_graph.FuncGraph) for o in gc.get_objects())


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's graphs")
def test_a_finished_training_leaves_none_of_its_traced_graphs_behind(mnist):
    """Keras's replica all-reduce kept every traced train step alive (~20 MB a training)."""
    config = training.TrainConfig(epochs=1, batch_size=64, max_train_images=300)
    training.train(tiny_model(mnist), mnist, config)  # what the first training sets up for good
    before = _traced_graphs()
    for seed in (1, 2):
        result = training.train(tiny_model(mnist, seed), mnist, replace(config, seed=seed))
        assert result.stopped is False
        del result
    assert _traced_graphs() <= before


# --- other backends -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("backend", OTHER_BACKENDS)
def test_the_trainer_works_on_the_other_keras_backends(backend):
    run_under(backend, Path(__file__), expected=5)
