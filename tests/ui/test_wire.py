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


def test_visuals_are_drawn_from_their_models_and_no_style_sheet_restyles_them(page, app_url):
    """BokehJS asks the computed style for a ``--bk-<visual>-<attribute>`` value before it
    draws each visual; the page skips that read (``visuals_without_css``), which changes
    nothing only while no style sheet of the page declares such a property: checked on
    every sheet of the document and of every shadow root, on two explorers."""
    for tab, source in ((0, "spiked-landscape"), (1, "glm-curves")):
        page.goto(f"{app_url}?tab={tab}")
        wait_for_data(page, source)
        page.wait_for_timeout(500)
        skipped, declared, sheets = page.evaluate("""() => {
          const visual = Bokeh.require("core/visuals/visual").VisualProperties.prototype;
          const names = new Set();
          let sheets = 0;
          const visit = (root) => {
            for (const sheet of [...(root.styleSheets || []),
                                 ...(root.adoptedStyleSheets || [])]) {
              let rules;
              try { rules = sheet.cssRules; } catch (error) { continue; }
              sheets += 1;
              for (const rule of rules) {
                for (const m of rule.cssText.matchAll(/(--bk-[a-z0-9-]+)\\s*:/g)) {
                  names.add(m[1]);
                }
              }
            }
            for (const el of root.querySelectorAll("*")) {
              if (el.shadowRoot) visit(el.shadowRoot);
              for (const m of (el.getAttribute("style") || "").matchAll(/(--bk-[a-z0-9-]+)/g)) {
                names.add(m[1]);
              }
            }
          };
          visit(document);
          return [visual._get_css_value("line-color") === "" &&
                  !visual._get_css_value.toString().includes("getComputedStyle"),
                  [...names], sheets];
        }""")
        assert skipped
        assert sheets > 10  # the page's own and its components' sheets were read
        assert declared == []


JS_LEGENDS = """(mark) => {
  const found = [];
  const walk = (view) => {
    if (view == null) return;
    if (view.model?.type === "Legend") {
      found.push(view);
    }
    for (const child of (view.children?.() ?? [])) walk(child);
  };
  for (const root of Bokeh.index.roots) walk(root);
  return found.map((view) => {
    const labels = [];
    for (const item of view.model.items) labels.push(...item.get_labels_list_from_label_prop());
    const kept = view.entries.filter((entry) => entry.el.__lp_mark === true).length;
    if (mark) {
      for (const entry of view.entries) entry.el.__lp_mark = true;
    }
    return {labels, drawn: view.entries.map((entry) => entry.label_el.textContent),
            attached: view.entries.every((entry) => entry.el.isConnected), kept};
  });
}"""


def test_a_legend_is_rebuilt_when_its_labels_change_and_kept_when_only_data_do(page, app_url):
    """``LEGENDS_KEPT_JS``: new data under the same labels keep a legend's entries (BokehJS
    rebuilt them, a canvas each, for every change); new labels (a threshold moved by the
    label-flip rate) rebuild them, and every legend shows its model's labels throughout."""
    page.goto(f"{app_url}?tab=1")
    wait_for_data(page, "glm-landscape")
    page.wait_for_timeout(1500)
    before = page.evaluate(JS_LEGENDS, True)
    assert len(before) >= 2
    page.evaluate(JS_WATCH, "glm-landscape")
    page.locator(".param-alpha .noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.__changes['glm-landscape'].length > 0")
    page.wait_for_timeout(500)
    after_data = page.evaluate(JS_LEGENDS, True)
    for legend, old in zip(after_data, before, strict=True):
        assert legend["drawn"] == legend["labels"]
        assert legend["attached"]
        if legend["labels"] == old["labels"]:
            assert legend["kept"] == len(legend["drawn"]), legend
    assert any(legend["kept"] for legend in after_data)
    page.evaluate(JS_WATCH, "glm-curves")
    page.locator(".param-flip .noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.__changes['glm-curves'].length > 0")
    page.wait_for_timeout(800)
    after_labels = page.evaluate(JS_LEGENDS, False)
    changed = [(new, old) for new, old in zip(after_labels, after_data, strict=True)
               if new["labels"] != old["labels"]]
    assert changed, "the flip rate moves a threshold, whose label is in a legend"
    for new, _ in changed:
        assert new["drawn"] == new["labels"]
        assert new["kept"] == 0  # rebuilt
    assert all(legend["drawn"] == legend["labels"] for legend in after_labels)


def test_the_address_bar_follows_a_move_without_a_history_entry_or_an_echo(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(JS_INIT)
    page = context.new_page()
    try:
        page.goto(f"{app_url}?tab=0")
        wait_for_data(page, "spiked-landscape")
        page.wait_for_timeout(1500)
        page.evaluate(JS_WATCH, "spiked-landscape")
        length = page.evaluate("() => window.history.length")
        handle = page.locator(".param-snr .noUi-handle").first
        handle.focus()
        page.evaluate("() => { window.__frames = []; }")
        for presses in (1, 2, 3):
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                f"() => window.__changes['spiked-landscape'].length >= {presses}")
        sent = [json.loads(f["text"]) for f in page.evaluate("() => window.__frames")
                if f["dir"] == "out" and f["text"] and '"events"' in f["text"]]
        value = [e["new"] for m in sent for e in m["events"]
                 if e.get("attr") == "value_throttled"][-1]
        page.wait_for_function(
            f"() => Number(new URLSearchParams(location.search).get('snr')) === {value}",
            timeout=5_000)
        assert page.evaluate("() => window.history.length") == length
        href = page.evaluate("() => [...Bokeh.documents[0].all_models].find("
                             "(m) => m.type === 'Location' || m.properties?.href != null)"
                             "?.href")
        assert href == page.url
        page.wait_for_timeout(500)
        sent = [json.loads(f["text"]) for f in page.evaluate("() => window.__frames")
                if f["dir"] == "out" and f["text"] and '"events"' in f["text"]]
    finally:
        context.close()
    attrs = [e.get("attr") for m in sent for e in m["events"]]
    assert "href" not in attrs
    assert attrs.count("value_throttled") == 3
