"""The Rotation page through Streamlit's AppTest: both languages, the sliders, digit photos, bad
files, and training both models with rotation augmentation."""

import json
import time

import pytest

from cnnviz import data, i18n
from tests import corpus
from tests.pages.conftest import open_page

PAGE = "pages/6_rotation.py"


def readings(at) -> list[str]:
    return [metric.value for metric in at.metric]


def chart(at, key: str) -> dict:
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(f"-{key}"):
            return json.loads(element.proto.spec)
    raise AssertionError(f"no chart {key}")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_page_shows_both_models_and_both_curves_in_each_language(lang):
    at = open_page(PAGE, lang=lang, timeout=120)
    assert not at.exception and not at.error
    assert at.title[0].value == i18n.t("rotation.title", lang)
    assert [m.label for m in at.metric] == [i18n.t("rotation.model_mlp", lang),
                                            i18n.t("rotation.model_mnist_cnn", lang)]  # fmt: skip
    label = str(data.load("mnist").y_test[0])
    assert readings(at) == [label, label]
    for axis, positions in (("angle", list(range(-90, 91, 15))), ("shift", list(range(-6, 7)))):
        figure = chart(at, f"rotation_curve_{axis}")
        assert [trace["name"] for trace in figure["data"]] == ["MLP", "CNN"]
        assert all(trace["x"] == positions for trace in figure["data"])
    honest = at.info[0].value
    assert honest.startswith(i18n.t("rotation.honest", lang, mlp=0, cnn=0)[:20])


def shown(at) -> list[str]:
    """Each model's reading and its probability, as the page writes them."""
    sure = [bar.proto.text for bar in at.get("progress")]
    return [f"{label} {p}" for label, p in zip(readings(at), sure, strict=True)]


def test_turning_the_digit_changes_what_both_models_read():
    at = open_page(PAGE, timeout=120)
    upright = shown(at)
    at.slider(key="rotation_angle").set_value(90).run()
    assert not at.exception
    turned = shown(at)
    assert len(turned) == 2
    assert all(a != b for a, b in zip(upright, turned, strict=True))
    at.slider(key="rotation_angle").set_value(0).run()
    assert shown(at) == upright


def test_a_one_pixel_move_is_counted_for_the_digit_shown():
    at = open_page(PAGE, timeout=120)
    text = at.markdown[1].value
    assert "of the 784" in text and "on average" in text


def test_a_photo_of_a_digit_is_read_by_both_models():
    at = open_page(PAGE, timeout=120)
    at.radio(key="rotation_source@en").set_value("upload").run()
    assert i18n.t("rotation.choose_input") in [i.value for i in at.info]
    at.file_uploader(key="rotation_upload").set_value(
        ("five.jpg", corpus.handwritten_digit_photo(5, seed=4), "image/jpeg")
    ).run()
    assert not at.exception and not at.error
    assert readings(at)[1] == "5"  # the CNN reads it


@pytest.mark.parametrize(("name", "make", "key"), corpus.BAD_FILES[:3])
def test_a_bad_upload_shows_a_message_and_the_digits_still_work(name, make, key):
    at = open_page(PAGE, timeout=120)
    at.radio(key="rotation_source@en").set_value("upload").run()
    at.file_uploader(key="rotation_upload").set_value((name, make(), "image/jpeg")).run()
    assert not at.exception
    assert len(at.error) == 1 and not at.metric
    at.radio(key="rotation_source@en").set_value("digit").run()
    assert not at.exception and not at.error and len(at.metric) == 2


@pytest.mark.slow
def test_training_with_rotation_augmentation_adds_dashed_curves_and_session_models():
    at = open_page(PAGE, timeout=120)
    at.select_slider(key="rotation_augment_degrees").set_value(90).run()
    at.button(key="rotation_augment").click().run()
    assert not at.exception
    deadline = time.monotonic() + 600
    while "rotation_augmented" not in at.session_state and time.monotonic() < deadline:
        time.sleep(3)
        at.run()  # the browser reruns the progress fragment every second
        assert not at.exception and not at.error
    assert "rotation_augmented" in at.session_state
    at.run()
    figure = chart(at, "rotation_curve_angle")
    assert len(figure["data"]) == 4
    assert [trace["line"]["dash"] for trace in figure["data"]] == ["solid"] * 2 + ["dash"] * 2
    augmented_mlp, augmented_cnn = figure["data"][2]["y"], figure["data"][3]["y"]
    shipped_mlp, shipped_cnn = figure["data"][0]["y"], figure["data"][1]["y"]
    assert sum(augmented_cnn) > sum(shipped_cnn)  # turned digits are read far more often
    assert sum(augmented_mlp) > sum(shipped_mlp)
    assert set(at.session_state["session_models"]) == {"mlp_rotation_90", "mnist_cnn_rotation_90"}
    assert at.success
