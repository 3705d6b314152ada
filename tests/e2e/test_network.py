"""The "Inside the network" lesson in a real browser: a click on a map in the overview picks it
(Streamlit reports clicks on the overview's markers), Next steps the cell and its numbers follow,
the dense output shows the softmax, and an uploaded photo changes the overview.

Screenshots at 1280×800 and 1920×1080 in English and Korean go to test-artifacts/network-*.png
(the best copies live in assets/screenshots/network-*.png).
"""

from __future__ import annotations

import re

import pytest

from cnnviz.i18n import catalogue
from tests import corpus
from tests.e2e.conftest import screenshot, wait_idle
from tests.e2e.test_walkthrough import assert_clean, open_lesson, pick_option, upload_bytes, widget

OVERVIEW = '[class*="st-key-network_overview"] .js-plotly-plot'
SIZES = [(1280, 800), (1920, 1080)]


def marker_position(page, column: int, unit: int) -> tuple[float, float]:
    """Where on the screen the overview's marker for (column, map or unit) is drawn."""
    return page.evaluate(
        """([selector, column, unit]) => {
            const plot = document.querySelector(selector);
            const trace = plot._fullData.find(t => t.mode === 'markers');
            const i = trace.customdata.findIndex(d => d[0] === column && d[1] === unit);
            const layout = plot._fullLayout, box = plot.getBoundingClientRect();
            return [box.left + layout._size.l + layout.xaxis.l2p(trace.x[i]),
                    box.top + layout._size.t + layout.yaxis.l2p(trace.y[i])];
        }""",
        [OVERVIEW, column, unit],
    )


def overview_input_picture(page) -> str:
    """The input tile's picture in the overview (a PNG data URI)."""
    widget(page, "network_overview")
    page.locator(OVERVIEW).first.wait_for()
    page.wait_for_function(
        "(s) => document.querySelector(s)?._fullLayout?.images?.length", arg=OVERVIEW
    )
    return page.evaluate("(s) => document.querySelector(s)._fullLayout.images[0].source", OVERVIEW)


def cell_sum(page) -> str:
    return page.locator('[data-testid="stCode"]').first.inner_text()


def click_marker(page, column: int, unit: int, then: str) -> None:
    """Click the overview's marker for (column, map or unit) and wait until the text `then`
    shows (the count of script runs is no sign here: a click's run can be folded into another)."""
    widget(page, "network_overview")
    # the whole chart on the screen (Streamlit scrolls its main block, not the window)
    page.evaluate("(s) => document.querySelector(s).scrollIntoView({block: 'center'})", OVERVIEW)
    page.wait_for_timeout(200)
    x, y = marker_position(page, column, unit)
    page.mouse.move(x, y)  # Plotly finds the point under the mouse on a move, then takes a click
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    page.get_by_text(then).first.wait_for(timeout=60_000)
    wait_idle(page)


def test_a_click_on_a_map_picks_it_and_next_steps_its_cell(page, server):
    open_lesson(page, server, "network")
    en = catalogue("en")
    assert page.get_by_text(en["inside.conv_title"].format(name="conv2d_1", unit=0)).count() == 1
    heading = en["inside.conv_title"].format(name="conv2d_3", unit=5)
    click_marker(page, 3, 5, heading)  # conv2d_3 (the input is column 0), map 5
    assert_clean(page)
    before = cell_sum(page)
    widget(page, "network_cell_next").locator("button").click()
    page.get_by_text("Cell (row 5, column 6)").first.wait_for()  # the map is 11×11: centre, next
    wait_idle(page)
    assert cell_sum(page) != before
    said = page.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
    numbers = re.findall(r"[−-]?\d+(?:\.\d+)?", said)
    assert len(numbers) == 2 and numbers[0] == numbers[1]  # computed here, and by the model
    click_marker(page, 7, 3, en["inside.softmax_title"])  # the output layer, class 3
    assert_clean(page)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_an_uploaded_photo_changes_the_overview(page, server, lang):
    open_lesson(page, server, "network", lang)
    before = overview_input_picture(page)
    pick_option(page, "network_source", 2)  # digit, sample, upload, camera
    upload_bytes(page, "digit.jpg", corpus.handwritten_digit_photo(7, seed=2))
    page.wait_for_timeout(500)
    assert overview_input_picture(page) != before
    assert_clean(page)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(800)
        screenshot(page, f"network-{lang}-{width}x{height}")
