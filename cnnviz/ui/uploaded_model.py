"""The teacher's own model on the model pages: a .keras, .h5 or .hdf5 file, its class names and
how its input was scaled in training.

The file is loaded once (safe mode, `cnnviz.model_files.load_uploaded`) and kept for this session.
A model that does not carry its class names gets them from a list of the course's datasets whose
length matches its outputs, or typed by the teacher; the input is scaled /255 as the course
trains unless the teacher picks another scaling.
"""

from __future__ import annotations

import streamlit as st

from cnnviz import classes, features, model_files, scaling
from cnnviz.errors import CnnvizError, ModelError, error_reason
from cnnviz.ui import choice, lang, show_error, t
from cnnviz.ui.chosen import ChosenModel

FILE_TYPES = ["keras", "h5", "hdf5"]
NUMBERS = "numbers"  # class names #0, #1, …
TYPED = "typed"


def _loaded(key: str, upload) -> tuple:
    """(model, class names the file carries) for this upload, loaded once per file."""
    memo = f"{key}_model_loaded"
    if st.session_state.get(memo, (None,))[0] != upload.file_id:
        content = upload.getvalue()
        try:
            with st.spinner(t("features.model_loading")):
                model = model_files.load_uploaded(content, upload.name)
                features.model_input_shape(model)  # refuses a model that does not read pictures
                features.warm_up(model)
            entry = (model, model_files.carried_class_names(content))
        except CnnvizError as error:
            entry = error
        except Exception as error:  # a model Keras loads but cannot run on a picture
            entry = ModelError("features.model_cannot_run", reason=error_reason(error))
        st.session_state[memo] = (upload.file_id, entry)
    return st.session_state[memo][1]


def _class_names(key: str, count: int, input_shape: tuple) -> list[str] | None:
    """Class names for a model with `count` outputs: a course list that fits, numbers or typed."""
    fitting = classes.matching(count)
    options = [*fitting, NUMBERS, TYPED]
    digits = input_shape == (28, 28, 1) and "mnist" in fitting
    default = options.index("mnist") if digits else options.index(NUMBERS)

    def label(option: str) -> str:
        if option in (NUMBERS, TYPED):
            return t(f"classes.{option}", count=count)
        return t(f"classes.list.{option}")

    picked = choice(t("classes.choose", count=count), options, key=f"{key}_classes",
                    widget="selectbox", format_func=label, index=default)  # fmt: skip
    if picked == NUMBERS:
        return [f"#{i}" for i in range(count)]
    if picked != TYPED:
        return classes.labels(picked, lang())
    text = st.text_area(t("classes.typed_help", count=count), key=f"{key}_classes_typed")
    if not text.strip():
        return None
    try:
        return classes.parse_typed(text, count)
    except CnnvizError as error:
        show_error(error)
        return None


def _scaling(key: str, channels: int) -> scaling.Scaling | None:
    """How the model's training scaled its input: /255 (the course's way), none, or standardised."""
    kind = choice(t("scaling.choose"), list(scaling.SCALINGS), key=f"{key}_scaling",
                  widget="selectbox", format_func=lambda k: t(f"scaling.kind.{k}"))  # fmt: skip
    if kind != "standardize":
        return scaling.Scaling(kind)
    mean_column, std_column = st.columns(2)
    mean = mean_column.text_input(t("scaling.mean", channels=channels), key=f"{key}_mean")
    std = std_column.text_input(t("scaling.std", channels=channels), key=f"{key}_std")
    if not (mean.strip() and std.strip()):  # nothing typed yet: only the two boxes
        return None
    try:
        return scaling.standardize(mean, std, channels)
    except CnnvizError as error:
        show_error(error)
        return None


def uploaded(key: str, describe) -> ChosenModel | None:
    """The uploaded model with its class names and scaling; None until all three are given."""
    upload = st.file_uploader(t("features.model_upload"), type=FILE_TYPES,
                              key=f"{key}_model_upload", help=t("features.model_upload_help"))  # fmt: skip
    if upload is None:
        st.caption(t("features.model_upload_help"))
        return None
    entry = _loaded(key, upload)
    if isinstance(entry, CnnvizError):
        show_error(entry)
        return None
    model, carried = entry
    try:
        outline = describe(model, "uploaded", upload.name)
    except CnnvizError as error:
        show_error(error)
        return None
    count = len(outline.class_names)
    names = carried if carried and len(carried) == count else None
    if names is None:
        names = _class_names(key, count, outline.input_shape)
    preprocess = _scaling(key, outline.input_shape[2])
    if names is None or preprocess is None:
        return None
    return describe(model, "uploaded", upload.name, names, preprocess)
