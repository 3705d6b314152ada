"""Parameter counting without Keras equals Keras for every course model."""

import ast

import keras
import numpy as np
import pytest

from cnnviz import i18n, params
from cnnviz.architectures import ARCHITECTURES, Architecture
from cnnviz.errors import ShapeError


def keras_model(arch):
    layers = [keras.Input(arch.input_shape)]
    for spec in arch.layers:
        args = {k: v for k, v in spec.items() if k != "type"}
        layers.append(getattr(keras.layers, spec["type"])(**args))
    return keras.Sequential(layers)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_summary_equals_keras_counts_split_and_shapes(name):
    arch = ARCHITECTURES[name]
    keras.backend.clear_session()  # so Keras numbers the layer names from zero, as in a notebook
    model = keras_model(arch)
    summary = params.summarize(arch)
    assert [r.name for r in summary.rows] == [layer.name for layer in model.layers]
    assert summary.total == model.count_params()
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert summary.non_trainable == non_trainable
    assert summary.trainable == summary.total - non_trainable
    assert [r.output_shape for r in summary.rows] == [
        tuple(layer.output.shape[1:]) for layer in model.layers
    ]
    assert [r.params for r in summary.rows] == [layer.count_params() for layer in model.layers]


COURSE_TOTALS = {
    "mlp": 407_050, "mnist_cnn": 843_658, "mnist_deep_cnn": 5_259_594, "cifar10_cnn": 814_122,
    "cifar100_bn_cnn": 937_348, "lenet5": 61_706, "alexnet": 24_767_882, "vgg19": 139_611_210,
    "animals10_cnn": 427_782,
}  # fmt: skip


def test_course_totals_from_the_notes():
    for name, total in COURSE_TOTALS.items():
        assert params.summarize(ARCHITECTURES[name]).total == total


def test_animals10_rows_correct_the_slide_misprints_and_show_the_formula():
    rows = params.summarize(ARCHITECTURES["animals10_cnn"]).rows
    convs = [r for r in rows if r.kind == "Conv2D"]
    assert convs[1].params == 295_040
    assert convs[1].formula == "128·(3·3·256 + 1) = 295,040"
    assert convs[2].params == 73_792
    norms = [r for r in rows if r.kind == "BatchNormalization"]
    assert norms[0].formula == "4·256 = 1,024" and norms[0].non_trainable == 512


def test_first_conv_formula_and_keras_style_names():
    rows = params.summarize(ARCHITECTURES["mnist_cnn"]).rows
    assert rows[0].formula == "32·(3·3·1 + 1) = 320"
    assert [r.name for r in rows[:4]] == ["conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1"]
    assert rows[-1].formula == "10·(512 + 1) = 5,130"


def test_ten_five_by_five_filters_on_a_colour_image():
    spec = [{"type": "Conv2D", "filters": 10, "kernel_size": 5, "padding": "same"}]
    summary = params.summarize(spec, (32, 32, 3))
    assert summary.rows[0].output_shape == (32, 32, 10)
    assert summary.total == 760


def test_num_classes_replaces_the_last_dense():
    assert params.summarize(ARCHITECTURES["mlp"], num_classes=100).output_shape == (100,)


@pytest.mark.parametrize(
    ("layers", "key"),
    [
        ([{"type": "MaxPooling2D", "pool_size": 2}] * 6, "shape.layer_too_small"),
        ([{"type": "Conv2D", "filters": 4, "kernel_size": 40}], "shape.layer_too_small"),
        ([{"type": "Flatten"}, {"type": "Conv2D", "filters": 4}], "shape.layer_needs_maps"),
        ([{"type": "Lambda"}], "shape.unknown_layer"),
        ([{"type": "Dense"}], "shape.layer_missing_arg"),
        ([{"type": "Dense", "units": 0}], "shape.layer_bad_arg"),
        ([{"type": "Conv2D", "filters": "many"}], "shape.layer_bad_arg"),
    ],
)
def test_edited_tables_that_cannot_be_built_raise_with_a_message(layers, key):
    with pytest.raises(ShapeError) as caught:
        params.summarize(layers, (28, 28, 1))
    assert caught.value.key == key
    assert "{" not in i18n.t(key, "ko", **caught.value.values)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_every_formula_shows_numbers_that_multiply_out_to_the_count(name):
    for row in params.summarize(ARCHITECTURES[name]).rows:
        if row.params == 0:
            assert row.formula == "0"
            continue
        left, right = row.formula.rsplit(" = ", 1)
        assert right == f"{row.params:,}"
        assert multiply_out(left) == row.params


def multiply_out(formula: str) -> int:
    """Work out "32·(3·3·1 + 1)": numbers, ·, + and brackets only."""

    def value(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return value(node.left) * value(node.right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return value(node.left) + value(node.right)
        raise AssertionError(f"unexpected part in {formula!r}")

    return value(ast.parse(formula.replace("·", "*").replace(",", ""), mode="eval").body)


def test_animals10_third_conv_and_total_correct_the_slides():
    summary = params.summarize(ARCHITECTURES["animals10_cnn"])
    convs = [r for r in summary.rows if r.kind == "Conv2D"]
    assert convs[2].formula == "64·(3·3·128 + 1) = 73,792"
    assert (summary.total, summary.non_trainable) == (427_782, 992)


SPEC_WITH_EVERY_ARGUMENT = [
    {"type": "Conv2D", "filters": 6, "kernel_size": (3, 5), "strides": (2, 1), "padding": "same"},
    {"type": "Conv2D", "filters": 4, "kernel_size": 3, "dilation_rate": 2, "use_bias": False},
    {"type": "AveragePooling2D", "pool_size": (3, 2), "strides": 2, "padding": "same"},
    {"type": "BatchNormalization"},
    {"type": "MaxPooling2D", "pool_size": 2, "strides": 1},
    {"type": "Dense", "units": 7, "activation": "relu"},
    {"type": "GlobalAveragePooling2D"},
    {"type": "Dropout", "rate": 0.3},
    {"type": "Dense", "units": 5, "use_bias": False},
    {"type": "BatchNormalization"},
    {"type": "Dense", "units": 3, "activation": "softmax"},
]


def test_every_argument_the_tables_use_counts_as_keras_counts_it():
    arch = Architecture("custom", (19, 17, 2), 3, tuple(SPEC_WITH_EVERY_ARGUMENT), None, True)
    model = keras_model(arch)
    summary = params.summarize(SPEC_WITH_EVERY_ARGUMENT, (19, 17, 2))
    assert [r.output_shape for r in summary.rows] == [
        tuple(layer.output.shape[1:]) for layer in model.layers
    ]
    assert [r.params for r in summary.rows] == [layer.count_params() for layer in model.layers]
    assert summary.rows[1].formula == "4·3·3·6 = 216"
    assert summary.non_trainable == sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)


def test_num_classes_changes_the_last_dense_as_keras_would():
    arch = ARCHITECTURES["animals10_cnn"]
    layers = list(arch.layers)
    layers[-1] = {**layers[-1], "units": 5}
    model = keras_model(Architecture("five", arch.input_shape, 5, tuple(layers), None, True))
    summary = params.summarize(arch, num_classes=5)
    assert summary.total == model.count_params()
    assert summary.rows[-1].formula == "5·(100 + 1) = 505"


def test_dense_on_feature_maps_acts_on_the_channels_as_in_keras():
    layers = [{"type": "Dense", "units": 3}, {"type": "MaxPooling2D"}]
    summary = params.summarize(layers, (28, 28, 1))
    assert [r.output_shape for r in summary.rows] == [(28, 28, 3), (14, 14, 3)]
    assert summary.rows[0].formula == "3·(1 + 1) = 6"


def test_a_plain_layer_list_with_its_input_counts_like_the_architecture():
    arch = ARCHITECTURES["lenet5"]
    assert params.summarize(list(arch.layers), arch.input_shape) == params.summarize(arch)


def test_dense_comparison_for_the_mnist_cnn():
    comparison = params.dense_comparison(params.summarize(ARCHITECTURES["mnist_cnn"]))
    assert (comparison.inputs, comparison.outputs, comparison.conv_params) == (784, 21_632, 320)
    assert comparison.dense_formula == "21,632·(784 + 1) = 16,981,120"
    assert params.dense_comparison(params.summarize(ARCHITECTURES["mlp"])) is None


@pytest.mark.parametrize(
    ("layers", "key"),
    [
        ([{"type": "Conv2D", "filters": 4}], "shape.layer_missing_arg"),
        ([{"type": "Conv2D", "filters": 4.5, "kernel_size": 3}], "shape.layer_bad_arg"),
        ([{"type": "Conv2D", "filters": 4, "kernel_size": [3, 2, 1]}], "shape.layer_bad_arg"),
        ([{"type": "Conv2D", "filters": 4, "kernel_size": 3, "strides": 0}], "shape.layer_bad_arg"),
        (
            [{"type": "Conv2D", "filters": 4, "kernel_size": 3, "padding": 1}],
            "shape.layer_bad_padding",
        ),
        ([{"type": "MaxPooling2D", "pool_size": 0}], "shape.layer_bad_arg"),
        ([{"type": "MaxPooling2D", "strides": 0}], "shape.layer_bad_arg"),
        ([{"type": "AveragePooling2D", "padding": "full"}], "shape.layer_bad_padding"),
        ([{"type": "Dropout"}], "shape.layer_missing_arg"),
        ([{"type": "Dropout", "rate": 1.0}], "shape.layer_bad_rate"),
        ([{"type": "Flatten"}, {"type": "GlobalAveragePooling2D"}], "shape.layer_needs_maps"),
        (
            [{"type": "Flatten"}, {"type": "Conv2D", "filters": 4, "kernel_size": 3}],
            "shape.layer_needs_maps",
        ),
    ],
)
def test_each_mistake_in_an_edited_table_is_named_in_both_languages(layers, key):
    with pytest.raises(ShapeError) as caught:
        params.summarize(layers, (28, 28, 1))
    assert caught.value.key == key
    for lang in ("en", "ko"):
        assert "{" not in i18n.t(key, lang, **caught.value.values)
