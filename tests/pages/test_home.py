"""The home page and the language switch, through Streamlit's AppTest."""

import pytest

from cnnviz import i18n
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


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_home_links_every_lesson_including_teach_your_own_classes(lang):
    at = open_page(lang=lang)
    links = {link.proto.page: link.proto.label for link in at.get("page_link")}
    lessons = ["convolution", "padding", "pooling", "train", "features", "rotation", "network",
               "teach"]  # fmt: skip
    assert sorted(links) == sorted(lessons)
    assert links["teach"] == f"**{i18n.t('nav.teach', lang)}**"
    assert i18n.t("home.teach", lang) in [m.value for m in at.markdown]
