"""What to train with: `TrainConfig`, the course's recipes, the optimizers and the augmentation.

    config = RECIPES["mnist_cnn"]                 # day 4: RMSprop 1e-4, validation 0.2, 5 epochs
    optimizer = make_optimizer(config)            # keras.optimizers.RMSprop(1e-4)
    layers = augmentation_layers(COURSE_AUGMENTATION, seed=0)

The settings are plain dataclasses, so the jobs and the page hold them without loading Keras;
Keras is imported only by the functions that build its objects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cnnviz.data import Dataset
from cnnviz.errors import CnnvizError

__all__ = [
    "BATCH_SIZES",
    "COURSE_AUGMENTATION",
    "LEARNING_RATES",
    "OPTIMIZERS",
    "RECIPES",
    "VALIDATION_SPLITS",
    "AugmentPreview",
    "Augmentation",
    "LearningRateDecay",
    "TrainConfig",
    "augment_preview",
    "augmentation_layers",
    "make_optimizer",
]

OPTIMIZERS = ("adam", "sgd", "rmsprop")
# what the Train page offers (its sliders) and a link to it may ask for (cnnviz.links)
BATCH_SIZES = (16, 32, 64, 100, 128, 200, 256, 512)
LEARNING_RATES = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
VALIDATION_SPLITS = tuple(round(0.05 * step, 2) for step in range(11))  # 0, 0.05, …, 0.5


@dataclass(frozen=True)
class Augmentation:
    """Random changes to each training image, as the course's ImageDataGenerator makes them.

    rotation: up to ± this many degrees; shift: up to ± this fraction of the width and height;
    zoom: in or out by up to this fraction; shear: up to this fraction of the image; flip: mirror
    left-right at random. All zero: no augmentation.
    """

    rotation: float = 0.0
    shift: float = 0.0
    zoom: float = 0.0
    shear: float = 0.0
    flip: bool = False

    @property
    def active(self) -> bool:
        return bool(self.rotation or self.shift or self.zoom or self.shear or self.flip)


# day 4: rotation_range=40, width/height_shift_range=0.2, shear_range=0.2, zoom_range=0.2, flip
COURSE_AUGMENTATION = Augmentation(rotation=40.0, shift=0.2, zoom=0.2, shear=0.2, flip=True)


@dataclass(frozen=True)
class LearningRateDecay:
    """ExponentialDecay: rate · decay_rate^(step / decay_steps), ⌊step / decay_steps⌋ if staircase."""

    decay_steps: int = 10_000
    decay_rate: float = 0.96
    staircase: bool = True


@dataclass(frozen=True)
class TrainConfig:
    """Everything `train` needs besides the model and the data.

    `max_train_images` trains on a seeded sample of that many images (a quick demo).
    `steps_per_execution` batches run per call into the backend (None: 1 on a CPU, 32 on a GPU,
    where one batch takes well under a millisecond; see `cnnviz.batches.plan_steps`);
    `on_device` keeps the images on the accelerator and gathers each batch there (None: only
    on a GPU).
    """

    epochs: int = 3
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: float = 3e-3
    momentum: float = 0.9  # SGD only
    nesterov: bool = True  # SGD only
    lr_decay: LearningRateDecay | None = None
    validation_split: float = 0.1
    augmentation: Augmentation = field(default_factory=Augmentation)
    seed: int = 0
    max_train_images: int | None = None
    steps_per_execution: int | None = None
    on_device: bool | None = None

    def check(self) -> None:
        """Raise CnnvizError for a setting no training can use."""
        checks = {
            "epochs": self.epochs >= 1,
            "batch_size": self.batch_size >= 1,
            "optimizer": self.optimizer in OPTIMIZERS,
            "learning_rate": self.learning_rate > 0 and math.isfinite(self.learning_rate),
            "momentum": 0 <= self.momentum < 1,
            "validation_split": 0 <= self.validation_split < 1,
            "max_train_images": self.max_train_images is None or self.max_train_images >= 2,
            "steps_per_execution": self.steps_per_execution is None
            or self.steps_per_execution >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise CnnvizError("train.bad_setting", name=name, value=getattr(self, name))


# The course's recipes (COURSE.md, "Training recipes in the notes") and the app's quick default.
RECIPES: dict[str, TrainConfig] = {
    # the app's default: the course MNIST CNN passes 97 % on the embedded sample in about 10 s
    "quick": TrainConfig(epochs=3, batch_size=128, optimizer="adam", learning_rate=3e-3),
    # day 4 MNIST CNN: RMSprop 1e-4, validation split 0.2, 5 epochs, batch 200
    "mnist_cnn": TrainConfig(
        epochs=5, batch_size=200, optimizer="rmsprop", learning_rate=1e-4, validation_split=0.2
    ),
    # deeper MNIST CNN: Adam 1e-3, 10 epochs, batch 100 (99.42 % in the notes, full MNIST)
    "mnist_deep_cnn": TrainConfig(epochs=10, batch_size=100, optimizer="adam", learning_rate=1e-3),
    # CIFAR-10: Adam 1e-4, 30 % validation, 30 epochs (validation stalls near 0.73: overfitting)
    "cifar10": TrainConfig(
        epochs=30, batch_size=32, optimizer="adam", learning_rate=1e-4, validation_split=0.3
    ),
    # CIFAR-100: SGD momentum 0.9 Nesterov, ExponentialDecay(0.01, 10000, 0.96, staircase)
    "cifar100": TrainConfig(
        epochs=100,
        batch_size=32,
        optimizer="sgd",
        learning_rate=0.01,
        momentum=0.9,
        nesterov=True,
        lr_decay=LearningRateDecay(10_000, 0.96, True),
    ),
    # day 4 augmentation on top of the quick recipe
    "augmented": TrainConfig(epochs=5, augmentation=COURSE_AUGMENTATION),
}


def make_optimizer(config: TrainConfig):
    """Adam, SGD (momentum, Nesterov) or RMSprop (a keras.optimizers.Optimizer) at the config's
    rate or ExponentialDecay of it."""
    import keras

    rate = config.learning_rate
    if config.lr_decay is not None:
        decay = config.lr_decay
        rate = keras.optimizers.schedules.ExponentialDecay(
            config.learning_rate, decay.decay_steps, decay.decay_rate, staircase=decay.staircase
        )
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(rate, momentum=config.momentum, nesterov=config.nesterov)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(rate)
    return keras.optimizers.Adam(rate)


def augmentation_layers(augmentation: Augmentation, seed: int = 0) -> list:
    """Keras preprocessing layers for `augmentation`; each changes images only while training."""
    import keras

    fill = {"fill_mode": "nearest"}  # as ImageDataGenerator fills what moves into view
    layers = []
    if augmentation.rotation:
        turn = augmentation.rotation / 360  # RandomRotation counts in whole turns
        layers.append(keras.layers.RandomRotation(turn, seed=seed, **fill))
    if augmentation.shift:
        shift = augmentation.shift
        layers.append(keras.layers.RandomTranslation(shift, shift, seed=seed + 1, **fill))
    if augmentation.zoom:
        zoom = augmentation.zoom
        layers.append(keras.layers.RandomZoom((-zoom, zoom), seed=seed + 2, **fill))
    if augmentation.shear:
        shear = augmentation.shear  # RandomShear turns it either way at random
        layers.append(keras.layers.RandomShear(shear, shear, seed=seed + 3, **fill))
    if augmentation.flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed + 4))
    return layers


@dataclass
class AugmentPreview:
    """Training images (n, H, W, C) uint8 and one augmented version of each, with their labels."""

    originals: np.ndarray
    augmented: np.ndarray
    labels: np.ndarray


def augment_preview(
    dataset: Dataset, augmentation: Augmentation, n: int = 8, seed: int = 0
) -> AugmentPreview:
    """`n` seeded training images (all of them when there are fewer) and how the augmentation
    layers change each once."""
    import keras

    count = min(n, len(dataset.x_train))
    rows = np.random.default_rng(seed).choice(len(dataset.x_train), size=count, replace=False)
    originals = dataset.x_train[np.sort(rows)]
    images = keras.ops.convert_to_tensor(originals.astype("float32"))
    for layer in augmentation_layers(augmentation, seed):
        images = layer(images, training=True)
    augmented = np.clip(np.rint(keras.ops.convert_to_numpy(images)), 0, 255).astype(np.uint8)
    return AugmentPreview(originals, augmented, dataset.y_train[np.sort(rows)])
