"""Keras's two padding modes as the Padding & stride lesson lists them, against Keras itself."""

import keras
import pytest

from cnnviz import padding


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
