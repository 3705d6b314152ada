"""Live webcam video: the model's guesses and its first convolution's maps follow the camera.

The browser takes the pictures (getUserMedia in cnnviz/ui/live/live.js, a `st.components.v2`
element: no WebRTC, no STUN/TURN server, nothing to install) and sends one small JPEG at a time;
`live_view` runs in its own `st.fragment`, so a frame reruns the live view only, not the page.
Each frame is answered with its id (`ack` in the element's data): the browser sends its next,
newest frame only then, so a busy server gets fewer frames and never a queue of stale ones.

    frame arrives (trigger "frame") → _keep_frame stores it → live_view: decode, prepare, run the
    model, tile the first conv maps, draw them → the element gets ack = frame id (sent last) →
    the browser sends its next frame
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import streamlit as st

from cnnviz import features, live, plots, tiles
from cnnviz.errors import CnnvizError, ImageError
from cnnviz.formatting import shape_text
from cnnviz.ui import show_error, t
from cnnviz.ui.chosen import ChosenModel
from cnnviz.ui.picture import Reader
from cnnviz.ui.secure import camera_notice

ASSETS = Path(__file__).with_name("live")
FRAME_INTERVAL_MS = 100  # at most 10 frames a second from one student, however fast the server
ACK_TIMEOUT_MS = 5000  # an answer lost (a rerun of the whole page took it): send again after this
JPEG_QUALITY = 0.8  # a 96×96 frame is then about 3 KB
TOP = 5
LIVE_MAPS = 32  # maps of the first convolution drawn at most
MAPS_SIDE = 400  # the tiled maps at most this many pixels wide or high: a small PNG per frame

_camera = st.components.v2.component(
    "cnnviz_live_camera",
    html=(ASSETS / "live.html").read_text(encoding="utf-8"),
    css=(ASSETS / "live.css").read_text(encoding="utf-8"),
    js=(ASSETS / "live.js").read_text(encoding="utf-8"),
)


@dataclass(frozen=True)
class Answer:
    """What the model made of one frame, as the live view draws it."""

    frame: int
    model: str  # the model's label: an answer from another model is not shown
    seen: np.ndarray  # the model's input as a uint8 picture, (H, W) or (H, W, 3)
    shape: tuple[int, ...]  # the model's input shape (H, W, C)
    top: list[tuple[str, float]]
    maps: np.ndarray | None  # the first conv layer's maps tiled, uint8; None for an MLP
    layer: str
    count: int  # the first conv layer's number of maps
    milliseconds: float  # server time from the decoded frame to the tiled maps
    note: ImageError | None = None  # why the frame was read as a photo, not as a digit


def answer(chosen: ChosenModel, frame: live.Frame, prepare: str) -> Answer:
    """Run the model on one frame: its input (through prepare_digit for a digit model), its top
    guesses and its first convolution's maps as tiles, timed."""
    started = time.perf_counter()
    note = None
    try:
        prepared = features.model_input(frame.picture, chosen.input_shape, prepare=prepare)
    except ImageError as error:  # no digit or object found: read the frame as it is
        note = error
        prepared = features.model_input(frame.picture, chosen.input_shape)
    x = chosen.preprocess(prepared.x)
    layers, top = features.activations_and_top(chosen.model, x, TOP, chosen.class_names)
    conv = live.first_conv(layers)
    maps = None if conv is None else tiles.tile(conv.values[:, :, :LIVE_MAPS], max_side=MAPS_SIDE)
    seen = plots.as_uint8(prepared.x[0])
    return Answer(
        frame=frame.id,
        model=chosen.label,
        seen=seen[:, :, 0] if seen.shape[-1] == 1 else seen,
        shape=tuple(chosen.input_shape),
        top=top,
        maps=maps,
        layer="" if conv is None else conv.name,
        count=0 if conv is None else conv.shape[-1],
        milliseconds=(time.perf_counter() - started) * 1000,
        note=note,
    )


def labels() -> dict[str, str]:
    """What live.js writes on its button and notes, in the student's language."""
    return {
        "pause": t("live.pause"),
        "resume": t("live.resume"),
        "live": t("live.live"),
        "paused": t("live.paused"),
        "starting": t("live.starting"),
        "insecure": t("live.insecure"),
        "denied": t("live.denied"),
        "no_camera": t("live.no_camera"),
    }


def reader(chosen: ChosenModel) -> Reader:
    """The picture picker's "live" source for `chosen`: the live view (on a secure page only);
    never a still picture (the rest of the page waits, as it does with no picture)."""

    def from_live(key: str, max_side: int) -> None:
        # on a page that is not secure the notice says why there is no camera, and what to do
        if camera_notice(key):
            live_view(key, chosen)
        return None

    return from_live


def _keep_frame(key: str) -> None:
    """The element's "frame" trigger: keep the browser's frame for this run of the live view."""
    st.session_state[f"{key}_live_frame"] = st.session_state[f"{key}_live_camera"].get("frame")


def _preparation(key: str, chosen: ChosenModel) -> str:
    """How frames are made into the model's input: a digit or product model reads them through
    prepare_digit / prepare_product unless the student turns that off."""
    if chosen.reads not in ("digits", "products"):
        return "photo"
    kind = "digit" if chosen.reads == "digits" else "product"
    as_kind = st.toggle(t(f"features.as_{kind}"), True, key=f"{key}_live_as_{kind}")
    return kind if as_kind else "photo"


def _take_frame(key: str, chosen: ChosenModel, prepare: str) -> None:
    """Answer the frame the browser sent for this run, if any (its id is acknowledged even when
    it is refused, so the browser goes on)."""
    payload = st.session_state.pop(f"{key}_live_frame", None)
    if payload is None:
        return
    if isinstance(payload, dict) and type(payload.get("id")) is int:  # not True, not "3"
        st.session_state[f"{key}_live_ack"] = payload["id"]
    try:
        st.session_state[f"{key}_live_answer"] = answer(chosen, live.parse_frame(payload), prepare)
        st.session_state.pop(f"{key}_live_refused", None)
    except CnnvizError as error:
        st.session_state[f"{key}_live_refused"] = error


def _show(key: str, shown: Answer) -> None:
    """The last answer: the frame number and server time, what the model receives, its top
    guesses as bars and the first convolution's maps, as pictures (drawn in a millisecond)."""
    st.caption(t("live.frame", number=shown.frame, ms=f"{shown.milliseconds:.0f}"))
    if shown.note is not None:
        st.warning(t(shown.note.key, **shown.note.values) + " " + t("features.shown_as_photo"))
    seen_column, top_column = st.columns([1, 2], gap="medium")
    with seen_column, st.container(key=f"{key}_live_seen"):
        st.image(shown.seen, caption=t("live.seen", shape=shape_text(shown.shape)),
                 width="stretch", output_format="PNG")  # fmt: skip
    with top_column, st.container(key=f"{key}_live_top"):
        st.markdown(f"**{t('live.top')}**")
        for label, probability in shown.top:
            st.progress(min(max(probability, 0.0), 1.0), text=f"{label} · {probability:.1%}")
    if shown.maps is None:
        st.info(t("live.no_conv"))
        return
    with st.container(key=f"{key}_live_maps"):
        st.image(shown.maps, output_format="PNG", width="stretch",
                 caption=t("live.maps", name=shown.layer, shown=min(shown.count, LIVE_MAPS),
                           count=shown.count))  # fmt: skip


@st.fragment
def live_view(key: str, chosen: ChosenModel) -> None:
    """The live view: the camera element with Pause/Resume, then for the newest frame the
    model's top guesses and the first conv layer's maps; reruns alone for each frame."""
    # every pixel a sharp square: the input is 28×28 and each map 26×26, drawn larger
    st.html(f"<style>[class*='st-key-{key}_live_'] img {{ image-rendering: pixelated; }}</style>")
    width, height = live.frame_size(chosen.input_shape)
    st.caption(t("live.help", width=width, height=height))
    prepare = _preparation(key, chosen)
    _take_frame(key, chosen, prepare)
    # the camera stands first but is sent last: its answer (the frame's id) reaches the browser
    # once the answer is drawn, so the next frame never interrupts this run's drawing
    camera = st.container()
    refused = st.session_state.get(f"{key}_live_refused")
    if refused is not None:
        show_error(refused)
    shown = st.session_state.get(f"{key}_live_answer")
    if shown is None or shown.model != chosen.label:
        st.caption(t("live.waiting"))
    else:
        _show(key, shown)
    with camera:
        _camera(
            key=f"{key}_live_camera",
            data={
                "ack": st.session_state.get(f"{key}_live_ack", 0),
                "width": width,
                "height": height,
                "quality": JPEG_QUALITY,
                "interval_ms": FRAME_INTERVAL_MS,
                "timeout_ms": ACK_TIMEOUT_MS,
                "labels": labels(),
            },
            on_frame_change=partial(_keep_frame, key),
        )
