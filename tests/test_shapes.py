"""Output-size formulas against Keras layers, and the course's arithmetic examples."""

import keras
import pytest

from cnnviz import shapes
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
