"""Keras's two padding modes as the Padding & stride lesson lists them, against Keras itself."""

import keras
import numpy as np
import pytest

from cnnviz import padding, plots, shapes


@pytest.mark.parametrize("n", [1, 5, 7, 8])
@pytest.mark.parametrize("kernel", [1, 3, 5, 9])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_keras_modes_give_keras_output_sizes_or_none_where_keras_refuses(n, kernel, stride):
    modes = padding.keras_modes(n, kernel, stride)
    assert [m.name for m in modes] == ["valid", "same"]
    for mode in modes:
        layer = keras.layers.Conv2D(1, kernel, strides=stride, padding=mode.name)
        if mode.size is None:  # Keras has no valid window: its output would be empty
            assert mode.name == "valid" and kernel > n
            with pytest.raises(ValueError):
                layer.compute_output_shape((1, n, n, 1))
        else:
            assert mode.size == layer.compute_output_shape((1, n, n, 1))[1]


def test_keras_modes_carry_their_ceiling_rules():
    valid, same = padding.keras_modes(7, 3, 2)
    assert (valid.rule, valid.size) == ("⌈(I − K + 1) / S⌉", 3)
    assert (same.rule, same.size) == ("⌈I / S⌉", 4)


def test_a_dilated_kernel_that_no_longer_fits_has_no_valid_output():
    valid, same = padding.keras_modes(7, 3, 1, dilation=4)  # spans 9 cells
    assert valid.size is None and same.size == 7


def test_latex_writes_the_floor_ceiling_and_minus_signs():
    assert (
        padding.latex("O = ⌊(I − K + 2P) / S⌋ + 1") == r"O = \lfloor (I - K + 2P) / S\rfloor  + 1"
    )
    assert padding.latex("⌈I / S⌉") == r"\lceil I / S\rceil "


@pytest.mark.parametrize(
    ("n", "kernel", "pad", "stride", "uncovered", "dropped"),
    [
        (8, 3, 1, 3, 0, 1),  # the one row left over is the padding ring's
        (7, 3, 0, 3, 1, 1),  # the course's 7×7 with stride 3: one input row lost
        (11, 3, 1, 4, 1, 2),  # two left over: one padding row, one input row
        (7, 3, 0, 1, 0, 0),
    ],
)
def test_uncovered_input_counts_only_input_cells_left_over(
    n, kernel, pad, stride, uncovered, dropped
):
    explained = shapes.explain_conv_output(n, kernel, stride, pad)
    assert explained.dropped == dropped
    assert padding.uncovered_input(explained) == uncovered


@pytest.mark.parametrize("n", [5, 7, 8, 9])
@pytest.mark.parametrize("kernel", [1, 2, 3])
@pytest.mark.parametrize("stride", [1, 2, 3, 4])
@pytest.mark.parametrize("pad", [0, 1, 2, "same"])
def test_uncovered_input_is_what_the_figure_draws_red(n, kernel, stride, pad):
    explained = shapes.explain_conv_output(n, kernel, stride, pad)
    pads = (explained.pad_before, explained.pad_after)
    figure = plots.padding_grid_figure(n, kernel, stride, pads, 1, 0, explained.size)
    red = np.asarray(figure.data[0].z) == 2
    uncovered = padding.uncovered_input(explained)
    assert red.sum() == n * n - (n - uncovered) ** 2


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("dilation", [1, 2, 3])
def test_keras_refuses_exactly_what_keras_conv2d_refuses(stride, dilation):
    try:
        keras.layers.Conv2D(1, 3, strides=stride, dilation_rate=dilation)
        refused = False
    except ValueError:
        refused = True
    assert padding.keras_refuses(stride, dilation) == refused
    if refused:
        assert [m.size for m in padding.keras_modes(9, 3, stride, dilation)] == [None, None]
