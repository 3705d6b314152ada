"""How numbers and shapes are written on screen: one way for every lesson."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["count", "number", "shape_text"]


def number(value: float, digits: int = 3) -> str:
    """A whole number as it is ("12"), else `digits` significant digits ("0.333"); minus as "−"."""
    value = float(value)
    text = str(int(value)) if value.is_integer() else f"{value:.{digits}g}"
    return text.replace("-", "−")


def count(value: int) -> str:
    """A count with thousands separated: 1,199,882."""
    return f"{int(value):,}"


def shape_text(shape: Iterable[int]) -> str:
    """A shape as the lessons write it: (28, 28, 1) -> "28×28×1"."""
    return "×".join(map(str, shape))
