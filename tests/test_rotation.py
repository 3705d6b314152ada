"""cnnviz.rotation: the course's warpAffine, accuracy curves on the shipped models, pixel counts."""

import cv2
import numpy as np
import pytest

from cnnviz import data, images, models, predictions, rotation


@pytest.fixture(scope="module")
def sample():
    return data.load("mnist")


@pytest.fixture(scope="module")
def shipped():
    return {name: models.load_pretrained(name) for name in ("mlp", "mnist_cnn")}


def course_warp(digit: np.ndarray, angle: float, dx: float, dy: float) -> np.ndarray:
    """The notes' code: getRotationMatrix2D((14, 14), angle, 1), shift in M[:, 2], warpAffine."""
    matrix = cv2.getRotationMatrix2D((14, 14), angle, 1)
    matrix[0, 2] += dx
    matrix[1, 2] += dy
    return cv2.warpAffine(digit, matrix, (28, 28))


@pytest.mark.parametrize(("angle", "dx", "dy"), [(0, 0, 0), (30, 0, 0), (-75, 2, -3), (0, -6, 0)])
def test_moved_digits_are_the_course_warp_affine(sample, angle, dx, dy):
    digits = sample.x_test[:5]
    batch = rotation.moved_batch(digits, angle, dx, dy)
    assert batch.shape == (5, 28, 28, 1) and batch.dtype == np.float32
    for digit, moved in zip(digits, batch, strict=True):
        expected = course_warp(digit[:, :, 0].astype(np.float32) / 255, angle, dx, dy)
        np.testing.assert_allclose(moved[:, :, 0], expected, atol=1e-6)
        np.testing.assert_array_equal(
            moved, images.transform(digit.astype(np.float32) / 255, angle, dx, dy)
        )
    np.testing.assert_array_equal(rotation.moved(digits[0], angle, dx, dy), batch[0])


def test_a_whole_pixel_shift_moves_every_value_one_column(sample):
    digit = sample.x_test[0, :, :, 0].astype(np.float32) / 255
    moved = rotation.moved(digit, dx=1)
    np.testing.assert_array_equal(moved[:, 1:], digit[:, :-1])
    assert (moved[:, 0] == 0).all()


def test_curves_cover_the_course_angles_and_shifts():
    assert rotation.ANGLES == (-90, -75, -60, -45, -30, -15, 0, 15, 30, 45, 60, 75, 90)
    assert rotation.SHIFTS == (-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6)


def test_curve_at_zero_is_the_plain_test_accuracy(sample, shipped):
    digits, labels = sample.x_test[:300], sample.y_test[:300]
    model = shipped["mnist_cnn"]
    curve = rotation.accuracy_curve(model, digits, labels, "angle", [0, 45], "cnn")
    plain = predictions.probabilities(model, digits.astype(np.float32) / 255).argmax(axis=1)
    assert curve.accuracy[0] == pytest.approx(np.mean(plain == labels))
    assert curve.accuracy[1] < curve.accuracy[0]
    assert curve.positions == (0, 45) and curve.count == 300 and curve.model_name == "cnn"


def test_the_shipped_cnn_beats_the_mlp_on_the_shift_curve(sample, shipped):
    digits, labels = sample.x_test[:1000], sample.y_test[:1000]
    mlp = rotation.shift_curve(shipped["mlp"], digits, labels, "mlp")
    cnn = rotation.shift_curve(shipped["mnist_cnn"], digits, labels, "cnn")
    assert len(cnn.accuracy) == 13
    assert cnn.mean > mlp.mean + 0.1
    small = [rotation.SHIFTS.index(s) for s in (-2, -1, 1, 2)]
    assert all(cnn.accuracy[i] > mlp.accuracy[i] for i in small)
    assert cnn.accuracy[6] > 0.95 and mlp.accuracy[6] > 0.9  # unmoved: both read well


def test_neither_shipped_model_is_rotation_invariant(sample, shipped):
    digits, labels = sample.x_test[:1000], sample.y_test[:1000]
    for name, model in shipped.items():
        curve = rotation.angle_curve(model, digits, labels, name)
        upright = curve.accuracy[rotation.ANGLES.index(0)]
        assert curve.accuracy[rotation.ANGLES.index(90)] < upright / 2, name
        assert curve.accuracy[rotation.ANGLES.index(-90)] < upright / 2, name


def test_pixels_changed_counts_the_inputs_a_one_pixel_move_changes():
    dot = np.zeros((28, 28), np.float32)
    dot[10, 10] = 1.0
    assert rotation.pixels_changed(dot).count == 2  # where it was, where it is
    bar = np.zeros((28, 28), np.uint8)
    bar[5:15, 12] = 255
    change = rotation.pixels_changed(bar)
    assert (change.count, change.total) == (20, 784)
    assert change.share == pytest.approx(20 / 784)
    wide = np.zeros((28, 28), np.uint8)
    wide[5:15, 10:14] = 255  # moving right changes only the left and right edges
    assert rotation.pixels_changed(wide).count == 20
    assert rotation.pixels_changed(bar, dx=0, dy=1).count == 2
    assert rotation.pixels_changed(np.zeros((28, 28))).count == 0


def test_a_real_digit_changes_many_inputs_when_moved_one_pixel(sample):
    mean = rotation.mean_pixels_changed(sample.x_test[:200])
    assert 60 < mean < 250  # of 784: an MLP sees a different input pattern


def test_read_digit_names_the_likeliest_class(sample, shipped):
    digit = sample.x_test[0]
    reading = rotation.read_digit(shipped["mnist_cnn"], digit, [str(d) for d in range(10)])
    assert reading.label == str(sample.y_test[0])
    assert reading.probability == pytest.approx(reading.probabilities.max())
    assert reading.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
