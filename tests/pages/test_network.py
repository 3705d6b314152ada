"""The "Inside the network" page through Streamlit's AppTest: both languages, the overview, a conv
cell stepped through with the model's own value beside it, pooling, dense, softmax, the MLP, an
uploaded model with a layer cnnviz cannot explain, and what a filter looks for."""

import json

import keras
import numpy as np
import pytest

from cnnviz import data, explain, features, formatting, i18n, models
from tests.pages.conftest import open_page

PAGE = "pages/7_network.py"


def chart(at, key: str) -> dict:
    """The Plotly figure of the chart whose widget key ends with `key`, as a dict."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(f"-{key}") or f"-{key}_" in element.proto.id:
            return json.loads(element.proto.spec)
    raise AssertionError(f"no chart {key}")


def assert_no_problems(at) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def first_digit() -> np.ndarray:
    return data.load("mnist").x_test[:1].astype(np.float32) / 255


def pick(at, layer: str, unit: int = 0):
    at.selectbox(key="network_layer").set_value(layer).run()
    at.number_input(key="network_unit").set_value(unit).run()
    return at


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_page_opens_on_the_first_conv_map_and_its_centre_cell_in_each_language(lang):
    at = open_page(PAGE, lang=lang, timeout=90)
    assert_no_problems(at)
    assert at.title[0].value == i18n.t("inside.title", lang)
    overview = chart(at, "network_overview")
    clickable = next(t for t in overview["data"] if t.get("mode") == "markers")
    assert [2, 0] not in clickable["customdata"][:1] and [1, 0] in clickable["customdata"]
    cnn, digit = models.load_pretrained("mnist_cnn"), first_digit()
    cell = explain.conv_cell(cnn, digit, "conv2d_1", 13, 13, 0)
    said = i18n.t("inside.model_says", lang, ours=formatting.number(cell.value),
                  model=formatting.number(cell.model_value))  # fmt: skip
    assert said in [s.value for s in at.success]
    assert any(f"= {formatting.number(cell.total)}" in c.value for c in at.code)


def test_stepping_moves_the_cell_and_the_numbers_follow():
    at = open_page(PAGE, timeout=90)
    at.button(key="network_cell_next").click().run()
    assert_no_problems(at)
    cnn, digit = models.load_pretrained("mnist_cnn"), first_digit()
    cell = explain.conv_cell(cnn, digit, "conv2d_1", 13, 14, 0)
    assert any(f"= {formatting.number(cell.total)}" in c.value for c in at.code)


def test_a_deeper_conv_map_sums_many_channels_and_says_how_many_are_drawn():
    at = pick(open_page(PAGE, timeout=90), "conv2d_3", 11)
    assert_no_problems(at)
    caption = i18n.t("inside.channels_capped", shown=4, count=32)
    assert caption in [c.value for c in at.caption]
    assert any("the other 28 maps" in c.value for c in at.code)


def test_a_pooling_cell_shows_its_window_and_the_max():
    at = pick(open_page(PAGE, timeout=90), "max_pooling2d_2", 3)
    assert_no_problems(at)
    assert chart(at, "network_pool_figure")
    assert any(c.value.startswith("The largest of the 4 numbers") for c in at.code)


def test_the_output_class_writes_out_its_sum_and_the_softmax_summing_to_one():
    at = pick(open_page(PAGE, timeout=90), "dense_7", 7)
    assert_no_problems(at)
    tables = at.dataframe
    assert len(tables) == 2  # the largest contributions, then the softmax
    softmax = tables[1].value
    probabilities = [float(p.rstrip("%")) / 100 for p in softmax[i18n.t("inside.probability")]]
    assert sum(probabilities) == pytest.approx(1.0, abs=0.01)
    probs = features.predict_top(models.load_pretrained("mnist_cnn"), first_digit(), 1)
    assert softmax[i18n.t("inside.class")].iloc[0] == probs[0][0]


def test_the_mlp_has_the_overview_and_dense_views_with_a_note():
    at = open_page(PAGE, timeout=90)
    at.selectbox(key="network_model@en").set_value("pretrained:mlp").run()
    assert_no_problems(at)
    assert i18n.t("inside.no_conv") in [i.value for i in at.info]
    assert at.dataframe  # a dense unit's contributions
    kinds = [t.get("mode") for t in chart(at, "network_overview")["data"]]
    assert "markers" in kinds


def odd_model_bytes() -> bytes:
    """A CNN with a layer kind cnnviz does not write out (LayerNormalization), saved as .keras."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.LayerNormalization(),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])  # fmt: skip
    return models.save_bytes(model)


def test_an_uploaded_model_with_an_unknown_layer_shows_it_marked_and_no_traceback():
    at = open_page(PAGE, timeout=90)
    at.selectbox(key="network_model@en").set_value("upload").run()
    at.file_uploader(key="network_model_upload").set_value(
        ("odd.keras", odd_model_bytes(), "application/octet-stream")
    ).run()
    assert_no_problems(at)
    names = at.selectbox(key="network_layer").options
    odd = next(n for n in names if "LayerNormalization" in n)
    at.selectbox(key="network_layer").set_value(odd.split(" · ")[0]).run()
    assert_no_problems(at)
    assert any("LayerNormalization" in w.value for w in at.warning)
    titles = [a["text"] for a in chart(at, "network_overview")["layout"]["annotations"]]
    assert any("#888888" in title for title in titles)  # its column title greyed out


def test_what_a_filter_looks_for_is_made_on_request_beside_the_digits_it_likes():
    at = open_page(PAGE, timeout=120)
    at.button(key="network_maximize").click().run()
    assert_no_problems(at)
    assert at.get("imgs") or at.get("image")
    assert any(i18n.t("inside.search_mnist") in c.value for c in at.caption)
