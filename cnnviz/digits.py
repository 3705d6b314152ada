"""A photo of a handwritten digit made to look like MNIST, and telling such a photo from others.

`prepare_digit` does what was done to MNIST's digits (white ink on black, fitted into 20 × 20,
centred by mass in 28 × 28) and returns every step for the page to show; `looks_like_digit`
says whether a picture is a digit on paper or a drawing of one, so a page can offer the steps.
"""

from __future__ import annotations

from collections.abc import Callable
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
GAPS = (1.5, 2.0, 2.5)  # pixels of the result kept between strokes that are apart, tried in turn
OPEN_GAP = 3.0  # pixels of the result: a gap the pen would narrow below this keeps its drawn width
MIN_HOLE = 2  # pixels of the result: a smaller hole in the ink is a speck of glare, not a loop
INK_LEVEL = 0.5  # a pixel of the result at least this bright is ink when strokes are counted


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
    small = _shrunk(gray, 256)  # each side at least one pixel: a 10000 × 8 strip is 256 × 1
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


def _disc(radius: float) -> np.ndarray:
    side = 2 * max(0, round(radius)) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))


# --- strokes and holes: what thickening and shrinking must not change ----------------------------


def _strokes_and_holes(mask: np.ndarray, min_hole: int = 1) -> tuple[int, int]:
    """(strokes, holes) of an ink mask: its 8-connected pieces of ink, and the 4-connected pieces
    of paper of at least `min_hole` pixels that do not reach the edge (Euler number = the
    difference). A 3 has (1, 0), an 8 (1, 2), a 5 written in two strokes (2, 0)."""
    ink = (mask > 0).astype(np.uint8)
    strokes = cv2.connectedComponents(ink, connectivity=8)[0] - 1
    paper = np.pad(1 - ink, 1, constant_values=1)  # the paper around the digit is one piece
    areas = cv2.connectedComponentsWithStats(paper, connectivity=4)[2][2:, cv2.CC_STAT_AREA]
    return strokes, int(np.count_nonzero(areas >= min_hole))  # label 1: the paper around


def _fill_small_holes(mask: np.ndarray, min_hole: int) -> np.ndarray:
    """`mask` with the holes smaller than `min_hole` pixels inked: specks of glare in a stroke."""
    paper = np.pad(mask == 0, 1, constant_values=True).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < min_hole)
    small = small[small >= 2]  # 0 is the ink, 1 the paper around
    return np.where(np.isin(labels[1:-1, 1:-1], small), 255, mask).astype(np.uint8)


NEIGHBOURS = [(-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1)]


def _pieces(cells: list[tuple[int, int]], touching: Callable) -> list[set]:
    """`cells` grouped into connected pieces, two cells joining where touching(a, b)."""
    pieces: list[set] = []
    for cell in cells:
        joined = [piece for piece in pieces if any(touching(cell, other) for other in piece)]
        for piece in joined:
            pieces.remove(piece)
        pieces.append(set().union({cell}, *joined))
    return pieces


def _simple_table() -> np.ndarray:
    """For each of the 256 ways a pixel's 8 neighbours can be inked (bit k: NEIGHBOURS[k]):
    whether inking the pixel keeps every stroke and hole: it touches exactly one piece of ink,
    and the paper beside it is one piece (a "simple point", 8-connected ink, 4-connected paper)."""

    def eight(a, b):
        return max(abs(a[0] - b[0]), abs(a[1] - b[1])) == 1

    def four(a, b):
        return abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1

    table = np.zeros(256, bool)
    for code in range(256):
        ink = [cell for bit, cell in enumerate(NEIGHBOURS) if code >> bit & 1]
        paper = [cell for bit, cell in enumerate(NEIGHBOURS) if not code >> bit & 1]
        beside = [
            piece for piece in _pieces(paper, four) if any(abs(y) + abs(x) == 1 for y, x in piece)
        ]
        table[code] = len(_pieces(ink, eight)) == 1 and len(beside) == 1
    return table


SIMPLE = _simple_table()


def _where_growing_meets(ink: np.ndarray, distance: np.ndarray, reach: float) -> np.ndarray:
    """The pixels up to `reach` from `ink` (bool; `distance`: from the nearest ink) where growing
    it would join two strokes, close a gap into a hole or fill a hole: (H, W) bool.

    The ink grows ring by ring, as a thicker pen would, a pixel at a time and only where the
    pixel is simple (inking it changes no stroke and no hole). A pixel still paper when its
    ring is done is where the strokes meet; it stays one even if the pocket behind it fills
    later (growing further, a 4's open top would close, then fill).
    Pixels two apart in both directions never touch, so each quarter of the grid grows at once;
    only the pixels that may still grow are looked at, their neighbours by flat index.
    """
    grown = np.pad(ink, 1).astype(np.uint8)  # (H + 2, W + 2): every pixel has 8 neighbours
    flat, width = grown.reshape(-1), grown.shape[1]
    offsets = np.array([dy * width + dx for dy, dx in NEIGHBOURS])
    last = int(np.ceil(reach))
    rows, cols = np.nonzero((distance <= reach) & ~ink)
    rings = np.ceil(distance[rows, cols]).astype(int)
    order = np.argsort(rings, kind="stable")
    pixels, rings = ((rows + 1) * width + cols + 1)[order], rings[order]
    quarter = ((rows % 2) * 2 + cols % 2)[order]
    starts = np.searchsorted(rings, np.arange(1, last + 2))  # the pixels of ring k: k-1 .. k
    waiting = [np.zeros(0, np.int64) for _ in range(4)]  # of earlier rings, still paper
    meet = np.zeros_like(flat, dtype=bool)
    for ring in range(1, last + 1):
        new = pixels[starts[ring - 1] : starts[ring]]
        new_quarter = quarter[starts[ring - 1] : starts[ring]]
        waiting = [np.concatenate([waiting[q], new[new_quarter == q]]) for q in range(4)]
        changed = True
        while changed:
            changed = False
            for q, candidates in enumerate(waiting):
                neighbours = flat[candidates[:, None] + offsets]  # (n, 8): bit k NEIGHBOURS[k]
                simple = SIMPLE[np.packbits(neighbours, axis=1, bitorder="little")[:, 0]]
                if simple.any():
                    flat[candidates[simple]] = 1
                    waiting[q] = candidates[~simple]
                    changed = True
        for candidates in waiting:
            meet[candidates] = True  # still paper when its ring is done
    return meet.reshape(grown.shape)[1:-1, 1:-1]


@dataclass(frozen=True)
class _Meeting:
    """Where the drawn strokes, grown, would meet: `meet` (bool, the middle of the paper between
    them) and `distance`, how far each pixel is from the nearest stroke."""

    meet: np.ndarray
    distance: np.ndarray

    def paper(self, gap: float) -> np.ndarray:
        """The paper to keep around the meeting pixels: as wide as drawn (a disc as far as the
        nearest stroke) or `gap` if that is wider, so a gap or a hole keeps its drawn size."""
        radii = np.where(self.meet, np.maximum(gap / 2, self.distance).round(), 0).astype(int)
        paper = np.zeros(self.meet.shape, np.uint8)
        for radius in np.unique(radii[self.meet]):
            paper |= cv2.dilate((radii == radius).astype(np.uint8), _disc(radius))
        return paper > 0


def _where_strokes_meet(drawn: np.ndarray, reach: float) -> _Meeting:
    """Where the strokes of `drawn`, each grown by `reach`, would join, close a gap or fill a hole.

    Grown pixel by pixel without changing their strokes and holes, they stop there, in the
    middle of the paper between them.
    """
    distance = cv2.distanceTransform((drawn == 0).astype(np.uint8), cv2.DIST_L2, 5)
    return _Meeting(_where_growing_meets(drawn > 0, distance, reach), distance)


def _even_pen(strokes: np.ndarray) -> tuple[np.ndarray, int]:
    """Thin a marker or thicken a fine pen to MNIST's width, when it is 1.4 times off; and by
    how many pixels the strokes grew.

    MNIST's strokes are about equally wide; a fine line shrunk 20 times would fade away. But a
    thicker pen closes narrow gaps: prepare_digit gives them back (a 3 whose ends curl towards
    its middle became an 8, read as 8 at 99.7 %).
    """
    width, target = _pen_width(strokes), DIGIT_STROKE * WORK_SIDE / DIGIT_BOX
    if abs(np.log(width / target)) < np.log(1.4):
        return strokes, 0
    radius = max(1, round(abs(width - target) / 2))
    if width > target:
        return _thinner(strokes, radius), 0
    return cv2.dilate(strokes, _disc(radius)), radius


def _thinner(strokes: np.ndarray, radius: int) -> np.ndarray:
    """`strokes` eroded by at most `radius`, as much as keeps every stroke and hole."""
    shape = _strokes_and_holes(strokes > 0.5)
    for step in range(radius, 0, -1):
        thinner = cv2.erode(strokes, _disc(step))
        if _strokes_and_holes(thinner > 0.5) == shape:
            return thinner
    return strokes.copy()


def _cut_strokes(
    strength: np.ndarray, ink: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """The kept strokes in their bounding box, 0..1 (1 in a stroke's middle, soft edges), scaled
    to WORK_SIDE pixels, with a margin for a thicker pen; and the same box's ink at that size as a
    0/255 mask with the strokes and holes of `ink` (holes smaller than two pixels of the result,
    specks of glare in a stroke, are inked in both)."""
    rows, cols = np.nonzero(ink)
    box = slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)
    near_ink = cv2.dilate(ink[box], np.ones((3, 3), np.uint8)) > 0  # keep the soft edges
    strokes = np.where(near_ink, strength[box] / (1.5 * level), 0.0).astype(np.float32)
    strokes = np.clip(strokes, 0.0, 1.0)
    height, width = strokes.shape
    factor = WORK_SIDE / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    if factor < 1:
        strokes = cv2.resize(strokes, size, interpolation=cv2.INTER_AREA)
        drawn = _shrunk_keeping_shape(ink[box], size)
    else:  # each pixel becomes a block: the same strokes and holes, and the fit shrinks it back
        strokes = cv2.resize(strokes, size, interpolation=cv2.INTER_NEAREST)
        drawn = cv2.resize(ink[box], size, interpolation=cv2.INTER_NEAREST)
        drawn = _fill_small_holes(drawn, MIN_HOLE * WORK_SIDE**2 // DIGIT_BOX**2)
    margin = int(np.ceil(DIGIT_STROKE * WORK_SIDE / DIGIT_BOX)) + 1
    return np.pad(strokes, margin), np.pad(drawn, margin)


def _shrunk_keeping_shape(ink: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`ink` (0/255) shrunk to `size` (area averaging) and thresholded where that keeps its
    strokes and holes: half inked first; a quarter where that broke a fine line; any ink where
    even that did; three quarters where a narrow gap closed; else half."""
    shape = _strokes_and_holes(ink, MIN_HOLE * max(ink.shape) ** 2 // DIGIT_BOX**2)
    area = cv2.resize(ink, size, interpolation=cv2.INTER_AREA)
    min_hole = MIN_HOLE * max(size) ** 2 // DIGIT_BOX**2
    for share in (0.5, 0.25, 0.01, 0.75, 0.5):
        drawn = _fill_small_holes(np.where(area >= 255 * share, 255, 0).astype(np.uint8), min_hole)
        if _strokes_and_holes(drawn) == shape:
            break
    return drawn


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


def _fit(strokes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The strokes cropped to their ink, fitted into DIGIT_BOX and centred by mass in 28 × 28."""
    rows, cols = np.nonzero(strokes > 0.1)
    cropped = strokes[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    factor = DIGIT_BOX / max(cropped.shape)
    size = (max(1, round(cropped.shape[1] * factor)), max(1, round(cropped.shape[0] * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    fitted = np.clip(cv2.resize(cropped, size, interpolation=interpolation), 0.0, 1.0)
    result = np.clip(_centre_by_mass(fitted), 0.0, 1.0).astype(np.float32)
    return cropped, fitted, result


def prepare_digit(img: np.ndarray) -> DigitSteps:
    """Photo of a handwritten digit (H, W[, C]) -> 28 × 28 white-on-black, as MNIST was made.

    Grayscale; subtract the paper's uneven lighting and invert dark ink; threshold (Otsu after a
    light blur); keep the big strokes, not specks or the paper's edge; crop to them; even out the
    pen width; fit into 20 × 20 keeping the aspect (area averaging gives the soft edges MNIST has);
    move the centre of mass to (14, 14). Strokes apart in the photo stay apart: the result's ink
    (≥ INK_LEVEL) has the strokes and holes of the photo's, where the pen would have joined them
    or the shrinking closed a gap (GAPS tried in turn). A blank picture raises
    ImageError("images.no_digit").
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
    strokes, drawn = _cut_strokes(strength, ink, level)
    drawn_shape = np.array(_strokes_and_holes(drawn))
    even, grown = _even_pen(strokes)
    # where the pen would narrow a gap below OPEN_GAP, the gap keeps its drawn width
    meeting = _where_strokes_meet(drawn, grown + OPEN_GAP / 2 * WORK_SIDE / DIGIT_BOX)
    best = None
    for gap in GAPS:  # the narrowest gap at which the result has the strokes and holes drawn
        fit = _fit(np.where(meeting.paper(gap * WORK_SIDE / DIGIT_BOX), 0.0, even))
        wrong = np.abs(np.array(_strokes_and_holes(fit[2] >= INK_LEVEL)) - drawn_shape).sum()
        if best is None or wrong < best[0]:
            best = wrong, fit
        if not wrong:
            break
    cropped, fitted, result = best[1]
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
