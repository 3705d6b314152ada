"""What a trained model makes of one picture: the picture made into the model's input, then every
layer's output, as the course builds it: one model whose outputs are every layer's outputs,
`keras.Model(model.inputs, [layer.output for layer in model.layers])`, called once.

Drawing the maps is `cnnviz.tiles`, the guesses `cnnviz.predictions`, where the model looked
`cnnviz.grad_cam`. Models are always run as `model(x, training=False)` or through Keras's
compiled step: `predict` retraces and is not thread-safe when many students use one server.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import keras
import numpy as np

from cnnviz import images, predictions
from cnnviz.errors import ModelError

# moved to their own modules; still importable from here, where other checks call them
from cnnviz.predictions import predict_top
from cnnviz.tiles import tile

__all__ = [
    "Extractor",
    "LayerActivation",
    "ModelInput",
    "PREPARATIONS",
    "activations",
    "activations_and_top",
    "conv_layer_names",
    "extractor",
    "is_conv_model",
    "model_input",
    "model_input_shape",
    "predict_top",
    "tile",
    "warm_up",
]


@dataclass(frozen=True)
class LayerActivation:
    """One layer's output for the first picture of the batch.

    `values` is (H, W, C) for a layer that keeps a picture's layout (Conv2D, pooling), (units,)
    for Flatten and Dense; `shape` is what `model.summary()` reports without the batch axis.
    """

    name: str
    kind: str  # the layer's class: "Conv2D", "MaxPooling2D", "Dense" …
    shape: tuple[int, ...]
    values: np.ndarray

    @property
    def is_map(self) -> bool:
        """True when the output is a stack of 2-D feature maps (H, W, C)."""
        return self.values.ndim == 3


def _single_output(layer: keras.layers.Layer):
    """The layer's output tensor, or None for layers with several outputs or several calls."""
    try:
        output = layer.output
    except (AttributeError, ValueError, RuntimeError):
        return None
    return None if isinstance(output, list | tuple | dict) else output


class Extractor:
    """Every layer's output in one call: keras.Model(inputs, [output of each layer]).

    A Sequential model is traced again from a fresh `keras.Input`: Keras rebuilds a Sequential's
    graph each time a layer is added, so `layer.output` of its early layers belongs to an older,
    shorter graph. Input layers are left out (the page shows the input itself), and so are
    layers Keras cannot give a single output for (a layer shared by two branches).
    """

    def __init__(self, model: keras.Model) -> None:
        self.input_of: dict[str, object] = {}  # each layer's input tensor in this graph
        pairs = []
        if isinstance(model, keras.Sequential):
            source = model.inputs[0]
            self.inputs = tensor = keras.Input(shape=tuple(source.shape[1:]), dtype=source.dtype)
            for layer in model.layers:
                self.input_of[layer.name] = tensor
                tensor = layer(tensor)
                pairs.append((layer, tensor))
        else:
            self.inputs = _inputs(model)
            for layer in model.layers:
                output = _single_output(layer)
                if not isinstance(layer, keras.layers.InputLayer) and output is not None:
                    pairs.append((layer, output))
                    self.input_of[layer.name] = layer.input
        self.layers = [layer for layer, _ in pairs]
        self.output_of = {layer.name: output for layer, output in pairs}
        self.model = keras.Model(self.inputs, [output for _, output in pairs])

    def __call__(self, x: np.ndarray) -> list[LayerActivation]:
        """x (N, H, W, C) float32 -> one LayerActivation per layer, for the first picture."""
        # Keras's compiled predict step: one traced graph instead of an eager call per operation
        # (MobileNetV2's 150 layers: ~60 ms against ~220 ms on 2 cores)
        outputs = self.model.predict_on_batch(np.asarray(x, np.float32))
        if len(self.layers) == 1:
            outputs = [outputs]
        return [
            LayerActivation(
                name=layer.name,
                kind=type(layer).__name__,
                shape=tuple(int(size) for size in output.shape[1:]),
                values=np.asarray(output[0]),
            )
            for layer, output in zip(self.layers, outputs, strict=True)
        ]


def _inputs(model: keras.Model):
    """The model's input tensor (or list of them): what a sub-model built from it takes."""
    return model.inputs[0] if len(model.inputs) == 1 else model.inputs


# one extractor per model object, forgotten with the model; the lock keeps two sessions from
# building the same extractor twice
_extractors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.RLock()


def extractor(model: keras.Model) -> Extractor:
    """The model's Extractor, built on first use and kept as long as the model lives."""
    with _lock:
        found = _extractors.get(model)
        if found is None:
            found = _extractors[model] = Extractor(model)
        return found


def activations(model: keras.Model, x: np.ndarray) -> list[LayerActivation]:
    """Every layer's output for x (1, H, W, C), in order: name, kind, shape and values."""
    return extractor(model)(x)


def model_input_shape(model: keras.Model, default_side: int = 224) -> tuple[int, int, int]:
    """(H, W, C) the model takes; a size the model leaves open (None) becomes `default_side`."""
    shape = tuple(model.inputs[0].shape[1:])
    if len(shape) != 3:
        raise ModelError("features.not_an_image_model", shape=str(shape))
    height, width, channels = shape
    return (height or default_side, width or default_side, channels or 3)


def warm_up(model: keras.Model) -> None:
    """Run the model, its extractor and Grad-CAM once on zeros, so the first student does not
    wait."""
    from cnnviz import grad_cam  # grad_cam builds on this module's extractor: imported on use

    x = np.zeros((1, *model_input_shape(model)), np.float32)
    model(x, training=False)
    extractor(model)(x)
    if grad_cam.grad_cam_available() and conv_layer_names(model):
        grad_cam.grad_cam(model, x)  # traces its gradients once


PREPARATIONS = ("photo", "digit", "product")


@dataclass(frozen=True)
class ModelInput:
    """A picture made into what the model receives, with the preparation's steps if it had some."""

    x: np.ndarray  # (1, H, W, C) float32 in 0..1
    steps: images.DigitSteps | images.ProductSteps | None = None

    @property
    def digit_steps(self) -> images.DigitSteps | None:
        """The steps of `images.prepare_digit`, when the picture was read as a digit."""
        return self.steps if isinstance(self.steps, images.DigitSteps) else None


def model_input(
    picture: np.ndarray,
    input_shape: tuple[int, int, int],
    angle: float = 0.0,
    dx: float = 0.0,
    dy: float = 0.0,
    scale: float = 1.0,
    as_digit: bool = False,
    prepare: str = "photo",
) -> ModelInput:
    """A picture -> (1, H, W, C) float32 0..1 for the model, then rotated, shifted and zoomed.

    `prepare` (or `as_digit=True`, the same as "digit"): "digit" sends the photo of a handwritten
    digit through `images.prepare_digit` (28×28 white on black, as MNIST); "product" sends the
    photo of one object through `images.prepare_product` (as Fashion-MNIST draws its pictures);
    "photo" leaves it as it is. Then `images.to_model_input` crops, resizes and scales it, and
    the move is `images.transform` on the model-sized picture, as the course does. What a model
    itself wants on top of 0..1 (/255, ImageNet's preprocess_input) is the caller's next step.
    """
    prepare = "digit" if as_digit else prepare
    if prepare not in PREPARATIONS:
        raise ValueError(f"prepare must be one of {PREPARATIONS}, not {prepare!r}")
    steps = None
    if prepare == "digit":
        steps = images.prepare_digit(picture)
    elif prepare == "product":
        steps = images.prepare_product(picture)
    source = steps.result if steps is not None else picture
    x = images.to_model_input(source, input_shape)[0]  # (H, W, C)
    if angle or dx or dy or scale != 1:
        x = images.transform(x, angle=angle, dx=dx, dy=dy, scale=scale)
    return ModelInput(x[None].astype(np.float32), steps)


def conv_layer_names(model: keras.Model) -> list[str]:
    """Names of the model's Conv2D layers, in order."""
    return [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def is_conv_model(model: keras.Model) -> bool:
    """True when the model has at least one Conv2D layer."""
    return bool(conv_layer_names(model))


def activations_and_top(
    model: keras.Model, x: np.ndarray, k: int = 5, class_names: list[str] | None = None
) -> tuple[list[LayerActivation], list[tuple[str, float]]]:
    """`activations` and `predict_top` for x (1, H, W, C), running the model once when its last
    layer's output is the model's only output (it is for a Sequential model), else twice."""
    layers = activations(model, x)
    graph = extractor(model)
    if len(model.outputs) == 1 and graph.layers and layers:
        last = graph.layers[-1]
        history = getattr(model.outputs[0], "_keras_history", None)  # (layer, node, tensor)
        if getattr(history, "operation", None) is last and layers[-1].name == last.name:
            probs = predictions.as_probabilities(model, layers[-1].values[None])[0]
            return layers, predictions.top_k(probs, k, class_names)
    return layers, predictions.predict_top(model, x, k, class_names)
