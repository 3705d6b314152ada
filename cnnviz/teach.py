"""Teach your own classes (Teachable Machine's way): the student's pictures made into a dataset.

    names = check_class_names(["Cup", "Pen"])           # stripped, checked, never evaluated
    dataset = to_dataset(names, [cups, pens])            # a Dataset named "camera", 64×64 RGB
    model = models.build(SMALL_CNN, dataset.input_shape, dataset.num_classes)
    training.train(model, dataset, CONFIG)
    zip_bytes = pictures_zip(names, [cups, pens])        # pictures/Cup/001.png …, for a notebook

Every picture goes through `prepare` (centre-cropped to a square and resized, as
`images.to_model_input` makes any picture the model's input), so the pictures the model learns
from and the ones it then sees from the camera are made the same way. numpy, OpenCV and Pillow
only: Keras is loaded where the model is built and trained.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from PIL import Image

from cnnviz import images
from cnnviz.architectures import FLATTEN, conv, dense, dropout, max_pool
from cnnviz.data import Dataset, DatasetError
from cnnviz.recipes import Augmentation, TrainConfig

__all__ = [
    "CONFIG",
    "DEFAULT_CLASSES",
    "FORBIDDEN_CHARACTERS",
    "IMAGE_SIDE",
    "MAX_CLASSES",
    "MAX_NAME_LENGTH",
    "MAX_PER_CLASS",
    "MAX_TOTAL",
    "MIN_CLASSES",
    "MIN_PICTURES",
    "SMALL_CNN",
    "STORED_SIDE",
    "TEST_SHARE",
    "ZIP_FOLDER",
    "check_class_name",
    "check_class_names",
    "config",
    "model_input",
    "pictures_zip",
    "prepare",
    "room_for",
    "split_counts",
    "to_dataset",
]

MIN_CLASSES, MAX_CLASSES, DEFAULT_CLASSES = 2, 5, 2
MAX_NAME_LENGTH = 30  # characters: a class name is a label on a bar and a folder in the zip
# a class name becomes a folder name: these have a meaning in paths on Windows, macOS or Linux
FORBIDDEN_CHARACTERS = '/\\:*?"<>|'
MIN_PICTURES = 5  # per class: 4 to learn from and 1 held out to test on
MAX_PER_CLASS = 200
MAX_TOTAL = 500  # 500 pictures of 96×96 are 14 MB of one student's session
STORED_SIDE = 96  # the pictures are kept (and zipped) this large
IMAGE_SIDE = 64  # the model learns at this side: a training of a few seconds on two cores
TEST_SHARE = 0.2  # of each class's pictures, held out to test the trained model on
ZIP_FOLDER = "pictures"  # the zip's one top folder: `unzip` makes one folder, not five

# Three convolution blocks and a small dense layer: 64×64×3 -> 62 -> 31 -> 29 -> 14 -> 12 -> 6,
# 6·6·32 = 1,152 features. About 51,000 parameters, so a few dozen pictures are enough.
SMALL_CNN: tuple[dict, ...] = (
    conv(16),
    max_pool(),
    conv(32),
    max_pool(),
    conv(32),
    max_pool(),
    FLATTEN,
    dropout(0.3),
    dense(32),
    dense(MIN_CLASSES, "softmax"),  # models.build gives it one unit per class
)

# Adam, small batches (a class has a few dozen pictures) and light augmentation: a picture
# turned a little, moved and zoomed is still the same class; no mirroring ("left" vs "right").
CONFIG = TrainConfig(
    epochs=15,
    batch_size=16,
    optimizer="adam",
    learning_rate=2e-3,
    validation_split=0.2,
    augmentation=Augmentation(rotation=10.0, shift=0.1, zoom=0.1),
    seed=0,
)


def _same_name(name: str) -> str:
    """What two names must differ in to be two folders on every computer (Café/CAFÉ/Café)."""
    return unicodedata.normalize("NFC", name).casefold()


def check_class_name(typed: object, number: int = 1) -> str:
    """One class name stripped of surrounding spaces; DatasetError `teach.name_empty`,
    `teach.name_too_long` or `teach.name_characters` (see check_class_names) naming class
    `number`. A link's class name is read with it too (cnnviz.links.ClassName)."""
    name = str(typed).strip()
    if not name:
        raise DatasetError("teach.name_empty", number=number)
    if len(name) > MAX_NAME_LENGTH:
        raise DatasetError(
            "teach.name_too_long", number=number, length=len(name), limit=MAX_NAME_LENGTH
        )
    control = any(unicodedata.category(c).startswith("C") for c in name)
    if control or name.startswith(".") or any(c in FORBIDDEN_CHARACTERS for c in name):
        raise DatasetError("teach.name_characters", number=number, characters=FORBIDDEN_CHARACTERS)
    return name


def check_class_names(names: Sequence[str]) -> list[str]:
    """The class names stripped of surrounding spaces, in the student's order; DatasetError when
    they cannot be classes: `teach.class_count_bad` (fewer than MIN_CLASSES or more than
    MAX_CLASSES), `teach.name_empty`, `teach.name_too_long`, `teach.name_characters` (a
    FORBIDDEN_CHARACTERS character, a control character, or a leading dot that hides a folder),
    `teach.name_twice` (the same name, ignoring case, twice). `number` counts from 1."""
    if not MIN_CLASSES <= len(names) <= MAX_CLASSES:
        raise DatasetError(
            "teach.class_count_bad", count=len(names), low=MIN_CLASSES, high=MAX_CLASSES
        )
    checked: list[str] = []
    for number, typed in enumerate(names, start=1):
        name = check_class_name(typed, number)
        for earlier, other in enumerate(checked, start=1):
            if _same_name(other) == _same_name(name):
                raise DatasetError("teach.name_twice", name=name, first=earlier, second=number)
        checked.append(name)
    return checked


def prepare(picture: np.ndarray, side: int) -> np.ndarray:
    """Any picture (H, W[, C]) -> (side, side, 3) uint8: its centre square, resized, in colour
    (`images.to_model_input`, the way every model here reads a picture)."""
    x = images.to_model_input(picture, (side, side, 3))[0]  # (side, side, 3) float32 in 0..1
    return np.rint(x * 255).astype(np.uint8)


def model_input(picture: np.ndarray, side: int = IMAGE_SIDE) -> np.ndarray:
    """What the trained model takes for one picture: (1, side, side, 3) float32, pixels / 255,
    made by `prepare` as the training pictures were."""
    return prepare(picture, side)[np.newaxis].astype(np.float32) / 255


def room_for(counts: Sequence[int], index: int) -> int:
    """How many more pictures class `index` may take: MAX_PER_CLASS a class, MAX_TOTAL in all."""
    return max(0, min(MAX_PER_CLASS - counts[index], MAX_TOTAL - sum(counts)))


def split_counts(count: int, test_share: float = TEST_SHARE) -> tuple[int, int]:
    """(train, test) for one class of `count` pictures: round(count · test_share) held out,
    at least 1."""
    test = max(1, round(count * test_share))
    return count - test, test


def to_dataset(
    names: Sequence[str],
    pictures: Sequence[Sequence[np.ndarray]],
    side: int = IMAGE_SIDE,
    test_share: float = TEST_SHARE,
    seed: int = 0,
) -> Dataset:
    """The student's pictures, one list per class in the order of `names`, as a Dataset named
    "camera": every picture `prepare`d to (side, side, 3) uint8; of each class a seeded
    `split_counts` share held out as the test set (stratified), the rest shuffled for training.

    Raises DatasetError `teach.too_few_pictures` for a class with fewer than MIN_PICTURES, and
    the class-name errors of `check_class_names`.
    """
    names = check_class_names(names)
    if len(pictures) != len(names):
        raise ValueError(f"{len(names)} class names but {len(pictures)} lists of pictures")
    for name, class_pictures in zip(names, pictures, strict=True):
        if len(class_pictures) < MIN_PICTURES:
            raise DatasetError(
                "teach.too_few_pictures", name=name, count=len(class_pictures), minimum=MIN_PICTURES
            )
    rng = np.random.default_rng(seed)
    train_rows: list[tuple[np.ndarray, int]] = []
    test_rows: list[tuple[np.ndarray, int]] = []
    for label, class_pictures in enumerate(pictures):
        order = rng.permutation(len(class_pictures))
        _, test = split_counts(len(class_pictures), test_share)
        for position, row in enumerate(order):
            kept = test_rows if position < test else train_rows
            kept.append((prepare(class_pictures[row], side), label))
    train_order = rng.permutation(len(train_rows))  # classes mixed: the validation split is a mix
    train_rows = [train_rows[i] for i in train_order]
    return Dataset(
        "camera",
        np.stack([x for x, _ in train_rows]),  # (N_train, side, side, 3)
        np.array([y for _, y in train_rows], np.int64),
        np.stack([x for x, _ in test_rows]),  # (N_test, side, side, 3)
        np.array([y for _, y in test_rows], np.int64),
        list(names),
        (side, side, 3),
    )


def config(epochs: int | None = None, seed: int = 0) -> TrainConfig:
    """CONFIG, with another number of epochs or seed."""
    return replace(CONFIG, epochs=epochs or CONFIG.epochs, seed=seed)


def _png(picture: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(picture, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def pictures_zip(names: Sequence[str], pictures: Sequence[Sequence[np.ndarray]]) -> bytes:
    """A zip of class folders: `pictures/<class name>/001.png`, … one folder per class (named as
    typed, NFC), the layout `keras.utils.image_dataset_from_directory` and `cnnviz.data.load_zip`
    read. A class without pictures is an empty folder."""
    names = check_class_names(names)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:  # PNG: packed
        for name, class_pictures in zip(names, pictures, strict=True):
            folder = f"{ZIP_FOLDER}/{unicodedata.normalize('NFC', name)}/"
            archive.writestr(zipfile.ZipInfo(folder), b"")  # the folder, even when empty
            for number, picture in enumerate(class_pictures, start=1):
                archive.writestr(f"{folder}{number:03d}.png", _png(picture))
    return buffer.getvalue()
