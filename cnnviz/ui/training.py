"""The Train page's Streamlit side: choices, one training job per browser session, the live view.

The training itself runs in a `cnnviz.jobs.TrainingJob`, a thread that never calls Streamlit and
hands the work to a training process at a lower priority (`cnnviz.workers`), so students' pages
come first. Here: the server-wide gate and pool of training processes (one each per server, in
`st.cache_resource`), the session's job slot
(`cache_resource(scope="session")`, whose `on_release` stops a job whose tab was closed), the
polling fragment that redraws the curves only while a job runs, and the results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import streamlit as st

from cnnviz import curves, data, jobs, models, params, plots, recipes, workers
from cnnviz.architectures import ARCHITECTURES
from cnnviz.errors import CnnvizError
from cnnviz.ui import choice, lang, show_error, t
from cnnviz.ui.inputs import layer_table_editor
from cnnviz.ui.model_store import SessionModel, add_session_model

QUICK_SIZES = [None, 4000, 1000, 300]  # training images: all, or a quick demo
BATCH_SIZES = [16, 32, 64, 100, 128, 200, 256, 512]
LEARNING_RATES = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
LIVE_SECONDS = 0.5  # a lone student's curves redraw twice a second
MISCLASSIFIED_SHOWN = 16


# --- shared by the server, and per session ---------------------------------------------------------


@st.cache_resource
def training_gate() -> jobs.TrainingGate:
    """The one gate of this server: at most $CNNVIZ_MAX_TRAININGS (2) trainings at once."""
    return jobs.TrainingGate(jobs.max_trainings_from_env())


@st.cache_resource
def training_workers() -> workers.WorkerPool:
    """The server's pool of training processes, one spare started at once."""
    pool = workers.WorkerPool()
    pool.warm()
    return pool


@dataclass
class JobSlot:
    """This session's training job and what the page remembers about it."""

    job: jobs.TrainingJob | None = None
    dataset: data.Dataset | None = None  # what the job trained on, for the results
    model_name: str = ""
    stored: bool = False
    uploads: dict[str, str] = field(default_factory=dict)  # file id -> stored model name


def _stop_job(slot: JobSlot) -> None:
    """A closed tab stops its training, so it frees its place in the gate."""
    if slot.job is not None:
        slot.job.stop()


@st.cache_resource(scope="session", on_release=_stop_job, show_spinner=False)
def job_slot() -> JobSlot:
    return JobSlot()


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
    for array in (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test):
        array.setflags(write=False)
    return dataset


@st.cache_data(max_entries=32, show_spinner=False)
def _preview(
    dataset_key: tuple, augmentation: recipes.Augmentation, seed: int
) -> recipes.AugmentPreview:
    dataset = (
        load_dataset(dataset_key[0])
        if dataset_key[0] != "folder"
        else load_folder(*dataset_key[1:])
    )
    return recipes.augment_preview(dataset, augmentation, n=8, seed=seed)


# --- choices ---------------------------------------------------------------------------------------


DOWNLOAD_REQUEST = "train_download_request"  # set by the download button's callback: the set


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


@dataclass(frozen=True)
class ModelChoice:
    """The layers to build and what to call the model."""

    name: str
    layers: list[dict]
    too_large: bool


def fitting_presets(dataset: data.Dataset) -> list[str]:
    """The course models whose layers work on this dataset's image size."""
    fits = []
    for name, architecture in ARCHITECTURES.items():
        try:
            params.summarize(architecture, dataset.input_shape, dataset.num_classes)
        except CnnvizError:
            continue
        fits.append(name)
    return fits


def model_picker(dataset: data.Dataset) -> ModelChoice | None:
    """A course model that fits the data, or its layer table edited; checked before building."""
    presets = fitting_presets(dataset)
    if not presets:
        st.info(t("train.no_preset"))
        presets = ["mlp"]
    preset = choice(
        t("train.preset"),
        presets,
        key="train_preset",
        widget="selectbox",
        index=presets.index("mnist_cnn") if "mnist_cnn" in presets else 0,
        format_func=lambda n: t(f"models.name.{n}"),
    )
    others = [t(f"models.name.{n}") for n in ARCHITECTURES if n not in presets]
    if others:
        shape = "×".join(map(str, dataset.input_shape))
        st.caption(t("train.other_presets", shape=shape, names=", ".join(others)))
    layers = list(ARCHITECTURES[preset].layers)
    edit = st.toggle(t("train.edit_layers"), key="train_edit")
    if edit:
        layers = layer_table_editor(f"train_{preset}", layers)
    try:
        summary = params.summarize(layers, dataset.input_shape, dataset.num_classes)
    except CnnvizError as error:
        show_error(error)
        return None
    too_large = summary.total > models.CPU_MAX_PARAMS or not ARCHITECTURES[preset].trainable_on_cpu
    st.caption(t("train.model_size", params=summary.total, layers=len(layers)))
    return ModelChoice("custom" if edit else preset, layers, too_large)


def settings(dataset: data.Dataset) -> recipes.TrainConfig:
    """The hyperparameters, starting from a course recipe; each recipe keeps its own widgets."""
    recipe_name = choice(
        t("train.recipe"),
        list(recipes.RECIPES),
        key="train_recipe",
        widget="selectbox",
        format_func=lambda r: t(f"train.recipe_{r}"),
    )
    recipe = recipes.RECIPES[recipe_name]
    key = f"train_{recipe_name}"
    left, right = st.columns(2)
    epochs = left.number_input(t("train.epochs"), 1, 200, recipe.epochs, key=f"{key}_epochs")
    batch_size = right.select_slider(
        t("train.batch_size"), BATCH_SIZES, recipe.batch_size, key=f"{key}_batch"
    )
    optimizer = choice(
        t("train.optimizer"),
        list(recipes.OPTIMIZERS),
        key=f"{key}_optimizer",
        index=recipes.OPTIMIZERS.index(recipe.optimizer),
        format_func=lambda o: t(f"train.optimizer_{o}"),
        horizontal=True,
    )
    rate = st.select_slider(
        t("train.learning_rate"),
        LEARNING_RATES,
        min(LEARNING_RATES, key=lambda r: abs(math.log(r / recipe.learning_rate))),
        format_func=lambda r: f"{r:g}",
        key=f"{key}_rate",
    )
    momentum, nesterov = recipe.momentum, recipe.nesterov
    if optimizer == "sgd":
        momentum = st.slider(
            t("train.momentum"), 0.0, 0.99, recipe.momentum, 0.01, key=f"{key}_mom"
        )
        nesterov = st.checkbox(t("train.nesterov"), recipe.nesterov, key=f"{key}_nesterov")
    decay = None
    if st.toggle(t("train.decay"), recipe.lr_decay is not None, key=f"{key}_decay"):
        start = recipe.lr_decay or recipes.LearningRateDecay()
        steps = st.number_input(
            t("train.decay_steps"), 1, 1_000_000, start.decay_steps, key=f"{key}_ds"
        )
        rate_per = st.slider(
            t("train.decay_rate"), 0.5, 1.0, start.decay_rate, 0.01, key=f"{key}_dr"
        )
        staircase = st.checkbox(t("train.staircase"), start.staircase, key=f"{key}_stair")
        decay = recipes.LearningRateDecay(int(steps), float(rate_per), staircase)
    left, right = st.columns(2)
    validation = left.slider(
        t("train.validation_split"), 0.0, 0.5, recipe.validation_split, 0.05, key=f"{key}_val"
    )
    seed = right.number_input(t("train.seed"), 0, 10_000, recipe.seed, key=f"{key}_seed")
    size = choice(
        t("train.images"),
        QUICK_SIZES,
        key="train_images",
        widget="selectbox",
        format_func=lambda n: (
            t("train.images_all", count=len(dataset.x_train)) if n is None else f"{n:,}"
        ),
    )
    return recipes.TrainConfig(
        epochs=int(epochs),
        batch_size=int(batch_size),
        optimizer=optimizer,
        learning_rate=float(rate),
        momentum=float(momentum),
        nesterov=bool(nesterov),
        lr_decay=decay,
        validation_split=float(validation),
        augmentation=recipe.augmentation,
        seed=int(seed),
        max_train_images=None if size is None else min(size, len(dataset.x_train)),
    )


def augmentation_controls(start: recipes.Augmentation) -> recipes.Augmentation:
    """Sliders for the course's augmentation (day 4), starting from the recipe's."""
    left, right = st.columns(2)
    rotation = left.slider(t("train.rotation"), 0, 45, int(start.rotation), key="train_rotation")
    shift = right.slider(t("train.shift"), 0.0, 0.3, start.shift, 0.05, key="train_shift")
    zoom = left.slider(t("train.zoom"), 0.0, 0.3, start.zoom, 0.05, key="train_zoom")
    shear = right.slider(t("train.shear"), 0.0, 0.3, start.shear, 0.05, key="train_shear")
    flip = st.checkbox(t("train.flip"), start.flip, key="train_flip")
    return recipes.Augmentation(float(rotation), float(shift), float(zoom), float(shear), flip)


def augmentation_preview(dataset: data.Dataset, key: tuple, config: recipes.TrainConfig) -> None:
    """Eight training images and one augmented version of each."""
    preview = _preview(key, config.augmentation, config.seed)
    labels = data.class_labels(dataset, lang())
    titles = [labels[int(label)] for label in preview.labels] * 2
    images = np.concatenate([preview.originals, preview.augmented])
    st.plotly_chart(plots.image_grid_figure(images, titles), key="train_augment_preview")
    st.caption(t("train.augment_caption"))


# --- training and the live view -------------------------------------------------------------------


def start_training(chosen: ModelChoice, dataset: data.Dataset, config: recipes.TrainConfig) -> None:
    """Replace this session's job with a new one and start it (the old result is let go)."""
    slot = job_slot()
    if slot.job is not None:
        slot.job.stop()
    build = partial(
        models.build, chosen.layers, dataset.input_shape, dataset.num_classes, seed=config.seed
    )
    name = f"{chosen.name} · {dataset.name}"
    slot.job = jobs.TrainingJob(
        build, dataset, config, training_gate(), name=name, run=training_workers().train
    )
    slot.dataset, slot.model_name, slot.stored = dataset, name, False
    slot.job.start()


def current_job() -> jobs.TrainingJob | None:
    """This session's job. (Opening the Train page also starts the server's spare training
    process, so the first training does not wait for it to load Keras.)"""
    training_workers()
    return job_slot().job


def poll_seconds(waiting: bool) -> float:
    """Redraw twice a second while few train; slower with more, and once a second in the queue."""
    if waiting:
        return 1.0
    running = training_gate().running
    return LIVE_SECONDS if running <= 2 else min(2.0, LIVE_SECONDS * running / 2)


def curve_labels() -> plots.CurveLabels:
    return plots.CurveLabels(
        loss=t("train.loss"),
        accuracy=t("train.accuracy"),
        epoch=t("train.epoch"),
        batches=t("train.curve_batches"),
        train=t("train.curve_train"),
        validation=t("train.curve_validation"),
    )


def _live_view() -> None:
    """Progress, queue place, the curves so far and Stop; reruns the page when the job ends."""
    job = current_job()
    snapshot = job.snapshot() if job is not None else None
    if snapshot is None or not snapshot.active:
        st.rerun()
    progress, stop = st.columns([5, 1], vertical_alignment="bottom")
    stop.button(t("train.stop"), key="train_stop", on_click=job.stop, icon=":material/stop:")
    if snapshot.status == "waiting":
        progress.info(
            t("train.queued", position=snapshot.queue_position, limit=training_gate().limit)
        )
        return
    curves_so_far = snapshot.curves
    if curves_so_far is None or not curves_so_far.steps_done:
        progress.progress(0.0, text=t("train.starting", epochs=job.config.epochs))
        return
    text = t(
        "train.progress",
        epoch=curves_so_far.epoch,
        epochs=job.config.epochs,
        step=curves_so_far.batch_in_epoch,
        steps=curves_so_far.steps_per_epoch,
    )
    if snapshot.seconds_left is not None:
        text += " · " + t("train.time_left", seconds=math.ceil(snapshot.seconds_left))
    progress.progress(curves_so_far.fraction_done, text=text)
    st.plotly_chart(plots.training_curves(curves_so_far, curve_labels()), key="train_live_chart")


def live_view() -> None:
    """The live view, polled by a fragment only while this session's job runs."""
    job = current_job()
    waiting = job is not None and job.status == "waiting"
    st.fragment(_live_view, run_every=poll_seconds(waiting))()


def results() -> None:
    """After training: test accuracy, curves, overfitting note, confusion, mistakes, downloads."""
    slot = job_slot()
    job = slot.job
    if job is None or not job.done:
        return
    if job.error is not None:
        show_error(job.error)
        return
    result = job.result
    if result is None:  # stopped while still in the queue
        st.info(t("train.cancelled"))
        return
    dataset = slot.dataset
    labels = data.class_labels(dataset, lang())
    if not slot.stored:
        entry = SessionModel(
            slot.model_name, result.model, list(labels), dataset.input_shape, "trained"
        )
        add_session_model(entry)
        slot.stored = True
    if result.stopped:
        st.info(t("train.stopped", epochs=result.epochs_done))
    accuracy, loss, seconds = st.columns(3)
    accuracy.metric(t("train.test_accuracy"), f"{result.test_accuracy:.1%}")
    loss.metric(t("train.test_loss"), f"{result.test_loss:.3f}")
    seconds.metric(t("train.seconds"), f"{result.seconds:.1f} s")
    st.plotly_chart(plots.training_curves(result.curves, curve_labels()), key="train_result_chart")
    best = curves.overfitting_epoch(result.curves)
    if best is not None:
        st.warning(t("train.overfitting", epoch=best))
    st.caption(t("train.stored", name=slot.model_name))
    confusion, mistakes = st.columns([2, 3])
    with confusion:
        st.subheader(t("train.confusion"))
        figure = plots.confusion_matrix_figure(
            result.confusion, labels, t("train.true"), t("train.predicted")
        )
        st.plotly_chart(figure, key="train_confusion")
    with mistakes:
        st.subheader(t("train.mistakes"))
        wrong = curves.misclassified(dataset.y_test, result.predictions, MISCLASSIFIED_SHOWN)
        if len(wrong) == 0:
            st.success(t("train.no_mistakes"))
        else:
            titles = [
                t(
                    "train.true_predicted",
                    true=labels[dataset.y_test[i]],
                    predicted=labels[result.predictions[i]],
                )
                for i in wrong
            ]
            st.plotly_chart(
                plots.image_grid_figure(dataset.x_test[wrong], titles), key="train_mistakes"
            )
    model, csv_text = result.model, result.curves.to_csv()
    class_names = list(dataset.class_names)
    left, right = st.columns(2)
    left.download_button(
        t("train.download_model"),
        data=lambda: models.save_bytes(model, class_names),
        file_name=f"{slot.model_name.split(' · ')[0]}.keras",
        mime="application/zip",
        on_click="ignore",
        key="train_download_model",
    )
    right.download_button(
        t("train.download_curves"),
        data=csv_text,
        file_name="learning_curves.csv",
        mime="text/csv",
        on_click="ignore",
        key="train_download_curves",
    )


def upload_model() -> None:
    """Bring a .keras, .h5 or .hdf5 model: loaded with safe_mode=True and kept for the other
    pages, with the class names the file carries."""
    upload = st.file_uploader(t("train.upload"), type=None, key="train_upload")
    if upload is None:
        return
    slot = job_slot()
    if upload.file_id not in slot.uploads:
        content = upload.getvalue()
        try:
            model = models.load_uploaded(content, upload.name)
        except CnnvizError as error:
            show_error(error)
            return
        outputs = int(model.output_shape[-1])
        carried = models.carried_class_names(content)
        class_names = carried if carried and len(carried) == outputs else None
        name = Path(upload.name).stem
        entry = SessionModel(
            name,
            model,
            class_names or [str(i) for i in range(outputs)],
            tuple(model.input_shape[1:]),
            "uploaded",
        )
        add_session_model(entry)
        slot.uploads[upload.file_id] = name
    name = slot.uploads[upload.file_id]
    st.success(t("train.uploaded", name=name))
