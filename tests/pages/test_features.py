"""The Feature maps page through Streamlit's AppTest: both languages, every bad and odd file,
digit photos, the three kinds of model."""

import json

import keras
import pytest

from cnnviz import data, i18n, images, models
from cnnviz.errors import ImageError
from tests import corpus
from tests.pages.conftest import open_page

PAGE = "pages/5_features.py"
CNN_LAYERS = 7


def chart(at, key: str) -> dict:
    """The Plotly figure of the chart with widget key `key`, as a dict."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(f"-{key}"):
            return json.loads(element.proto.spec)
    raise AssertionError(f"no chart {key}")


def layer_headings(at) -> list[str]:
    return [s.value for s in at.subheader]


def upload_photo(at, name: str, content: bytes, lang: str = "en"):
    at.radio(key=f"features_source@{lang}").set_value("upload").run()
    at.file_uploader(key="features_upload").set_value((name, content, "image/jpeg")).run()
    return at


def colour_model_bytes() -> bytes:
    """A tiny CNN for 32×32 colour pictures, saved as a .keras file."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Conv2D(6, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    return models.save_bytes(model)


@pytest.fixture(scope="module")
def colour_model() -> bytes:
    return colour_model_bytes()


def with_colour_model(colour_model: bytes):
    at = open_page(PAGE, timeout=60)
    at.selectbox(key="features_model@en").set_value("upload").run()
    at.file_uploader(key="features_model_upload").set_value(
        ("tiny.keras", colour_model, "application/octet-stream")
    ).run()
    assert not at.exception and not at.error
    return at


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_page_shows_every_layer_of_the_cnn_in_each_language(lang):
    at = open_page(PAGE, lang=lang, timeout=60)
    assert not at.exception and not at.error
    assert at.title[0].value == i18n.t("features.title", lang)
    headings = layer_headings(at)
    assert len(headings) == CNN_LAYERS
    assert headings[0] == i18n.t("features.layer", lang, number=1, name="conv2d_1",
                                 kind="Conv2D", shape="26×26×32")  # fmt: skip
    top = chart(at, "features_top")["data"][0]
    assert top["y"][-1] == str(data.load("mnist").y_test[0])  # the likeliest guess is on top
    assert chart(at, "features_grad_cam")
    assert chart(at, "features_enlarged") and chart(at, "features_filters")


@pytest.mark.parametrize(
    ("name", "make", "key"), corpus.BAD_FILES, ids=[f[0] for f in corpus.BAD_FILES]
)
def test_a_bad_file_shows_its_message_and_the_page_keeps_working(name, make, key):
    content = make()
    with pytest.raises(ImageError) as caught:
        images.load_image(content)
    assert caught.value.key == key
    at = upload_photo(open_page(PAGE, timeout=60), name, content)
    assert not at.exception
    assert [e.value for e in at.error] == [i18n.t(key, **caught.value.values)]
    assert layer_headings(at) == []
    at.radio(key="features_source@en").set_value("digit").run()
    assert not at.exception and not at.error
    assert len(layer_headings(at)) == CNN_LAYERS


@pytest.mark.parametrize(
    ("name", "make", "check"), corpus.ODD_FILES, ids=[f[0] for f in corpus.ODD_FILES]
)
def test_an_odd_file_is_read_and_every_layer_shown(colour_model, name, make, check):
    at = upload_photo(with_colour_model(colour_model), name, make())
    assert not at.exception and not at.error
    assert len(layer_headings(at)) == 4
    seen = chart(at, "features_input")  # the model's 32×32 colour input, one picture
    assert seen["data"][0]["type"] == "image"


def test_an_uploaded_model_answers_with_its_own_classes(colour_model):
    at = with_colour_model(colour_model)
    at.radio(key="features_source@en").set_value("sample").run()
    assert not at.exception and not at.error
    assert sorted(chart(at, "features_top")["data"][0]["y"]) == ["#0", "#1", "#2"]
    assert [r for r in at.radio(key="features_source@en").options] == [
        i18n.t(f"features.photo_source_{s}") for s in ("sample", "upload", "camera")
    ]  # no MNIST test digits for a colour model


@pytest.mark.parametrize("digit", [2, 7])
def test_a_digit_photo_is_prepared_step_by_step_and_read(digit):
    at = upload_photo(open_page(PAGE, timeout=60), "digit.jpg",
                      corpus.handwritten_digit_photo(digit, seed=3))  # fmt: skip
    assert not at.exception and not at.error
    assert at.expander[0].label == i18n.t("features.digit_steps")
    assert len(at.expander[0].get("image")) == 6
    assert chart(at, "features_top")["data"][0]["y"][-1] == str(digit)


def test_a_sample_photo_goes_to_a_digit_model_as_plain_gray_and_a_blank_one_is_refused():
    at = open_page(PAGE, timeout=60)
    at.radio(key="features_source@en").set_value("sample").run()
    assert not at.exception and not at.error
    assert len(layer_headings(at)) == CNN_LAYERS and not at.expander  # no digit steps
    assert i18n.t("features.not_digit_help") in [c.value for c in at.caption]
    at.toggle(key="features_as_digit_sample").set_value(True).run()  # a cat is no digit
    assert not at.exception
    assert [e.value for e in at.error] == [i18n.t("images.no_digit")]


def test_the_mlp_has_no_grad_cam_and_shows_its_dense_layers_as_bars():
    at = open_page(PAGE, timeout=60)
    at.selectbox(key="features_model@en").set_value("pretrained:mlp").run()
    assert not at.exception and not at.error
    assert len(layer_headings(at)) == 3
    assert i18n.t("features.grad_cam_no_conv") in [i.value for i in at.info]
    assert chart(at, "features_layer_2")["data"][0]["type"] == "bar"
    assert i18n.t("features.no_maps") in [i.value for i in at.info]


@pytest.mark.parametrize(("content", "key"), [(b"", "models.upload_empty"),
                                              (b"not a zip", "models.upload_not_zip")])  # fmt: skip
def test_a_broken_model_file_shows_a_message(content, key):
    at = open_page(PAGE, timeout=60)
    at.selectbox(key="features_model@en").set_value("upload").run()
    at.file_uploader(key="features_model_upload").set_value(
        ("broken.keras", content, "application/octet-stream")
    ).run()
    assert not at.exception
    assert [e.value for e in at.error] == [i18n.t(key)]
    at.selectbox(key="features_model@en").set_value("pretrained:mnist_cnn").run()
    assert not at.exception and not at.error and len(layer_headings(at)) == CNN_LAYERS


def test_moving_the_picture_and_enlarging_a_map_changes_what_is_shown():
    at = open_page(PAGE, timeout=60)
    before = chart(at, "features_input")["data"][0]["z"]
    at.slider(key="features_angle").set_value(90).run()
    assert chart(at, "features_input")["data"][0]["z"] != before
    at.selectbox(key="features_enlarge_layer").set_value("conv2d_3").run()
    at.number_input(key="features_enlarge_channel").set_value(63).run()
    assert not at.exception and not at.error
    assert chart(at, "features_enlarged")["layout"]["title"]["text"] == i18n.t(
        "features.enlarged", name="conv2d_3", channel=63
    )
    at.radio(key="features_normalize@en").set_value("minmax").run()
    assert not at.exception


def test_a_camera_photo_of_a_digit_is_read_like_an_upload():
    at = open_page(PAGE, timeout=60)
    at.radio(key="features_source@en").set_value("camera").run()
    assert i18n.t("features.photo_camera_help") in [c.value for c in at.caption]
    at.camera_input(key="features_camera").set_value(
        ("shot.jpg", corpus.handwritten_digit_photo(8, seed=5), "image/jpeg")
    ).run()
    assert not at.exception and not at.error
    assert chart(at, "features_top")["data"][0]["y"][-1] == "8"
