"""Input widgets shared by the lesson pages: kernels, stride/padding, layer tables, crops
(pictures come from `cnnviz.ui.picture`).

Each widget takes a `key` prefix so two pages (or two uses on one page) keep separate state.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz import images
from cnnviz.architectures import LAYER_TYPES, TABLE_COLUMNS, layers_from_table, table_rows
from cnnviz.errors import ShapeError
from cnnviz.examples import EXAMPLES
from cnnviz.kernels import KERNELS
from cnnviz.ui import choice, t


def parse_grid(table: pd.DataFrame) -> np.ndarray:
    """Cells of an edited grid -> floats; a blank or non-numeric cell raises ShapeError."""
    values = table.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if values.size == 0:
        raise ShapeError("shape.kernel_empty")
    if not np.all(np.isfinite(values)):
        raise ShapeError("shape.kernel_not_finite")
    return values


def kernel_picker(key: str, example: str | None = None) -> np.ndarray:
    """Choose a kernel from the gallery (or the worked example's own) or edit one as a grid.

    Raises ShapeError for a custom grid with a blank or non-numeric cell.
    """
    options = (["example"] if example else []) + list(KERNELS) + ["custom"]
    name = choice(
        t("widgets.kernel"),
        options,
        widget="selectbox",
        format_func=lambda n: t("widgets.kernel_example") if n == "example" else t(f"kernels.{n}"),
        key=f"{key}_kernel",
    )
    if name != "custom":
        kernel = EXAMPLES[example].kernel if name == "example" else KERNELS[name]
        st.dataframe(pd.DataFrame(np.round(kernel, 4)), hide_index=True, width="content")
        return np.asarray(kernel, dtype=float)
    size = st.select_slider(
        t("widgets.kernel_size"), [1, 2, 3, 4, 5, 7], value=3, key=f"{key}_kernel_size"
    )
    start = pd.DataFrame(
        np.zeros((size, size)), columns=[str(i) for i in range(size)], dtype="object"
    )
    start.iloc[size // 2, size // 2] = 1.0
    st.caption(t("widgets.kernel_edit"))
    edited = st.data_editor(start, hide_index=True, key=f"{key}_grid_{size}", num_rows="fixed")
    return parse_grid(edited)


def conv_settings(
    key: str, defaults: tuple[int, str, int] = (1, "valid", 1)
) -> tuple[int, str | int, int]:
    """Stride, padding ("valid", "same" or a number of zeros) and dilation."""
    stride_default, padding_default, dilation_default = defaults
    stride = st.number_input(
        t("widgets.stride"), min_value=1, max_value=8, value=stride_default, key=f"{key}_stride"
    )
    modes = ["valid", "same", "number"]
    mode = choice(
        t("widgets.padding"),
        modes,
        index=modes.index(padding_default),
        format_func=lambda m: t(f"widgets.padding_{m}"),
        key=f"{key}_padding",
        horizontal=True,
    )
    padding: str | int = mode
    if mode == "number":
        padding = int(
            st.number_input(
                t("widgets.padding_amount"),
                min_value=0,
                max_value=10,
                value=1,
                key=f"{key}_padding_amount",
            )
        )
    dilation = st.number_input(
        t("widgets.dilation"),
        min_value=1,
        max_value=4,
        value=dilation_default,
        key=f"{key}_dilation",
    )
    return int(stride), padding, int(dilation)


def layer_table_editor(key: str, start: tuple[dict, ...] | list[dict]) -> list[dict]:
    """An editable table of layers (add, delete, change rows) -> layer specs (not yet checked).

    The columns keep Keras's argument names as data keys; their headers are in the student's
    language (widgets.layer_<column>).
    """
    table = pd.DataFrame(table_rows(start), columns=list(TABLE_COLUMNS))
    label = {column: t(f"widgets.layer_{column}") for column in TABLE_COLUMNS}
    config = {
        "type": st.column_config.SelectboxColumn(
            label["type"], options=list(LAYER_TYPES), required=True
        ),
        "padding": st.column_config.SelectboxColumn(label["padding"], options=["valid", "same"]),
        "activation": st.column_config.SelectboxColumn(
            label["activation"], options=["relu", "softmax", "sigmoid", "tanh", "linear"]
        ),
        **{
            name: st.column_config.NumberColumn(label[name], min_value=0, step=1)
            for name in ("filters", "units", "kernel_size", "strides", "pool_size")
        },
        "rate": st.column_config.NumberColumn(
            label["rate"], min_value=0.0, max_value=0.99, step=0.05
        ),
    }
    edited = st.data_editor(
        table,
        column_config=config,
        num_rows="dynamic",
        hide_index=True,
        key=f"{key}_layers",
        width="stretch",
    )
    return layers_from_table(edited.to_dict("records"))


def crop_picker(key: str, photo: np.ndarray, size: int, colour: bool = False) -> np.ndarray:
    """Sliders choosing a size×size patch of `photo` to step through, as floats: grayscale
    (size, size), or with `colour` the photo's own channels (size, size, 3)."""
    gray = images.to_gray(photo)
    size = min(size, *gray.shape[:2])
    top = st.slider(
        t("conv.crop_row"),
        0,
        gray.shape[0] - size,
        (gray.shape[0] - size) // 2,
        key=f"{key}_crop_row",
    )
    left = st.slider(
        t("conv.crop_col"),
        0,
        gray.shape[1] - size,
        (gray.shape[1] - size) // 2,
        key=f"{key}_crop_col",
    )
    source = photo if colour else gray
    return source[top : top + size, left : left + size].astype(float)


# how much of the chosen 2-D kernel each of R, G and B gets in the lesson's one 3-D kernel
CHANNEL_WEIGHTS = {
    "luminance": (0.299, 0.587, 0.114),  # ITU-R 601, as images.to_gray: the grayscale result
    "red_minus_green": (1.0, -1.0, 0.0),
    "red_only": (1.0, 0.0, 0.0),
}


def colour_kernel(kernel: np.ndarray, weights: tuple[float, ...]) -> np.ndarray:
    """(Kh, Kw) kernel, one weight per channel -> (Kh, Kw, C), slice c = weights[c] · kernel."""
    return np.asarray(kernel, dtype=float)[:, :, None] * np.asarray(weights, dtype=float)


def colour_kernel_picker(key: str, kernel: np.ndarray) -> tuple[np.ndarray, float]:
    """The chosen 2-D kernel made 3-D by channel weights, and a bias: ((Kh, Kw, 3), bias)."""
    labels = {
        "luminance": t("conv.weights_luminance"),
        "red_minus_green": t("conv.weights_red_minus_green"),
        "red_only": t("conv.weights_red_only"),
    }
    weights = choice(
        t("conv.weights"),
        list(CHANNEL_WEIGHTS),
        format_func=labels.__getitem__,
        key=f"{key}_weights",
        help=t("conv.weights_help"),
    )
    bias = st.number_input(
        t("conv.bias"),
        min_value=-1000.0,
        max_value=1000.0,
        value=0.0,
        step=1.0,
        key=f"{key}_bias",
        help=t("conv.bias_help"),
    )
    return colour_kernel(kernel, CHANNEL_WEIGHTS[weights]), float(bias)


def valid_or_same(key: str) -> str:
    """Keras's two padding modes, as a radio."""
    modes = ["valid", "same"]
    return choice(
        t("widgets.padding"),
        modes,
        format_func=lambda m: t(f"widgets.padding_{m}"),
        key=f"{key}_padding",
        horizontal=True,
    )
