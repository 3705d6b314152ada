"""What a model guesses for a picture: class probabilities and the likeliest classes.

Models are always run as `model(x, training=False)`: `predict` retraces and is not thread-safe
when many students use one server.
"""

from __future__ import annotations

import keras
import numpy as np

from cnnviz import models

__all__ = ["as_probabilities", "predict_top", "probabilities", "top_k"]


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
    return as_probabilities(model, np.concatenate(rows))


def as_probabilities(model: keras.Model, scores: np.ndarray) -> np.ndarray:
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
