"""How fast a student's big photo becomes something the app can show and feed to a model.

    python bench/images.py [--repeats 5]

1. A 48-megapixel JPEG (8000 × 6000, tests/corpus.py's photo_48mp: a real photo with grain,
   about 8 MB) through `load_image` at 2048 and at 512 pixels (the lesson pages' size), against
   the plain way in the same run: `Image.open(...).convert("RGB")`, a full decode.
2. `prepare_digit` on a 2048 × 2048 digit photo and on a 480 × 480 one; `to_model_input`
   from a 2048 × 1536 photo to (32, 32, 3).

Target (issue 4): the 48-megapixel photo in well under 1 s on 2 cores. Prints the median of
`--repeats` runs in milliseconds and ratios against the baseline; no assertion.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnviz import digits, images  # noqa: E402
from tests import corpus  # noqa: E402


def median_ms(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of `run` in milliseconds, after one warm-up run."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats

    photo = corpus.photo_48mp()
    print(f"48-megapixel JPEG: 8000 × 6000, {len(photo) / 1e6:.1f} MB, median of {repeats} runs")
    baseline = median_ms(lambda: Image.open(io.BytesIO(photo)).convert("RGB"), repeats)
    print(f"  baseline Image.open(...).convert('RGB')  {baseline:7.0f} ms")
    for max_side in (2048, 512):
        took = median_ms(lambda side=max_side: images.load_image(photo, max_side=side), repeats)
        print(
            f"  load_image(max_side={max_side:<4})              {took:7.0f} ms"
            f"   {baseline / took:4.1f}× faster than the baseline"
        )

    digit = images.load_image(corpus.handwritten_digit_photo(7, 0))
    big_digit = cv2.resize(digit, (2048, 2048), interpolation=cv2.INTER_CUBIC)
    shown = images.load_image(photo)
    print("Model inputs")
    for name, run in (
        ("prepare_digit, 480 × 480 photo", lambda: digits.prepare_digit(digit)),
        ("prepare_digit, 2048 × 2048 photo", lambda: digits.prepare_digit(big_digit)),
        ("to_model_input, 2048 × 1536 -> 32 × 32 × 3", lambda: images.to_model_input(shown, (32, 32, 3))),
    ):  # fmt: skip
        print(f"  {name:<42} {median_ms(run, repeats):7.1f} ms")
    print(f"(numpy {np.__version__}, OpenCV {cv2.__version__}, Pillow {Image.__version__})")


if __name__ == "__main__":
    main()
