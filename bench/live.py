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

    python bench/live.py --section bytes

bytes: what a student's first visit (Home, Convolution, Train, Feature maps) downloads, counted
by Chromium, over the documented HTTPS set-up (`python -m cnnviz.https`) against plain http:// in
the same run, and what gzip would leave (bench/first_visit.py).

    python bench/live.py --section video [--seconds 15] [--viewers 10] [--repeats 20]

video: live webcam video on Feature maps (shipped MNIST CNN, the "Live video" source): frames as
live.js sends them (96 × 96 JPEG data URLs of photographed digits), each answered by the live
view's fragment with its id before the next is sent. (a) One viewer in Chromium with its fake
camera on http://localhost: the updates per second the element counted, and the server's CPU
time per frame. (b) One and (c) `--viewers` websocket tabs (bench.st_client) answering as live.js
does: updates per second per viewer, the round trip per frame, the server's CPU time per frame
and the live view's own time (its caption). Baseline in the same run: the live view's work on
one frame as a plain call in this process, and the bare model call. Target (issue 13): ≥ 5
updates a second with one viewer, 2 cores; with many viewers fewer each, never a queue.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from streamlit.components.v2.bidi_component.main import _make_trigger_id  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from bench.first_visit import bytes_section  # noqa: E402
from bench.st_client import Session, cpu_seconds, serve  # noqa: E402
from cnnviz import digits, live, models  # noqa: E402
from cnnviz.i18n import t  # noqa: E402
from cnnviz.ui import canvas  # noqa: E402
from cnnviz.ui import live as live_ui  # noqa: E402
from cnnviz.ui.chosen import describe  # noqa: E402
from tests import corpus  # noqa: E402
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


# --- video: live webcam frames (cnnviz.ui.live, cnnviz/ui/live/live.js) --------------------------

VIDEO_TARGET = 5.0  # updates per second, one viewer, shipped CNN, 2 cores
FRAME_EVERY = live_ui.FRAME_INTERVAL_MS / 1000  # live.js sends at most this often


def video_frames(count: int = 20) -> list[str]:
    """What live.js sends while a student holds up digits: 96 × 96 JPEG data URLs (quality 0.8)
    of photographed handwritten digits, a different one each time."""
    frames = []
    for i in range(count):
        photo = corpus.handwritten_digit_photo(i % 10, seed=i, size=96)
        buffer = io.BytesIO()
        Image.open(io.BytesIO(photo)).convert("RGB").save(buffer, "JPEG", quality=80)
        frames.append("data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode())
    return frames


class VideoTab(Session):
    """A tab that answers as live.js does: one frame in flight, the next when Python's answer
    (the element's `ack`) has come, and no sooner than FRAME_EVERY after the previous one."""

    def camera(self):
        (element,) = [e for e in self.find("bidi_component")
                      if e.proto.component_name == "cnnviz_live_camera"]  # fmt: skip
        return element

    def acked(self) -> int:
        proto = self.camera().proto
        return int(json.loads(proto.mixed.json if proto.HasField("mixed") else proto.json)["ack"])

    def server_ms(self) -> float | None:
        """The server's time for the last frame, as the live view's caption says it."""
        for text in self.texts():
            match = re.match(r"^Frame \d+ · (\d+) ms", text)
            if match:
                return float(match.group(1))
        return None

    async def send_frame(self, number: int, image: str) -> None:
        element = self.camera()
        payload = {"event": "frame", "value": {"id": number, "image": image}}
        self._triggers.append(WidgetState(id=_make_trigger_id(element.id, "events"),
                                          json_trigger_value=json.dumps(payload)))  # fmt: skip
        await self.rerun(element.fragment_id, wait=False, auto=False)


async def open_video_tab(url: str) -> VideoTab:
    tab = await VideoTab.open(url, "features", timeout=120, poll_fragments=False)
    await tab.set(t("widgets.source"), t("widgets.source_live"))
    tab.camera()  # the live view is there
    return tab


async def stream(tab: VideoTab, frames: list[str], seconds: float) -> dict:
    """Send frames for `seconds` as live.js does: round trips, answered frames per second and
    the server's time per frame (its caption)."""
    round_trips, server_ms, number = [], [], tab.acked()
    start = sent_at = time.perf_counter()
    while time.perf_counter() - start < seconds:
        await asyncio.sleep(max(0.0, FRAME_EVERY - (time.perf_counter() - sent_at)))
        number += 1
        sent_at = time.perf_counter()
        await tab.send_frame(number, frames[number % len(frames)])
        await tab.wait_for(lambda s, n=number: s.acked() >= n, timeout=60)
        round_trips.append(time.perf_counter() - sent_at)
        if tab.exceptions or tab.error_alerts:
            raise RuntimeError(f"the page broke: {tab.exceptions or tab.error_alerts}")
        if (ms_now := tab.server_ms()) is not None:
            server_ms.append(ms_now)
    return {"round_trips": round_trips, "rate": len(round_trips) / (time.perf_counter() - start),
            "server_ms": server_ms}  # fmt: skip


async def video_viewers(url: str, pid: int, viewers: int, seconds: float) -> dict:
    """`viewers` tabs streaming at once; the server's CPU seconds per answered frame."""
    frames = video_frames()
    tabs = await asyncio.gather(*[open_video_tab(url) for _ in range(viewers)])
    try:
        await asyncio.gather(*[stream(tab, frames, 1.0) for tab in tabs])  # warm: traced, drawn
        cpu = cpu_seconds(pid)
        results = await asyncio.gather(*[stream(tab, frames, seconds) for tab in tabs])
        cpu = cpu_seconds(pid) - cpu
    finally:
        await asyncio.gather(*[tab.close() for tab in tabs])
    answered = sum(len(r["round_trips"]) for r in results)
    return {"rates": [r["rate"] for r in results],
            "round_trips": [s for r in results for s in r["round_trips"]],
            "server_ms": [s for r in results for s in r["server_ms"]],
            "cpu_per_frame": cpu / max(answered, 1), "answered": answered}  # fmt: skip


def chromium_viewer(url: str, pid: int, seconds: float) -> dict:
    """One Chromium tab with its fake camera on http://localhost (a secure context): the frames
    the live view answered per second, counted by the element (`data-acked`)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, IDLE

    local = url.replace("127.0.0.1", "localhost")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream"])  # fmt: skip
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(120_000)
        page.goto(f"{local}/features")
        page.wait_for_selector(IDLE)
        page.get_by_text(t("widgets.source_live"), exact=True).first.click()
        page.locator(".cnnviz-live[data-state='live']").wait_for()
        page.locator(".st-key-features_live_maps img").wait_for()
        page.wait_for_timeout(2000)  # warm
        element = page.locator(".cnnviz-live")
        read = "e => [Number(e.dataset.acked), Number(e.dataset.roundTrip)]"
        first, cpu, start = element.evaluate(read)[0], cpu_seconds(pid), time.perf_counter()
        round_trips: dict[int, float] = {}  # frame id -> send to answer, as the browser saw it
        while time.perf_counter() - start < seconds:
            acked, round_trip = element.evaluate(read)
            round_trips[acked] = round_trip / 1000
            page.wait_for_timeout(30)
        answered, elapsed = element.evaluate(read)[0] - first, time.perf_counter() - start
        cpu = cpu_seconds(pid) - cpu
        browser.close()
    return {"rate": answered / elapsed, "cpu_per_frame": cpu / max(answered, 1),
            "round_trips": list(round_trips.values())}  # fmt: skip


def frame_work(repeats: int) -> tuple[float, float]:
    """Median seconds of the live view's own work on one frame in this process (decode, prepare
    the digit, every layer, top 5, tile the first conv maps), and of the bare model call."""
    chosen = describe(models.load_pretrained("mnist_cnn"), "pretrained", "MNIST CNN")
    frames = video_frames()
    live_ui.answer(chosen, live.parse_frame({"id": 1, "image": frames[0]}), "digit")  # warm
    work, calls = [], []
    x = np.zeros((1, 28, 28, 1), np.float32)
    for i in range(repeats):
        start = time.perf_counter()
        live_ui.answer(chosen, live.parse_frame({"id": i + 1, "image": frames[i % len(frames)]}),
                       "digit")  # fmt: skip
        work.append(time.perf_counter() - start)
        start = time.perf_counter()
        chosen.model(x, training=False)
        calls.append(time.perf_counter() - start)
    return statistics.median(work), statistics.median(calls)


def video_section(args: argparse.Namespace) -> None:
    seconds, viewers = args.seconds, args.viewers
    print(f"video: live webcam frames on Feature maps (shipped MNIST CNN, 96 × 96 JPEG frames, "
          f"at most {1 / FRAME_EVERY:.0f} a second per viewer), {os.cpu_count()} cores")  # fmt: skip
    work, call = frame_work(args.repeats)
    print(f"   baseline in this process: the live view's work on one frame {ms(work)}, "
          f"the bare model call {ms(call)}")  # fmt: skip
    with serve(timeout=120) as server:
        browser = chromium_viewer(server.url, server.pid, seconds)
        print(f"   (a) one viewer in Chromium (fake camera): {browser['rate']:.1f} updates/s, "
              f"server CPU {ms(browser['cpu_per_frame'])} per frame; target ≥ {VIDEO_TARGET:.0f}/s: "
              f"{'met' if browser['rate'] >= VIDEO_TARGET else 'MISSED'}")  # fmt: skip
        print(f"       round trip in the browser (send to answer) {spread(browser['round_trips'])}")
        for count in (1, viewers):
            result = asyncio.run(video_viewers(server.url, server.pid, count, seconds))
            rates = result["rates"]
            print(f"   ({'b' if count == 1 else 'c'}) {count} viewer(s), websocket tabs answering as "
                  f"live.js, {seconds:.0f} s, {result['answered']} frames: updates/s per viewer "
                  f"median {statistics.median(rates):.1f}, lowest {min(rates):.1f}, all "
                  f"{sum(rates):.1f}")  # fmt: skip
            print(f"       round trip {spread(result['round_trips'])} (×{statistics.median(result['round_trips']) / work:.1f} "
                  f"the work); server CPU {ms(result['cpu_per_frame'])} per frame; the live view's "
                  f"own time (caption) median {statistics.median(result['server_ms']):.0f} ms")  # fmt: skip
    print(f"   load average now {os.getloadavg()[0]:.1f}")


SECTIONS = {"canvas": canvas_section, "bytes": bytes_section, "video": video_section}


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
