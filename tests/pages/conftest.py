"""AppTest helpers: `open_page("pages/1_convolution.py", lang="ko")` runs the app on that page."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")  # AppTest resolves relative paths against the calling file


def open_page(page: str | None = None, lang: str = "en", timeout: float = 30) -> AppTest:
    """Run app.py (and switch to `page`, a path like "pages/2_padding.py") in `lang`."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state["lang"] = lang
    at.run()
    if page:
        at.switch_page(page).run()
    return at
