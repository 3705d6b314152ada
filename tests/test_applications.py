"""cnnviz.applications: ImageNet models from keras.applications, their download into Keras's
cache (against a download site on 127.0.0.1) and their offline use, all with real Keras."""

from __future__ import annotations

import hashlib
import http.server
import importlib
import socket
import subprocess
import sys
import threading
from dataclasses import replace

import h5py
import keras
import numpy as np
import pytest

from cnnviz import applications, i18n
from cnnviz.errors import ModelError
from tests.imagenet_weights import save_imagenet_style_weights

# --- a download site on localhost -----------------------------------------------------------------


def small_hdf5_file(path) -> bytes:
    """The bytes of a 64 kB HDF5 file: a stand-in for a weights file on the download site."""
    with h5py.File(path, "w") as f:
        f.create_dataset("weights", data=np.random.default_rng(0).random(8192))
    return path.read_bytes()


class WeightsSite:
    """Serves one file at /<name> with its Content-Length; after `cut_at` bytes it hangs up."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.cut_at: int | None = None
        self.requests = 0

    def handler(self):
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(site.body)))
                self.end_headers()
                self.wfile.write(site.body[: site.cut_at])

            def log_message(self, *args) -> None:
                pass

        return Handler


@pytest.fixture
def weights_site(empty_keras_cache, tmp_path, monkeypatch):
    """VGG16's and MobileNetV2's origins replaced by a small HDF5 file served on 127.0.0.1, VGG16
    with that file's md5 (as Keras checks VGG16), MobileNetV2 with none (as Keras has none)."""
    site = WeightsSite(small_hdf5_file(tmp_path / "served.h5"))
    monkeypatch.setattr(applications, "DOWNLOAD_CHUNK", 4096)
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), site.handler()) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_address[1]}/"
        for name, file_hash in (
            ("vgg16", hashlib.md5(site.body).hexdigest()),
            ("mobilenet_v2", ""),
        ):
            spec = applications.PHOTO_MODELS[name]
            local = replace(spec, origin=origin + spec.weights_file, file_hash=file_hash)
            monkeypatch.setitem(applications.PHOTO_MODELS, name, local)
        yield site
        server.shutdown()


def refuse_network(monkeypatch) -> list:
    """From now on every attempt to open a network connection is recorded and refused."""
    attempts = []

    def refuse(sock, address):
        attempts.append(address)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.fixture
def no_network(monkeypatch):
    """The connections this test tried to open (each refused)."""
    return refuse_network(monkeypatch)


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


# --- download -------------------------------------------------------------------------------------


def test_download_reports_progress_up_to_the_total_and_puts_the_file_in_keras_cache(weights_site):
    reports = []
    path = applications.download("vgg16", on_progress=lambda *r: reports.append(r))
    size = len(weights_site.body)
    assert path == applications.cache_folder() / "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
    assert path.read_bytes() == weights_site.body and applications.is_cached("vgg16")
    done = [d for d, _ in reports]
    assert len(reports) > 10 and done == sorted(done) and reports[-1] == (size, size)
    assert all(total == size and 0 < d <= total for d, total in reports)
    assert leftovers(applications.cache_folder()) == [path.name]  # no .part left behind


def test_a_file_already_cached_is_not_fetched_again(weights_site):
    first = applications.download("vgg16")
    reports = []
    second = applications.download("vgg16", on_progress=lambda *r: reports.append(r))
    assert first == second and weights_site.requests == 1 and reports == []


def test_an_unreachable_origin_gives_the_offline_message_with_the_folder_and_leaves_no_file(
    empty_keras_cache, monkeypatch
):
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    spec = replace(applications.PHOTO_MODELS["resnet50"], origin=f"http://127.0.0.1:{port}/x.h5")
    monkeypatch.setitem(applications.PHOTO_MODELS, "resnet50", spec)
    with pytest.raises(ModelError) as error:
        applications.download("resnet50")
    assert error.value.key == "applications.download_failed"
    folder = empty_keras_cache / "models"
    assert error.value.values["folder"] == str(folder) == str(applications.cache_folder())
    for lang in ("en", "ko"):
        message = i18n.t(error.value.key, lang, **error.value.values)
        assert spec.weights_file in message and spec.origin in message and str(folder) in message
    assert "internet" in i18n.t(error.value.key, "en", **error.value.values)
    assert leftovers(folder) == [] and not applications.is_cached("resnet50")


def test_a_download_cut_off_halfway_leaves_no_file_and_is_never_used(weights_site, monkeypatch):
    weights_site.cut_at = len(weights_site.body) // 2
    for name in ("vgg16", "mobilenet_v2"):  # one Keras checks by its hash, one by nothing
        with pytest.raises(ModelError) as error:
            applications.download(name)
        assert error.value.key == "applications.download_failed"
        assert "cut off" in error.value.values["detail"]
    assert leftovers(applications.cache_folder()) == []
    attempts = refuse_network(monkeypatch)
    with pytest.raises(ModelError) as error:
        applications.build("mobilenet_v2")
    assert error.value.key == "applications.not_cached" and attempts == []


def test_a_download_with_the_wrong_hash_leaves_no_file(weights_site, monkeypatch):
    spec = applications.PHOTO_MODELS["vgg16"]
    monkeypatch.setitem(applications.PHOTO_MODELS, "vgg16", replace(spec, file_hash="0" * 32))
    with pytest.raises(ModelError) as error:
        applications.download("vgg16")
    assert "hash" in error.value.values["detail"]
    assert leftovers(applications.cache_folder()) == [] and not applications.is_cached("vgg16")


def test_a_page_that_is_not_hdf5_is_refused_where_keras_checks_no_hash(weights_site):
    weights_site.body = b"<html>Please log in to the school network</html>"
    with pytest.raises(ModelError) as error:
        applications.download("mobilenet_v2")
    assert "HDF5" in error.value.values["detail"]
    assert leftovers(applications.cache_folder()) == []


# --- build ----------------------------------------------------------------------------------------


def test_mobilenet_v2_with_random_weights_takes_photos_and_gives_1000_classes():
    model = applications.build("mobilenet_v2", weights=None)
    assert model.input_shape == (None, 224, 224, 3) and model.output_shape == (None, 1000)
    assert model.count_params() == applications.PHOTO_MODELS["mobilenet_v2"].params
    again = applications.build("mobilenet_v2", weights=None)
    pairs = zip(model.get_weights(), again.get_weights(), strict=True)
    assert all(np.array_equal(a, b) for a, b in pairs)  # seeded: the same every time


def photos(count: int = 2) -> np.ndarray:
    """(count, 224, 224, 3) random RGB photos 0..255."""
    return np.random.default_rng(1).uniform(0, 255, (count, 224, 224, 3)).astype(np.float32)


def test_mobilenet_v2_loads_its_weights_from_keras_cache_without_the_network(
    empty_keras_cache, no_network
):
    source = keras.applications.MobileNetV2(weights=None)  # other random weights than build's
    seeded = applications.build("mobilenet_v2", weights=None)
    assert not np.array_equal(source.get_weights()[0], seeded.get_weights()[0])
    save_imagenet_style_weights(source, applications.weights_path("mobilenet_v2"))
    assert applications.is_cached("mobilenet_v2")

    model = applications.build("mobilenet_v2")
    x = applications.preprocess("mobilenet_v2", photos())
    np.testing.assert_allclose(
        model.predict(x, verbose=0), source.predict(x, verbose=0), rtol=1e-5, atol=0
    )
    # random weights give nearly 1/1000 for every class: the features before them tell apart
    expected = pooled_features(source, x)
    np.testing.assert_allclose(pooled_features(model, x), expected, rtol=1e-4, atol=1e-6)
    assert np.abs(pooled_features(seeded, x) - expected).max() > 0.1 * np.abs(expected).max()
    assert no_network == []


def pooled_features(model, x: np.ndarray) -> np.ndarray:
    """(N, 224, 224, 3) -> (N, C): what the last Dense layer (the 1,000 classes) reads."""
    return keras.Model(model.input, model.layers[-1].input).predict(x, verbose=0)


def test_without_the_weights_file_build_says_where_to_put_it_and_makes_no_network_call(
    empty_keras_cache, no_network
):
    with pytest.raises(ModelError) as error:
        applications.build("vgg19")
    assert error.value.key == "applications.not_cached"
    values = error.value.values
    assert values["file"] == "vgg19_weights_tf_dim_ordering_tf_kernels.h5"
    assert values["folder"] == str(empty_keras_cache / "models") and values["size_mb"] == 549
    assert "copy" in i18n.t(error.value.key, "en", **values) and no_network == []


def test_a_cached_file_that_is_not_the_models_weights_says_delete_and_download_again(
    empty_keras_cache, no_network
):
    path = applications.weights_path("mobilenet_v2")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an HDF5 file")
    with pytest.raises(ModelError) as error:
        applications.build("mobilenet_v2")
    assert error.value.key == "applications.weights_broken" and no_network == []


def test_efficientnet_gives_what_keras_own_imagenet_model_gives_from_the_same_file(
    empty_keras_cache, monkeypatch
):
    """Keras's EfficientNet has one more layer (Rescaling by 1/√std) for its ImageNet weights;
    build folds it into the Normalization layer, so the numbers agree with Keras's model."""
    from keras.src.applications import efficientnet

    source = keras.applications.EfficientNetB0(weights=None)
    normalization = next(
        layer for layer in source.layers if isinstance(layer, keras.layers.Normalization)
    )
    _, _, count = normalization.get_weights()
    # ImageNet's mean and std², the values in Keras's efficientnetb0.h5
    std = np.asarray(efficientnet.IMAGENET_STDDEV_RGB)
    normalization.set_weights([np.array([0.485, 0.456, 0.406]), std**2, count])
    path = save_imagenet_style_weights(source, applications.weights_path("efficientnet_b0"))
    # Keras's own model, from the same file: its get_file accepts the file by this md5
    hashes = dict(efficientnet.WEIGHTS_HASHES, b0=(hashlib.md5(path.read_bytes()).hexdigest(), ""))
    monkeypatch.setattr(efficientnet, "WEIGHTS_HASHES", hashes)
    keras_own = keras.applications.EfficientNetB0(weights="imagenet")
    ours = applications.build("efficientnet_b0")
    plain = keras.applications.EfficientNetB0(weights=None)
    plain.load_weights(path)

    def stem(model):  # the first convolution's output, before the random layers blur it
        return keras.Model(model.input, model.get_layer("stem_conv").output).predict(
            applications.preprocess("efficientnet_b0", photos()), verbose=0
        )

    expected = stem(keras_own)
    np.testing.assert_allclose(stem(ours), expected, atol=1e-4 * np.abs(expected).max())
    assert np.abs(stem(plain) - expected).max() > 0.1 * np.abs(expected).max()


def test_an_unknown_model_name_lists_the_known_ones():
    with pytest.raises(ModelError) as error:
        applications.build("alexnet")
    assert error.value.key == "applications.unknown"
    assert error.value.values["names"] == "mobilenet_v2, vgg16, vgg19, resnet50, efficientnet_b0"


@pytest.mark.slow
@pytest.mark.parametrize("name", list(applications.PHOTO_MODELS))
def test_parameters_and_input_side_are_those_of_the_keras_model(name):
    spec = applications.PHOTO_MODELS[name]
    model = applications.build(name, weights=None)
    side = spec.input_side
    assert model.input_shape == (None, side, side, 3) and model.output_shape == (None, 1000)
    assert model.count_params() == spec.params


class _WouldDownload(Exception):
    pass


@pytest.mark.slow
@pytest.mark.parametrize("name", list(applications.PHOTO_MODELS))
def test_file_origin_and_hash_are_what_keras_applications_downloads(name, monkeypatch):
    """Keras's own weights="imagenet" is stopped where it calls get_file, and asked what for."""
    from keras.src.utils import file_utils

    asked = {}

    def get_file(fname, origin, cache_subdir, file_hash=None, **rest):
        asked.update(fname=fname, origin=origin, subdir=cache_subdir, file_hash=file_hash or "")
        raise _WouldDownload

    monkeypatch.setattr(file_utils, "get_file", get_file)
    spec = applications.PHOTO_MODELS[name]
    with pytest.raises(_WouldDownload):
        getattr(keras.applications, spec.title)(weights="imagenet")
    assert asked == {
        "fname": spec.weights_file,
        "origin": spec.origin,
        "subdir": "models",
        "file_hash": spec.file_hash,
    }


def test_cache_folder_is_keras_models_folder_under_keras_home(empty_keras_cache):
    assert applications.cache_folder() == empty_keras_cache / "models"
    assert applications.weights_path("resnet50") == (
        empty_keras_cache / "models" / "resnet50_weights_tf_dim_ordering_tf_kernels.h5"
    )


def test_importing_the_module_does_not_import_keras():
    code = "import sys, cnnviz.applications; print('keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


# --- preprocess -----------------------------------------------------------------------------------

KERAS_MODULES = {
    "mobilenet_v2": "mobilenet_v2",
    "vgg16": "vgg16",
    "vgg19": "vgg19",
    "resnet50": "resnet50",
    "efficientnet_b0": "efficientnet",
}


@pytest.mark.parametrize("name", list(applications.PHOTO_MODELS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_preprocess_is_the_models_own_preprocess_input_and_leaves_its_input_alone(name, dtype):
    pixels = photos(3).astype(dtype)  # (3, 224, 224, 3)
    before = pixels.copy()
    own = importlib.import_module(f"keras.applications.{KERAS_MODULES[name]}").preprocess_input
    expected = own(pixels.astype(np.float32))
    result = applications.preprocess(name, pixels)
    assert result.dtype == np.float32 and result.shape == pixels.shape
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-4)
    assert np.array_equal(pixels, before)


def test_preprocess_ranges_are_those_the_models_were_trained_with():
    white = np.full((1, 2, 2, 3), 255.0)
    assert np.allclose(applications.preprocess("mobilenet_v2", white), 1.0)  # x / 127.5 - 1
    caffe = applications.preprocess("vgg16", white)[0, 0, 0]  # BGR minus ImageNet's mean
    assert np.allclose(caffe, [255 - 103.939, 255 - 116.779, 255 - 123.68])
    assert np.array_equal(applications.preprocess("efficientnet_b0", white), white)


# --- class names and messages ---------------------------------------------------------------------


def test_class_names_are_imagenets_1000_in_keras_order():
    names = applications.class_names()
    assert len(names) == 1000 and all(isinstance(n, str) and n for n in names)
    assert names[:3] == ["tench", "goldfish", "great_white_shark"]
    assert (names[281], names[282], names[285]) == ("tabby", "tiger_cat", "Egyptian_cat")
    assert (names[207], names[954], names[999]) == ("golden_retriever", "banana", "toilet_tissue")
    # ImageNet has two cranes (bird 134, machine 517) and two maillots (638, 639)
    assert len(set(names)) == 998
    assert names[134] == names[517] == "crane" and names[638] == names[639] == "maillot"


def test_every_model_and_page_message_exists_in_both_languages():
    keys = [f"applications.model.{name}" for name in applications.PHOTO_MODELS]
    keys += [
        f"applications.{k}"
        for k in ("unknown", "not_cached", "download_failed", "weights_broken", "needs_download")
        + ("download_button", "downloading", "downloaded", "cached", "loading", "about")
    ]
    for lang in ("en", "ko"):
        assert [k for k in keys if k not in i18n.catalogue(lang)] == []
    spec = applications.PHOTO_MODELS["vgg16"]
    for lang in ("en", "ko"):
        title = i18n.t("applications.model.vgg16", lang)
        assert "VGG16" in title and "528" in title
        button = i18n.t("applications.download_button", lang, title="VGG16", size_mb=528)
        assert "VGG16" in button and "528 MB" in button
        about = i18n.t(
            "applications.about", lang, title=spec.title, top1=spec.top1, top5=spec.top5,
            params=spec.params, size_mb=spec.size_mb,
        )  # fmt: skip
        assert "71.3%" in about and "138,357,544" in about
