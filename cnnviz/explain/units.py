"""One unit of a Dense layer written out (Σ input · weight + bias, the largest products first), and
softmax with every number between the scores and the probabilities (CNN Explainer's view).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from cnnviz import models
from cnnviz.errors import ModelError, ShapeError
from cnnviz.explain.layers import (
    activate,
    activation_name,
    input_values,
    kernel_and_bias,
    kind,
    layer_of_kind,
    values_by_name,
)


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
    dense = layer_of_kind(model, layer, "dense")
    values = values_by_name(model, x, layers)
    if np.ndim(values[layer]) != 1:  # a Dense layer on maps: one unit per position, not one sum
        raise ModelError("inside.cannot_explain", name=layer, kind="Dense")
    found = np.asarray(values[layer])
    if not 0 <= unit < found.size:
        raise ShapeError("inside.unit_outside", unit=unit, units=found.size)
    inputs = input_values(model, x, layer, values).ravel()
    weights, biases = kernel_and_bias(dense)  # (inputs, units), (units,)
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
        value = float(activate(dense, np.array([total]))[0])
    return DenseUnit(layer, unit, shown, rest, inputs.size - len(shown), float(biases[unit]),
                     total, name, value, float(found[unit]), written)  # fmt: skip


def output_logits(model: keras.Model, x: np.ndarray, layers=None) -> np.ndarray:
    """The scores (K,) the model's last layer turns into probabilities: the last Dense layer's
    total before its softmax, or the output itself when the model ends without softmax."""
    values = values_by_name(model, x, layers)
    last = model.layers[-1]
    if not models.ends_in_softmax(model):
        return np.asarray(values[last.name], np.float64).ravel()
    if kind(last) == "dense":
        inputs = input_values(model, x, last.name, values).ravel()
        weights, bias = kernel_and_bias(last)
        return inputs @ weights + bias
    return input_values(model, x, last.name, values).ravel()
