"""Figures for the lessons that need no model: convolution, padding and stride, pooling, parameters.

Grids are drawn as heatmaps with the number written in each cell, row 0 at the top, so they read
like the matrices on the course's slides.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.conv import ConvStep
from cnnviz.pooling import PoolStep

__all__ = [
    "conv_step_figure",
    "grid_figure",
    "padding_grid_figure",
    "params_bar_figure",
    "pool_step_figure",
]

WINDOW = "#e4572e"  # the window and the cell being computed
PADDING = "#d9d9d9"
DROPPED = "#f4a3a3"
FONT = {"size": 16}


def _label(value: float) -> str:
    """A cell's number in at most four characters, so that it fits its cell at 14 px: a whole
    number as it is, else with as many decimals (two at most) as fit, and thousands as 1.6k
    (the step's sum below the figure gives the full values)."""
    if np.isnan(value):
        return ""
    if abs(value) >= 999.5:
        return _shortest(value / 1000, "k")
    if abs(value) < 0.005:
        return "0"
    return str(int(value)) if float(value).is_integer() else _shortest(value)


def _shortest(value: float, unit: str = "") -> str:
    """`value` with two, one or no decimals: the most that fit four characters."""
    for decimals in (2, 1, 0):
        text = f"{value:.{decimals}f}{unit}"
        if len(text) <= 4:
            return text
    return text


def _heatmap(
    values: np.ndarray, colorscale: str = "Blues", text: bool = True, centre: float | None = None
) -> go.Heatmap:
    values = np.asarray(values, dtype=float)
    labels = [[_label(v) for v in row] for row in values] if text else None
    return go.Heatmap(
        z=values,
        zmid=centre,
        text=labels,
        texttemplate="%{text}" if text else None,
        textfont={"size": 15},  # 14 px at least on a projector
        colorscale=colorscale,
        showscale=False,
        xgap=2,
        ygap=2,
        hovertemplate="row %{y}, col %{x}: %{z}<extra></extra>",
    )


def _box(row: float, col: float, height: float, width: float, colour: str, **where) -> dict:
    return {
        "type": "rect",
        "x0": col - 0.5,
        "x1": col + width - 0.5,
        "y0": row - 0.5,
        "y1": row + height - 0.5,
        "line": {"color": colour, "width": 4},
        **where,
    }


def _grid_axes(fig: go.Figure, rows: int = 1, cols: int = 1) -> None:
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            fig.update_yaxes(
                autorange="reversed",
                showgrid=False,
                zeroline=False,
                showticklabels=False,
                row=r,
                col=c,
            )
            fig.update_xaxes(showgrid=False, zeroline=False, showticklabels=False, row=r, col=c)
    # square cells in every panel: a 3×3 kernel beside a 9×9 input is not drawn tall
    for n in range(1, rows * cols + 1):
        suffix = "" if n == 1 else str(n)
        fig.update_layout(
            {f"yaxis{suffix}": {"scaleanchor": f"x{suffix}", "constrain": "domain"},
             f"xaxis{suffix}": {"constrain": "domain"}}
        )  # fmt: skip
    # cells not computed yet (NaN) show this background: an empty grid of the output's size
    fig.update_layout(plot_bgcolor="#eeeeee")


def grid_figure(values: np.ndarray, title: str = "", colorscale: str = "Blues") -> go.Figure:
    """One grid of numbers, e.g. a kernel or an output."""
    fig = go.Figure(_heatmap(values, colorscale, text=np.asarray(values).size <= 900))
    _grid_axes(fig)
    fig.update_layout(
        title=title, height=320, margin={"l": 10, "r": 10, "t": 60, "b": 10}, font=FONT
    )
    return fig


def conv_step_figure(
    padded: np.ndarray,
    pads: tuple[int, int, int, int],
    kernel: np.ndarray,
    step: ConvStep,
    output: np.ndarray,
    done: int,
    dilation: int = 1,
    titles: Sequence[str] = ("input", "kernel", "output"),
) -> go.Figure:
    """Padded input with the window outlined, the kernel, and the output filled up to `step`.

    `padded` is (H', W') with padding cells marked by `pads` (top, bottom, left, right); `done`
    output cells (in reading order) are shown, the rest are blank.
    """
    kh, kw = kernel.shape[:2]
    out = np.asarray(output, dtype=float).copy()
    flat = out.reshape(-1)
    flat[done:] = np.nan
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=list(titles),
        column_widths=[padded.shape[1], max(kw, 3) + 1, out.shape[1] + 1],
        horizontal_spacing=0.05,
    )
    fig.add_trace(_heatmap(padded, "Blues", text=padded.size <= 900), row=1, col=1)
    fig.add_trace(_heatmap(kernel, "RdBu", text=True, centre=0.0), row=1, col=2)
    fig.add_trace(_heatmap(out, "Oranges", text=out.size <= 900), row=1, col=3)
    top, bottom, left, right = pads
    height, width = padded.shape
    shapes = []
    if any(pads):  # the ring of zeros that padding adds
        shapes.append(
            {
                "type": "rect",
                "x0": left - 0.5,
                "x1": width - right - 0.5,
                "y0": top - 0.5,
                "y1": height - bottom - 0.5,
                "line": {"color": "#555", "width": 2, "dash": "dot"},
                "xref": "x",
                "yref": "y",
            }
        )
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    shapes.append(_box(step.top, step.left, span_h, span_w, WINDOW, xref="x", yref="y"))
    if dilation > 1:  # the taps the kernel actually touches
        for u in range(kh):
            for v in range(kw):
                cell = _box(step.top + u * dilation, step.left + v * dilation, 1, 1, WINDOW)
                shapes.append(
                    {**cell, "line": {"color": WINDOW, "width": 2}, "xref": "x", "yref": "y"}
                )
    shapes.append(_box(step.row, step.col, 1, 1, WINDOW, xref="x3", yref="y3"))
    fig.update_layout(shapes=shapes)
    _grid_axes(fig, 1, 3)
    fig.update_layout(
        height=max(360, 34 * height + 80), margin={"l": 10, "r": 10, "t": 70, "b": 10}, font=FONT
    )
    return fig


def pool_step_figure(
    values: np.ndarray,
    step: PoolStep,
    output: np.ndarray,
    done: int,
    size: int,
    pads: tuple[int, int] = (0, 0),
    titles: Sequence[str] = ("input", "output"),
) -> go.Figure:
    """Input with the pooling window outlined (and its max ringed), output filled up to `step`.

    `pads` (top, left) shifts the window when "same" padding hangs it over the edge.
    """
    out = np.asarray(output, dtype=float).copy()
    out.reshape(-1)[done:] = np.nan
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=list(titles),
        column_widths=[values.shape[1], out.shape[1] + 1],
    )
    fig.add_trace(_heatmap(values, "Blues", text=values.size <= 900), row=1, col=1)
    fig.add_trace(_heatmap(out, "Oranges", text=out.size <= 900), row=1, col=2)
    top, left = step.top - pads[0], step.left - pads[1]
    shapes = [
        _box(top, left, size, size, WINDOW, xref="x", yref="y"),
        _box(step.row, step.col, 1, 1, WINDOW, xref="x2", yref="y2"),
    ]
    if step.argmax is not None:
        r, c = top + step.argmax[0], left + step.argmax[1]
        shapes.append(
            {
                "type": "circle",
                "x0": c - 0.4,
                "x1": c + 0.4,
                "y0": r - 0.4,
                "y1": r + 0.4,
                "line": {"color": "#222", "width": 3},
                "xref": "x",
                "yref": "y",
            }
        )
    fig.update_layout(shapes=shapes)
    _grid_axes(fig, 1, 2)
    fig.update_layout(
        height=max(340, 34 * values.shape[0] + 80),
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        font=FONT,
    )
    return fig


def padding_grid_figure(
    size: int,
    kernel: int,
    stride: int,
    pads: tuple[int, int],
    dilation: int = 1,
    position: int = 0,
    output_size: int | None = None,
) -> go.Figure:
    """The padded input (padding grey, never-covered cells red), every window position's
    top-left corner as a dot, and window number `position` (reading order) outlined."""
    before, after = pads
    total = size + before + after
    effective = dilation * (kernel - 1) + 1
    out = output_size if output_size is not None else (total - effective) // stride + 1
    covered = (out - 1) * stride + effective  # cells any window touches, from the padded start
    kind = np.zeros((total, total))
    inside = slice(before, before + size)
    kind[:, :] = 0  # padding
    kind[inside, inside] = 1  # input
    if covered < total:
        kind[covered:, :] = np.where(kind[covered:, :] == 1, 2, kind[covered:, :])
        kind[:, covered:] = np.where(kind[:, covered:] == 1, 2, kind[:, covered:])
    colours = [[0, PADDING], [0.5, "#ffffff"], [1, DROPPED]]
    fig = go.Figure(
        go.Heatmap(
            z=kind,
            zmin=0,
            zmax=2,
            colorscale=[
                [0, colours[0][1]],
                [0.33, colours[0][1]],
                [0.34, "#ffffff"],
                [0.66, "#ffffff"],
                [0.67, DROPPED],
                [1, DROPPED],
            ],
            showscale=False,
            xgap=2,
            ygap=2,
            hoverinfo="skip",
        )
    )
    corners = [(r * stride, c * stride) for r in range(out) for c in range(out)]
    fig.add_trace(
        go.Scatter(
            x=[c for _, c in corners],
            y=[r for r, _ in corners],
            mode="markers",
            marker={"size": 9, "color": "#1f77b4"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    row, col = corners[min(position, len(corners) - 1)]
    fig.add_shape(_box(row, col, effective, effective, WINDOW))
    fig.update_yaxes(autorange="reversed", showgrid=False, zeroline=False, scaleanchor="x")
    fig.update_xaxes(showgrid=False, side="top", zeroline=False)
    side = min(640, 34 * total + 80)
    fig.update_layout(
        height=side,
        width=side,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        font=FONT,
        plot_bgcolor="#777777",  # shows through the gaps between cells as grid lines
    )
    return fig


def params_bar_figure(names: Sequence[str], counts: Sequence[int], title: str = "") -> go.Figure:
    """Where the parameters sit: one bar per layer, with its count written on it."""
    fig = go.Figure(
        go.Bar(
            x=list(names),
            y=list(counts),
            text=[f"{c:,}" for c in counts],
            textposition="outside",
            marker_color="#4c78a8",
        )
    )
    fig.update_layout(
        title=title, height=380, margin={"l": 10, "r": 10, "t": 50, "b": 10}, font=FONT
    )
    fig.update_yaxes(title=None)
    return fig
