"""cnnviz.tiles: the course's formula for each map, the grid, long outputs and filters."""

import numpy as np
import pytest

from cnnviz import tiles
from cnnviz.errors import ModelError
from tests.tiny_models import pictures, tiny_cnn


def test_tiles_of_constant_maps_are_mid_grey_and_never_nan():
    maps = np.zeros((5, 6, 3), np.float32)
    maps[:, :, 1] = 7.0  # a dead ReLU map and a constant one: std = 0 for both
    for how in ("standardize", "minmax"):
        tiled = tiles.tile(maps, how)
        assert tiled.dtype == np.uint8
        assert np.isfinite(tiled).all()
        assert (tiled[:5, :6] == 128).all() and (tiled[:5, 7:13] == 128).all()


def test_standardised_tile_is_the_course_formula_clipped():
    """(x − mean) / std · 64 + 128, clipped to 0..255, each map on its own."""
    rng = np.random.default_rng(4)
    maps = rng.normal(3, 2, (7, 7, 2))
    maps[0, 0, 0] = 40  # far out: clipped to 255
    tiled = tiles.tile(maps, columns=2)
    for channel in range(2):
        one = maps[:, :, channel]
        expected = np.clip((one - one.mean()) / one.std() * 64 + 128, 0, 255).round()
        np.testing.assert_array_equal(tiled[:, channel * 8 : channel * 8 + 7], expected)
    assert tiled[0, 0] == 255
    assert (tiled[:, 7] == 255).all()  # the white line between the two maps


def test_minmax_tile_stretches_each_map_from_black_to_white():
    maps = np.stack([np.arange(16.0).reshape(4, 4), -np.arange(16.0).reshape(4, 4)], axis=2)
    tiled = tiles.tile(maps, "minmax", columns=1)
    first, second = tiled[:4], tiled[5:9]
    assert first.min() == 0 and first.max() == 255 and first[0, 0] == 0
    assert second[0, 0] == 255 and second[3, 3] == 0


def test_tile_grid_holds_every_map_and_large_layers_are_shrunk():
    tiled = tiles.tile(np.ones((26, 26, 32)), columns=8)
    assert tiled.shape == (4 * 27 - 1, 8 * 27 - 1)
    huge = tiles.tile(pictures(1, (224, 224, 64))[0], max_side=800)
    assert max(huge.shape) <= 800
    with pytest.raises(ValueError):
        tiles.tile(np.ones((2, 2, 2)), normalize="zscore")


def test_filters_grid_shows_each_filter_and_colour_filters_in_colour():
    gray = tiles.filters_grid(tiny_cnn().get_layer("first"))
    columns = tiles.grid_columns(4, 3, 3)
    rows = -(-4 // columns)
    assert gray.shape == (rows * 4 - 1, columns * 4 - 1)
    colour = tiles.filters_grid(tiny_cnn(channels=3).get_layer("first"))
    assert colour.ndim == 3 and colour.shape[2] == 3
    one_channel = tiles.filters_grid(tiny_cnn(channels=3).get_layer("first"), input_channel=2)
    assert one_channel.ndim == 2
    for layer, key in ((tiny_cnn().get_layer("pool"), "features.not_conv"),):
        with pytest.raises(ModelError) as caught:
            tiles.filters_grid(layer)
        assert caught.value.key == key
    with pytest.raises(ModelError) as caught:
        tiles.filters_grid(tiny_cnn().get_layer("second"), input_channel=4)
    assert caught.value.key == "features.no_such_channel"


def test_a_long_1d_output_is_a_picture_of_rows_in_reading_order():
    values = np.arange(150, dtype=np.float32)  # 150 units: two full rows of 64 and 22
    picture = tiles.units_picture(values, columns=64)
    assert picture.shape == (3, 64) and picture.dtype == np.uint8
    assert picture[0, 0] == 0 and picture[2, 21] == 255  # smallest black, largest white
    assert (np.diff(picture.ravel()[:150].astype(int)) >= 0).all()  # row by row, in order
    assert (picture[2, 22:] == 255).all()  # after the last unit: blank


@pytest.mark.parametrize("channels", [1, 3])
def test_kernel_grid_draws_each_filter_of_a_real_conv_kernel_min_to_max_cell_by_cell(channels):
    """A real Conv2D kernel (3, 3, C, 4): filter f sits at row f // columns, column f % columns,
    each weight a cell×cell square of round((w − min_f) / (max_f − min_f) · 255); with three input
    channels min_f and max_f span the filter's three colours."""
    kernel = np.asarray(tiny_cnn(channels=channels).get_layer("first").kernel)
    cell, gap = 5, 2
    grid = tiles.kernel_grid(kernel, cell=cell, gap=gap)
    columns = tiles.grid_columns(4, 3, 3)
    rows = -(-4 // columns)
    side = 3 * cell + gap
    assert grid.dtype == np.uint8
    assert grid.shape[:2] == (rows * side - gap, columns * side - gap)
    assert grid.ndim == (3 if channels == 3 else 2)
    for f in range(4):
        weights = kernel[:, :, :, f] if channels == 3 else kernel[:, :, 0, f]
        expected = np.round((weights - weights.min()) / (weights.max() - weights.min()) * 255)
        top, left = (f // columns) * side, (f % columns) * side
        drawn = grid[top : top + 3 * cell : cell, left : left + 3 * cell : cell]
        np.testing.assert_array_equal(drawn, expected)
        square = grid[top : top + cell, left : left + cell]
        assert (square == square[0, 0]).all()  # one weight, one flat square
    assert (grid[: 3 * cell, 3 * cell : side] == 255).all()  # the white gap after filter 0


def test_kernel_grid_is_what_filters_grid_draws_and_a_constant_filter_is_mid_grey():
    layer = tiny_cnn(channels=3).get_layer("first")
    np.testing.assert_array_equal(
        tiles.kernel_grid(np.asarray(layer.kernel)), tiles.filters_grid(layer)
    )
    flat = np.zeros((3, 3, 1, 2), np.float32)
    flat[:, :, 0, 1] = np.arange(9).reshape(3, 3)
    grid = tiles.kernel_grid(flat)
    assert (grid[:, :3] == 128).all() and grid[0, 4] == 0 and grid[2, 6] == 255
    with pytest.raises(ValueError):
        tiles.kernel_grid(flat[:, :, 0])
