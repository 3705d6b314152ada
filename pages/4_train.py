"""Lesson 4 — watch a model learn: data, model, settings, Train, and what the model got wrong."""

from dataclasses import replace

import streamlit as st

from cnnviz import training
from cnnviz.formatting import shape_text
from cnnviz.ui import links, start_page, t, train_data, train_settings
from cnnviz.ui import training as train_job

start_page()

st.title(t("train.title"))
links.follow("train")  # a link's dataset, model and recipe, before the widgets
st.markdown(t("train.intro"))
device = training.device_description()
st.caption(t("train.device", device=device))

data_column, model_column = st.columns(2, gap="large")
with data_column:
    st.subheader(t("train.data_heading"))
    dataset, dataset_key = train_data.dataset_picker()
    if dataset is not None:
        shape = shape_text(dataset.input_shape)
        st.caption(
            t(
                "train.data_size",
                train=len(dataset.x_train),
                test=len(dataset.x_test),
                shape=shape,
                classes=dataset.num_classes,
            )
        )
with model_column:
    st.subheader(t("train.model_heading"))
    chosen = train_settings.model_picker(dataset) if dataset is not None else None

if dataset is not None and chosen is not None:
    st.subheader(t("train.settings_heading"))
    st.markdown(t("train.settings_intro"))
    config = train_settings.settings(dataset)

    with st.expander(t("train.augment_heading"), expanded=config.augmentation.active):
        st.markdown(t("train.augment_intro"))
        augmentation = train_settings.augmentation_controls(config.augmentation)
        config = replace(config, augmentation=augmentation)
        train_settings.augmentation_preview(dataset, dataset_key, config)

    st.subheader(t("train.train_heading"))
    job = train_job.current_job()
    running = job is not None and not job.done
    allowed = True
    if chosen.too_large and training.gpu_name() is None:
        st.warning(t("models.too_large_for_cpu"))
        allowed = st.checkbox(t("train.train_anyway"), key="train_anyway")
    st.button(
        t("train.start"),
        type="primary",
        key="train_start",
        icon=":material/play_arrow:",
        disabled=running or not allowed,
        on_click=train_job.start_training,
        args=(chosen, dataset, config),
    )

job = train_job.current_job()
if job is not None and not job.done:
    train_job.live_view()
else:
    train_job.results()

with st.expander(t("train.upload_heading")):
    st.markdown(t("train.upload_intro"))
    train_job.upload_model()
links.keep("train")
