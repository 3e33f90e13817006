"""How a page's changes travel to and from its browser, and how it draws them: fourteen
corrections to Panel 1.9 / Bokeh 3.9.

Measured on a slider move (``python -m bench.trace``: key press, websocket frames both ways,
server marks), the time was not in the physics but in the transport:

* **no 40 ms waits for an acknowledgement.** Bokeh's websocket keeps TCP's Nagle algorithm
  on: a small frame written while the previous one is unacknowledged waits for the
  browser's delayed ACK (40 ms on Linux). One move in six took 40-50 ms more for that
  alone (the plain-Bokeh floor app too). The page's websocket is opened with TCP_NODELAY
  (``no_delay``), as tornado advises for interactive websockets.
* **one message per change, not one per watcher.** A widget's change runs several watchers
  (the URL's query, the explorer's view); each sent its own PATCH-DOC, and the browser
  handled the URL's (and echoed ``href`` back) before the plotted data arrived. The
  change is now held and sent as one message (``held_change_event``).
* **no 10 ms sleeps.** When a message is ready while the socket is still writing another
  one (the OK that acknowledges the slider's own message: nearly always), Panel's
  ``_dispatch_msgs`` re-tried every 10 ms. It now waits on the socket's write lock and
  writes as soon as the previous message is out (``dispatch_when_free``).
* **one websocket frame per message part, not per array.** Bokeh sends every numpy array of
  a patch as its own binary frame (two frames each: reference and bytes): a plot of 40
  lines was 80+ frames, and the browser handles each frame as a task of its own (about
  0.15 ms each on this machine, most of a move's wire time). Patches now carry arrays of up
  to 64 kB inline, base64 over a stored gzip member (BokehJS always gunzips inline bytes);
  ``inline_arrays``. The page's first document is not affected.
* **inline arrays without a compressor.** Even at level 0, ``gzip.compress`` sets up a
  deflate stream per array (17 µs; an online-SGD move sends 60 arrays): the stored gzip
  member is written directly (``stored_gzip``), byte for byte what ``gzip`` reads.
* **one message per move, not two.** BokehJS sends a slider's ``value`` and then its
  ``value_throttled`` on every step; the server (Panel's throttled mode) uses only the
  second but applied and acknowledged both, about 2 ms of the event loop before the move's
  own message was read, and one message per mouse move while dragging. The page marks
  ``value`` as not synced (``throttled_sliders_only``).

Profiled in Chromium (the DevTools profiler around slider moves):

* **visuals drawn without asking CSS.** BokehJS reads each scalar visual property of each
  glyph, axis and label it paints from the element's computed style first (18 ms of a
  90 ms α-range move); this page styles no visual through CSS, so the reads are skipped
  (``visuals_without_css``).
* **legends rebuilt only when they change.** A legend rebuilt its DOM and a canvas per entry
  for every new data of any source it lists (14 ms of the same move); now only when its
  labels or visible items change (``LEGENDS_KEPT_JS``).
* **the address bar written after the paint.** Panel's Location pushed a history entry for
  every move inside the patch, before the data (7 ms), and echoed ``href`` to the server;
  the URL is now replaced after the frame that draws the data, and ``href`` stays in the
  browser (``LOCATION_AFTER_PAINT_JS``).

Profiled inside the served process (cProfile around each change a browser sends), a move of
λ spent about as long in Panel's bookkeeping as in the physics:

* **a busy flag kept without rewriting its parameters.** Panel counts every event in flight
  in a process-wide list (``state._busy_counter``) for the header's busy spinner, which this
  app does not show. Each event added, cleaned up and removed that list four times, each
  time under ``edit_readonly`` of the whole ``state``: 1-2 ms of every move. The flag
  ``pn.state.busy`` is kept (true while any event is in flight), from a set
  (``cheap_busy_flag``).
* **``edit_readonly`` that touches only what is read-only.** Panel's makes every parameter
  of the object writable and restores it (about 0.5 ms for a slider's 33 parameters, of
  which one is read-only), several times a move; ``edit_only_readonly`` flips only the
  read-only and constant ones.
* **a theme's stylesheets read only when they change.** Every property sent to a browser
  (the sweep player's frame, a label) first resolved the design's modifiers, reading the
  theme's CSS file from disk (about 1 ms each, two or three a move), to use them only when
  the ``stylesheets`` themselves changed (``stylesheets_when_changed``).
* **no acknowledgement that nobody reads.** Bokeh's server answered every message from the
  browser (each slider move, each ``href`` the URL echoes back) with an OK reply of three
  frames, written before the move's own change could run; BokehJS never waits for it (it
  logs "Unhandled OK reply" at trace level). Traced in the served process, the OK cost 2-5
  ms of a 10 ms move: each frame's write wakes the browser's core. A browser's patch is now
  applied as before and answered only when it fails (``patches_without_reply``).
* **references looked up, not listed.** Every patch began with a dict of the references of
  all the document's models already in the browser (about 400 a page), to look up the
  few the patch names; ``InlineSerializer`` asks the document when it meets a model. The
  same for every patch from the browser (two to four a move: the slider, the URL's
  ``href``, the ranges the browser recomputed): ``LookupDeserializer``.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import struct
import sys
import threading
import zlib
from functools import wraps

import bokeh.protocol.messages.patch_doc  # noqa: F401 (the module, for sys.modules)
from bokeh.core.serialization import (
    Buffer,
    BytesRep,
    Deserializer,
    Serializer,
    UnknownReferenceError,
)
from bokeh.document import Document
from bokeh.document.events import DocumentPatchedEvent
from bokeh.model import Model
from bokeh.server.session import ServerSession, _needs_document_lock
from panel.io import document as panel_document
from panel.io.document import hold
from panel.reactive import Reactive, Syncable

log = logging.getLogger(__name__)
patch_doc = sys.modules["bokeh.protocol.messages.patch_doc"]  # the package's name is the class

#: arrays up to this size travel inline; a larger one (an image, a link's large N) keeps a
#: binary frame of its own, where base64 and gzip would cost more than a frame
INLINE_MAX_BYTES = 64 * 1024


class InlineSerializer(Serializer):
    """Bokeh's serializer with small byte buffers inline (base64 of a stored gzip member):
    a patch of plot lines is three websocket frames."""

    def __init__(self, *, document=None, **kwargs):
        super().__init__(deferred=True, **kwargs)
        # the document's models already in the browser are references, looked up when
        # met: Bokeh builds a dict of all of them (~400 a page) for every patch
        self._document_models = None if document is None else document.models

    def _synced(self, obj) -> bool:
        models = self._document_models
        return (models is not None and isinstance(obj, Model)
                and models.get_by_id(obj.id) is obj and obj not in models._new_models)

    def has_ref(self, obj) -> bool:
        return super().has_ref(obj) or self._synced(obj)

    def get_ref(self, obj):
        ref = super().get_ref(obj)
        if ref is None and self._synced(obj):
            ref = obj.ref
        return ref

    def _encode_bytes(self, obj) -> BytesRep:
        raw = Buffer("inline", obj).to_bytes()
        if len(raw) > INLINE_MAX_BYTES:
            return super()._encode_bytes(obj)
        data = stored_gzip(raw)
        return BytesRep(type="bytes", data=base64.b64encode(data).decode("ascii"))


#: the fixed gzip header (RFC 1952): deflate, no flags, mtime 1, no extra flags, OS unknown
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x01\x00\x00\x00\x00\xff"
_STORED_BLOCK = 0xFFFF  # the most bytes one stored deflate block holds


def stored_gzip(raw: bytes) -> bytes:
    """``raw`` as a gzip member of stored (uncompressed) deflate blocks. BokehJS gunzips
    every inline array, and float data hardly compress (4 % at level 1, for 46 µs an array
    of 300 floats); ``gzip.compress`` at level 0 still sets up a deflate stream (17 µs)."""
    parts = [_GZIP_HEADER]
    view = memoryview(raw)
    starts = range(0, len(raw), _STORED_BLOCK) if raw else (0,)
    for start in starts:
        block = view[start:start + _STORED_BLOCK]
        final = start + _STORED_BLOCK >= len(raw)
        size = len(block)
        parts += [struct.pack("<BHH", final, size, size ^ 0xFFFF), block]
    parts.append(struct.pack("<II", zlib.crc32(raw), len(raw) & 0xFFFFFFFF))
    return b"".join(parts)


def _create_patch(cls, events, **metadata):
    """``patch_doc.create`` with ``InlineSerializer`` (same checks and reference flushing)."""
    if not events:
        raise ValueError("PATCH-DOC message requires at least one event")
    docs = {event.document for event in events}
    if len(docs) != 1:
        raise ValueError("PATCH-DOC message configured with events for more than one document")
    [doc] = docs
    serializer = InlineSerializer(document=doc)
    patch_json = patch_doc.PatchJson(events=serializer.encode(events))
    doc.models.flush_synced(lambda model: not serializer.has_ref(model))
    msg = cls(cls.create_header(), metadata, patch_json)
    msg.add_buffers(*serializer.buffers)
    return msg


def inline_arrays() -> None:
    patch_doc.patch_doc.create = classmethod(_create_patch)


class DocumentReferences(dict):
    """A deserializer's references: the models a patch defines (this dict), else the
    document's models that were there when the patch arrived, looked up when met (Bokeh
    lists all of them, about 400 a page, for every patch from the browser)."""

    def __init__(self, models):
        super().__init__()
        self._models = models
        self._new_at_start = set(models._new_models)

    def _known(self, id):
        model = self._models.get_by_id(id)
        if model is None:
            return None
        # added while the patch was handled (by a callback): not the browser's, still new
        new = model in self._models._new_models and model not in self._new_at_start
        return None if new else model

    def __contains__(self, id) -> bool:
        return dict.__contains__(self, id) or self._known(id) is not None

    def get(self, id, default=None):
        found = dict.get(self, id)
        if found is None:
            found = self._known(id)
        return default if found is None else found


class LookupDeserializer(Deserializer):
    """Bokeh's deserializer, references looked up in the document when met."""

    def __init__(self, models, *, setter=None):
        super().__init__(setter=setter)
        self._references = DocumentReferences(models)


def _apply_json_patch(self, patch_json, *, setter=None) -> None:
    """``Document.apply_json_patch`` with ``LookupDeserializer`` (same checks, events and
    flushing)."""
    deserializer = LookupDeserializer(self.models, setter=setter)
    try:
        patch = deserializer.deserialize(patch_json)
    except UnknownReferenceError as error:
        if self.models.seen(error.id):
            log.debug("Dropping a patch with a previously known reference (id=%r)", error.id)
            return
        raise
    for event in patch["events"]:
        DocumentPatchedEvent.handle_event(self, event, setter)
    self.models.flush_synced(lambda model: not deserializer.has_ref(model))


def lookup_references() -> None:
    Document.apply_json_patch = _apply_json_patch


async def dispatch_when_free(doc) -> None:
    """Panel's ``_dispatch_msgs``, waiting for each socket's write lock instead of polling it
    every 10 ms. The lock is first come, first served: messages keep their order."""
    if doc not in panel_document._WRITE_BLOCK:
        return
    futures = []
    # (this app's sockets are tornado's: Panel's other socket kinds are not served here)
    for conn, msgs in panel_document._WRITE_MSGS.pop(doc, {}).items():
        lock = getattr(conn._socket, "write_lock", None)
        if lock is not None:
            await lock.acquire()
        try:
            for msg in msgs:  # written synchronously: frames of two messages never interleave
                futures += panel_document.dispatch_tornado(conn, msg=msg)
        finally:
            if lock is not None:
                lock.release()
    if futures:
        panel_document._WRITE_FUTURES.setdefault(doc, []).extend(futures)
        await panel_document._run_write_futures(doc)
    if doc not in panel_document._WRITE_MSGS:  # else a later task writes those
        panel_document._WRITE_BLOCK.pop(doc, None)


def held_change_event(change_event):
    """A widget's change, with every watcher it runs, sent as one message."""

    @wraps(change_event)
    def _change_event(self, doc):
        with hold(doc):
            change_event(self, doc)

    _change_event.original = change_event
    return _change_event


def no_delay(open_websocket):
    """The websocket handler's ``open``, then TCP_NODELAY on its connection."""

    @wraps(open_websocket)
    def open_without_nagle(self, *args, **kwargs):
        result = open_websocket(self, *args, **kwargs)
        if self.ws_connection is not None and not self.ws_connection.is_closing():
            self.set_nodelay(True)
        return result

    open_without_nagle.original = open_websocket
    return open_without_nagle


#: BokehJS sends a slider's ``value`` on every step of a drag or key press, and then its
#: ``value_throttled`` (a spinner's likewise); with Panel's ``throttled`` mode the server
#: drops the first (``_process_events`` pops it) after applying it to the document and
#: acknowledging it: about 2 ms of the event loop per step, before the move's own message is
#: read. It is marked internal (not synced), on the page's sliders and spinners and on those
#: built later, as BokehJS itself does for properties the server must not receive
#: (``properties.xs.internal = true`` in its graph renderers).
THROTTLED_ONLY_JS = """
const doc = cb_obj;  // a document event's callback gets the document
// the classes (their shared definition of ``value``): sliders, spinners and players (whose
// frames arrive as ``value_throttled`` too) built later
for (const name of ["Slider", "RangeSlider", "DateSlider", "DateRangeSlider",
                    "DatetimeRangeSlider", "Spinner", "panel.models.widgets.Player"]) {
  let cls = null;
  try {
    cls = Bokeh.Models.get(name);
  } catch (error) {
    continue;  // not in this BokehJS
  }
  const props = cls?.prototype?._props;
  if (props?.value != null && props.value_throttled != null) {
    props.value.options = {...props.value.options, internal: true};
  }
}
// the page's models, already built
for (const model of doc.all_models) {
  const props = model.properties;
  if (props?.value != null && props.value_throttled != null) {
    props.value.internal = true;
  }
}
"""


#: BokehJS reads every scalar visual property of every glyph, axis, label and legend it
#: paints (colour, alpha, width, dash, font, ...) from the element's computed style first
#: (``getComputedStyle(el).getPropertyValue("--bk-line-color")`` and the like), to let CSS
#: restyle a plot; this page declares no such property (a browser test reads every style
#: sheet), so every read returns "" and the model's value is drawn. Profiled in Chromium,
#: those reads were 18 ms of a 90 ms α-range move (style recalculation forced across the
#: page's shadow roots). They now return "" without asking.
VISUALS_WITHOUT_CSS_JS = """
const visual = Bokeh.require("core/visuals/visual");
visual.VisualProperties.prototype._get_css_value = function (name) { return ""; };
"""

#: BokehJS rebuilds a legend's whole DOM (an element and a new canvas per entry) on any change
#: of anything its items reach, recursively: every new data of a plotted source (14 ms of an
#: α-range move, most of it creating canvases). The legend is rebuilt when what it shows
#: changes (labels, their items, which items are visible: BokehJS's own test for a paint,
#: ``_should_rerender_items``, plus visibility); otherwise only the entries' active state is
#: refreshed, and the next paint redraws their glyphs as before.
LEGENDS_KEPT_JS = """
const legend = Bokeh.require("models/annotations/legend");
const hidden = Bokeh.require("styles/legend.css").hidden;
const proto = legend.LegendView.prototype;
if (proto._render_all_items == null) {
  proto._render_all_items = proto._render_items;
  proto._render_items = function () {
    // as drawn: each entry's item, label and whether it is shown (any doubt: rebuilt)
    let kept = false;
    try {
      kept = this.entries.length > 0 && !this._should_rerender_items &&
        this.entries.every((entry) => entry.el.parentNode === this.grid_el &&
                           entry.el.classList.contains(hidden) === !entry.item.visible);
    } catch (error) {
      kept = false;
    }
    if (kept) {
      for (const entry of this.entries) {
        this._toggle_inactive(entry);
      }
      return;
    }
    this._render_all_items();
  };
}
"""


#: Panel's Location wrote each new query with ``history.pushState`` inside the patch that
#: carries it, before the plotted data (7 ms of a move in Chromium), then sent ``href`` back
#: to the server (which never reads it). The address bar now follows after the frame that
#: draws the data, with ``replaceState`` (a slider drag is not a trail of history entries
#: that Back would walk without the page following), and ``href`` is kept in the browser.
LOCATION_AFTER_PAINT_JS = """
const location_view = Bokeh.Models.get("panel.models.location.Location")
  ?.prototype?.default_view?.prototype;
if (location_view != null && location_view._set_url_now == null) {
  location_view._set_url_now = function (url) {
    try {
      window.history.replaceState(window.history.state, "", url);
      this.model.setv({href: window.location.href}, {sync: false});
    } catch (error) {
      console.warn("learning-phases: the address bar was not updated", error);
    }
  };
  location_view._set_url_gated = function (url) {
    this._ensure_idle_gate();  // (Panel's: a page still loading writes its URL when idle)
    if (!this._idle_ready) {
      this._pending_url = url;
      return;
    }
    this._next_url = url;
    if (this._url_frame == null) {
      this._url_frame = requestAnimationFrame(() => setTimeout(() => {
        this._url_frame = null;
        this._set_url_now(this._next_url);
      }, 0));
    }
  };
}
"""


def visuals_without_css(document) -> None:
    """Have BokehJS draw visuals from their models without reading CSS custom properties
    (``VISUALS_WITHOUT_CSS_JS``), rebuild a legend only when what it shows changes
    (``LEGENDS_KEPT_JS``) and write the address bar after the data are drawn
    (``LOCATION_AFTER_PAINT_JS``)."""
    from bokeh.models import CustomJS

    for code in (VISUALS_WITHOUT_CSS_JS, LEGENDS_KEPT_JS, LOCATION_AFTER_PAINT_JS):
        # each on its own: one that fails (another BokehJS) leaves the page as Bokeh draws it
        document.js_on_event("document_ready", CustomJS(code=(
            f"try {{ {code} }} catch (error) {{ "
            "console.warn('learning-phases: a drawing correction was not installed', error); }")))


def throttled_sliders_only(document) -> None:
    """Have the page's sliders send only ``value_throttled`` (see ``THROTTLED_ONLY_JS``)."""
    from bokeh.models import CustomJS

    document.js_on_event("document_ready", CustomJS(code=THROTTLED_ONLY_JS))


@contextlib.contextmanager
def edit_only_readonly(parameterized):
    """Panel's ``edit_readonly``, flipping only the parameters that are read-only or constant
    (the others are writable already)."""
    locked = [(p, p.readonly, p.constant)
              for p in parameterized.param.objects("existing").values()
              if p.readonly or p.constant]
    for p, _, _ in locked:
        p.readonly = False
        p.constant = False
    try:
        yield
    finally:
        for p, readonly, constant in locked:
            p.readonly = readonly
            p.constant = constant


def use_edit_only_readonly() -> None:
    """Every loaded Panel module that imported ``edit_readonly`` uses ``edit_only_readonly``
    (modules imported later keep Panel's: slower, not different)."""
    from panel.util import parameters

    original = getattr(parameters.edit_readonly, "original", parameters.edit_readonly)
    edit_only_readonly.original = original
    for name, module in list(sys.modules.items()):
        if (name == "panel" or name.startswith("panel.")) and \
                getattr(module, "edit_readonly", None) is original:
            module.edit_readonly = edit_only_readonly


_busy_events: set = set()
_busy_lock = threading.Lock()


def _set_busy(state, value: bool) -> None:
    with edit_only_readonly(state):
        state.busy = value


def _add_busy_event(state, event_id: str) -> None:
    with _busy_lock:
        _busy_events.add(event_id)
        flip = not state.busy
    if flip:
        _set_busy(state, True)


def _remove_busy_event(state, event_id: str) -> None:
    with _busy_lock:
        _busy_events.discard(event_id)
        flip = not _busy_events and state.busy
    if flip:
        _set_busy(state, False)


def cheap_busy_flag() -> None:
    """``pn.state.busy`` from a set of the events in flight, set only when it flips."""
    from panel.io.state import _state

    _state._add_busy_event = _add_busy_event
    _state._remove_busy_event = _remove_busy_event


def stylesheets_when_changed(update_properties):
    """``Reactive._update_properties``, resolving the design only for a change of
    ``stylesheets`` (the only property it adds to); other changes as ``Syncable``'s."""

    @wraps(update_properties)
    def _update_properties(self, *events, doc):
        if any(event.name == "stylesheets" for event in events):
            return update_properties(self, *events, doc=doc)
        return Syncable._update_properties(self, *events, doc=doc)

    _update_properties.original = update_properties
    return _update_properties


@_needs_document_lock
def _apply_browser_patch(session, message, connection) -> None:
    """``ServerSession._handle_patch`` without the OK it returns."""
    session._current_patch_connection = connection
    try:
        message.apply_to_document(session.document, session)
    finally:
        session._current_patch_connection = None


async def _patch_without_reply(cls, message, connection) -> None:
    """``ServerSession.patch``: the browser's patch applied under the document's lock; no
    reply (an exception still gets Bokeh's ERROR reply from the protocol handler)."""
    await _apply_browser_patch(connection.session, message, connection)


def patches_without_reply() -> None:
    ServerSession.patch = classmethod(_patch_without_reply)


def install() -> None:
    """Apply the server-side corrections, once per process (the page's own, in its browser:
    ``throttled_sliders_only`` and ``visuals_without_css``, added to each document)."""
    from bokeh.server.views.ws import WSHandler

    if not hasattr(WSHandler.open, "original_without_nagle"):
        WSHandler.open = no_delay(WSHandler.open)
        WSHandler.open.original_without_nagle = True
    if getattr(panel_document._dispatch_msgs, "__name__", "") != "dispatch_when_free":
        panel_document._dispatch_msgs = dispatch_when_free
    if not hasattr(Syncable._change_event, "original"):
        Syncable._change_event = held_change_event(Syncable._change_event)
    if patch_doc.patch_doc.create.__func__ is not _create_patch:
        inline_arrays()
    if Document.apply_json_patch is not _apply_json_patch:
        lookup_references()
    if ServerSession.patch.__func__ is not _patch_without_reply:
        patches_without_reply()
    cheap_busy_flag()
    use_edit_only_readonly()
    if not hasattr(Reactive._update_properties, "original"):
        Reactive._update_properties = stylesheets_when_changed(Reactive._update_properties)
