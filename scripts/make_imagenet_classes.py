"""Make assets/imagenet_classes.json: the 1,000 ImageNet class names in the order of the models'
outputs, from the very file `keras.applications.imagenet_utils.decode_predictions` reads.

Run from the repository root: `python scripts/make_imagenet_classes.py`. Keras fetches
imagenet_class_index.json into its models cache (once, with internet; offline it takes the copy
already in `$KERAS_HOME/models/`) and checks it against the md5 Keras itself has for it, so the
list is the same every time. The file maps an output index to [WordNet id, name]:
{"0": ["n01440764", "tench"], ...}; we keep the names, in index order.
"""

import json
from pathlib import Path

import keras

OUTPUT = Path(__file__).resolve().parent.parent / "assets" / "imagenet_classes.json"
# the origin and md5 in keras/src/applications/imagenet_utils.py (decode_predictions)
CLASS_INDEX_ORIGIN = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
CLASS_INDEX_MD5 = "c2c37ea517e94d9795004a39431a14cb"
CLASSES = 1000


def main() -> None:
    path = keras.utils.get_file(
        "imagenet_class_index.json",
        CLASS_INDEX_ORIGIN,
        cache_subdir="models",
        file_hash=CLASS_INDEX_MD5,
    )
    with open(path) as f:
        class_index = json.load(f)
    names = [class_index[str(i)][1] for i in range(CLASSES)]
    assert len(class_index) == CLASSES
    assert (names[0], names[281], names[285], names[999]) == (
        "tench",
        "tabby",
        "Egyptian_cat",
        "toilet_tissue",
    )
    # one name a line, so a diff shows which class changed
    OUTPUT.write_text(json.dumps(names, indent=0) + "\n", encoding="utf-8")
    print(f"{OUTPUT}: {len(names)} names from {path}")


if __name__ == "__main__":
    main()
