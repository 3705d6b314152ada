"""cnnviz.plots.training: the learning curves the Train page redraws while a model trains."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from cnnviz.plots import CurveLabels, training_curves
from cnnviz.training import Curves, Progress

LABELS = CurveLabels("손실", "정확도", "에포크", "배치", "훈련", "검증")


def curves_after(batches: int, epochs: list[tuple[float, float, float, float]]) -> Curves:
    """Curves of a 5-epoch training of 10 batches an epoch after `batches` batches and `epochs`
    (loss, accuracy, val_loss, val_accuracy)."""
    curves = Curves(10, 50)
    for step in range(1, batches + 1):
        curves.add(Progress("batch", (step - 1) // 10, step, 50, 2 / step, step / 60, step * 0.1))
    for number, (loss, accuracy, val_loss, val_accuracy) in enumerate(epochs):
        curves.add(
            Progress("epoch", number, 10 * (number + 1), 50, loss, accuracy, 1.0, val_loss,
                     val_accuracy)
        )  # fmt: skip
    return curves


def test_loss_and_accuracy_sit_side_by_side_with_batches_epochs_and_validation():
    curves = curves_after(25, [(0.9, 0.7, 0.8, 0.75), (0.5, 0.85, 0.6, 0.8)])
    fig = training_curves(curves, LABELS)

    assert isinstance(fig, go.Figure) and len(fig.data) == 6
    loss, accuracy = fig.data[:3], fig.data[3:]
    assert {(t.xaxis, t.yaxis) for t in loss} == {("x", "y")}
    assert {(t.xaxis, t.yaxis) for t in accuracy} == {("x2", "y2")}
    batches, train, validation = loss
    assert list(batches.x) == [step / 10 for step in range(1, 26)]  # positions in epochs
    assert list(batches.y) == curves.batch_loss
    assert list(train.x) == [1, 2] and list(train.y) == [0.9, 0.5]
    assert list(validation.y) == [0.8, 0.6] and list(accuracy[2].y) == [0.75, 0.8]
    assert [a.text for a in fig.layout.annotations] == ["손실", "정확도"]
    assert fig.layout.xaxis.title.text == fig.layout.xaxis2.title.text == "에포크"
    assert fig.layout.xaxis.domain[1] < fig.layout.xaxis2.domain[0]  # two plots, not one
    assert list(fig.layout.xaxis.range) == [0, 5 * 1.02]  # the whole training from the start
    assert list(fig.layout.yaxis2.range) == [0, 1.02]
    assert [t.showlegend for t in fig.data] == [True] * 3 + [False] * 3  # one legend entry each


def test_an_epoch_without_validation_is_a_gap_not_a_point():
    fig = training_curves(curves_after(20, [(0.9, 0.7, math.nan, math.nan)]), LABELS)

    assert list(fig.data[2].y) == [None] and list(fig.data[5].y) == [None]


def test_before_the_first_batch_the_chart_has_its_traces_and_keeps_its_zoom_while_it_grows():
    empty, later = training_curves(None, LABELS), training_curves(curves_after(5, []), LABELS)

    assert len(empty.data) == len(later.data) == 6
    assert all(len(t.y) == 0 for t in empty.data)
    assert [t.name for t in empty.data] == [t.name for t in later.data]
    assert empty.layout.uirevision == later.layout.uirevision == "training"


def test_the_training_charts_write_at_least_14_px_for_a_projector():
    import numpy as np

    from cnnviz.plots import confusion_matrix_figure, image_grid_figure

    curves = training_curves(curves_after(5, [(0.9, 0.7, 0.8, 0.6)]), LABELS)
    assert curves.layout.font.size >= 14 and curves.layout.legend.font.size >= 14
    assert all(curves.layout[axis].tickfont.size >= 14 for axis in ("xaxis", "yaxis2"))
    confusion = confusion_matrix_figure(np.eye(3, dtype=int) * 7, ["a", "b", "c"], "true", "guess")
    assert confusion.data[0].textfont.size >= 14
    assert confusion.layout.xaxis.tickfont.size >= 14 and confusion.layout.yaxis.tickfont.size >= 14
    mistakes = image_grid_figure(np.zeros((3, 28, 28, 1), np.uint8), ["7 → 2", "4 → 9", "1 → 7"])
    assert [title.font.size for title in mistakes.layout.annotations] == [14, 14, 14]
