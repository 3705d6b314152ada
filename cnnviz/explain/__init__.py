"""One number of a trained network, explained: how the model computed one cell of a layer's output.

A Conv2D cell is lesson 1's sum on the layer's real input and weights, by `conv.conv2d_steps`:

    value = activation( Σ_c Σ_{u, v} window_c[u, v] · kernel_c[u, v] + bias )

a pooling cell is lesson 3's window (`pooling.pool2d_steps`), a dense unit Σ_i input_i · w_i + b, and
the output layer's softmax e^{z_k} / Σ_j e^{z_j}. Every explanation carries `value`, computed here in
numpy, and `model_value`, what the model itself computed for that cell (`features.activations`):
tests/test_explain.py holds them equal on the course's models.

What a filter looks for, by gradient ascent, is `cnnviz.maximize` (re-exported here).
"""

from cnnviz.explain.layers import PASSING, POOLS, activation_name, kind, kinds, layer_input
from cnnviz.explain.maps import (
    ConvCell,
    ConvMap,
    NormCell,
    PoolCell,
    batch_norm_cell,
    conv_cell,
    conv_map,
    pool_cell,
)
from cnnviz.explain.units import DenseUnit, Softmax, dense_unit, output_logits, softmax
from cnnviz.maximize import maximize

__all__ = [
    "PASSING",
    "POOLS",
    "ConvCell",
    "ConvMap",
    "DenseUnit",
    "NormCell",
    "PoolCell",
    "Softmax",
    "activation_name",
    "batch_norm_cell",
    "conv_cell",
    "conv_map",
    "dense_unit",
    "kind",
    "kinds",
    "layer_input",
    "maximize",
    "output_logits",
    "pool_cell",
    "softmax",
]
