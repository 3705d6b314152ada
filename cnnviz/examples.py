"""The course's worked convolution examples (COURSE.md), as input grids with their kernels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["EXAMPLES", "WorkedExample"]


@dataclass(frozen=True)
class WorkedExample:
    """A grid, the kernel the notes slide over it, and the padding they use."""

    name: str
    grid: np.ndarray
    kernel: np.ndarray
    padding: str


EXAMPLES: dict[str, WorkedExample] = {
    e.name: e
    for e in (
        WorkedExample(
            "five_by_five",
            np.array(
                [
                    [3, 3, 2, 1, 0],
                    [0, 0, 1, 3, 1],
                    [3, 1, 2, 2, 3],
                    [2, 0, 0, 2, 2],
                    [2, 0, 0, 0, 1],
                ]
            ),
            np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]]),
            "valid",
        ),
        WorkedExample(
            "binary_seven",
            np.array(
                [
                    [0, 1, 1, 1, 0, 0, 0],
                    [0, 0, 1, 1, 1, 0, 0],
                    [0, 0, 0, 1, 1, 1, 0],
                    [0, 0, 0, 1, 1, 0, 0],
                    [0, 0, 1, 1, 0, 0, 0],
                    [0, 1, 1, 0, 0, 0, 0],
                    [1, 1, 0, 0, 0, 0, 0],
                ]
            ),
            np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]]),
            "valid",
        ),
        WorkedExample(
            "sharpen_patch",
            np.array(
                [
                    [60, 113, 56, 139, 85],
                    [73, 121, 54, 84, 128],
                    [131, 99, 70, 129, 127],
                    [80, 57, 115, 69, 134],
                    [104, 126, 123, 95, 130],
                ]
            ),
            np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
            "same",
        ),
    )
}
