"""Links that open a lesson as the student left it: each lesson's settings as URL parameters.

    /convolution?source=example&example=five_by_five&kernel=sobel_x&stride=2&padding=same&lang=ko

A lesson's schema lists its parameters, each with its type and the values it allows. `parse` turns
the strings of a URL into typed values and names what it could not use; nothing in a URL is ever
evaluated, numbers are read by a pattern of ASCII digits and range-checked, choices come from fixed
lists, a class name (Teach) is checked as the page checks a typed one and is only ever shown as
text, and every value is length-limited. `encode` writes values back as strings, dropping any a
schema does not allow. Reading and writing `st.query_params` is `cnnviz.ui.links`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cnnviz.applications import PHOTO_MODELS
from cnnviz.architectures import ARCHITECTURES
from cnnviz.data import NAMES as DATASETS
from cnnviz.data import DatasetError
from cnnviz.examples import EXAMPLES
from cnnviz.i18n import LANGUAGES
from cnnviz.kernels import KERNELS
from cnnviz.recipes import BATCH_SIZES, LEARNING_RATES, OPTIMIZERS, RECIPES, VALIDATION_SPLITS
from cnnviz.teach import MAX_CLASSES, MIN_CLASSES, check_class_name

__all__ = [
    "LANGUAGE",
    "LESSONS",
    "MAX_LENGTH",
    "Choice",
    "ClassName",
    "Integer",
    "Link",
    "Name",
    "Number",
    "OneOf",
    "Padding",
    "encode",
    "parse",
    "shown_name",
]

MAX_LENGTH = 64  # characters of one value (a layer name is the longest: ~40 in VGG19, ResNet50)
SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"
COURSE_MODELS = ("mnist_cnn", "mlp", "fashion_cnn")  # the shipped models (models.PRETRAINED)
MNIST_TEST_DIGITS = 2000  # test digits in the embedded MNIST sample (cnnviz.data)
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")  # ASCII digits only: int() would also take "١٢" or "1_0"
_DECIMAL = re.compile(r"[+-]?[0-9]{1,9}(\.[0-9]{1,9})?")  # no exponent, nan or inf
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")  # Keras layer names: conv2d_1, block1_conv1


@dataclass(frozen=True)
class Choice:
    """One of a fixed list of words (a kernel, a padding mode, a model)."""

    name: str
    options: tuple[str, ...]
    when: tuple[str, tuple[str, ...]] | None = None  # (other parameter, its values) it needs

    def read(self, text: str) -> str | None:
        """The option `text`, or None when it is not one."""
        return text if text in self.options else None


@dataclass(frozen=True)
class Integer:
    """A whole number in low … high, on the widget's grid of `step` from `low`."""

    name: str
    low: int
    high: int
    step: int = 1
    when: tuple[str, tuple[str, ...]] | None = None

    def read(self, text: str) -> int | None:
        """int(text) when it is written in ASCII digits, in range and on the grid, else None."""
        if not _INTEGER.fullmatch(text):
            return None
        value = int(text)
        if not self.low <= value <= self.high or (value - self.low) % self.step:
            return None
        return value


@dataclass(frozen=True)
class Number:
    """A finite decimal number in low … high (no exponent, nan or inf)."""

    name: str
    low: float
    high: float
    when: tuple[str, tuple[str, ...]] | None = None

    def read(self, text: str) -> float | None:
        """float(text) when it is a plain decimal in range, else None."""
        if not _DECIMAL.fullmatch(text):
            return None
        value = float(text)
        return value if math.isfinite(value) and self.low <= value <= self.high else None


@dataclass(frozen=True)
class OneOf:
    """One of a fixed list of numbers (a batch size, a learning rate on the page's slider)."""

    name: str
    values: tuple[float, ...]
    when: tuple[str, tuple[str, ...]] | None = None

    def read(self, text: str) -> float | None:
        """The list's number that `text` writes as a plain decimal ("0.001" for 1e-3), or None."""
        if not _DECIMAL.fullmatch(text):
            return None
        wanted = float(text)
        for value in self.values:
            if math.isclose(value, wanted, rel_tol=1e-9, abs_tol=1e-12):
                return value
        return None


@dataclass(frozen=True)
class ClassName:
    """A class name as the Teach page takes a typed one (`teach.check_class_name`): stripped,
    printable, short, no character a folder name cannot have."""

    name: str
    when: tuple[str, tuple[str, ...]] | None = None

    def read(self, text: str) -> str | None:
        """`text` stripped of surrounding spaces when the page would take it, else None."""
        try:
            return check_class_name(text)
        except DatasetError:
            return None


@dataclass(frozen=True)
class Padding:
    """ "valid", "same", or a number of zeros on each side in low … high."""

    name: str
    low: int = 0
    high: int = 10
    modes: tuple[str, ...] = ("valid", "same")
    when: tuple[str, tuple[str, ...]] | None = None

    def read(self, text: str) -> str | int | None:
        """The mode, or the number of zeros, or None."""
        if text in self.modes:
            return text
        return Integer(self.name, self.low, self.high).read(text)


@dataclass(frozen=True)
class Name:
    """A name looked up later (a layer of the chosen model): a letter or `_`, then letters,
    digits, `_`, `.` or `-`."""

    name: str
    when: tuple[str, tuple[str, ...]] | None = None

    def read(self, text: str) -> str | None:
        """`text` when it looks like a layer name, else None."""
        return text if _NAME.fullmatch(text) else None


Param = Choice | ClassName | Integer | Number | OneOf | Padding | Name


@dataclass(frozen=True)
class Link:
    """What a URL asked for: the values a lesson can use, and the names it could not."""

    values: dict[str, object]
    ignored: tuple[str, ...]  # parameter names, as shown to the student (see shown_name)


def shown_name(name: str) -> str:
    """A parameter name from a URL made safe to show: printable ASCII, no backticks, ≤ 24 chars."""
    safe = "".join(c if c.isascii() and c.isprintable() and c != "`" else "?" for c in name)
    return safe if len(safe) <= 24 else safe[:23] + "…"


def parse(schema: tuple[Param, ...], query: Mapping[str, object]) -> Link:
    """The values of `query` ({name: text}) that `schema` allows; the rest named as ignored.

    A parameter whose `when` is not met (an example's name with a photo source) is dropped
    silently: the lesson would not use it anyway.
    """
    params = {param.name: param for param in schema}
    values: dict[str, object] = {}
    ignored: list[str] = []
    for name, text in query.items():
        param = params.get(name)
        value = None
        if param is not None and isinstance(text, str) and len(text) <= MAX_LENGTH:
            value = param.read(text)
        if value is None:
            ignored.append(shown_name(str(name)))
        else:
            values[name] = value
    return Link(_applying(schema, values), tuple(ignored))


def encode(schema: tuple[Param, ...], values: Mapping[str, object]) -> dict[str, str]:
    """{name: text} of the `values` that `schema` allows and that apply, in the schema's order."""
    written: dict[str, str] = {}
    for param in schema:
        value = values.get(param.name)
        if value is None or isinstance(value, bool):
            continue
        text = _decimal(value) if isinstance(value, float) else str(value)
        if param.read(text) is not None:
            written[param.name] = text
    return {name: text for name, text in written.items() if name in _applying(schema, written)}


def _decimal(value: float) -> str:
    """`value` as a plain decimal, as `Number` and `OneOf` read it: 1e-05 -> "0.00001"."""
    text = f"{value:.9f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _applying(schema: tuple[Param, ...], values: dict) -> dict:
    """`values` without those whose `when` the other values do not meet."""
    kept = dict(values)
    for param in schema:
        if param.when is not None and param.name in kept:
            other, wanted = param.when
            if str(kept.get(other)) not in wanted:
                del kept[param.name]
    return kept


def sample_names() -> tuple[str, ...]:
    """The sample photos in assets/samples, by file name without .jpg."""
    return tuple(sorted(path.stem for path in SAMPLES.glob("*.jpg")))


LANGUAGE = Choice("lang", tuple(LANGUAGES))

_PHOTO = ("sample", "upload", "camera", "live")


def _picture(sources: tuple[str, ...]) -> tuple[Param, ...]:
    """Where the picture comes from, and which one of the source's pictures."""
    return tuple(
        param
        for param in (
            Choice("source", sources),
            Choice("example", tuple(EXAMPLES), when=("source", ("example",))),
            Choice("sample", sample_names(), when=("source", ("sample",))),
            Integer("digit", 0, MNIST_TEST_DIGITS - 1, when=("source", ("digit",))),
        )
        if param.name == "source" or param.when[1][0] in sources
    )


_MODELS = (*COURSE_MODELS, *PHOTO_MODELS, "upload")


def _classes_from(number: int) -> tuple[str, tuple[str, ...]]:
    """A class name's condition: the Teach page shows at least `number` classes."""
    return ("classes", tuple(str(count) for count in range(number, MAX_CLASSES + 1)))


LESSONS: dict[str, tuple[Param, ...]] = {  # by the lesson's URL path (app.py)
    "home": (),  # the language only
    "convolution": (
        *_picture(("example", "sample", "upload")),
        Choice("kernel", ("example", *KERNELS)),
        Integer("stride", 1, 8),
        Padding("padding"),
        Integer("dilation", 1, 4),
        Choice("mode", ("per_channel", "grayscale", "together"), when=("source", _PHOTO)),
        Choice("scaling", ("clip", "rescale", "abs"), when=("source", _PHOTO)),
        Choice(
            "weights", ("luminance", "red_minus_green", "red_only"), when=("mode", ("together",))
        ),
        Number("bias", -1000.0, 1000.0, when=("mode", ("together",))),
    ),
    "padding": (
        Integer("size", 1, 64),
        Integer("kernel", 1, 15),
        Padding("padding"),
        Integer("stride", 1, 8),
        Integer("dilation", 1, 4),
        Choice("model", tuple(ARCHITECTURES)),
    ),
    "pooling": (
        *_picture(("example", "sample", "upload")),
        Choice("pooling", ("max", "avg")),
        Integer("size", 1, 6),
        Integer("stride", 1, 6),
        Choice("padding", ("valid", "same")),
        Choice("model", tuple(ARCHITECTURES)),
    ),
    "train": (
        Choice("dataset", DATASETS),
        Choice("model", tuple(ARCHITECTURES)),  # a preset the dataset cannot take: the default
        Choice("recipe", tuple(RECIPES)),  # the settings below start from it; each its own
        Integer("epochs", 1, 200),
        OneOf("batch", BATCH_SIZES),
        Choice("optimizer", OPTIMIZERS),
        OneOf("rate", LEARNING_RATES),
        OneOf("validation", VALIDATION_SPLITS),
        Integer("seed", 0, 10_000),
    ),
    "features": (
        Choice("model", _MODELS),
        *_picture(("digit", "sample", "upload", "camera", "live", "draw")),
    ),
    "rotation": (
        *_picture(("digit", "upload", "camera", "draw")),
        Integer("angle", -180, 180, 5),
        Integer("dx", -8, 8),
        Integer("dy", -8, 8),
    ),
    "teach": (
        Integer("classes", MIN_CLASSES, MAX_CLASSES),
        *(
            ClassName(
                f"name{number}", when=None if number <= MIN_CLASSES else _classes_from(number)
            )
            for number in range(1, MAX_CLASSES + 1)
        ),
    ),
    "network": (
        Choice("model", _MODELS),
        *_picture(("digit", "sample", "upload", "camera", "draw")),
        Name("layer"),
        Integer("unit", 0, 99_999),
    ),
}
