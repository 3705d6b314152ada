"""Make the sample photos in assets/samples/ from scikit-image's public-domain / CC0 photos.

Run from the repository root: `python scripts/make_samples.py` (needs scikit-image, a dev
dependency). Deterministic: the same JPEGs every time for the same scikit-image version.
"""

from pathlib import Path

from PIL import Image
from skimage import data

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"
PHOTOS = {
    "cat": data.chelsea,
    "coffee": data.coffee,
    "astronaut": data.astronaut,
    "rocket": data.rocket,
}
WIDTH = 512


def main() -> None:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    for name, load in PHOTOS.items():
        image = Image.fromarray(load())
        height = round(image.height * WIDTH / image.width)
        image = image.resize((WIDTH, height), Image.Resampling.LANCZOS)
        image.save(SAMPLES / f"{name}.jpg", quality=90, optimize=True)
        print(name, image.size)


if __name__ == "__main__":
    main()
