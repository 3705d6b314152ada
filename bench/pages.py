"""Start-up time and server time per interaction of the lessons without a model (pages 1–3).

    python bench/pages.py [--repeats 5] [--skip-startup]

1. Start-up: `streamlit run app.py` on 127.0.0.1 → the home page ready (script idle, title shown)
   in headless Debian chromium, against a one-line Streamlit app started the same way in the same
   run. The browser is launched before the server, so its own start is not counted.
2. Interactions: AppTest runs app.py on a page, one control changes, `at.run()` is timed (the
   script's whole rerun on the server: navigation, page, figures), against rerunning a trivial
   script in the same process. Each value is new, so st.cache_data does not answer for it.

Targets (issue 2): first page ready ≤ 2 s after the server starts; each interaction ≤ 150 ms of
server time on 2 cores. Prints milliseconds and ratios; no assertion.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.st_client import serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def first_page_ready(browser, script: str, cwd: Path, ready: str) -> tuple[float, float]:
    """(seconds until the server answers, seconds from then until `ready` shows in the page)."""
    with serve(script, cwd=cwd) as server:
        up = server.started_in
        started = time.monotonic()
        page = browser.new_page()
        page.goto(server.url)
        page.wait_for_selector(ready, timeout=60_000)
        page.wait_for_selector(IDLE, timeout=60_000)
        shown = time.monotonic() - started
        page.close()
    return up, shown


def startup(repeats: int) -> None:
    from playwright.sync_api import sync_playwright

    baseline_dir = Path(tempfile.mkdtemp(prefix="cnnviz-baseline-"))
    (baseline_dir / "hello.py").write_text('import streamlit as st\n\nst.title("hello")\n')
    app_up, app_page, base_up, base_page = [], [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for _ in range(repeats):
            up, shown = first_page_ready(browser, "hello.py", baseline_dir, "h1")
            base_up.append(up)
            base_page.append(shown)
            up, shown = first_page_ready(browser, "app.py", ROOT, "h1")
            app_up.append(up)
            app_page.append(shown)
        browser.close()
    med = statistics.median
    print(f"\nStart-up (median of {repeats}; server start -> health answers -> first page ready)")
    print(f"{'':24}{'server up':>12}{'page after up':>15}{'total':>10}")
    for name, up, shown in (("one-line app", base_up, base_page), ("cnnviz", app_up, app_page)):
        total = [u + s for u, s in zip(up, shown, strict=True)]
        print(f"{name:24}{med(up):11.2f}s{med(shown):14.2f}s{med(total):9.2f}s")
    ratio = med([u + s for u, s in zip(app_up, app_page, strict=True)]) / med(
        [u + s for u, s in zip(base_up, base_page, strict=True)]
    )
    print(f"ratio cnnviz / one-line app (total): {ratio:.2f}  (target: first page ≤ 2 s)")


def find(at, kind: str, key: str):
    """The widget `key` (or its per-language variant `key@en`) of kind `kind`."""
    for candidate in (key, f"{key}@en"):
        try:
            return getattr(at, kind)(key=candidate)
        except KeyError:
            continue
    raise KeyError(f"no {kind} with key {key!r} on this page")


def timed(at) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"the page raised: {at.exception[0].message}")
    return elapsed


Action = Callable[[object, int], None]  # (AppTest, repeat number) -> change one control


def set_number(key: str, values: list[int]) -> Action:
    return lambda at, i: find(at, "number_input", key).set_value(values[i % len(values)])


def set_select(kind: str, key: str, values: list) -> Action:
    return lambda at, i: find(at, kind, key).set_value(values[i % len(values)])


def click(key: str) -> Action:
    return lambda at, i: find(at, "button", key).click()


def interactions() -> dict[str, list[tuple[str, Action]]]:
    """Per page, the controls a student moves, each with a sequence of new values."""
    from cnnviz.kernels import KERNELS

    kernels = [k for k in KERNELS if k != "identity"]
    return {
        "pages/1_convolution.py": [
            ("next step", click("conv_next")),
            ("kernel from the gallery", set_select("selectbox", "conv_kernel", kernels)),
            ("stride", set_number("conv_stride", [2, 3, 1, 4, 5])),
            ("dilation", set_number("conv_dilation", [2, 3, 1, 4, 2])),
        ],
        "pages/2_padding.py": [
            ("input size", set_number("pad_size", [9, 11, 13, 15, 17, 19, 21])),
            ("kernel size", set_number("pad_kernel", [5, 2, 4, 7, 1, 6, 3])),
            ("stride", set_number("pad_stride", [2, 3, 4, 5, 6, 7, 8])),
        ],
        "pages/3_pooling.py": [
            ("next step", click("pool_next")),
            ("max / average", set_select("radio", "pool_mode", ["avg", "max"])),
            ("pool size", set_number("pool_size", [3, 4, 1, 5, 6, 2])),
        ],
    }


def one_pass(repeats: int, base: float, offset: int) -> None:
    """Time every control of pages 1–3 once per repeat; print ms, max and ratio to `base`."""
    from streamlit.testing.v1 import AppTest

    print(f"{'page':26}{'control':28}{'ms':>8}{'max ms':>8}{'ratio':>8}")
    for page, actions in interactions().items():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["lang"] = "en"
        at.run()
        at.switch_page(page).run()
        timed(at)  # warm: first run of the page imports its modules
        for name, action in actions:
            times = []
            for i in range(repeats):
                try:
                    action(at, i + offset)
                except KeyError as error:
                    print(f"{Path(page).stem:26}{name:28}  skipped: {error}")
                    break
                times.append(timed(at))
            if times:
                ms = statistics.median(times) * 1000
                print(
                    f"{Path(page).stem:26}{name:28}{ms:8.1f}{max(times) * 1000:8.1f}"
                    f"{statistics.median(times) / base:8.1f}"
                )


def server_times(repeats: int) -> None:
    """Two passes: a fresh server process, then one where Keras has been imported (as soon as any
    student opens a model page). Streamlit then calls keras.backend.clear_session() after every
    script run of every session (`_clean_problem_modules`), which the second pass measures."""
    from streamlit.logger import set_log_level
    from streamlit.testing.v1 import AppTest

    set_log_level("error")  # AppTest runs scripts without a server: silence its warnings
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True
    baseline = AppTest.from_string(
        'import streamlit as st\n\nst.title("hello")\n', default_timeout=60
    )
    baseline.run()
    base = statistics.median(timed(baseline) for _ in range(repeats * 2))
    print(f"\nServer time per interaction (AppTest, median of {repeats} new values)")
    print(f"baseline: rerun of a one-line script: {base * 1000:.1f} ms")
    print("\n1. Keras not loaded in the server process")
    one_pass(repeats, base, 0)

    import keras  # noqa: F401  (what the Train, Feature maps and Rotation pages load)

    loaded = statistics.median(timed(baseline) for _ in range(repeats * 2))
    print(f"\n2. after a model page loaded Keras (one-line script now: {loaded * 1000:.1f} ms;"
          " ratios against the first baseline)")  # fmt: skip
    one_pass(repeats, base, repeats)
    print("target: each interaction ≤ 150 ms of server time on 2 cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-interactions", action="store_true")
    args = parser.parse_args()
    os.chdir(ROOT)
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    if not args.skip_interactions:
        server_times(args.repeats)
    if not args.skip_startup:
        startup(max(1, args.repeats // 2 + 1))


if __name__ == "__main__":
    main()
