"""Every upload widget refuses what it cannot handle with a clear message and keeps working.

Through the browser, for each upload widget: the corpus of bad files (tests/corpus.py) each gets
its catalogue message and no traceback; a good file afterwards still works; odd but valid
pictures show without a message; the upload size limit is said on the page; a file over the limit
is refused by Streamlit, in the browser and at the server (HTTP 413) alike.
"""

from __future__ import annotations

import asyncio
import io
import tomllib
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bench.st_client import Session
from cnnviz.i18n import catalogue
from tests import corpus
from tests.e2e.conftest import ROOT, screenshot, wait_idle
from tests.e2e.test_walkthrough import (
    ERROR_ALERT,
    EXCEPTION,
    IMAGE,
    assert_clean,
    main_text,
    open_lesson,
    pick_option,
    upload_bytes,
    widget,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIMIT_MB = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"][
    "maxUploadSize"
]
BAD = {name: (make, key) for name, make, key in corpus.BAD_FILES}
IMAGE_MESSAGES = [
    v.split("{")[0].strip()[:40] for k, v in catalogue("en").items() if k.startswith("images.")
]
FEW_BAD = ["notes.jpg", "truncated.jpg", "bomb.png", "drawing.svg"]  # one of each kind


def digit_photo() -> bytes:
    return corpus.handwritten_digit_photo(3, seed=1)


# (page, source radio key, index of "upload", uploader key, which bad files, a good file,
#  what shows the page works)
PHOTO_WIDGETS = {
    "convolution": ("conv_source", 2, "conv_upload", list(BAD), corpus.jpeg, IMAGE),
    "pooling": ("pool_source", 2, "pool_upload", FEW_BAD, corpus.jpeg, IMAGE),
    "features": ("features_source", 2, "features_upload", list(BAD), digit_photo,
                 ".st-key-features_top .js-plotly-plot"),
    "rotation": ("rotation_source", 1, "rotation_upload", FEW_BAD, digit_photo,
                 ".st-key-rotation_digit_figure .js-plotly-plot"),
}  # fmt: skip


def expected_start(key: str, lang: str = "en") -> str:
    """The first words of a catalogue message (before any {value}), as shown on the page."""
    text = catalogue(lang)[key].split("{")[0]
    return text.replace("**", "").replace("`", "").strip()[:40]


def assert_message(page, key: str) -> None:
    """An error message with the catalogue text for `key` is on the page; no traceback."""
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()
    alerts = page.locator(ERROR_ALERT)
    alerts.first.wait_for(timeout=30_000)
    texts = [alerts.nth(i).inner_text() for i in range(alerts.count())]
    start = expected_start(key)
    assert any(start in " ".join(text.split()) for text in texts), (key, texts)


def assert_states_the_limit(page) -> None:
    """The page tells the student how large a file may be (the configured limit)."""
    text = " ".join(main_text(page).split())
    assert f"{LIMIT_MB} MB" in text or f"{LIMIT_MB}MB" in text, text[-600:]


@pytest.mark.parametrize("url_path", list(PHOTO_WIDGETS))
def test_photo_upload_refuses_bad_files_with_their_message_and_keeps_working(
    page, server, url_path
):
    source, index, uploader, bad_names, good, works = PHOTO_WIDGETS[url_path]
    open_lesson(page, server, url_path)
    pick_option(page, source, index)
    container = f'[class*="st-key-{uploader}"]'
    widget(page, uploader)
    assert_states_the_limit(page)
    for name in bad_names:
        make, key = BAD[name]
        upload_bytes(page, name, make(), within=container)
        assert_message(page, key)
    screenshot(page, f"hostile-{url_path}-bad")
    upload_bytes(page, "good.jpg", good(), within=container)
    assert_clean(page)
    assert page.locator(ERROR_ALERT).count() == 0, page.locator(ERROR_ALERT).first.inner_text()
    page.locator(works).first.wait_for(timeout=60_000)


def test_odd_but_valid_pictures_show_without_a_message(page, server):
    open_lesson(page, server, "convolution")
    pick_option(page, "conv_source", 2)
    container = '[class*="st-key-conv_upload"]'
    failures = []
    for name, make, _check in corpus.ODD_FILES:
        upload_bytes(page, name, make(), within=container)
        assert_clean(page)
        errors = page.locator(ERROR_ALERT)
        texts = [" ".join(errors.nth(i).inner_text().split()) for i in range(errors.count())]
        if any(start in text for start in IMAGE_MESSAGES for text in texts):
            failures.append((name, texts))
            continue
        try:  # the photo itself is shown (a 1×1 dot may be too small for the kernel: it says so)
            page.locator('[data-testid="stMain"]').locator(IMAGE).first.wait_for(timeout=30_000)
        except PlaywrightTimeout:
            failures.append((name, "the picture is not shown"))
            screenshot(page, f"hostile-odd-{name}")
    assert failures == []


# ---- .keras model uploads ---------------------------------------------------------------
def claims_to_unpack_huge() -> bytes:
    """A small .keras-looking zip whose directory says it unpacks to 4 GB (a zip bomb's claim)."""
    data = bytearray(zipped({"config.json": b"{}", "model.weights.h5": bytes(1000)}))
    entry = data.find(b"PK\x01\x02")  # the central directory: uncompressed size at +24
    while entry != -1:
        data[entry + 24 : entry + 28] = (0xFFFFFFF0).to_bytes(4, "little")
        entry = data.find(b"PK\x01\x02", entry + 4)
    return bytes(data)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def lambda_model() -> bytes:
    """A real .keras file whose model holds a Lambda layer (code): safe_mode must refuse it."""
    import tempfile

    import keras

    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Lambda(lambda x: x * 2.0),
         keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
    )  # fmt: skip
    path = Path(tempfile.mkdtemp(prefix="cnnviz-lambda-")) / "lambda.keras"
    model.save(path)
    return path.read_bytes()


BAD_MODELS = [
    ("empty.keras", lambda: b"", "models.upload_empty"),
    ("notes.keras", corpus.text_renamed_jpg, "models.upload_not_zip"),
    ("photos.keras", lambda: zipped({"cat.jpg": corpus.jpeg()}), "models.upload_not_keras"),
    ("broken.keras", lambda: zipped({"config.json": b"{not json"}), "models.upload_broken"),
    ("unpacks_huge.keras", claims_to_unpack_huge, "models.upload_too_large"),
    ("lambda.keras", lambda_model, "models.upload_unsafe"),
]  # fmt: skip


def choose_model_upload(page) -> None:
    """Pick the last model option (an upload) in the Feature maps page's model selectbox."""
    box = widget(page, "features_model")
    box.locator('[data-testid="stSelectbox"]').click()
    page.locator('[role="option"]').last.click()
    wait_idle(page)


def test_model_upload_refuses_bad_files_and_then_loads_a_real_model(page, server):
    open_lesson(page, server, "features")
    choose_model_upload(page)
    container = '[class*="st-key-features_model_upload"]'
    widget(page, "features_model_upload")
    assert_states_the_limit(page)
    for name, make, key in BAD_MODELS:
        upload_bytes(page, name, make(), within=container)
        assert_message(page, key)
    upload_bytes(page, "mlp.keras", (ROOT / "assets/models/mlp.keras").read_bytes(), container)
    assert_clean(page)
    assert page.locator(ERROR_ALERT).count() == 0, page.locator(ERROR_ALERT).first.inner_text()
    page.locator(".st-key-features_top .js-plotly-plot").first.wait_for(timeout=60_000)


def test_train_page_model_upload_refuses_bad_files_and_keeps_a_real_model(page, server):
    open_lesson(page, server, "train")
    heading = catalogue("en")["train.upload_heading"]
    page.locator('[data-testid="stExpander"] summary', has_text=heading).first.click()
    container = '[class*="st-key-train_upload"]'
    widget(page, "train_upload")
    assert_states_the_limit(page)
    for name, make, key in BAD_MODELS:
        if name in ("empty.keras", "lambda.keras", "notes.keras", "unpacks_huge.keras"):
            upload_bytes(page, name, make(), within=container)
            assert_message(page, key)
    upload_bytes(page, "mlp.keras", (ROOT / "assets/models/mlp.keras").read_bytes(), container)
    assert_clean(page)
    assert page.locator(ERROR_ALERT).count() == 0, page.locator(ERROR_ALERT).first.inner_text()
    page.locator('[data-testid="stAlertContentSuccess"]').first.wait_for(timeout=30_000)


# ---- the size limit ---------------------------------------------------------------------
def test_a_file_over_the_limit_is_refused_in_the_browser_and_the_page_keeps_working(page, server):
    open_lesson(page, server, "convolution")
    pick_option(page, "conv_source", 2)
    container = '[class*="st-key-conv_upload"]'
    huge = corpus.jpeg() + bytes((LIMIT_MB + 1) * 2**20)
    upload_bytes(page, "huge.jpg", huge, container, runs=False)
    refusal = page.locator(container).get_by_text(f"{LIMIT_MB:.1f}MB")
    refusal.first.wait_for(timeout=30_000)  # Streamlit: "File must be 50.0MB or smaller."
    assert_clean(page)
    upload_bytes(page, "good.jpg", corpus.jpeg(), container)
    page.locator('[data-testid="stMain"]').locator(IMAGE).nth(1).wait_for(timeout=30_000)
    assert_clean(page)


def test_the_server_refuses_a_file_over_the_limit_even_without_the_browser_check(server):
    async def over_the_limit() -> tuple[int, int]:
        session = await Session.open(server, "convolution")
        try:
            uploader = catalogue("en")["widgets.upload"]
            await session.set(catalogue("en")["widgets.source"], 2, kind="radio")
            big = await session.upload(uploader, "huge.jpg", bytes((LIMIT_MB + 1) * 2**20))
            small = await session.upload(uploader, "small.jpg", corpus.jpeg())
            assert session.exceptions == []
            return big, small
        finally:
            await session.close()

    with ThreadPoolExecutor(1) as thread:  # Playwright's loop runs in this thread
        big, small = thread.submit(asyncio.run, over_the_limit()).result(timeout=120)
    assert big == 413
    assert small == 204
