"""`python -m bench.load`: simulated users against a served app; prints one JSON object.

Every user is a real Bokeh session, opened the way a browser opens it: GET the page (the server
builds the session), connect the websocket with the page's token, pull the document and
announce it ready. Then it moves one slider of its explorer to a random value on the slider's
grid, waits for the server to send the changed plot data, thinks for a while and moves it
again. The latency is from sending the slider value to receiving the changed data source.
A few users instead press "Run" on a finite-size simulation in a loop, so the others'
latency is measured while simulations run.

The load runs in rounds: all users open their pages, work for ``--duration`` seconds and
close them; the server's memory is read after the sessions have been discarded. The first
round is the warm-up (caches fill); memory after the later rounds must stay flat.

    python -m bench.load --users 25 --duration 60 --rounds 3 --procs 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import re
import sys
import time
import urllib.request
from dataclasses import dataclass, field

import numpy as np
import psutil
from bokeh.protocol import Protocol
from bokeh.protocol.receiver import Receiver
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from . import browser

UPDATE_TIMEOUT_S = 15.0  # a slider change without an update within this is an error
LATE_WAIT_S = 60.0
SIMULATION_TIMEOUT_S = 180.0
OPEN_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class SliderPlan:
    """Move the slider titled ``control`` of explorer ``tab``; ``source`` must change."""

    tab: int
    explorer: str
    control: str
    source: str


@dataclass(frozen=True)
class SimulationPlan:
    """Press the button labelled ``button`` of explorer ``tab``; ``source`` gets the runs."""

    tab: int
    explorer: str
    button: str
    source: str


SLIDER_PLANS = (
    SliderPlan(0, "spiked", "Sparsity ρ", "spiked-curves"),
    SliderPlan(1, "glm", "Label noise Δ", "glm-curves"),
    SliderPlan(2, "online", "Learning rate η", "sgd-eps"),
    SliderPlan(3, "diffusion", "Class separation |μ|", "dm-curves"),
)
SIMULATION_PLANS = (
    SimulationPlan(0, "spiked", "Run AMP", "spiked-amp"),
    SimulationPlan(2, "online", "Run SGD", "sgd-runs"),
)


# -- the Bokeh websocket protocol, as BokehJS speaks it --------------------------------------
_message_ids = itertools.count()


def _event(name: str, entries: list | None = None) -> dict:
    return {"kind": "MessageSent", "msg_type": "bokeh_event",
            "msg_data": {"type": "event", "name": name,
                         "values": {"type": "map", "entries": entries or []}}}


def _models(node, out: dict) -> dict:
    """Every model of a serialised document, by id."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "id" in node:
            out[node["id"]] = node
        for value in node.values():
            _models(value, out)
    elif isinstance(node, list):
        for value in node:
            _models(value, out)
    return out


class Session:
    """One page: a websocket to the server and a reader that dispatches its messages."""

    def __init__(self, base: str, tab: int | None = None, query: str = ""):
        """The page of ``base``'s app at ``tab`` with ``query`` (neither: the plain link)."""
        self.base, self.tab, self.query = base, tab, query
        self.models: dict[str, dict] = {}
        self.errors: list[str] = []
        self._ws = None
        self._receiver = Receiver(Protocol())
        self._reader: asyncio.Task | None = None
        self._pulled: asyncio.Future | None = None
        self._waiting: dict[str, asyncio.Future] = {}
        #: whether the server handed out a page built ahead ("hit"), built it ("miss"), or
        #: has no page pool (None): its X-Page-Pool header
        self.pool: str | None = None

    async def open(self) -> None:
        page = await asyncio.to_thread(self._get_page)
        token = re.search(r'"token":\s*"([^"]+)"', page)
        if token is None:
            raise RuntimeError("no session token in the page")
        ws_url = self.base.replace("http://", "ws://") + "/app/ws"
        request = HTTPRequest(ws_url, headers={"Origin": self.base})
        self._ws = await websocket_connect(request, subprotocols=["bokeh", token.group(1)],
                                           max_message_size=64 * 2**20)
        # a message goes out as three frames: without this, Nagle's algorithm holds the last
        # ones for the server's delayed acknowledgement (~40 ms), which no browser waits for
        self._ws.stream.set_nodelay(True)
        ack = await self._next_message()
        if ack.msgtype != "ACK":
            raise RuntimeError(f"expected ACK, got {ack.msgtype}")
        self._pulled = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())
        await self._send("PULL-DOC-REQ", {})
        doc = await self._pulled
        _models(doc, self.models)
        await self._send("PATCH-DOC", {"events": [_event("document_ready")]})

    def _get_page(self) -> str:
        query = "&".join(([] if self.tab is None else [f"tab={self.tab}"])
                         + ([self.query] if self.query else []))
        with urllib.request.urlopen(f"{self.base}/app" + (f"?{query}" if query else ""),
                                    timeout=OPEN_TIMEOUT_S) as response:
            self.pool = response.headers.get("X-Page-Pool")
            return response.read().decode()

    async def close(self) -> None:
        """Close the websocket as a browser tab does, and wait until it is closed."""
        if self._ws is not None:
            self._ws.close()
        if self._reader is not None:
            # the reader ends when the server acknowledges the close
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._reader, 10)
        elif self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.read_message(), 10)

    def find(self, kind: str, **attributes) -> str:
        for model_id, node in self.models.items():
            attrs = node.get("attributes", {})
            if kind in node["name"] and all(attrs.get(k) == v for k, v in attributes.items()):
                return model_id
        raise LookupError(f"no {kind} with {attributes} in the page")

    async def set_value(self, model_id: str, value) -> None:
        # a released slider sends both, as BokehJS does
        await self._send("PATCH-DOC", {"events": [
            {"kind": "ModelChanged", "model": {"id": model_id}, "attr": "value", "new": value},
            {"kind": "ModelChanged", "model": {"id": model_id}, "attr": "value_throttled",
             "new": value}]})

    async def click(self, model_id: str) -> None:
        await self._send("PATCH-DOC", {"events": [
            _event("button_click", [["model", {"id": model_id}]])]})

    def expect_change(self, model_id: str) -> asyncio.Future:
        """A future that resolves at the next server patch touching ``model_id``."""
        future = asyncio.get_running_loop().create_future()
        self._waiting[model_id] = future
        return future

    async def _send(self, msgtype: str, content: dict) -> None:
        header = {"msgid": str(next(_message_ids)), "msgtype": msgtype}
        for part in (header, {}, content):
            await self._ws.write_message(json.dumps(part))

    async def _next_message(self):
        while True:
            fragment = await self._ws.read_message()
            if fragment is None:
                raise ConnectionError("the server closed the websocket")
            message = await self._receiver.consume(fragment)
            if message is not None:
                return message

    async def _read(self) -> None:
        try:
            while True:
                message = await self._next_message()
                now = time.perf_counter()
                if message.msgtype == "PULL-DOC-REPLY" and not self._pulled.done():
                    self._pulled.set_result(message.content["doc"])
                elif message.msgtype == "ERROR":
                    self.errors.append(f"server error: {message.content.get('text', '')[:200]}")
                elif message.msgtype == "PATCH-DOC":
                    for event in message.content.get("events", []):
                        model_id = (event.get("model") or {}).get("id")
                        future = self._waiting.pop(model_id, None)
                        if future is not None and not future.done():
                            future.set_result(now)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            for future in [*self._waiting.values(), self._pulled]:
                if future is not None and not future.done():
                    future.set_exception(exc)


# -- users ------------------------------------------------------------------------------------
@dataclass
class Tally:
    open_s: list[float] = field(default_factory=list)
    latency_s: dict[str, list[float]] = field(default_factory=dict)
    latency_during_simulation_s: list[float] = field(default_factory=list)
    latency_while_pages_open_s: list[float] = field(default_factory=list)
    latency_once_pages_open_s: list[float] = field(default_factory=list)
    opening: int = 0
    simulation_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    simulations_running: int = 0
    started: float = field(default_factory=time.perf_counter)


def _slider_grid(node: dict) -> list[float]:
    attrs = node["attributes"]
    start, end, step = attrs["start"], attrs["end"], attrs.get("step") or 1
    count = round((end - start) / step)
    return [round(start + k * step, 10) for k in range(count + 1)]


async def slider_user(base: str, plan: SliderPlan, seed: int, stop_at: float, think: tuple,
                      tally: Tally) -> None:
    rng = random.Random(seed)
    session = Session(base, plan.tab)
    try:
        t0 = time.perf_counter()
        tally.opening += 1
        try:
            await asyncio.wait_for(session.open(), OPEN_TIMEOUT_S)
        finally:
            tally.opening -= 1
        tally.open_s.append(time.perf_counter() - t0)
        slider = session.find("Slider", title=plan.control)
        source = session.find("ColumnDataSource", name=plan.source)
        grid = _slider_grid(session.models[slider])
        current = session.models[slider]["attributes"]["value"]
        await asyncio.sleep(rng.uniform(*think))
        while time.perf_counter() < stop_at:
            value = rng.choice([v for v in grid if v != current])
            changed = session.expect_change(source)
            during_simulation = tally.simulations_running > 0
            while_opening = tally.opening > 0
            sent = time.perf_counter()
            await session.set_value(slider, value)
            done, _ = await asyncio.wait({changed}, timeout=UPDATE_TIMEOUT_S)
            if not done:
                # late or lost? wait on, so that a late update is not taken for the next one
                done, _ = await asyncio.wait({changed}, timeout=LATE_WAIT_S)
                late = (f"it came {time.perf_counter() - sent:.1f} s after" if done else
                        f"none came in {UPDATE_TIMEOUT_S + LATE_WAIT_S:.0f} s")
                tally.errors.append(f"{plan.explorer}: no update within {UPDATE_TIMEOUT_S:.0f} s"
                                    f" of {plan.control} = {value} (from {current}; {late}; "
                                    f"{time.perf_counter() - tally.started:.0f} s into the "
                                    "round)")
                changed.cancel()
                current = value
                continue
            arrived = changed.result()
            latency = arrived - sent
            tally.latency_s.setdefault(plan.explorer, []).append(latency)
            if during_simulation and tally.simulations_running > 0:
                tally.latency_during_simulation_s.append(latency)
            if while_opening or tally.opening > 0:
                tally.latency_while_pages_open_s.append(latency)
            else:
                tally.latency_once_pages_open_s.append(latency)
            current = value
            await asyncio.sleep(rng.uniform(*think))
    except Exception as exc:
        tally.errors.append(f"{plan.explorer}: {type(exc).__name__}: {exc}")
    finally:
        tally.errors.extend(session.errors)
        await session.close()


async def simulation_user(base: str, plan: SimulationPlan, stop_at: float, tally: Tally) -> None:
    session = Session(base, plan.tab)
    try:
        await asyncio.wait_for(session.open(), OPEN_TIMEOUT_S)
        button = session.find("Button", label=plan.button)
        source = session.find("ColumnDataSource", name=plan.source)
        while time.perf_counter() < stop_at:
            changed = session.expect_change(source)
            tally.simulations_running += 1
            started = time.perf_counter()
            try:
                await session.click(button)
                arrived = await asyncio.wait_for(changed, SIMULATION_TIMEOUT_S)
                tally.simulation_s.append(arrived - started)
            except TimeoutError:
                tally.errors.append(f"{plan.explorer}: '{plan.button}' gave no result in "
                                    f"{SIMULATION_TIMEOUT_S:.0f} s")
            finally:
                tally.simulations_running -= 1
            await asyncio.sleep(1.0)
    except Exception as exc:
        tally.errors.append(f"{plan.explorer} simulation: {type(exc).__name__}: {exc}")
    finally:
        tally.errors.extend(session.errors)
        await session.close()


async def one_round(bases: list[str], users: int, simulators: int, duration: float, ramp: float,
                    think: tuple, seed: int) -> Tally:
    tally = Tally()
    stop_at = time.perf_counter() + ramp + duration

    async def delayed(delay, coroutine):
        await asyncio.sleep(delay)
        await coroutine

    tasks = []
    for k in range(users):
        delay = ramp * k / max(users, 1)
        base = bases[k % len(bases)]  # a sticky proxy's choice: one server per user
        if k < simulators:
            plan = SIMULATION_PLANS[k % len(SIMULATION_PLANS)]
            work = simulation_user(base, plan, stop_at, tally)
        else:
            plan = SLIDER_PLANS[k % len(SLIDER_PLANS)]
            work = slider_user(base, plan, seed * 1000 + k, stop_at, think, tally)
        tasks.append(asyncio.create_task(delayed(delay, work)))
    await asyncio.gather(*tasks)
    return tally


# -- the server ---------------------------------------------------------------------------------
def server_rss_mb(pid: int) -> float:
    """Resident memory of the server and its worker processes (``--num-procs``)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return float("nan")
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return total / 2**20


def percentiles_ms(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    ms = 1e3 * np.asarray(values)
    p50, p95 = np.percentile(ms, [50, 95])
    return {"count": len(values), "p50": round(float(p50), 1), "p95": round(float(p95), 1),
            "max": round(float(ms.max()), 1), "mean": round(float(ms.mean()), 1)}


def server_errors(log_path) -> list[str]:
    lines = log_path.read_text(errors="replace").splitlines()
    return [line[:300] for line in lines if "Traceback" in line or " ERROR" in line
            or "Exception" in line]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=25)
    parser.add_argument("--simulators", type=int, default=2,
                        help="how many of the users run simulations instead of moving sliders")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of work per round")
    parser.add_argument("--rounds", type=int, default=3, help="the first one is the warm-up")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds over which users arrive")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0),
                        help="seconds between two slider moves of a user (uniform)")
    parser.add_argument("--procs", type=int, default=1, help="panel serve --num-procs")
    parser.add_argument("--servers", type=int, default=1,
                        help="independent servers on their own ports; users are spread over "
                             "them as a sticky reverse proxy would")
    parser.add_argument("--settle", type=float, default=25.0,
                        help="seconds after a round for the server to discard closed sessions")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 500 or not 0 <= args.simulators <= args.users:
        parser.error("need 1 <= users <= 500 and 0 <= simulators <= users")
    if not 1 <= args.procs <= 16 or not 1 <= args.servers <= 16:
        parser.error("need 1 <= procs, servers <= 16")

    client = psutil.Process()
    with contextlib.ExitStack() as stack:
        bases, pids, logs = [], [], []
        for _ in range(args.servers):
            port = browser.free_port()
            command = browser.serve_command(port, procs=args.procs)
            bases.append(stack.enter_context(browser.served(command, port, timeout=180)))
            logs.append(browser.ROOT / f".server-{port}.log")
            pids.append(next(p.pid for p in psutil.process_iter(["pid", "cmdline"])
                             if p.info["cmdline"] and str(port) in p.info["cmdline"]
                             and p.pid != client.pid and "serve" in p.info["cmdline"]))

        def memory():
            return sum(server_rss_mb(pid) for pid in pids)

        rss = {"ready": round(memory(), 1)}
        rounds, total = [], Tally()
        for index in range(args.rounds):
            cpu0 = client.cpu_times()
            t0 = time.perf_counter()
            tally = asyncio.run(one_round(bases, args.users, args.simulators, args.duration,
                                          args.ramp, tuple(args.think), seed=index))
            wall = time.perf_counter() - t0
            cpu1 = client.cpu_times()
            peak = memory()
            time.sleep(args.settle)
            all_latency = [v for values in tally.latency_s.values() for v in values]
            print(f"round {index}: {wall:.0f} s, {len(tally.errors)} errors, server "
                  f"{memory():.0f} MB", file=sys.stderr, flush=True)
            rounds.append({
                "round": index, "warm_up": index == 0, "wall_s": round(wall, 1),
                "latency_ms": percentiles_ms(all_latency),
                "errors": len(tally.errors),
                "server_rss_mb_at_end": round(peak, 1),
                "server_rss_mb_after_settle": round(memory(), 1),
                "client_cpu_s": round((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system), 1),
            })
            if index > 0 or args.rounds == 1:
                total.open_s += tally.open_s
                for name, values in tally.latency_s.items():
                    total.latency_s.setdefault(name, []).extend(values)
                total.latency_during_simulation_s += tally.latency_during_simulation_s
                total.latency_while_pages_open_s += tally.latency_while_pages_open_s
                total.latency_once_pages_open_s += tally.latency_once_pages_open_s
                total.simulation_s += tally.simulation_s
            total.errors += tally.errors
        log_errors = [line for log in logs for line in server_errors(log)]

    measured = [r["server_rss_mb_after_settle"] for r in rounds[1:]] or [
        rounds[0]["server_rss_mb_after_settle"]]
    all_latency = [v for values in total.latency_s.values() for v in values]
    report = {
        "bench": "load", "users": args.users, "simulating_users": args.simulators,
        "procs": args.procs, "servers": args.servers, "rounds": args.rounds,
        "duration_s": args.duration, "think_s": list(args.think),
        "note": "latency: slider value sent -> changed plot data received (rounds after the "
                "warm-up); server memory summed over its processes",
        "latency_ms": percentiles_ms(all_latency),
        "latency_ms_by_explorer": {k: percentiles_ms(v) for k, v in total.latency_s.items()},
        "latency_ms_while_simulations_run": percentiles_ms(total.latency_during_simulation_s),
        "latency_ms_while_pages_open": percentiles_ms(total.latency_while_pages_open_s),
        "latency_ms_once_pages_open": percentiles_ms(total.latency_once_pages_open_s),
        "page_open_ms": percentiles_ms(total.open_s),
        "simulation_ms": percentiles_ms(total.simulation_s),
        "errors": len(total.errors) + len(log_errors),
        "error_examples": (total.errors + log_errors)[:10],
        "server_rss_mb": {**rss, "after_each_round": [r["server_rss_mb_after_settle"]
                                                      for r in rounds],
                          "growth_after_warm_up": round(measured[-1] - measured[0], 1)},
        "rounds_detail": rounds,
        "cpu_count": psutil.cpu_count(),
    }
    print(json.dumps(report), flush=True)
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
