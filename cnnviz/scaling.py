"""How pictures are scaled before they go into a model: the same way the model was trained.

The pages hold pictures as floats in 0..1 (pixel / 255). A model expects what its training code
fed it, so a `Scaling` turns those pictures into the model's input:
- `unit` (the default, as the course trains):  x = pixel / 255
- `none` (raw pixels):                         x = pixel            (0..255)
- `standardize` (per channel, as the CIFAR-10 notebook does with the training set's mean and std):
                                               x = (pixel − mean) / std
`mean` and `std` are in pixel units (0..255), one value for every channel or one per channel, as
`np.mean(x_train, axis=(0, 1, 2))` gives them on the raw images. Typed values are read by
`parse_values`, which only ever reads numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from cnnviz.errors import ModelError

SCALINGS = ("unit", "none", "standardize")
PIXEL_MAX = 255.0
# a decimal number: 125, -3, 0.5, .5, 123. (as NumPy prints it), 1e-3; nothing else is read
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
SEPARATORS = re.compile(r"[\s,;]+")
BRACKETS = ("[]", "()")  # "[125.3 123.  113.9]" as NumPy prints a mean, "(0.5,)" as a tuple


@dataclass(frozen=True)
class Scaling:
    """One of SCALINGS; `mean` and `std` (pixel units, 1 or C values) only for "standardize"."""

    kind: str = "unit"
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in SCALINGS:
            raise ValueError(f"scaling kind must be one of {SCALINGS}, not {self.kind!r}")
        if self.kind == "standardize" and not (self.mean and self.std):
            raise ValueError("standardize needs a mean and a std")
        for value in self.std:
            if not value > 0:
                raise ModelError("scaling.zero_std", value=value)

    def __call__(self, pictures: np.ndarray) -> np.ndarray:
        """(N, H, W, C) floats in 0..1 -> float32 model input of the same shape; a new array."""
        unit = np.array(
            pictures, dtype=np.float32
        )  # a copy: the caller's pictures stay as they are
        if self.kind == "unit":
            return unit
        pixels = unit * np.float32(PIXEL_MAX)
        if self.kind == "none":
            return pixels
        channels = pixels.shape[-1]
        mean = _per_channel(self.mean, channels)  # (1,) or (C,): broadcasts over the last axis
        std = _per_channel(self.std, channels)
        return ((pixels - mean) / std).astype(np.float32)


def _per_channel(values: tuple[float, ...], channels: int) -> np.ndarray:
    """`values` as a float32 array that broadcasts over the channel axis (1 or C values)."""
    if len(values) not in (1, channels):
        raise ModelError("scaling.wrong_count", given=len(values), channels=channels)
    return np.asarray(values, dtype=np.float32)


def parse_values(text: str, channels: int) -> tuple[float, ...]:
    """The numbers in `text` ("125.3, 123.0, 113.9" or one number): 1 or `channels` of them.

    Separators are commas, semicolons or spaces; one pair of surrounding brackets is allowed. Anything that is
    not a plain decimal number raises ModelError("scaling.bad_values"); nothing is evaluated.
    """
    text = text.strip()
    if any(text.startswith(opening) and text.endswith(closing) for opening, closing in BRACKETS):
        text = text[1:-1]
    tokens = [token for token in SEPARATORS.split(text) if token]
    if not tokens:
        raise ModelError("scaling.empty")
    for token in tokens:
        if not NUMBER.fullmatch(token) or not math.isfinite(float(token)):
            raise ModelError("scaling.bad_values", value=token[:40])
    if len(tokens) not in (1, channels):
        raise ModelError("scaling.wrong_count", given=len(tokens), channels=channels)
    return tuple(float(token) for token in tokens)


def standardize(mean_text: str, std_text: str, channels: int) -> Scaling:
    """Scaling("standardize") from a typed mean and std (pixel units), checked: std > 0."""
    return Scaling(
        "standardize", parse_values(mean_text, channels), parse_values(std_text, channels)
    )
