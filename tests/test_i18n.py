"""The catalogue: both languages have exactly the same keys, every key the code uses exists (also
the keys the code builds from a name, e.g. t(f"train.recipe_{r}")), and templates take the same
placeholders in both languages."""

import re
import string
from dataclasses import fields
from pathlib import Path

import pytest

from cnnviz import i18n

ROOT = Path(__file__).resolve().parent.parent
# t("area.name" …), t(key="…"), and error keys passed as the first argument of CnnvizError subclasses
KEY_USE = re.compile(r"""\b(?:t|Error)\(\s*["']([a-z0-9_]+\.[a-z0-9_.]+)["']""")
# a key built from a name: an f-string or a concatenation whose fixed start is "area.…"
BUILT_KEY = re.compile(r"""\bf(["'])([a-z0-9_]+\.[a-z0-9_.]*\{[^"'{}]+\}[a-z0-9_.{}]*)\1""")
JOINED_KEY = re.compile(r"""(["'])([a-z0-9_]+\.[a-z0-9_]*)\1\s*\+""")
CODE = [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("cnnviz/**/*.py")]


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_keys():
    english, korean = i18n.catalogue("en"), i18n.catalogue("ko")
    assert sorted(set(english) - set(korean)) == [], "missing in Korean"
    assert sorted(set(korean) - set(english)) == [], "missing in English"


def test_every_message_is_non_empty_and_korean_is_translated():
    english, korean = i18n.catalogue("en"), i18n.catalogue("ko")
    for key, text in english.items():
        assert text.strip(), key
        assert korean[key].strip(), key
    translated = [k for k in english if english[k] != korean[k]]
    assert len(translated) > 0.8 * len(english)


@pytest.mark.parametrize("key", sorted(i18n.catalogue("en")))
def test_placeholders_agree_between_languages(key):
    assert placeholders(i18n.catalogue("en")[key]) == placeholders(i18n.catalogue("ko")[key])


def test_every_key_used_in_the_code_exists():
    known = set(i18n.catalogue("en"))
    used = {}
    for path in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("cnnviz/**/*.py")]:
        for key in KEY_USE.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, path.relative_to(ROOT))
    missing = {key: str(path) for key, path in used.items() if key not in known}
    assert missing == {}
    assert len(used) > 10


def test_t_fills_values_and_falls_back_without_crashing():
    assert i18n.t("nav.train", "ko") == "모델 학습"
    assert i18n.t("errors.generic", "en", detail="x") == "Something went wrong: x"
    assert i18n.t("no.such_key", "ko") == "no.such_key"
    assert i18n.t("errors.generic", "en") == i18n.catalogue("en")["errors.generic"]


def built_keys() -> dict[str, list[str]]:
    """Each key template the code builds (as written there, "train.recipe_{r}") and the names it
    is built from: the code's own lists where it has them."""
    from cnnviz import (
        applications,
        architectures,
        classes,
        data,
        explain,
        kernels,
        models,
        recipes,
        scaling,
    )  # fmt: skip
    from cnnviz.digits import DigitSteps
    from cnnviz.examples import EXAMPLES
    from cnnviz.products import ProductSteps
    from cnnviz.ui import models as ui_models
    from cnnviz.ui import picture, uploaded_model

    lessons = ["convolution", "padding", "pooling", "train", "features", "rotation", "network",
               "teach"]  # fmt: skip
    kinds = ["digit", "product"]
    return {
        "nav.{name}": lessons,
        "nav.": ["home", *lessons],
        "home.": lessons,
        "applications.model.{name}": list(applications.PHOTO_MODELS),
        "classes.cats_dogs.{folder}": classes.CATS_DOGS_FOLDERS,
        "classes.list.{option}": list(classes.LISTS),
        "classes.{option}": [uploaded_model.NUMBERS, uploaded_model.TYPED],
        "conv.about_{example}": list(EXAMPLES),
        "conv.scaled_{how}": ["clip", "rescale", "abs"],
        "conv.scaling_{h}": ["clip", "rescale", "abs"],
        "data.animals10.{folder}": data.ANIMALS10_FOLDERS,
        "data.animals10.{name}": data.ANIMALS10_FOLDERS,
        "data.cifar10.{name}": data.CIFAR10_CLASSES,
        "data.fashion_mnist.{name}": [key.rsplit(".", 1)[1] for key in data.FASHION_MNIST_KEYS],
        "data.name.{name}": list(data.NAMES),
        "features.as_{kind}": kinds,
        "features.as_{kind}_help": kinds,
        "features.not_{kind}_help": kinds,
        "features.normalize_{h}": ["standardize", "minmax"],
        "features.normalize_{how}_help": ["standardize", "minmax"],
        "features.step_{name}": [field.name for field in fields(DigitSteps)],
        "images.product_step_{name}": [field.name for field in fields(ProductSteps)],
        "features.{kind}_steps": kinds,
        "features.{kind}_steps_help": kinds,
        "inside.passing_{column.kind}": sorted(set(explain.PASSING.values())),
        "inside.pool_{how}": ["max", "mean"],
        "inside.search_{name}": ["mnist", "fashion_mnist", "samples"],
        "inside.which_{what}": ["map", "unit", "class"],
        "kernels.{n}": list(kernels.KERNELS),
        "models.name.{n}": list(architectures.ARCHITECTURES),
        "models.pretrained.{name}": list(models.PRETRAINED),
        "pooling.input_{axis}": ["height", "width", "channels"],
        "pooling.mode_{m}": ["max", "avg"],
        "pooling.step_{mode}": ["max", "avg"],
        "rotation.axis_{axis}": ["angle", "shift"],
        "rotation.curve_{axis}": ["angle", "shift"],
        "rotation.model_{name}": list(ui_models.COURSE_MODELS),
        "scaling.kind.{k}": list(scaling.SCALINGS),
        "train.optimizer_{o}": list(recipes.OPTIMIZERS),
        "train.recipe_{r}": list(recipes.RECIPES),
        "widgets.example_{n}": list(EXAMPLES),
        "widgets.layer_{column}": list(architectures.TABLE_COLUMNS),
        "widgets.padding_{m}": ["valid", "same"],
        "widgets.sample_{n}": picture.sample_names(),
        "widgets.source_{source}": [*picture.SOURCES, "digit"],
    }


def templates_in_the_code() -> dict[str, str]:
    found = {}
    for path in CODE:
        text = path.read_text(encoding="utf-8")
        for match in [*BUILT_KEY.finditer(text), *JOINED_KEY.finditer(text)]:
            area = match.group(2).split(".")[0]
            if area in {key.split(".")[0] for key in i18n.catalogue("en")}:
                found.setdefault(match.group(2), str(path.relative_to(ROOT)))
    return found


def test_every_key_the_code_builds_from_a_name_is_listed_here():
    listed = built_keys()
    unlisted = {key: path for key, path in templates_in_the_code().items() if key not in listed}
    assert unlisted == {}, "add these templates and the names they are built from to built_keys"
    assert len(templates_in_the_code()) > 30  # the search finds them


def test_every_key_built_from_a_name_exists_in_both_languages():
    english, korean = i18n.catalogue("en"), i18n.catalogue("ko")
    missing = []
    for template, names in built_keys().items():
        assert names, template
        for name in names:
            key = re.sub(r"\{[^}]+\}", name, template) if "{" in template else template + name
            if key not in english or key not in korean:
                missing.append(key)
    assert missing == []
