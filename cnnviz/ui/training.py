"""The Train page's training job: one per browser session, its live view and its results.

The training itself runs in a `cnnviz.jobs.TrainingJob`, a thread that never calls Streamlit and
hands the work to a training process at a lower priority (`cnnviz.workers`), so students' pages
come first. Here: the server-wide gate and pool of training processes (one each per server, in
`st.cache_resource`), the session's job slot
(`cache_resource(scope="session")`, whose `on_release` stops a job whose tab was closed), the
polling fragment that redraws the curves (and the first convolution's filters) only while a job
runs, the results with the model's downloads (.keras and .h5) and its Keras code
(`cnnviz.code`), and a model brought as a file. The choices before a training are `train_data` and `train_settings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import streamlit as st

from cnnviz import code, curves, data, jobs, models, plots, recipes, tiles, training, workers
from cnnviz.architectures import ARCHITECTURES
from cnnviz.errors import CnnvizError, error_reason
from cnnviz.formatting import shape_text
from cnnviz.ui import lang, show_error, t
from cnnviz.ui.model_store import SessionModel, add_session_model
from cnnviz.ui.train_settings import ModelChoice

LIVE_SECONDS = 0.5  # a lone student's curves redraw twice a second
MISCLASSIFIED_SHOWN = 16
FILTER_PIXELS = 48  # a filter is drawn about this wide: a 3×3 one as squares of 16 pixels
# white between filters: each filter has a white weight of its own, and 2 pixels let them merge
FILTER_GAP = 6


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
    # what the Keras code of the training needs besides the dataset and the job's config
    preset: str = ""  # the course model, or "custom" for an edited table
    layers: list[dict] = field(default_factory=list)
    folder_name: str = ""  # the image folder's name, for an image-folder dataset
    h5: bytes | None = None  # the trained model as .h5, saved once the results show
    h5_error: str = ""


def stop_slot_job(slot: JobSlot) -> None:
    """A closed tab stops its training, so it frees its place in the gate (the release of this
    page's and the Teach page's session slots: anything with a `job`)."""
    if slot.job is not None:
        slot.job.stop()


@st.cache_resource(scope="session", on_release=stop_slot_job, show_spinner=False)
def job_slot() -> JobSlot:
    """This browser session's JobSlot, released (its job stopped) when the tab closes."""
    return JobSlot()


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
    slot.preset, slot.layers = chosen.name, [dict(layer) for layer in chosen.layers]
    folder = st.session_state.get("train_folder") if dataset.name == "folder" else None
    slot.folder_name = Path(folder).name if isinstance(folder, str) else ""
    slot.h5, slot.h5_error = None, ""
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
    if snapshot.filters is not None:  # an MLP has none
        st.markdown(f"**{t('train.filters_heading')}**")
        filters_picture(snapshot.filters, "train_live_filters")
        note = t("train.filters_live")
        if snapshot.filters.shape[-1] == training.MAX_FILTERS_SENT:
            note += " " + t("train.filters_first", shown=training.MAX_FILTERS_SENT)
        st.caption(note)


def filters_picture(kernel: np.ndarray, key: str) -> None:
    """A kernel's filters (kh, kw, C_in, F) as tiles (`tiles.kernel_grid`), each weight a sharp
    square, drawn at their own size (a browser enlarging a picture blurs it), in a container
    with `key`."""
    cell = max(1, FILTER_PIXELS // max(kernel.shape[:2]))
    grid = tiles.kernel_grid(kernel, cell=cell, gap=FILTER_GAP)
    # st.image rounds a picture's corners: a white margin keeps the corner filters whole
    margin = ((FILTER_GAP, FILTER_GAP), (FILTER_GAP, FILTER_GAP), (0, 0))[: grid.ndim]
    grid = np.pad(grid, margin, constant_values=255)
    with st.container(key=key):
        st.image(grid, output_format="PNG", width=grid.shape[1])


def final_filters(model) -> None:
    """The trained model's first convolution filters, all of them; a line for a model without."""
    layer = training.first_conv_layer(model)
    if layer is None:
        st.caption(t("train.filters_none"))
        return
    st.subheader(t("train.filters_heading"))
    kernel = training.first_conv_kernel(model, max_filters=None)
    filters_picture(kernel, "train_result_filters")
    st.caption(t("train.filters_help", name=layer.name, shape=shape_text(kernel.shape)))


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
        # saved once here, not at the click: a model HDF5 cannot hold gets a message, not a
        # broken download
        try:
            slot.h5 = models.save_h5_bytes(result.model)
        except Exception as error:  # h5py and Keras raise many types; all mean "no .h5"
            slot.h5_error = error_reason(error)
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
    final_filters(result.model)
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
    stem = slot.model_name.split(" · ")[0]
    left, middle, right = st.columns(3)
    left.download_button(
        t("train.download_model"),
        data=lambda: models.save_bytes(model, class_names),
        file_name=f"{stem}.keras",
        mime="application/zip",
        on_click="ignore",
        key="train_download_model",
    )
    if slot.h5 is not None:
        middle.download_button(
            t("code.download_h5"),
            data=slot.h5,
            file_name=f"{stem}.h5",
            mime="application/x-hdf5",
            on_click="ignore",
            key="train_download_h5",
        )
    else:
        middle.info(t("code.h5_failed", reason=slot.h5_error))
    right.download_button(
        t("train.download_curves"),
        data=csv_text,
        file_name="learning_curves.csv",
        mime="text/csv",
        on_click="ignore",
        key="train_download_curves",
    )
    keras_code(slot, job.config)


def keras_code(slot: JobSlot, config: recipes.TrainConfig) -> None:
    """The "Show the Keras code" expander: the script that builds and trains this model (a copy
    button and a download), from what the slot remembers of the training."""
    dataset = slot.dataset
    spec = ARCHITECTURES.get(slot.preset) or slot.layers
    folder_like = dataset.name in code.FOLDER_DATASETS
    try:
        script = code.training_script(
            spec,
            dataset.name,
            config,
            input_shape=dataset.input_shape,
            class_names=list(dataset.class_names) if folder_like else None,
            data_dir=slot.folder_name or None,
            model_name=slot.preset,
            lang=lang(),
        )
    except CnnvizError as error:
        show_error(error)
        return
    file_name = code.file_stem(spec, slot.preset) + ".py"  # as the script's header says
    with st.expander(t("code.show"), icon=":material/code:"):
        st.markdown(t("code.intro", file=file_name))
        st.download_button(
            t("code.download"),
            data=script,
            file_name=file_name,
            mime="text/x-python",
            on_click="ignore",
            key="train_download_code",
        )
        st.code(script, language="python", line_numbers=True)


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
