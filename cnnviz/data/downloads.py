"""The sets `keras.datasets` downloads: all of MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100.

Files already in Keras's cache are used; a download happens only with `allow_download=True`.
`download` fetches each file itself (progress reports, a clear message offline) into a temporary
folder and hands the finished file to Keras (`keras_cache.place`), which puts it in its cache,
where `keras.datasets` then finds it. Fashion-MNIST and MNIST also load from a folder of their
IDX files (`cnnviz.data.idx`); Fashion-MNIST is found without asking in Debian's folder.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnviz import keras_cache
from cnnviz.data import idx
from cnnviz.data.class_names import (
    CIFAR10_CLASSES,
    CIFAR10_KEYS,
    CIFAR100_CLASSES,
    DIGITS,
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_KEYS,
)
from cnnviz.data.dataset import Dataset, from_arrays
from cnnviz.errors import DatasetError

Progress = Callable[[int, int], None]  # on_progress(bytes_done, bytes_expected)


@dataclass(frozen=True)
class Download:
    """A dataset `keras.datasets` downloads: the files it keeps in its cache and their size."""

    title: str
    cache_subdir: str  # the folder in Keras's cache, as keras.datasets names it to get_file
    files: tuple[str, ...]
    origin: str  # the file's address, or the folder's (ending in "/") the files are in
    size_mb: int

    def urls(self) -> list[str]:
        """Where each of `files` comes from."""
        if self.origin.endswith("/"):
            return [self.origin + name for name in self.files]
        return [self.origin]


DOWNLOADS = {
    "mnist_full": Download(
        "MNIST",
        "datasets",
        ("mnist.npz",),
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        11,
    ),
    "fashion_mnist": Download(
        "Fashion-MNIST",
        "datasets/fashion-mnist",
        tuple(idx.IDX_FILES[k] for k in ("y_train", "x_train", "y_test", "x_test")),
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        30,
    ),
    # keras stores the downloaded tar.gz under this name and extracts it next to it
    "cifar10": Download(
        "CIFAR-10",
        "datasets",
        ("cifar-10-batches-py-target_archive",),
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        163,
    ),
    "cifar100": Download(
        "CIFAR-100",
        "datasets",
        ("cifar-100-python-target_archive",),
        "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        161,
    ),
}
DOWNLOAD_CHUNK = 1 << 20  # bytes read between two progress reports
DOWNLOAD_TIMEOUT = 30.0  # seconds without an answer before a download counts as offline


def cache_folder(name: str) -> Path:
    """The folder of Keras's cache that holds the files of download-only set `name`."""
    return keras_cache.folder(DOWNLOADS[name].cache_subdir)


def cached_files(name: str) -> list[Path] | None:
    """The Keras cache files of `name` if they are all there, else None."""
    folder = cache_folder(name)
    paths = [folder / f for f in DOWNLOADS[name].files]
    return paths if all(p.is_file() for p in paths) else None


def fashion_mnist_folder() -> Path | None:
    """The first folder with all four Fashion-MNIST IDX files: Debian's, then Keras's cache."""
    return idx.complete_idx_folder((*idx.FASHION_MNIST_FOLDERS, cache_folder("fashion_mnist")))


def is_ready(name: str) -> bool:
    """Whether download-only set `name` loads without a download."""
    in_idx_folder = name == "fashion_mnist" and fashion_mnist_folder() is not None
    return in_idx_folder or cached_files(name) is not None


def where_to_put(name: str) -> dict:
    """The values the "not cached" and "download failed" messages name: the set, its files,
    the folder of Keras's cache they go in, where they come from, and their size."""
    download = DOWNLOADS[name]
    return {
        "name": download.title,
        "files": ", ".join(download.files),
        "folder": str(cache_folder(name)),
        "origin": download.origin,
        "size_mb": download.size_mb,
    }


def download(name: str, on_progress: Progress | None = None) -> None:
    """Fetch the files of download-only set `name` into Keras's cache, where `keras.datasets`
    then finds them, calling `on_progress(bytes_done, bytes_expected)` as they arrive.

    Files already there are kept, so a second try fetches only what is missing. Each file is
    fetched into a temporary folder and handed to Keras only when complete: a broken download
    leaves no half file. Raises DatasetError("data.download_failed") when a file cannot be
    fetched (offline).
    """
    spec = DOWNLOADS[name]
    folder = cache_folder(name)
    expected = spec.size_mb * 1_000_000
    done = 0
    try:
        for file, url in zip(spec.files, spec.urls(), strict=True):
            if (folder / file).is_file():
                continue
            with tempfile.TemporaryDirectory(prefix="cnnviz-download-") as fetched:
                done = _fetch(url, Path(fetched) / file, done, expected, on_progress)
                keras_cache.place(Path(fetched) / file, spec.cache_subdir)
    except OSError as error:  # no network, refused, cut off, a full disk: all mean "not here"
        raise DatasetError(
            "data.download_failed", detail=str(error)[:300], **where_to_put(name)
        ) from error
    if on_progress is not None:
        on_progress(max(done, 1), max(done, 1))


def _fetch(url: str, target: Path, done: int, expected: int, on_progress: Progress | None) -> int:
    """Write the file at `url` to `target`, reporting progress; returns the bytes done so far."""
    import urllib.request

    with (
        urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response,
        open(target, "wb") as out,
    ):
        while chunk := response.read(DOWNLOAD_CHUNK):
            out.write(chunk)
            done += len(chunk)
            if on_progress is not None:
                on_progress(done, max(expected, done))
    return done


def _from_keras(
    name: str, allow_download: bool, on_progress: Progress | None = None
) -> tuple[np.ndarray, ...]:
    """(x_train, y_train, x_test, y_test) from `keras.datasets`, downloading only if allowed."""
    if cached_files(name) is None:
        if not allow_download:
            raise DatasetError("data.not_cached", **where_to_put(name))
        download(name, on_progress)
    import keras

    loaders = {
        "mnist_full": keras.datasets.mnist.load_data,
        "fashion_mnist": keras.datasets.fashion_mnist.load_data,
        "cifar10": keras.datasets.cifar10.load_data,
        "cifar100": keras.datasets.cifar100.load_data,
    }
    try:
        (x_train, y_train), (x_test, y_test) = loaders[name]()
    except Exception as error:  # a bad hash, a damaged file: Keras fetches again, offline fails
        raise DatasetError(
            "data.download_failed", detail=str(error)[:300], **where_to_put(name)
        ) from error
    return x_train, y_train, x_test, y_test


def load_mnist_full(
    path: str | Path | None = None,
    allow_download: bool = False,
    on_progress: Progress | None = None,
) -> Dataset:
    """All 70,000 MNIST digits: from an IDX folder `path`, Keras's cache, or a download."""
    if path is not None:
        return idx.load_idx_folder(path, "mnist_full", DIGITS)
    arrays = _from_keras("mnist_full", allow_download, on_progress)
    return from_arrays("mnist_full", arrays, DIGITS)


def load_fashion_mnist(
    path: str | Path | None = None,
    allow_download: bool = False,
    on_progress: Progress | None = None,
) -> Dataset:
    """Fashion-MNIST (60,000 + 10,000): an IDX folder, the Debian package, Keras's cache, download."""
    names, keys = FASHION_MNIST_CLASSES, FASHION_MNIST_KEYS
    if path is not None:
        return idx.load_idx_folder(path, "fashion_mnist", names, keys)
    folder = fashion_mnist_folder()
    if folder is not None:
        return idx.load_idx_folder(folder, "fashion_mnist", names, keys)
    arrays = _from_keras("fashion_mnist", allow_download, on_progress)
    return from_arrays("fashion_mnist", arrays, names, keys)


def load_cifar10(allow_download: bool = False, on_progress: Progress | None = None) -> Dataset:
    """CIFAR-10: 50,000 + 10,000 colour images 32×32 in 10 classes, through keras.datasets."""
    arrays = _from_keras("cifar10", allow_download, on_progress)
    return from_arrays("cifar10", arrays, CIFAR10_CLASSES, CIFAR10_KEYS)


def load_cifar100(allow_download: bool = False, on_progress: Progress | None = None) -> Dataset:
    """CIFAR-100 (fine labels): 50,000 + 10,000 colour images 32×32 in 100 classes."""
    arrays = _from_keras("cifar100", allow_download, on_progress)
    return from_arrays("cifar100", arrays, CIFAR100_CLASSES)
