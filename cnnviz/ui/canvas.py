"""A canvas to draw a digit on: white ink on black, as MNIST's digits, with a pen width, Undo and
Clear; `draw_digit(key)` shows it and returns the drawing.

Our own `st.components.v2` component (canvas.js, canvas.css beside this file): nothing to build,
nothing from the internet. The browser sends the drawing as a SENT_SIDE × SENT_SIDE PNG data URL
(about 2 KB) at the end of each stroke and at most every SEND_EVERY_MS while drawing, each send
a rerun of the page; `decode_drawing` checks what arrives before Pillow decodes it.
"""

from __future__ import annotations

import base64
import binascii
import struct
from pathlib import Path

import numpy as np
import streamlit as st

from cnnviz import images
from cnnviz.errors import ImageError
from cnnviz.ui import show_error, t

HERE = Path(__file__).resolve().parent
VIEW = 280  # the canvas's own coordinates, and its CSS width at most (10 × MNIST's 28)
SENT_SIDE = 140  # the picture sent: half the canvas, ten times what the model takes
SENT_MARGIN = 12  # black around the strokes: prepare_digit takes ink at the edge for the paper's
PEN, PEN_MIN, PEN_MAX = 22, 8, 40  # pen widths in view units: MNIST's is about a tenth of the digit
SEND_EVERY_MS = 300  # while drawing, at most one picture this often
DATA_URL = "data:image/png;base64,"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SENT_CHARS = 4 * (4 * SENT_SIDE * SENT_SIDE + 4096) // 3  # even an uncompressed RGBA PNG fits

HTML = """
<div class="cnnviz-canvas">
  <canvas class="pad" width="280" height="280" role="img"></canvas>
  <div class="tools">
    <label class="pen"><span class="pen-label"></span><input class="pen-width" type="range" step="2"></label>
    <button type="button" class="undo"></button>
    <button type="button" class="clear"></button>
  </div>
</div>
"""

_canvas = st.components.v2.component(
    "cnnviz_canvas",
    html=HTML,
    css=(HERE / "canvas.css").read_text(encoding="utf-8"),
    js=(HERE / "canvas.js").read_text(encoding="utf-8"),
)


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header (its first chunk, IHDR), without decoding it."""
    if len(png) < 24 or not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise ImageError("canvas.bad_drawing", side=SENT_SIDE)
    return struct.unpack(">II", png[16:24])


def decode_drawing(sent: object) -> np.ndarray:
    """What the canvas sent, a PNG data URL SENT_SIDE pixels square -> (SENT_SIDE, SENT_SIDE, 3)
    uint8, white ink on black.

    Anything else (not a string, another kind of data URL, too long, not base64, not a PNG of that
    size) raises ImageError("canvas.bad_drawing"), before Pillow decodes a pixel; a damaged PNG
    raises images.load_image's own error.
    """
    if not isinstance(sent, str) or not sent.startswith(DATA_URL) or len(sent) > MAX_SENT_CHARS:
        raise ImageError("canvas.bad_drawing", side=SENT_SIDE)
    try:
        png = base64.b64decode(sent[len(DATA_URL) :], validate=True)
    except (binascii.Error, ValueError):
        raise ImageError("canvas.bad_drawing", side=SENT_SIDE) from None
    if _png_size(png) != (SENT_SIDE, SENT_SIDE):
        raise ImageError("canvas.bad_drawing", side=SENT_SIDE)
    return images.load_image(png, max_side=SENT_SIDE)


def _labels() -> dict[str, str]:
    """The canvas's words in the student's language (its script has none of its own)."""
    return {"area": t("canvas.area"), "pen": t("canvas.pen"), "undo": t("canvas.undo"),
            "clear": t("canvas.clear")}  # fmt: skip


def draw_digit(key: str) -> np.ndarray | None:
    """The canvas, and what the student has drawn on it as (SENT_SIDE, SENT_SIDE, 3) uint8; None
    while it is empty (or what came was not a drawing: its message is shown)."""
    settings = {"view": VIEW, "side": SENT_SIDE, "margin": SENT_MARGIN, "pen": PEN,
                "pen_min": PEN_MIN, "pen_max": PEN_MAX, "every_ms": SEND_EVERY_MS,
                "labels": _labels()}  # fmt: skip
    result = _canvas(key=f"{key}_draw", data=settings, on_drawing_change=lambda: None)
    sent = result.get("drawing")
    if not sent:
        st.caption(t("canvas.help"))
        return None
    try:
        return decode_drawing(sent)
    except ImageError as error:
        show_error(error)
        return None
