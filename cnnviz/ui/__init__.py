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
    """Sidebar switch between English and Korean, remembered for the browser session.

    The choice is copied into a plain session key (`lang`) so it survives page switches, where
    Streamlit may drop a widget's own state.
    """
    st.session_state.setdefault(LANG_KEY, i18n.DEFAULT_LANGUAGE)
    options = list(i18n.LANGUAGES)
    st.sidebar.radio(
        "Language / 언어",
        options=options,
        index=options.index(lang()),
        format_func=i18n.LANGUAGES.get,
        key="_lang_choice",
        on_change=lambda: st.session_state.update({LANG_KEY: st.session_state["_lang_choice"]}),
        horizontal=True,
    )


def show_error(error: CnnvizError) -> None:
    """Show a student-caused error as a message in the page, never as a traceback."""
    st.error(t(error.key, **error.values), icon="⚠️")
