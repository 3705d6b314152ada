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
    "kernel_grid",
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


def kernel_grid(
    kernel: np.ndarray, input_channel: int | None = None, cell: int = 1, gap: int = 1
) -> np.ndarray:
    """A convolution's kernel (kh, kw, C_in, F) as its F filters side by side -> uint8 picture.

    Each filter is scaled min..max on its own (the most negative weight black, the most positive
    white; a constant filter mid-grey). With three input channels (a colour picture) each filter
    is in colour, one min..max over its three colours so they keep their balance:
    (rows·(cell·kh + gap) − gap, cols·(cell·kw + gap) − gap, 3). Otherwise the weights that see
    one input channel (`input_channel`, default 0: a grey picture's only one) in grey, the same
    size without the 3. Each weight is a `cell`×`cell` square (a 3×3 filter is 9 pixels at
    cell 1); the grid is `grid_columns` wide with `gap` white pixels between filters.
    """
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 4:
        raise ValueError(f"kernel must be (kh, kw, C_in, F), got shape {kernel.shape}")
    height, width, channels_in, count = kernel.shape
    columns = grid_columns(count, height, width)
    if channels_in == 3 and input_channel is None:
        # (kh, kw, 3, F) -> (kh, kw·3, F): _normalise's one min..max per map spans the colours
        scaled = _normalise(kernel.reshape(height, width * 3, count), "minmax")
        scaled = _enlarge(scaled.reshape(height, width, 3, count), cell)
        return np.stack([_place(scaled[:, :, c, :], columns, gap) for c in range(3)], axis=2)
    channel = 0 if input_channel is None else int(input_channel)
    if not 0 <= channel < channels_in:
        raise ModelError("features.no_such_channel", channel=channel, count=channels_in)
    return _place(_enlarge(_normalise(kernel[:, :, channel, :], "minmax"), cell), columns, gap)


def _enlarge(maps: np.ndarray, cell: int) -> np.ndarray:
    """Maps (H, W, ...) -> (cell·H, cell·W, ...), each value a cell×cell square: the browser
    smooths a small picture it enlarges, and a 3×3 filter would show as a blur, not 9 weights."""
    return np.repeat(np.repeat(maps, cell, axis=0), cell, axis=1) if cell > 1 else maps


def filters_grid(layer: keras.layers.Layer, input_channel: int | None = None) -> np.ndarray:
    """A Conv2D layer's filters side by side, each scaled min..max on its own -> uint8 picture
    (`kernel_grid` of its weights (kh, kw, C_in, F))."""
    if not isinstance(layer, keras.layers.Conv2D):
        raise ModelError("features.not_conv", name=layer.name, kind=type(layer).__name__)
    return kernel_grid(keras.ops.convert_to_numpy(layer.kernel), input_channel)
