"""The page's address as a link to this exact view: a lesson's settings read from `st.query_params`
and written back there (the parameters are `cnnviz.links.LESSONS`).

    links.follow("convolution")  # under the title, before the widgets: the URL seeds them
    ...                           # the widgets
    links.keep("convolution")    # last: the address bar holds the settings on screen

A URL is read once per session for each distinct address, so it seeds the widgets and later clicks
are not overwritten. The values go into the widgets' session-state keys before the widgets are
drawn; anything a lesson cannot use keeps its default, with a short note naming it. Writing the
query params does not rerun the page. The language is read by `language_selector` (before the
navigation is drawn, so its titles are in the link's language) and written back here.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cnnviz import links, recipes, teach
from cnnviz.ui import LANG_KEY, lang, set_choice, t

SEEN = "links_seen"  # session key: {lesson: the settings of the address last read or written}
NOTES = "links_notes"  # session key: {lesson: (names ignored, the address written after them)}
BAD_LANGUAGE = "links_bad_language"  # session key: a link's `lang` was not a language
PICK = "network_pick"  # cnnviz.ui.network's (layer name, unit)


@dataclass(frozen=True)
class Widget:
    """Where a parameter lives in the session: a widget's key and how its value is kept."""

    key: str
    kind: str = "value"  # "value" (st.* widget), "choice" (ui.choice), "padding", "model", "pick",
    # "recipe" / "recipe_choice": a Train setting, whose widget each recipe keeps as its own
    # (key "train_<recipe>_<this key>", cnnviz.ui.train_settings)
    amount_key: str = ""  # "padding": the number input of zeros beside the mode's choice


def _picture(prefix: str) -> dict[str, Widget]:
    return {
        "source": Widget(f"{prefix}_source", "choice"),
        "example": Widget(f"{prefix}_example", "choice"),
        "sample": Widget(f"{prefix}_sample", "choice"),
        "digit": Widget(f"{prefix}_digit"),
    }


WIDGETS: dict[str, dict[str, Widget]] = {
    "home": {},
    "convolution": {
        **_picture("conv"),
        "kernel": Widget("conv_kernel", "choice"),
        "stride": Widget("conv_stride"),
        "padding": Widget("conv_padding", "padding", "conv_padding_amount"),
        "dilation": Widget("conv_dilation"),
        "mode": Widget("conv_mode", "choice"),
        "scaling": Widget("conv_scaling", "choice"),
        "weights": Widget("conv_weights", "choice"),
        "bias": Widget("conv_bias"),
    },
    "padding": {
        "size": Widget("pad_size"),
        "kernel": Widget("pad_kernel"),
        "padding": Widget("pad_mode", "padding", "pad_amount"),
        "stride": Widget("pad_stride"),
        "dilation": Widget("pad_dilation"),
        "model": Widget("pad_model", "choice"),
    },
    "pooling": {
        **_picture("pool"),
        "pooling": Widget("pool_mode", "choice"),
        "size": Widget("pool_size"),
        "stride": Widget("pool_stride"),
        "padding": Widget("pool_padding", "choice"),
        "model": Widget("params_model", "choice"),
    },
    "train": {
        "dataset": Widget("train_dataset", "choice"),
        "model": Widget("train_preset", "choice"),
        "recipe": Widget("train_recipe", "choice"),
        "epochs": Widget("epochs", "recipe"),
        "batch": Widget("batch", "recipe"),
        "optimizer": Widget("optimizer", "recipe_choice"),
        "rate": Widget("rate", "recipe"),
        "validation": Widget("val", "recipe"),
        "seed": Widget("seed", "recipe"),
    },
    "teach": {  # cnnviz.ui.teach.class_names
        "classes": Widget("teach_classes"),
        **{f"name{n}": Widget(f"teach_name_{n - 1}") for n in range(1, teach.MAX_CLASSES + 1)},
    },
    "features": {"model": Widget("features_model", "model"), **_picture("features")},
    "rotation": {
        **_picture("rotation"),
        "angle": Widget("rotation_angle"),
        "dx": Widget("rotation_dx"),
        "dy": Widget("rotation_dy"),
    },
    "network": {
        "model": Widget("network_model", "model"),
        **_picture("network"),
        "layer": Widget(PICK, "pick"),
        "unit": Widget(PICK, "pick"),
    },
}


def follow(lesson: str, say_link: bool = True) -> None:
    """Seed the lesson's widgets from a new address, note what it could not use, write the
    settings back, and (`say_link`) say that the address is a link (call before the lesson's
    widgets). Home follows too, for the note on a link's bad language or unknown names."""
    query = _query()
    seen = st.session_state.setdefault(SEEN, {})
    notes = st.session_state.setdefault(NOTES, {})
    bad_language = st.session_state.pop(BAD_LANGUAGE, False)
    if seen.get(lesson) != query or bad_language:
        link = links.parse(links.LESSONS[lesson], query)
        _seed(lesson, link.values)
        ignored = (*link.ignored, *(("lang",) if bad_language else ()))
        notes[lesson] = (ignored, None) if ignored else None
    written = _write(lesson)
    note = notes.get(lesson)
    if note is not None and note[1] not in (None, written):  # a setting changed since the link
        notes[lesson] = note = None
    if note is not None:
        names = ", ".join(f"`{name}`" for name in note[0])
        st.info(t("links.ignored", names=names), icon=":material/link_off:")
    if say_link:
        st.caption(t("links.address_is_link"), help=t("links.address_help"))


def keep(lesson: str) -> None:
    """Write the settings on screen into the address (call after the lesson's widgets)."""
    written = _write(lesson)
    notes = st.session_state.setdefault(NOTES, {})
    note = notes.get(lesson)
    if note is not None and note[1] is None:
        notes[lesson] = (note[0], written)


def read_language() -> None:
    """Take the language of a new address's `lang` (call before the language switch is drawn)."""
    text = st.query_params.get("lang")
    if text is None or text == st.session_state.get("links_lang_seen"):
        return
    st.session_state["links_lang_seen"] = text
    wanted = links.LANGUAGE.read(text) if len(text) <= links.MAX_LENGTH else None
    if wanted is None:
        st.session_state[BAD_LANGUAGE] = True
        return
    st.session_state[LANG_KEY] = wanted
    st.session_state.pop("_lang_choice", None)  # the switch starts again at `wanted`


def _query() -> dict[str, str]:
    """The address's parameters but the language, {name: text}."""
    return {name: text for name, text in st.query_params.to_dict().items() if name != "lang"}


def _seed(lesson: str, values: dict[str, object]) -> None:
    """Put `values` into the lesson's widgets' session keys, before the widgets are drawn."""
    widgets = WIDGETS[lesson]
    recipe = (values.get("recipe") or _recipe()) if lesson == "train" else ""
    for name, value in values.items():
        widget = widgets[name]
        if widget.kind == "recipe":
            st.session_state[f"train_{recipe}_{widget.key}"] = value
        elif widget.kind == "recipe_choice":
            set_choice(f"train_{recipe}_{widget.key}", value)
        elif widget.kind == "choice":
            set_choice(widget.key, value)
        elif widget.kind == "padding":
            set_choice(widget.key, value if isinstance(value, str) else "number")
            if not isinstance(value, str):
                st.session_state[widget.amount_key] = value
        elif widget.kind == "model":
            set_choice(widget.key, _model_option(str(value)))
        elif widget.kind == "value":
            st.session_state[widget.key] = value
    if "layer" in values:
        st.session_state[PICK] = (values["layer"], values.get("unit", 0))
    if lesson == "convolution" and "example" in values and "padding" in values:
        # the link's padding, not the worked example's own (pages/1_convolution.py)
        st.session_state["conv_example_shown"] = values["example"]


def _recipe() -> str:
    """The Train page's recipe as its widget holds it (the first recipe before it is drawn)."""
    state = st.session_state
    return state.get(f"train_recipe@{lang()}", state.get("train_recipe")) or next(
        iter(recipes.RECIPES)
    )


def _model_option(name: str) -> str:
    """A model's name in a link -> its option in `models.model_picker`."""
    if name == "upload":
        return name
    return f"pretrained:{name}" if name in links.COURSE_MODELS else f"imagenet:{name}"


def _current(lesson: str) -> dict[str, object]:
    """The lesson's settings as its widgets hold them now, {name: value}."""
    state = st.session_state
    values: dict[str, object] = {}
    for name, widget in WIDGETS[lesson].items():
        if widget.kind in ("recipe", "recipe_choice"):
            key = f"train_{_recipe()}_{widget.key}"
            values[name] = state.get(f"{key}@{lang()}", state.get(key))
        elif widget.kind in ("choice", "padding", "model"):
            value = state.get(f"{widget.key}@{lang()}", state.get(widget.key))
            if widget.kind == "padding" and value == "number":
                value = state.get(widget.amount_key)
            if widget.kind == "model" and isinstance(value, str):
                kind, _, model = value.partition(":")
                value = model if kind in ("pretrained", "imagenet") else (
                    "upload" if kind == "upload" else None
                )  # fmt: skip
            values[name] = value
        elif widget.kind == "pick":
            pick = state.get(PICK)
            if pick is not None:
                values[name] = pick[0] if name == "layer" else int(pick[1])
        else:
            values[name] = state.get(widget.key)
    return values


def _write(lesson: str) -> dict[str, str]:
    """Put the lesson's settings and the language into the address; returns what it holds."""
    written = links.encode(links.LESSONS[lesson], _current(lesson))
    if st.query_params.to_dict() != {**written, "lang": lang()}:
        st.query_params.from_dict({**written, "lang": lang()})
    st.session_state.setdefault(SEEN, {})[lesson] = written
    st.session_state["links_lang_seen"] = lang()
    return written
