"""The server stays up through a lesson's trainings.

- Twenty small trainings in a row in one server process grow its memory by less than 200 MB
  (bench/soak.py prints the same run with more options), and leave no training process behind
  but the one spare (each training runs in a worker process, `cnnviz.workers`).
- A training whose browser tab closes stops: with a server that allows one training at a time, a
  long training is started in a real browser tab, the tab is closed, its training process ends,
  the server goes idle, and another student's training runs at once instead of waiting in the queue.
"""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import pytest

from bench.soak import label, results_shown, soak, start_training, training_finished
from bench.st_client import Session, cpu_seconds, rss_mb, serve, worker_pids
from tests.e2e.conftest import new_page
from tests.e2e.test_walkthrough import open_lesson, widget

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GROWTH_LIMIT_MB = 200
TRAININGS = 20


# TensorFlow's own cleanup, logged at warning level (not an error of the app): a training stopped
# in the middle of an epoch leaves Keras's generator-fed tf.data iterator unfinished; when Python
# collects it, TensorFlow may find the generator's Python callback already gone and logs this.
TF_ITERATOR_CLEANUP = "Could not find callback with key=pyfunc_"


def app_tracebacks(log: str) -> list[str]:
    """The server log's entries (split where a line starts a new log record) that hold a
    Python traceback, less TensorFlow's iterator-cleanup warnings."""
    entries = re.split(r"\n(?=[IWEF]\d{4} |\d{4}-\d\d-\d\d )", log)
    return [e for e in entries if "Traceback" in e and TF_ITERATOR_CLEANUP not in e]


def in_a_thread(coroutine, timeout: float):
    """Run a coroutine to the end outside Playwright's event loop (which owns this thread)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result(timeout=timeout)


def cpu_used(pids: list[int], seconds: float) -> dict[int, float]:
    """How many cores each of `pids` used over the next `seconds` (0 for one that ended)."""
    start = {}
    for p in pids:
        with suppress(OSError, IndexError):
            start[p] = cpu_seconds(p)
    time.sleep(seconds)
    used = dict.fromkeys(pids, 0.0)
    for p in start:
        with suppress(OSError, IndexError):  # a training process that ended meanwhile
            used[p] = (cpu_seconds(p) - start[p]) / seconds
    return used


def cpu_share(pid: int, seconds: float = 2.0) -> float:
    """How many cores the server and its training processes used over the next `seconds`."""
    return sum(cpu_used([pid, *worker_pids(pid)], seconds).values())


def spare_only(pid: int, timeout: float = 60.0) -> list[int]:
    """Wait until at most one training process (the spare) is left; the ones alive then."""
    deadline = time.monotonic() + timeout
    while len(alive := worker_pids(pid)) > 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    return alive


def ended(pids: list[int], server_pid: int, timeout: float = 60.0) -> bool:
    """Wait until none of `pids` is among the server's training processes any more."""
    deadline = time.monotonic() + timeout
    while set(pids) & set(worker_pids(server_pid)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def test_trainings_in_a_row_do_not_grow_the_server():
    with serve(timeout=120) as server:
        memory = in_a_thread(
            soak(server.url, server.pid, TRAININGS, "same", epochs=1, images=300), timeout=900
        )
        assert not app_tracebacks(server.log()), server.log()[-3000:]
        assert len(spare_only(server.pid)) <= 1, worker_pids(server.pid)
    growth = memory[-1] - memory[0]
    print(f"RSS after each training (MB): {[round(m) for m in memory]}")
    assert growth < GROWTH_LIMIT_MB, memory


def test_a_training_whose_tab_closes_stops_and_frees_its_place(browser):
    with serve(timeout=120, env={"CNNVIZ_MAX_TRAININGS": "1"}) as server:
        page = new_page(browser)
        context = page.context
        open_lesson(page, server.url, "train")
        epochs = widget(page, "train_quick_epochs").locator("input")
        epochs.fill("200")  # all training images, 200 epochs: many minutes of work
        epochs.press("Enter")
        page.wait_for_timeout(500)
        widget(page, "train_start").locator("button").click()
        page.locator('[data-testid="stProgress"]').first.wait_for(timeout=120_000)
        busy = cpu_used(worker_pids(server.pid), 2.0)  # the training's process (and any spare)
        training = [p for p, cores in busy.items() if cores > 0.5]
        assert len(training) == 1, busy  # the training is working in its own process
        before_close = rss_mb(server.pid)
        context.close()

        assert ended(training, server.pid), worker_pids(server.pid)  # its process has ended
        assert len(spare_only(server.pid)) <= 1, worker_pids(server.pid)

        deadline = time.monotonic() + 60
        while (share := cpu_share(server.pid)) > 0.3 and time.monotonic() < deadline:
            pass
        assert share <= 0.3, f"the server still uses {share:.1f} cores after the tab closed"
        after_close = rss_mb(server.pid)

        async def another_student() -> bool:
            session = await Session.open(server.url, "train", timeout=120)
            try:
                await start_training(session, epochs=1, images=300)
                queued = label("train.queued").split("{")[0]
                assert not any(queued in text for text in session.texts()), session.texts()
                return await training_finished(session, 300) and results_shown(session)
            finally:
                await session.close()

        assert in_a_thread(another_student(), timeout=400)
        print(f"server RSS: {before_close:.0f} MB while training, {after_close:.0f} MB after close")
        assert not app_tracebacks(server.log()), server.log()[-3000:]
