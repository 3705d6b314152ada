"""The rotation lesson: how an MLP and a CNN cope when the digit turns or moves.

As the course (day 4): `M = cv2.getRotationMatrix2D((14, 14), angle, 1)`, a shift added to
`M[0, 2]` and `M[1, 2]`, `cv2.warpAffine(digit, M, (28, 28))` — `cnnviz.images.transform` does
exactly this. Accuracy curves transform all test digits for one angle (or shift) with OpenCV,
then call each model once on the whole batch as `model(x, training=False)`.

An MLP sees 784 separate inputs: moving the digit by one pixel changes many of them, and the
MLP has to relearn the digit in its new place. A CNN's filters slide and its pooling forgives
small moves, so it holds up better for small shifts and rotations; neither is rotation-invariant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz.images import transform

__all__ = [
    "ANGLES",
    "SHIFTS",
    "AccuracyCurve",
    "PixelChange",
    "Reading",
    "accuracy_curve",
    "angle_curve",
    "mean_pixels_changed",
    "moved",
    "moved_batch",
    "pixels_changed",
    "read_digit",
    "shift_curve",
]

ANGLES = tuple(range(-90, 91, 15))  # −90° … 90° every 15°: 13 angles
SHIFTS = tuple(range(-6, 7))  # −6 … 6 pixels: 13 shifts


def _as_float(digits: np.ndarray) -> np.ndarray:
    """uint8 0..255 or float 0..1 digits -> float32 0..1, same shape."""
    digits = np.asarray(digits)
    if digits.dtype == np.uint8:
        return digits.astype(np.float32) / 255.0
    return digits.astype(np.float32)


def moved(digit: np.ndarray, angle: float = 0.0, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """One digit (28, 28[, 1]) rotated by `angle`° about its centre and shifted by (dx, dy) px."""
    return transform(_as_float(digit), angle=angle, dx=dx, dy=dy)


def moved_batch(
    digits: np.ndarray, angle: float = 0.0, dx: float = 0.0, dy: float = 0.0
) -> np.ndarray:
    """(N, 28, 28[, 1]) digits -> (N, 28, 28, 1) float32 0..1, each through `images.transform`."""
    digits = _as_float(digits)
    if digits.ndim == 3:
        digits = digits[..., None]
    if angle == 0 and dx == 0 and dy == 0:
        return digits
    return np.stack([transform(digit, angle=angle, dx=dx, dy=dy) for digit in digits])


@dataclass(frozen=True)
class AccuracyCurve:
    """Test accuracy of one model at each angle (degrees) or shift (pixels)."""

    model_name: str
    axis: str  # "angle" or "shift"
    positions: tuple[float, ...]
    accuracy: tuple[float, ...]
    count: int  # test digits at each position

    @property
    def mean(self) -> float:
        """Mean accuracy over all positions."""
        return float(np.mean(self.accuracy))


def accuracy_curve(
    model,
    digits: np.ndarray,
    labels: np.ndarray,
    axis: str = "angle",
    positions: Sequence[float] | None = None,
    model_name: str = "model",
) -> AccuracyCurve:
    """Accuracy on (N, 28, 28[, 1]) digits at each rotation angle, or each horizontal shift.

    axis "angle": rotate by each angle (default ANGLES); axis "shift": move right by each
    number of pixels (default SHIFTS; negative moves left). One model call per position.
    """
    if axis not in ("angle", "shift"):
        raise ValueError(f"axis must be 'angle' or 'shift', not {axis!r}")
    positions = tuple(positions if positions is not None else ANGLES if axis == "angle" else SHIFTS)
    from cnnviz import predictions  # Keras: only when a model runs

    labels = np.asarray(labels)
    accuracy = []
    for position in positions:
        if axis == "angle":
            batch = moved_batch(digits, angle=position)
        else:
            batch = moved_batch(digits, dx=position)
        predicted = predictions.probabilities(model, batch, batch_size=len(batch)).argmax(axis=1)
        accuracy.append(float(np.mean(predicted == labels)))
    return AccuracyCurve(model_name, axis, positions, tuple(accuracy), len(labels))


def angle_curve(model, digits, labels, model_name: str = "model") -> AccuracyCurve:
    """Accuracy at −90° … 90° every 15° (ANGLES)."""
    return accuracy_curve(model, digits, labels, "angle", ANGLES, model_name)


def shift_curve(model, digits, labels, model_name: str = "model") -> AccuracyCurve:
    """Accuracy at shifts of −6 … 6 pixels to the right (SHIFTS)."""
    return accuracy_curve(model, digits, labels, "shift", SHIFTS, model_name)


@dataclass(frozen=True)
class Reading:
    """What one model reads in one digit: its guess, how sure it is, and every probability."""

    label: str
    probability: float
    probabilities: np.ndarray  # (classes,)


def read_digit(model, digit: np.ndarray, class_names: Sequence[str]) -> Reading:
    """The model's guess for one (28, 28[, 1]) float digit."""
    x = _as_float(digit).reshape(1, 28, 28, 1)
    from cnnviz import predictions  # Keras: only when a model runs

    probs = predictions.probabilities(model, x)[0]
    best = int(np.argmax(probs))
    return Reading(str(class_names[best]), float(probs[best]), probs)


@dataclass(frozen=True)
class PixelChange:
    """How many of the 784 input values change when the digit moves."""

    count: int
    total: int

    @property
    def share(self) -> float:
        """count / total, e.g. 0.12 for 12 %."""
        return self.count / self.total if self.total else 0.0


def pixels_changed(
    digit: np.ndarray, dx: int = 1, dy: int = 0, tolerance: float = 1 / 255
) -> PixelChange:
    """Count the pixels whose value changes by more than `tolerance` when the digit moves by
    (dx, dy) pixels: for an MLP these are inputs that now carry a different number."""
    before = _as_float(digit).reshape(28, 28)
    after = moved(before, dx=dx, dy=dy).reshape(28, 28)
    changed = np.abs(after - before) > tolerance
    return PixelChange(int(changed.sum()), int(changed.size))


def mean_pixels_changed(digits: np.ndarray, dx: int = 1, dy: int = 0) -> float:
    """Mean count of changed pixels over (N, 28, 28[, 1]) digits moved by (dx, dy)."""
    return float(np.mean([pixels_changed(digit, dx, dy).count for digit in digits]))
