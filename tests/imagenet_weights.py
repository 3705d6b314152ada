"""Weights files laid out as keras.applications ships them, for tests that need a "downloaded"
ImageNet model offline: save a model's (random) weights where `cnnviz.applications` looks, and
`applications.build(name)` loads them as it would the real file.

    from tests.imagenet_weights import save_imagenet_style_weights
    model = applications.build("mobilenet_v2", weights=None)
    save_imagenet_style_weights(model, applications.weights_path("mobilenet_v2"))

The layout is Keras 2's `model.save_weights("x.h5")`, which made the files on
storage.googleapis.com and which Keras 3 still reads (keras/src/legacy/saving/legacy_h5_format.py,
load_weights_from_hdf5_group): at the top, attributes `layer_names` (every layer, in order),
`backend` and `keras_version`; one group per layer with an attribute `weight_names` and one dataset
per weight, "<layer>/<weight>:0", trainable weights first. Keras matches the layers that have
weights in order, so the file fits any model built the same way, whatever its layer names.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np


def save_imagenet_style_weights(model, path: str | Path) -> Path:
    """Write `model`'s weights to `path` (folders made as needed) in the legacy HDF5 layout."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode("utf8") for layer in model.layers]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        for layer in model.layers:
            group = f.create_group(layer.name)
            weights = layer.trainable_weights + layer.non_trainable_weights
            names = [f"{layer.name}/{weight.name}:0" for weight in weights]
            group.attrs["weight_names"] = [name.encode("utf8") for name in names]
            for name, weight in zip(names, weights, strict=True):
                group.create_dataset(name, data=np.asarray(weight.numpy()))
    return path
