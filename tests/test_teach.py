"""cnnviz.teach: class names checked as typed, real photos (scikit-image's CC0 samples) made into
a stratified dataset of the right shapes and labels, the zip of class folders read back the way a
notebook reads it, and a real short training of the small CNN that tells two very different
sets of photos apart on pictures it never saw."""

from __future__ import annotations

import io
import zipfile

import keras
import numpy as np
import pytest
from PIL import Image
from skimage import data as photos

from cnnviz import images, models, params, teach, training
from cnnviz.data import DatasetError


def crops(photo: np.ndarray, count: int, seed: int) -> list[np.ndarray]:
    """`count` seeded square crops of a photo, each a third to two thirds of its short side, at
    random places: as many different pictures of one thing as a student would take."""
    rng = np.random.default_rng(seed)
    height, width = photo.shape[:2]
    short = min(height, width)
    pictures = []
    for _ in range(count):
        side = int(rng.integers(short // 3, 2 * short // 3))
        top, left = int(rng.integers(0, height - side)), int(rng.integers(0, width - side))
        pictures.append(photo[top : top + side, left : left + side])
    return pictures


@pytest.fixture(scope="module")
def cat_and_sky() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Crops of Chelsea the cat (warm fur) and of the Hubble deep field (black sky, galaxies)."""
    return crops(photos.chelsea(), 24, seed=1), crops(photos.hubble_deep_field(), 24, seed=2)


# --- class names -----------------------------------------------------------------------------------


def test_class_names_are_stripped_and_kept_as_typed_in_order():
    typed = ["  Cup ", "Pen", "손", "# _x_ $y$ [a](b)", "a=__import__('os')"]
    assert teach.check_class_names(typed) == ["Cup", "Pen", "손", "# _x_ $y$ [a](b)",
                                              "a=__import__('os')"]  # fmt: skip


@pytest.mark.parametrize(
    ("names", "key", "values"),
    [
        (["Cup"], "teach.class_count_bad", {"count": 1, "low": 2, "high": 5}),
        (
            ["a", "b", "c", "d", "e", "f"],
            "teach.class_count_bad",
            {"count": 6, "low": 2, "high": 5},
        ),
        (["Cup", "   "], "teach.name_empty", {"number": 2}),
        (["x" * 31, "Pen"], "teach.name_too_long", {"number": 1, "length": 31, "limit": 30}),
        (["Cup", "Pen/Pencil"], "teach.name_characters", {"number": 2}),
        (["Cup", "..\\up"], "teach.name_characters", {"number": 2}),
        (["Cup", ".hidden"], "teach.name_characters", {"number": 2}),
        (["Cup", "tab\there"], "teach.name_characters", {"number": 2}),
        (["Cup", "Pen", "cup"], "teach.name_twice", {"name": "cup", "first": 1, "second": 3}),
        (
            ["Café", "Cafe\u0301"],
            "teach.name_twice",
            {"name": "Cafe\u0301", "first": 1, "second": 2},
        ),
    ],
)
def test_bad_class_names_are_refused_with_their_message(names, key, values):
    with pytest.raises(DatasetError) as caught:
        teach.check_class_names(names)
    assert caught.value.key == key
    assert values.items() <= caught.value.values.items()


def test_exactly_thirty_characters_is_a_name():
    assert teach.check_class_names(["x" * 30, "y"]) == ["x" * 30, "y"]


# --- the dataset -----------------------------------------------------------------------------------


def test_real_photos_become_a_stratified_camera_dataset_of_64_pixel_colour_pictures(cat_and_sky):
    cats, skies = cat_and_sky
    dataset = teach.to_dataset(["Cat", "Sky"], [cats[:20], skies[:10]], seed=3)
    assert dataset.name == "camera"
    assert dataset.class_names == ["Cat", "Sky"] and dataset.num_classes == 2
    assert dataset.input_shape == (64, 64, 3)
    assert dataset.x_train.shape == (24, 64, 64, 3) and dataset.x_train.dtype == np.uint8
    assert dataset.x_test.shape == (6, 64, 64, 3)
    assert np.bincount(dataset.y_test).tolist() == [4, 2]  # 20 % of each class held out
    assert np.bincount(dataset.y_train).tolist() == [16, 8]
    assert dataset.y_train.dtype == np.int64
    # every picture is one of the student's, prepared once, and none is both trained and tested
    prepared = {teach.prepare(p, 64).tobytes(): label for label, ps in
                enumerate([cats[:20], skies[:10]]) for p in ps}  # fmt: skip
    train_rows = zip(dataset.x_train, dataset.y_train, strict=True)
    rows = [*train_rows, *zip(dataset.x_test, dataset.y_test, strict=True)]
    assert all(prepared[x.tobytes()] == y for x, y in rows)
    train_set = {x.tobytes() for x in dataset.x_train}
    assert not train_set & {x.tobytes() for x in dataset.x_test}
    assert len(train_set) + len(dataset.x_test) == 30
    # the training pictures are mixed, so Keras's validation split holds both classes
    assert len(set(dataset.y_train[:6].tolist())) == 2


def test_the_split_is_seeded(cat_and_sky):
    cats, skies = cat_and_sky
    first = teach.to_dataset(["Cat", "Sky"], [cats, skies], seed=1)
    again = teach.to_dataset(["Cat", "Sky"], [cats, skies], seed=1)
    other = teach.to_dataset(["Cat", "Sky"], [cats, skies], seed=2)
    assert np.array_equal(first.x_test, again.x_test)
    assert not np.array_equal(first.x_test, other.x_test)


def test_a_class_with_too_few_pictures_is_refused_with_its_name(cat_and_sky):
    cats, skies = cat_and_sky
    with pytest.raises(DatasetError) as caught:
        teach.to_dataset(["Cat", "Sky"], [cats, skies[:4]])
    assert caught.value.key == "teach.too_few_pictures"
    assert caught.value.values == {"name": "Sky", "count": 4, "minimum": teach.MIN_PICTURES}
    assert teach.split_counts(teach.MIN_PICTURES) == (4, 1)


def test_prepare_is_the_models_own_reading_of_a_picture(cat_and_sky):
    picture = cat_and_sky[0][0]
    prepared = teach.prepare(picture, 64)
    assert prepared.shape == (64, 64, 3) and prepared.dtype == np.uint8
    expected = images.to_model_input(picture, (64, 64, 3))[0]
    assert np.abs(prepared / 255 - expected).max() <= 0.5 / 255 + 1e-6
    grey = teach.prepare(photos.camera(), 32)  # a grey photo comes out in colour
    assert grey.shape == (32, 32, 3) and np.array_equal(grey[..., 0], grey[..., 2])
    x = teach.model_input(picture)
    assert x.shape == (1, 64, 64, 3) and x.dtype == np.float32
    assert np.array_equal(x[0], prepared / np.float32(255))


def test_room_for_counts_the_class_and_the_session():
    assert teach.room_for([0, 0], 0) == teach.MAX_PER_CLASS
    assert teach.room_for([teach.MAX_PER_CLASS, 3], 0) == 0
    assert teach.room_for([teach.MAX_PER_CLASS, teach.MAX_PER_CLASS, 90], 2) == 10
    assert teach.room_for([200, 200, 100, 0, 0], 3) == 0


# --- the zip of class folders ----------------------------------------------------------------------


def test_the_zip_holds_one_folder_of_png_files_per_class_as_keras_reads_it(cat_and_sky, tmp_path):
    cats, skies = cat_and_sky
    kept = [[teach.prepare(p, teach.STORED_SIDE) for p in ps] for ps in (cats[:6], skies[:3])]
    content = teach.pictures_zip(["Cat", "하늘"], [*kept, []][:2])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        assert names[0] == "pictures/Cat/" and "pictures/하늘/" in names
        assert [n for n in names if n.startswith("pictures/Cat/0")] == [
            f"pictures/Cat/{i:03d}.png" for i in range(1, 7)
        ]
        back = np.asarray(Image.open(io.BytesIO(archive.read("pictures/하늘/002.png"))))
        assert np.array_equal(back, kept[1][1])  # PNG: the very pixels
        archive.extractall(tmp_path)
    dataset = keras.utils.image_dataset_from_directory(
        tmp_path / "pictures", image_size=(96, 96), batch_size=64, shuffle=False, verbose=False
    )
    assert dataset.class_names == ["Cat", "하늘"]
    labels = np.concatenate([y.numpy() for _, y in dataset])
    assert np.bincount(labels).tolist() == [6, 3]


def test_the_zip_reads_back_through_load_zip_when_it_is_there(cat_and_sky):
    from cnnviz import data

    if not hasattr(data, "load_zip"):
        pytest.skip("cnnviz.data.load_zip has not landed yet")
    cats, skies = cat_and_sky
    kept = [[teach.prepare(p, teach.STORED_SIDE) for p in ps] for ps in (cats[:10], skies[:10])]
    dataset = data.load_zip(teach.pictures_zip(["Cat", "Sky"], kept), image_size=(96, 96))
    assert dataset.class_names == ["Cat", "Sky"]
    assert len(dataset.x_train) + len(dataset.x_test) == 20


def test_an_empty_class_is_an_empty_folder():
    content = teach.pictures_zip(["Cat", "Sky"], [[np.zeros((4, 4, 3), np.uint8)], []])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.namelist() == ["pictures/Cat/", "pictures/Cat/001.png", "pictures/Sky/"]


# --- the small CNN ---------------------------------------------------------------------------------


def test_the_small_cnn_is_small_and_counted_like_keras():
    model = models.build(teach.SMALL_CNN, (64, 64, 3), 3)
    assert model.output_shape == (None, 3)
    summary = params.summarize(list(teach.SMALL_CNN), (64, 64, 3), 3)
    assert summary.total == model.count_params() == 51_331
    assert model.count_params() < 100_000


def test_a_short_training_tells_the_cat_from_the_sky_on_pictures_it_never_saw(cat_and_sky):
    cats, skies = cat_and_sky
    dataset = teach.to_dataset(["Cat", "Sky"], [cats, skies])
    config = teach.config(epochs=8)
    model = models.build(teach.SMALL_CNN, dataset.input_shape, dataset.num_classes, seed=0)
    result = training.train(model, dataset, config)
    assert result.epochs_done == 8
    assert len(dataset.y_test) == 10  # 5 cats and 5 skies held out
    assert result.test_accuracy == 1.0
    assert result.curves.epoch_loss[-1] < result.curves.epoch_loss[0] / 2
    # new crops from other places of the same photos, read as the camera's pictures are
    fresh = crops(photos.chelsea(), 4, seed=9) + crops(photos.hubble_deep_field(), 4, seed=8)
    x = np.concatenate([teach.model_input(p) for p in fresh])
    guesses = np.argmax(np.asarray(result.model(x, training=False)), axis=1)
    assert guesses.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
