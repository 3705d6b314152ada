"""cnnviz.model_files: .keras files round-trip and junk is refused; a teacher's .h5/.hdf5 files,
as tf.keras 2.x wrote them, load as the same model as its .keras file; Lambda layers, custom
classes, damaged files and weights-only files are refused with the reason; class names travel
inside the .keras file."""

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

from cnnviz import data, i18n, model_files, models
from cnnviz.architectures import ARCHITECTURES
from cnnviz.errors import ModelError
from tests.test_models import TINY_CNN


@pytest.fixture(scope="module")
def mnist():
    return data.load("mnist")


# --- .keras files ---------------------------------------------------------------------------------


def test_saved_bytes_load_back_with_the_same_predictions(mnist):
    model = models.build(TINY_CNN, (28, 28, 1), 10, seed=3)
    images = mnist.x_test[:16] / 255.0
    loaded = model_files.load_uploaded(model_files.save_bytes(model))
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
            model_files.load_uploaded(payload)
        assert error.value.key == key


def test_upload_of_a_broken_keras_file_is_refused():
    good = io.BytesIO(model_files.save_bytes(models.build(TINY_CNN, (28, 28, 1), 10)))
    broken = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.namelist():
            text = b'{"class_name": "Nothing"' if item == "config.json" else source.read(item)
            target.writestr(item, text)
    with pytest.raises(ModelError) as error:
        model_files.load_uploaded(broken.getvalue())
    assert error.value.key == "models.upload_broken"


def test_upload_that_unpacks_too_large_is_refused(monkeypatch):
    tiny = model_files.save_bytes(models.build(TINY_CNN, (12, 12, 1), 10))
    monkeypatch.setattr(model_files, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(ModelError) as error:
        model_files.load_uploaded(tiny)
    assert error.value.key == "models.upload_too_large"


def test_upload_of_a_model_with_a_lambda_layer_is_refused_as_unsafe():
    unsafe = keras.Sequential(
        [keras.Input((4,)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(2)]
    )
    with pytest.raises(ModelError) as error:
        model_files.load_uploaded(model_files.save_bytes(unsafe))
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
        model_files.load_uploaded(data, filename)
    return error.value


@pytest.fixture(scope="module")
def digits(mnist):
    return mnist.x_test[:32] / 255.0


@pytest.mark.parametrize("suffix", [".h5", ".hdf5"])
def test_the_course_cnn_saved_as_hdf5_predicts_exactly_as_saved_as_keras(tmp_path, digits, suffix):
    model = course_cnn()
    as_keras = model_files.load_uploaded(saved(model, tmp_path / "cnn.keras"), "cnn.keras")
    as_hdf5 = model_files.load_uploaded(saved(model, tmp_path / f"cnn{suffix}"), f"cnn{suffix}")
    expected = as_keras.predict(digits, verbose=0)
    assert np.array_equal(as_hdf5.predict(digits, verbose=0), expected)
    assert np.allclose(expected, model.predict(digits, verbose=0))


def test_a_checkpoint_written_as_tf_keras_2_writes_it_loads_with_its_weights(tmp_path, digits):
    """ModelCheckpoint(".../{epoch:02d}-{val_loss:.4f}.hdf5") in the course: classes without
    a module, batch_input_shape, an RMSprop training_config and weights named kernel:0."""
    model = course_cnn()
    path = tmp_path / "05-0.0421.hdf5"
    write_tf_keras2_hdf5(path, model, tf_keras2_course_cnn_layers())
    loaded = model_files.load_uploaded(path.read_bytes(), path.name)
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
    loaded = model_files.load_uploaded(path.read_bytes(), path.name)
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
        loaded = model_files.load_uploaded(saved(model, tmp_path / name), name)
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
    whole = model_files.save_bytes(course_cnn())
    for cut in (len(whole) // 2, len(whole) - 10):
        assert refusal(whole[:cut], "cnn.keras").key == "models.upload_zip_broken"


@pytest.mark.parametrize(
    "save", [model_files.save_h5_bytes, model_files.save_bytes], ids=["h5", "keras"]
)
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
            model_files.load_uploaded(bytes(damaged))
            outcomes.add("loaded")
        except ModelError as error:
            outcomes.add(error.key)
        assert model_files.carried_class_names(bytes(damaged)) is None
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
    monkeypatch.setattr(model_files, "MAX_UNPACKED_BYTES", 100_000)  # its weights are 0.2 MB
    assert refusal(data).key == "models.upload_too_large"


def test_the_content_decides_the_format_not_the_name(tmp_path, digits):
    model = course_cnn()
    keras_named_h5 = model_files.load_uploaded(saved(model, tmp_path / "cnn.keras"), "cnn.h5")
    h5_named_keras = model_files.load_uploaded(saved(model, tmp_path / "cnn.h5"), "cnn.keras")
    assert np.array_equal(
        keras_named_h5.predict(digits, verbose=0), h5_named_keras.predict(digits, verbose=0)
    )


def test_class_names_travel_inside_the_keras_file_and_keras_still_loads_it(tmp_path, digits):
    model = course_cnn()
    names = ["zero", "one", "2", "셋", "four", "five", "six", "seven", "eight", "nine"]
    data = model_files.save_bytes(model, class_names=names)
    assert model_files.carried_class_names(data) == names
    assert model_files.CLASS_NAMES_ENTRY in zipfile.ZipFile(io.BytesIO(data)).namelist()
    (tmp_path / "digits.keras").write_bytes(data)  # a notebook's load_model reads it as well
    for loaded in (
        model_files.load_uploaded(data, "digits.keras"),
        keras.saving.load_model(tmp_path / "digits.keras", safe_mode=True),
    ):
        assert np.allclose(loaded.predict(digits, verbose=0), model.predict(digits, verbose=0))
    assert model_files.carried_class_names(model_files.save_bytes(model)) is None


def test_carried_class_names_is_none_for_any_other_or_broken_file(tmp_path):
    data = model_files.save_bytes(course_cnn(), class_names=[str(d) for d in range(10)])
    wrong_entry = io.BytesIO()
    with zipfile.ZipFile(wrong_entry, "w") as archive:
        archive.writestr(model_files.CLASS_NAMES_ENTRY, '{"not": "a list"}')
    for other in (b"", b"junk", data[: len(data) // 2], data[:-30], wrong_entry.getvalue(),
                  saved(course_cnn(), tmp_path / "cnn.h5")):  # fmt: skip
        assert model_files.carried_class_names(other) is None


def test_h5_bytes_load_back_with_the_same_predictions(digits):
    model = course_cnn()
    data = model_files.save_h5_bytes(model)
    assert data.startswith(model_files.HDF5_SIGNATURE)
    loaded = model_files.load_uploaded(data, "cnn.h5")
    assert np.array_equal(loaded.predict(digits, verbose=0), model.predict(digits, verbose=0))
