"""The whole network for one input, left to right, as the "Inside the network" page draws it: the
input's channels, every layer's output (maps as tiles, dense units as bars), the probabilities.

A wide layer shows a few of its maps or units (the page says how many of how many); a big model
shows a window of its layers around the one the student picked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Column", "columns", "flatten_origin", "visible"]

MAX_MAPS = 8  # maps drawn per layer: 8 tiles of a column fit a projector's height
MAX_UNITS = 16  # dense units drawn per layer (the most active ones)
MAX_CLASSES = 10  # classes drawn in the output column (the likeliest, for ImageNet's 1000)
MAX_COLUMNS = 14  # columns drawn at once: a big model shows a window around the picked layer


@dataclass(frozen=True)
class Column:
    """One column of the overview: a layer's output (or the input) and which of its maps or
    units are drawn. `kind` is `explain.kind` of the layer, "input", or "output" for the last
    layer of a classifier (its `values` are then the class probabilities)."""

    name: str
    kind: str
    layer_type: str  # the layer's class: "Conv2D", "Dense" …
    shape: tuple[int, ...]
    values: np.ndarray  # (H, W, C) maps or (units,)
    shown: tuple[int, ...]  # the maps or units drawn, in order

    @property
    def is_map(self) -> bool:
        return self.values.ndim == 3

    @property
    def count(self) -> int:
        """How many maps (or units) the layer has."""
        return int(self.values.shape[-1])

    @property
    def capped(self) -> bool:
        return len(self.shown) < self.count


def _shown(values: np.ndarray, kind: str) -> tuple[int, ...]:
    """Maps: the first MAX_MAPS; units: the MAX_UNITS most active; classes: the likeliest."""
    count = values.shape[-1]
    if values.ndim == 3:
        return tuple(range(min(count, MAX_MAPS)))
    limit = MAX_CLASSES if kind == "output" else MAX_UNITS
    if count <= limit:
        return tuple(range(count))
    strongest = np.argsort(-values, kind="stable")[:limit]
    return tuple(sorted(int(i) for i in strongest))


def columns(
    x: np.ndarray, layers: list, kinds: dict[str, str], probabilities: np.ndarray
) -> list[Column]:
    """The overview's columns for x (1, H, W, C): input, every layer, the last as "output".

    `layers`: `features.activations` of x; `kinds`: each layer's `explain.kind` by name; `probabilities` (classes,) the model's answer."""
    picture = np.asarray(x[0])
    found = [Column("input", "input", "Input", picture.shape, picture, _shown(picture, "input"))]
    for position, layer in enumerate(layers):
        what = kinds.get(layer.name, "unknown")
        values = layer.values
        if position == len(layers) - 1 and values.ndim == 1:
            what, values = "output", np.asarray(probabilities, np.float64).ravel()
        found.append(
            Column(layer.name, what, layer.kind, layer.shape, values, _shown(values, what))
        )
    return found


def visible(count: int, picked: int, width: int = MAX_COLUMNS) -> range:
    """The positions of the columns drawn: all of them, or `width` around the picked one."""
    if count <= width:
        return range(count)
    start = min(max(picked - width // 2, 0), count - width)
    return range(start, start + width)


def flatten_origin(shape: tuple[int, ...], index: int) -> tuple[int, ...]:
    """Where unit `index` of a Flatten layer came from in its input of `shape` (H, W, C): the
    (row, col, map) that Keras reads in row-major order, channels fastest."""
    return tuple(int(i) for i in np.unravel_index(index, shape))
