"""Streamlit widgets shared by the pages. The only place outside pages/ that imports streamlit."""

from __future__ import annotations

import streamlit as st

from cnnviz import i18n, patches
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
    Streamlit may drop a widget's own state. A link's `lang=ko` is taken first (`cnnviz.ui.links`).
    """
    from cnnviz.ui.links import read_language  # it imports this module

    st.session_state.setdefault(LANG_KEY, i18n.DEFAULT_LANGUAGE)
    read_language()
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


def start_page() -> None:
    """Make sure this page runs inside app.py's navigation; call first on every page.

    With a `pages/` folder beside app.py, Streamlit starts in its older multipage mode: if the
    first visitor after start-up opens a page by its URL, that page runs on its own, without
    app.py's navigation, layout and language switch, and other pages then show "Page not
    found". Leaving that mode and rerunning makes app.py run and open the same page.
    """
    patches.apply_all()  # once per process; app.py has done it already when it runs the page
    if patches.leave_pages_directory_mode():
        st.rerun()


def choice(
    label: str,
    options: list,
    key: str,
    format_func=str,
    widget: str = "radio",
    index: int = 0,
    **kwargs,
):
    """A radio (or selectbox, `widget="selectbox"`) whose option labels are translated.

    Streamlit keeps such a widget's value as its label, so a label in the old language matches
    nothing after a switch. The widget's key therefore carries the language, and the raw option
    last chosen is kept under `key` to preselect it in the other language (see `set_choice`).
    """
    widget_key = f"{key}@{lang()}"
    if st.session_state.get(widget_key) not in options:
        remembered = st.session_state.get(key)
        st.session_state[widget_key] = remembered if remembered in options else options[index]
    # labels fixed now, in this run's language (a later call must not look the language up again)
    labels = {option: format_func(option) for option in options}
    make = st.radio if widget == "radio" else st.selectbox
    value = make(label, options, format_func=labels.__getitem__, key=widget_key, **kwargs)
    st.session_state[key] = value
    return value


def set_choice(key: str, value: object) -> None:
    """Select `value` in the `choice` widget `key` on this run (call before the widget)."""
    st.session_state[key] = value
    st.session_state[f"{key}@{lang()}"] = value


def show_error(error: CnnvizError) -> None:
    """Show a student-caused error as a message in the page, never as a traceback."""
    st.error(t(error.key, **error.values), icon=":material/warning:")
