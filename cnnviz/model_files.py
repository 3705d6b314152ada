"""Model files: a model as the bytes of a .keras or legacy .h5 file, and the teacher's upload.

A teacher's own model arrives as a .keras zip or a legacy .h5/.hdf5 file (tf.keras 2.x's
model.save and ModelCheckpoint); `load_uploaded` reads its configuration as JSON first and refuses
Lambda layers and custom classes before Keras loads it with safe_mode=True. `save_bytes` writes
a .keras file for download, with the class names inside for `carried_class_names` to read back.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import keras

from cnnviz.errors import ModelError, error_reason

if TYPE_CHECKING:
    import h5py

__all__ = ["carried_class_names", "load_uploaded", "save_bytes", "save_h5_bytes"]

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"  # the first 8 bytes of every HDF5 file h5py or Keras writes
HDF5_SUFFIXES = (".h5", ".hdf5")
ZIP_SIGNATURE = b"PK\x03\x04"  # how a zip (a .keras file) starts; its index is at the end
CLASS_NAMES_ENTRY = "class_names.json"  # cnnviz's extra entry in a .keras zip; Keras ignores it
MAX_CONFIG_BYTES = 50_000_000  # config.json of VGG19 is about 10 kB; refuse to parse a giant one
MAX_LISTED_CONTENTS = 5  # names shown when an HDF5 file holds something other than a model
MODEL_CLASSES = ("Sequential", "Functional", "Model")
CODE_CLASSES = ("Lambda", "__lambda__")  # a layer or a function whose Python code is in the file
# how Keras names what it cannot find: "Unknown layer: 'Halver'", "Could not locate class 'Halver'"
UNKNOWN_CLASS = re.compile(r"(?:Unknown [a-z ]+: |Could not locate (?:class|function) )'([^']+)'")
MAX_UNPACKED_BYTES = 1_000_000_000  # an upload larger than this unpacked is refused (VGG19: 0.6 GB)


def save_bytes(model: keras.Model, class_names: Sequence[str] | None = None) -> bytes:
    """The model as the bytes of a .keras file (a zip of config.json, metadata and weights).

    With `class_names`, the zip also holds class_names.json (a JSON list), which Keras ignores
    on loading and `carried_class_names` reads back.
    """
    with tempfile.TemporaryDirectory(prefix="cnnviz-save-") as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        if class_names is not None:
            names = json.dumps([str(name) for name in class_names], ensure_ascii=False)
            with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(CLASS_NAMES_ENTRY, names)
        return path.read_bytes()


def save_h5_bytes(model: keras.Model) -> bytes:
    """The model as the bytes of a legacy .h5 file, for notebooks that call load_model("x.h5")."""
    with tempfile.TemporaryDirectory(prefix="cnnviz-save-") as folder:
        path = Path(folder) / "model.h5"
        model.save(path)
        return path.read_bytes()


def carried_class_names(data: bytes) -> list[str] | None:
    """The class names `save_bytes` wrote into a .keras file; None for any other or broken file."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entry = archive.getinfo(CLASS_NAMES_ENTRY)
            if entry.file_size > MAX_CONFIG_BYTES:
                return None
            names = json.loads(archive.read(entry).decode("utf-8"))
    except Exception:  # a damaged zip raises BadZipFile, EOFError, zlib.error, KeyError …
        return None
    if isinstance(names, list) and names and all(isinstance(name, str) for name in names):
        return names
    return None


def load_uploaded(data: bytes, filename: str = "") -> keras.Model:
    """A model from the bytes of an uploaded .keras, .h5 or .hdf5 file, loaded with safe_mode=True.

    The bytes decide the format (a zip is a .keras file, the HDF5 signature a legacy .h5/.hdf5
    file); `filename` is used only in messages. Before Keras sees the file its configuration (JSON,
    never executed) is read: a Lambda layer or any class that is not built into Keras is refused.
    Every other problem (empty, neither format, truncated, weights only, too large, …) raises
    ModelError with a catalogue key saying why.
    """
    if not data:
        raise ModelError("models.upload_empty")
    if data.startswith(HDF5_SIGNATURE):
        return _load_hdf5(data)
    if zipfile.is_zipfile(io.BytesIO(data)):
        return _load_keras_zip(data)
    if data.startswith(ZIP_SIGNATURE):  # a zip whose end is missing: a download cut short
        raise ModelError("models.upload_zip_broken")
    if filename.lower().endswith(HDF5_SUFFIXES):
        raise ModelError("models.upload_not_hdf5", file=Path(filename).name)
    raise ModelError("models.upload_not_zip")


def _load_keras_zip(data: bytes) -> keras.Model:
    """A .keras file: a zip holding config.json, metadata.json and model.weights.h5."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(item.file_size for item in archive.infolist())
            if "config.json" not in names:
                raise ModelError("models.upload_not_keras")
            if unpacked > MAX_UNPACKED_BYTES:
                raise ModelError("models.upload_too_large", megabytes=unpacked // 1_000_000)
            if archive.getinfo("config.json").file_size > MAX_CONFIG_BYTES:
                raise ModelError("models.upload_broken", reason="config.json is too large")
            config_text = archive.read("config.json")
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError) as error:
        raise ModelError("models.upload_zip_broken") from error  # a bad CRC, unknown compression …
    _refuse_code_and_custom_classes(_parse_config(config_text, "models.upload_broken"))
    with tempfile.TemporaryDirectory(prefix="cnnviz-upload-") as folder:
        path = Path(folder) / "uploaded.keras"
        path.write_bytes(data)
        return _keras_load(path, "models.upload_broken")


def _load_hdf5(data: bytes) -> keras.Model:
    """A legacy HDF5 model: a model_config attribute (JSON) and a model_weights group."""
    import h5py  # installed with Keras; only an HDF5 upload needs it

    with tempfile.TemporaryDirectory(prefix="cnnviz-upload-") as folder:
        path = Path(folder) / "uploaded.h5"  # Keras picks its legacy HDF5 loader by the suffix
        path.write_bytes(data)
        try:
            with h5py.File(path, "r") as file:
                config_text = file.attrs.get("model_config")
                if config_text is None:
                    _refuse_hdf5_without_model(file)
                unpacked = _hdf5_dataset_bytes(file)
        except ModelError:
            raise
        except Exception as error:  # h5py raises OSError for truncated files, others for damage
            raise ModelError("models.upload_h5_broken", reason=error_reason(error)) from error
        if unpacked > MAX_UNPACKED_BYTES:
            raise ModelError("models.upload_too_large", megabytes=unpacked // 1_000_000)
        _refuse_code_and_custom_classes(_parse_config(config_text, "models.upload_h5_broken"))
        return _keras_load(path, "models.upload_h5_broken")


def _refuse_hdf5_without_model(file: h5py.File) -> None:
    """An HDF5 file without a model_config: weights only (save_weights), or not Keras at all."""
    top_level = sorted(file.keys())
    saved_weights = (
        "layer_names" in file.attrs  # tf.keras 2.x save_weights("x.h5"), ModelCheckpoint(..., True)
        or {"layers", "vars"} <= set(top_level)  # Keras 3 save_weights("x.weights.h5")
        or "model_weights" in top_level
    )
    if saved_weights:
        raise ModelError("models.upload_weights_only")
    contents = ", ".join(top_level[:MAX_LISTED_CONTENTS]) or "—"
    if len(top_level) > MAX_LISTED_CONTENTS:
        contents += ", …"
    raise ModelError("models.upload_h5_not_model", contents=contents)


def _hdf5_dataset_bytes(file: h5py.File) -> int:
    """The bytes all datasets in an HDF5 file take when read (they may be stored compressed)."""
    sizes: list[int] = []
    file.visititems(lambda _, item: sizes.append(getattr(item, "nbytes", 0)))
    return sum(sizes)


def _parse_config(text: bytes | str, broken_key: str) -> dict:
    """The model's configuration: JSON text from config.json or the model_config attribute."""
    try:
        config = json.loads(text.decode("utf-8") if isinstance(text, bytes) else str(text))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:  # RecursionError: too deep
        raise ModelError(broken_key, reason=error_reason(error)) from error
    if not isinstance(config, dict) or "class_name" not in config:
        raise ModelError(broken_key, reason="the model configuration has no class_name")
    return config


def _refuse_code_and_custom_classes(config: dict) -> None:
    """Raise ModelError for a Lambda layer (code in the file) or classes not built into Keras."""
    entries = list(_class_entries(config))
    if any(entry["class_name"] in CODE_CLASSES for entry, _ in entries):
        raise ModelError("models.upload_unsafe")
    custom = sorted({name for entry, is_layer in entries if (name := _custom(entry, is_layer))})
    if custom:
        raise ModelError("models.upload_custom", names=", ".join(custom))


def _class_entries(config: dict) -> Iterator[tuple[dict, bool]]:
    """Every {"class_name": …} object in a configuration, and whether it stands for a layer.

    The model itself and every item of a "layers" list are layers. A loop over a stack, not
    recursion, so a maliciously deep file cannot exhaust Python's recursion limit.
    """
    stack: list[tuple[object, bool]] = [(config, True)]
    while stack:
        node, is_layer = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("class_name"), str):
                yield node, is_layer
            for key, value in node.items():
                if key == "layers" and isinstance(value, list):
                    stack.extend((layer, True) for layer in value)
                else:
                    stack.append((value, False))
        elif isinstance(node, list):
            stack.extend((item, False) for item in node)


def _custom(entry: dict, is_layer: bool) -> str | None:
    """The name of a class or function that is not Keras's own, else None.

    Keras 3 files name each class's module ("keras.layers"; a custom class, registered or not, has
    its own module or None) and save every function, Keras's or not, as module "builtins", class
    "function" with its name as config. tf.keras 2.x files give only the class name, with
    "package>Name" for a registered class, so a layer there must be one of keras.layers.
    """
    name = entry["class_name"]
    if name.startswith("__") and name.endswith("__"):  # markers: __keras_tensor__, __tuple__ …
        return None
    if name == "function" and isinstance(entry.get("config"), str):
        return None if _keras_function(entry["config"]) else entry["config"]
    if "module" in entry:
        module = entry["module"]
        if isinstance(module, str) and (module == "keras" or module.startswith("keras.")):
            return None
        return str(entry.get("registered_name") or name)
    if ">" in name or (is_layer and not _keras_layer(name)):
        return name
    return None


def _keras_layer(name: str) -> bool:
    """True if `name` is a model class or a layer class built into Keras (Conv2D, Dense, …)."""
    layer = getattr(keras.layers, name, None)
    is_layer_class = isinstance(layer, type) and issubclass(layer, keras.layers.Layer)
    return name in MODEL_CLASSES or is_layer_class


def _keras_function(name: str) -> bool:
    """True if `name` is a Keras activation, loss or metric function (relu, mean_squared_error)."""
    if name.startswith("_"):
        return False
    modules = (keras.activations, keras.losses, keras.metrics)
    return any(callable(getattr(module, name, None)) for module in modules)


def _keras_load(path: Path, broken_key: str) -> keras.Model:
    """keras.saving.load_model(path, safe_mode=True), its errors turned into ModelError.

    A file whose training setup Keras 3 cannot rebuild (a tf.keras 2.x loss or optimizer it no
    longer knows) is loaded again without it (compile=False): the pages only predict with it.
    """
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # keras raises ValueError, TypeError, KeyError, OSError …
        _refuse_if_unsafe_or_custom(error)
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as error:
        _refuse_if_unsafe_or_custom(error)
        raise ModelError(broken_key, reason=error_reason(error)) from error


def _refuse_if_unsafe_or_custom(error: Exception) -> None:
    """Raise ModelError if Keras refused code (safe_mode) or could not find a class."""
    reason = error_reason(error)
    if "safe_mode" in reason or "Lambda" in reason:
        raise ModelError("models.upload_unsafe") from error
    unknown = UNKNOWN_CLASS.search(reason)
    if unknown and not _keras_layer(name := unknown.group(1)) and not _keras_function(name):
        raise ModelError("models.upload_custom", names=name) from error  # the scan let it through
