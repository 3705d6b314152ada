"""Output-size arithmetic for convolution and pooling, with the working shown.

    O = ⌊(I − K + 2P) / S⌋ + 1          K = D·(K₀ − 1) + 1 with dilation D
    Keras "same":  O = ⌈I / S⌉           Keras "valid": O = ⌈(I − K + 1) / S⌉

When (I − K + 2P) is not a multiple of S the window does not fit evenly: the last rows or
columns of the input are never covered and Keras drops them.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from cnnviz import formatting
from cnnviz.conv import Padding, same_padding
from cnnviz.errors import ShapeError

__all__ = [
    "SizeExplanation",
    "conv_output_size",
    "explain_conv_output",
    "explain_pool_output",
    "pool_output_size",
    "with_pooling_advice",
]


@dataclass(frozen=True)
class SizeExplanation:
    """An output size with its formula, the numbers put in, and what does not fit."""

    size: int
    formula: str  # with symbols, e.g. "O = ⌊(I − K + 2P) / S⌋ + 1"
    numbers: str  # the same with the numbers, e.g. "⌊(7 − 3 + 2·0) / 3⌋ + 1 = ⌊1.33⌋ + 1 = 2"
    exact: float  # (I − K + 2P) / S + 1 before flooring
    fits_evenly: bool
    dropped: int  # input rows (or columns) at the end that no window covers
    pad_before: int
    pad_after: int
    effective_kernel: int


def _whole(value, least: int) -> bool:
    """A whole number (2 or 2.0, not 1.5, "2" or True) of at least `least`."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and int(value) == value >= least
    )


def _check(n: int, kernel: int, stride: int, dilation: int) -> None:
    if not _whole(n, 1):
        raise ShapeError("shape.input_too_small", size=n)
    if not _whole(kernel, 1):
        raise ShapeError("shape.kernel_empty")
    if not _whole(stride, 1):
        raise ShapeError("shape.stride_too_small", stride=stride)
    if not _whole(dilation, 1):
        raise ShapeError("shape.dilation_too_small", dilation=dilation)


def explain_conv_output(
    n: int, kernel: int, stride: int = 1, padding: Padding = "valid", dilation: int = 1
) -> SizeExplanation:
    """The output length of a convolution along one axis of length `n`, explained."""
    _check(n, kernel, stride, dilation)
    n, kernel, stride, dilation = int(n), int(kernel), int(stride), int(dilation)
    effective = dilation * (kernel - 1) + 1
    if padding == "same":
        before, after = same_padding(n, kernel, stride, dilation)
        size = math.ceil(n / stride)
        span = n + before + after - effective
        return SizeExplanation(
            size=size,
            formula="O = ⌈I / S⌉",
            numbers=f"⌈{n} / {stride}⌉ = {size}",
            exact=n / stride,
            fits_evenly=span == (size - 1) * stride,
            dropped=span - (size - 1) * stride,
            pad_before=before,
            pad_after=after,
            effective_kernel=effective,
        )
    if padding == "valid":
        pad = 0
    elif isinstance(padding, str):
        raise ShapeError("shape.unknown_padding", padding=padding)
    elif _whole(padding, 0):
        pad = int(padding)
    else:
        raise ShapeError("shape.negative_padding", padding=padding)
    span = n - effective + 2 * pad
    if span < 0:
        raise ShapeError("shape.kernel_too_large", kernel=effective, input=n + 2 * pad)
    size = span // stride + 1
    k = f"{effective}" if dilation == 1 else f"({dilation}·({kernel} − 1) + 1)"
    return SizeExplanation(
        size=size,
        formula="O = ⌊(I − K + 2P) / S⌋ + 1",
        numbers=f"⌊({n} − {k} + 2·{pad}) / {stride}⌋ + 1 = ⌊{formatting.number(span / stride)}⌋ + 1 = {size}",
        exact=span / stride + 1,
        fits_evenly=span % stride == 0,
        dropped=span % stride,
        pad_before=pad,
        pad_after=pad,
        effective_kernel=effective,
    )


def conv_output_size(
    n: int, kernel: int, stride: int = 1, padding: Padding = "valid", dilation: int = 1
) -> int:
    """O = ⌊(I − D·(K − 1) − 1 + 2P) / S⌋ + 1; Keras "same" gives ⌈I / S⌉."""
    return explain_conv_output(n, kernel, stride, padding, dilation).size


def explain_pool_output(
    n: int, pool: int, stride: int | None = None, padding: str = "valid"
) -> SizeExplanation:
    """Pooling is a window without weights: the same arithmetic, with S = pool by default."""
    return explain_conv_output(n, pool, pool if stride is None else stride, padding)


def pool_output_size(n: int, pool: int, stride: int | None = None, padding: str = "valid") -> int:
    """O = ⌊(I − F) / S⌋ + 1 (valid) or ⌈I / S⌉ (same), with S = F by default."""
    return explain_pool_output(n, pool, stride, padding).size


POOLING_LAYERS = ("MaxPooling2D", "AveragePooling2D")


def with_pooling_advice(error: ShapeError, layers: list[dict] | tuple[dict, ...]) -> ShapeError:
    """`error`, advising to remove a pooling layer only where one shrinks the maps first.

    A layer table that shrinks the maps below 1×1 (shape.layer_too_small, layer counted from 1)
    becomes shape.layer_too_small_pool when a pooling layer sits at or before that layer.
    """
    if error.key != "shape.layer_too_small":
        return error
    before = layers[: int(error.values["layer"])]
    if any(layer.get("type") in POOLING_LAYERS for layer in before):
        return ShapeError("shape.layer_too_small_pool", **error.values)
    return error
