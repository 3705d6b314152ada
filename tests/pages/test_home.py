"""The home page and the language switch, through Streamlit's AppTest."""

import pytest

from tests.pages.conftest import open_page


@pytest.mark.parametrize(("lang", "title"), [("en", "cnnviz — how"), ("ko", "합성곱 신경망")])
def test_home_renders_in_each_language(lang, title):
    at = open_page(lang=lang)
    assert not at.exception
    assert title in at.title[0].value


def test_switching_language_in_the_sidebar_changes_the_page_and_is_remembered():
    at = open_page()
    assert "how convolutional" in at.title[0].value
    at.sidebar.radio[0].set_value("ko").run()
    assert "합성곱" in at.title[0].value
    at.switch_page("pages/2_padding.py").run()
    at.switch_page("pages/0_home.py").run()
    assert at.session_state["lang"] == "ko"
    assert "합성곱" in at.title[0].value
