"""Figures of the "Inside the network" page: the whole network in one view, and a map's detail.

The overview is built from plain dicts (as the Feature maps figures are): maps are small PNG
pictures placed as layout images, dense units and classes are bars, and one invisible marker
sits on every tile and bar, because Streamlit reports clicks on scatter points and not on
pictures or heatmaps (streamlit#8760). Each marker's customdata is [column, map or unit].
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz.formatting import number, shape_text
from cnnviz.network import MAX_MAPS, Column
from cnnviz.plots.features import FONT, GREYS, _png_uri
from cnnviz.plots.lessons import WINDOW
from cnnviz.plots.spec import axis_name, figure, subplot_grid

__all__ = ["conv_map_figure", "overview_figure", "pick_from_click"]

TILE = 0.8  # a tile's side, in column widths
ROWS = MAX_MAPS  # the tallest column: MAX_MAPS tiles, one unit of height each
BAR = "#1f77b4"
CLASS = "#9ecae1"  # light: the class name is written over its bar
NEGATIVE = "#e4572e"
UNKNOWN = "#888888"
ROW_PIXELS = 62  # height of one tile row on the page
TILE_PIXELS = 56  # a tile's picture is shrunk or enlarged to about this side


def _title(column: Column) -> str:
    name = column.name if len(column.name) <= 13 else column.name[:12] + "…"
    colour = UNKNOWN if column.kind == "unknown" else "#222"
    return f"<span style='color:{colour}'><b>{name}</b><br>{shape_text(column.shape)}</span>"


def _slots(column: Column) -> list[float]:
    """The y of each drawn map or unit's centre (rows run downwards from 0)."""
    pitch = 1.0 if column.is_map else min(1.0, ROWS / max(len(column.shown), 1))
    return [(k + 0.5) * pitch for k in range(len(column.shown))]


def _sharp(picture: np.ndarray) -> np.ndarray:
    """A small map enlarged to about TILE_PIXELS by repeating its pixels: the browser smooths a
    layout image it enlarges, and a 5×5 map would show as a blur instead of 25 squares."""
    factor = max(1, TILE_PIXELS // max(picture.shape[:2]))
    return np.repeat(np.repeat(picture, factor, axis=0), factor, axis=1)


def _map_images(position: int, column: Column, ys: list[float]) -> list[dict]:
    from cnnviz import tiles  # tiles reads Keras layers too: the plots import without Keras

    pictures = []
    for unit, y in zip(column.shown, ys, strict=True):
        picture = _sharp(tiles.tile(column.values[:, :, unit : unit + 1], max_side=TILE_PIXELS))
        pictures.append({
            "source": _png_uri(picture), "xref": "x", "yref": "y", "x": position, "y": y,
            "sizex": TILE, "sizey": TILE, "xanchor": "center", "yanchor": "middle",
            "sizing": "contain", "layer": "below",
        })  # fmt: skip
    return pictures


def _bars(position: int, column: Column, ys: list[float], names: Sequence[str]) -> list[dict]:
    """Horizontal bars, one per drawn unit, longest for the largest |value| of the column."""
    values = column.values[list(column.shown)]
    scale = float(np.abs(values).max()) or 1.0
    left = position - TILE / 2
    traces = [{
        "type": "bar", "orientation": "h", "base": [left] * len(values), "x": np.abs(values) / scale * TILE,
        "y": ys, "width": 0.8 * (ys[1] - ys[0] if len(ys) > 1 else 1.0), "hoverinfo": "skip",
        "marker": {"color": [(CLASS if column.kind == "output" else BAR) if v >= 0 else NEGATIVE
                             for v in values]}, "showlegend": False,
    }]  # fmt: skip
    if column.kind == "output":
        labels = [names[u] if u < len(names) else str(u) for u in column.shown]
        traces.append({
            "type": "scatter", "mode": "text", "x": [left + 0.02] * len(ys), "y": ys,
            "text": [f"{label} {value:.0%}" for label, value in zip(labels, values, strict=True)],
            "textposition": "middle right", "textfont": {"size": 12, "color": "#111"},
            "hoverinfo": "skip",
            "showlegend": False,
        })  # fmt: skip
    return traces


def _hover(column: Column, unit: int, names: Sequence[str]) -> str:
    if column.kind == "output":
        label = names[unit] if unit < len(names) else str(unit)
        return f"{label}: {column.values[unit]:.1%}"
    what = "map" if column.is_map else "unit"
    value = "" if column.is_map else f" = {number(float(column.values[unit]))}"
    return f"{column.name} · {what} {unit}{value}"


def overview_figure(
    columns: Sequence[Column],
    positions: Sequence[int],
    picked: tuple[int, int] | None = None,
    class_names: Sequence[str] = (),
    capped_note: str = "{shown} / {count}",
) -> go.Figure:
    """The columns at `positions`, left to right; `picked` (column, map or unit) outlined.

    `capped_note` is written under a column that draws fewer maps or units than it has."""
    images, traces, annotations, shapes = [], [], [], []
    marker_x, marker_y, marker_data, marker_text = [], [], [], []
    for x, position in enumerate(positions):
        column = columns[position]
        ys = _slots(column)
        if column.is_map:
            images += _map_images(x, column, ys)
        else:
            traces += _bars(x, column, ys, class_names)
        annotations.append({"x": x, "y": -0.15, "text": _title(column), "showarrow": False,
                            "yanchor": "bottom", "font": {"size": 11}})  # fmt: skip
        if column.capped:
            annotations.append({"x": x, "y": ROWS + 0.05, "yanchor": "top", "showarrow": False,
                                "font": {"size": 11, "color": "#555"},
                                "text": capped_note.format(shown=len(column.shown),
                                                           count=column.count)})  # fmt: skip
        for unit, y in zip(column.shown, ys, strict=True):
            marker_x.append(x)
            marker_y.append(y)
            marker_data.append([position, unit])
            marker_text.append(_hover(column, unit, class_names))
            if picked == (position, unit):
                half = (
                    TILE / 2 + 0.05
                    if column.is_map
                    else 0.3 * (ys[1] - ys[0] if len(ys) > 1 else 1)
                )
                shapes.append({"type": "rect", "x0": x - TILE / 2 - 0.05, "x1": x + TILE / 2 + 0.05,
                               "y0": y - half, "y1": y + half, "xref": "x", "yref": "y",
                               "line": {"color": WINDOW, "width": 4}})  # fmt: skip
    traces.append({
        "type": "scatter", "mode": "markers", "x": marker_x, "y": marker_y,
        "customdata": marker_data, "hovertext": marker_text, "hoverinfo": "text",
        "marker": {"size": 30, "color": "rgba(0, 0, 0, 0)", "symbol": "square"},
        "showlegend": False, "name": "",
    })  # fmt: skip
    layout = {
        "images": images, "annotations": annotations, "shapes": shapes,
        "xaxis": {"range": [-0.55, max(len(positions), 6) - 0.45], "visible": False,
                  "fixedrange": True},
        "yaxis": {"range": [ROWS + 0.45, -1.1], "visible": False, "fixedrange": True},
        "height": int(ROW_PIXELS * (ROWS + 1.6)), "margin": {"l": 4, "r": 4, "t": 4, "b": 4},
        "font": FONT, "hovermode": "closest", "bargap": 0, "dragmode": False,
        "clickmode": "event+select",
    }  # fmt: skip
    return figure({"data": traces, "layout": layout})


def pick_from_click(selection: object) -> tuple[int, int] | None:
    """(column, map or unit) of the marker a student clicked in the overview, from Streamlit's
    selection event ({"selection": {"points": [{"customdata": [column, unit]}, …]}}), or None."""
    try:
        points = selection["selection"]["points"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    for point in points or []:
        data = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(data, list | tuple) and len(data) == 2:
            try:
                return int(data[0]), int(data[1])
            except (TypeError, ValueError):
                return None
    return None


def _map_heatmap(values: np.ndarray, colorscale: str | list = GREYS, text: bool = False) -> dict:
    trace = {"type": "heatmap", "z": np.asarray(values, float), "colorscale": colorscale,
             "showscale": False, "hovertemplate": "row %{y}, col %{x}: %{z:.3f}<extra></extra>"}  # fmt: skip
    if text:
        trace.update(texttemplate="%{z:.2f}", textfont={"size": 13})
    return trace


def conv_map_figure(
    inputs: np.ndarray,
    kernels: np.ndarray,
    per_channel: np.ndarray,
    channels: Sequence[int],
    names: Sequence[str],
    titles: Sequence[str] = ("input map", "kernel slice", "result"),
    cell: tuple[int, int] | None = None,
) -> go.Figure:
    """One row per input channel in `channels`: its map, the filter's kernel slice for it (the
    learned weights, written in the cells) and their convolution; `cell` (row, col) outlined
    in the result. inputs (H, W, C_in), kernels (kh, kw, C_in), per_channel (H', W', C_in)."""
    rows = len(channels)
    titles_all = [f"{names[k]} · {titles[i]}" for k in range(rows) for i in range(3)]
    layout = subplot_grid(rows, 3, titles_all, horizontal_spacing=0.06,
                          vertical_spacing=0.5 / max(rows, 1) / 2, title_font={"size": 13},
                          column_widths=[inputs.shape[1], max(kernels.shape[1] * 3, 8),
                                         per_channel.shape[1]])  # fmt: skip
    traces, shapes = [], []
    for k, channel in enumerate(channels):
        panels = ((inputs[:, :, channel], GREYS, False), (kernels[:, :, channel], "RdBu", True),
                  (per_channel[:, :, channel], "RdBu", False))  # fmt: skip
        for i, (values, colours, text) in enumerate(panels):
            suffix = axis_name(3 * k + i + 1)
            centred = {"zmid": 0.0} if i else {}  # weights and results: red +, blue −, white 0
            traces.append({**_map_heatmap(values, colours, text), **centred,
                           "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})  # fmt: skip
        if cell is not None:
            suffix = axis_name(3 * k + 3)
            shapes.append({"type": "rect", "x0": cell[1] - 0.5, "x1": cell[1] + 0.5,
                           "y0": cell[0] - 0.5, "y1": cell[0] + 0.5, "xref": f"x{suffix}",
                           "yref": f"y{suffix}", "line": {"color": WINDOW, "width": 3}})  # fmt: skip
    layout.update(shapes=shapes, height=170 * rows + 40, font=FONT,
                  margin={"l": 4, "r": 4, "t": 30, "b": 4})  # fmt: skip
    return figure({"data": traces, "layout": layout})
