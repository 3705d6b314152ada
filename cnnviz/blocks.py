"""The blocks of a big network, so a page can draw one block at a time.

VGG19 has 16 conv layers of 64–512 maps, MobileNetV2 over 150 layers: drawing every layer of such
a model on every run would cost seconds and a screen no class can read. Keras's pretrained models
name their layers by block, and a block is what their papers draw as one box:

    VGG16/19        block1_conv1, block1_pool, …, fc1, predictions
    ResNet50        conv1_conv, conv2_block1_1_conv, …, avg_pool, predictions
    MobileNetV2     Conv1, expanded_conv_depthwise, block_1_expand, …, Conv_1, predictions
    EfficientNetB0  stem_conv, block1a_dwconv, …, top_conv, predictions

A layer whose name names no block belongs to the block before it (the first ones to "start");
a model with few layers is one block.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Block", "FEW_LAYERS", "HEAD", "START", "blocks"]

FEW_LAYERS = 12  # a model with at most this many layers is drawn whole
START = "start"

# block names in Keras's layer names; the first group of the match is the block
_BLOCK = re.compile(
    r"^(block_?\d+[a-z]?|conv\d+_block\d+|expanded_conv|stem|top)(?:_|$)", re.IGNORECASE
)


@dataclass(frozen=True)
class Block:
    """One block: its name and the positions of its layers in the model's list."""

    name: str
    layers: tuple[int, ...]


# the classifier at the end of the pretrained models: one block "head"
_HEAD = re.compile(r"^(fc\d*|flatten|predictions|avg_pool|global_\w+|Conv_1(_bn)?|out_relu)$")
HEAD = "head"


def _block_of(name: str) -> str | None:
    """The block a layer name names ("block3_conv2" -> "block3", "fc1" -> "head"), or None."""
    if _HEAD.match(name):
        return HEAD
    found = _BLOCK.match(name)
    return found.group(1) if found else None


def blocks(layer_names: Sequence[str], few: int = FEW_LAYERS) -> list[Block]:
    """The model's layers grouped into blocks, in order; one block "start" for a small model.

    Layers between two named blocks (a pooling or padding layer without a block name) join the
    block before them, and every layer after the head's first belongs to the head, so every
    layer is in exactly one block and the order is kept.
    """
    if len(layer_names) <= few:
        return [Block(START, tuple(range(len(layer_names))))]
    groups: list[tuple[str, list[int]]] = []
    for position, name in enumerate(layer_names):
        block = HEAD if groups and groups[-1][0] == HEAD else _block_of(name)
        if block is None or (groups and groups[-1][0] == block):
            if not groups:
                groups.append((START, []))
            groups[-1][1].append(position)
        else:
            groups.append((block, [position]))
    return [Block(name, tuple(positions)) for name, positions in groups]
