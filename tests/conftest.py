"""Shared fixtures. Tests run from the repository root; AppTest pages are addressed by path."""

from __future__ import annotations

import functools
import gzip
import http.server
import os
import sys
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
# every figure built in the tests (and by the servers they start) goes through Plotly's checks
os.environ.setdefault("CNNVIZ_VALIDATE_FIGURES", "1")

from cnnviz import data  # noqa: E402


@pytest.fixture(scope="session")
def mnist() -> data.Dataset:
    """The embedded MNIST sample (real digits), shared read-only by the tests that train."""
    return data.load("mnist")


# --- datasets: IDX files, Keras's cache, a download site on localhost ------------------------------


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write uint8 `array` as a gzip IDX file: 0, 0, 0x08, ndim, big-endian sizes, bytes."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def idx_folder(tmp_path):
    """A tiny Fashion-MNIST-shaped IDX folder: 12 train and 5 test images of 28×28."""
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (12, 28, 28)),
        "y_train": np.arange(12) % 10,
        "x_test": rng.integers(0, 256, (5, 28, 28)),
        "y_test": np.arange(5),
    }
    for part, file in data.IDX_FILES.items():
        write_idx(tmp_path / file, arrays[part])
    return tmp_path, arrays


@pytest.fixture
def empty_keras_cache(monkeypatch, tmp_path):
    """Keras's cache points at an empty folder, for Keras and so for cnnviz.data (which asks
    Keras), and Debian's Fashion-MNIST folder is hidden; KERAS_HOME is for processes started."""
    import keras.src.backend.config as keras_config

    from cnnviz.data import idx

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path))
    monkeypatch.setattr(idx, "FASHION_MNIST_FOLDERS", ())
    return tmp_path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def local_origin(idx_folder, monkeypatch):
    """Fashion-MNIST's download site replaced by the IDX fixture served over HTTP on localhost.
    Yields the fixture's arrays and the folder served."""
    folder, arrays = idx_folder
    handler = functools.partial(_QuietHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        origin = f"http://127.0.0.1:{server.server_address[1]}/"
        spec = replace(data.DOWNLOADS["fashion_mnist"], origin=origin)
        monkeypatch.setitem(data.DOWNLOADS, "fashion_mnist", spec)
        yield arrays, folder
        server.shutdown()
