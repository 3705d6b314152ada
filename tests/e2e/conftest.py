"""A real Streamlit server and Debian's chromium driven by Playwright.

`server` starts `streamlit run app.py` on a free localhost port once per test session;
`page` is a fresh browser page; `wait_idle(page)` waits until the script has finished running.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.st_client import serve

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
ARTIFACTS = ROOT / "test-artifacts"
# Chromium's switches for every test browser (tests that need a camera add theirs)
BROWSER_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def server():
    """The app on a free port of 127.0.0.1 for the whole session (bench.st_client.serve, the
    benchmarks' launcher too)."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    with serve(timeout=60) as started:
        yield started.url


@pytest.fixture(scope="session")
def playwright_():
    """The one Playwright of the test session: a second `sync_playwright()` in the same process
    fails while the first runs, so tests that need a browser of their own launch it from here."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_):
    browser = playwright_.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=BROWSER_ARGS,
    )
    yield browser
    browser.close()


class ScriptRuns:
    """Counts the whole-page script runs the server reports finished to one browser page, read
    from Streamlit's own messages on the page's websocket (a run too short for the page to show
    its "running" state is still counted)."""

    def __init__(self, page) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.finished = 0
        fragment_run = ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY

        def on_frame(payload) -> None:
            if not isinstance(payload, bytes):
                return
            msg = ForwardMsg()
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "script_finished" and msg.script_finished != fragment_run:
                self.finished += 1

        page.on("websocket", lambda ws: ws.on("framereceived", on_frame))


def new_page(browser):
    """A page in a fresh browser context (its own cookies and storage), as a new student's tab;
    `page.script_runs` counts the script runs it sees. Close it with `page.context.close()`."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.script_runs = ScriptRuns(page)
    page.set_default_timeout(60_000)
    return page


@pytest.fixture
def page(browser, server):
    page = new_page(browser)
    yield page
    page.context.close()


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished running the script for the last interaction."""
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=timeout)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
