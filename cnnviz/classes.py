"""Class names for a model that does not carry them: the course's datasets, or a typed list.

A model's outputs are numbered 0 … K−1; which class each number stands for is only in the code
that trained it. The teacher picks the dataset the model was trained on (`LISTS`, each in the
order its training code numbered the classes) or types the names; either way there must be one
name per output (`matching`, `parse_typed`).
"""

from __future__ import annotations

import re

from cnnviz.data import (
    ANIMALS10_FOLDERS,
    CIFAR10_CLASSES,
    CIFAR10_KEYS,
    CIFAR100_CLASSES,
    DIGITS,
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_KEYS,
)
from cnnviz.errors import ModelError
from cnnviz.i18n import t

LISTS = ("mnist", "fashion_mnist", "cifar10", "cifar100", "animals10", "cats_dogs")
# image_dataset_from_directory numbers the folders in alphabetical order
CATS_DOGS_FOLDERS = ["cats", "dogs"]
MAX_NAME_LENGTH = 60  # characters; longer is a paste gone wrong, not a class name
# one name per line, or several on a line separated by commas (also the full-width ，and 、)
NAME_SEPARATORS = re.compile(r"[\r\n,，、]+")

_NAMES = {
    "mnist": DIGITS,
    "fashion_mnist": FASHION_MNIST_CLASSES,
    "cifar10": CIFAR10_CLASSES,
    "cifar100": CIFAR100_CLASSES,
    "animals10": ANIMALS10_FOLDERS,
    "cats_dogs": CATS_DOGS_FOLDERS,
}
# the catalogue key of each class's translated name, for the lists whose names the page translates
_KEYS = {
    "fashion_mnist": FASHION_MNIST_KEYS,
    "cifar10": CIFAR10_KEYS,
    "animals10": [f"data.animals10.{folder}" for folder in ANIMALS10_FOLDERS],
    "cats_dogs": [f"classes.cats_dogs.{folder}" for folder in CATS_DOGS_FOLDERS],
}
_FOLDER_LISTS = (
    "animals10",
    "cats_dogs",
)  # the model learned folder names: show them with the word


def names(list_name: str) -> list[str]:
    """The class names of one of LISTS, in the order the course's code numbers them."""
    if list_name not in _NAMES:
        raise ValueError(f"list_name must be one of {LISTS}, not {list_name!r}")
    return list(_NAMES[list_name])


def labels(list_name: str, lang: str) -> list[str]:
    """What the page shows for each class: the translated name, or "folder (word)" for folders.

    MNIST's digits and CIFAR-100's names are shown as they are; Animals-10 shows the Italian folder
    with the word, "gatto (cat)" / "gatto (고양이)", and a word equal to its folder only once.
    """
    raw = names(list_name)
    if list_name not in _KEYS:
        return raw
    words = [t(key, lang) for key in _KEYS[list_name]]
    if list_name not in _FOLDER_LISTS:
        return words
    return [
        name if word == name else f"{name} ({word})" for name, word in zip(raw, words, strict=True)
    ]


def matching(count: int) -> list[str]:
    """The LISTS with exactly `count` classes, so the page offers only the ones that fit."""
    return [list_name for list_name in LISTS if len(_NAMES[list_name]) == count]


def parse_typed(text: str, count: int) -> list[str]:
    """The `count` class names typed in `text`: one per line or comma-separated, trimmed.

    Blank entries are skipped. No names, a name longer than MAX_NAME_LENGTH, a count other than
    `count` or a name given twice raise ModelError; the text is only split, never evaluated.
    """
    typed = [name.strip() for name in NAME_SEPARATORS.split(text)]
    typed = [name for name in typed if name]
    if not typed:
        raise ModelError("classes.empty", count=count)
    for name in typed:
        if len(name) > MAX_NAME_LENGTH:
            raise ModelError("classes.name_too_long", name=name[:20] + "…", limit=MAX_NAME_LENGTH)
    if len(typed) != count:
        raise ModelError("classes.count_mismatch", given=len(typed), count=count)
    seen: set[str] = set()
    for name in typed:
        if name in seen:
            raise ModelError("classes.duplicate", name=name)
        seen.add(name)
    return typed
