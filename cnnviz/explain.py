"""One number of a trained network, explained: how the model computed one cell of a layer's output.

A Conv2D cell is lesson 1's sum on the layer's real input and weights, by `conv.conv2d_steps`:

    value = activation( Σ_c Σ_{u, v} window_c[u, v] · kernel_c[u, v] + bias )

a pooling cell is lesson 3's window (`pooling.pool2d_steps`), a dense unit Σ_i input_i · w_i + b, and
the output layer's softmax e^{z_k} / Σ_j e^{z_j}. Every explanation carries `value`, computed here in
numpy, and `model_value`, what the model itself computed for that cell (`features.activations`):
tests/test_explain.py holds them equal on the course's models.

What a filter looks for, by gradient ascent, is `cnnviz.maximize` (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import keras
import numpy as np

from cnnviz import conv, features, models, pooling
from cnnviz.errors import ModelError, ShapeError

__all__ = [
    "ConvCell",
    "ConvMap",
    "DenseUnit",
    "NormCell",
    "PoolCell",
    "Softmax",
    "batch_norm_cell",
    "conv_cell",
    "conv_map",
    "dense_unit",
    "kind",
    "kinds",
    "layer_input",
    "output_logits",
    "pool_cell",
    "softmax",
]

POOLS = {
    "MaxPooling2D": "max",
    "AveragePooling2D": "avg",
    "GlobalMaxPooling2D": "max",
    "GlobalAveragePooling2D": "avg",
}
PASSING = {  # layers that compute nothing a student needs written out: the page says what they do
    "Flatten": "flatten",
    "Reshape": "flatten",
    "Dropout": "dropout",
    "SpatialDropout2D": "dropout",
    "Activation": "activation",
    "ReLU": "activation",
    "Softmax": "activation",
    "InputLayer": "input",
    "Rescaling": "rescaling",
}


def kind(layer: keras.layers.Layer) -> str:
    """What the page can show of a layer: "conv", "pool", "dense", "batch_norm", one of the
    passing kinds ("flatten", "dropout", "activation", "input", "rescaling") or "unknown"."""
    name = type(layer).__name__
    if name == "Conv2D" and _plain_conv(layer):
        return "conv"
    if name in POOLS and _plain_pool(layer):
        return "pool"
    if name == "Dense":
        return "dense"
    if name == "BatchNormalization" and layer.axis in (-1, 3, [3], [-1]):
        return "batch_norm"
    return PASSING.get(name, "unknown")


def kinds(model: keras.Model) -> dict[str, str]:
    """`kind` of every layer of the model, by name."""
    return {layer.name: kind(layer) for layer in model.layers}


def _plain_conv(layer) -> bool:
    return layer.groups == 1 and layer.data_format == "channels_last"


def _plain_pool(layer) -> bool:
    if layer.data_format != "channels_last":
        return False
    size = getattr(layer, "pool_size", (1, 1))
    strides = getattr(layer, "strides", size)
    return size[0] == size[1] and strides[0] == strides[1]


# --- the layer's input and output, from one run of the model ---------------------------------------


def _values(model: keras.Model, x: np.ndarray, layers) -> dict[str, np.ndarray]:
    layers = features.activations(model, x) if layers is None else layers
    return {layer.name: layer.values for layer in layers}


def _layer(model: keras.Model, name: str, wanted: str) -> keras.layers.Layer:
    try:
        layer = model.get_layer(name)
    except ValueError:
        raise ModelError("inside.no_such_layer", name=name) from None
    if kind(layer) != wanted:
        raise ModelError("inside.cannot_explain", name=name, kind=type(layer).__name__)
    return layer


def layer_input(model: keras.Model, x: np.ndarray, name: str, layers=None) -> np.ndarray:
    """The values layer `name` received for the first picture of x (1, H, W, C): the picture
    itself for the first layer, else the output of the layer before it in the graph."""
    return _input_values(model, x, name, _values(model, x, layers))


def _input_values(model: keras.Model, x: np.ndarray, name: str, values: dict) -> np.ndarray:
    tensor = features.extractor(model).input_of.get(name)
    source = getattr(getattr(tensor, "_keras_history", None), "operation", None)
    if source is None or isinstance(source, keras.layers.InputLayer):
        return np.asarray(x[0], np.float64)
    found = values.get(source.name)
    if found is None:  # fed by an operation that is not a layer of the model (x + 1, a slice)
        raise ModelError("inside.cannot_explain", name=name, kind=type(source).__name__)
    return np.asarray(found, np.float64)


def _model_value(values: dict, name: str, index: tuple) -> float:
    return float(values[name][index])


def _cell_inside(shape: tuple, row: int, col: int, channel: int) -> None:
    """Refuse a cell outside an (H, W, C) map with a message saying the map's size."""
    height, width, channels = shape
    if not (0 <= row < height and 0 <= col < width and 0 <= channel < channels):
        raise ShapeError("inside.cell_outside", row=row, col=col, channel=channel,
                         height=height, width=width, channels=channels)  # fmt: skip


def _activate(layer: keras.layers.Layer, values: np.ndarray) -> np.ndarray:
    """The layer's own activation applied to `values` (float64 in, float64 out)."""
    out = layer.activation(keras.ops.convert_to_tensor(np.asarray(values, np.float64), "float64"))
    return np.asarray(keras.ops.convert_to_numpy(out), np.float64)


def activation_name(layer: keras.layers.Layer) -> str:
    """ "relu", "softmax", "linear" …: the name of the activation fused into the layer."""
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", type(activation).__name__) if activation else "linear"


# --- Conv2D -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvCell:
    """One output cell of a Conv2D layer, as lesson 1 computes it on the layer's real numbers.

    `step` is `conv.conv2d_steps`'s step for this cell: window and kernel (kh, kw, C_in), their
    products, and per channel `step.channel_totals`. total = Σ channel totals + bias, before the
    activation; value = activation(total)."""

    layer: str
    row: int
    col: int
    channel: int
    step: conv.ConvStep
    bias: float
    total: float
    activation: str
    value: float
    model_value: float

    @property
    def windows(self) -> np.ndarray:
        """(kh, kw, C_in): the input under the kernel, one slice per input channel."""
        return self.step.window

    @property
    def kernels(self) -> np.ndarray:
        """(kh, kw, C_in): the filter's learned weights, one slice per input channel."""
        return self.step.kernel

    @property
    def products(self) -> np.ndarray:
        return self.step.products

    @property
    def channel_totals(self) -> np.ndarray:
        """(C_in,): each input channel's sum of products."""
        return self.step.channel_totals

    def strongest_channels(self, count: int) -> list[int]:
        """The `count` input channels whose sums weigh most (largest |sum|), in channel order."""
        order = np.argsort(-np.abs(self.channel_totals), kind="stable")[:count]
        return sorted(int(c) for c in order)


def _conv_setup(layer) -> tuple[np.ndarray, float | np.ndarray, dict]:
    kernel = np.asarray(keras.ops.convert_to_numpy(layer.kernel), np.float64)  # (kh, kw, C_in, F)
    bias = (
        np.asarray(keras.ops.convert_to_numpy(layer.bias), np.float64)
        if layer.use_bias
        else np.zeros(kernel.shape[3])
    )
    settings = {"stride": tuple(layer.strides), "padding": layer.padding,
                "dilation": tuple(layer.dilation_rate)}  # fmt: skip
    return kernel, bias, settings


def conv_cell(
    model: keras.Model, x: np.ndarray, layer: str, row: int, col: int, channel: int, layers=None
) -> ConvCell:
    """Output cell (row, col) of map `channel` of Conv2D layer `layer` for x (1, H, W, C),
    computed with `conv.conv2d_steps` on the layer's input and weights.

    Only the window's part of the (padded) input goes to conv2d_steps, so one cell costs one
    step however large the map is. `layers`: `features.activations(model, x)` if already run."""
    conv_layer = _layer(model, layer, "conv")
    values = _values(model, x, layers)
    _cell_inside(values[layer].shape, row, col, channel)
    inputs = _input_values(model, x, layer, values)
    kernel, bias, settings = _conv_setup(conv_layer)
    padded, _ = conv.pad(inputs, settings["padding"], kernel.shape[:2], settings["stride"],
                         settings["dilation"])  # fmt: skip
    (sh, sw), (dh, dw) = settings["stride"], settings["dilation"]
    top, left = row * sh, col * sw
    span_h, span_w = dh * (kernel.shape[0] - 1) + 1, dw * (kernel.shape[1] - 1) + 1
    patch = padded[top : top + span_h, left : left + span_w]  # (span_h, span_w, C_in)
    (step,) = conv.conv2d_steps(patch, kernel[:, :, :, channel], dilation=settings["dilation"])
    step = replace(step, row=row, col=col, top=top, left=left)
    total = step.total + float(bias[channel])
    value = float(_activate(conv_layer, np.array([total]))[0])
    return ConvCell(layer, row, col, channel, step, float(bias[channel]), total,
                    activation_name(conv_layer), value,
                    _model_value(values, layer, (row, col, channel)))  # fmt: skip


@dataclass(frozen=True)
class ConvMap:
    """A Conv2D layer's map `channel` built up from its inputs: each input channel convolved
    with its own kernel slice, the per-channel results summed, the bias added, the activation.

    inputs (H, W, C_in) → per_channel (H', W', C_in) → pre_activation = Σ_c + bias (H', W') →
    output = activation(pre_activation)."""

    layer: str
    channel: int
    inputs: np.ndarray
    kernels: np.ndarray  # (kh, kw, C_in)
    per_channel: np.ndarray
    bias: float
    pre_activation: np.ndarray
    activation: str
    output: np.ndarray


def conv_map(model: keras.Model, x: np.ndarray, layer: str, channel: int, layers=None) -> ConvMap:
    """Map `channel` of Conv2D layer `layer` for x (1, H, W, C), channel by channel (`ConvMap`)."""
    conv_layer = _layer(model, layer, "conv")
    values = _values(model, x, layers)
    height, width, channels = values[layer].shape
    _cell_inside(values[layer].shape, 0, 0, channel)
    inputs = _input_values(model, x, layer, values)
    kernel, bias, settings = _conv_setup(conv_layer)
    kernels = kernel[:, :, :, channel]
    per_channel = np.stack(
        [
            conv.conv2d(inputs[:, :, c], kernels[:, :, c], **settings)
            for c in range(inputs.shape[2])
        ],
        axis=2,
    )  # (H', W', C_in)
    pre_activation = per_channel.sum(axis=2) + bias[channel]
    output = _activate(conv_layer, pre_activation)
    return ConvMap(layer, channel, inputs, kernels, per_channel, float(bias[channel]),
                   pre_activation, activation_name(conv_layer), output)  # fmt: skip


# --- pooling ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolCell:
    """One output cell of a pooling layer: the window on its input map and the max or mean.

    `step` is `pooling.pool2d_steps`'s step (padded cells NaN); a global pooling layer's window is
    the whole map."""

    layer: str
    row: int
    col: int
    channel: int
    mode: str  # "max" or "avg"
    step: pooling.PoolStep
    value: float
    model_value: float


def pool_cell(
    model: keras.Model, x: np.ndarray, layer: str, row: int, col: int, channel: int, layers=None
) -> PoolCell:
    """Output cell (row, col) of map `channel` of pooling layer `layer` for x (1, H, W, C).

    A global pooling layer has one cell per channel: (0, 0)."""
    pool_layer = _layer(model, layer, "pool")
    values = _values(model, x, layers)
    inputs = _input_values(model, x, layer, values)
    mode = POOLS[type(pool_layer).__name__]
    found = values[layer]
    if type(pool_layer).__name__.startswith("Global"):
        _cell_inside((1, 1, inputs.shape[2]), row, col, channel)
        size, stride, padding = inputs.shape[0], inputs.shape[0], "valid"
        square = inputs[:, :, channel]
        if inputs.shape[0] != inputs.shape[1]:  # a non-square map: one window of its own shape
            square = np.full((max(inputs.shape[:2]),) * 2, np.nan)
            square[: inputs.shape[0], : inputs.shape[1]] = inputs[:, :, channel]
            size = stride = square.shape[0]
        steps = _pool_steps(square, size, stride, mode, padding)
        model_value = float(found.reshape(-1)[channel])
    else:
        _cell_inside(found.shape, row, col, channel)
        size, stride = pool_layer.pool_size[0], pool_layer.strides[0]
        steps = _pool_steps(inputs[:, :, channel], size, stride, mode, pool_layer.padding)
        steps = [steps[row * found.shape[1] + col]]
        model_value = float(found[row, col, channel])
    step = steps[0]
    return PoolCell(layer, row, col, channel, mode, step, step.value, model_value)


def _pool_steps(grid, size, stride, mode, padding) -> list[pooling.PoolStep]:
    if np.isnan(grid).any():  # a non-square global window padded with NaN: the reduction skips it
        window = grid
        if mode == "max":
            flat = int(np.nanargmax(window))
            argmax = divmod(flat, window.shape[1])
            return [pooling.PoolStep(0, 0, 0, 0, window, float(window[argmax]), argmax)]
        return [pooling.PoolStep(0, 0, 0, 0, window, float(np.nanmean(window)), None)]
    return pooling.pool2d_steps(grid, size, stride, mode, padding)


# --- batch normalisation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NormCell:
    """One cell of a BatchNormalization layer at inference: the moving statistics it learned.

    value = γ · (x − μ) / √(σ² + ε) + β"""

    layer: str
    row: int
    col: int
    channel: int
    input: float
    mean: float
    variance: float
    epsilon: float
    gamma: float
    beta: float
    value: float
    model_value: float


def batch_norm_cell(
    model: keras.Model, x: np.ndarray, layer: str, row: int, col: int, channel: int, layers=None
) -> NormCell:
    """Cell (row, col, channel) of BatchNormalization layer `layer` for x (1, H, W, C)."""
    norm = _layer(model, layer, "batch_norm")
    values = _values(model, x, layers)
    found = values[layer]
    shape = found.shape if found.ndim == 3 else (1, 1, found.shape[-1])
    _cell_inside(shape, row, col, channel)
    inputs = _input_values(model, x, layer, values)
    index = (row, col, channel) if found.ndim == 3 else (channel,)
    weights = {name: _numbers(getattr(norm, name, None), found.shape[-1], fill)
               for name, fill in (("gamma", 1.0), ("beta", 0.0), ("moving_mean", 0.0),
                                  ("moving_variance", 1.0))}  # fmt: skip
    gamma, beta = weights["gamma"][channel], weights["beta"][channel]
    mean, variance = weights["moving_mean"][channel], weights["moving_variance"][channel]
    value = gamma * (inputs[index] - mean) / np.sqrt(variance + norm.epsilon) + beta
    return NormCell(layer, row, col, channel, float(inputs[index]), float(mean), float(variance),
                    float(norm.epsilon), float(gamma), float(beta), float(value),
                    float(found[index]))  # fmt: skip


def _numbers(variable, count: int, fill: float) -> np.ndarray:
    """A layer's weight vector as float64, or `fill` everywhere when the layer has none
    (BatchNormalization without scale or center)."""
    if variable is None:
        return np.full(count, fill)
    return np.asarray(keras.ops.convert_to_numpy(variable), np.float64)


# --- dense and softmax ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Softmax:
    """Softmax written out: probabilities_k = e^{z_k − shift} / Σ_j e^{z_j − shift}.

    `shift` is 0 when the logits are small enough for e^z to be written down (≤ 50), else the
    largest logit: it changes no probability and keeps e^z from overflowing."""

    logits: np.ndarray
    shift: float
    exponentials: np.ndarray
    total: float
    probabilities: np.ndarray


def softmax(logits) -> Softmax:
    """The softmax of `logits` (K,) with every intermediate number."""
    logits = np.asarray(logits, np.float64).ravel()
    if logits.size == 0 or not np.all(np.isfinite(logits)):
        raise ShapeError("inside.bad_logits")
    shift = float(logits.max()) if np.abs(logits).max() > 50 else 0.0
    exponentials = np.exp(logits - shift)
    total = float(exponentials.sum())
    return Softmax(logits, shift, exponentials, total, exponentials / total)


@dataclass(frozen=True)
class DenseUnit:
    """One unit of a Dense layer: total = Σ_i input_i · weight_i + bias, value = activation(total).

    `top` lists the inputs whose products weigh most (largest |input · weight|), as
    (input index, input, weight, product); `rest` is the sum of all the other products. For a
    softmax layer `softmax` writes out the whole layer's softmax, from every unit's total."""

    layer: str
    unit: int
    top: list[tuple[int, float, float, float]]
    rest: float
    rest_count: int
    bias: float
    total: float
    activation: str
    value: float
    model_value: float
    softmax: Softmax | None = None


def dense_unit(
    model: keras.Model, x: np.ndarray, layer: str, unit: int, top: int = 10, layers=None
) -> DenseUnit:
    """Unit `unit` of Dense layer `layer` for x (1, H, W, C), its largest contributions written
    out (`DenseUnit`)."""
    dense = _layer(model, layer, "dense")
    values = _values(model, x, layers)
    found = np.asarray(values[layer]).ravel()
    if not 0 <= unit < found.size:
        raise ShapeError("inside.unit_outside", unit=unit, units=found.size)
    inputs = _input_values(model, x, layer, values).ravel()
    weights = np.asarray(keras.ops.convert_to_numpy(dense.kernel), np.float64)  # (inputs, units)
    biases = (
        np.asarray(keras.ops.convert_to_numpy(dense.bias), np.float64)
        if dense.use_bias
        else np.zeros(weights.shape[1])
    )
    products = inputs * weights[:, unit]
    order = np.argsort(-np.abs(products), kind="stable")[: max(int(top), 0)]
    shown = [(int(i), float(inputs[i]), float(weights[i, unit]), float(products[i])) for i in order]
    rest = float(products.sum() - products[order].sum())
    total = float(products.sum() + biases[unit])
    name = activation_name(dense)
    written = None
    if name == "softmax":
        written = softmax(inputs @ weights + biases)
        value = float(written.probabilities[unit])
    else:
        value = float(_activate(dense, np.array([total]))[0])
    return DenseUnit(layer, unit, shown, rest, inputs.size - len(shown), float(biases[unit]),
                     total, name, value, float(found[unit]), written)  # fmt: skip


def output_logits(model: keras.Model, x: np.ndarray, layers=None) -> np.ndarray:
    """The scores (K,) the model's last layer turns into probabilities: the last Dense layer's
    total before its softmax, or the output itself when the model ends without softmax."""
    values = _values(model, x, layers)
    last = model.layers[-1]
    if not models.ends_in_softmax(model):
        return np.asarray(values[last.name], np.float64).ravel()
    if kind(last) == "dense":
        inputs = _input_values(model, x, last.name, values).ravel()
        weights = np.asarray(keras.ops.convert_to_numpy(last.kernel), np.float64)
        bias = np.asarray(keras.ops.convert_to_numpy(last.bias), np.float64) if last.use_bias else 0
        return inputs @ weights + bias
    return _input_values(model, x, last.name, values).ravel()
