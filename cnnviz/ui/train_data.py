"""The Train page's data: a course dataset (with its download when only that is missing), one
of the image folders the teacher shares, or the student's own zip of class folders.

Course datasets and folders are `st.cache_resource`, loaded once and shared read-only by every
session; the list of shared folders is `st.cache_data` for 30 s, so a folder the teacher adds
appears without a restart. A student's zip is read once and kept in that student's session
state only (one at a time), never shared.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from cnnviz import data
from cnnviz.data import zips
from cnnviz.errors import CnnvizError, DatasetError
from cnnviz.ui import choice, lang, show_error, t

DOWNLOAD_REQUEST = "train_download_request"  # set by the download button's callback: the set
ZIP_UPLOAD = "train_zip"  # the uploader's key
ZIP_LOADED = "train_zip_loaded"  # (cache key, Dataset or DatasetError) of this session's zip


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
    """The dataset a picker's cache key names: (name,), ("folder", path, side, grey) or
    ("zip", file id, size, side, grey), the zip this session uploaded."""
    if key[0] == "folder":
        return load_folder(*key[1:])
    if key[0] == "zip":
        return session_zip(key)
    return load_dataset(key[0])


def session_zip(key: tuple, upload=None) -> data.Dataset:
    """This session's zip as a dataset, read from `upload` the first time its key is seen; a
    refused zip raises its DatasetError again without being read again."""
    loaded_key, entry = st.session_state.get(ZIP_LOADED, ((), None))
    if loaded_key != key:
        if upload is None:
            raise DatasetError("data.zip_gone")
        _, _, _, side, grey = key
        try:
            with st.spinner(t("data.zip_loading")):
                entry = _read_only(
                    data.load_zip(
                        upload.getvalue(),
                        image_size=(side, side),
                        color_mode="grayscale" if grey else "rgb",
                    )
                )
        except DatasetError as error:
            entry = error
        st.session_state[ZIP_LOADED] = (key, entry)  # the previous zip's dataset is let go
    if isinstance(entry, DatasetError):
        raise entry
    return entry


def dataset_picker() -> tuple[data.Dataset | None, tuple]:
    """Choose a dataset; download-only sets say so and offer the download. (dataset, cache key)."""
    availability = data.available()
    names = [*availability, "folder", "zip"]

    def label(name: str) -> str:
        missing = name in availability and not availability[name].ok
        return t(f"data.name.{name}") + (t("train.download_needed") if missing else "")

    name = choice(
        t("train.dataset"), names, key="train_dataset", widget="selectbox", format_func=label
    )
    try:
        if name == "folder":
            return folder_picker()
        if name == "zip":
            return zip_picker()
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


def zip_limits() -> str:
    """The limits a zip is read within, in a sentence (the upload's from Streamlit's config)."""
    return t(
        "data.zip_limits",
        upload_mb=st.get_option("server.maxUploadSize"),
        files=zips.MAX_FILES,
        size_mb=zips.MAX_TOTAL_BYTES // 2**20,
        pixels_mp=zips.MAX_IMAGE_PIXELS // 1_000_000,
        total_mp=zips.MAX_TOTAL_PIXELS // 1_000_000,
    )


def zip_picker() -> tuple[data.Dataset | None, tuple]:
    """The student's own zip of class folders, read for this session: its classes and counts."""
    upload = st.file_uploader(
        t("data.zip_upload"), type=["zip"], key=ZIP_UPLOAD, help=t("data.zip_help")
    )
    st.caption(zip_limits())
    side = st.select_slider(
        t("train.folder_side"), [32, 64, 96, 150, 224], 64, key="train_zip_side"
    )
    grey = st.checkbox(t("train.folder_grey"), key="train_zip_grey")
    if upload is None:
        st.info(t("data.zip_waiting"))
        return None, ()
    key = ("zip", upload.file_id, upload.size, side, grey)
    dataset = session_zip(key, upload)
    counts = np.bincount(
        np.concatenate([dataset.y_train, dataset.y_test]), minlength=dataset.num_classes
    )
    each = [
        t("data.zip_class_count", name=name, count=int(count))
        for name, count in zip(data.class_labels(dataset, lang()), counts, strict=True)
    ]
    st.caption(t("data.zip_classes", count=dataset.num_classes, classes=", ".join(each)))
    if dataset.skipped:
        st.caption(t("data.zip_skipped", count=dataset.skipped))
    return dataset, key
