"""Where a photo comes from on the model pages: a sample photo, an upload or the camera.

A file is decoded once (by its upload id) and kept for this session, so moving a slider does not
decode a 48-megapixel JPEG again. A file that is not a readable picture shows its message.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from cnnviz import images
from cnnviz.errors import ImageError
from cnnviz.ui import choice, show_error, t

SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples"
PHOTO_SIDE = 1024  # photos are decoded at most this large: far more than any model here takes
UPLOAD_TYPES = "JPEG, PNG, WebP, BMP, GIF, TIFF"


def sample_names() -> list[str]:
    """The sample photos in assets/samples, by file name without .jpg."""
    return sorted(path.stem for path in SAMPLES.glob("*.jpg"))


@st.cache_data(max_entries=16, show_spinner=False)
def sample_photo(name: str) -> np.ndarray:
    """A sample photo, (H, W, 3) uint8."""
    return images.load_image((SAMPLES / f"{name}.jpg").read_bytes(), max_side=PHOTO_SIDE)


def source_choice(key: str, sources: list[str]) -> str:
    """A radio choosing where the picture comes from; labels from `features.photo_source_<name>`."""
    return choice(
        t("features.photo_source"),
        sources,
        format_func=lambda source: t(f"features.photo_source_{source}"),
        key=f"{key}_source",
        horizontal=True,
    )


def _decoded(key: str, upload) -> np.ndarray | None:
    """The upload as (H, W, 3) uint8, decoded once per file; its message if it is not a picture."""
    memo = f"{key}_decoded"
    file_id = getattr(upload, "file_id", None) or upload.name
    if st.session_state.get(memo, (None,))[0] != file_id:
        try:
            st.session_state[memo] = (file_id, images.load_image(upload.getvalue(), PHOTO_SIDE))
        except ImageError as error:
            st.session_state[memo] = (file_id, error)
    result = st.session_state[memo][1]
    if isinstance(result, ImageError):
        show_error(result)
        return None
    return result


def upload_help() -> str:
    """Which files are accepted, and how large."""
    return t(
        "features.photo_upload_help",
        types=UPLOAD_TYPES,
        limit=st.get_option("server.maxUploadSize"),
    )


def photo_from(key: str, source: str) -> np.ndarray | None:
    """The photo from `source` ("sample", "upload" or "camera"); None until there is one."""
    if source == "sample":
        names = sample_names()
        name = choice(
            t("features.photo_sample"),
            names,
            widget="selectbox",
            format_func=lambda n: t(f"features.photo_sample_{n}"),
            key=f"{key}_sample",
        )
        return sample_photo(name)
    if source == "camera":
        shot = st.camera_input(t("features.photo_camera"), key=f"{key}_camera")
        if shot is None:
            st.caption(t("features.photo_camera_help"))
            return None
        return _decoded(key, shot)
    # any file is accepted and checked by load_image, which explains what is wrong with it
    upload = st.file_uploader(t("features.photo_upload"), key=f"{key}_upload", help=upload_help())
    if upload is None:
        st.caption(upload_help())
        return None
    return _decoded(key, upload)
