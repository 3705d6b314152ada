"""A class of forty on one server: each student opens Feature maps, uploads a photo, waits for
the predictions, while two other students train models on the Train page.

    python bench/classroom_load.py [--students 40] [--browsers 3] [--arrive 20] [--ramp 10]

Starts `streamlit run app.py` on 127.0.0.1 (nothing leaves this machine), warms it as a teacher
would by opening the page once (timed and reported: the first visit loads Keras and the model),
starts the two trainings, then lets the students arrive over `--arrive` seconds. When all are on
the page, the teacher says "upload now": uploads start spread over `--ramp` seconds (0: all at
the same instant). Most students are `bench/st_client.py` sessions (Streamlit's websocket protocol,
no browser); `--browsers` of them are real headless chromium tabs (Playwright).

Time to result: from the start of the upload until the top-k chart is on the page and the run has
finished. Prints errors, p50 and p95. Target on 2 cores: 0 errors, p95 ≤ 3 s. Run by hand (not
in CI); results go in bench/RESULTS.md. Every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.st_client import Session, processes, rss_mb, serve  # noqa: E402
from cnnviz.i18n import t  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
TIMEOUT = 180.0  # no single step of a student may take longer than this


@dataclass
class Outcome:
    """What one student saw."""

    who: str
    open_s: float = float("nan")  # page opened and ready to upload
    result_s: float = float("nan")  # upload started -> predictions shown
    error: str = ""


def photos(count: int) -> list[tuple[str, bytes]]:
    """Photos of handwritten digits (the shipped models read digits), one per student."""
    from tests.corpus import handwritten_digit_photo

    return [(f"digit{i % 10}.jpg", handwritten_digit_photo(i % 10, seed=i)) for i in range(count)]


def has_predictions(session: Session) -> bool:
    return session._pending == 0 and any(
        e.id.endswith("features_top") for e in session.find("plotly_chart")
    )


def check(session: Session) -> None:
    if session.exceptions:
        raise RuntimeError(f"exception on the page: {session.exceptions[0]}")
    if session.error_alerts:
        raise RuntimeError(f"error message on the page: {session.error_alerts[0]}")


async def socket_student(url: str, name: str, photo: tuple[str, bytes], go: asyncio.Event,
                         delay: float, ready: list) -> Outcome:  # fmt: skip
    """A student driven through Streamlit's websocket protocol."""
    outcome = Outcome(name)
    session = None
    try:
        started = time.monotonic()
        session = await Session.open(url, "features", timeout=TIMEOUT)
        await session.set(t("widgets.source", "en"), t("widgets.source_upload", "en"))
        check(session)
        outcome.open_s = time.monotonic() - started
        ready.append(name)
        await go.wait()
        await asyncio.sleep(delay)
        started = time.monotonic()
        status = await session.upload(t("widgets.upload", "en"), *photo)
        if status != 204:
            raise RuntimeError(f"upload answered HTTP {status}")
        await session.wait_for(has_predictions, TIMEOUT)
        outcome.result_s = time.monotonic() - started
        check(session)
    except Exception as error:  # every failure is counted and reported, none stops the class
        outcome.error = f"{type(error).__name__}: {error}"[:300]
    finally:
        if session is not None:
            await session.close()
    return outcome


async def browser_student(browser, url: str, name: str, photo: tuple[str, bytes],
                          go: asyncio.Event, delay: float, ready: list) -> Outcome:  # fmt: skip
    """A student in a real chromium tab."""
    outcome = Outcome(name)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT * 1000)
    path = Path(tempfile.mkdtemp(prefix="cnnviz-load-")) / photo[0]
    path.write_bytes(photo[1])
    try:
        started = time.monotonic()
        await page.goto(f"{url}/features")
        await page.wait_for_selector(IDLE)
        source = page.locator('[class*="st-key-features_source"]').first
        await source.scroll_into_view_if_needed()
        await source.locator('[data-testid="stRadioOption"]').nth(2).click()  # Upload
        await page.wait_for_timeout(300)
        await page.wait_for_selector(IDLE)
        outcome.open_s = time.monotonic() - started
        ready.append(name)
        await go.wait()
        await asyncio.sleep(delay)
        started = time.monotonic()
        await page.locator(
            '[data-testid="stFileUploader"] input[type="file"]'
        ).first.set_input_files(str(path))
        await page.locator(".st-key-features_top").first.wait_for()
        await page.wait_for_timeout(100)
        await page.wait_for_selector(IDLE)
        outcome.result_s = time.monotonic() - started
        if await page.locator('[data-testid="stException"]').count():
            raise RuntimeError("exception on the page")
        if await page.locator('[data-testid="stAlertContentError"]').count():
            raise RuntimeError("error message on the page")
    except Exception as error:
        outcome.error = f"{type(error).__name__}: {error}"[:300]
    finally:
        await context.close()
    return outcome


async def trainer(url: str, name: str, stop: asyncio.Event, log: list, epochs: int,
                  images: int | None) -> None:  # fmt: skip
    """A student training on the Train page, again and again, until the class is over."""
    from bench.soak import start_training, training_finished

    session = await Session.open(url, "train", timeout=TIMEOUT)
    try:
        rounds = 0
        while not stop.is_set() and rounds < 20:
            rounds += 1
            await start_training(session, epochs=epochs, images=images)
            log.append(f"{name}: training {rounds} started")
            while not stop.is_set():
                if await training_finished(session, wait=1.0):
                    log.append(f"{name}: training {rounds} finished")
                    break
            else:
                bars = session.find("progress")
                done = f"{bars[0].proto.value} %" if bars else "not yet"
                log.append(f"{name}: training {rounds} done {done} when the class ended")
            check(session)
    except Exception as error:
        log.append(f"{name}: {type(error).__name__}: {error}"[:300])
    finally:
        await session.close()


def cpu_by_role(server_pid: int) -> dict[int, tuple[str, float]]:
    """Every process this benchmark started, by role, with its CPU seconds so far (psutil): the
    server, its training processes, chromium, and the harness (this process with its light
    clients, and Playwright's driver)."""
    table = processes()

    def descends(pid: int, ancestor: int) -> bool:
        while pid > 1:
            if pid == ancestor:
                return True
            pid = table[pid].parent if pid in table else 0
        return False

    roles = {}
    for pid, info in table.items():
        if not descends(pid, os.getpid()):
            continue
        if info.is_training_worker:
            role = "training processes"
        elif descends(pid, server_pid):
            role = "server"
        elif info.argv and "chrom" in info.argv[0]:
            role = "chromium"
        else:
            role = "harness (light clients, Playwright)"
        roles[pid] = (role, info.cpu)
    return roles


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds each role used between two `cpu_by_role` readings (processes that ended
    meanwhile are not counted)."""
    used: dict[str, float] = {}
    for pid, (role, cpu) in after.items():
        used[role] = used.get(role, 0.0) + cpu - before.get(pid, (role, 0.0))[1]
    return used


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


async def run_class(args) -> list[Outcome]:
    from playwright.async_api import async_playwright

    pictures = photos(args.students)
    with serve(timeout=120) as server:
        print(f"server up in {server.started_in:.2f} s (pid {server.pid}, {server.url})")
        started = time.monotonic()
        teacher = await socket_student(server.url, "teacher", pictures[0], _set(asyncio.Event()),
                                       0.0, [])  # fmt: skip
        print(f"teacher's first visit (loads Keras and the model): {time.monotonic() - started:.1f}"
              f" s, upload -> predictions {teacher.result_s:.2f} s {teacher.error}")  # fmt: skip
        rss_before = rss_mb(server.pid)

        stop, log = asyncio.Event(), []
        trainers = [asyncio.create_task(trainer(server.url, f"trainer{i}", stop, log,
                                                     args.train_epochs, args.train_images or None))
                    for i in range(args.trainers)]  # fmt: skip
        await asyncio.sleep(args.train_head_start)

        go, ready = asyncio.Event(), []
        rng = random.Random(7)
        arrivals = sorted(rng.uniform(0, args.arrive) for _ in range(args.students))
        delays = [rng.uniform(0, args.ramp) for _ in range(args.students)]
        async with async_playwright() as p:
            browser = None
            if args.browsers:
                browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                  args=CHROMIUM_ARGS)  # fmt: skip
            tasks = []
            for i in range(args.students):
                name = f"student{i:02d}"
                if i < args.browsers:
                    work = browser_student(browser, server.url, name + "-chromium", pictures[i],
                                           go, delays[i], ready)  # fmt: skip
                else:
                    work = socket_student(server.url, name, pictures[i], go, delays[i], ready)
                tasks.append(asyncio.create_task(_after(arrivals[i], work)))
            deadline = time.monotonic() + args.arrive + TIMEOUT
            while len(ready) < args.students and time.monotonic() < deadline:
                if all(task.done() for task in tasks):
                    break
                await asyncio.sleep(0.2)
            print(f"{len(ready)} of {args.students} students on the page after "
                  f"{time.monotonic() - started:.1f} s; upload now (spread over {args.ramp} s)")  # fmt: skip
            go.set()
            cpu_before, wall_before = cpu_by_role(server.pid), time.monotonic()
            outcomes = await asyncio.gather(*tasks)
            used = cpu_used(cpu_before, cpu_by_role(server.pid))
            wall = time.monotonic() - wall_before
            print(
                f"CPU during the uploads ({wall:.1f} s, {os.cpu_count()} cores: "
                f"{wall * os.cpu_count():.0f} CPU-s): "
                + ", ".join(f"{role} {seconds:.1f} s" for role, seconds in sorted(used.items()))
            )
            if browser is not None:
                await browser.close()
        rss_after = rss_mb(server.pid)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*trainers, return_exceptions=True), 60)
        for line in log:
            print("  " + line)
        print(f"server memory: {rss_before:.0f} MB before the class, {rss_after:.0f} MB after")
    return outcomes


def _set(event: asyncio.Event) -> asyncio.Event:
    event.set()
    return event


async def _after(seconds: float, work):
    await asyncio.sleep(seconds)
    return await work


def report(outcomes: list[Outcome], args) -> None:
    errors = [o for o in outcomes if o.error]
    results = [o.result_s for o in outcomes if not o.error]
    opens = [o.open_s for o in outcomes if o.open_s == o.open_s]
    print(f"\n{args.students} students ({args.browsers} in chromium), {args.trainers} trainings, "
          f"arrivals over {args.arrive} s, uploads over {args.ramp} s, {os.cpu_count()} cores")  # fmt: skip
    print(f"errors: {len(errors)}")
    for o in errors:
        print(f"  {o.who}: {o.error}")
    if opens:
        print(f"open page + choose upload: p50 {statistics.median(opens):.2f} s, "
              f"p95 {percentile(opens, 0.95):.2f} s")  # fmt: skip
        browsers = [o.open_s for o in outcomes if "chromium" in o.who and o.open_s == o.open_s]
        if browsers:
            print(f"  of which in chromium: {', '.join(f'{s:.2f}' for s in browsers)} s")
    if results:
        print(f"time to result (upload -> predictions): p50 {statistics.median(results):.2f} s, "
              f"p95 {percentile(results, 0.95):.2f} s, max {max(results):.2f} s")  # fmt: skip
        browsers = [o.result_s for o in outcomes if "chromium" in o.who and not o.error]
        if browsers:
            print(f"  of which in chromium: {', '.join(f'{s:.2f}' for s in browsers)} s")
    print("target on 2 cores: 0 errors, p95 ≤ 3 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--browsers", type=int, default=3)
    parser.add_argument("--trainers", type=int, default=2)
    parser.add_argument("--arrive", type=float, default=20.0, help="students arrive over (s)")
    parser.add_argument("--ramp", type=float, default=10.0, help="uploads spread over (s)")
    parser.add_argument("--train-head-start", type=float, default=5.0)
    parser.add_argument("--train-epochs", type=int, default=5, help="epochs of each training")
    parser.add_argument(
        "--train-images",
        type=int,
        default=0,
        help="training images (0: all, as the page's default)",
    )
    args = parser.parse_args()
    args.browsers = min(args.browsers, args.students)
    os.chdir(ROOT)
    outcomes = asyncio.run(run_class(args))
    report(outcomes, args)


if __name__ == "__main__":
    main()
