"""Lesson 1 — convolution: a kernel slides over the input one cell at a time.

No st.stop() here: a stopped run keeps the state of the widgets it did not draw, and the browser
then draws them at their defaults while the page goes on using the old values.
"""

import numpy as np
import streamlit as st

from cnnviz import conv, images, plots
from cnnviz.errors import CnnvizError
from cnnviz.examples import EXAMPLES
from cnnviz.formatting import shape_text
from cnnviz.padding import keras_refuses
from cnnviz.ui import choice, inputs, links, set_choice, show_error, start_page, stepper, t
from cnnviz.ui.picture import LESSON_SIDE, picture_picker

start_page()

CROP = 10  # the photo's step-through runs on a CROP×CROP patch (grayscale, or R, G and B)
RGB = ("R", "G", "B")


@st.cache_data(max_entries=32, show_spinner=False)
def filtered(
    photo: np.ndarray, kernel: np.ndarray, stride, padding, dilation, mode: str, how: str,
    bias: float = 0.0,
):  # fmt: skip
    if mode == "together":  # one 3-D kernel over all channels: one output channel
        values = conv.conv2d(photo, kernel, stride, padding, dilation) + bias
    else:
        source = photo if mode == "per_channel" else images.to_gray(photo)
        values = conv.filter_image(source, kernel, stride, padding, dilation)
    return conv.scale_for_display(values, how), float(values.min()), float(values.max())


def photo_patch(photo: np.ndarray, kernel: np.ndarray, stride, padding, dilation):
    """The photo beside its filtered self; returns the patch to step through with its kernel
    and bias (a 3-D kernel when all channels are taken at once), None on an error."""
    modes = {
        "per_channel": t("conv.per_channel"),
        "grayscale": t("conv.grayscale"),
        "together": t("conv.together"),
    }
    mode = choice(
        t("conv.channels"), list(modes), format_func=modes.__getitem__, key="conv_mode",
        horizontal=True,
    )  # fmt: skip
    bias = 0.0
    if mode == "together":
        kernel, bias = inputs.colour_kernel_picker("conv", kernel)
    how = choice(
        t("conv.scaling"),
        ["clip", "rescale", "abs"],
        format_func=lambda h: t(f"conv.scaling_{h}"),
        key="conv_scaling",
        horizontal=True,
    )
    original, output = st.columns(2)
    shown_photo = images.to_gray(photo) if mode == "grayscale" else photo
    original.image(shown_photo, caption=t("conv.original"), width="stretch")
    try:
        shown, low, high = filtered(photo, kernel, stride, padding, dilation, mode, how, bias)
    except CnnvizError as error:  # e.g. a 1×1 picture and a 3×3 kernel: the photo stays shown
        with output:
            show_error(error)
        return None
    output.image(
        shown, caption=t("conv.filtered", shape=shape_text(shown.shape[:2])), width="stretch"
    )
    st.caption(t(f"conv.scaled_{how}", low=f"{low:.1f}", high=f"{high:.1f}"))
    st.subheader(t("conv.crop_title"))
    patch = inputs.crop_picker("conv", photo, CROP, colour=mode == "together")
    return patch, kernel, bias


def step_through(
    grid: np.ndarray, kernel: np.ndarray, stride, padding, dilation, example: str | None
) -> None:
    """The window sliding over `grid`, one output cell per step."""
    try:
        steps = conv.conv2d_steps(grid, kernel, stride, padding, dilation)
        output_grid = conv.conv2d(grid, kernel, stride, padding, dilation)
        padded, pads = conv.pad(grid, padding, kernel.shape[:2], stride, dilation)
    except CnnvizError as error:
        show_error(error)
        return
    if example:
        st.caption(t(f"conv.about_{example}", output=shape_text(output_grid.shape)))
    st.markdown(
        t("conv.sizes", input=shape_text(grid.shape), padded=shape_text(padded.shape),
          output=shape_text(output_grid.shape), count=len(steps))
    )  # fmt: skip

    def draw(index: int) -> None:
        step = steps[index]
        titles = (t("conv.input_grid"), t("conv.kernel_grid"), t("conv.output_grid"))
        figure = plots.conv_step_figure(
            padded, pads, kernel, step, output_grid, index + 1, dilation, titles
        )
        st.plotly_chart(figure, width="stretch", key="conv_figure")
        st.markdown(t("conv.step", index=index, last=len(steps) - 1, row=step.row, col=step.col))
        st.code(step.expression, language=None, wrap_lines=True)

    stepper.show("conv", len(steps), draw)


def step_through_channels(
    patch: np.ndarray, kernel: np.ndarray, bias: float, stride, padding, dilation
) -> None:
    """One 3-D kernel sliding over the colour `patch`: each channel's window × its kernel slice,
    the three sums and the bias, one output cell per step."""
    try:
        steps = conv.conv2d_steps(patch, kernel, stride, padding, dilation)
        output_grid = conv.conv2d(patch, kernel, stride, padding, dilation) + bias
        padded, pads = conv.pad(patch, padding, kernel.shape[:2], stride, dilation)
    except CnnvizError as error:
        show_error(error)
        return
    st.markdown(t("conv.together_about", kernel=shape_text(kernel.shape)))
    st.markdown(
        t("conv.sizes", input=shape_text(patch.shape), padded=shape_text(padded.shape),
          output=shape_text(output_grid.shape), count=len(steps))
    )  # fmt: skip

    def draw(index: int) -> None:
        step = steps[index]
        titles = (t("conv.input_grid"), t("conv.output_before_activation"))
        figure = plots.colour_window_figure(
            padded, pads, step, output_grid, index + 1, dilation, titles
        )
        st.plotly_chart(figure, width="stretch", key="conv_figure")
        # the three slices beside their sum: a row of window, slice and products needs ~700 px
        channels, total = st.columns([2, 1], gap="medium")
        titles = (t("conv.window_slice"), t("conv.kernel_slice"), t("conv.products"))
        figure = plots.channel_step_figure(step, range(len(RGB)), RGB, titles)
        channels.plotly_chart(figure, width="stretch", key="conv_channels_figure")
        last = len(steps) - 1
        total.markdown(t("conv.step_channels", index=index, last=last, row=step.row, col=step.col))
        written = plots.channel_sum_text(step, bias, RGB, t("conv.bias_name"))
        total.code(written, language=None, wrap_lines=True)

    stepper.show("conv", len(steps), draw)


st.title(t("conv.title"))
links.follow("convolution")  # a link's settings, before the widgets
st.markdown(t("conv.intro"))

controls, result = st.columns([1.3, 3], gap="large")
with controls:  # every control is drawn on every run, whatever the input (see the docstring)
    picture = picture_picker("conv", max_side=LESSON_SIDE)
    example = picture.example if picture is not None else None
    kernel, kernel_error = None, None
    try:
        kernel = inputs.kernel_picker("conv", example)
    except CnnvizError as error:
        kernel_error = error
    if example and st.session_state.get("conv_example_shown") != example:
        st.session_state["conv_example_shown"] = example  # use the notes' padding
        set_choice("conv_padding", EXAMPLES[example].padding)
    stride, padding, dilation = inputs.conv_settings("conv")

patch = None  # a photo's patch, stepped through below the columns
with result:
    if kernel_error is not None:
        show_error(kernel_error)
    elif picture is None:
        st.info(t("conv.choose_input"))
    else:
        if keras_refuses(stride, dilation):
            st.warning(t("padding.keras_refuses"))
        if picture.is_photo:
            patch = photo_patch(picture.values, kernel, stride, padding, dilation)
        else:
            step_through(picture.values, kernel, stride, padding, dilation, example)
if patch is not None:
    # the whole width: a photo's patch of three-digit numbers beside kernel and output needs it
    grid, patch_kernel, bias = patch
    if patch_kernel.ndim == 3:
        step_through_channels(grid, patch_kernel, bias, stride, padding, dilation)
    else:
        step_through(grid, patch_kernel, stride, padding, dilation, example)
st.info(t("conv.cross_correlation"))
links.keep("convolution")
