"""Every page opens from the navigation and by its own URL, in a real browser, without errors."""

import pytest

from tests.e2e.conftest import screenshot, wait_idle

PAGES = ["home", "convolution", "padding", "pooling", "train", "features", "rotation"]


def assert_clean(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Page not found").count() == 0


@pytest.mark.parametrize("url_path", PAGES)
def test_page_opens_by_its_own_url(page, server, url_path):
    page.goto(f"{server}/{url_path}")
    wait_idle(page)
    page.wait_for_timeout(500)
    assert_clean(page)
    assert page.locator("h1").count() >= 1
    screenshot(page, f"url-{url_path}")


def test_every_page_opens_from_the_navigation(page, server):
    page.goto(server)
    wait_idle(page)
    links = page.locator('[data-testid="stSidebarNav"] a')
    assert links.count() == len(PAGES)
    for i in range(links.count()):
        links.nth(i).click()
        wait_idle(page)
        assert_clean(page)
