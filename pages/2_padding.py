"""Lesson 2 — padding and stride: how big is the output, and why."""

import pandas as pd
import streamlit as st

from cnnviz import padding, params, plots, shapes
from cnnviz.architectures import ARCHITECTURES
from cnnviz.errors import CnnvizError
from cnnviz.formatting import shape_text
from cnnviz.ui import choice, links, show_error, start_page, t, tables

start_page()

st.title(t("padding.title"))
links.follow("padding")  # a link's settings, before the widgets
st.markdown(t("padding.intro"))

single, chain = st.tabs([t("padding.tab_single"), t("padding.tab_chain")])
with single:
    controls, result = st.columns([1, 3], gap="large")
    with controls:
        size = st.number_input(t("padding.input_size"), 1, 64, 7, key="pad_size")
        kernel = st.number_input(t("padding.kernel_size"), 1, 15, 3, key="pad_kernel")
        modes = ["number", "valid", "same"]
        mode = choice(
            t("widgets.padding"),
            modes,
            format_func=lambda m: t(f"widgets.padding_{m}"),
            key="pad_mode",
            horizontal=True,
        )
        zeros = (
            int(st.number_input(t("widgets.padding_amount"), 0, 10, 0, key="pad_amount"))
            if mode == "number"
            else mode
        )
        stride = st.number_input(t("widgets.stride"), 1, 8, 1, key="pad_stride")
        dilation = st.number_input(t("widgets.dilation"), 1, 4, 1, key="pad_dilation")
    with result:
        try:
            explained = shapes.explain_conv_output(size, kernel, stride, zeros, dilation)
        except CnnvizError as error:
            show_error(error)
            explained = None
    if explained is not None:
        with result:
            st.metric(t("padding.output"), shape_text((explained.size, explained.size)))
            st.latex(padding.latex(explained.formula))
            st.markdown(t("padding.numbers", numbers=explained.numbers))
            if dilation > 1:
                st.markdown(
                    t(
                        "padding.dilated",
                        kernel=kernel,
                        dilation=dilation,
                        effective=explained.effective_kernel,
                    )
                )
            uncovered = padding.uncovered_input(explained)
            if explained.fits_evenly:
                st.success(t("padding.fits"))
            else:
                not_fits = t(
                    "padding.not_fits", exact=f"{explained.exact:.2f}", size=explained.size
                )
                dropped = (
                    t("padding.dropped_input", dropped=uncovered)
                    if uncovered
                    else t("padding.dropped_padding", dropped=explained.dropped)
                )
                st.warning(f"{not_fits} {dropped}")
            positions = explained.size * explained.size
            position = (
                st.slider(t("padding.position"), 1, positions, 1, key="pad_position")
                if positions > 1
                else 1
            )
            figure = plots.padding_grid_figure(
                size,
                kernel,
                stride,
                (explained.pad_before, explained.pad_after),
                dilation,
                position - 1,
                explained.size,
            )
            st.plotly_chart(figure, key="pad_figure", width="content")
            legend = t("padding.legend")
            st.caption(f"{legend} {t('padding.legend_dropped')}" if uncovered else legend)
            keras_modes = pd.DataFrame(
                [
                    {
                        t("padding.mode"): mode.name,
                        t("padding.rule"): mode.rule,
                        t("padding.output"): "—" if mode.size is None else mode.size,
                    }
                    for mode in padding.keras_modes(size, kernel, stride, dilation)
                ]
            )
            st.markdown(t("padding.keras"))
            st.dataframe(keras_modes, hide_index=True)
            if padding.keras_refuses(stride, dilation):
                st.warning(t("padding.keras_refuses"))

with chain:
    name = choice(
        t("padding.model"),
        list(ARCHITECTURES),
        widget="selectbox",
        format_func=lambda n: t(f"models.name.{n}"),
        key="pad_model",
    )
    summary = params.summarize(ARCHITECTURES[name])
    st.markdown(t("padding.chain_intro", shape=shape_text(summary.input_shape)))
    table = tables.layer_table(summary, with_params=False)
    st.dataframe(table, hide_index=True, height=tables.table_height(len(table), limit=800))
links.keep("padding")
