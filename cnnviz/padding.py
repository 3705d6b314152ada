"""What the Padding & stride lesson shows about one layer: Keras's two modes, and the formula.

    Keras "valid":  O = ⌈(I − K + 1) / S⌉        Keras "same":  O = ⌈I / S⌉

with K = D·(K₀ − 1) + 1 the kernel's span under dilation D. Keras refuses a "valid" kernel that
is larger than the input.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.errors import ShapeError
from cnnviz.shapes import conv_output_size

__all__ = ["KERAS_RULES", "KerasMode", "keras_modes", "latex"]

KERAS_RULES = {"valid": "⌈(I − K + 1) / S⌉", "same": "⌈I / S⌉"}


@dataclass(frozen=True)
class KerasMode:
    """One of Keras's padding modes for an input: its rule and the output size it gives."""

    name: str  # "valid" or "same"
    rule: str  # e.g. "⌈I / S⌉"
    size: int | None  # None where Keras builds no such layer (the kernel does not fit)


def keras_modes(n: int, kernel: int, stride: int = 1, dilation: int = 1) -> list[KerasMode]:
    """Keras's "valid" and "same" on an input of length `n`, in that order."""
    modes = []
    for name, rule in KERAS_RULES.items():
        try:
            size = conv_output_size(n, kernel, stride, name, dilation)
        except ShapeError as error:
            if error.key != "shape.kernel_too_large":
                raise
            size = None
        modes.append(KerasMode(name, rule, size))
    return modes


_LATEX = {"⌊": r"\lfloor ", "⌋": r"\rfloor ", "⌈": r"\lceil ", "⌉": r"\rceil ", "−": "-"}


def latex(formula: str) -> str:
    """A formula as the lessons write it ("O = ⌊(I − K + 2P) / S⌋ + 1") -> LaTeX for st.latex."""
    return "".join(_LATEX.get(ch, ch) for ch in formula)
