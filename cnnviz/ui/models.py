"""Choosing a model on the Feature maps and Rotation pages: the shipped pretrained MLP and CNNs
(loaded once per server and warmed up), ImageNet's photo models (`cnnviz.ui.imagenet`), this
session's models, or the teacher's uploaded file (`cnnviz.ui.uploaded_model`).

Also the Rotation page's extra lesson: train both course models again with rotation
augmentation, in background jobs, and keep them for this session.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from cnnviz import applications, data, features, images, models, rotation
from cnnviz.architectures import ARCHITECTURES
from cnnviz.errors import CnnvizError
from cnnviz.jobs import TrainingJob
from cnnviz.recipes import Augmentation, TrainConfig
from cnnviz.ui import choice, imagenet, set_choice, show_error, t, uploaded_model
from cnnviz.ui.chosen import ChosenModel, describe
from cnnviz.ui.model_store import SessionModel, add_session_model, session_models
from cnnviz.ui.picture import Picture

# The Train page's server-wide gate and training processes, shared so both pages together keep
# to the gate's limit.
from cnnviz.ui.training import training_gate, training_workers

PRETRAINED = ("mnist_cnn", "mlp", "fashion_cnn")
UPLOAD = "upload"


@st.cache_resource(show_spinner=False)
def pretrained(name: str):
    """The shipped model `name` ("mlp", "mnist_cnn", "fashion_cnn"), shared by every session,
    warmed up once."""
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


def mnist_test_digit(key: str, max_side: int = 0) -> Picture:
    """A picture source (`picture.picture_picker`'s `extra`): a test digit of the embedded
    sample, already as MNIST, (28, 28, 1) in 0..1; its true label under the number."""
    digits = mnist_sample()
    index = int(st.number_input(t("widgets.digit_index"), 0, len(digits.x_test) - 1, 0,
                                key=f"{key}_digit"))  # fmt: skip
    st.caption(t("widgets.digit_label", label=int(digits.y_test[index])))
    return Picture(images.unit_range(digits.x_test[index]), False, "digit")


def _option_label(option: str) -> str:
    kind, _, name = option.partition(":")
    if kind == "pretrained":
        return t(f"models.pretrained.{name}")
    if kind == "imagenet":
        return t(f"applications.model.{name}")
    if kind == "session":
        return t("features.model_session", name=name)
    return t("features.model_upload_option")


def model_picker(key: str, photo_models: bool = True) -> ChosenModel | None:
    """A selectbox of the shipped models, ImageNet's photo models (downloaded on demand), this
    session's models and an upload; None until the chosen one can run."""
    mine = session_models()
    options = [f"pretrained:{name}" for name in PRETRAINED]
    if photo_models:
        options += [f"imagenet:{name}" for name in applications.PHOTO_MODELS]
    options += [f"session:{name}" for name in mine] + [UPLOAD]
    picked = choice(t("features.model"), options, key=f"{key}_model", widget="selectbox",
                    format_func=_option_label)  # fmt: skip
    kind, _, name = picked.partition(":")
    try:
        if kind == "pretrained":
            with st.spinner(t("features.model_loading")):
                model = pretrained(name)
            return describe(
                model, "pretrained", _option_label(picked), pretrained_class_names(name)
            )
        if kind == "imagenet":
            return imagenet.photo_model(key, name, _option_label(picked))
        if kind == "session":
            entry = mine[name]
            return describe(entry.model, entry.source, _option_label(picked), entry.class_names)
    except CnnvizError as error:
        show_error(error)
        return None
    return uploaded_model.uploaded(key, describe)


def switch_to(key: str, option: str) -> None:
    """Choose `option` ("imagenet:mobilenet_v2" …) in `model_picker(key)` on the next run."""
    set_choice(f"{key}_model", option)


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
    config = TrainConfig(
        epochs=ROTATION_EPOCHS,
        augmentation=Augmentation(rotation=float(degrees)),
        seed=0,
    )
    jobs = {
        name: TrainingJob(
            partial(models.build, ARCHITECTURES[name], seed=0),
            mnist_sample(),
            config,
            training_gate(),
            name=name,
            run=training_workers().train,
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
            done = snapshot.curves.fraction_done  # a report may stand for many batches (a GPU)
            st.progress(done, text=t("rotation.training_progress", model=label))
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
        add_session_model(SessionModel(label, model, list(data.DIGITS), (28, 28, 1), "trained"))
    st.session_state[ROTATION_CURVES] = _curves(trained, suffix=":aug")
    st.session_state[ROTATION_MODELS] = (degrees, trained)
