"""cnnviz.grad_cam: the paper's formula against an eager gradient; where the shipped CNN looks."""

import cv2
import keras
import numpy as np
import pytest

from cnnviz import features, grad_cam, models
from cnnviz.errors import ModelError
from tests.tiny_models import mnist_test_digit, pictures, tiny_cnn, tiny_functional


@pytest.fixture(scope="module")
def cnn():
    return models.load_pretrained("mnist_cnn")


@pytest.fixture(scope="module")
def mlp():
    return models.load_pretrained("mlp")


def test_grad_cam_has_the_input_size_and_is_finite_in_0_1():
    model = tiny_cnn()
    heatmap = grad_cam.grad_cam(model, pictures(1, (12, 12, 1), seed=7))
    assert heatmap.shape == (12, 12) and heatmap.dtype == np.float32
    assert np.isfinite(heatmap).all() and heatmap.min() >= 0 and heatmap.max() <= 1
    functional = grad_cam.grad_cam(tiny_functional(), pictures(1, (10, 10, 3)), "left", 2)
    assert functional.shape == (10, 10) and np.isfinite(functional).all()


@pytest.mark.parametrize("class_index", [None, 3])
def test_grad_cam_is_the_formula_worked_out_with_an_eager_gradient(cnn, class_index):
    """α_k = mean ∂score_c/∂A_k over positions, heatmap = ReLU(Σ α_k A_k) / max, resized:
    worked out here with an eager tf.GradientTape on a model of the last conv layer and the
    scores before softmax (the page's Grad-CAM runs one traced graph)."""
    import tensorflow as tf

    digit = mnist_test_digit(3)
    last = cnn.get_layer(features.conv_layer_names(cnn)[-1])
    dense = cnn.layers[-1]
    inputs = keras.Input((28, 28, 1))
    tensor, maps = inputs, None
    for layer in cnn.layers[:-1]:
        tensor = layer(tensor)
        if layer is last:
            maps = tensor
    both = keras.Model(inputs, [maps, tensor])
    with tf.GradientTape() as tape:
        a, before = both(tf.constant(digit), training=False)
        scores = tf.matmul(before, dense.kernel) + dense.bias
        chosen = int(tf.argmax(scores[0])) if class_index is None else class_index
        score = scores[0, chosen]
    alpha = tf.reduce_mean(tape.gradient(score, a)[0], axis=(0, 1)).numpy()
    expected = np.maximum(a[0].numpy() @ alpha, 0)
    expected = cv2.resize(expected / expected.max(), (28, 28), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(grad_cam.grad_cam(cnn, digit, class_index=class_index),
                               np.clip(expected, 0, 1), atol=1e-4)  # fmt: skip


def test_grad_cam_of_the_shipped_cnn_lights_up_the_digit_not_the_background(cnn):
    """Where the confident CNN looks: more heat on and around the ink than far from it."""
    for index in range(5):
        digit = mnist_test_digit(index)
        heatmap = grad_cam.grad_cam(cnn, digit)
        assert heatmap.max() > 0.5  # not all zeros: scores before softmax do not saturate
        near_ink = cv2.dilate((digit[0, :, :, 0] > 0.3).astype(np.uint8), np.ones((5, 5))) > 0
        assert heatmap[near_ink].mean() > 2 * heatmap[~near_ink].mean()


def test_grad_cam_needs_a_convolution(mlp):
    with pytest.raises(ModelError) as caught:
        grad_cam.grad_cam(mlp, mnist_test_digit())
    assert caught.value.key == "features.grad_cam_no_conv"
    assert not features.is_conv_model(mlp)
