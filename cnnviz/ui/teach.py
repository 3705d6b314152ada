"""The Teach page's widgets: the class names, the pictures of each class, the training and the
trained model's guesses for new camera pictures.

A student's pictures are theirs alone: `st.session_state[PICTURES_KEY]` holds one list of
(96, 96, 3) uint8 pictures per class (`teach.STORED_SIDE`), in memory only, never on disk. The
training is a `cnnviz.jobs.TrainingJob` behind the server's gate and in its training processes
(`cnnviz.ui.training.training_gate`, `training_workers`), kept in this session's own slot
(`teach_slot`, released with the tab, which stops its job), as the Train page keeps its own.

A camera picture or an upload is taken in the widget's `on_change` callback, which then gives
the widget a new key: the camera is ready for the next picture at once, and a rerun never adds
the same picture twice.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import partial

import numpy as np
import streamlit as st

from cnnviz import i18n, images, jobs, models, plots, predictions, teach
from cnnviz.data import Dataset
from cnnviz.errors import CnnvizError, ImageError
from cnnviz.ui import choice, lang, show_error, t
from cnnviz.ui import live as live_ui
from cnnviz.ui import training as training_ui
from cnnviz.ui.chosen import ChosenModel, describe
from cnnviz.ui.model_store import SessionModel, add_session_model
from cnnviz.ui.secure import camera_notice

PICTURES_KEY = "teach_pictures"  # {class index: [pictures]}
NAMES_KEY = "teach_names"  # {class index: the name as typed}: widget state goes with its page
COUNT_KEY = "teach_class_count"
NOTE_KEY = "teach_note"  # (catalogue key, values, kind) said once after a picture was taken
ERROR_KEY = "teach_error"  # a CnnvizError from the Train button
TRAININGS_KEY = "teach_trainings"  # how many trainings this session has started
THUMBNAILS = 8  # the newest pictures of a class shown, each with its remove button
THUMBNAIL_SIDE = 64
PHOTO_SIDE = 1024  # a camera picture or upload decoded at most this large before `prepare`
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")


def plain(text: str) -> str:
    """`text` shown as typed where Streamlit reads Markdown: every Markdown character escaped."""
    return _MARKDOWN.sub(r"\\\1", text)


# --- the classes ------------------------------------------------------------------------------------


def _default_name(number: int, in_lang: str) -> str:
    return i18n.t("teach.default_name", in_lang, number=number)


def _name_input(index: int) -> str:
    """One class's name box, remembered across pages; an untouched default follows the language."""
    saved = st.session_state.setdefault(NAMES_KEY, {})
    key = f"teach_name_{index}"
    value = st.session_state.get(key, saved.get(index))
    defaults = {_default_name(index + 1, other) for other in i18n.LANGUAGES}
    if value is None or value in defaults:
        value = _default_name(index + 1, lang())
    st.session_state[key] = value
    typed = st.text_input(t("teach.name_label", number=index + 1), key=key)
    saved[index] = typed
    return typed


def class_names() -> list[str] | None:
    """How many classes (2–5) and their names; the checked names, or None and the message."""
    saved = st.session_state.setdefault(COUNT_KEY, teach.DEFAULT_CLASSES)
    st.session_state["teach_classes"] = st.session_state.get("teach_classes", saved)
    count = st.number_input(
        t("teach.class_count"),
        min_value=teach.MIN_CLASSES,
        max_value=teach.MAX_CLASSES,
        step=1,
        key="teach_classes",
    )
    st.session_state[COUNT_KEY] = int(count)
    columns = st.columns(teach.MAX_CLASSES)
    typed = []
    for index in range(int(count)):
        with columns[index]:
            typed.append(_name_input(index))
    try:
        return teach.check_class_names(typed)
    except CnnvizError as error:
        show_error(error)
        return None


# --- the pictures -----------------------------------------------------------------------------------


def pictures(count: int) -> list[list[np.ndarray]]:
    """This session's pictures, one list per class (the first `count` classes)."""
    kept = st.session_state.setdefault(PICTURES_KEY, {})
    return [kept.setdefault(index, []) for index in range(count)]


def _counts() -> list[int]:
    kept = st.session_state.setdefault(PICTURES_KEY, {})
    return [len(kept.get(index, [])) for index in range(teach.MAX_CLASSES)]


def _add(index: int, picture: np.ndarray) -> bool:
    """Keep one decoded picture for class `index`; False when the class or the session is full."""
    if teach.room_for(_counts(), index) < 1:
        return False
    kept = st.session_state.setdefault(PICTURES_KEY, {})
    kept.setdefault(index, []).append(teach.prepare(picture, teach.STORED_SIDE))
    return True


def _say(key: str, kind: str = "info", **values: object) -> None:
    st.session_state[NOTE_KEY] = (key, values, kind)


def _full_note(index: int) -> None:
    _say("teach.full", "warning", per_class=teach.MAX_PER_CLASS, total=teach.MAX_TOTAL)


def _widget_number(name: str) -> int:
    return st.session_state.get(f"teach_{name}_number", 0)


def _next_widget(name: str) -> None:
    """A new key for the camera or the uploader: an empty widget, ready for the next pictures."""
    st.session_state[f"teach_{name}_number"] = _widget_number(name) + 1


def _take_shot(key: str) -> None:
    """The camera's on_change: keep the picture for the class chosen, then a fresh camera."""
    shot = st.session_state.get(key)
    if shot is None:
        return
    index = st.session_state.get("teach_target", 0)
    try:
        picture = images.load_image(shot.getvalue(), PHOTO_SIDE)
    except ImageError as error:
        _say(error.key, "error", **error.values)
        return
    if not _add(index, picture):
        _full_note(index)
    _next_widget("camera")


def _take_uploads(key: str) -> None:
    """The uploader's on_change: decode every file (images.load_image), keep the pictures for the
    class chosen up to the limits, say how many were added and which files were not pictures."""
    files = st.session_state.get(key) or []
    index = st.session_state.get("teach_target", 0)
    added, unreadable, full = 0, [], False
    for upload in files:
        try:
            picture = images.load_image(upload.getvalue(), PHOTO_SIDE)
        except ImageError:
            unreadable.append(upload.name)
            continue
        if not _add(index, picture):
            full = True
            break
        added += 1
    if full:
        _full_note(index)
    elif unreadable:
        _say("teach.unreadable", "warning", added=added, count=len(unreadable),
             files=", ".join(unreadable[:5]))  # fmt: skip
    else:
        _say("teach.added", "success", added=added)
    _next_widget("upload")


def _remove(index: int, position: int) -> None:
    kept = st.session_state.setdefault(PICTURES_KEY, {}).get(index, [])
    if 0 <= position < len(kept):
        del kept[position]


def _clear(index: int) -> None:
    st.session_state.setdefault(PICTURES_KEY, {})[index] = []


def picture_taker(names: list[str]) -> None:
    """Which class the next pictures go to, then the camera (on a secure page) or an uploader."""
    if st.session_state.get("teach_target") not in range(len(names)):
        st.session_state["teach_target"] = 0
    st.radio(t("teach.target"), list(range(len(names))), key="teach_target", horizontal=True,
             format_func=lambda index: plain(names[index]))  # fmt: skip
    sources = {"camera": t("teach.source_camera"), "upload": t("teach.source_upload")}
    source = choice(t("teach.source"), list(sources), key="teach_source",
                    format_func=sources.get, horizontal=True)  # fmt: skip
    target = plain(names[st.session_state["teach_target"]])
    if source == "camera":
        if camera_notice("teach"):
            key = f"teach_camera_{_widget_number('camera')}"
            st.camera_input(t("teach.camera", name=target), key=key,
                            on_change=_take_shot, args=(key,))  # fmt: skip
            st.caption(t("teach.camera_help"))
    else:
        key = f"teach_upload_{_widget_number('upload')}"
        st.file_uploader(t("teach.upload", name=target), accept_multiple_files=True, key=key,
                         on_change=_take_uploads, args=(key,))  # fmt: skip
    note = st.session_state.pop(NOTE_KEY, None)
    if note is not None:
        message_key, values, kind = note
        getattr(st, kind)(t(message_key, **values))


def pictures_overview(names: list[str]) -> None:
    """Each class: its name, how many pictures (and whether that is enough), the newest ones
    each with a remove button, and a button that clears the class."""
    for index, (name, kept) in enumerate(zip(names, pictures(len(names)), strict=True)):
        with st.container(border=True, key=f"teach_class_{index}"):
            head, clear = st.columns([3, 1], vertical_alignment="center")
            enough = len(kept) >= teach.MIN_PICTURES
            count = t("teach.count", count=len(kept), minimum=teach.MIN_PICTURES)
            head.markdown(f"**{plain(name)}** · {count}" + ("" if enough else " ⚠"))
            clear.button(t("teach.clear"), key=f"teach_clear_{index}", disabled=not kept,
                         on_click=_clear, args=(index,), icon=":material/delete:")  # fmt: skip
            if not kept:
                st.caption(t("teach.no_pictures"))
                continue
            newest = list(range(len(kept)))[-THUMBNAILS:][::-1]
            for column, position in zip(st.columns(THUMBNAILS), newest, strict=False):
                column.image(kept[position], width=THUMBNAIL_SIDE, output_format="PNG")
                column.button("", key=f"teach_remove_{index}_{position}", icon=":material/close:",
                              help=t("teach.remove"), on_click=_remove, args=(index, position))  # fmt: skip
            if len(kept) > THUMBNAILS:
                st.caption(t("teach.more", count=len(kept) - THUMBNAILS))


# --- the training -----------------------------------------------------------------------------------


@dataclass
class TeachSlot:
    """This session's training on its pictures, and the model it gave."""

    job: jobs.TrainingJob | None = None
    dataset: Dataset | None = None
    names: tuple[str, ...] = ()
    label: str = ""  # the model's name: each training's its own, so no old answer is shown
    chosen: ChosenModel | None = None  # the trained model, once its job has finished


@st.cache_resource(scope="session", on_release=training_ui.stop_slot_job, show_spinner=False)
def teach_slot() -> TeachSlot:
    """This browser session's TeachSlot, released (its job stopped) when the tab closes."""
    return TeachSlot()


def start_training(names: list[str]) -> None:
    """The Train button's callback: the pictures as a dataset, and a new job on it."""
    st.session_state.pop(ERROR_KEY, None)
    try:
        dataset = teach.to_dataset(names, pictures(len(names)))
    except CnnvizError as error:
        st.session_state[ERROR_KEY] = error
        return
    slot = teach_slot()
    if slot.job is not None:
        slot.job.stop()
    config = teach.config()
    build = partial(
        models.build, teach.SMALL_CNN, dataset.input_shape, dataset.num_classes, seed=config.seed
    )
    number = st.session_state[TRAININGS_KEY] = st.session_state.get(TRAININGS_KEY, 0) + 1
    slot.job = jobs.TrainingJob(
        build,
        dataset,
        config,
        training_ui.training_gate(),
        name=f"teach-{number}",
        run=training_ui.training_workers().train,
    )
    slot.dataset, slot.names, slot.chosen = dataset, tuple(names), None
    slot.label = t("teach.model_name", number=number)
    slot.job.start()


def running() -> bool:
    """Whether this session's training is waiting or running."""
    job = teach_slot().job
    return job is not None and not job.done


def train_button(names: list[str]) -> None:
    """What will be trained, and the Train button (greyed while a training runs)."""
    training_ui.training_workers()  # a training process starts now, so Train does not wait
    st.caption(
        t(
            "teach.model_about",
            side=teach.IMAGE_SIDE,
            minimum=teach.MIN_PICTURES,
            share=f"{teach.TEST_SHARE:.0%}",
            epochs=teach.CONFIG.epochs,
        )
    )
    st.button(t("teach.start"), type="primary", key="teach_start", icon=":material/play_arrow:",
              disabled=running(), on_click=start_training, args=(names,))  # fmt: skip
    error = st.session_state.get(ERROR_KEY)
    if error is not None:
        show_error(error)


def _live_view() -> None:
    """Progress, queue place, the curves so far and Stop; reruns the page when the job ends."""
    job = teach_slot().job
    snapshot = job.snapshot() if job is not None else None
    if snapshot is None or not snapshot.active:
        st.rerun()
    progress, stop = st.columns([5, 1], vertical_alignment="bottom")
    stop.button(t("train.stop"), key="teach_stop", on_click=job.stop, icon=":material/stop:")
    if snapshot.status == "waiting":
        limit = training_ui.training_gate().limit
        progress.info(t("train.queued", position=snapshot.queue_position, limit=limit))
        return
    so_far = snapshot.curves
    if so_far is None or not so_far.steps_done:
        progress.progress(0.0, text=t("train.starting", epochs=job.config.epochs))
        return
    text = t("train.progress", epoch=so_far.epoch, epochs=job.config.epochs,
             step=so_far.batch_in_epoch, steps=so_far.steps_per_epoch)  # fmt: skip
    if snapshot.seconds_left is not None:
        text += " · " + t("train.time_left", seconds=math.ceil(snapshot.seconds_left))
    progress.progress(so_far.fraction_done, text=text)
    chart = plots.training_curves(so_far, training_ui.curve_labels())
    st.plotly_chart(chart, key="teach_live_chart")


def live_training() -> None:
    """The live view, polled by a fragment while this session's job runs."""
    job = teach_slot().job
    waiting = job is not None and job.status == "waiting"
    st.fragment(_live_view, run_every=training_ui.poll_seconds(waiting))()


def trained_model() -> ChosenModel | None:
    """The model this session's finished training gave (also kept for the other pages), with
    its test accuracy, curves and messages shown; None before or without one."""
    slot = teach_slot()
    job = slot.job
    if job is None or not job.done:
        return None
    if job.error is not None:
        show_error(job.error)
        return None
    result = job.result
    if result is None:  # stopped while still in the queue
        st.info(t("train.cancelled"))
        return None
    names = list(slot.names)
    if slot.chosen is None:
        slot.chosen = describe(result.model, "trained", slot.label, names)
        entry = SessionModel(slot.label, result.model, names, slot.dataset.input_shape, "trained")
        add_session_model(entry)
    if result.stopped:
        st.info(t("train.stopped", epochs=result.epochs_done))
    accuracy, tested = st.columns(2)
    accuracy.metric(t("teach.test_accuracy"), f"{result.test_accuracy:.0%}")
    tested.metric(t("teach.tested"), len(slot.dataset.y_test))
    chart = plots.training_curves(result.curves, training_ui.curve_labels())
    st.plotly_chart(chart, key="teach_result_chart")
    st.caption(t("teach.stored", name=slot.chosen.label))
    return slot.chosen


# --- the trained model's guesses --------------------------------------------------------------------


def probability_bars(names: list[str], probabilities: np.ndarray) -> None:
    """Every class's probability as a bar, in the classes' own order."""
    with st.container(key="teach_bars"):
        for name, probability in zip(names, probabilities, strict=True):
            value = float(min(max(probability, 0.0), 1.0))
            st.progress(value, text=f"{plain(name)} · {probability:.1%}")


def _snapshot(chosen: ChosenModel) -> None:
    """A picture from the camera and the model's probability for every class."""
    if not camera_notice("teach_snapshot"):
        return
    shot = st.camera_input(t("teach.snapshot"), key="teach_snapshot")
    if shot is None:
        return
    try:
        picture = images.load_image(shot.getvalue(), PHOTO_SIDE)
    except ImageError as error:
        show_error(error)
        return
    x = teach.model_input(picture, chosen.input_shape[0])
    probabilities = predictions.probabilities(chosen.model, x)[0]
    probability_bars(chosen.class_names, probabilities)


def prediction(chosen: ChosenModel) -> None:
    """The trained model on new pictures: live video where the browser gives one, or a
    snapshot from the camera; the class probabilities as bars."""
    sources = {"live": t("teach.predict_live"), "snapshot": t("teach.predict_snapshot")}
    how = choice(t("teach.predict_source"), list(sources), key="teach_predict_source",
                 format_func=sources.get, horizontal=True)  # fmt: skip
    if how == "live":
        live_ui.reader(chosen)("teach_predict", PHOTO_SIDE)
    else:
        _snapshot(chosen)


def downloads(names: list[str], chosen: ChosenModel | None) -> None:
    """The pictures as a zip of class folders, and the trained model as .keras."""
    kept = pictures(len(names))
    left, right = st.columns(2)
    left.download_button(
        t("teach.download_pictures", count=sum(len(k) for k in kept)),
        data=lambda: teach.pictures_zip(names, kept),
        file_name="pictures.zip",
        mime="application/zip",
        on_click="ignore",
        key="teach_download_pictures",
        icon=":material/folder_zip:",
        disabled=not any(kept),
    )
    if chosen is not None:
        model, class_names = chosen.model, list(chosen.class_names)
        right.download_button(
            t("teach.download_model"),
            data=lambda: models.save_bytes(model, class_names),
            file_name="my_classes.keras",
            mime="application/zip",
            on_click="ignore",
            key="teach_download_model",
            icon=":material/download:",
        )
    st.caption(t("teach.download_help", folder=teach.ZIP_FOLDER))
