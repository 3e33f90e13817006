"""The transport corrections of ``dashboards.wire``: inline arrays, a write lock waited on."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json

import numpy as np
from bokeh.document import Document
from bokeh.models import ColumnDataSource
from bokeh.protocol import Protocol
from panel.io import document as panel_document
from tornado.locks import Lock

import dashboards  # noqa: F401 (installs the corrections)
from dashboards import wire


def patch_for(source: ColumnDataSource, data: dict):
    events = []
    source.document.callbacks.on_change(events.append)
    source.data = data
    return Protocol().create("PATCH-DOC", events)


def test_a_patch_carries_its_arrays_inline_and_they_decode_to_the_same_numbers():
    doc = Document()
    source = ColumnDataSource({"x": np.arange(3.0), "y": np.zeros(3)})
    doc.add_root(source)
    rng = np.random.default_rng(0)
    data = {f"c{i}": rng.normal(size=300) for i in range(40)}
    data["n"] = np.arange(300, dtype=np.int32)
    msg = patch_for(source, data)
    assert msg.buffers == []  # one message, three frames: no frame per array
    content = json.loads(msg.content_json)
    [event] = content["events"]
    entries = dict(event["data"]["entries"])
    for name, column in data.items():
        rep = entries[name]
        raw = gzip.decompress(base64.b64decode(rep["array"]["data"]))  # what BokehJS does
        decoded = np.frombuffer(raw, dtype=rep["dtype"]).reshape(rep["shape"])
        np.testing.assert_array_equal(decoded, column)
    # and Bokeh's own reader applies it to another copy of the document
    other = Document.from_json(doc.to_json())
    msg.apply_to_document(other)
    np.testing.assert_array_equal(other.get_model_by_id(source.id).data["c7"], data["c7"])


def test_the_corrections_are_installed_once():
    wire.install()
    wire.install()
    assert panel_document._dispatch_msgs is wire.dispatch_when_free
    from panel.reactive import Syncable

    assert Syncable._change_event.original.__name__ == "_change_event"
    assert not hasattr(Syncable._change_event.original, "original")


class FakeSocket:
    def __init__(self):
        self.write_lock = Lock()
        self.written = []
        self.ws_connection = self

    def is_closing(self):
        return False


class FakeConnection:
    def __init__(self):
        self._socket = FakeSocket()


def test_messages_wait_for_the_socket_lock_and_keep_their_order(monkeypatch):
    """A message ready while the socket writes another waits for the lock (no fixed sleep)
    and goes out, in order, as soon as it is free."""
    conn, doc = FakeConnection(), Document()

    def dispatch(c, events=None, msg=None):
        assert not c._socket.write_lock._block._value, "written while the lock was free"
        c._socket.written.append(msg)
        return []

    monkeypatch.setattr(panel_document, "dispatch_tornado", dispatch)

    async def never(*args, **kwargs):
        raise AssertionError("polled with a sleep")

    real_sleep = asyncio.sleep

    async def scenario():
        monkeypatch.setattr(asyncio, "sleep", never)
        await conn._socket.write_lock.acquire()  # another message is being written
        panel_document._WRITE_BLOCK[doc] = True
        panel_document._WRITE_MSGS[doc] = {conn: ["first", "second"]}
        task = asyncio.ensure_future(wire.dispatch_when_free(doc))
        for _ in range(5):
            await real_sleep(0)
        assert conn._socket.written == []  # still held: nothing written
        panel_document._WRITE_MSGS[doc] = {conn: ["third"]}  # queued meanwhile
        second = asyncio.ensure_future(wire.dispatch_when_free(doc))
        conn._socket.write_lock.release()
        await task
        await second
        return conn._socket.written

    try:
        written = asyncio.run(scenario())
    finally:
        panel_document._WRITE_BLOCK.pop(doc, None)
        panel_document._WRITE_MSGS.pop(doc, None)
    assert written == ["first", "second", "third"]
    assert doc not in panel_document._WRITE_BLOCK


def test_a_closed_socket_gets_nothing():
    conn, doc = FakeConnection(), Document()
    conn._socket.is_closing = lambda: True
    panel_document._WRITE_BLOCK[doc] = True
    panel_document._WRITE_MSGS[doc] = {conn: [Protocol().create("OK", "x")]}
    asyncio.run(wire.dispatch_when_free(doc))
    assert doc not in panel_document._WRITE_BLOCK


def test_a_large_array_keeps_its_binary_frame():
    doc = Document()
    source = ColumnDataSource({"x": np.arange(3.0)})
    doc.add_root(source)
    big = np.linspace(0.0, 1.0, wire.INLINE_MAX_BYTES // 8 + 1)
    msg = patch_for(source, {"x": big, "small": np.ones(big.size, dtype=np.int8)})
    assert len(msg.buffers) == 1
    assert msg.buffers[0].to_bytes() == big.tobytes()
    assert '"small"' in msg.content_json  # the small column inline, beside the reference


def test_the_page_websocket_is_opened_without_nagle():
    """Bokeh leaves Nagle's algorithm on: a small frame then waits up to 40 ms for the
    browser's delayed ACK. The app's websocket handler turns it off once open."""
    from bokeh.server.views.ws import WSHandler

    assert getattr(WSHandler.open, "original_without_nagle", False)
    calls = []

    class Connection:
        def is_closing(self):
            return False

    class Handler:
        ws_connection = Connection()

        def set_nodelay(self, value):
            calls.append(value)

    opened = wire.no_delay(lambda self: "opened")
    assert opened(Handler()) == "opened"
    assert calls == [True]
    Handler.ws_connection = None  # refused and closed by the guards: nothing to set
    opened(Handler())
    assert calls == [True]


def test_the_busy_flag_is_up_while_any_event_is_in_flight():
    """``pn.state.busy`` (Panel's, kept from a set): up from the first event to the last one's
    end, also while a widget's change is processed, down after it."""
    import panel as pn
    from panel.io.state import state

    assert not state.busy
    state._add_busy_event("first")
    state._add_busy_event("second")
    state._remove_busy_event("first")
    assert state.busy
    state._remove_busy_event("second")
    assert not state.busy
    seen = []
    text = pn.widgets.TextInput(value="")
    text.param.watch(lambda event: seen.append(state.busy), "value")
    text._process_events({"value": "typed"})  # as a browser's message is processed
    assert seen == [True]
    assert text.value == "typed"
    assert not state.busy
    state._remove_busy_event("never added")  # (Panel's removes what it added, in a finally)
    assert not state.busy


def test_panel_edits_a_readonly_parameter_and_locks_it_again():
    """``edit_only_readonly`` is what Panel's modules use: a read-only and a constant parameter
    can be set inside it, and the parameters are locked again after it, also after an error
    (the class's: as with Panel's own, the edited object keeps its copies writable)."""
    import sys

    import param
    import pytest
    from panel import reactive

    panel_state = sys.modules["panel.io.state"]  # (the package's ``state`` is the instance)

    class Locked(param.Parameterized):
        fixed = param.Number(1.0, readonly=True)
        settled = param.Number(2.0, constant=True)
        free = param.Number(3.0)

    assert reactive.edit_readonly is wire.edit_only_readonly
    assert panel_state.edit_readonly is wire.edit_only_readonly

    def edit(obj):
        with wire.edit_only_readonly(obj):
            obj.fixed, obj.settled, obj.free = 10.0, 20.0, 30.0
            raise KeyError("inside")

    obj = Locked()
    with pytest.raises(KeyError, match="inside"):
        edit(obj)
    assert (obj.fixed, obj.settled, obj.free) == (10.0, 20.0, 30.0)
    assert Locked.param["fixed"].readonly
    assert Locked.param["fixed"].constant
    assert Locked.param["settled"].constant
    assert not Locked.param["settled"].readonly
    assert not Locked.param["free"].constant
    fresh = Locked()
    with pytest.raises(TypeError):
        fresh.fixed = 0.0
    with pytest.raises(TypeError):
        fresh.settled = 0.0


def test_a_property_is_sent_as_panel_sends_it_and_stylesheets_with_the_theme():
    """The patched ``_update_properties`` gives what Panel's gives: for a value change the
    same properties; for a change of stylesheets, the theme's sheets first."""
    import panel as pn
    from bokeh.document import Document as BokehDocument
    from panel.reactive import Reactive

    slider = pn.widgets.FloatSlider(start=0.0, end=1.0, design=pn.theme.Bootstrap)
    doc = BokehDocument()
    slider.get_root(doc)
    events = []
    slider.param.watch(events.append, ["value", "stylesheets"])
    slider.value = 0.25
    slider.stylesheets = [":host { color: red; }"]
    value_event, sheets_event = events
    original = Reactive._update_properties.original
    assert Reactive._update_properties(slider, value_event, doc=doc) == \
        original(slider, value_event, doc=doc) == {"value": 0.25}
    patched = Reactive._update_properties(slider, sheets_event, doc=doc)["stylesheets"]
    panels = original(slider, sheets_event, doc=doc)["stylesheets"]
    assert len(patched) == len(panels) > 1  # the theme's sheets, then the slider's own
    assert patched[-1] == ":host { color: red; }"


def test_a_patch_names_models_the_browser_has_and_carries_new_ones_whole():
    """With the document's models looked up as they are met: a model already sent (a range
    of the plot) travels as a reference, a new one (a title) whole, exactly as Bokeh's own
    serializer writes them; the new one counts as sent afterwards."""
    from bokeh.models import Range1d, Title
    from bokeh.plotting import figure

    doc = Document()
    plot = figure()
    spare = Range1d(0, 5)
    plot.extra_x_ranges = {"spare": spare}
    doc.add_root(plot)
    doc.models.flush_synced()  # everything so far is in the browser
    events = []
    doc.callbacks.on_change(events.append)
    plot.x_range = spare
    title = Title(text="new")
    plot.title = title
    from bokeh.core.serialization import Serializer

    theirs = json.loads(json.dumps(
        Serializer(references=doc.models.synced_references).encode(events)))
    ours = json.loads(Protocol().create("PATCH-DOC", events).content_json)
    assert ours["events"] == theirs
    [range_event, title_event] = ours["events"]
    assert range_event["new"] == {"id": spare.id}
    assert title_event["new"]["type"] == "object"
    assert title_event["new"]["attributes"]["text"] == "new"
    assert title in doc.models.synced_references  # sent now


def test_a_browser_patch_is_applied_and_answered_only_when_it_fails():
    """BokehJS never waits for the OK to a PATCH-DOC: the server applies the patch and sends
    nothing back; a patch it cannot apply still gets Bokeh's ERROR reply."""
    from bokeh.server.protocol_handler import ProtocolHandler
    from bokeh.server.session import ServerSession

    served = Document()
    served.add_root(ColumnDataSource({"x": [0.0]}, name="s"))
    browser = Document.from_json(served.to_json())  # the page's copy of the document
    source = browser.get_model_by_name("s")
    events = []
    browser.callbacks.on_change(events.append)
    source.data = {"x": [1.0, 2.0]}
    message = Protocol().create("PATCH-DOC", events)

    class Connection:
        session = ServerSession("s1", served, io_loop=None)

        def error(self, message, text):
            return ("ERROR", text)

        def ok(self, message):
            return "OK"

    handled = asyncio.run(ProtocolHandler().handle(message, Connection()))
    assert handled is None  # nothing written back
    assert list(served.get_model_by_name("s").data["x"]) == [1.0, 2.0]
    bad = Protocol().create("PATCH-DOC", events)
    bad._content["events"][0]["model"]["id"] = "no-such-model"
    kind, text = asyncio.run(ProtocolHandler().handle(bad, Connection()))
    assert kind == "ERROR"
    assert "no-such-model" in text


def test_a_stored_gzip_member_is_what_gzip_reads():
    """gzip checks the member's CRC-32 and length, and every block's length against its
    complement."""
    rng = np.random.default_rng(1)
    for size in (0, 1, 300 * 8, 0xFFFF, 0xFFFF + 1, 3 * 0xFFFF + 17):
        raw = rng.bytes(size)
        member = wire.stored_gzip(raw)
        assert gzip.decompress(member) == raw
        assert len(member) == 18 + len(raw) + 5 * max(1, -(-size // 0xFFFF))


def test_a_browser_patch_finds_the_models_as_bokeh_finds_them():
    """Patches from the browser look references up in the document when met (not in a dict
    of all ~400 models built per patch); a model the browser defines is known to the
    patch, and a model added by a callback while the patch is handled is still new (the
    browser gets it whole)."""
    from bokeh.models import Div

    served = Document()
    source = ColumnDataSource({"x": [0.0]}, name="s")
    served.add_root(source)
    served.models.flush_synced()
    browser = Document.from_json(served.to_json())
    events = []
    browser.callbacks.on_change(events.append)
    browser.get_model_by_name("s").data = {"x": [1.0, 2.0]}
    added = []

    def on_data(attr, old, new):
        div = Div(text="added by a callback")
        served.add_root(div)
        added.append(div)

    source.on_change("data", on_data)
    served.apply_json_patch(Protocol().create("PATCH-DOC", events).content)
    assert list(source.data["x"]) == [1.0, 2.0]
    assert added
    assert added[0] in served.models._new_models  # still to be sent whole
    assert source not in served.models._new_models
    refs = wire.DocumentReferences(served.models)
    assert source.id in refs
    assert refs.get(source.id) is source
    assert "p-unknown" not in refs
    assert refs.get("p-unknown", "none") == "none"
