"""Train the models shipped in assets/models/: the course MLP and MNIST CNN on digits, and the same
MNIST CNN on Fashion-MNIST photos of clothes.

- `mlp`, `mnist_cnn`: the embedded MNIST sample's train split (8,000 digits), scored on its 2,000
  test digits.
- `fashion_cnn`: the course MNIST CNN on all 60,000 Fashion-MNIST train images from the Debian
  package `dataset-fashion-mnist` (or Keras's cache) and their mirror images, with a learning
  rate falling along a cosine, scored on the package's 10,000 test images.

Pixels are scaled by 1/255; Adam and a plain `model.fit`. The seeds are set again before each
model and TensorFlow's op determinism is on, so a rerun on the same machine gives the same weights,
whichever models are trained in that run. Each model is saved without its optimizer state as
<name>.keras, next to <name>.json saying what it is, what it scored and how it was made.

Usage, from the repository root:
    python -m scripts.train_pretrained                 all three (about 6 minutes on 2 cores)
    python -m scripts.train_pretrained fashion_cnn     only the named ones
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import dataclass

import keras
import numpy as np

from cnnviz import data, models
from cnnviz.architectures import ARCHITECTURES

SEED = 0


@dataclass(frozen=True)
class Recipe:
    """How one shipped model is made, and the words its JSON uses for its data."""

    architecture: str  # a key of ARCHITECTURES
    dataset: str  # a name for data.load
    epochs: int
    batch_size: int
    learning_rate: float  # Adam's
    preprocessing: str
    dataset_text: str
    test_split: str
    train_text: str  # what model.fit saw, for `how_made`
    credit: str | None = None
    mirrored: bool = False  # also train on every image flipped left to right (day 4's flip)
    cosine_decay: bool = False  # the learning rate falls from its start to 0 along a cosine


_SAMPLE = {
    "dataset": "mnist",
    "preprocessing": "grey uint8 (28, 28, 1) scaled by 1/255; white digit on black",
    "dataset_text": "mnist: embedded MNIST sample (assets/mnist_sample.npz), 8,000 train digits",
    "test_split": "the sample's 2,000 test digits",
    "train_text": "all 8,000 train digits",
}
RECIPES = {
    "mlp": Recipe("mlp", epochs=10, batch_size=128, learning_rate=1e-3, **_SAMPLE),
    "mnist_cnn": Recipe("mnist_cnn", epochs=10, batch_size=128, learning_rate=1e-3, **_SAMPLE),
    # The digit CNN, unchanged, on clothes. Plain Adam(1e-3) stalls at 89.5-89.7 % test accuracy
    # from epoch 4 on (92.9 % on the train images at epoch 6: it overfits); mirrored copies (a
    # shoe facing left is still a shoe) and a falling learning rate lift it above 90 %.
    "fashion_cnn": Recipe(
        "mnist_cnn",
        "fashion_mnist",
        epochs=5,
        batch_size=128,
        learning_rate=1e-3,
        preprocessing=(
            "grey uint8 (28, 28, 1) scaled by 1/255; light object on a black background "
            "(cnnviz.images.prepare_product makes a photo look like this)"
        ),
        dataset_text=(
            "fashion_mnist: Fashion-MNIST, all 60,000 train images "
            "(Debian package dataset-fashion-mnist, /usr/share/datasets/fashion-mnist)"
        ),
        test_split="Fashion-MNIST's 10,000 test images (t10k-images-idx3-ubyte.gz)",
        train_text=(
            "all 60,000 Fashion-MNIST train images and their left-right mirror images, "
            "shuffled together"
        ),
        mirrored=True,
        cosine_decay=True,
        credit=(
            "Fashion-MNIST by Zalando Research (Han Xiao, Kashif Rasul, Roland Vollgraf), "
            "https://github.com/zalandoresearch/fashion-mnist, MIT licence"
        ),
    ),
}


def make_deterministic(seed: int) -> None:
    """Seed Python, numpy and the backend; on TensorFlow also make every op deterministic."""
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def learning_rate(recipe: Recipe, train_images: int) -> float | object:
    """Adam's learning rate: the recipe's, or a cosine decay from it to 0 over all the steps."""
    if not recipe.cosine_decay:
        return recipe.learning_rate
    steps = recipe.epochs * -(-train_images // recipe.batch_size)  # ceil: the last, short batch
    return keras.optimizers.schedules.CosineDecay(recipe.learning_rate, decay_steps=steps)


def optimizer_text(recipe: Recipe) -> str:
    """The optimizer as the JSON names it: Adam(learning_rate=0.001), or with its decay."""
    if recipe.cosine_decay:
        return f"Adam(learning_rate=CosineDecay({recipe.learning_rate} -> 0 over all steps))"
    return f"Adam(learning_rate={recipe.learning_rate})"


def train(name: str, dataset: data.Dataset) -> tuple[keras.Model, dict]:
    """Train the shipped model `name` on `dataset`; return it (no optimizer) and its description."""
    recipe = RECIPES[name]
    make_deterministic(SEED)  # the same start whether or not another model was trained before
    architecture = ARCHITECTURES[recipe.architecture]
    model = models.build(architecture, dataset.input_shape, dataset.num_classes, seed=SEED)
    x_train, y_train = dataset.x_train, dataset.y_train
    if recipe.mirrored:  # (N, 28, 28, 1) -> (2N, 28, 28, 1): each image and its mirror image
        x_train = np.concatenate([x_train, x_train[:, :, ::-1]])
        y_train = np.concatenate([y_train, y_train])
    x_train = x_train.astype("float32") / 255.0
    x_test = dataset.x_test.astype("float32") / 255.0
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate(recipe, len(x_train))),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    model.fit(
        x_train,
        y_train,
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        verbose=2,
    )
    seconds = time.perf_counter() - start
    test_loss, test_accuracy = model.evaluate(x_test, dataset.y_test, verbose=0)

    shipped = models.build(architecture, dataset.input_shape, dataset.num_classes, seed=SEED)
    shipped.set_weights(model.get_weights())  # the same weights, without Adam's state
    info = {
        "name": name,
        "architecture": recipe.architecture,
        "class_names": dataset.class_names,
        "input_shape": list(dataset.input_shape),
        "preprocessing": recipe.preprocessing,
        "dataset": recipe.dataset_text,
        "test_split": recipe.test_split,
        "test_accuracy": round(float(test_accuracy), 4),
        "test_loss": round(float(test_loss), 4),
        "parameters": int(shipped.count_params()),
        "epochs": recipe.epochs,
        "batch_size": recipe.batch_size,
        "optimizer": optimizer_text(recipe),
        "seed": SEED,
        "how_made": (
            f"scripts/train_pretrained.py: {optimizer_text(recipe)}, "
            f"sparse categorical cross-entropy, {recipe.epochs} epochs, batch "
            f"{recipe.batch_size}, seed {SEED}, op determinism on, plain model.fit on "
            f"{recipe.train_text}"
        ),
        "remake": f"python -m scripts.train_pretrained {name}",
        "training_seconds": round(seconds, 1),
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "python": platform.python_version(),
    }
    if recipe.credit is not None:
        info["credit"] = recipe.credit
    return shipped, info


def save(name: str, model: keras.Model, info: dict, x_check: np.ndarray) -> None:
    """Write <name>.keras and <name>.json, then check the saved file predicts as `model` does."""
    model.save(models.MODELS_DIR / f"{name}.keras")
    with open(models.MODELS_DIR / f"{name}.json", "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2, ensure_ascii=False)
        f.write("\n")
    check = models.load_pretrained(name).predict(x_check, verbose=0)
    assert np.allclose(check, model.predict(x_check, verbose=0))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the models shipped in assets/models/.")
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"any of {', '.join(RECIPES)} (default: all)"
    )
    names = parser.parse_args(argv).names or list(RECIPES)
    unknown = [name for name in names if name not in RECIPES]
    if unknown:
        parser.error(f"no model called {', '.join(unknown)}; choose from {', '.join(RECIPES)}")
    models.MODELS_DIR.mkdir(parents=True, exist_ok=True)
    datasets: dict[str, data.Dataset] = {}
    for name in names:
        source = RECIPES[name].dataset
        if source not in datasets:
            datasets[source] = data.load(source)
        dataset = datasets[source]
        model, info = train(name, dataset)
        save(name, model, info, dataset.x_test[:64] / 255.0)
        print(f"{name}: test accuracy {info['test_accuracy']:.2%} in {info['training_seconds']} s")


if __name__ == "__main__":
    main()
