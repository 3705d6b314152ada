"""cnnviz.live: the camera frames a browser sends are read exactly when they are what live.js
sends (a small JPEG or PNG data URL), refused with a student's message otherwise, and refused
before any pixel is decoded when they are too large; frames are drawn small for every model."""

from __future__ import annotations

import base64
import io
import time

import keras
import numpy as np
import pytest
from PIL import Image

from cnnviz import features, i18n, live
from cnnviz.errors import ImageError
from tests import corpus


def data_url(data: bytes, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def encoded(picture: np.ndarray, fmt: str = "JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, fmt, **options)
    return buffer.getvalue()


def camera_like(width: int = 96, height: int = 96) -> np.ndarray:
    """A smooth colour picture (gradients and a dark square), as a camera frame is."""
    y, x = np.mgrid[0:height, 0:width]
    picture = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1),
                        np.full_like(x, 128)], axis=2).astype(np.uint8)  # fmt: skip
    picture[height // 4 : height // 2, width // 4 : width // 2] = 20
    return picture


# --- frames that are read ----------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(96, 96), (128, 128), (128, 64), (1, 1)])
def test_a_jpeg_frame_decodes_to_its_pixels_at_its_size(width, height):
    picture = camera_like(width, height)
    frame = live.decode_frame(data_url(encoded(picture, quality=80)))
    assert frame.shape == (height, width, 3) and frame.dtype == np.uint8
    # JPEG at quality 80 moves a smooth picture's pixels by a few levels at most, on average
    assert np.abs(frame.astype(int) - picture).mean() < 6


def test_a_png_frame_decodes_exactly_and_its_transparency_is_dropped():
    picture = camera_like(64, 48)
    rgba = np.dstack([picture, np.full(picture.shape[:2], 255, np.uint8)])
    frame = live.decode_frame(data_url(encoded(rgba, "PNG"), "image/png"))
    np.testing.assert_array_equal(frame, picture)


def test_a_gray_jpeg_frame_becomes_three_equal_channels():
    gray = camera_like(32, 32)[:, :, 0]
    frame = live.decode_frame(data_url(encoded(gray)))
    assert frame.shape == (32, 32, 3)
    assert (frame[:, :, 0] == frame[:, :, 1]).all() and (frame[:, :, 1] == frame[:, :, 2]).all()


def test_a_frame_as_live_js_sends_it_is_a_few_kilobytes():
    """96×96 of a handwritten digit photographed, JPEG quality 0.8: what one frame costs."""
    photo = corpus.handwritten_digit_photo(3, seed=2, size=96)
    again = encoded(np.asarray(Image.open(io.BytesIO(photo)).convert("RGB")), quality=80)
    url = data_url(again)
    assert len(url) < 8_000
    assert live.decode_frame(url).shape == (96, 96, 3)


def test_parse_frame_keeps_the_browsers_number():
    frame = live.parse_frame({"id": 41, "image": data_url(encoded(camera_like()))})
    assert frame.id == 41 and frame.picture.shape == (96, 96, 3)


# --- frames that are refused -------------------------------------------------------------------

JPEG = encoded(camera_like(), quality=80)
PNG = encoded(camera_like(), "PNG")
REFUSED = [
    ("not a string", 12345, "live.not_a_frame"),
    ("no data URL", "https://example.org/cat.jpg", "live.not_a_frame"),
    ("not base64 encoded", "data:image/jpeg," + JPEG.hex(), "live.not_a_frame"),
    ("no comma", "data:image/jpeg;base64", "live.not_a_frame"),
    ("a GIF", data_url(b"GIF89a" + bytes(20), "image/gif"), "live.frame_format"),
    ("an SVG", data_url(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
     "live.frame_format"),
    ("PNG bytes called JPEG", data_url(PNG), "live.not_a_frame"),
    ("JPEG bytes called PNG", data_url(JPEG, "image/png"), "live.not_a_frame"),
    ("text called JPEG", data_url(b"hello, this is no picture"), "live.not_a_frame"),
    ("broken base64", "data:image/jpeg;base64,/9j/4AAQ$$$", "live.not_a_frame"),
    ("empty", "data:image/jpeg;base64,", "live.not_a_frame"),
    ("a JPEG cut short", data_url(JPEG[: len(JPEG) // 2]), "images.corrupt"),
    ("a JPEG header only", data_url(JPEG[:3] + bytes(40)), "images.corrupt"),
    ("a frame of 300 pixels", data_url(encoded(camera_like(300, 20))), "live.frame_too_big"),
    ("too many bytes", data_url(b"\xff\xd8\xff" + bytes(live.MAX_FRAME_BYTES)),
     "live.frame_too_large"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "url", "key"), REFUSED, ids=[r[0] for r in REFUSED])
def test_what_is_not_a_small_jpeg_or_png_frame_is_refused_with_a_message(name, url, key):
    with pytest.raises(ImageError) as caught:
        live.decode_frame(url)
    assert caught.value.key == key
    for lang in ("en", "ko"):
        message = i18n.t(key, lang, **caught.value.values)
        assert key in i18n.catalogue(lang) and "{" not in message and len(message) > 20


@pytest.mark.parametrize(
    "payload",
    [None, "frame", [1, 2], {"image": data_url(JPEG)}, {"id": 0, "image": data_url(JPEG)},
     {"id": True, "image": data_url(JPEG)}, {"id": "3", "image": data_url(JPEG)},
     {"id": 3}, {"id": 3, "image": None}],
)  # fmt: skip
def test_a_message_that_is_not_a_numbered_frame_is_refused(payload):
    with pytest.raises(ImageError) as caught:
        live.parse_frame(payload)
    assert caught.value.key == "live.not_a_frame"


@pytest.mark.parametrize("side", [257, 5_000, 30_000])
def test_a_frame_claiming_a_large_size_is_refused_before_its_pixels_are_decoded(side):
    """A PNG header saying side × side (30 000: 900 MP) in a few hundred bytes: refused at once,
    where decoding it would take gigabytes and seconds."""
    bomb = corpus.decompression_bomb(side, side)
    started = time.perf_counter()
    with pytest.raises(ImageError) as caught:
        live.decode_frame(data_url(bomb, "image/png"))
    assert caught.value.key == "live.frame_too_big"
    assert caught.value.values == {"limit": live.MAX_FRAME_SIDE}
    assert time.perf_counter() - started < 0.5


def test_damaged_frames_give_a_picture_or_a_message_never_a_crash():
    rng = np.random.default_rng(13)
    for _ in range(80):
        damaged = bytearray(JPEG)
        for position in rng.integers(0, len(JPEG), int(rng.integers(1, 8))):
            damaged[position] = int(rng.integers(0, 256))
        try:
            frame = live.decode_frame(data_url(bytes(damaged)))
        except ImageError as error:
            assert error.key in i18n.catalogue("en")
        else:
            assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3


# --- how large the browser draws a frame; which maps are shown -----------------------------------


@pytest.mark.parametrize(
    ("input_shape", "size"),
    [((28, 28, 1), (96, 96)), ((224, 224, 3), (128, 128)), ((32, 32, 3), (96, 96)),
     ((60, 60, 3), (120, 120)), ((100, 200, 3), (128, 64)), ((200, 100, 3), (64, 128))],
)  # fmt: skip
def test_a_frame_is_twice_the_models_side_between_96_and_128_pixels(input_shape, size):
    assert live.frame_size(input_shape) == size


def test_first_conv_is_the_first_convolutions_maps_and_none_for_an_mlp():
    keras.utils.set_random_seed(0)
    cnn = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.MaxPooling2D(2),
                            keras.layers.Conv2D(4, 3, name="first"), keras.layers.Conv2D(2, 3),
                            keras.layers.Flatten(), keras.layers.Dense(3)])  # fmt: skip
    mlp = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Flatten(),
                            keras.layers.Dense(3)])  # fmt: skip
    x = np.random.default_rng(0).random((1, 12, 12, 1), np.float32)
    conv = live.first_conv(features.activations(cnn, x))
    assert conv.name == "first" and conv.values.shape == (4, 4, 4)
    assert live.first_conv(features.activations(mlp, x)) is None
