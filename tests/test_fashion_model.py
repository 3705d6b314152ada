"""The shipped Fashion-MNIST CNN: it is what its JSON says (classes, accuracy on the 10,000 test
images of the Debian package), and it reads photos made with products.prepare_product."""

import numpy as np
import pytest

from cnnviz import data, models, products
from tests.test_products import pasted_on_white

needs_fashion_mnist = pytest.mark.skipif(
    not data.available()["fashion_mnist"].ok,
    reason="Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)",
)


@pytest.fixture(scope="module")
def fashion_cnn():
    return models.load_pretrained("fashion_cnn")


@pytest.fixture(scope="module")
def fashion_test():
    return data.load("fashion_mnist")


def test_the_json_names_the_fashion_mnist_classes_and_credits_zalando():
    info = models.pretrained_info("fashion_cnn")
    assert info["class_names"] == data.FASHION_MNIST_CLASSES
    assert info["architecture"] == "mnist_cnn" and info["input_shape"] == [28, 28, 1]
    assert info["test_accuracy"] >= 0.90
    assert "Zalando" in info["credit"] and "MIT" in info["credit"]
    assert info["remake"] == "python -m scripts.train_pretrained fashion_cnn"


def test_the_shipped_model_is_the_course_mnist_cnn_without_optimizer_state(fashion_cnn):
    assert fashion_cnn.count_params() == 843_658  # COURSE.md: the MNIST CNN
    assert getattr(fashion_cnn, "optimizer", None) is None  # saved uncompiled: no Adam state
    assert (models.MODELS_DIR / "fashion_cnn.keras").stat().st_size < 4_000_000


@needs_fashion_mnist
def test_the_accuracy_in_the_json_holds_on_the_10000_test_images(fashion_cnn, fashion_test):
    """Measured again here, on the package's t10k images, as the script measured it."""
    assert len(fashion_test.x_test) == 10_000
    probabilities = fashion_cnn.predict(fashion_test.x_test / 255.0, batch_size=500, verbose=0)
    accuracy = float(np.mean(probabilities.argmax(axis=1) == fashion_test.y_test))
    info = models.pretrained_info("fashion_cnn")
    assert accuracy >= 0.90
    assert accuracy == pytest.approx(info["test_accuracy"], abs=0.002)


@needs_fashion_mnist
def test_the_model_reads_test_images_pasted_on_white_after_prepare_product(
    fashion_cnn, fashion_test
):
    """100 test images as dark objects on a white page, 10 times as large, with camera noise."""
    items, labels = fashion_test.x_test[:100, :, :, 0], fashion_test.y_test[:100]
    x = np.stack(
        [
            products.prepare_product(pasted_on_white(item, seed=number)).result
            for number, item in enumerate(items)
        ]
    )[..., None]  # (100, 28, 28) -> (100, 28, 28, 1)
    predicted = np.asarray(fashion_cnn(x, training=False)).argmax(axis=1)
    untouched = np.asarray(fashion_cnn(items[..., None] / 255.0, training=False)).argmax(axis=1)
    pasted_accuracy, original_accuracy = np.mean(predicted == labels), np.mean(untouched == labels)
    # a clear majority (88 of 100 when written), about as many as from the originals (87)
    assert pasted_accuracy >= 0.8, pasted_accuracy
    assert pasted_accuracy >= original_accuracy - 0.05, (pasted_accuracy, original_accuracy)
