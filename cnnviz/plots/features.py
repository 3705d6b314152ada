"""Figures for the features pages."""

__all__: list[str] = []
