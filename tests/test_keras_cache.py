"""cnnviz.keras_cache: `place` hands a file to keras.utils.get_file, and `folder` says where
get_file keeps it, in Keras's home and in the folder get_file falls back to."""

import os
import shutil
import uuid
from pathlib import Path

from cnnviz import keras_cache


def finished_file(folder: Path, name: str, content: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    return folder / name


def test_place_puts_the_file_where_folder_says_under_keras_home(empty_keras_cache, tmp_path):
    file = finished_file(tmp_path / "fetched", "mnist.npz", b"the whole file")
    placed = keras_cache.place(file, "datasets")
    assert placed == keras_cache.folder("datasets") / "mnist.npz"
    assert placed == empty_keras_cache / "datasets" / "mnist.npz"
    assert placed.read_bytes() == b"the whole file" and file.is_file()


def test_place_keeps_a_file_already_in_the_cache(empty_keras_cache, tmp_path):
    keras_cache.place(finished_file(tmp_path / "first", "a.gz", b"placed first"), "datasets/x")
    again = keras_cache.place(finished_file(tmp_path / "again", "a.gz", b"newer"), "datasets/x")
    assert again.read_bytes() == b"placed first"


def test_folder_follows_get_file_when_keras_home_is_not_writable(
    empty_keras_cache, tmp_path, monkeypatch
):
    """get_file then writes to the temporary folder's .keras; `folder` must say the same."""
    writable, home = os.access, os.fspath(empty_keras_cache)

    def access(path, mode, **options) -> bool:
        if os.fspath(path) == home and mode == os.W_OK:
            return False  # as if the teacher's Keras home were read-only
        return writable(path, mode, **options)

    monkeypatch.setattr(os, "access", access)
    cache_subdir = f"cnnviz-test-{uuid.uuid4().hex}"  # a folder of its own, removed below
    file = finished_file(tmp_path / "fetched", "probe.txt", b"probe")
    placed = keras_cache.place(file, cache_subdir)
    try:
        assert placed == keras_cache.folder(cache_subdir) / "probe.txt"
        assert not placed.is_relative_to(empty_keras_cache)
    finally:
        shutil.rmtree(placed.parent)
