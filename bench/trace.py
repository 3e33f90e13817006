"""Where a slider move's time goes: key press -> message sent -> server answers -> data
source changed, in headless Chromium against the served app.

Each move is split into: ``send`` (key press to the websocket message that carries the new
value), ``server`` (that message to the first answer frame), ``wire`` (first to last answer
frame before the change), ``browser`` (last frame to the source's change) and the bytes
received. Use it to find the slow phase before optimising one.

    python -m bench.trace --only online [--moves 6]
"""

from __future__ import annotations

import argparse

import numpy as np

from . import browser
from .sliders import CASES, JS_WATCH, emit, wait_for_data

# wraps the page's WebSocket before Bokeh opens it: every frame's time, size and text
JS_INIT = """
(() => {
  const Native = window.WebSocket;
  window.__frames = [];
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    const send = ws.send.bind(ws);
    ws.send = (data) => {
      window.__frames.push({dir: 'out', t: performance.now(),
                            n: data.byteLength ?? data.length,
                            text: typeof data === 'string' ? data : null});
      return send(data);
    };
    ws.addEventListener('message', (ev) => window.__frames.push({dir: 'in',
      t: performance.now(), n: ev.data.byteLength ?? ev.data.size ?? ev.data.length,
      text: typeof ev.data === 'string' ? ev.data : null}));
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""


def trace_move(page, source, handle, key):
    seen = page.evaluate(f"() => window.__changes['{source}'].length")
    page.evaluate("() => { window.__frames = []; }")
    page.keyboard.press(key)
    page.wait_for_function(f"() => window.__changes['{source}'].length > {seen}", timeout=15_000)
    page.wait_for_timeout(400)
    return page.evaluate(f"""() => ({{key: window.__keydown,
        change: window.__changes['{source}'][{seen}], frames: window.__frames}})""")


def phases(rec):
    key, change, frames = rec["key"], rec["change"], rec["frames"]
    out = [f for f in frames if f["dir"] == "out" and f["t"] >= key]
    inc = [f for f in frames if f["dir"] == "in" and f["t"] <= change]
    sent = out[0]["t"] if out else key
    first = next((f["t"] for f in inc if f["t"] >= sent), change)
    last = max((f["t"] for f in inc if f["t"] >= sent), default=change)
    later = [f for f in frames if f["dir"] == "in" and f["t"] > change]
    return dict(total=change - key, send=sent - key, server=first - sent, wire=last - first,
                browser=change - last, frames_in=sum(1 for f in inc if f["t"] >= sent),
                bytes_in=sum(f["n"] or 0 for f in inc if f["t"] >= sent),
                frames_out=len(out), later_frames=len(later),
                later_bytes=sum(f["n"] or 0 for f in later))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="explorer name")
    parser.add_argument("--slider", help="parameter name")
    parser.add_argument("--moves", type=int, default=6)
    parser.add_argument("--each", action="store_true", help="print every move's phases")
    args = parser.parse_args(argv)
    with browser.chromium() as chrome, browser.serve_app() as url:
        emit(bench="server_settled", seconds=round(browser.wait_until_idle(), 1))
        for case in CASES:
            if (args.only and case.explorer != args.only) or (
                    args.slider and case.parameter != args.slider):
                continue
            context = chrome.new_context(viewport={"width": 1400, "height": 1000})
            context.add_init_script(JS_INIT)
            page = context.new_page()
            page.goto(f"{url}/app?{case.query}")
            wait_for_data(page, case.source)
            page.wait_for_timeout(1500)
            page.evaluate(JS_WATCH, case.source)
            handle = page.locator(case.selector).first
            handle.focus()
            rows = []
            for i in range(args.moves):
                key = "ArrowRight" if i < args.moves // 2 else "ArrowLeft"
                now, low, high = (float(handle.get_attribute(a)) for a in
                                  ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
                if (key == "ArrowRight" and now >= high) or (key == "ArrowLeft" and now <= low):
                    key = "ArrowLeft" if key == "ArrowRight" else "ArrowRight"  # at a bound
                rows.append(phases(trace_move(page, case.source, handle, key)))
            context.close()
            if args.each:
                for row in rows:
                    emit(bench="trace_move", explorer=case.explorer, slider=case.parameter,
                         **{k: round(v, 1) for k, v in row.items()})
            med = {k: round(float(np.median([r[k] for r in rows])), 1) for k in rows[0]}
            emit(bench="trace", explorer=case.explorer, slider=case.parameter, median=med,
                 max_total=round(max(r["total"] for r in rows), 1))


if __name__ == "__main__":
    main()
