"""Lesson 7 — inside the network: follow one number from the picture's pixels, through the learned
kernels, to the prediction, on any model the class has (shipped, trained here, or uploaded)."""

import numpy as np
import streamlit as st

from cnnviz import data, features, images
from cnnviz.errors import CnnvizError, DatasetError, ImageError
from cnnviz.formatting import shape_text
from cnnviz.ui import feature_maps, links, network, show_error, start_page, t
from cnnviz.ui import models as model_ui
from cnnviz.ui.picture import picture_picker, sample_names, sample_photo

start_page()

TEST_IMAGES = 2000  # the test images searched for the ones a filter likes most


@st.cache_resource(show_spinner=False)
def test_images(reads: str) -> tuple[np.ndarray, str]:
    """Pictures to search for what excites a filter, (N, H, W, C) in 0..1: the test digits for
    a digit model, Fashion-MNIST's for a product model (when installed), else the sample photos."""
    if reads in ("digits", "products"):
        name = "mnist" if reads == "digits" else "fashion_mnist"
        try:
            dataset = data.load(name)
            return dataset.x_test[:TEST_IMAGES].astype(np.float32) / 255, name
        except DatasetError:
            pass
    photos = np.stack([images.to_model_input(sample_photo(n), (224, 224, 3))[0]
                       for n in sample_names()])  # fmt: skip
    return photos.astype(np.float32), "samples"


def images_for(chosen) -> tuple[np.ndarray, str]:
    """The search pictures at the model's input size, and what they are."""
    pictures, name = test_images(chosen.reads)
    if pictures.shape[1:] != tuple(chosen.input_shape):
        pictures = np.stack([images.to_model_input(p, chosen.input_shape)[0] for p in pictures])
    return pictures.astype(np.float32), t(f"inside.search_{name}")


st.title(t("inside.title"))
links.follow("network")  # a link's settings, before the widgets
st.markdown(t("inside.intro"))

model_column, input_column = st.columns(2, gap="large")
with model_column:
    chosen = model_ui.model_picker("network")
    if chosen is None:
        st.info(t("features.choose_model"))
        st.stop()
    st.caption(t("features.model_takes", shape=shape_text(chosen.input_shape)))
with input_column:
    sources = (
        (["digit"] if chosen.is_mnist else [])
        + ["sample", "upload", "camera"]
        + (["draw"] if chosen.is_mnist else [])
    )
    chosen_picture = picture_picker("network", sources, extra={"digit": model_ui.mnist_test_digit})
    if chosen_picture is None:
        st.info(t("features.choose_input"))
        st.stop()
    prepare = feature_maps.preparation(
        "network", chosen, chosen_picture.values, chosen_picture.source
    )

try:
    try:
        prepared = features.model_input(chosen_picture.values, chosen.input_shape, prepare=prepare)
    except ImageError as error:  # no digit or object found: the photo as it is
        st.warning(t(error.key, **error.values) + " " + t("features.shown_as_photo"))
        prepared = features.model_input(chosen_picture.values, chosen.input_shape)
    x = chosen.preprocess(prepared.x)
    result = network.run(chosen, x)
except CnnvizError as error:
    show_error(error)
    st.stop()

if not any(column.kind == "conv" for column in result.columns):
    st.info(t("inside.no_conv"))
column, unit = network.overview(chosen, result)
links.keep("network")
network.detail(chosen, x, result, column, unit)
network.filters_look_for(chosen, column, unit, images_for)
