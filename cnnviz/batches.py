"""How the training images reach the model: seeded batches, and how many run per call.

    plan = plan_steps(backend, on_gpu, config, train_images)   # a StepPlan, decided once
    batches = ShuffledBatches(images, labels, rows, config.batch_size, config.seed,
                              plan.on_device, plan.batches_per_item)

On a CPU one batch takes milliseconds and Keras calls the backend once a batch. On a GPU one
batch of the course CNN takes well under a millisecond, so Keras's own work between batches
(~1.5 ms a batch in Python on an H100) would be most of the time: there it runs 32 batches per
call (`steps_per_execution`), and under JAX a chunk of batches runs in one compiled loop
(`BatchesTogether`, a `jax.lax.scan` over Keras's own `train_step`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np

from cnnviz.data import Dataset
from cnnviz.errors import CnnvizError
from cnnviz.recipes import TrainConfig

__all__ = [
    "GPU_STEPS_PER_EXECUTION",
    "RUN_BATCHES_TOGETHER",
    "BatchesTogether",
    "ShuffledBatches",
    "StepPlan",
    "plan_steps",
    "split",
    "validation_batch_size",
]

GPU_STEPS_PER_EXECUTION = 32

# When a JAX training runs its batches in chunks through `jax.lax.scan`: "gpu" (on a GPU, where
# it makes an epoch several times faster), "always" or "never". Not on a CPU by default: XLA's
# CPU code ran the course CNN's step ~5x slower inside the scan's loop than alone.
RUN_BATCHES_TOGETHER = "gpu"

# Largest validation batch, in input values (pixels × channels): 2**23 is ~10,000 MNIST digits.
VALIDATION_BATCH_VALUES = 2**23


@dataclass(frozen=True)
class StepPlan:
    """How one training feeds its batches.

    `steps_per_execution`: Keras steps per call into the backend; `batches_per_item`: batches
    in one Keras step (> 1 only for a JAX scan, `BatchesTogether`); `on_device`: the images sit
    on the accelerator and each batch is gathered there.
    """

    steps_per_execution: int
    batches_per_item: int
    on_device: bool

    @property
    def together(self) -> bool:
        return self.batches_per_item > 1


def plan_steps(
    backend: str,
    on_gpu: bool,
    config: TrainConfig,
    train_images: int,
    run_together: str = RUN_BATCHES_TOGETHER,
) -> StepPlan:
    """The StepPlan for `config` on this backend and device (pure: decided from its arguments).

    steps = config.steps_per_execution, else 32 on a GPU and 1 on a CPU; PyTorch: 1 (Keras runs
    it a batch at a time). JAX with steps > 1 and at least two batches (`run_together` "gpu" on
    a GPU, or "always"): chunks of ⌊whole / ⌈whole / steps⌉⌋ batches, one Keras step each.
    """
    steps = config.steps_per_execution or (GPU_STEPS_PER_EXECUTION if on_gpu else 1)
    if backend == "torch":
        steps = 1
    on_device = on_gpu if config.on_device is None else config.on_device
    whole = train_images // config.batch_size
    together = (
        backend == "jax"
        and steps > 1
        and whole >= 2
        and run_together != "never"
        and (run_together == "always" or on_gpu)
    )
    if not together:
        return StepPlan(steps, 1, on_device)
    chunks = math.ceil(whole / steps)
    return StepPlan(1, max(1, whole // chunks), on_device)


def validation_batch_size(batch_size: int, batches_per_step: int, input_shape) -> int:
    """Validation images per call: where the training runs `batches_per_step` batches a call,
    as many images as they hold, up to VALIDATION_BATCH_VALUES (validation updates nothing, so
    its batch size changes only how often Keras calls the backend, not what it measures)."""
    if batches_per_step == 1:
        return batch_size
    per_image = math.prod(input_shape)
    return max(batch_size, min(batch_size * batches_per_step, VALIDATION_BATCH_VALUES // per_image))


def split(dataset: Dataset, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
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


class ShuffledBatches(keras.utils.PyDataset):
    """Items (images uint8 (B, H, W, C), labels (B,)) of `images[indices]`, reshuffled per epoch.

    The order of epoch e is `default_rng([seed, e]).permutation(...)`: the same seed gives the
    same batches on every backend. `seed=None` keeps the order (validation, test). The images are
    never copied: each item gathers its rows from the shared array (or, `on_device`, from one
    copy on the accelerator, so no batch crosses from the host).

    Each item is `batches_per_item` whole batches back to back (B = batches_per_item ·
    batch_size). With 1 the last item may be a partial batch; with more (a JAX scan) every item
    has the same size, so the step compiles once, and the rows that fill no whole item are left
    out of that epoch (other rows each epoch, as the order is reshuffled).
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        indices: np.ndarray,
        batch_size: int,
        seed: int | None = None,
        on_device: bool = False,
        batches_per_item: int = 1,
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
        self.batches_per_item = max(1, int(batches_per_item))
        if self.batches_per_item > 1:
            whole = len(self.rows) // self.batch_size
            self.items = max(1, whole // self.batches_per_item)
        else:
            self.items = math.ceil(len(self.rows) / self.batch_size)

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


class BatchesTogether(keras.Sequential):
    """JAX: a Sequential model whose one training step runs `batches` batches in one compiled call.

    Its input is that many batches back to back (`ShuffledBatches(..., batches_per_item=)`);
    `jax.lax.scan` runs Keras's own `train_step` on each in turn, so each batch is still one
    update of the weights, with the same loss, metrics and random state as batch by batch. What
    it saves is Keras's work between batches in Python (~1.5 ms a batch on an H100, for a step
    that itself takes a fraction of that). Overriding `train_step` in a subclass is Keras's
    documented way to change what `fit` does (keras.io, "Customizing what happens in fit() with
    JAX").
    """

    def __init__(self, layers, batches: int, name: str | None = None) -> None:
        super().__init__(layers, name=name)
        self.batches = int(batches)

    def train_step(self, state, data):
        import jax

        one_batch = super().train_step
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = jax.numpy.reshape(x, (self.batches, -1, *x.shape[1:]))
        y = jax.numpy.reshape(y, (self.batches, -1, *y.shape[1:]))

        def step(state, batch):
            logs, state = one_batch(state, batch)
            return state, logs

        state, logs = jax.lax.scan(step, state, (x, y))
        return jax.tree.map(lambda value: value[-1], logs), state  # the last batch's logs
