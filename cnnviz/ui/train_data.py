"""The Train page's data: a course dataset (with its download when only that is missing) or one
of the image folders the teacher shares, each loaded once for the server.

Datasets are `st.cache_resource`, shared read-only by every session; the list of shared folders
is `st.cache_data` for 30 s, so a folder the teacher adds appears without a restart.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cnnviz import data
from cnnviz.errors import CnnvizError
from cnnviz.ui import choice, lang, show_error, t

DOWNLOAD_REQUEST = "train_download_request"  # set by the download button's callback: the set


@st.cache_resource(max_entries=4, show_spinner=False)
def load_dataset(name: str) -> data.Dataset:
    """A named dataset, shared read-only by every session (nothing writes into it)."""
    return _read_only(data.load(name))


@st.cache_resource(max_entries=2, ttl=3600, show_spinner=False)
def load_folder(path: str, side: int, grey: bool) -> data.Dataset:
    """An image folder under the teacher's roots ($CNNVIZ_DATA_DIR), shared read-only."""
    color_mode = "grayscale" if grey else "rgb"
    dataset = data.load(
        "folder",
        path=path,
        image_size=(side, side),
        color_mode=color_mode,
        roots=data.data_roots(),
    )
    return _read_only(dataset)


@st.cache_data(ttl=30, show_spinner=False)
def shared_folders(roots: tuple[str, ...]) -> dict[str, tuple[str, int]]:
    """{dataset folder: (its path shown, its number of class folders)} under `roots`, for every
    session; a folder the teacher adds appears within 30 s."""
    resolved = [Path(root) for root in roots]
    found = {}
    for folder in data.dataset_folders(resolved):
        root = max((r for r in resolved if folder.is_relative_to(r)), key=lambda r: len(r.parts))
        shown = folder.name if folder == root else folder.relative_to(root).as_posix()
        if len(resolved) > 1 and folder != root:  # two roots may both hold a "pets"
            shown = f"{root.name}/{shown}"
        found[str(folder)] = (shown, len(data.class_folders(folder)))
    return found


def _read_only(dataset: data.Dataset) -> data.Dataset:
    """The same dataset, its arrays made read-only: every session shares them."""
    for array in (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test):
        array.setflags(write=False)
    return dataset


def cached_dataset(key: tuple) -> data.Dataset:
    """The dataset a picker's cache key names: (name,) or ("folder", path, side, grey)."""
    return load_dataset(key[0]) if key[0] != "folder" else load_folder(*key[1:])


def dataset_picker() -> tuple[data.Dataset | None, tuple]:
    """Choose a dataset; download-only sets say so and offer the download. (dataset, cache key)."""
    availability = data.available()
    names = [*availability, "folder"]

    def label(name: str) -> str:
        missing = name in availability and not availability[name].ok
        return t(f"data.name.{name}") + (t("train.download_needed") if missing else "")

    name = choice(
        t("train.dataset"), names, key="train_dataset", widget="selectbox", format_func=label
    )
    try:
        if name == "folder":
            return folder_picker()
        if not availability[name].ok:
            st.info(t(availability[name].reason_key, **availability[name].values))
            st.button(
                t("train.download"),
                key="train_download",
                on_click=st.session_state.update,
                args=({DOWNLOAD_REQUEST: name},),
            )
            if st.session_state.pop(DOWNLOAD_REQUEST, None) == name:
                bar = st.progress(0.0, text=t("train.downloading"))

                def show(done: int, total: int) -> None:
                    text = t("train.download_progress", done=done / 1e6, total=total / 1e6)
                    bar.progress(min(done / total, 1.0), text=text)

                data.load(name, allow_download=True, on_progress=show)
                st.rerun()
            return None, ()
        with st.spinner(t("train.loading")):
            return load_dataset(name), (name,)
    except CnnvizError as error:
        show_error(error)
        return None, ()


def folder_picker() -> tuple[data.Dataset | None, tuple]:
    """Choose one of the image folders the teacher shares; never a path typed by a student."""
    roots = data.data_roots()
    if not roots:
        st.info(t("train.folder_help"))
        return None, ()
    folders = shared_folders(tuple(str(root) for root in roots))
    if not folders:
        st.info(t("train.folder_none", roots=", ".join(str(root) for root in roots)))
        return None, ()

    def label(path: str) -> str:
        shown, classes = folders[path]
        return t("train.folder_option", folder=shown, classes=classes)

    path = choice(
        t("train.folder_path"),
        list(folders),
        key="train_folder",
        widget="selectbox",
        format_func=label,
    )
    side = st.select_slider(t("train.folder_side"), [32, 64, 96, 150, 224], 64, key="train_side")
    grey = st.checkbox(t("train.folder_grey"), key="train_grey")
    with st.spinner(t("train.loading")):
        dataset = load_folder(path, side, grey)
    st.caption(t("train.folder_classes", names=", ".join(data.class_labels(dataset, lang()))))
    if dataset.skipped:
        st.caption(t("data.skipped", count=dataset.skipped))
    return dataset, ("folder", path, side, grey)
