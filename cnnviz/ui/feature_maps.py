"""The Feature maps page's views of one run of a model: the guesses, Grad-CAM, every layer's maps
(a big model block by block), and one map enlarged beside its filters.

A run (every layer's output and the top guesses) is kept per input for this session, so a control
that changes only how the maps are drawn does not run the model again. Only the layers a student
has opened are drawn: VGG19 at 224×224 has 16 conv layers of 64–512 maps.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

import numpy as np
import streamlit as st

from cnnviz import blocks, digits, features, grad_cam, plots, tiles
from cnnviz.formatting import shape_text
from cnnviz.ui import choice, t
from cnnviz.ui.chosen import ChosenModel

RUN_KEY = "features_run"  # session key: (input fingerprint, Run) of the last input
OVERVIEW_MAPS = 8  # maps per layer in the overview of a big model
OVERVIEW_LAYERS = 80  # conv layers in the overview at most (MobileNetV2 has 52, ResNet50 53)
CONV_KINDS = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D")
# the pictures are small (a map of 26×26 pixels drawn 300 wide): every pixel a sharp square, as
# the numbers it stands for, not blurred by the browser's smoothing
CRISP = "<style>[class*='st-key-features_'] img { image-rendering: pixelated; }</style>"


@dataclass(frozen=True)
class Run:
    """What the model made of one input: every layer's output and the top five guesses."""

    layers: list[features.LayerActivation]
    top: list[tuple[str, float]]


def run(chosen: ChosenModel, x: np.ndarray) -> Run:
    """The model's run on x (1, H, W, C), computed once per model and input for this session."""
    fingerprint = (id(chosen.model), tuple(chosen.class_names),
                   hashlib.sha1(np.ascontiguousarray(x).tobytes()).hexdigest())  # fmt: skip
    kept = st.session_state.get(RUN_KEY)
    if kept is not None and kept[0] == fingerprint:
        return kept[1]
    result = Run(*features.activations_and_top(chosen.model, x, 5, chosen.class_names))
    st.session_state[RUN_KEY] = (fingerprint, result)
    return result


def preparation(key: str, chosen: ChosenModel, picture: np.ndarray, source: str) -> str:
    """How a picture is made into the model's input: "photo", or for a model of digits or
    products a toggle to read it as one ("digit", "product"), on when it looks like one."""
    if chosen.reads not in ("digits", "products") or source == "digit":
        return "photo"
    kind = "digit" if chosen.reads == "digits" else "product"
    # a drawing is a digit by what the student is doing, even while its first stroke is a dot
    looks = source == "draw" or (digits.looks_like_digit(picture) if kind == "digit" else True)
    prepare = (
        kind
        if st.toggle(t(f"features.as_{kind}"), looks, key=f"{key}_as_{kind}_{source}")
        else "photo"
    )
    st.caption(t(f"features.as_{kind}_help" if prepare == kind else f"features.not_{kind}_help"))
    return prepare


def preparation_steps(steps) -> None:
    """The pictures of each preparation step (a digit made MNIST-like, a product made
    Fashion-MNIST-like), side by side."""
    kind = "digit" if type(steps).__name__ == "DigitSteps" else "product"
    with st.expander(t(f"features.{kind}_steps"), expanded=True):
        names = [step.name for step in fields(steps)]
        for column, name in zip(st.columns(len(names)), names, strict=True):
            caption = t(
                f"features.step_{name}" if kind == "digit" else f"images.product_step_{name}"
            )
            column.image(getattr(steps, name), caption=caption, width="stretch", clamp=True)
        st.caption(t(f"features.{kind}_steps_help"))


def picture(image: np.ndarray, key: str, caption: str = "", width: int | str | None = None) -> None:
    """A uint8 picture (H, W) or (H, W, 3) as a lossless image, `width` pixels wide or
    "stretch" (else as `plots.picture_width` says), in a container with `key`.

    A picture, not a chart: a slider step redraws every view, and the browser draws an image in
    a millisecond where a Plotly chart takes tens. Charts stay where hovering gives numbers."""
    with st.container(key=key):
        st.image(image, caption=caption or None, output_format="PNG",
                 width=width or plots.picture_width(image))  # fmt: skip


def guesses(chosen: ChosenModel, picture_in: np.ndarray, x: np.ndarray, top: list) -> None:
    """The input as the model sees it, its top guesses and Grad-CAM, in three columns."""
    st.html(CRISP)
    seen, guessed, looked = st.columns(3, gap="medium")
    with seen:
        st.markdown(f"**{t('features.as_model_sees', shape=shape_text(x.shape[1:]))}**")
        picture(plots.as_uint8(picture_in), "features_input", width="stretch")
    guessed.plotly_chart(plots.top_k_bars(top, t("features.top_k")), width="stretch",
                         key="features_top")  # fmt: skip
    with looked:
        if not features.is_conv_model(chosen.model):
            st.info(t("features.grad_cam_no_conv"))
        elif not grad_cam.grad_cam_available():
            st.info(t("features.grad_cam_backend"))
        else:
            heatmap = grad_cam.grad_cam(chosen.model, x)
            st.markdown(f"**{t('features.grad_cam', label=top[0][0])}**")
            picture(plots.grad_cam_picture(picture_in, heatmap), "features_grad_cam",
                    width="stretch")  # fmt: skip
            st.caption(t("features.grad_cam_help"))


def _draw_layer(number: int, layer: features.LayerActivation, how: str) -> None:
    """One layer's heading, its maps as one tiled picture (or its units as bars), and a note."""
    st.subheader(t("features.layer", number=number, name=layer.name, kind=layer.kind,
                   shape=shape_text(layer.shape)))  # fmt: skip
    if layer.is_map:
        maps = layer.values[:, :, : tiles.MAX_MAPS]
        picture(tiles.tile(maps, how), f"features_layer_{number}")
        if layer.values.shape[2] > tiles.MAX_MAPS:
            st.caption(t("features.maps_capped", shown=tiles.MAX_MAPS, count=layer.shape[-1]))
        else:
            st.caption(t("features.maps_count", count=layer.shape[-1]))
    elif layer.values.ndim == 1 and layer.values.size > tiles.MAX_BARS:
        picture(tiles.units_picture(layer.values), f"features_layer_{number}",
                width=min(1000, 10 * tiles.UNIT_COLUMNS))  # fmt: skip
        st.caption(t("features.units_picture", count=layer.values.size,
                     columns=tiles.UNIT_COLUMNS))  # fmt: skip
    elif layer.values.ndim == 1:
        st.plotly_chart(plots.dense_bars(layer.values), width="stretch",
                        key=f"features_layer_{number}")  # fmt: skip
        st.caption(t("features.units", count=layer.values.size))


def _overview(layers: list[features.LayerActivation], how: str) -> None:
    """The first maps of every conv layer, small, one picture each with its name and shape."""
    convs = [layer for layer in layers if layer.is_map and layer.kind in CONV_KINDS]
    shown = convs[:OVERVIEW_LAYERS]
    st.markdown(f"**{t('features.overview_title')}**")
    st.caption(t("features.overview_help", maps=OVERVIEW_MAPS, count=len(convs)))
    if not shown:
        return
    st.image(
        [tiles.thumbnail(layer.values, OVERVIEW_MAPS) for layer in shown],
        caption=[f"{layer.name} · {shape_text(layer.shape)}" for layer in shown],
        width=OVERVIEW_MAPS * 40,
    )
    if len(convs) > len(shown):
        st.caption(t("features.overview_capped", shown=len(shown), count=len(convs)))


def layers_section(layers: list[features.LayerActivation]) -> None:
    """Every layer's maps; a big model shows an overview and one block at a time."""
    st.header(t("features.layers_title"))
    how = choice(t("features.normalize"), ["standardize", "minmax"], key="features_normalize",
                 format_func=lambda h: t(f"features.normalize_{h}"), horizontal=True)  # fmt: skip
    st.caption(t(f"features.normalize_{how}_help"))
    groups = blocks.blocks([layer.name for layer in layers])
    if len(groups) > 1:
        _overview(layers, how)
        names = [group.name for group in groups]
        picked = st.selectbox(
            t("features.block"), names, key="features_block",
            format_func=lambda n: t("features.block_option", name=n,
                                    count=len(groups[names.index(n)].layers)),
        )  # fmt: skip
        st.caption(t("features.block_help", count=len(layers), blocks=len(groups)))
        positions = groups[names.index(picked)].layers
    else:
        positions = groups[0].layers
    for position in positions:
        _draw_layer(position + 1, layers[position], how)


def enlarge_section(chosen: ChosenModel, layers: list[features.LayerActivation]) -> None:
    """One map of a chosen layer, large, beside the layer's filters when it is a convolution."""
    st.header(t("features.enlarge_title"))
    with_maps = [layer for layer in layers if layer.is_map]
    if not with_maps:
        st.info(t("features.no_maps"))
        return
    names = [layer.name for layer in with_maps]
    pick, channel_column = st.columns(2)
    with pick:
        name = st.selectbox(t("features.enlarge_layer"), names, key="features_enlarge_layer")
    layer = with_maps[names.index(name)]
    with channel_column:
        channel = st.number_input(t("features.enlarge_channel"), 0, layer.values.shape[2] - 1, 0,
                                  key="features_enlarge_channel")  # fmt: skip
    big, weights = st.columns(2, gap="large")
    big.plotly_chart(
        plots.feature_map_figure(layer.values[:, :, int(channel)],
                                 t("features.enlarged", name=name, channel=int(channel))),
        width="stretch", key="features_enlarged",
    )  # fmt: skip
    if layer.kind == "Conv2D":
        conv_layer = chosen.model.get_layer(name)
        with weights:
            st.markdown(f"**{t('features.filters', name=name)}**")
            grid = tiles.filters_grid(conv_layer)
            picture(grid, "features_filters", width=plots.picture_width(grid, 500, 200, 400))
        weights.caption(t("features.filters_help", shape=shape_text(conv_layer.kernel.shape)))
