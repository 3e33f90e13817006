"""Sessions on a real Bokeh server in this process: a closed page is discarded and its
explorer stops; pages do not share state."""

import asyncio
import contextlib
import socket
from urllib.parse import parse_qs

import panel as pn
import pytest
from panel.io.location import Location

from bench.browser import free_port
from bench.load import Session
from dashboards import SpikedExplorer
from dashboards.base import restore_query
from tests.waiting import run_async, wait_until

# A page's session lives from its request until its websocket connects, then while it is
# connected, then LIFETIME_MS more. (On a slow machine the websocket may come after that:
# the server then builds the page again, as a second worker would; the tests allow it.)
LIFETIME_MS = 2000


@contextlib.contextmanager
def serving(page):
    """``page`` served as /app on a free port, pages discarded LIFETIME_MS after they
    close; yields the base URL."""
    port = free_port()
    thread = pn.serve({"app": page}, port=port, address="127.0.0.1", show=False, threaded=True,
                      websocket_origin=[f"127.0.0.1:{port}"],
                      check_unused_sessions_milliseconds=250,
                      unused_session_lifetime_milliseconds=LIFETIME_MS)
    try:
        wait_until(lambda: _listening(port), timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        thread.stop()


@pytest.fixture
def server():
    explorers: list[SpikedExplorer] = []

    def page():
        explorer = SpikedExplorer()
        explorers.append(explorer)
        return explorer

    with serving(page) as base:
        yield base, explorers


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def _open(base):
    session = Session(base, tab=0)
    await session.open()
    return session


def test_a_closed_page_is_discarded_and_its_explorer_stops(server):
    base, explorers = server

    async def open_and_close():
        session = await _open(base)
        await session.close()

    run_async(open_and_close())
    assert explorers
    wait_until(lambda: all(e._closed.is_set() for e in explorers), timeout=30)


def test_an_open_page_is_kept_while_its_websocket_lives(server):
    base, explorers = server

    async def stay_open():
        session = await _open(base)
        await asyncio.sleep(2 * LIFETIME_MS / 1000 + 1)  # several discard checks
        slider = session.find("Slider", title="Sparsity ρ")
        source = session.find("ColumnDataSource", name="spiked-curves")
        changed = session.expect_change(source)
        await session.set_value(slider, 0.3)
        await asyncio.wait_for(changed, 30)
        live = [e for e in explorers if not e._closed.is_set()]
        await session.close()
        return live

    live = run_async(stay_open())
    assert len(live) == 1  # the connected page's explorer, and it got the value
    assert live[0].rho == pytest.approx(0.3)


def test_two_pages_do_not_share_controls(server):
    base, explorers = server

    async def two_pages():
        first, second = await _open(base), await _open(base)
        slider = first.find("Slider", title="Sparsity ρ")
        changed = first.expect_change(first.find("ColumnDataSource", name="spiked-curves"))
        await first.set_value(slider, 0.4)
        await asyncio.wait_for(changed, 30)
        live = [e.rho for e in explorers if not e._closed.is_set()]
        await first.close()
        await second.close()
        return live

    live = run_async(two_pages())
    assert sorted(live) == pytest.approx([SpikedExplorer.param.rho.default, 0.4])


def test_a_lost_query_is_restored_from_the_session_arguments():
    location = Location()
    arguments = {"tab": [b"2"], "lr": [b"1.5"], "note": ["caf\u00e9".encode()]}
    assert restore_query(location, arguments)
    assert parse_qs(location.search.lstrip("?")) == {"tab": ["2"], "lr": ["1.5"],
                                                      "note": ["caf\u00e9"]}


def test_a_present_query_is_kept_and_no_arguments_change_nothing():
    location = Location()
    location.search = "?tab=1"
    assert not restore_query(location, {"tab": [b"3"]})
    assert location.search == "?tab=1"
    empty = Location()
    assert not restore_query(empty, {})
    assert not restore_query(None, {"tab": [b"3"]})
    assert empty.search == ""


@pytest.mark.parametrize("explorer_class", ["SpikedExplorer", "GlmExplorer",
                                            "DiffusionExplorer"])
def test_a_closed_page_is_freed(explorer_class):
    """Nothing process-wide keeps a closed page alive: its explorer is garbage once its
    session is discarded. (Panel's registry of JS callbacks held every page whose callbacks'
    arguments lead back to their widget, the copy button's and Panel's editable sliders';
    the registry of upload refusals held the diffusion explorer by its method.)"""
    import gc
    import weakref

    import dashboards

    pages = []

    def page():
        explorer = getattr(dashboards, explorer_class)()
        pages.append(weakref.ref(explorer))
        return explorer

    async def open_and_close(base):
        for _ in range(2):
            session = await _open(base)
            await session.close()

    def first_page_freed():
        gc.collect()
        return pages[0]() is None

    with serving(page) as base:
        run_async(open_and_close(base))
        wait_until(first_page_freed, timeout=30)
