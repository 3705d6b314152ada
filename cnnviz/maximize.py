"""What a filter looks for: an input that makes one channel of a layer fire strongly, made by
gradient ascent from seeded noise (Erhan et al. 2009; the regularisers of Olah et al.,
"Feature Visualization", Distill 2017), and the test pictures that excite it most.

Each step moves the picture along the gradient of the channel's mean response, scaled to a fixed
size so the step does not depend on how large the gradient happens to be:

    x ← clip( x + rate · g / mean|g| ,  low, high ),   g = ∂ mean(a_channel) / ∂x

with three regularisers that keep the picture from turning into high-frequency noise only the
model sees: the picture is shifted by a pixel or two before each step (jitter), blurred a little
every few steps, and pulled slightly back towards grey (decay). For a Conv2D or Dense layer with a
fused activation (`Conv2D(activation="relu")`) the response is taken before the activation: a
ReLU that is 0 everywhere on the noise gives no gradient to climb.

Gradients come from the backend Keras runs on: TensorFlow's `GradientTape` (traced once per model
and layer), `jax.grad` (jitted) or PyTorch's autograd.
"""

from __future__ import annotations

import threading
import weakref

import cv2
import keras
import numpy as np

from cnnviz import features
from cnnviz.errors import ModelError, ShapeError

__all__ = ["STEPS", "maximize", "maximize_available", "starting_noise", "top_activating"]

STEPS = 48  # gradient steps by default: the picture has settled by then on the course's models
RATE = 0.03  # each step's mean change per pixel, as a share of the value range
DECAY = 0.01  # the share of the distance to grey given up each step
BLUR_EVERY = 4  # steps between two blurs
BLUR_SIGMA = 0.5  # pixels
NOISE = (0.5, 0.1)  # the starting picture: grey with a little noise (mean, standard deviation)
LEAK = 0.1  # slope below 0 of the response climbed, for a layer with a fused activation
BACKENDS = ("tensorflow", "jax", "torch")


def maximize_available() -> bool:
    """Gradient ascent needs gradients through the model: TensorFlow, JAX and PyTorch give them."""
    return keras.backend.backend() in BACKENDS


def starting_noise(shape: tuple[int, ...], seed: int = 0, value_range=(0.0, 1.0)) -> np.ndarray:
    """The picture the ascent starts from: grey (the middle of `value_range`) with seeded
    Gaussian noise, float32 of `shape`, clipped to the range."""
    low, high = value_range
    mean, spread = NOISE
    rng = np.random.default_rng(seed)
    noise = rng.normal(mean, spread, size=shape)
    return np.clip(low + noise * (high - low), low, high).astype(np.float32)


class _Response:
    """A model cut at one layer: x (1, H, W, C) -> the layer's response (before a fused
    activation), and the gradient of one channel's mean response with respect to x."""

    def __init__(self, model: keras.Model, layer_name: str) -> None:
        graph = features.extractor(model)
        if layer_name not in graph.output_of:
            raise ModelError("inside.no_such_layer", name=layer_name)
        self.layer = _find(graph, layer_name)
        self.before_activation = _fused_activation(self.layer)
        tensor = (
            graph.input_of[layer_name] if self.before_activation else graph.output_of[layer_name]
        )
        self.model = keras.Model(graph.inputs, tensor)
        self.channels = int(graph.output_of[layer_name].shape[-1])
        self._gradient = None
        self._lock = threading.Lock()

    def response(self, x):
        """The layer's response to x, in the backend's tensors (the model's own call)."""
        return self.head(self.model(x, training=False))

    def head(self, out):
        """The cut model's output -> the layer's response: for a fused activation, the layer's
        kernel and bias applied to its input (the sum before the activation)."""
        if not self.before_activation:
            return out
        layer = self.layer
        if isinstance(layer, keras.layers.Dense):
            out = keras.ops.matmul(out, layer.kernel)
        else:
            out = layer.convolution_op(out, layer.kernel)
        if layer.use_bias:
            out = out + layer.bias
        return out

    def score(self, x, channel):
        """One channel's mean response: what the ascent climbs."""
        picked = keras.ops.take(self.response(x), channel, axis=-1)
        if self.before_activation:  # a leaky ReLU: climbs where the filter fires, not grey alone
            picked = keras.ops.leaky_relu(picked, LEAK)
        return keras.ops.mean(picked)

    def gradient(self, x: np.ndarray, channel: int) -> tuple[float, np.ndarray]:
        """(the channel's mean response, its gradient with respect to x), both as numpy."""
        with self._lock:
            if self._gradient is None:
                self._gradient = _gradient_function(self, tuple(x.shape))
        return self._gradient(np.asarray(x, np.float32), int(channel))


def _find(graph: features.Extractor, name: str) -> keras.layers.Layer:
    return next(layer for layer in graph.layers if layer.name == name)


def _fused_activation(layer: keras.layers.Layer) -> bool:
    """True for a Conv2D or Dense layer whose activation is not linear (fused in the layer)."""
    if not isinstance(layer, keras.layers.Conv2D | keras.layers.Dense):
        return False
    activation = getattr(layer, "activation", None)
    return activation is not None and getattr(activation, "__name__", "") != "linear"


def _gradient_function(response: _Response, shape: tuple[int, ...]):
    """x, channel -> (score, ∂score/∂x), traced or jitted once for this model and layer."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32),
                                      tf.TensorSpec((), tf.int32)])  # fmt: skip
        def traced(x, channel):
            with tf.GradientTape() as tape:
                tape.watch(x)
                score = response.score(x, channel)
            return score, tape.gradient(score, x)

        def run(x, channel):
            score, grad = traced(tf.constant(x), tf.constant(channel, tf.int32))
            return float(score), grad.numpy()

        return run
    if backend == "jax":
        import jax

        model = response.model
        trainable = [v.value for v in model.trainable_variables]
        frozen = [v.value for v in model.non_trainable_variables]

        def score(x, channel, trainable, frozen):
            out, _ = model.stateless_call(trainable, frozen, x, training=False)
            picked = keras.ops.take(response.head(out), channel, axis=-1)  # weights as constants
            if response.before_activation:
                picked = keras.ops.leaky_relu(picked, LEAK)
            return keras.ops.mean(picked)

        jitted = jax.jit(jax.value_and_grad(score))

        def run(x, channel):
            value, grad = jitted(x, channel, trainable, frozen)
            return float(value), np.asarray(grad)

        return run
    if backend == "torch":
        import torch

        def run(x, channel):
            tensor = torch.tensor(x, requires_grad=True)
            value = response.score(tensor, channel)
            (grad,) = torch.autograd.grad(value, tensor)
            return float(value.detach().cpu()), grad.detach().cpu().numpy()

        return run
    raise ModelError("inside.maximize_backend", backend=backend)


# one _Response per model and layer, forgotten with the model
_responses: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _response(model: keras.Model, layer_name: str) -> _Response:
    with _lock:
        per_layer = _responses.setdefault(model, {})
        if layer_name not in per_layer:
            per_layer[layer_name] = _Response(model, layer_name)
        return per_layer[layer_name]


def _blur(x: np.ndarray) -> np.ndarray:
    """A light Gaussian blur of (H, W, C) over H and W, each channel on its own."""
    blurred = cv2.GaussianBlur(x, (0, 0), BLUR_SIGMA, borderType=cv2.BORDER_REFLECT)
    return blurred.reshape(x.shape)


def maximize(
    model: keras.Model,
    layer: str,
    channel: int,
    steps: int = STEPS,
    seed: int = 0,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> np.ndarray:
    """An input that makes `channel` of `layer` (a layer's name) fire strongly: float32 of the
    model's input shape with a batch of one, (1, H, W, C), values in `value_range` (the range the
    model's inputs take; 0..1 for the course's models).

    Starts from `starting_noise(..., seed)` (`steps=0` returns it unchanged) and climbs the
    channel's mean response for `steps` steps with jitter, blur and decay. The same seed gives the
    same picture. Raises ModelError for an unknown layer, a channel the layer does not have, a
    model whose input is not one picture, or a backend without gradients."""
    if not maximize_available():
        raise ModelError("inside.maximize_backend", backend=keras.backend.backend())
    if int(steps) < 0:
        raise ModelError("inside.maximize_steps", steps=steps)
    shape = features.model_input_shape(model)
    response = _response(model, layer)
    if not 0 <= int(channel) < response.channels:
        raise ShapeError("inside.unit_outside", unit=channel, units=response.channels)
    low, high = (float(v) for v in value_range)
    rng = np.random.default_rng(seed)
    x = starting_noise(shape, seed, (low, high))
    grey = (low + high) / 2
    shift = max(1, min(shape[:2]) // 16)  # one pixel on 28×28, two on 32×32 … fourteen on 224
    for step in range(int(steps)):
        dy, dx = (int(v) for v in rng.integers(-shift, shift + 1, size=2))
        moved = np.roll(x, (dy, dx), axis=(0, 1))
        _, grad = response.gradient(moved[None], channel)
        grad = np.roll(grad[0], (-dy, -dx), axis=(0, 1))
        size = float(np.abs(grad).mean())
        if size > 0:
            x = x + RATE * (high - low) * grad / size
        x = grey + (x - grey) * (1 - DECAY)
        if (step + 1) % BLUR_EVERY == 0:
            x = _blur(x)
        x = np.clip(x, low, high).astype(np.float32)
    return x[None]


def top_activating(
    model: keras.Model, layer: str, channel: int, images: np.ndarray, k: int = 6, batch: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """The `k` pictures among `images` (N, H, W, C, as the model takes them) on which `channel` of
    `layer` responds most, as (indices, mean responses), the strongest first. The response is the
    layer's output (after its activation), averaged over the map."""
    graph = features.extractor(model)
    if layer not in graph.output_of:
        raise ModelError("inside.no_such_layer", name=layer)
    count = int(graph.output_of[layer].shape[-1])
    if not 0 <= int(channel) < count:
        raise ShapeError("inside.unit_outside", unit=channel, units=count)
    cut = _cut(model, layer)
    images = np.asarray(images, np.float32)
    scores = []
    for start in range(0, len(images), batch):
        out = np.asarray(cut.predict_on_batch(images[start : start + batch]))
        picked = out[..., int(channel)]
        scores.append(picked.reshape(len(picked), -1).mean(axis=1))
    scores = np.concatenate(scores) if scores else np.zeros(0)
    order = np.argsort(-scores, kind="stable")[: int(k)]
    return order, scores[order]


_cuts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cut(model: keras.Model, layer: str) -> keras.Model:
    """keras.Model(inputs, the layer's output), once per model and layer."""
    with _lock:
        per_layer = _cuts.setdefault(model, {})
        if layer not in per_layer:
            graph = features.extractor(model)
            per_layer[layer] = keras.Model(graph.inputs, graph.output_of[layer])
        return per_layer[layer]
