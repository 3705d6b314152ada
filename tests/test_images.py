"""Reading pictures: every odd file reads correctly, every bad file gets a student's message."""

import cv2
import numpy as np
import pytest

from cnnviz import i18n, images
from tests import corpus


@pytest.mark.parametrize(
    ("name", "make", "key"), corpus.BAD_FILES, ids=[b[0] for b in corpus.BAD_FILES]
)
def test_bad_files_raise_image_error_with_a_message_in_both_languages(name, make, key):
    with pytest.raises(images.ImageError) as caught:
        images.load_image(make())
    assert caught.value.key == key
    for lang in ("en", "ko"):
        assert "{" not in i18n.t(key, lang, **caught.value.values)


@pytest.mark.parametrize(
    ("name", "make", "check"), corpus.ODD_FILES, ids=[o[0] for o in corpus.ODD_FILES]
)
def test_odd_files_are_read_correctly(name, make, check):
    rgb = images.load_image(make())
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    check(rgb)


def test_plain_jpeg_keeps_its_size_and_colours():
    rgb = images.load_image(corpus.jpeg())
    assert rgb.shape == (48, 64, 3)
    assert np.abs(rgb.astype(int) - corpus.gradient()).mean() < 6


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (150, 150, 3)])
@pytest.mark.parametrize("source", ["rgb", "gray", "float"])
def test_to_model_input_gives_a_batch_of_the_model_shape_in_unit_range(shape, source):
    picture = corpus.gradient(90, 60)
    if source == "gray":
        picture = picture[:, :, 0]
    elif source == "float":
        picture = picture.astype(np.float32) / 255
    x = images.to_model_input(picture, shape)
    assert x.shape == (1, *shape) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0 and x.max() > 0.5


def test_to_model_input_crops_instead_of_stretching():
    wide = np.zeros((10, 30), np.uint8)
    wide[:, 10:20] = 255  # a white square in the middle of a wide picture
    x = images.to_model_input(wide, (10, 10, 1))
    assert x.min() > 0.99


def test_transform_equals_a_direct_warp_affine():
    digit = (np.random.default_rng(0).random((28, 28)) * 255).astype(np.uint8)
    matrix = cv2.getRotationMatrix2D((14, 14), 30, 1)
    matrix[0, 2] += 3
    matrix[1, 2] += -2
    expected = cv2.warpAffine(digit, matrix, (28, 28))
    np.testing.assert_array_equal(images.transform(digit, 30, 3, -2), expected)
    assert images.transform(digit[:, :, None], 15).shape == (28, 28, 1)
    np.testing.assert_array_equal(images.transform(digit), digit)


@pytest.mark.parametrize("digit", range(10))
def test_prepare_digit_gives_an_mnist_like_input(digit):
    photo = images.load_image(corpus.handwritten_digit_photo(digit))
    steps = images.prepare_digit(photo)
    result = steps.result
    assert result.shape == (28, 28) and result.dtype == np.float32
    assert result.max() > 0.8
    assert np.median(result) < 0.05  # white ink on black
    rows, cols = np.nonzero(result > 0.1)
    assert rows.max() - rows.min() <= 21 and cols.max() - cols.min() <= 21
    moments = cv2.moments(result)
    assert moments["m10"] / moments["m00"] == pytest.approx(14, abs=1)
    assert moments["m01"] / moments["m00"] == pytest.approx(14, abs=1)
    assert steps.gray.ndim == 2 and steps.fitted.shape[0] <= 20 and steps.fitted.shape[1] <= 20


def test_prepare_digit_refuses_a_blank_page():
    with pytest.raises(images.ImageError) as caught:
        images.prepare_digit(np.full((100, 100, 3), 230, np.uint8))
    assert caught.value.key == "images.no_digit"
