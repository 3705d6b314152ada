"""Pooling against Keras's pooling layers, and the step-through."""

from pathlib import Path

import keras
import numpy as np
import pytest

from cnnviz import i18n, images, pooling
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
    for lang in ("en", "ko"):
        assert "{" not in i18n.t(key, lang, **caught.value.values)


@pytest.mark.parametrize(("size", "stride"), [(2, None), (3, 2), (2, 1), (3, 3)])
@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_steps_agree_with_pool2d_and_point_at_the_winner(size, stride, mode, padding):
    x = np.random.default_rng(size * 7).normal(size=(7, 8))
    whole = pooling.pool2d(x, size, stride, mode, padding)
    steps = pooling.pool2d_steps(x, size, stride, mode, padding)
    assert [(s.row, s.col) for s in steps] == list(np.ndindex(whole.shape))
    np.testing.assert_allclose([s.value for s in steps], whole.ravel())
    for step in steps:
        if mode == "max":
            assert step.window[step.position_of_max] == step.value == np.nanmax(step.window)
        else:
            assert step.position_of_max is None


def test_same_padding_cells_show_as_empty_in_the_window():
    steps = pooling.pool2d_steps(np.arange(9.0).reshape(3, 3), 2, padding="same")
    assert (steps[-1].top, steps[-1].left) == (2, 2)
    assert np.isnan(steps[-1].window).sum() == 3
    assert steps[-1].value == 8


def test_pooling_a_photo_keeps_its_channels_and_halves_its_size():
    photo = images.load_image(Path("assets/samples/cat.jpg").read_bytes(), max_side=64)
    pooled = pooling.pool2d(photo, 2)
    assert pooled.shape == (photo.shape[0] // 2, photo.shape[1] // 2, 3)
    np.testing.assert_allclose(
        pooled, keras_pool(photo.astype(np.float64), 2, None, "max", "valid")
    )
    np.testing.assert_allclose(
        pooling.global_average_pool(photo), photo.reshape(-1, 3).mean(axis=0)
    )


def test_global_average_pool_of_one_channel_is_a_single_number():
    assert pooling.global_average_pool(np.array([[1.0, 2.0], [3.0, 6.0]])) == 3.0


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda: pooling.pool2d(np.ones((4, 4)), 1.5), "shape.pool_too_small"),
        (lambda: pooling.pool2d(np.ones((4, 4)), "2"), "shape.pool_too_small"),
        (lambda: pooling.pool2d(np.ones((4, 4)), 2, 0.5), "shape.stride_too_small"),
        (lambda: pooling.pool2d(np.ones((4, 4)), 2, padding="full"), "shape.unknown_padding"),
        (lambda: pooling.pool2d(np.ones(4), 2), "shape.input_bad"),
        (lambda: pooling.pool2d_steps(np.ones((4, 4, 3)), 2), "shape.pool_steps_2d"),
        (lambda: pooling.global_average_pool(np.ones((0, 3))), "shape.input_bad"),
    ],
)
def test_more_bad_settings_raise_with_a_message_in_both_languages(call, key):
    with pytest.raises(ShapeError) as caught:
        call()
    assert caught.value.key == key
    for lang in ("en", "ko"):
        assert "{" not in i18n.t(key, lang, **caught.value.values)


@pytest.mark.parametrize(
    ("shape", "size", "stride"), [((7, 9), 2, None), ((5, 5), 3, 2), ((8, 6, 3), 3, 1)]
)
def test_pads_are_the_same_padding_keras_adds(shape, size, stride):
    from cnnviz.conv import same_padding

    step = size if stride is None else stride
    assert pooling.pads(shape, size, stride, "valid") == (0, 0, 0, 0)
    assert pooling.pads(shape, size, stride, "same") == (
        *same_padding(shape[0], size, step),
        *same_padding(shape[1], size, step),
    )
    out = pooling.pool2d(np.zeros(shape), size, stride, padding="same")
    top, bottom, left, right = pooling.pads(shape, size, stride, "same")
    assert out.shape[:2] == (
        (shape[0] + top + bottom - size) // step + 1,
        (shape[1] + left + right - size) // step + 1,
    )


def test_pads_refuse_bad_settings_with_a_key():
    for kwargs, key in [
        ({"size": 0}, "shape.pool_too_small"),
        ({"stride": 0}, "shape.stride_too_small"),
        ({"padding": "full"}, "shape.unknown_padding"),
    ]:
        with pytest.raises(ShapeError) as caught:
            pooling.pads((4, 4), **{"size": 2, **kwargs})
        assert caught.value.key == key


def test_average_pooling_with_same_padding_counts_only_input_cells():
    x = np.arange(25.0).reshape(5, 5)
    steps = pooling.pool2d_steps(x, 2, mode="avg", padding="same")  # pads one row and column after
    last = steps[-1]
    assert (last.padded, last.counted) == (3, 1) and last.value == 24.0
    assert (steps[0].padded, steps[0].counted) == (0, 4)
    assert [s.padded for s in steps if s.row < 2 and s.col < 2] == [0, 0, 0, 0]
