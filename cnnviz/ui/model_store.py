"""The models that belong to one browser session: trained on the Train page or uploaded.

Other pages (feature maps, rotation) list them next to the shipped pretrained models. Nothing here
is shared between sessions: each lives in that session's `st.session_state`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

STORE_KEY = "session_models"


@dataclass
class SessionModel:
    """A model a student made or brought, with what the other pages need to use it."""

    name: str
    model: Any  # keras.Model; typed loosely so this module does not import keras
    class_names: list[str]
    input_shape: tuple[int, ...]
    source: str  # "trained" or "uploaded"


def session_models() -> dict[str, SessionModel]:
    """This session's models by name, oldest first."""
    return st.session_state.setdefault(STORE_KEY, {})


def add_session_model(entry: SessionModel) -> None:
    """Keep `entry` for this session, replacing an older model of the same name."""
    session_models()[entry.name] = entry
