"""cnnviz.scaling: each scaling gives the hand-computed numbers the model was trained on, typed
means and stds are read as numbers only, and the caller's pictures are never changed."""

import numpy as np
import pytest

from cnnviz import scaling
from cnnviz.errors import ModelError
from cnnviz.scaling import Scaling

# one RGB picture of 1 × 2 pixels, as the pages hold it: pixel / 255
PIXELS = np.array([[[[0, 51, 255], [102, 204, 153]]]], dtype=np.float64)  # (1, 1, 2, 3)
PICTURES = PIXELS / 255.0


def test_the_default_is_the_course_s_division_by_255():
    assert Scaling() == Scaling("unit")
    assert scaling.SCALINGS[0] == "unit"
    out = Scaling()(PICTURES)
    assert out.dtype == np.float32 and out.shape == (1, 1, 2, 3)
    np.testing.assert_allclose(out[0, 0, 1], [0.4, 0.8, 0.6], rtol=1e-6)


def test_none_gives_the_raw_pixels_0_to_255():
    out = Scaling("none")(PICTURES)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, PIXELS, rtol=1e-6)


def test_standardize_with_one_value_per_channel_on_n_h_w_3():
    """(x − mean) / std per channel: (0 − 10)/5 = −2, (51 − 1)/50 = 1, (255 − 5)/10 = 25 …"""
    standard = Scaling("standardize", mean=(10.0, 1.0, 5.0), std=(5.0, 50.0, 10.0))
    out = standard(np.repeat(PICTURES, 4, axis=0))  # (4, 1, 2, 3)
    assert out.dtype == np.float32 and out.shape == (4, 1, 2, 3)
    np.testing.assert_allclose(out[3, 0, 0], [-2.0, 1.0, 25.0], rtol=1e-5)
    np.testing.assert_allclose(out[3, 0, 1], [18.4, 4.06, 14.8], rtol=1e-5)


def test_standardize_with_one_value_for_all_channels():
    """mean 102, std 51: pixel 0 -> −2, 51 -> −1, 255 -> 3, 102 -> 0, 204 -> 2, 153 -> 1."""
    out = scaling.standardize("102", "51", channels=3)(PICTURES)
    np.testing.assert_allclose(out[0, 0], [[-2, -1, 3], [0, 2, 1]], atol=1e-5)


def test_standardize_matches_the_cifar10_notebook_s_formula():
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (20, 8, 8, 3)).astype(np.float32)
    mean, std = x_train.mean(axis=(0, 1, 2)), x_train.std(axis=(0, 1, 2))
    typed = scaling.standardize(", ".join(map(str, mean)), " ".join(map(str, std)), 3)
    np.testing.assert_allclose(typed(x_train / 255.0), (x_train - mean) / std, atol=1e-4)


def test_grey_pictures_take_one_value():
    grey = np.full((2, 3, 3, 1), 0.5)
    out = scaling.standardize("127.5", "127.5", 1)(grey)
    assert out.shape == (2, 3, 3, 1) and np.allclose(out, 0.0)


@pytest.mark.parametrize("kind", ["unit", "none", "standardize"])
def test_the_callers_pictures_are_never_modified(kind):
    pictures = PICTURES.astype(np.float32)
    before = pictures.copy()
    chosen = Scaling(kind, (1.0,), (2.0,)) if kind == "standardize" else Scaling(kind)
    out = chosen(pictures)
    out += 100  # the result is a new array, not a view of the input
    assert np.array_equal(pictures, before)
    assert not np.shares_memory(out, pictures)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("125.3, 123.0, 113.9", (125.3, 123.0, 113.9)),
        ("[125.3 123.  113.9]", (125.3, 123.0, 113.9)),  # as NumPy prints a mean
        ("  0.5 ", (0.5,)),
        ("1e2;-3;.5", (100.0, -3.0, 0.5)),
        ("(63.0, 62.1, 66.7)", (63.0, 62.1, 66.7)),
    ],
)
def test_parse_values_reads_numbers_in_the_ways_they_are_copied(text, values):
    assert scaling.parse_values(text, channels=3) == pytest.approx(values)


@pytest.mark.parametrize(
    ("text", "key", "values"),
    [
        ("", "scaling.empty", {}),
        (" , ", "scaling.empty", {}),
        ("125.3, abc, 1", "scaling.bad_values", {"value": "abc"}),
        ("__import__('os')", "scaling.bad_values", {"value": "__import__('os')"}),
        ("[1, 2, 3", "scaling.bad_values", {"value": "[1"}),
        ("nan", "scaling.bad_values", {"value": "nan"}),
        ("1e999", "scaling.bad_values", {"value": "1e999"}),
        ("0x10", "scaling.bad_values", {"value": "0x10"}),
        ("1, 2", "scaling.wrong_count", {"given": 2, "channels": 3}),
        ("1, 2, 3, 4", "scaling.wrong_count", {"given": 4, "channels": 3}),
    ],
)
def test_parse_values_refuses_what_is_not_1_or_c_numbers(text, key, values):
    with pytest.raises(ModelError) as error:
        scaling.parse_values(text, channels=3)
    assert (error.value.key, error.value.values) == (key, values)


@pytest.mark.parametrize("std_text", ["0", "63, 0, 66", "-1"])
def test_a_standard_deviation_of_zero_or_less_is_refused(std_text):
    with pytest.raises(ModelError) as error:
        scaling.standardize("125", std_text, 3)
    assert error.value.key == "scaling.zero_std"


def test_three_values_do_not_fit_a_grey_picture():
    with pytest.raises(ModelError) as error:
        Scaling("standardize", (1.0, 2.0, 3.0), (1.0,))(np.zeros((1, 2, 2, 1)))
    assert (error.value.key, error.value.values) == (
        "scaling.wrong_count",
        {"given": 3, "channels": 1},
    )


def test_an_unknown_kind_or_a_standardize_without_values_is_a_programming_error():
    with pytest.raises(ValueError):
        Scaling("divide")
    with pytest.raises(ValueError):
        Scaling("standardize")
