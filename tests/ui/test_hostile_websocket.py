"""Hostile values over the websocket, sent by a client that speaks Bokeh's protocol (as a
script or a browser's developer tools can) to the served app (issue 17, item 5): each is
clamped or refused with one log line, and the client is sent the value the page uses.

Before the guard (dashboards/guards.py), the same 248 messages over the four explorers made
10,509 server log lines (191 tracebacks, ~94 lines per out-of-range slider value)."""

import asyncio
import base64
import collections
import time
import urllib.error
import urllib.request

import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from bench.browser import ROOT
from bench.load import Session
from tests.waiting import run_async

pytestmark = pytest.mark.ui

NAN = {"type": "number", "value": "nan"}
INF = {"type": "number", "value": "+inf"}

# (tab, Bokeh model kind, its attributes, property, value sent, value the client gets back)
CASES = [
    (0, "Slider", {"title": "Sparsity ρ"}, "value", 1e9, 1.0),
    (0, "Slider", {"title": "Sparsity ρ"}, "value", -1e9, 0.01),
    (0, "Slider", {"title": "Sparsity ρ"}, "value", 10**30, 1.0),
    (0, "Slider", {"title": "Sparsity ρ"}, "value", NAN, 1.0),  # refused: the value used
    (0, "Slider", {"title": "AMP size N"}, "value", 2500.5, 2500),  # an integer control
    (0, "Slider", {"title": "AMP size N"}, "value", INF, 2500),
    # clamped to the slider's own range: it ends at 5 (or twice the range's upper end, at
    # most the parameter's bound 20) so that its handles do not crowd at the left
    (0, "RangeSlider", {"title": "λ range"}, "value", [-1e9, 1e9], [0.0, 5.0]),
    (0, "RangeSlider", {"title": "λ range"}, "value", [5, 1], [1, 5]),
    (0, "panel.models.widgets.CustomSelect", {"title": "Prior"}, "value", "nope",
     "sparse_rademacher"),
    (1, "Spinner", {"title": "Regularisation λ (ridge / logistic)"}, "value", 1e9, 10.0),
    (1, "Spinner", {"title": "Regularisation λ (ridge / logistic)"}, "value", None, 10.0),
    (1, "panel.models.widgets.RadioButtonGroup", {"labels": ["test error", "MSE 1 − q"]},
     "active", 99, 0),
    (1, "panel.models.tabs.Tabs", {}, "active", 99, 1),
    (2, "Slider", {"title": "Student hidden units K"}, "value", 10**6, 8),
    (2, "panel.models.widgets.Player", {"title": "Animate time"}, "value", 10**6, 99),
]


THROTTLED = {"Slider", "RangeSlider", "Spinner"}


class RecordingSession(Session):
    """A protocol client that keeps every value the server patches into its models."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.patches = collections.defaultdict(list)

    async def _read(self) -> None:
        while True:
            message = await self._next_message()
            if message.msgtype == "PULL-DOC-REPLY" and not self._pulled.done():
                self._pulled.set_result(message.content["doc"])
            elif message.msgtype == "ERROR":
                self.errors.append(message.content.get("text", "")[:200])
            elif message.msgtype == "PATCH-DOC":
                for event in message.content.get("events", []):
                    model_id = (event.get("model") or {}).get("id")
                    if model_id is not None:
                        self.patches[(model_id, event.get("attr"))].append(event.get("new"))

    async def send(self, model_id: str, attr: str, value) -> None:
        """As BokehJS sends a released control: the value, and a slider's or a number
        input's throttled copy."""
        events = [{"kind": "ModelChanged", "model": {"id": model_id}, "attr": attr,
                   "new": value}]
        if attr == "value" and self.models[model_id]["name"] in THROTTLED:
            events.append({"kind": "ModelChanged", "model": {"id": model_id},
                           "attr": "value_throttled", "new": value})
        await self._send("PATCH-DOC", {"events": events})

    async def answer(self, model_id: str, attr: str, timeout: float = 30.0):
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.patches.get((model_id, attr)):
            late = asyncio.get_running_loop().time() > deadline
            assert not late, f"no {attr} of {model_id} sent back"
            await asyncio.sleep(0.02)
        return self.patches[(model_id, attr)][-1]


def _log_lines(port: str) -> list[str]:
    lines = (ROOT / f".server-{port}.log").read_text().splitlines()
    return [line for line in lines if "WebSocket connection" not in line
            and "ServerConnection" not in line]


async def _send_hostile_values(base: str, port: str) -> list:
    outcomes = []
    for tab in sorted({case[0] for case in CASES}):
        session = RecordingSession(base, tab=tab)
        await session.open()
        try:
            for case_tab, kind, attributes, attr, sent, expected in CASES:
                if case_tab != tab:
                    continue
                model_id = session.find(kind, **attributes)
                session.patches.clear()
                before = len(_log_lines(port))
                await session.send(model_id, attr, sent)
                try:
                    answer = await session.answer(model_id, attr)
                except AssertionError as exc:
                    raise AssertionError(f"{kind} {sent!r}: {exc}") from None
                await asyncio.sleep(0.3)  # anything else the message logs
                written = _log_lines(port)[before:]
                outcomes.append((kind, sent, answer, expected, written))
        finally:
            await session.close()
    return outcomes


def test_hostile_values_are_clamped_or_refused_with_one_log_line_and_sent_back(app_url):
    base = app_url.rsplit("/app", 1)[0]
    port = base.rsplit(":", 1)[1]
    outcomes = run_async(_send_hostile_values(base, port))
    assert len(outcomes) == len(CASES)
    for kind, sent, answer, expected, written in outcomes:
        assert answer == pytest.approx(expected), (kind, sent, answer)
        assert len(written) <= 1, (kind, sent, written)
        assert not any("Traceback" in line for line in written), (kind, sent, written)
        if written:
            assert "from a client" in written[0], written


async def _type_errors(base: str, port: str) -> tuple[list, list]:
    """Values of the wrong type, which Bokeh's own validation refuses before Panel sees them."""
    session = RecordingSession(base, tab=0)
    await session.open()
    try:
        slider = session.find("Slider", title="Sparsity ρ")
        before = len(_log_lines(port))
        for value in ("abc", True, [1, 2], "9" * 20_000):
            await session.send(slider, "value", value)
        await asyncio.sleep(1.0)
        return _log_lines(port)[before:], session.errors
    finally:
        await session.close()


def test_values_of_the_wrong_type_are_refused_with_one_log_line_each(app_url):
    base = app_url.rsplit("/app", 1)[0]
    written, errors = run_async(_type_errors(base, base.rsplit(":", 1)[1]))
    assert len(written) == 4, written
    assert all("refused a PATCH-DOC message from a client" in line for line in written)
    assert all(len(line) < 300 for line in written)  # the 20,000 digits are not quoted
    assert len(errors) == 4  # Bokeh answers each with an ERROR message


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# (path and query, the statuses that are right): these answered 500 with a traceback
REQUESTS = [
    ("/assets/favicon.svg%00.py", {400}),
    ("/assets/%00", {400}),
    ("/static/%00x.js", {400}),
    ("/app?bokeh-absolute-url=%FF", {400}),
    ("/app?bokeh-session-id=", {400}),
    ("/app?bokeh-session-id=a%00b", {400}),
    ("/app?bokeh-session-id=" + "A" * 20_000, {400}),
    ("/app?bokeh-session-id=abc", {200}),  # unsigned sessions: a page of that id
    ("/assets/favicon.svg", {200}),
]


def test_malformed_requests_are_refused_with_one_log_line(app_url):
    base = app_url.rsplit("/app", 1)[0]
    port = base.rsplit(":", 1)[1]
    for path, statuses in REQUESTS:
        before = len(_log_lines(port))
        assert _status(base + path) in statuses, path[:80]
        time.sleep(0.2)
        written = _log_lines(port)[before:]
        assert len(written) <= 1, (path[:80], written)
        assert not any("Traceback" in line for line in written)


async def _open_with_token(base: str, token: str):
    request = HTTPRequest(base.replace("http://", "ws://") + "/app/ws",
                          headers={"Origin": base})
    ws = await websocket_connect(request, subprotocols=["bokeh", token])
    while await asyncio.wait_for(ws.read_message(), 10) is not None:  # until closed
        pass
    ws.close()  # the server closed it: release the client's side too
    return ws.close_code


def test_malformed_session_tokens_are_refused_with_one_log_line(app_url):
    base = app_url.rsplit("/app", 1)[0]
    port = base.rsplit(":", 1)[1]
    no_key = base64.urlsafe_b64encode(b'{"session_expiry": 1}').decode().rstrip("=")
    for token in ("garbage", "A" * 20_000, "a.b.c", no_key):
        before = len(_log_lines(port))
        assert run_async(_open_with_token(base, token)) == 1008
        time.sleep(0.2)
        written = _log_lines(port)[before:]
        assert len(written) == 1, written
        assert "refused a websocket" in written[0]
