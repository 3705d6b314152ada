"""Output-size formulas against Keras layers, and the course's arithmetic examples."""

import math

import keras
import numpy as np
import pytest

from cnnviz import conv, i18n, shapes
from cnnviz.errors import ShapeError


@pytest.mark.parametrize("n", [5, 7, 8, 28, 32])
@pytest.mark.parametrize("kernel", [1, 2, 3, 5])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_output_size_equals_keras(n, kernel, stride, padding):
    layer = keras.layers.Conv2D(1, kernel, strides=stride, padding=padding)
    expected = layer.compute_output_shape((1, n, n, 1))[1]
    assert shapes.conv_output_size(n, kernel, stride, padding) == expected


@pytest.mark.parametrize(("n", "kernel", "dilation"), [(9, 3, 2), (12, 3, 3), (10, 2, 4)])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_dilated_output_size_equals_keras(n, kernel, dilation, padding):
    layer = keras.layers.Conv2D(1, kernel, dilation_rate=dilation, padding=padding)
    expected = layer.compute_output_shape((1, n, n, 1))[1]
    assert shapes.conv_output_size(n, kernel, 1, padding, dilation) == expected


@pytest.mark.parametrize("n", [4, 5, 7, 32])
@pytest.mark.parametrize(("pool", "stride"), [(2, None), (3, 2), (2, 1), (3, None)])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool_output_size_equals_keras(n, pool, stride, padding):
    layer = keras.layers.MaxPooling2D(pool, strides=stride, padding=padding)
    expected = layer.compute_output_shape((1, n, n, 1))[1]
    assert shapes.pool_output_size(n, pool, stride, padding) == expected


def test_course_example_seven_by_seven_with_three_by_three_kernel():
    assert [shapes.conv_output_size(7, 3, s) for s in (1, 2)] == [5, 3]
    three = shapes.explain_conv_output(7, 3, 3)
    assert three.size == 2
    assert three.exact == pytest.approx(2.33, abs=0.01)
    assert not three.fits_evenly
    assert three.dropped == 1
    assert "7" in three.numbers and "3" in three.numbers and three.numbers.endswith("= 2")


def test_padding_of_half_the_kernel_keeps_the_size():
    for kernel, pad in [(3, 1), (5, 2), (7, 3)]:
        assert shapes.conv_output_size(32, kernel, 1, pad) == 32
    assert shapes.explain_conv_output(32, 5, 1, 2).fits_evenly


def test_same_and_valid_match_the_ceiling_formulas():
    same = shapes.explain_conv_output(7, 3, 2, "same")
    assert same.size == 4 and same.formula == "O = ⌈I / S⌉"
    assert (same.pad_before, same.pad_after) == (1, 1)
    assert shapes.conv_output_size(7, 3, 2, "valid") == 3  # ⌈(7 − 3 + 1) / 2⌉


def test_dilation_widens_the_kernel():
    explained = shapes.explain_conv_output(9, 3, 1, "valid", 2)
    assert explained.effective_kernel == 5
    assert explained.size == 5


@pytest.mark.parametrize(
    ("args", "key"),
    [
        ((5, 7), "shape.kernel_too_large"),
        ((5, 3, 0), "shape.stride_too_small"),
        ((5, 3, 1, -1), "shape.negative_padding"),
        ((5, 3, 1, "full"), "shape.unknown_padding"),
        ((5, 3, 1, "valid", 0), "shape.dilation_too_small"),
    ],
)
def test_impossible_settings_raise_with_a_key(args, key):
    with pytest.raises(ShapeError) as caught:
        shapes.conv_output_size(*args)
    assert caught.value.key == key


def test_seven_wide_input_with_stride_three_shows_the_numbers_and_the_dropped_column():
    three = shapes.explain_conv_output(7, 3, 3)
    assert three.numbers == "⌊(7 − 3 + 2·0) / 3⌋ + 1 = ⌊1.33⌋ + 1 = 2"
    assert three.formula == "O = ⌊(I − K + 2P) / S⌋ + 1"
    assert (three.fits_evenly, three.dropped) == (False, 1)
    assert conv.conv2d(np.ones((7, 7)), np.ones((3, 3)), stride=3).shape == (2, 2)


def test_course_example_ten_five_by_five_filters_with_padding_two_keep_thirty_two():
    explained = shapes.explain_conv_output(32, 5, 1, 2)
    assert explained.numbers == "⌊(32 − 5 + 2·2) / 1⌋ + 1 = ⌊31⌋ + 1 = 32"
    assert (explained.size, explained.fits_evenly, explained.dropped) == (32, True, 0)


@pytest.mark.parametrize("n", [1, 4, 7, 10])
@pytest.mark.parametrize("kernel", [1, 2, 3, 4])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same", 1])
@pytest.mark.parametrize("dilation", [1, 2])
def test_explanation_matches_the_windows_conv2d_actually_takes(
    n, kernel, stride, padding, dilation
):
    x = np.ones((n, 1))
    try:
        steps = conv.conv2d_steps(x, np.ones((kernel, 1)), stride, padding, (dilation, 1))
    except ShapeError as error:
        with pytest.raises(ShapeError) as caught:
            shapes.explain_conv_output(n, kernel, stride, padding, dilation)
        assert caught.value.key == error.key
        return
    explained = shapes.explain_conv_output(n, kernel, stride, padding, dilation)
    steps = [step for step in steps if step.col == 0]  # one window per output row
    assert explained.size == len(steps)
    padded, (top, bottom, _, _) = conv.pad(x, padding, (kernel, 1), stride, (dilation, 1))
    assert (explained.pad_before, explained.pad_after) == (top, bottom)
    last_row_covered = steps[-1].top + explained.effective_kernel
    assert explained.dropped == padded.shape[0] - last_row_covered
    assert explained.fits_evenly == (explained.dropped == 0)


@pytest.mark.parametrize("n", range(1, 13))
@pytest.mark.parametrize("kernel", [1, 2, 3, 5])
@pytest.mark.parametrize("stride", [1, 2, 3, 4])
def test_keras_ceiling_formulas_hold(n, kernel, stride):
    assert shapes.conv_output_size(n, kernel, stride, "same") == math.ceil(n / stride)
    if kernel <= n:
        valid = shapes.conv_output_size(n, kernel, stride, "valid")
        assert valid == math.ceil((n - kernel + 1) / stride)


def test_pooling_stride_defaults_to_the_window_and_reports_what_is_left_over():
    explained = shapes.explain_pool_output(7, 2)
    assert (explained.size, explained.fits_evenly, explained.dropped) == (3, False, 1)
    assert shapes.pool_output_size(7, 2, padding="same") == 4
    assert shapes.pool_output_size(28, 2) == 14


def test_numpy_and_whole_float_sizes_are_accepted():
    assert shapes.conv_output_size(np.int64(7), np.int64(3), np.int64(2), np.int64(1)) == 4
    assert shapes.conv_output_size(7.0, 3.0, 2.0) == 3


@pytest.mark.parametrize(
    ("args", "key"),
    [
        ((0, 3), "shape.input_too_small"),
        ((7, 0), "shape.kernel_empty"),
        ((7, 3, 1.5), "shape.stride_too_small"),
        ((7, 3, 1, 1.5), "shape.negative_padding"),
        ((7, 3, 1, None), "shape.negative_padding"),
        ((7, 3, 1, "valid", 2.5), "shape.dilation_too_small"),
    ],
)
def test_fractional_or_missing_settings_raise_with_a_message_in_both_languages(args, key):
    with pytest.raises(ShapeError) as caught:
        shapes.explain_conv_output(*args)
    assert caught.value.key == key
    for lang in ("en", "ko"):
        assert "{" not in i18n.t(key, lang, **caught.value.values)


@pytest.mark.parametrize(
    ("layers", "key"),
    [
        ([{"type": "Conv2D", "filters": 4, "kernel_size": 40}], "shape.layer_too_small"),
        (
            [
                {"type": "Conv2D", "filters": 4, "kernel_size": 40},
                {"type": "MaxPooling2D", "pool_size": 2},
            ],
            "shape.layer_too_small",
        ),
        (
            [
                {"type": "AveragePooling2D", "pool_size": 2},
                {"type": "Conv2D", "filters": 4, "kernel_size": 20},
            ],
            "shape.layer_too_small_pool",
        ),
        ([{"type": "MaxPooling2D", "pool_size": 2}] * 6, "shape.layer_too_small_pool"),
    ],
)
def test_pooling_advice_only_where_a_pooling_layer_shrinks_the_maps_first(layers, key):
    from cnnviz import params

    with pytest.raises(ShapeError) as caught:
        params.summarize(layers, (28, 28, 1))
    advised = shapes.with_pooling_advice(caught.value, layers)
    assert advised.key == key
    message = i18n.t(advised.key, "en", **advised.values)
    assert ("pooling layer" in message) == key.endswith("_pool")
    korean = i18n.t(advised.key, "ko", **advised.values)
    assert "below 1×1" in message and "1×1보다 작아집니다" in korean
    assert ("풀링 층을 빼거나" in korean) == key.endswith("_pool")


def test_pooling_advice_leaves_other_errors_alone():
    error = ShapeError("shape.kernel_empty")
    assert shapes.with_pooling_advice(error, [{"type": "MaxPooling2D"}]) is error
