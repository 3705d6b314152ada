"""Keras's cache of downloaded files: where `keras.utils.get_file` keeps them, and putting one there.

`keras.datasets` and `keras.applications` find their files through `keras.utils.get_file`, in
`<Keras home>/<cache_subdir>/<file name>`. cnnviz downloads those files itself (with its own
progress reports and offline message) and then hands each finished file to `get_file` (`place`),
so Keras alone decides where its cache is and puts the file there.

Keras is imported inside the functions, so importing this module is instant.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def folder(cache_subdir: str) -> Path:
    """The folder `keras.utils.get_file(..., cache_subdir=cache_subdir)` keeps its files in.

    Keras's home is Keras's own answer ($KERAS_HOME, else ~/.keras, else /tmp/.keras, decided
    when Keras was imported); Keras has no public name for it, `keras_home` is the accessor that
    `get_file` itself reads. One rule is get_file's alone, inline, with no function to ask: a
    home that is not writable means the temporary folder's .keras. tests/test_keras_cache.py
    proves that `place` (get_file) puts a file in this folder in both cases.
    """
    from keras.src.backend.config import keras_home

    home = Path(keras_home()).expanduser()
    if not os.access(home, os.W_OK):
        home = Path("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()) / ".keras"
    return home / cache_subdir


def place(file: Path, cache_subdir: str) -> Path:
    """Copy the finished local `file` into Keras's cache under its own name, by
    `keras.utils.get_file` from its file:// address; returns where Keras put it.

    A file of that name already in the cache is kept as it is. A copy that fails is removed by
    get_file, so the cache never holds half a file.
    """
    import keras

    origin = Path(file).resolve().as_uri()
    return Path(keras.utils.get_file(file.name, origin=origin, cache_subdir=cache_subdir))
