"""Links that open a lesson as it was left, through Streamlit's AppTest: every setting of every
lesson read from the URL into the widgets (with what the page then shows), in both languages; bad
and unknown values giving the note and the defaults; the page writing its settings back."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import data, explain, formatting, i18n, models, params, rotation, shapes
from cnnviz.architectures import ARCHITECTURES
from cnnviz.formatting import count, shape_text
from cnnviz.ui.picture import LESSON_SIDE, sample_photo
from tests.pages.conftest import APP

CONV, PADDING, POOLING = "pages/1_convolution.py", "pages/2_padding.py", "pages/3_pooling.py"
FEATURES, ROTATION, NETWORK = "pages/5_features.py", "pages/6_rotation.py", "pages/7_network.py"


def open_link(page: str, query: dict[str, str], timeout: float = 60) -> AppTest:
    """A fresh session that opens `page` with the URL's `query` (the address a teacher shares)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    at.switch_page(page)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def notes(at) -> list[str]:
    return [info.value for info in at.info]


def image_captions(at) -> list[str]:
    """The captions of every st.image on the page."""
    captions, blocks = [], [at._tree[0]]
    while blocks:
        block = blocks.pop()
        for child in block.children.values():
            if type(child).__name__ == "Image":
                captions += [image.caption for image in child.proto.imgs]
            elif hasattr(child, "children"):
                blocks.append(child)
    return captions


def without_lang(at) -> dict:
    return {name: value for name, value in at.query_params.items() if name != "lang"}


CONV_EXAMPLE = {"source": "example", "example": "binary_seven", "kernel": "sobel_x",
                "stride": "2", "padding": "same", "dilation": "2"}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_convolution_link_with_every_setting_of_an_example_opens_that_view(lang):
    at = open_link(CONV, {**CONV_EXAMPLE, "lang": lang})
    assert at.session_state["lang"] == lang
    assert at.title[0].value == i18n.t("conv.title", lang)
    assert at.radio(key=f"conv_source@{lang}").value == "example"
    assert at.selectbox(key=f"conv_example@{lang}").value == "binary_seven"
    assert at.selectbox(key=f"conv_kernel@{lang}").value == "sobel_x"
    assert at.number_input(key="conv_stride").value == 2
    assert at.radio(key=f"conv_padding@{lang}").value == "same"  # not the example's own valid
    assert at.number_input(key="conv_dilation").value == 2
    # 7×7, the 3×3 kernel dilated to 5×5, stride 2, same: 4×4 (4 zeros in all: 11×11 padded)
    sizes = shapes.explain_conv_output(7, 3, 2, "same", 2)
    assert (sizes.size, 7 + sizes.pad_before + sizes.pad_after) == (4, 11)
    expected = i18n.t("conv.sizes", lang, input="7×7", padded="11×11", output="4×4", count=16)
    assert expected in [m.value for m in at.markdown]
    assert i18n.t("links.address_is_link", lang) in [c.value for c in at.caption]
    assert notes(at) == [i18n.t("conv.cross_correlation", lang)]  # nothing was ignored
    assert at.query_params == {**CONV_EXAMPLE, "lang": lang}


def test_a_convolution_link_with_a_number_of_zeros_opens_that_padding():
    at = open_link(CONV, {"source": "example", "example": "five_by_five", "padding": "2"})
    assert at.radio(key="conv_padding@en").value == "number"
    assert at.number_input(key="conv_padding_amount").value == 2
    expected = i18n.t("conv.sizes", input="5×5", padded="9×9", output="7×7", count=49)
    assert expected in [m.value for m in at.markdown]


CONV_PHOTO = {"source": "sample", "sample": "coffee", "kernel": "box", "stride": "3",
              "padding": "valid", "dilation": "1", "mode": "together", "scaling": "abs",
              "weights": "red_only", "bias": "5"}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_convolution_link_with_every_setting_of_a_photo_opens_that_view(lang):
    at = open_link(CONV, {**CONV_PHOTO, "lang": lang})
    assert at.selectbox(key=f"conv_sample@{lang}").value == "coffee"
    assert at.selectbox(key=f"conv_kernel@{lang}").value == "box"
    assert at.radio(key=f"conv_mode@{lang}").value == "together"
    assert at.radio(key=f"conv_scaling@{lang}").value == "abs"
    assert at.radio(key=f"conv_weights@{lang}").value == "red_only"
    assert at.number_input(key="conv_bias").value == 5.0
    assert at.number_input(key="conv_stride").value == 3
    height, width = sample_photo("coffee", LESSON_SIDE).shape[:2]
    filtered = shape_text(((height - 3) // 3 + 1, (width - 3) // 3 + 1))
    captions = image_captions(at)
    assert i18n.t("conv.filtered", lang, shape=filtered) in captions
    assert i18n.t("conv.together_about", lang, kernel="3×3×3") in [m.value for m in at.markdown]
    assert without_lang(at) == CONV_PHOTO


PADDING_LINK = {"size": "10", "kernel": "4", "padding": "1", "stride": "3", "dilation": "2",
                "model": "lenet5"}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_padding_link_with_every_setting_opens_that_view(lang):
    at = open_link(PADDING, {**PADDING_LINK, "lang": lang})
    assert [at.number_input(key=k).value for k in ("pad_size", "pad_kernel", "pad_amount",
            "pad_stride", "pad_dilation")] == [10, 4, 1, 3, 2]  # fmt: skip
    assert at.radio(key=f"pad_mode@{lang}").value == "number"
    assert at.selectbox(key=f"pad_model@{lang}").value == "lenet5"
    size = shapes.explain_conv_output(10, 4, 3, 1, 2).size  # (10 + 2 − 7) / 3 + 1 = 2
    assert size == 2
    assert at.metric[0].value == shape_text((size, size))
    chain = params.summarize(ARCHITECTURES["lenet5"])
    intro = i18n.t("padding.chain_intro", lang, shape=shape_text(chain.input_shape))
    assert intro in [m.value for m in at.markdown]
    assert without_lang(at) == PADDING_LINK


POOLING_LINK = {"source": "example", "example": "five_by_five", "pooling": "avg", "size": "3",
                "stride": "1", "padding": "same", "model": "alexnet"}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_pooling_link_with_every_setting_opens_that_view(lang):
    at = open_link(POOLING, {**POOLING_LINK, "lang": lang})
    assert at.radio(key=f"pool_mode@{lang}").value == "avg"
    assert at.number_input(key="pool_size").value == 3
    assert at.number_input(key="pool_stride").value == 1
    assert at.radio(key=f"pool_padding@{lang}").value == "same"
    assert at.selectbox(key=f"params_model@{lang}").value == "alexnet"
    sizes = i18n.t("pooling.sizes", lang, input="5×5", output="5×5")
    assert sizes in [m.value for m in at.markdown]
    total = params.summarize(ARCHITECTURES["alexnet"]).total
    assert at.metric[0].value == count(total)
    assert without_lang(at) == POOLING_LINK


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_feature_maps_link_opens_that_model_and_test_digit(lang):
    at = open_link(FEATURES, {"model": "mlp", "source": "digit", "digit": "7", "lang": lang}, 120)
    assert at.selectbox(key=f"features_model@{lang}").value == "pretrained:mlp"
    assert at.radio(key=f"features_source@{lang}").value == "digit"
    assert at.number_input(key="features_digit").value == 7
    label = int(data.load("mnist").y_test[7])
    assert i18n.t("widgets.digit_label", lang, label=label) in [c.value for c in at.caption]
    assert without_lang(at) == {"model": "mlp", "source": "digit", "digit": "7"}


def test_a_feature_maps_link_opens_a_sample_photo_on_the_product_model():
    at = open_link(FEATURES, {"model": "fashion_cnn", "source": "sample", "sample": "coffee"}, 120)
    assert at.selectbox(key="features_model@en").value == "pretrained:fashion_cnn"
    assert at.selectbox(key="features_sample@en").value == "coffee"
    assert at.query_params["model"] == "fashion_cnn"


ROTATION_LINK = {"source": "digit", "digit": "3", "angle": "45", "dx": "-2", "dy": "3"}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_rotation_link_opens_that_digit_turned_and_shifted(lang):
    at = open_link(ROTATION, {**ROTATION_LINK, "lang": lang}, 120)
    assert at.number_input(key="rotation_digit").value == 3
    assert [at.slider(key=f"rotation_{k}").value for k in ("angle", "dx", "dy")] == [45, -2, 3]
    digit = data.load("mnist").x_test[3][:, :, 0]
    moved = rotation.moved(digit, 45, -2, 3)
    read = [rotation.read_digit(models.load_pretrained(name), moved, data.DIGITS).label
            for name in ("mlp", "mnist_cnn")]  # fmt: skip
    assert [metric.value for metric in at.metric] == read
    assert without_lang(at) == ROTATION_LINK


NETWORK_LINK = {"model": "mnist_cnn", "source": "digit", "digit": "1", "layer": "conv2d_3",
                "unit": "5"}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_network_link_opens_that_model_digit_layer_and_map(lang):
    at = open_link(NETWORK, {**NETWORK_LINK, "lang": lang}, 120)
    assert at.selectbox(key=f"network_model@{lang}").value == "pretrained:mnist_cnn"
    assert at.number_input(key="network_digit").value == 1
    assert at.selectbox(key="network_layer").value == "conv2d_3"
    assert at.number_input(key="network_unit").value == 5
    cnn = models.load_pretrained("mnist_cnn")
    digit = data.load("mnist").x_test[1:2].astype(np.float32) / 255
    cell = explain.conv_cell(cnn, digit, "conv2d_3", 5, 5, 5)  # conv2d_3 is 11×11: its centre
    said = i18n.t("inside.model_says", lang, ours=formatting.number(cell.value),
                  model=formatting.number(cell.model_value))  # fmt: skip
    assert said in [s.value for s in at.success]
    assert without_lang(at) == NETWORK_LINK


def test_a_network_link_to_a_layer_the_model_lacks_opens_its_first_conv_map():
    at = open_link(NETWORK, {**NETWORK_LINK, "layer": "block5_conv4", "unit": "3"}, 120)
    assert at.selectbox(key="network_layer").value == "conv2d_1"
    assert at.query_params["layer"] == "conv2d_1"


BAD = {"stride": "99", "kernel": "__import__('os').system('ls')", "padding": "nan",
       "dilation": "1e3", "example": "x" * 10_000, "utm_source": "slides"}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_bad_and_unknown_values_give_the_note_and_the_defaults(lang):
    at = open_link(CONV, {**BAD, "lang": lang})
    names = ", ".join(f"`{name}`" for name in BAD)
    assert i18n.t("links.ignored", lang, names=names) in notes(at)
    assert at.number_input(key="conv_stride").value == 1
    assert at.selectbox(key=f"conv_kernel@{lang}").value == "example"
    assert at.radio(key=f"conv_padding@{lang}").value == "valid"
    assert at.number_input(key="conv_dilation").value == 1
    assert at.selectbox(key=f"conv_example@{lang}").value == "five_by_five"
    expected = i18n.t("conv.sizes", lang, input="5×5", padded="5×5", output="3×3", count=9)
    assert expected in [m.value for m in at.markdown]
    assert "utm_source" not in at.query_params and at.query_params["stride"] == "1"


def test_a_bad_language_is_noted_and_the_lesson_opens_in_english():
    at = open_link(ROTATION, {"lang": "fr", "angle": "7"}, 120)
    assert at.session_state["lang"] == "en"
    assert i18n.t("links.ignored", names="`angle`, `lang`") in notes(at)
    assert at.slider(key="rotation_angle").value == 0
    assert at.query_params["lang"] == "en"


def test_a_bad_language_on_home_is_noted_there_and_not_on_the_next_lesson():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"lang": "fr", "kernel": "x"})
    at.run()
    assert not at.exception
    assert at.session_state["lang"] == "en"
    assert i18n.t("links.ignored", names="`kernel`, `lang`") in notes(at)
    assert dict(at.query_params) == {"lang": "en"}
    at.switch_page(PADDING).run()
    assert not notes(at)


def test_the_note_goes_once_a_setting_is_changed():
    at = open_link(POOLING, {"size": "0"})
    assert i18n.t("links.ignored", names="`size`") in notes(at)
    at.run()
    assert i18n.t("links.ignored", names="`size`") in notes(at)  # still the link's view
    at.number_input(key="pool_size").set_value(3).run()
    assert not any("`size`" in note for note in notes(at))


def test_changing_a_widget_writes_it_into_the_address_and_the_link_does_not_undo_it():
    at = open_link(CONV, CONV_EXAMPLE)
    at.number_input(key="conv_stride").set_value(3).run()
    assert at.query_params["stride"] == "3"
    at.selectbox(key="conv_kernel@en").set_value("laplacian").run()
    assert at.query_params["kernel"] == "laplacian" and at.query_params["stride"] == "3"
    at.run()  # the address still says what the student chose, and so do the widgets
    assert at.number_input(key="conv_stride").value == 3
    assert at.selectbox(key="conv_kernel@en").value == "laplacian"


def test_switching_the_language_keeps_the_settings_and_writes_the_language():
    at = open_link(POOLING, {"pooling": "avg", "size": "3"})
    at.radio(key="_lang_choice").set_value("ko").run()
    assert at.query_params["lang"] == "ko"
    assert at.radio(key="pool_mode@ko").value == "avg"
    assert at.number_input(key="pool_size").value == 3
    assert at.query_params["pooling"] == "avg"


def test_a_new_link_in_the_same_session_seeds_the_widgets_again():
    at = open_link(PADDING, {"stride": "2"})
    at.number_input(key="pad_stride").set_value(4).run()
    at.query_params.clear()
    at.query_params.update({"stride": "5"})  # the teacher's next link, pasted in the same tab
    at.run()
    assert at.number_input(key="pad_stride").value == 5


def test_a_lesson_writes_only_its_own_settings_after_another_lessons_link():
    at = open_link(CONV, CONV_EXAMPLE)
    at.switch_page(POOLING).run()  # the same address's parameters come along
    assert not at.exception
    assert set(without_lang(at)) <= {"source", "example", "sample", "pooling", "size", "stride",
                                     "padding", "model"}  # fmt: skip
    assert "kernel" not in at.query_params and "dilation" not in at.query_params
    assert at.number_input(key="pool_stride").value == 2  # stride is pooling's too


TRAIN = "pages/4_train.py"
TRAIN_LINK = {"dataset": "mnist", "model": "mlp", "recipe": "mnist_cnn"}
# day 4's recipe is 5 epochs, batch 200, RMSprop at 1e-4, 20 % held out, seed 0: all changed
TRAIN_SETTINGS = {"epochs": "3", "batch": "64", "optimizer": "sgd", "rate": "0.003",
                  "validation": "0.15", "seed": "7"}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_train_link_opens_that_dataset_model_and_recipe(lang):
    at = open_link(TRAIN, {**TRAIN_LINK, "lang": lang}, 120)
    assert at.selectbox(key=f"train_dataset@{lang}").value == "mnist"
    assert at.selectbox(key=f"train_preset@{lang}").value == "mlp"
    assert at.selectbox(key=f"train_recipe@{lang}").value == "mnist_cnn"
    assert at.number_input(key="train_mnist_cnn_epochs").value == 5  # day 4's recipe
    assert without_lang(at) == {**TRAIN_LINK, "epochs": "5", "batch": "200",
                                "optimizer": "rmsprop", "rate": "0.0001", "validation": "0.2",
                                "seed": "0"}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_train_link_opens_the_recipes_settings_as_changed(lang):
    at = open_link(TRAIN, {**TRAIN_LINK, **TRAIN_SETTINGS, "lang": lang}, 120)
    assert at.number_input(key="train_mnist_cnn_epochs").value == 3
    assert at.select_slider(key="train_mnist_cnn_batch").value == 64
    assert at.radio(key=f"train_mnist_cnn_optimizer@{lang}").value == "sgd"
    assert at.select_slider(key="train_mnist_cnn_rate").value == 3e-3
    assert at.slider(key="train_mnist_cnn_val").value == 0.15
    assert at.number_input(key="train_mnist_cnn_seed").value == 7
    assert at.slider(key="train_mnist_cnn_mom") is not None  # SGD's own settings are shown
    assert not notes(at)
    assert without_lang(at) == {**TRAIN_LINK, **TRAIN_SETTINGS}


def test_a_train_link_with_a_batch_size_off_the_slider_keeps_the_recipes_and_says_so():
    at = open_link(TRAIN, {**TRAIN_LINK, "batch": "17", "rate": "1e-3"}, 120)
    assert i18n.t("links.ignored", "en", names="`batch`, `rate`") in notes(at)
    assert at.select_slider(key="train_mnist_cnn_batch").value == 200
    assert at.select_slider(key="train_mnist_cnn_rate").value == 1e-4
    assert at.query_params["batch"] == "200" and at.query_params["rate"] == "0.0001"


TEACH = "pages/8_teach.py"
TEACH_LINK = {"classes": "3", "name1": "가위", "name2": "바위", "name3": "보"}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_teach_link_opens_that_many_classes_with_their_names(lang):
    at = open_link(TEACH, {**TEACH_LINK, "lang": lang})
    assert at.number_input(key="teach_classes").value == 3
    assert [at.text_input(key=f"teach_name_{i}").value for i in range(3)] == ["가위", "바위", "보"]
    assert without_lang(at) == TEACH_LINK
    at.text_input(key="teach_name_2").input("paper").run()  # a renamed class goes into the link
    assert at.query_params["name3"] == "paper"


def test_a_teach_link_with_a_name_the_page_refuses_keeps_the_default_and_says_so():
    at = open_link(TEACH, {"classes": "9", "name1": "a/b", "name2": "dog"})
    assert i18n.t("links.ignored", "en", names="`classes`, `name1`") in notes(at)
    assert at.number_input(key="teach_classes").value == 2
    names = [at.text_input(key=f"teach_name_{i}").value for i in range(2)]
    assert names == [i18n.t("teach.default_name", "en", number=1), "dog"]


def test_a_train_link_with_an_unknown_model_gives_the_note_and_the_default():
    at = open_link(TRAIN, {"dataset": "mnist", "model": "resnet9000"}, 120)
    assert i18n.t("links.ignored", "en", names="`model`") in notes(at)
    assert at.selectbox(key="train_preset@en").value == "mnist_cnn"
    assert at.query_params["model"] == "mnist_cnn"
