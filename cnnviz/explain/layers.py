"""What cnnviz can write out of a layer, and the numbers a layer received and gave for one input.

The shared ground of `cnnviz.explain`: each layer's kind, its input from the graph, its fused
activation, and the checks that refuse a cell outside a map.
"""

from __future__ import annotations

import keras
import numpy as np

from cnnviz import features
from cnnviz.errors import ModelError, ShapeError

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


def values_by_name(model: keras.Model, x: np.ndarray, layers) -> dict[str, np.ndarray]:
    layers = features.activations(model, x) if layers is None else layers
    return {layer.name: layer.values for layer in layers}


def layer_of_kind(model: keras.Model, name: str, wanted: str) -> keras.layers.Layer:
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
    return input_values(model, x, name, values_by_name(model, x, layers))


def input_values(model: keras.Model, x: np.ndarray, name: str, values: dict) -> np.ndarray:
    tensor = features.extractor(model).input_of.get(name)
    source = getattr(getattr(tensor, "_keras_history", None), "operation", None)
    if source is None or isinstance(source, keras.layers.InputLayer):
        return np.asarray(x[0], np.float64)
    found = values.get(source.name)
    if found is None:  # fed by an operation that is not a layer of the model (x + 1, a slice)
        raise ModelError("inside.cannot_explain", name=name, kind=type(source).__name__)
    return np.asarray(found, np.float64)


def model_value(values: dict, name: str, index: tuple) -> float:
    return float(values[name][index])


def cell_inside(shape: tuple, row: int, col: int, channel: int) -> None:
    """Refuse a cell outside an (H, W, C) map with a message saying the map's size."""
    height, width, channels = shape
    if not (0 <= row < height and 0 <= col < width and 0 <= channel < channels):
        raise ShapeError("inside.cell_outside", row=row, col=col, channel=channel,
                         height=height, width=width, channels=channels)  # fmt: skip


def activate(layer: keras.layers.Layer, values: np.ndarray) -> np.ndarray:
    """The layer's own activation applied to `values` (float64 in, float64 out)."""
    out = layer.activation(keras.ops.convert_to_tensor(np.asarray(values, np.float64), "float64"))
    return np.asarray(keras.ops.convert_to_numpy(out), np.float64)


def activation_name(layer: keras.layers.Layer) -> str:
    """ "relu", "softmax", "linear" …: the name of the activation fused into the layer."""
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", type(activation).__name__) if activation else "linear"


def numbers(variable, count: int, fill: float) -> np.ndarray:
    """A layer's weight vector as float64, or `fill` everywhere when the layer has none
    (BatchNormalization without scale or center)."""
    if variable is None:
        return np.full(count, fill)
    return np.asarray(keras.ops.convert_to_numpy(variable), np.float64)


def kernel_and_bias(layer: keras.layers.Layer) -> tuple[np.ndarray, np.ndarray]:
    """A Conv2D's (kh, kw, C_in, F) or a Dense layer's (inputs, units) kernel and its bias (F,)
    as float64; zeros for a layer built without bias."""
    kernel = np.asarray(keras.ops.convert_to_numpy(layer.kernel), np.float64)
    return kernel, numbers(layer.bias if layer.use_bias else None, kernel.shape[-1], 0.0)
