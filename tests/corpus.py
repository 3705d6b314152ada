"""Odd and bad picture files, made in memory, deterministic. Shared by unit, page and browser tests.

BAD_FILES: (name, make_bytes, expected catalogue key); ODD_FILES: (name, make_bytes, check) where
check(rgb_array) asserts the picture was read correctly; ODD_PICTURES: arrays of odd shapes and
types (one pixel, a strip, RGBA, float, NaN, bool, uint16) that picture functions must survive.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def gradient(width: int = 64, height: int = 48) -> np.ndarray:
    """An asymmetric RGB test picture: red rises to the right, green downwards, a blue corner."""
    x = np.linspace(0, 255, width)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height)[:, None].repeat(width, 1)
    blue = np.zeros((height, width))
    blue[: height // 4, : width // 4] = 255
    return np.stack([x, y, blue], axis=2).astype(np.uint8)


def jpeg(width: int = 64, height: int = 48, quality: int = 90) -> bytes:
    return _save(Image.fromarray(gradient(width, height)), "JPEG", quality=quality)


# ---- bad files -------------------------------------------------------------------------------
def empty() -> bytes:
    return b""


def text_renamed_jpg() -> bytes:
    return b"Dear class,\nthis is a text file renamed to photo.jpg.\n" * 20


def truncated_jpeg() -> bytes:
    data = jpeg(400, 300)
    return data[: len(data) // 3]


def truncated_png() -> bytes:
    data = _save(Image.fromarray(gradient(200, 150)), "PNG")
    return data[: len(data) // 2]


def damaged_png() -> bytes:
    """A PNG whose picture data was altered after saving: its checksum no longer matches."""
    data = bytearray(_save(Image.fromarray(gradient(200, 150)), "PNG"))
    start = data.index(b"IDAT") + 40
    data[start : start + 16] = bytes(16)
    return bytes(data)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def decompression_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid PNG header claiming width × height 1-bit pixels (900 MP) in a few hundred bytes."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grayscale
    row = b"\x00" + b"\x00" * (width // 8 + 1)
    body = zlib.compress(row * 64, 9)  # far fewer rows than claimed: never decoded anyway
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


def just_too_many_pixels() -> bytes:
    """11,000 × 11,000 = 121 MP: over the app's 120 MP, under Pillow's own refusal (179 MP)."""
    return decompression_bomb(11_000, 11_000)


def svg() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
        b'<circle cx="20" cy="20" r="15" fill="red"/></svg>'
    )


def svg_from_a_drawing_program() -> bytes:
    """As Illustrator and Inkscape write it: a byte-order mark, a comment and a DOCTYPE first."""
    return (
        b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?>\n"
        b"<!-- Generator: Adobe Illustrator 27.0 -->\n"
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' + svg().split(b"\n", 1)[1]
    )


def svgz() -> bytes:
    return gzip.compress(svg(), mtime=0)


def pdf() -> bytes:
    return _save(Image.fromarray(gradient()), "PDF")


def heic() -> bytes:
    """The start of an iPhone photo (an ISO media 'ftyp' box with the HEIC brand); then noise."""
    box = struct.pack(">I", 24) + b"ftypheic" + struct.pack(">I", 0) + b"mif1heic"
    return box + random_bytes()[:2000]


def eps() -> bytes:
    """An EPS figure: Pillow can read it only by running Ghostscript, which uploads never do."""
    return _save(Image.fromarray(gradient()), "EPS")


def random_bytes() -> bytes:
    return np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8).tobytes()


BAD_FILES = [
    ("empty.jpg", empty, "images.empty"),
    ("notes.jpg", text_renamed_jpg, "images.not_an_image"),
    ("truncated.jpg", truncated_jpeg, "images.corrupt"),
    ("truncated.png", truncated_png, "images.corrupt"),
    ("damaged.png", damaged_png, "images.corrupt"),
    ("bomb.png", decompression_bomb, "images.too_many_pixels"),
    ("121mp.png", just_too_many_pixels, "images.too_many_pixels"),
    ("drawing.svg", svg, "images.svg"),
    ("illustrator.svg", svg_from_a_drawing_program, "images.svg"),
    ("drawing.svgz", svgz, "images.svg"),
    ("slides.pdf", pdf, "images.pdf"),
    ("iphone.heic", heic, "images.heic"),
    ("figure.eps", eps, "images.unsupported"),
    ("random.png", random_bytes, "images.not_an_image"),
]


# ---- odd but valid files ---------------------------------------------------------------------
def cmyk_jpeg() -> bytes:
    return _save(Image.fromarray(gradient()).convert("CMYK"), "JPEG", quality=95)


def png_16bit() -> bytes:
    """16-bit grayscale whose values sit in a narrow high band (40,000 – 50,000)."""
    values = np.linspace(40_000, 50_000, 64 * 48).reshape(48, 64).astype(np.uint16)
    return _save(Image.fromarray(values), "PNG")


def palette_png_with_transparency() -> bytes:
    image = Image.fromarray(gradient()).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    index = image.getpixel((0, 47))
    return _save(image, "PNG", transparency=index)


def rgba_png() -> bytes:
    rgba = np.zeros((48, 64, 4), np.uint8)
    rgba[:, :32] = (255, 0, 0, 255)  # left half opaque red, right half fully transparent
    return _save(Image.fromarray(rgba), "PNG")


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ((0, 0, 255), (255, 0, 0))]
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


_STORED_FOR = {  # EXIF orientation -> how the camera stored an upright picture
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # phone turned clockwise: shown after turning 90° clockwise
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def exif_rotated_jpeg(orientation: int = 6) -> bytes:
    """Stored turned or mirrored (orientations 5–8: 48 wide × 64 high); upright it is 64 × 48."""
    stored = Image.fromarray(gradient(64, 48))
    if _STORED_FOR[orientation] is not None:
        stored = stored.transpose(_STORED_FOR[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    return _save(stored, "JPEG", quality=95, exif=exif.tobytes())


def jpeg_with_broken_exif() -> bytes:
    """A JPEG whose EXIF block is cut short: the picture is fine, only the metadata is not."""
    data = jpeg()
    broken = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12"
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(broken) + 2) + broken + data[2:]


def one_pixel() -> bytes:
    return _save(Image.new("RGB", (1, 1), (10, 200, 30)), "PNG")


def strip() -> bytes:
    return _save(Image.fromarray(gradient(10_000, 8)), "PNG")


def gray_jpeg() -> bytes:
    return _save(Image.fromarray(gradient()).convert("L"), "JPEG", quality=95)


def one_bit_png() -> bytes:
    """Mode "1": black left half, white right half."""
    return _save(Image.fromarray(np.arange(64)[None, :].repeat(48, 0) >= 32), "PNG")


def gray_alpha_png() -> bytes:
    """Mode "LA": black, opaque on the left half, fully transparent on the right."""
    gray_alpha = np.zeros((48, 64, 2), np.uint8)
    gray_alpha[:, :32, 1] = 255
    return _save(Image.fromarray(gray_alpha, "LA"), "PNG")


def float_tiff() -> bytes:
    """32-bit float (mode "F") with values 0.20 – 0.30, as a scientific camera writes."""
    values = np.linspace(0.2, 0.3, 64 * 48, dtype=np.float32).reshape(48, 64)
    return _save(Image.fromarray(values), "TIFF")


def animated_webp() -> bytes:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ((0, 0, 255), (255, 0, 0))]
    return _save(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)


def multi_picture_jpeg() -> bytes:
    """MPO, as many phones write: the photo first, then a second picture (here red)."""
    frames = [Image.new("RGB", (40, 30), colour) for colour in ((0, 0, 255), (255, 0, 0))]
    return _save(frames[0], "MPO", save_all=True, append_images=frames[1:], quality=95)


def avif() -> bytes:
    """AVIF, as newer phones and browsers save (needs a Pillow built with libavif)."""
    return _save(Image.fromarray(gradient()), "AVIF", quality=90)


def bmp() -> bytes:
    return _save(Image.fromarray(gradient()), "BMP")


@cache
def photo_48mp() -> bytes:
    """An 8000 × 6000 JPEG (about 10 MB) of a real photo with a camera's fine grain.

    The shipped coffee photo (assets/samples, CC0) scaled up, plus noise so the file carries
    as much detail to decode as a phone's 48-megapixel photo. Made once per test session.
    """
    photo = np.asarray(Image.open(ASSETS / "samples" / "coffee.jpg").convert("RGB"))
    big = cv2.resize(photo, (8000, 6000), interpolation=cv2.INTER_CUBIC)
    grain = np.random.default_rng(0).integers(-8, 9, (1000, 1000, 1), dtype=np.int16)
    big = np.clip(big + np.tile(grain, (6, 8, 1)), 0, 255).astype(np.uint8)
    return _save(Image.fromarray(big), "JPEG", quality=85)


def _upright(rgb: np.ndarray) -> None:
    assert rgb.shape[:2] == (48, 64)
    assert rgb[:12, :16, 2].mean() > 150  # the blue corner is top-left
    assert rgb[24, 60, 0] > rgb[24, 4, 0] + 100  # red rises to the right


def _spans_range(rgb: np.ndarray) -> None:
    assert rgb.min() <= 5 and rgb.max() >= 250


def _over_white(rgb: np.ndarray) -> None:
    assert tuple(rgb[10, 5]) == (255, 0, 0)
    assert tuple(rgb[10, 60]) == (255, 255, 255)


def _first_frame(rgb: np.ndarray) -> None:
    assert rgb[15, 20, 2] > 200 and rgb[15, 20, 0] < 50


def _one_pixel(rgb: np.ndarray) -> None:
    assert rgb.shape == (1, 1, 3)
    assert abs(int(rgb[0, 0, 1]) - 200) < 3


def _strip(rgb: np.ndarray) -> None:
    height, width = rgb.shape[:2]
    assert height >= 1 and width <= 2048
    assert abs(width / height - 10_000 / 8) / (10_000 / 8) < 0.5


def _cmyk(rgb: np.ndarray) -> None:
    assert rgb.shape == (48, 64, 3)
    assert rgb[24, 60, 0] > rgb[24, 4, 0] + 100


def _palette(rgb: np.ndarray) -> None:
    assert rgb.shape == (48, 64, 3)
    assert tuple(rgb[47, 0]) == (255, 255, 255)


def _big(rgb: np.ndarray) -> None:
    assert max(rgb.shape[:2]) == 2048
    assert abs(rgb.shape[1] / rgb.shape[0] - 8000 / 6000) < 0.01


def _gray(rgb: np.ndarray) -> None:
    assert rgb.shape == (48, 64, 3)
    assert (rgb[:, :, 0] == rgb[:, :, 1]).all() and (rgb[:, :, 1] == rgb[:, :, 2]).all()


def _halves(left: int, right: int):
    def check(rgb: np.ndarray) -> None:
        assert rgb.shape == (48, 64, 3)
        assert (rgb[:, :30] == left).all() and (rgb[:, 34:] == right).all()

    return check


def _plain(rgb: np.ndarray) -> None:
    assert rgb.shape == (48, 64, 3)
    assert np.abs(rgb.astype(int) - gradient()).mean() < 6


ODD_FILES = [
    ("cmyk.jpg", cmyk_jpeg, _cmyk),
    ("deep.png", png_16bit, _spans_range),
    ("float.tif", float_tiff, _spans_range),
    ("palette.png", palette_png_with_transparency, _palette),
    ("transparent.png", rgba_png, _over_white),
    ("gray_alpha.png", gray_alpha_png, _halves(0, 255)),
    ("line_art.png", one_bit_png, _halves(0, 255)),
    ("gray.jpg", gray_jpeg, _gray),
    ("animation.gif", animated_gif, _first_frame),
    ("animation.webp", animated_webp, _first_frame),
    ("phone.mpo", multi_picture_jpeg, _first_frame),
    ("phone.jpg", exif_rotated_jpeg, _upright),
    ("phone_left.jpg", lambda: exif_rotated_jpeg(8), _upright),
    ("upside_down.jpg", lambda: exif_rotated_jpeg(3), _upright),
    ("broken_exif.jpg", jpeg_with_broken_exif, _plain),
    ("old.bmp", bmp, _plain),
    ("dot.png", one_pixel, _one_pixel),
    ("strip.png", strip, _strip),
    ("48mp.jpg", photo_48mp, _big),
]

# arrays, not files: what a function that takes any picture must survive (digits, products)
ODD_PICTURES = [
    np.zeros((1, 1), np.uint8),
    np.full((1, 1, 3), 255, np.uint8),
    gradient(10_000, 8),
    gradient(8, 10_000),
    np.zeros((0, 5), np.uint8),
    np.full((50, 50, 4), 128, np.uint8),  # RGBA
    np.dstack([gradient(), np.full((48, 64), 255, np.uint8)]),  # RGBA as RGB + alpha
    np.full((40, 40, 1), 7, np.uint8),
    np.random.default_rng(2).random((64, 64)).astype(np.float32),
    np.full((30, 30), np.nan, np.float64),
    np.ones((30, 30), bool),
    np.arange(900, dtype=np.uint16).reshape(30, 30),
]


# ---- a photo of a handwritten digit ----------------------------------------------------------
def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> list:
    angles = np.radians(np.linspace(start, end, max(8, int(abs(end - start) / 10))))
    return list(zip(cx + rx * np.cos(angles), cy + ry * np.sin(angles), strict=True))


# each digit as pen strokes in a unit box (x right, y down), written the way people write them
DIGIT_STROKES = {
    0: [_arc(0.5, 0.5, 0.4, 0.46, -90, 275)],
    1: [[(0.32, 0.22), (0.56, 0.04), (0.52, 0.96)]],
    2: [_arc(0.5, 0.3, 0.3, 0.25, 195, 400) + [(0.18, 0.95), (0.85, 0.94)]],
    3: [_arc(0.48, 0.27, 0.27, 0.22, 200, 450) + _arc(0.48, 0.72, 0.31, 0.25, 270, 520)],
    4: [[(0.55, 0.04), (0.14, 0.64), (0.86, 0.64)], [(0.66, 0.3), (0.64, 0.97)]],
    5: [[(0.8, 0.05), (0.3, 0.05), (0.26, 0.44)] + _arc(0.5, 0.68, 0.3, 0.27, 215, 515)],
    6: [_arc(0.78, 0.62, 0.52, 0.58, 260, 180) + _arc(0.52, 0.72, 0.26, 0.24, 180, 540)],
    7: [[(0.14, 0.06), (0.86, 0.05), (0.42, 0.96)]],
    8: [_arc(0.5, 0.27, 0.23, 0.22, 90, 450), _arc(0.5, 0.72, 0.29, 0.25, -90, 270)],
    9: [_arc(0.5, 0.3, 0.26, 0.25, 0, 365) + [(0.74, 0.3), (0.68, 0.96)]],
}


def handwritten_digit_photo(digit: int, seed: int = 0, size: int = 480) -> bytes:
    """A JPEG photo of `digit` handwritten in dark ink on light paper.

    The digit is drawn with OpenCV as pen strokes (DIGIT_STROKES) with a seeded hand: a wobble
    on every point, slant, tilt, a pen from a fine liner to a thick marker. The paper is lit
    unevenly (one side up to 30 % darker), noisy and JPEG-compressed, as a phone photo is.
    """
    rng = np.random.default_rng(1000 * seed + digit)
    height = size * rng.uniform(0.45, 0.7)  # the digit's height in pixels
    width = height * rng.uniform(0.55, 0.75)
    slant = rng.uniform(-0.25, 0.15)  # x shifts by slant·(0.5 − y): a forward lean is negative
    centre = np.array([size / 2, size / 2]) + rng.uniform(-0.08, 0.08, 2) * size
    pen = max(2, int(height * rng.uniform(0.03, 0.11)))
    ink = np.zeros((size, size), np.uint8)
    for stroke in DIGIT_STROKES[digit]:
        wobble = cv2.blur(rng.normal(0, 0.03, (len(stroke), 1, 2)), (1, 5)).reshape(-1, 2)
        points = np.array(stroke, np.float64) + wobble
        x = (points[:, 0] - 0.5 + slant * (0.5 - points[:, 1])) * width + centre[0]
        y = (points[:, 1] - 0.5) * height + centre[1]
        xy = np.round(np.stack([x, y], axis=1) * 16).astype(np.int32)  # 4 fractional bits
        cv2.polylines(ink, [xy], False, 255, pen, cv2.LINE_AA, shift=4)
    tilt = cv2.getRotationMatrix2D((size / 2, size / 2), float(rng.uniform(-10, 10)), 1.0)
    ink = cv2.warpAffine(ink, tilt, (size, size)).astype(np.float32) / 255
    return _photographed(ink, rng)


def _photographed(ink: np.ndarray, rng: np.random.Generator) -> bytes:
    """`ink` ((size, size) float, 1 where the pen went) in dark ink on paper lit unevenly, with
    noise, as a JPEG."""
    size = ink.shape[0]
    paper = np.full((size, size), float(rng.uniform(200, 235)), np.float32)
    page = paper - ink * float(rng.uniform(130, 180))
    across = np.linspace(float(rng.uniform(0.7, 0.85)), 1.05, size)[None, :]
    down = np.linspace(1.0, float(rng.uniform(0.85, 1.0)), size)[:, None]
    if rng.random() < 0.5:
        across = across[:, ::-1]
    page = page * across * down + rng.normal(0, 5, page.shape)
    rgb = np.clip(np.stack([page, page * 0.98, page * 0.94], axis=2), 0, 255).astype(np.uint8)
    return _save(Image.fromarray(rgb), "JPEG", quality=85)


# ---- digits whose strokes nearly touch -------------------------------------------------------
def _curled_arc(
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    start: float,
    end: float,
    start_curl: float = 1.0,
    end_curl: float = 1.0,
) -> list:
    """An arc whose radius shrinks to `start_curl` (`end_curl`) times over its first (last) 90°:
    an end that curls inwards."""
    angles = np.linspace(start, end, max(8, int(abs(end - start) / 6)))
    curl = np.interp(angles, [start, start + 90, end - 90, end], [start_curl, 1, 1, end_curl])
    radians = np.radians(angles)
    return list(
        zip(cx + curl * rx * np.cos(radians), cy + curl * ry * np.sin(radians), strict=True)
    )


# as pen strokes in a unit box (x right, y down): where a thicker pen or a coarser grid would
# join them, a clearly written 3 whose ends curl towards its middle (the shipped CNN read it as 8
# once a thicker pen had narrowed its gaps), and the 8 and the 0 whose loops are closed.
# (strokes, holes) is the shape drawn.
NEAR_TOUCHING = {
    "3_ends_nearly_touching": (
        [_arc(0.5, 0.27, 0.3, 0.23, 135, 450) + _arc(0.5, 0.73, 0.34, 0.27, 270, 585)],
        (1, 0),
    ),
    "3_curled": (
        [
            _curled_arc(0.44, 0.25, 0.25, 0.21, 175, 450, start_curl=0.65)
            + _curled_arc(0.47, 0.71, 0.32, 0.27, 270, 545, end_curl=0.65)
        ],
        (1, 0),
    ),
    "5_hook_nearly_closed": (
        [
            [(0.86, 0.05), (0.42, 0.05)],
            [(0.3, 0.14), (0.27, 0.45)] + _arc(0.5, 0.67, 0.3, 0.27, 215, 520),
        ],
        (2, 0),
    ),
    "9_tail_near_the_loop": (
        [_arc(0.48, 0.3, 0.28, 0.26, 0, 370), [(0.94, 0.3), (0.76, 0.97)]],
        (2, 1),
    ),
    "8": (
        [_arc(0.5, 0.27, 0.24, 0.22, 90, 450), _arc(0.5, 0.72, 0.3, 0.25, -90, 270)],
        (1, 2),
    ),
    "0": ([_arc(0.5, 0.5, 0.4, 0.46, -90, 275)], (1, 1)),
}


def drawn_digit(name: str, pen: int, size: int = 280) -> np.ndarray:
    """NEAR_TOUCHING[name] drawn white on black with a `pen` pixels wide, as a drawing canvas
    gives it: (size, size) uint8, the digit 0.8 × size high."""
    height = 0.8 * size
    ink = np.zeros((size, size), np.uint8)
    for stroke in NEAR_TOUCHING[name][0]:
        points = np.array(stroke, np.float64)
        x = (points[:, 0] - 0.5) * 0.7 * height + size / 2
        y = (points[:, 1] - 0.5) * height + size / 2
        xy = np.round(np.stack([x, y], axis=1) * 16).astype(np.int32)  # 4 fractional bits
        cv2.polylines(ink, [xy], False, 255, pen, cv2.LINE_AA, shift=4)
    return ink


def photo_of_drawing(ink: np.ndarray, seed: int = 0) -> bytes:
    """A white-on-black drawing (drawn_digit) written in dark ink on paper and photographed: lit
    unevenly, noisy, JPEG, as handwritten_digit_photo."""
    return _photographed(ink.astype(np.float32) / 255, np.random.default_rng(seed))
