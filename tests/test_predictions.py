"""cnnviz.predictions: probabilities and the likeliest classes, with and without softmax."""

import numpy as np
import pytest

from cnnviz import models, predictions
from tests.tiny_models import pictures, tiny_cnn


@pytest.fixture(scope="module")
def cnn():
    return models.load_pretrained("mnist_cnn")


@pytest.mark.parametrize("softmax", [True, False], ids=["softmax", "scores"])
def test_predict_top_is_sorted_and_sums_to_at_most_one(softmax):
    model = tiny_cnn(softmax=softmax)
    x = pictures(1, (12, 12, 1), seed=5)
    top = predictions.predict_top(model, x, 3, ["a", "b", "c", "d", "e"])
    probs = [p for _, p in top]
    assert len(top) == 3 and probs == sorted(probs, reverse=True)
    assert all(0 <= p <= 1 for p in probs) and sum(probs) <= 1 + 1e-6
    everything = predictions.predict_top(model, x, 5, ["a", "b", "c", "d", "e"])
    assert sum(p for _, p in everything) == pytest.approx(1.0, abs=1e-5)
    assert {name for name, _ in everything} == {"a", "b", "c", "d", "e"}


def test_probabilities_in_batches_equal_one_call(cnn):
    x = pictures(70, (28, 28, 1), seed=6)
    np.testing.assert_allclose(predictions.probabilities(cnn, x, batch_size=32),
                               np.asarray(cnn(x, training=False)), rtol=1e-4, atol=1e-6)  # fmt: skip
