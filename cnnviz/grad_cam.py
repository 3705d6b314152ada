"""Where a model looked: Grad-CAM (Selvaraju et al. 2017) on one of its conv layers.

The gradients come from TensorFlow (`tf.GradientTape`), traced once per model and layer, on the
graph of `features.extractor`, so a Sequential model's layers are read as the page shows them.
"""

from __future__ import annotations

import threading
import weakref

import cv2
import keras
import numpy as np

from cnnviz import features, models
from cnnviz.errors import ModelError

__all__ = ["grad_cam", "grad_cam_available"]


def grad_cam_available() -> bool:
    """Grad-CAM needs gradients through the model; it is written for the TensorFlow backend."""
    return keras.backend.backend() == "tensorflow"


class _GradModel:
    """The model as (chosen conv layer's maps, class scores before softmax), on one graph."""

    def __init__(self, model: keras.Model, layer_name: str) -> None:
        graph = features.extractor(model)
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


# one gradient model per model and layer, forgotten with the model; the lock keeps two sessions
# from building the same one twice
_grad_models: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _grad_model(model: keras.Model, layer_name: str) -> _GradModel:
    """The model's _GradModel for `layer_name`, built on first use."""
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
    names = features.conv_layer_names(model)
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
