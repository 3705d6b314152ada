"""The address students open, printed once in the terminal of the server (cnnviz.address)."""

from __future__ import annotations

import multiprocessing
import sys

import streamlit as st

from cnnviz import address, i18n


def print_students_address() -> None:
    """Print, once per server, where students open the app, in every language of the app.

    app.py calls this on every run, and a training worker runs app.py too: a process started
    with "spawn" imports its parent's main script again as `__mp_main__` before it starts its
    work (in the server, that script is app.py while a page runs). A worker prints nothing.
    """
    if not _in_a_started_process():
        _print_once(
            st.get_option("server.port"),
            st.get_option("server.address") or "",
            secure=bool(st.get_option("server.sslCertFile")),  # https:// (python -m cnnviz.https)
        )


@st.cache_resource(show_spinner=False)
def _print_once(port: int, listen_address: str, secure: bool = False) -> None:
    """The lines themselves; cached, so that only the first run of app.py prints them."""
    for lang in i18n.LANGUAGES:
        print(address.students_line(port, listen_address, lang, secure), flush=True)


def _in_a_started_process() -> bool:
    """True in a process that multiprocessing started, also while it imports the main script
    (then sys.modules holds it under the name `__mp_main__`; elsewhere that entry is only
    multiprocessing's other name for `__main__`)."""
    main_again = sys.modules.get("__mp_main__")
    return getattr(main_again, "__name__", "") == "__mp_main__" or (
        multiprocessing.parent_process() is not None
    )
