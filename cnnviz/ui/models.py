"""Choosing a model on the Feature maps and Rotation pages: the shipped pretrained MLP and CNN
(loaded once per server and warmed up), this session's models, or an uploaded .keras file.

Also the Rotation page's extra lesson: train both course models again with rotation
augmentation, in background jobs, and keep them for this session.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import streamlit as st

from cnnviz import data, features, models, rotation, training
from cnnviz.architectures import ARCHITECTURES
from cnnviz.errors import CnnvizError, ModelError
from cnnviz.ui import choice, show_error, t
from cnnviz.ui.model_store import SessionModel, add_session_model, session_models

# The Train page's server-wide gate, shared so both pages together keep to its limit. (Importing
# cnnviz.ui.training also freezes the long-lived objects out of Python's collections.)
from cnnviz.ui.training import training_gate, training_workers

PRETRAINED = ("mnist_cnn", "mlp")
UPLOAD = "upload"


@dataclass(frozen=True)
class ChosenModel:
    """A model ready to run, with what the pages need to show its answers."""

    label: str
    model: Any  # keras.Model
    class_names: list[str]
    input_shape: tuple[int, int, int]
    source: str  # "pretrained", "trained" or "uploaded"

    @property
    def is_mnist(self) -> bool:
        """True for a model that reads 28×28 gray digits (a photo goes through prepare_digit)."""
        digits = [str(d) for d in range(10)]
        return tuple(self.input_shape) == (28, 28, 1) and list(self.class_names) == digits


@st.cache_resource(show_spinner=False)
def pretrained(name: str):
    """The shipped model `name` ("mlp" or "mnist_cnn"), shared by every session, warmed up once."""
    model = models.load_pretrained(name)
    features.warm_up(model)
    return model


@st.cache_resource(show_spinner=False)
def pretrained_class_names(name: str) -> list[str]:
    """The shipped model's class names, from its JSON."""
    return [str(name) for name in models.pretrained_info(name)["class_names"]]


@st.cache_resource(show_spinner=False)
def mnist_sample():
    """The embedded MNIST sample (cnnviz.data), loaded once per server."""
    return data.load("mnist")


def _describe(model, source: str, label: str, class_names: list[str] | None = None) -> ChosenModel:
    """Check the model reads pictures and answers one score per class; raise ModelError if not."""
    input_shape = features.model_input_shape(model)
    outputs = model.outputs[0].shape
    if len(outputs) != 2:
        raise ModelError("features.not_a_classifier", shape=str(tuple(outputs)))
    classes = int(outputs[-1])
    if not class_names or len(class_names) != classes:
        digits = classes == 10 and input_shape == (28, 28, 1)
        class_names = (
            [str(i) for i in range(classes)] if digits else [f"#{i}" for i in range(classes)]
        )
    return ChosenModel(label, model, list(class_names), input_shape, source)


def _uploaded(key: str) -> ChosenModel | None:
    """An uploaded .keras model, loaded (safe_mode) and warmed once per file."""
    upload = st.file_uploader(
        t("features.model_upload"), type=["keras"], key=f"{key}_model_upload",
        help=t("features.model_upload_help"),
    )  # fmt: skip
    if upload is None:
        st.caption(t("features.model_upload_help"))
        return None
    memo = f"{key}_model_loaded"
    if st.session_state.get(memo, (None,))[0] != upload.file_id:
        try:
            with st.spinner(t("features.model_loading")):
                model = models.load_uploaded(upload.getvalue())
                entry = _describe(model, "uploaded", upload.name)
                features.warm_up(model)
        except CnnvizError as error:
            entry = error
        except Exception as error:  # a model Keras loads but cannot run on a picture
            entry = ModelError("features.model_cannot_run", reason=str(error).splitlines()[0])
        st.session_state[memo] = (upload.file_id, entry)
    entry = st.session_state[memo][1]
    if isinstance(entry, CnnvizError):
        show_error(entry)
        return None
    return entry


def model_picker(key: str) -> ChosenModel | None:
    """A selectbox of the shipped models, this session's models and an upload; None if none yet."""
    mine = session_models()
    options = [f"pretrained:{name}" for name in PRETRAINED]
    options += [f"session:{name}" for name in mine] + [UPLOAD]

    def label(option: str) -> str:
        kind, _, name = option.partition(":")
        if kind == "pretrained":
            return t(f"models.pretrained.{name}")
        if kind == "session":
            return t("features.model_session", name=name)
        return t("features.model_upload_option")

    picked = choice(t("features.model"), options, key=f"{key}_model", widget="selectbox",
                    format_func=label)  # fmt: skip
    kind, _, name = picked.partition(":")
    try:
        if kind == "pretrained":
            with st.spinner(t("features.model_loading")):
                model = pretrained(name)
            return _describe(model, "pretrained", label(picked), pretrained_class_names(name))
        if kind == "session":
            entry = mine[name]
            return _describe(entry.model, entry.source, label(picked), entry.class_names)
    except CnnvizError as error:
        show_error(error)
        return None
    return _uploaded(key)


# --- the Rotation page: both course models trained again with rotation augmentation --------------

COURSE_MODELS = ("mlp", "mnist_cnn")
ROTATION_JOBS = "rotation_jobs"  # session key: (degrees, {name: TrainingJob})
ROTATION_MODELS = "rotation_augmented"  # session key: (degrees, {name: keras.Model})
ROTATION_ERRORS = "rotation_training_errors"  # session key: [CnnvizError] of the last try
ROTATION_CURVES = "rotation_augmented_curves"  # session key: {axis: [AccuracyCurve, ...]}
ROTATION_EPOCHS = 3
CURVE_DIGITS = 1000  # test digits behind each point of the accuracy curves


def _curves(trained: dict, suffix: str = "") -> dict:
    """{"angle": [curve per model], "shift": [...]} over the first CURVE_DIGITS test digits."""
    sample = mnist_sample()
    digits, labels = sample.x_test[:CURVE_DIGITS], sample.y_test[:CURVE_DIGITS]
    return {
        axis: [
            rotation.accuracy_curve(model, digits, labels, axis, model_name=name + suffix)
            for name, model in trained.items()
        ]
        for axis in ("angle", "shift")
    }


@st.cache_resource(show_spinner=False)
def shipped_curves() -> dict:
    """Accuracy of the shipped MLP and CNN against angle and against shift, once per server."""
    return _curves({name: pretrained(name) for name in COURSE_MODELS})


@st.cache_resource(show_spinner=False)
def mean_pixels_changed() -> float:
    """Mean count of input values that change when a test digit moves one pixel right."""
    return rotation.mean_pixels_changed(mnist_sample().x_test[:CURVE_DIGITS])


def start_rotation_training(degrees: float) -> None:
    """Train fresh MLP and CNN on the embedded sample with rotations up to ± `degrees`, in the
    background (one job each, behind the server's training gate)."""
    config = training.TrainConfig(
        epochs=ROTATION_EPOCHS,
        augmentation=training.Augmentation(rotation=float(degrees)),
        seed=0,
    )
    jobs = {
        name: training.TrainingJob(
            partial(models.build, ARCHITECTURES[name], seed=0),
            mnist_sample(),
            config,
            training_gate(),
            name=name,
            workers=training_workers(),
        )
        for name in COURSE_MODELS
    }
    for job in jobs.values():
        job.start()
    st.session_state[ROTATION_JOBS] = (degrees, jobs)
    st.session_state[ROTATION_ERRORS] = []


def rotation_training_running() -> bool:
    """True while this session's augmented training is queued or running."""
    _, jobs = st.session_state.get(ROTATION_JOBS, (None, {}))
    return any(not job.done for job in jobs.values())


def augmented_models() -> tuple[float, dict] | None:
    """(degrees, {"mlp": model, "mnist_cnn": model}) once this session trained them, else None."""
    return st.session_state.get(ROTATION_MODELS)


def augmented_curves() -> dict:
    """The augmented models' curves ({axis: [curve, ...]}, model names "mlp:aug" …), or {}."""
    return st.session_state.get(ROTATION_CURVES, {})


def rotation_training_progress() -> None:
    """Progress of the augmented training; when both are done, keep the models and rerun.

    A training that failed leaves its message on the page until the next try.
    """
    for error in st.session_state.get(ROTATION_ERRORS, []):
        show_error(error)
    degrees, jobs = st.session_state.get(ROTATION_JOBS, (None, {}))
    if not jobs:
        return
    snapshots = {name: job.snapshot() for name, job in jobs.items()}
    for name, snapshot in snapshots.items():
        label = t(f"rotation.model_{name}")
        if snapshot.status == "waiting":
            position = snapshot.queue_position
            st.caption(t("rotation.training_waiting", model=label, position=position))
        elif snapshot.curves is not None and snapshot.active:
            done = len(snapshot.curves.batch_steps) / max(snapshot.curves.total_steps, 1)
            st.progress(min(done, 1.0), text=t("rotation.training_progress", model=label))
    if all(not s.active and s.status != "new" for s in snapshots.values()):
        del st.session_state[ROTATION_JOBS]
        st.session_state[ROTATION_ERRORS] = [s.error for s in snapshots.values() if s.error]
        trained = {name: s.result.model for name, s in snapshots.items() if s.result is not None}
        if len(trained) == len(COURSE_MODELS):
            _keep_augmented(degrees, trained)
        st.rerun()


def _keep_augmented(degrees: float, trained: dict) -> None:
    """Keep the augmented models for this session, on this page and among the session's models."""
    for name, model in trained.items():
        features.warm_up(model)
        label = f"{name}_rotation_{int(degrees)}"  # a name, like the Train page's, not a sentence
        add_session_model(
            SessionModel(label, model, [str(d) for d in range(10)], (28, 28, 1), "trained")
        )
    st.session_state[ROTATION_CURVES] = _curves(trained, suffix=":aug")
    st.session_state[ROTATION_MODELS] = (degrees, trained)
