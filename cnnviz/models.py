"""Keras models from the course's layer tables, and the shipped pretrained models.

`build` turns a layer table (an `Architecture` from cnnviz.architectures, or a list of layer dicts
a student edited) into a `keras.Sequential`: `keras.Input(input_shape)`, then for each row
`keras.layers.<type>(**arguments)` where `type` must be one of `LAYER_TYPES`; nothing else in a
table is ever evaluated. The last Dense layer gets one unit per class. Weights start from seeded
initialisers, so the same seed gives the same model. `load_pretrained` opens the models in
assets/models; a teacher's own model file is read by cnnviz.model_files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from cnnviz.architectures import Architecture, layer_rows
from cnnviz.errors import ModelError, error_reason

# moved to cnnviz.model_files (the teacher's files); still importable from here
from cnnviz.model_files import carried_class_names, load_uploaded, save_bytes, save_h5_bytes

__all__ = [
    "CPU_MAX_MACS",
    "CPU_MAX_PARAMS",
    "MAX_BUILD_PARAMS",
    "MODELS_DIR",
    "PRETRAINED",
    "build",
    "carried_class_names",
    "ends_in_softmax",
    "forward_macs",
    "load_pretrained",
    "load_uploaded",
    "pretrained_info",
    "save_bytes",
    "save_h5_bytes",
    "softmax",
    "too_large_for_cpu",
]

MODELS_DIR = Path(__file__).resolve().parent.parent / "assets" / "models"
PRETRAINED = ("mlp", "mnist_cnn", "fashion_cnn")

# A model above either limit is too slow to train in class on a CPU (AlexNet, VGG19 at 224×224).
CPU_MAX_PARAMS = 20_000_000
CPU_MAX_MACS = 2_000_000_000  # multiply-adds for one image's forward pass
MAX_BUILD_PARAMS = 200_000_000  # VGG19 has 139.6 million


def _layer_name(layer_type: str, number: int) -> str:
    """A name that counts table rows, whatever was built before: MaxPooling2D, 3 -> max_pooling2d_3."""
    snake = re.sub(r"(?<=[a-z])([A-Z])", r"_\1", layer_type).lower()
    return f"{snake}_{number}"


def _seeded(initializer: object, seed: int) -> object:
    """The Keras initializer `initializer` (a name or a config) with its seed set to `seed`."""
    resolved = keras.initializers.get(initializer)
    config = resolved.get_config()
    if "seed" not in config:  # Zeros, Ones, Constant: nothing random
        return resolved
    config["seed"] = seed
    return type(resolved).from_config(config)


def _layer_arguments(row: dict, number: int, seed: int) -> dict:
    """The Keras arguments of one table row, with seeded initialisers and dropout."""
    arguments = {key: value for key, value in row.items() if key != "type"}
    arguments.setdefault("name", _layer_name(row["type"], number))
    layer_seed = seed * 1000 + number  # every layer its own stream; same seed, same weights
    if row["type"] in ("Conv2D", "Dense"):
        arguments["kernel_initializer"] = _seeded(
            arguments.get("kernel_initializer", "glorot_uniform"), layer_seed
        )
        arguments["bias_initializer"] = _seeded(
            arguments.get("bias_initializer", "zeros"), layer_seed
        )
    if row["type"] == "Dropout":
        arguments.setdefault("seed", layer_seed)
    return arguments


def _plain_value(value: object) -> bool:
    """True for what a layer table may hold: numbers, text, booleans, None and lists of them.

    Keras turns nested configs (dicts) into objects, so a table never carries one.
    """
    if isinstance(value, list | tuple):
        return all(_plain_value(item) for item in value)
    return value is None or isinstance(value, str | int | float | bool)


def _layer_table(spec: Architecture | Sequence[dict]) -> list[dict]:
    """Check every row names an allowed layer type; return the rows as plain dicts."""
    rows = layer_rows(spec)
    for number, row in enumerate(rows, start=1):
        for argument, value in row.items():
            if not _plain_value(value):
                raise ModelError("models.bad_argument", number=number, argument=argument)
    if not any(row["type"] == "Dense" for row in rows):
        raise ModelError("models.no_dense")
    return [dict(row) for row in rows]


def build(
    spec: Architecture | Sequence[dict],
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    seed: int = 0,
) -> keras.Sequential:
    """A Sequential model: Input(input_shape) -> the table's layers -> last Dense of num_classes.

    `input_shape` and `num_classes` default to the Architecture's own. A row Keras refuses (a
    kernel larger than its input, a bad argument) raises ModelError with the row number and why.
    """
    rows = _layer_table(spec)
    if isinstance(spec, Architecture):
        input_shape = input_shape or spec.input_shape
        num_classes = num_classes or spec.num_classes
        name = spec.name
    else:
        name = "custom"
    if input_shape is None or num_classes is None:
        raise ValueError("a list of layers needs input_shape and num_classes")
    last_dense = max(i for i, row in enumerate(rows) if row["type"] == "Dense")
    rows[last_dense]["units"] = int(num_classes)

    model = keras.Sequential(name=name)
    model.add(keras.Input(shape=tuple(input_shape)))
    weights, shape = 0, (None, *input_shape)
    for number, row in enumerate(rows, start=1):
        try:
            layer = getattr(keras.layers, row["type"])(**_layer_arguments(row, number, seed))
            weights += _weight_count(layer, shape)
            if weights > MAX_BUILD_PARAMS:  # refuse before Keras allocates them
                raise ModelError(
                    "models.too_many_parameters", number=number, limit=MAX_BUILD_PARAMS
                )
            model.add(layer)
            shape = model.output_shape
        except ModelError:
            raise
        except Exception as error:  # whatever Keras raises for a row, it is that row's fault
            raise ModelError(
                "models.bad_layer", number=number, type=row["type"], reason=error_reason(error)
            ) from error
    if tuple(model.output_shape) != (None, num_classes):
        raise ModelError(
            "models.output_not_classes", shape=str(model.output_shape), classes=num_classes
        )
    return model


def _weight_count(layer: keras.layers.Layer, input_shape: tuple) -> int:
    """Weights a Conv2D (F·(kh·kw·C_in + 1)) or Dense (units·(inputs + 1)) will make; else 0."""
    if isinstance(layer, keras.layers.Conv2D):
        kernel_height, kernel_width = layer.kernel_size
        return layer.filters * (kernel_height * kernel_width * (input_shape[-1] or 0) + 1)
    if isinstance(layer, keras.layers.Dense):
        return layer.units * ((input_shape[-1] or 0) + 1)
    return 0


def forward_macs(model: keras.Model) -> int:
    """Multiply-adds for one image: Conv2D H'·W'·F·kh·kw·C_in, Dense inputs·units."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, height, width, filters = layer.output.shape
            kernel_height, kernel_width, channels_in, _ = layer.kernel.shape
            total += height * width * filters * kernel_height * kernel_width * channels_in
        elif isinstance(layer, keras.layers.Dense):
            total += layer.kernel.shape[0] * layer.kernel.shape[1]
    return int(total)


def too_large_for_cpu(
    spec: Architecture | Sequence[dict] | keras.Model,
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
) -> bool:
    """True if training it on a CPU in class is hopeless (AlexNet, VGG19 at 224×224).

    A course Architecture says so itself (`trainable_on_cpu`); any other table or model is
    judged by its size: more than CPU_MAX_PARAMS parameters or CPU_MAX_MACS multiply-adds.
    """
    if isinstance(spec, Architecture) and input_shape in (None, spec.input_shape):
        return not spec.trainable_on_cpu
    model = spec if isinstance(spec, keras.Model) else build(spec, input_shape, num_classes)
    return model.count_params() > CPU_MAX_PARAMS or forward_macs(model) > CPU_MAX_MACS


# --- pretrained models shipped in assets/models ---------------------------------------------------


def ends_in_softmax(model: keras.Model) -> bool:
    """True when the model's last layer turns scores into probabilities: a layer with
    `activation="softmax"` (Dense, Activation) or a Softmax layer. Such a model is trained with
    `from_logits=False`, its outputs are probabilities, and Grad-CAM reads the scores before it."""
    last = model.layers[-1] if model.layers else None
    if last is None:
        return False
    if isinstance(last, keras.layers.Softmax):
        return True
    activation = last.get_config().get("activation")
    return activation == "softmax" or getattr(last, "activation", None) is keras.activations.softmax


def softmax(scores: np.ndarray) -> np.ndarray:
    """Rows of scores (N, classes) -> probabilities: exp(s − max) / Σ exp(s − max)."""
    scores = np.asarray(scores, np.float64)
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _pretrained_path(name: str, suffix: str) -> Path:
    if name not in PRETRAINED:
        raise ModelError("models.unknown_pretrained", name=name, names=", ".join(PRETRAINED))
    path = MODELS_DIR / f"{name}{suffix}"
    if not path.is_file():
        raise ModelError("models.pretrained_missing", name=name, file=str(path))
    return path


def load_pretrained(name: str) -> keras.Model:
    """The shipped model `name` (one of PRETRAINED: the MNIST MLP and CNN, the Fashion-MNIST CNN)."""
    return keras.saving.load_model(_pretrained_path(name, ".keras"), safe_mode=True)


def pretrained_info(name: str) -> dict:
    """What the shipped model's JSON says: class names, dataset, test accuracy, how it was made."""
    with open(_pretrained_path(name, ".json"), encoding="utf-8") as f:
        return json.load(f)
