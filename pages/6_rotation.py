"""Lesson 6 — rotation and shift: the MLP and the CNN side by side on the same moving digit."""

import streamlit as st

from cnnviz import data, digits, plots, rotation
from cnnviz.errors import CnnvizError
from cnnviz.ui import links, show_error, start_page, t
from cnnviz.ui import models as model_ui
from cnnviz.ui.picture import picture_picker

start_page()

CURVE_DIGITS = model_ui.CURVE_DIGITS  # test digits behind each point of the curves

st.title(t("rotation.title"))
links.follow("rotation")  # a link's settings, before the widgets
st.markdown(t("rotation.intro"))

with st.spinner(t("rotation.loading")):
    shipped = {name: model_ui.pretrained(name) for name in model_ui.COURSE_MODELS}

controls, view = st.columns([1, 2], gap="large")
with controls:
    picture = picture_picker(
        "rotation",
        ["digit", "upload", "camera", "draw"],
        extra={"digit": model_ui.mnist_test_digit},
    )
    if picture is None:
        st.info(t("rotation.choose_input"))
        st.stop()
    if picture.source == "digit":
        digit = picture.values[:, :, 0]
    else:
        try:
            digit = digits.prepare_digit(picture.values).result
        except CnnvizError as error:
            show_error(error)
            st.stop()
    angle = st.slider(t("rotation.angle"), -180, 180, 0, 5, key="rotation_angle")
    dx = st.slider(t("rotation.dx"), -8, 8, 0, key="rotation_dx")
    dy = st.slider(t("rotation.dy"), -8, 8, 0, key="rotation_dy")
    links.keep("rotation")

moved = rotation.moved(digit, angle, dx, dy)
augmented = model_ui.augmented_models()
with view:
    picture_column, *model_columns = st.columns(3)
    picture_column.plotly_chart(
        plots.model_input_figure(moved, t("rotation.both_see")), width="stretch",
        key="rotation_digit_figure",
    )  # fmt: skip
    for column, (name, model) in zip(model_columns, shipped.items(), strict=True):
        reading = rotation.read_digit(model, moved, data.DIGITS)
        with column:
            st.metric(t(f"rotation.model_{name}"), reading.label, border=True)
            st.progress(reading.probability, text=t("rotation.sure", p=reading.probability))
            if augmented is not None:
                again = rotation.read_digit(augmented[1][name], moved, data.DIGITS)
                st.caption(t("rotation.augmented_reads", degrees=int(augmented[0]),
                             label=again.label, p=again.probability))  # fmt: skip

st.header(t("rotation.pixels_title"))
change = rotation.pixels_changed(digit)
average = model_ui.mean_pixels_changed()
st.markdown(
    t("rotation.pixels", count=change.count, total=change.total, share=change.share,
      mean=average, mean_share=average / change.total, digits=CURVE_DIGITS)
)  # fmt: skip

st.header(t("rotation.curves_title"))
with st.spinner(t("rotation.computing")):
    curves = model_ui.shipped_curves()
extra = model_ui.augmented_curves()


def curve_label(curve: rotation.AccuracyCurve) -> str:
    name, _, augmented_run = curve.model_name.partition(":")
    if augmented_run:
        return t("rotation.model_augmented", model=t(f"rotation.model_{name}"),
                 degrees=int(augmented[0]))  # fmt: skip
    return t(f"rotation.model_{name}")


angle_column, shift_column = st.columns(2, gap="large")
for column, axis in ((angle_column, "angle"), (shift_column, "shift")):
    shown = curves[axis] + extra.get(axis, [])
    column.plotly_chart(
        plots.accuracy_curves_figure(
            shown, t(f"rotation.curve_{axis}", digits=CURVE_DIGITS), t(f"rotation.axis_{axis}"),
            t("rotation.accuracy"), names=[curve_label(curve) for curve in shown],
        ),
        width="stretch", key=f"rotation_curve_{axis}",
    )  # fmt: skip
mlp_shift, cnn_shift = (curve.mean for curve in curves["shift"])
st.info(t("rotation.honest", mlp=mlp_shift, cnn=cnn_shift))

st.header(t("rotation.augment_title"))
st.markdown(t("rotation.augment_intro", epochs=model_ui.ROTATION_EPOCHS))
running = model_ui.rotation_training_running()
degrees = st.select_slider(t("rotation.augment_degrees"), [15, 30, 45, 60, 90, 180], 90,
                           key="rotation_augment_degrees", disabled=running)  # fmt: skip
running = running or bool(
    st.button(t("rotation.augment_button"), key="rotation_augment", disabled=running,
              on_click=model_ui.start_rotation_training, args=(degrees,))
)  # fmt: skip


@st.fragment(run_every=1.0 if running else None)
def training_progress() -> None:
    model_ui.rotation_training_progress()


training_progress()
if augmented is not None:
    st.success(t("rotation.augment_done", degrees=int(augmented[0])))
