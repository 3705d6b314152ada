"""The message catalogue: every string a student sees, in English and Korean.

Strings live in `cnnviz/locales/<lang>/<area>.toml`, one file per lesson or area (`conv.toml`,
`train.toml` …); a key is `area.name`, e.g. `t("conv.title", "ko")`, and every language has the
same keys (tests/test_i18n.py). Values are `str.format` templates.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT_LANGUAGE = "en"
LOCALES = Path(__file__).parent / "locales"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Return the flat catalogue of one language: dotted key -> template."""
    flat: dict[str, str] = {}
    for path in sorted((LOCALES / lang).glob("*.toml")):
        with open(path, "rb") as f:
            flat.update(_flatten(tomllib.load(f), path.stem + "."))
    return flat


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(value, key + "."))
        else:
            flat[key] = value
    return flat


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """Return the message for `key` in `lang`, filled with `values`.

    A key missing from the catalogue (a bug the catalogue test catches) falls back to English,
    then to the key itself, so a page never crashes on a message.
    """
    template = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template
