"""The Train page through Streamlit's AppTest: both languages, a tiny training from Train to the
results, Stop, an edited layer table that does not fit, .keras uploads good and bad, and image
folders offered only from the teacher's $CNNVIZ_DATA_DIR."""

import json
import time
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from cnnviz import i18n, models, tiles, training
from cnnviz.ui.model_store import STORE_KEY
from tests.pages.conftest import open_page, run_while_stoppable
from tests.pages.test_features import picture

PAGE = "pages/4_train.py"


def chart(at, key: str) -> dict:
    """The Plotly figure of the chart with key `key`, as a dict."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(f"-{key}"):
            return json.loads(element.proto.spec)
    raise AssertionError(f"no chart {key}")


def tiny_setup(at, epochs: int = 1, images: int = 300):
    """The course MLP on a few hundred digits: a training of a second or two."""
    at.selectbox(key="train_preset@en").set_value("mlp").run()
    at.selectbox(key="train_images@en").set_value(images).run()
    at.number_input(key="train_quick_epochs").set_value(epochs).run()
    return at


def run_until_done(at, limit: float = 120.0):
    """Rerun the Train page until its training's live view has gone."""
    return run_while_stoppable(at, "train_stop", limit)


def assert_no_problems(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_page_opens_in_both_languages_with_device_data_and_model(lang):
    at = open_page(PAGE, lang=lang, timeout=60)
    assert_no_problems(at)
    assert at.title[0].value == i18n.t("train.title", lang)
    captions = [c.value for c in at.caption]
    assert any(c.startswith(i18n.t("train.device", lang, device="")) for c in captions)
    assert at.selectbox(key=f"train_preset@{lang}").value == "mnist_cnn"
    assert any("843,658" in c for c in captions)  # the course MNIST CNN's parameters
    assert [b.key for b in at.button] == ["train_start"]


def test_a_tiny_training_goes_from_train_to_results_and_keeps_the_model_in_the_session():
    at = tiny_setup(open_page(PAGE, timeout=60))
    at.button(key="train_start").click().run()
    assert_no_problems(at)
    at = run_until_done(at)
    assert_no_problems(at)

    metrics = {m.label: m.value for m in at.metric}
    accuracy = float(metrics[i18n.t("train.test_accuracy")].rstrip("%"))
    assert accuracy > 40  # 300 digits, one epoch; chance is 10 %
    curves = chart(at, "train_result_chart")
    assert len(curves["data"][0]["x"]) == 3  # 270 training digits in batches of 128
    assert len(curves["data"][1]["x"]) == 1  # one finished epoch
    confusion = chart(at, "train_confusion")
    assert sum(map(sum, confusion["data"][0]["z"])) == 2000  # every test digit once
    stored = at.session_state[STORE_KEY]
    assert list(stored) == ["mlp · mnist"] and stored["mlp · mnist"].source == "trained"
    assert stored["mlp · mnist"].class_names == [str(d) for d in range(10)]
    downloads = {d.key for d in at.get("download_button")}
    assert downloads == {  # the model (.keras, .h5), the curves and the Keras code
        "train_download_model",
        "train_download_h5",
        "train_download_curves",
        "train_download_code",
    }
    assert i18n.t("train.filters_none") in [c.value for c in at.caption]  # an MLP has no filters
    assert i18n.t("train.filters_heading") not in [s.value for s in at.subheader]


def test_after_training_a_cnn_the_results_show_its_first_conv_filters_as_tiles():
    at = open_page(PAGE, timeout=60)  # the course MNIST CNN: Conv2D 32 3×3 first
    at.selectbox(key="train_images@en").set_value(300).run()
    at.number_input(key="train_quick_epochs").set_value(1).run()
    at.button(key="train_start").click().run()
    at = run_until_done(at)
    assert_no_problems(at)

    assert i18n.t("train.filters_heading") in [s.value for s in at.subheader]
    model = at.session_state[STORE_KEY]["mnist_cnn · mnist"].model
    kernel = training.first_conv_kernel(model)
    assert kernel.shape == (3, 3, 1, 32)
    shown = picture(at, "train_result_filters")
    # each weight a square of 48 // 3 = 16 pixels, 6 white pixels between filters and around
    # them, 9 columns
    assert shown.shape == (4 * 54 + 6, 9 * 54 + 6)
    np.testing.assert_array_equal(shown[6:-6, 6:-6], tiles.kernel_grid(kernel, cell=16, gap=6))
    assert (shown[:6] == 255).all() and (shown[:, -6:] == 255).all()
    help_text = i18n.t("train.filters_help", name=model.layers[0].name, shape="3×3×1×32")
    assert help_text in [c.value for c in at.caption]


def live_filters(at) -> np.ndarray | None:
    """The live view's filters picture, or None while it has none."""
    try:
        return picture(at, "train_live_filters")
    except AssertionError:
        return None


def test_while_a_cnn_trains_the_live_view_redraws_its_filters_as_they_change():
    at = open_page(PAGE, timeout=60)
    at.selectbox(key="train_images@en").set_value(1000).run()
    at.number_input(key="train_quick_epochs").set_value(20).run()
    at.button(key="train_start").click().run()
    seen: list[np.ndarray] = []
    captions: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(seen) < 2:
        time.sleep(0.3)
        at.run()
        shown = live_filters(at)
        if shown is not None and not any(np.array_equal(shown, s) for s in seen):
            seen.append(shown)
            captions += [c.value for c in at.caption]
    at.button(key="train_stop").click().run()
    at = run_until_done(at)
    assert_no_problems(at)

    assert len(seen) == 2, "the filters were redrawn while training ran"
    assert seen[0].shape == seen[1].shape == (4 * 54 + 6, 9 * 54 + 6)  # 32 filters of 3×3
    assert i18n.t("train.filters_live") in captions
    assert picture(at, "train_result_filters").shape == seen[0].shape


def test_stop_on_the_page_ends_training_and_shows_the_model_as_it_is():
    at = tiny_setup(open_page(PAGE, timeout=60), epochs=100, images=4000)
    at.button(key="train_start").click().run()
    at.button(key="train_stop").click().run()
    at = run_until_done(at)
    assert_no_problems(at)
    assert any(i.value.startswith("Training was stopped") for i in at.info)
    assert i18n.t("train.test_accuracy") in [m.label for m in at.metric]


def test_editing_the_layers_starts_from_the_course_table_and_still_counts_parameters():
    at = open_page(PAGE, timeout=60)
    at.toggle(key="train_edit").set_value(True).run()
    assert_no_problems(at)
    assert at.dataframe, "the layer table editor is shown"
    assert len(at.dataframe[0].value) == 7  # the course MNIST CNN, one row per layer
    assert any("843,658" in c.value for c in at.caption)
    assert [b.key for b in at.button] == ["train_start"]


def test_the_page_in_korean_trains_and_shows_korean_results():
    at = open_page(PAGE, lang="ko", timeout=60)
    at.selectbox(key="train_preset@ko").set_value("mlp").run()
    at.selectbox(key="train_images@ko").set_value(300).run()
    at.button(key="train_start").click().run()
    at = run_until_done(at)
    assert_no_problems(at)
    assert i18n.t("train.test_accuracy", "ko") in [m.label for m in at.metric]
    assert i18n.t("train.confusion", "ko") in [s.value for s in at.subheader]


def uploaded_bytes() -> bytes:
    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(4, "softmax")]
    )
    return models.save_bytes(model)


def test_an_uploaded_keras_model_is_kept_for_the_other_pages():
    at = open_page(PAGE, timeout=60)
    at.file_uploader(key="train_upload").set_value(
        ("four.keras", uploaded_bytes(), "application/octet-stream")
    ).run()
    assert_no_problems(at)
    assert any("four" in s.value for s in at.success)
    stored = at.session_state[STORE_KEY]["four"]
    assert stored.source == "uploaded" and stored.class_names == ["0", "1", "2", "3"]
    assert stored.input_shape == (28, 28, 1)


@pytest.mark.parametrize(
    ("content", "key"),
    [(b"", "models.upload_empty"), (b"not a zip at all", "models.upload_not_zip")],
)
def test_junk_uploads_get_a_clear_message(content, key):
    at = open_page(PAGE, timeout=60)
    at.file_uploader(key="train_upload").set_value(("junk.keras", content, "text/plain")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [i18n.t(key)]
    assert STORE_KEY not in at.session_state or not at.session_state[STORE_KEY]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_download_only_set_offers_the_download_then_trains_on_it(
    empty_keras_cache, local_origin, lang
):
    """Fashion-MNIST not on this computer: the page says so; the download (from a local site
    here) fills Keras's cache with a progress bar, and the page then uses the set."""
    from cnnviz import data
    from cnnviz.ui import train_data

    train_data.load_dataset.clear()
    at = open_page(PAGE, lang=lang, timeout=60)
    at.selectbox(key=f"train_dataset@{lang}").set_value("fashion_mnist").run()
    assert_no_problems(at)
    missing = data.available()["fashion_mnist"]
    assert i18n.t(missing.reason_key, lang, **missing.values) in [i.value for i in at.info]
    assert [b.key for b in at.button] == ["train_download"]

    at.button(key="train_download").click().run()
    assert_no_problems(at)
    train_data.load_dataset.clear()  # the next test must not get this tiny set
    expected = i18n.t("train.data_size", lang, train=12, test=5, shape="28×28×1", classes=10)
    assert expected in [c.value for c in at.caption]
    assert "train_start" in [b.key for b in at.button]


def tiny_pets(folder: Path) -> Path:
    """folder/cats (red) and folder/dogs (blue), six 12×12 PNG photos each (the augmentation
    preview shows 8 training images)."""
    for name, colour in (("cats", (220, 30, 30)), ("dogs", (30, 30, 220))):
        (folder / name).mkdir(parents=True)
        for i in range(6):
            pixels = np.full((12, 12, 3), colour, dtype=np.uint8)
            pixels[i, i] = 255  # no two photos alike
            Image.fromarray(pixels).save(folder / name / f"photo_{i}.png")
    return folder


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_without_shared_folders_the_folder_option_says_how_and_offers_nothing_to_type(
    monkeypatch, lang
):
    monkeypatch.delenv("CNNVIZ_DATA_DIR", raising=False)
    at = open_page(PAGE, lang=lang, timeout=60)
    at.selectbox(key=f"train_dataset@{lang}").set_value("folder").run()
    assert_no_problems(at)
    assert i18n.t("train.folder_help", lang) in [i.value for i in at.info]
    assert "CNNVIZ_DATA_DIR" in i18n.t("train.folder_help", lang)
    assert not at.text_input and f"train_folder@{lang}" not in [s.key for s in at.selectbox]
    assert "train_start" not in [b.key for b in at.button]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_shared_folder_is_listed_and_choosing_it_loads_its_classes(monkeypatch, tmp_path, lang):
    pets = tiny_pets(tmp_path / "root" / "pets")
    (tmp_path / "root" / "notes").mkdir()  # not a dataset: not listed
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path / "root"))
    at = open_page(PAGE, lang=lang, timeout=60)
    at.selectbox(key=f"train_dataset@{lang}").set_value("folder").run()
    assert_no_problems(at)
    folders = at.selectbox(key=f"train_folder@{lang}")
    assert folders.options == [i18n.t("train.folder_option", lang, folder="pets", classes=2)]
    assert not at.text_input

    at.selectbox(key=f"train_folder@{lang}").set_value(str(pets.resolve())).run()
    assert_no_problems(at)
    captions = [c.value for c in at.caption]
    assert i18n.t("train.folder_classes", lang, names="cats, dogs") in captions
    size = i18n.t("train.data_size", lang, train=10, test=2, shape="64×64×3", classes=2)
    assert size in captions
    assert "train_start" in [b.key for b in at.button]


def test_a_shared_root_with_no_dataset_in_it_says_so(monkeypatch, tmp_path):
    (tmp_path / "empty" / "cats").mkdir(parents=True)
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path / "empty"))
    at = open_page(PAGE, timeout=60)
    at.selectbox(key="train_dataset@en").set_value("folder").run()
    assert_no_problems(at)
    roots = str((tmp_path / "empty").resolve())
    assert i18n.t("train.folder_none", roots=roots) in [i.value for i in at.info]
    assert not at.text_input
