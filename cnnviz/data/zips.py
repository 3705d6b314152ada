"""Students' own pictures as a zip of class folders (cat/, dog/ …), read into a `Dataset`.

The zip comes from a student's browser, so it is checked before a byte is unpacked: how many
entries it has, every entry's path (no `..`, absolute paths or drive letters), links, passwords,
archives inside it, the sizes it declares and their compression ratio. The pictures are then
unpacked, counting the real bytes (declared sizes can lie) and the pixels their headers declare,
under safe numbered names into a `tempfile` temporary folder, and read by `load_folder`, so a zip
gives exactly the dataset the same images in a folder give. The folder is removed before
`load_zip` returns: nothing stays on disk.
"""

from __future__ import annotations

import io
import re
import shutil
import stat
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image

from cnnviz.data.dataset import Dataset
from cnnviz.data.folders import IMAGE_EXTENSIONS, class_name_keys, load_folder
from cnnviz.errors import DatasetError

MAX_FILES = 20_000  # entries in the zip, folders included
MAX_TOTAL_BYTES = 256 * 2**20  # all entries unpacked together
MAX_RATIO = 100  # unpacked / packed size of one entry, for entries over RATIO_FROM_BYTES
RATIO_FROM_BYTES = 2**20  # a small plain-colour BMP packs 100:1 and is harmless
MAX_IMAGE_PIXELS = 50_000_000  # one picture (a 50-megapixel phone photo), every frame counted
MAX_TOTAL_PIXELS = 500_000_000  # all pictures together
ZIP_IMAGE_EXTENSIONS = (*IMAGE_EXTENSIONS, ".webp")
ARCHIVE_EXTENSIONS = (
    ".7z", ".apk", ".bz2", ".cab", ".gz", ".jar", ".lz", ".lzma", ".rar", ".tar", ".tbz2",
    ".tgz", ".txz", ".xz", ".z", ".zip", ".zipx", ".zst",
)  # fmt: skip
ARCHIVE_SIGNATURES = (
    b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07",
    b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"MSCF",
)  # fmt: skip
IGNORED_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini")  # what file managers leave behind
UNPACKED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
CHUNK = 2**16
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Member:
    """One picture in the zip: its entry, its path as the student named it, and its class."""

    info: zipfile.ZipInfo
    name: str
    class_name: str
    parts: tuple[str, ...]


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as the student's computer wrote it: zips without the UTF-8 flag are
    read by zipfile as cp437, but macOS writes UTF-8 and Korean Windows cp949 there."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    for encoding in ("utf-8", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _open(data: bytes) -> zipfile.ZipFile:
    """The zip in `data`; DatasetError if it is not one or has more than MAX_FILES entries.

    Every central-directory entry starts with the signature PK\\1\\2, so counting the signature
    bounds the entries before zipfile parses them (300,000 empty entries take it seconds).
    """
    if data.count(b"PK\x01\x02") > MAX_FILES:
        raise DatasetError("data.zip_too_many_files", limit=MAX_FILES)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        raise DatasetError("data.zip_not_zip", detail=str(error)[:200]) from error
    if len(archive.infolist()) > MAX_FILES:
        raise DatasetError("data.zip_too_many_files", limit=MAX_FILES)
    return archive


def _parts(name: str) -> tuple[str, ...]:
    """The entry's path parts; DatasetError("data.zip_unsafe_path") for `..`, an absolute path
    or a drive letter (zip-slip), with either slash."""
    path = name.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(path):
        raise DatasetError("data.zip_unsafe_path", name=name)
    parts = tuple(part for part in path.split("/") if part not in ("", "."))
    if ".." in parts:
        raise DatasetError("data.zip_unsafe_path", name=name)
    return parts


def _ignored(parts: tuple[str, ...]) -> bool:
    """macOS's __MACOSX/ and ._ files, .DS_Store and other hidden or system litter."""
    return any(
        part == "__MACOSX" or part.startswith(".") or part in IGNORED_NAMES for part in parts
    )


def _check_entry(info: zipfile.ZipInfo, name: str) -> None:
    """DatasetError for a link, a password, an archive inside or a suspicious ratio."""
    if stat.S_ISLNK(info.external_attr >> 16):
        raise DatasetError("data.zip_symlink", name=name)
    if info.flag_bits & 0x41:  # bit 0: encrypted, bit 6: strong encryption
        raise DatasetError("data.zip_encrypted", name=name)
    if name.lower().endswith(ARCHIVE_EXTENSIONS):
        raise DatasetError("data.zip_nested", name=name)
    if info.compress_type not in UNPACKED_METHODS:
        raise DatasetError("data.zip_method", name=name, method=info.compress_type)
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_FROM_BYTES and ratio > MAX_RATIO:
        raise DatasetError("data.zip_bomb", name=name, ratio=ratio, limit=MAX_RATIO)


def _top_folders_stripped(members: list[Member]) -> tuple[list[Member], str]:
    """The members with every single top folder taken off (pets/ or a/b/pets/), so the class
    folders come first; and the last folder taken off ("" when none was)."""
    last = ""
    while members and all(len(m.parts) > 1 for m in members):
        if len({m.parts[0] for m in members}) != 1:
            break
        last = members[0].parts[0]
        members = [replace(m, parts=m.parts[1:]) for m in members]
    return members, last


def _plan(archive: zipfile.ZipFile) -> tuple[list[Member], int]:
    """The pictures to unpack (their class folder set) and how many other files are skipped.

    Every entry is checked first (`_parts`, `_check_entry`), and the sizes the zip declares
    against MAX_TOTAL_BYTES, before anything is unpacked.
    """
    pictures, skipped, declared = [], 0, 0
    for info in archive.infolist():
        name = _entry_name(info)
        parts = _parts(name)
        _check_entry(info, name)
        declared += info.file_size
        if info.is_dir() or not parts or _ignored(parts):
            continue
        if Path(parts[-1]).suffix.lower() in ZIP_IMAGE_EXTENSIONS:
            pictures.append(Member(info, name, "", parts))
        else:
            skipped += 1
    if declared > MAX_TOTAL_BYTES:
        raise DatasetError(
            "data.zip_too_large", size_mb=declared / 2**20, limit_mb=MAX_TOTAL_BYTES / 2**20
        )
    in_classes = []
    stripped, folder = _top_folders_stripped(pictures)
    for member in stripped:
        if len(member.parts) == 1:  # a picture beside the class folders belongs to none
            skipped += 1
        else:
            in_classes.append(replace(member, class_name=member.parts[0], parts=member.parts[1:]))
    classes = {m.class_name for m in in_classes}
    if not classes and stripped and folder:  # cats.zip of cats/: one class folder, zipped alone
        raise DatasetError("data.zip_one_class", name=folder)
    if not classes:
        raise DatasetError("data.zip_no_classes")
    if len(classes) == 1:
        raise DatasetError("data.zip_one_class", name=next(iter(classes)))
    return in_classes, skipped


def _unpack(archive: zipfile.ZipFile, member: Member, target: Path, unpacked: int) -> int:
    """Write the member's bytes to `target`, counting them; the running total of bytes.

    DatasetError if it gives more bytes than declared or the total passes MAX_TOTAL_BYTES, if
    it starts like an archive, or if its data is damaged (a wrong CRC, sizes that lie).
    """
    written = 0
    try:
        with archive.open(member.info) as source, open(target, "wb") as sink:
            while chunk := source.read(CHUNK):
                if written == 0 and (
                    chunk.startswith(ARCHIVE_SIGNATURES) or chunk[257:262] == b"ustar"
                ):
                    raise DatasetError("data.zip_nested", name=member.name)
                written += len(chunk)
                if written > member.info.file_size:
                    raise DatasetError("data.zip_corrupt", name=member.name, detail="size")
                if unpacked + written > MAX_TOTAL_BYTES:
                    raise DatasetError(
                        "data.zip_too_large",
                        size_mb=(unpacked + written) / 2**20,
                        limit_mb=MAX_TOTAL_BYTES / 2**20,
                    )
                sink.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise DatasetError("data.zip_corrupt", name=member.name, detail=str(error)[:200]) from error
    except NotImplementedError as error:  # a compression zipfile cannot unpack
        raise DatasetError(
            "data.zip_method", name=member.name, method=member.info.compress_type
        ) from error
    return unpacked + written


def _pixels(path: Path, name: str) -> int | None:
    """The pixels the picture's header declares (every frame counted); None if it is not a
    picture Pillow opens. DatasetError over MAX_IMAGE_PIXELS, before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                frames = getattr(image, "n_frames", 1)
    except Image.DecompressionBombError:  # over twice Pillow's own limit: at least that many
        raise DatasetError(
            "data.zip_image_too_big",
            name=name,
            pixels_mp=2 * Image.MAX_IMAGE_PIXELS / 1e6,
            limit_mp=MAX_IMAGE_PIXELS / 1e6,
        ) from None
    except Exception:  # Pillow raises many types for what is not a picture: skipped
        return None
    pixels = width * height * frames
    if pixels > MAX_IMAGE_PIXELS:
        raise DatasetError(
            "data.zip_image_too_big",
            name=name,
            pixels_mp=pixels / 1e6,
            limit_mp=MAX_IMAGE_PIXELS / 1e6,
        )
    return pixels


def _as_png(path: Path) -> Path | None:
    """A WebP picture written as PNG beside it (image_dataset_from_directory reads no WebP);
    None if it does not decode."""
    png = path.with_suffix(".png")
    try:
        with Image.open(path) as image:
            image.convert("RGBA" if "A" in image.getbands() else "RGB").save(png)
    except Exception:  # a broken WebP: skipped like any unreadable picture
        png.unlink(missing_ok=True)
        return None
    finally:
        path.unlink()
    return png


def _unpack_classes(
    archive: zipfile.ZipFile, members: list[Member], folder: Path
) -> tuple[dict[str, str], int]:
    """Unpack the pictures into `folder`/<class number>/<picture number>.<ext>, in the sorted
    order a folder of them would have; ({class folder: class name}, pictures skipped)."""
    names = sorted({m.class_name for m in members})
    numbered = {name: f"{number:04d}" for number, name in enumerate(names)}
    unpacked, pixels, skipped = 0, 0, 0
    for class_name in names:
        (folder / numbered[class_name]).mkdir()
        in_class = sorted((m for m in members if m.class_name == class_name), key=lambda m: m.parts)
        for number, member in enumerate(in_class):
            suffix = Path(member.parts[-1]).suffix.lower()
            target = folder / numbered[class_name] / f"{number:07d}{suffix}"
            unpacked = _unpack(archive, member, target, unpacked)
            declared = _pixels(target, member.name)
            if declared is None:  # not a picture after all: skipped
                target.unlink()
                skipped += 1
                continue
            if suffix == ".webp" and _as_png(target) is None:
                skipped += 1
                continue
            pixels += declared
            if pixels > MAX_TOTAL_PIXELS:
                raise DatasetError("data.zip_too_many_pixels", limit_mp=MAX_TOTAL_PIXELS / 1e6)
    return {number: name for name, number in numbered.items()}, skipped


def _as_zip_error(
    error: DatasetError, classes: dict[str, str], skipped: int, folder: Path
) -> DatasetError:
    """load_folder's message about the temporary `folder`, said about the zip instead."""
    if error.key == "data.folder_one_class":
        return DatasetError("data.zip_one_class", name=classes.get(error.values["name"], ""))
    if error.key == "data.folder_no_images":
        return DatasetError("data.zip_no_images", skipped=skipped + error.values["skipped"])
    if error.key == "data.folder_unreadable":
        detail = str(error.values["detail"]).replace(str(folder), "zip")
        return DatasetError("data.zip_unreadable", detail=detail)
    if error.key == "data.folder_no_classes":
        return DatasetError("data.zip_no_classes")
    return error  # the split, colour mode and too-few messages name no folder


def load_zip(
    data: bytes,
    image_size: tuple[int, int] = (64, 64),
    color_mode: str = "rgb",
    validation_split: float = 0.2,
    seed: int = 0,
) -> Dataset:
    """A zip of class folders (one folder per class, at the top or inside single top folders;
    jpg, jpeg, png, webp, bmp, gif) as the `Dataset` the same pictures in a folder give.

    Files that are not pictures are skipped and counted in `skipped`; __MACOSX/, .DS_Store, ._*
    and other hidden files are ignored. A hostile or unusable zip raises DatasetError (keys
    "data.zip_*"); the limits are MAX_FILES, MAX_TOTAL_BYTES, MAX_RATIO, MAX_IMAGE_PIXELS and
    MAX_TOTAL_PIXELS. Nothing stays on disk: the pictures are unpacked into a temporary folder
    that is removed before this returns, also when it raises.
    """
    if not 0 < validation_split < 1:
        raise DatasetError("data.bad_split", value=validation_split)
    if color_mode not in ("rgb", "grayscale"):
        raise DatasetError("data.bad_color_mode", value=color_mode)
    with _open(data) as archive:
        members, skipped = _plan(archive)
        folder = Path(tempfile.mkdtemp(prefix="cnnviz-zip-"))
        try:
            classes, unreadable = _unpack_classes(archive, members, folder)
            skipped += unreadable
            try:
                dataset = load_folder(folder, image_size, validation_split, seed, color_mode)
            except DatasetError as error:
                raise _as_zip_error(error, classes, skipped, folder) from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    names = [classes[number] for number in dataset.class_names]
    return replace(
        dataset,
        name="zip",
        class_names=names,
        class_name_keys=class_name_keys(names),
        skipped=dataset.skipped + skipped,
    )
