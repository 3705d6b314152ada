"""Streamlit widgets shared by the pages. The only place outside pages/ that imports streamlit."""

from __future__ import annotations

import streamlit as st

from cnnviz import i18n
from cnnviz.errors import CnnvizError

LANG_KEY = "lang"


def lang() -> str:
    """The student's language for this browser session ("en" or "ko")."""
    return st.session_state.get(LANG_KEY, i18n.DEFAULT_LANGUAGE)


def t(key: str, **values: object) -> str:
    """The message `key` in the student's language."""
    return i18n.t(key, lang(), **values)


def language_selector() -> None:
    """Sidebar switch between English and Korean, kept in the session."""
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = i18n.DEFAULT_LANGUAGE
    st.sidebar.radio(
        i18n.t("app.language", lang()) + " / 언어",
        options=list(i18n.LANGUAGES),
        format_func=i18n.LANGUAGES.get,
        key=LANG_KEY,
        horizontal=True,
    )


def show_error(error: CnnvizError) -> None:
    """Show a student-caused error as a message in the page, never as a traceback."""
    st.error(t(error.key, **error.values), icon="⚠️")
