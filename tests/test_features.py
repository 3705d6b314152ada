"""cnnviz.features on real (tiny) Keras models and the shipped pretrained ones."""

import gc
import weakref
from functools import partial

import cv2
import keras
import numpy as np
import pytest

from cnnviz import features, grad_cam, images, models, predictions, tiles
from cnnviz.errors import ModelError
from tests import corpus
from tests.tiny_models import mnist_test_digit, pictures, tiny_cnn, tiny_functional

ASSETS = corpus.ASSETS


@pytest.fixture(scope="module")
def cnn():
    return models.load_pretrained("mnist_cnn")


@pytest.fixture(scope="module")
def mlp():
    return models.load_pretrained("mlp")


# --- activations -----------------------------------------------------------------------------


@pytest.mark.parametrize("make", [tiny_cnn, tiny_functional], ids=["sequential", "functional"])
def test_activations_give_one_entry_per_layer_with_the_shapes_keras_reports(make):
    model = make()
    x = pictures(1, model.inputs[0].shape[1:])
    layers = features.activations(model, x)
    expected = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert [a.name for a in layers] == [layer.name for layer in expected]
    assert [a.kind for a in layers] == [type(layer).__name__ for layer in expected]
    for activation, layer in zip(layers, expected, strict=True):
        assert activation.shape == tuple(layer.output.shape[1:])
        assert activation.values.shape == activation.shape


def test_activations_of_the_shipped_cnn_match_its_summary_and_its_answer(cnn):
    digit = mnist_test_digit()
    layers = features.activations(cnn, digit)
    assert [a.shape for a in layers] == [
        (26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (1600,), (512,), (10,),
    ]  # fmt: skip
    assert [a.is_map for a in layers] == [True] * 4 + [False] * 3
    np.testing.assert_allclose(layers[-1].values, np.asarray(cnn(digit, training=False))[0],
                               rtol=1e-5, atol=1e-6)  # fmt: skip


def test_each_layer_output_is_that_layer_applied_to_the_one_before():
    model = tiny_cnn()
    x = pictures(1, (12, 12, 1), seed=3)
    layers = features.activations(model, x)
    previous = x
    for activation, layer in zip(layers, model.layers, strict=True):
        expected = np.asarray(layer(previous, training=False))[0]
        np.testing.assert_allclose(activation.values, expected, rtol=1e-5, atol=1e-6)
        previous = expected[None]


def test_the_extractor_is_built_once_per_model_and_forgotten_with_it():
    model = tiny_cnn()
    assert features.extractor(model) is features.extractor(model)
    gone = weakref.ref(model)
    del model
    gc.collect()
    assert gone() is None


def test_model_input_shape_refuses_a_model_that_does_not_take_pictures():
    flat = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)])
    with pytest.raises(ModelError) as caught:
        features.model_input_shape(flat)
    assert caught.value.key == "features.not_an_image_model"
    open_size = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(2, 3)])
    assert features.model_input_shape(open_size, default_side=64) == (64, 64, 3)


@pytest.mark.parametrize("make", [tiny_cnn, partial(tiny_cnn, softmax=False), tiny_functional],
                         ids=["softmax", "scores", "functional"])  # fmt: skip
def test_activations_and_top_equal_the_two_calls_they_replace(make):
    model = make()
    x = pictures(1, tuple(model.inputs[0].shape[1:]), seed=8)
    names = list("abcde")[: model.outputs[0].shape[-1]]
    layers, top = features.activations_and_top(model, x, 3, names)
    expected = predictions.predict_top(model, x, 3, names)
    assert [name for name, _ in top] == [name for name, _ in expected]
    np.testing.assert_allclose([p for _, p in top], [p for _, p in expected], rtol=1e-5)
    assert [layer.name for layer in layers] == [
        layer.name for layer in features.activations(model, x)
    ]


# --- from a picture to the model's input -------------------------------------------------------


def test_model_input_moves_the_model_sized_picture_with_images_transform():
    photo = corpus.gradient(64, 48)
    prepared = features.model_input(photo, (32, 32, 3), angle=30, dx=2, dy=-1, scale=1.2)
    resized = images.to_model_input(photo, (32, 32, 3))[0]
    expected = images.transform(resized, angle=30, dx=2, dy=-1, scale=1.2)
    np.testing.assert_array_equal(prepared.x[0], expected)
    assert prepared.x.shape == (1, 32, 32, 3) and prepared.digit_steps is None


def test_a_digit_photo_goes_through_prepare_digit_for_an_mnist_model():
    photo = images.load_image(corpus.handwritten_digit_photo(4, seed=2))
    prepared = features.model_input(photo, (28, 28, 1), as_digit=True)
    np.testing.assert_array_equal(prepared.x[0, :, :, 0], images.prepare_digit(photo).result)
    assert prepared.digit_steps is not None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_shipped_cnn_reads_photos_of_handwritten_digits(cnn, seed):
    """Generated phone photos (pen strokes, slant, tilt, uneven light, noise, JPEG), all ten."""
    read = []
    for digit in range(10):
        photo = images.load_image(corpus.handwritten_digit_photo(digit, seed))
        x = features.model_input(photo, (28, 28, 1), as_digit=True).x
        read.append(int(predictions.probabilities(cnn, x)[0].argmax()))
    assert read == list(range(10))


def test_warm_up_runs_the_model_and_builds_its_extractor():
    model = tiny_functional()
    features.warm_up(model)
    assert features.extractor(model).layers[-1].name == "scores"


# --- figures ---------------------------------------------------------------------------------


def test_a_picture_is_drawn_at_most_as_wide_as_asked_and_within_the_heights():
    from cnnviz import plots

    square = np.zeros((100, 100), np.uint8)
    assert plots.picture_width(square, 1000, 160, 560) == 560  # 560 high, so 560 wide
    strip = np.zeros((3, 64), np.uint8)
    assert plots.picture_width(strip, 640, 10, 560) == 640
    assert plots.picture_width(np.zeros((1000, 10), np.uint8), 1000, 160, 560) == 6


def test_top_k_bars_draw_the_likeliest_guess_on_top():
    from cnnviz import plots

    figure = plots.top_k_bars([("cat", 0.7), ("dog", 0.2), ("fox", 0.1)])
    assert list(figure.data[0].y) == ["fox", "dog", "cat"]  # Plotly draws the last bar on top
    assert list(figure.data[0].text) == ["10.0%", "20.0%", "70.0%"]


def test_the_guesses_and_bars_are_written_at_least_14_px_for_a_projector():
    from cnnviz import plots

    for figure in (plots.top_k_bars([("tabby", 0.6), ("tiger_cat", 0.3)]),
                   plots.dense_bars(np.arange(10.0))):  # fmt: skip
        layout = figure.layout
        assert layout.font.size >= 14
        assert layout.xaxis.tickfont.size >= 14 and layout.yaxis.tickfont.size >= 14
    assert plots.top_k_bars([("tabby", 0.6)]).data[0].textfont.size >= 14


def test_grad_cam_picture_is_the_weighted_blend_of_input_and_jet_colours():
    """overlay = (1 − alpha) · input + alpha · jet(heatmap)."""
    from cnnviz import plots

    image = np.full((4, 4, 1), 0.5, np.float32)
    heatmap = np.zeros((4, 4), np.float32)
    heatmap[0, 0] = 1.0
    overlay = plots.grad_cam_picture(image, heatmap, alpha=0.5)
    assert overlay.shape == (4, 4, 3) and overlay.dtype == np.uint8
    hot = cv2.applyColorMap(np.uint8([[255]]), cv2.COLORMAP_JET)[0, 0][::-1]  # BGR -> RGB
    cold = cv2.applyColorMap(np.uint8([[0]]), cv2.COLORMAP_JET)[0, 0][::-1]
    np.testing.assert_allclose(overlay[0, 0], 0.5 * 127 + 0.5 * hot, atol=1)
    np.testing.assert_allclose(overlay[3, 3], 0.5 * 127 + 0.5 * cold, atol=1)
    assert overlay[0, 0, 0] > overlay[0, 0, 2]  # red where the model looked


def test_accuracy_curves_show_each_model_once_and_a_retrained_one_dashed():
    from cnnviz import plots
    from cnnviz.rotation import AccuracyCurve

    curves = [
        AccuracyCurve("mlp", "angle", (-15, 0, 15), (0.5, 0.9, 0.5), 10),
        AccuracyCurve("mnist_cnn", "angle", (-15, 0, 15), (0.6, 0.95, 0.6), 10),
        AccuracyCurve("mlp:aug", "angle", (-15, 0, 15), (0.8, 0.9, 0.8), 10),
    ]
    figure = plots.accuracy_curves_figure(curves, names=["MLP", "CNN", "MLP, rotated"])
    assert [trace.name for trace in figure.data] == ["MLP", "CNN", "MLP, rotated"]
    assert [trace.line.dash for trace in figure.data] == ["solid", "solid", "dash"]
    assert figure.data[0].line.color == figure.data[2].line.color != figure.data[1].line.color
    assert list(figure.layout.xaxis.tickvals) == [-15, 0, 15]


@pytest.fixture(scope="module")
def mobilenet():
    """MobileNetV2 with random weights, built as the page builds it (the arithmetic is ImageNet's)."""
    from cnnviz import applications

    return applications.build("mobilenet_v2", weights=None)


def test_a_photo_model_gives_every_layers_maps_top_5_imagenet_names_and_grad_cam(mobilenet):
    from cnnviz import applications, blocks

    cat = images.load_image((ASSETS / "samples" / "cat.jpg").read_bytes(), max_side=1024)
    shown = features.model_input(cat, features.model_input_shape(mobilenet)).x  # (1, 224, 224, 3)
    assert shown.shape == (1, 224, 224, 3) and shown.min() >= 0 and shown.max() <= 1
    x = applications.preprocess("mobilenet_v2", shown * 255)
    assert -1 <= x.min() < 0 < x.max() <= 1  # MobileNetV2 takes -1..1
    layers = features.activations(mobilenet, x)
    assert len(layers) == len(mobilenet.layers) - 1  # every layer but the input
    assert layers[0].shape == (112, 112, 32) and layers[-1].shape == (1000,)
    grouped = blocks.blocks([layer.name for layer in layers])
    assert sorted(p for b in grouped for p in b.layers) == list(range(len(layers)))
    names = applications.class_names()
    top = predictions.predict_top(mobilenet, x, 5, names)
    assert len(top) == 5 and all(name in names for name, _ in top)
    heatmap = grad_cam.grad_cam(mobilenet, x)  # on its last Conv2D, "Conv_1"
    assert features.conv_layer_names(mobilenet)[-1] == "Conv_1"
    assert heatmap.shape == (224, 224) and heatmap.min() >= 0 and heatmap.max() <= 1
    thumb = tiles.thumbnail(layers[0].values, maps=8, side=40)
    assert thumb.dtype == np.uint8 and thumb.shape == (40, 8 * 41 - 1)
