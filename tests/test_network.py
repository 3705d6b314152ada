"""cnnviz.network: the overview's columns for a real model, which maps and units are drawn, the
window over a big model, and where a Flatten unit came from."""

import numpy as np
import pytest

from cnnviz import explain, features, models, network, predictions
from tests.tiny_models import mnist_test_digit


@pytest.fixture(scope="module")
def shipped_columns():
    model = models.load_pretrained("mnist_cnn")
    x = mnist_test_digit(0)
    layers = features.activations(model, x)
    probabilities = predictions.probabilities(model, x)[0]
    return network.columns(x, layers, explain.kinds(model), probabilities), layers, probabilities


def test_columns_run_from_the_input_through_every_layer_to_the_probabilities(shipped_columns):
    columns, layers, probabilities = shipped_columns
    assert [c.name for c in columns] == ["input", *(layer.name for layer in layers)]
    assert [c.kind for c in columns] == [
        "input", "conv", "pool", "conv", "pool", "flatten", "dense", "output"
    ]  # fmt: skip
    np.testing.assert_allclose(columns[-1].values, probabilities)
    assert columns[-1].shown == tuple(range(10)) and not columns[-1].capped


def test_a_wide_layer_draws_its_first_maps_or_its_most_active_units(shipped_columns):
    columns, layers, _ = shipped_columns
    conv = columns[1]
    assert conv.shown == tuple(range(network.MAX_MAPS)) and conv.count == 32 and conv.capped
    dense = columns[6]
    assert len(dense.shown) == network.MAX_UNITS and list(dense.shown) == sorted(dense.shown)
    weakest_shown = dense.values[list(dense.shown)].min()
    hidden = np.delete(dense.values, list(dense.shown))
    assert weakest_shown >= hidden.max()


def test_many_classes_show_the_likeliest():
    probabilities = np.linspace(0, 1, 1000)
    layer = features.LayerActivation("scores", "Dense", (1000,), probabilities)
    columns = network.columns(np.zeros((1, 4, 4, 3)), [layer], {"scores": "dense"}, probabilities)
    assert columns[-1].kind == "output"
    assert columns[-1].shown == tuple(range(990, 1000))
    assert columns[0].shown == (0, 1, 2)  # the input's three channels


@pytest.mark.parametrize(
    ("count", "picked", "expected"),
    [(8, 5, range(8)), (30, 0, range(0, 14)), (30, 20, range(13, 27)), (30, 29, range(16, 30))],
)
def test_a_big_model_shows_a_window_of_columns_around_the_picked_one(count, picked, expected):
    shown = network.visible(count, picked)
    assert shown == expected and picked in shown


def test_a_flatten_unit_comes_from_the_map_keras_reads_it_from():
    maps = np.arange(5 * 5 * 64).reshape(5, 5, 64)
    flat = maps.reshape(-1)  # what Flatten does, channels fastest
    for index in (0, 63, 64, 777, 1599):
        row, col, channel = network.flatten_origin(maps.shape, index)
        assert maps[row, col, channel] == flat[index]
