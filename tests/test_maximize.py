"""Gradient ascent on a filter (cnnviz.maximize, re-exported as cnnviz.explain.maximize), on the
shipped CNN, the course's CIFAR-10 CNN with random weights and a model that is not Sequential."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from cnnviz import architectures, data, explain, features, maximize, models
from cnnviz.errors import ModelError, ShapeError
from tests.backends import OTHER_BACKENDS, run_under
from tests.tiny_models import tiny_functional


@pytest.fixture(scope="module")
def shipped_cnn() -> keras.Model:
    return models.load_pretrained("mnist_cnn")


def conv_names(model: keras.Model) -> list[str]:
    return [layer.name for layer in model.layers if explain.kind(layer) == "conv"]


def mean_activation(model: keras.Model, x: np.ndarray, layer: str, channel: int) -> float:
    """The channel's mean over its map, as the model computes it (after the activation)."""
    found = {a.name: a.values for a in features.activations(model, x)}[layer]
    return float(found[..., channel].mean())


def test_most_first_layer_filters_of_the_shipped_cnn_fire_twice_as_strongly_current_backend(
    shipped_cnn,
):
    layer = conv_names(shipped_cnn)[0]
    filters = shipped_cnn.get_layer(layer).filters
    doubled = 0
    for channel in range(filters):
        start = explain.maximize(shipped_cnn, layer, channel, steps=0, seed=0)
        made = explain.maximize(shipped_cnn, layer, channel, seed=0)
        before = mean_activation(shipped_cnn, start, layer, channel)
        after = mean_activation(shipped_cnn, made, layer, channel)
        doubled += after > 0 and after >= 2 * before
    assert filters == 32
    assert doubled >= 0.8 * filters, f"{doubled} of {filters} filters at least doubled"


def test_the_picture_has_the_models_input_shape_and_stays_in_range(shipped_cnn):
    made = explain.maximize(shipped_cnn, conv_names(shipped_cnn)[1], 7, steps=8)
    assert made.shape == (1, *shipped_cnn.input_shape[1:])
    assert made.dtype == np.float32
    assert made.min() >= 0.0 and made.max() <= 1.0
    # the ascent moved it: it is no longer the noise it started from
    start = maximize.starting_noise(made.shape[1:], seed=0)[None]
    assert np.abs(made - start).mean() > 0.05


def test_steps_zero_is_the_seeded_starting_noise_and_seeds_repeat(shipped_cnn):
    layer = conv_names(shipped_cnn)[0]
    start = explain.maximize(shipped_cnn, layer, 0, steps=0, seed=3)
    assert np.array_equal(start[0], maximize.starting_noise((28, 28, 1), seed=3))
    assert abs(float(start.mean()) - 0.5) < 0.02 and 0.07 < float(start.std()) < 0.13
    first = explain.maximize(shipped_cnn, layer, 4, steps=12, seed=1)
    again = explain.maximize(shipped_cnn, layer, 4, steps=12, seed=1)
    other = explain.maximize(shipped_cnn, layer, 4, steps=12, seed=2)
    np.testing.assert_allclose(first, again, atol=1e-6)
    assert not np.allclose(first, other, atol=1e-3)


def test_a_deeper_filter_of_a_colour_model_is_raised_too():
    model = models.build(architectures.get("cifar10_cnn"), seed=0)
    layer = conv_names(model)[-1]
    start = explain.maximize(model, layer, 2, steps=0)
    made = explain.maximize(model, layer, 2, steps=24)
    assert made.shape == (1, 32, 32, 3)
    assert mean_activation(model, made, layer, 2) > mean_activation(model, start, layer, 2)


def test_a_functional_model_and_a_value_range_other_than_0_to_1():
    model = tiny_functional()
    layer = conv_names(model)[0]
    made = explain.maximize(model, layer, 0, steps=10, value_range=(-1.0, 1.0))
    assert -1.0 <= made.min() < 0.0 <= made.max() <= 1.0
    start = explain.maximize(model, layer, 0, steps=0, value_range=(-1.0, 1.0))
    assert abs(float(start.mean())) < 0.05  # grey is the middle of the range


def test_top_activating_orders_test_digits_by_the_filters_mean_response(shipped_cnn):
    digits = data.load("mnist").x_test[:200].astype(np.float32) / 255
    layer = conv_names(shipped_cnn)[1]
    indices, scores = maximize.top_activating(shipped_cnn, layer, 9, digits, k=5)
    assert len(indices) == 5 and list(scores) == sorted(scores, reverse=True)
    for index, score in zip(indices, scores, strict=True):
        assert mean_activation(shipped_cnn, digits[index : index + 1], layer, 9) == pytest.approx(
            float(score), abs=1e-5
        )
    every = [mean_activation(shipped_cnn, digits[i : i + 1], layer, 9) for i in range(200)]
    assert scores[0] == pytest.approx(max(every), abs=1e-5)


def test_a_filter_or_layer_that_is_not_there_is_refused(shipped_cnn):
    layer = conv_names(shipped_cnn)[0]
    with pytest.raises(ShapeError) as refused:
        explain.maximize(shipped_cnn, layer, 32)
    assert refused.value.key == "inside.unit_outside"
    with pytest.raises(ModelError) as refused:
        explain.maximize(shipped_cnn, "no_such_layer", 0)
    assert refused.value.key == "inside.no_such_layer"
    with pytest.raises(ModelError) as refused:
        explain.maximize(shipped_cnn, layer, 0, steps=-1)
    assert refused.value.key == "inside.maximize_steps"
    with pytest.raises(ShapeError):
        maximize.top_activating(shipped_cnn, layer, -1, np.zeros((2, 28, 28, 1), np.float32))


@pytest.mark.parametrize("backend", OTHER_BACKENDS)
def test_the_ascent_runs_on_the_other_backends(backend):
    run_under(backend, Path(__file__), expected=1)
