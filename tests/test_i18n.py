"""The catalogue: both languages have exactly the same keys, every key the code uses exists, and
templates take the same placeholders in both languages."""

import re
import string
from pathlib import Path

import pytest

from cnnviz import i18n

ROOT = Path(__file__).resolve().parent.parent
# t("area.name" …), t(key="…"), and error keys passed as the first argument of CnnvizError subclasses
KEY_USE = re.compile(r"""\b(?:t|Error)\(\s*["']([a-z0-9_]+\.[a-z0-9_.]+)["']""")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_keys():
    english, korean = i18n.catalogue("en"), i18n.catalogue("ko")
    assert sorted(set(english) - set(korean)) == [], "missing in Korean"
    assert sorted(set(korean) - set(english)) == [], "missing in English"


def test_every_message_is_non_empty_and_korean_is_translated():
    english, korean = i18n.catalogue("en"), i18n.catalogue("ko")
    for key, text in english.items():
        assert text.strip(), key
        assert korean[key].strip(), key
    translated = [k for k in english if english[k] != korean[k]]
    assert len(translated) > 0.8 * len(english)


@pytest.mark.parametrize("key", sorted(i18n.catalogue("en")))
def test_placeholders_agree_between_languages(key):
    assert placeholders(i18n.catalogue("en")[key]) == placeholders(i18n.catalogue("ko")[key])


def test_every_key_used_in_the_code_exists():
    known = set(i18n.catalogue("en"))
    used = {}
    for path in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("cnnviz/**/*.py")]:
        for key in KEY_USE.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, path.relative_to(ROOT))
    missing = {key: str(path) for key, path in used.items() if key not in known}
    assert missing == {}
    assert len(used) > 10


def test_t_fills_values_and_falls_back_without_crashing():
    assert i18n.t("nav.train", "ko") == "모델 학습"
    assert i18n.t("errors.generic", "en", detail="x") == "Something went wrong: x"
    assert i18n.t("no.such_key", "ko") == "no.such_key"
    assert i18n.t("errors.generic", "en") == i18n.catalogue("en")["errors.generic"]
