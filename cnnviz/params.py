"""Parameter counting without Keras: one row per layer with its output shape and formula.

Conv2D   filters·(kh·kw·C_in + 1)        Dense  units·(inputs + 1)
BatchNormalization 4·C (γ, β trainable; moving mean and variance not)
Pooling, Flatten, Dropout: 0
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass

from cnnviz import formatting
from cnnviz.architectures import LAYER_TYPES, Architecture
from cnnviz.errors import ShapeError
from cnnviz.shapes import conv_output_size, pool_output_size

__all__ = ["DenseComparison", "LayerRow", "Summary", "dense_comparison", "summarize"]


@dataclass(frozen=True)
class LayerRow:
    """One layer as Keras's summary shows it, plus the arithmetic behind its count."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    trainable: int
    non_trainable: int
    formula: str


@dataclass(frozen=True)
class Summary:
    """Every layer's row and the totals."""

    rows: list[LayerRow]
    input_shape: tuple[int, ...]
    total: int
    trainable: int
    non_trainable: int

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.rows[-1].output_shape if self.rows else self.input_shape


def _snake(kind: str) -> str:
    """Keras's default layer name: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", kind).lower()


def _whole(value: object) -> int | None:
    """`value` as an int when it is a whole number of at least 1 (2 or 2.0), else None."""
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    return int(value) if number and math.isfinite(value) and int(value) == value >= 1 else None


def _pair(layer: dict, arg: str, index: int, default: object = None) -> tuple[int, int]:
    """A size given as one whole number or a (rows, cols) pair -> (rows, cols)."""
    value = default if layer.get(arg) is None else layer[arg]
    if value is None:
        raise ShapeError("shape.layer_missing_arg", layer=index, arg=arg)
    values = tuple(value) if isinstance(value, (list, tuple)) else (value, value)
    pair = tuple(_whole(v) for v in values)
    if len(pair) != 2 or None in pair:
        raise ShapeError("shape.layer_bad_arg", layer=index, arg=arg, value=value)
    return pair


def _positive(layer: dict, arg: str, index: int) -> int:
    if layer.get(arg) is None:
        raise ShapeError("shape.layer_missing_arg", layer=index, arg=arg)
    value = _whole(layer[arg])
    if value is None:
        raise ShapeError("shape.layer_bad_arg", layer=index, arg=arg, value=layer[arg])
    return value


def _padding(layer: dict, index: int) -> str:
    padding = layer.get("padding") or "valid"
    if padding not in ("valid", "same"):
        raise ShapeError("shape.layer_bad_padding", layer=index, padding=padding)
    return padding


def _rate(layer: dict, index: int) -> float:
    """Dropout's rate: the fraction of inputs set to zero while training, 0 ≤ rate < 1."""
    rate = layer.get("rate")
    if rate is None:
        raise ShapeError("shape.layer_missing_arg", layer=index, arg="rate")
    if not (isinstance(rate, numbers.Real) and not isinstance(rate, bool) and 0 <= rate < 1):
        raise ShapeError("shape.layer_bad_rate", layer=index, rate=rate)
    return float(rate)


def _need_maps(shape: tuple[int, ...], index: int, kind: str) -> None:
    if len(shape) != 3:
        raise ShapeError("shape.layer_needs_maps", layer=index, kind=kind)


def _spatial(shape, index, sizes) -> tuple[int, int, int]:
    h, w = sizes
    if h < 1 or w < 1:
        raise ShapeError("shape.layer_too_small", layer=index, height=h, width=w)
    return h, w, shape[2]


def _shrink(n: int, size_fn, *args) -> int:
    """An output length, or 0 when the window no longer fits (reported as too small)."""
    try:
        return size_fn(n, *args)
    except ShapeError as error:
        if error.key != "shape.kernel_too_large":
            raise
        return 0


def _row(index: int, kind: str, layer: dict, shape: tuple[int, ...]):
    """(output shape, trainable, non-trainable, formula) of one layer given its input shape."""
    if kind == "Conv2D":
        _need_maps(shape, index, kind)
        filters = _positive(layer, "filters", index)
        kh, kw = _pair(layer, "kernel_size", index)
        sh, sw = _pair(layer, "strides", index, 1)
        dh, dw = _pair(layer, "dilation_rate", index, 1)
        padding = _padding(layer, index)
        out = _spatial(
            shape,
            index,
            (
                _shrink(shape[0], conv_output_size, kh, sh, padding, dh),
                _shrink(shape[1], conv_output_size, kw, sw, padding, dw),
            ),
        )
        cin = shape[2]
        bias = bool(layer.get("use_bias", True))
        params = filters * (kh * kw * cin + bias)
        formula = (
            f"{filters}·({kh}·{kw}·{cin} + 1) = {params:,}"
            if bias
            else f"{filters}·{kh}·{kw}·{cin} = {params:,}"
        )
        return (out[0], out[1], filters), params, 0, formula
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        _need_maps(shape, index, kind)
        ph, pw = _pair(layer, "pool_size", index, 2)
        # Keras: strides=None means strides = pool_size
        sh, sw = _pair(layer, "strides", index, (ph, pw))
        padding = _padding(layer, index)
        out = _spatial(
            shape,
            index,
            (
                _shrink(shape[0], pool_output_size, ph, sh, padding),
                _shrink(shape[1], pool_output_size, pw, sw, padding),
            ),
        )
        return out, 0, 0, "0"
    if kind == "GlobalAveragePooling2D":
        _need_maps(shape, index, kind)
        return (shape[2],), 0, 0, "0"
    if kind == "BatchNormalization":
        channels = shape[-1]
        return shape, 2 * channels, 2 * channels, f"4·{channels} = {4 * channels:,}"
    if kind == "Dropout":
        _rate(layer, index)
        return shape, 0, 0, "0"
    if kind == "Flatten":
        return (math.prod(shape),), 0, 0, "0"
    if kind == "Dense":
        units = _positive(layer, "units", index)
        inputs = shape[-1]
        bias = bool(layer.get("use_bias", True))
        params = units * (inputs + bias)
        formula = (
            f"{units}·({inputs:,} + 1) = {params:,}" if bias else f"{units}·{inputs:,} = {params:,}"
        )
        return (*shape[:-1], units), params, 0, formula
    raise ShapeError("shape.unknown_layer", layer=index, kind=kind, allowed=", ".join(LAYER_TYPES))


def summarize(
    spec: Architecture | list[dict] | tuple[dict, ...],
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
) -> Summary:
    """One `LayerRow` per layer of `spec` on inputs of `input_shape` (no batch axis), and totals.

    `num_classes` replaces the units of the last Dense layer. Raises ShapeError for a table that
    cannot be built: unknown type, missing or bad argument, maps shrinking below 1×1.
    """
    if isinstance(spec, Architecture):
        input_shape = input_shape or spec.input_shape
        layers = list(spec.layers)
    else:
        layers = list(spec)
    if input_shape is None:
        raise ShapeError("shape.input_missing")
    shape = tuple(int(n) for n in input_shape)
    if not shape or min(shape) < 1:
        raise ShapeError("shape.input_bad", shape=formatting.shape_text(shape))
    last_dense = max(
        (i for i, layer in enumerate(layers) if layer.get("type") == "Dense"), default=None
    )
    counts: dict[str, int] = {}
    rows = []
    for index, layer in enumerate(layers):
        kind = layer.get("type")
        if num_classes is not None and index == last_dense:
            layer = {**layer, "units": num_classes}
        shape, trainable, non_trainable, formula = _row(index + 1, kind, layer, shape)
        base = _snake(kind) if kind in LAYER_TYPES else str(kind)
        name = base if base not in counts else f"{base}_{counts[base]}"
        counts[base] = counts.get(base, 0) + 1
        rows.append(
            LayerRow(
                name, kind, shape, trainable + non_trainable, trainable, non_trainable, formula
            )
        )
    trainable = sum(r.trainable for r in rows)
    non_trainable = sum(r.non_trainable for r in rows)
    return Summary(
        rows,
        tuple(int(n) for n in input_shape),
        trainable + non_trainable,
        trainable,
        non_trainable,
    )


@dataclass(frozen=True)
class DenseComparison:
    """The first convolution against a Dense layer making the same number of outputs."""

    inputs: int  # H·W·C values going in
    outputs: int  # H'·W'·F values coming out
    conv_params: int
    dense_params: int
    dense_formula: str

    @property
    def ratio(self) -> float:
        """How many times more parameters the Dense layer needs."""
        return self.dense_params / self.conv_params


def dense_comparison(summary: Summary) -> DenseComparison | None:
    """Parameters a Dense layer would need to map the input to the first convolution's output.

    Dense: outputs·(inputs + 1) against Conv2D: filters·(kh·kw·C + 1): the convolution shares
    its few weights across every position. None when the model has no convolution.
    """
    convs = [row for row in summary.rows if row.kind == "Conv2D"]
    if not convs or summary.rows[0].kind != "Conv2D":
        return None
    first = convs[0]
    inputs, outputs = math.prod(summary.input_shape), math.prod(first.output_shape)
    dense = outputs * (inputs + 1)
    return DenseComparison(
        inputs, outputs, first.params, dense, f"{outputs:,}·({inputs:,} + 1) = {dense:,}"
    )
