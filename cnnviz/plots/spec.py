"""A `go.Figure` from a plain dict, with Plotly's property checks only where asked.

Plotly checks every property of a figure as it is built: ~10 ms for a chart of a few hundred
values, which is most of a figure's cost when forty students upload at once. The app skips the
checks; the tests turn them on (CNNVIZ_VALIDATE_FIGURES=1, set in tests/conftest.py), so every
figure the tests build is checked, and a test compares both ways' JSON.
"""

from __future__ import annotations

import os

import plotly.graph_objects as go

from cnnviz import patches


def figure(spec: dict) -> go.Figure:
    """`go.Figure(spec)`, checked by Plotly's validators when $CNNVIZ_VALIDATE_FIGURES is 1 or
    when this Plotly can no longer skip them (`patches.plotly_skips_checks`)."""
    if os.environ.get("CNNVIZ_VALIDATE_FIGURES") == "1" or not patches.plotly_skips_checks():
        return go.Figure(spec)
    return go.Figure(spec, _validate=False)
