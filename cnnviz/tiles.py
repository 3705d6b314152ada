"""A layer's output and a convolution's filters drawn as pictures: maps side by side in a grid.

Each map is shown standardised, (x − mean) / std · 64 + 128 clipped to 0..255, as the course does;
a constant ("dead") map has std = 0 and is shown mid-grey instead of dividing by zero. A long 1-D
output (Flatten, a big Dense) is drawn as rows of cells, a conv layer's filters as tiny tiles.
"""

from __future__ import annotations

import math

import cv2
import keras
import numpy as np

from cnnviz.errors import ModelError

__all__ = [
    "MAX_BARS",
    "MAX_MAPS",
    "MAX_TILE_SIDE",
    "UNIT_COLUMNS",
    "filters_grid",
    "grid_columns",
    "thumbnail",
    "tile",
    "units_picture",
]

MAX_TILE_SIDE = 1600  # a tiled layer larger than this is shrunk map by map before tiling
MAX_MAPS = 256  # a layer with more maps shows its first MAX_MAPS (the page says so)
MAX_BARS = 256  # a 1-D output with more units is drawn as a picture (`units_picture`)
UNIT_COLUMNS = 64


def _normalise(maps: np.ndarray, normalize: str) -> np.ndarray:
    """(H, W, C) floats -> (H, W, C) uint8, each map on its own.

    standardize: (x − mean) / std · 64 + 128, clipped to 0..255 (the course's recipe);
    minmax: (x − min) / (max − min) · 255. A constant map (std = 0) becomes 128 everywhere.
    """
    maps = np.nan_to_num(np.asarray(maps, np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if normalize == "standardize":
        centre = maps.mean(axis=(0, 1), keepdims=True)
        spread = maps.std(axis=(0, 1), keepdims=True)
        scaled = (maps - centre) / np.where(spread > 0, spread, 1.0) * 64 + 128
    elif normalize == "minmax":
        low = maps.min(axis=(0, 1), keepdims=True)
        spread = maps.max(axis=(0, 1), keepdims=True) - low
        scaled = (maps - low) / np.where(spread > 0, spread, 1.0) * 255
    else:
        raise ValueError(f"normalize must be 'standardize' or 'minmax', not {normalize!r}")
    scaled = np.where(spread > 0, scaled, 128.0)
    return np.clip(scaled, 0, 255).round().astype(np.uint8)


def grid_columns(count: int, map_height: int = 1, map_width: int = 1, aspect: float = 2.5) -> int:
    """Columns for `count` maps so the grid is about `aspect` times as wide as it is high."""
    wanted = math.sqrt(count * aspect * map_height / max(map_width, 1))
    return max(1, min(count, math.ceil(wanted)))


def tile(
    maps: np.ndarray,
    normalize: str = "standardize",
    columns: int | None = None,
    gap: int = 1,
    max_side: int = MAX_TILE_SIDE,
) -> np.ndarray:
    """A layer's maps (H, W, C) side by side in one uint8 picture, C maps in a grid.

    Each map is scaled on its own (see `_normalise`); maps are separated by `gap` white pixels.
    Grid: columns × rows = ⌈C / columns⌉; height rows·(H + gap) − gap. When that is larger than
    `max_side`, every map is shrunk first (area averaging). (H, W) is one map.
    """
    maps = np.asarray(maps)
    if maps.ndim == 2:
        maps = maps[:, :, None]
    if maps.ndim != 3:
        raise ValueError(f"maps must be (H, W, C), got shape {maps.shape}")
    height, width, count = maps.shape
    columns = columns or grid_columns(count, height, width)
    rows = math.ceil(count / columns)
    shown = _normalise(maps, normalize)
    room = (max_side + gap) / columns - gap, (max_side + gap) / rows - gap  # per map, with gaps
    factor = min(room[0] / width, room[1] / height)
    if factor < 1:
        size = (max(1, int(width * factor)), max(1, int(height * factor)))
        shown = np.stack(
            [cv2.resize(shown[:, :, c], size, interpolation=cv2.INTER_AREA) for c in range(count)],
            axis=2,
        )
        height, width = shown.shape[:2]
    return _place(shown, columns, gap)


def thumbnail(values: np.ndarray, maps: int = 8, side: int = 48) -> np.ndarray:
    """A layer's first `maps` maps (H, W, C) in one row, each at most `side` pixels -> uint8."""
    shown = np.asarray(values)[:, :, :maps]
    height, width, count = shown.shape
    return tile(shown, columns=count, max_side=max(side, 1) * count + count - 1)


def units_picture(values: np.ndarray, columns: int = UNIT_COLUMNS) -> np.ndarray:
    """A long 1-D output (units,) as a uint8 picture, `columns` units a row, in the order a
    following dense layer reads them; scaled from the smallest (black) to the largest (white);
    the cells after the last unit of the last row are white."""
    values = np.asarray(values).ravel()
    rows = max(1, math.ceil(values.size / columns))
    padded = np.zeros(rows * columns)
    padded[: values.size] = values
    picture = _normalise(padded.reshape(rows, columns, 1), "minmax")[:, :, 0]
    picture.ravel()[values.size :] = 255
    return picture


def _place(maps: np.ndarray, columns: int, gap: int = 1) -> np.ndarray:
    """Maps (H, W, C) with values 0..255 -> one uint8 grid, row by row, white gaps between."""
    height, width, count = maps.shape
    rows = math.ceil(count / columns)
    picture = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), 255, np.uint8)
    for c in range(count):
        row, col = divmod(c, columns)
        top, left = row * (height + gap), col * (width + gap)
        picture[top : top + height, left : left + width] = maps[:, :, c]
    return picture


def filters_grid(layer: keras.layers.Layer, input_channel: int | None = None) -> np.ndarray:
    """A Conv2D layer's filters side by side, each scaled min..max on its own -> uint8 picture.

    Weights (kh, kw, C_in, F). With three input channels (a colour picture) each filter is shown
    in colour, (rows·(kh+1), cols·(kw+1), 3); otherwise the weights seen by one input channel
    (`input_channel`, default 0) in gray, (rows·(kh+1), cols·(kw+1)).
    """
    if not isinstance(layer, keras.layers.Conv2D):
        raise ModelError("features.not_conv", name=layer.name, kind=type(layer).__name__)
    kernel = np.asarray(layer.kernel)  # (kh, kw, C_in, F)
    height, width, channels_in, count = kernel.shape
    if channels_in == 3 and input_channel is None:
        # one min..max per filter over its three colours, so the colours keep their balance
        low = kernel.min(axis=(0, 1, 2))
        spread = kernel.max(axis=(0, 1, 2)) - low
        scaled = np.round((kernel - low) / np.where(spread > 0, spread, 1.0) * 255)
        columns = grid_columns(count, height, width)
        return np.stack([_place(scaled[:, :, c, :], columns) for c in range(3)], axis=2)
    channel = 0 if input_channel is None else int(input_channel)
    if not 0 <= channel < channels_in:
        raise ModelError("features.no_such_channel", channel=channel, count=channels_in)
    return tile(kernel[:, :, channel, :], normalize="minmax")
