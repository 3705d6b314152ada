"""The one picture picker of the lessons: where a picture comes from, and the picture itself.

A source is a name with a reader: `SOURCES["camera"](key, max_side)` shows that source's widgets and returns
a `Picture` or None until there is one. The pages choose which sources to offer, in which order;
a new source (a drawing canvas, live video) is one more reader in `SOURCES`, and a page can pass
its own (the Feature maps page's MNIST test digit) through `extra`.

Every file, uploaded or from the camera, is decoded once (by its upload id) and kept for this
session, so moving a slider does not decode a 48-megapixel JPEG again; a file that is not a
readable picture shows its message from the `images` catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from cnnviz import images
from cnnviz.errors import ImageError
from cnnviz.examples import EXAMPLES
from cnnviz.ui import choice, show_error, t
from cnnviz.ui.canvas import draw_digit
from cnnviz.ui.secure import camera_notice

SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples"
PHOTO_SIDE = 1024  # photos are decoded at most this large: far more than any model here takes
LESSON_SIDE = 512  # the convolution and pooling lessons filter and show photos at most this large


@dataclass(frozen=True)
class Picture:
    """What the student chose: a small grid of numbers or a photo, and where it came from."""

    values: np.ndarray  # (H, W) numbers for a grid; (H, W, 3) uint8 for a photo
    is_photo: bool
    source: str
    example: str | None = None  # the worked example's name, when it is one


Reader = Callable[[str, int], "Picture | None"]


def sample_names() -> list[str]:
    """The sample photos in assets/samples, by file name without .jpg."""
    return sorted(path.stem for path in SAMPLES.glob("*.jpg"))


@st.cache_data(max_entries=16, show_spinner=False)
def sample_photo(name: str, max_side: int = PHOTO_SIDE) -> np.ndarray:
    """A sample photo, (H, W, 3) uint8, its long side at most `max_side`."""
    return images.load_image((SAMPLES / f"{name}.jpg").read_bytes(), max_side=max_side)


def decoded(key: str, upload, max_side: int = PHOTO_SIDE) -> np.ndarray | None:
    """An uploaded or camera file as (H, W, 3) uint8, decoded once per file; None and its message
    if it is not a picture."""
    memo = f"{key}_decoded"
    file_id = (getattr(upload, "file_id", None) or upload.name, max_side)
    if st.session_state.get(memo, (None,))[0] != file_id:
        try:
            st.session_state[memo] = (file_id, images.load_image(upload.getvalue(), max_side))
        except ImageError as error:
            st.session_state[memo] = (file_id, error)
    result = st.session_state[memo][1]
    if isinstance(result, ImageError):
        show_error(result)
        return None
    return result


def upload_help() -> str:
    """Which files are accepted, and how large."""
    return t("widgets.upload_help", limit=st.get_option("server.maxUploadSize"))


def from_example(key: str, max_side: int = PHOTO_SIDE) -> Picture:
    """One of the course's worked examples (COURSE.md), as its grid of numbers."""
    name = choice(
        t("widgets.example"),
        list(EXAMPLES),
        widget="selectbox",
        format_func=lambda n: t(f"widgets.example_{n}"),
        key=f"{key}_example",
    )
    return Picture(EXAMPLES[name].grid, False, "example", name)


def from_sample(key: str, max_side: int = PHOTO_SIDE) -> Picture:
    """One of the sample photos."""
    name = choice(
        t("widgets.sample"),
        sample_names(),
        widget="selectbox",
        format_func=lambda n: t(f"widgets.sample_{n}"),
        key=f"{key}_sample",
    )
    return Picture(sample_photo(name, max_side), True, "sample")


def from_upload(key: str, max_side: int = PHOTO_SIDE) -> Picture | None:
    """A photo of the student's own; None until one is uploaded."""
    # any file is accepted here and checked by load_image, which explains what is wrong with it
    upload = st.file_uploader(t("widgets.upload"), key=f"{key}_upload", help=upload_help())
    if upload is None:
        st.caption(upload_help())
        return None
    photo = decoded(key, upload, max_side)
    return None if photo is None else Picture(photo, True, "upload")


def from_camera(key: str, max_side: int = PHOTO_SIDE) -> Picture | None:
    """A photo from the browser's camera; None until one is taken, and on a page the browser
    gives no camera (not https:// nor localhost) the reason and what to do instead."""
    if not camera_notice(key):
        return None
    shot = st.camera_input(t("widgets.camera"), key=f"{key}_camera")
    if shot is None:
        st.caption(t("widgets.camera_help"))
        return None
    photo = decoded(key, shot, max_side)
    return None if photo is None else Picture(photo, True, "camera")


def from_drawing(key: str, max_side: int = PHOTO_SIDE) -> Picture | None:
    """A digit the student draws, white on black; None while the canvas is empty."""
    drawing = draw_digit(key)
    return None if drawing is None else Picture(drawing, True, "draw")


SOURCES: dict[str, Reader] = {
    "example": from_example,
    "sample": from_sample,
    "upload": from_upload,
    "camera": from_camera,
    "draw": from_drawing,
}


def source_choice(key: str, sources: list[str]) -> str:
    """A radio choosing where the picture comes from; labels from `widgets.source_<name>`."""
    return choice(
        t("widgets.source"),
        sources,
        format_func=lambda source: t(f"widgets.source_{source}"),
        key=f"{key}_source",
        horizontal=True,
    )


def picture_picker(
    key: str,
    sources: list[str] | tuple[str, ...] = ("example", "sample", "upload"),
    extra: Mapping[str, Reader] | None = None,
    max_side: int = PHOTO_SIDE,
) -> Picture | None:
    """Choose a source, then a picture from it (photos at most `max_side` pixels long); None
    until the source has one."""
    readers = {**SOURCES, **(extra or {})}
    source = source_choice(key, list(sources))
    return readers[source](key, max_side)
