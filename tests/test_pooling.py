"""Pooling against Keras's pooling layers, and the step-through."""

import keras
import numpy as np
import pytest

from cnnviz import pooling
from cnnviz.errors import ShapeError


def keras_pool(x, size, stride, mode, padding):
    layer_type = keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D
    layer = layer_type(size, strides=stride, padding=padding)
    return keras.ops.convert_to_numpy(layer(x[None].astype("float32")))[0]


@pytest.mark.parametrize("shape", [(8, 8, 2), (7, 9, 3), (5, 5, 1)])
@pytest.mark.parametrize(("size", "stride"), [(2, None), (3, 2), (2, 1), (3, 3)])
@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool2d_equals_keras(shape, size, stride, mode, padding):
    rng = np.random.default_rng(sum(shape) + size)
    x = rng.normal(size=shape)
    ours = pooling.pool2d(x, size, stride, mode, padding)
    np.testing.assert_allclose(ours, keras_pool(x, size, stride, mode, padding), atol=1e-5)


def test_global_average_pool_equals_keras():
    x = np.random.default_rng(0).normal(size=(6, 5, 4))
    layer = keras.layers.GlobalAveragePooling2D()
    expected = keras.ops.convert_to_numpy(layer(x[None].astype("float32")))[0]
    np.testing.assert_allclose(pooling.global_average_pool(x), expected, atol=1e-5)


def test_steps_show_each_window_and_where_the_max_is():
    x = np.array([[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 2, 2], [3, 0, 1, 9]])
    steps = pooling.pool2d_steps(x, 2)
    assert [s.value for s in steps] == [4, 5, 3, 9]
    assert steps[0].argmax == (1, 0) and steps[3].argmax == (1, 1)
    np.testing.assert_array_equal(steps[1].window, [[2, 0], [1, 5]])
    averages = pooling.pool2d_steps(x, 2, mode="avg")
    assert [s.value for s in averages] == [2.5, 2.0, 1.0, 3.5]
    np.testing.assert_array_equal(
        np.array([s.value for s in steps]).reshape(2, 2), pooling.pool2d(x, 2)
    )


def test_same_padding_never_lets_padding_win_or_count():
    x = -np.ones((3, 3))
    np.testing.assert_array_equal(pooling.pool2d(x, 2, padding="same"), -np.ones((2, 2)))
    np.testing.assert_array_equal(
        pooling.pool2d(x, 2, mode="avg", padding="same"), -np.ones((2, 2))
    )


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"size": 0}, "shape.pool_too_small"),
        ({"size": 2, "stride": 0}, "shape.stride_too_small"),
        ({"size": 9}, "shape.kernel_too_large"),
        ({"size": 2, "mode": "median"}, "shape.unknown_pool_mode"),
    ],
)
def test_bad_pooling_settings_raise_with_a_key(kwargs, key):
    with pytest.raises(ShapeError) as caught:
        pooling.pool2d(np.ones((4, 4)), **kwargs)
    assert caught.value.key == key
