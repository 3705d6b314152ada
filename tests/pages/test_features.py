"""The Feature maps page through Streamlit's AppTest: both languages, every bad and odd file,
digit photos, the three kinds of model."""

import json

import keras
import numpy as np
import pytest

from cnnviz import applications, blocks, classes, data, features, i18n, images, models, plots, tiles
from cnnviz.errors import ImageError
from tests import corpus
from tests.imagenet_weights import save_imagenet_style_weights
from tests.pages.conftest import ROOT, media_picture, open_page

PAGE = "pages/5_features.py"
CNN_LAYERS = 7


def chart(at, key: str) -> dict:
    """The Plotly figure of the chart with widget key `key`, as a dict."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(f"-{key}"):
            return json.loads(element.proto.spec)
    raise AssertionError(f"no chart {key}")


def picture(at, key: str) -> np.ndarray:
    """The lossless picture in the container with key `key` (the input, a layer's maps, the
    filters, Grad-CAM: pictures, not charts), as the browser gets it."""
    blocks = [at._tree[0]]
    while blocks:
        block = blocks.pop()
        if getattr(block.proto, "id", "").endswith(f"-{key}"):
            images = [child for child in block.children.values() if type(child).__name__ == "Image"]
            assert len(images) == 1, f"{key}: {len(images)} images"
            url = images[0].proto.imgs[0].url
            assert url.endswith(".png"), url
            return media_picture(url)
        blocks.extend(child for child in block.children.values() if hasattr(child, "children"))
    raise AssertionError(f"no picture {key}")


@pytest.fixture(scope="module")
def photo_model_cache(tmp_path_factory):
    """Keras's cache holding MobileNetV2 weights (random, in the layout of ImageNet's file)."""
    import keras.src.backend.config as keras_config

    home = tmp_path_factory.mktemp("keras-home")
    before = keras_config._KERAS_DIR
    keras_config._KERAS_DIR = str(home)
    keras.utils.set_random_seed(0)
    model = applications.build("mobilenet_v2", weights=None)
    save_imagenet_style_weights(model, applications.weights_path("mobilenet_v2"))
    yield home
    keras_config._KERAS_DIR = before


@pytest.fixture
def empty_models_cache(tmp_path, monkeypatch):
    import keras.src.backend.config as keras_config

    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path))
    return tmp_path


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
    assert picture(at, "features_grad_cam").shape == (28, 28, 3)  # over the 28×28 input
    assert chart(at, "features_enlarged")
    assert picture(at, "features_filters").ndim == 2  # 32 filters of one input channel
    # each layer as the browser gets it: the maps tiled, long outputs as pictures, bars
    digit = data.load("mnist").x_test[:1, :, :, None].astype("float32") / 255
    cnn = models.load_pretrained("mnist_cnn")
    for number, layer in enumerate(features.activations(cnn, digit), 1):
        key = f"features_layer_{number}"
        if layer.is_map:
            np.testing.assert_array_equal(picture(at, key), tiles.tile(layer.values))
        elif layer.values.size > tiles.MAX_BARS:  # Flatten's 1,600 and Dense's 512
            np.testing.assert_array_equal(picture(at, key), tiles.units_picture(layer.values))
        else:  # the 10 output units
            assert chart(at, key)["data"][0]["type"] == "bar"


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
    assert picture(at, "features_input").shape == (32, 32, 3)  # the model's colour input


def test_an_uploaded_model_answers_with_its_own_classes(colour_model):
    at = with_colour_model(colour_model)
    at.radio(key="features_source@en").set_value("sample").run()
    assert not at.exception and not at.error
    assert sorted(chart(at, "features_top")["data"][0]["y"]) == ["#0", "#1", "#2"]
    assert [r for r in at.radio(key="features_source@en").options] == [
        i18n.t(f"widgets.source_{s}") for s in ("sample", "upload", "camera", "live")
    ]  # no MNIST test digits for a colour model


@pytest.mark.parametrize("digit", [2, 7])
def test_a_digit_photo_is_prepared_step_by_step_and_read(digit):
    at = upload_photo(open_page(PAGE, timeout=60), "digit.jpg",
                      corpus.handwritten_digit_photo(digit, seed=3))  # fmt: skip
    assert not at.exception and not at.error
    assert at.expander[0].label == i18n.t("features.digit_steps")
    assert len(at.expander[0].get("image")) == 6
    assert chart(at, "features_top")["data"][0]["y"][-1] == str(digit)


def test_a_sample_photo_goes_to_a_digit_model_as_plain_gray_and_reading_it_as_a_digit_warns():
    at = open_page(PAGE, timeout=60)
    at.radio(key="features_source@en").set_value("sample").run()
    assert not at.exception and not at.error
    assert len(layer_headings(at)) == CNN_LAYERS and not at.expander  # no digit steps
    assert i18n.t("features.not_digit_help") in [c.value for c in at.caption]
    assert i18n.t("features.digits_only") in [i.value for i in at.info]
    at.toggle(key="features_as_digit_sample").set_value(True).run()  # a cat is no digit
    assert not at.exception and not at.error
    assert [w.value for w in at.warning] == [
        i18n.t("images.no_digit") + " " + i18n.t("features.shown_as_photo")
    ]
    assert len(layer_headings(at)) == CNN_LAYERS  # the maps of the photo as it is


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_cat_photo_on_the_default_model_shows_its_maps_and_no_error(lang):
    cat = (ROOT / "assets" / "samples" / "cat.jpg").read_bytes()
    at = upload_photo(open_page(PAGE, lang=lang, timeout=60), "cat.jpg", cat, lang)
    assert not at.exception and not at.error and not at.warning
    assert at.toggle(key="features_as_digit_upload").value is False  # not a digit on paper
    assert i18n.t("features.digits_only", lang) in [i.value for i in at.info]
    assert len(layer_headings(at)) == CNN_LAYERS
    assert len(chart(at, "features_top")["data"][0]["y"]) == 5


def test_the_one_click_switch_takes_a_photo_to_the_photo_model(photo_model_cache):
    at = open_page(PAGE, timeout=120)
    at.radio(key="features_source@en").set_value("sample").run()
    at.button(key="features_use_photo_model").click().run()
    assert not at.exception and not at.error
    assert at.selectbox(key="features_model@en").value == "imagenet:mobilenet_v2"
    assert i18n.t("features.digits_only") not in [i.value for i in at.info]
    names = chart(at, "features_top")["data"][0]["y"]
    assert len(names) == 5 and set(names) <= set(applications.class_names())


def test_the_mlp_has_no_grad_cam_and_shows_its_long_layers_as_pictures_its_output_as_bars():
    at = open_page(PAGE, timeout=60)
    at.selectbox(key="features_model@en").set_value("pretrained:mlp").run()
    assert not at.exception and not at.error
    assert len(layer_headings(at)) == 3
    assert i18n.t("features.grad_cam_no_conv") in [i.value for i in at.info]
    assert picture(at, "features_layer_1").shape == (13, 64)  # 784 units, 64 a row
    assert picture(at, "features_layer_2").shape == (8, 64)  # 512 units
    assert chart(at, "features_layer_3")["data"][0]["type"] == "bar"  # the 10 digits
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
    before = picture(at, "features_input")
    assert before.shape == (28, 28)
    at.slider(key="features_angle").set_value(90).run()
    digit = data.load("mnist").x_test[0].astype("float32") / 255
    turned = features.model_input(digit, (28, 28, 1), angle=90).x[0]
    np.testing.assert_array_equal(picture(at, "features_input"), plots.as_uint8(turned))
    assert not np.array_equal(picture(at, "features_input"), before)
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
    assert i18n.t("widgets.camera_help") in [c.value for c in at.caption]
    at.camera_input(key="features_camera").set_value(
        ("shot.jpg", corpus.handwritten_digit_photo(8, seed=5), "image/jpeg")
    ).run()
    assert not at.exception and not at.error
    assert chart(at, "features_top")["data"][0]["y"][-1] == "8"


def test_a_photo_model_shows_the_cat_block_by_block_with_its_top_5_and_grad_cam(photo_model_cache):
    at = open_page(PAGE, timeout=120)
    at.selectbox(key="features_model@en").set_value("imagenet:mobilenet_v2").run()
    at.radio(key="features_source@en").set_value("sample").run()
    assert not at.exception and not at.error
    assert not at.toggle  # a photo model takes the photo as it is
    names = chart(at, "features_top")["data"][0]["y"]
    assert len(names) == 5 and set(names) <= set(applications.class_names())
    assert picture(at, "features_grad_cam").shape == (224, 224, 3)
    model = at.selectbox(key="features_block")
    layer_names = [layer.name for layer in applications.build("mobilenet_v2", weights=None).layers]
    expected = blocks.blocks(layer_names[1:])  # the page leaves the input layer out
    assert model.options == [
        i18n.t("features.block_option", name=b.name, count=len(b.layers)) for b in expected
    ]
    assert len(at.get("image")) >= 1  # the overview of every convolution
    seen = 0
    for block in expected:
        at.selectbox(key="features_block").set_value(block.name).run()
        assert not at.exception and not at.error
        headings = layer_headings(at)
        assert len(headings) == len(block.layers)
        assert headings[0].startswith(f"{block.layers[0] + 1}. {layer_names[block.layers[0] + 1]}")
        seen += len(headings)
    assert seen == len(layer_names) - 1


def test_a_photo_model_not_yet_downloaded_says_its_size_and_offers_the_download(
    empty_models_cache,
):
    at = open_page(PAGE, timeout=60)
    at.selectbox(key="features_model@en").set_value("imagenet:vgg19").run()
    assert not at.exception and not at.error
    spec = applications.PHOTO_MODELS["vgg19"]
    assert any(str(spec.size_mb) in i.value for i in at.info)
    assert at.button(key="features_download_vgg19").label == i18n.t(
        "applications.download_button", title=spec.title, size_mb=spec.size_mb
    )
    assert i18n.t("features.choose_model") in [i.value for i in at.info]


def course_model_h5(tmp_path) -> bytes:
    """The course's MNIST-style CNN written as tf.keras code, saved as HDF5."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.layers.Conv2D(8, (3, 3), activation="relu", input_shape=(28, 28, 1)),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    path = tmp_path / "03-0.2871.hdf5"
    model.save(path)
    return path.read_bytes()


def upload_model(at, name: str, content: bytes):
    at.selectbox(key="features_model@en").set_value("upload").run()
    at.file_uploader(key="features_model_upload").set_value(
        (name, content, "application/octet-stream")
    ).run()
    return at


def test_an_hdf5_model_gets_class_names_from_a_course_list_and_its_scaling(tmp_path):
    at = upload_model(open_page(PAGE, timeout=60), "03-0.2871.hdf5", course_model_h5(tmp_path))
    assert not at.exception and not at.error
    picker = at.selectbox(key="features_classes@en")
    assert picker.value == "mnist"  # 28×28×1 with ten outputs: the digits first
    assert picker.options == [
        *(i18n.t(f"classes.list.{n}") for n in classes.matching(10)),
        i18n.t("classes.numbers", count=10),
        i18n.t("classes.typed", count=10),
    ]
    picker.set_value("fashion_mnist").run()
    assert not at.exception and not at.error
    names = chart(at, "features_top")["data"][0]["y"]
    assert set(names) <= set(classes.labels("fashion_mnist", "en"))
    at.selectbox(key="features_scaling@en").set_value("standardize").run()
    assert not at.exception and not at.error  # nothing typed yet: no message
    at.text_input(key="features_mean").set_value("33.3").run()
    at.text_input(key="features_std").set_value("0").run()
    assert not at.exception
    assert len(at.error) == 1 and layer_headings(at) == []  # a zero spread is refused
    at.text_input(key="features_std").set_value("78.6").run()
    assert not at.exception and not at.error
    assert len(layer_headings(at)) == 4


def test_typed_class_names_must_match_the_models_outputs(tmp_path):
    at = upload_model(open_page(PAGE, timeout=60), "model.h5", course_model_h5(tmp_path))
    at.selectbox(key="features_classes@en").set_value("typed").run()
    assert not at.exception and not at.error  # nothing typed yet: only the help
    at.text_area(key="features_classes_typed").set_value("a, b, c").run()
    assert not at.exception
    assert len(at.error) == 1 and layer_headings(at) == []
    at.text_area(key="features_classes_typed").set_value(",".join("abcdefghij")).run()
    assert not at.exception and not at.error
    assert set(chart(at, "features_top")["data"][0]["y"]) <= set("abcdefghij")


def test_the_shipped_fashion_model_makes_a_photo_fashion_like_step_by_step():
    at = open_page(PAGE, timeout=60)
    at.selectbox(key="features_model@en").set_value("pretrained:fashion_cnn").run()
    at.radio(key="features_source@en").set_value("sample").run()
    assert not at.exception and not at.error
    assert at.toggle(key="features_as_product_sample").value is True
    assert at.expander[0].label == i18n.t("features.product_steps")
    assert len(at.expander[0].get("image")) == 4
    names = chart(at, "features_top")["data"][0]["y"]
    assert set(names) <= set(models.pretrained_info("fashion_cnn")["class_names"])


PHOTO_ODD = [
    f for f in corpus.ODD_FILES if f[0] in ("gray.jpg", "dot.png", "strip.png", "48mp.jpg")
]


@pytest.mark.parametrize(("name", "make", "check"), PHOTO_ODD, ids=[f[0] for f in PHOTO_ODD])
def test_a_photo_model_takes_a_gray_a_one_pixel_a_strip_and_a_48_megapixel_photo(
    photo_model_cache, name, make, check
):
    at = open_page(PAGE, timeout=120)
    at.selectbox(key="features_model@en").set_value("imagenet:mobilenet_v2").run()
    at = upload_photo(at, name, make())
    assert not at.exception and not at.error and not at.warning
    assert picture(at, "features_input").shape == (224, 224, 3)  # the colour picture it takes
    assert f"**{i18n.t('features.as_model_sees', shape='224×224×3')}**" in [
        m.value for m in at.markdown
    ]
    assert len(chart(at, "features_top")["data"][0]["y"]) == 5


@pytest.fixture
def mobilenet_site(empty_keras_cache, tmp_path, monkeypatch):
    """MobileNetV2's weights file (random, ImageNet's layout) served on 127.0.0.1."""
    import http.server
    import threading
    from dataclasses import replace

    from tests.test_applications import WeightsSite

    keras.utils.set_random_seed(0)
    path = save_imagenet_style_weights(
        applications.build("mobilenet_v2", weights=None), tmp_path / "served.h5"
    )
    site = WeightsSite(path.read_bytes())
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), site.handler()) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        spec = applications.PHOTO_MODELS["mobilenet_v2"]
        origin = f"http://127.0.0.1:{server.server_address[1]}/{spec.weights_file}"
        monkeypatch.setitem(applications.PHOTO_MODELS, "mobilenet_v2", replace(spec, origin=origin))
        yield site
        server.shutdown()


def test_the_download_button_fetches_the_photo_model_into_keras_cache_and_the_page_runs_it(
    mobilenet_site,
):
    at = open_page(PAGE, timeout=120)
    at.selectbox(key="features_model@en").set_value("imagenet:mobilenet_v2").run()
    assert not applications.is_cached("mobilenet_v2")
    at.button(key="features_download_mobilenet_v2").click().run()
    assert not at.exception and not at.error
    assert mobilenet_site.requests == 1 and applications.is_cached("mobilenet_v2")
    assert len(chart(at, "features_top")["data"][0]["y"]) == 5


def test_the_download_button_offline_says_where_to_put_the_file(empty_keras_cache, monkeypatch):
    from dataclasses import replace

    spec = applications.PHOTO_MODELS["mobilenet_v2"]
    offline = replace(spec, origin="http://127.0.0.1:9/" + spec.weights_file)  # nothing there
    monkeypatch.setitem(applications.PHOTO_MODELS, "mobilenet_v2", offline)
    at = open_page(PAGE, timeout=60)
    at.selectbox(key="features_model@en").set_value("imagenet:mobilenet_v2").run()
    at.button(key="features_download_mobilenet_v2").click().run()
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert str(applications.cache_folder()) in message and spec.weights_file in message
    assert not applications.is_cached("mobilenet_v2")
