"""The drawing canvas's Python side: what the browser sends is checked before it is decoded, and a
drawing (white ink on black, as the canvas draws it) is read as a digit by prepare_digit and the
shipped CNN.

`drawn` draws strokes as canvas.js does when it sends them: black, white round-capped lines in the
canvas's view units scaled into SENT_SIDE pixels, SENT_MARGIN black pixels around, sent as a PNG
data URL. The browser itself draws in tests/e2e/test_canvas.py.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from cnnviz import digits
from cnnviz.errors import ImageError
from cnnviz.ui import canvas
from tests import corpus

ONE = [[(140, 45), (140, 235)]]  # one vertical stroke, in view units (0..280)
SEVEN = [[(70, 60), (210, 60), (120, 235)]]  # the bar and the leg in one stroke
FOUR = [[(170, 40), (60, 170), (215, 170)], [(170, 40), (170, 240)]]  # two strokes


def drawn(strokes, pen: float = canvas.PEN, margin: int = canvas.SENT_MARGIN) -> np.ndarray:
    """Strokes (lists of (x, y) in view units) drawn as the canvas sends them: (side, side) uint8."""
    side = canvas.SENT_SIDE
    scale = (side - 2 * margin) / canvas.VIEW
    picture = np.zeros((side, side), np.uint8)
    shift = 4  # cv2 draws at 1/16 pixel
    for stroke in strokes:
        points = np.array([[(margin + x * scale) * 16, (margin + y * scale) * 16]
                           for x, y in stroke], np.int32)  # fmt: skip
        cv2.polylines(picture, [points], False, 255, max(1, round(pen * scale)), cv2.LINE_AA, shift)
    return picture


def data_url(png: bytes) -> str:
    return canvas.DATA_URL + base64.b64encode(png).decode("ascii")


def png_of(picture: np.ndarray, mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.fromarray(picture).convert(mode).save(out, "PNG")
    return out.getvalue()


def sent(strokes, **kwargs) -> str:
    """What the canvas sends for these strokes: an RGBA PNG data URL, as the browser's toDataURL."""
    return data_url(png_of(drawn(strokes, **kwargs)))


def test_a_sent_drawing_decodes_to_white_ink_on_black():
    picture = canvas.decode_drawing(sent(ONE))
    assert picture.shape == (canvas.SENT_SIDE, canvas.SENT_SIDE, 3) and picture.dtype == np.uint8
    gray = picture[..., 0]
    assert (picture[..., 0] == picture[..., 1]).all() and (picture[..., 1] == picture[..., 2]).all()
    assert gray.max() == 255 and np.median(gray) == 0  # ink white, the bulk black
    assert np.array_equal(gray, drawn(ONE))  # lossless, opaque: nothing composited over white


def test_the_margin_keeps_the_widest_pen_off_the_pictures_edge():
    """A stroke along the canvas's very edge (canvas.js keeps points on the canvas) with the
    widest pen leaves the picture's outermost pixels black."""
    picture = drawn([[(0, 0), (280, 0), (280, 280), (0, 280), (0, 0)]], pen=canvas.PEN_MAX)
    assert picture.max() == 255
    assert picture[[0, -1], :].max() == picture[:, [0, -1]].max() == 0


def kept_share(picture: np.ndarray) -> float:
    """How much of a drawing's ink prepare_digit keeps as strokes."""
    drawn_ink = picture[..., 0] > 127 if picture.ndim == 3 else picture > 127
    return float((digits.prepare_digit(picture).ink[drawn_ink] > 0).mean())


def test_a_stroke_at_the_canvas_edge_is_kept_with_the_margin_and_lost_without():
    """prepare_digit drops ink touching the picture's edge (a table, a shadow) when there is ink
    inside: a 5 whose bar runs along the top of the canvas would lose its bar without the margin."""
    five = [
        [(90, 0), (220, 0)],
        [(90, 45), (85, 120), (170, 120), (205, 180), (150, 240), (80, 220)],
    ]
    assert kept_share(canvas.decode_drawing(sent(five))) > 0.97
    assert kept_share(drawn(five, margin=0)) < 0.85


@pytest.mark.parametrize(
    "strokes",
    [ONE, SEVEN, FOUR, [[(60, 140), (220, 140)]], [[(140, 100), (140, 100 + 4 * canvas.PEN)]]],
    ids=["one", "seven", "four", "bar", "shortest-sent-stroke"],
)
def test_drawings_look_like_digits_from_the_first_stroke_the_canvas_sends(strokes):
    """canvas.js sends a first stroke once it spans 4 pen widths; from there on, the drawing looks
    like a digit, so the page offers (and turns on) reading it as one."""
    assert digits.looks_like_digit(canvas.decode_drawing(sent(strokes)))


def test_a_dot_does_not_look_like_a_digit():
    """Why the canvas does not send a first stroke that is still a dot while the pen is down."""
    assert not digits.looks_like_digit(canvas.decode_drawing(sent([[(140, 140), (141, 141)]])))


def test_the_shipped_cnn_reads_drawn_digits_after_prepare_digit():
    from cnnviz import models

    cnn = models.load_pretrained("mnist_cnn")
    pictures = [canvas.decode_drawing(sent(strokes)) for strokes in (ONE, SEVEN, FOUR)]
    x = np.stack([digits.prepare_digit(picture).result for picture in pictures])[..., None]
    assert list(np.asarray(cnn(x, training=False)).argmax(axis=1)) == [1, 7, 4]


def png_header(width: int, height: int) -> bytes:
    """A PNG's signature and IHDR chunk for a picture of that size, and no pixels."""
    chunk = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        canvas.PNG_SIGNATURE + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )


BAD = {
    "none": None,
    "a number": 42,
    "a dict": {"drawing": "x"},
    "empty": "",
    "a jpeg": "data:image/jpeg;base64," + base64.b64encode(corpus.jpeg(140, 140)).decode(),
    "no data url": base64.b64encode(png_of(drawn(ONE))).decode(),
    "not base64": canvas.DATA_URL + "!!!!",
    "base64 with a newline": canvas.DATA_URL + "iVBORw0K\nGgo=",
    "too long": canvas.DATA_URL + "A" * (canvas.MAX_SENT_CHARS + 4),
    "a gif": data_url(b"GIF89a" + bytes(40)),
    "too small": data_url(png_of(np.zeros((139, 140), np.uint8))),
    "too large": data_url(png_of(np.zeros((280, 280), np.uint8))),
    "not square": data_url(png_of(np.zeros((140, 200), np.uint8))),
    "a bomb's header": data_url(png_header(100_000, 100_000)),
    "the header alone": data_url(png_header(canvas.SENT_SIDE, canvas.SENT_SIDE)),
}


@pytest.mark.parametrize("what", list(BAD), ids=list(BAD))
def test_what_is_no_drawing_is_refused_with_its_message(what):
    with pytest.raises(ImageError) as refused:
        canvas.decode_drawing(BAD[what])
    expected = "images.corrupt" if what == "the header alone" else "canvas.bad_drawing"
    assert refused.value.key == expected
    if expected == "canvas.bad_drawing":
        assert refused.value.values == {"side": canvas.SENT_SIDE}


def test_a_damaged_drawing_gets_the_damaged_picture_message():
    png = bytearray(png_of(drawn(ONE)))
    png[-20] ^= 0xFF  # inside the pixels: the checksum no longer matches
    with pytest.raises(ImageError) as refused:
        canvas.decode_drawing(data_url(bytes(png)))
    assert refused.value.key == "images.corrupt"
