"""Training a model while the class watches: the course's `model.fit`, with live curves and Stop.

    train(model, dataset, config, on_progress, should_stop) -> TrainResult

is one `model.fit` call with one callback. In front of the student's model sits a small training
model: uint8 images (B, H, W, C) -> Rescaling(1/255) -> augmentation layers (active only while
fitting) -> the student's model. So the data stay uint8 (no float copy per student) and the
trained model itself takes images scaled by 1/255, as the course feeds them.

The callback turns Keras's logs into `Progress` events (per batch: the epoch's running loss and
accuracy, as Keras's progress bar shows them; per epoch: train and validation metrics) and reads
`should_stop` before and after every batch: Stop ends training at the next batch and keeps the
model as it is. With `on_filters`, it also hands over the first Conv2D layer's kernel
(`first_conv_kernel`) as training begins, after every epoch, at most every `FILTERS_EVERY`
seconds within one, and where Stop ended it: the class watches the filters being learned.

Every random thing carries its own seed (the weights via `models.build(seed=...)`, the batch
order, the augmentation layers), so the same seed gives the same curves. `train` never sets
process-wide seeds (`keras.utils.set_random_seed`) nor calls `keras.backend.clear_session()`.
The settings are in `cnnviz.recipes`, the curves in `cnnviz.curves`, the batches in
`cnnviz.batches`; the app runs `train` in a worker process (`cnnviz.workers`) behind the
server's gate (`cnnviz.jobs`). Works on the TensorFlow, JAX and PyTorch backends (`KERAS_BACKEND`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import keras
import numpy as np

from cnnviz import batches as batching
from cnnviz import models
from cnnviz.curves import Curves, Progress, TrainResult, confusion_matrix
from cnnviz.data import Dataset
from cnnviz.errors import CnnvizError
from cnnviz.formatting import shape_text
from cnnviz.recipes import Augmentation, TrainConfig, augmentation_layers, make_optimizer

__all__ = [
    "Curves",
    "Progress",
    "TrainConfig",
    "TrainResult",
    "device_description",
    "first_conv_kernel",
    "first_conv_layer",
    "gpu_name",
    "start_the_device",
    "train",
    "train_built",
]

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


# --- the first convolution's filters ----------------------------------------------------------------

MAX_FILTERS_SENT = 64  # at most the first 64 filters go out: 3·3·3·64 floats, 7 KB
FILTERS_EVERY = 2.0  # seconds between two kernels within an epoch (a long one takes minutes)


def first_conv_layer(model: keras.Model) -> keras.layers.Conv2D | None:
    """The first Conv2D layer of `model`, looking inside nested models; None without one."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            return layer
        if isinstance(layer, keras.Model):
            found = first_conv_layer(layer)
            if found is not None:
                return found
    return None


def first_conv_kernel(
    model: keras.Model, max_filters: int | None = MAX_FILTERS_SENT
) -> np.ndarray | None:
    """The first Conv2D layer's weights (kh, kw, C_in, F) as float32, its first `max_filters`
    filters only (None: all); None for a model without a Conv2D layer (an MLP)."""
    layer = first_conv_layer(model)
    if layer is None:
        return None
    kernel = keras.ops.convert_to_numpy(layer.kernel)[..., :max_filters]
    return np.array(kernel, dtype=np.float32)  # a copy: training goes on changing the weights


# --- the callback -----------------------------------------------------------------------------------


class _ReportProgress(keras.callbacks.Callback):
    """Turns Keras's logs into Progress events; ends fit at the next batch once asked to stop."""

    def __init__(
        self,
        curves: Curves,
        on_progress: Callable[[Progress], None] | None,
        should_stop: Callable[[], bool],
        batches_per_step: int = 1,
        watched: keras.Model | None = None,
        on_filters: Callable[[np.ndarray], None] | None = None,
    ) -> None:
        super().__init__()
        self.curves = curves
        # the student's model, whose first conv kernel goes to on_filters (None: not asked for)
        asked = watched is not None and on_filters is not None
        self.watched = watched if asked and first_conv_layer(watched) is not None else None
        self.on_filters = on_filters
        self.filters_at = -math.inf
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

    def _report_filters(self, every: float = 0.0) -> None:
        """Hand over the first conv kernel, unless the last one went less than `every` s ago."""
        now = time.perf_counter()
        if self.watched is None or now - self.filters_at < every:
            return
        self.filters_at = now
        # JAX keeps the weights apart from the model's variables within an epoch: put them back
        sync = getattr(self.model, "jax_state_sync", None)
        if sync is not None:
            sync()
        self.on_filters(first_conv_kernel(self.watched))

    def on_train_begin(self, logs=None) -> None:
        self.start = time.perf_counter()
        self._report_filters()  # the random filters it starts from

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None) -> None:
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
        self._report_filters(FILTERS_EVERY)
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
        self._report_filters()

    def on_train_end(self, logs=None) -> None:
        if self.stopped:  # the filters as Stop left them (a finished epoch has sent them)
            self._report_filters()


# --- training --------------------------------------------------------------------------------------


def _training_model(
    model: keras.Model,
    input_shape: tuple[int, ...],
    augmentation: Augmentation,
    seed: int,
    batches_per_step: int = 1,
) -> keras.Sequential:
    """uint8 images -> Rescaling(1/255) -> augmentation (training only) -> `model`; a
    `BatchesTogether` when each step holds several batches."""
    layers = [
        keras.Input(shape=input_shape, dtype="uint8"),
        keras.layers.Rescaling(1 / 255),
        *augmentation_layers(augmentation, seed),
        model,
    ]
    name = f"training_{model.name}"
    if batches_per_step > 1:
        return batching.BatchesTogether(layers, batches_per_step, name=name)
    return keras.Sequential(layers, name=name)


def _check_fits(model: keras.Model, dataset: Dataset) -> None:
    model_shape = tuple(model.input_shape[1:])
    if model_shape != tuple(dataset.input_shape):
        raise CnnvizError(
            "train.shape_mismatch",
            model=shape_text(model_shape),
            data=shape_text(dataset.input_shape),
        )
    if model.output_shape[-1] != dataset.num_classes:
        raise CnnvizError(
            "train.classes_mismatch", outputs=model.output_shape[-1], classes=dataset.num_classes
        )


def train(
    model: keras.Model,
    dataset: Dataset,
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: threading.Event | Callable[[], bool] | None = None,
    on_filters: Callable[[np.ndarray], None] | None = None,
) -> TrainResult:
    """Fit `model` to the dataset's training images as `config` says, then score it on the test set.

    `on_progress(Progress)` is called after every batch (every `steps_per_execution` batches)
    and every epoch, from the thread that trains: keep it quick. `should_stop` (an Event or a
    function) is read before and after every batch; once true, training ends after that batch
    and the model keeps the weights it has. `on_filters(kernel)` gets `first_conv_kernel(model)`
    at the start, after every epoch, at most every FILTERS_EVERY s within one, and at a Stop;
    never for a model without a Conv2D layer.
    """
    config.check()
    _check_fits(model, dataset)
    if isinstance(should_stop, threading.Event):
        stop_requested = should_stop.is_set
    else:
        stop_requested = should_stop or (lambda: False)
    train_rows, validation_rows = batching.split(dataset, config)
    asks_the_device = config.steps_per_execution is None or config.on_device is None
    plan = batching.plan_steps(
        keras.backend.backend(),
        asks_the_device and gpu_name() is not None,
        config,
        len(train_rows),
        batching.RUN_BATCHES_TOGETHER,
    )
    batches = batching.ShuffledBatches(
        dataset.x_train,
        dataset.y_train,
        train_rows,
        config.batch_size,
        config.seed,
        plan.on_device,
        plan.batches_per_item,
    )
    validation = None
    if len(validation_rows):
        size = batching.validation_batch_size(
            config.batch_size, plan.batches_per_item, dataset.input_shape
        )
        validation = batching.ShuffledBatches(
            dataset.x_train, dataset.y_train, validation_rows, size, None, plan.on_device
        )
    batches_per_epoch = len(batches) * plan.batches_per_item
    curves = Curves(batches_per_epoch, batches_per_epoch * config.epochs)
    reporter = _ReportProgress(
        curves, on_progress, stop_requested, plan.batches_per_item, model, on_filters
    )

    trainer = _training_model(
        model, dataset.input_shape, config.augmentation, config.seed, plan.batches_per_item
    )
    trainer.compile(
        optimizer=make_optimizer(config),
        loss=keras.losses.SparseCategoricalCrossentropy(
            from_logits=not models.ends_in_softmax(model)
        ),
        metrics=["accuracy"],
        steps_per_execution=plan.steps_per_execution,
    )
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
    probabilities = scores if models.ends_in_softmax(model) else models.softmax(scores)
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


def train_built(
    build_model: Callable[[], keras.Model],
    dataset: Dataset,
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: threading.Event | Callable[[], bool] | None = None,
    on_filters: Callable[[np.ndarray], None] | None = None,
) -> TrainResult:
    """`train(build_model(), ...)` in this process: what a worker runs, and a `TrainingJob`'s
    `run` in tests."""
    return train(build_model(), dataset, config, on_progress, should_stop, on_filters)
