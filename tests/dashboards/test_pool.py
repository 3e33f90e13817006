"""The pool of pages built ahead, on a real Bokeh server in this process: an arrival gets a
ready session of its link, pages stay independent, and another link is built as usual."""

import asyncio
import time

import panel as pn
import pytest

from bench.load import Session
from dashboards import SpikedExplorer, pool
from tests.waiting import run_async, wait_until

from .test_sessions import _listening, free_port


@pytest.fixture
def pooled_server(monkeypatch, request):
    built: list[tuple[float, SpikedExplorer]] = []

    def page():
        explorer = SpikedExplorer()
        explorer.sync_url()  # the link's query sets its controls
        built.append((time.monotonic(), explorer))
        return explorer

    monkeypatch.setattr(pool, "POOL", pool.SessionPool(size=2))
    monkeypatch.setattr(pool, "QUIET_S", 0.2)
    monkeypatch.setattr(pool, "QUIET_HALF_S", 0.4)
    monkeypatch.setattr(pool, "PAUSE_S", 0.1)
    server_options = dict(getattr(request, "param", {}))
    if not server_options.pop("expect_plain_links", False):
        # these tests follow links that pages ask for; the plain link's own pool is tested
        # on its own (test_the_plain_link_is_built_ahead_from_server_start)
        monkeypatch.setattr(pool.SessionPool, "expect_plain_links", lambda self, app: None)
    assert pool.install()
    port = free_port()
    thread = pn.serve({"app": page}, port=port, address="127.0.0.1", show=False, threaded=True,
                      websocket_origin=[f"127.0.0.1:{port}"], **server_options)
    try:
        wait_until(lambda: _listening(port), timeout=30)
        yield f"http://127.0.0.1:{port}", built
    finally:
        thread.stop()
        pool.uninstall()


def test_arrivals_get_pages_built_ahead_and_stay_independent(pooled_server):
    base, built = pooled_server

    async def scenario():
        first = Session(base, tab=0)
        await first.open()  # the link is new: built on request, and its pool fills
        await asyncio.to_thread(wait_until, lambda: pool.POOL.ready_count() == 2, 60)
        before = time.monotonic()
        second, third = Session(base, tab=0), Session(base, tab=0)
        await second.open()
        await third.open()
        sliders = [s.find("Slider", title="Sparsity ρ") for s in (second, third)]
        source = second.find("ColumnDataSource", name="spiked-curves")
        changed = second.expect_change(source)
        await second.set_value(sliders[0], 0.4)
        await asyncio.wait_for(changed, 30)
        for s in (first, second, third):
            await s.close()
        return before

    before = run_async(scenario())
    assert pool.POOL.handed_out == 2
    assert pool.POOL.prepared_pulls == 2  # their documents were serialised ahead, and work
    # the two arrivals' pages existed before they asked: no explorer built for them then
    # (later ones are the pool refilling itself)
    ahead = [e for t, e in built if t < before]
    assert len(ahead) == 3  # the first page and the two pooled ones
    rhos = sorted(e.rho for _, e in built[:3])
    assert rhos == pytest.approx([0.05, 0.05, 0.4])  # only the moved page changed


@pytest.mark.parametrize("pooled_server", [{"expect_plain_links": True}], indirect=True)
def test_the_plain_link_is_built_ahead_from_server_start(pooled_server):
    """The link a lecturer hands out has its pages built from server start: even the first
    visitor is handed a page built ahead, with its document serialised ahead."""
    base, built = pooled_server
    wait_until(lambda: pool.POOL.ready_count() == 2, 60)  # nobody asked for a page yet
    assert [link for link in pool.POOL.links] == [("/app", "")]

    async def scenario():
        first = Session(base)
        await first.open()
        source = first.find("ColumnDataSource", name="spiked-curves")
        changed = first.expect_change(source)
        await first.set_value(first.find("Slider", title="Sparsity ρ"), 0.4)
        await asyncio.wait_for(changed, 30)
        await first.close()
        return first

    first = run_async(scenario())
    assert first.pool == "hit"
    assert pool.POOL.handed_out == 1
    assert pool.POOL.prepared_pulls == 1
    assert built[0][1].rho == pytest.approx(0.4)  # the first page built ahead is the one used


def test_another_link_is_built_on_request(pooled_server):
    base, built = pooled_server

    async def scenario():
        plain = Session(base, tab=0)
        await plain.open()
        await asyncio.to_thread(wait_until, lambda: pool.POOL.ready_count() == 2, 60)
        other = Session(base, tab=0, query="rho=0.3")
        await other.open()
        slider = other.find("Slider", title="Sparsity ρ")
        value = other.models[slider]["attributes"]["value"]
        await plain.close()
        await other.close()
        return value

    assert run_async(scenario()) == pytest.approx(0.3)
    assert pool.POOL.handed_out == 0
    assert any(e.rho == pytest.approx(0.3) for _, e in built)  # built for that link


# the server's clean-up of unused sessions every 100 ms, after 300 ms without a page
@pytest.mark.parametrize("pooled_server", [{"check_unused_sessions_milliseconds": 100,
                                            "unused_session_lifetime_milliseconds": 300}],
                         indirect=True)
def test_a_page_handed_out_is_kept_until_it_connects(pooled_server, monkeypatch):
    """A pooled session was unused since it was built: handed out, it must survive the
    server's clean-up until its page's websocket connects (else that page waits for a
    rebuild, and the old one is garbage-collected under everyone's feet)."""
    base, built = pooled_server
    get_page = Session._get_page

    def slow_page(self):  # a browser loading scripts before it opens the websocket
        page = get_page(self)
        time.sleep(1.0)
        return page

    async def scenario():
        first = Session(base, tab=0)
        await first.open()
        await asyncio.to_thread(wait_until, lambda: pool.POOL.ready_count() == 2, 60)
        await asyncio.sleep(0.5)  # the pooled pages are older than the unused lifetime
        count = len(built)
        monkeypatch.setattr(Session, "_get_page", slow_page)
        late = Session(base, tab=0)
        await late.open()
        rebuilt = len(built) - count
        await late.close()
        await first.close()
        return late.pool, rebuilt

    answer, rebuilt = run_async(scenario())
    assert answer == "hit"
    assert pool.POOL.prepared_pulls == 1  # the page pulled the session it was handed
    assert rebuilt <= 1  # at most the pool's own refill, not a rebuild for the page


def test_a_page_handed_out_late_gets_a_fresh_token(pooled_server, monkeypatch):
    """A pooled page may wait longer than a token lives: its token is issued when it is
    handed out, so its websocket is still accepted."""
    from bokeh.util.token import get_token_payload

    base, _ = pooled_server

    async def scenario():
        first = Session(base, tab=0)
        await first.open()
        await asyncio.to_thread(wait_until, lambda: pool.POOL.ready_count() == 2, 60)
        pooled = next(iter(pool.POOL.links.values())).ready[0][1]
        built_token = pooled.token
        await asyncio.sleep(1.1)  # token expiry has a one-second resolution
        late = Session(base, tab=0)
        await late.open()  # would fail on an expired token
        await late.close()
        await first.close()
        return built_token, pooled.token

    built_token, handed_token = run_async(scenario())
    assert pool.POOL.handed_out == 1
    assert handed_token != built_token
    assert get_token_payload(handed_token)["session_expiry"] > \
        get_token_payload(built_token)["session_expiry"]


class _Session:  # what the prepared pull reads of a Bokeh ServerSession
    def __init__(self, document):
        self.document = document


def _prepared_session():
    import json

    from bokeh.document import Document
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, Slider

    doc = Document()
    slider = Slider(start=0, end=1, value=0.25, step=0.05, title="ρ")
    source = ColumnDataSource({"x": [1.0, 2.0]}, name="curve")
    doc.add_root(column(slider, name="page"))
    doc.add_root(source)
    session = _Session(doc)
    pool.prepare_pull(session)

    def sent(reply):
        content = json.loads(reply.content_json)["doc"]
        return {r["id"]: r for r in content["roots"]}

    return session, slider, source, sent


def test_the_first_pull_of_a_pooled_page_is_the_document_serialised_ahead():
    session, _, _, sent = _prepared_session()
    reply = pool.take_prepared_pull(session, "request-7")
    assert reply is not None
    assert reply.header["reqid"] == "request-7"
    roots = sent(reply)
    assert set(roots) == {r.id for r in session.document.roots}
    page = roots[session.document.roots[0].id]
    assert page["attributes"]["children"][0]["attributes"]["value"] == 0.25
    assert pool.take_prepared_pull(session, "again") is None  # one pull only


@pytest.mark.parametrize("change", ["set", "held", "root"])
def test_a_pooled_page_changed_since_it_was_serialised_is_pulled_afresh(change):
    from bokeh.models import Div

    session, slider, source, _ = _prepared_session()
    if change == "set":
        slider.value = 0.5
    elif change == "held":  # a change held back (pn.io.hold) is a change too
        session.document.hold("combine")
        source.data = {"x": [3.0]}
    else:
        session.document.add_root(Div(text="more"))
    assert pool.take_prepared_pull(session, "request-8") is None
