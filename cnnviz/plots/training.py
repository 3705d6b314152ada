"""Figures for the training pages."""

__all__: list[str] = []
