"""cnnviz.plots.spec: the app builds its figures without Plotly's property checks; the same
builders with the checks give the same figure, property for property."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import plotly.graph_objects as go
import plotly.io
import pytest

from cnnviz import plots
from cnnviz.plots.spec import figure
from cnnviz.training import Curves, Progress


def rng() -> np.random.Generator:  # the same values for both builds
    return np.random.default_rng(0)


def curves() -> Curves:
    c = Curves(steps_per_epoch=50, total_steps=150)
    for step in range(1, 101):
        c.add(Progress("batch", (step - 1) // 50, step, 150, 2 / step, 1 - 1 / step, step / 10))
        if step % 50 == 0:
            c.add(Progress("epoch", step // 50 - 1, step, 150, 0.3, 0.9, step / 10, 0.35, 0.88))
    return c


BUILDERS = {
    "model input": lambda: plots.model_input_figure(rng().random((28, 28, 1)).astype("float32")),
    "colour model input": lambda: plots.model_input_figure(
        rng().random((32, 32, 3)).astype("float32"), "as the model sees it"
    ),
    "feature map": lambda: plots.feature_map_figure(rng().random((13, 13)), "one map"),
    "dense bars": lambda: plots.dense_bars(rng().normal(size=300), "dense"),
    "top k": lambda: plots.top_k_bars([("seven", 0.9), ("one", 0.05), ("two", 0.01)], "top 3"),
    "training curves": lambda: plots.training_curves(curves()),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_a_figure_built_without_checks_is_the_figure_built_with_them(name, monkeypatch):
    monkeypatch.setenv("CNNVIZ_VALIDATE_FIGURES", "1")
    checked = BUILDERS[name]()
    monkeypatch.setenv("CNNVIZ_VALIDATE_FIGURES", "0")
    unchecked = BUILDERS[name]()
    assert checked._validate and not unchecked._validate
    # the same properties and values (Plotly's checks only reorder keys)
    assert json.loads(plotly.io.to_json(unchecked)) == json.loads(plotly.io.to_json(checked))
    go.Figure(unchecked.to_dict())  # and it passes Plotly's checks


def test_the_checks_catch_a_wrong_property_only_when_on(monkeypatch):
    wrong = {"data": [{"type": "bar", "x": [1], "y": [1], "colour": "red"}], "layout": {}}
    monkeypatch.setenv("CNNVIZ_VALIDATE_FIGURES", "1")
    with pytest.raises(ValueError, match="colour"):
        figure(wrong)
    monkeypatch.setenv("CNNVIZ_VALIDATE_FIGURES", "0")
    assert figure(wrong).to_dict()["data"][0]["colour"] == "red"  # built as given: tests check


def test_the_figures_and_their_data_classes_import_without_keras():
    """The lessons without a model draw with cnnviz.plots; its figures' inputs (training curves,
    accuracy curves) are plain classes, imported as they are, and Keras stays unloaded."""
    script = "import sys; from cnnviz import curves, plots, rotation; print('keras' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False", run.stdout + run.stderr
