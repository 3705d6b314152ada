"""Photos of one object become Fashion-MNIST pictures: a Fashion-MNIST image pasted on white
comes back as itself, and odd pictures never crash."""

import cv2
import numpy as np
import pytest

from cnnviz import products
from tests import corpus

# --- prepare_product -----------------------------------------------------------------------------


def pasted_on_white(
    item: np.ndarray, scale: int = 10, noise: float = 3.0, seed: int = 0
) -> np.ndarray:
    """A Fashion-MNIST image as a photo would show it: dark object on white, `scale` times as
    large, a margin of 6 of its pixels, camera noise. (H, W, 3) uint8."""
    big = cv2.resize(255 - item, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    margin = 6 * scale
    page = np.pad(big.astype(np.float64), margin, constant_values=255)
    page += np.random.default_rng(seed).normal(0, noise, page.shape)
    gray = np.clip(page, 0, 255).astype(np.uint8)
    return np.dstack([gray, gray, gray])


def _fashion_test_images(count: int) -> np.ndarray:
    from cnnviz import data

    if not data.available()["fashion_mnist"].ok:
        pytest.skip("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)")
    return data.load("fashion_mnist").x_test[:count, :, :, 0]


def test_prepare_product_recovers_a_fashion_mnist_image_pasted_on_white():
    """Inverted, enlarged, padded with white and noisy: back to the original 28 × 28."""
    items = _fashion_test_images(50)
    errors, correlations = [], []
    for number, item in enumerate(items):
        result = products.prepare_product(pasted_on_white(item, seed=number)).result
        assert result.shape == (28, 28) and result.dtype == np.float32
        errors.append(np.abs(result - item / 255).mean())
        correlations.append(np.corrcoef(result.ravel(), item.ravel())[0, 1])
    # a few originals do not reach both edges on their long side; those come back enlarged
    assert np.median(errors) < 0.01 and np.mean(errors) < 0.03
    assert np.median(correlations) > 0.99 and min(correlations) > 0.7


def test_prepare_product_keeps_a_light_object_on_black_and_fits_the_long_side():
    """No inversion on a dark background; a wide object fills the width, centred in height."""
    photo = np.zeros((300, 500), np.uint8)
    photo[100:200, 50:450] = 200  # a light bar, 4 : 1
    steps = products.prepare_product(photo)
    assert np.array_equal(steps.inverted, photo)
    assert steps.cropped.shape == (100, 400)
    rows, cols = np.nonzero(steps.result > 0.5)
    assert cols.min() == 0 and cols.max() == 27
    assert rows.min() == 11 and rows.max() == 17
    assert steps.result.max() == pytest.approx(200 / 255)  # a black background: values kept


def test_prepare_product_inverts_a_light_background():
    photo = np.full((200, 200, 3), 240, np.uint8)
    photo[50:150, 80:120] = 30  # a dark object
    steps = products.prepare_product(photo)
    assert steps.gray.shape == (200, 200) and steps.gray.dtype == np.uint8
    assert steps.inverted[0, 0] == 15 and steps.inverted[100, 100] == 225
    assert steps.cropped[0, 0] > 200 and steps.result[0, 0] == 0.0 and steps.result[14, 14] > 0.8


@pytest.mark.parametrize("picture", corpus.ODD_PICTURES, ids=range(len(corpus.ODD_PICTURES)))
def test_prepare_product_never_raises_for_odd_pictures(picture):
    steps = products.prepare_product(picture)
    assert steps.result.shape == (28, 28) and steps.result.dtype == np.float32
    assert 0.0 <= steps.result.min() <= steps.result.max() <= 1.0


@pytest.mark.parametrize("value", [0, 128, 255])
def test_a_constant_picture_gives_a_black_product(value):
    steps = products.prepare_product(np.full((64, 80, 3), value, np.uint8))
    assert not steps.result.any()
