"""The "Draw a digit" source through Streamlit's AppTest: it is offered on Feature maps, Rotation
and Inside the network in both languages, shows the canvas and what to do while it is empty, and
a drawing sent as the canvas sends it runs the page (the steps that make it an MNIST digit, the
guesses) as a photo of a digit does. AppTest cannot draw: the drawing is the canvas's state value,
set as the browser sets it.
"""

import pytest

from cnnviz import i18n
from cnnviz.ui import canvas
from tests.pages.conftest import open_page
from tests.test_canvas import ONE, SEVEN, sent

PAGES = {"features": "pages/5_features.py", "rotation": "pages/6_rotation.py",
         "network": "pages/7_network.py"}  # fmt: skip


def choose_drawing(at, key: str, lang: str):
    at.radio(key=f"{key}_source@{lang}").set_value("draw").run()
    return at


def canvases(at) -> list:
    return [e for e in at.get("bidi_component") if e.proto.component_name == "cnnviz_canvas"]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("key", list(PAGES))
def test_the_draw_source_shows_the_canvas_and_what_to_do(key, lang):
    at = open_page(PAGES[key], lang=lang, timeout=120)
    radio = at.radio(key=f"{key}_source@{lang}")
    assert radio.options[-1] == i18n.t("widgets.source_draw", lang)
    choose_drawing(at, key, lang)
    assert not at.exception and not at.error
    assert len(canvases(at)) == 1
    assert i18n.t("canvas.help", lang) in [caption.value for caption in at.caption]
    assert at.info[0].value in (i18n.t("features.choose_input", lang),
                                i18n.t("rotation.choose_input", lang))  # fmt: skip


def draw(at, key: str, drawing: str | None):
    """What canvas.js's setStateValue("drawing", …) does: the canvas's state, then a rerun."""
    at.session_state[f"{key}_draw"] = {"drawing": drawing}
    return at.run()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_drawing_on_feature_maps_is_prepared_as_a_digit_and_read(lang):
    at = choose_drawing(open_page(PAGES["features"], lang=lang, timeout=120), "features", lang)
    draw(at, "features", sent(SEVEN))
    assert not at.exception and not at.error
    assert at.toggle(key="features_as_digit_draw").value  # a drawing looks like a digit
    expanders = [expander.label for expander in at.expander]
    assert i18n.t("features.digit_steps", lang) in expanders
    grad_cam = i18n.t("features.grad_cam", lang, label="7")
    assert any(grad_cam in markdown.value for markdown in at.markdown)
    draw(at, "features", sent(ONE))
    assert any(i18n.t("features.grad_cam", lang, label="1") in m.value for m in at.markdown)
    draw(at, "features", None)  # Clear
    assert not at.exception and at.info[0].value == i18n.t("features.choose_input", lang)


def test_a_drawing_on_rotation_is_read_by_both_models():
    at = choose_drawing(open_page(PAGES["rotation"], timeout=120), "rotation", "en")
    draw(at, "rotation", sent(SEVEN))
    assert not at.exception and not at.error
    assert [metric.value for metric in at.metric] == ["7", "7"]


def test_a_drawing_inside_the_network_runs_the_overview():
    at = choose_drawing(open_page(PAGES["network"], timeout=120), "network", "en")
    draw(at, "network", sent(ONE))
    assert not at.exception and not at.error
    assert at.get("plotly_chart")  # the overview of every layer


def test_what_is_no_drawing_shows_its_message_not_a_traceback():
    at = choose_drawing(open_page(PAGES["features"], timeout=120), "features", "en")
    draw(at, "features", "data:image/png;base64,AAAA")
    assert not at.exception
    assert at.error[0].value == i18n.t("canvas.bad_drawing", side=canvas.SENT_SIDE)
