"""Figures of a convolution over several input channels: one 3-D kernel, one slice per channel.

A Conv2D filter multiplies each input channel's window by its own kernel slice, adds every
product and then its bias: one output cell, however many channels come in.

    total = Σ_c Σ_{u, v} window[u, v, c] · kernel[u, v, c] + bias

`channel_step_figure` draws one row per channel (window slice × kernel slice = products, and that
channel's sum); `channel_sum_text` writes the channel sums and the bias out; `colour_window_figure`
shows where the window sits on a colour patch and the output filled so far. The convolution
lesson draws them for a photo's R, G and B; the "Inside the network" page for a trained model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz import formatting
from cnnviz.conv import ConvStep
from cnnviz.plots.lessons import FONT, WINDOW, _box, _grid_axes, _heatmap, _label
from cnnviz.plots.spec import axis_name, figure, subplot_grid

__all__ = ["channel_step_figure", "channel_sum_text", "colour_window_figure"]

# a row named after a colour channel draws its window in that colour
WINDOW_COLOURS = {"R": "Reds", "G": "Greens", "B": "Blues"}
CELL = 44  # pixels per kernel cell: three-digit pixel values at 15 px fit with room to spare
TITLE = 46  # pixels above each row for its three titles


def amount(value: float) -> str:
    """A sum as the written-out sums show it: whole numbers as they are, two decimals from 1 up
    ("1234.57", never "1.23e+03"), three significant digits below 1 ("0.0123"); minus as "−"."""
    whole_digits = len(str(int(abs(float(value)))))
    return formatting.number(value, max(3, whole_digits + 2))


def channel_sum_text(
    step: ConvStep, bias: float, names: Sequence[str], bias_name: str = "bias"
) -> str:
    """Each channel's sum, the bias and the total: "R 12.5 + G −3.1 + B 0.4 + bias 0.1 = 9.9".

    `names` names every input channel of `step`, in order; total = Σ channel sums + bias."""
    totals = step.channel_totals
    terms = [f"{name} {amount(s)}" for name, s in zip(names, totals, strict=True)]
    terms.append(f"{bias_name} {amount(bias)}")
    return " + ".join(terms) + f" = {amount(float(totals.sum()) + bias)}"


def _symmetric(values: np.ndarray) -> tuple[float, float]:
    """A colour range centred on 0 that holds every value (white is 0, red and blue the signs)."""
    largest = float(np.abs(values).max()) or 1.0
    return -largest, largest


def channel_step_figure(
    step: ConvStep,
    channels: Sequence[int],
    names: Sequence[str],
    titles: Sequence[str] = ("window", "kernel", "products"),
) -> go.Figure:
    """One row per channel in `channels`: its window slice × kernel slice = products, the numbers
    written in the cells and the row's sum in its products title.

    `step.window`, `step.kernel` and `step.products` are (Kh, Kw, C); `names[k]` labels row k
    ("R", "map 12"). Colours are shared by all rows of a column, so the channel whose products
    weigh most is the most strongly coloured."""
    channels = [int(c) for c in channels]
    window = np.atleast_3d(step.window)[:, :, channels]  # (Kh, Kw, rows)
    kernel = np.atleast_3d(step.kernel)[:, :, channels]
    products = np.atleast_3d(step.products)[:, :, channels]
    sums = np.atleast_1d(step.channel_totals)[channels]
    rows, side = len(channels), max(window.shape[:2] + (3,))
    row_height = CELL * side + TITLE
    height = rows * row_height + 20
    subplot_titles = [
        text
        for name, total in zip(names, sums, strict=True)
        for text in (
            f"{name} · {titles[0]}",
            f"{name} · {titles[1]}",
            f"{name} · {titles[2]} · Σ = <b>{amount(total)}</b>",
        )
    ]
    # built as plain dicts (spec.subplot_grid): make_subplots and update_* cost ~50 ms a row
    layout = subplot_grid(rows, 3, subplot_titles, horizontal_spacing=0.08,
                          vertical_spacing=TITLE / height if rows > 1 else 0.0,
                          title_font=FONT)  # fmt: skip
    window_range = (float(window.min()), float(window.max()))
    kernel_range, products_range = _symmetric(kernel), _symmetric(products)
    traces = []
    for k, name in enumerate(names):
        panels = (
            (window[:, :, k], WINDOW_COLOURS.get(name, "Greys"), window_range),
            (kernel[:, :, k], "RdBu", kernel_range),
            (products[:, :, k], "RdBu", products_range),
        )
        for col, (values, colours, (low, high)) in enumerate(panels, start=1):
            suffix = axis_name(3 * k + col)
            traces.append({**_cells(values, colours), "zmin": low,
                           "zmax": high if high > low else low + 1,
                           "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})  # fmt: skip
    for k in range(rows):  # "×" between window and kernel, "=" between kernel and products
        for sign, left in (("×", 3 * k + 1), ("=", 3 * k + 2)):
            x_left = layout[f"xaxis{axis_name(left)}"]["domain"][1]
            x_right = layout[f"xaxis{axis_name(left + 1)}"]["domain"][0]
            y_domain = layout[f"yaxis{axis_name(left)}"]["domain"]
            layout["annotations"].append({"x": (x_left + x_right) / 2, "y": sum(y_domain) / 2,
                                          "xref": "paper", "yref": "paper", "text": sign,
                                          "showarrow": False, "font": {"size": 30}})  # fmt: skip
    layout.update(height=height, margin={"l": 10, "r": 10, "t": TITLE, "b": 10}, font=FONT,
                  plot_bgcolor="#eeeeee")  # fmt: skip
    return figure({"data": traces, "layout": layout})


def _cell_label(value: float) -> str:
    """A cell's number in at most five characters: whole numbers as they are, two decimals
    below 10 ("−0.12", where lesson 1's four-character labels would say "−0.1"), one below 100."""
    if np.isnan(value) or abs(value) >= 99.95 or float(value).is_integer():
        return _label(value)
    if abs(value) < 0.005:
        return "0"
    return f"{value:.2f}" if abs(value) < 9.995 else f"{value:.1f}"


def _cells(values: np.ndarray, colours: str) -> dict:
    """A grid of numbers as a heatmap trace, each cell's number written in it (at 15 px)."""
    values = np.asarray(values, dtype=float)
    return {"type": "heatmap", "z": values, "text": [[_cell_label(v) for v in row] for row in values],
            "texttemplate": "%{text}", "textfont": {"size": 15}, "colorscale": colours,
            "showscale": False, "xgap": 2, "ygap": 2,
            "hovertemplate": "row %{y}, col %{x}: %{z}<extra></extra>"}  # fmt: skip


def colour_window_figure(
    padded: np.ndarray,
    pads: tuple[int, int, int, int],
    step: ConvStep,
    output: np.ndarray,
    done: int,
    dilation: int = 1,
    titles: Sequence[str] = ("input", "output"),
) -> go.Figure:
    """The padded colour patch (H', W', 3) with the window outlined and the padding ring dotted,
    and the output (H_out, W_out) filled up to `done` cells with the current one outlined."""
    kh, kw = step.kernel.shape[:2]
    picture = np.clip(np.round(padded), 0, 255).astype(np.uint8)
    out = np.asarray(output, dtype=float).copy()
    out.reshape(-1)[done:] = np.nan
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=list(titles),
        column_widths=[picture.shape[1], out.shape[1] + 1],
        horizontal_spacing=0.06,
    )
    fig.add_trace(go.Image(z=picture, hoverinfo="skip"), row=1, col=1)
    fig.add_trace(_heatmap(out, "Oranges", text=out.size <= 900), row=1, col=2)
    top, bottom, left, right = pads
    height, width = picture.shape[:2]
    shapes = []
    if any(pads):
        inside = _box(top, left, height - top - bottom, width - left - right, "#ffffff")
        shapes.append({**inside, "line": {"color": "#ffffff", "width": 2, "dash": "dot"}})
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    shapes.append(_box(step.top, step.left, span_h, span_w, WINDOW))
    shapes.append(_box(step.row, step.col, 1, 1, WINDOW, xref="x2", yref="y2"))
    fig.update_layout(shapes=[{"xref": "x", "yref": "y", **shape} for shape in shapes])
    _grid_axes(fig, 1, 2)
    fig.update_layout(
        height=max(300, 30 * height + 80), margin={"l": 10, "r": 10, "t": 50, "b": 10}, font=FONT
    )
    return fig
