"""Pretrained ImageNet CNNs from `keras.applications`, downloaded on demand and used offline.

Each model's weights are one HDF5 file that Keras keeps in its own models cache
(`$KERAS_HOME/models`, else `~/.keras/models`). `download` fetches it there with progress reports;
`build` only ever reads it from there, so a classroom without internet works once the file is in
place (downloaded once, or copied in by hand). The numbers in `PHOTO_MODELS` are Keras's: file
names, addresses and hashes from `keras/src/applications/*.py`, sizes and accuracies from the table
at https://keras.io/api/applications/, parameter counts from the models themselves.

Keras is imported inside the functions that use it, so importing this module is instant.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cnnviz import keras_cache
from cnnviz.errors import ModelError

if TYPE_CHECKING:
    import keras

CLASS_NAMES_FILE = Path(__file__).resolve().parent.parent / "assets" / "imagenet_classes.json"


@dataclass(frozen=True)
class PhotoModel:
    """A `keras.applications` CNN trained on ImageNet, and the weights file it needs."""

    name: str
    title: str
    input_side: int  # the photo is input_side × input_side × 3
    size_mb: int  # download size of the weights file (Keras's table)
    top1: float  # ImageNet validation accuracy (Keras's table)
    top5: float
    params: int  # include_top=True: 1,000 classes
    weights_file: str  # its name in Keras's models cache
    origin: str
    file_hash: str  # md5 (32 hex digits) or sha256 (64) as Keras checks it; "" where Keras has none


_KERAS_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications/"

PHOTO_MODELS = {
    "mobilenet_v2": PhotoModel(
        "mobilenet_v2",
        "MobileNetV2",
        224,
        14,
        0.713,
        0.901,
        3_538_984,
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
        _KERAS_APPLICATIONS
        + "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
        "",  # keras.applications.MobileNetV2 downloads it without a hash
    ),
    "vgg16": PhotoModel(
        "vgg16",
        "VGG16",
        224,
        528,
        0.713,
        0.901,
        138_357_544,
        "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        _KERAS_APPLICATIONS + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        "64373286793e3c8b2b4e3219cbf3544b",
    ),
    "vgg19": PhotoModel(
        "vgg19",
        "VGG19",
        224,
        549,
        0.713,
        0.900,
        143_667_240,
        "vgg19_weights_tf_dim_ordering_tf_kernels.h5",
        _KERAS_APPLICATIONS + "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5",
        "cbe5617147190e668d6c5d5026f83318",
    ),
    "resnet50": PhotoModel(
        "resnet50",
        "ResNet50",
        224,
        98,
        0.749,
        0.921,
        25_636_712,
        "resnet50_weights_tf_dim_ordering_tf_kernels.h5",
        _KERAS_APPLICATIONS + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels.h5",
        "2cb95161c43110f7111970584f804107",
    ),
    "efficientnet_b0": PhotoModel(
        "efficientnet_b0",
        "EfficientNetB0",
        224,
        29,
        0.771,
        0.933,
        5_330_571,
        "efficientnetb0.h5",
        "https://storage.googleapis.com/keras-applications/efficientnetb0.h5",
        "902e53a9f72be733fc0bcb005b3ebbac",
    ),
}
SUGGESTED = "mobilenet_v2"

# name -> (constructor in keras.applications, module whose preprocess_input the model expects)
_KERAS_NAMES = {
    "mobilenet_v2": ("MobileNetV2", "mobilenet_v2"),
    "vgg16": ("VGG16", "vgg16"),
    "vgg19": ("VGG19", "vgg19"),
    "resnet50": ("ResNet50", "resnet50"),
    "efficientnet_b0": ("EfficientNetB0", "efficientnet"),
}

DOWNLOAD_CHUNK = 1 << 20  # bytes read between two progress reports
DOWNLOAD_TIMEOUT = 30.0  # seconds without an answer before a download counts as offline
RANDOM_WEIGHTS_SEED = 0
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"  # the first 8 bytes of every HDF5 file


def class_names() -> list[str]:
    """The 1,000 ImageNet class names in the order of the models' outputs ("tench", "goldfish",
    …), as `keras.applications.imagenet_utils.decode_predictions` names them."""
    return json.loads(CLASS_NAMES_FILE.read_text(encoding="utf-8"))


def cache_folder() -> Path:
    """Keras's models cache, where `keras.applications` looks for weights files (Keras's own
    answer: cnnviz.keras_cache)."""
    return keras_cache.folder("models")


def _spec(name: str) -> PhotoModel:
    if name not in PHOTO_MODELS:
        raise ModelError("applications.unknown", name=name, names=", ".join(PHOTO_MODELS))
    return PHOTO_MODELS[name]


def weights_path(name: str) -> Path:
    """Where Keras keeps (and `build` reads) the ImageNet weights of model `name`."""
    return cache_folder() / _spec(name).weights_file


def is_cached(name: str) -> bool:
    """Whether the weights of model `name` are in Keras's cache, so it builds offline."""
    return weights_path(name).is_file()


def _where_to_put(spec: PhotoModel) -> dict:
    return {
        "title": spec.title,
        "file": spec.weights_file,
        "folder": str(cache_folder()),
        "origin": spec.origin,
        "size_mb": spec.size_mb,
    }


def _hasher(file_hash: str):
    """The hash Keras checks for `file_hash` (keras.utils.get_file, algorithm "auto")."""
    return hashlib.sha256() if len(file_hash) == 64 else hashlib.md5()


def download(name: str, on_progress: Callable[[int, int], None] | None = None) -> Path:
    """Fetch the ImageNet weights of model `name` into Keras's cache and return their path,
    calling `on_progress(bytes_done, bytes_expected)` as they arrive.

    The file is written to a ".part" file beside its place and moved in only when it is complete
    (as long as the server said) and its hash is the one Keras has (for MobileNetV2, which Keras
    checks by no hash, that it is an HDF5 file): a cut, broken or offline download leaves no file.
    A file already cached is not fetched again. Raises ModelError("applications.download_failed").
    """
    import http.client
    import urllib.request

    spec = _spec(name)
    target = weights_path(name)
    if target.is_file():
        return target
    partial = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            urllib.request.urlopen(spec.origin, timeout=DOWNLOAD_TIMEOUT) as response,
            open(partial, "wb") as out,
        ):
            announced = int(response.headers.get("Content-Length") or 0)
            expected = announced or spec.size_mb * 1_000_000
            digest = _hasher(spec.file_hash)
            done = 0
            first_bytes = b""
            while chunk := response.read(DOWNLOAD_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                first_bytes = (first_bytes + chunk)[: len(HDF5_SIGNATURE)]
                done += len(chunk)
                if on_progress is not None:
                    on_progress(done, max(expected, done))
        _check_download(spec, announced, done, digest.hexdigest(), first_bytes)
        os.replace(partial, target)
    # no network, refused, cut off, a full disk, a wrong file: all mean "not here"
    except (OSError, http.client.HTTPException, ValueError) as error:
        partial.unlink(missing_ok=True)
        raise ModelError(
            "applications.download_failed", detail=str(error)[:300], **_where_to_put(spec)
        ) from error
    if on_progress is not None:
        on_progress(done, done)
    return target


def _check_download(
    spec: PhotoModel, announced: int, done: int, hexdigest: str, first_bytes: bytes
) -> None:
    """Raise ValueError unless the bytes fetched are the whole weights file."""
    if announced and done != announced:
        raise ValueError(f"got {done:,} of {announced:,} bytes: the download was cut off")
    if spec.file_hash and hexdigest != spec.file_hash:
        raise ValueError(f"the file's hash is {hexdigest}, not {spec.file_hash}")
    if first_bytes != HDF5_SIGNATURE:
        raise ValueError("what arrived is not an HDF5 weights file")


def build(name: str, weights: str | None = "imagenet") -> keras.Model:
    """The Keras model `name` for (224, 224, 3) photos -> 1,000 ImageNet class probabilities.

    weights="imagenet": built with weights=None, then the weights file loaded from Keras's cache,
    so the network is never touched (ModelError "applications.not_cached" when the file is not
    there). Keras's own weights="imagenet" would go through `keras.utils.get_file`, which, when a
    cached file's hash is wrong, deletes it and downloads again. weights=None: random weights, the
    same on every call.
    """
    import keras

    spec = _spec(name)
    if weights not in ("imagenet", None):
        raise ValueError(f'weights must be "imagenet" or None, not {weights!r}')
    path = weights_path(name)
    if weights == "imagenet" and not path.is_file():
        raise ModelError("applications.not_cached", **_where_to_put(spec))
    constructor = getattr(keras.applications, _KERAS_NAMES[name][0])
    model = _with_seeded_initializers(lambda: constructor(weights=None))
    if weights is None:
        return model
    try:
        model.load_weights(path)
    except (OSError, ValueError) as error:  # not HDF5, cut short, another model's weights
        raise ModelError(
            "applications.weights_broken", detail=str(error)[:300], **_where_to_put(spec)
        ) from error
    if name == "efficientnet_b0":
        _fold_imagenet_rescaling(model)
    return model


def _fold_imagenet_rescaling(model: keras.Model) -> None:
    """Give an EfficientNet built with weights=None the numbers of Keras's weights="imagenet" one.

    For its ImageNet weights Keras puts one more layer after the Normalization layer, a Rescaling
    by 1/√std per channel (keras/src/applications/efficientnet.py; tensorflow/tensorflow#49930).
    (x − mean)/√var · 1/√std = (x − mean)/√(var·std), so multiplying the layer's variance by std
    does the same (stem convolution within 1e-6 of Keras's, where leaving it out is off by 3.4).
    """
    import keras
    from keras.src.applications.efficientnet import IMAGENET_STDDEV_RGB

    normalization = next(
        layer for layer in model.layers if isinstance(layer, keras.layers.Normalization)
    )
    mean, variance, count = normalization.get_weights()
    normalization.set_weights([mean, variance * np.asarray(IMAGENET_STDDEV_RGB), count])
    normalization.finalize_state()  # the layer computes with copies it makes here


def _with_seeded_initializers(make: Callable[[], keras.Model]) -> keras.Model:
    """`make()` with Keras's unseeded initializers seeded, leaving Python's random as it was.

    An initializer without a seed draws one from Python's `random` when it is made
    (keras.src.random.seed_generator.make_default_seed); the applications take no seed.
    """
    state = random.getstate()
    random.seed(RANDOM_WEIGHTS_SEED)
    try:
        return make()
    finally:
        random.setstate(state)


def preprocess(name: str, pixels: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) RGB 0..255 -> the same shape as model `name` takes it, float32, through the
    model's own `keras.applications.<module>.preprocess_input`.

    VGG and ResNet ("caffe"): RGB -> BGR, minus the ImageNet mean of each channel
    (103.939, 116.779, 123.68). MobileNetV2 ("tf"): x / 127.5 - 1, in -1..1. EfficientNet: as it
    is (the model rescales inside). `pixels` is never changed: Keras's preprocess_input works in
    place on a float array, so it gets a copy.
    """
    from keras import applications as apps

    _spec(name)
    own = {
        "mobilenet_v2": apps.mobilenet_v2.preprocess_input,
        "vgg16": apps.vgg16.preprocess_input,
        "vgg19": apps.vgg19.preprocess_input,
        "resnet50": apps.resnet50.preprocess_input,
        "efficientnet_b0": apps.efficientnet.preprocess_input,
    }[name]
    copy = np.array(pixels, dtype=np.float32)  # np.array copies
    return np.asarray(own(copy), dtype=np.float32)
