"""Training a model while the class watches: the course's `model.fit`, with live curves and Stop.

    train(model, dataset, config, on_progress, should_stop) -> TrainResult

is one `model.fit` call with one callback. In front of the student's model sits a small training
model: uint8 images (B, H, W, C) -> Rescaling(1/255) -> augmentation layers (active only while
fitting) -> the student's model. So the data stay uint8 (no float copy per student) and the
trained model itself takes images scaled by 1/255, as the course feeds them.

The callback turns Keras's logs into `Progress` events (per batch: the epoch's running loss and
accuracy, as Keras's progress bar shows them; per epoch: train and validation metrics) and reads
`should_stop` before and after every batch: Stop ends training at the next batch and keeps the
model as it is.

Every random thing carries its own seed (the weights via `models.build(seed=...)`, the batch
order, the augmentation layers), so the same seed gives the same curves. `train` never sets
process-wide seeds (`keras.utils.set_random_seed`) nor calls `keras.backend.clear_session()`:
in the server many students' trainings share one process, and both reach into every thread.

`TrainingJob` runs one student's training in its own thread, which never touches Streamlit (or
hands it to a worker process, `cnnviz.workers`, as the app does);
`TrainingGate` is the server-wide limit on trainings at once, with a queue position for the rest.
Before each batch a training lets the pages being run for students go first (cnnviz.priority).
Works on the TensorFlow, JAX and PyTorch backends (`KERAS_BACKEND`).
"""

from __future__ import annotations

import csv
import io
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import keras
import numpy as np

from cnnviz.data import Dataset
from cnnviz.errors import CnnvizError, error_reason
from cnnviz.priority import PRIORITY

if TYPE_CHECKING:
    from cnnviz.workers import WorkerPool

__all__ = [
    "COURSE_AUGMENTATION",
    "OPTIMIZERS",
    "RECIPES",
    "Augmentation",
    "AugmentPreview",
    "Curves",
    "JobSnapshot",
    "LearningRateDecay",
    "Progress",
    "ShuffledBatches",
    "TrainConfig",
    "TrainResult",
    "TrainingGate",
    "TrainingJob",
    "augment_preview",
    "augmentation_layers",
    "confusion_matrix",
    "device_description",
    "gpu_name",
    "make_optimizer",
    "max_trainings_from_env",
    "misclassified",
    "overfitting_epoch",
    "train",
]

OPTIMIZERS = ("adam", "sgd", "rmsprop")


# --- what to train with ----------------------------------------------------------------------------


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
    where one batch takes well under a millisecond; under JAX on a GPU they run in one compiled
    loop, `_run_batches_together`); `on_device` keeps the images on the accelerator and gathers
    each batch there (None: only on a GPU).
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


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    """Adam, SGD (momentum, Nesterov) or RMSprop at the config's rate or ExponentialDecay of it."""
    rate: float | keras.optimizers.schedules.LearningRateSchedule = config.learning_rate
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


def _skip_single_replica_all_reduce() -> None:
    """Stop every TensorFlow training leaking ~20 MB into the server.

    Keras's TensorFlow optimizers sum the gradients over replicas with
    `tf.distribute.get_replica_context().all_reduce`, which is a `tf.custom_gradient`: traced into
    a graph, it registers a gradient function in TensorFlow's global registry that keeps the whole
    traced train step alive for good. With one replica (every training here) the sum is the
    gradient itself, so it is skipped; with several, Keras's own code runs. Measured by
    bench/train_speed.py: ten course-CNN trainings grew the process by ~20 MB each before, by
    ~1 MB each after. (Patches a private Keras method: re-check on Keras upgrades.)
    """
    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf
    from keras.src.backend.tensorflow.optimizer import TFOptimizer

    all_reduce = TFOptimizer._all_reduce_sum_gradients
    if getattr(all_reduce, "single_replica_skipped", False):
        return

    def all_reduce_sum_gradients(self, grads_and_vars):
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return list(grads_and_vars)
        return all_reduce(self, grads_and_vars)

    all_reduce_sum_gradients.single_replica_skipped = True
    TFOptimizer._all_reduce_sum_gradients = all_reduce_sum_gradients


_skip_single_replica_all_reduce()


# --- the machine ------------------------------------------------------------------------------------


def gpu_name() -> str | None:
    """The first GPU's name as the Keras backend sees it, or None on a CPU."""
    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                return tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
        elif backend == "jax":
            import jax

            device = jax.devices()[0]
            if device.platform == "gpu":
                return device.device_kind
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return torch.cuda.get_device_name(0)
    except Exception:  # a driver that cannot be asked counts as no GPU
        return None
    return None


def start_the_device() -> None:
    """Start the backend on its device now (a GPU's context, JAX's client: a second or more the
    first time), not when the first training asks for it."""
    keras.ops.convert_to_numpy(keras.ops.ones((1,)) + 1)


def device_description() -> str:
    """Where training runs and with which Keras backend: "NVIDIA H100 … · jax" or "CPU · tensorflow"."""
    return f"{gpu_name() or 'CPU'} · {keras.backend.backend()}"


# --- data ------------------------------------------------------------------------------------------


class ShuffledBatches(keras.utils.PyDataset):
    """Batches (images uint8 (B, H, W, C), labels (B,)) of `images[indices]`, reshuffled per epoch.

    The order of epoch e is `default_rng([seed, e]).permutation(...)`: the same seed gives the
    same batches on every backend. `seed=None` keeps the order (validation, test). The images are
    never copied: each batch gathers its rows from the shared array (or, `on_device`, from one
    copy on the accelerator, so no batch crosses from the host).

    With `batches` > 1 each item is `batches_per_item` (at most `batches`) whole batches back to
    back, for a training step that runs them all in one compiled call (`_run_batches_together`).
    Every item then has the same size, so the call compiles once, and the rows that fill no whole
    item are left out of that epoch (fewer than len(self) batches' worth; other rows each epoch,
    as the order is reshuffled).
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        indices: np.ndarray,
        batch_size: int,
        seed: int | None = None,
        on_device: bool = False,
        batches: int = 1,
    ) -> None:
        super().__init__(workers=1, use_multiprocessing=False)
        self.indices = np.asarray(indices, dtype=np.int64)
        self.batch_size = int(batch_size)
        self.seed = seed
        self.on_device = on_device
        self.epoch = 0
        if on_device:
            self.images = keras.ops.convert_to_tensor(images[self.indices])
            self.labels = keras.ops.convert_to_tensor(labels[self.indices])
            self.rows = np.arange(len(self.indices))
        else:
            self.images, self.labels, self.rows = images, labels, self.indices
        self.order = self._order()
        if batches > 1:
            whole = len(self.rows) // self.batch_size
            self.items = max(1, math.ceil(whole / batches))
            self.batches_per_item = max(1, whole // self.items)
        else:
            self.items = math.ceil(len(self.rows) / self.batch_size)
            self.batches_per_item = 1

    def _order(self) -> np.ndarray:
        if self.seed is None:
            return self.rows
        return self.rows[np.random.default_rng([self.seed, self.epoch]).permutation(len(self.rows))]

    def __len__(self) -> int:
        return self.items

    def __getitem__(self, number: int) -> tuple:
        size = self.batches_per_item * self.batch_size
        rows = self.order[number * size : (number + 1) * size]
        if self.on_device:
            rows = keras.ops.convert_to_tensor(rows)
            return keras.ops.take(self.images, rows, axis=0), keras.ops.take(self.labels, rows)
        return self.images[rows], self.labels[rows]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = self._order()


# When a JAX training runs its batches in chunks through `jax.lax.scan`: "gpu" (on a GPU, where
# it makes an epoch several times faster), "always" or "never". Not on a CPU by default: XLA's
# CPU code ran the course CNN's step ~5x slower inside the scan's loop than alone.
RUN_BATCHES_TOGETHER = "gpu"


def _run_batches_together(trainer: keras.Model, batches: int) -> None:
    """JAX: one training step of `trainer` runs `batches` batches in one compiled call.

    Its input is that many batches back to back (`ShuffledBatches(..., batches=)`);
    `jax.lax.scan` runs Keras's own `train_step` on each in turn, so each batch is still one
    update of the weights, with the same loss, metrics and random state as batch by batch. What it saves is Keras's work between
    batches in Python (~1.5 ms a batch on an H100, for a step that itself takes a fraction of
    that); `steps_per_execution` alone still calls the compiled step once per batch.
    """
    import jax

    one_batch = trainer.train_step

    def train_step(state, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = jax.numpy.reshape(x, (batches, -1, *x.shape[1:]))
        y = jax.numpy.reshape(y, (batches, -1, *y.shape[1:]))

        def step(state, batch):
            logs, state = one_batch(state, batch)
            return state, logs

        state, logs = jax.lax.scan(step, state, (x, y))
        return jax.tree.map(lambda value: value[-1], logs), state  # the last batch's logs

    trainer.train_step = train_step


def _split(dataset: Dataset, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train and validation indices into dataset.x_train (after the optional sample)."""
    order = np.random.default_rng(config.seed).permutation(len(dataset.x_train))
    if config.max_train_images is not None:
        order = order[: config.max_train_images]
    validation = int(round(len(order) * config.validation_split))
    if config.validation_split > 0:
        validation = max(validation, 1)
    if len(order) - validation < 1:
        raise CnnvizError("train.too_few_images", count=len(order))
    return order[validation:], order[:validation]


# --- augmentation ----------------------------------------------------------------------------------


def augmentation_layers(augmentation: Augmentation, seed: int = 0) -> list[keras.layers.Layer]:
    """Keras preprocessing layers for `augmentation`; each changes images only while training."""
    fill = {"fill_mode": "nearest"}  # as ImageDataGenerator fills what moves into view
    layers: list[keras.layers.Layer] = []
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
    count = min(n, len(dataset.x_train))
    rows = np.random.default_rng(seed).choice(len(dataset.x_train), size=count, replace=False)
    originals = dataset.x_train[np.sort(rows)]
    images = keras.ops.convert_to_tensor(originals.astype("float32"))
    for layer in augmentation_layers(augmentation, seed):
        images = layer(images, training=True)
    augmented = np.clip(np.rint(keras.ops.convert_to_numpy(images)), 0, 255).astype(np.uint8)
    return AugmentPreview(originals, augmented, dataset.y_train[np.sort(rows)])


# --- progress and curves ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """One report from training: after a batch (kind "batch") or after an epoch ("epoch").

    `step` counts the batches done since the start (1-based); a batch's loss and accuracy are
    the running means over the epoch so far, as Keras reports them. Validation values only at
    the end of an epoch, NaN without validation data.
    """

    kind: str
    epoch: int  # 0-based
    step: int
    total_steps: int
    loss: float
    accuracy: float
    seconds: float
    val_loss: float = math.nan
    val_accuracy: float = math.nan


@dataclass
class Curves:
    """The learning curves so far: per batch (running means) and per finished epoch."""

    steps_per_epoch: int
    total_steps: int
    batch_steps: list[int] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)
    batch_accuracy: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    epoch_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0
    first_batch_seconds: float | None = None  # the first batch also builds the step: slow

    def add(self, progress: Progress) -> None:
        """Append one report (a few floats: this runs after every batch)."""
        self.seconds = progress.seconds
        if progress.kind == "batch":
            if self.first_batch_seconds is None:
                self.first_batch_seconds = progress.seconds
            self.batch_steps.append(progress.step)
            self.batch_loss.append(progress.loss)
            self.batch_accuracy.append(progress.accuracy)
        else:
            self.epoch_loss.append(progress.loss)
            self.epoch_accuracy.append(progress.accuracy)
            self.val_loss.append(progress.val_loss)
            self.val_accuracy.append(progress.val_accuracy)

    def copy(self) -> Curves:
        """A copy the page can draw while training goes on appending to this one."""
        lists = (
            "batch_steps",
            "batch_loss",
            "batch_accuracy",
            "epoch_loss",
            "epoch_accuracy",
            "val_loss",
            "val_accuracy",
        )
        return replace(self, **{name: list(getattr(self, name)) for name in lists})

    @property
    def steps_done(self) -> int:
        return self.batch_steps[-1] if self.batch_steps else 0

    @property
    def batch_epochs(self) -> list[float]:
        """Each batch point's position in epochs: step / steps_per_epoch (1.5 = half of epoch 2)."""
        return [step / self.steps_per_epoch for step in self.batch_steps]

    def seconds_left(self) -> float | None:
        """Time left at the pace since the first batch: (t − t₁)/(done − b₁) · (total − done).

        The first report is left out of the pace: it includes building the training step.
        None until there is a pace to go by.
        """
        if len(self.batch_steps) < 2 or self.first_batch_seconds is None:
            return None
        done = self.steps_done
        pace = (self.seconds - self.first_batch_seconds) / (done - self.batch_steps[0])
        return pace * (self.total_steps - done)

    def to_csv(self) -> str:
        """One row per batch and one per epoch: kind, epoch, step, loss, accuracy, val_*."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["kind", "epoch", "step", "loss", "accuracy", "val_loss", "val_accuracy"])
        for step, loss, accuracy in zip(
            self.batch_steps, self.batch_loss, self.batch_accuracy, strict=True
        ):
            epoch = (step - 1) // self.steps_per_epoch + 1
            writer.writerow(["batch", epoch, step, f"{loss:.6g}", f"{accuracy:.6g}", "", ""])
        for number, values in enumerate(
            zip(
                self.epoch_loss, self.epoch_accuracy, self.val_loss, self.val_accuracy, strict=True
            ),
            start=1,
        ):
            cells = ["" if math.isnan(v) else f"{v:.6g}" for v in values]
            writer.writerow(["epoch", number, number * self.steps_per_epoch, *cells])
        return out.getvalue()


def overfitting_epoch(curves: Curves) -> int | None:
    """The epoch (1-based) with the lowest validation loss, if validation loss rose after it while
    training loss kept falling (the sign of overfitting); else None."""
    val = [v for v in curves.val_loss if not math.isnan(v)]
    if len(val) < 2 or len(val) != len(curves.epoch_loss):
        return None
    best = int(np.argmin(val))
    last = len(val) - 1
    if best < last and val[last] > val[best] and curves.epoch_loss[last] < curves.epoch_loss[best]:
        return best + 1
    return None


class _ReportProgress(keras.callbacks.Callback):
    """Turns Keras's logs into Progress events; ends fit at the next batch once asked to stop."""

    def __init__(
        self,
        curves: Curves,
        on_progress: Callable[[Progress], None] | None,
        should_stop: Callable[[], bool],
        batches_per_step: int = 1,
    ) -> None:
        super().__init__()
        self.curves = curves
        self.batches_per_step = batches_per_step  # a Keras step is this many batches (JAX chunks)
        self.on_progress = on_progress
        self.should_stop = should_stop
        self.stopped = False
        self.epoch = 0
        self.start = time.perf_counter()

    def _check_stop(self) -> None:
        if not self.stopped and self.should_stop():
            self.stopped = True
        if self.stopped:
            self.model.stop_training = True

    def _report(self, progress: Progress) -> None:
        self.curves.add(progress)
        if self.on_progress is not None:
            self.on_progress(progress)

    def on_train_begin(self, logs=None) -> None:
        self.start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None) -> None:
        PRIORITY.let_pages_run_first()  # a student waiting for a page comes first
        self._check_stop()

    def on_train_batch_end(self, batch, logs=None) -> None:
        logs = logs or {}
        in_epoch = min((batch + 1) * self.batches_per_step, self.curves.steps_per_epoch)
        step = self.epoch * self.curves.steps_per_epoch + in_epoch
        self._report(
            Progress(
                "batch",
                self.epoch,
                step,
                self.curves.total_steps,
                float(logs.get("loss", math.nan)),
                float(logs.get("accuracy", math.nan)),
                time.perf_counter() - self.start,
            )
        )
        self._check_stop()

    def on_test_batch_begin(self, batch, logs=None) -> None:
        if self.stopped or self.should_stop():
            self.stopped = True
            self.model.stop_evaluating = True  # skip the rest of this epoch's validation

    def on_epoch_end(self, epoch, logs=None) -> None:
        if self.stopped:  # a stopped epoch is unfinished: its batches are on the curve already
            return
        logs = logs or {}
        self._report(
            Progress(
                "epoch",
                epoch,
                (epoch + 1) * self.curves.steps_per_epoch,
                self.curves.total_steps,
                float(logs.get("loss", math.nan)),
                float(logs.get("accuracy", math.nan)),
                time.perf_counter() - self.start,
                float(logs.get("val_loss", math.nan)),
                float(logs.get("val_accuracy", math.nan)),
            )
        )


# --- training --------------------------------------------------------------------------------------


@dataclass
class TrainResult:
    """The trained model (as it was when training ended) and what the page shows about it.

    `predictions` (N_test,) are the predicted classes of the test images; `confusion` (K, K)
    counts test images by true class (row) and predicted class (column).
    """

    model: keras.Model
    curves: Curves
    stopped: bool
    epochs_done: int
    seconds: float
    test_accuracy: float
    test_loss: float
    predictions: np.ndarray
    confusion: np.ndarray


def _ends_in_softmax(model: keras.Model) -> bool:
    last = model.layers[-1] if model.layers else None
    return last is not None and last.get_config().get("activation") == "softmax"


def _training_model(
    model: keras.Model, input_shape: tuple[int, ...], augmentation: Augmentation, seed: int
) -> keras.Sequential:
    """uint8 images -> Rescaling(1/255) -> augmentation (training only) -> `model`."""
    return keras.Sequential(
        [
            keras.Input(shape=input_shape, dtype="uint8"),
            keras.layers.Rescaling(1 / 255),
            *augmentation_layers(augmentation, seed),
            model,
        ],
        name=f"training_{model.name}",
    )


def _check_fits(model: keras.Model, dataset: Dataset) -> None:
    model_shape = tuple(model.input_shape[1:])
    if model_shape != tuple(dataset.input_shape):
        raise CnnvizError(
            "train.shape_mismatch",
            model="×".join(map(str, model_shape)),
            data="×".join(map(str, dataset.input_shape)),
        )
    if model.output_shape[-1] != dataset.num_classes:
        raise CnnvizError(
            "train.classes_mismatch", outputs=model.output_shape[-1], classes=dataset.num_classes
        )


# Largest validation batch, in input values (pixels × channels): 2**23 is ~10,000 MNIST digits.
VALIDATION_BATCH_VALUES = 2**23


def _validation_batch_size(batch_size: int, batches_per_step: int, input_shape) -> int:
    """Validation images per call: where the training runs `batches_per_step` batches a call,
    as many images as they hold, up to VALIDATION_BATCH_VALUES (validation updates nothing, so
    its batch size changes only how often Keras calls the backend, not what it measures)."""
    if batches_per_step == 1:
        return batch_size
    per_image = math.prod(input_shape)
    return max(batch_size, min(batch_size * batches_per_step, VALIDATION_BATCH_VALUES // per_image))


def _on_gpu() -> bool:
    return gpu_name() is not None


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K) counts: row = true class, column = predicted class."""
    pairs = np.asarray(truth, dtype=np.int64) * num_classes + np.asarray(predicted, dtype=np.int64)
    return np.bincount(pairs, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def misclassified(truth: np.ndarray, predicted: np.ndarray, n: int = 16) -> np.ndarray:
    """Indices of the first `n` test images whose prediction is wrong."""
    return np.flatnonzero(np.asarray(truth) != np.asarray(predicted))[:n]


def train(
    model: keras.Model,
    dataset: Dataset,
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: threading.Event | Callable[[], bool] | None = None,
) -> TrainResult:
    """Fit `model` to the dataset's training images as `config` says, then score it on the test set.

    `on_progress(Progress)` is called after every batch (every `steps_per_execution` batches)
    and every epoch, from the thread that trains: keep it quick. `should_stop` (an Event or a
    function) is read before and after every batch; once true, training ends after that batch
    and the model keeps the weights it has.
    """
    config.check()
    _check_fits(model, dataset)
    if isinstance(should_stop, threading.Event):
        stop_requested = should_stop.is_set
    else:
        stop_requested = should_stop or (lambda: False)
    gpu = _on_gpu() if config.steps_per_execution is None or config.on_device is None else False
    steps_per_execution = config.steps_per_execution or (32 if gpu else 1)
    if keras.backend.backend() == "torch":  # Keras runs PyTorch one batch at a time
        steps_per_execution = 1
    on_device = gpu if config.on_device is None else config.on_device

    train_rows, validation_rows = _split(dataset, config)
    # JAX on a GPU: a chunk of batches in one compiled call (a scan) is one Keras step; the
    # validation then runs in batches as large as a chunk
    together = (
        keras.backend.backend() == "jax"
        and steps_per_execution > 1
        and len(train_rows) >= 2 * config.batch_size
        and RUN_BATCHES_TOGETHER != "never"
        and (RUN_BATCHES_TOGETHER == "always" or _on_gpu())
    )
    batches = ShuffledBatches(
        dataset.x_train,
        dataset.y_train,
        train_rows,
        config.batch_size,
        config.seed,
        on_device,
        batches=steps_per_execution if together else 1,
    )
    batches_per_step = batches.batches_per_item
    if together:
        steps_per_execution = 1  # each step is already a chunk of batches
    validation = None
    if len(validation_rows):
        validation = ShuffledBatches(
            dataset.x_train,
            dataset.y_train,
            validation_rows,
            _validation_batch_size(config.batch_size, batches_per_step, dataset.input_shape),
            None,
            on_device,
        )
    batches_per_epoch = len(batches) * batches_per_step
    curves = Curves(batches_per_epoch, batches_per_epoch * config.epochs)
    reporter = _ReportProgress(curves, on_progress, stop_requested, batches_per_step)

    trainer = _training_model(model, dataset.input_shape, config.augmentation, config.seed)
    trainer.compile(
        optimizer=make_optimizer(config),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=not _ends_in_softmax(model)),
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )
    if together:
        _run_batches_together(trainer, batches_per_step)
    start = time.perf_counter()
    trainer.fit(
        batches,
        validation_data=validation,
        epochs=config.epochs,
        callbacks=[reporter],
        shuffle=False,  # ShuffledBatches shuffles, seeded; Keras would use the global seed
        verbose=0,
    )
    seconds = time.perf_counter() - start

    scores = trainer.predict(dataset.x_test, batch_size=max(config.batch_size, 256), verbose=0)
    probabilities = scores if _ends_in_softmax(model) else _softmax(scores)
    predictions = np.argmax(probabilities, axis=1)
    truth = dataset.y_test
    picked = np.clip(probabilities[np.arange(len(truth)), truth], 1e-7, 1.0)
    return TrainResult(
        model=model,
        curves=curves,
        stopped=reporter.stopped,
        epochs_done=len(curves.epoch_loss),
        seconds=seconds,
        test_accuracy=float(np.mean(predictions == truth)) if len(truth) else math.nan,
        test_loss=float(-np.mean(np.log(picked))) if len(truth) else math.nan,
        predictions=predictions,
        confusion=confusion_matrix(truth, predictions, dataset.num_classes),
    )


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


# --- many students at once -------------------------------------------------------------------------


def max_trainings_from_env(default: int = 2) -> int:
    """The server-wide limit on trainings at once: $CNNVIZ_MAX_TRAININGS (at least 1) or 2."""
    try:
        return max(1, int(os.environ.get("CNNVIZ_MAX_TRAININGS", default)))
    except ValueError:
        return default


class TrainingGate:
    """At most `limit` trainings at once in the whole server; the others wait in arrival order."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, int(limit))
        self._changed = threading.Condition()
        self._running: set[object] = set()
        self._waiting: deque[object] = deque()

    def enter(self, ticket: object, cancelled: Callable[[], bool], poll: float = 0.2) -> bool:
        """Wait until `ticket` may train (True), or until `cancelled()` (False, left the queue)."""
        with self._changed:
            self._waiting.append(ticket)
            while not (self._waiting[0] is ticket and len(self._running) < self.limit):
                if cancelled():
                    self._waiting.remove(ticket)
                    self._changed.notify_all()
                    return False
                self._changed.wait(poll)
            self._waiting.popleft()
            self._running.add(ticket)
            self._changed.notify_all()
            return True

    def leave(self, ticket: object) -> None:
        """`ticket` has finished training: let the next in line in."""
        with self._changed:
            self._running.discard(ticket)
            self._changed.notify_all()

    def position(self, ticket: object) -> int:
        """1 for the next in line, 2 behind it …; 0 when `ticket` is not waiting."""
        with self._changed:
            for number, waiting in enumerate(self._waiting, start=1):
                if waiting is ticket:
                    return number
            return 0

    @property
    def running(self) -> int:
        with self._changed:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._changed:
            return len(self._waiting)


@dataclass
class JobSnapshot:
    """A copy of a job's state for the page: nothing in it changes while the page draws it."""

    status: str  # "new", "waiting", "running", "finished", "stopped", "failed"
    queue_position: int
    curves: Curves | None
    seconds_left: float | None
    result: TrainResult | None
    error: CnnvizError | None

    @property
    def active(self) -> bool:
        return self.status in ("waiting", "running")


class TrainingJob:
    """One student's training in its own thread, behind the server's gate; never calls Streamlit.

    `build_model()` runs in the thread once the gate lets it in, so a queued job holds no model.
    With `workers` (a `cnnviz.workers.WorkerPool`) the thread hands the training to a worker
    process at a lower priority and relays its reports; `build_model` must then pickle.
    The page calls `start()`, `stop()` and `snapshot()`; when the thread ends, the job keeps only
    the result (the trained model, curves and test predictions) or the error.
    """

    def __init__(
        self,
        build_model: Callable[[], keras.Model],
        dataset: Dataset,
        config: TrainConfig,
        gate: TrainingGate | None = None,
        name: str = "model",
        workers: WorkerPool | None = None,
    ) -> None:
        self.name = name
        self._workers = workers
        self.config = config
        self._build_model: Callable[[], keras.Model] | None = build_model
        self._dataset: Dataset | None = dataset
        self._gate = gate
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._curves: Curves | None = None
        self._status = "new"
        self._result: TrainResult | None = None
        self._error: CnnvizError | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start training in a new thread (once)."""
        if self._thread is not None:
            return
        self._status = "waiting" if self._gate is not None else "running"
        self._thread = threading.Thread(target=self._run, name=f"training-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask training to end after the batch it is on (or leave the queue)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the thread has ended (tests, benchmarks); True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.done

    @property
    def done(self) -> bool:
        return self._status in ("finished", "stopped", "failed")

    @property
    def status(self) -> str:
        return self._status

    @property
    def queue_position(self) -> int:
        return self._gate.position(self) if self._gate is not None else 0

    @property
    def result(self) -> TrainResult | None:
        return self._result

    @property
    def error(self) -> CnnvizError | None:
        return self._error

    def snapshot(self) -> JobSnapshot:
        """The state, with copies of the curves so far."""
        with self._lock:
            curves = self._curves.copy() if self._curves is not None else None
        if self._result is not None:
            curves = self._result.curves
        left = curves.seconds_left() if curves is not None and not self.done else None
        return JobSnapshot(
            self._status, self.queue_position, curves, left, self._result, self._error
        )

    def _on_progress(self, progress: Progress) -> None:
        with self._lock:
            if self._curves is None:
                steps = progress.total_steps // max(self.config.epochs, 1)
                self._curves = Curves(steps, progress.total_steps)
            self._curves.add(progress)

    def _run(self) -> None:
        admitted = False
        try:
            if self._gate is not None:
                admitted = self._gate.enter(self, self._stop.is_set)
                if not admitted:
                    self._status = "stopped"
                    return
            self._status = "running"
            if self._workers is not None:
                self._result = self._workers.train(
                    self._build_model, self._dataset, self.config, self._on_progress, self._stop
                )
            else:
                model = self._build_model()
                self._result = train(
                    model, self._dataset, self.config, self._on_progress, self._stop
                )
            self._status = "stopped" if self._result.stopped else "finished"
        except CnnvizError as error:
            self._error = error
            self._status = "failed"
        except Exception as error:  # whatever the backend raises must reach the page, not vanish
            self._error = CnnvizError("train.failed", reason=error_reason(error))
            self._status = "failed"
        finally:
            if admitted:
                self._gate.leave(self)
            self._build_model = None  # the job keeps the result only
            self._dataset = None
            with self._lock:
                self._curves = None
