"""Staying up: twenty small trainings in a row in one server process must not grow its memory.

    python bench/soak.py [--trainings 20] [--tabs same|new] [--images 300] [--epochs 1]

Starts `streamlit run app.py` on 127.0.0.1 and drives the Train page through Streamlit's own
websocket protocol (bench/st_client.py): set the epochs and the number of training images, press
Train, follow the live view (its fragment polls as a browser's would) until the results show.
`--tabs same` trains again and again in one tab; `--tabs new` opens a new tab for each training
and closes it afterwards (students coming and going). After each training the server's resident
memory (its resident set size, through psutil) is sampled, and its training processes alive are counted (each
training runs in a worker process that exits when it is done; one spare waits for the next). Growth is measured from after the first training
(which loads TensorFlow and builds the first model) to after the last. Target: < 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.st_client import Session, rss_mb, serve, worker_pids  # noqa: E402
from cnnviz.i18n import t  # noqa: E402

TRAINING_TIMEOUT = 300.0  # one small training must finish within this


def label(key: str) -> str:
    return t(key, "en")


def results_shown(session: Session) -> bool:
    """The Train page shows a finished training's results (and no longer its live view)."""
    charts = {e.id.rsplit("-", 1)[-1] for e in session.find("plotly_chart")}
    return (
        session._pending == 0
        and "train_result_chart" in charts
        and ("train_live_chart" not in charts)
    )


def training_running(session: Session) -> bool:
    """The live view is up: a progress bar or a place in the queue."""
    return bool(session.find("progress")) or any(
        label("train.stop") == e.label for e in session.find("button")
    )


async def start_training(session: Session, epochs: int = 1, images: int | None = 300) -> None:
    """Set a small configuration and press Train."""
    await session.set(label("train.epochs"), epochs, kind="number_input")
    if images is not None:
        await session.set(label("train.images"), f"{images:,}", kind="selectbox")
    check(session)
    await session.click(label("train.start"))
    await session.wait_for(lambda s: training_running(s) or results_shown(s), 60)


async def training_finished(session: Session, wait: float) -> bool:
    """Whether the results show within `wait` seconds (the live view keeps polling meanwhile)."""
    try:
        await session.wait_for(results_shown, wait)
    except TimeoutError:
        return False
    return True


def check(session: Session) -> None:
    if session.exceptions:
        raise RuntimeError(f"exception on the page: {session.exceptions[0]}")
    if session.error_alerts:
        raise RuntimeError(f"error message on the page: {session.error_alerts[0]}")


async def train_once(session: Session, epochs: int, images: int | None) -> float:
    started = time.monotonic()
    await start_training(session, epochs, images)
    if not await training_finished(session, TRAINING_TIMEOUT):
        raise TimeoutError(f"training not finished in {TRAINING_TIMEOUT:.0f} s")
    check(session)
    return time.monotonic() - started


async def soak(url: str, pid: int, trainings: int, tabs: str, epochs: int, images: int | None,
               report=print) -> list[float]:  # fmt: skip
    """Run the trainings; returns the server's RSS (MB) after each one."""
    memory = []
    session = await Session.open(url, "train", timeout=120) if tabs == "same" else None
    try:
        for number in range(1, trainings + 1):
            if tabs == "new":
                session = await Session.open(url, "train", timeout=120)
            seconds = await train_once(session, epochs, images)
            if tabs == "new":
                await session.close()
                session = None
                await asyncio.sleep(0.5)  # the server releases the closed tab's session
            memory.append(rss_mb(pid))
            workers = worker_pids(pid)
            report(f"training {number:2d}: {seconds:5.1f} s, server RSS {memory[-1]:7.1f} MB, "
                   f"{len(workers)} training process(es) alive")  # fmt: skip
    finally:
        if session is not None:
            await session.close()
    return memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainings", type=int, default=20)
    parser.add_argument("--tabs", choices=["same", "new"], default="same")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--images", type=int, default=300, help="0: all training images")
    args = parser.parse_args()
    os.chdir(ROOT)
    with serve(timeout=120) as server:
        before = rss_mb(server.pid)
        print(f"server up in {server.started_in:.2f} s, RSS {before:.0f} MB")
        memory = asyncio.run(
            soak(server.url, server.pid, args.trainings, args.tabs, args.epochs,
                 args.images or None)
        )  # fmt: skip
        if "Traceback" in server.log():
            print("the server log has a traceback:\n" + server.log()[-3000:])
    growth = memory[-1] - memory[0]
    print(f"\n{args.trainings} trainings ({args.tabs} tab), {args.epochs} epoch(s) on "
          f"{args.images or 'all'} images, {os.cpu_count()} cores")  # fmt: skip
    print(f"RSS after the first training {memory[0]:.0f} MB, after the last {memory[-1]:.0f} MB, "
          f"peak {max(memory):.0f} MB: growth {growth:+.0f} MB (target < 200 MB)")  # fmt: skip


if __name__ == "__main__":
    main()
