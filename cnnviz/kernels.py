"""The kernels the course names, and makers for the ones that come in sizes.

Every kernel is a 2-D float array used as Keras uses it (cross-correlation, no flipping).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from cnnviz.errors import ShapeError

__all__ = ["KERNELS", "box", "gaussian", "motion"]


def _check_size(size: int) -> int:
    if not isinstance(size, numbers.Integral) or size < 1:
        raise ShapeError("shape.kernel_empty")
    return int(size)


def box(size: int = 3) -> np.ndarray:
    """Mean filter: every weight 1/size²."""
    size = _check_size(size)
    return np.full((size, size), 1.0 / size**2)


def gaussian(size: int = 5, sigma: float = 0.5) -> np.ndarray:
    """Sampled 2-D Gaussian exp(−(x² + y²) / 2σ²), normalised to sum 1.

    The course's 5×5 slide is σ = 0.5: centre .6187, neighbours .0837, diagonals .0113.
    """
    size = _check_size(size)
    if not sigma > 0:
        raise ShapeError("shape.sigma_too_small", sigma=sigma)
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


def motion(size: int = 5, angle: float = 45.0) -> np.ndarray:
    """Motion blur: a line through the centre at `angle` degrees, weights summing to 1.

    angle 0 is →, 45 (the default) the course's 5×5 diagonal ↗, 90 is ↑. Each cell weighs the
    share of the line's length that falls in it (the line drawn as a staircase of cells).
    """
    size = _check_size(size)
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    # the line from one edge of the square to the other, cut into many equal pieces
    half = size / 2 / max(abs(cos), abs(sin))
    pieces = 64 * size
    t = -half + (np.arange(pieces) + 0.5) * (2 * half / pieces)  # the middle of each piece
    centre = (size - 1) / 2
    rows = np.rint(centre - t * sin).astype(int)  # rows count downwards, so "up" is −sin
    cols = np.rint(centre + t * cos).astype(int)
    inside = (rows >= 0) & (rows < size) & (cols >= 0) & (cols < size)
    weights = np.zeros((size, size))
    np.add.at(weights, (rows[inside], cols[inside]), 1.0)
    return weights / weights.sum()


KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0.0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "box": box(3),
    "gaussian": gaussian(5, 0.5),
    "sharpen": np.array([[0.0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "edge_horizontal": np.array([[1.0, 1, 1], [0, 0, 0], [-1, -1, -1]]),
    "edge_vertical": np.array([[1.0, 0, -1], [1, 0, -1], [1, 0, -1]]),
    "sobel_x": np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "sobel_y": np.array([[-1.0, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "laplacian": np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "emboss": np.array([[-2.0, -1, 0], [-1, 1, 1], [0, 1, 2]]),
    "motion": motion(5, 45),
}
