"""ImageNet's pretrained photo models (`cnnviz.applications`) on the model pages: offered as a
download with its size and a progress bar, then read from Keras's own cache, offline.

A model is built once per server and shared by every session. Two students who press Download
at once fetch the file once: the second waits for the first and then finds it in the cache.
"""

from __future__ import annotations

import threading

import streamlit as st

from cnnviz import applications, features
from cnnviz.errors import CnnvizError
from cnnviz.ui import show_error, t
from cnnviz.ui.chosen import ChosenModel

MEGABYTE = 1_000_000


@st.cache_resource(show_spinner=False, max_entries=3)
def imagenet_model(name: str):
    """The ImageNet model `name` with its weights from Keras's cache, warmed up once."""
    model = applications.build(name)
    features.warm_up(model)
    return model


@st.cache_resource(show_spinner=False)
def _download_lock(name: str) -> threading.Lock:
    """One lock per model for the whole server, so a file is fetched once."""
    return threading.Lock()


def _preprocess(name: str):
    """The model's own preprocess_input, for pictures given as 0..1."""

    def preprocess(pictures):
        return applications.preprocess(name, pictures * 255.0)

    return preprocess


def _offer_download(key: str, spec: applications.PhotoModel) -> None:
    """What the model is and what it costs, with a Download button and its progress."""
    st.info(t("applications.needs_download", title=spec.title, size_mb=spec.size_mb,
              top1=spec.top1, folder=str(applications.cache_folder())))  # fmt: skip
    wanted = f"{key}_download_wanted"
    st.button(t("applications.download_button", title=spec.title, size_mb=spec.size_mb),
              key=f"{key}_download_{spec.name}", on_click=st.session_state.__setitem__,
              args=(wanted, spec.name))  # fmt: skip
    if st.session_state.pop(wanted, None) != spec.name:
        return
    bar = st.progress(0.0, text=t("applications.downloading", done=0, total=spec.size_mb))

    def on_progress(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0),
                     text=t("applications.downloading", done=done // MEGABYTE,
                            total=max(total, done) // MEGABYTE))  # fmt: skip

    try:
        with _download_lock(spec.name):
            if not applications.is_cached(spec.name):
                applications.download(spec.name, on_progress)
    except CnnvizError as error:
        show_error(error)
        return
    st.rerun()


def photo_model(key: str, name: str, label: str) -> ChosenModel | None:
    """The ImageNet model `name` ready to run, or None while it still has to be downloaded."""
    spec = applications.PHOTO_MODELS[name]
    if not applications.is_cached(name):
        _offer_download(key, spec)
        return None
    with st.spinner(t("applications.loading", title=spec.title)):
        model = imagenet_model(name)
    st.caption(t("applications.about", title=spec.title, top1=spec.top1, top5=spec.top5,
                 params=spec.params, size_mb=spec.size_mb))  # fmt: skip
    return ChosenModel(label, model, applications.class_names(),
                       (spec.input_side, spec.input_side, 3), "imagenet",
                       _preprocess(name), "photos")  # fmt: skip
