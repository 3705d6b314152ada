"""cnnviz.code.training_script: the generated Keras script, run for real in a subprocess on tiny
local copies of each dataset, builds a model of exactly cnnviz.params.summarize's size and trains
an epoch, for every course model that trains on a CPU, an edited table, an image folder and a zip;
its model starts from the very weights cnnviz.models.build gives; no table value becomes code."""

from __future__ import annotations

import ast
import gzip
import io
import os
import re
import subprocess
import sys
import tokenize
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from cnnviz import code, data, i18n, models, params
from cnnviz.architectures import ARCHITECTURES, layers_from_table, table_rows
from cnnviz.errors import CnnvizError, DatasetError, ModelError, ShapeError
from cnnviz.recipes import COURSE_AUGMENTATION, RECIPES, LearningRateDecay, TrainConfig

ROOT = Path(__file__).resolve().parents[1]
TINY = TrainConfig(epochs=1, batch_size=16, optimizer="rmsprop", learning_rate=1e-3)
CPU_PRESETS = [name for name, a in ARCHITECTURES.items() if a.trainable_on_cpu]
# the course MNIST CNN's table as a student edits it: 5×5 kernels, same padding, stride 2, dropout
EDITED_ROWS = table_rows(ARCHITECTURES["mnist_cnn"].layers)
EDITED_ROWS[0].update(filters=8.0, kernel_size=5.0, padding="same")
EDITED_ROWS[2].update(filters=16.0, strides=2.0)
EDITED_ROWS.insert(5, {"type": "Dropout", "rate": 0.3})
EDITED = layers_from_table(EDITED_ROWS)


def imported_modules(tree: ast.AST) -> set[str]:
    """The modules a parsed script imports with `import …`."""
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }


# --- tiny local datasets ------------------------------------------------------------------------------


def write_npz(path: Path, shape: tuple, classes: int, label_shape: str = "flat") -> Path:
    """x_train, y_train, x_test, y_test as keras.datasets gives them: 40 and 10 images."""
    rng = np.random.default_rng(0)
    if shape == (28, 28):  # real digits from the embedded sample
        sample = data.load_mnist_sample()
        x_train, x_test = sample.x_train[:40, ..., 0], sample.x_test[:10, ..., 0]
    else:
        x_train = rng.integers(0, 256, (40, *shape), dtype=np.uint8)
        x_test = rng.integers(0, 256, (10, *shape), dtype=np.uint8)
    y_train, y_test = np.arange(40) % classes, np.arange(10) % classes
    if label_shape == "column":  # CIFAR's labels are (N, 1)
        y_train, y_test = y_train[:, None], y_test[:, None]
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def write_fashion_cache(keras_home: Path) -> None:
    """Fashion-MNIST's four gzipped IDX files, 40 + 10 images, where keras.datasets looks."""
    folder = keras_home / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    sample = data.load_mnist_sample()
    parts = {
        "x_train": sample.x_train[:40, ..., 0],
        "y_train": sample.y_train[:40],
        "x_test": sample.x_test[:10, ..., 0],
        "y_test": sample.y_test[:10],
    }
    for part, file in data.IDX_FILES.items():
        array = parts[part].astype(np.uint8)
        magic = bytes([0, 0, 8, array.ndim])  # unsigned bytes, ndim dimensions
        header = magic + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
        with gzip.open(folder / file, "wb") as f:
            f.write(header + array.tobytes())


def write_class_folders(folder: Path, side: int, per_class: int = 5) -> None:
    """Two class folders of PNG pictures: dark squares in "dark", light ones in "light"."""
    rng = np.random.default_rng(1)
    for label, (low, high) in {"dark": (0, 100), "light": (155, 256)}.items():
        (folder / label).mkdir(parents=True)
        for number in range(per_class):
            pixels = rng.integers(low, high, (side, side, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / label / f"{number}.png")


def write_class_zip(path: Path, side: int) -> None:
    """A zip as macOS makes one: a top folder around two class folders, and __MACOSX beside it."""
    with zipfile.ZipFile(path, "w") as archive:
        rng = np.random.default_rng(2)
        for label in ("cats", "dogs"):
            for number in range(5):
                picture = io.BytesIO()
                pixels = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(picture, format="PNG")
                archive.writestr(f"photos/{label}/{number}.png", picture.getvalue())
                archive.writestr(f"__MACOSX/photos/{label}/._{number}.png", b"\x00\x05junk")


# --- running the scripts ------------------------------------------------------------------------------

RUNNER = """
import os, runpy, sys
for folder in sys.argv[1:]:
    os.chdir(folder)
    print("### " + os.path.basename(folder), flush=True)
    runpy.run_path("script.py", run_name="__main__")
"""


def with_data_file(script: str, path: Path) -> str:
    """The script with its DATA_FILE set, as a student without internet sets it."""
    assert script.count("DATA_FILE = None\n") == 1
    return script.replace("DATA_FILE = None\n", f"DATA_FILE = {str(path)!r}\n")


def run_scripts(scripts: dict[str, str], tmp_path: Path, keras_home: Path) -> dict[str, str]:
    """Run each script in its own folder, all in one Python process (Keras is loaded once, the
    scripts still run as `python script.py` would); {name: what it printed}."""
    folders = []
    for name, script in scripts.items():
        folder = tmp_path / "runs" / name
        folder.mkdir(parents=True)
        (folder / "script.py").write_text(script, encoding="utf-8")
        folders.append(str(folder))
    env = {
        **os.environ,
        "KERAS_BACKEND": keras.backend.backend(),
        "KERAS_HOME": str(keras_home),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    run = subprocess.run(
        [sys.executable, "-c", RUNNER, *folders],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    printed = dict(re.findall(r"^### (\S+)\n(.*?)(?=^### |\Z)", run.stdout, re.S | re.M))
    assert set(printed) == set(scripts), run.stdout[-2000:]
    return printed


def parameters(printed: str) -> int:
    (count,) = re.findall(r"^Parameters: (\d+)$", printed, re.M)
    return int(count)


def test_every_cpu_course_model_an_edited_table_a_folder_and_a_zip_build_the_counted_model_and_train(
    tmp_path,
):
    keras_home = tmp_path / "keras"
    write_fashion_cache(keras_home)
    mnist = write_npz(tmp_path / "mnist.npz", (28, 28), 10)
    cifar10 = write_npz(tmp_path / "cifar10.npz", (32, 32, 3), 10, "column")
    cifar100 = write_npz(tmp_path / "cifar100.npz", (32, 32, 3), 100, "column")
    pets = tmp_path / "pets"
    write_class_folders(pets, 150)
    write_class_zip(tmp_path / "runs_zip.zip", 32)

    data_files = {"mnist": mnist, "mnist_full": mnist, "cifar10": cifar10, "cifar100": cifar100}
    scripts, expected = {}, {}
    sampled = TrainConfig(
        epochs=1, batch_size=16, max_train_images=32, validation_split=0.25, seed=5
    )
    for name in CPU_PRESETS:
        architecture = ARCHITECTURES[name]
        if architecture.dataset == "animals10":  # its own 150×150 photos: an image folder
            script = code.training_script(architecture, "folder", TINY, data_dir=str(pets))
            expected[name] = params.summarize(architecture, None, 2).total
        else:
            config = sampled if name == "mnist_cnn" else TINY
            script = code.training_script(architecture, architecture.dataset, config)
            script = with_data_file(script, data_files[architecture.dataset])
            classes = 100 if architecture.dataset == "cifar100" else 10
            expected[name] = params.summarize(architecture, None, classes).total
        scripts[name] = script
    # the edited table on Fashion-MNIST through keras.datasets itself (KERAS_HOME's files),
    # with SGD, a decaying rate, no validation and the course's augmentation
    edited_config = TrainConfig(
        epochs=1,
        batch_size=8,
        optimizer="sgd",
        learning_rate=0.01,
        lr_decay=LearningRateDecay(5, 0.9, False),
        validation_split=0.0,
        augmentation=COURSE_AUGMENTATION,
    )
    scripts["edited"] = code.training_script(EDITED, "fashion_mnist", edited_config)
    expected["edited"] = params.summarize(EDITED, (28, 28, 1), 10).total
    # the same table on a zip of class folders, as the webcam's classes come
    zip_script = code.training_script(EDITED, "camera", TINY, input_shape=(32, 32, 3))
    scripts["zip"] = zip_script.replace('"my_images.zip"', repr(str(tmp_path / "runs_zip.zip")))
    expected["zip"] = params.summarize(EDITED, (32, 32, 3), 2).total

    printed = run_scripts(scripts, tmp_path, keras_home)

    for name, total in expected.items():
        assert parameters(printed[name]) == total, name
        assert re.search(r"^Test loss: [\d.]+, test accuracy: [\d.]+%$", printed[name], re.M), name
    assert "Classes: ['dark', 'light']" in printed["animals10_cnn"]
    assert "Classes: ['cats', 'dogs']" in printed["zip"]  # inside the top folder, no __MACOSX
    saved = keras.models.load_model(tmp_path / "runs" / "lenet5" / "lenet5.keras")
    assert saved.input_shape == (None, 32, 32, 1)  # MNIST padded by 2, as the course feeds it
    assert saved.count_params() == 61_706


# --- the comments in the page's language ---------------------------------------------------------------

HANGUL = re.compile("[\uac00-\ud7a3]")
# a preset, a set and a config for each kind of data section the script writes
LANGUAGE_CASES = {
    "mnist_cnn-mnist": (
        ARCHITECTURES["mnist_cnn"],
        "mnist",
        TrainConfig(
            max_train_images=300,
            validation_split=0.2,
            augmentation=COURSE_AUGMENTATION,
            lr_decay=LearningRateDecay(100, 0.9, True),
        ),
        {},
    ),
    "lenet5-mnist_full": (ARCHITECTURES["lenet5"], "mnist_full", RECIPES["quick"], {}),
    "cifar100_bn_cnn": (ARCHITECTURES["cifar100_bn_cnn"], "cifar100", RECIPES["cifar100"], {}),
    "edited-fashion_mnist": (EDITED, "fashion_mnist", TrainConfig(optimizer="sgd"), {}),
    "mlp-folder": (
        ARCHITECTURES["mlp"],
        "folder",
        TrainConfig(validation_split=0.0, max_train_images=50),
        {"class_names": ["cats", "dogs"], "data_dir": "pets"},
    ),
    "edited-zip": (EDITED, "zip", TINY, {"input_shape": (32, 32, 3)}),
    "edited-camera": (
        EDITED,
        "camera",
        TINY,
        {"input_shape": (32, 32, 3), "class_names": ["cats\nimport os", "컵"]},
    ),
}


def tokens(script: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(script).readline))


def code_tokens(script: str) -> list[tuple[int, str]]:
    """The script's tokens without its comments and the line breaks between statements that
    only comments fill: what Python runs."""
    skipped = {tokenize.COMMENT, tokenize.NL}
    return [(token.type, token.string) for token in tokens(script) if token.type not in skipped]


def comments(script: str) -> list[str]:
    return [token.string for token in tokens(script) if token.type == tokenize.COMMENT]


def display_width(line: str) -> int:
    """Columns on screen: a Hangul syllable takes two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_the_korean_script_compiles_and_trains_the_model_the_english_one_does(tmp_path):
    mnist = write_npz(tmp_path / "mnist.npz", (28, 28), 10)
    config = TrainConfig(epochs=1, batch_size=16, max_train_images=32, validation_split=0.25)
    scripts = {}
    for lang in ("en", "ko"):
        script = code.training_script(ARCHITECTURES["mnist_cnn"], "mnist", config, lang=lang)
        compile(script, "x.py", "exec")
        scripts[lang] = with_data_file(script, mnist)
    assert scripts["ko"] != scripts["en"]

    printed = run_scripts(scripts, tmp_path, tmp_path / "keras")

    expected = params.summarize(ARCHITECTURES["mnist_cnn"], None, 10).total
    assert parameters(printed["ko"]) == parameters(printed["en"]) == expected
    assert re.search(r"^Test loss: [\d.]+, test accuracy: [\d.]+%$", printed["ko"], re.M)
    saved = keras.models.load_model(tmp_path / "runs" / "ko" / "mnist_cnn.keras")
    assert saved.count_params() == expected


@pytest.mark.parametrize("case", list(LANGUAGE_CASES))
def test_the_korean_and_english_scripts_differ_only_in_their_comments(case):
    spec, dataset_name, config, details = LANGUAGE_CASES[case]
    english = code.training_script(spec, dataset_name, config, **details)
    korean = code.training_script(spec, dataset_name, config, lang="ko", **details)
    assert english == code.training_script(spec, dataset_name, config, lang="en", **details)

    assert code_tokens(korean) == code_tokens(english)
    assert ast.dump(ast.parse(korean)) == ast.dump(ast.parse(english))
    assert comments(korean) != comments(english)


@pytest.mark.parametrize("case", list(LANGUAGE_CASES))
def test_the_korean_script_has_korean_comments_and_no_english_ones(case):
    spec, dataset_name, config, details = LANGUAGE_CASES[case]
    english = code.training_script(spec, dataset_name, config, **details)
    korean = code.training_script(spec, dataset_name, config, lang="ko", **details)

    assert korean.startswith("# cnnviz")
    assert "# Made by cnnviz" not in korean and "# ## Prepare the data" not in korean
    assert "# ## " + i18n.t("code.script.prepare", "ko") in korean
    shared = set(comments(korean)) & set(comments(english))
    assert shared <= {"# (N, 1) -> (N,)"}, shared  # a shape, in no language
    for comment in comments(korean):
        assert HANGUL.search(comment) or comment == "# (N, 1) -> (N,)", comment
    for line in korean.splitlines():
        assert len(line) <= 100 and display_width(line) <= 100, line


def test_a_class_name_in_a_korean_comment_stays_in_its_comment():
    names = ["cats\nimport os", "dogs\r\nimport sys", "new\u2028line", "컵"]
    script = code.training_script(EDITED, "zip", TINY, lang="ko", class_names=names)
    tree = ast.parse(script)
    imported = imported_modules(tree)
    assert imported == {"pathlib", "shutil", "zipfile", "numpy", "keras"}
    (found,) = [c for c in comments(script) if "cats" in c]
    assert found == (
        '# cnnviz가 찾은 클래스 4개: "cats\\nimport os", "dogs\\r\\nimport sys", '
        '"new\\u2028line", "컵"'
    )
    assert code_tokens(script) == code_tokens(
        code.training_script(EDITED, "zip", TINY, class_names=names)
    )


def test_every_comment_line_of_a_template_stays_a_comment_whatever_its_text():
    text = "one\ntwo\r\nthree\rfour\u2028five\x0csix"
    lines = code._comment(text, indent=4)
    assert all(line.startswith("    # ") for line in lines) and len(lines) == 6
    assert "\n" not in code._trailing(text) and code._trailing(text).startswith("  # one two")


# --- the script's model is the app's model -------------------------------------------------------------


def built_by_script(script: str, classes: int | None = None) -> keras.Model:
    """Run only the script's "Build the model" section, with its INPUT_SHAPE and NUM_CLASSES
    (`classes` for a folder's, which the script counts), and return its `model`."""
    section = script.split("# ## Build the model\n")[1].split("# ## Train the model")[0]
    section = section.replace("model.summary()\n", "")
    shape = ast.literal_eval(re.search(r"^INPUT_SHAPE = (.*?)  #", script, re.M).group(1))
    if classes is None:
        classes = int(re.search(r"^NUM_CLASSES = (\d+)$", script, re.M).group(1))
    names = {"keras": keras, "layers": keras.layers, "initializers": keras.initializers}
    names.update(INPUT_SHAPE=shape, NUM_CLASSES=classes)
    exec(compile(section, "build", "exec"), names)  # the script's own text, no other input
    return names["model"]


@pytest.mark.parametrize(
    ("spec", "dataset_name", "shape", "classes"),
    [
        (ARCHITECTURES["mnist_cnn"], "mnist", (28, 28, 1), 10),
        (ARCHITECTURES["cifar100_bn_cnn"], "cifar100", (32, 32, 3), 100),  # he_uniform, dropout
        (ARCHITECTURES["lenet5"], "mnist_full", (32, 32, 1), 10),
        (ARCHITECTURES["mnist_deep_cnn"], "cifar10", (32, 32, 3), 10),  # a model on another set
        (EDITED, "fashion_mnist", (28, 28, 1), 10),
    ],
    ids=["mnist_cnn", "cifar100_bn_cnn", "lenet5", "mnist_deep_cnn-cifar10", "edited"],
)
def test_the_scripts_model_has_the_apps_layers_arguments_and_starting_weights(
    spec, dataset_name, shape, classes
):
    config = TrainConfig(seed=7)
    script = code.training_script(spec, dataset_name, config)
    from_script = built_by_script(script)
    from_app = models.build(spec, shape, classes, seed=7)

    assert from_script.name == from_app.name
    assert [layer.get_config() for layer in from_script.layers] == [
        layer.get_config() for layer in from_app.layers
    ]
    for ours, theirs in zip(from_script.weights, from_app.weights, strict=True):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(ours), keras.ops.convert_to_numpy(theirs)
        )


def test_every_initializer_name_the_script_writes_is_that_keras_class_with_or_without_a_seed():
    for name, (class_name, seeded) in code.INITIALIZERS.items():
        initializer = keras.initializers.get(name)
        assert type(initializer).__name__ == class_name
        assert ("seed" in initializer.get_config()) is seeded
        assert hasattr(keras.initializers, class_name)


# --- the settings and the data sources ------------------------------------------------------------------


@pytest.mark.parametrize("name", [*code.KERAS_DATASETS, *code.FOLDER_DATASETS])
def test_every_dataset_gets_a_script_from_the_three_arguments_alone(name):
    script = code.training_script(ARCHITECTURES["mnist_cnn"], name, RECIPES["quick"])
    tree = ast.parse(script)
    imported = imported_modules(tree)
    assert {"numpy", "keras"} <= imported <= {"numpy", "keras", "pathlib", "shutil", "zipfile"}
    assert script.startswith("# Made by cnnviz")
    if name in code.KERAS_DATASETS:
        module = code.KERAS_DATASETS[name].module
        assert f"keras.datasets.{module}.load_data()" in script
    else:
        assert "keras.utils.image_dataset_from_directory(" in script
        assert ("zipfile.ZipFile(ZIP_FILE)" in script) is (name != "folder")
    assert max(len(line) for line in script.splitlines()) <= 100


@pytest.mark.parametrize("recipe", list(RECIPES))
def test_each_recipe_writes_its_own_optimizer_rate_decay_batch_epochs_split_and_augmentation(
    recipe,
):
    config = RECIPES[recipe]
    script = code.training_script(ARCHITECTURES["mnist_cnn"], "mnist", config)
    compile(script, recipe, "exec")
    assert f"EPOCHS = {config.epochs}\n" in script
    assert f"BATCH_SIZE = {config.batch_size}\n" in script
    assert f"LEARNING_RATE = {config.learning_rate!r}\n" in script
    assert f"VALIDATION_SPLIT = {config.validation_split!r}\n" in script
    optimizer = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}[config.optimizer]
    assert f"optimizer = keras.optimizers.{optimizer}(" in script
    if config.optimizer == "sgd":
        assert f"momentum={config.momentum!r}, nesterov={config.nesterov!r})" in script
    assert ("ExponentialDecay(" in script) is (config.lr_decay is not None)
    if config.lr_decay is not None:
        decay = config.lr_decay
        assert f"decay_steps={decay.decay_steps}, decay_rate={decay.decay_rate!r}" in script
    assert ("layers.RandomRotation(40.0 / 360" in script) is config.augmentation.active
    assert "from_logits=False" in script  # the course CNN ends in softmax


def test_a_table_without_softmax_at_the_end_is_trained_on_logits():
    rows = [{"type": "Flatten"}, {"type": "Dense", "units": 10}]
    script = code.training_script(rows, "mnist", TINY)
    assert "from_logits=True" in script


def test_the_seeded_split_in_the_script_takes_the_same_images_as_the_apps():
    from cnnviz import batches

    config = TrainConfig(validation_split=0.2, max_train_images=300, seed=11)
    script = code.training_script(ARCHITECTURES["mlp"], "mnist", config)
    split = script.split("# As cnnviz:")[1].split("# ## Build")[0]
    split = split.split("\n", 1)[1]
    dataset = data.load_mnist_sample()
    names = {"np": np, "SEED": 11, "MAX_TRAIN_IMAGES": 300, "VALIDATION_SPLIT": 0.2}
    names.update(x_train=dataset.x_train, y_train=dataset.y_train)
    exec(compile(split, "split", "exec"), names)  # the script's own lines
    train_rows, validation_rows = batches.split(dataset, config)
    np.testing.assert_array_equal(names["x_train"], dataset.x_train[train_rows])
    np.testing.assert_array_equal(names["x_val"], dataset.x_train[validation_rows])


# --- nothing a student typed becomes code --------------------------------------------------------------

INJECTED = 'relu")\nimport os\nos.system("touch pwned")\n#'


def test_a_layer_table_value_stays_text_and_cannot_run_code(tmp_path, monkeypatch):
    rows = [dict(row) for row in EDITED]
    rows[0]["activation"] = INJECTED
    rows[1]["name"] = "pool'''; import os #"
    script = code.training_script(rows, "zip", TINY, class_names=["cats\nimport os", "dogs"])

    tree = ast.parse(script)
    imported = imported_modules(tree)
    assert "os" not in imported
    constants = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    assert INJECTED in constants and "pool'''; import os #" in constants
    assert '# cnnviz found 2 classes: "cats\\nimport os", "dogs"' in script
    called = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert "system" not in called

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError):  # Keras refuses the activation; nothing else happens
        built_by_script(script, classes=2)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("row", "key"),
    [
        ({"type": "Dense", "units": 10, 'x=1, y=__import__("os")': 1}, "code.bad_argument_name"),
        ({"type": "Dense", "units": 10, "lambda": 1}, "code.bad_argument_name"),
        (
            {"type": "Dense", "units": 10, "activation": {"class_name": "Lambda"}},
            "models.bad_argument",
        ),
        ({"type": "Dense", "units": 10, "activation": float("nan")}, "models.bad_argument"),
        ({"type": "Dense", "units": 10, "kernel_initializer": "os.system"}, "code.bad_initializer"),
        ({"type": "Lambda", "function": "os.system"}, "models.unknown_layer"),
    ],
    ids=["argument-code", "keyword", "nested-config", "nan", "initializer", "lambda-layer"],
)
def test_a_table_with_what_cannot_be_written_as_plain_values_is_refused(row, key):
    with pytest.raises(ModelError) as raised:
        code.training_script([{"type": "Flatten"}, row], "mnist", TINY)
    assert raised.value.key == key


def test_an_unknown_dataset_a_table_too_deep_for_its_images_and_a_bad_setting_are_refused():
    with pytest.raises(DatasetError):
        code.training_script(ARCHITECTURES["mlp"], "imagenet", TINY)
    with pytest.raises(ShapeError):
        code.training_script(ARCHITECTURES["mnist_deep_cnn"], "folder", TINY, input_shape=(4, 4, 1))
    with pytest.raises(CnnvizError):
        code.training_script(ARCHITECTURES["mlp"], "mnist", TrainConfig(epochs=0))


def test_literal_writes_plain_values_that_read_back_equal():
    for value in [3, 2.5e-4, True, None, "relu", 'say "hi"', "it's", "a\nb", (3, 3), [1, "x"]]:
        assert ast.literal_eval(code.literal(value)) == value
    assert code.literal((28, 28, 1)) == "(28, 28, 1)" and code.literal("same") == '"same"'
    for value in [float("inf"), {"a": 1}, object(), b"bytes"]:
        with pytest.raises(ModelError):
            code.literal(value)
