"""Figures for the Feature maps and Rotation lessons: what each layer makes of a picture, what the
model guesses, where it looked, and how accuracy falls as a digit turns or moves.

A layer's maps, its filters and Grad-CAM are plain pictures (uint8 arrays, see
`cnnviz.tiles.tile`) that the page shows as images: a Plotly chart costs the browser tens of
milliseconds to draw and a slider step redraws them all. Charts are kept where hovering gives
numbers: one map enlarged, the input as the model takes it, bars.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import cv2
import numpy as np
import plotly.graph_objects as go

from cnnviz.plots.spec import figure
from cnnviz.rotation import AccuracyCurve

__all__ = [
    "accuracy_curves_figure",
    "as_uint8",
    "dense_bars",
    "feature_map_figure",
    "grad_cam_picture",
    "model_input_figure",
    "picture_width",
    "top_k_bars",
]

FONT = {"size": 14}
MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
# black to white (Plotly's "gray", spelled out: plotly.js does not know that name)
GREYS = [[0.0, "rgb(0, 0, 0)"], [1.0, "rgb(255, 255, 255)"]]
MODEL_COLOURS = ("#1f77b4", "#e4572e", "#2ca02c", "#9467bd")  # MLP blue, CNN orange, …


def _png_uri(image: np.ndarray) -> str:
    """A uint8 picture (H, W) or RGB (H, W, 3) as a PNG data URI (OpenCV encodes BGR)."""
    bgr = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    _, png = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return "data:image/png;base64," + base64.b64encode(png.tobytes()).decode("ascii")


def _picture(image: np.ndarray, title: str, height: int) -> go.Figure:
    """A uint8 picture (H, W) or (H, W, 3) as one PNG in one image trace, without axes.

    This and the other figures of a photo's run are built from plain dicts: forty students
    upload at once, and Plotly's `update_*` calls cost several times the figure itself."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    trace = {
        "type": "image",
        "source": _png_uri(image),
        "hovertemplate": "x %{x}, y %{y}<extra></extra>",
    }
    layout = {"xaxis": {"visible": False}, "yaxis": {"visible": False}}
    return figure({"data": [trace], "layout": _layout(layout, title, height)})


def _layout(layout: dict, title: str, height: int, margin: dict = MARGIN) -> dict:
    """`layout` with the title, height, margins and font every figure here has; tick labels
    too (Streamlit's chart theme sets them to 12 px, too small on a projector)."""
    axes = {axis: {"tickfont": FONT, **layout.get(axis, {})} for axis in ("xaxis", "yaxis")}
    return {**layout, **axes, "font": FONT, "height": height, "margin": margin,
            "title": {"text": title}}  # fmt: skip


def picture_width(image: np.ndarray, width: int = 1000, low: int = 160, high: int = 560) -> int:
    """Pixels to draw a picture wide so it shows about `width` pixels wide and between `low`
    and `high` pixels high (a tall grid is drawn narrower, a strip keeps its width)."""
    rows, cols = image.shape[:2]
    height = float(np.clip(width * rows / max(cols, 1), low, high))
    return max(1, min(width, round(height * cols / max(rows, 1))))


def feature_map_figure(values: np.ndarray, title: str = "", height: int = 460) -> go.Figure:
    """One map (H, W) large, as a heatmap: hover shows each position's value."""
    trace = {
        "type": "heatmap",
        "z": np.asarray(values, dtype=float),
        "colorscale": GREYS,
        "hovertemplate": "row %{y}, col %{x}: %{z:.3f}<extra></extra>",
    }
    layout = {
        "xaxis": {"constrain": "domain", "visible": False},
        "yaxis": {"autorange": "reversed", "scaleanchor": "x", "constrain": "domain",
                  "visible": False},
    }  # fmt: skip
    return figure({"data": [trace], "layout": _layout(layout, title, height)})


def as_uint8(x: np.ndarray) -> np.ndarray:
    """A picture (H, W[, C]) of floats 0..1 -> uint8 (H, W) or (H, W, 3), 0..1 as 0..255."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[:, :, 0]
    return np.clip(np.round(x * 255), 0, 255).astype(np.uint8)


def model_input_figure(x: np.ndarray, title: str = "") -> go.Figure:
    """The input exactly as the model receives it: (H, W, C) floats 0..1, hover shows values."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[:, :, 0]
    if x.ndim == 2:
        return feature_map_figure(x, title, 360).update_traces(zmin=0, zmax=1, showscale=False)
    return _picture(as_uint8(x), title, 360)


def dense_bars(values: np.ndarray, title: str = "", max_bars: int = 2048) -> go.Figure:
    """A 1-D output (units,) as one bar per unit (the first `max_bars` when there are more)."""
    values = np.asarray(values, dtype=float).ravel()[:max_bars]
    units = np.arange(len(values))
    # two traces of one colour each: a colour per bar makes Plotly validate thousands of strings
    traces = [
        {
            "type": "bar",
            "x": units[chosen],
            "y": values[chosen],
            "marker": {"color": colour},
            "showlegend": False,
            "hovertemplate": "unit %{x}: %{y:.3f}<extra></extra>",
        }
        for chosen, colour in ((values >= 0, "#1f77b4"), (values < 0, "#e4572e"))
    ]
    layout = _layout({"bargap": 0, "barmode": "relative"}, title, 260)
    return figure({"data": traces, "layout": layout})


def top_k_bars(predictions: Sequence[tuple[str, float]], title: str = "") -> go.Figure:
    """The model's top guesses [(class, probability)] as horizontal bars, likeliest on top."""
    names = [str(name) for name, _ in predictions][::-1]
    probs = [float(p) for _, p in predictions][::-1]
    trace = {
        "type": "bar",
        "x": probs,
        "y": names,
        "orientation": "h",
        "text": [f"{p:.1%}" for p in probs],
        "textposition": "auto",
        "textfont": FONT,
        "marker": {"color": "#1f77b4"},
        "hovertemplate": "%{y}: %{x:.2%}<extra></extra>",
    }
    layout = {"xaxis": {"range": [0, 1], "tickformat": ".0%"}, "yaxis": {"type": "category"}}
    height = max(200, 36 * len(names) + 80)
    return figure({"data": [trace], "layout": _layout(layout, title, height)})


def grad_cam_picture(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """The input (H, W[, C]) 0..1 with the heatmap (H, W) 0..1 laid over it in colour -> uint8 RGB.

    overlay = (1 − alpha) · input + alpha · jet(heatmap); red is where the model looked most.
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    base = np.clip(image * 255, 0, 255).astype(np.uint8)
    if base.ndim == 2:
        base = np.repeat(base[:, :, None], 3, axis=2)
    heat = np.clip(np.asarray(heatmap, np.float32) * 255, 0, 255).astype(np.uint8)
    heat = cv2.resize(heat, (base.shape[1], base.shape[0]), interpolation=cv2.INTER_LINEAR)
    colour = cv2.cvtColor(cv2.applyColorMap(heat, cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
    return cv2.addWeighted(base, 1 - alpha, colour, alpha, 0)


def accuracy_curves_figure(
    curves: Sequence[AccuracyCurve],
    title: str = "",
    x_title: str = "",
    y_title: str = "",
    names: Sequence[str] | None = None,
) -> go.Figure:
    """Accuracy against angle or shift, one line per model, all on one chart (0–100 %).

    Curves of the same model name share a colour; a second curve of a name (e.g. after training
    with augmentation) is dashed.
    """
    fig = go.Figure()
    colours: dict[str, str] = {}
    for number, curve in enumerate(curves):
        label = names[number] if names else curve.model_name
        base = curve.model_name.split(":")[0]
        dashed = base in colours
        colour = colours.setdefault(base, MODEL_COLOURS[len(colours) % len(MODEL_COLOURS)])
        fig.add_trace(
            go.Scatter(
                x=list(curve.positions),
                y=list(curve.accuracy),
                mode="lines+markers",
                name=label,
                line={"color": colour, "dash": "dash" if dashed else "solid", "width": 3},
                hovertemplate="%{x}: %{y:.1%}<extra>" + label + "</extra>",
            )
        )
    positions = list(curves[0].positions) if curves else []
    fig.update_xaxes(title=x_title, tickvals=positions)
    fig.update_yaxes(title=y_title, range=[0, 1.02], tickformat=".0%")
    fig.update_layout(
        title=title,
        height=400,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        font=FONT,
        legend={"orientation": "h", "y": -0.2},
    )
    return fig
