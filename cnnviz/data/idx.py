"""MNIST and Fashion-MNIST as their authors ship them: a folder of four IDX files.

The Debian package `dataset-fashion-mnist` puts Fashion-MNIST's four files in
/usr/share/datasets/fashion-mnist (`FASHION_MNIST_FOLDERS`), so it loads offline without asking.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cnnviz.data.dataset import Dataset, from_arrays
from cnnviz.errors import DatasetError

FASHION_MNIST_FOLDERS = (Path("/usr/share/datasets/fashion-mnist"),)

# The original IDX file names (MNIST and Fashion-MNIST use the same four).
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzip or plain) of unsigned bytes: (n,) labels or (n, rows, cols) images.

    Layout (big-endian): two zero bytes, type code 0x08 (unsigned byte), number of dimensions d,
    then d sizes as 4-byte integers, then the values row by row.
    """
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as error:
        raise DatasetError("data.idx_bad", file=str(path)) from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] == 0:
        raise DatasetError("data.idx_bad", file=str(path))
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(n) for n in np.frombuffer(raw[4:header], dtype=">u4"))
    if len(shape) != ndim or len(raw) - header != int(np.prod(shape)):
        raise DatasetError("data.idx_bad", file=str(path))
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_idx_folder(
    path: str | Path, name: str, class_names: list[str], keys: list[str] | None = None
) -> Dataset:
    """A dataset from a folder holding the four original IDX .gz files (`IDX_FILES`)."""
    folder = Path(path)
    missing = [f for f in IDX_FILES.values() if not (folder / f).is_file()]
    if missing:
        raise DatasetError("data.idx_missing", folder=str(folder), files=", ".join(missing))
    arrays = {part: read_idx(folder / file) for part, file in IDX_FILES.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DatasetError(
                "data.idx_mismatch",
                folder=str(folder),
                images=len(images),
                labels=len(labels),
            )
    ordered = tuple(arrays[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    return from_arrays(name, ordered, class_names, keys)


def complete_idx_folder(folders: Sequence[Path]) -> Path | None:
    """The first of `folders` that holds all four IDX files, else None."""
    for folder in folders:
        if all((folder / f).is_file() for f in IDX_FILES.values()):
            return folder
    return None
