"""Parameter counting without Keras equals Keras for every course model."""

import keras
import numpy as np
import pytest

from cnnviz import i18n, params
from cnnviz.architectures import ARCHITECTURES
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
    model = keras_model(arch)
    summary = params.summarize(arch)
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
