"""Every page opens from the navigation and by its own URL, in a real browser, without errors."""

import pytest

from bench.st_client import serve
from tests.e2e.conftest import screenshot, wait_idle

# the home page is the default page: its URL is the app's root
PAGES = [
    "",
    "convolution",
    "padding",
    "pooling",
    "train",
    "features",
    "rotation",
    "network",
    "teach",
]
TITLES = ["Home", "Convolution", "Padding & stride", "Pooling & parameters"]


def assert_clean(page) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text("Language / 언어").wait_for(
        timeout=10_000
    )
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Page not found").count() == 0
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    for title in TITLES:  # app.py's navigation, not Streamlit's list of files
        assert title in sidebar
    assert "Language / 언어" in sidebar


def test_a_page_opened_by_url_first_after_start_up_runs_inside_the_app(browser):
    """The first visitor of a fresh server opens a lesson by its URL (a link the teacher shared)."""
    with serve(timeout=60) as fresh:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{fresh.url}/padding")
        wait_idle(page)
        page.wait_for_timeout(500)
        assert_clean(page)
        assert page.locator("h1").first.inner_text() == "Padding & stride"
        page.goto(f"{fresh.url}/pooling")
        wait_idle(page)
        assert_clean(page)
        page.close()


@pytest.mark.parametrize("url_path", PAGES)
def test_page_opens_by_its_own_url(page, server, url_path):
    page.goto(f"{server}/{url_path}")
    wait_idle(page)
    page.wait_for_timeout(500)
    assert_clean(page)
    assert page.locator("h1").count() >= 1
    screenshot(page, f"url-{url_path or 'home'}")


def test_every_page_opens_from_the_navigation(page, server):
    page.goto(server)
    wait_idle(page)
    links = page.locator('[data-testid="stSidebarNav"] a')
    assert links.count() == len(PAGES)
    for i in range(links.count()):
        links.nth(i).click()
        wait_idle(page)
        assert_clean(page)
