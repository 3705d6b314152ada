"""Lesson 3 — pooling, and where a model's parameters sit."""

import streamlit as st

from cnnviz import architectures, conv, params, plots, pooling, shapes
from cnnviz.errors import CnnvizError, ShapeError
from cnnviz.formatting import count, shape_text
from cnnviz.ui import choice, inputs, links, show_error, start_page, stepper, t, tables
from cnnviz.ui.picture import LESSON_SIDE, picture_picker

start_page()

CROP = 8

st.title(t("pooling.title"))
links.follow("pooling")  # a link's settings, before the widgets
pool_tab, params_tab = st.tabs([t("pooling.tab_pool"), t("pooling.tab_params")])

with pool_tab:
    st.markdown(t("pooling.intro"))
    controls, result = st.columns([1.3, 3], gap="large")
    with controls:
        picture = picture_picker("pool", max_side=LESSON_SIDE)
        mode = choice(
            t("pooling.mode"),
            ["max", "avg"],
            format_func=lambda m: t(f"pooling.mode_{m}"),
            key="pool_mode",
            horizontal=True,
        )
        size = st.number_input(t("pooling.size"), 1, 6, 2, key="pool_size")
        stride = st.number_input(t("pooling.stride"), 1, 6, int(size), key="pool_stride")
        padding = inputs.valid_or_same("pool")
    with result:
        if picture is None:
            st.info(t("conv.choose_input"))
        else:
            grid = picture.values
            if picture.is_photo:
                try:
                    pooled = pooling.pool2d(picture.values, size, stride, mode, padding)
                except CnnvizError as error:
                    show_error(error)
                    pooled = None
                if pooled is not None:
                    before, after = st.columns(2)
                    before.image(
                        picture.values,
                        caption=t("pooling.before", shape=shape_text(picture.values.shape)),
                        width="stretch",
                    )
                    after.image(
                        conv.scale_for_display(pooled),
                        caption=t("pooling.after", shape=shape_text(pooled.shape)),
                        width="stretch",
                    )
                    means = pooling.global_average_pool(picture.values)
                    st.markdown(
                        t(
                            "pooling.gap_photo",
                            red=f"{means[0]:.1f}",
                            green=f"{means[1]:.1f}",
                            blue=f"{means[2]:.1f}",
                        )
                    )
                grid = inputs.crop_picker("pool", picture.values, CROP)
            try:
                steps = pooling.pool2d_steps(grid, size, stride, mode, padding)
                output = pooling.pool2d(grid, size, stride, mode, padding)
            except CnnvizError as error:
                show_error(error)
                steps = []
            if steps:
                top, _, left, _ = pooling.pads(grid.shape, size, stride, padding)
                st.markdown(
                    t(
                        "pooling.sizes",
                        input=shape_text(grid.shape),
                        output=shape_text(output.shape),
                    )
                )

                def draw(index: int) -> None:
                    step = steps[index]
                    figure = plots.pool_step_figure(
                        grid,
                        step,
                        output,
                        index + 1,
                        size,
                        (top, left),
                        (t("conv.input_grid"), t("pooling.output_grid")),
                    )
                    st.plotly_chart(figure, key="pool_figure")
                    message = f"pooling.step_{mode}"
                    if mode == "avg" and step.padded:
                        message = "pooling.step_avg_padded"
                    st.markdown(
                        t(
                            message,
                            value=f"{step.value:.4g}",
                            row=step.row,
                            col=step.col,
                            counted=step.counted,
                            padded=step.padded,
                        )
                    )

                stepper.show("pool", len(steps), draw)
                st.markdown(
                    t(
                        "pooling.gap_grid",
                        value=f"{float(pooling.global_average_pool(grid)):.4g}",
                        shape=shape_text(grid.shape),
                    )
                )

with params_tab:
    st.markdown(t("pooling.params_intro"))
    names = list(architectures.ARCHITECTURES)
    model_name = choice(
        t("padding.model"),
        [*names, "custom"],
        widget="selectbox",
        format_func=lambda n: t("pooling.custom") if n == "custom" else t(f"models.name.{n}"),
        key="params_model",
    )
    if model_name == "custom":
        shape_columns = st.columns(3)
        input_shape = tuple(
            int(
                column.number_input(t(f"pooling.input_{axis}"), 1, 512, value, key=f"params_{axis}")
            )
            for column, axis, value in zip(
                shape_columns, ("height", "width", "channels"), (28, 28, 1), strict=True
            )
        )
        layers = inputs.layer_table_editor(
            "params", architectures.ARCHITECTURES["mnist_cnn"].layers
        )
    else:
        arch = architectures.ARCHITECTURES[model_name]
        input_shape, layers = arch.input_shape, list(arch.layers)
    try:
        summary = params.summarize(layers, input_shape)
    except ShapeError as error:
        show_error(shapes.with_pooling_advice(error, layers))
        summary = None
    except CnnvizError as error:
        show_error(error)
        summary = None
    if summary is not None:
        totals = st.columns(3)
        totals[0].metric(t("pooling.total"), count(summary.total))
        totals[1].metric(t("pooling.trainable"), count(summary.trainable))
        totals[2].metric(t("pooling.non_trainable"), count(summary.non_trainable))
        table = tables.layer_table(summary)
        st.dataframe(
            table, hide_index=True, width="stretch", height=tables.table_height(len(table))
        )
        st.plotly_chart(
            plots.params_bar_figure(
                [r.name for r in summary.rows if r.params],
                [r.params for r in summary.rows if r.params],
                t("pooling.where"),
            ),
            key="params_figure",
        )
        comparison = params.dense_comparison(summary)
        if comparison is not None:
            st.markdown(
                t(
                    "pooling.dense_vs_conv",
                    inputs=count(comparison.inputs),
                    outputs=count(comparison.outputs),
                    conv=count(comparison.conv_params),
                    formula=comparison.dense_formula,
                    ratio=f"{comparison.ratio:,.0f}",
                )
            )
        mlp = params.summarize(
            architectures.ARCHITECTURES["mlp"].layers,
            input_shape,
            num_classes=summary.output_shape[-1],
        )
        st.markdown(t("pooling.mlp_compare", total=count(mlp.total), first=mlp.rows[1].formula))
links.keep("pooling")
