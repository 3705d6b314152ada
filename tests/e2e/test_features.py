"""The Feature maps and Rotation lessons in a real browser: a JPEG upload shows every layer and
the guesses; moving the rotation slider changes what both models read."""

from tests import corpus
from tests.e2e.conftest import screenshot, wait_idle

CNN_LAYERS = ["conv2d_1", "max_pooling2d_2", "conv2d_3", "max_pooling2d_4", "flatten_5",
              "dense_6", "dense_7"]  # fmt: skip


def test_uploading_a_jpeg_shows_every_layer_and_the_guesses(page, server, tmp_path):
    photo = tmp_path / "digit.jpg"
    photo.write_bytes(corpus.handwritten_digit_photo(3, seed=1))
    page.goto(f"{server}/features")
    wait_idle(page)
    page.get_by_text("Upload", exact=True).first.click()
    wait_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(photo))
    page.get_by_text("The model's top guesses").first.wait_for(timeout=60_000)
    wait_idle(page)
    headings = page.locator('[data-testid="stHeading"]').all_inner_texts()
    for number, name in enumerate(CNN_LAYERS, start=1):
        assert any(text.startswith(f"{number}. {name} — ") for text in headings), name
    assert page.get_by_text("How the photo becomes an MNIST digit").count() == 1
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= len(CNN_LAYERS) + 3
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "features-upload")


def readings(page) -> list[str]:
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    sure = page.get_by_text("Probability ").all_inner_texts()
    return [f"{value} {p}" for value, p in zip(values, sure, strict=True)]


def test_turning_the_digit_changes_both_readings(page, server):
    page.goto(f"{server}/rotation")
    wait_idle(page)
    page.get_by_text("Test accuracy against rotation").first.wait_for(timeout=60_000)
    before = readings(page)
    assert len(before) == 2
    slider = page.locator('[data-testid="stSlider"]').first.get_by_role("slider")
    slider.focus()
    for _ in range(18):  # 18 steps of 5°: the digit lies on its side
        slider.press("ArrowRight")
    wait_idle(page)
    page.wait_for_timeout(500)
    wait_idle(page)
    after = readings(page)
    assert len(after) == 2
    assert before[0] != after[0] and before[1] != after[1]
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "rotation-turned")
