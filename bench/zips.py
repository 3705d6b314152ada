"""How long a student's zip of class folders takes to become a dataset, against the same pictures
in a folder on disk read in the same run.

    python bench/zips.py [--per-class 200] [--repeats 3]

Three classes of real photos (scikit-image's CC0 cat, coffee and astronaut), `--per-class` JPEG
crops of 256 × 256 each. Baseline: `load_folder` on those files already on disk (what a teacher's
shared folder costs). Measured: `load_zip` on the same files zipped (it checks every entry,
unpacks them into a temporary folder, decodes each once to count pixels, then reads them like
the folder). Prints the median of `--repeats` runs in seconds, pictures a second and the ratio;
no assertion.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from PIL import Image
from skimage import data as photos

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnviz import data  # noqa: E402


def crops(per_class: int) -> dict[str, list[bytes]]:
    """{class: JPEG bytes of `per_class` 256 × 256 crops of one real photo}."""
    found = {}
    for name, photo in (("gatto", photos.chelsea()), ("caffe", photos.coffee()),
                        ("persona", photos.astronaut())):  # fmt: skip
        pictures = []
        for n in range(per_class):
            top, left = (7 * n) % (photo.shape[0] - 256), (13 * n) % (photo.shape[1] - 256)
            buffer = io.BytesIO()
            Image.fromarray(photo[top : top + 256, left : left + 256]).save(buffer, "JPEG")
            pictures.append(buffer.getvalue())
        found[name] = pictures
    return found


def median_s(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    pictures = crops(args.per_class)
    count = sum(len(p) for p in pictures.values())
    with tempfile.TemporaryDirectory() as folder:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, files in pictures.items():
                (Path(folder) / name).mkdir()
                for n, content in enumerate(files):
                    (Path(folder) / name / f"{n}.jpg").write_bytes(content)
                    archive.writestr(f"pictures/{name}/{n}.jpg", content)
        zipped = buffer.getvalue()
        data.load_folder(folder, image_size=(64, 64))  # warm-up: Keras and TensorFlow loaded
        folder_s = median_s(lambda: data.load_folder(folder, image_size=(64, 64)), args.repeats)
        zip_s = median_s(lambda: data.load_zip(zipped, image_size=(64, 64)), args.repeats)
    print(
        f"{count} pictures ({len(zipped) / 1e6:.1f} MB zipped), 64 × 64, median of {args.repeats}"
    )
    print(f"load_folder (baseline): {folder_s:.2f} s, {count / folder_s:.0f} pictures/s")
    print(f"load_zip:               {zip_s:.2f} s, {count / zip_s:.0f} pictures/s")
    print(f"ratio zip / folder: {zip_s / folder_s:.2f}")


if __name__ == "__main__":
    main()
