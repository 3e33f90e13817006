"""Hostile links: the page's query is cleaned before Panel parses it (``dashboards.links``), so
that any link builds a working page that says what it dropped."""

import asyncio
import urllib.parse

import numpy as np
import panel as pn
import pytest
from panel.io.location import Location

from bench.load import Session
from dashboards import DiffusionExplorer, GlmExplorer, OnlineExplorer, SpikedExplorer, links
from tests.waiting import run_async, wait_until

from .test_sessions import _listening, free_port

SCHEMA = links.schema_of([SpikedExplorer, GlmExplorer, OnlineExplorer, DiffusionExplorer],
                         {"tab": "integer", "lecture": "boolean"})

# (query, the key that must be dropped, why)
DROPPED = [
    ("rho=\u0661\u0662", "rho", "not a plain number"),  # Arabic-Indic digits
    ("rho=\uff15", "rho", "not a plain number"),  # a full-width 5
    ("anything=\u00b3", "anything", "not a plain number"),  # int() raises on '³'
    ("unknown=\u0665", "unknown", "not a plain number"),
    ("rho=" + "1" * 5000, "rho", "too long"),  # Python's integer-string limit is 4,300
    ("unknown=" + "9" * 5000, "unknown", "too long"),
    ("glm_rho=true", "glm_rho", "not a number"),
    ("sgd_lr=false", "sgd_lr", "not a number"),
    ("dm_seed=true", "dm_seed", "not a whole number"),
    ("amp_n=True", "amp_n", "not a whole number"),
    ("tab=true", "tab", "not a whole number"),
    ("tab=" + "9" * 25, "tab", "far too large"),
    ("lecture=1", "lecture", "not true or false"),
    ("snr_range=[true, 2]", "snr_range", "not a range"),
    ("glm_alpha_range=[1e999, 2]", "glm_alpha_range", "not a range"),
    ("rho=nan", "rho", "not a number"),
    ("rho=1e999", "rho", "not a finite number"),
    ("x" * 100 + "=1", "x" * 10, "name is too long"),
]


@pytest.mark.parametrize(("query", "key", "why"), DROPPED)
def test_each_hostile_pair_is_dropped_with_a_note(query, key, why):
    search, notes = links.clean_query("?" + urllib.parse.quote(query, safe="=&"), SCHEMA)
    assert search == ""
    assert len(notes) == 1
    assert f"`{key}" in notes[0]
    assert why in notes[0]


def test_good_values_are_kept_as_they_are():
    query = "rho=0.3&snr_range=[0.5, 2]&amp_n=3000&glm_log_scale=true&prior=gaussian&tab=1" \
            "&theme=dark&glm_task=Binary perceptron&dm_n=500&utm_source=mail&blank="
    search, notes = links.clean_query("?" + urllib.parse.urlencode(
        urllib.parse.parse_qsl(query, keep_blank_values=True)), SCHEMA)
    assert notes == []
    kept = dict(urllib.parse.parse_qsl(search.lstrip("?")))
    assert kept == {k: v for k, v in urllib.parse.parse_qsl(query) if v}


def test_too_many_pairs_are_cut():
    search, notes = links.clean_query("?" + "&".join(f"k{i}=1" for i in range(500)), SCHEMA)
    assert len(urllib.parse.parse_qsl(search.lstrip("?"))) == links.MAX_PAIRS
    assert notes == [f"436 settings after the first {links.MAX_PAIRS}"]


def test_notes_never_let_markup_through():
    hostile = "`<img src=x onerror=alert(1)>`"
    _, notes = links.clean_query("?" + urllib.parse.urlencode({hostile: "\u00b3"}), SCHEMA)
    text = links.notes_text(notes)
    assert text.count("`") == 2  # one code span: the link's text stays inside it
    html = pn.pane.Markdown(text)._transform_object(text)["object"]
    assert "&lt;img" not in html.replace("&amp;lt;img", "")  # escaped inside <code>


def test_an_explorer_reports_what_it_dropped_and_what_it_clamped():
    explorer = SpikedExplorer()
    location = Location(search="?rho=true&amp_n=99999999&snr_range=[3, 1]")
    explorer.sync_url(location)
    assert explorer.rho == SpikedExplorer.param.rho.default
    assert explorer.amp_n == SpikedExplorer.param.amp_n.bounds[1]
    assert explorer.snr_range == (1.0, 3.0)
    text = explorer.message.object
    assert "`rho=true` (not a number)" in text
    assert "`amp_n=99999999` is out of range" in text


# -- a real Bokeh server: the cleaning comes before Panel's own parsing --------------------
@pytest.fixture(scope="module")
def server():
    built = []

    def page():
        notes = links.clean_session_query(SCHEMA)  # what app.build_page does first
        location = pn.state.location  # Panel parses the (cleaned) query here
        explorer = SpikedExplorer()
        explorer.sync_url()
        built.append((dict(pn.state.session_args), location.search, explorer))
        alert = pn.pane.Alert(links.notes_text(notes) if notes else "", name="link-notice")
        return pn.Column(alert, pn.widgets.StaticText(value=pn.config.theme), explorer)

    port = free_port()
    thread = pn.serve({"app": page}, port=port, address="127.0.0.1", show=False, threaded=True,
                      websocket_origin=[f"127.0.0.1:{port}"])
    try:
        wait_until(lambda: _listening(port), timeout=30)
        yield f"http://127.0.0.1:{port}", built
    finally:
        thread.stop()


def page_text(session: Session) -> str:
    """The text of every Markdown / HTML pane of a page."""
    texts = [n["attributes"].get("text") or n["attributes"].get("object")
             for n in session.models.values() if "Markdown" in n["name"] or "HTML" in n["name"]]
    return " ".join(t for t in texts if isinstance(t, str))


async def _open(base: str, query: str) -> tuple[list, str]:
    session = Session(base, tab=0, query=query)
    await session.open()
    try:
        return session.errors, page_text(session)
    finally:
        await session.close()


@pytest.mark.parametrize("query", [
    "x=%C2%B3", "rho=%D9%A1%D9%A2", "zz=" + "9" * 5000, "rho=true", "tab=true&amp_n=false",
    "theme=%FF%FE&x=%C2%B3", "rho=0.3&x=%EF%BC%95",
])
def test_any_link_builds_a_page_that_says_what_it_dropped(server, query):
    base, built = server
    count = len(built)
    errors, text = run_async(_open(base, query))
    assert errors == []
    assert len(built) > count  # the page was built, not a traceback
    arguments, search, explorer = built[-1]
    assert "could not be used" in text  # the page says what it dropped
    # what Panel and the explorers read is the cleaned query
    for values in arguments.values():
        for value in values:
            assert links.clean_pairs([("k", value.decode())], {})[1] == []
    assert links.clean_query(search, SCHEMA)[1] == []
    if "rho=0.3" in query:
        assert explorer.rho == pytest.approx(0.3)  # and the good part of the link is used


def test_a_clean_link_is_used_and_says_nothing(server):
    base, built = server
    errors, text = run_async(_open(base, "rho=0.4&amp_n=3000"))
    assert errors == []
    assert "could not be used" not in text
    explorer = built[-1][2]
    assert explorer.rho == pytest.approx(0.4)
    assert explorer.amp_n == 3000


def test_many_hostile_links_at_once(server):
    base, _ = server
    queries = [q for q, _, _ in DROPPED]

    async def all_at_once():
        return await asyncio.gather(*[_open(base, urllib.parse.quote(q, safe="=&"))
                                      for q in queries])

    for (errors, text), query in zip(run_async(all_at_once()), queries, strict=True):
        assert errors == [], query
        assert "could not be used" in text, query


def test_the_address_a_page_sends_back_is_cleaned_too(server):
    """Once loaded, the browser sends its own address (the raw link) to the server's
    Location, and any client can send any address at any time."""
    base, built = server

    async def scenario():
        session = Session(base, tab=0, query="rho=0.2")
        await session.open()
        try:
            location = session.find("Location")
            await session._send("PATCH-DOC", {"events": [{
                "kind": "ModelChanged", "model": {"id": location}, "attr": "search",
                "new": "?rho=%C2%B3&amp_n=true&x=" + "9" * 5000 + "&snr=1.25"}]})
            explorer = built[-1][2]
            await asyncio.to_thread(wait_until, lambda: explorer.snr == pytest.approx(1.25), 30)
            return session.errors, explorer
        finally:
            await session.close()

    errors, explorer = run_async(scenario())
    assert errors == []
    assert explorer.rho == pytest.approx(0.2)
    assert explorer.amp_n == SpikedExplorer.param.amp_n.default


def test_links_carry_no_float_noise_and_round_trip():
    # a slider's value arrives with binary noise (0.1 + 0.2, a step added in floats)
    explorer = SpikedExplorer()
    location = Location(search="")
    explorer.sync_url(location)
    explorer.param.update(snr_range=(0.1 + 0.2, 1.6000000000000003), snr=0.1 + 0.7 * 1.5)
    query = dict(urllib.parse.parse_qsl(location.search.lstrip("?")))
    assert query["snr"] == "1.15"  # on the slider's 0.005 grid, without the noise
    assert query["snr_range"] == "[0.3, 1.6]"
    explorer.snr = 0.7071067811865476  # off the grid (a link or a preset): kept, 12 digits
    query = dict(urllib.parse.parse_qsl(location.search.lstrip("?")))
    assert query["snr"] == "0.707106781187"
    # the link opens the same view
    opened = SpikedExplorer()
    opened.sync_url(Location(search=location.search))
    assert opened.snr == pytest.approx(explorer.snr, rel=1e-11)
    assert opened.snr_range == pytest.approx(explorer.snr_range, rel=1e-12)
    np.testing.assert_allclose(opened.sources["landscape"].data["phi"],
                               explorer.sources["landscape"].data["phi"], rtol=1e-9)
    assert not opened.message.visible


def test_a_slider_value_from_the_browser_is_taken_without_its_noise():
    # what the browser sends when a slider lands on 1.15 (its 0.005 step added in binary)
    explorer = SpikedExplorer()
    location = Location(search="")
    explorer.sync_url(location)
    explorer.snr_widget._process_events({"value": 1.1500000000000001,
                                         "value_throttled": 1.1500000000000001})
    assert explorer.snr == 1.15  # exactly what the link writes and restores
    opened = SpikedExplorer()
    opened.sync_url(Location(search=location.search))
    assert opened.snr == explorer.snr
    assert opened.sources["landscape"].data["phi"].tolist() == \
        explorer.sources["landscape"].data["phi"].tolist()
