"""cnnviz.training: one `model.fit` with a progress callback, Stop and seeds, on real (tiny) Keras
models and real MNIST digits.

Tests that name "current_backend" run on whatever KERAS_BACKEND is; the backend tests run them
again in a subprocess under JAX and PyTorch when those are installed."""

from __future__ import annotations

import gc
import math
import threading
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from cnnviz import batches, models, patches, training
from cnnviz.errors import CnnvizError
from cnnviz.recipes import Augmentation
from tests.backends import OTHER_BACKENDS, run_under
from tests.tiny import SMALL, TINY_CNN, tiny_model


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


def test_a_stop_requested_before_training_starts_ends_it_after_the_first_batch(mnist):
    """Keras runs the batch whose begin saw the request: one batch, one update, then nothing."""
    model = tiny_model(mnist)
    before = [w.copy() for w in model.get_weights()]
    result = training.train(model, mnist, SMALL, should_stop=lambda: True)
    assert result.stopped and result.curves.batch_steps == [1]  # the batch already under way
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_same_seed_gives_the_same_curves_and_another_seed_does_not_current_backend(mnist):
    config = replace(SMALL, augmentation=Augmentation(rotation=15, shift=0.1, zoom=0.1))

    def curves(seed: int) -> training.Curves:
        return training.train(tiny_model(mnist, seed), mnist, replace(config, seed=seed)).curves

    first, again, other = curves(1), curves(1), curves(2)
    assert first.batch_loss == again.batch_loss and first.val_loss == again.val_loss
    assert first.batch_accuracy == again.batch_accuracy
    assert first.batch_loss != other.batch_loss


def test_batches_run_together_train_as_one_batch_at_a_time_current_backend(mnist, monkeypatch):
    """Several batches in one call (under JAX a scan over chunks of batches, as on a GPU; under
    TensorFlow Keras's steps_per_execution) give the weights and curves of one batch a call."""
    monkeypatch.setattr(batches, "RUN_BATCHES_TOGETHER", "always")  # JAX: on the CPU too
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


def test_curves_csv_has_one_row_per_batch_and_per_epoch(mnist):
    result = training.train(tiny_model(mnist), mnist, replace(SMALL, epochs=2))
    lines = result.curves.to_csv().strip().splitlines()
    assert lines[0] == "kind,epoch,step,loss,accuracy,val_loss,val_accuracy"
    batch_rows = [line for line in lines if line.startswith("batch,")]
    epoch_rows = [line for line in lines if line.startswith("epoch,")]
    assert len(batch_rows) == 2 * result.curves.steps_per_epoch and len(epoch_rows) == 2
    assert epoch_rows[1].split(",")[:3] == ["epoch", "2", str(2 * result.curves.steps_per_epoch)]
    assert all(cell for cell in epoch_rows[0].split(","))


MLP = [{"type": "Flatten"}, {"type": "Dense", "units": 10, "activation": "softmax"}]


def test_first_conv_kernel_is_the_first_conv_layers_first_filters_also_inside_a_model():
    wide = [{"type": "Conv2D", "filters": 100, "kernel_size": 5}, *TINY_CNN]
    model = models.build(wide, (28, 28, 1), 10)
    weights = np.asarray(model.layers[0].kernel)  # (5, 5, 1, 100)
    np.testing.assert_array_equal(training.first_conv_kernel(model), weights[..., :64])
    everything = training.first_conv_kernel(model, max_filters=None)
    assert everything.dtype == np.float32 and everything.shape == (5, 5, 1, 100)
    wrapped = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Rescaling(1 / 255), model])
    assert training.first_conv_layer(wrapped) is model.layers[0]
    assert training.first_conv_kernel(models.build(MLP, (28, 28, 1), 10)) is None


def test_the_filters_go_out_at_the_start_and_after_every_epoch_and_change_current_backend(
    mnist, monkeypatch
):
    """With FILTERS_EVERY never passing within an epoch: the random start, then one kernel per
    epoch, each a copy of the first Conv2D layer's weights at that moment."""
    monkeypatch.setattr(training, "FILTERS_EVERY", math.inf)
    model = tiny_model(mnist)
    start = training.first_conv_kernel(model)
    kernels: list[np.ndarray] = []
    config = replace(SMALL, epochs=2, max_train_images=500)
    result = training.train(model, mnist, config, on_filters=kernels.append)

    assert len(kernels) == 1 + 2
    assert all(k.shape == (3, 3, 1, 8) and k.dtype == np.float32 for k in kernels)
    np.testing.assert_array_equal(kernels[0], start)
    np.testing.assert_array_equal(kernels[-1], training.first_conv_kernel(result.model))
    assert not np.allclose(kernels[0], kernels[1]) and not np.allclose(kernels[1], kernels[2])


def test_within_an_epoch_the_filters_go_out_as_often_as_filters_every_allows_current_backend(
    mnist, monkeypatch
):
    """FILTERS_EVERY = 0: after every batch too, each kernel the weights that batch left (JAX
    keeps them apart from the model within an epoch: the callback puts them back first)."""
    monkeypatch.setattr(training, "FILTERS_EVERY", 0.0)
    kernels: list[np.ndarray] = []
    config = replace(SMALL, max_train_images=300, validation_split=0.0)
    result = training.train(tiny_model(mnist), mnist, config, on_filters=kernels.append)

    batches_done = result.curves.steps_per_epoch  # 300 images in batches of 64: 5
    assert batches_done == 5 and len(kernels) == 1 + batches_done + 1
    for before, after in zip(kernels[:batches_done], kernels[1 : batches_done + 1], strict=True):
        assert not np.allclose(before, after)  # every batch moved the filters
    np.testing.assert_array_equal(kernels[-2], kernels[-1])  # the epoch's end: the last batch's


def test_a_model_without_conv_sends_no_filters_and_stop_sends_those_it_stopped_with(
    mnist, monkeypatch
):
    monkeypatch.setattr(training, "FILTERS_EVERY", math.inf)  # none within the epoch
    sent: list[np.ndarray] = []
    small = replace(SMALL, max_train_images=300)
    training.train(tiny_model(mnist, layers=MLP), mnist, small, on_filters=sent.append)
    assert sent == []

    stop = threading.Event()
    model = tiny_model(mnist)
    result = training.train(
        model,
        mnist,
        replace(small, epochs=3),
        lambda progress: stop.set() if progress.step == 2 else None,
        stop,
        sent.append,
    )
    assert result.stopped and len(sent) == 2  # the start, and where Stop left them
    np.testing.assert_array_equal(sent[-1], training.first_conv_kernel(model))


def test_device_description_names_the_device_and_the_backend():
    text = training.device_description()
    assert text.endswith(f" · {keras.backend.backend()}")
    assert text.startswith(training.gpu_name() or "CPU")


def _traced_graphs() -> int:
    from tensorflow.python.framework import func_graph

    gc.collect()
    return sum(isinstance(o, func_graph.FuncGraph) for o in gc.get_objects())


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's graphs")
def test_a_finished_training_leaves_none_of_its_traced_graphs_behind(mnist):
    """Keras's replica all-reduce kept every traced train step alive (~20 MB a training); a
    training worker applies `patches.skip_single_replica_all_reduce` before it trains."""
    assert patches.skip_single_replica_all_reduce()
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
    run_under(backend, Path(__file__), expected=7)
