"""The lesson figures show what the step says, without a browser."""

import numpy as np

from cnnviz import conv, plots, pooling
from cnnviz.examples import EXAMPLES


def window_box(figure, xref="x"):
    return [
        s for s in figure.layout.shapes if s.xref == xref and s.line.color == plots.lessons.WINDOW
    ]


def test_conv_step_outlines_the_window_and_fills_only_computed_cells():
    example = EXAMPLES["sharpen_patch"]
    padded, pads = conv.pad(example.grid, "same", example.kernel)
    steps = conv.conv2d_steps(example.grid, example.kernel, padding="same")
    output = conv.conv2d(example.grid, example.kernel, padding="same")
    figure = plots.conv_step_figure(padded, pads, example.kernel, steps[7], output, 8)
    (box,) = window_box(figure, "x")
    assert (box.x0, box.x1, box.y0, box.y1) == (
        1.5,
        4.5,
        0.5,
        3.5,
    )  # row 1, col 2 of the padded grid
    (cell,) = window_box(figure, "x3")
    assert (cell.x0, cell.y0) == (1.5, 0.5)
    shown = np.array(figure.data[2].z, dtype=float)
    assert np.isfinite(shown.reshape(-1)[:8]).all() and np.isnan(shown.reshape(-1)[8:]).all()
    assert figure.data[2].text[0][0] == "114"
    assert figure.data[0].text[0][0] == "0"  # padding ring


def test_dilated_step_marks_each_tap():
    grid = np.arange(49).reshape(7, 7)
    steps = conv.conv2d_steps(grid, np.ones((3, 3)), dilation=2)
    padded, pads = conv.pad(grid, "valid", (3, 3))
    figure = plots.conv_step_figure(
        padded,
        pads,
        np.ones((3, 3)),
        steps[0],
        conv.conv2d(grid, np.ones((3, 3)), dilation=2),
        1,
        2,
    )
    assert len(window_box(figure, "x")) == 1 + 9  # the 5×5 span and its nine taps


def test_pool_step_rings_the_maximum():
    grid = np.array([[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 2, 2], [3, 0, 1, 9]])
    steps = pooling.pool2d_steps(grid, 2)
    figure = plots.pool_step_figure(grid, steps[3], pooling.pool2d(grid, 2), 4, 2)
    (ring,) = [s for s in figure.layout.shapes if s.type == "circle"]
    assert (ring.x0 + ring.x1) / 2 == 3 and (ring.y0 + ring.y1) / 2 == 3


def test_padding_grid_marks_padding_dropped_cells_and_window_corners():
    figure = plots.padding_grid_figure(7, 3, 3, (0, 0), output_size=2)
    kinds = np.array(figure.data[0].z)
    assert (kinds[:, 6] == 2).all() and (kinds[6, :] == 2).all()  # column 7 and row 7 never covered
    assert (kinds[:6, :6] == 1).all()
    assert list(figure.data[1].x) == [0, 3, 0, 3]
    padded = plots.padding_grid_figure(5, 3, 1, (1, 1))
    kinds = np.array(padded.data[0].z)
    assert (kinds[0] == 0).all() and (kinds[1:6, 1:6] == 1).all()


def test_params_bar_writes_each_count():
    figure = plots.params_bar_figure(["conv2d", "dense"], [320, 5130])
    assert list(figure.data[0].text) == ["320", "5,130"]


def test_a_photo_patch_blurred_keeps_every_number_within_four_characters_and_cells_square():
    """A Gaussian 5×5 kernel's weights, 0–255 pixels and fractional sums: each label fits a
    cell at 14 px (at most four characters), and no panel is stretched (square cells)."""
    rng = np.random.default_rng(0)
    patch = rng.integers(0, 256, (10, 10)).astype(float)
    ramp = np.exp(-0.5 * (np.arange(-2, 3) / 0.7) ** 2)
    gaussian = np.outer(ramp, ramp) / np.outer(ramp, ramp).sum()
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float) * 4
    for kernel in (gaussian, sobel, -gaussian):
        padded, pads = conv.pad(patch, "same", kernel)
        steps = conv.conv2d_steps(patch, kernel, padding="same")
        output = conv.conv2d(patch, kernel, padding="same")
        figure = plots.conv_step_figure(padded, pads, kernel, steps[0], output, len(steps))
        labels = [label for trace in figure.data for row in trace.text for label in row]
        assert max(len(label) for label in labels) <= 4, sorted(labels, key=len)[-3:]
        assert figure.data[0].textfont.size >= 14
        for n in ("", "2", "3"):
            assert figure.layout[f"yaxis{n}"].scaleanchor == f"x{n}"
    assert plots.lessons._label(0.619) == "0.62" and plots.lessons._label(1.6904) == "1.69"
    assert plots.lessons._label(-271.6) == "-272" and plots.lessons._label(6.9e-8) == "0"
    assert plots.lessons._label(-1020) == "-1k" and plots.lessons._label(-53.4) == "-53"
