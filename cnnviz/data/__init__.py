"""Datasets for the Train page, as numpy arrays a student can look at.

Every source gives the same `Dataset` (`cnnviz.data.dataset`): images uint8 (N, H, W, C) (C = 1
for grey), labels int64 (N,), class names and the input shape. Training code scales the images
by 1/255.

Sources (`load(name, ...)`):
- `mnist`: 10,000 real MNIST digits embedded in `assets/mnist_sample.npz` (always there,
  offline), loaded here.
- `mnist_full`, `fashion_mnist`, `cifar10`, `cifar100`: the `keras.datasets` files, used from
  Keras's cache or downloaded when allowed (`cnnviz.data.downloads`); MNIST and Fashion-MNIST
  also from a folder of their IDX files, Fashion-MNIST from Debian's (`cnnviz.data.idx`).
- `folder`: one sub-folder per class, under the roots the teacher shares with $CNNVIZ_DATA_DIR
  (`cnnviz.data.folders`).
- `zip`: a student's own pictures, a zip of class folders uploaded from the browser, checked
  against hostile zips and read like a folder (`cnnviz.data.zips.load_zip(data=...)`).

Keras is imported only inside the functions that need it: loading the embedded sample never
imports it; checking Keras's cache (`available`) does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnnviz.data import downloads
from cnnviz.data.class_names import (
    ANIMALS10_FOLDERS,
    CIFAR10_CLASSES,
    CIFAR10_KEYS,
    CIFAR100_CLASSES,
    DIGITS,
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_KEYS,
)
from cnnviz.data.dataset import Dataset, class_labels
from cnnviz.data.downloads import (
    DOWNLOADS,
    Download,
    download,
    load_cifar10,
    load_cifar100,
    load_fashion_mnist,
    load_mnist_full,
)
from cnnviz.data.folders import class_folders, data_roots, dataset_folders, load_folder
from cnnviz.data.idx import IDX_FILES, load_idx_folder, read_idx
from cnnviz.data.zips import load_zip
from cnnviz.errors import DatasetError

__all__ = [
    "ANIMALS10_FOLDERS",
    "CIFAR10_CLASSES",
    "CIFAR10_KEYS",
    "CIFAR100_CLASSES",
    "DIGITS",
    "DOWNLOADS",
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_KEYS",
    "IDX_FILES",
    "MNIST_SAMPLE",
    "NAMES",
    "Availability",
    "Dataset",
    "DatasetError",
    "Download",
    "available",
    "class_folders",
    "class_labels",
    "data_roots",
    "dataset_folders",
    "download",
    "load",
    "load_folder",
    "load_idx_folder",
    "load_mnist_sample",
    "load_zip",
    "read_idx",
]

MNIST_SAMPLE = Path(__file__).resolve().parents[2] / "assets" / "mnist_sample.npz"
NAMES = ("mnist", *DOWNLOADS, "folder", "zip")


@dataclass(frozen=True)
class Availability:
    """Whether `load(name)` works right now; if not, a catalogue key and values saying why."""

    name: str
    ok: bool
    reason_key: str | None = None
    values: dict = field(default_factory=dict)


def available() -> dict[str, Availability]:
    """Which named datasets load right now without a download, and why the others do not."""
    result = {"mnist": _sample_availability()}
    for name in DOWNLOADS:
        if downloads.is_ready(name):
            result[name] = Availability(name, True)
        else:
            result[name] = Availability(
                name, False, "data.not_cached", downloads.where_to_put(name)
            )
    return result


def load(name: str = "mnist", **options: object) -> Dataset:
    """Load the dataset `name` (one of `NAMES`); options go to its source (see the module doc)."""
    loaders = {
        "mnist": load_mnist_sample,
        "mnist_full": load_mnist_full,
        "fashion_mnist": load_fashion_mnist,
        "cifar10": load_cifar10,
        "cifar100": load_cifar100,
        "folder": load_folder,
        "zip": load_zip,
    }
    if name not in loaders:
        raise DatasetError("data.unknown", name=name, names=", ".join(NAMES))
    return loaders[name](**options)


# --- the embedded MNIST sample --------------------------------------------------------------------


def _sample_availability() -> Availability:
    if MNIST_SAMPLE.is_file():
        return Availability("mnist", True)
    return Availability("mnist", False, "data.sample_missing", {"file": str(MNIST_SAMPLE)})


def load_mnist_sample() -> Dataset:
    """The 10,000 embedded MNIST digits: 8,000 train / 2,000 test, stratified, fixed split."""
    if not MNIST_SAMPLE.is_file():
        raise DatasetError("data.sample_missing", file=str(MNIST_SAMPLE))
    with np.load(MNIST_SAMPLE) as sample:
        x_train, x_test = sample["x_train"], sample["x_test"]  # (N, 28, 28)
        y_train, y_test = sample["y_train"], sample["y_test"]
    return Dataset(
        "mnist",
        x_train[..., np.newaxis],  # (N, 28, 28) -> (N, 28, 28, 1)
        y_train.astype(np.int64),
        x_test[..., np.newaxis],
        y_test.astype(np.int64),
        list(DIGITS),
        (28, 28, 1),
    )
