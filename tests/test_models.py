"""cnnviz.models: the course's layer tables build into Keras models with the course's parameter
counts; only allowed layer types are ever built; the shipped pretrained models load and score
what their JSON says; a softmax output is told from scores."""

import keras
import numpy as np
import pytest

from cnnviz import data, models
from cnnviz.architectures import ARCHITECTURES
from cnnviz.errors import ModelError

# COURSE.md, "The course's models and their parameter counts": total, non-trainable
COURSE_COUNTS = {
    "mlp": (407_050, 0),
    "mnist_cnn": (843_658, 0),
    "mnist_deep_cnn": (5_259_594, 0),
    "cifar100_bn_cnn": (937_348, 384),
    "cifar10_cnn": (814_122, 0),
    "lenet5": (61_706, 0),
    "alexnet": (24_767_882, 0),
    "vgg19": (139_611_210, 0),
    "animals10_cnn": (427_782, 992),
}

TINY_CNN = [
    {"type": "Conv2D", "filters": 4, "kernel_size": 3, "activation": "relu"},
    {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Flatten"},
    {"type": "Dense", "units": 99, "activation": "softmax"},
]


def non_trainable_count(model: keras.Model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)


@pytest.fixture(scope="module")
def mnist():
    return data.load("mnist")


@pytest.mark.parametrize("name", sorted(COURSE_COUNTS))
def test_every_course_model_builds_with_the_course_parameter_count(name):
    model = models.build(ARCHITECTURES[name])
    assert (model.count_params(), non_trainable_count(model)) == COURSE_COUNTS[name]
    assert model.input_shape[1:] == ARCHITECTURES[name].input_shape
    assert model.output_shape == (None, ARCHITECTURES[name].num_classes)
    assert len(model.layers) == len(ARCHITECTURES[name].layers)  # one Keras layer per table row


def test_parameter_counts_equal_the_params_module():
    params = pytest.importorskip("cnnviz.params")
    for name in ("mnist_cnn", "cifar100_bn_cnn", "lenet5"):
        summary = params.summarize(ARCHITECTURES[name])
        total = getattr(summary, "total", summary)
        assert models.build(ARCHITECTURES[name]).count_params() == total


def test_last_dense_layer_gets_one_unit_per_class():
    model = models.build(TINY_CNN, (12, 12, 1), num_classes=3)
    assert model.output_shape == (None, 3)
    fashion_cnn = models.build(ARCHITECTURES["mnist_cnn"], num_classes=5)
    assert fashion_cnn.output_shape == (None, 5)


def test_same_seed_gives_the_same_weights_and_another_seed_other_weights():
    first, again = (models.build(TINY_CNN, (12, 12, 1), 10, seed=7) for _ in range(2))
    other = models.build(TINY_CNN, (12, 12, 1), 10, seed=8)
    for a, b, c in zip(first.get_weights(), again.get_weights(), other.get_weights(), strict=True):
        assert np.array_equal(a, b)
        if a.any():  # biases start at zero whatever the seed
            assert not np.array_equal(a, c)


def test_layer_names_count_the_table_rows_whatever_was_built_before():
    models.build(TINY_CNN, (12, 12, 1), 10)
    names = [layer.name for layer in models.build(ARCHITECTURES["cifar100_bn_cnn"]).layers[:4]]
    assert names == ["conv2d_1", "batch_normalization_2", "conv2d_3", "batch_normalization_4"]


def test_build_refuses_a_layer_type_outside_the_allowed_list():
    table = [{"type": "Flatten"}, {"type": "Lambda", "function": "print"}, {"type": "Dense"}]
    with pytest.raises(ModelError) as error:
        models.build(table, (28, 28, 1), 10)
    assert error.value.key == "models.unknown_layer"
    assert (error.value.values["number"], error.value.values["type"]) == (2, "Lambda")
    with pytest.raises(ModelError) as error:
        models.build(["Dense"], (28, 28, 1), 10)
    assert error.value.key == "models.unknown_layer"


def test_build_reports_the_row_keras_refuses_and_why():
    kernel_larger_than_its_input = [*TINY_CNN[:2], {**TINY_CNN[0], "kernel_size": 9}, *TINY_CNN[2:]]
    with pytest.raises(ModelError) as error:
        models.build(kernel_larger_than_its_input, (12, 12, 1), 10)  # 12×12 -> 10×10 -> 5×5
    assert error.value.key == "models.bad_layer" and error.value.values["number"] == 3
    assert "negative" in error.value.values["reason"]
    with pytest.raises(ModelError) as error:
        models.build([{"type": "Dense", "units": 4, "colour": "red"}], (4,), 2)
    assert error.value.key == "models.bad_layer" and "colour" in error.value.values["reason"]


def test_build_refuses_argument_values_that_are_not_plain_data():
    table = [{"type": "Dense", "units": 4, "kernel_initializer": {"class_name": "Orthogonal"}}]
    with pytest.raises(ModelError) as error:
        models.build(table, (4,), 2)
    assert error.value.key == "models.bad_argument"
    assert error.value.values == {"number": 1, "argument": "kernel_initializer"}


def test_build_refuses_a_table_whose_output_is_not_one_number_per_class():
    dense_without_flatten = [{"type": "Dense", "units": 10}]
    with pytest.raises(ModelError) as error:
        models.build(dense_without_flatten, (28, 28, 1), 10)
    assert error.value.key == "models.output_not_classes"
    assert error.value.values["shape"] == "(None, 28, 28, 10)"


def test_build_refuses_a_layer_with_too_many_parameters_before_allocating_it():
    huge = [{"type": "Flatten"}, {"type": "Dense", "units": 10**9}, {"type": "Dense"}]
    with pytest.raises(ModelError) as error:
        models.build(huge, (28, 28, 1), 10)
    assert error.value.key == "models.too_many_parameters" and error.value.values["number"] == 2


def test_build_needs_a_dense_output_layer():
    with pytest.raises(ModelError) as error:
        models.build(TINY_CNN[:3], (12, 12, 1), 10)
    assert error.value.key == "models.no_dense"


def test_alexnet_and_vgg19_at_224_are_too_large_for_a_cpu_and_the_rest_are_not():
    large = {name for name, spec in ARCHITECTURES.items() if models.too_large_for_cpu(spec)}
    assert large == {"alexnet", "vgg19"}
    wide = [{"type": "Flatten"}, {"type": "Dense", "units": 20_000}, {"type": "Dense"}]
    assert models.too_large_for_cpu(wide, (32, 32, 3), 10)  # 61 million parameters
    assert not models.too_large_for_cpu(TINY_CNN, (28, 28, 1), 10)
    assert models.too_large_for_cpu(ARCHITECTURES["vgg19"], (32, 32, 3), 10)  # 39 M parameters
    assert not models.too_large_for_cpu(ARCHITECTURES["mnist_cnn"], (32, 32, 3), 10)


def test_forward_macs_counts_conv_and_dense_multiply_adds():
    model = models.build(TINY_CNN, (12, 12, 1), 10)
    conv = 10 * 10 * 4 * 3 * 3 * 1  # H'·W'·F·kh·kw·C_in
    dense = 5 * 5 * 4 * 10
    assert models.forward_macs(model) == conv + dense


# --- the shipped pretrained models ----------------------------------------------------------------


def test_shipped_cnn_scores_at_least_97_percent_on_the_sample_test_split(mnist):
    cnn = models.load_pretrained("mnist_cnn")
    predicted = cnn.predict(mnist.x_test / 255.0, verbose=0).argmax(axis=1)
    accuracy = float(np.mean(predicted == mnist.y_test))
    assert accuracy >= 0.97
    info = models.pretrained_info("mnist_cnn")
    assert info["test_accuracy"] == pytest.approx(accuracy, abs=0.001)
    assert info["class_names"] == mnist.class_names and info["input_shape"] == [28, 28, 1]
    assert cnn.count_params() == COURSE_COUNTS["mnist_cnn"][0]


def test_shipped_mlp_loads_and_beats_90_percent(mnist):
    mlp = models.load_pretrained("mlp")
    predicted = mlp.predict(mnist.x_test / 255.0, verbose=0).argmax(axis=1)
    accuracy = float(np.mean(predicted == mnist.y_test))
    assert accuracy >= 0.9
    assert models.pretrained_info("mlp")["test_accuracy"] == pytest.approx(accuracy, abs=0.001)


def test_unknown_pretrained_model_is_refused():
    with pytest.raises(ModelError) as error:
        models.load_pretrained("resnet50")
    assert error.value.key == "models.unknown_pretrained"


def test_ends_in_softmax_knows_a_softmax_dense_an_activation_and_a_softmax_layer():
    def ending(*last) -> keras.Model:
        return keras.Sequential([keras.Input((4,)), *last])

    assert models.ends_in_softmax(ending(keras.layers.Dense(3, activation="softmax")))
    assert models.ends_in_softmax(ending(keras.layers.Dense(3), keras.layers.Activation("softmax")))
    assert models.ends_in_softmax(ending(keras.layers.Dense(3), keras.layers.Softmax()))
    assert not models.ends_in_softmax(ending(keras.layers.Dense(3)))
    assert not models.ends_in_softmax(ending(keras.layers.Dense(3, activation="sigmoid")))


def test_softmax_is_exp_over_the_sum_and_safe_for_large_scores():
    import numpy as np

    probs = models.softmax(np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 0.0]]))
    expected = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    np.testing.assert_allclose(probs[0], expected)
    np.testing.assert_allclose(probs[1], [0.5, 0.5, 0.0], atol=1e-12)
