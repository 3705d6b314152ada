"""Max and average pooling, as Keras computes them, with a step-through like conv2d_steps.

    out[i, j, c] = max or mean of x[i·S : i·S + F, j·S : j·S + F, c]

With Keras "same" padding the window may hang over the edge: padded cells never win a max and
are not counted in a mean.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from cnnviz import formatting
from cnnviz.conv import same_padding
from cnnviz.errors import ShapeError

__all__ = ["PoolStep", "global_average_pool", "pads", "pool2d", "pool2d_steps"]


@dataclass(frozen=True)
class PoolStep:
    """One output cell of a pooling layer on a 2-D input."""

    row: int
    col: int
    top: int  # window origin in the (padded) input
    left: int
    window: np.ndarray  # (F, F) values; padded cells are NaN
    value: float
    argmax: tuple[int, int] | None  # position of the max inside the window (max pooling)

    @property
    def padded(self) -> int:
        """How many cells of the window are padding ("same"): left out of a max or a mean."""
        return int(np.isnan(self.window).sum())

    @property
    def counted(self) -> int:
        """How many input cells the window holds: the ones its max or mean is taken over."""
        return self.window.size - self.padded

    @property
    def position_of_max(self) -> tuple[int, int] | None:
        """(row, col) of the winning value inside the window; None for average pooling."""
        return self.argmax


def _whole(value) -> bool:
    """A whole number of at least 1 (2 and 2.0 are, 1.5, "2" and True are not)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and int(value) == value >= 1
    )


def _pads(shape, size: int, stride: int, padding: str) -> tuple[int, int, int, int]:
    if padding == "same":
        return (*same_padding(shape[0], size, stride), *same_padding(shape[1], size, stride))
    if padding == "valid":
        return (0, 0, 0, 0)
    raise ShapeError("shape.unknown_padding", padding=padding)


def pads(
    shape: tuple[int, ...], size: int = 2, stride: int | None = None, padding: str = "valid"
) -> tuple[int, int, int, int]:
    """The cells Keras pads an (H, W[, C]) input with: (top, bottom, left, right).

    "valid" pads none; "same" pads just enough for ⌈H / S⌉ windows, the extra one after.
    """
    if not _whole(size):
        raise ShapeError("shape.pool_too_small", size=size)
    stride = size if stride is None else stride
    if not _whole(stride):
        raise ShapeError("shape.stride_too_small", stride=stride)
    return _pads(shape, int(size), int(stride), padding)


def _prepare(x, size, stride, mode, padding):
    if mode not in ("max", "avg"):
        raise ShapeError("shape.unknown_pool_mode", mode=mode)
    if not _whole(size):
        raise ShapeError("shape.pool_too_small", size=size)
    stride = size if stride is None else stride
    if not _whole(stride):
        raise ShapeError("shape.stride_too_small", stride=stride)
    size, stride = int(size), int(stride)
    x = np.asarray(x, dtype=np.float64)
    squeeze = x.ndim == 2
    if squeeze:
        x = x[:, :, None]
    if x.ndim != 3 or 0 in x.shape:
        raise ShapeError("shape.input_bad", shape=formatting.shape_text(x.shape))
    top, bottom, left, right = _pads(x.shape, size, stride, padding)
    # NaN marks padding: ignored by nanmax / nanmean, exactly as Keras ignores it
    x = np.pad(x, [(top, bottom), (left, right), (0, 0)], constant_values=np.nan)
    if size > x.shape[0] or size > x.shape[1]:
        raise ShapeError(
            "shape.kernel_too_large",
            kernel=formatting.shape_text((size, size)),
            input=formatting.shape_text(x.shape[:2]),
        )
    out_h = (x.shape[0] - size) // stride + 1
    out_w = (x.shape[1] - size) // stride + 1
    return x, stride, out_h, out_w, squeeze


def pool2d(
    x: np.ndarray,
    size: int = 2,
    stride: int | None = None,
    mode: str = "max",
    padding: str = "valid",
) -> np.ndarray:
    """Pool `x` (H, W[, C]) channel by channel -> (H', W'[, C]); stride defaults to `size`."""
    x, stride, out_h, out_w, squeeze = _prepare(x, size, stride, mode, padding)
    # (H', W', C, F, F): every window, strided
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(0, 1))
    windows = windows[: out_h * stride : stride, : out_w * stride : stride]
    reduce = np.nanmax if mode == "max" else np.nanmean
    out = reduce(windows, axis=(3, 4))
    return out[:, :, 0] if squeeze else out


def pool2d_steps(
    x: np.ndarray,
    size: int = 2,
    stride: int | None = None,
    mode: str = "max",
    padding: str = "valid",
) -> list[PoolStep]:
    """Every output cell of pooling a 2-D `x` in reading order, with its window and value."""
    if np.asarray(x).ndim != 2:
        raise ShapeError("shape.pool_steps_2d")
    x, stride, out_h, out_w, _ = _prepare(x, size, stride, mode, padding)
    x = x[:, :, 0]
    steps = []
    for row in range(out_h):
        for col in range(out_w):
            top, left = row * stride, col * stride
            window = x[top : top + size, left : left + size]
            if mode == "max":
                flat = int(np.nanargmax(window))
                argmax = (flat // size, flat % size)
                value = float(window[argmax])
            else:
                argmax, value = None, float(np.nanmean(window))
            steps.append(PoolStep(row, col, top, left, window, value, argmax))
    return steps


def global_average_pool(x: np.ndarray) -> np.ndarray:
    """Mean of each channel over all positions: (H, W, C) -> (C,), (H, W) -> ()."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (2, 3) or 0 in x.shape:
        raise ShapeError("shape.input_bad", shape=formatting.shape_text(x.shape))
    return x.mean(axis=(0, 1))
