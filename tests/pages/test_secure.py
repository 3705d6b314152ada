"""Every camera source, on a page the browser does not treat as secure, says why there is no
camera and what to do, in the student's language, and shows no camera (cnnviz.ui.secure).

AppTest runs no JavaScript: the browser's answer (`window.isSecureContext`, which the secure
element reports once a session) is put where the element keeps it. tests/e2e/test_https.py
shows the same with Chromium's real answer over http:// and https://.
"""

from __future__ import annotations

import pytest

from cnnviz import i18n
from cnnviz.ui.secure import SECURE_CONTEXT
from tests.pages.conftest import open_page

CAMERA_PAGES = {"pages/5_features.py": "features", "pages/6_rotation.py": "rotation",
                "pages/7_network.py": "network"}  # fmt: skip


def open_camera(page: str, lang: str, secure: bool):
    at = open_page(page, lang=lang, timeout=60)
    at.session_state[SECURE_CONTEXT] = secure
    at.radio(key=f"{CAMERA_PAGES[page]}_source@{lang}").set_value("camera").run()
    assert not at.exception
    return at


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("page", sorted(CAMERA_PAGES))
def test_a_page_that_is_not_secure_says_what_to_do_and_shows_no_camera(page, lang):
    at = open_camera(page, lang, secure=False)
    notices = [w.value for w in at.warning]
    assert i18n.t("secure.camera_needs_https", lang, port=8501) in notices
    assert "python -m cnnviz.https" in notices[-1]
    assert not at.camera_input


@pytest.mark.parametrize("page", sorted(CAMERA_PAGES))
def test_a_secure_page_shows_the_camera_and_no_notice(page):
    at = open_camera(page, "en", secure=True)
    assert at.camera_input
    assert i18n.t("secure.camera_needs_https", port=8501) not in [w.value for w in at.warning]
