"""A class arriving at once: ``--arrivals`` sessions opened together against the served app
(the `make run` command line), while a student already in the page moves a slider.

A session is ready when its page was fetched (the server builds the session), its websocket
connected and the document pulled: what a browser needs before it can draw. Prints one JSON
object per measurement: the link's first page, students arriving one at a time, then the wave
(readiness of each arrival, and the in-class student's slider latency while the wave lasts,
against the same student's latency before it).

The class opens the plain link (what a lecturer hands out) unless ``--tab`` says otherwise.

    python -m bench.wave [--arrivals 12] [--procs N] [--waves 5] [--pool 12|0] [--tab T]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time

import numpy as np

from . import browser
from .load import Session, _slider_grid

IN_CLASS = (0, "Current λ", "spiked-landscape")  # tab, slider title, the source it changes
#: quiet seconds before a wave: the lecturer opened the link a little before the class
SETTLE_S = 20.0


def emit(**record):
    print(json.dumps(record), flush=True)


def ms(values) -> dict:
    arr = 1e3 * np.asarray(values, dtype=float)
    if arr.size == 0:
        return {"n": 0}
    return {"p50_ms": round(float(np.percentile(arr, 50)), 1),
            "p95_ms": round(float(np.percentile(arr, 95)), 1),
            "max_ms": round(float(arr.max()), 1), "n": int(arr.size)}


async def open_timed(base: str, tab: int | None) -> tuple[Session, float]:
    session = Session(base, tab)
    start = time.perf_counter()
    await session.open()
    return session, time.perf_counter() - start


class Student:
    """Moves one slider ``pause`` seconds after the last move's answer (a person dragging)
    and records each move's latency, with the time it was sent. A wave lasts about half a
    second: short pauses give enough moves inside it to speak of a p95."""

    def __init__(self, base: str, seed: int = 0, pause: float = 0.03):
        self.base, self.pause, self.rng = base, pause, random.Random(seed)
        self.moves: list[tuple[float, float]] = []  # (sent at, latency)
        self._stop = asyncio.Event()
        self.active = asyncio.Event()
        self.active.set()

    async def run(self):
        tab, title, source_name = IN_CLASS
        session, _ = await open_timed(self.base, tab)
        try:
            slider = session.find("Slider", title=title)
            source = session.find("ColumnDataSource", name=source_name)
            grid = _slider_grid(session.models[slider])
            current = session.models[slider]["attributes"]["value"]
            while not self._stop.is_set():
                await self.active.wait()
                value = self.rng.choice([v for v in grid if v != current])
                changed = session.expect_change(source)
                sent = time.perf_counter()
                await session.set_value(slider, value)
                try:
                    arrived = await asyncio.wait_for(changed, 30)
                    self.moves.append((sent, arrived - sent))
                except TimeoutError:
                    self.moves.append((sent, float("inf")))
                current = value
                await asyncio.sleep(self.pause)
        finally:
            await session.close()

    def stop(self):
        self._stop.set()

    def latencies(self, start: float, end: float) -> list[float]:
        return [lat for sent, lat in self.moves if start <= sent <= end]


async def measure(base: str, arrivals: int, waves: int, tab: int | None) -> None:
    # the first page of the link (the lecturer, before the class), once the server started:
    # with a page pool, the plain link's pages were built ahead from server start
    session, seconds = await open_timed(base, tab)
    await session.close()
    emit(bench="session_ready_first", **ms([seconds]), target_ms=150,
         built_ahead=int(session.pool == "hit"))
    # then one student at a time, a few seconds apart (sequential readiness)
    await asyncio.to_thread(browser.wait_until_idle, 30.0, 60.0)
    await asyncio.sleep(SETTLE_S)
    alone, hits = [], 0
    for _ in range(6):
        session, seconds = await open_timed(base, tab)
        alone.append(seconds)
        hits += session.pool == "hit"
        await session.close()
        await asyncio.sleep(2.0)
    emit(bench="session_ready_alone", **ms(alone), target_ms=150, built_ahead=hits)

    # the lecturer opened the link a little before the class: the server settles (a page
    # pool, when there is one, fills meanwhile); then a student is in and moving a slider
    await asyncio.to_thread(browser.wait_until_idle, 30.0, 60.0)
    await asyncio.sleep(SETTLE_S)
    student = Student(base)
    runner = asyncio.create_task(student.run())
    await asyncio.sleep(4.0)
    before_end = time.perf_counter()
    ready_all, during_all = [], []
    for wave in range(waves):
        start = time.perf_counter()
        results = await asyncio.gather(*(open_timed(base, tab) for _ in range(arrivals)),
                                       return_exceptions=True)
        end = time.perf_counter()
        ok = [r for r in results if not isinstance(r, BaseException)]
        errors = [repr(r)[:200] for r in results if isinstance(r, BaseException)]
        ready = [seconds for _, seconds in ok]
        hits = sum(session.pool == "hit" for session, _ in ok)
        during = student.latencies(start, end)
        ready_all += ready
        during_all += during
        emit(bench="arrival_wave", wave=wave + 1, arrivals=arrivals, ready=ms(ready),
             built_ahead=hits,
             wave_s=round(end - start, 2), in_class_slider=ms(during), errors=errors)
        await asyncio.gather(*(session.close() for session, _ in ok))
        if wave + 1 < waves:  # the class settles before the next one arrives
            student.active.clear()
            await asyncio.sleep(2.0)
            await asyncio.to_thread(browser.wait_until_idle, 30.0, 60.0)
            await asyncio.sleep(SETTLE_S)
            student.active.set()
            await asyncio.sleep(4.0)
    student.stop()
    await runner
    emit(bench="arrival_wave_summary", arrivals=arrivals, waves=waves, ready=ms(ready_all),
         ready_target_p95_ms=1000,
         in_class_slider_during=ms(during_all), in_class_target_p95_ms=250,
         in_class_slider_before=ms(student.latencies(0, before_end)))


#: pages built ahead per link, as `make run` serves (Makefile POOL)
MAKE_RUN_POOL = 12


def run(arrivals: int = 12, procs: int | None = None, waves: int = 5, tab: int | None = None,
        pool: int = MAKE_RUN_POOL) -> None:
    procs = procs or browser.default_procs()
    port = browser.free_port()
    environ = dict(os.environ, LEARNING_PHASES_POOL=str(pool))
    with browser.served(browser.serve_command(port, procs=procs), port, timeout=180,
                        env=environ) as url:
        emit(bench="wave_server", procs=procs, page_pool=pool,
             settled_s=round(browser.wait_until_idle(), 1))
        asyncio.run(measure(url, arrivals, waves, tab))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arrivals", type=int, default=12)
    parser.add_argument("--procs", type=int, default=None,
                        help="panel serve --num-procs (default: as make run)")
    parser.add_argument("--waves", type=int, default=5)
    parser.add_argument("--tab", type=int, default=None,
                        help="the explorer tab the class opens (default: the plain link)")
    parser.add_argument("--pool", type=int, default=MAKE_RUN_POOL,
                        help="pages built ahead per link (LEARNING_PHASES_POOL; 0: none; "
                             "default: as make run)")
    args = parser.parse_args(argv)
    run(args.arrivals, args.procs, args.waves, args.tab, args.pool)


if __name__ == "__main__":
    main()
