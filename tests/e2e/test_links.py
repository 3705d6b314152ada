"""Links to a lesson in Chromium: a URL with a lesson's settings opens that view (every lesson:
convolution, padding, pooling, Train with its recipe settings, feature maps, rotation, inside the
network, Teach with its classes), a bad value gives the note and the defaults, and a changed
widget is written back into the address bar."""

from urllib.parse import parse_qs, urlencode, urlparse

from cnnviz import i18n
from tests.e2e.conftest import wait_idle
from tests.e2e.test_walkthrough import after_a_run, assert_clean, main_text, slider_value, widget
from tests.pages.test_links import (
    BAD,
    CONV_EXAMPLE,
    NETWORK_LINK,
    PADDING_LINK,
    POOLING_LINK,
    ROTATION_LINK,
    TEACH_LINK,
    TRAIN_LINK,
    TRAIN_SETTINGS,
)


def open_link(page, server: str, lesson: str, settings: dict) -> None:
    page.goto(f"{server}/{lesson}?{urlencode(settings)}")
    page.locator("h1").first.wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)
    page.wait_for_timeout(300)
    wait_idle(page)
    assert_clean(page)


def address(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def input_text(page, key: str) -> str:
    """What the widget's (first) input shows: a number input's number, a selectbox's choice."""
    return widget(page, key).locator("input").first.input_value()


def test_a_convolution_link_opens_that_view_in_korean(page, server):
    open_link(page, server, "convolution", {**CONV_EXAMPLE, "lang": "ko"})
    assert page.locator("h1").first.inner_text().strip() == i18n.t("conv.title", "ko")
    assert input_text(page, "conv_stride") == "2"
    assert input_text(page, "conv_dilation") == "2"
    text = main_text(page)  # 7×7, the kernel dilated to 5×5, stride 2, same: 11×11 padded, 4×4
    assert "7×7" in text and "11×11" in text and "4×4" in text
    assert address(page) == {**CONV_EXAMPLE, "lang": "ko"}


def test_a_pooling_link_opens_that_view(page, server):
    open_link(page, server, "pooling", POOLING_LINK)
    assert input_text(page, "pool_size") == "3"
    assert input_text(page, "pool_stride") == "1"
    assert {k: v for k, v in address(page).items() if k != "lang"} == POOLING_LINK


def test_a_rotation_link_opens_that_digit_turned_and_shifted(page, server):
    open_link(page, server, "rotation", ROTATION_LINK)
    assert slider_value(page, "rotation_angle") == 45
    assert slider_value(page, "rotation_dx") == -2
    assert slider_value(page, "rotation_dy") == 3
    assert input_text(page, "rotation_digit") == "3"


def test_a_bad_link_gives_the_note_and_a_changed_widget_is_written_back(page, server):
    open_link(page, server, "convolution", BAD)
    note = i18n.t("links.ignored", "en", names="")
    assert note.split(":")[0] in main_text(page)
    assert input_text(page, "conv_stride") == "1"
    step_up = widget(page, "conv_stride").locator('[data-testid="stNumberInputStepUp"]')
    after_a_run(page, step_up.click)
    page.wait_for_function("() => location.search.includes('stride=2')", timeout=15_000)
    assert address(page)["stride"] == "2" and "utm_source" not in address(page)


def test_a_train_link_opens_the_recipe_with_its_settings_changed(page, server):
    open_link(page, server, "train", {**TRAIN_LINK, **TRAIN_SETTINGS})
    assert input_text(page, "train_mnist_cnn_epochs") == "3"
    assert input_text(page, "train_mnist_cnn_seed") == "7"
    assert slider_value(page, "train_mnist_cnn_val") == 0.15
    assert {k: v for k, v in address(page).items() if k != "lang"} == {
        **TRAIN_LINK, **TRAIN_SETTINGS
    }  # fmt: skip


def test_a_teach_link_opens_three_named_classes_in_korean(page, server):
    open_link(page, server, "teach", {**TEACH_LINK, "lang": "ko"})
    assert page.locator("h1").first.inner_text().strip() == i18n.t("teach.title", "ko")
    assert input_text(page, "teach_classes") == "3"
    names = [input_text(page, f"teach_name_{index}") for index in range(3)]
    assert names == ["가위", "바위", "보"]
    assert address(page) == {**TEACH_LINK, "lang": "ko"}


def test_a_padding_link_opens_that_arithmetic(page, server):
    open_link(page, server, "padding", {**PADDING_LINK, "lang": "ko"})
    keys = ("pad_size", "pad_kernel", "pad_amount", "pad_stride", "pad_dilation")
    assert [input_text(page, key) for key in keys] == ["10", "4", "1", "3", "2"]
    metric = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert metric.strip() == "2×2"  # (10 + 2·1 − 7) / 3 + 1, the dilated 4 spans 7
    assert address(page) == {**PADDING_LINK, "lang": "ko"}


def test_a_feature_maps_link_opens_that_model_and_digit(page, server):
    link = {"model": "mlp", "source": "digit", "digit": "7"}
    open_link(page, server, "features", link)
    assert input_text(page, "features_digit") == "7"
    assert "MLP" in input_text(page, "features_model")
    assert {k: v for k, v in address(page).items() if k != "lang"} == link


def test_a_network_link_opens_that_layer_and_map(page, server):
    open_link(page, server, "network", NETWORK_LINK)
    assert input_text(page, "network_digit") == "1"
    assert input_text(page, "network_unit") == "5"
    assert "conv2d_3" in input_text(page, "network_layer")
    assert {k: v for k, v in address(page).items() if k != "lang"} == NETWORK_LINK
