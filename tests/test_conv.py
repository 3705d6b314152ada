"""conv2d and conv2d_steps against the course's worked examples, Keras Conv2D and cv2.filter2D."""

import subprocess
import sys
from pathlib import Path

import cv2
import keras
import numpy as np
import pytest

from cnnviz import conv, i18n, images
from cnnviz.errors import ShapeError
from cnnviz.examples import EXAMPLES
from cnnviz.kernels import KERNELS

# the course's worked examples (COURSE.md); the expected outputs below are written out by hand
EXAMPLE_1, KERNEL_1 = EXAMPLES["five_by_five"].grid, EXAMPLES["five_by_five"].kernel
EXAMPLE_2 = EXAMPLES["binary_seven"].grid
PATCH_3 = EXAMPLES["sharpen_patch"].grid
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


def test_expression_writes_out_every_product_of_the_first_worked_example():
    first = conv.conv2d_steps(EXAMPLE_1, KERNEL_1)[0]
    assert first.expression == "3·0 + 3·1 + 2·2 + 0·2 + 0·2 + 1·0 + 3·0 + 1·1 + 2·2 = 12"
    np.testing.assert_array_equal(first.window, EXAMPLE_1[:3, :3])
    assert (first.top, first.left) == (0, 0)


def test_steps_with_dilation_multiply_every_other_cell_and_start_at_the_stride():
    x = np.arange(49).reshape(7, 7)
    steps = conv.conv2d_steps(x, np.ones((2, 2)), stride=2, dilation=3)
    assert [(s.row, s.col, s.top, s.left) for s in steps] == [
        (0, 0, 0, 0), (0, 1, 0, 2), (1, 0, 2, 0), (1, 1, 2, 2),
    ]  # fmt: skip
    np.testing.assert_array_equal(steps[3].window, [[16, 19], [37, 40]])


def test_steps_on_colour_input_keep_the_channels_of_window_and_products():
    rng = np.random.default_rng(5)
    x, kernel = rng.normal(size=(6, 6, 3)), rng.normal(size=(3, 3, 3))
    step = conv.conv2d_steps(x, kernel, stride=2)[1]
    assert step.window.shape == step.products.shape == (3, 3, 3)
    np.testing.assert_allclose(step.total, (x[0:3, 2:5] * kernel).sum())


@pytest.mark.parametrize(
    ("stride", "dilation"), [((2, 1), 1), ((1, 3), 1), ((3, 2), 1), (1, (2, 1)), (1, (1, 2))]
)
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_stride_and_dilation_pairs_equal_keras(stride, dilation, padding):
    rng = np.random.default_rng(7)
    x, kernel = rng.normal(size=(9, 10, 2)), rng.normal(size=(3, 2, 2))
    ours = conv.conv2d(x, kernel, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(ours, keras_conv(x, kernel, stride, padding, dilation), atol=1e-4)
    steps = conv.conv2d_steps(x, kernel, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose([s.total for s in steps], ours.ravel())


def test_same_padding_fits_a_kernel_wider_than_the_input():
    assert conv.conv2d(np.ones((5, 2)), np.ones((3, 3)), padding="same").shape == (5, 2)


def test_integer_padding_adds_that_many_rings_of_zeros():
    padded, pads = conv.pad(EXAMPLE_1, 2, KERNEL_1)
    assert pads == (2, 2, 2, 2)
    assert padded.shape == (9, 9)
    np.testing.assert_array_equal(padded[2:-2, 2:-2], EXAMPLE_1)
    assert padded.sum() == EXAMPLE_1.sum()
    assert conv.conv2d(EXAMPLE_1, KERNEL_1, padding=1).shape == (5, 5)


def test_pad_takes_the_kernel_or_its_size_and_gives_the_same_output_size_as_keras():
    x = np.ones((6, 7, 3))
    by_array = conv.pad(x, "same", np.ones((4, 2)), stride=(2, 3))
    by_size = conv.pad(x, "same", (4, 2), stride=(2, 3))
    assert by_array[1] == by_size[1] == (1, 1, 0, 1)  # rows: 2·2 + 4 − 6 = 2; cols: 2·3 + 2 − 7 = 1
    assert by_array[0].shape == (8, 8, 3)
    assert conv.conv2d(x, np.ones((4, 2, 3)), (2, 3), "same").shape == (3, 3)  # ⌈6/2⌉, ⌈7/3⌉
    assert conv.pad(x, "valid", 3)[1] == (0, 0, 0, 0)


def test_filter_image_filters_each_channel_of_a_photo_like_conv2d():
    photo = images.load_image(Path("assets/samples/astronaut.jpg").read_bytes(), max_side=96)
    kernel = KERNELS["sobel_x"]
    filtered = conv.filter_image(photo, kernel, stride=2, padding="same", dilation=1)
    assert filtered.shape == (*conv.conv2d(photo[:, :, 0], kernel, 2, "same").shape, 3)
    for channel in range(3):
        np.testing.assert_allclose(
            filtered[:, :, channel], conv.conv2d(photo[:, :, channel], kernel, 2, "same")
        )


def test_filter_image_on_a_photo_equals_cv2_filter2d():
    photo = images.load_image(Path("assets/samples/coffee.jpg").read_bytes(), max_side=80)
    expected = cv2.filter2D(
        photo.astype(np.float64), cv2.CV_64F, KERNELS["gaussian"], borderType=cv2.BORDER_CONSTANT
    )
    np.testing.assert_allclose(conv.filter_image(photo, KERNELS["gaussian"]), expected, atol=1e-9)


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda: conv.conv2d(np.ones((5, 5)), [[1, None], [0, 1]]), "shape.kernel_not_finite"),
        (lambda: conv.conv2d(np.ones((5, 5)), [[1, "a"], [0, 1]]), "shape.kernel_not_finite"),
        (lambda: conv.conv2d(np.ones((5, 5)), np.ones((2, 2)), 1.5), "shape.stride_too_small"),
        (lambda: conv.conv2d(np.ones((5, 5)), np.ones((2, 2)), "2"), "shape.stride_too_small"),
        (lambda: conv.conv2d(np.ones((5, 5)), np.ones((2, 2)), (1, 0)), "shape.stride_too_small"),
        (
            lambda: conv.conv2d(np.ones((5, 5)), np.ones((2, 2)), dilation=(1, 2, 3)),
            "shape.dilation_too_small",
        ),
        (
            lambda: conv.conv2d(np.ones((5, 5)), np.ones((2, 2)), padding=1.5),
            "shape.negative_padding",
        ),
        (lambda: conv.conv2d(np.ones(5), np.ones((2, 2))), "shape.input_bad"),
        (
            lambda: conv.filter_image(np.ones((5, 5, 3)), np.ones((3, 3, 3))),
            "shape.kernel_channels",
        ),
        (lambda: conv.pad(np.ones((5, 5)), "same", 3, stride=0), "shape.stride_too_small"),
    ],
)
def test_more_bad_input_raises_shape_error_with_a_message_in_both_languages(call, key):
    with pytest.raises(ShapeError) as caught:
        call()
    assert caught.value.key == key
    for lang in ("en", "ko"):
        assert "{" not in i18n.t(key, lang, **caught.value.values)


def test_the_taught_modules_load_without_opencv_keras_or_streamlit():
    code = (
        "import sys; import cnnviz.conv, cnnviz.kernels, cnnviz.shapes, cnnviz.pooling, "
        "cnnviz.params; print(sorted({'cv2', 'keras', 'tensorflow', 'streamlit'} & set(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_channel_totals_add_up_to_the_total_and_are_each_channels_own_sum():
    """A 3×3×3 kernel on an RGB input: each channel's products summed alone, then together."""
    rng = np.random.default_rng(3)
    x, kernel = rng.normal(size=(6, 5, 3)), rng.normal(size=(3, 3, 3))
    for step in conv.conv2d_steps(x, kernel, padding="same"):
        alone = [conv.conv2d_steps(x[:, :, c], kernel[:, :, c], padding="same") for c in range(3)]
        index = step.row * 5 + step.col
        np.testing.assert_allclose(step.channel_totals, [a[index].total for a in alone])
        assert step.channel_totals.sum() == pytest.approx(step.total)
    single = conv.conv2d_steps(x[:, :, 0], kernel[:, :, 0])[0]
    assert single.channel_totals.shape == (1,) and single.channel_totals[0] == single.total
