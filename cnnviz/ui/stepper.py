"""One stepper for every lesson that goes through a computation step by step (convolution,
pooling): a play switch, ◀ Previous / Next ▶ and a step slider, all under one `key`.

    stepper.show("conv", len(steps), draw)  # draw(index) shows step `index`

Only the steps rerun while playing or stepping (an st.fragment), not the whole page. The state
lives under f"{key}_step" (the slider) and f"{key}_playing" (the switch).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnviz.ui import t

__all__ = ["PLAY_SECONDS", "next_step", "show"]

PLAY_SECONDS = 0.8  # one step per 0.8 s while playing: slow enough to read the sum


def next_step(index: int, delta: int, count: int) -> int:
    """The step `delta` away from `index`, going round: after the last comes the first."""
    return (index + delta) % count


def show(key: str, count: int, draw: Callable[[int], None]) -> None:
    """Play switch, buttons and slider over `count` steps; calls `draw(index)` for the step shown
    (0 … count − 1)."""
    state, playing = f"{key}_step", f"{key}_playing"
    interval = PLAY_SECONDS if st.toggle(t("widgets.play"), key=playing) else None

    @st.fragment(run_every=interval)
    def steps() -> None:
        if st.session_state.get(state, 0) >= count:  # fewer steps than before (new settings)
            st.session_state[state] = count - 1
        if st.session_state.get(playing) and count > 1:
            st.session_state[state] = next_step(st.session_state.get(state, 0), 1, count)
        index = _controls(key, state, count)
        draw(index)

    steps()


def _controls(key: str, state: str, count: int) -> int:
    def move(delta: int) -> None:
        st.session_state[state] = next_step(st.session_state.get(state, 0), delta, count)

    back, forward = st.columns(2)
    back.button(
        t("widgets.previous"), on_click=move, args=(-1,), key=f"{key}_previous", width="stretch"
    )
    forward.button(t("widgets.next"), on_click=move, args=(1,), key=f"{key}_next", width="stretch")
    if count > 1:
        st.slider(
            t("widgets.step"),
            0,
            count - 1,
            key=state,
            format="%d",
            help=t("widgets.step_help", count=count),
        )
    else:
        st.session_state[state] = 0
    return st.session_state[state]
