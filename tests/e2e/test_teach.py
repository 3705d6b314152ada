"""Teach your own classes in Chromium with its fake camera, end to end: name two classes, take
several pictures of each with the camera, train, and watch the live prediction update from the
camera by itself.

Chromium's own fake camera (`--use-fake-device-for-media-stream`, no video file) films a test
pattern whose frames differ only in a moving timestamp, so the two classes are told apart poorly:
the test asks that the flow runs, not that the model is right. The permission is granted without
a prompt (`--use-fake-ui-for-media-stream`); 127.0.0.1 is a secure context, so the page shows the
camera. A screenshot goes to test-artifacts/teach-live.png.
"""

from __future__ import annotations

import pytest

from cnnviz import teach
from cnnviz.i18n import t
from tests.e2e.conftest import BROWSER_ARGS, CHROMIUM, new_page, screenshot, wait_idle
from tests.e2e.test_live import shown_frames
from tests.e2e.test_walkthrough import after_a_run, assert_clean, open_lesson, widget

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CAMERA = '[data-testid="stCameraInput"]'
LIVE = ".cnnviz-live"
PICTURES_EACH = teach.MIN_PICTURES + 1
NAMES = ("Near", "Far")


@pytest.fixture(scope="module")
def camera_browser(playwright_):
    """Chromium with its built-in fake camera, answering without a permission prompt."""
    browser = playwright_.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *BROWSER_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture
def camera_page(camera_browser, server):
    page = new_page(camera_browser)  # counts its script runs, for after_a_run
    yield page
    page.context.close()


def name_class(page, index: int, name: str) -> None:
    box = widget(page, f"teach_name_{index}").locator("input")
    box.fill(name)
    after_a_run(page, lambda: box.press("Enter"))


def take_picture(page) -> None:
    """Click the camera's Take Photo once its video plays; the page keeps the picture and shows a
    new camera for the next one."""
    camera = page.locator(CAMERA).first
    take = camera.get_by_role("button", name="Take Photo")
    take.wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stCameraInput] video')]"
        ".some(v => v.readyState >= 2 && v.videoWidth > 0)"
    )  # the fake camera's frames arrive
    after_a_run(page, take.click)


def count_text(page, index: int) -> str:
    return page.locator(f".st-key-teach_class_{index}").inner_text()


def test_name_two_classes_take_pictures_train_and_see_the_live_prediction(camera_page, server):
    page = camera_page
    open_lesson(page, server, "teach")
    assert page.locator("h1").first.inner_text() == t("teach.title")
    for index, name in enumerate(NAMES):
        name_class(page, index, name)

    for index, name in enumerate(NAMES):
        if index > 0:  # the first class is chosen already
            option = widget(page, "teach_target").get_by_text(name, exact=True)
            after_a_run(page, option.click)
        for _ in range(PICTURES_EACH):
            take_picture(page)
        expected = t("teach.count", count=PICTURES_EACH, minimum=teach.MIN_PICTURES)
        assert expected in count_text(page, index)
        assert page.locator(f".st-key-teach_class_{index} img").count() == PICTURES_EACH
    assert_clean(page)

    page.locator(".st-key-teach_start button").click()
    page.get_by_text(t("teach.test_accuracy")).wait_for(timeout=300_000)
    wait_idle(page)
    assert_clean(page)

    # live video is the first way to try it: the bars follow the camera without a click
    page.locator(f"{LIVE}[data-state='live']").wait_for(timeout=60_000)
    bars = page.locator('.st-key-teach_predict_live_top [data-testid="stProgress"]')
    bars.first.wait_for(timeout=60_000)
    frames = shown_frames(page, 4.0)
    assert len(frames) >= 3, frames
    assert frames == sorted(frames)
    labels = sorted(text.split(" · ")[0] for text in bars.all_inner_texts())
    assert labels == sorted(NAMES)  # one bar per class, whichever wins
    assert_clean(page)
    page.locator(LIVE).evaluate("element => element.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    screenshot(page, "teach-live")

    # the pictures go home as a zip of class folders
    with page.expect_download() as download:
        page.locator(".st-key-teach_download_pictures button").click()
    assert download.value.suggested_filename == "pictures.zip"
