"""Reading photos a student brings, and turning pictures into what a model takes.

`load_image` accepts whatever a phone, a scanner or a drawing program produces and returns RGB
uint8; `to_model_input` resizes and scales for a model; `transform` rotates and shifts as the
course does. Making a photo look like a dataset's picture lives beside it: a handwritten digit
as MNIST in cnnviz.digits, one object as Fashion-MNIST in cnnviz.products.
"""

from __future__ import annotations

import io
import zlib

import cv2
import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError

# re-exported: the preparations live in cnnviz.digits and cnnviz.products, pixel values in
# cnnviz.pixels
from cnnviz.digits import DigitSteps, looks_like_digit, prepare_digit
from cnnviz.errors import ImageError, ShapeError
from cnnviz.pixels import to_gray, unit_range
from cnnviz.products import ProductSteps, prepare_product

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
    "unit_range",
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
