"""Figures for the lessons pages."""

__all__: list[str] = []
