"""Convolution as Keras computes it: cross-correlation, with padding, stride and dilation.

`conv2d` computes the whole output at once; `conv2d_steps` computes it one output cell at a time
and keeps every number, so the page can show the window, the products and the sum. They sit side
by side and must agree (tests/test_conv.py).

    out[i, j] = Σ_{u, v, c} x_padded[i·S + u·D, j·S + v·D, c] · kernel[u, v, c]
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from cnnviz import formatting
from cnnviz.errors import ShapeError

__all__ = [
    "ConvStep",
    "ShapeError",
    "conv2d",
    "conv2d_steps",
    "filter_image",
    "pad",
    "same_padding",
    "scale_for_display",
]

Padding = str | int


@dataclass(frozen=True)
class ConvStep:
    """One output cell: where the window sits, what it multiplies and the sum."""

    row: int
    col: int
    top: int  # window origin in the padded input
    left: int
    window: np.ndarray  # (Kh, Kw[, C]) input values under the kernel (dilation applied)
    kernel: np.ndarray  # (Kh, Kw[, C])
    products: np.ndarray  # window · kernel, element-wise
    total: float

    @property
    def channel_totals(self) -> np.ndarray:
        """The products summed on each input channel, (C,); together they make `total`.

        A 2-D step (one channel) gives one sum."""
        return np.atleast_1d(self.products.sum(axis=(0, 1)))

    @property
    def expression(self) -> str:
        """The sum written out, e.g. `3·0 + 3·1 + 2·2 + … = 12`."""
        pairs = zip(self.window.ravel(), self.kernel.ravel(), strict=True)
        terms = [f"{_number(a)}·{_signed(b)}" for a, b in pairs]
        return " + ".join(terms).replace("+ −", "− ") + f" = {_number(self.total)}"


def _signed(value: float) -> str:
    """A factor after '·': negatives in brackets, e.g. 113·(−1)."""
    return f"({_number(value)})" if value < 0 else _number(value)


_number = formatting.number


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """Keras "same": output ⌈I/S⌉; the padding needed, split (before, after) with the extra
    row or column after (the asymmetric split for even kernels and strides > 1)."""
    effective = dilation * (kernel - 1) + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def _as_3d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ShapeError("shape.input_bad", shape=formatting.shape_text(x.shape))
    return x


def _check_kernel(kernel: np.ndarray, channels: int) -> np.ndarray:
    """(Kh, Kw) or (Kh, Kw, C) -> (Kh, Kw, C); a 2-D kernel is used on every channel."""
    try:
        kernel = np.asarray(kernel, dtype=np.float64)
    except (TypeError, ValueError):  # a blank (None) or text cell, or rows of unequal length
        raise ShapeError("shape.kernel_not_finite") from None
    if kernel.ndim not in (2, 3) or kernel.size == 0:
        raise ShapeError("shape.kernel_empty")
    if not np.all(np.isfinite(kernel)):
        raise ShapeError("shape.kernel_not_finite")
    if kernel.ndim == 2:
        kernel = np.repeat(kernel[:, :, None], channels, axis=2)
    if kernel.shape[2] != channels:
        raise ShapeError("shape.kernel_channels", kernel=kernel.shape[2], input=channels)
    return kernel


def _pair(value: int | tuple[int, int], key: str, name: str) -> tuple[int, int]:
    """A stride or dilation given as one whole number or a (row, col) pair -> (row, col)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    whole = len(values) == 2 and all(
        isinstance(v, numbers.Real) and math.isfinite(v) and int(v) == v >= 1 for v in values
    )
    if not whole:
        raise ShapeError(key, **{name: value})
    return int(values[0]), int(values[1])


def _strides_and_dilations(stride, dilation) -> tuple[tuple[int, int], tuple[int, int]]:
    strides = _pair(stride, "shape.stride_too_small", "stride")
    dilations = _pair(dilation, "shape.dilation_too_small", "dilation")
    return strides, dilations


def pad(
    x: np.ndarray,
    padding: Padding,
    kernel: np.ndarray | tuple[int, int] | int,
    stride: int | tuple[int, int] = 1,
    dilation: int | tuple[int, int] = 1,
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Zero-pad `x` (H, W[, C]) for `kernel` (the kernel itself, or its size (Kh, Kw) or K).

    Returns the padded array (H + top + bottom, W + left + right[, C]) and the pads
    (top, bottom, left, right).
    """
    x = np.asarray(x)
    if isinstance(kernel, np.ndarray) and kernel.ndim >= 2:
        kernel = kernel.shape[:2]
    kh, kw = (kernel, kernel) if isinstance(kernel, numbers.Integral) else kernel
    (sh, sw), (dh, dw) = _strides_and_dilations(stride, dilation)
    height, width = x.shape[:2]
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            pads = (*same_padding(height, kh, sh, dh), *same_padding(width, kw, sw, dw))
        else:
            raise ShapeError("shape.unknown_padding", padding=padding)
    else:
        if not isinstance(padding, numbers.Real) or int(padding) != padding or padding < 0:
            raise ShapeError("shape.negative_padding", padding=padding)
        pads = (int(padding),) * 4
    top, bottom, left, right = pads
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (x.ndim - 2)
    return np.pad(x, widths), pads


@dataclass(frozen=True)
class _Plan:
    """Everything both conv2d and conv2d_steps need, after the checks."""

    padded: np.ndarray  # (H', W', C) zero-padded input
    kernel: np.ndarray  # (Kh, Kw, C)
    out_shape: tuple[int, int]
    strides: tuple[int, int]
    dilations: tuple[int, int]
    span: tuple[int, int]  # the effective kernel D·(K − 1) + 1 along rows and columns


def _plan(x, kernel, stride, padding, dilation, per_channel: bool = False) -> _Plan:
    """Shared checks; a 2-D kernel is used on every channel (`per_channel` keeps it 2-D)."""
    strides, dilations = _strides_and_dilations(stride, dilation)
    x = _as_3d(x)
    kernel = _check_kernel(kernel, 1 if per_channel else x.shape[2])
    kh, kw = kernel.shape[:2]
    padded, _ = pad(x, padding, (kh, kw), strides, dilations)
    span = (dilations[0] * (kh - 1) + 1, dilations[1] * (kw - 1) + 1)
    if span[0] > padded.shape[0] or span[1] > padded.shape[1]:
        raise ShapeError(
            "shape.kernel_too_large",
            kernel=formatting.shape_text(span),
            input=formatting.shape_text(padded.shape[:2]),
        )
    out_shape = (
        (padded.shape[0] - span[0]) // strides[0] + 1,
        (padded.shape[1] - span[1]) // strides[1] + 1,
    )
    return _Plan(padded, kernel, out_shape, strides, dilations, span)


def _tap(plan: _Plan, u: int, v: int) -> np.ndarray:
    """The input values kernel cell (u, v) meets at every output position: (H_out, W_out, C)."""
    (out_h, out_w), (sh, sw), (dh, dw) = plan.out_shape, plan.strides, plan.dilations
    rows = slice(u * dh, u * dh + (out_h - 1) * sh + 1, sh)
    cols = slice(v * dw, v * dw + (out_w - 1) * sw + 1, sw)
    return plan.padded[rows, cols]


def conv2d(
    x: np.ndarray,
    kernel: np.ndarray,
    stride: int | tuple[int, int] = 1,
    padding: Padding = "valid",
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """Cross-correlate `x` (H, W[, C]) with `kernel` (Kh, Kw[, C]), summing over channels.

    Returns (H', W') float64 with H' = ⌊(H + P_top + P_bottom − D·(Kh − 1) − 1) / S⌋ + 1.
    """
    plan = _plan(x, kernel, stride, padding, dilation)
    out = np.zeros(plan.out_shape)
    # one shifted copy of the input per kernel cell: Kh·Kw vectorised multiply-adds
    for u in range(plan.kernel.shape[0]):
        for v in range(plan.kernel.shape[1]):
            out += _tap(plan, u, v) @ plan.kernel[u, v]  # (H', W', C) @ (C,) -> (H', W')
    return out


def conv2d_steps(
    x: np.ndarray,
    kernel: np.ndarray,
    stride: int | tuple[int, int] = 1,
    padding: Padding = "valid",
    dilation: int | tuple[int, int] = 1,
) -> list[ConvStep]:
    """Every output cell in reading order, with its window, products and sum."""
    squeeze = np.asarray(x).ndim == 2 and np.asarray(kernel).ndim == 2
    plan = _plan(x, kernel, stride, padding, dilation)
    padded, kernel = plan.padded, plan.kernel
    if squeeze:
        padded, kernel = padded[:, :, 0], kernel[:, :, 0]
    (sh, sw), (dh, dw), (span_h, span_w) = plan.strides, plan.dilations, plan.span
    steps = []
    for row in range(plan.out_shape[0]):
        for col in range(plan.out_shape[1]):
            top, left = row * sh, col * sw
            window = padded[top : top + span_h : dh, left : left + span_w : dw]
            products = window * kernel
            steps.append(
                ConvStep(row, col, top, left, window, kernel, products, float(products.sum()))
            )
    return steps


def filter_image(
    image: np.ndarray,
    kernel: np.ndarray,
    stride: int | tuple[int, int] = 1,
    padding: Padding = "same",
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """Apply a 2-D kernel to each channel of a photo separately: (H, W[, C]) -> (H', W'[, C]).

    Per channel this is conv2d(image[:, :, c], kernel, …); all channels are computed at once.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 2:
        return conv2d(image, kernel, stride, padding, dilation)
    if np.asarray(kernel).ndim != 2:
        raise ShapeError("shape.kernel_channels", kernel=np.asarray(kernel).shape[-1], input=1)
    plan = _plan(image, kernel, stride, padding, dilation, per_channel=True)
    out = np.zeros((*plan.out_shape, image.shape[2]))
    product = np.empty_like(out)
    for u in range(plan.kernel.shape[0]):
        for v in range(plan.kernel.shape[1]):
            np.multiply(_tap(plan, u, v), plan.kernel[u, v, 0], out=product)
            out += product
    return out


def scale_for_display(values: np.ndarray, how: str = "clip") -> np.ndarray:
    """A filtered image -> uint8 for the screen.

    "clip": values outside 0–255 are cut off (right for blurs and sharpening);
    "rescale": the lowest value becomes 0 and the highest 255 (shows every detail);
    "abs": |value|, clipped (edges of both signs show as bright lines).
    """
    values = np.asarray(values, dtype=np.float64)
    if how == "abs":
        values = np.abs(values)
    elif how == "rescale":
        low, high = values.min(), values.max()
        values = (values - low) / (high - low) * 255 if high > low else np.zeros_like(values)
    return np.clip(np.round(values), 0, 255).astype(np.uint8)
