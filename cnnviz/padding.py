"""What the Padding & stride lesson shows about one layer: Keras's two modes, and the formula.

    Keras "valid":  O = ⌈(I − K + 1) / S⌉        Keras "same":  O = ⌈I / S⌉

with K = D·(K₀ − 1) + 1 the kernel's span under dilation D. Keras refuses a "valid" kernel that
is larger than the input, and its Conv2D refuses a stride above 1 with a dilation above 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.errors import ShapeError
from cnnviz.shapes import SizeExplanation, conv_output_size

__all__ = [
    "KERAS_RULES",
    "KerasMode",
    "keras_modes",
    "keras_refuses",
    "latex",
    "uncovered_input",
]

KERAS_RULES = {"valid": "⌈(I − K + 1) / S⌉", "same": "⌈I / S⌉"}


@dataclass(frozen=True)
class KerasMode:
    """One of Keras's padding modes for an input: its rule and the output size it gives."""

    name: str  # "valid" or "same"
    rule: str  # e.g. "⌈I / S⌉"
    size: int | None  # None where Keras builds no such layer (see keras_modes)


def keras_refuses(stride: int, dilation: int) -> bool:
    """Whether Keras's Conv2D refuses these settings: strides > 1 with dilation_rate > 1.

    The arithmetic still holds (PyTorch's Conv2d takes both); Keras raises a ValueError.
    """
    return stride > 1 and dilation > 1


def keras_modes(n: int, kernel: int, stride: int = 1, dilation: int = 1) -> list[KerasMode]:
    """Keras's "valid" and "same" on an input of length `n`, in that order.

    A size is None where Keras builds no layer: a "valid" kernel larger than the input, or a
    stride above 1 with a dilation above 1 (either mode).
    """
    modes = []
    for name, rule in KERAS_RULES.items():
        if keras_refuses(stride, dilation):
            modes.append(KerasMode(name, rule, None))
            continue
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


def uncovered_input(explained: SizeExplanation) -> int:
    """Input rows (or columns) at the end that no window covers: max(0, dropped − P_after).

    The windows leave `dropped` cells of the padded input uncovered at the end; the last
    P_after of those are padding zeros, so only the rest are input cells lost.
    """
    return max(0, explained.dropped - explained.pad_after)
