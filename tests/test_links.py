"""A lesson's settings read from a URL's strings: typed, range-checked, never evaluated."""

import math
from dataclasses import replace

import numpy as np
import pytest

from cnnviz import data, links, recipes, teach
from cnnviz.applications import PHOTO_MODELS
from cnnviz.examples import EXAMPLES
from cnnviz.kernels import KERNELS
from cnnviz.links import (
    LESSONS,
    Choice,
    ClassName,
    Integer,
    Name,
    Number,
    OneOf,
    Padding,
    encode,
    parse,
)
from cnnviz.models import PRETRAINED

# what a hostile or careless link may hold; none of it is a value of any parameter here
GARBAGE = [
    "",
    " ",
    "__import__('os').system('rm -rf /')",
    "eval(1)",
    "1; drop table",
    "${jndi:ldap://x}",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e3",
    "1e400",
    "0x10",
    "1_0",
    "١٢",  # Arabic-Indic digits: int() reads them, a URL setting must not
    "２",  # a full-width digit
    " 2",
    "2 ",
    "2.",
    ".5",
    "True",
    "None",
    "[1, 2]",
    "9" * 10_000,
    "a" * 100_000,
    "\x00",
    "\n",
]
WORDS = {"nan", "NaN", "inf", "True", "None"}
# what no class name may be: empty, too long, a control character, a path or a markup character
UNTYPABLE = {"", " ", "__import__('os').system('rm -rf /')", "${jndi:ldap://x}",
             "<script>alert(1)</script>", "../../etc/passwd", ".5", "9" * 10_000, "a" * 100_000,
             "\x00", "\n"}  # fmt: skip


def decimal(value: float) -> str:
    """A float as a URL writes it: a plain decimal, never an exponent."""
    return np.format_float_positional(value, trim="-")


def every_param():
    return [(lesson, param) for lesson, schema in LESSONS.items() for param in schema]


@pytest.mark.parametrize(("lesson", "param"), every_param(), ids=lambda p: getattr(p, "name", p))
def test_every_parameter_ignores_garbage_and_huge_strings(lesson, param):
    for text in GARBAGE:
        if isinstance(param, Name) and text in WORDS:
            continue  # could be a layer's name: the page looks it up in the model
        if isinstance(param, ClassName) and text not in UNTYPABLE:
            continue  # a class name a student could type ("eval(1)" too): shown, never run
        link = parse((param,), {param.name: text})
        assert link.values == {}, (param.name, text[:20])
        assert link.ignored == (param.name,)


@pytest.mark.parametrize(("lesson", "param"), every_param(), ids=lambda p: getattr(p, "name", p))
def test_every_parameter_reads_its_allowed_values_and_writes_them_back_unchanged(lesson, param):
    param = replace(param, when=None)  # alone, without the source it depends on
    if isinstance(param, Choice):
        goods = list(param.options)
    elif isinstance(param, Integer):
        goods = [param.low, param.high, param.low + param.step]
    elif isinstance(param, Number):
        goods = [param.low, param.high, 0.5]
    elif isinstance(param, Padding):
        goods = [*param.modes, param.low, param.high]
    elif isinstance(param, OneOf):
        goods = list(param.values)
    elif isinstance(param, ClassName):
        goods = ["cat", "고양이", "rock paper", "eval(1)", "x" * teach.MAX_NAME_LENGTH]
    else:
        goods = ["conv2d", "block1_conv1", "expanded_conv_depthwise", "dense_1"]
    for value in goods:
        text = decimal(value) if isinstance(value, float) else str(value)
        link = parse((param,), {param.name: text})
        assert link.values == {param.name: value}
        assert link.ignored == ()
        assert encode((param,), link.values) == {param.name: text}


NUMBERS = [(lesson, p) for lesson, p in every_param() if isinstance(p, Integer | Padding | Number)]


@pytest.mark.parametrize(("lesson", "param"), NUMBERS, ids=lambda p: getattr(p, "name", p))
def test_every_number_out_of_its_range_is_ignored(lesson, param):
    if isinstance(param, Number):
        bads = [param.low - 0.5, param.high + 0.5]
    else:
        bads = [param.low - 1, param.high + 1, -(10**8), 10**8]
    for value in bads:
        assert parse((param,), {param.name: str(value)}).values == {}


def test_a_train_setting_off_the_pages_list_is_ignored_and_a_rate_is_a_plain_decimal():
    train = {p.name: p for p in LESSONS["train"]}
    assert train["batch"].values == recipes.BATCH_SIZES
    assert train["rate"].values == recipes.LEARNING_RATES
    for name, text in [("batch", "17"), ("batch", "100.5"), ("rate", "0.002"), ("rate", "1e-3"),
                       ("validation", "0.07"), ("validation", "0.55"), ("epochs", "0")]:  # fmt: skip
        assert parse((train[name],), {name: text}).ignored == (name,), (name, text)
    assert parse((train["rate"],), {"rate": "0.00003"}).values == {"rate": 3e-5}
    assert encode(LESSONS["train"], {"rate": 1e-5, "validation": 0.0}) == {
        "rate": "0.00001", "validation": "0"
    }  # fmt: skip


def test_a_class_name_is_stripped_and_refused_when_the_teach_page_would_refuse_it():
    name = {p.name: p for p in LESSONS["teach"]}["name1"]
    assert name.read("  고양이  ") == "고양이"
    for text in ["", "   ", "a/b", "a\\b", "c:d", "x*", "q?", '"q"', "<b>", "a|b", ".hidden",
                 "tab\tin", "x" * (teach.MAX_NAME_LENGTH + 1)]:  # fmt: skip
        assert name.read(text) is None, text
        with pytest.raises(data.DatasetError):  # the page's own check refuses it too
            teach.check_class_names([text, "other"])


def test_names_past_the_number_of_classes_are_dropped_silently():
    query = {"classes": "2", "name1": "rock", "name2": "paper", "name3": "scissors"}
    link = parse(LESSONS["teach"], query)
    assert link.values == {"classes": 2, "name1": "rock", "name2": "paper"}
    assert link.ignored == ()
    assert parse(LESSONS["teach"], {**query, "classes": "3"}).values["name3"] == "scissors"


def test_an_angle_off_the_sliders_five_degree_grid_is_ignored():
    angle = next(p for p in LESSONS["rotation"] if p.name == "angle")
    assert parse((angle,), {"angle": "45"}).values == {"angle": 45}
    assert parse((angle,), {"angle": "-180"}).values == {"angle": -180}
    assert parse((angle,), {"angle": "7"}).values == {}


def test_numbers_are_finite_plain_decimals():
    bias = Number("bias", -1000.0, 1000.0)
    assert parse((bias,), {"bias": "-12.25"}).values == {"bias": -12.25}
    assert parse((bias,), {"bias": "+3"}).values == {"bias": 3.0}
    for text in ("nan", "inf", "1e2", "1E2", "0x1p3", "1,5"):
        assert parse((bias,), {"bias": text}).values == {}
    assert all(math.isfinite(v) for v in parse((bias,), {"bias": "999.999999999"}).values.values())


def test_a_value_longer_than_the_limit_is_ignored_even_when_it_would_read():
    layer = Name("layer")
    assert parse((layer,), {"layer": "a" * links.MAX_LENGTH}).values == {"layer": "a" * 64}
    assert parse((layer,), {"layer": "a" * (links.MAX_LENGTH + 1)}).values == {}
    stride = Integer("stride", 0, 10)
    assert parse((stride,), {"stride": "0" * 9 + "2"}).values == {}  # ten digits


def test_unknown_names_are_reported_shortened_and_safe_to_show():
    link = parse(LESSONS["pooling"], {"kernel": "sobel_x", "`x`" * 20: "1", "é": "1"})
    assert link.values == {}
    assert link.ignored[0] == "kernel"
    assert len(link.ignored[1]) == 24 and "`" not in link.ignored[1]
    assert link.ignored[2] == "?"


def test_a_list_value_is_ignored():
    assert parse(LESSONS["padding"], {"stride": ["1", "2"]}).ignored == ("stride",)


def test_a_full_convolution_link_reads_every_setting():
    query = {"source": "example", "example": "binary_seven", "kernel": "sobel_x", "stride": "2",
             "padding": "same", "dilation": "2"}  # fmt: skip
    link = parse(LESSONS["convolution"], query)
    assert link.ignored == ()
    assert link.values == {"source": "example", "example": "binary_seven", "kernel": "sobel_x",
                           "stride": 2, "padding": "same", "dilation": 2}  # fmt: skip
    assert encode(LESSONS["convolution"], link.values) == query


def test_a_padding_may_be_a_mode_or_a_number_of_zeros():
    padding = Padding("padding")
    assert parse((padding,), {"padding": "3"}).values == {"padding": 3}
    assert parse((padding,), {"padding": "valid"}).values == {"padding": "valid"}
    assert parse((padding,), {"padding": "number"}).values == {}
    assert parse((padding,), {"padding": "11"}).values == {}


def test_settings_for_another_source_are_dropped_silently():
    query = {"source": "sample", "sample": "cat", "example": "five_by_five", "mode": "together",
             "weights": "red_only", "bias": "5"}  # fmt: skip
    link = parse(LESSONS["convolution"], query)
    assert link.ignored == ()
    assert link.values == {"source": "sample", "sample": "cat", "mode": "together",
                           "weights": "red_only", "bias": 5.0}  # fmt: skip
    on_example = parse(LESSONS["convolution"], {**query, "source": "example"}).values
    assert on_example == {"source": "example", "example": "five_by_five"}


def test_encode_drops_values_the_schema_does_not_allow():
    values = {"size": 2, "stride": 99, "pooling": "median", "padding": "same", "model": None,
              "source": "example", "example": "five_by_five", "sample": "cat"}  # fmt: skip
    assert encode(LESSONS["pooling"], values) == {
        "source": "example", "example": "five_by_five", "size": "2", "padding": "same"
    }  # fmt: skip
    assert encode(LESSONS["padding"], {"stride": True, "size": 2.5}) == {}


def test_the_lists_match_what_the_lessons_offer():
    conv = {p.name: p for p in LESSONS["convolution"]}
    assert set(conv["kernel"].options) == {"example", *KERNELS}
    assert set(conv["example"].options) == set(EXAMPLES)
    assert links.sample_names() == ("astronaut", "cat", "coffee", "rocket")
    assert set(links.COURSE_MODELS) == set(PRETRAINED)
    models = {p.name: p for p in LESSONS["features"]}["model"].options
    assert set(models) == {*PRETRAINED, *PHOTO_MODELS, "upload"}
    assert len(data.load("mnist").x_test) == links.MNIST_TEST_DIGITS
    assert links.LANGUAGE.options == ("en", "ko")
