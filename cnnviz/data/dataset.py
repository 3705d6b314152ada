"""What every source of `cnnviz.data` gives: a `Dataset` of uint8 images and int64 labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.i18n import t


@dataclass
class Dataset:
    """Images uint8 (N, H, W, C) and labels int64 (N,), split into train and test.

    For an image folder the test split is the validation split. `class_name_keys`, when set, holds
    one catalogue key per class for the translated name (`class_labels` uses it).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    input_shape: tuple[int, int, int]
    class_name_keys: list[str] | None = None
    skipped: int = 0  # unreadable image files left out (image folders only)

    @property
    def num_classes(self) -> int:
        """How many classes the labels come from."""
        return len(self.class_names)


def from_arrays(
    name: str,
    arrays: tuple[np.ndarray, ...],
    class_names: list[str],
    keys: list[str] | None = None,
) -> Dataset:
    """A `Dataset` from (x_train, y_train, x_test, y_test) as Keras and IDX files give them:
    grey images (N, H, W) get a channel axis, labels of shape (N, 1) are flattened."""
    x_train, y_train, x_test, y_test = arrays
    if x_train.ndim == 3:  # grey (N, H, W) -> (N, H, W, 1)
        x_train, x_test = x_train[..., np.newaxis], x_test[..., np.newaxis]
    return Dataset(
        name,
        np.ascontiguousarray(x_train, dtype=np.uint8),
        np.asarray(y_train, dtype=np.int64).reshape(-1),
        np.ascontiguousarray(x_test, dtype=np.uint8),
        np.asarray(y_test, dtype=np.int64).reshape(-1),
        list(class_names),
        tuple(int(n) for n in x_train.shape[1:]),
        keys,
    )


def class_labels(dataset: Dataset, lang: str = "en") -> list[str]:
    """The class names in `lang` where the catalogue has them, else as the dataset names them."""
    if dataset.class_name_keys is None:
        return list(dataset.class_names)
    return [t(key, lang) for key in dataset.class_name_keys]
