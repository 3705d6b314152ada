"""The three lessons that need no model, through Streamlit's AppTest."""

import re
import subprocess
import sys

import pytest

from tests import corpus
from tests.pages.conftest import ROOT, open_page

LESSONS = ["pages/1_convolution.py", "pages/2_padding.py", "pages/3_pooling.py"]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("page", LESSONS)
def test_lesson_renders_in_each_language_without_exception(page, lang):
    at = open_page(page, lang=lang)
    assert not at.exception
    assert not at.error
    title = at.title[0].value
    assert title == {"en": {1: "Convolution", 2: "Padding & stride", 3: "Pooling & parameters"},
                     "ko": {1: "합성곱", 2: "패딩과 스트라이드", 3: "풀링과 매개변수"}}[lang][int(page[6])]  # fmt: skip


def expression(at) -> str:
    return at.code[0].value


def test_convolution_steps_forward_and_shows_the_course_sum():
    at = open_page("pages/1_convolution.py")
    assert expression(at).endswith("= 12")
    at.button(key="conv_next").click().run()
    assert expression(at) == "3·0 + 2·1 + 1·2 + 0·2 + 1·2 + 3·0 + 1·0 + 2·1 + 2·2 = 12"
    at.button(key="conv_next").click().run()
    assert expression(at).endswith("= 17")
    at.button(key="conv_previous").click().run().button(key="conv_previous").click().run()
    assert at.slider(key="conv_step").value == 0


def test_sharpen_example_gives_114_and_changing_the_kernel_changes_the_sum():
    at = open_page("pages/1_convolution.py")
    at.selectbox(key="conv_example@en").set_value("sharpen_patch").run()
    assert expression(at).endswith("= 114")
    at.selectbox(key="conv_kernel@en").set_value("box").run()
    assert not expression(at).endswith("= 114")
    assert not at.exception


def test_stride_and_padding_change_the_output_size():
    at = open_page("pages/1_convolution.py")
    sizes = at.markdown[1].value
    assert "output **3×3**" in sizes
    at.radio(key="conv_padding@en").set_value("same").run()
    assert "output **5×5**" in at.markdown[1].value
    at.number_input(key="conv_stride").set_value(2).run()
    assert "output **3×3**" in at.markdown[1].value and "padded **7×7**" in at.markdown[1].value


def test_impossible_settings_show_a_message_not_a_traceback():
    at = open_page("pages/1_convolution.py")
    at.number_input(key="conv_dilation").set_value(3).run()
    assert not at.exception
    assert "larger than the padded input" in at.error[0].value


def test_a_blank_or_non_numeric_kernel_cell_is_refused_with_a_key():
    at = open_page("pages/1_convolution.py")
    at.selectbox(key="conv_kernel@en").set_value("custom").run()
    assert not at.exception and not at.error
    import pandas as pd

    from cnnviz.errors import ShapeError
    from cnnviz.ui import inputs

    for table in ([[1.0, None], [0, 1]], [[1, "x"], [0, 1]]):
        with pytest.raises(ShapeError) as caught:
            inputs.parse_grid(pd.DataFrame(table))
        assert caught.value.key == "shape.kernel_not_finite"
    assert inputs.parse_grid(pd.DataFrame([["1", 2.5]])).tolist() == [[1.0, 2.5]]


def test_sample_photo_is_filtered_side_by_side():
    at = open_page("pages/1_convolution.py")
    at.radio(key="conv_source@en").set_value("sample").run()
    assert not at.exception
    images = at.get("image")
    assert len(images) >= 2
    assert any("range from" in c.value for c in at.caption)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_all_channels_at_once_shows_each_channels_sum_and_the_total_and_steps(lang):
    at = open_page("pages/1_convolution.py", lang=lang)
    at.radio(key=f"conv_source@{lang}").set_value("sample").run()
    at.radio(key=f"conv_mode@{lang}").set_value("together").run()
    assert not at.exception and not at.error
    bias = {"en": "bias", "ko": "편향"}[lang]
    first = expression(at)
    assert re.fullmatch(rf"R \S+ \+ G \S+ \+ B \S+ \+ {bias} 0 = \S+", first), first
    assert "3×3×3" in next(m.value for m in at.markdown if "3-D" in m.value or "3차원" in m.value)
    charts = [chart.key for chart in at.get("plotly_chart")]
    assert "conv_figure" in charts and "conv_channels_figure" in charts
    at.button(key="conv_next").click().run()
    assert at.slider(key="conv_step").value == 1 and expression(at) != first
    at.number_input(key="conv_bias").set_value(10.0).run()
    at.radio(key=f"conv_weights@{lang}").set_value("red_only").run()
    written = expression(at)
    assert f"+ G 0 + B 0 + {bias} 10 = " in written, written
    r_sum, total = written.split(" ")[1], written.rsplit(" = ", 1)[1]
    assert float(total.replace("−", "-")) == pytest.approx(float(r_sum.replace("−", "-")) + 10)
    assert not at.exception and not at.error


def test_padding_page_shows_the_uneven_stride_case_and_errors():
    at = open_page("pages/2_padding.py")
    assert at.metric[0].value == "5×5"
    at.number_input(key="pad_stride").set_value(3).run()
    assert at.metric[0].value == "2×2"
    assert "does not fit evenly" in at.warning[0].value
    at.number_input(key="pad_kernel").set_value(9).run()
    assert not at.exception and "larger than the padded input" in at.error[0].value


def test_padding_chain_follows_the_chosen_model():
    at = open_page("pages/2_padding.py")
    at.selectbox(key="pad_model@en").set_value("lenet5").run()
    shapes = list(at.dataframe[-1].value["Output shape"])
    assert shapes[:2] == ["28×28×6", "14×14×6"]
    assert shapes[-1] == "10"


def test_pooling_steps_and_mode_change_the_value():
    at = open_page("pages/3_pooling.py")
    first = [m.value for m in at.markdown if m.value.startswith("Output cell")]
    assert first and "**3**" in first[0]
    at.radio(key="pool_mode@en").set_value("avg").run()
    assert any("the mean of the window" in m.value for m in at.markdown)


def test_parameter_counts_follow_the_chosen_model_and_edits():
    at = open_page("pages/3_pooling.py")
    assert at.metric[0].value == "407,050"
    at.selectbox(key="params_model@en").set_value("animals10_cnn").run()
    assert [m.value for m in at.metric] == ["427,782", "426,790", "992"]
    formulas = list(at.dataframe[0].value["Formula"])
    assert "128·(3·3·256 + 1) = 295,040" in formulas
    at.selectbox(key="params_model@en").set_value("custom").run()
    assert at.metric[0].value == "843,658"
    assert not at.exception


def test_an_edited_model_that_shrinks_below_one_pixel_shows_a_message():
    at = open_page("pages/3_pooling.py")
    at.selectbox(key="params_model@en").set_value("custom").run()
    at.number_input(key="params_height").set_value(4).run()
    at.number_input(key="params_width").set_value(4).run()
    assert not at.exception
    assert any("below 1×1" in e.value for e in at.error)


@pytest.mark.parametrize("page", ["pages/1_convolution.py", "pages/3_pooling.py"])
def test_uploads_bad_files_get_a_message_and_a_good_photo_is_shown(page):
    from cnnviz import i18n

    key = "conv" if "conv" in page else "pool"
    at = open_page(page)
    at.radio(key=f"{key}_source@en").set_value("upload").run()
    for name, make, error_key in corpus.BAD_FILES:
        at.get("file_uploader")[0].set_value((name, make(), "image/jpeg")).run()
        assert not at.exception, name
        assert at.error[0].value == i18n.t(error_key, "en", limit=120), name
        assert f"{key}_figure" not in [chart.key for chart in at.get("plotly_chart")], name
    at.get("file_uploader")[0].set_value(("photo.jpg", corpus.jpeg(200, 150), "image/jpeg")).run()
    assert not at.exception and not at.error
    assert len(at.get("image")) >= 1


def test_lessons_without_models_never_import_a_deep_learning_library():
    script = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from tests.pages.conftest import open_page
for page in {LESSONS!r}:
    at = open_page(page)
    assert not at.exception, page
    at.sidebar.radio[0].set_value("ko").run()
loaded = sorted(m for m in ("tensorflow", "keras", "jax", "torch") if m in sys.modules)
print("LOADED", loaded)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert "LOADED []" in result.stdout, result.stdout + result.stderr
