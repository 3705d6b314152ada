"""A photo of one object on a plain background made to look like Fashion-MNIST.

`prepare_product` does what Zalando did to its product photos (background trimmed, object cut
to its box, long side fitted to 28, a light object on black) and returns every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cnnviz.pixels import gray_uint8

__all__ = ["ProductSteps", "prepare_product"]

PRODUCT_SIDE = 28  # Fashion-MNIST: the object's long side fitted to 28, aspect kept, centred
PRODUCT_TRIM = 0.05  # Zalando trimmed pixels within 5 % of the corner colour; so do we
BORDER_SHARE = 0.05  # the border the background is judged from: 5 % of each side, at least 1 px


@dataclass(frozen=True)
class ProductSteps:
    """Each step of turning a photo of one object into a Fashion-MNIST-like input."""

    gray: np.ndarray  # (H, W) uint8 luminance of the photo
    inverted: np.ndarray  # (H, W) uint8, background dark: 255 − gray when the border is light
    cropped: np.ndarray  # uint8, background made black (0), cut to the object's bounding box
    result: np.ndarray  # (28, 28) float32 in 0..1, long side 28, centred, as Fashion-MNIST


def _border(gray: np.ndarray) -> np.ndarray:
    """The pixels of the outer ring, BORDER_SHARE of each side deep (at least one pixel)."""
    height, width = gray.shape
    deep_rows = max(1, round(height * BORDER_SHARE))
    deep_cols = max(1, round(width * BORDER_SHARE))
    ring = np.ones(gray.shape, bool)
    ring[deep_rows : height - deep_rows, deep_cols : width - deep_cols] = False
    return gray[ring]


def _background_black(inverted: np.ndarray) -> np.ndarray:
    """Background (the border's median b) -> 0, the brightest possible -> 255: (x − b)·255/(255 − b),
    and everything within the trim level of it, or the border's own noise, set to 0."""
    border = _border(inverted).astype(np.float32)
    background = float(np.median(border))
    noise = 1.4826 * float(np.median(np.abs(border - background)))  # robust std of the border
    trim = max(PRODUCT_TRIM * 255, 4 * noise)
    lifted = inverted.astype(np.float32) - background
    lifted[lifted <= trim] = 0
    scaled = lifted * 255 / max(255 - background, 1)
    return np.clip(scaled, 0, 255).round().astype(np.uint8)


def _fit_centred(cropped: np.ndarray, side: int) -> np.ndarray:
    """`cropped` with its long side scaled to `side`, aspect kept, in the middle of side × side."""
    factor = side / max(cropped.shape)
    size = (max(1, round(cropped.shape[1] * factor)), max(1, round(cropped.shape[0] * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    fitted = cv2.resize(cropped.astype(np.float32) / 255, size, interpolation=interpolation)
    fitted = fitted.reshape(size[1], size[0])  # cv2 gives (h, w) back, also for one pixel
    canvas = np.zeros((side, side), np.float32)
    # an odd margin puts the extra pixel before the object, as in Fashion-MNIST (9 rows: 10..18)
    top, left = (side - fitted.shape[0] + 1) // 2, (side - fitted.shape[1] + 1) // 2
    canvas[top : top + fitted.shape[0], left : left + fitted.shape[1]] = fitted
    return np.clip(canvas, 0.0, 1.0)


def prepare_product(img: np.ndarray) -> ProductSteps:
    """Photo of one object on a plain background (H, W[, C]) -> 28 × 28 as Fashion-MNIST drew it.

    Grayscale; invert when the background is light (the border's median ≥ 128), since
    Fashion-MNIST shows a light object on black; background made black and pixels within 5 % of
    it dropped (as Zalando trimmed); cropped to the object's bounding box; long side fitted to 28
    with the aspect kept (area averaging when shrinking); centred. Never raises for odd sizes
    (1 × 1, a 10000 × 8 strip); a constant picture gives a black 28 × 28.
    """
    picture = np.asarray(img)
    if picture.size == 0:
        picture = np.zeros((1, 1), np.uint8)
    gray = gray_uint8(picture)
    light_background = np.median(_border(gray)) >= 128
    inverted = 255 - gray if light_background else gray.copy()
    object_only = _background_black(inverted)
    # the box of what survives a 3 × 3 opening: a speck of camera noise does not widen it
    rows, cols = np.nonzero(cv2.morphologyEx(object_only, cv2.MORPH_OPEN, np.ones((3, 3))))
    if rows.size == 0:
        cropped = object_only
    else:
        cropped = object_only[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    return ProductSteps(
        gray=gray,
        inverted=inverted,
        cropped=cropped,
        result=_fit_centred(cropped, PRODUCT_SIDE).astype(np.float32),
    )
