"""The Train page in a real browser: Train makes the live curve grow and shows the first
convolution's filters while training runs, Stop ends it, and the results (test accuracy, the
filters, confusion matrix, mistakes, downloads) appear."""

from tests.e2e.conftest import screenshot, wait_idle

LIVE_CHART = ".st-key-train_live_chart .js-plotly-plot"
LIVE_FILTERS = ".st-key-train_live_filters img"
RESULT_FILTERS = ".st-key-train_result_filters img"
# the live chart's first trace holds one point per batch (loss, running mean in the epoch)
BATCH_POINTS = f"""() => {{
    const chart = document.querySelector('{LIVE_CHART}');
    return chart && chart.data ? chart.data[0].x.length : -1;
}}"""


def test_train_grows_the_live_curve_and_stop_ends_with_results(page, server):
    page.goto(f"{server}/train")
    wait_idle(page)
    page.get_by_role("button", name="Train").click()

    page.wait_for_selector(LIVE_CHART, timeout=60_000)
    counts = []
    for _ in range(120):  # at most a minute: the first points come within a few seconds
        counts.append(page.evaluate(BATCH_POINTS))
        if len([c for c in set(counts) if c > 0]) >= 3:
            break
        page.wait_for_timeout(500)
    grown = sorted(c for c in set(counts) if c > 0)
    assert len(grown) >= 3, counts  # the same chart redrawn with more points, three times
    page.wait_for_selector(LIVE_FILTERS, timeout=30_000)  # the course MNIST CNN's 32 filters
    screenshot(page, "train-live")

    page.get_by_role("button", name="Stop").click()
    page.get_by_text("Test accuracy", exact=True).wait_for(timeout=60_000)
    wait_idle(page)
    assert page.get_by_text("Training was stopped after").count() == 1
    assert page.get_by_text("Confusion matrix").count() == 1
    assert page.get_by_role("button", name="Download the model (.keras)").count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator(LIVE_CHART).count() == 0  # polling stopped with the job
    assert page.locator(LIVE_FILTERS).count() == 0
    assert page.locator(RESULT_FILTERS).count() == 1
    assert page.locator(RESULT_FILTERS).evaluate("img => img.naturalWidth") > 0
    screenshot(page, "train-results")
