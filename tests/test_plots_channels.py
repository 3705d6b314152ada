"""One 3-D kernel over R, G and B: the figure and the written sum show what the step computes, and
the lesson's total + bias is what a real Keras Conv2D gives for the same patch and weights."""

from pathlib import Path

import numpy as np
import pytest

from cnnviz import conv, images, plots
from cnnviz.kernels import KERNELS
from cnnviz.ui.inputs import CHANNEL_WEIGHTS, colour_kernel

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"


@pytest.fixture(scope="module")
def patch() -> np.ndarray:
    """A 10×10 colour patch of a real sample photo, as floats 0–255: (10, 10, 3)."""
    path = sorted(SAMPLES.glob("*.jpg"))[0]
    photo = images.load_image(path.read_bytes(), max_side=512)
    top, left = photo.shape[0] // 2, photo.shape[1] // 2
    return photo[top : top + 10, left : left + 10].astype(float)


def titles_of(figure) -> list[str]:
    return [annotation.text for annotation in figure.layout.annotations if annotation.text]


def test_channel_step_figure_has_a_row_per_channel_with_its_sum_in_the_products_title(patch):
    kernel = colour_kernel(KERNELS["sobel_x"], CHANNEL_WEIGHTS["luminance"])
    step = conv.conv2d_steps(patch, kernel)[27]
    figure = plots.channel_step_figure(step, [0, 1, 2], ["R", "G", "B"])
    assert len(figure.data) == 9  # window, kernel, products on each of three rows
    titles = titles_of(figure)
    for k, name in enumerate("RGB"):
        products_title = next(text for text in titles if text.startswith(f"{name} · products"))
        assert f"Σ = <b>{plots.channels.amount(step.channel_totals[k])}</b>" in products_title
        shown = np.array(figure.data[3 * k + 2].z, dtype=float)
        np.testing.assert_allclose(shown.sum(), step.channel_totals[k])
        np.testing.assert_allclose(np.array(figure.data[3 * k].z), patch[3:6, 3:6, k])
    assert titles.count("×") == 3 and titles.count("=") == 3


def test_channel_step_figure_shows_only_the_chosen_channels_in_their_order(patch):
    kernel = colour_kernel(KERNELS["sharpen"], CHANNEL_WEIGHTS["red_minus_green"])
    step = conv.conv2d_steps(patch, kernel)[0]
    figure = plots.channel_step_figure(step, [2, 0], ["B", "R"], titles=("w", "k", "p"))
    assert len(figure.data) == 6
    np.testing.assert_allclose(np.array(figure.data[0].z), patch[:3, :3, 2])
    np.testing.assert_allclose(np.array(figure.data[4].z), kernel[:, :, 0])
    assert any(text.startswith("B · p · Σ") for text in titles_of(figure))


def test_channel_sum_text_adds_the_channel_sums_and_the_bias(patch):
    kernel = colour_kernel(KERNELS["sobel_y"], CHANNEL_WEIGHTS["luminance"])
    step = conv.conv2d_steps(patch, kernel)[10]
    text = plots.channel_sum_text(step, -3.5, ["R", "G", "B"], bias_name="편향")
    terms, total = text.rsplit(" = ", 1)
    assert [term.split(" ")[0] for term in terms.split(" + ")] == ["R", "G", "B", "편향"]
    assert float(total.replace("−", "-")) == pytest.approx(step.total - 3.5, abs=0.01)
    assert step.channel_totals.sum() == pytest.approx(step.total)


def test_a_known_sum_is_written_out_exactly():
    window = np.stack([np.full((3, 3), 10.0), np.full((3, 3), 20.0), np.zeros((3, 3))], axis=2)
    kernel = colour_kernel(np.eye(3), CHANNEL_WEIGHTS["red_minus_green"])
    (step,) = conv.conv2d_steps(window, kernel)
    # R: 3 · 10 · 1 = 30; G: 3 · 20 · (−1) = −60; B: 0
    assert plots.channel_sum_text(step, 5.0, ["R", "G", "B"]) == "R 30 + G −60 + B 0 + bias 5 = −25"


def test_luminance_weights_give_the_grayscale_convolution(patch):
    """The 3-D kernel 0.299·K, 0.587·K, 0.114·K is K on the (unrounded) luminance picture."""
    kernel = KERNELS["sobel_x"]
    together = conv.conv2d(patch, colour_kernel(kernel, CHANNEL_WEIGHTS["luminance"]))
    gray = patch @ np.array(CHANNEL_WEIGHTS["luminance"])  # (10, 10, 3) @ (3,) -> (10, 10)
    np.testing.assert_allclose(together, conv.conv2d(gray, kernel), atol=1e-9)


@pytest.mark.parametrize(
    ("weights", "kernel", "bias", "stride", "padding"),
    [
        ("luminance", "sobel_x", 0.0, 1, "valid"),
        ("red_minus_green", "sharpen", 12.5, 1, "same"),
        ("red_only", "box", -40.0, 2, "same"),
        ("luminance", "sobel_y", 3.0, 2, "valid"),
    ],
)
def test_the_lessons_channel_sums_plus_bias_equal_a_keras_conv2d(
    patch, weights, kernel, bias, stride, padding
):
    """Every cell's R sum + G sum + B sum + bias, as the lesson writes it, is keras Conv2D(1, 3)
    with that kernel and bias set, on the same patch."""
    keras = pytest.importorskip("keras")
    kernel3d = colour_kernel(KERNELS[kernel], CHANNEL_WEIGHTS[weights])  # (3, 3, 3)
    layer = keras.layers.Conv2D(1, 3, strides=stride, padding=padding)
    layer.build((1, *patch.shape))
    layer.set_weights([kernel3d[:, :, :, None].astype("float32"), np.array([bias], "float32")])
    expected = keras.ops.convert_to_numpy(layer(patch[None].astype("float32")))[0, :, :, 0]
    steps = conv.conv2d_steps(patch, kernel3d, stride=stride, padding=padding)
    assert len(steps) == expected.size
    for step in steps:
        total = float(step.channel_totals.sum()) + bias
        assert total == pytest.approx(float(expected[step.row, step.col]), abs=1e-4)
        written = plots.channel_sum_text(step, bias, ["R", "G", "B"]).rsplit(" = ", 1)[1]
        assert float(written.replace("−", "-")) == pytest.approx(total, abs=0.01)


def test_colour_window_figure_outlines_the_window_and_fills_only_computed_cells(patch):
    kernel = colour_kernel(KERNELS["sharpen"], CHANNEL_WEIGHTS["luminance"])
    steps = conv.conv2d_steps(patch, kernel, stride=2, padding="same")
    padded, pads = conv.pad(patch, "same", (3, 3), stride=2)
    output = conv.conv2d(patch, kernel, stride=2, padding="same")
    assert pads == (0, 1, 0, 1) and output.shape == (5, 5)
    figure = plots.colour_window_figure(padded, pads, steps[6], output, 7)
    boxes = [s for s in figure.layout.shapes if s.line.color == plots.lessons.WINDOW]
    window, cell = (box for box in boxes if box.xref == "x"), (b for b in boxes if b.xref == "x2")
    (window,), (cell,) = list(window), list(cell)
    assert (window.x0, window.y0, window.x1, window.y1) == (1.5, 1.5, 4.5, 4.5)  # row 1, col 1
    assert (cell.x0, cell.y0) == (0.5, 0.5)
    shown = np.array(figure.data[1].z, dtype=float).reshape(-1)
    assert np.isfinite(shown[:7]).all() and np.isnan(shown[7:]).all()
    np.testing.assert_allclose(shown[:7], output.reshape(-1)[:7])
    assert np.array(figure.data[0].z).shape == (11, 11, 3)
