"""Pixel values: a picture's luminance, its values on the 0..1 scale models take, and the
uint8 gray picture the digit and product preparations start from.
"""

from __future__ import annotations

import cv2
import numpy as np

from cnnviz.errors import ShapeError

__all__ = ["gray_uint8", "to_gray", "unit_range"]


def to_gray(img: np.ndarray) -> np.ndarray:
    """Luminance of an RGB image (ITU-R 601, as OpenCV and Pillow): (H, W, 3) -> (H, W)."""
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[2] == 1:
        return img[:, :, 0]
    if img.ndim == 2:
        return img
    gray = cv2.cvtColor(img[:, :, :3].astype(np.float32), cv2.COLOR_RGB2GRAY)
    return gray.round().astype(np.uint8) if img.dtype == np.uint8 else gray


def unit_range(img: np.ndarray) -> np.ndarray:
    """Pixel values -> float32 in 0..1: uint8 / 255, other integers / their maximum, floats
    above 1.5 taken as 0..255."""
    if img.dtype == np.bool_:
        return img.astype(np.float32)
    if img.dtype == np.uint8:
        return img.astype(np.float32) / 255.0
    if np.issubdtype(img.dtype, np.integer):
        return img.astype(np.float32) / np.iinfo(img.dtype).max
    img = np.nan_to_num(img.astype(np.float32))
    return img / 255.0 if img.size and img.max() > 1.5 else img


def gray_uint8(img: np.ndarray) -> np.ndarray:
    """Any picture (H, W) or (H, W, 1 | 3 | 4) -> (H, W) uint8 luminance; other shapes raise
    ShapeError."""
    picture = np.asarray(img)
    if picture.ndim == 3 and picture.shape[2] == 4:
        picture = picture[:, :, :3]
    if picture.ndim not in (2, 3) or picture.ndim == 3 and picture.shape[2] not in (1, 3):
        raise ShapeError("images.picture_shape", shape=str(picture.shape))
    if picture.dtype != np.uint8:
        picture = (unit_range(picture) * 255).round().astype(np.uint8)
    return to_gray(picture)
