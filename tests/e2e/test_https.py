"""Cameras for students on the classroom network, in a real browser.

Chromium resolves `classroom.test` to 127.0.0.1 (`--host-resolver-rules`), so the pages are
opened under a name that is not localhost, as a student's browser opens the teacher's address,
while the traffic stays on loopback; its fake camera answers without a prompt.

- over http://classroom.test the camera source says, in the student's language, that the
  browser gives the camera only to secure pages and what to do, and shows no camera;
- over https://classroom.test with the certificate cnnviz.tls makes (the browser told to accept
  it, as a student who went past the warning) the camera shows, takes a photo and the page
  reads it;
- the browser's own answer (`window.isSecureContext`, reported by cnnviz.ui.secure) wins over
  the address: with Chromium told to treat http://classroom.test as secure, the camera shows.
"""

from __future__ import annotations

import pytest

from bench.st_client import serve
from cnnviz import tls
from cnnviz.i18n import catalogue
from tests.e2e.conftest import BROWSER_ARGS, CHROMIUM, screenshot, wait_idle
from tests.e2e.test_walkthrough import assert_clean, choose_language, widget

pytestmark = [pytest.mark.e2e]

CLASSROOM = "classroom.test"
CAMERA = '[data-testid="stCameraInput"]'
CAMERA_ARGS = [
    *BROWSER_ARGS,
    f"--host-resolver-rules=MAP {CLASSROOM} 127.0.0.1",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
]  # fmt: skip


def notice_start(lang: str) -> str:
    """The message's first words as the page shows them (its bold opening, without **)."""
    return catalogue(lang)["secure.camera_needs_https"].split("**")[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return tls.make_certificate(tmp_path_factory.mktemp("tls"), hosts=[CLASSROOM])


@pytest.fixture(scope="module")
def https_server(server, certificate):  # `server` first: it skips without chromium
    with serve(timeout=60, certificate=certificate) as started:
        yield started


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def launch(playwright, *extra: str):
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=[*CAMERA_ARGS, *extra]
    )


def open_camera_source(page, url: str) -> None:
    """Open the Feature maps page at `url` and choose the camera as the picture's source."""
    page.goto(url)
    page.locator("h1").first.wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)
    camera = catalogue("en")["widgets.source_camera"]
    widget(page, "features_source").get_by_text(camera, exact=True).click()
    wait_idle(page)


def test_over_http_the_camera_source_says_why_and_what_to_do_and_shows_no_camera(
    playwright_, server
):
    browser = launch(playwright_)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    try:
        open_camera_source(page, f"http://{CLASSROOM}:{port_of(server)}/features")
        assert page.evaluate("window.isSecureContext") is False
        page.get_by_text(notice_start("en")).wait_for()
        page.wait_for_timeout(1500)  # the browser's answer has come and the page ran again
        wait_idle(page)
        assert page.get_by_text(notice_start("en")).count() == 1
        notice = page.locator('[data-testid="stAlert"]', has_text=notice_start("en"))
        assert "python -m cnnviz.https" in notice.inner_text()
        assert page.locator(CAMERA).count() == 0
        assert_clean(page)
        screenshot(page, "https-camera-over-http")
        choose_language(page, "ko")
        page.get_by_text(notice_start("ko")).wait_for()
        assert page.locator(CAMERA).count() == 0
    finally:
        browser.close()


def test_over_https_with_the_certificate_the_camera_shows_and_takes_a_photo(
    playwright_, https_server
):
    browser = launch(playwright_)
    context = browser.new_context(
        ignore_https_errors=True, viewport={"width": 1400, "height": 1000}
    )  # a student who went past the warning once
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_camera_source(page, f"https://{CLASSROOM}:{port_of(https_server.url)}/features")
        assert page.evaluate("window.isSecureContext") is True
        camera = page.locator(CAMERA)
        camera.wait_for()
        take = camera.get_by_role("button", name="Take Photo")
        take.wait_for()
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stCameraInput] video')]"
            ".some(v => v.readyState >= 2 && v.videoWidth > 0)"
        )  # the fake camera's frames arrive
        assert page.get_by_text(notice_start("en")).count() == 0
        take.click()
        camera.get_by_role("button", name="Clear photo").wait_for()
        # the snapshot went to the server over HTTPS and the page read it
        page.get_by_text(catalogue("en")["features.top_k"]).first.wait_for()
        wait_idle(page)
        assert page.get_by_text(notice_start("en")).count() == 0
        assert_clean(page)
        screenshot(page, "https-camera-over-https")
    finally:
        browser.close()


def test_the_browsers_own_answer_wins_over_the_address(playwright_, server):
    origin = f"http://{CLASSROOM}:{port_of(server)}"
    browser = launch(playwright_, f"--unsafely-treat-insecure-origin-as-secure={origin}")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    try:
        open_camera_source(page, f"{origin}/features")
        assert page.evaluate("window.isSecureContext") is True  # the address says otherwise
        page.locator(CAMERA).wait_for()  # after cnnviz.ui.secure's report came back
        wait_idle(page)
        assert page.get_by_text(notice_start("en")).count() == 0
    finally:
        browser.close()
