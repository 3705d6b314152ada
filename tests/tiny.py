"""A tiny CNN and a small training config for the tests that train real Keras models in seconds."""

from __future__ import annotations

import keras

from cnnviz import data, models
from cnnviz.recipes import TrainConfig

TINY_CNN = [
    {"type": "Conv2D", "filters": 8, "kernel_size": 3, "activation": "relu"},
    {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Flatten"},
    {"type": "Dropout", "rate": 0.2},
    {"type": "Dense", "units": 10, "activation": "softmax"},
]
SMALL = TrainConfig(epochs=1, batch_size=64, max_train_images=1200, validation_split=0.1)


def tiny_model(dataset: data.Dataset, seed: int = 0, layers: list[dict] = TINY_CNN) -> keras.Model:
    return models.build(layers, dataset.input_shape, dataset.num_classes, seed=seed)
