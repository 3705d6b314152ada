"""Pixel values: luminance as OpenCV and Pillow compute it, every dtype on the 0..1 scale, and the
uint8 gray picture the preparations start from."""

import cv2
import numpy as np
import pytest
from PIL import Image

from cnnviz import pixels
from cnnviz.errors import ShapeError
from tests import corpus


def test_to_gray_is_the_itu_r_601_luminance_of_opencv_and_pillow():
    rgb = corpus.gradient()
    gray = pixels.to_gray(rgb)
    assert gray.shape == rgb.shape[:2] and gray.dtype == np.uint8
    exact = rgb.astype(np.float64) @ [0.299, 0.587, 0.114]
    assert np.abs(gray - exact).max() <= 0.5 + 1e-3  # rounded, not truncated
    for library in (
        cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY),  # both round in fixed point: at most 1 apart
        np.asarray(Image.fromarray(rgb).convert("L")),
    ):
        assert np.abs(gray.astype(int) - library.astype(int)).max() <= 1


@pytest.mark.parametrize(
    "values, expected",
    [
        (np.array([[0, 51, 255]], np.uint8), [0.0, 0.2, 1.0]),
        (np.array([[0, 65535]], np.uint16), [0.0, 1.0]),
        (np.array([[0.0, 127.5, 255.0]], np.float64), [0.0, 0.5, 1.0]),  # floats above 1.5
        (np.array([[0.0, 0.25, 1.0]], np.float32), [0.0, 0.25, 1.0]),  # already 0..1
        (np.array([[False, True]]), [0.0, 1.0]),
        (np.array([[np.nan, 1.0]]), [0.0, 1.0]),
    ],
    ids=["uint8", "uint16", "float255", "float01", "bool", "nan"],
)
def test_unit_range_puts_every_dtype_on_0_to_1(values, expected):
    scaled = pixels.unit_range(values)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled[0], expected, atol=1e-6)


@pytest.mark.parametrize(
    "picture",
    [
        corpus.gradient(),
        np.dstack([corpus.gradient(), np.full((48, 64), 255, np.uint8)]),  # RGBA
        corpus.gradient().astype(np.float32) / 255,
    ],
    ids=["rgb", "rgba", "float"],
)
def test_gray_uint8_gives_the_luminance_whatever_the_picture(picture):
    gray = pixels.gray_uint8(picture)
    assert gray.dtype == np.uint8
    expected = cv2.cvtColor(corpus.gradient(), cv2.COLOR_RGB2GRAY).astype(int)
    assert np.abs(gray.astype(int) - expected).max() <= 1


@pytest.mark.parametrize("shape", [(4, 4, 2), (2, 3, 4, 5), (7,)])
def test_gray_uint8_refuses_what_is_not_a_picture(shape):
    with pytest.raises(ShapeError) as caught:
        pixels.gray_uint8(np.zeros(shape, np.uint8))
    assert caught.value.key == "images.picture_shape"
