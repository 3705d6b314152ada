"""The teacher's image folders: one sub-folder per class (cats vs dogs, Animals-10).

The page reads only folders under the roots the teacher shares with $CNNVIZ_DATA_DIR
(`data_roots`, `dataset_folders`, `load_folder(..., roots=...)`); scripts may read any folder.
Every file is decoded with Pillow first; files that cannot be decoded are skipped and counted, the
rest is read with `keras.utils.image_dataset_from_directory` (Keras imported only there).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from cnnviz.data.class_names import ANIMALS10_FOLDERS
from cnnviz.data.dataset import Dataset
from cnnviz.errors import DatasetError

DATA_DIR_VARIABLE = "CNNVIZ_DATA_DIR"  # the teacher's image-folder roots, os.pathsep between
IMAGE_EXTENSIONS = (
    ".bmp",
    ".gif",
    ".jpeg",
    ".jpg",
    ".png",
)  # what image_dataset_from_directory reads


def _readable(path: Path) -> bool:
    """True if Pillow decodes the whole file (a truncated JPEG fails; the draft keeps it fast)."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", (64, 64))  # JPEG: decode at 1/8 scale, still reads every byte
            image.load()
        return True
    except Exception:  # Pillow raises many types for broken files; all mean "skip it"
        return False


def class_name_keys(class_names: list[str]) -> list[str] | None:
    """Catalogue keys of translated names when every class is an Animals-10 folder (cane,
    gatto …, all ten or some of them), else None."""
    if not set(class_names) <= set(ANIMALS10_FOLDERS):
        return None
    return [f"data.animals10.{name}" for name in class_names]


def data_roots() -> list[Path]:
    """The folders the teacher shares with the page: $CNNVIZ_DATA_DIR, several separated by
    `os.pathsep` (";" on Windows, ":" elsewhere), each resolved; missing ones are left out."""
    roots: list[Path] = []
    for part in os.environ.get(DATA_DIR_VARIABLE, "").split(os.pathsep):
        if not part.strip():
            continue
        root = Path(part.strip()).expanduser().resolve()
        if root.is_dir() and root not in roots:
            roots.append(root)
    return roots


def class_folders(folder: Path) -> list[Path]:
    """The sub-folders of `folder` a dataset's classes come from: all but hidden ones, sorted."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    """True if the resolved `path` is one of `roots` or lies below one (roots are resolved)."""
    return any(path.is_relative_to(root) for root in roots)


def _resolved(path: str | Path) -> Path | None:
    """`path` with `..` and every link followed; None for a link loop (Python 3.11 raises)."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):
        return None


def _inside_roots(path: Path, roots: Sequence[Path]) -> bool:
    """True if `path`, resolved, lies under one of the resolved `roots`."""
    resolved = _resolved(path)
    return resolved is not None and _inside(resolved, roots)


def _holds_images(folder: Path) -> bool:
    """True if an image file lies directly in `folder` (the first one found ends the look)."""
    try:
        return any(p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file() for p in folder.iterdir())
    except OSError:  # unreadable: not offered
        return False


def _is_dataset(folder: Path, roots: Sequence[Path]) -> bool:
    """At least two class folders inside `roots` that hold images directly.

    Images directly in the class folders tell a dataset (pets/cats/1.jpg) from a folder of
    datasets (datasets/pets/cats/1.jpg), whose sub-folders hold only folders.
    """
    try:
        classes = class_folders(folder)
    except OSError:
        return False
    inside = [c for c in classes if _inside_roots(c, roots) and _holds_images(c)]
    return len(inside) >= 2


def dataset_folders(roots: Sequence[Path] | None = None) -> list[Path]:
    """The image-folder datasets the page offers: each root that is one, then its immediate
    sub-folders that are, in order (roots default to `data_roots()`). Resolved, no repeats.

    A dataset is a folder with at least two class folders holding images; a folder or class
    folder whose link points outside the roots is not offered.
    """
    roots = data_roots() if roots is None else [Path(r).resolve() for r in roots]
    found: list[Path] = []
    for root in roots:
        try:
            candidates = [root, *class_folders(root)]
        except OSError:
            continue
        for candidate in candidates:
            folder = _resolved(candidate)
            if folder is None or folder in found or not _inside(folder, roots):
                continue
            if _is_dataset(folder, roots):
                found.append(folder)
    return found


def _within_roots(path: str | Path, roots: Sequence[Path]) -> Path:
    """`path` fully resolved (`..` and links followed) if it lies under one of the resolved
    `roots`; else DatasetError("data.folder_outside_roots"), or "data.folder_no_roots" when
    there are none."""
    if not roots:
        raise DatasetError("data.folder_no_roots", path=str(path), variable=DATA_DIR_VARIABLE)
    resolved = _resolved(path)
    if resolved is None or not _inside(resolved, roots):
        raise DatasetError(
            "data.folder_outside_roots",
            path=str(path),
            roots=", ".join(str(r) for r in roots),
        )
    return resolved


def _scan_folder(
    folder: Path, seed: int, max_per_class: int | None, roots: Sequence[Path] | None = None
) -> tuple[dict, int]:
    """{class name: readable image files} for every sub-folder, and how many files were skipped.

    With `roots`, a class folder or image file whose resolved location is outside them stops
    the scan with DatasetError("data.folder_outside_roots").
    """
    if not folder.is_dir():
        raise DatasetError("data.folder_missing", path=str(folder))
    classes = class_folders(folder)
    if not classes:
        raise DatasetError("data.folder_no_classes", path=str(folder))
    rng = np.random.default_rng(seed)
    files, skipped = {}, 0
    for class_folder in classes:
        if roots is not None:
            _within_roots(class_folder, roots)
        images = sorted(
            p
            for p in class_folder.rglob("*")
            if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
        )
        if roots is not None:  # a linked file may point anywhere: refuse before reading it
            images = [_within_roots(image, roots) for image in images]
        if max_per_class is not None:  # check files in a seeded random order until enough
            images = [images[i] for i in rng.permutation(len(images))]
        good, checked = [], 0
        for image in images:
            if max_per_class is not None and len(good) == max_per_class:
                break
            checked += 1
            if _readable(image):
                good.append(image)
        skipped += checked - len(good)
        if good:
            files[class_folder.name] = sorted(good)
    if not files:
        raise DatasetError("data.folder_no_images", path=str(folder), skipped=skipped)
    if len(files) == 1:
        raise DatasetError("data.folder_one_class", path=str(folder), name=next(iter(files)))
    return files, skipped


def _link_or_copy(source: Path, link: Path) -> None:
    """A symbolic link to `source` at `link`; a copy where links are not allowed (Windows
    without developer mode refuses symbolic links to ordinary users)."""
    try:
        link.symlink_to(source)
    except OSError:
        shutil.copyfile(source, link)


def _to_numpy(dataset: object) -> tuple[np.ndarray, np.ndarray]:
    """A batched tf.data dataset of (float images, int labels) -> uint8 (N, H, W, C), int64 (N,)."""
    images, labels = [], []
    for x, y in dataset:
        images.append(np.clip(np.rint(np.asarray(x)), 0, 255).astype(np.uint8))
        labels.append(np.asarray(y, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def load_folder(
    path: str | Path,
    image_size: tuple[int, int] = (150, 150),
    validation_split: float = 0.2,
    seed: int = 0,
    color_mode: str = "rgb",
    max_per_class: int | None = None,
    roots: Sequence[Path] | None = None,
) -> Dataset:
    """An image folder, one sub-folder per class, resized to `image_size` (h, w).

    Every file is first decoded with Pillow; unreadable ones are left out and counted in
    `skipped`. The readable ones are linked into a temporary folder of the same layout and read
    with `keras.utils.image_dataset_from_directory(subset="both")`: the train split and, as the
    test split, a seeded `validation_split`. `max_per_class` takes a seeded sample per class.

    `roots` (the page passes `data_roots()`): the folder, each class folder and each image file,
    fully resolved, must lie under one of them, else DatasetError("data.folder_outside_roots");
    an empty list refuses every folder ("data.folder_no_roots"). `roots=None` reads any folder,
    for scripts and notebooks run by the teacher.
    """
    if not 0 < validation_split < 1:
        raise DatasetError("data.bad_split", value=validation_split)
    if color_mode not in ("rgb", "grayscale"):
        raise DatasetError("data.bad_color_mode", value=color_mode)
    if roots is not None:
        roots = [Path(root).resolve() for root in roots]  # once, not once per image file
    folder = Path(path) if roots is None else _within_roots(path, roots)
    files, skipped = _scan_folder(folder, seed, max_per_class, roots)
    if sum(len(f) for f in files.values()) * validation_split < 1:
        raise DatasetError("data.folder_too_few", count=sum(len(f) for f in files.values()))
    import keras

    with tempfile.TemporaryDirectory(prefix="cnnviz-folder-") as linked:
        for class_name, images in files.items():
            (Path(linked) / class_name).mkdir()
            for number, image in enumerate(images):
                # numbered links keep the sorted order and never collide (nested folders)
                link = Path(linked) / class_name / f"{number:07d}{image.suffix.lower()}"
                _link_or_copy(image.resolve(), link)
        try:
            train, validation = keras.utils.image_dataset_from_directory(
                linked,
                labels="inferred",
                label_mode="int",
                color_mode=color_mode,
                image_size=tuple(image_size),
                validation_split=validation_split,
                subset="both",
                seed=seed,
                batch_size=256,
                verbose=False,
            )
            class_names = list(train.class_names)
            x_train, y_train = _to_numpy(train)
            x_test, y_test = _to_numpy(validation)
        except Exception as error:  # a file Pillow read but TensorFlow cannot decode
            raise DatasetError(
                "data.folder_unreadable", path=str(path), detail=str(error)[:300]
            ) from error
    keys = class_name_keys(class_names)
    return Dataset(
        "folder",
        x_train,
        y_train,
        x_test,
        y_test,
        class_names,
        tuple(int(n) for n in x_train.shape[1:]),
        keys,
        skipped,
    )
