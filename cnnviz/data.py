"""Datasets for the Train page, as numpy arrays a student can look at.

Every source gives the same `Dataset`: images uint8 (N, H, W, C) (C = 1 for grey), labels int64
(N,), class names and the input shape. Training code scales the images by 1/255.

Sources (`load(name, ...)`):
- `mnist`: 10,000 real MNIST digits embedded in `assets/mnist_sample.npz` (always there, offline).
- `mnist_full`, `fashion_mnist`, `cifar10`, `cifar100`: the `keras.datasets` files. Files already in
  Keras's cache are used; a download happens only with `allow_download=True` (`download` fetches
  the files into that cache with progress reports). Fashion-MNIST (and MNIST) also load from a
  folder of the original IDX `.gz` files; Fashion-MNIST is found without asking at
  /usr/share/datasets/fashion-mnist (Debian package `dataset-fashion-mnist`).
- `folder`: one sub-folder per class (cats vs dogs, Animals-10), read with
  `keras.utils.image_dataset_from_directory`; files that cannot be decoded are skipped and counted.
  The page reads only folders under the roots the teacher shares with $CNNVIZ_DATA_DIR
  (`data_roots`, `dataset_folders`, `load_folder(..., roots=...)`); scripts may read any folder.

Keras is imported only inside the functions that need it, so listing what is available is instant.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from cnnviz.errors import DatasetError
from cnnviz.i18n import t

ASSETS = Path(__file__).resolve().parent.parent / "assets"
MNIST_SAMPLE = ASSETS / "mnist_sample.npz"
FASHION_MNIST_FOLDERS = (Path("/usr/share/datasets/fashion-mnist"),)
DATA_DIR_VARIABLE = "CNNVIZ_DATA_DIR"  # the teacher's image-folder roots, os.pathsep between

# The original IDX file names (MNIST and Fashion-MNIST use the same four).
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
IMAGE_EXTENSIONS = (
    ".bmp",
    ".gif",
    ".jpeg",
    ".jpg",
    ".png",
)  # what image_dataset_from_directory reads

DIGITS = [str(d) for d in range(10)]
FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
FASHION_MNIST_KEYS = [
    f"data.fashion_mnist.{name}"
    for name in (
        "t_shirt",
        "trouser",
        "pullover",
        "dress",
        "coat",
        "sandal",
        "shirt",
        "sneaker",
        "bag",
        "ankle_boot",
    )
]
CIFAR10_CLASSES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
CIFAR10_KEYS = [f"data.cifar10.{name}" for name in CIFAR10_CLASSES]
# fmt: off
CIFAR100_CLASSES = [
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
    "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar",
    "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile",
    "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster",
    "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster",
    "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom", "oak_tree", "orange",
    "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree", "plain", "plate", "poppy",
    "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket", "rose", "sea", "seal",
    "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider", "squirrel", "streetcar",
    "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
    "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman",
    "worm",
]
# fmt: on
# Animals-10 ships with Italian folder names; a folder of exactly these gets translated labels.
ANIMALS10_FOLDERS = [
    "cane",
    "cavallo",
    "elefante",
    "farfalla",
    "gallina",
    "gatto",
    "mucca",
    "pecora",
    "ragno",
    "scoiattolo",
]


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


@dataclass(frozen=True)
class Download:
    """A dataset `keras.datasets` downloads: the files it keeps in its cache and their size."""

    title: str
    folder: str  # inside Keras's datasets cache
    files: tuple[str, ...]
    origin: str  # the file's address, or the folder's (ending in "/") the files are in
    size_mb: int

    def urls(self) -> list[str]:
        """Where each of `files` comes from."""
        if self.origin.endswith("/"):
            return [self.origin + name for name in self.files]
        return [self.origin]


DOWNLOADS = {
    "mnist_full": Download(
        "MNIST",
        "",
        ("mnist.npz",),
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        11,
    ),
    "fashion_mnist": Download(
        "Fashion-MNIST",
        "fashion-mnist",
        tuple(IDX_FILES[k] for k in ("y_train", "x_train", "y_test", "x_test")),
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        30,
    ),
    # keras stores the downloaded tar.gz under this name and extracts it next to it
    "cifar10": Download(
        "CIFAR-10",
        "",
        ("cifar-10-batches-py-target_archive",),
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        163,
    ),
    "cifar100": Download(
        "CIFAR-100",
        "",
        ("cifar-100-python-target_archive",),
        "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        161,
    ),
}
NAMES = ("mnist", *DOWNLOADS, "folder")


@dataclass(frozen=True)
class Availability:
    """Whether `load(name)` works right now; if not, a catalogue key and values saying why."""

    name: str
    ok: bool
    reason_key: str | None = None
    values: dict = field(default_factory=dict)


def class_labels(dataset: Dataset, lang: str = "en") -> list[str]:
    """The class names in `lang` where the catalogue has them, else as the dataset names them."""
    if dataset.class_name_keys is None:
        return list(dataset.class_names)
    return [t(key, lang) for key in dataset.class_name_keys]


def keras_cache_dir() -> Path:
    """Where `keras.datasets` keeps downloads: $KERAS_HOME/datasets or ~/.keras/datasets.

    The same rule as Keras (keras.src.backend.config and utils.file_utils.get_file), read at call
    time: a home that is not writable falls back to /tmp/.keras.
    """
    if "KERAS_HOME" in os.environ:
        home = Path(os.environ["KERAS_HOME"])
    else:
        base = Path("~").expanduser()
        home = (base if os.access(base, os.W_OK) else Path("/tmp")) / ".keras"
    if not os.access(home, os.W_OK):
        home = Path("/tmp/.keras")
    return home / "datasets"


def available() -> dict[str, Availability]:
    """Which named datasets load right now without a download, and why the others do not."""
    result = {"mnist": _sample_availability()}
    for name in DOWNLOADS:
        in_idx_folder = name == "fashion_mnist" and _fashion_mnist_folder() is not None
        if in_idx_folder or _cached_files(name) is not None:
            result[name] = Availability(name, True)
        else:
            result[name] = Availability(name, False, "data.not_cached", _where_to_put(name))
    return result


def load(name: str = "mnist", **options: object) -> Dataset:
    """Load the dataset `name` (one of `NAMES`); options go to its source (see the module doc)."""
    loaders = {
        "mnist": load_mnist_sample,
        "mnist_full": load_mnist_full,
        "fashion_mnist": load_fashion_mnist,
        "cifar10": load_cifar10,
        "cifar100": load_cifar100,
        "folder": load_folder,
    }
    if name not in loaders:
        raise DatasetError("data.unknown", name=name, names=", ".join(NAMES))
    return loaders[name](**options)


# --- the embedded MNIST sample --------------------------------------------------------------------


def _sample_availability() -> Availability:
    if MNIST_SAMPLE.is_file():
        return Availability("mnist", True)
    return Availability("mnist", False, "data.sample_missing", {"file": str(MNIST_SAMPLE)})


def load_mnist_sample() -> Dataset:
    """The 10,000 embedded MNIST digits: 8,000 train / 2,000 test, stratified, fixed split."""
    if not MNIST_SAMPLE.is_file():
        raise DatasetError("data.sample_missing", file=str(MNIST_SAMPLE))
    with np.load(MNIST_SAMPLE) as sample:
        x_train, x_test = sample["x_train"], sample["x_test"]  # (N, 28, 28)
        y_train, y_test = sample["y_train"], sample["y_test"]
    return Dataset(
        "mnist",
        x_train[..., np.newaxis],  # (N, 28, 28) -> (N, 28, 28, 1)
        y_train.astype(np.int64),
        x_test[..., np.newaxis],
        y_test.astype(np.int64),
        list(DIGITS),
        (28, 28, 1),
    )


# --- keras.datasets and IDX folders ---------------------------------------------------------------


def _cached_files(name: str) -> list[Path] | None:
    """The Keras cache files of `name` if they are all there, else None."""
    download = DOWNLOADS[name]
    folder = keras_cache_dir() / download.folder
    paths = [folder / f for f in download.files]
    return paths if all(p.is_file() for p in paths) else None


def _where_to_put(name: str) -> dict:
    download = DOWNLOADS[name]
    return {
        "name": download.title,
        "files": ", ".join(download.files),
        "folder": str(keras_cache_dir() / download.folder),
        "origin": download.origin,
        "size_mb": download.size_mb,
    }


DOWNLOAD_CHUNK = 1 << 20  # bytes read between two progress reports
DOWNLOAD_TIMEOUT = 30.0  # seconds without an answer before a download counts as offline


def download(name: str, on_progress: Callable[[int, int], None] | None = None) -> None:
    """Fetch the files of download-only set `name` into Keras's cache, where `keras.datasets`
    then finds them, calling `on_progress(bytes_done, bytes_expected)` as they arrive.

    Files already there are kept, so a second try fetches only what is missing. Each file is
    written beside its place and moved in when complete: a broken download leaves no half file.
    Raises DatasetError("data.download_failed") when a file cannot be fetched (offline).
    """
    import urllib.request

    spec = DOWNLOADS[name]
    folder = keras_cache_dir() / spec.folder
    expected = spec.size_mb * 1_000_000
    done = 0
    partial: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for file, url in zip(spec.files, spec.urls(), strict=True):
            target = folder / file
            if target.is_file():
                continue
            partial = target.with_name(target.name + ".part")
            with (
                urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response,
                open(partial, "wb") as out,
            ):
                while chunk := response.read(DOWNLOAD_CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    if on_progress is not None:
                        on_progress(done, max(expected, done))
            os.replace(partial, target)
            partial = None
    except OSError as error:  # no network, refused, cut off, a full disk: all mean "not here"
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise DatasetError(
            "data.download_failed", detail=str(error)[:300], **_where_to_put(name)
        ) from error
    if on_progress is not None:
        on_progress(max(done, 1), max(done, 1))


def _from_keras(
    name: str, allow_download: bool, on_progress: Callable[[int, int], None] | None = None
) -> tuple[np.ndarray, ...]:
    """(x_train, y_train, x_test, y_test) from `keras.datasets`, downloading only if allowed."""
    if _cached_files(name) is None:
        if not allow_download:
            raise DatasetError("data.not_cached", **_where_to_put(name))
        download(name, on_progress)
    import keras

    loaders = {
        "mnist_full": keras.datasets.mnist.load_data,
        "fashion_mnist": keras.datasets.fashion_mnist.load_data,
        "cifar10": keras.datasets.cifar10.load_data,
        "cifar100": keras.datasets.cifar100.load_data,
    }
    try:
        (x_train, y_train), (x_test, y_test) = loaders[name]()
    except Exception as error:  # a bad hash, a damaged file: Keras fetches again, offline fails
        raise DatasetError(
            "data.download_failed", detail=str(error)[:300], **_where_to_put(name)
        ) from error
    return x_train, y_train, x_test, y_test


def _as_dataset(
    name: str,
    arrays: tuple[np.ndarray, ...],
    class_names: list[str],
    keys: list[str] | None = None,
) -> Dataset:
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


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzip or plain) of unsigned bytes: (n,) labels or (n, rows, cols) images.

    Layout (big-endian): two zero bytes, type code 0x08 (unsigned byte), number of dimensions d,
    then d sizes as 4-byte integers, then the values row by row.
    """
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as error:
        raise DatasetError("data.idx_bad", file=str(path)) from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] == 0:
        raise DatasetError("data.idx_bad", file=str(path))
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(n) for n in np.frombuffer(raw[4:header], dtype=">u4"))
    if len(shape) != ndim or len(raw) - header != int(np.prod(shape)):
        raise DatasetError("data.idx_bad", file=str(path))
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_idx_folder(
    path: str | Path, name: str, class_names: list[str], keys: list[str] | None = None
) -> Dataset:
    """A dataset from a folder holding the four original IDX .gz files (`IDX_FILES`)."""
    folder = Path(path)
    missing = [f for f in IDX_FILES.values() if not (folder / f).is_file()]
    if missing:
        raise DatasetError("data.idx_missing", folder=str(folder), files=", ".join(missing))
    arrays = {part: read_idx(folder / file) for part, file in IDX_FILES.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DatasetError(
                "data.idx_mismatch",
                folder=str(folder),
                images=len(images),
                labels=len(labels),
            )
    ordered = tuple(arrays[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    return _as_dataset(name, ordered, class_names, keys)


def _fashion_mnist_folder() -> Path | None:
    """The first folder with all four Fashion-MNIST IDX files: Debian's, then Keras's cache."""
    for folder in (*FASHION_MNIST_FOLDERS, keras_cache_dir() / "fashion-mnist"):
        if all((folder / f).is_file() for f in IDX_FILES.values()):
            return folder
    return None


def load_mnist_full(
    path: str | Path | None = None,
    allow_download: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> Dataset:
    """All 70,000 MNIST digits: from an IDX folder `path`, Keras's cache, or a download."""
    if path is not None:
        return load_idx_folder(path, "mnist_full", DIGITS)
    arrays = _from_keras("mnist_full", allow_download, on_progress)
    return _as_dataset("mnist_full", arrays, DIGITS)


def load_fashion_mnist(
    path: str | Path | None = None,
    allow_download: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> Dataset:
    """Fashion-MNIST (60,000 + 10,000): an IDX folder, the Debian package, Keras's cache, download."""
    names, keys = FASHION_MNIST_CLASSES, FASHION_MNIST_KEYS
    if path is not None:
        return load_idx_folder(path, "fashion_mnist", names, keys)
    folder = _fashion_mnist_folder()
    if folder is not None:
        return load_idx_folder(folder, "fashion_mnist", names, keys)
    arrays = _from_keras("fashion_mnist", allow_download, on_progress)
    return _as_dataset("fashion_mnist", arrays, names, keys)


def load_cifar10(
    allow_download: bool = False, on_progress: Callable[[int, int], None] | None = None
) -> Dataset:
    """CIFAR-10: 50,000 + 10,000 colour images 32×32 in 10 classes, through keras.datasets."""
    arrays = _from_keras("cifar10", allow_download, on_progress)
    return _as_dataset("cifar10", arrays, CIFAR10_CLASSES, CIFAR10_KEYS)


def load_cifar100(
    allow_download: bool = False, on_progress: Callable[[int, int], None] | None = None
) -> Dataset:
    """CIFAR-100 (fine labels): 50,000 + 10,000 colour images 32×32 in 100 classes."""
    arrays = _from_keras("cifar100", allow_download, on_progress)
    return _as_dataset("cifar100", arrays, CIFAR100_CLASSES)


# --- an image folder, one sub-folder per class ----------------------------------------------------


def _readable(path: Path) -> bool:
    """True if Pillow decodes the whole file (a truncated JPEG fails; the draft keeps it fast)."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", (64, 64))  # JPEG: decode at 1/8 scale, still reads every byte
            image.load()
        return True
    except Exception:  # Pillow raises many types for broken files; all mean "skip it"
        return False


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
                link.symlink_to(image.resolve())
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
    keys = None
    if sorted(class_names) == sorted(ANIMALS10_FOLDERS):
        keys = [f"data.animals10.{name}" for name in class_names]
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
