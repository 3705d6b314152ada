"""conv2d and conv2d_steps against the course's worked examples, Keras Conv2D and cv2.filter2D."""

import cv2
import keras
import numpy as np
import pytest

from cnnviz import conv, i18n
from cnnviz.errors import ShapeError

EXAMPLE_1 = np.array(
    [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]
)
KERNEL_1 = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]])
EXAMPLE_2 = np.array(
    [
        [0, 1, 1, 1, 0, 0, 0],
        [0, 0, 1, 1, 1, 0, 0],
        [0, 0, 0, 1, 1, 1, 0],
        [0, 0, 0, 1, 1, 0, 0],
        [0, 0, 1, 1, 0, 0, 0],
        [0, 1, 1, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0, 0],
    ]
)
PATCH_3 = np.array(
    [
        [60, 113, 56, 139, 85],
        [73, 121, 54, 84, 128],
        [131, 99, 70, 129, 127],
        [80, 57, 115, 69, 134],
        [104, 126, 123, 95, 130],
    ]
)
SHARPEN = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])


def test_course_example_1_five_by_five_with_three_by_three_kernel():
    expected = [[12, 12, 17], [10, 17, 19], [9, 6, 14]]
    np.testing.assert_array_equal(conv.conv2d(EXAMPLE_1, KERNEL_1), expected)


def test_course_example_2_binary_image_with_x_kernel():
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    expected = [
        [1, 4, 3, 4, 1],
        [1, 2, 4, 3, 3],
        [1, 2, 3, 4, 1],
        [1, 3, 3, 1, 1],
        [3, 3, 1, 1, 0],
    ]
    np.testing.assert_array_equal(conv.conv2d(EXAMPLE_2, kernel), expected)


def test_course_example_3_sharpen_with_same_padding():
    out = conv.conv2d(PATCH_3, SHARPEN, padding="same")
    assert out.shape == (5, 5)
    np.testing.assert_array_equal(out[0], [114, 328, -26, 470, 158])
    first = conv.conv2d_steps(PATCH_3, SHARPEN, padding="same")[0]
    assert first.total == 5 * 60 - 113 - 73 == 114
    assert first.expression.endswith("= 114")
    assert "60·5" in first.expression and "113·(−1)" in first.expression


def test_steps_walk_the_output_in_reading_order_and_agree_with_conv2d():
    steps = conv.conv2d_steps(EXAMPLE_1, KERNEL_1)
    assert [(s.row, s.col) for s in steps] == [(r, c) for r in range(3) for c in range(3)]
    np.testing.assert_array_equal(
        np.array([s.total for s in steps]).reshape(3, 3), conv.conv2d(EXAMPLE_1, KERNEL_1)
    )
    last = steps[-1]
    np.testing.assert_array_equal(last.window, EXAMPLE_1[2:5, 2:5])
    np.testing.assert_array_equal(last.products, EXAMPLE_1[2:5, 2:5] * KERNEL_1)


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("padding", ["valid", "same", 2])
def test_steps_agree_with_conv2d_on_random_multichannel_input(stride, dilation, padding):
    rng = np.random.default_rng(stride * 10 + dilation)
    x, kernel = rng.normal(size=(11, 9, 2)), rng.normal(size=(3, 2, 2))
    whole = conv.conv2d(x, kernel, stride, padding, dilation)
    steps = conv.conv2d_steps(x, kernel, stride, padding, dilation)
    np.testing.assert_allclose(np.array([s.total for s in steps]).reshape(whole.shape), whole)


def keras_conv(x: np.ndarray, kernel: np.ndarray, stride: int, padding: str, dilation: int):
    layer = keras.layers.Conv2D(
        1, kernel.shape[:2], strides=stride, padding=padding, dilation_rate=dilation, use_bias=False
    )
    layer.build((1, *x.shape))
    layer.set_weights([kernel[..., None]])
    return keras.ops.convert_to_numpy(layer(x[None].astype("float32")))[0, :, :, 0]


# Keras (TensorFlow) refuses strides > 1 together with dilation > 1
CASES = [
    (size, kh, kw, channels, stride, padding, dilation)
    for size, kh, kw in [((9, 8), 3, 3), ((10, 10), 4, 2), ((7, 12), 5, 4), ((6, 6), 1, 1)]
    for channels in (1, 3)
    for padding in ("valid", "same")
    for stride, dilation in [(1, 1), (2, 1), (3, 1), (1, 2)]
]


@pytest.mark.parametrize(("size", "kh", "kw", "channels", "stride", "padding", "dilation"), CASES)
def test_conv2d_equals_keras_conv2d(size, kh, kw, channels, stride, padding, dilation):
    rng = np.random.default_rng(hash((size, kh, kw, channels, stride, padding, dilation)) % 2**32)
    x = rng.normal(size=(*size, channels))
    kernel = rng.normal(size=(kh, kw, channels))
    if dilation * (max(kh, kw) - 1) + 1 > min(size) and padding == "valid":
        pytest.skip("kernel larger than the input")
    ours = conv.conv2d(x, kernel, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(ours, keras_conv(x, kernel, stride, padding, dilation), atol=1e-4)


@pytest.mark.parametrize("name", ["sharpen", "gaussian", "sobel_x", "emboss", "motion"])
def test_same_padding_with_odd_kernels_equals_cv2_filter2d(name):
    from cnnviz.kernels import KERNELS

    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, size=(40, 30))
    kernel = KERNELS[name]
    expected = cv2.filter2D(image, cv2.CV_64F, kernel, borderType=cv2.BORDER_CONSTANT)
    np.testing.assert_allclose(conv.conv2d(image, kernel, padding="same"), expected, atol=1e-9)


def test_valid_output_is_the_interior_of_cv2_filter2d():
    rng = np.random.default_rng(1)
    image, kernel = rng.uniform(0, 1, size=(20, 25)), rng.normal(size=(5, 5))
    expected = cv2.filter2D(image, cv2.CV_64F, kernel, borderType=cv2.BORDER_CONSTANT)[2:-2, 2:-2]
    np.testing.assert_allclose(conv.conv2d(image, kernel), expected, atol=1e-9)


def test_same_padding_puts_the_extra_row_after_for_even_kernels():
    padded, pads = conv.pad(np.ones((6, 6)), "same", (4, 4), stride=1)
    assert pads == (1, 2, 1, 2)
    assert padded.shape == (9, 9)
    _, pads = conv.pad(np.ones((7, 7)), "same", (3, 3), stride=2)
    assert pads == (1, 1, 1, 1)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"kernel": np.ones((7, 7))}, "shape.kernel_too_large"),
        ({"kernel": np.ones((3, 3)), "stride": 0}, "shape.stride_too_small"),
        ({"kernel": np.ones((3, 3)), "dilation": 0}, "shape.dilation_too_small"),
        ({"kernel": np.ones((3, 3)), "dilation": 3}, "shape.kernel_too_large"),
        ({"kernel": np.ones((3, 3)), "padding": -1}, "shape.negative_padding"),
        ({"kernel": np.ones((3, 3)), "padding": "full"}, "shape.unknown_padding"),
        ({"kernel": np.array([[1, np.nan], [0, 1]])}, "shape.kernel_not_finite"),
        ({"kernel": np.zeros((0, 0))}, "shape.kernel_empty"),
        ({"kernel": np.ones((3, 3, 2))}, "shape.kernel_channels"),
    ],
)
def test_bad_input_raises_shape_error_with_a_message_in_both_languages(kwargs, key):
    with pytest.raises(ShapeError) as caught:
        conv.conv2d(np.ones((5, 5)), **kwargs)
    assert caught.value.key == key
    for lang in ("en", "ko"):
        assert key in i18n.catalogue(lang)
        message = i18n.t(key, lang, **caught.value.values)
        assert "{" not in message
    with pytest.raises(ShapeError):
        conv.conv2d_steps(np.ones((5, 5)), **kwargs)
