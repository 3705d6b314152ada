"""cnnviz.patches: each change to a library has the effect its docstring claims, and a target
that a library update removed gives one warning and leaves the app running."""

from __future__ import annotations

import logging

import keras
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest

from cnnviz import patches

USES_KERAS = """
import keras
import streamlit as st
st.write(keras.__version__)
"""


@pytest.fixture
def streamlit_cleanup():
    """Streamlit's after-run cleanup as it was before the test (patches replace it for good)."""
    before = script_runner.__dict__.get("_clean_problem_modules")
    yield
    script_runner._clean_problem_modules = before


def clear_session_calls(monkeypatch, reruns: int = 3) -> int:
    """How often keras.backend.clear_session runs over `reruns` runs of a page that uses Keras."""
    calls = []
    real = keras.backend.clear_session
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: calls.append(1) or real())
    app = AppTest.from_string(USES_KERAS)
    for _ in range(reruns):
        app.run()
        assert not app.exception
    return len(calls)


def test_without_the_patch_streamlit_clears_the_keras_session_after_every_run(
    streamlit_cleanup, monkeypatch
):
    current = script_runner._clean_problem_modules
    streamlits = getattr(patches._keep_modules, "replaced", current)  # before the patch, if any
    monkeypatch.setattr(script_runner, "_clean_problem_modules", streamlits)
    assert clear_session_calls(monkeypatch) == 3


def test_keep_keras_state_stops_the_clear_session_after_each_run(streamlit_cleanup, monkeypatch):
    assert patches.keep_keras_state()
    assert clear_session_calls(monkeypatch) == 0


def test_keep_keras_state_warns_once_and_runs_on_when_streamlit_renamed_its_cleanup(
    streamlit_cleanup, monkeypatch, caplog
):
    monkeypatch.delattr(script_runner, "_clean_problem_modules")
    patches._warn.cache_clear()
    with caplog.at_level(logging.WARNING, logger="cnnviz.patches"):
        assert patches.keep_keras_state() is False
        assert patches.keep_keras_state() is False  # the next page run: no second warning
    warnings = [r.getMessage() for r in caplog.records if r.name == "cnnviz.patches"]
    assert len(warnings) == 1 and "_clean_problem_modules" in warnings[0]


def test_leave_pages_directory_mode_turns_the_old_mode_off_once(monkeypatch):
    monkeypatch.setattr(PagesManager, "uses_pages_directory", True)
    assert patches.leave_pages_directory_mode() is True
    assert PagesManager.uses_pages_directory is False
    assert patches.leave_pages_directory_mode() is False  # already off: no rerun asked for


def test_leave_pages_directory_mode_warns_when_streamlit_has_no_such_mode(monkeypatch, caplog):
    monkeypatch.delattr(PagesManager, "uses_pages_directory", raising=False)
    patches._warn.cache_clear()
    with caplog.at_level(logging.WARNING, logger="cnnviz.patches"):
        assert patches.leave_pages_directory_mode() is False
    assert any("uses_pages_directory" in r.getMessage() for r in caplog.records)


def test_plotly_without_checks_builds_a_figure_a_checked_build_refuses():
    import plotly.graph_objects as go

    wrong = {"data": [{"type": "bar", "x": [1], "y": [1], "colour": "red"}]}
    with pytest.raises(ValueError):
        go.Figure(wrong)  # Plotly's checks refuse the misspelt property
    assert patches.plotly_skips_checks() is True
