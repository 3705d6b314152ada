"""The course's models as plain data.

A model is an `Architecture`: an input shape, a number of classes and a tuple of layer specs.
A layer spec is a dict: `"type"` is the Keras layer class (`Conv2D`, `Dense` …) and every other key
is that layer's Keras argument, so `keras.layers.Conv2D(**args)` builds it (cnnviz.models) and
cnnviz.params counts it without Keras. Only the types in `LAYER_TYPES` are allowed: a layer table
a student edits is checked against them, never evaluated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnnviz.errors import ModelError

LAYER_TYPES = (
    "Conv2D",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "BatchNormalization",
    "Dropout",
    "Flatten",
    "Dense",
)


@dataclass(frozen=True)
class Architecture:
    """A course model: where it comes from, what it takes and its layers in order."""

    name: str
    input_shape: tuple[int, ...]
    num_classes: int
    layers: tuple[dict, ...]
    dataset: str
    trainable_on_cpu: bool = True


def conv(filters: int, kernel: int = 3, **args: object) -> dict:
    return {
        "type": "Conv2D",
        "filters": filters,
        "kernel_size": kernel,
        "activation": "relu",
        **args,
    }


def dense(units: int, activation: str = "relu") -> dict:
    return {"type": "Dense", "units": units, "activation": activation}


def max_pool(size: int = 2, **args: object) -> dict:
    return {"type": "MaxPooling2D", "pool_size": size, **args}


def avg_pool(size: int = 2, **args: object) -> dict:
    return {"type": "AveragePooling2D", "pool_size": size, **args}


def dropout(rate: float) -> dict:
    return {"type": "Dropout", "rate": rate}


FLATTEN = {"type": "Flatten"}
BATCH_NORM = {"type": "BatchNormalization"}
SOFTMAX_10 = dense(10, "softmax")


def _bn_block(filters: int) -> tuple[dict, ...]:
    return (conv(filters, kernel_initializer="he_uniform"), BATCH_NORM)


ARCHITECTURES: dict[str, Architecture] = {
    a.name: a
    for a in (
        # day 4: the multilayer perceptron on flattened pixels (784 inputs)
        Architecture("mlp", (28, 28, 1), 10, (FLATTEN, dense(512), SOFTMAX_10), "mnist"),
        # day 4: the first CNN on MNIST
        Architecture(
            "mnist_cnn",
            (28, 28, 1),
            10,
            (conv(32), max_pool(), conv(64), max_pool(), FLATTEN, dense(512), SOFTMAX_10),
            "mnist",
        ),
        # CIFAR-100 walk-through, part 2: the deeper MNIST CNN (99.42 % in the notes)
        Architecture(
            "mnist_deep_cnn",
            (28, 28, 1),
            10,
            (
                conv(64, padding="same"),
                conv(64, padding="same"),
                max_pool(),
                conv(128, padding="same"),
                conv(256, padding="valid"),
                max_pool(),
                FLATTEN,
                dense(512),
                dropout(0.5),
                dense(256),
                dropout(0.5),
                SOFTMAX_10,
            ),
            "mnist",
        ),
        # CIFAR-10 feature-map notes
        Architecture(
            "cifar10_cnn",
            (32, 32, 3),
            10,
            (
                conv(32, padding="same"),
                conv(32, padding="same"),
                max_pool(2, strides=2, padding="same"),
                conv(64, padding="same"),
                conv(64, padding="same"),
                max_pool(),
                conv(128, padding="same"),
                conv(128, padding="same"),
                max_pool(),
                FLATTEN,
                dense(256),
                SOFTMAX_10,
            ),
            "cifar10",
        ),
        # CIFAR-100 walk-through: batch normalisation after every convolution
        Architecture(
            "cifar100_bn_cnn",
            (32, 32, 3),
            100,
            (
                *_bn_block(32),
                *_bn_block(32),
                max_pool(),
                dropout(0.25),
                *_bn_block(64),
                *_bn_block(64),
                max_pool(),
                dropout(0.25),
                FLATTEN,
                dense(512),
                dropout(0.5),
                dense(100, "softmax"),
            ),
            "cifar100",
        ),
        # LeNet-5 as in the notes: MNIST padded by 2 to 32x32, ReLU, average pooling
        Architecture(
            "lenet5",
            (32, 32, 1),
            10,
            (
                conv(6, 5),
                avg_pool(2, strides=2),
                conv(16, 5),
                avg_pool(2, strides=2),
                conv(120, 5),
                FLATTEN,
                dense(84),
                SOFTMAX_10,
            ),
            "mnist",
        ),
        # AlexNet as written in the notes (valid padding everywhere, 10 classes)
        Architecture(
            "alexnet",
            (224, 224, 3),
            10,
            (
                conv(96, 11, strides=4),
                conv(256, 5),
                max_pool(3, strides=2),
                conv(384, 3),
                max_pool(3, strides=2),
                conv(384, 3),
                conv(256, 3),
                max_pool(3, strides=2),
                FLATTEN,
                dense(4096),
                dropout(0.5),
                dense(4096),
                dropout(0.5),
                SOFTMAX_10,
            ),
            "imagenet_like",
            trainable_on_cpu=False,
        ),
        # VGG19 with a 10-class head
        Architecture(
            "vgg19",
            (224, 224, 3),
            10,
            (
                *(
                    layer
                    for filters, repeat in ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))
                    for layer in (*[conv(filters, padding="same")] * repeat, max_pool())
                ),
                FLATTEN,
                dense(4096),
                dense(4096),
                SOFTMAX_10,
            ),
            "imagenet_like",
            trainable_on_cpu=False,
        ),
        # Animals-10: [conv same -> max pool -> batch norm] with shrinking filter counts
        Architecture(
            "animals10_cnn",
            (150, 150, 3),
            10,
            (
                *(
                    layer
                    for filters in (256, 128, 64, 32, 16)
                    for layer in (conv(filters, padding="same"), max_pool(), BATCH_NORM)
                ),
                FLATTEN,
                dense(100),
                dropout(0.4),
                SOFTMAX_10,
            ),
            "animals10",
        ),
    )
}


def layer_rows(spec: Architecture | Sequence[dict]) -> list[dict]:
    """The rows of `spec` as a list, each checked to name one of `LAYER_TYPES`; else ModelError
    "models.unknown_layer" with the row's number (a type is quoted up to 40 characters)."""
    rows = list(spec.layers if isinstance(spec, Architecture) else spec)
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or row.get("type") not in LAYER_TYPES:
            kind = row.get("type") if isinstance(row, dict) else type(row).__name__
            raise ModelError(
                "models.unknown_layer",
                number=number,
                type=str(kind)[:40],
                allowed=", ".join(LAYER_TYPES),
            )
    return rows


def get(name: str) -> Architecture:
    """Return the course model called `name` (one of `ARCHITECTURES`)."""
    return ARCHITECTURES[name]


# The columns of a layer table a student edits; each row is one layer, blank cells are unset.
TABLE_COLUMNS = (
    "type",
    "filters",
    "units",
    "kernel_size",
    "strides",
    "padding",
    "pool_size",
    "rate",
    "activation",
)
_WHOLE_NUMBERS = {"filters", "units", "kernel_size", "strides", "pool_size"}


def table_rows(layers: tuple[dict, ...] | list[dict]) -> list[dict]:
    """Layer specs -> rows with every column of TABLE_COLUMNS (None where a layer has no value)."""
    return [{column: layer.get(column) for column in TABLE_COLUMNS} for layer in layers]


def _blank(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def layers_from_table(rows: list[dict]) -> list[dict]:
    """Rows of an edited layer table -> layer specs; blank cells and rows without a type dropped.

    Whole-number columns typed as 32.0 become 32; anything else is passed on as typed and
    checked by cnnviz.params.summarize (never evaluated).
    """
    layers = []
    for row in rows:
        if _blank(row.get("type")):
            continue
        layer = {"type": str(row["type"])}
        for column in TABLE_COLUMNS[1:]:
            value = row.get(column)
            if _blank(value):
                continue
            if column in _WHOLE_NUMBERS and isinstance(value, float) and value.is_integer():
                value = int(value)
            layer[column] = value
        layers.append(layer)
    return layers
