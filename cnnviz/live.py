"""Live webcam video: the frames a browser sends, checked and decoded, and how small they are.

The browser (cnnviz/ui/live/live.js) draws each camera frame onto a small canvas, the model's
input side × 2 (MNIST's 28 → 96, ImageNet's 224 → 128, see `frame_size`), and sends it as a JPEG
data URL of a few KB: `{"id": 7, "image": "data:image/jpeg;base64,/9j/..."}`. Here a frame is
refused unless it is exactly that (a PNG is accepted too): the declared type, the bytes' own
signature, the size on the wire and the picture's size are all checked before anything is
decoded, so a hand-made message cannot make the server decode a large picture.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from cnnviz.errors import ImageError

if TYPE_CHECKING:
    from cnnviz.features import LayerActivation

__all__ = [
    "CONV_KINDS",
    "FORMATS",
    "Frame",
    "MAX_FRAME_BYTES",
    "MAX_FRAME_SIDE",
    "decode_frame",
    "first_conv",
    "frame_size",
    "parse_frame",
]

# what a data URL may declare, with the first bytes such a file starts with
FORMATS = {"image/jpeg": ("JPEG", b"\xff\xd8\xff"), "image/png": ("PNG", b"\x89PNG\r\n\x1a\n")}
MAX_FRAME_BYTES = 64 * 1024  # a 128×128 JPEG at quality 0.8 is 3–5 KB; a PNG of it about 30 KB
MAX_FRAME_SIDE = 256  # twice the largest frame the browser is asked for
FRAME_SIDES = (96, 128)  # a frame's long side: at least the first, at most the second
CONV_KINDS = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D")


@dataclass(frozen=True)
class Frame:
    """One camera frame as the browser numbered it (1, 2, …) and its picture (H, W, 3) uint8."""

    id: int
    picture: np.ndarray


def frame_size(input_shape: tuple[int, ...]) -> tuple[int, int]:
    """(width, height) the browser draws a frame at for a model taking (H, W, C).

    The long side is twice the model's, kept between 96 and 128 pixels: enough for
    `prepare_digit` to find a digit on paper in a whole camera view, small enough to send
    (a few KB) and decode (a fraction of a millisecond) ten times a second. Aspect as the model's.
    """
    height, width = int(input_shape[0]), int(input_shape[1])
    low, high = FRAME_SIDES
    long_side = min(high, max(low, 2 * max(height, width)))
    if width >= height:
        return long_side, max(1, round(long_side * height / width))
    return max(1, round(long_side * width / height)), long_side


def decode_frame(data_url: str) -> np.ndarray:
    """A frame's data URL ("data:image/jpeg;base64,…" or image/png) -> (H, W, 3) uint8 RGB.

    Raises ImageError for anything else: `live.not_a_frame` (not a base64 data URL, or bytes that
    are not the format it declares), `live.frame_format` (not one of FORMATS),
    `live.frame_too_large` (more than MAX_FRAME_BYTES), `live.frame_too_big` (more than
    MAX_FRAME_SIDE pixels on a side) or `images.corrupt` (damaged data).
    """
    if not isinstance(data_url, str) or not data_url.startswith("data:"):
        raise ImageError("live.not_a_frame")
    header, comma, body = data_url.partition(",")
    mime = header[len("data:") :].removesuffix(";base64")
    if not comma or not header.endswith(";base64"):
        raise ImageError("live.not_a_frame")
    if mime not in FORMATS:
        raise ImageError("live.frame_format", format=mime[:40] or "?")
    if len(body) > (MAX_FRAME_BYTES + 2) // 3 * 4:  # checked before decoding anything
        raise ImageError("live.frame_too_large", limit=MAX_FRAME_BYTES // 1024)
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ImageError("live.not_a_frame") from None
    pillow_format, signature = FORMATS[mime]
    if not raw.startswith(signature):  # the bytes are not what the data URL says they are
        raise ImageError("live.not_a_frame")
    try:
        image = Image.open(io.BytesIO(raw), formats=[pillow_format])  # headers only
    except Image.DecompressionBombError:  # Pillow's own refusal, above 179 MP
        raise ImageError("live.frame_too_big", limit=MAX_FRAME_SIDE) from None
    except Exception:  # Pillow reports bad headers in many ways
        raise ImageError("images.corrupt") from None
    width, height = image.size
    if not (1 <= width <= MAX_FRAME_SIDE and 1 <= height <= MAX_FRAME_SIDE):
        raise ImageError("live.frame_too_big", limit=MAX_FRAME_SIDE)
    try:
        return np.array(image.convert("RGB"), dtype=np.uint8)  # (H, W, 3)
    except Exception:  # truncated or damaged pixel data
        raise ImageError("images.corrupt") from None


def parse_frame(payload: object) -> Frame:
    """The browser's message `{"id": n, "image": data URL}` -> Frame; ImageError if it is not
    one (`live.not_a_frame`, or `decode_frame`'s refusals)."""
    if not isinstance(payload, dict):
        raise ImageError("live.not_a_frame")
    number = payload.get("id")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ImageError("live.not_a_frame")
    return Frame(number, decode_frame(payload.get("image")))


def first_conv(layers: list[LayerActivation]) -> LayerActivation | None:
    """The first convolution's output among a model's layers (an MLP has none: None)."""
    return next((layer for layer in layers if layer.is_map and layer.kind in CONV_KINDS), None)
