"""cnnviz.classes: the course's class lists in the course's order, labels in the page's language,
typed lists read as text only, and only lists that fit the model's outputs offered."""

import pytest

from cnnviz import classes, data, i18n
from cnnviz.errors import ModelError


@pytest.mark.parametrize(
    ("list_name", "count"),
    [("mnist", 10), ("fashion_mnist", 10), ("cifar10", 10), ("cifar100", 100),
     ("animals10", 10), ("cats_dogs", 2)],
)  # fmt: skip
def test_every_list_has_its_dataset_s_number_of_classes(list_name, count):
    assert len(classes.names(list_name)) == count
    assert len(classes.labels(list_name, "en")) == count
    assert len(set(classes.names(list_name))) == count


def test_the_lists_are_in_the_course_s_order():
    assert classes.names("cifar100")[:3] == ["apple", "aquarium_fish", "baby"]
    assert classes.names("cifar100")[-1] == "worm"
    assert classes.names("mnist") == [str(d) for d in range(10)]
    assert classes.names("fashion_mnist")[0] == "T-shirt/top"
    assert classes.names("cifar10")[:2] == ["airplane", "automobile"]
    assert classes.names("animals10") == data.ANIMALS10_FOLDERS
    assert classes.names("cats_dogs") == sorted(["dogs", "cats"])  # as the folders sort


def test_names_returns_a_copy_the_caller_may_change():
    classes.names("cifar10").append("unicorn")
    assert len(classes.names("cifar10")) == 10


@pytest.mark.parametrize("list_name", ["fashion_mnist", "cifar10", "animals10", "cats_dogs"])
def test_korean_labels_differ_from_english(list_name):
    english, korean = classes.labels(list_name, "en"), classes.labels(list_name, "ko")
    assert all(en != ko for en, ko in zip(english, korean, strict=True))


def test_labels_show_translations_and_animals_10_its_folder_with_the_word():
    assert classes.labels("cifar10", "ko")[3] == "고양이"
    assert classes.labels("fashion_mnist", "ko")[9] == "앵클부츠"
    assert classes.labels("animals10", "en")[5] == "gatto (cat)"
    assert classes.labels("animals10", "ko")[5] == "gatto (고양이)"
    assert classes.labels("cats_dogs", "en") == ["cats", "dogs"]
    assert classes.labels("cats_dogs", "ko") == ["cats (고양이)", "dogs (개)"]
    assert classes.labels("mnist", "ko") == classes.names("mnist")
    assert classes.labels("cifar100", "ko") == classes.names("cifar100")


def test_matching_offers_only_the_lists_that_fit():
    assert classes.matching(10) == ["mnist", "fashion_mnist", "cifar10", "animals10"]
    assert classes.matching(100) == ["cifar100"]
    assert classes.matching(2) == ["cats_dogs"]
    assert classes.matching(7) == []


def test_every_list_and_the_typed_choice_has_a_title_in_both_languages():
    for lang in ("en", "ko"):
        catalogue = i18n.catalogue(lang)
        for list_name in classes.LISTS:
            assert f"classes.list.{list_name}" in catalogue
        assert {"classes.typed", "classes.numbers", "classes.choose"} <= set(catalogue)
    assert i18n.t("classes.list.mnist") == "MNIST digits (10)"
    assert i18n.t("classes.typed") == "Type the names"
    assert "10" in i18n.t("classes.numbers", "ko", count=10)  # what the page passes


@pytest.mark.parametrize(
    ("text", "count", "expected"),
    [
        ("cat\ndog\nbird", 3, ["cat", "dog", "bird"]),
        ("cat, dog ,bird", 3, ["cat", "dog", "bird"]),
        ("  cat \r\n\n dog \n", 2, ["cat", "dog"]),  # blank lines and spaces trimmed
        ("cat,\ndog,\n", 2, ["cat", "dog"]),  # a comma at each line's end
        ("고양이, 개", 2, ["고양이", "개"]),
        ("고양이，개", 2, ["고양이", "개"]),  # the full-width comma of a Korean keyboard
        ("T-shirt/top\nAnkle boot", 2, ["T-shirt/top", "Ankle boot"]),
        ("__import__('os').system('ls')", 1, ["__import__('os').system('ls')"]),  # only text
    ],
)
def test_parse_typed_splits_lines_or_commas_and_trims(text, count, expected):
    assert classes.parse_typed(text, count) == expected


@pytest.mark.parametrize(
    ("text", "count", "key", "values"),
    [
        ("cat, dog", 3, "classes.count_mismatch", {"given": 2, "count": 3}),
        ("a\nb\nc\nd", 3, "classes.count_mismatch", {"given": 4, "count": 3}),
        ("", 2, "classes.empty", {"count": 2}),
        (" \n , \n", 2, "classes.empty", {"count": 2}),
        ("cat, cat", 2, "classes.duplicate", {"name": "cat"}),
    ],
)
def test_parse_typed_refuses_lists_that_do_not_fit(text, count, key, values):
    with pytest.raises(ModelError) as error:
        classes.parse_typed(text, count)
    assert (error.value.key, error.value.values) == (key, values)
    assert "{" not in i18n.t(key, "ko", **values)


def test_a_name_too_long_is_refused():
    with pytest.raises(ModelError) as error:
        classes.parse_typed("cat\n" + "x" * 61, 2)
    assert error.value.key == "classes.name_too_long"
    assert error.value.values["limit"] == classes.MAX_NAME_LENGTH == 60
    assert classes.parse_typed("cat\n" + "x" * 60, 2)[1] == "x" * 60


def test_an_unknown_list_is_a_programming_error():
    with pytest.raises(ValueError):
        classes.names("imagenet")
