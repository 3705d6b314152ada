"""A student walks every lesson in English and in Korean, in a real browser.

On every page: no Streamlit exception element, ever. The convolution step-through moves; photos
upload on the convolution and feature-map pages; a small model trains with growing curves and
stops on request; the rotation slider changes the predictions. Each page is photographed into
test-artifacts/ (the best copies live in assets/screenshots/walkthrough-*.png).

The helpers here (`open_lesson`, `key`, `upload`, ...) are shared by the other browser tests.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from cnnviz.i18n import catalogue
from cnnviz.kernels import KERNELS
from tests.e2e.conftest import ROOT, screenshot, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LANGS = ["en", "ko"]
SAMPLES = sorted((ROOT / "assets" / "samples").glob("*.jpg"))
EXCEPTION = '[data-testid="stException"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'
IMAGE = '[data-testid="stImage"]'
PLOT = '[data-testid="stPlotlyChart"]'
RADIO_OPTION = '[data-testid="stRadioOption"]'


# ---- helpers shared by the browser tests --------------------------------------------------
def key(name: str) -> str:
    """The element container of the widget with Streamlit key `name` (or `name@<lang>`)."""
    return f'.st-key-{name}, [class*="st-key-{name}-"]'


def assert_clean(page) -> None:
    """No traceback and no "Page not found" anywhere on the page."""
    exceptions = page.locator(EXCEPTION)
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert page.get_by_text("Page not found").count() == 0


def choose_language(page, lang: str) -> None:
    """Pick the language in the sidebar switch (English is the first option, Korean the second)."""
    pick_option(page, "_lang_choice", LANGS.index(lang))


def open_lesson(page, server: str, url_path: str, lang: str = "en") -> None:
    """Open a lesson by its URL in `lang`, waiting until the script is idle, and check it."""
    page.goto(f"{server}/{url_path}")
    page.locator("h1").first.wait_for(timeout=120_000)  # a first visit may load Keras first
    wait_idle(page, timeout=120_000)
    if lang != "en":
        choose_language(page, lang)
    page.wait_for_timeout(300)
    assert_clean(page)
    assert page.locator("h1").count() >= 1


def is_placeholder(page) -> bool:
    """A lesson that has not landed yet: a title and nothing else to use."""
    main = page.locator('[data-testid="stMain"]')
    return main.locator('[data-testid="stElementContainer"]').count() <= 2


def pick_option(page, widget_key: str, index: int) -> None:
    """Click the `index`-th option of a radio (language-independent)."""
    widget(page, widget_key).locator(RADIO_OPTION).nth(index).click()
    wait_idle(page)


def widget(page, widget_key: str):
    """The widget's container, scrolled into view (Streamlit draws some widgets, like sliders,
    only once they are on screen: a skeleton stands in until then)."""
    container = page.locator(key(widget_key)).first
    for attempt in range(5):  # a rerun may replace the element while it is being scrolled to
        try:
            container.scroll_into_view_if_needed()
            break
        except PlaywrightError as error:
            if "not attached" not in str(error) or attempt == 4:
                raise
    container.locator('[data-testid="stSkeleton"]').wait_for(state="detached", timeout=30_000)
    return container


def select_option(page, widget_key: str, index: int) -> None:
    """Choose the `index`-th option of a selectbox (language-independent)."""
    widget(page, widget_key).locator('[data-testid="stSelectbox"]').click()
    after_a_run(page, lambda: page.locator('[role="option"]').nth(index).click())


def slider_thumb(page, widget_key: str):
    return widget(page, widget_key).locator('input[type="range"]').first


def slider_value(page, widget_key: str) -> float:
    return float(slider_thumb(page, widget_key).input_value())


def nudge_slider(page, widget_key: str, presses: int = 1) -> None:
    """Move a slider by keyboard, as a student with arrow keys would."""
    thumb = slider_thumb(page, widget_key)
    thumb.focus()
    for _ in range(abs(presses)):
        thumb.press("ArrowRight" if presses > 0 else "ArrowLeft")
    wait_idle(page)


def after_a_run(page, action, timeout: float = 60_000) -> None:
    """Do `action` and wait until a script run it caused has finished (not just any idle moment:
    an upload reaches the server only after the browser has sent the file)."""
    before = page.script_runs.finished
    action()
    deadline = time.monotonic() + timeout / 1000
    while page.script_runs.finished <= before:  # frames are counted while Playwright waits
        assert time.monotonic() < deadline, "no script run finished after the action"
        page.wait_for_timeout(50)
    wait_idle(page, timeout=timeout)


def upload(page, path: Path | str, within: str = "", runs: bool = True) -> None:
    """Put a file into the (first) file uploader, as dropping it on the widget does, and wait
    until the script has run on it (`runs=False`: a file Streamlit refuses before any run)."""
    scope = page.locator(within).first if within else page
    uploader = scope.locator('[data-testid="stFileUploader"]').first
    choose = lambda: uploader.locator('input[type="file"]').set_input_files(str(path))  # noqa: E731
    if runs:
        after_a_run(page, choose)
    else:
        choose()
        name = Path(path).name
        uploader.locator(f'[data-testid="stFileChipName"][title="{name}"]').wait_for()
        wait_idle(page)


def upload_bytes(page, name: str, data: bytes, within: str = "", runs: bool = True) -> None:
    """Upload bytes under a file name (through a temporary file)."""
    folder = Path(tempfile.mkdtemp(prefix="cnnviz-upload-"))
    path = folder / name
    path.write_bytes(data)
    upload(page, path, within, runs)


def sample_photo() -> Path:
    """A photo shipped in assets/samples (a generated JPEG if none is there)."""
    if SAMPLES:
        return SAMPLES[0]
    from tests.corpus import jpeg

    path = Path(tempfile.mkdtemp(prefix="cnnviz-photo-")) / "photo.jpg"
    path.write_bytes(jpeg(320, 240))
    return path


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def hangul_share(text: str) -> float:
    letters = re.findall(r"[A-Za-z\uac00-\ud7a3]", text)
    return sum("\uac00" <= c <= "\ud7a3" for c in letters) / max(1, len(letters))


def assert_language(page, lang: str) -> None:
    """The main text is in the chosen language (Korean pages are mostly Hangul)."""
    share = hangul_share(main_text(page))
    assert share > 0.3 if lang == "ko" else share < 0.05, f"{lang}: {share:.0%} Hangul"


# ---- the walk -----------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_home_introduces_every_lesson(page, server, lang):
    open_lesson(page, server, "", lang)  # the home page lives at the app's root URL
    assert_language(page, lang)
    screenshot(page, f"walkthrough-home-{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_convolution_steps_forward_and_filters_an_uploaded_photo(page, server, lang):
    open_lesson(page, server, "convolution", lang)
    assert_language(page, lang)
    first = slider_value(page, "conv_step")
    widget(page, "conv_next").locator("button").click()
    wait_idle(page)
    assert slider_value(page, "conv_step") == first + 1
    widget(page, "conv_next").locator("button").click()
    wait_idle(page)
    assert slider_value(page, "conv_step") == first + 2
    screenshot(page, f"walkthrough-convolution-{lang}")

    pick_option(page, "conv_source", 2)  # a photo of one's own
    upload(page, sample_photo())
    select_option(page, "conv_kernel", list(KERNELS).index("sobel_x"))
    assert_clean(page)
    assert page.locator(ERROR_ALERT).count() == 0
    images = page.locator('[data-testid="stMain"]').locator(IMAGE)
    images.nth(1).wait_for(timeout=30_000)
    assert images.count() >= 2  # the photo and its filtered version
    screenshot(page, f"walkthrough-convolution-photo-{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_padding_output_size_follows_the_stride(page, server, lang):
    open_lesson(page, server, "padding", lang)
    assert_language(page, lang)
    metric = page.locator('[data-testid="stMetricValue"]').first
    before = metric.inner_text()
    widget(page, "pad_stride").locator('[data-testid="stNumberInputStepUp"]').click()
    wait_idle(page)
    assert_clean(page)
    assert metric.inner_text() != before
    screenshot(page, f"walkthrough-padding-{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_pooling_steps_forward(page, server, lang):
    open_lesson(page, server, "pooling", lang)
    assert_language(page, lang)
    first = slider_value(page, "pool_step")
    widget(page, "pool_next").locator("button").click()
    wait_idle(page)
    assert slider_value(page, "pool_step") == first + 1
    assert_clean(page)
    screenshot(page, f"walkthrough-pooling-{lang}")


CURVE_POINTS = (
    """el => (el.data || []).reduce((n, trace) => n + (trace.x ? trace.x.length : 0), 0)"""
)


def curve_points(page, chart_key: str) -> int:
    """How many points the Plotly chart with this key draws (0 while it is not there)."""
    chart = page.locator(f".st-key-{chart_key} .js-plotly-plot").first
    if not chart.count():
        return 0
    return chart.evaluate(CURVE_POINTS)


@pytest.mark.parametrize("lang", LANGS)
def test_train_page_trains_with_growing_curves_and_stops(page, server, lang):
    open_lesson(page, server, "train", lang)
    assert_language(page, lang)
    select_option(page, "train_images", 2)  # 1,000 training images: a quick demo
    epochs = widget(page, "train_quick_epochs").locator("input")
    # long enough to be still training when Stop is pressed (1,000 images take well under a
    # second an epoch in a training process)
    after_a_run(page, lambda: (epochs.fill("200"), epochs.press("Enter")))
    screenshot(page, f"walkthrough-train-settings-{lang}")
    widget(page, "train_start").locator("button").click()

    page.locator(".st-key-train_live_chart .js-plotly-plot").first.wait_for(timeout=120_000)
    seen = [curve_points(page, "train_live_chart")]
    for _ in range(60):  # bounded: the curves must grow twice while the model trains
        page.wait_for_timeout(500)
        seen.append(curve_points(page, "train_live_chart"))
        if len(set(seen)) >= 3 and seen[-1] > seen[0]:
            break
    assert len(set(seen)) >= 3 and seen[-1] > seen[0], seen
    assert_clean(page)
    widget(page, "train_live_chart")
    screenshot(page, f"walkthrough-train-live-{lang}")

    widget(page, "train_stop").locator("button").click()
    page.locator(".st-key-train_result_chart .js-plotly-plot").first.wait_for(timeout=120_000)
    wait_idle(page)
    assert_clean(page)
    stopped = catalogue(lang)["train.stopped"].split("{")[0].strip()
    assert stopped in " ".join(main_text(page).split())
    assert page.locator(".st-key-train_live_chart").count() == 0
    screenshot(page, f"walkthrough-train-result-{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_feature_maps_of_an_uploaded_photo(page, server, lang):
    open_lesson(page, server, "features", lang)
    assert_language(page, lang)
    top = ".st-key-features_top .js-plotly-plot"
    page.locator(top).first.wait_for(timeout=60_000)  # the shipped CNN on a test digit
    pick_option(page, "features_source", 2)  # an upload
    from tests.corpus import handwritten_digit_photo

    upload_bytes(page, "digit.jpg", handwritten_digit_photo(7, seed=3))
    assert_clean(page)
    assert page.locator(ERROR_ALERT).count() == 0, page.locator(ERROR_ALERT).first.inner_text()
    page.locator(top).first.wait_for(timeout=60_000)
    layers = page.locator('[class*="st-key-features_layer_"]')
    assert layers.count() >= 4  # every layer of the CNN has its own section
    screenshot(page, f"walkthrough-features-{lang}")
    widget(page, "features_top")
    screenshot(page, f"walkthrough-features-predictions-{lang}")


def readings(page) -> list[str]:
    """What each model says on the Rotation page (its metric and how sure it is)."""
    main = page.locator('[data-testid="stMain"]')
    values = main.locator('[data-testid="stMetricValue"]')
    bars = main.locator('[data-testid="stProgress"]')
    return [values.nth(i).inner_text() for i in range(values.count())] + [
        bars.nth(i).inner_text() for i in range(bars.count())
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_rotation_slider_changes_the_predictions(page, server, lang):
    open_lesson(page, server, "rotation", lang)
    assert_language(page, lang)
    # a first visit loads both models: wait for the second model's reading, not only for the title
    page.locator('[data-testid="stMain"] [data-testid="stMetricValue"]').nth(1).wait_for(
        timeout=120_000
    )
    wait_idle(page)
    before = readings(page)
    assert len(before) >= 4, before  # two models: a digit and a probability each
    thumb = slider_thumb(page, "rotation_angle")
    after_a_run(page, lambda: (thumb.focus(), thumb.press("End")))  # turn the digit upside down
    assert slider_value(page, "rotation_angle") == 180
    assert_clean(page)
    after = readings(page)
    assert after != before, after
    page.locator("h1").first.scroll_into_view_if_needed()
    screenshot(page, f"walkthrough-rotation-{lang}")
    widget(page, "rotation_curve_angle").locator(".js-plotly-plot").wait_for(timeout=120_000)
    screenshot(page, f"walkthrough-rotation-curves-{lang}")
