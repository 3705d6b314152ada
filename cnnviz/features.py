"""What a trained model makes of one picture: every layer's output, its filters, its top guesses
and where it looked (Grad-CAM).

As the course builds it: one model whose outputs are every layer's outputs,
`keras.Model(model.inputs, [layer.output for layer in model.layers])`, called once. Each map is
shown standardised, (x − mean) / std · 64 + 128 clipped to 0..255; a constant ("dead") map has
std = 0 and is shown mid-grey instead of dividing by zero.

Models are always run as `model(x, training=False)`: `predict` retraces and is not thread-safe
when many students use one server.
"""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass

import cv2
import keras
import numpy as np

from cnnviz import images, models
from cnnviz.errors import ModelError

__all__ = [
    "Extractor",
    "LayerActivation",
    "ModelInput",
    "MAX_BARS",
    "MAX_MAPS",
    "PREPARATIONS",
    "activations",
    "activations_and_top",
    "conv_layer_names",
    "extractor",
    "filters_grid",
    "grad_cam",
    "grad_cam_available",
    "grid_columns",
    "is_conv_model",
    "model_input",
    "model_input_shape",
    "predict_top",
    "probabilities",
    "thumbnail",
    "tile",
    "top_k",
    "units_picture",
    "warm_up",
]

MAX_TILE_SIDE = 1600  # a tiled layer larger than this is shrunk map by map before tiling
MAX_MAPS = 256  # a layer with more maps shows its first MAX_MAPS (the page says so)
MAX_BARS = 256  # a 1-D output with more units is drawn as a picture (`units_picture`)
UNIT_COLUMNS = 64


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
    x = np.zeros((1, *model_input_shape(model)), np.float32)
    model(x, training=False)
    extractor(model)(x)
    if grad_cam_available() and conv_layer_names(model):
        grad_cam(model, x)  # traces its gradients once


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


# --- pictures of maps and filters -----------------------------------------------------------------


def _normalise(maps: np.ndarray, normalize: str) -> np.ndarray:
    """(H, W, C) floats -> (H, W, C) uint8, each map on its own.

    standardize: (x − mean) / std · 64 + 128, clipped to 0..255 (the course's recipe);
    minmax: (x − min) / (max − min) · 255. A constant map (std = 0) becomes 128 everywhere.
    """
    maps = np.nan_to_num(np.asarray(maps, np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if normalize == "standardize":
        centre = maps.mean(axis=(0, 1), keepdims=True)
        spread = maps.std(axis=(0, 1), keepdims=True)
        scaled = (maps - centre) / np.where(spread > 0, spread, 1.0) * 64 + 128
    elif normalize == "minmax":
        low = maps.min(axis=(0, 1), keepdims=True)
        spread = maps.max(axis=(0, 1), keepdims=True) - low
        scaled = (maps - low) / np.where(spread > 0, spread, 1.0) * 255
    else:
        raise ValueError(f"normalize must be 'standardize' or 'minmax', not {normalize!r}")
    scaled = np.where(spread > 0, scaled, 128.0)
    return np.clip(scaled, 0, 255).round().astype(np.uint8)


def grid_columns(count: int, map_height: int = 1, map_width: int = 1, aspect: float = 2.5) -> int:
    """Columns for `count` maps so the grid is about `aspect` times as wide as it is high."""
    wanted = math.sqrt(count * aspect * map_height / max(map_width, 1))
    return max(1, min(count, math.ceil(wanted)))


def tile(
    maps: np.ndarray,
    normalize: str = "standardize",
    columns: int | None = None,
    gap: int = 1,
    max_side: int = MAX_TILE_SIDE,
) -> np.ndarray:
    """A layer's maps (H, W, C) side by side in one uint8 picture, C maps in a grid.

    Each map is scaled on its own (see `_normalise`); maps are separated by `gap` white pixels.
    Grid: columns × rows = ⌈C / columns⌉; height rows·(H + gap) − gap. When that is larger than
    `max_side`, every map is shrunk first (area averaging). (H, W) is one map.
    """
    maps = np.asarray(maps)
    if maps.ndim == 2:
        maps = maps[:, :, None]
    if maps.ndim != 3:
        raise ValueError(f"maps must be (H, W, C), got shape {maps.shape}")
    height, width, count = maps.shape
    columns = columns or grid_columns(count, height, width)
    rows = math.ceil(count / columns)
    shown = _normalise(maps, normalize)
    room = (max_side + gap) / columns - gap, (max_side + gap) / rows - gap  # per map, with gaps
    factor = min(room[0] / width, room[1] / height)
    if factor < 1:
        size = (max(1, int(width * factor)), max(1, int(height * factor)))
        shown = np.stack(
            [cv2.resize(shown[:, :, c], size, interpolation=cv2.INTER_AREA) for c in range(count)],
            axis=2,
        )
        height, width = shown.shape[:2]
    return _place(shown, columns, gap)


def thumbnail(values: np.ndarray, maps: int = 8, side: int = 48) -> np.ndarray:
    """A layer's first `maps` maps (H, W, C) in one row, each at most `side` pixels -> uint8."""
    shown = np.asarray(values)[:, :, :maps]
    height, width, count = shown.shape
    return tile(shown, columns=count, max_side=max(side, 1) * count + count - 1)


def units_picture(values: np.ndarray, columns: int = UNIT_COLUMNS) -> np.ndarray:
    """A long 1-D output (units,) as a uint8 picture, `columns` units a row, in the order a
    following dense layer reads them; scaled from the smallest (black) to the largest (white);
    the cells after the last unit of the last row are white."""
    values = np.asarray(values).ravel()
    rows = max(1, math.ceil(values.size / columns))
    padded = np.zeros(rows * columns)
    padded[: values.size] = values
    picture = _normalise(padded.reshape(rows, columns, 1), "minmax")[:, :, 0]
    picture.ravel()[values.size :] = 255
    return picture


def _place(maps: np.ndarray, columns: int, gap: int = 1) -> np.ndarray:
    """Maps (H, W, C) with values 0..255 -> one uint8 grid, row by row, white gaps between."""
    height, width, count = maps.shape
    rows = math.ceil(count / columns)
    picture = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), 255, np.uint8)
    for c in range(count):
        row, col = divmod(c, columns)
        top, left = row * (height + gap), col * (width + gap)
        picture[top : top + height, left : left + width] = maps[:, :, c]
    return picture


def conv_layer_names(model: keras.Model) -> list[str]:
    """Names of the model's Conv2D layers, in order."""
    return [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def is_conv_model(model: keras.Model) -> bool:
    """True when the model has at least one Conv2D layer."""
    return bool(conv_layer_names(model))


def filters_grid(layer: keras.layers.Layer, input_channel: int | None = None) -> np.ndarray:
    """A Conv2D layer's filters side by side, each scaled min..max on its own -> uint8 picture.

    Weights (kh, kw, C_in, F). With three input channels (a colour picture) each filter is shown
    in colour, (rows·(kh+1), cols·(kw+1), 3); otherwise the weights seen by one input channel
    (`input_channel`, default 0) in gray, (rows·(kh+1), cols·(kw+1)).
    """
    if not isinstance(layer, keras.layers.Conv2D):
        raise ModelError("features.not_conv", name=layer.name, kind=type(layer).__name__)
    kernel = np.asarray(layer.kernel)  # (kh, kw, C_in, F)
    height, width, channels_in, count = kernel.shape
    if channels_in == 3 and input_channel is None:
        # one min..max per filter over its three colours, so the colours keep their balance
        low = kernel.min(axis=(0, 1, 2))
        spread = kernel.max(axis=(0, 1, 2)) - low
        scaled = np.round((kernel - low) / np.where(spread > 0, spread, 1.0) * 255)
        columns = grid_columns(count, height, width)
        return np.stack([_place(scaled[:, :, c, :], columns) for c in range(3)], axis=2)
    channel = 0 if input_channel is None else int(input_channel)
    if not 0 <= channel < channels_in:
        raise ModelError("features.no_such_channel", channel=channel, count=channels_in)
    return tile(kernel[:, :, channel, :], normalize="minmax")


# --- predictions -----------------------------------------------------------------------------------


def probabilities(model: keras.Model, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Class probabilities (N, classes) for x (N, H, W, C), in batches, softmax if needed.

    A model that ends without softmax gives scores; those are turned into probabilities with
    softmax, so every row is ≥ 0 and sums to 1.
    """
    x = np.asarray(x, np.float32)
    rows = [
        np.asarray(model(x[start : start + batch_size], training=False), np.float64)
        for start in range(0, len(x), batch_size)
    ]
    return _as_probabilities(model, np.concatenate(rows))


def _as_probabilities(model: keras.Model, scores: np.ndarray) -> np.ndarray:
    """The model's outputs (N, classes) as probabilities: softmax unless the model ends in it."""
    scores = np.asarray(scores, np.float64).reshape(len(scores), -1)
    return scores if models.ends_in_softmax(model) else models.softmax(scores)


def top_k(
    probs: np.ndarray, k: int = 5, class_names: list[str] | None = None
) -> list[tuple[str, float]]:
    """The k likeliest of one picture's probabilities (classes,): [(name, probability)]."""
    names = class_names if class_names and len(class_names) == len(probs) else None
    order = np.argsort(-probs, kind="stable")[:k]
    return [(names[i] if names else str(i), float(probs[i])) for i in order]


def predict_top(
    model: keras.Model, x: np.ndarray, k: int = 5, class_names: list[str] | None = None
) -> list[tuple[str, float]]:
    """The k likeliest classes for the first picture of x: [(name, probability)], likeliest first."""
    return top_k(probabilities(model, x[:1])[0], k, class_names)


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
            return layers, top_k(
                _as_probabilities(model, layers[-1].values[None])[0], k, class_names
            )
    return layers, predict_top(model, x, k, class_names)


# --- Grad-CAM --------------------------------------------------------------------------------------


def grad_cam_available() -> bool:
    """Grad-CAM needs gradients through the model; it is written for the TensorFlow backend."""
    return keras.backend.backend() == "tensorflow"


class _GradModel:
    """The model as (chosen conv layer's maps, class scores before softmax), on one graph."""

    def __init__(self, model: keras.Model, layer_name: str) -> None:
        graph = extractor(model)
        last = graph.layers[-1]
        self.dense = None
        head = graph.output_of[last.name]
        if isinstance(last, keras.layers.Dense) and models.ends_in_softmax(model):
            # gradients of softmax saturate when the model is sure; use the scores before it
            self.dense = last
            head = graph.input_of[last.name]
        self.model = keras.Model(graph.inputs, [graph.output_of[layer_name], head])
        self._traced = None

    def gradients(self, x: np.ndarray, class_index: int | None):
        """(the layer's maps A (h, w, C), ∂score_c/∂A (h, w, C), c) for x (1, H, W, C); c is
        `class_index`, else the class with the highest score. Traced once by TensorFlow (one
        graph instead of an eager call per operation: MobileNetV2 has ~150 of them)."""
        import tensorflow as tf

        if self._traced is None:
            shape = (1, *(int(size) if size else None for size in self.model.inputs[0].shape[1:]))

            @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32),
                                          tf.TensorSpec((), tf.int32)])  # fmt: skip
            def traced(x, chosen):
                with tf.GradientTape() as tape:
                    maps, scores = self.scores(x)
                    best = tf.argmax(scores[0], output_type=tf.int32)
                    index = tf.where(chosen >= 0, chosen, best)
                    score = tf.gather(scores[0], index)
                return maps[0], tape.gradient(score, maps)[0], index

            self._traced = traced
        index = -1 if class_index is None else int(class_index)
        maps, grads, index = self._traced(
            tf.constant(np.asarray(x, np.float32)), tf.constant(index)
        )
        return maps.numpy(), grads.numpy(), int(index)

    def scores(self, x):
        maps, head = self.model(x, training=False)
        if self.dense is not None:
            head = keras.ops.matmul(head, self.dense.kernel)
            if self.dense.bias is not None:
                head = head + self.dense.bias
        return maps, head


_grad_models: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _grad_model(model: keras.Model, layer_name: str) -> _GradModel:
    with _lock:
        per_layer = _grad_models.setdefault(model, {})
        if layer_name not in per_layer:
            per_layer[layer_name] = _GradModel(model, layer_name)
        return per_layer[layer_name]


def grad_cam(
    model: keras.Model,
    x: np.ndarray,
    layer_name: str | None = None,
    class_index: int | None = None,
) -> np.ndarray:
    """Where the model looked: (H, W) float32 in 0..1 at the input's size, for x (1, H, W, C).

    Grad-CAM (Selvaraju et al. 2017) on a conv layer's maps A_k (default: the last Conv2D):
    weights α_k = mean over positions of ∂score_c / ∂A_k, heatmap = ReLU(Σ_k α_k · A_k),
    scaled to 0..1 and resized to the input. score_c is the class's score before softmax;
    `class_index` defaults to the predicted class. All zeros when nothing speaks for the class.
    """
    if not grad_cam_available():
        raise ModelError("features.grad_cam_backend", backend=keras.backend.backend())
    names = conv_layer_names(model)
    if not names:
        raise ModelError("features.grad_cam_no_conv")
    layer_name = layer_name or names[-1]
    x = np.asarray(x[:1], np.float32)
    maps, gradients, _ = _grad_model(model, layer_name).gradients(x, class_index)
    weights = gradients.mean(axis=(0, 1))  # α_k: (C,)
    heatmap = np.maximum(maps @ weights, 0)  # (h, w)
    heatmap = np.nan_to_num(heatmap.astype(np.float32))
    if heatmap.max() > 0:
        heatmap /= heatmap.max()
    height, width = int(x.shape[1]), int(x.shape[2])
    resized = cv2.resize(heatmap, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(resized, 0.0, 1.0).astype(np.float32)
