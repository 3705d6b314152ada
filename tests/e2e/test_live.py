"""Live video on the Feature maps page in Chromium with its fake camera
(`--use-fake-device-for-media-stream --use-fake-ui-for-media-stream`, the permission granted
without a prompt) filming a handwritten 3 (a Y4M video made here, the digit moving a little).
Over http://localhost (a secure context) the guesses update several times a second without a
click and read the 3; Pause stops them, Resume starts them again. Over http://classroom.test
(mapped to 127.0.0.1, so the traffic stays on loopback, but not a secure context) the page says
why there is no camera (cnnviz.ui.secure) and shows none.

A screenshot of the live view at 1280×800 goes to test-artifacts/live-features.png (the copy
kept for the README is assets/screenshots/live-features.png).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import numpy as np
import pytest

from cnnviz.i18n import t
from tests import corpus
from tests.e2e.conftest import BROWSER_ARGS, CHROMIUM, screenshot, wait_idle
from tests.e2e.test_walkthrough import assert_clean, choose_language

LIVE = ".cnnviz-live"  # the element's root, inside its shadow DOM (Playwright looks inside)
FRAME_CAPTION = re.compile(r"^(Frame|프레임) (\d+) · ")


def digit_video(path: Path, digit: int = 3, frames: int = 24) -> Path:
    """A Y4M video (640 × 480, what Chromium's fake camera plays in a loop) of a handwritten digit
    on paper held a little unsteadily: each frame shifted by a pixel or two, so no two frames are
    the same picture."""
    photo = cv2.imdecode(np.frombuffer(corpus.handwritten_digit_photo(digit, seed=5), np.uint8),
                         cv2.IMREAD_COLOR)  # fmt: skip
    paper = int(np.median(photo))
    with open(path, "wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for i in range(frames):
            frame = np.full((480, 640, 3), paper, np.uint8)
            dx, dy = round(3 * np.sin(i / 3)), round(2 * np.cos(i / 4))
            frame[:, 80 + dx : 560 + dx] = np.roll(photo, dy, axis=0)
            video.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


@pytest.fixture(scope="module")
def camera_browser(tmp_path_factory, playwright_):
    """Chromium with a fake camera that films a handwritten 3 and needs no permission prompt;
    classroom.test resolves to 127.0.0.1, as a teacher's address would for a student, without
    leaving this machine."""
    video = digit_video(tmp_path_factory.mktemp("camera") / "three.y4m", 3)

    browser = playwright_.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *BROWSER_ARGS,
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
            "--host-resolver-rules=MAP classroom.test 127.0.0.1",
        ],
    )  # fmt: skip
    yield browser
    browser.close()


@pytest.fixture
def camera_page(camera_browser, server):
    context = camera_browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def on_host(server: str, host: str) -> str:
    return f"http://{host}:{urlsplit(server).port}"


def open_live(page, base: str, lang: str = "en") -> None:
    """Open Feature maps (the shipped MNIST CNN) and choose the live video source."""
    page.goto(f"{base}/features")
    page.locator("h1").first.wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)
    if lang != "en":
        choose_language(page, lang)
    page.get_by_text(t("widgets.source_live", lang), exact=True).first.click()
    page.locator(LIVE).wait_for(timeout=60_000)


def shown_frames(page, seconds: float) -> list[int]:
    """The frame numbers the live view showed, in order, watched for `seconds`."""
    seen: list[int] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for text in page.locator('[data-testid="stCaptionContainer"]').all_inner_texts():
            match = FRAME_CAPTION.match(text.strip())
            if match and (not seen or seen[-1] != int(match.group(2))):
                seen.append(int(match.group(2)))
        page.wait_for_timeout(40)
    return seen


def top_guesses(page) -> list[str]:
    return page.locator('.st-key-features_live_top [data-testid="stProgress"]').all_inner_texts()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_live_video_updates_by_itself_pauses_and_resumes(camera_page, server, lang):
    page = camera_page
    open_live(page, on_host(server, "localhost"), lang)
    page.locator(f"{LIVE}[data-state='live']").wait_for(timeout=30_000)
    page.locator(".st-key-features_live_maps img").wait_for(timeout=30_000)
    button = page.locator(f"{LIVE} button")
    assert button.inner_text() == t("live.pause", lang)

    frames = shown_frames(page, 3.0)
    assert len(frames) >= 5, f"{len(frames)} updates in 3 s: {frames}"  # no click in between
    assert frames == sorted(frames)  # never an older frame after a newer one
    guesses = top_guesses(page)
    assert len(guesses) == 5 and guesses[0].startswith("3 · "), guesses  # the camera films a 3
    assert_clean(page)
    if lang == "en":
        page.locator(LIVE).evaluate(
            "element => element.scrollIntoView({block: 'start'})"
        )  # the live view from the camera down: the camera, the guesses, the maps
        page.mouse.wheel(0, -64)  # the camera's top out from under Streamlit's header
        page.wait_for_timeout(500)
        screenshot(page, "live-features")

    button.click()
    page.locator(f"{LIVE}[data-state='paused']").wait_for()
    assert button.inner_text() == t("live.resume", lang)
    page.wait_for_timeout(800)  # a frame already on its way is still answered
    sent = page.locator(LIVE).get_attribute("data-sent")
    last = shown_frames(page, 0.1)
    assert shown_frames(page, 2.5) == last  # nothing new while paused: the last frame stays
    assert page.locator(LIVE).get_attribute("data-sent") == sent

    button.click()
    page.locator(f"{LIVE}[data-state='live']").wait_for()
    again = shown_frames(page, 3.0)
    assert len(again) >= 5 and again[0] >= frames[-1], again
    assert_clean(page)


def test_over_plain_http_to_the_teachers_address_the_page_says_why_there_is_no_camera(
    camera_page, server
):
    page = camera_page
    page.goto(f"{on_host(server, 'classroom.test')}/features")
    page.locator("h1").first.wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)
    assert page.evaluate("window.isSecureContext") is False
    page.get_by_text(t("widgets.source_live"), exact=True).first.click()
    wait_idle(page)
    notice = t("secure.camera_needs_https", port=urlsplit(server).port).split("**")[1]
    page.get_by_text(notice).first.wait_for(timeout=30_000)  # its first, bold sentence
    page.wait_for_timeout(1000)
    assert page.locator(LIVE).count() == 0  # no camera that cannot work
    assert_clean(page)
