"""Drawing a digit with the mouse on the Feature maps lesson, in a real browser.

A "1" (one vertical stroke) gives a guess of 1, the steps that make it an MNIST digit and every
layer's maps; the page follows while the pen is still down, a few updates a second, no more;
Clear empties the canvas and the page; a "7" is then read as 7; Undo takes the last stroke away
(the canvas's pixels and the guess are the 7's again); the student's language labels the buttons.
Screenshots at 1280×800 in English and Korean go to test-artifacts/draw-digit-*.png (the best
copies live in assets/screenshots/draw-digit-*.png).
"""

from __future__ import annotations

import re
import time

import numpy as np

from cnnviz.i18n import catalogue
from cnnviz.ui import canvas
from tests.e2e.conftest import ARTIFACTS, wait_idle
from tests.e2e.test_features import CNN_LAYERS, TOP, layer_drawn, layer_headings
from tests.e2e.test_walkthrough import assert_clean, choose_language, open_lesson, widget

PAD = ".st-key-features_draw canvas.pad"
ONE = [[(140, 45), (140, 235)]]
SEVEN = [[(70, 60), (210, 60), (120, 235)]]
CROSS_BAR = [[(100, 150), (180, 150)]]  # what a 7 with a bar has on top: Undo takes it away


def text(lang: str, key: str) -> str:
    return catalogue(lang)[key]


def draw(page, strokes, steps: int = 10, pause_ms: float = 0) -> None:
    """Draw `strokes` (points in the canvas's view units, 0..280) with the mouse."""
    box = page.locator(PAD).bounding_box()

    def on_screen(x: float, y: float) -> tuple[float, float]:
        return box["x"] + x / canvas.VIEW * box["width"], box["y"] + y / canvas.VIEW * box["height"]

    for stroke in strokes:
        page.mouse.move(*on_screen(*stroke[0]))
        page.mouse.down()
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
            for step in range(1, steps + 1):
                f = step / steps
                page.mouse.move(*on_screen(x0 + f * (x1 - x0), y0 + f * (y1 - y0)))
                if pause_ms:
                    page.wait_for_timeout(pause_ms)
        page.mouse.up()


def guess(page, lang: str) -> str | None:
    """The model's top guess as the Grad-CAM heading names it; None while there is none."""
    before, after = (re.escape(part) for part in text(lang, "features.grad_cam").split("{label}"))
    for heading in page.locator('[data-testid="stMarkdownContainer"]').all_inner_texts():
        found = re.search(f"{before}(.+?){after}", heading)
        if found:
            return found.group(1)
    return None


def wait_for_guess(page, lang: str, expected: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (seen := guess(page, lang)) != expected:
        assert time.monotonic() < deadline, f"the guess is {seen!r}, not {expected!r}"
        page.wait_for_timeout(200)
    wait_idle(page)


def pixels(page) -> np.ndarray:
    """What the canvas shows, shrunk to 70 × 70 grey levels (0..255)."""
    values = page.locator(PAD).evaluate(
        """canvas => {
            const small = document.createElement("canvas");
            small.width = small.height = 70;
            const context = small.getContext("2d");
            context.drawImage(canvas, 0, 0, 70, 70);
            const rgba = context.getImageData(0, 0, 70, 70).data;
            return Array.from({length: 70 * 70}, (_, i) => rgba[4 * i]);
        }"""
    )
    return np.array(values, float).reshape(70, 70)


def difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean grey-level difference of two canvases (a stroke drawn piece by piece and the same
    stroke redrawn at once differ by a little antialiasing, never by a stroke)."""
    return float(np.abs(a - b).mean())


def button(page, lang: str, name: str):
    return page.locator(
        f".st-key-features_draw button.{name}", has_text=text(lang, f"canvas.{name}")
    )


def photograph(page, lang: str) -> None:
    """At 1280×800, the source, the canvas and the first steps; then the guesses and Grad-CAM:
    test-artifacts/draw-digit-<lang>[-results]-1280x800.png."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_timeout(800)  # Plotly charts redraw to their new width
    page.locator('[class*="st-key-features_source"]').first.evaluate(
        "e => { e.style.scrollMarginTop = '70px'; e.scrollIntoView({block: 'start'}); }"
    )
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"draw-digit-{lang}-1280x800.png"))
    page.locator(TOP).first.evaluate(
        "e => { e.style.scrollMarginTop = '70px'; e.scrollIntoView({block: 'start'}); }"
    )
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"draw-digit-{lang}-results-1280x800.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_drawing_a_one_and_a_seven_shows_their_guesses_and_every_layer(page, server):
    open_lesson(page, server, "features")
    page.locator(TOP).first.wait_for(timeout=60_000)  # the shipped CNN on a test digit
    widget(page, "features_source").get_by_text(
        text("en", "widgets.source_draw"), exact=True
    ).click()
    wait_idle(page)
    page.locator(PAD).wait_for()
    assert page.locator(TOP).count() == 0  # nothing drawn yet, nothing to guess
    assert button(page, "en", "undo").is_disabled() and button(page, "en", "clear").is_disabled()

    # a "1", drawn slowly: the page follows while the pen is down, at the canvas's pace
    runs_before = page.script_runs.finished
    started = time.monotonic()
    box = page.locator(PAD).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 45 / canvas.VIEW * box["height"])
    page.mouse.down()
    for step in range(1, 31):  # 190 view units in 30 moves, 60 ms apart
        y = 45 + step * 190 / 30
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + y / canvas.VIEW * box["height"])
        page.wait_for_timeout(60)
    page.wait_for_timeout(400)  # the last send while drawing has had time to come back
    runs_while_drawing = page.script_runs.finished - runs_before
    pen_down = time.monotonic() - started
    page.mouse.up()
    assert runs_while_drawing >= 2, runs_while_drawing
    assert runs_while_drawing <= pen_down / (canvas.SEND_EVERY_MS / 1000) + 1, runs_while_drawing
    wait_for_guess(page, "en", "1")
    assert_clean(page)
    assert page.get_by_text(text("en", "features.digit_steps")).count() == 1
    headings = layer_headings(page)
    assert len(headings) == len(CNN_LAYERS), headings
    drawn = [layer_drawn(page, number) for number in range(1, len(CNN_LAYERS) + 1)]
    assert drawn == ["picture"] * 6 + ["chart"], drawn

    # Clear: the canvas is black again and the page waits for a drawing
    button(page, "en", "clear").click()
    page.locator(TOP).wait_for(state="detached", timeout=30_000)
    wait_idle(page)
    assert guess(page, "en") is None
    assert page.get_by_text(text("en", "canvas.help")).count() == 1

    # a "7", then a bar across it, and Undo takes the bar away
    draw(page, SEVEN)
    wait_for_guess(page, "en", "7")
    seven = pixels(page)
    draw(page, CROSS_BAR)
    assert difference(pixels(page), seven) > 3  # the bar: about 2 % of the canvas, white
    wait_idle(page)
    button(page, "en", "undo").click()
    assert difference(pixels(page), seven) < 1
    wait_for_guess(page, "en", "7")
    assert_clean(page)
    photograph(page, "en")

    # in Korean: the same drawing and guess, the buttons in Korean
    choose_language(page, "ko")
    wait_for_guess(page, "ko", "7")
    assert difference(pixels(page), seven) < 1  # the strokes stay when only the labels change
    assert button(page, "ko", "undo").count() == button(page, "ko", "clear").count() == 1
    assert page.locator(PAD).get_attribute("aria-label") == text("ko", "canvas.area")
    assert_clean(page)
    photograph(page, "ko")
