"""Time of the Feature maps page's work for a 48-megapixel upload, and of the rotation curves.

    python bench/features.py [--repeats 5]

1. Upload path, warm model: the bytes of an 8000 × 6000 JPEG → `images.load_image` (the page
   decodes at most 1024 px) → `features.model_input` (prepare_digit for a digit photo) → every
   layer's output → every layer's tile → the figures as JSON (what Streamlit sends) → top-k and
   Grad-CAM. For the shipped MNIST CNN (a photo of a handwritten digit, made MNIST-like) and an
   untrained course CIFAR-10 CNN (32 × 32 colour, 814,122 weights). Baseline in the same run: one
   raw `model(x, training=False)` call on the prepared input.
2. Rotation curves: shipped MLP and CNN × 13 angles × 1,000 test digits (`rotation.angle_curve`),
   against the bare model calls on already-rotated batches and against OpenCV's rotations alone.

Targets (issue 4): the upload path ≤ 1 s on 2 cores; the curves ≤ 2 s on the CPU. Prints
milliseconds and ratios; no assertion.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from cnnviz import data, features, images, models, plots, rotation  # noqa: E402
from cnnviz.architectures import ARCHITECTURES  # noqa: E402
from tests import corpus  # noqa: E402

PHOTO_SIDE = 1024  # as cnnviz.ui.photo


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """Median seconds of `repeats` runs after one warm-up run."""
    work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def big_digit_photo() -> bytes:
    """A generated phone photo of a handwritten 3, scaled up to 8000 × 6000 (48 MP)."""
    small = images.load_image(corpus.handwritten_digit_photo(3, seed=1, size=600))
    big = cv2.resize(small, (8000, 6000), interpolation=cv2.INTER_CUBIC)
    buffer = io.BytesIO()
    Image.fromarray(big).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def page_work(model, photo: bytes, as_digit: bool) -> Callable[[], object]:
    """What the page computes for a new upload, figures included."""
    shape = features.model_input_shape(model)
    names = [str(i) for i in range(model.outputs[0].shape[-1])]

    def work() -> object:
        picture = images.load_image(photo, max_side=PHOTO_SIDE)
        x = features.model_input(picture, shape, as_digit=as_digit).x
        figures = [plots.model_input_figure(x[0])]
        for layer in features.activations(model, x):
            if layer.is_map:
                tiled = features.tile(layer.values[:, :, : features.MAX_MAPS])
                figures.append(plots.feature_map_grid(tiled))
            else:
                figures.append(plots.dense_bars(layer.values))
        figures.append(plots.top_k_bars(features.predict_top(model, x, 5, names)))
        figures.append(plots.grad_cam_overlay(x[0], features.grad_cam(model, x)))
        return [figure.to_json() for figure in figures]

    return work


def upload_path(repeats: int) -> None:
    print("1. A 48-megapixel JPEG upload through the Feature maps page's work (warm model)")
    digit_photo, coffee_photo = big_digit_photo(), corpus.photo_48mp()
    cases = [
        ("MNIST CNN, digit photo", models.load_pretrained("mnist_cnn"), digit_photo, True),
        ("CIFAR-10 CNN, coffee", models.build(ARCHITECTURES["cifar10_cnn"], seed=0), coffee_photo,
         False),
    ]  # fmt: skip
    for name, model, photo, as_digit in cases:
        features.warm_up(model)
        shape = features.model_input_shape(model)
        x = features.model_input(images.load_image(photo, PHOTO_SIDE), shape, as_digit=as_digit).x
        decode = best_of(repeats, lambda photo=photo: images.load_image(photo, max_side=PHOTO_SIDE))
        call = best_of(repeats, lambda model=model, x=x: model(x, training=False))
        whole = best_of(repeats, page_work(model, photo, as_digit))
        print(f"   {name:<24} {len(photo) / 1e6:5.1f} MB: decode {decode * 1000:6.1f} ms, "
              f"whole page work {whole * 1000:6.1f} ms; raw model call {call * 1000:5.1f} ms "
              f"(×{whole / call:5.1f}); target 1000 ms: {'met' if whole <= 1 else 'MISSED'}")  # fmt: skip


def rotation_curves(repeats: int) -> None:
    print("2. Rotation curves: 2 models × 13 angles × 1,000 test digits")
    sample = data.load("mnist")
    digits, labels = sample.x_test[:1000], sample.y_test[:1000]
    shipped = {name: models.load_pretrained(name) for name in ("mlp", "mnist_cnn")}
    for model in shipped.values():
        features.warm_up(model)
    batches = [rotation.moved_batch(digits, angle) for angle in rotation.ANGLES]

    def curves() -> object:
        return [
            rotation.angle_curve(model, digits, labels, name) for name, model in shipped.items()
        ]

    def bare_calls() -> object:
        return [np.asarray(m(b, training=False)) for m in shipped.values() for b in batches]

    def warps() -> object:
        return [rotation.moved_batch(digits, angle) for angle in rotation.ANGLES]

    # curves and bare calls alternate, so a neighbour's load on the shared cores hits both alike
    pairs = [(best_of(1, curves), best_of(1, bare_calls)) for _ in range(repeats)]
    whole = statistics.median(pair[0] for pair in pairs)
    calls = statistics.median(pair[1] for pair in pairs)
    ratio = statistics.median(pair[0] / pair[1] for pair in pairs)
    warp = best_of(repeats, warps)
    per_model = {name: best_of(repeats, lambda m=m: [m(b, training=False) for b in batches])
                 for name, m in shipped.items()}  # fmt: skip
    print(f"   curves {whole * 1000:7.1f} ms; bare model calls {calls * 1000:7.1f} ms "
          f"(×{ratio:4.2f}, median of pairs); OpenCV rotations alone {warp * 1000:6.1f} ms")  # fmt: skip
    calls_each = ", ".join(f"{name} {sec * 1000:.0f} ms" for name, sec in per_model.items())
    print(f"   model calls per model: {calls_each}")
    print(f"   target 2000 ms: {'met' if whole <= 2 else 'MISSED'}; "
          f"load average now {os.getloadavg()[0]:.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"CPU cores visible: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")
    upload_path(args.repeats)
    rotation_curves(args.repeats)


if __name__ == "__main__":
    main()
