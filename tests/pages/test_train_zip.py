"""The Train page's zip source in AppTest (which cannot upload; the upload itself is
tests/e2e/test_train_zip.py): the uploader, its limits said in the student's language, and no
Train button until a zip is read."""

import pytest

from cnnviz import i18n
from cnnviz.data import zips
from tests.pages.conftest import open_page
from tests.pages.test_train import PAGE, assert_no_problems


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_zip_source_says_its_limits_and_waits_for_a_zip(lang):
    at = open_page(PAGE, lang=lang, timeout=60)
    at.selectbox(key=f"train_dataset@{lang}").set_value("zip").run()
    assert_no_problems(at)
    captions = " ".join(c.value for c in at.caption)
    assert f"{zips.MAX_FILES:,}" in captions
    assert f"{zips.MAX_TOTAL_BYTES // 2**20:,}" in captions
    assert i18n.t("data.zip_waiting", lang) in [i.value for i in at.info]
    assert "train_start" not in [b.key for b in at.button]
