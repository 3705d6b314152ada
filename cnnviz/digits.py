"""A photo of a handwritten digit made to look like MNIST, and telling such a photo from others.

`prepare_digit` does what was done to MNIST's digits (white ink on black, fitted into 20 × 20,
centred by mass in 28 × 28) and returns every step for the page to show; `looks_like_digit`
says whether a picture is a digit on paper or a drawing of one, so a page can offer the steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cnnviz.errors import ImageError
from cnnviz.pixels import gray_uint8

__all__ = ["DigitSteps", "looks_like_digit", "prepare_digit"]

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
    gray = gray_uint8(img)
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
    """(H, W) or (H, W, 1 | 3 | 4) numbers, at least one pixel: what gray_uint8 accepts."""
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
    gray = _shrunk(gray_uint8(picture), LOOK_SIDE)
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
