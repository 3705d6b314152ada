"""A slider step on the Feature maps page in headless Chromium, against a whole-page rerun.

    python bench/slider.py [--steps 20] [--warm-up 2] [--no-photo-model]

`streamlit run app.py` on 127.0.0.1, Debian's chromium driven by Playwright, the Feature maps
page with the shipped MNIST CNN and test digit 0. One step, from the key press to updated maps:
the rotate slider is focused and ArrowRight pressed (5°); the step is over when the server's
"script finished" message for it has reached the page (read from the websocket, as
tests/e2e/conftest.py counts runs) and the pictures of the input figure, of Grad-CAM, of the
first layer and of the last layer drawn as a picture have all changed in the DOM (an `st.image`
counted once the browser has decoded it). The rotation and shift sliders live in an
`st.fragment` with the results, so a step reruns only that part.

Baseline in the same run, measured the same way and alternated with the steps: a whole-page
rerun, caused by the test digit's + button (`features_digit`, outside the fragment).

With the photo model (MobileNetV2, random weights in a temporary Keras cache, the sample cat):
the same, the baseline being the sample photo selectbox (cat ↔ coffee), for information.

Target: a slider step ≤ 300 ms (median) on 2 cores. Prints milliseconds and ratios; no assertion.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.st_client import serve  # noqa: E402
from tests.e2e.conftest import CHROMIUM, IDLE  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
INPUT = ".st-key-features_input"
GRAD_CAM = ".st-key-features_grad_cam"
FIRST_LAYER = ".st-key-features_layer_1"
# a cheap fingerprint of the pictures under a selector: Plotly draws an image trace or a heatmap
# as <image href="data:image/png;base64,…">, `st.image` as <img src="/media/….png"> (counted only
# once the browser has it decoded), so a new picture is a new fingerprint
FINGERPRINT = """(selector) => {
    const charts = [...document.querySelectorAll(selector + ' svg image')]
        .map((image) => image.getAttribute('href') || '');
    const images = [...document.querySelectorAll(selector + ' img')]
        .map((image) => (image.complete && image.naturalWidth > 0 ? image.src : 'loading'));
    const text = charts.concat(images).join('|');
    const stride = Math.max(1, Math.floor(text.length / 4096));  // ~1 ms even for 300 kB
    let hash = 0;
    for (let i = 0; i < text.length; i += stride) hash = (hash * 31 + text.charCodeAt(i)) | 0;
    return text.length + ':' + hash;
}"""
# the last layer drawn as a picture (its maps, or a long 1-D output)
LAST_LAYER = """() => {
    const drawn = [...document.querySelectorAll('[class*="st-key-features_layer_"]')]
        .filter((e) => e.querySelector('img, svg image'));
    return drawn.length ? '.' + [...drawn.at(-1).classList].find((c) => c.startsWith('st-key-')) : null;
}"""
CHANGED = """([selectors, before]) =>
    selectors.every((selector, i) => (FINGERPRINT)(selector) !== before[i])
""".replace("FINGERPRINT", FINGERPRINT)


class Finished:
    """Script runs the server reports finished to one page (whole-page and fragment runs apart)."""

    def __init__(self, page) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.page_runs = 0
        self.fragment_runs = 0
        self.first_message_at = None  # perf_counter of the first message after `reset`
        self.finished_at = 0.0  # perf_counter of the last "script finished"
        fragment_run = ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY

        def on_frame(payload) -> None:
            if not isinstance(payload, bytes):
                return
            msg = ForwardMsg()
            msg.ParseFromString(payload)
            if self.first_message_at is None:
                self.first_message_at = time.perf_counter()
            if msg.WhichOneof("type") != "script_finished":
                return
            self.finished_at = time.perf_counter()
            if msg.script_finished == fragment_run:
                self.fragment_runs += 1
            else:
                self.page_runs += 1

        page.on("websocket", lambda ws: ws.on("framereceived", on_frame))

    def total(self) -> int:
        return self.page_runs + self.fragment_runs


@dataclass(frozen=True)
class Step:
    """Seconds from the key press (or click) to: the server's first message about it, its
    "script finished" message, and the moment both pictures had changed in the DOM; `total`
    is the later of the last two."""

    first_message: float
    finished: float
    pictures: float

    @property
    def total(self) -> float:
        return max(self.finished, self.pictures)


def timed_step(page, runs: Finished, action, kind: str) -> Step:
    """One `action` (a pair: untimed preparation, the timed gesture) until a run of `kind`
    ("page" or "fragment") has finished and the input figure and the first layer's maps show
    new pictures."""
    prepare, act = action
    prepare()
    selectors = [INPUT, GRAD_CAM, FIRST_LAYER, page.evaluate(LAST_LAYER)]
    before = [page.evaluate(FINGERPRINT, s) for s in selectors]
    counted = runs.page_runs if kind == "page" else runs.fragment_runs
    runs.first_message_at = None
    started = time.perf_counter()
    act()
    page.wait_for_function(CHANGED, arg=[selectors, before], polling="raf", timeout=120_000)
    pictures = time.perf_counter() - started
    while (runs.page_runs if kind == "page" else runs.fragment_runs) <= counted:
        page.wait_for_timeout(2)  # Playwright hands over websocket frames while it waits
    step = Step(runs.first_message_at - started, runs.finished_at - started, pictures)
    page.wait_for_selector(IDLE, timeout=120_000)  # not timed: the page settles before the next
    page.wait_for_timeout(300)
    return step


def widget(page, key: str):
    container = page.locator(f".st-key-{key}, [class*='st-key-{key}-']").first
    container.scroll_into_view_if_needed()
    return container


def press_arrow(page):
    """ArrowRight on the rotate slider (5°); ArrowLeft on the way back once it reaches 180°."""
    thumb = widget(page, "features_angle").locator('input[type="range"]').first
    state = {"key": "ArrowRight"}

    def prepare() -> None:
        angle = float(thumb.input_value())
        if angle >= 180:
            state["key"] = "ArrowLeft"
        elif angle <= -180:
            state["key"] = "ArrowRight"
        thumb.focus()

    return prepare, lambda: thumb.press(state["key"])


def next_digit(page):
    plus = widget(page, "features_digit").locator('[data-testid="stNumberInputStepUp"]')
    return plus.scroll_into_view_if_needed, plus.click


def next_sample(page):
    """Cat ↔ coffee in the sample photo selectbox (the 2nd and 3rd samples)."""
    box = widget(page, "features_sample").locator('[data-testid="stSelectbox"]')
    state = {"index": 1}

    def open_list() -> None:
        state["index"] = 3 - state["index"]
        box.click()
        page.locator('[role="option"]').nth(state["index"]).wait_for()

    return open_list, lambda: page.locator('[role="option"]').nth(state["index"]).click()


def measure(page, runs, steps: int, warm_up: int, step_action, rerun_action) -> dict:
    """Slider steps and whole-page reruns, alternated; the first `warm_up` of each not counted."""
    slider, rerun = [], []
    for i in range(warm_up + steps):
        s = timed_step(page, runs, step_action, "fragment")
        r = timed_step(page, runs, rerun_action, "page")
        if i >= warm_up:
            slider.append(s)
            rerun.append(r)
    return {"slider": slider, "rerun": rerun}


def summary(seconds: list[float]) -> str:
    ms = sorted(1000 * s for s in seconds)
    p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
    return f"median {statistics.median(ms):5.0f} ms  p90 {p90:5.0f} ms  ({ms[0]:.0f}–{ms[-1]:.0f})"


def report(title: str, result: dict, rerun_label: str, target: float | None = None) -> None:
    print(f"\n{title} ({len(result['slider'])} steps each)")
    for label, steps in (("slider step (fragment)", result["slider"]),
                         (rerun_label, result["rerun"])):  # fmt: skip
        print(f"  {label:<24} {summary([s.total for s in steps])}")
        for part in ("first_message", "finished", "pictures"):
            times = [getattr(s, part) for s in steps]
            print(f"    {part:<22} {summary(times)}")
    slider = statistics.median(s.total for s in result["slider"])
    rerun = statistics.median(s.total for s in result["rerun"])
    print(f"  ratio of medians, slider step / whole page: {slider / rerun:.2f}")
    if target is not None:
        met = "met" if slider <= target else "NOT met"
        print(f"  target: slider step <= {1000 * target:.0f} ms (median): {met}")


def open_features(browser, url: str, runs_out: list):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)
    runs = Finished(page)
    runs_out.append(runs)
    page.goto(f"{url}/features")
    page.wait_for_selector(f"{FIRST_LAYER} :is(svg image, img)", timeout=180_000)
    page.wait_for_selector(IDLE, timeout=180_000)
    return page, runs


def photo_model_home() -> Path:
    """A Keras cache holding MobileNetV2 weights (random, in the layout of ImageNet's file)."""
    import keras

    from cnnviz import applications
    from tests.imagenet_weights import save_imagenet_style_weights

    home = Path(tempfile.mkdtemp(prefix="cnnviz-keras-home-"))
    keras.utils.set_random_seed(0)
    model = applications.build("mobilenet_v2", weights=None)
    spec = applications.PHOTO_MODELS["mobilenet_v2"]
    save_imagenet_style_weights(model, home / "models" / spec.weights_file)
    return home


def choose_photo_model(page, runs: Finished) -> None:
    """The sample cat, then the page's one-click switch to MobileNetV2."""
    widget(page, "features_source").locator('[data-testid="stRadioOption"]').nth(1).click()
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE)
    box = widget(page, "features_sample").locator('[data-testid="stSelectbox"]')
    box.click()
    page.locator('[role="option"]').nth(1).click()  # the cat
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE)
    widget(page, "features_use_photo_model").locator("button").click()
    page.locator(".st-key-features_grad_cam img").first.wait_for(timeout=180_000)
    page.wait_for_selector(f"{FIRST_LAYER} :is(svg image, img)", timeout=180_000)
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=180_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warm-up", type=int, default=2)
    parser.add_argument("--no-photo-model", action="store_true")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    env = {}
    if not args.no_photo_model:
        env["KERAS_HOME"] = str(photo_model_home())
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    with serve(env=env, timeout=60) as server, sync_playwright() as p:
        url = server.url
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        runs_out: list = []
        page, runs = open_features(browser, url, runs_out)
        digits = measure(page, runs, args.steps, args.warm_up, press_arrow(page),
                         next_digit(page))  # fmt: skip
        report("MNIST CNN, test digits", digits, "whole page (digit +1)", target=0.3)
        if not args.no_photo_model:
            choose_photo_model(page, runs)
            photos = measure(page, runs, args.steps, args.warm_up, press_arrow(page),
                             next_sample(page))  # fmt: skip
            report("MobileNetV2 (random weights), sample photos", photos,
                   "whole page (cat/coffee)")  # fmt: skip
        browser.close()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
