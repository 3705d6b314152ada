"""Reading photos a student brings, and turning pictures into what a model takes.

`load_image` accepts whatever a phone, a scanner or a drawing program produces and returns RGB
uint8; `to_model_input` resizes and scales for a model; `prepare_digit` makes a photo of a
handwritten digit look like MNIST; `transform` rotates and shifts as the course does.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from cnnviz.errors import ImageError

__all__ = [
    "DigitSteps",
    "ImageError",
    "MAX_PIXELS",
    "load_image",
    "prepare_digit",
    "to_gray",
    "to_model_input",
    "transform",
]

MAX_PIXELS = 120_000_000  # a 48-megapixel photo passes; a decompression bomb does not


def _sniff(data: bytes) -> None:
    head = data[:512].lstrip().lower()
    if head.startswith(b"<?xml") and b"<svg" in data[:4096].lower() or head.startswith(b"<svg"):
        raise ImageError("images.svg")


def _open(data: bytes) -> Image.Image:
    if not data:
        raise ImageError("images.empty")
    _sniff(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("images.too_many_pixels", limit=MAX_PIXELS // 1_000_000) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ImageError("images.not_an_image") from None
    if width * height > MAX_PIXELS:
        raise ImageError("images.too_many_pixels", limit=MAX_PIXELS // 1_000_000)
    if width < 1 or height < 1:
        raise ImageError("images.not_an_image")
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """Every mode to RGB: 16/32-bit scaled by its range, transparency over white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) / (high - low) * 255 if high > low else np.zeros_like(values)
        return Image.fromarray(scaled.round().astype(np.uint8)).convert("RGB")
    if image.mode == "P" and "transparency" in image.info or image.mode in ("PA", "LA"):
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, image).convert("RGB")
    return image.convert("RGB")


def load_image(data: bytes, max_side: int = 2048) -> np.ndarray:
    """Decode an uploaded picture -> (H, W, 3) uint8 RGB, the right way up, at most `max_side`.

    EXIF orientation is applied; CMYK, 16-bit, palette, grayscale and transparent pictures become
    RGB (transparency over white); an animation gives its first frame. Large JPEGs are decoded
    at a reduced scale (`Image.draft`) so a 48-megapixel photo does not cost a full decode.
    Raises ImageError (with a catalogue key) for anything that is not a readable picture.
    """
    image = _open(data)
    try:
        if getattr(image, "is_animated", False):
            image = next(iter(ImageSequence.Iterator(image))).copy()
        if image.format == "JPEG" and max(image.size) > max_side:
            image.draft("RGB", (max_side, max_side))
        image.load()
        image = ImageOps.exif_transpose(image)
        image = _to_rgb(image)
        if max(image.size) > max_side:
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    except ImageError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError):
        raise ImageError("images.corrupt") from None
    return np.asarray(image, dtype=np.uint8).copy()


def to_gray(img: np.ndarray) -> np.ndarray:
    """Luminance of an RGB image (ITU-R 601, as OpenCV and Pillow): (H, W, 3) -> (H, W)."""
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[2] == 1:
        return img[:, :, 0]
    if img.ndim == 2:
        return img
    gray = cv2.cvtColor(img.astype(np.float32), cv2.COLOR_RGB2GRAY)
    return gray.astype(img.dtype) if img.dtype == np.uint8 else gray


def _centre_crop(img: np.ndarray, aspect: float) -> np.ndarray:
    height, width = img.shape[:2]
    if width / height > aspect:
        new_width = max(1, round(height * aspect))
        left = (width - new_width) // 2
        return img[:, left : left + new_width]
    new_height = max(1, round(width / aspect))
    top = (height - new_height) // 2
    return img[top : top + new_height]


def to_model_input(img: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """A picture -> (1, H, W, C) float32 in 0..1, as the app's models are trained.

    The picture is centre-cropped to the model's aspect (nothing is stretched), resized with
    area averaging, converted to the model's channels (C = 1: luminance) and scaled by 1/255
    when it is uint8.
    """
    height, width, channels = (
        (tuple(input_shape) + (1,))[:3] if len(input_shape) == 2 else input_shape
    )
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, :3]
    scale = 255.0 if img.dtype == np.uint8 else 1.0
    img = img.astype(np.float32) / scale
    img = _centre_crop(img, width / height)
    interpolation = cv2.INTER_AREA if img.shape[0] > height else cv2.INTER_LINEAR
    img = cv2.resize(img, (width, height), interpolation=interpolation)
    if img.ndim == 2:
        img = img[:, :, None]
    if channels == 1 and img.shape[2] == 3:
        img = to_gray(img)[:, :, None]
    elif channels == 3 and img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.clip(img, 0.0, 1.0)[None].astype(np.float32)


@dataclass(frozen=True)
class DigitSteps:
    """Each step of turning a digit photo into an MNIST-like input (uint8 images but `result`)."""

    gray: np.ndarray
    inverted: np.ndarray  # white ink on black, background flattened
    ink: np.ndarray  # the ink mask (thresholded, specks removed)
    cropped: np.ndarray  # cut to the ink's bounding box
    fitted: np.ndarray  # scaled into a 20×20 box, aspect kept
    result: np.ndarray  # (28, 28) float32 in 0..1, centred by mass, as MNIST


def prepare_digit(img: np.ndarray) -> DigitSteps:
    """Photo of a handwritten digit -> 28×28 white-on-black, centred by mass, as MNIST.

    Grayscale; invert when the background is light; divide out uneven lighting; keep the largest
    ink strokes; crop to them; fit into 20×20 keeping the aspect; centre of mass at (14, 14).
    """
    gray = to_gray(np.asarray(img)).astype(np.uint8)
    if gray.size == 0:
        raise ImageError("images.no_digit")
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    inverted = 255 - gray if np.median(border) > 127 else gray.copy()
    # flatten uneven light: subtract a heavily blurred background estimate
    side = max(gray.shape)
    small = cv2.resize(inverted, None, fx=256 / side, fy=256 / side) if side > 256 else inverted
    background = cv2.medianBlur(small, 2 * (max(small.shape) // 4) + 1)
    background = cv2.resize(background, (inverted.shape[1], inverted.shape[0]))
    flat = cv2.subtract(inverted, background)
    flat = cv2.GaussianBlur(flat, (3, 3), 0)
    if flat.max() < 30:
        raise ImageError("images.no_digit")
    _, ink = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = _keep_strokes(ink)
    if not ink.any():
        raise ImageError("images.no_digit")
    rows, cols = np.nonzero(ink)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    strokes = np.where(ink > 0, flat, 0).astype(np.float32)
    cropped = strokes[top:bottom, left:right]
    cropped = cropped / cropped.max() * 255
    height, width = cropped.shape
    factor = 20.0 / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    fitted = cv2.resize(cropped, size, interpolation=cv2.INTER_AREA)
    canvas = np.zeros((28, 28), np.float32)
    y0, x0 = (28 - fitted.shape[0]) // 2, (28 - fitted.shape[1]) // 2
    canvas[y0 : y0 + fitted.shape[0], x0 : x0 + fitted.shape[1]] = fitted
    moments = cv2.moments(canvas)
    if moments["m00"] > 0:
        dx = 14 - moments["m10"] / moments["m00"]
        dy = 14 - moments["m01"] / moments["m00"]
        canvas = cv2.warpAffine(canvas, np.float32([[1, 0, dx], [0, 1, dy]]), (28, 28))
    result = np.clip(canvas / 255.0, 0, 1).astype(np.float32)
    return DigitSteps(
        gray=gray,
        inverted=inverted,
        ink=ink,
        cropped=cropped.astype(np.uint8),
        fitted=fitted.astype(np.uint8),
        result=result,
    )


def _keep_strokes(mask: np.ndarray) -> np.ndarray:
    """Drop specks: keep connected components at least a tenth the size of the largest."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return np.zeros_like(mask)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = 1 + np.nonzero(areas >= max(areas.max() / 10, 4))[0]
    return np.where(np.isin(labels, keep), 255, 0).astype(np.uint8)


def transform(
    img: np.ndarray, angle: float = 0.0, dx: float = 0.0, dy: float = 0.0, scale: float = 1.0
) -> np.ndarray:
    """Rotate by `angle` degrees about the centre, scale, then shift by (dx, dy) pixels.

    As the course: M = cv2.getRotationMatrix2D((w/2, h/2), angle, scale); M[0, 2] += dx;
    M[1, 2] += dy; cv2.warpAffine(img, M, (w, h)). Same shape and dtype out; outside is 0.
    """
    img = np.asarray(img)
    height, width = img.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, scale)
    matrix[0, 2] += dx
    matrix[1, 2] += dy
    squeeze = img.ndim == 3 and img.shape[2] == 1
    out = cv2.warpAffine(img[:, :, 0] if squeeze else img, matrix, (width, height))
    return out[:, :, None] if squeeze else out
