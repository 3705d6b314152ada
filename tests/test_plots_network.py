"""cnnviz.plots.network: the overview has one clickable marker per drawn map, unit and class,
each naming its column and unit; a click event gives back that pick; the conv detail figure."""

import numpy as np
import pytest

from cnnviz import network, plots


def make_columns() -> list[network.Column]:
    rng = np.random.default_rng(0)
    maps = rng.random((6, 6, 12))
    units = rng.normal(size=40)
    classes = np.full(3, 1 / 3)
    return [
        network.Column("input", "input", "Input", (6, 6, 1), maps[:, :, :1], (0,)),
        network.Column("conv", "conv", "Conv2D", (6, 6, 12), maps, tuple(range(8))),
        network.Column("dense", "dense", "Dense", (40,), units, tuple(range(16))),
        network.Column("scores", "output", "Dense", (3,), classes, (0, 1, 2)),
    ]


def markers(figure) -> dict:
    return next(
        trace for trace in figure.data if trace.type == "scatter" and trace.mode == "markers"
    )


def test_every_drawn_map_unit_and_class_has_a_marker_naming_it():
    columns = make_columns()
    figure = plots.overview_figure(
        columns, range(4), (1, 3), ["cat", "dog", "owl"], "{shown} of {count}"
    )
    picks = [tuple(data) for data in markers(figure).customdata]
    expected = [(position, unit) for position, c in enumerate(columns) for unit in c.shown]
    assert picks == expected
    assert len(figure.layout.images) == 1 + 8  # the input's and the conv layer's tiles
    texts = [t for t in figure.data if t.type == "scatter" and t.mode == "text"]
    assert "cat 33%" in texts[0].text
    notes = [a.text for a in figure.layout.annotations if "of" in a.text]
    assert notes == ["8 of 12", "16 of 40"]  # under the two capped columns


def test_the_picked_unit_is_outlined_and_only_it():
    figure = plots.overview_figure(make_columns(), range(4), (2, 5))
    (outline,) = figure.layout.shapes
    ys = markers(figure).y
    index = [tuple(d) for d in markers(figure).customdata].index((2, 5))
    assert outline.y0 < ys[index] < outline.y1 and outline.x0 < 2 < outline.x1


def test_a_window_of_columns_keeps_each_markers_own_column_number():
    figure = plots.overview_figure(make_columns(), [2, 3], None)
    assert {d[0] for d in markers(figure).customdata} == {2, 3}
    assert not figure.layout.shapes


@pytest.mark.parametrize(
    ("event", "pick"),
    [
        ({"selection": {"points": [{"customdata": [3, 7], "x": 1}]}}, (3, 7)),
        ({"selection": {"points": []}}, None),
        ({"selection": {"points": [{"x": 1}]}}, None),
        ({"selection": {"points": [{"customdata": ["a", 1]}]}}, None),
        (None, None),
        ("text", None),
    ],
)
def test_a_click_event_gives_back_the_pick_it_names(event, pick):
    assert plots.pick_from_click(event) == pick


def test_the_conv_map_figure_has_a_row_per_channel_with_the_kernel_written_in():
    rng = np.random.default_rng(1)
    inputs, kernels = rng.random((8, 8, 5)), rng.normal(size=(3, 3, 5))
    per_channel = rng.random((6, 6, 5))
    figure = plots.conv_map_figure(inputs, kernels, per_channel, [1, 4], ["map 1", "map 4"],
                                   cell=(2, 3))  # fmt: skip
    assert len(figure.data) == 6
    np.testing.assert_allclose(np.asarray(figure.data[4].z), kernels[:, :, 4])
    assert figure.data[4].texttemplate
    assert [a.text for a in figure.layout.annotations][:3] == [
        "map 1 · input map", "map 1 · kernel slice", "map 1 · result"
    ]  # fmt: skip
    assert len(figure.layout.shapes) == 2  # the cell, in each row's result
