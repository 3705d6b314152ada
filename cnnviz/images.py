"""Reading photos a student brings, and turning pictures into what a model takes.

`load_image` accepts whatever a phone, a scanner or a drawing program produces and returns RGB
uint8; `to_model_input` resizes and scales for a model; `prepare_digit` makes a photo of a
handwritten digit look like MNIST; `looks_like_digit` tells such a photo (or a drawing) from other
pictures; `prepare_product` makes a photo of one object look like Fashion-MNIST; `transform`
rotates and shifts as the course does.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError

from cnnviz.errors import ImageError, ShapeError

__all__ = [
    "DigitSteps",
    "FORMATS",
    "ImageError",
    "MAX_PIXELS",
    "ProductSteps",
    "load_image",
    "looks_like_digit",
    "prepare_digit",
    "prepare_product",
    "to_gray",
    "to_model_input",
    "transform",
]

MAX_PIXELS = 120_000_000  # a 48-megapixel photo passes; a decompression bomb does not
# raster formats Pillow decodes itself; others (EPS runs Ghostscript, PSD, ...) are refused
# (phones' multi-picture JPEGs, MPO, open through JPEG; AVIF where this Pillow has it)
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "AVIF", "BMP", "DIB", "TIFF", "ICO", "PPM")
_SIGNATURES = (  # the first bytes of the formats above: such a file is damaged, not foreign
    b"\xff\xd8\xff",
    b"\x89PNG",
    b"GIF8",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


def _sniff(data: bytes) -> None:
    """Refuse, with their own message, files students often mistake for photos."""
    if not data:
        raise ImageError("images.empty")
    head = data[:4096]
    if head.startswith(b"\x1f\x8b"):  # gzip: an .svgz drawing?
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 4096)
        except zlib.error:
            return
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<") and b"<svg" in text:
        raise ImageError("images.svg")
    if head.startswith(b"%PDF"):
        raise ImageError("images.pdf")
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        raise ImageError("images.heic")


def _open(data: bytes) -> Image.Image:
    """Open (headers only) one of FORMATS, refusing bombs; nothing is decoded yet."""
    _sniff(data)
    # Pillow only warns between 89 and 179 MP (its own refusal); our limit sits between. No
    # warnings.catch_warnings here: it is not thread-safe, and Streamlit runs sessions in threads.
    try:
        Image.init()
        image = Image.open(io.BytesIO(data), formats=[f for f in FORMATS if f in Image.OPEN])
    except Image.DecompressionBombError:
        raise ImageError("images.too_many_pixels", limit=MAX_PIXELS // 1_000_000) from None
    except UnidentifiedImageError:
        raise _unreadable(data) from None
    except Exception:  # Pillow's plugins report bad headers in many ways
        raise ImageError("images.corrupt") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageError("images.too_many_pixels", limit=MAX_PIXELS // 1_000_000)
    if width < 1 or height < 1:
        raise ImageError("images.corrupt")
    return image


def _unreadable(data: bytes) -> ImageError:
    """Why a file is not one of FORMATS: damaged, another picture format, or not a picture."""
    if data.startswith(_SIGNATURES) or data[8:12] == b"WEBP":
        return ImageError("images.corrupt")
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"):
        return ImageError("images.unsupported", format="AVIF")  # a Pillow built without it
    try:
        other = Image.open(io.BytesIO(data))  # headers only, to name the format
        return ImageError("images.unsupported", format=other.format or "?")
    except Exception:  # any failure here means it is no picture at all
        return ImageError("images.not_an_image")


def _check_png(data: bytes) -> None:
    """Refuse a PNG whose checksums fail (a damaged file can still decode, as noise)."""
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            image.verify()
    except Exception:  # Pillow reports a bad checksum as SyntaxError or OSError
        raise ImageError("images.corrupt") from None


def _draft_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The smallest size a JPEG may be decoded at and still be `max_side` on its long side."""
    width, height = size
    factor = max_side / max(width, height)
    return max(1, round(width * factor)), max(1, round(height * factor))


def _scaled_to_bytes(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit pictures (I;16, I, F) -> L, stretched from their own min..max to 0..255."""
    values = np.asarray(image, dtype=np.float64)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    values = np.nan_to_num(values, nan=low, posinf=high, neginf=low)
    scaled = (values - low) / (high - low) * 255 if high > low else np.zeros_like(values)
    return Image.fromarray(scaled.round().astype(np.uint8))


def _to_rgb(image: Image.Image) -> Image.Image:
    """Every mode to RGB: 16/32-bit scaled by its range, transparency over white."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        image = _scaled_to_bytes(image)
    if "transparency" in image.info or image.mode in ("LA", "PA", "La", "RGBa"):
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, image).convert("RGB")
    return image.convert("RGB")


# EXIF orientation -> the turn that shows the picture upright (as ImageOps.exif_transpose)
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation a phone writes (1 = upright); a damaged EXIF block counts as 1."""
    try:
        return int(image.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # the pixels are fine, only the metadata is broken
        return 1


def load_image(data: bytes, max_side: int = 2048) -> np.ndarray:
    """Decode an uploaded picture -> (H, W, 3) uint8 RGB, the right way up, long side ≤ `max_side`.

    EXIF orientation is applied; CMYK, 16-bit, palette, grayscale and transparent pictures become
    RGB (16-bit stretched over its own range, transparency over white); an animation gives its
    first frame. A large JPEG is decoded at 1/2, 1/4 or 1/8 scale (`Image.draft`) so a
    48-megapixel photo never costs a full decode, then shrunk to `max_side` (bicubic, aspect kept,
    each side at least 1 pixel). Raises ImageError with a catalogue key (`images.*`) for anything
    that is not a readable picture: empty, not a picture, SVG, PDF, HEIC, another format, damaged,
    more than MAX_PIXELS pixels.
    """
    data = bytes(data)
    image = _open(data)
    if image.format == "PNG":
        _check_png(data)
    if image.format in ("JPEG", "MPO") and max(image.size) > max_side:
        image.draft("RGB", _draft_size(image.size, max_side))
    try:
        image.load()  # Pillow opens at the first frame of an animation or a multi-page file
    except Exception:  # decoders report damaged data in many ways
        raise ImageError("images.corrupt") from None
    orientation = _orientation(image)
    try:
        image = _to_rgb(image)
    except ValueError:
        raise ImageError("images.unsupported", format=f"{image.format} {image.mode}") from None
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.BICUBIC, reducing_gap=2.0)
    if orientation in _UPRIGHT:  # turned after shrinking: fewer pixels to move
        image = image.transpose(_UPRIGHT[orientation])
    return np.array(image, dtype=np.uint8)  # (H, W, 3), a writable copy


def to_gray(img: np.ndarray) -> np.ndarray:
    """Luminance of an RGB image (ITU-R 601, as OpenCV and Pillow): (H, W, 3) -> (H, W)."""
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[2] == 1:
        return img[:, :, 0]
    if img.ndim == 2:
        return img
    gray = cv2.cvtColor(img[:, :, :3].astype(np.float32), cv2.COLOR_RGB2GRAY)
    return gray.round().astype(np.uint8) if img.dtype == np.uint8 else gray


def unit_range(img: np.ndarray) -> np.ndarray:
    """Pixel values -> float32 in 0..1: uint8 / 255, other integers / their maximum, floats
    above 1.5 taken as 0..255."""
    if img.dtype == np.bool_:
        return img.astype(np.float32)
    if img.dtype == np.uint8:
        return img.astype(np.float32) / 255.0
    if np.issubdtype(img.dtype, np.integer):
        return img.astype(np.float32) / np.iinfo(img.dtype).max
    img = np.nan_to_num(img.astype(np.float32))
    return img / 255.0 if img.size and img.max() > 1.5 else img


def _model_dims(input_shape: tuple) -> tuple:
    """A model's input shape without its batch axis: (None, 28, 28, 1) -> (28, 28, 1)."""
    dims = tuple(input_shape)
    return dims[1:] if dims and (dims[0] is None or len(dims) == 4) else dims


def _picture_shape(dims: tuple) -> tuple[int, int, int]:
    """(H, W, C) of the picture a model takes: (H, W, C), (H, W) or a flat S·S[·3] vector."""
    if not all(isinstance(d, (int, np.integer)) and d > 0 for d in dims):
        raise ShapeError("images.model_input", shape=str(dims))
    if len(dims) == 3 and dims[2] in (1, 3):
        return int(dims[0]), int(dims[1]), int(dims[2])
    if len(dims) == 2:
        return int(dims[0]), int(dims[1]), 1
    if len(dims) == 1:
        for channels in (1, 3):
            side = round((dims[0] / channels) ** 0.5)
            if side * side * channels == dims[0]:
                return side, side, channels
    raise ShapeError("images.model_input", shape=str(dims))


def _centre_crop(img: np.ndarray, aspect: float) -> np.ndarray:
    """The largest centred part of `img` with width / height = `aspect`."""
    height, width = img.shape[:2]
    if width / height > aspect:
        new_width = max(1, round(height * aspect))
        left = (width - new_width) // 2
        return img[:, left : left + new_width]
    new_height = max(1, round(width / aspect))
    top = (height - new_height) // 2
    return img[top : top + new_height]


def to_model_input(img: np.ndarray, input_shape: tuple) -> np.ndarray:
    """A picture (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) -> float32 (1, *input_shape) in 0..1.

    As the app's models are trained: centre-cropped to the model's aspect (nothing stretched,
    nothing padded), resized (area averaging when shrinking), luminance when the model takes one
    channel, uint8 scaled by 1/255, and a batch axis in front. `input_shape` is (H, W, C) with
    C = 1 or 3, (H, W), a flat (S·S,) or (S·S·3,) for a Dense-only model, with or without a
    leading batch axis (Keras's `model.input_shape`). Other shapes raise ShapeError.
    """
    dims = _model_dims(input_shape)
    height, width, channels = _picture_shape(dims)
    picture = unit_range(np.asarray(img))
    if picture.ndim == 3 and picture.shape[2] == 4:
        picture = picture[:, :, :3]
    if picture.ndim not in (2, 3) or picture.ndim == 3 and picture.shape[2] not in (1, 3):
        raise ShapeError("images.picture_shape", shape=str(np.shape(img)))
    if picture.shape[0] < 1 or picture.shape[1] < 1:
        raise ShapeError("images.picture_shape", shape=str(np.shape(img)))
    picture = _centre_crop(picture, width / height)
    shrinking = picture.shape[0] > height or picture.shape[1] > width
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    picture = cv2.resize(picture, (width, height), interpolation=interpolation)
    picture = picture.reshape(height, width, -1)  # cv2 drops a single channel axis
    if channels == 1 and picture.shape[2] == 3:
        picture = to_gray(picture)[:, :, None]
    elif channels == 3 and picture.shape[2] == 1:
        picture = np.repeat(picture, 3, axis=2)
    picture = np.clip(picture, 0.0, 1.0).astype(np.float32)  # (H, W, C)
    return picture.reshape(1, *dims)


# --- a photo of a handwritten digit -> MNIST ----------------------------------------------------

DIGIT_BOX = 20  # MNIST: the digit fitted into 20 × 20, aspect kept ...
DIGIT_SIDE = 28  # ... and centred by mass in 28 × 28
DIGIT_STROKE = 2.8  # pen width in pixels of the 28 × 28 result that matches MNIST (its sample)
MIN_DIGIT_SIDE = 8
WORK_SIDE = 100  # the digit's long side while its pen is evened out (5 × the box)


@dataclass(frozen=True)
class DigitSteps:
    """Each step of turning a digit photo into an MNIST-like input (uint8 images but `result`)."""

    gray: np.ndarray  # (H, W) luminance of the photo
    inverted: np.ndarray  # (H, W) white ink on black: the photo minus the paper's lighting
    ink: np.ndarray  # (H, W) 0/255 mask of the strokes kept (thresholded, specks dropped)
    cropped: np.ndarray  # the strokes cut to their bounding box, pen width evened out
    fitted: np.ndarray  # scaled into the 20 × 20 box, aspect kept
    result: np.ndarray  # (28, 28) float32 in 0..1, centre of mass at (14, 14), as MNIST


def _gray_uint8(img: np.ndarray) -> np.ndarray:
    """Any picture -> (H, W) uint8 luminance."""
    picture = np.asarray(img)
    if picture.ndim == 3 and picture.shape[2] == 4:
        picture = picture[:, :, :3]
    if picture.ndim not in (2, 3) or picture.ndim == 3 and picture.shape[2] not in (1, 3):
        raise ShapeError("images.picture_shape", shape=str(picture.shape))
    if picture.dtype != np.uint8:
        picture = (unit_range(picture) * 255).round().astype(np.uint8)
    return to_gray(picture)


def _ink_is_dark(gray: np.ndarray) -> bool:
    """Dark ink on paper, or chalk on a board? The paper is the bulk of the picture (its
    median); the ink is the long tail on one side of it, however uneven the light."""
    low, paper, high = np.percentile(gray, [1, 50, 99])
    return paper - low > high - paper


def _paper(gray: np.ndarray, dark_ink: bool) -> np.ndarray:
    """The paper's brightness at every pixel, ink removed: a morphological closing (dark ink)
    or opening (light ink) with a window wider than any pen, on a copy at most 256 px wide."""
    side = max(gray.shape)
    small = gray
    if side > 256:
        small = cv2.resize(gray, None, fx=256 / side, fy=256 / side, interpolation=cv2.INTER_AREA)
    window = max(3, max(small.shape) // 5) | 1
    box = cv2.getStructuringElement(cv2.MORPH_RECT, (window, window))
    operation = cv2.MORPH_CLOSE if dark_ink else cv2.MORPH_OPEN
    paper = cv2.blur(cv2.morphologyEx(small, operation, box), (window, window))
    return cv2.resize(paper, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)


def _ink_strength(gray: np.ndarray) -> np.ndarray:
    """How far each pixel is from the paper, towards the ink: (H, W) uint8, ink bright.

    Subtracting the paper removes uneven lighting; dark ink is flipped to white on black.
    """
    dark_ink = _ink_is_dark(gray)
    difference = gray.astype(np.int16) - _paper(gray, dark_ink).astype(np.int16)
    ink = -difference if dark_ink else difference
    return np.clip(ink, 0, 255).astype(np.uint8)


def _keep_strokes(mask: np.ndarray) -> np.ndarray:
    """Drop specks and the paper's edges: keep the big connected components.

    Components touching the border (a table, a shadow) are dropped when any ink lies inside; of
    what is left, components at least a tenth the size of the largest are kept.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return np.zeros_like(mask)
    left, top = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_TOP]
    right = left + stats[1:, cv2.CC_STAT_WIDTH]
    bottom = top + stats[1:, cv2.CC_STAT_HEIGHT]
    areas = stats[1:, cv2.CC_STAT_AREA].astype(np.int64)
    height, width = mask.shape
    inside = (left > 0) & (top > 0) & (right < width) & (bottom < height)
    noise_floor = max(4, mask.size // 20_000)
    if (areas[inside] >= noise_floor).any():
        areas = np.where(inside, areas, 0)
    kept = np.concatenate([[0], np.where(areas >= max(areas.max() / 10, noise_floor), 255, 0)])
    return kept.astype(np.uint8)[labels]  # each label -> 0 or 255


def _pen_width(strokes: np.ndarray) -> float:
    """Stroke width in pixels: twice the median distance to the paper along the strokes' middle."""
    distance = cv2.distanceTransform((strokes > 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    ridge = (distance > 0) & (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8)))
    return 2.0 * float(np.median(distance[ridge])) if ridge.any() else 1.0


def _even_pen(strokes: np.ndarray, target: float) -> np.ndarray:
    """Thin a marker or thicken a fine pen to `target` pixels, when it is 1.4 times off.

    MNIST's strokes are about equally wide; a fine line shrunk 20 times would fade away.
    """
    width = _pen_width(strokes)
    if abs(np.log(width / target)) < np.log(1.4):
        return strokes
    radius = max(1, round(abs(width - target) / 2))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    if width < target:
        return cv2.dilate(strokes, disc)
    thinner = cv2.erode(strokes, disc)
    return thinner if (thinner > 0.5).any() else strokes


def _cut_strokes(strength: np.ndarray, ink: np.ndarray, level: float) -> tuple[np.ndarray, int]:
    """The kept strokes in their bounding box, 0..1 (1 in a stroke's middle, soft edges),
    shrunk to at most WORK_SIDE pixels, with a margin for a thicker pen; and the box's long side."""
    rows, cols = np.nonzero(ink)
    box = slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)
    near_ink = cv2.dilate(ink[box], np.ones((3, 3), np.uint8)) > 0  # keep the soft edges
    strokes = np.where(near_ink, strength[box] / (1.5 * level), 0.0).astype(np.float32)
    strokes = np.clip(strokes, 0.0, 1.0)
    height, width = strokes.shape
    factor = min(1.0, WORK_SIDE / max(height, width))
    if factor < 1:
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        strokes = cv2.resize(strokes, size, interpolation=cv2.INTER_AREA)
    long_side = max(strokes.shape)
    margin = int(np.ceil(DIGIT_STROKE * long_side / DIGIT_BOX)) + 1
    return np.pad(strokes, margin), long_side


def _centre_by_mass(fitted: np.ndarray) -> np.ndarray:
    """Place `fitted` in a 28 × 28 canvas with its centre of mass at (14, 14)."""
    canvas = np.zeros((DIGIT_SIDE, DIGIT_SIDE), np.float32)
    top, left = (DIGIT_SIDE - fitted.shape[0]) // 2, (DIGIT_SIDE - fitted.shape[1]) // 2
    canvas[top : top + fitted.shape[0], left : left + fitted.shape[1]] = fitted
    moments = cv2.moments(canvas)
    dx = DIGIT_SIDE / 2 - moments["m10"] / moments["m00"]
    dy = DIGIT_SIDE / 2 - moments["m01"] / moments["m00"]
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(canvas, shift, (DIGIT_SIDE, DIGIT_SIDE), flags=cv2.INTER_LINEAR)


def prepare_digit(img: np.ndarray) -> DigitSteps:
    """Photo of a handwritten digit (H, W[, C]) -> 28 × 28 white-on-black, as MNIST was made.

    Grayscale; subtract the paper's uneven lighting and invert dark ink; threshold (Otsu after a
    light blur); keep the big strokes, not specks or the paper's edge; crop to them; even out the
    pen width; fit into 20 × 20 keeping the aspect (area averaging gives the soft edges MNIST has);
    move the centre of mass to (14, 14). A blank picture raises ImageError("images.no_digit").
    """
    gray = _gray_uint8(img)
    if min(gray.shape) < MIN_DIGIT_SIDE:
        raise ImageError("images.digit_too_small", size=MIN_DIGIT_SIDE)
    inverted = _ink_strength(gray)
    strength = cv2.GaussianBlur(inverted, (3, 3), 0)
    level, ink = cv2.threshold(strength, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    paper = strength[ink == 0]
    # on a blank page Otsu splits mere noise, and its two halves lie close together
    if level < 20 or strength[ink > 0].mean() - paper.mean() < 6 * paper.std():
        raise ImageError("images.no_digit")
    ink = _keep_strokes(ink)
    if not ink.any():
        raise ImageError("images.no_digit")
    strokes, long_side = _cut_strokes(strength, ink, level)
    strokes = _even_pen(strokes, DIGIT_STROKE * long_side / DIGIT_BOX)
    rows, cols = np.nonzero(strokes > 0.1)
    cropped = strokes[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    factor = DIGIT_BOX / max(cropped.shape)
    size = (max(1, round(cropped.shape[1] * factor)), max(1, round(cropped.shape[0] * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    fitted = np.clip(cv2.resize(cropped, size, interpolation=interpolation), 0.0, 1.0)
    result = np.clip(_centre_by_mass(fitted), 0.0, 1.0).astype(np.float32)
    return DigitSteps(
        gray=gray,
        inverted=inverted,
        ink=ink,
        cropped=(cropped * 255).round().astype(np.uint8),
        fitted=(fitted * 255).round().astype(np.uint8),
        result=result,
    )


# --- is it a digit on paper? ---------------------------------------------------------------------

LOOK_SIDE = 128  # looks_like_digit works on a copy this long: 5 ms for a 1024-px photo, not 60
MAX_INK_SHARE = 0.35  # of the picture: MNIST digits drawn large reach 0.2, a bold 0 or 8 0.3
MIN_KEPT_SHARE = 0.9  # of the ink, in the strokes _keep_strokes keeps: photos 0.06 – 0.63
MAX_PARTS = 4  # separate strokes: a 4 or a 5 can be written in two, a broken pen makes more
MIN_EVENNESS = 8.0  # stroke contrast / (paper's spread + 1): digits ≥ 29, the sample photos ≤ 6
MAX_FADED_SHARE = 0.2  # of the inside of the strokes fainter than 0.6 of the ink (digits ≤ 0.1)
MAX_PEN_SHARE = 0.3  # pen width / the strokes' long side: MNIST 0.06 – 0.18; a solid blob more


def _shrunk(gray: np.ndarray, side: int) -> np.ndarray:
    """`gray` with its long side at most `side` (area averaging), each side at least 1 pixel."""
    factor = side / max(gray.shape)
    if factor >= 1:
        return gray
    size = (max(1, round(gray.shape[1] * factor)), max(1, round(gray.shape[0] * factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _is_picture(picture: np.ndarray) -> bool:
    """(H, W) or (H, W, 1 | 3 | 4) numbers, at least one pixel: what _gray_uint8 accepts."""
    numbers = picture.dtype == np.bool_ or np.issubdtype(picture.dtype, np.number)
    channels = picture.ndim == 2 or picture.ndim == 3 and picture.shape[2] in (1, 3, 4)
    return bool(numbers and channels and picture.size > 0 and not np.iscomplexobj(picture))


def looks_like_digit(img: np.ndarray) -> bool:
    """True when the picture looks like a handwritten digit on paper or a drawing of one.

    Measured as prepare_digit sees it, on a copy at most LOOK_SIDE long: the ink (the paper's
    lighting subtracted, Otsu's threshold) is a small part of the picture and lies nearly all in
    one compact shape of at most MAX_PARTS strokes, no wider than a pen; the paper around it is
    even (its spread small against the ink's contrast); the ink inside the strokes is even too (a
    pen, not a shaded object). Dark ink on light paper and a light stroke on a dark canvas both
    count. Anything that is not a picture, or too small or thin to hold a digit, gives False.
    """
    picture = np.asarray(img)
    if not _is_picture(picture):
        return False
    gray = _shrunk(_gray_uint8(picture), LOOK_SIDE)
    if min(gray.shape) < MIN_DIGIT_SIDE:
        return False
    strength = cv2.GaussianBlur(_ink_strength(gray), (3, 3), 0)
    level, ink = cv2.threshold(strength, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink_share = np.count_nonzero(ink) / ink.size
    if level < 20 or not 0 < ink_share <= MAX_INK_SHARE:
        return False
    strokes = _keep_strokes(ink)
    if np.count_nonzero(strokes) < MIN_KEPT_SHARE * np.count_nonzero(ink):
        return False
    parts = cv2.connectedComponents(strokes, connectivity=8)[0] - 1
    paper = strength[cv2.dilate(ink, np.ones((5, 5), np.uint8)) == 0]  # clear of the soft edges
    if parts > MAX_PARTS or paper.size == 0:
        return False
    contrast = float(strength[strokes > 0].mean() - paper.mean())
    if contrast < MIN_EVENNESS * (float(paper.std()) + 1):
        return False
    inside = cv2.erode(strokes, np.ones((3, 3), np.uint8)) > 0
    pen = strength[inside] if np.count_nonzero(inside) > 10 else strength[strokes > 0]
    if np.mean(pen < 0.6 * np.percentile(pen, 90)) > MAX_FADED_SHARE:
        return False
    rows, cols = np.nonzero(strokes)
    long_side = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
    return long_side >= MIN_DIGIT_SIDE and _pen_width(strokes) <= MAX_PEN_SHARE * long_side


# --- a photo of one object -> Fashion-MNIST -------------------------------------------------------

PRODUCT_SIDE = 28  # Fashion-MNIST: the object's long side fitted to 28, aspect kept, centred
PRODUCT_TRIM = 0.05  # Zalando trimmed pixels within 5 % of the corner colour; so do we
BORDER_SHARE = 0.05  # the border the background is judged from: 5 % of each side, at least 1 px


@dataclass(frozen=True)
class ProductSteps:
    """Each step of turning a photo of one object into a Fashion-MNIST-like input."""

    gray: np.ndarray  # (H, W) uint8 luminance of the photo
    inverted: np.ndarray  # (H, W) uint8, background dark: 255 − gray when the border is light
    cropped: np.ndarray  # uint8, background made black (0), cut to the object's bounding box
    result: np.ndarray  # (28, 28) float32 in 0..1, long side 28, centred, as Fashion-MNIST


def _border(gray: np.ndarray) -> np.ndarray:
    """The pixels of the outer ring, BORDER_SHARE of each side deep (at least one pixel)."""
    height, width = gray.shape
    deep_rows = max(1, round(height * BORDER_SHARE))
    deep_cols = max(1, round(width * BORDER_SHARE))
    ring = np.ones(gray.shape, bool)
    ring[deep_rows : height - deep_rows, deep_cols : width - deep_cols] = False
    return gray[ring]


def _background_black(inverted: np.ndarray) -> np.ndarray:
    """Background (the border's median b) -> 0, the brightest possible -> 255: (x − b)·255/(255 − b),
    and everything within the trim level of it, or the border's own noise, set to 0."""
    border = _border(inverted).astype(np.float32)
    background = float(np.median(border))
    noise = 1.4826 * float(np.median(np.abs(border - background)))  # robust std of the border
    trim = max(PRODUCT_TRIM * 255, 4 * noise)
    lifted = inverted.astype(np.float32) - background
    lifted[lifted <= trim] = 0
    scaled = lifted * 255 / max(255 - background, 1)
    return np.clip(scaled, 0, 255).round().astype(np.uint8)


def _fit_centred(cropped: np.ndarray, side: int) -> np.ndarray:
    """`cropped` with its long side scaled to `side`, aspect kept, in the middle of side × side."""
    factor = side / max(cropped.shape)
    size = (max(1, round(cropped.shape[1] * factor)), max(1, round(cropped.shape[0] * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    fitted = cv2.resize(cropped.astype(np.float32) / 255, size, interpolation=interpolation)
    fitted = fitted.reshape(size[1], size[0])  # cv2 gives (h, w) back, also for one pixel
    canvas = np.zeros((side, side), np.float32)
    # an odd margin puts the extra pixel before the object, as in Fashion-MNIST (9 rows: 10..18)
    top, left = (side - fitted.shape[0] + 1) // 2, (side - fitted.shape[1] + 1) // 2
    canvas[top : top + fitted.shape[0], left : left + fitted.shape[1]] = fitted
    return np.clip(canvas, 0.0, 1.0)


def prepare_product(img: np.ndarray) -> ProductSteps:
    """Photo of one object on a plain background (H, W[, C]) -> 28 × 28 as Fashion-MNIST drew it.

    Grayscale; invert when the background is light (the border's median ≥ 128), since
    Fashion-MNIST shows a light object on black; background made black and pixels within 5 % of
    it dropped (as Zalando trimmed); cropped to the object's bounding box; long side fitted to 28
    with the aspect kept (area averaging when shrinking); centred. Never raises for odd sizes
    (1 × 1, a 10000 × 8 strip); a constant picture gives a black 28 × 28.
    """
    picture = np.asarray(img)
    if picture.size == 0:
        picture = np.zeros((1, 1), np.uint8)
    gray = _gray_uint8(picture)
    light_background = np.median(_border(gray)) >= 128
    inverted = 255 - gray if light_background else gray.copy()
    object_only = _background_black(inverted)
    # the box of what survives a 3 × 3 opening: a speck of camera noise does not widen it
    rows, cols = np.nonzero(cv2.morphologyEx(object_only, cv2.MORPH_OPEN, np.ones((3, 3))))
    if rows.size == 0:
        cropped = object_only
    else:
        cropped = object_only[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    return ProductSteps(
        gray=gray,
        inverted=inverted,
        cropped=cropped,
        result=_fit_centred(cropped, PRODUCT_SIDE).astype(np.float32),
    )


def transform(
    img: np.ndarray, angle: float = 0.0, dx: float = 0.0, dy: float = 0.0, scale: float = 1.0
) -> np.ndarray:
    """Rotate by `angle` degrees (counter-clockwise) about the centre, scale, shift by (dx, dy).

    As the course: M = cv2.getRotationMatrix2D((w/2, h/2), angle, scale); M[0, 2] += dx;
    M[1, 2] += dy; cv2.warpAffine(img, M, (w, h)). Same shape and dtype out; outside is 0.
    For 28 × 28 the centre is (14, 14).
    """
    img = np.asarray(img)
    height, width = img.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, scale)
    matrix[0, 2] += dx
    matrix[1, 2] += dy
    squeeze = img.ndim == 3 and img.shape[2] == 1
    out = cv2.warpAffine(img[:, :, 0] if squeeze else img, matrix, (width, height))
    return out[:, :, None] if squeeze else out
