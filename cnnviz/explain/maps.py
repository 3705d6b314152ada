"""One cell of a layer that keeps the picture's layout, written out: Conv2D (lesson 1's sum on the
layer's real input and weights, by `conv.conv2d_steps`), pooling (lesson 3's window, by
`pooling.pool2d_steps`) and batch normalisation at inference.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import keras
import numpy as np

from cnnviz import conv, pooling
from cnnviz.explain.layers import (
    POOLS,
    activate,
    activation_name,
    cell_inside,
    input_values,
    kernel_and_bias,
    layer_of_kind,
    model_value,
    numbers,
    values_by_name,
)


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


def _conv_setup(layer) -> tuple[np.ndarray, np.ndarray, dict]:
    kernel, bias = kernel_and_bias(layer)  # (kh, kw, C_in, F), (F,)
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
    conv_layer = layer_of_kind(model, layer, "conv")
    values = values_by_name(model, x, layers)
    cell_inside(values[layer].shape, row, col, channel)
    inputs = input_values(model, x, layer, values)
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
    value = float(activate(conv_layer, np.array([total]))[0])
    return ConvCell(layer, row, col, channel, step, float(bias[channel]), total,
                    activation_name(conv_layer), value,
                    model_value(values, layer, (row, col, channel)))  # fmt: skip


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
    conv_layer = layer_of_kind(model, layer, "conv")
    values = values_by_name(model, x, layers)
    height, width, channels = values[layer].shape
    cell_inside(values[layer].shape, 0, 0, channel)
    inputs = input_values(model, x, layer, values)
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
    output = activate(conv_layer, pre_activation)
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
    pool_layer = layer_of_kind(model, layer, "pool")
    values = values_by_name(model, x, layers)
    inputs = input_values(model, x, layer, values)
    mode = POOLS[type(pool_layer).__name__]
    found = values[layer]
    if type(pool_layer).__name__.startswith("Global"):
        cell_inside((1, 1, inputs.shape[2]), row, col, channel)
        step = _whole_map(inputs[:, :, channel], mode)
        model_value = float(found.reshape(-1)[channel])
    else:
        cell_inside(found.shape, row, col, channel)
        size, stride = pool_layer.pool_size[0], pool_layer.strides[0]
        steps = pooling.pool2d_steps(inputs[:, :, channel], size, stride, mode, pool_layer.padding)
        step = steps[row * found.shape[1] + col]
        model_value = float(found[row, col, channel])
    return PoolCell(layer, row, col, channel, mode, step, step.value, model_value)


def _whole_map(grid: np.ndarray, mode: str) -> pooling.PoolStep:
    """Global pooling's one step: the window is the whole map (H, W), any shape."""
    if mode == "avg":
        return pooling.PoolStep(0, 0, 0, 0, grid, float(grid.mean()), None)
    argmax = tuple(int(i) for i in np.unravel_index(int(np.argmax(grid)), grid.shape))
    return pooling.PoolStep(0, 0, 0, 0, grid, float(grid[argmax]), argmax)


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
    norm = layer_of_kind(model, layer, "batch_norm")
    values = values_by_name(model, x, layers)
    found = values[layer]
    shape = found.shape if found.ndim == 3 else (1, 1, found.shape[-1])
    cell_inside(shape, row, col, channel)
    inputs = input_values(model, x, layer, values)
    index = (row, col, channel) if found.ndim == 3 else (channel,)
    weights = {name: numbers(getattr(norm, name, None), found.shape[-1], fill)
               for name, fill in (("gamma", 1.0), ("beta", 0.0), ("moving_mean", 0.0),
                                  ("moving_variance", 1.0))}  # fmt: skip
    gamma, beta = weights["gamma"][channel], weights["beta"][channel]
    mean, variance = weights["moving_mean"][channel], weights["moving_variance"][channel]
    value = gamma * (inputs[index] - mean) / np.sqrt(variance + norm.epsilon) + beta
    return NormCell(layer, row, col, channel, float(inputs[index]), float(mean), float(variance),
                    float(norm.epsilon), float(gamma), float(beta), float(value),
                    float(found[index]))  # fmt: skip
