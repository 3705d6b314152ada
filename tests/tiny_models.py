"""Two tiny Keras models (a chain of layers and two branches), random pictures and MNIST test
digits, for the tests that look inside a model: features, tiles, predictions and Grad-CAM."""

import keras
import numpy as np

from cnnviz import data


def tiny_cnn(channels: int = 1, softmax: bool = True) -> keras.Model:
    """Input (12, 12, C) -> Conv 4 3×3 -> MaxPool 2 -> Conv 3 3×3 -> Flatten -> Dense 5."""
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((12, 12, channels)),
            keras.layers.Conv2D(4, 3, activation="relu", name="first"),
            keras.layers.MaxPooling2D(2, name="pool"),
            keras.layers.Conv2D(3, 3, activation="relu", name="second"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(5, activation="softmax" if softmax else None, name="scores"),
        ]
    )


def tiny_functional() -> keras.Model:
    """Two branches added together: not a chain of layers."""
    keras.utils.set_random_seed(1)
    inputs = keras.Input((10, 10, 3), name="picture")
    left = keras.layers.Conv2D(2, 3, padding="same", name="left")(inputs)
    right = keras.layers.Conv2D(2, 1, name="right")(inputs)
    joined = keras.layers.Add(name="joined")([left, right])
    pooled = keras.layers.GlobalAveragePooling2D(name="gap")(joined)
    outputs = keras.layers.Dense(4, activation="softmax", name="scores")(pooled)
    return keras.Model(inputs, outputs)


def pictures(n: int, shape: tuple, seed: int = 0) -> np.ndarray:
    """n random pictures (n, *shape), float32 in 0..1."""
    return np.random.default_rng(seed).random((n, *shape), dtype=np.float32)


def mnist_test_digit(index: int = 0) -> np.ndarray:
    """The embedded MNIST sample's test digit `index`, (1, 28, 28, 1) float32 in 0..1."""
    return data.load("mnist").x_test[index : index + 1].astype(np.float32) / 255
