"""Lessons 1–3 through AppTest: the controls show what the page computes with, in both languages.

A browser keeps its own value for a widget that stays on the page. A widget the page drops and
draws again later starts afresh there: it shows the value the server set for it, else its
default, whatever value the server still holds (`shown`).
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from cnnviz import conv
from cnnviz.examples import EXAMPLES
from cnnviz.kernels import KERNELS
from tests import corpus
from tests.pages.conftest import open_page

CONV = "pages/1_convolution.py"
KINDS = ("selectbox", "radio", "number_input")


def widget_keys(at) -> set[str]:
    return {w.key for kind in KINDS for w in at.get(kind)}


def shown(widget, was_drawn: bool):
    """What the browser shows: an option's label for a selectbox or radio, else the number."""
    if was_drawn:  # the browser sent this value itself
        return widget.format_func(widget.value) if hasattr(widget, "options") else widget.value
    proto = widget.proto
    if widget.type == "selectbox":
        return proto.raw_value if proto.set_value else proto.options[proto.default]
    if widget.type == "radio":
        return proto.options[proto.value if proto.set_value else proto.default]
    return proto.value if proto.set_value else proto.default


def figure_grids(at, key: str) -> list[np.ndarray]:
    """The grids of the chart `key`, decoded from Plotly's binary arrays."""
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key))
    grids = []
    for trace in json.loads(chart.proto.spec)["data"]:
        z = trace["z"]
        data = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"])
        grids.append(data.reshape([int(n) for n in z["shape"].split(",")]))
    return grids


def kernel_named(label: str, example: str | None) -> np.ndarray:
    from cnnviz import i18n

    if label == i18n.t("widgets.kernel_example", "en"):
        return np.asarray(EXAMPLES[example].kernel, dtype=float)
    return next(
        np.asarray(k, dtype=float)
        for name, k in KERNELS.items()
        if i18n.t(f"kernels.{name}", "en") == label
    )


def run_and_check(at, change, example: str = "five_by_five") -> tuple[str, float]:
    """Apply `change`, rerun, and check the figure uses the kernel and stride shown."""
    before = widget_keys(at)
    change(at).run()
    assert not at.exception
    kernel_box = at.selectbox(key="conv_kernel@en")
    stride_box = at.number_input(key="conv_stride")
    kernel_label = shown(kernel_box, kernel_box.key in before)
    stride = shown(stride_box, stride_box.key in before)
    assert kernel_label == kernel_box.format_func(kernel_box.value)
    assert stride == stride_box.value
    if any(c.proto.id.endswith("conv_figure") for c in at.get("plotly_chart")):
        _, kernel_drawn, output_drawn = figure_grids(at, "conv_figure")
        kernel = kernel_named(kernel_label, example)
        np.testing.assert_array_equal(kernel_drawn, kernel)
        grid_side = int(at.markdown[1].value.split("**")[1].split("×")[0])
        expected = (grid_side - kernel.shape[0]) // int(stride) + 1
        assert output_drawn.shape == (expected, expected)
    return kernel_label, stride


def test_kernel_and_stride_stay_as_shown_through_an_upload_and_back():
    at = open_page(CONV)
    run_and_check(at, lambda a: a.selectbox(key="conv_kernel@en").set_value("sobel_x"))
    assert run_and_check(at, lambda a: a.number_input(key="conv_stride").set_value(2)) == (
        "Sobel x",
        2,
    )
    assert run_and_check(at, lambda a: a.radio(key="conv_source@en").set_value("upload")) == (
        "Sobel x",
        2,
    )
    back = run_and_check(at, lambda a: a.radio(key="conv_source@en").set_value("example"))
    assert back == ("Sobel x", 2)
    assert "output **2×2**" in at.markdown[1].value
    first = conv.conv2d_steps(EXAMPLES["five_by_five"].grid, KERNELS["sobel_x"], 2)[0]
    assert at.code[0].value == first.expression


def test_kernel_and_stride_stay_as_shown_after_a_photo_is_uploaded_and_back():
    at = open_page(CONV)
    at.selectbox(key="conv_kernel@en").set_value("sobel_x").run()
    at.number_input(key="conv_stride").set_value(2).run()
    run_and_check(at, lambda a: a.radio(key="conv_source@en").set_value("upload"))
    photo = ("photo.jpg", corpus.jpeg(200, 150), "image/jpeg")
    assert run_and_check(at, lambda a: a.get("file_uploader")[0].set_value(photo)) == (
        "Sobel x",
        2,
    )
    assert "output **4×4**" in at.markdown[1].value  # the 10×10 patch, stride 2
    back = run_and_check(at, lambda a: a.radio(key="conv_source@en").set_value("example"))
    assert back == ("Sobel x", 2)


def hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


def test_keras_padding_modes_table_keeps_its_formula_column_in_korean():
    at = open_page("pages/2_padding.py", lang="ko")
    table = next(d.value for d in at.dataframe if "⌈I / S⌉" in d.value.to_string())
    headers = list(table.columns)
    assert len(headers) == len(set(headers)) == 3
    assert "출력 크기 공식" in headers
    assert list(table["출력 크기 공식"]) == ["⌈(I − K + 1) / S⌉", "⌈I / S⌉"]
    assert list(table["출력 크기"]) == [5, 7]


def test_layer_table_columns_are_translated_in_korean_and_keep_their_keys():
    from cnnviz.architectures import TABLE_COLUMNS

    at = open_page("pages/3_pooling.py", lang="ko")
    at.selectbox(key="params_model@ko").set_value("custom").run()
    editor = next(d for d in at.dataframe if d.proto.id.endswith("params_layers"))
    config = json.loads(editor.proto.columns)
    assert list(editor.value.columns) == list(TABLE_COLUMNS)  # the data keys stay Keras's names
    labels = {column: config[column]["label"] for column in TABLE_COLUMNS}
    assert all(hangul(label) for label in labels.values()), labels
    assert labels["kernel_size"] == "커널 크기 (kernel_size)"
    shown_tables = [d.value for d in at.dataframe if d is not editor]
    for table in shown_tables:
        assert all(hangul(str(header)) for header in table.columns), list(table.columns)


def set_padding_page(at, size, kernel, pad, stride, dilation=1):
    at.number_input(key="pad_size").set_value(size).run()
    at.number_input(key="pad_kernel").set_value(kernel).run()
    at.number_input(key="pad_amount").set_value(pad).run()
    at.number_input(key="pad_stride").set_value(stride).run()
    at.number_input(key="pad_dilation").set_value(dilation).run()
    assert not at.exception
    legend = next(c.value for c in at.caption if c.value.startswith("Grey"))
    return " ".join(w.value for w in at.warning), legend


def test_left_over_padding_is_not_called_red_input():
    at = open_page("pages/2_padding.py")
    warning, legend = set_padding_page(at, 8, 3, 1, 3)
    assert "does not fit evenly" in warning and "red" not in warning.lower()
    assert "every input cell is still used" in warning
    assert "Red" not in legend


def test_input_cells_no_window_covers_are_counted_and_called_red():
    at = open_page("pages/2_padding.py")
    warning, legend = set_padding_page(at, 11, 3, 1, 4)  # two left over: one of them padding
    assert "The last 1 row(s) and column(s) of the input (red)" in warning
    assert "Red: input cells no window covers." in legend


def test_stride_with_dilation_says_keras_refuses_it():
    at = open_page("pages/2_padding.py")
    warning, _ = set_padding_page(at, 9, 3, 0, 2, dilation=2)
    assert "Keras's Conv2D refuses" in warning
    table = next(d.value for d in at.dataframe if "⌈I / S⌉" in d.value.to_string())
    assert list(table["Output size"]) == ["—", "—"]
    at = open_page(CONV)
    at.number_input(key="conv_stride").set_value(2).run()
    assert not any("refuses" in w.value for w in at.warning)
    at.number_input(key="conv_dilation").set_value(2).run()
    assert any("Keras's Conv2D refuses" in w.value for w in at.warning)


def test_example_caption_gives_the_output_size_in_use():
    at = open_page(CONV)  # caption 0 says the address is a link to this view
    at.selectbox(key="conv_example@en").set_value("binary_seven").run()
    assert "output (5×5 here)" in at.caption[1].value
    at.number_input(key="conv_stride").set_value(2).run()
    assert "output (3×3 here)" in at.caption[1].value
    assert "output **3×3**" in at.markdown[1].value
    at.selectbox(key="conv_example@en").set_value("five_by_five").run()
    assert at.caption[1].value.endswith("the output is 2×2.")


def test_average_pooling_with_same_padding_says_padding_is_left_out():
    at = open_page("pages/3_pooling.py")
    at.radio(key="pool_mode@en").set_value("avg").run()
    at.radio(key="pool_padding@en").set_value("same").run()
    first = next(m.value for m in at.markdown if m.value.startswith("Output cell"))
    assert "left out" not in first  # the first window lies inside the 5×5 input
    at.slider(key="pool_step").set_value(8).run()  # the bottom-right window: 1 input cell
    last = next(m.value for m in at.markdown if m.value.startswith("Output cell"))
    assert "mean of the window's 1 input cells = **1**" in last
    assert "3 padded cell(s) are left out of the mean" in last


def test_a_shrinking_table_with_pooling_advises_removing_a_pooling_layer():
    at = open_page("pages/3_pooling.py", lang="ko")
    at.selectbox(key="params_model@ko").set_value("custom").run()
    at.number_input(key="params_height").set_value(4).run()
    assert not at.exception
    assert any("풀링 층을 빼거나" in e.value for e in at.error)


def test_next_step_goes_round():
    from cnnviz.ui.stepper import next_step

    assert [next_step(i, 1, 4) for i in range(4)] == [1, 2, 3, 0]
    assert next_step(0, -1, 4) == 3


@pytest.mark.parametrize(
    ("page", "key", "count"), [(CONV, "conv", 9), ("pages/3_pooling.py", "pool", 4)]
)
def test_one_stepper_steps_both_lessons_the_same_way(page, key, count):
    at = open_page(page)
    assert at.slider(key=f"{key}_step").max == count - 1
    at.button(key=f"{key}_previous").click().run()  # from the first step round to the last
    assert at.slider(key=f"{key}_step").value == count - 1
    at.button(key=f"{key}_next").click().run()
    assert at.slider(key=f"{key}_step").value == 0
    at.toggle(key=f"{key}_playing").set_value(True).run()  # playing: one step on per run
    assert at.slider(key=f"{key}_step").value == 1
    at.toggle(key=f"{key}_playing").set_value(False).run()
    assert at.slider(key=f"{key}_step").value == 1
    assert not at.exception


def test_the_step_shown_stays_within_fewer_steps():
    at = open_page(CONV)
    at.slider(key="conv_step").set_value(8).run()
    at.number_input(key="conv_stride").set_value(2).run()  # 9 steps become 4
    assert at.slider(key="conv_step").value == 3
    first = conv.conv2d_steps(EXAMPLES["five_by_five"].grid, EXAMPLES["five_by_five"].kernel, 2)
    assert at.code[0].value == first[3].expression
