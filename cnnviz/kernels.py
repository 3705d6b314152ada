"""The kernels the course names, and makers for the ones that come in sizes.

Every kernel is a 2-D float array used as Keras uses it (cross-correlation, no flipping).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["KERNELS", "box", "gaussian", "motion"]


def box(size: int = 3) -> np.ndarray:
    """Mean filter: every weight 1/size²."""
    return np.full((size, size), 1.0 / size**2)


def gaussian(size: int = 5, sigma: float = 0.5) -> np.ndarray:
    """Sampled 2-D Gaussian exp(−(x² + y²) / 2σ²), normalised to sum 1.

    The course's 5×5 slide is σ = 0.5: centre .6187, neighbours .0837, diagonals .0113.
    """
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


def motion(size: int = 5, angle: float = 45.0) -> np.ndarray:
    """Motion blur: a line of equal weights through the centre at `angle` degrees, sum 1.

    angle 0 is horizontal; 45 (the default) is the course's 5×5 diagonal (↗).
    """
    line = np.zeros((size, size))
    line[size // 2, :] = 1.0
    steps = angle % 180
    if steps in (0, 90):
        return (line if steps == 0 else line.T) / size
    if steps in (45, 135):
        return (np.eye(size)[::-1] if steps == 45 else np.eye(size)) / size
    centre = ((size - 1) / 2, (size - 1) / 2)
    rotated = cv2.warpAffine(line, cv2.getRotationMatrix2D(centre, angle, 1.0), (size, size))
    return rotated / rotated.sum()


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
