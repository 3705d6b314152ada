"""What a training reports: one `Progress` per batch and per epoch, the `Curves` they draw, and
the test results (`TrainResult`, the confusion matrix, the misclassified images, the overfitting
note). numpy only: the page, the jobs and the plots read these without loading Keras.

A batch's `step` counts batches since the start (1-based); an epoch has `steps_per_epoch` of them:

    epoch (1-based) = (step - 1) // steps_per_epoch + 1
    batch in its epoch = step - (epoch - 1) · steps_per_epoch
    fraction done = step / total_steps
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

__all__ = [
    "Curves",
    "Progress",
    "TrainResult",
    "confusion_matrix",
    "misclassified",
    "overfitting_epoch",
]


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
    def fraction_done(self) -> float:
        """steps_done / total_steps, in [0, 1]: a report may cover many batches (one per
        execution on a GPU), so count the step it names, not the reports."""
        return min(self.steps_done / max(self.total_steps, 1), 1.0)

    @property
    def epoch(self) -> int:
        """The epoch (1-based) the last batch belongs to; 1 before any batch."""
        return max(1, (self.steps_done - 1) // self.steps_per_epoch + 1)

    @property
    def batch_in_epoch(self) -> int:
        """The last batch's number in its own epoch (1 … steps_per_epoch); 0 before any."""
        if not self.steps_done:
            return 0
        return self.steps_done - (self.epoch - 1) * self.steps_per_epoch

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


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K) counts: row = true class, column = predicted class."""
    pairs = np.asarray(truth, dtype=np.int64) * num_classes + np.asarray(predicted, dtype=np.int64)
    return np.bincount(pairs, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def misclassified(truth: np.ndarray, predicted: np.ndarray, n: int = 16) -> np.ndarray:
    """Indices of the first `n` test images whose prediction is wrong."""
    return np.flatnonzero(np.asarray(truth) != np.asarray(predicted))[:n]


@dataclass
class TrainResult:
    """The trained model (as it was when training ended) and what the page shows about it.

    `model` is the student's keras.Model (None while the result crosses from a worker, which
    sends the weights beside it); `predictions` (N_test,) are the predicted classes of the
    test images; `confusion` (K, K) counts test images by true class (row) and predicted class
    (column).
    """

    model: Any
    curves: Curves
    stopped: bool
    epochs_done: int
    seconds: float
    test_accuracy: float
    test_loss: float
    predictions: np.ndarray
    confusion: np.ndarray
