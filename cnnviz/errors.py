"""Errors a student can cause. Each carries a catalogue key and the values its message needs,
so a page shows it with `t(error.key, **error.values)` in the student's language."""

from __future__ import annotations


class CnnvizError(Exception):
    """Base of every error a page shows to a student instead of a traceback."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(f"{key} {values}" if values else key)
        self.key = key
        self.values = values


class ShapeError(CnnvizError):
    """A kernel, stride, padding or layer that does not fit the input it is given."""


class ImageError(CnnvizError):
    """A file that cannot be read as a picture."""


class DatasetError(CnnvizError):
    """A dataset that cannot be loaded (offline, missing files, bad folder layout)."""


class ModelError(CnnvizError):
    """A model file or layer table that cannot be built or loaded."""


def error_reason(error: Exception) -> str:
    """The first line of an unexpected error (300 characters at most), for the page's message."""
    lines = str(error).strip().splitlines()
    return lines[0][:300] if lines else type(error).__name__
