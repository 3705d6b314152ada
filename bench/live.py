"""Live input (issue 13): what one update of the drawing canvas costs the server.

    python bench/live.py --section canvas [--repeats 20] [--viewers 10] [--seconds 15]

canvas: a real `streamlit run app.py` on 127.0.0.1 and tabs of bench.st_client (the browser's
own websocket protocol, no browser) on the Feature maps page with the shipped MNIST CNN and the
"Draw a digit" source. Each update sends what canvas.js sends (the drawing as a 140 × 140 PNG
data URL, the state value "drawing" of the canvas component) and waits until the page's run has
finished: a 7 growing stroke by stroke, as the canvas sends it every 300 ms while drawing, then
a 1. (a) One viewer: the time per update, send to finished run. Baselines in the same run: a
rerun with the drawing unchanged (the page's own cost: its model run is kept per input), and one
raw `model(x, training=False)` call in this process. (b) `--viewers` tabs drawing at once, each
sending at most every 300 ms (the canvas's pace) and never before its last update has come
back: the time per update and the updates each tab got per second.

Target (issue 13): ≤ 150 ms per update for the shipped CNN on 2 cores. Prints milliseconds and
ratios; no assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from bench.st_client import Session, serve  # noqa: E402
from cnnviz import digits, models  # noqa: E402
from cnnviz.i18n import t  # noqa: E402
from cnnviz.ui import canvas  # noqa: E402
from tests.test_canvas import sent  # noqa: E402  (strokes drawn as canvas.js sends them)

CANVAS_TARGET = 0.150  # seconds per update, shipped CNN, 2 cores
SEND_EVERY = canvas.SEND_EVERY_MS / 1000
SEVEN = [(70, 60), (210, 60), (120, 235)]
ONE = [(140, 45), (140, 235)]


def growing(stroke: list[tuple[int, int]], parts: int) -> list[list[tuple[float, float]]]:
    """The stroke as the pen has drawn it after 1/parts, 2/parts … of its way."""
    points = np.array(stroke, float)
    lengths = np.r_[0, np.cumsum(np.hypot(*np.diff(points, axis=0).T))]
    drawn = []
    for part in range(1, parts + 1):
        reach = lengths[-1] * part / parts
        kept = [tuple(p) for p, at in zip(points, lengths, strict=True) if at < reach]
        segment = np.searchsorted(lengths, reach) - 1
        fraction = (reach - lengths[segment]) / (lengths[segment + 1] - lengths[segment])
        end = points[segment] + fraction * (points[segment + 1] - points[segment])
        drawn.append([*kept, tuple(end)])
    return drawn


def canvas_updates() -> list[str]:
    """What the canvas sends while a student draws a 7 (six sends) and, after Clear, a 1 (four)."""
    return [sent([stroke]) for stroke in growing(SEVEN, 6) + growing(ONE, 4)]


class DrawingTab(Session):
    """A tab that can also send the canvas's state, as canvas.js's setStateValue does."""

    async def draw(self, drawing: str | None, wait: bool = True) -> None:
        (element,) = [e for e in self.find("bidi_component") if e.id.endswith("features_draw")]
        state = WidgetState(id=element.id, json_value=json.dumps({"drawing": drawing}))
        self._values[element.id] = state
        await self.rerun(wait=wait)


async def open_drawing_tab(url: str) -> DrawingTab:
    tab = await DrawingTab.open(url, "features", timeout=120)
    await tab.set(t("widgets.source"), t("widgets.source_draw"))
    return tab


def check(tab: DrawingTab) -> None:
    """The page answered the drawing: no traceback, no error, the top guesses drawn."""
    if tab.exceptions or tab.error_alerts:
        raise RuntimeError(f"the page broke: {tab.exceptions or tab.error_alerts}")
    if not [e for e in tab.find("plotly_chart") if e.id.endswith("features_top")]:
        raise RuntimeError("no guesses on the page after a drawing")


async def timed_updates(tab: DrawingTab, updates: list[str]) -> list[float]:
    times = []
    for drawing in updates:
        start = time.perf_counter()
        await tab.draw(drawing)
        times.append(time.perf_counter() - start)
        check(tab)
    return times


async def one_viewer(url: str, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds per canvas update, and per rerun with the same drawing, for one tab."""
    tab = await open_drawing_tab(url)
    try:
        updates = canvas_updates()
        await timed_updates(tab, updates[:2])  # the first drawing's run traces Grad-CAM, warms up
        per_update, unchanged = [], []
        for _ in range(max(1, repeats // len(updates))):
            per_update += await timed_updates(tab, updates)
            start = time.perf_counter()
            await tab.rerun()
            unchanged.append(time.perf_counter() - start)
        return per_update, unchanged
    finally:
        await tab.close()


async def many_viewers(url: str, viewers: int, seconds: float) -> tuple[list[float], list[float]]:
    """Seconds per update over all tabs, and updates per second of each tab, `viewers` drawing."""
    tabs = await asyncio.gather(*[open_drawing_tab(url) for _ in range(viewers)])
    updates = canvas_updates()

    async def keep_drawing(tab: DrawingTab, offset: int) -> tuple[list[float], float]:
        times, start = [], time.perf_counter()
        while time.perf_counter() - start < seconds:
            began = time.perf_counter()
            await tab.draw(updates[(offset + len(times)) % len(updates)])
            times.append(time.perf_counter() - began)
            check(tab)
            await asyncio.sleep(max(0.0, SEND_EVERY - (time.perf_counter() - began)))
        return times, len(times) / (time.perf_counter() - start)

    try:
        for tab in tabs:  # every tab has drawn once: the comparison is of updates, not first runs
            await tab.draw(updates[0])
        results = await asyncio.gather(*[keep_drawing(tab, i) for i, tab in enumerate(tabs)])
    finally:
        await asyncio.gather(*[tab.close() for tab in tabs])
    return [s for times, _ in results for s in times], [rate for _, rate in results]


def raw_model_call(repeats: int) -> float:
    """Median seconds of one call of the shipped CNN on a prepared drawing, after a warm-up."""
    model = models.load_pretrained("mnist_cnn")
    picture = canvas.decode_drawing(sent([SEVEN]))
    x = digits.prepare_digit(picture).result[None, ..., None]
    model(x, training=False)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model(x, training=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:6.1f} ms"


def spread(times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {ms(statistics.median(ordered))}, p90 {ms(p90)}, max {ms(ordered[-1])}"


def canvas_section(args: argparse.Namespace) -> None:
    repeats, viewers, seconds = args.repeats, args.viewers, args.seconds
    print("canvas: one update of the drawing canvas on Feature maps (shipped MNIST CNN), "
          f"{os.cpu_count()} cores")  # fmt: skip
    call = raw_model_call(repeats)
    with serve(timeout=120) as server:
        per_update, unchanged = asyncio.run(one_viewer(server.url, repeats))
        median = statistics.median(per_update)
        same = statistics.median(unchanged)
        print(f"   (a) one viewer, {len(per_update)} updates: {spread(per_update)}")
        print(f"       rerun with the drawing unchanged {ms(same)} (update ×{median / same:4.2f}); "
              f"raw model call {ms(call)} (update ×{median / call:5.1f})")  # fmt: skip
        print(f"       target {CANVAS_TARGET * 1000:.0f} ms: "
              f"{'met' if median <= CANVAS_TARGET else 'MISSED'}")  # fmt: skip
        if viewers > 1:
            together, rates = asyncio.run(many_viewers(server.url, viewers, seconds))
            print(f"   (b) {viewers} viewers drawing at once for {seconds:.0f} s, "
                  f"{len(together)} updates: {spread(together)}")  # fmt: skip
            print(f"       updates per second per tab: median {statistics.median(rates):.2f}, "
                  f"lowest {min(rates):.2f} (a tab alone sends at most {1 / SEND_EVERY:.1f})")  # fmt: skip
    print(f"   load average now {os.getloadavg()[0]:.1f}")


SECTIONS = {"canvas": canvas_section}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=sorted(SECTIONS), action="append",
                        help="run only these sections (default: all)")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--viewers", type=int, default=10, help="tabs drawing at once in (b)")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long (b) draws")
    args = parser.parse_args()
    for name in args.section or sorted(SECTIONS):
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
