"""The convolution lesson in a real browser: stepping, a photo upload filtered on screen, and a
photo's three channels taken at once by one 3-D kernel."""

import re

from tests import corpus
from tests.e2e.conftest import screenshot, wait_idle


def sum_text(page) -> str:
    return page.locator('[data-testid="stCode"]').first.inner_text()


def test_stepping_the_convolution_moves_the_window_and_the_sum(page, server):
    page.goto(f"{server}/convolution")
    wait_idle(page)
    assert sum_text(page).strip().endswith("= 12")
    page.get_by_role("button", name="Next ▶").click()
    wait_idle(page)
    page.get_by_role("button", name="Next ▶").click()
    wait_idle(page)
    assert sum_text(page).strip().endswith("= 17")
    assert page.get_by_text("Step 2 (of 0–8)").count() == 1
    screenshot(page, "convolution-step")


def upload_on_convolution_page(page, server, path) -> None:
    page.goto(f"{server}/convolution")
    wait_idle(page)
    page.get_by_text("Upload a photo").first.click()
    wait_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))


def test_uploading_a_photo_shows_it_filtered(page, server, tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(corpus.jpeg(320, 240))
    upload_on_convolution_page(page, server, photo)
    page.get_by_text("Filtered (").wait_for(timeout=30_000)
    wait_idle(page)
    assert page.locator('[data-testid="stImage"] img').count() >= 2
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "convolution-photo")


def test_a_text_file_renamed_jpg_gets_a_message_in_the_browser(page, server, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_bytes(corpus.text_renamed_jpg())
    upload_on_convolution_page(page, server, bad)
    page.get_by_text("not a picture we can read").wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_all_channels_at_once_writes_each_channels_sum_and_steps_in_the_browser(page, server):
    page.goto(f"{server}/convolution")
    wait_idle(page)
    page.get_by_text("Sample photo").first.click()
    wait_idle(page)
    page.get_by_text("All channels at once").first.click()
    wait_idle(page)
    first = sum_text(page).strip()
    assert re.fullmatch(r"R \S+ \+ G \S+ \+ B \S+ \+ bias 0 = \S+", first), first
    page.get_by_role("button", name="Next ▶").click()
    wait_idle(page)
    assert sum_text(page).strip() != first
    assert page.get_by_text("Step 1 (of 0–63)").count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "convolution-channels")
