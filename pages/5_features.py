"""Lesson 5 — feature maps: what every layer of a trained model makes of one picture."""

from dataclasses import fields

import numpy as np
import streamlit as st

from cnnviz import features, plots
from cnnviz.errors import CnnvizError
from cnnviz.ui import choice, photo, show_error, start_page, t
from cnnviz.ui import models as model_ui

start_page()

st.title(t("features.title"))
st.markdown(t("features.intro"))

model_column, input_column, move_column = st.columns(3, gap="large")
with model_column:
    chosen = model_ui.model_picker("features")
    if chosen is None:
        st.info(t("features.choose_model"))
        st.stop()
    st.caption(t("features.model_takes", shape="×".join(map(str, chosen.input_shape))))

with input_column:
    sources = (["digit"] if chosen.is_mnist else []) + ["sample", "upload", "camera"]
    source = photo.source_choice("features", sources)
    if source == "digit":
        digits = model_ui.mnist_sample()
        index = st.number_input(t("features.digit_index"), 0, len(digits.x_test) - 1, 0,
                                key="features_digit")  # fmt: skip
        picture = digits.x_test[int(index)].astype(np.float32) / 255  # already as MNIST
        st.caption(t("features.digit_label", label=int(digits.y_test[int(index)])))
    else:
        picture = photo.photo_from("features", source)
    as_digit = False
    if chosen.is_mnist and source != "digit":  # a photo of a handwritten digit, made MNIST-like
        as_digit = st.toggle(
            t("features.as_digit"), source != "sample", key=f"features_as_digit_{source}"
        )
        st.caption(t("features.as_digit_help" if as_digit else "features.not_digit_help"))
    if picture is None:
        st.info(t("features.choose_input"))
        st.stop()

with move_column:
    side = chosen.input_shape[1]
    angle = st.slider(t("features.angle"), -180, 180, 0, 5, key="features_angle")
    dx = st.slider(t("features.dx"), -side // 4, side // 4, 0, key="features_dx")
    dy = st.slider(t("features.dy"), -side // 4, side // 4, 0, key="features_dy")
    zoom = st.slider(t("features.zoom"), 0.5, 2.0, 1.0, 0.1, key="features_zoom")

try:
    prepared = features.model_input(picture, chosen.input_shape, angle, dx, dy, zoom, as_digit)
    layers = features.activations(chosen.model, prepared.x)
    top = features.predict_top(chosen.model, prepared.x, 5, chosen.class_names)
except CnnvizError as error:
    show_error(error)
    st.stop()

if prepared.digit_steps is not None:
    with st.expander(t("features.digit_steps"), expanded=True):
        steps = prepared.digit_steps
        for column, step in zip(st.columns(len(fields(steps))), fields(steps), strict=True):
            image = getattr(steps, step.name)
            column.image(
                image, caption=t(f"features.step_{step.name}"), width="stretch", clamp=True
            )
        st.caption(t("features.digit_steps_help"))

seen, guesses, looked = st.columns(3, gap="medium")
seen.plotly_chart(
    plots.model_input_figure(prepared.x[0], t("features.as_model_sees",
                                              shape="×".join(map(str, prepared.x.shape[1:])))),
    width="stretch", key="features_input",
)  # fmt: skip
guesses.plotly_chart(plots.top_k_bars(top, t("features.top_k")), width="stretch",
                     key="features_top")  # fmt: skip
with looked:
    if not features.is_conv_model(chosen.model):
        st.info(t("features.grad_cam_no_conv"))
    elif not features.grad_cam_available():
        st.info(t("features.grad_cam_backend"))
    else:
        heatmap = features.grad_cam(chosen.model, prepared.x)
        st.plotly_chart(
            plots.grad_cam_overlay(prepared.x[0], heatmap, t("features.grad_cam", label=top[0][0])),
            width="stretch", key="features_grad_cam",
        )  # fmt: skip
        st.caption(t("features.grad_cam_help"))

st.header(t("features.layers_title"))
how = choice(t("features.normalize"), ["standardize", "minmax"], key="features_normalize",
             format_func=lambda h: t(f"features.normalize_{h}"), horizontal=True)  # fmt: skip
st.caption(t(f"features.normalize_{how}_help"))

for number, layer in enumerate(layers, start=1):
    shape = "×".join(map(str, layer.shape))
    st.subheader(t("features.layer", number=number, name=layer.name, kind=layer.kind, shape=shape))
    if layer.is_map:
        maps = layer.values[:, :, : features.MAX_MAPS]
        st.plotly_chart(plots.feature_map_grid(features.tile(maps, how)), width="stretch",
                        key=f"features_layer_{number}")  # fmt: skip
        if layer.values.shape[2] > features.MAX_MAPS:
            st.caption(t("features.maps_capped", shown=features.MAX_MAPS, count=layer.shape[-1]))
        else:
            st.caption(t("features.maps_count", count=layer.shape[-1]))
    elif layer.values.ndim == 1:
        st.plotly_chart(plots.dense_bars(layer.values), width="stretch",
                        key=f"features_layer_{number}")  # fmt: skip
        st.caption(t("features.units", count=layer.values.size))

st.header(t("features.enlarge_title"))
with_maps = [layer for layer in layers if layer.is_map]
if not with_maps:
    st.info(t("features.no_maps"))
    st.stop()
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
    weights.plotly_chart(
        plots.filters_figure(features.filters_grid(conv_layer), t("features.filters", name=name)),
        width="stretch", key="features_filters",
    )  # fmt: skip
    weights.caption(t("features.filters_help", shape="×".join(map(str, conv_layer.kernel.shape))))
