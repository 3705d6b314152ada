"""Convolution as Keras computes it: cross-correlation, with padding, stride and dilation.

`conv2d` computes the whole output at once; `conv2d_steps` computes it one output cell at a time
and keeps every number, so the page can show the window, the products and the sum. They sit side
by side and must agree (tests/test_conv.py).

    out[i, j] = Σ_{u, v, c} x_padded[i·S + u·D, j·S + v·D, c] · kernel[u, v, c]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

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
    def expression(self) -> str:
        """The sum written out, e.g. `3·0 + 3·1 + 2·2 + … = 12`."""
        pairs = zip(self.window.ravel(), self.kernel.ravel(), strict=True)
        terms = [f"{_number(a)}·{_signed(b)}" for a, b in pairs]
        return " + ".join(terms).replace("+ −", "− ") + f" = {_number(self.total)}"


def _signed(value: float) -> str:
    """A factor after '·': negatives in brackets, e.g. 113·(−1)."""
    return f"({_number(value)})" if value < 0 else _number(value)


def _number(value: float) -> str:
    value = float(value)
    text = str(int(value)) if value.is_integer() else f"{value:.3g}"
    return text.replace("-", "−")


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
        raise ShapeError("shape.input_bad", shape="×".join(map(str, x.shape)))
    return x


def _check_kernel(kernel: np.ndarray, channels: int) -> np.ndarray:
    """(Kh, Kw) or (Kh, Kw, C) -> (Kh, Kw, C); a 2-D kernel is used on every channel."""
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim not in (2, 3) or kernel.size == 0:
        raise ShapeError("shape.kernel_empty")
    if not np.all(np.isfinite(kernel)):
        raise ShapeError("shape.kernel_not_finite")
    if kernel.ndim == 2:
        kernel = np.repeat(kernel[:, :, None], channels, axis=2)
    if kernel.shape[2] != channels:
        raise ShapeError("shape.kernel_channels", kernel=kernel.shape[2], input=channels)
    return kernel


def _check_steps(stride: int, dilation: int) -> None:
    if int(stride) != stride or stride < 1:
        raise ShapeError("shape.stride_too_small", stride=stride)
    if int(dilation) != dilation or dilation < 1:
        raise ShapeError("shape.dilation_too_small", dilation=dilation)


def pad(
    x: np.ndarray, padding: Padding, kernel: tuple[int, int], stride: int = 1, dilation: int = 1
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Zero-pad `x` (H, W[, C]) for a kernel of size `kernel` = (Kh, Kw).

    Returns the padded array and the pads (top, bottom, left, right).
    """
    x = np.asarray(x)
    height, width = x.shape[:2]
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            pads = (
                *same_padding(height, kernel[0], stride, dilation),
                *same_padding(width, kernel[1], stride, dilation),
            )
        else:
            raise ShapeError("shape.unknown_padding", padding=padding)
    else:
        if int(padding) != padding or padding < 0:
            raise ShapeError("shape.negative_padding", padding=padding)
        pads = (int(padding),) * 4
    top, bottom, left, right = pads
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (x.ndim - 2)
    return np.pad(x, widths), pads


def _prepare(x, kernel, stride, padding, dilation):
    """Shared checks: returns the padded input (H', W', C), kernel (Kh, Kw, C), output size."""
    _check_steps(stride, dilation)
    x = _as_3d(x)
    kernel = _check_kernel(kernel, x.shape[2])
    kh, kw = kernel.shape[:2]
    padded, _ = pad(x, padding, (kh, kw), stride, dilation)
    eff_h, eff_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    if eff_h > padded.shape[0] or eff_w > padded.shape[1]:
        raise ShapeError(
            "shape.kernel_too_large",
            kernel=f"{eff_h}×{eff_w}",
            input=f"{padded.shape[0]}×{padded.shape[1]}",
        )
    out_h = (padded.shape[0] - eff_h) // stride + 1
    out_w = (padded.shape[1] - eff_w) // stride + 1
    return padded, kernel, (out_h, out_w), (eff_h, eff_w)


def conv2d(
    x: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    padding: Padding = "valid",
    dilation: int = 1,
) -> np.ndarray:
    """Cross-correlate `x` (H, W[, C]) with `kernel` (Kh, Kw[, C]), summing over channels.

    Returns (H', W') float64 with H' = ⌊(H + P_top + P_bottom − D·(Kh − 1) − 1) / S⌋ + 1.
    """
    padded, kernel, (out_h, out_w), _ = _prepare(x, kernel, stride, padding, dilation)
    out = np.zeros((out_h, out_w))
    # one shifted copy of the input per kernel tap: Kh·Kw vectorised multiply-adds
    for u in range(kernel.shape[0]):
        for v in range(kernel.shape[1]):
            rows = slice(u * dilation, u * dilation + (out_h - 1) * stride + 1, stride)
            cols = slice(v * dilation, v * dilation + (out_w - 1) * stride + 1, stride)
            out += padded[rows, cols] @ kernel[u, v]  # (H', W', C) @ (C,) -> (H', W')
    return out


def conv2d_steps(
    x: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    padding: Padding = "valid",
    dilation: int = 1,
) -> list[ConvStep]:
    """Every output cell in reading order, with its window, products and sum."""
    squeeze = np.asarray(x).ndim == 2 and np.asarray(kernel).ndim == 2
    padded, kernel, (out_h, out_w), (eff_h, eff_w) = _prepare(x, kernel, stride, padding, dilation)
    if squeeze:
        padded, kernel = padded[:, :, 0], kernel[:, :, 0]
    steps = []
    for row in range(out_h):
        for col in range(out_w):
            top, left = row * stride, col * stride
            window = padded[top : top + eff_h : dilation, left : left + eff_w : dilation]
            products = window * kernel
            steps.append(
                ConvStep(row, col, top, left, window, kernel, products, float(products.sum()))
            )
    return steps


def filter_image(
    image: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    padding: Padding = "same",
    dilation: int = 1,
) -> np.ndarray:
    """Apply a 2-D kernel to each channel of a photo separately: (H, W[, C]) -> (H', W'[, C])."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 2:
        return conv2d(image, kernel, stride, padding, dilation)
    channels = [
        conv2d(image[:, :, c], kernel, stride, padding, dilation) for c in range(image.shape[2])
    ]
    return np.stack(channels, axis=2)


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
