"""cnnviz.data.load_zip: a zip of class folders read like an image folder; hostile zips refused
with their message, nothing written outside the temporary folder."""

from __future__ import annotations

import io
import stat
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as photos

from cnnviz import data
from cnnviz.data import zips
from cnnviz.errors import DatasetError

FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF")
SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "BMP": ".bmp", "GIF": ".gif"}


def picture_bytes(photo: np.ndarray, form: str, shift: int) -> bytes:
    """A real photo, cropped at `shift`, encoded as `form`."""
    crop = Image.fromarray(photo[shift : shift + 120, shift : shift + 120])
    buffer = io.BytesIO()
    crop.save(buffer, form)
    return buffer.getvalue()


def animals_zip() -> tuple[bytes, dict[str, int]]:
    """An Animals-10-style zip inside one top folder, as macOS zips it: three Italian class
    folders of mixed formats, one broken JPEG, __MACOSX/ and .DS_Store litter."""
    sources = {"gatto": photos.chelsea(), "cane": photos.astronaut(), "ragno": photos.coffee()}
    counts = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, photo in sources.items():
            for n in range(10):
                form = FORMATS[n % len(FORMATS)]
                entry = f"animals/raw-img/{name}/{n}{SUFFIX[form]}"
                archive.writestr(entry, picture_bytes(photo, form, 5 * n))
                archive.writestr(f"__MACOSX/animals/raw-img/{name}/._{n}{SUFFIX[form]}", b"\0" * 80)
            archive.writestr(f"animals/raw-img/{name}/.DS_Store", b"\0\0\0\1Bud1")
            counts[name] = 10
        archive.writestr(
            "animals/raw-img/gatto/broken.jpg", picture_bytes(photos.chelsea(), "JPEG", 0)[:300]
        )
        archive.writestr("animals/.DS_Store", b"\0\0\0\1Bud1")
    return buffer.getvalue(), counts


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A fresh temp root for tempfile, inside a folder whose every file is watched."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return tmp_path


def every_path(root: Path) -> set[Path]:
    return set(root.rglob("*"))


def test_an_animals10_zip_gives_its_classes_counts_and_the_broken_file_counted(sandbox):
    archive, counts = animals_zip()
    dataset = data.load_zip(archive, image_size=(32, 32))
    assert dataset.name == "zip"
    assert sorted(dataset.class_names) == sorted(counts)
    assert dataset.skipped == 1  # the broken JPEG; the macOS litter is not counted
    assert dataset.input_shape == (32, 32, 3)
    assert len(dataset.x_train) + len(dataset.x_test) == sum(counts.values())
    assert len(dataset.x_test) == 6  # validation_split 0.2 of 30
    labels = np.concatenate([dataset.y_train, dataset.y_test])
    for index, name in enumerate(dataset.class_names):
        assert (labels == index).sum() == counts[name]
    assert "고양이" in data.class_labels(dataset, "ko")
    assert list(every_path(sandbox / "temp")) == []  # the unpacked pictures are gone


def test_a_zip_splits_like_the_same_pictures_in_a_folder(sandbox):
    archive, _ = animals_zip()
    folder = sandbox / "by_hand"
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        for info in opened.infolist():
            parts = Path(info.filename).parts
            if parts[0] == "__MACOSX" or parts[-1].startswith(".") or info.is_dir():
                continue
            target = folder / parts[-2] / parts[-1]
            target.parent.mkdir(parents=True, exist_ok=True)
            if parts[-1] == "broken.jpg":
                continue
            content = opened.read(info)
            # as load_zip does: image_dataset_from_directory reads no webp
            if target.suffix == ".webp":
                Image.open(io.BytesIO(content)).save(target.with_suffix(".png"))
            else:
                target.write_bytes(content)
    by_zip = data.load_zip(archive, image_size=(32, 32))
    by_folder = data.load_folder(folder, image_size=(32, 32))
    assert by_zip.class_names == by_folder.class_names
    assert np.array_equal(by_zip.y_test, by_folder.y_test)
    assert np.array_equal(by_zip.y_train, by_folder.y_train)


def zip_of(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, content in entries:
            archive.writestr(info, content)
    return buffer.getvalue()


def two_classes() -> list[tuple[str, bytes]]:
    png = picture_bytes(photos.chelsea(), "PNG", 0)
    return [(f"{c}/{n}.png", png) for c in ("a", "b") for n in range(3)]


def symlink_entry() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("a/link.png")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def encrypted_entry() -> bytes:
    raw = bytearray(zip_of([*two_classes(), ("a/secret.png", b"x" * 50)]))
    # set the encrypted flag in the local header and in the central directory of the last entry
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.rfind(signature)
        raw[at + offset] |= 1
    return bytes(raw)


HOSTILE = {
    "data.zip_not_zip": lambda: b"this is not a zip at all",
    "data.zip_unsafe_path": lambda: zip_of([*two_classes(), ("../../escaped.png", b"x")]),
    "data.zip_symlink": lambda: zip_of([*two_classes(), (symlink_entry(), b"/etc/passwd")]),
    "data.zip_nested": lambda: zip_of([*two_classes(), ("a/inner.zip", zip_of(two_classes()))]),
    "data.zip_encrypted": encrypted_entry,
    "data.zip_bomb": lambda: zip_of([*two_classes(), ("a/zeros.png", b"\0" * 50_000_000)]),
    "data.zip_one_class": lambda: zip_of(
        [*(e for e in two_classes() if e[0].startswith("a/")), ("b/broken.png", b"not a picture")]
    ),
    "data.zip_no_classes": lambda: zip_of([("readme.txt", b"hello")]),
}


@pytest.mark.parametrize("key", HOSTILE)
def test_a_hostile_zip_is_refused_with_its_message_and_writes_nothing_outside(sandbox, key):
    archive = HOSTILE[key]()
    before = every_path(sandbox)
    with pytest.raises(DatasetError) as refused:
        data.load_zip(archive)
    assert refused.value.key == key
    assert every_path(sandbox) == before  # nothing left in temp, nothing beside it
    assert not (sandbox.parent / "escaped.png").exists()


@pytest.mark.parametrize("top", ["", "holiday/"])
def test_a_zip_of_one_class_folder_alone_names_that_class(sandbox, top):
    cats = [(f"{top}cats/{name.split('/')[-1]}", body) for name, body in two_classes()[:3]]
    with pytest.raises(DatasetError) as refused:
        data.load_zip(zip_of(cats))
    assert refused.value.key == "data.zip_one_class"
    assert refused.value.values["name"] == "cats"


def test_pictures_at_the_top_of_a_zip_say_there_are_no_class_folders(sandbox):
    loose = [(name.split("/")[-1], body) for name, body in two_classes()[:3]]
    with pytest.raises(DatasetError) as refused:
        data.load_zip(zip_of(loose))
    assert refused.value.key == "data.zip_no_classes"


def test_an_absolute_path_entry_is_refused(sandbox):
    with pytest.raises(DatasetError) as refused:
        data.load_zip(zip_of([*two_classes(), ("/tmp/cnnviz-absolute.png", b"x")]))
    assert refused.value.key == "data.zip_unsafe_path"
    assert not Path("/tmp/cnnviz-absolute.png").exists()


def test_more_entries_than_the_limit_are_refused(sandbox, monkeypatch):
    monkeypatch.setattr(zips, "MAX_FILES", 5)
    with pytest.raises(DatasetError) as refused:
        data.load_zip(zip_of(two_classes()))
    assert refused.value.key == "data.zip_too_many_files"


def test_more_unpacked_bytes_than_the_limit_are_refused(sandbox, monkeypatch):
    monkeypatch.setattr(zips, "MAX_TOTAL_BYTES", 1000)
    with pytest.raises(DatasetError) as refused:
        data.load_zip(zip_of(two_classes()))
    assert refused.value.key.startswith("data.zip_too")
    assert list(every_path(sandbox / "temp")) == []


def test_more_decoded_pixels_than_the_limit_are_refused(sandbox, monkeypatch):
    monkeypatch.setattr(zips, "MAX_TOTAL_PIXELS", 50_000)
    with pytest.raises(DatasetError) as refused:
        data.load_zip(zip_of(two_classes()))
    assert refused.value.key == "data.zip_too_many_pixels"
    assert list(every_path(sandbox / "temp")) == []


def test_files_that_are_not_pictures_are_skipped_and_counted(sandbox):
    archive = zip_of([*two_classes(), ("a/notes.txt", b"hello"), ("b/data.csv", b"1,2")])
    assert data.load_zip(archive, image_size=(16, 16)).skipped == 2
