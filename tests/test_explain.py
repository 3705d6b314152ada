"""cnnviz.explain: every explained number equals what the model itself computed (1e-4), on the
shipped CNN, a CNN trained here, the course's CIFAR-10, CIFAR-100 (batch norm) and LeNet-5 with
random weights, and layers with "same" padding, strides, dilation and fused activations.

Tests that name "current_backend" run on whatever KERAS_BACKEND is; the backend test runs them
again under JAX and PyTorch where those are installed."""

from pathlib import Path

import keras
import numpy as np
import pytest

from cnnviz import architectures, conv, data, explain, features, models, pooling
from cnnviz.errors import ModelError, ShapeError
from tests.backends import OTHER_BACKENDS, run_under
from tests.tiny_models import pictures, tiny_functional

TOLERANCE = 1e-4


def explain_layer(model, x, layer, rng, cells: int = 4) -> list:
    """Explanations of `cells` random cells (or units) of `layer`, whatever its kind."""
    activations = features.activations(model, x)
    values = {a.name: a.values for a in activations}[layer.name]
    found = []
    for _ in range(cells):
        what = explain.kind(layer)
        if what == "dense":
            unit = int(rng.integers(values.size))
            found.append(explain.dense_unit(model, x, layer.name, unit, layers=activations))
            continue
        if values.ndim == 1:  # a global pooling or batch norm after Flatten: one cell per channel
            row = col = 0
            channel = int(rng.integers(values.shape[0]))
        else:
            row, col, channel = (int(rng.integers(size)) for size in values.shape)
        explainer = {"conv": explain.conv_cell, "pool": explain.pool_cell,
                     "batch_norm": explain.batch_norm_cell}[what]  # fmt: skip
        found.append(explainer(model, x, layer.name, row, col, channel, layers=activations))
    return found


def assert_every_layer_explained(model, x, seed: int = 0, cells: int = 4) -> set[str]:
    """Every explainable layer's random cells equal the model's own values; returns the kinds."""
    rng = np.random.default_rng(seed)
    kinds = set()
    for layer in model.layers:
        what = explain.kind(layer)
        if what not in ("conv", "pool", "dense", "batch_norm"):
            continue
        kinds.add(what)
        for cell in explain_layer(model, x, layer, rng, cells):
            assert cell.value == pytest.approx(cell.model_value, abs=TOLERANCE), (layer.name, cell)
    return kinds


def course_model(name: str) -> keras.Model:
    return models.build(architectures.get(name), seed=0)


@pytest.fixture(scope="module")
def digit() -> np.ndarray:
    return data.load("mnist").x_test[:1].astype(np.float32) / 255


@pytest.fixture(scope="module")
def shipped_cnn() -> keras.Model:
    return models.load_pretrained("mnist_cnn")


def test_the_shipped_cnn_is_explained_cell_by_cell_as_it_computes_current_backend(
    shipped_cnn, digit
):
    kinds = assert_every_layer_explained(shipped_cnn, digit, cells=6)
    assert kinds == {"conv", "pool", "dense"}


@pytest.mark.parametrize("name", ["cifar10_cnn", "lenet5", "cifar100_bn_cnn"])
def test_course_models_with_random_weights_are_explained_as_they_compute(name):
    model = course_model(name)
    x = pictures(1, tuple(model.inputs[0].shape[1:]), seed=3)
    kinds = assert_every_layer_explained(model, x, seed=1)
    assert {"conv", "pool", "dense"} <= kinds
    if name == "cifar100_bn_cnn":
        assert "batch_norm" in kinds


def test_a_cnn_trained_here_with_same_padding_strides_and_batch_norm_is_explained():
    """Trained one epoch on real digits, so the batch norm's moving statistics are not 0 and 1."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="same"),
        keras.layers.Conv2D(8, 4, strides=2, padding="same", activation="tanh", name="strided"),
        keras.layers.BatchNormalization(name="norm"),
        keras.layers.Conv2D(8, 3, dilation_rate=2, activation="sigmoid", name="dilated"),
        keras.layers.AveragePooling2D(3, strides=2, padding="same", name="avg"),
        keras.layers.MaxPooling2D(2, padding="same", name="max"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax", name="scores"),
    ])  # fmt: skip
    model.compile("adam", "sparse_categorical_crossentropy")
    sample = data.load("mnist")
    model.fit(sample.x_train[:600] / 255, sample.y_train[:600], epochs=1, batch_size=50, verbose=0)
    assert not np.allclose(keras.ops.convert_to_numpy(model.get_layer("norm").moving_mean), 0)
    x = sample.x_test[3:4].astype(np.float32) / 255
    kinds = assert_every_layer_explained(model, x, seed=2, cells=8)
    assert kinds == {"conv", "pool", "dense", "batch_norm"}


def test_a_conv_cell_is_lesson_ones_sum_on_the_real_window_and_kernel(shipped_cnn, digit):
    """The window is the input under the kernel, the kernel the layer's own weights, and the
    total their products summed over every input channel plus the bias."""
    second = [layer for layer in shipped_cnn.layers if explain.kind(layer) == "conv"][1]
    cell = explain.conv_cell(shipped_cnn, digit, second.name, 4, 7, 11)
    inputs = explain.layer_input(shipped_cnn, digit, second.name)
    kernel = keras.ops.convert_to_numpy(second.kernel)[:, :, :, 11]
    np.testing.assert_array_equal(cell.windows, inputs[4:7, 7:10, :])
    np.testing.assert_allclose(cell.kernels, kernel)
    np.testing.assert_allclose(cell.channel_totals, (cell.windows * kernel).sum(axis=(0, 1)))
    assert cell.total == pytest.approx(cell.channel_totals.sum() + cell.bias)
    assert cell.activation == "relu" and cell.value == max(cell.total, 0.0)
    whole = conv.conv2d_steps(inputs, kernel)[4 * 11 + 7]  # the lesson's own step, same cell
    assert whole.total == pytest.approx(cell.step.total)
    assert len(cell.strongest_channels(4)) == 4


def test_a_conv_map_adds_its_per_channel_maps_and_bias_to_the_models_map(shipped_cnn, digit):
    second = [layer.name for layer in shipped_cnn.layers if explain.kind(layer) == "conv"][1]
    built = explain.conv_map(shipped_cnn, digit, second, 5)
    found = {a.name: a.values for a in features.activations(shipped_cnn, digit)}[second]
    assert built.per_channel.shape == (*found.shape[:2], built.inputs.shape[2])
    np.testing.assert_allclose(built.output, found[:, :, 5], atol=TOLERANCE)
    np.testing.assert_allclose(built.pre_activation, built.per_channel.sum(axis=2) + built.bias)


def test_a_max_pool_cell_picks_the_largest_of_its_window(shipped_cnn, digit):
    pool = next(layer.name for layer in shipped_cnn.layers if explain.kind(layer) == "pool")
    cell = explain.pool_cell(shipped_cnn, digit, pool, 5, 6, 3)
    assert cell.mode == "max" and cell.step.window.shape == (2, 2)
    assert cell.value == np.nanmax(cell.step.window) == pytest.approx(cell.model_value)


def test_a_functional_model_with_global_pooling_is_explained_by_its_graph_current_backend():
    model = tiny_functional()
    x = pictures(1, (10, 10, 3))
    assert assert_every_layer_explained(model, x) == {"conv", "pool", "dense"}
    assert explain.kind(model.get_layer("joined")) == "unknown"
    cell = explain.pool_cell(model, x, "gap", 0, 0, 1)
    assert cell.step.window.shape == (10, 10) and cell.mode == "avg"


def test_the_output_layers_softmax_is_written_out_and_sums_to_one(shipped_cnn, digit):
    last = shipped_cnn.layers[-1].name
    unit = explain.dense_unit(shipped_cnn, digit, last, 7, top=5)
    written = unit.softmax
    assert written is not None and unit.activation == "softmax"
    assert written.probabilities.sum() == pytest.approx(1.0)
    assert written.probabilities[7] == pytest.approx(unit.value)
    assert written.logits[7] == pytest.approx(unit.total)
    np.testing.assert_allclose(written.exponentials, np.exp(written.logits - written.shift))
    np.testing.assert_allclose(explain.output_logits(shipped_cnn, digit), written.logits)
    # the five largest contributions, the others summed: all of them together make the total
    assert len(unit.top) == 5 and unit.rest_count == 512 - 5
    shown = sum(product for _, _, _, product in unit.top)
    assert shown + unit.rest + unit.bias == pytest.approx(unit.total)
    assert abs(unit.top[0][3]) >= abs(unit.top[-1][3])


def test_softmax_shifts_only_logits_too_large_to_write_as_exponentials():
    small = explain.softmax([1.0, 2.0, 3.0])
    assert small.shift == 0 and small.exponentials[0] == pytest.approx(np.e)
    assert small.total == pytest.approx(np.e + np.e**2 + np.e**3)
    large = explain.softmax([1000.0, 999.0])
    assert large.shift == 1000 and np.isfinite(large.total)
    assert large.probabilities.sum() == pytest.approx(1.0)
    with pytest.raises(ShapeError):
        explain.softmax([np.nan, 1.0])


def test_the_mlp_has_dense_and_softmax_views_but_no_conv(digit):
    mlp = models.load_pretrained("mlp")
    kinds = {explain.kind(layer) for layer in mlp.layers}
    assert "conv" not in kinds and "dense" in kinds
    assert assert_every_layer_explained(mlp, digit) == {"dense"}


def test_a_cell_outside_the_map_is_refused_with_the_maps_size(shipped_cnn, digit):
    first = shipped_cnn.layers[0].name
    with pytest.raises(ShapeError) as refused:
        explain.conv_cell(shipped_cnn, digit, first, 26, 0, 0)
    assert refused.value.key == "inside.cell_outside" and refused.value.values["height"] == 26
    with pytest.raises(ShapeError):
        explain.conv_cell(shipped_cnn, digit, first, 0, 0, 32)
    with pytest.raises(ShapeError):
        explain.dense_unit(shipped_cnn, digit, shipped_cnn.layers[-1].name, 10)


def test_a_layer_of_the_wrong_kind_or_name_is_refused_with_a_message(shipped_cnn, digit):
    with pytest.raises(ModelError) as wrong:
        explain.conv_cell(shipped_cnn, digit, shipped_cnn.layers[-1].name, 0, 0, 0)
    assert wrong.value.key == "inside.cannot_explain"
    with pytest.raises(ModelError) as missing:
        explain.pool_cell(shipped_cnn, digit, "no_such_layer", 0, 0, 0)
    assert missing.value.key == "inside.no_such_layer"


def test_an_unusual_conv_is_unknown_not_explained_wrongly():
    grouped = keras.layers.Conv2D(4, 3, groups=2)
    grouped.build((None, 8, 8, 4))
    assert explain.kind(grouped) == "unknown"
    assert explain.kind(keras.layers.DepthwiseConv2D(3)) == "unknown"
    assert explain.kind(keras.layers.Dropout(0.5)) == "dropout"


def test_pool_cells_use_the_lessons_pooling_steps(shipped_cnn, digit):
    pool = next(layer.name for layer in shipped_cnn.layers if explain.kind(layer) == "pool")
    cell = explain.pool_cell(shipped_cnn, digit, pool, 2, 3, 0)
    inputs = explain.layer_input(shipped_cnn, digit, pool)
    lesson = pooling.pool2d_steps(inputs[:, :, 0], 2)[2 * 13 + 3]
    np.testing.assert_array_equal(cell.step.window, lesson.window)


@pytest.mark.parametrize("backend", OTHER_BACKENDS)
def test_explanations_hold_on_the_other_keras_backends(backend):
    run_under(backend, Path(__file__), expected=2)
