"""Lesson 1 — convolution: a kernel slides over the input one cell at a time."""

import numpy as np
import streamlit as st

from cnnviz import conv, images, plots
from cnnviz.errors import CnnvizError
from cnnviz.examples import EXAMPLES
from cnnviz.ui import choice, inputs, set_choice, show_error, start_page, t

start_page()

CROP = 10  # the photo's step-through runs on a CROP×CROP grayscale patch

st.title(t("conv.title"))
st.markdown(t("conv.intro"))

controls, result = st.columns([1, 3], gap="large")
with controls:
    picture = inputs.picture_picker("conv")
    if picture is None:
        st.info(t("conv.choose_input"))
        st.stop()
    try:
        kernel = inputs.kernel_picker("conv", picture.example)
    except CnnvizError as error:
        show_error(error)
        st.stop()
    if picture.example and st.session_state.get("conv_example_shown") != picture.example:
        st.session_state["conv_example_shown"] = picture.example  # use the notes' padding
        set_choice("conv_padding", EXAMPLES[picture.example].padding)
    stride, padding, dilation = inputs.conv_settings("conv")


@st.cache_data(max_entries=32, show_spinner=False)
def filtered(
    photo: np.ndarray, kernel: np.ndarray, stride, padding, dilation, colour: bool, how: str
):
    source = photo if colour else images.to_gray(photo)
    values = conv.filter_image(source, kernel, stride, padding, dilation)
    return conv.scale_for_display(values, how), float(values.min()), float(values.max())


grid = picture.values
with result:
    if picture.is_photo:
        colour = choice(
            t("conv.channels"),
            [True, False],
            format_func=lambda c: t("conv.per_channel") if c else t("conv.grayscale"),
            key="conv_colour",
            horizontal=True,
        )
        how = choice(
            t("conv.scaling"),
            ["clip", "rescale", "abs"],
            format_func=lambda h: t(f"conv.scaling_{h}"),
            key="conv_scaling",
            horizontal=True,
        )
        original, output = st.columns(2)
        original.image(
            picture.values if colour else images.to_gray(picture.values),
            caption=t("conv.original"),
            width="stretch",
        )
        try:
            shown, low, high = filtered(
                picture.values, kernel, stride, padding, dilation, colour, how
            )
        except CnnvizError as error:  # e.g. a 1×1 picture and a 3×3 kernel: the photo stays shown
            with output:
                show_error(error)
            st.stop()
        output.image(
            shown,
            caption=t("conv.filtered", shape="×".join(map(str, shown.shape[:2]))),
            width="stretch",
        )
        st.caption(t(f"conv.scaled_{how}", low=f"{low:.1f}", high=f"{high:.1f}"))
        st.subheader(t("conv.crop_title"))
        grid = inputs.crop_picker("conv", picture.values, CROP)
    elif picture.example:
        st.caption(t(f"conv.about_{picture.example}"))

    try:
        steps = conv.conv2d_steps(grid, kernel, stride, padding, dilation)
        output_grid = conv.conv2d(grid, kernel, stride, padding, dilation)
        padded, pads = conv.pad(grid, padding, kernel.shape[:2], stride, dilation)
    except CnnvizError as error:
        show_error(error)
        st.stop()

    st.markdown(
        t("conv.sizes", input="×".join(map(str, grid.shape)), padded="×".join(map(str, padded.shape)),
          output="×".join(map(str, output_grid.shape)), count=len(steps))
    )  # fmt: skip
    interval = inputs.play_interval("conv")

    @st.fragment(run_every=interval)
    def stepper() -> None:
        inputs.advance_if_playing("conv", len(steps))
        index = inputs.step_controls("conv", len(steps))
        step = steps[index]
        titles = (t("conv.input_grid"), t("conv.kernel_grid"), t("conv.output_grid"))
        figure = plots.conv_step_figure(
            padded, pads, kernel, step, output_grid, index + 1, dilation, titles
        )
        st.plotly_chart(figure, width="stretch", key="conv_figure")
        st.markdown(t("conv.step", index=index, last=len(steps) - 1, row=step.row, col=step.col))
        st.code(step.expression, language=None, wrap_lines=True)

    stepper()
st.info(t("conv.cross_correlation"))
