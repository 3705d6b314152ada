"""A `go.Figure` from a plain dict, with Plotly's property checks only where asked.

Plotly checks every property of a figure as it is built: ~10 ms for a chart of a few hundred
values, which is most of a figure's cost when forty students upload at once. The app skips the
checks; the tests turn them on (CNNVIZ_VALIDATE_FIGURES=1, set in tests/conftest.py), so every
figure the tests build is checked, and a test compares both ways' JSON.
"""

from __future__ import annotations

import os

import numpy as np
import plotly.graph_objects as go

from cnnviz import patches


def figure(spec: dict) -> go.Figure:
    """`go.Figure(spec)`, checked by Plotly's validators when $CNNVIZ_VALIDATE_FIGURES is 1 or
    when this Plotly can no longer skip them (`patches.plotly_skips_checks`)."""
    if os.environ.get("CNNVIZ_VALIDATE_FIGURES") == "1" or not patches.plotly_skips_checks():
        return go.Figure(spec)
    return go.Figure(spec, _validate=False)


def axis_name(n: int) -> str:
    """The n-th subplot's axis suffix as Plotly names it: "" for the first, then "2", "3" …"""
    return "" if n == 1 else str(n)


def subplot_grid(
    rows: int,
    cols: int,
    titles: list[str],
    column_widths: list[float] | None = None,
    horizontal_spacing: float = 0.06,
    vertical_spacing: float = 0.05,
    title_font: dict | None = None,
) -> dict:
    """A layout of rows × cols picture panels (axes hidden, rows top down, y reversed, square
    cells), placed as `make_subplots` places them, as a plain dict: `figure` builds it without
    the per-property cost of `make_subplots` and `update_*` (~50 ms a row of three panels).

    Panel (r, c), from 1, uses axes x{n}/y{n} with n = (r − 1)·cols + c; `titles[n − 1]` goes
    above it (an empty title is left out)."""
    widths = np.asarray(column_widths or [1.0] * cols, dtype=float)
    widths = widths / widths.sum() * (1 - horizontal_spacing * (cols - 1))
    height = (1 - vertical_spacing * (rows - 1)) / rows
    layout: dict = {"annotations": []}
    for r in range(rows):
        top = 1 - r * (height + vertical_spacing)
        left = 0.0
        for c in range(cols):
            n = r * cols + c + 1
            suffix = axis_name(n)
            x_domain = [left, min(1.0, left + widths[c])]
            left += widths[c] + horizontal_spacing
            layout[f"xaxis{suffix}"] = {"domain": x_domain, "anchor": f"y{suffix}",
                                        "visible": False, "constrain": "domain"}  # fmt: skip
            layout[f"yaxis{suffix}"] = {"domain": [max(0.0, top - height), top],
                                        "anchor": f"x{suffix}", "visible": False,
                                        "autorange": "reversed", "scaleanchor": f"x{suffix}",
                                        "constrain": "domain"}  # fmt: skip
            if n <= len(titles) and titles[n - 1]:
                layout["annotations"].append({
                    "text": titles[n - 1], "x": sum(x_domain) / 2, "y": top, "xref": "paper",
                    "yref": "paper", "xanchor": "center", "yanchor": "bottom",
                    "showarrow": False, "font": title_font or {"size": 16},
                })  # fmt: skip
    return layout
