"""The Keras code of what was trained: a short script a student runs in their own notebook.

    script = training_script(ARCHITECTURES["mnist_cnn"], "mnist", RECIPES["quick"])

The script reads like a keras-io example (settings, prepare the data, build, train, evaluate) and
does what the Train page did: `cnnviz.models.build`'s layers with the same arguments, names and
seeded initialisers (SEED·1000 + the layer's number), the last Dense with one unit per class;
in front of it Rescaling(1/255) and the augmentation layers as `cnnviz.training` puts them; the
same seeded validation split (`cnnviz.batches.split`) and optimizer (`recipes.make_optimizer`).
Data come from `keras.datasets` for the named sets and `keras.utils.image_dataset_from_directory`
for an image folder, a zip or the webcam's classes (a zip of class folders).

Nothing a student typed is pasted into the script: every value from the layer table or the
details is written with `repr` of a plain number, text, boolean, None or list of them; argument
names must be Python names and initialisers ones Keras has, else ModelError.

The comments are in the page's language (`lang`): templates under `[script]` in
cnnviz/locales/<lang>/code.toml, every line of them written behind "# " (`_comment`), so no
text, whatever it holds, can leave a comment; the code is the same in every language.
"""

from __future__ import annotations

import keyword
import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cnnviz import params
from cnnviz.architectures import Architecture, layer_rows
from cnnviz.data import DOWNLOADS, NAMES
from cnnviz.errors import DatasetError, ModelError
from cnnviz.i18n import DEFAULT_LANGUAGE, t
from cnnviz.recipes import Augmentation, TrainConfig

__all__ = [
    "FOLDER_DATASETS",
    "KERAS_DATASETS",
    "KerasDataset",
    "file_stem",
    "literal",
    "training_script",
]

WIDTH = 99  # the longest line the script has, as the house's own code


@dataclass(frozen=True)
class KerasDataset:
    """A set `keras.datasets` loads: its module, image shape, classes, title and download size."""

    module: str
    input_shape: tuple[int, int, int]
    num_classes: int
    title: str
    size_mb: int


KERAS_DATASETS = {
    "mnist": KerasDataset("mnist", (28, 28, 1), 10, "MNIST", DOWNLOADS["mnist_full"].size_mb),
    "mnist_full": KerasDataset("mnist", (28, 28, 1), 10, "MNIST", DOWNLOADS["mnist_full"].size_mb),
    "fashion_mnist": KerasDataset(
        "fashion_mnist", (28, 28, 1), 10, "Fashion-MNIST", DOWNLOADS["fashion_mnist"].size_mb
    ),
    "cifar10": KerasDataset("cifar10", (32, 32, 3), 10, "CIFAR-10", DOWNLOADS["cifar10"].size_mb),
    "cifar100": KerasDataset(
        "cifar100", (32, 32, 3), 100, "CIFAR-100", DOWNLOADS["cifar100"].size_mb
    ),
}
# read with image_dataset_from_directory; "zip" and "camera" arrive as a zip of class folders
FOLDER_DATASETS = ("folder", "zip", "camera")
FOLDER_TEST_SPLIT, FOLDER_SPLIT_SEED = 0.2, 0  # as cnnviz.data.load_folder and load_zip split
DEFAULT_FOLDER_SHAPE = (64, 64, 3)  # the zip's default size, for a layer list without a shape

# Keras's initialisers by the names a table may give, and whether each takes a seed
INITIALIZERS = {
    "glorot_uniform": ("GlorotUniform", True),
    "glorot_normal": ("GlorotNormal", True),
    "he_uniform": ("HeUniform", True),
    "he_normal": ("HeNormal", True),
    "lecun_uniform": ("LecunUniform", True),
    "lecun_normal": ("LecunNormal", True),
    "random_normal": ("RandomNormal", True),
    "random_uniform": ("RandomUniform", True),
    "truncated_normal": ("TruncatedNormal", True),
    "orthogonal": ("Orthogonal", True),
    "variance_scaling": ("VarianceScaling", True),
    "zeros": ("Zeros", False),
    "ones": ("Ones", False),
    "identity": ("Identity", False),
}
_BY_CLASS = {class_name: (class_name, seeded) for class_name, seeded in INITIALIZERS.values()}


# --- values written into the script ----------------------------------------------------------------


def literal(value: object, number: int = 0, argument: str = "") -> str:
    """`value` as Python source: repr of None, a bool, a finite number, text, or a list/tuple
    of those; anything else raises ModelError("models.bad_argument") for layer `number`."""
    if isinstance(value, list | tuple):
        items = [literal(item, number, argument) for item in value]
        if isinstance(value, tuple):
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        return f"[{', '.join(items)}]"
    if isinstance(value, str):
        written = repr(value)  # escapes quotes, backslashes and line breaks: always one literal
        if "'" not in value and '"' not in value:
            written = f'"{written[1:-1]}"'  # the house's double quotes; the escapes are the same
        return written
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    if isinstance(value, numbers.Real) and math.isfinite(value):
        return repr(float(value))
    raise ModelError("models.bad_argument", number=number, argument=argument)


def _argument_name(name: object, number: int) -> str:
    """A layer argument's name, which must be a Python name (`kernel_size`), never code."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ModelError("code.bad_argument_name", number=number, argument=str(name)[:40])
    return name


def _layer_name(layer_type: str, number: int) -> str:
    """cnnviz.models's name for row `number`: MaxPooling2D, 3 -> max_pooling2d_3."""
    snake = re.sub(r"(?<=[a-z])([A-Z])", r"_\1", layer_type).lower()
    return f"{snake}_{number}"


def _initializer(name: object, seed: int, number: int, argument: str) -> str | None:
    """`initializers.HeUniform(seed=4)` for a seeded one, `initializers.Zeros()` else; None for
    the zeros a bias starts from anyway."""
    known = (INITIALIZERS.get(name) or _BY_CLASS.get(name)) if isinstance(name, str) else None
    if known is None:
        raise ModelError("code.bad_initializer", number=number, argument=argument)
    class_name, seeded = known
    if argument == "bias_initializer" and class_name == "Zeros":
        return None
    return f"initializers.{class_name}(seed={seed})" if seeded else f"initializers.{class_name}()"


def _layer_arguments(row: dict, number: int, seed: int, last_dense: bool) -> list[str]:
    """`name=value` for one table row, as cnnviz.models.build passes them to Keras."""
    arguments = {key: value for key, value in row.items() if key != "type"}
    arguments.setdefault("name", _layer_name(row["type"], number))
    layer_seed = seed * 1000 + number  # build's: every layer its own stream
    written = []
    for key, value in arguments.items():
        key = _argument_name(key, number)
        if key.endswith("_initializer"):
            continue
        if last_dense and key == "units":
            written.append("units=NUM_CLASSES")  # one unit per class
        else:
            written.append(f"{key}={literal(value, number, key)}")
    if row["type"] in ("Conv2D", "Dense"):
        for key, default in (
            ("kernel_initializer", "glorot_uniform"),
            ("bias_initializer", "zeros"),
        ):
            made = _initializer(arguments.get(key, default), layer_seed, number, key)
            if made is not None:
                written.append(f"{key}={made}")
    if row["type"] == "Dropout" and "seed" not in arguments:
        written.append(f"seed={layer_seed}")
    return written


def _call(head: str, arguments: Sequence[str], indent: int, tail: str = "") -> list[str]:
    """`head(a, b, …)tail` on one line when it fits in WIDTH, else the arguments wrapped."""
    pad = " " * indent
    one_line = f"{pad}{head}({', '.join(arguments)}){tail}"
    if len(one_line) <= WIDTH:
        return [one_line]
    lines, line = [], f"{pad}{head}("
    inner = " " * (indent + 4)
    for i, argument in enumerate(arguments):
        piece = argument + ("," if i < len(arguments) - 1 else ")" + tail)
        if line.strip() and not line.endswith("(") and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line = inner + piece
        else:
            line = line + ("" if line.endswith("(") else " ") + piece
    lines.append(line)
    return lines


def _comment(text: str, indent: int = 0) -> list[str]:
    """`text` (a translated template, filled) as comment lines: "# " before every line it has,
    split wherever Python could see a line end (splitlines knows all of them and more)."""
    pad = " " * indent
    return [f"{pad}# {line}".rstrip() for line in text.splitlines() or [""]]


def _trailing(text: str) -> str:
    """`text` as a comment at the end of a code line: two spaces, "# ", all on that line."""
    return "  # " + " ".join(text.split())


def _folder_title(name: str, lang: str) -> str:
    """What an image folder, a zip or the webcam's classes are called in the header."""
    if name == "folder":
        return t("code.script.title_folder", lang)
    if name == "zip":
        return t("code.script.title_zip", lang)
    return t("code.script.title_camera", lang)


# --- the script's sections ---------------------------------------------------------------------------


def _settings(
    config: TrainConfig, num_classes: int | None, input_shape: tuple, lang: str
) -> list[str]:
    lines = [
        *_comment(t("code.script.settings", lang)),
        f"SEED = {literal(config.seed)}",
        f"EPOCHS = {literal(config.epochs)}",
        f"BATCH_SIZE = {literal(config.batch_size)}",
        f"LEARNING_RATE = {literal(config.learning_rate)}",
        f"VALIDATION_SPLIT = {literal(config.validation_split)}",
    ]
    if config.max_train_images is not None:
        lines.append(
            f"MAX_TRAIN_IMAGES = {literal(config.max_train_images)}"
            + _trailing(t("code.script.max_train_images", lang))
        )
    shape = literal(tuple(input_shape))
    lines.append(f"INPUT_SHAPE = {shape}" + _trailing(t("code.script.input_shape", lang)))
    if num_classes is not None:
        lines.append(f"NUM_CLASSES = {literal(num_classes)}")
    seeded = "keras.utils.set_random_seed(SEED)" + _trailing(t("code.script.set_seed", lang))
    lines += ["", seeded]
    return lines


def _keras_data(name: str, source: KerasDataset, input_shape: tuple, lang: str) -> list[str]:
    """keras.datasets (or an .npz file), a channel axis for grey images, flat labels, padding."""
    if name == "mnist":
        about = t("code.script.mnist_sample", lang, size_mb=source.size_mb)
    else:
        about = t("code.script.keras_download", lang, title=source.title, size_mb=source.size_mb)
    lines = [
        *_comment("## " + t("code.script.prepare", lang)),
        *_comment(about),
        "DATA_FILE = None",
        "if DATA_FILE is None:",
        f"    (x_train, y_train), (x_test, y_test) = keras.datasets.{source.module}.load_data()",
        "else:",
        "    with np.load(DATA_FILE) as saved:",
        '        x_train, y_train = saved["x_train"], saved["y_train"]',
        '        x_test, y_test = saved["x_test"], saved["y_test"]',
    ]
    if source.input_shape[-1] == 1:
        lines += [
            *_comment(t("code.script.grey_channel", lang)),
            "x_train, x_test = x_train[..., np.newaxis], x_test[..., np.newaxis]",
        ]
    if source.module.startswith("cifar"):
        lines += ["y_train, y_test = y_train.reshape(-1), y_test.reshape(-1)  # (N, 1) -> (N,)"]
    pad = _padding(source.input_shape, input_shape)
    if pad:
        size = f"{input_shape[0]}×{input_shape[1]}"
        lines += [
            *_comment(t("code.script.pad", lang, size=size)),
            f"border = ((0, 0), ({pad}, {pad}), ({pad}, {pad}), (0, 0))",
            "x_train, x_test = np.pad(x_train, border), np.pad(x_test, border)",
        ]
    return lines


def _padding(data_shape: tuple, model_shape: tuple) -> int:
    """The zeros each side that make square images of `data_shape` `model_shape` (LeNet-5's
    28×28 MNIST -> 32×32), or 0 when no padding does."""
    grow = model_shape[0] - data_shape[0]
    same = model_shape[2] == data_shape[2] and grow == model_shape[1] - data_shape[1]
    return grow // 2 if same and grow > 0 and grow % 2 == 0 else 0


def _folder_data(name: str, input_shape: tuple, details: dict, lang: str) -> list[str]:
    """image_dataset_from_directory on a folder of class folders (a zip is unpacked first)."""
    height, width, channels = input_shape
    color_mode = "grayscale" if channels == 1 else "rgb"
    lines = _comment("## " + t("code.script.prepare", lang))
    if name == "folder":
        folder = str(details.get("data_dir") or "my_images")
        lines += [f"DATA_DIR = {literal(folder)}" + _trailing(t("code.script.data_dir", lang))]
    else:
        zip_file = str(details.get("zip_file") or "my_images.zip")
        lines += [
            f"ZIP_FILE = {literal(zip_file)}" + _trailing(t("code.script.zip_file", lang)),
            'DATA_DIR = "my_images"',
            "with zipfile.ZipFile(ZIP_FILE) as archive:",
            "    archive.extractall(DATA_DIR)",
            'shutil.rmtree(pathlib.Path(DATA_DIR, "__MACOSX"), ignore_errors=True)'
            + _trailing(t("code.script.macosx", lang)),
            *_comment(t("code.script.zip_inside", lang)),
            "inside = [p for p in pathlib.Path(DATA_DIR).iterdir() if p.is_dir()]",
            "while len(inside) == 1:",
            "    DATA_DIR = str(inside[0])",
            "    inside = [p for p in pathlib.Path(DATA_DIR).iterdir() if p.is_dir()]",
        ]
    names = details.get("class_names")
    if names:
        shown = ", ".join(literal(str(n)) for n in names)
        lines += _comment(t("code.script.found_classes", lang, count=len(names), names=shown))
    split = t(
        "code.script.folder_split",
        lang,
        size=f"{height}×{width}",
        percent=round(FOLDER_TEST_SPLIT * 100),
        seed=FOLDER_SPLIT_SEED,
    )
    lines += [
        *_comment(split),
        "train_images, test_images = keras.utils.image_dataset_from_directory(",
        "    DATA_DIR,",
        f"    image_size=({height}, {width}),",
        f"    color_mode={literal(color_mode)},",
        f"    validation_split={literal(FOLDER_TEST_SPLIT)},",
        '    subset="both",',
        f"    seed={literal(FOLDER_SPLIT_SEED)},",
        "    batch_size=256,",
        ")",
        "class_names = train_images.class_names",
        "NUM_CLASSES = len(class_names)",
        'print("Classes:", class_names)',
        "",
        "",
        "def to_arrays(batches):",
        *_comment(t("code.script.to_arrays", lang), indent=4),
        "    images, labels = zip(*batches.as_numpy_iterator())",
        '    return np.concatenate(images).round().clip(0, 255).astype("uint8"), np.concatenate(labels)',
        "",
        "",
        "x_train, y_train = to_arrays(train_images)",
        "x_test, y_test = to_arrays(test_images)",
    ]
    return lines


def _split(config: TrainConfig, lang: str) -> list[str]:
    """cnnviz.batches.split: a seeded shuffle, the optional sample, validation held out first."""
    sampled = config.max_train_images is not None
    if config.validation_split == 0 and not sampled:
        return []
    if sampled and config.validation_split:
        note = t("code.script.split_both", lang)
    elif sampled:
        note = t("code.script.split_sample", lang)
    else:
        note = t("code.script.split_validation", lang)
    lines = [
        "",
        *_comment(note),
        "order = np.random.default_rng(SEED).permutation(len(x_train))",
    ]
    if config.max_train_images is not None:
        lines.append("order = order[:MAX_TRAIN_IMAGES]")
    if config.validation_split:
        lines += [
            "n_validation = max(1, round(len(order) * VALIDATION_SPLIT))",
            "x_val, y_val = x_train[order[:n_validation]], y_train[order[:n_validation]]",
            "x_train, y_train = x_train[order[n_validation:]], y_train[order[n_validation:]]",
        ]
    else:
        lines.append("x_train, y_train = x_train[order], y_train[order]")
    return lines


def _model(rows: list[dict], seed: int, model_name: str, lang: str) -> list[str]:
    last_dense = max(i for i, row in enumerate(rows) if row["type"] == "Dense")
    lines = [
        *_comment("## " + t("code.script.build", lang)),
        *_comment(t("code.script.build_note", lang)),
        "model = keras.Sequential(",
        "    [",
        "        keras.Input(shape=INPUT_SHAPE),",
    ]
    for index, row in enumerate(rows):
        number = index + 1
        arguments = _layer_arguments(row, number, seed, index == last_dense)
        lines += _call(f"layers.{row['type']}", arguments, 8, ",")
    lines += [
        "    ],",
        f"    name={literal(model_name)},",
        ")",
        "model.summary()",
        'print("Parameters:", model.count_params())',
    ]
    return lines


def _augmentation(augmentation: Augmentation, lang: str) -> list[str]:
    """cnnviz.recipes.augmentation_layers, written out."""
    fill = 'fill_mode="nearest"'  # as ImageDataGenerator fills what moves into view
    made = []
    if augmentation.rotation:
        turn = f"{literal(float(augmentation.rotation))} / 360"
        turns = _trailing(t("code.script.rotation", lang))
        made.append(f"layers.RandomRotation({turn}, seed=SEED, {fill}),{turns}")
    if augmentation.shift:
        shift = literal(float(augmentation.shift))
        made.append(f"layers.RandomTranslation({shift}, {shift}, seed=SEED + 1, {fill}),")
    if augmentation.zoom:
        zoom = literal(float(augmentation.zoom))
        made.append(f"layers.RandomZoom((-{zoom}, {zoom}), seed=SEED + 2, {fill}),")
    if augmentation.shear:
        shear = literal(float(augmentation.shear))
        made.append(f"layers.RandomShear({shear}, {shear}, seed=SEED + 3, {fill}),")
    if augmentation.flip:
        made.append('layers.RandomFlip("horizontal", seed=SEED + 4),')
    if not made:
        return ["augmentation = []" + _trailing(t("code.script.no_augmentation", lang))]
    return [
        *_comment(t("code.script.augmentation", lang)),
        "augmentation = [",
        *(f"    {line}" for line in made),
        "]",
    ]


def _optimizer(config: TrainConfig, lang: str) -> list[str]:
    lines = []
    rate = "LEARNING_RATE"
    if config.lr_decay is not None:
        decay = config.lr_decay
        lines += [
            *_comment(t("code.script.decay", lang)),
            "learning_rate = keras.optimizers.schedules.ExponentialDecay(",
            f"    LEARNING_RATE, decay_steps={literal(decay.decay_steps)},"
            f" decay_rate={literal(decay.decay_rate)}, staircase={literal(decay.staircase)}",
            ")",
        ]
        rate = "learning_rate"
    if config.optimizer == "sgd":
        momentum, nesterov = literal(config.momentum), literal(config.nesterov)
        lines.append(
            f"optimizer = keras.optimizers.SGD({rate}, momentum={momentum}, nesterov={nesterov})"
        )
    elif config.optimizer == "rmsprop":
        lines.append(f"optimizer = keras.optimizers.RMSprop({rate})")
    else:
        lines.append(f"optimizer = keras.optimizers.Adam({rate})")
    return lines


def _ends_in_softmax(rows: list[dict]) -> bool:
    """cnnviz.models.ends_in_softmax for the table: its last layer a Dense with softmax."""
    return rows[-1]["type"] == "Dense" and rows[-1].get("activation") == "softmax"


def _train(config: TrainConfig, rows: list[dict], file_name: str, lang: str) -> list[str]:
    from_logits = literal(not _ends_in_softmax(rows))
    validation = ", validation_data=(x_val, y_val)" if config.validation_split else ""
    return [
        *_comment("## " + t("code.script.train", lang)),
        *_augmentation(config.augmentation, lang),
        *_comment(t("code.script.front", lang)),
        "training_model = keras.Sequential(",
        "    [",
        '        keras.Input(shape=INPUT_SHAPE, dtype="uint8"),',
        "        layers.Rescaling(1 / 255),",
        "        *augmentation,",
        "        model,",
        "    ],",
        '    name="training_" + model.name,',
        ")",
        *_optimizer(config, lang),
        "training_model.compile(",
        "    optimizer=optimizer,",
        f"    loss=keras.losses.SparseCategoricalCrossentropy(from_logits={from_logits}),",
        '    metrics=["accuracy"],',
        ")",
        "history = training_model.fit(",
        f"    x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS{validation}",
        ")",
        "",
        *_comment("## " + t("code.script.evaluate", lang)),
        "test_loss, test_accuracy = training_model.evaluate(x_test, y_test, verbose=0)",
        'print(f"Test loss: {test_loss:.3f}, test accuracy: {test_accuracy:.1%}")',
        f"model.save({literal(file_name)})" + _trailing(t("code.script.save", lang)),
    ]


# --- the whole script --------------------------------------------------------------------------------


def _input_shape(spec: Architecture | Sequence[dict], dataset_name: str, details: dict) -> tuple:
    """The model's input: the details' shape, else the set's (a course model on its own course
    set keeps its own shape: LeNet-5 takes MNIST padded to 32×32), else the Architecture's."""
    if details.get("input_shape") is not None:
        return tuple(int(n) for n in details["input_shape"])
    if dataset_name in KERAS_DATASETS:
        data_shape = KERAS_DATASETS[dataset_name].input_shape
        own = spec.input_shape if isinstance(spec, Architecture) else None
        family = "mnist" if dataset_name == "mnist_full" else dataset_name
        if own is not None and spec.dataset == family and _padding(data_shape, own):
            return tuple(own)
        return data_shape
    if isinstance(spec, Architecture):
        return tuple(spec.input_shape)
    return DEFAULT_FOLDER_SHAPE


def file_stem(spec: Architecture | Sequence[dict], model_name: str | None = None) -> str:
    """The name of the script's .py download and of the .keras file it saves, without suffix:
    `model_name`, else the course model's name, else "custom"; letters, digits, `-`, `_` only."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in _model_name(spec, model_name))


def _model_name(spec: Architecture | Sequence[dict], model_name: object) -> str:
    """The model's name in the script: the one given, else the course model's, else "custom"."""
    return str(model_name or (spec.name if isinstance(spec, Architecture) else "custom"))


def training_script(
    spec: Architecture | Sequence[dict],
    dataset_name: str,
    config: TrainConfig,
    *,
    lang: str = DEFAULT_LANGUAGE,
    **details: object,
) -> str:
    """A Python script that builds `spec` and trains it on `dataset_name` with `config`.

    `spec` is what `cnnviz.params.summarize` takes (a course Architecture or a list of layer
    dicts); `dataset_name` one of cnnviz.data.NAMES, "zip" or "camera". `details` say what these
    cannot: `input_shape` (an image folder's (H, W, C)), `class_names`, `data_dir` (the folder's
    name), `zip_file`, `model_name`; `lang` the language of its comments ("en", "ko"). Raises
    ShapeError or ModelError for a table that cannot be built, DatasetError for an unknown
    dataset, CnnvizError for a setting no training can use.
    """
    config.check()
    if dataset_name not in KERAS_DATASETS and dataset_name not in FOLDER_DATASETS:
        names = ", ".join((*NAMES, "camera"))
        raise DatasetError("data.unknown", name=str(dataset_name), names=names)
    rows = [dict(row) for row in layer_rows(spec)]
    if not any(row["type"] == "Dense" for row in rows):
        raise ModelError("models.no_dense")
    input_shape = _input_shape(spec, dataset_name, details)
    source = KERAS_DATASETS.get(dataset_name)
    num_classes = source.num_classes if source else None
    params.summarize(rows, input_shape, num_classes)  # raises ShapeError for what cannot be built
    model_name = _model_name(spec, details.get("model_name"))
    stem = file_stem(spec, model_name)
    if isinstance(spec, Architecture):  # the name as a literal: one line, quoted
        what = t("code.script.what_course", lang, name=literal(model_name))
    else:
        what = t("code.script.what_edited", lang)
    title = source.title if source else _folder_title(dataset_name, lang)
    script = stem + ".py"  # the page's download of it
    header = [*_comment(t("code.script.header", lang, what=what, title=title, script=script)), ""]
    imports = ["import numpy as np", "import keras", "from keras import initializers, layers"]
    if dataset_name in ("zip", "camera"):
        imports = ["import pathlib", "import shutil", "import zipfile", "", *imports]
    data = (
        _keras_data(dataset_name, source, input_shape, lang)
        if source
        else _folder_data(dataset_name, input_shape, details, lang)
    )
    sections = [
        header + imports,
        _settings(config, num_classes, input_shape, lang),
        data + _split(config, lang),
        _model(rows, config.seed, model_name, lang),
        _train(config, rows, stem + ".keras", lang),
    ]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"
