"""The Feature maps and Rotation lessons in a real browser: a JPEG upload shows every layer and
the guesses; moving the rotation slider changes what both models read; the teacher's cat on the
digit model is a note, not an error; a photo model (MobileNetV2 with random weights in a
temporary Keras cache) shows the overview, one block at a time, its top five and Grad-CAM.

Screenshots of the last two, at 1280×800 and 1920×1080 in English and Korean, go to
test-artifacts/features-*.png (the best copies live in assets/screenshots/features-*.png).
"""

from __future__ import annotations

import re
import time

import pytest

from bench.st_client import serve
from cnnviz.i18n import catalogue
from tests import corpus
from tests.e2e.conftest import ROOT, screenshot, wait_idle
from tests.e2e.test_walkthrough import (
    ERROR_ALERT,
    assert_clean,
    choose_language,
    open_lesson,
    pick_option,
    select_option,
    upload,
    widget,
)

CNN_LAYERS = ["conv2d_1", "max_pooling2d_2", "conv2d_3", "max_pooling2d_4", "flatten_5",
              "dense_6", "dense_7"]  # fmt: skip
SIZES = [(1280, 800), (1920, 1080)]
CAT = ROOT / "assets" / "samples" / "cat.jpg"
TOP = ".st-key-features_top .js-plotly-plot"
GRAD_CAM = ".st-key-features_grad_cam img"
LAYER_HEADING = re.compile(r"^\d+\. ")
SOURCES_FOR_DIGITS = ["digit", "sample", "upload", "camera"]  # the radio's options, in order


def test_uploading_a_jpeg_shows_every_layer_and_the_guesses(page, server, tmp_path):
    photo = tmp_path / "digit.jpg"
    photo.write_bytes(corpus.handwritten_digit_photo(3, seed=1))
    page.goto(f"{server}/features")
    wait_idle(page)
    page.get_by_text("Upload a photo", exact=True).first.click()
    wait_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(photo))
    page.get_by_text("The model's top guesses").first.wait_for(timeout=60_000)
    wait_idle(page)
    headings = page.locator('[data-testid="stHeading"]').all_inner_texts()
    for number, name in enumerate(CNN_LAYERS, start=1):
        assert any(text.startswith(f"{number}. {name} — ") for text in headings), name
    assert page.get_by_text("How the photo becomes an MNIST digit").count() == 1
    drawn = [layer_drawn(page, number) for number in range(1, len(CNN_LAYERS) + 1)]
    assert drawn == ["picture"] * 6 + ["chart"], drawn  # the 10 output units are bars
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "features-upload")


def layer_drawn(page, number: int) -> str:
    """How the page drew layer `number`: "picture" (an image the browser has decoded),
    "chart" (Plotly bars) or "nothing"."""
    return page.evaluate(
        """(key) => {
            const box = document.querySelector('.st-key-' + key);
            const img = box && box.querySelector('img');
            if (img && img.complete && img.naturalWidth > 0) return 'picture';
            return box && box.querySelector('.js-plotly-plot') ? 'chart' : 'nothing';
        }""",
        f"features_layer_{number}",
    )


def readings(page) -> list[str]:
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    sure = page.get_by_text("Probability ").all_inner_texts()
    return [f"{value} {p}" for value, p in zip(values, sure, strict=True)]


def test_turning_the_digit_changes_both_readings(page, server):
    page.goto(f"{server}/rotation")
    wait_idle(page)
    page.get_by_text("Test accuracy against rotation").first.wait_for(timeout=60_000)
    before = readings(page)
    assert len(before) == 2
    slider = page.locator('[data-testid="stSlider"]').first.get_by_role("slider")
    slider.focus()
    for _ in range(18):  # 18 steps of 5°: the digit lies on its side
        slider.press("ArrowRight")
    wait_idle(page)
    page.wait_for_timeout(500)
    wait_idle(page)
    after = readings(page)
    assert len(after) == 2
    assert before[0] != after[0] and before[1] != after[1]
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "rotation-turned")


# ---- a photo on the digit model, and a photo model ------------------------------------------
def text(lang: str, key: str) -> str:
    """The catalogue text `key` in `lang`, up to its first placeholder."""
    return catalogue(lang)[key].split("{")[0].strip()


def count_fragment_runs(page) -> None:
    """Count the fragment runs (a slider or the block selectbox) the page sees, in
    `page.fragment_runs`; conftest's `page.script_runs` counts whole-page runs only.
    Call before the page opens its websocket."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    page.fragment_runs = 0
    fragment_run = ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY

    def on_frame(payload) -> None:
        if not isinstance(payload, bytes):
            return
        msg = ForwardMsg()
        msg.ParseFromString(payload)
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished == fragment_run:
            page.fragment_runs += 1

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))


def after_a_fragment_run(page, action, timeout: float = 120_000) -> None:
    """Do `action` (a widget inside the page's fragment) and wait until its fragment run ends."""
    before = page.fragment_runs
    action()
    deadline = time.monotonic() + timeout / 1000
    while page.fragment_runs <= before:
        assert time.monotonic() < deadline, "no fragment run finished after the action"
        page.wait_for_timeout(50)
    wait_idle(page, timeout=timeout)


def layer_headings(page) -> list[str]:
    headings = page.locator('[data-testid="stMain"] [data-testid="stHeading"]').all_inner_texts()
    return [heading for heading in headings if LAYER_HEADING.match(heading)]


def assert_no_error(page) -> None:
    assert_clean(page)
    errors = page.locator(ERROR_ALERT)
    assert errors.count() == 0, errors.first.inner_text()


def photograph(page, name: str, anchors: dict) -> None:
    """Screenshots at each size in SIZES of the page from the top and scrolled to each anchor
    ({suffix: locator}): test-artifacts/<name>-<suffix>-<width>x<height>.png."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(800)  # Plotly charts redraw to their new width
        for suffix, anchor in {"top": page.locator("h1"), **anchors}.items():
            # below Streamlit's sticky header, which is about 60 px high
            anchor.first.evaluate(
                "e => { e.style.scrollMarginTop = '70px'; e.scrollIntoView({block: 'start'}); }"
            )
            page.wait_for_timeout(300)
            screenshot(page, f"{name}-{suffix}-{width}x{height}")
    page.set_viewport_size({"width": 1400, "height": 1000})


def section(page, lang: str, key: str):
    return page.locator("h2", has_text=text(lang, key))


def test_the_cat_on_the_digit_model_shows_every_layer_and_a_note(page, server):
    """A photo that is no digit, on the default model: every layer and the guesses, the note
    that the model knows only digits with its one-click switch, and no error."""
    for lang in ("en", "ko"):
        if lang == "en":
            open_lesson(page, server, "features")
            page.locator(TOP).first.wait_for(timeout=60_000)  # the shipped CNN on a test digit
            pick_option(page, "features_source", SOURCES_FOR_DIGITS.index("upload"))
            upload(page, CAT)
        else:
            choose_language(page, lang)
        page.locator(TOP).first.wait_for(timeout=60_000)
        assert_no_error(page)
        main = page.locator('[data-testid="stMain"]')
        assert main.get_by_text(text(lang, "features.digits_only")[:40]).count() == 1
        assert main.get_by_role("button", name=text(lang, "features.use_photo_model")).count() == 1
        headings = layer_headings(page)
        assert len(headings) == len(CNN_LAYERS), headings
        for number, (heading, name) in enumerate(zip(headings, CNN_LAYERS, strict=True), 1):
            assert heading.startswith(f"{number}. {name} — "), heading
        assert page.locator(f"{TOP} g.point").count() == 5
        assert page.locator(GRAD_CAM).count() == 1
        anchors = {"results": page.locator(".st-key-features_angle"),
                   "layers": section(page, lang, "features.layers_title")}  # fmt: skip
        photograph(page, f"features-cat-on-digits-{lang}", anchors)


@pytest.fixture(scope="module")
def photo_server(tmp_path_factory):
    """A server whose Keras cache holds MobileNetV2 weights (random, in ImageNet's file layout),
    and the number of convolution layers the model has."""
    import keras

    from cnnviz import applications
    from cnnviz.ui.feature_maps import CONV_KINDS
    from tests.imagenet_weights import save_imagenet_style_weights

    home = tmp_path_factory.mktemp("keras-home")
    keras.utils.set_random_seed(0)
    model = applications.build("mobilenet_v2", weights=None)
    spec = applications.PHOTO_MODELS["mobilenet_v2"]
    save_imagenet_style_weights(model, home / "models" / spec.weights_file)
    convs = sum(type(layer).__name__ in CONV_KINDS for layer in model.layers)
    with serve(env={"KERAS_HOME": str(home)}, timeout=60) as started:
        yield started.url, convs


def test_the_cat_on_a_photo_model_shows_the_overview_top_five_and_grad_cam(page, photo_server):
    """The sample cat on the digit model, then the one-click switch to MobileNetV2: the overview
    of every convolution, one block drawn at a time, five guesses and Grad-CAM; another block
    draws other layers."""
    server, convs = photo_server
    count_fragment_runs(page)
    open_lesson(page, server, "features")
    page.locator(TOP).first.wait_for(timeout=60_000)
    pick_option(page, "features_source", SOURCES_FOR_DIGITS.index("sample"))
    select_option(page, "features_sample", ["astronaut", "cat", "coffee", "rocket"].index("cat"))
    switch = widget(page, "features_use_photo_model").locator("button")
    switch.click()
    page.locator(GRAD_CAM).first.wait_for(timeout=180_000)  # the model is built and warmed up
    wait_idle(page, timeout=120_000)
    for lang in ("en", "ko"):
        if lang == "ko":
            choose_language(page, lang)
            page.locator(GRAD_CAM).first.wait_for(timeout=120_000)
        assert_no_error(page)
        main = page.locator('[data-testid="stMain"]')
        assert main.get_by_text(text(lang, "features.digits_only")[:40]).count() == 0
        assert main.get_by_text(text(lang, "features.overview_title"), exact=True).count() == 1
        captions = main.get_by_text(re.compile(r" · \d+×\d+×\d+$"))
        assert captions.count() == convs, captions.all_inner_texts()[:3]
        assert main.get_by_text(text(lang, "features.top_k")).count() >= 1
        assert page.locator(f"{TOP} g.point").count() == 5
        assert page.locator(GRAD_CAM).count() == 1
        assert page.locator(".st-key-features_block").count() == 1
        assert layer_headings(page), "the first block draws no layer"
        anchors = {"results": page.locator(".st-key-features_angle"),
                   "layers": section(page, lang, "features.layers_title"),
                   "block": page.locator(".st-key-features_block")}  # fmt: skip
        photograph(page, f"features-photo-model-{lang}", anchors)

    first = layer_headings(page)
    block = widget(page, "features_block").locator('[data-testid="stSelectbox"]')
    after_a_fragment_run(
        page, lambda: (block.click(), page.locator('[role="option"]').nth(2).click())
    )
    assert_no_error(page)
    third = layer_headings(page)
    assert third and not set(third) & set(first), (first, third)
    assert page.locator(f"{TOP} g.point").count() == 5
