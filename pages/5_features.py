"""Lesson 5 — feature maps: what every layer of a trained model makes of one picture."""

import streamlit as st

from cnnviz import features
from cnnviz.errors import CnnvizError, ImageError
from cnnviz.formatting import shape_text
from cnnviz.ui import feature_maps, links, show_error, start_page, t
from cnnviz.ui import live as live_ui
from cnnviz.ui import models as model_ui
from cnnviz.ui.picture import picture_picker

start_page()

st.title(t("features.title"))
links.follow("features")  # a link's settings, before the widgets
st.markdown(t("features.intro"))

# --- the model and the picture ----------------------------------------------------------------------
model_column, input_column = st.columns(2, gap="large")
with model_column:
    chosen = model_ui.model_picker("features")
    if chosen is None:
        st.info(t("features.choose_model"))
        st.stop()
    st.caption(t("features.model_takes", shape=shape_text(chosen.input_shape)))

with input_column:
    sources = (
        (["digit"] if chosen.is_mnist else [])
        + ["sample", "upload", "camera", "live"]
        + (["draw"] if chosen.is_mnist else [])
    )
    readers = {"digit": model_ui.mnist_test_digit, "live": live_ui.reader(chosen)}
    chosen_picture = picture_picker("features", sources, extra=readers)
    if chosen_picture is None:
        if st.session_state.get("features_source") != "live":  # live video answers by itself
            st.info(t("features.choose_input"))
        st.stop()
    picture, source = chosen_picture.values, chosen_picture.source
    prepare = feature_maps.preparation("features", chosen, picture, source)

if chosen.reads == "digits" and prepare == "photo" and source != "digit":
    st.info(t("features.digits_only"))
    st.button(t("features.use_photo_model"), key="features_use_photo_model", icon=":material/photo_camera:",
              on_click=model_ui.switch_to, args=("features", "imagenet:mobilenet_v2"))  # fmt: skip


# --- what the model makes of it: rerun alone when a slider moves -----------------------------------
@st.fragment
def look_inside(chosen, picture, prepare: str) -> None:
    side = chosen.input_shape[1]
    angle_column, dx_column, dy_column, zoom_column = st.columns(4)
    angle = angle_column.slider(t("features.angle"), -180, 180, 0, 5, key="features_angle")
    dx = dx_column.slider(t("features.dx"), -side // 4, side // 4, 0, key="features_dx")
    dy = dy_column.slider(t("features.dy"), -side // 4, side // 4, 0, key="features_dy")
    zoom = zoom_column.slider(t("features.zoom"), 0.5, 2.0, 1.0, 0.1, key="features_zoom")
    move = {"angle": angle, "dx": dx, "dy": dy, "scale": zoom}
    try:
        try:
            prepared = features.model_input(picture, chosen.input_shape, **move, prepare=prepare)
        except ImageError as error:  # no digit or object found: show the photo as it is
            st.warning(t(error.key, **error.values) + " " + t("features.shown_as_photo"))
            prepared = features.model_input(picture, chosen.input_shape, **move)
        x = chosen.preprocess(prepared.x)
        result = feature_maps.run(chosen, x)
    except CnnvizError as error:
        show_error(error)
        return
    if prepared.steps is not None:
        feature_maps.preparation_steps(prepared.steps)
    feature_maps.guesses(chosen, prepared.x[0], x, result.top)
    feature_maps.layers_section(result.layers)
    feature_maps.enlarge_section(chosen, result.layers)


links.keep("features")
look_inside(chosen, picture, prepare)
