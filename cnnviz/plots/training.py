"""Figures for the Train page: learning curves, the confusion matrix and grids of images.

Labels come in already translated (`CurveLabels`), so these builders stay free of Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.curves import Curves
from cnnviz.plots.spec import figure

__all__ = [
    "CurveLabels",
    "confusion_matrix_figure",
    "image_grid_figure",
    "training_curves",
]

TRAIN = "#1f77b4"
VALIDATION = "#e4572e"
BATCH = "rgba(31, 119, 180, 0.35)"


@dataclass(frozen=True)
class CurveLabels:
    """The words on the learning-curve figure, in the student's language."""

    loss: str = "loss"
    accuracy: str = "accuracy"
    epoch: str = "epoch"
    batches: str = "training (running mean in the epoch)"
    train: str = "training (epoch)"
    validation: str = "validation (epoch)"


# at least 14 px on a projector: Streamlit's chart theme writes ticks and subplot titles at 12 px
PROJECTOR = {"size": 14}
TICKS = {"tickfont": PROJECTOR}


def training_curves(curves: Curves | None, labels: CurveLabels = CurveLabels()) -> go.Figure:
    """Loss (left) and accuracy (right) against epochs: every batch's running mean as a thin
    line, each finished epoch's training and validation values as points.

    The same six traces in the same order on every call, and a fixed `uirevision`, so a chart
    redrawn while training goes on keeps its zoom and does not flicker. Built from plain dicts:
    the live view redraws it twice a second for every student who trains, on the server that
    also serves everybody else's pages (`make_subplots` and `update_*` cost five times more).
    """
    batch_x = curves.batch_epochs if curves else []
    epoch_x = list(range(1, len(curves.epoch_loss) + 1)) if curves else []
    traces = []
    for axis, (batch, epoch, val) in (
        ("", ("batch_loss", "epoch_loss", "val_loss")),
        ("2", ("batch_accuracy", "epoch_accuracy", "val_accuracy")),
    ):
        on_axes = {"xaxis": "x" + axis, "yaxis": "y" + axis, "showlegend": not axis}
        traces += [
            {
                "type": "scatter",
                "x": batch_x,
                "y": list(getattr(curves, batch)) if curves else [],
                "mode": "lines",
                "line": {"color": BATCH, "width": 1.5},
                "name": labels.batches,
                "legendgroup": "batches",
                **on_axes,
            },
            {
                "type": "scatter",
                "x": epoch_x,
                "y": list(getattr(curves, epoch)) if curves else [],
                "mode": "lines+markers",
                "line": {"color": TRAIN, "width": 2.5},
                "marker": {"size": 8},
                "name": labels.train,
                "legendgroup": "train",
                **on_axes,
            },
            {
                "type": "scatter",
                "x": epoch_x,
                "y": _no_nan(getattr(curves, val)) if curves else [],
                "mode": "lines+markers",
                "line": {"color": VALIDATION, "width": 2.5, "dash": "dot"},
                "marker": {"size": 8, "symbol": "diamond"},
                "name": labels.validation,
                "legendgroup": "validation",
                **on_axes,
            },
        ]
    epochs = curves.total_steps / curves.steps_per_epoch if curves else 1
    x_range = {"title": {"text": labels.epoch}, "range": [0, max(epochs, 1) * 1.02]}
    layout = {
        "xaxis": {"anchor": "y", "domain": [0.0, 0.45], **x_range, "rangemode": "tozero", **TICKS},
        "yaxis": {"anchor": "x", "domain": [0.0, 1.0], "rangemode": "tozero", **TICKS},
        "xaxis2": {
            "anchor": "y2",
            "domain": [0.55, 1.0],
            **x_range,
            "rangemode": "tozero",
            **TICKS,
        },
        "yaxis2": {"anchor": "x2", "domain": [0.0, 1.0], "range": [0, 1.02], **TICKS},
        "annotations": [_subplot_title(labels.loss, 0.225), _subplot_title(labels.accuracy, 0.775)],
        "margin": {"l": 40, "r": 20, "t": 40, "b": 40},
        "legend": {"orientation": "h", "y": -0.2, "font": PROJECTOR},
        "font": PROJECTOR,
        "height": 380,
        "uirevision": "training",
    }
    return figure({"data": traces, "layout": layout})


def _subplot_title(text: str, x: float) -> dict:
    """A title above one of two side-by-side plots, as `make_subplots` places it."""
    return {
        "text": text,
        "x": x,
        "xref": "paper",
        "xanchor": "center",
        "y": 1.0,
        "yref": "paper",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 16},
    }


def _no_nan(values: Sequence[float]) -> list[float | None]:
    return [None if v != v else v for v in values]  # NaN (no validation) -> a gap


def confusion_matrix_figure(
    confusion: np.ndarray, class_names: Sequence[str], true_label: str, predicted_label: str
) -> go.Figure:
    """(K, K) counts as a heatmap: row = true class, column = predicted; the diagonal is right."""
    confusion = np.asarray(confusion)
    names = [str(name) for name in class_names]
    text = confusion.shape[0] <= 20  # 100 classes: colour only
    fig = go.Figure(
        go.Heatmap(
            z=confusion.tolist(),
            x=names,
            y=names,
            text=confusion.tolist() if text else None,
            texttemplate="%{text}" if text else None,
            textfont={"size": 15},
            colorscale="Blues",
            showscale=False,
            hovertemplate=f"{true_label}: %{{y}}<br>{predicted_label}: %{{x}}<br>%{{z}}<extra></extra>",
        )
    )
    side = min(700, 120 + 40 * len(names))
    fig.update_layout(height=side, margin={"l": 60, "r": 20, "t": 20, "b": 60}, font=PROJECTOR)
    fig.update_xaxes(title_text=predicted_label, type="category", side="bottom", tickfont=PROJECTOR)
    fig.update_yaxes(title_text=true_label, type="category", autorange="reversed",
                     tickfont=PROJECTOR)  # fmt: skip
    return fig


def image_grid_figure(images: np.ndarray, titles: Sequence[str], columns: int = 8) -> go.Figure:
    """Images (N, H, W, C) uint8 in rows of `columns`, each under its title; grey shown as grey."""
    images = np.asarray(images)
    count = len(images)
    rows = max(1, -(-count // columns))
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[str(title) for title in titles] + [""] * (rows * columns - count),
        horizontal_spacing=0.01,
        vertical_spacing=0.12 / rows,
    )
    for index, image in enumerate(images):
        rgb = np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image[..., :3]
        fig.add_trace(
            go.Image(z=rgb, hoverinfo="skip"), row=index // columns + 1, col=index % columns + 1
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font_size=PROJECTOR["size"])
    fig.update_layout(height=40 + rows * 125, margin={"l": 5, "r": 5, "t": 30, "b": 5})
    return fig
