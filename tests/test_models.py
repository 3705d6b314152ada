"""cnnviz.models: the course's layer tables build into Keras models with the course's parameter
counts; only allowed layer types are ever built; .keras files round-trip and junk is refused;
the shipped pretrained models load and score what their JSON says. A teacher's .h5/.hdf5 files,
as tf.keras 2.x wrote them, load as the same model as its .keras file; Lambda layers, custom
classes, damaged files and weights-only files are refused with the reason."""

import base64
import io
import json
import marshal
import warnings
import zipfile
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest

from cnnviz import data, i18n, models
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


# --- .keras files ---------------------------------------------------------------------------------


def test_saved_bytes_load_back_with_the_same_predictions(mnist):
    model = models.build(TINY_CNN, (28, 28, 1), 10, seed=3)
    images = mnist.x_test[:16] / 255.0
    loaded = models.load_uploaded(models.save_bytes(model))
    assert np.allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0))


def test_upload_of_junk_is_refused_with_a_reason():
    junk = io.BytesIO()
    with zipfile.ZipFile(junk, "w") as archive:
        archive.writestr("holiday.txt", "not a model")
    for payload, key in (
        (b"", "models.upload_empty"),
        (b"%PDF-1.4 a document", "models.upload_not_zip"),
        (junk.getvalue(), "models.upload_not_keras"),
    ):
        with pytest.raises(ModelError) as error:
            models.load_uploaded(payload)
        assert error.value.key == key


def test_upload_of_a_broken_keras_file_is_refused():
    good = io.BytesIO(models.save_bytes(models.build(TINY_CNN, (28, 28, 1), 10)))
    broken = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.namelist():
            text = b'{"class_name": "Nothing"' if item == "config.json" else source.read(item)
            target.writestr(item, text)
    with pytest.raises(ModelError) as error:
        models.load_uploaded(broken.getvalue())
    assert error.value.key == "models.upload_broken"


def test_upload_that_unpacks_too_large_is_refused(monkeypatch):
    tiny = models.save_bytes(models.build(TINY_CNN, (12, 12, 1), 10))
    monkeypatch.setattr(models, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(ModelError) as error:
        models.load_uploaded(tiny)
    assert error.value.key == "models.upload_too_large"


def test_upload_of_a_model_with_a_lambda_layer_is_refused_as_unsafe():
    unsafe = keras.Sequential(
        [keras.Input((4,)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(2)]
    )
    with pytest.raises(ModelError) as error:
        models.load_uploaded(models.save_bytes(unsafe))
    assert error.value.key == "models.upload_unsafe"


# --- the teacher's own files: .h5 / .hdf5 as tf.keras 2.x saved them, refusals, class names -------


def course_cnn() -> keras.Sequential:
    """The course's MNIST model as its notebooks write it, tf.keras style (input_shape=)."""
    with warnings.catch_warnings():  # Keras 3 prefers keras.Input; the course's code does not
        warnings.simplefilter("ignore", UserWarning)
        return keras.Sequential(
            [
                keras.layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
                keras.layers.MaxPooling2D((2, 2)),
                keras.layers.Flatten(),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )


def saved(model: keras.Model, path: Path) -> bytes:
    """model.save(path), the format chosen by the suffix as in the course; the file's bytes."""
    model.save(path)
    return path.read_bytes()


def tf_keras2_layer(class_name: str, name: str, **config) -> dict:
    return {
        "class_name": class_name,
        "config": {"name": name, "trainable": True, "dtype": "float32", **config},
    }


def write_tf_keras2_hdf5(path: Path, model: keras.Sequential, layers: list[dict]) -> None:
    """An HDF5 file laid out as tf.keras 2.11's model.save("x.hdf5") writes it: a model_config
    whose classes have no module, a training_config, and weights named "conv2d/kernel:0"."""
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}
    training = {
        "loss": "categorical_crossentropy",
        "weighted_metrics": None,
        "loss_weights": None,
        "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy",
                      "fn": "categorical_accuracy", "dtype": "float32"}}]],
        "optimizer_config": {"class_name": "RMSprop", "config": {"name": "RMSprop",
                             "learning_rate": 1e-4, "rho": 0.9, "momentum": 0.0,
                             "epsilon": 1e-07, "centered": False}},
    }  # fmt: skip
    with h5py.File(path, "w") as file:
        file.attrs.update(backend="tensorflow", keras_version="2.11.0")
        file.attrs["model_config"] = json.dumps(config)
        file.attrs["training_config"] = json.dumps(training)
        group = file.create_group("model_weights")
        names = [layer["config"]["name"] for layer in layers if layer["class_name"] != "InputLayer"]
        group.attrs["layer_names"] = [name.encode() for name in names]
        for name, layer in zip(names, model.layers, strict=True):
            weights = layer.get_weights()
            weight_names = [f"{name}/{kind}:0" for kind in ("kernel", "bias")][: len(weights)]
            layer_group = group.create_group(name)
            layer_group.attrs["weight_names"] = [weight.encode() for weight in weight_names]
            for weight_name, value in zip(weight_names, weights, strict=True):
                layer_group.create_dataset(weight_name, data=value)


def tf_keras2_course_cnn_layers() -> list[dict]:
    glorot = {"class_name": "GlorotUniform", "config": {"seed": None}}
    zeros = {"class_name": "Zeros", "config": {}}
    dense_like = dict(use_bias=True, kernel_initializer=glorot, bias_initializer=zeros,
                      kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                      kernel_constraint=None, bias_constraint=None)  # fmt: skip
    return [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 28, 28, 1],
                                                "dtype": "float32", "name": "conv2d_input"}},
        tf_keras2_layer("Conv2D", "conv2d", batch_input_shape=[None, 28, 28, 1], filters=32,
                        kernel_size=[3, 3], strides=[1, 1], padding="valid",
                        data_format="channels_last", dilation_rate=[1, 1], groups=1,
                        activation="relu", **dense_like),
        tf_keras2_layer("MaxPooling2D", "max_pooling2d", pool_size=[2, 2], padding="valid",
                        strides=[2, 2], data_format="channels_last"),
        tf_keras2_layer("Flatten", "flatten", data_format="channels_last"),
        tf_keras2_layer("Dense", "dense", units=10, activation="softmax", **dense_like),
    ]  # fmt: skip


def refusal(data: bytes, filename: str = "") -> ModelError:
    with pytest.raises(ModelError) as error:
        models.load_uploaded(data, filename)
    return error.value


@pytest.fixture(scope="module")
def digits(mnist):
    return mnist.x_test[:32] / 255.0


@pytest.mark.parametrize("suffix", [".h5", ".hdf5"])
def test_the_course_cnn_saved_as_hdf5_predicts_exactly_as_saved_as_keras(tmp_path, digits, suffix):
    model = course_cnn()
    as_keras = models.load_uploaded(saved(model, tmp_path / "cnn.keras"), "cnn.keras")
    as_hdf5 = models.load_uploaded(saved(model, tmp_path / f"cnn{suffix}"), f"cnn{suffix}")
    expected = as_keras.predict(digits, verbose=0)
    assert np.array_equal(as_hdf5.predict(digits, verbose=0), expected)
    assert np.allclose(expected, model.predict(digits, verbose=0))


def test_a_checkpoint_written_as_tf_keras_2_writes_it_loads_with_its_weights(tmp_path, digits):
    """ModelCheckpoint(".../{epoch:02d}-{val_loss:.4f}.hdf5") in the course: classes without
    a module, batch_input_shape, an RMSprop training_config and weights named kernel:0."""
    model = course_cnn()
    path = tmp_path / "05-0.0421.hdf5"
    write_tf_keras2_hdf5(path, model, tf_keras2_course_cnn_layers())
    loaded = models.load_uploaded(path.read_bytes(), path.name)
    assert np.array_equal(loaded.predict(digits, verbose=0), model.predict(digits, verbose=0))
    assert loaded.count_params() == model.count_params()


def test_a_checkpoint_whose_loss_keras_3_does_not_know_still_loads_for_predicting(tmp_path, digits):
    model = course_cnn()
    path = tmp_path / "focal.hdf5"
    write_tf_keras2_hdf5(path, model, tf_keras2_course_cnn_layers())
    with h5py.File(path, "a") as file:  # a loss by a name only the teacher's notebook defined
        training = json.loads(file.attrs["training_config"])
        file.attrs["training_config"] = json.dumps({**training, "loss": "focal_loss"})
    with pytest.raises(TypeError):
        keras.saving.load_model(path, safe_mode=True)
    loaded = models.load_uploaded(path.read_bytes(), path.name)
    assert np.array_equal(loaded.predict(digits, verbose=0), model.predict(digits, verbose=0))


def test_a_course_model_with_batch_norm_dropout_and_a_compiled_optimizer_is_not_refused(tmp_path):
    """Keras's own functions (categorical_crossentropy) and classes (Precision, ExponentialDecay)
    in the file are not mistaken for custom objects."""
    model = models.build(ARCHITECTURES["cifar100_bn_cnn"])
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 10000, 0.96, staircase=True)
    model.compile(
        optimizer=keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True),
        loss=keras.losses.categorical_crossentropy,
        metrics=[keras.metrics.categorical_accuracy, "accuracy", keras.metrics.Precision()],
    )
    pictures = np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32")
    for name in ("cifar100.keras", "cifar100.h5"):
        loaded = models.load_uploaded(saved(model, tmp_path / name), name)
        assert np.allclose(loaded.predict(pictures, verbose=0), model.predict(pictures, verbose=0))


def lambda_model() -> keras.Sequential:
    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(2)]
    )


@pytest.mark.parametrize("name", ["lambda.keras", "lambda.h5", "lambda.hdf5"])
def test_a_lambda_layer_is_refused_as_unsafe_in_every_format(tmp_path, name):
    assert refusal(saved(lambda_model(), tmp_path / name), name).key == "models.upload_unsafe"


def test_keras_itself_refuses_an_hdf5_lambda_under_safe_mode(tmp_path):
    """Why the app's own check is a second lock, not the only one: Keras 3.15's legacy loader
    refuses it too."""
    path = tmp_path / "lambda.h5"
    lambda_model().save(path)
    with pytest.raises(ValueError, match="safe_mode"):
        keras.saving.load_model(path, safe_mode=True)


RAN = []  # what the bytecode below appends to if anything ever ran it


def test_a_tf_keras_2_lambda_is_refused_from_its_config_without_running_its_code(tmp_path):
    code = (lambda x: RAN.append("ran") or x).__code__
    function = [base64.b64encode(marshal.dumps(code)).decode(), None, None]
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "name": "in"}},
        tf_keras2_layer("Lambda", "lambda", function=function, function_type="lambda",
                        module="__main__", output_shape=None, output_shape_type="raw",
                        output_shape_module=None, arguments={}),
    ]  # fmt: skip
    path = tmp_path / "lambda.hdf5"
    write_tf_keras2_hdf5(
        path, keras.Sequential([keras.Input((4,)), keras.layers.Identity()]), layers
    )
    assert refusal(path.read_bytes(), path.name).key == "models.upload_unsafe"
    assert RAN == []


@keras.saving.register_keras_serializable("cnnviz_test")
class Doubler(keras.layers.Layer):
    def call(self, inputs):
        return inputs * 2


class Halver(keras.layers.Layer):  # not registered: Keras could not even find it
    def call(self, inputs):
        return inputs / 2


def tripled(x):
    return x * 3


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize(
    ("layer", "named"),
    [(Doubler, "Doubler"), (Halver, "Halver"), (lambda: keras.layers.Dense(4, activation=tripled),
                                                 "tripled")],
    ids=["registered", "unregistered", "custom_function"],
)  # fmt: skip
def test_a_custom_class_or_function_is_refused_by_name(tmp_path, layer, named, suffix):
    model = keras.Sequential([keras.Input((4,)), layer(), keras.layers.Dense(2)])
    error = refusal(saved(model, tmp_path / f"custom{suffix}"))
    assert error.key == "models.upload_custom"
    assert named in error.values["names"]


def test_a_tf_keras_2_registered_or_unknown_layer_is_refused_by_name(tmp_path):
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "name": "in"}},
        tf_keras2_layer("MyPackage>Doubler", "doubler"),
        tf_keras2_layer("TFOpLambda", "tf.math.multiply", function="math.multiply"),
    ]
    path = tmp_path / "custom.hdf5"
    identity = keras.Sequential(
        [keras.Input((4,)), keras.layers.Identity(), keras.layers.Identity()]
    )
    write_tf_keras2_hdf5(path, identity, layers)
    error = refusal(path.read_bytes())
    assert error.key == "models.upload_custom"
    assert error.values["names"] == "MyPackage>Doubler, TFOpLambda"


def test_a_truncated_hdf5_file_is_refused_as_damaged(tmp_path):
    whole = saved(course_cnn(), tmp_path / "cnn.h5")
    for cut in (len(whole) // 2, len(whole) - 1, 100):
        error = refusal(whole[:cut], "cnn.h5")
        assert error.key == "models.upload_h5_broken"
        assert "truncated" in error.values["reason"]


def test_a_keras_file_cut_short_is_refused_as_damaged():
    whole = models.save_bytes(course_cnn())
    for cut in (len(whole) // 2, len(whole) - 10):
        assert refusal(whole[:cut], "cnn.keras").key == "models.upload_zip_broken"


@pytest.mark.parametrize("save", [models.save_h5_bytes, models.save_bytes], ids=["h5", "keras"])
def test_damaged_files_either_load_or_raise_model_error_never_anything_else(save):
    """Bytes overwritten here and there, a block of noise, or the file cut: 30 seeded variants."""
    rng = np.random.default_rng(0)
    whole = save(course_cnn())
    outcomes = set()
    for variant in range(30):
        damaged = bytearray(whole)
        if variant % 3 == 0:
            for position in rng.integers(8, len(damaged), 8):
                damaged[position] = int(rng.integers(0, 256))
        elif variant % 3 == 1:
            start = int(rng.integers(8, 4096))
            damaged[start : start + 64] = rng.integers(0, 256, 64, dtype=np.uint8).tobytes()
        else:
            damaged = damaged[: int(rng.integers(8, len(damaged)))]
        try:
            models.load_uploaded(bytes(damaged))
            outcomes.add("loaded")
        except ModelError as error:
            outcomes.add(error.key)
        assert models.carried_class_names(bytes(damaged)) is None
    assert outcomes - {"loaded"}  # damage to the structure is noticed, not only loaded
    assert all(key == "loaded" or key.startswith("models.upload_") for key in outcomes)


def test_a_text_file_renamed_h5_is_told_it_is_not_hdf5():
    notes = b"model = keras.Sequential()\nmodel.save('cnn.h5')\n"
    error = refusal(notes, "lesson/cnn.h5")
    assert (error.key, error.values) == ("models.upload_not_hdf5", {"file": "cnn.h5"})
    assert "cnn.h5" in i18n.t(error.key, "ko", **error.values)
    assert refusal(notes, "cnn.txt").key == "models.upload_not_zip"


def test_an_hdf5_file_of_arrays_is_not_a_model_and_says_what_it_holds(tmp_path):
    path = tmp_path / "mnist.h5"
    with h5py.File(path, "w") as file:
        file.create_dataset("images", data=np.zeros((3, 28, 28), dtype=np.uint8))
        file.create_dataset("labels", data=np.arange(3))
    error = refusal(path.read_bytes(), path.name)
    assert (error.key, error.values) == (
        "models.upload_h5_not_model",
        {"contents": "images, labels"},
    )


def test_weights_only_files_are_refused_with_how_to_save_the_whole_model(tmp_path):
    model = course_cnn()
    model.save_weights(tmp_path / "cnn.weights.h5")  # Keras 3
    tf_keras2 = tmp_path / "checkpoint.h5"  # tf.keras 2.x save_weights / save_weights_only=True
    with h5py.File(tf_keras2, "w") as file:
        file.attrs["layer_names"] = [b"conv2d", b"max_pooling2d", b"flatten", b"dense"]
        file.attrs.update(backend="tensorflow", keras_version="2.11.0")
        file.create_group("conv2d").create_dataset("conv2d/kernel:0", data=model.get_weights()[0])
    for path in (tmp_path / "cnn.weights.h5", tf_keras2):
        error = refusal(path.read_bytes(), path.name)
        assert error.key == "models.upload_weights_only"
        assert "model.save" in i18n.t(error.key) and "model.save" in i18n.t(error.key, "ko")


def test_an_hdf5_that_unpacks_too_large_is_refused(tmp_path, monkeypatch):
    data = saved(course_cnn(), tmp_path / "cnn.h5")
    monkeypatch.setattr(models, "MAX_UNPACKED_BYTES", 100_000)  # its weights are 0.2 MB
    assert refusal(data).key == "models.upload_too_large"


def test_the_content_decides_the_format_not_the_name(tmp_path, digits):
    model = course_cnn()
    keras_named_h5 = models.load_uploaded(saved(model, tmp_path / "cnn.keras"), "cnn.h5")
    h5_named_keras = models.load_uploaded(saved(model, tmp_path / "cnn.h5"), "cnn.keras")
    assert np.array_equal(
        keras_named_h5.predict(digits, verbose=0), h5_named_keras.predict(digits, verbose=0)
    )


def test_class_names_travel_inside_the_keras_file_and_keras_still_loads_it(tmp_path, digits):
    model = course_cnn()
    names = ["zero", "one", "2", "셋", "four", "five", "six", "seven", "eight", "nine"]
    data = models.save_bytes(model, class_names=names)
    assert models.carried_class_names(data) == names
    assert models.CLASS_NAMES_ENTRY in zipfile.ZipFile(io.BytesIO(data)).namelist()
    (tmp_path / "digits.keras").write_bytes(data)  # a notebook's load_model reads it as well
    for loaded in (
        models.load_uploaded(data, "digits.keras"),
        keras.saving.load_model(tmp_path / "digits.keras", safe_mode=True),
    ):
        assert np.allclose(loaded.predict(digits, verbose=0), model.predict(digits, verbose=0))
    assert models.carried_class_names(models.save_bytes(model)) is None


def test_carried_class_names_is_none_for_any_other_or_broken_file(tmp_path):
    data = models.save_bytes(course_cnn(), class_names=[str(d) for d in range(10)])
    wrong_entry = io.BytesIO()
    with zipfile.ZipFile(wrong_entry, "w") as archive:
        archive.writestr(models.CLASS_NAMES_ENTRY, '{"not": "a list"}')
    for other in (b"", b"junk", data[: len(data) // 2], data[:-30], wrong_entry.getvalue(),
                  saved(course_cnn(), tmp_path / "cnn.h5")):  # fmt: skip
        assert models.carried_class_names(other) is None


def test_h5_bytes_load_back_with_the_same_predictions(digits):
    model = course_cnn()
    data = models.save_h5_bytes(model)
    assert data.startswith(models.HDF5_SIGNATURE)
    loaded = models.load_uploaded(data, "cnn.h5")
    assert np.array_equal(loaded.predict(digits, verbose=0), model.predict(digits, verbose=0))


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
