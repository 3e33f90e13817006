"""The served app as production runs it (`make run`'s command line): hardening and the
websocket protocol the load benchmark speaks."""

import asyncio
import os
import re
import time
import urllib.error
import urllib.request

import psutil
import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from bench.browser import JS_WATCH_SOURCE, free_port, serve_command, served
from bench.load import Session
from tests.waiting import run_async

from .test_spiked_page import open_page, source

pytestmark = pytest.mark.ui


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _base(app_url: str) -> str:
    return app_url.rsplit("/app", 1)[0]


def test_liveness_answers_and_no_debug_endpoint_is_exposed(app_url):
    base = _base(app_url)
    assert _status(base + "/liveness") == 200
    for path in ("/admin", "/admin/", "/admin/overview", "/profiler", "/app/autoload.js?x=1"):
        status = _status(base + path)
        assert status in (400, 403, 404), f"{path} answered {status}"


async def _open_websocket(base: str, origin: str):
    with urllib.request.urlopen(base + "/app", timeout=60) as response:
        token = re.search(r'"token":\s*"([^"]+)"', response.read().decode()).group(1)
    request = HTTPRequest(base.replace("http://", "ws://") + "/app/ws",
                          headers={"Origin": origin})
    ws = await websocket_connect(request, subprotocols=["bokeh", token])
    ws.close()
    while await asyncio.wait_for(ws.read_message(), 10) is not None:  # until closed
        pass


def test_websocket_from_another_origin_is_refused(app_url):
    base = _base(app_url)
    run_async(_open_websocket(base, base))  # the served address is accepted
    with pytest.raises(HTTPClientError) as refused:
        run_async(_open_websocket(base, "http://evil.example:5006"))
    assert refused.value.code == 403


async def _move_slider(base: str) -> dict:
    session = Session(base, tab=0)
    await session.open()
    try:
        slider = session.find("Slider", title="Sparsity ρ")
        source = session.find("ColumnDataSource", name="spiked-curves")
        changed = session.expect_change(source)
        await session.set_value(slider, 0.2)
        await asyncio.wait_for(changed, 30)
        return {"errors": session.errors}
    finally:
        await session.close()


def test_a_protocol_client_moves_a_slider_and_gets_new_data(app_url):
    """What `bench/load.py` measures: a slider value sent over the websocket comes back as
    changed plot data."""
    assert run_async(_move_slider(_base(app_url))) == {"errors": []}


@pytest.fixture(scope="module")
def two_workers():
    """`make run PROCS=2`: two worker processes forked after the warm-up."""
    port = free_port()
    with served(serve_command(port, procs=2), port, timeout=180) as base:
        yield base


async def _open_from_link(base: str) -> list:
    session = Session(base, tab=2, query="sgd_lr=1.5")
    await session.open()
    try:
        slider = session.find("Slider", title="Learning rate η")
        return [session.models[slider]["attributes"]["value"], session.errors]
    finally:
        await session.close()


def test_with_two_worker_processes_every_page_keeps_its_link(two_workers):
    """The websocket may reach the worker that did not build the page; that worker must
    still build the page the link asks for."""

    async def open_many():
        return await asyncio.gather(*[_open_from_link(two_workers) for _ in range(8)])

    assert run_async(open_many()) == [[1.5, []]] * 8


async def _run_amp(base: str) -> list:
    session = Session(base, tab=0)
    await session.open()
    try:
        changed = session.expect_change(session.find("ColumnDataSource", name="spiked-amp"))
        await session.click(session.find("Button", label="Run AMP"))
        await asyncio.wait_for(changed, 180)
        return session.errors
    finally:
        await session.close()


def test_a_stopped_server_leaves_no_process_behind():
    """Neither the `--num-procs` workers (forked) nor the simulation workers (spawned)
    outlive the server."""
    port = free_port()
    with served(serve_command(port, procs=2), port, timeout=180) as base:
        assert run_async(_run_amp(base)) == []
        server = next(p for p in psutil.process_iter(["cmdline"])
                      if "serve" in (p.info["cmdline"] or [])
                      and str(port) in (p.info["cmdline"] or []))
        group = [server, *server.children(recursive=True)]
        assert len(group) >= 5  # the server, 2 forked workers, >= 2 simulation workers
    _, alive = psutil.wait_procs(group, timeout=15)
    assert alive == []


@pytest.fixture(scope="module")
def pooled_app_url():
    """The served app with its page pool switched on (LEARNING_PHASES_POOL)."""
    port = free_port()
    environ = dict(os.environ, LEARNING_PHASES_POOL="4")
    with served(serve_command(port), port, env=environ) as url:
        yield url + "/app"


def test_pages_of_a_link_come_built_ahead_and_work(browser, pooled_app_url):
    """The page pool of the served app: once a link was opened and the server was quiet, the
    next arrivals are handed pages built ahead, and such a page works like any other, with no
    error and no request leaving the machine."""
    link = f"{pooled_app_url}?tab=0&quantity=overlap"

    def pool_header():
        with urllib.request.urlopen(link, timeout=60) as response:
            response.read()
            return response.headers.get("X-Page-Pool")

    assert pool_header() == "miss"  # a link nobody asked for yet is built on request
    deadline = time.monotonic() + 90
    while pool_header() != "hit":  # filled while the server is quiet
        assert time.monotonic() < deadline, "no page of the link was built ahead"
        time.sleep(3)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.console_messages_seen = []
    page.on("console", lambda m: page.console_messages_seen.append((m.type, m.text)))
    page.on("pageerror", lambda e: page.console_messages_seen.append(("pageerror", str(e))))
    try:
        open_page(page, link, ready="spiked-landscape", timeout=60_000)
        page.wait_for_timeout(1000)
        assert page.blocked == []
        assert [m for m in page.console_messages_seen if m[0] in ("error", "pageerror")] == []
        before = source(page, "spiked-landscape")
        page.evaluate(JS_WATCH_SOURCE, "spiked-landscape")
        page.locator(".param-snr .noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => window.__changes['spiked-landscape'].length > 0",
                               timeout=30_000)
        assert source(page, "spiked-landscape") != before
    finally:
        context.close()
