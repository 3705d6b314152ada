"""The Teach page through Streamlit's AppTest, in both languages: naming the classes (and names it
refuses), pictures from the camera and from files with their counts, removing and clearing them,
a real training on real photos put into the session the way cnnviz.ui.teach keeps them, and the
trained model's guesses for a new camera picture and a live frame."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image
from skimage import data as photos

from cnnviz import i18n, teach
from cnnviz.ui.model_store import STORE_KEY
from cnnviz.ui.teach import PICTURES_KEY, THUMBNAIL_SIDE, plain
from tests.pages.conftest import media_picture, open_page, run_while_stoppable
from tests.test_teach import crops

PAGE = "pages/8_teach.py"


def jpeg(picture: np.ndarray, size: int | None = None) -> bytes:
    image = Image.fromarray(picture)
    if size:
        image = image.resize((size, size))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def counts(at) -> list[str]:
    return [m.value for m in at.markdown if " · " in m.value]


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def run_until_trained(at, limit: float = 240.0):
    """Rerun the Teach page until its training's live view has gone."""
    return run_while_stoppable(at, "teach_stop", limit, pause=0.5)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_page_opens_with_two_classes_named_in_the_students_language(lang):
    at = open_page(PAGE, lang=lang)
    assert_clean(at)
    assert at.title[0].value == i18n.t("teach.title", lang)
    names = [i18n.t("teach.default_name", lang, number=n) for n in (1, 2)]
    assert [box.value for box in at.text_input] == names
    none = i18n.t("teach.count", lang, count=0, minimum=teach.MIN_PICTURES)
    assert counts(at) == [f"**{plain(name)}** · {none} ⚠" for name in names]
    assert at.camera_input(key="teach_camera_0").label == i18n.t(
        "teach.camera", lang, name=plain(names[0])
    )
    assert at.button(key="teach_start").label == i18n.t("teach.start", lang)


def test_untouched_default_names_follow_the_language_and_typed_ones_stay():
    at = open_page(PAGE)
    at.text_input(key="teach_name_1").input("Pen").run()
    at.sidebar.radio[0].set_value("ko").run()
    assert [box.value for box in at.text_input] == ["클래스 1", "Pen"]
    at.switch_page("pages/0_home.py").run()
    at.switch_page(PAGE).run()
    assert [box.value for box in at.text_input] == ["클래스 1", "Pen"]  # kept across pages


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize(
    ("typed", "key", "values"),
    [
        (" ", "teach.name_empty", {"number": 2}),
        (" cup ", "teach.name_twice", {"name": "cup", "first": 1, "second": 2}),
        ("a/b", "teach.name_characters", {"number": 2, "characters": teach.FORBIDDEN_CHARACTERS}),
        ("x" * 31, "teach.name_too_long", {"number": 2, "length": 31, "limit": 30}),
    ],
)
def test_a_bad_name_says_why_and_the_rest_of_the_page_waits(lang, typed, key, values):
    at = open_page(PAGE, lang=lang)
    at.text_input(key="teach_name_0").input("Cup").run()
    at.text_input(key="teach_name_1").input(typed).run()
    assert not at.exception
    assert [e.value for e in at.error] == [i18n.t(key, lang, **values)]
    assert not at.camera_input and not any(b.key == "teach_start" for b in at.button)


def test_three_classes_get_three_names_and_a_name_is_shown_as_typed():
    at = open_page(PAGE)
    at.number_input(key="teach_classes").set_value(3).run()
    assert [box.key for box in at.text_input] == ["teach_name_0", "teach_name_1", "teach_name_2"]
    at.text_input(key="teach_name_2").input("# _not italic_ $x$ [a](b)").run()
    assert_clean(at)
    options = at.radio(key="teach_target").options
    assert options[2] == plain("# _not italic_ $x$ [a](b)")  # escaped: Markdown shows it as typed


def test_each_camera_picture_goes_to_the_chosen_class_and_the_camera_is_ready_again():
    at = open_page(PAGE)
    cat = photos.chelsea()
    at.camera_input(key="teach_camera_0").set_value(("shot.jpg", jpeg(cat), "image/jpeg")).run()
    assert_clean(at)
    assert at.session_state[PICTURES_KEY][0][0].shape == (96, 96, 3)
    assert [c.key for c in at.camera_input] == ["teach_camera_1"]  # a fresh camera
    at.radio(key="teach_target").set_value(1).run()
    for number in (1, 2):
        at.camera_input(key=f"teach_camera_{number}").set_value(
            ("shot.jpg", jpeg(photos.hubble_deep_field()), "image/jpeg")
        ).run()
    assert_clean(at)
    one = i18n.t("teach.count", count=1, minimum=teach.MIN_PICTURES)
    two = i18n.t("teach.count", count=2, minimum=teach.MIN_PICTURES)
    assert counts(at) == [f"**Class 1** · {one} ⚠", f"**Class 2** · {two} ⚠"]
    thumbnails = [media_picture(image.proto.imgs[0].url) for image in at.image]
    assert [t.shape for t in thumbnails] == [(THUMBNAIL_SIDE, THUMBNAIL_SIDE, 3)] * 3
    at.button(key="teach_remove_1_0").click().run()
    assert len(at.session_state[PICTURES_KEY][1]) == 1
    at.button(key="teach_clear_0").click().run()
    assert at.session_state[PICTURES_KEY][0] == []
    assert i18n.t("teach.no_pictures") in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_several_files_are_added_at_once_and_a_file_that_is_no_picture_is_named(lang):
    at = open_page(PAGE, lang=lang)
    at.radio(key=f"teach_source@{lang}").set_value("upload").run()
    files = [(f"cat{i}.jpg", jpeg(p), "image/jpeg") for i, p in
             enumerate(crops(photos.chelsea(), 6, seed=4))]  # fmt: skip
    files.append(("notes.txt", b"not a picture", "text/plain"))
    at.file_uploader(key="teach_upload_0").set_value(files).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        i18n.t("teach.unreadable", lang, added=6, count=1, files="notes.txt")
    ]
    assert len(at.session_state[PICTURES_KEY][0]) == 6
    enough = i18n.t("teach.count", lang, count=6, minimum=teach.MIN_PICTURES)
    assert counts(at)[0].endswith(f" · {enough}")  # no ⚠: enough to train
    assert [u.key for u in at.file_uploader] == ["teach_upload_1"]  # empty again


def test_a_full_class_takes_no_more_pictures_and_says_so():
    at = open_page(PAGE)
    at.session_state[PICTURES_KEY] = {0: [np.zeros((96, 96, 3), np.uint8)] * teach.MAX_PER_CLASS}
    at.run()
    at.camera_input(key="teach_camera_0").set_value(
        ("shot.jpg", jpeg(photos.chelsea()), "image/jpeg")
    ).run()
    assert len(at.session_state[PICTURES_KEY][0]) == teach.MAX_PER_CLASS
    full = i18n.t("teach.full", per_class=teach.MAX_PER_CLASS, total=teach.MAX_TOTAL)
    assert full in [w.value for w in at.warning]


def test_training_with_too_few_pictures_names_the_class():
    at = open_page(PAGE)
    kept = [teach.prepare(p, 96) for p in crops(photos.chelsea(), 6, seed=1)]
    at.session_state[PICTURES_KEY] = {0: kept, 1: kept[:2]}
    at.run()
    at.button(key="teach_start").click().run()
    assert [e.value for e in at.error] == [
        i18n.t("teach.too_few_pictures", name="Class 2", count=2, minimum=teach.MIN_PICTURES)
    ]


def frame(picture: np.ndarray) -> str:
    """A live frame as live.js sends it: a 128×128 JPEG data URL."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg(picture, 128)).decode("ascii")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_training_on_the_sessions_pictures_then_guesses_a_new_snapshot_and_a_live_frame(lang):
    at = open_page(PAGE, lang=lang, timeout=120)
    at.text_input(key="teach_name_0").input("Cat").run()
    at.text_input(key="teach_name_1").input("하늘").run()
    at.session_state[PICTURES_KEY] = {
        0: [teach.prepare(p, 96) for p in crops(photos.chelsea(), 20, seed=1)],
        1: [teach.prepare(p, 96) for p in crops(photos.hubble_deep_field(), 20, seed=2)],
    }
    at.run()
    at.button(key="teach_start").click().run()
    assert_clean(at)
    at = run_until_trained(at)
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[i18n.t("teach.tested", lang)] == "8"  # 4 of each class held out
    assert float(metrics[i18n.t("teach.test_accuracy", lang)].rstrip("%")) >= 75
    label = i18n.t("teach.model_name", lang, number=1)
    assert list(at.session_state[STORE_KEY]) == [label], at.session_state[STORE_KEY]
    assert at.session_state[STORE_KEY][label].class_names == ["Cat", "하늘"]  # for other pages
    assert at.get("download_button")  # the pictures and the model

    at.radio(key=f"teach_predict_source@{lang}").set_value("snapshot").run()
    cat = crops(photos.chelsea(), 1, seed=11)[0]
    at.camera_input(key="teach_snapshot").set_value(("cat.jpg", jpeg(cat), "image/jpeg")).run()
    assert_clean(at)
    bars = [bar.proto.text for bar in at.get("progress")]
    assert [bar.split(" · ")[0] for bar in bars] == ["Cat", "하늘"]  # every class, in order
    cat_share = float(bars[0].split(" · ")[1].rstrip("%"))
    assert cat_share > 50

    at.radio(key=f"teach_predict_source@{lang}").set_value("live").run()
    sky = crops(photos.hubble_deep_field(), 1, seed=12)[0]
    at.session_state["teach_predict_live_frame"] = {"id": 3, "image": frame(sky)}
    at.run()
    assert_clean(at)
    top = [bar.proto.text for bar in at.get("progress")]
    assert top[0].startswith("하늘 · ") and len(top) == 2, top
    answered = i18n.t("live.frame", lang, number=3, ms="MS").split("MS")[0]
    assert any(c.value.startswith(answered) for c in at.caption)  # frame 3 was answered
