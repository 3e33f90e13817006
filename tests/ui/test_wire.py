"""A slider move reaches the browser as one message: the plotted data and the link's query
together, arrays inline (``dashboards.wire``), read from the page's own websocket; the
browser decodes them to the numbers sent; the server sends no OK back; the browser sends the
move as one message (``value_throttled``, not ``value`` too), and the automatic ranges it
computes from the new data are not sent back."""

from __future__ import annotations

import base64
import gzip
import json

import numpy as np
import pytest

from bench.browser import JS_SOURCE_DATA
from bench.sliders import JS_WATCH, wait_for_data
from bench.trace import JS_INIT

pytestmark = pytest.mark.ui


def test_a_slider_move_is_one_message_with_the_data_and_the_link(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(JS_INIT)
    page = context.new_page()
    try:
        page.goto(f"{app_url}?tab=0")
        wait_for_data(page, "spiked-landscape")
        page.wait_for_timeout(1500)  # the first render's background work lands
        page.evaluate(JS_WATCH, "spiked-landscape")
        page.locator(".param-snr .noUi-handle").first.focus()
        page.evaluate("() => { window.__frames = []; }")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => window.__changes['spiked-landscape'].length > 0")
        page.wait_for_timeout(800)  # what the browser sends back after drawing the new data
        record = page.evaluate("""() => ({change: window.__changes['spiked-landscape'][0],
                                          frames: window.__frames})""")
        shown = page.evaluate(JS_SOURCE_DATA, "spiked-landscape")
        source_id = page.evaluate(
            "() => Bokeh.documents[0].get_model_by_name('spiked-landscape').id")
    finally:
        context.close()
    frames = [f for f in record["frames"] if f["dir"] == "in" and f["t"] <= record["change"]]
    texts = [f["text"] for f in frames]
    assert None not in texts, "a binary frame: an array was sent as a buffer of its own"
    headers = [json.loads(t) for t in texts if '"msgtype"' in t]
    patches = [h for h in headers if h["msgtype"] == "PATCH-DOC"]
    assert len(patches) == 1, headers
    assert patches[0].get("num_buffers", 0) == 0
    content = texts[texts.index(next(t for t in texts if '"PATCH-DOC"' in t)) + 2]
    events = json.loads(content)["events"]
    assert any(e.get("attr") == "search" and "snr=" in e["new"] for e in events), \
        "the link's query travels with the data"
    assert any(e["kind"] == "ColumnDataChanged" for e in events)
    assert "OK" not in [h["msgtype"] for h in headers], "an acknowledgement nobody reads"
    # the browser's numbers are the ones sent, inline as stored gzip members
    [entries] = [dict(e["data"]["entries"]) for e in events
                 if e["kind"] == "ColumnDataChanged" and e["model"]["id"] == source_id]
    arrays = {name: rep for name, rep in entries.items()
              if isinstance(rep, dict) and rep.get("type") == "ndarray"}
    assert arrays, entries
    for name, rep in arrays.items():
        raw = gzip.decompress(base64.b64decode(rep["array"]["data"]))
        sent_values = np.frombuffer(raw, dtype=rep["dtype"])
        np.testing.assert_array_equal(np.asarray(shown[name], dtype=float),
                                      sent_values.astype(float))
    sent = [json.loads(f["text"]) for f in record["frames"]
            if f["dir"] == "out" and f["text"] and '"events"' in f["text"]]
    sent_back = [(e.get("attr"), e.get("model", {}).get("id")) for m in sent
                 for e in m["events"] if e.get("kind") == "ModelChanged"]
    assert not [a for a, _ in sent_back if a in ("start", "end")], \
        f"the browser's automatic ranges were sent back: {sent_back}"
    moves = [a for a, _ in sent_back if a in ("value", "value_throttled")]
    assert moves == ["value_throttled"], sent_back


def test_a_spinner_built_later_sends_only_its_throttled_value(page, app_url):
    """Sliders and spinners of a tab opened after the page loaded are marked too; a value
    typed into a spinner still reaches the server (it answers with the new curve)."""
    page.goto(f"{app_url}?tab=0")
    wait_for_data(page, "spiked-landscape")
    page.locator(".bk-tab").nth(1).click()
    page.wait_for_function("""() => [...Bokeh.documents[0].all_models].some(
        (model) => model.constructor.__qualified__.endsWith("Spinner"))""", timeout=60_000)
    unmarked = page.evaluate("""() => {
        const out = [];
        for (const doc of Bokeh.documents) {
          for (const model of doc.all_models) {
            const props = model.properties;
            if (props?.value_throttled != null && !props.value.internal) {
              out.push(model.constructor.__qualified__);
            }
          }
        }
        return out;
    }""")
    assert unmarked == []
