"""Live video on the Feature maps page through AppTest: choosing it shows the camera element with
its labels in the student's language; a frame (as live.js sends it) is answered with the model's
guesses, the first convolution's maps and its id, so the browser sends the next one; a refused
frame shows its message and is acknowledged too. The browser's side is tests/e2e/test_live.py."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from cnnviz import i18n, live, models, tiles
from cnnviz.ui import live as live_ui
from cnnviz.ui.chosen import describe
from tests import corpus
from tests.pages.conftest import media_picture, open_page

PAGE = "pages/5_features.py"


def digit_frame(digit: int, seed: int = 0, size: int = 96) -> str:
    """A photographed handwritten digit as live.js sends it: a JPEG data URL, size × size."""
    photo = Image.open(io.BytesIO(corpus.handwritten_digit_photo(digit, seed=seed, size=size)))
    buffer = io.BytesIO()
    photo.convert("RGB").save(buffer, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def live_page(lang: str = "en"):
    at = open_page(PAGE, lang=lang, timeout=60)
    at.radio(key=f"features_source@{lang}").set_value("live").run()
    return at


def camera_element(at):
    """The live camera element (a components v2 element) and the data Python gave it."""
    found = [e for e in at.get("bidi_component") if e.proto.component_name == "cnnviz_live_camera"]
    assert len(found) == 1, f"{len(found)} camera elements"
    proto = found[0].proto
    return proto, json.loads(proto.mixed.json if proto.HasField("mixed") else proto.json)


def container_picture(at, key: str) -> np.ndarray:
    blocks = [at._tree[0]]
    while blocks:
        block = blocks.pop()
        if getattr(block.proto, "id", "").endswith(f"-{key}"):
            images = [c for c in block.children.values() if type(c).__name__ == "Image"]
            assert len(images) == 1, f"{key}: {len(images)} images"
            return media_picture(images[0].proto.imgs[0].url)
        blocks.extend(c for c in block.children.values() if hasattr(c, "children"))
    raise AssertionError(f"no picture {key}")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_choosing_live_video_shows_the_camera_element_in_each_language(lang):
    at = live_page(lang)
    assert not at.exception and not at.error
    options = at.radio(key=f"features_source@{lang}").options
    assert i18n.t("widgets.source_live", lang) in options
    proto, data = camera_element(at)
    assert "getUserMedia" in proto.js_content and "<video" in proto.html_content
    names = ["pause", "resume", "live", "paused", "starting", "insecure", "denied", "no_camera"]
    assert data["labels"] == {name: i18n.t(f"live.{name}", lang) for name in names}
    assert data["ack"] == 0  # nothing received yet
    assert (data["width"], data["height"]) == live.frame_size((28, 28, 1)) == (96, 96)
    captions = [c.value for c in at.caption]
    assert i18n.t("live.waiting", lang) in captions
    assert i18n.t("live.help", lang, width=96, height=96) in captions
    assert not at.subheader and not at.info  # the rest of the page waits, without a word


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_frame_is_answered_with_guesses_maps_and_its_id(lang):
    at = live_page(lang)
    at.session_state["features_live_frame"] = {"id": 7, "image": digit_frame(3, seed=1)}
    at.run()
    assert not at.exception and not at.error
    _, data = camera_element(at)
    assert data["ack"] == 7  # the browser may send its next frame
    bars = [p.proto.text for p in at.get("progress")]
    assert len(bars) == 5 and bars[0].startswith("3 · ")  # read as a three, likeliest first
    before_ms = i18n.t("live.frame", lang, number=7, ms="{ms}").split("{ms}")[0]
    assert any(c.value.startswith(before_ms) for c in at.caption)  # "Frame 7 · 31 ms …"
    seen = container_picture(at, "features_live_seen")
    assert seen.shape == (28, 28) and seen.max() > 200 and seen[0].max() < 50  # white on black
    maps = container_picture(at, "features_live_maps")
    assert maps.shape == tiles.tile(np.zeros((26, 26, 32))).shape  # conv2d_1's 32 maps


def test_the_next_frame_replaces_the_answer_and_the_toggle_reads_it_as_a_photo():
    at = live_page()
    at.session_state["features_live_frame"] = {"id": 1, "image": digit_frame(7, seed=2)}
    at.run()
    assert [p.proto.text for p in at.get("progress")][0].startswith("7 · ")
    at.toggle(key="features_live_as_digit").set_value(False)
    at.session_state["features_live_frame"] = {"id": 2, "image": digit_frame(7, seed=2)}
    at.run()
    assert not at.exception and not at.error
    assert camera_element(at)[1]["ack"] == 2
    seen = container_picture(at, "features_live_seen")
    assert seen[0].mean() > 120  # the paper as it is: light, not MNIST's black


def test_a_refused_frame_shows_its_message_and_is_still_acknowledged():
    at = live_page("ko")
    gif = "data:image/gif;base64," + base64.b64encode(b"GIF89a" + bytes(30)).decode()
    at.session_state["features_live_frame"] = {"id": 4, "image": gif}
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [i18n.t("live.frame_format", "ko", format="image/gif")]
    assert camera_element(at)[1]["ack"] == 4


def test_an_mlp_answers_with_its_guesses_and_no_maps():
    chosen = describe(models.load_pretrained("mlp"), "pretrained", "MLP")
    frame = live.parse_frame({"id": 3, "image": digit_frame(1, seed=4)})
    answer = live_ui.answer(chosen, frame, "digit")
    assert answer.maps is None and answer.count == 0 and answer.frame == 3
    assert len(answer.top) == 5 and answer.seen.shape == (28, 28)
    probabilities = [p for _, p in answer.top]  # the five likeliest of ten, likeliest first
    assert probabilities == sorted(probabilities, reverse=True) and 0 <= probabilities[-1] <= 1
