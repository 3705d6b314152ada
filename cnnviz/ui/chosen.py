"""The model a page runs, whichever picker chose it: shipped, ImageNet, this session's or uploaded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnnviz import data, features, scaling
from cnnviz.errors import ModelError


@dataclass(frozen=True)
class ChosenModel:
    """A model ready to run, with what the pages need to show its answers.

    `preprocess` turns the picture as the page shows it, (N, H, W, C) floats 0..1, into what the
    model takes: the same for the course's models (trained on pixels / 255), ImageNet's own
    `preprocess_input` for the photo models, the teacher's choice for an upload.
    `reads` says what kind of picture it knows: "digits" (28×28 MNIST), "products"
    (Fashion-MNIST), "photos" (ImageNet) or "pictures" (anything else).
    """

    label: str
    model: Any  # keras.Model
    class_names: list[str]
    input_shape: tuple[int, int, int]
    source: str  # "pretrained", "imagenet", "trained" or "uploaded"
    preprocess: Callable[[np.ndarray], np.ndarray] = field(default=scaling.Scaling())
    reads: str = "pictures"

    @property
    def is_mnist(self) -> bool:
        """True for a model that reads 28×28 gray digits (a photo goes through prepare_digit)."""
        return tuple(self.input_shape) == (28, 28, 1) and list(self.class_names) == data.DIGITS


def what_it_reads(input_shape: tuple, class_names: list[str]) -> str:
    """ "digits" for a 28×28 gray model of the ten digits, "products" for one of Fashion-MNIST's
    ten classes, else "pictures"."""
    if tuple(input_shape) != (28, 28, 1):
        return "pictures"
    if list(class_names) == data.DIGITS:
        return "digits"
    return "products" if list(class_names) == list(data.FASHION_MNIST_CLASSES) else "pictures"


def describe(model, source: str, label: str, class_names: list[str] | None = None,
             preprocess=None) -> ChosenModel:  # fmt: skip
    """Check the model reads pictures and answers one score per class; raise ModelError if not."""
    input_shape = features.model_input_shape(model)
    outputs = model.outputs[0].shape
    if len(outputs) != 2:
        raise ModelError("features.not_a_classifier", shape=str(tuple(outputs)))
    classes = int(outputs[-1])
    if not class_names or len(class_names) != classes:
        digits = classes == 10 and input_shape == (28, 28, 1)
        class_names = data.DIGITS if digits else [f"#{i}" for i in range(classes)]
    reads = what_it_reads(input_shape, class_names)
    return ChosenModel(label, model, list(class_names), input_shape, source,
                       preprocess or scaling.Scaling(), reads)  # fmt: skip
