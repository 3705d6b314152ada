"""AppTest helpers: `open_page("pages/1_convolution.py", lang="ko")` runs the app on that page."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")  # AppTest resolves relative paths against the calling file
MEDIA: dict[str, bytes] = {}  # the media files (st.image's pictures) of this test's runs, by id


@pytest.fixture(autouse=True)
def record_media(monkeypatch):
    """Keep what the page sends as media files, so a test can look at a picture it shows:
    AppTest's media storage lives only while a run lasts."""
    MEDIA.clear()
    original = MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        MEDIA[file_id] = self.get_file(file_id).content
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    yield
    MEDIA.clear()


def media_picture(url: str) -> np.ndarray:
    """The picture behind an `st.image` URL ("/mock/media/<id>.png") as a numpy array."""
    file_id = Path(url).stem
    return np.asarray(Image.open(io.BytesIO(MEDIA[file_id])))


def open_page(page: str | None = None, lang: str = "en", timeout: float = 30) -> AppTest:
    """Run app.py (and switch to `page`, a path like "pages/2_padding.py") in `lang`."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state["lang"] = lang
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def run_while_stoppable(at: AppTest, stop_key: str, limit: float, pause: float = 0.3) -> AppTest:
    """Rerun the page as the polling fragment would, until its Stop button `stop_key` has gone
    (the training's live view has given way to its results)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(pause)
        at.run()
        if not any(button.key == stop_key for button in at.button):
            return at
    raise AssertionError(f"the training did not finish within {limit:g} s")
