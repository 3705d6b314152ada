"""Train the two models shipped in assets/models/: the course MLP and the course MNIST CNN.

Both learn from the embedded MNIST sample's train split (8,000 digits, pixels scaled by 1/255) with
Adam and a plain `model.fit`, and are scored on its 2,000 test digits. Seeds are fixed and
TensorFlow's op determinism is on, so a rerun on the same machine gives the same weights.
Each model is saved without its optimizer state as <name>.keras, next to <name>.json saying what
it is, what it scored and how it was made.

Usage, from the repository root: python -m scripts.train_pretrained   (a minute or two on 2 cores)
"""

from __future__ import annotations

import json
import platform
import time

import keras
import numpy as np

from cnnviz import data, models
from cnnviz.architectures import ARCHITECTURES

SEED = 0
RECIPES = {  # name -> epochs, batch size, Adam learning rate
    "mlp": (10, 128, 1e-3),
    "mnist_cnn": (10, 128, 1e-3),
}


def make_deterministic(seed: int) -> None:
    """Seed Python, numpy and the backend; on TensorFlow also make every op deterministic."""
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def train(name: str, dataset: data.Dataset) -> tuple[keras.Model, dict]:
    """Train the course model `name` on `dataset`; return it (no optimizer) and its description."""
    epochs, batch_size, learning_rate = RECIPES[name]
    architecture = ARCHITECTURES[name]
    model = models.build(architecture, dataset.input_shape, dataset.num_classes, seed=SEED)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    x_train = dataset.x_train.astype("float32") / 255.0
    x_test = dataset.x_test.astype("float32") / 255.0
    start = time.perf_counter()
    model.fit(x_train, dataset.y_train, epochs=epochs, batch_size=batch_size, verbose=2)
    seconds = time.perf_counter() - start
    test_loss, test_accuracy = model.evaluate(x_test, dataset.y_test, verbose=0)

    shipped = models.build(architecture, dataset.input_shape, dataset.num_classes, seed=SEED)
    shipped.set_weights(model.get_weights())  # the same weights, without Adam's state
    info = {
        "name": name,
        "architecture": name,
        "class_names": dataset.class_names,
        "input_shape": list(dataset.input_shape),
        "preprocessing": "grey uint8 (28, 28, 1) scaled by 1/255; white digit on black",
        "dataset": "mnist: embedded MNIST sample (assets/mnist_sample.npz), 8,000 train digits",
        "test_split": "the sample's 2,000 test digits",
        "test_accuracy": round(float(test_accuracy), 4),
        "test_loss": round(float(test_loss), 4),
        "parameters": int(shipped.count_params()),
        "how_made": (
            f"scripts/train_pretrained.py: Adam(learning_rate={learning_rate}), "
            f"sparse categorical cross-entropy, {epochs} epochs, batch {batch_size}, "
            f"seed {SEED}, op determinism on, plain model.fit on all 8,000 train digits"
        ),
        "training_seconds": round(seconds, 1),
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "python": platform.python_version(),
    }
    return shipped, info


def main() -> None:
    make_deterministic(SEED)
    dataset = data.load("mnist")
    models.MODELS_DIR.mkdir(parents=True, exist_ok=True)
    for name in models.PRETRAINED:
        model, info = train(name, dataset)
        model.save(models.MODELS_DIR / f"{name}.keras")
        with open(models.MODELS_DIR / f"{name}.json", "w", encoding="utf-8") as f:
            json.dump(info, f, indent=2, ensure_ascii=False)
            f.write("\n")
        check = models.load_pretrained(name).predict(dataset.x_test[:64] / 255.0, verbose=0)
        assert np.allclose(check, model.predict(dataset.x_test[:64] / 255.0, verbose=0))
        print(f"{name}: test accuracy {info['test_accuracy']:.2%} in {info['training_seconds']} s")


if __name__ == "__main__":
    main()
