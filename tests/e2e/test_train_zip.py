"""A zip of class folders uploaded on the Train page in Chromium: its classes are listed, Train
trains on them and the results appear; a hostile zip shows its message instead."""

import io
import zipfile

from PIL import Image
from skimage import data as photos

from cnnviz import i18n
from tests.e2e.conftest import wait_idle
from tests.e2e.test_walkthrough import after_a_run, assert_clean, select_option, upload_bytes

ZIP_OPTION = 6  # mnist, mnist_full, fashion_mnist, cifar10, cifar100, folder, zip
UPLOADER = ".st-key-train_zip"


def class_zip() -> bytes:
    """Two classes of real photos (a cat and coffee), twelve crops each, in one top folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, photo in (("gatto", photos.chelsea()), ("caffe", photos.coffee())):
            for n in range(12):
                crop = io.BytesIO()
                Image.fromarray(photo[8 * n : 8 * n + 150, 8 * n : 8 * n + 150]).save(crop, "JPEG")
                archive.writestr(f"pictures/{name}/{n}.jpg", crop.getvalue())
    return buffer.getvalue()


def test_a_zip_of_class_folders_trains_and_shows_results(page, server):
    page.goto(f"{server}/train")
    wait_idle(page, timeout=120_000)
    select_option(page, "train_dataset", ZIP_OPTION)
    upload_bytes(page, "pictures.zip", class_zip(), within=UPLOADER)
    page.get_by_text("gatto 12").first.wait_for(timeout=60_000)
    assert_clean(page)
    after_a_run(page, lambda: page.get_by_role("button", name="Train").click())
    page.get_by_text("Test accuracy", exact=True).wait_for(timeout=180_000)
    assert_clean(page)


def test_a_zip_with_a_path_out_of_it_shows_its_message(page, server):
    page.goto(f"{server}/train")
    wait_idle(page, timeout=120_000)
    select_option(page, "train_dataset", ZIP_OPTION)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a/1.png", b"x")
        archive.writestr("../../escape.png", b"x")
    upload_bytes(page, "evil.zip", buffer.getvalue(), within=UPLOADER)
    message = i18n.t("data.zip_unsafe_path", name="../../escape.png")
    page.get_by_text(message[:40]).first.wait_for(timeout=30_000)
    assert_clean(page)
