"""What the server accepts from a client over the websocket.

A page's widgets are Bokeh models that any client can change: a browser's developer tools,
a script speaking Bokeh's protocol. The server is where values are checked:

* a number outside a control's range (or an integer control given 2.5) is **clamped**: the
  value used is the nearest allowed one, and the client is sent that value, so that the page
  shows what is used;
* a value that no control can take (a label that is not an option, an index past the end,
  text for a number, NaN, a file that is not base64, ...) is **refused**: the parameter keeps
  its value and the client is sent it back;
* either way the server writes one log line, not the tracebacks Panel and Bokeh write for
  an exception in a callback (about 33 lines each: 2,000 hostile messages made 70,000 lines).

Failures that are not a refused value (an exception raised by this project's own code on an
admissible value) still log their traceback and propagate as before: they are bugs.

``install()`` wraps Panel's ``Syncable._process_events`` (every widget and layout property
change from a client goes through it) and filters the one log record Bokeh writes for a
patch it cannot apply (a value of the wrong type, refused by Bokeh's own validation).
``on_refusal(widget, callback)`` lets a page say in words what was refused (an upload).

Requests get the same treatment (``_install_http_guards``): a static path with a null byte,
a page address whose ``bokeh-session-id`` or ``bokeh-absolute-url`` Bokeh cannot read, and a
websocket whose session token is malformed (not base64 JSON, 20,000 characters) are refused
(400, or the websocket closed with 1008) with one log line instead of a 500 and a
traceback. Files too large for one websocket message are refused in the page, before they
are sent (``check_upload_sizes``).
"""

from __future__ import annotations

import inspect
import logging
import math
import numbers
import re
import threading
import traceback
import weakref
from collections.abc import Callable
from functools import wraps

import panel as pn
import param

log = logging.getLogger("learning_phases")

#: longest client value quoted in a log line
SHOWN_CHARACTERS = 60

#: the largest file a page may upload: its base64 (4/3 of it) plus the message around it
#: must fit in one websocket message, which Bokeh's server refuses above 20 MiB by closing
#: the connection (the page then stops answering, with no word said)
MAX_UPLOAD_BYTES = 15_000_000

#: run once per page (``document_ready``): a file input's ``change`` is checked before
#: BokehJS reads the file. The input is inside a shadow root, which a ``change`` event does
#: not leave; a click, focus or drag on it does (``composedPath`` names the input), and then
#: a capture listener on the input itself runs before BokehJS's own and stops it for a file
#: over the limit, with a message next to the input.
UPLOAD_SIZE_CHECK_JS = """
const limit = max_bytes;
function guard(event) {
  const input = event.composedPath()[0];
  if (!(input instanceof HTMLInputElement) || input.type !== "file" || input._lpSizeCheck) {
    return;
  }
  input._lpSizeCheck = true;
  input.addEventListener("change", (change) => {
    const old = input.parentNode.querySelector(".upload-too-large");
    if (old) { old.remove(); }
    const big = [...(input.files || [])].find((file) => file.size > limit);
    if (big === undefined) { return; }
    change.stopImmediatePropagation();
    input.value = "";
    const note = document.createElement("div");
    note.className = "upload-too-large";
    note.setAttribute("role", "alert");
    note.style.cssText = "color: #b00020; font-size: 90%; margin-top: 4px; " +
      "white-space: normal; overflow-wrap: anywhere; max-width: 100%;";
    note.textContent = `${big.name} is ${(big.size / 1e6).toFixed(1)} MB: files up to ` +
      `${(limit / 1e6).toFixed(0)} MB can be uploaded (keep fewer points).`;
    input.parentNode.appendChild(note);
  }, {capture: true});
}
for (const kind of ["click", "focusin", "dragenter", "pointerdown"]) {
  document.addEventListener(kind, guard, {capture: true});
}
"""

_callbacks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_quiet = threading.local()


def shown(value) -> str:
    """A client's value as a log line may quote it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS] + "…"


def on_refusal(widget, callback: Callable[[str], None]) -> None:
    """Call ``callback(reason)`` when a value sent for ``widget`` is refused. A method is
    held weakly: its object (a page's explorer) holds the widget, and a registry entry that
    led back to its own key would keep the closed page alive."""
    _callbacks[widget] = (weakref.WeakMethod(callback) if inspect.ismethod(callback)
                          else lambda: callback)


def _is_real(value) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


def _integer_valued(widget) -> bool:
    return "value" in widget.param and isinstance(widget.param["value"], param.Integer)


def _bounds(widget) -> tuple[float | None, float | None] | None:
    """The numeric range of a slider, player or number input; None for other widgets."""
    if not isinstance(widget, (pn.widgets.slider._SliderBase, pn.widgets.player.PlayerBase,
                               pn.widgets.input._SpinnerBase)):
        return None
    if isinstance(widget, pn.widgets.DiscreteSlider):
        return None  # a composite: its inner IntSlider (an index) gets the events
    start, end = widget.start, widget.end
    if not all(b is None or _is_real(b) for b in (start, end)):
        return None
    return start, end


def clamp_number(value, start, end, integer: bool):
    """``value`` moved into ``[start, end]`` (rounded for an integer control), or None when
    it is not a finite number at all."""
    if not _is_real(value):
        return None
    if start is not None and value < start:
        value = start
    if end is not None and value > end:
        value = end
    return round(value) if integer else value


def clamp_events(widget, events: dict) -> tuple[dict, list[str], str | None]:
    """The client's property changes for ``widget`` with numbers clamped into its range.
    Returns the changes to apply, what was clamped (for the log line), and why the changes
    are refused as a whole (a control with a numeric range sent no finite number), if so.
    Widgets without a numeric range are left to Panel's and param's own validation."""
    bounds = _bounds(widget)
    if bounds is None:
        return events, [], None
    start, end = bounds
    integer = _integer_valued(widget)
    fixed, notes = dict(events), []
    for name in ("value", "value_throttled"):
        if name not in events:
            continue
        value = events[name]
        if isinstance(value, (list, tuple)):  # a range slider: two ends
            ends = [clamp_number(v, start, end, integer) for v in value]
            if len(ends) != 2 or None in ends:
                return events, [], f"{name} {shown(value)} is not a range of two numbers"
            clamped = tuple(sorted(ends))
            if list(clamped) != list(value):
                fixed[name] = clamped
                notes.append(f"{name} {shown(value)} -> {clamped}")
            continue
        clamped = clamp_number(value, start, end, integer)
        if clamped is None:
            return events, [], f"{name} {shown(value)} is not a finite number"
        if clamped != value:
            fixed[name] = clamped
            notes.append(f"{name} {shown(value)} -> {clamped!r}")
    return fixed, notes, None


def refused_by_validation(exc: BaseException) -> bool:
    """Whether ``exc`` is a library refusing a value (param's bounds and selectors, Panel's
    option lookup, base64 decoding) rather than this project's code failing: the frame that
    raised it is in param or panel."""
    if not isinstance(exc, (ValueError, TypeError, KeyError, IndexError, OverflowError)):
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return False
    raised_in = frames[-1].filename.replace("\\", "/")
    return "/param/" in raised_in or "/panel/" in raised_in or raised_in.endswith("base64.py")


def _send_back(widget) -> None:
    """Send the value in use to the client (its model may hold the refused one)."""
    name = "active" if isinstance(widget, pn.layout.Tabs) else "value"
    if name in widget.param:
        widget.param.trigger(name)


class _QuietPanelCallbackLog(logging.Filter):
    """Drops Panel's "Callback failed" record while a guarded call runs: the guard writes its
    own line for a refused value, and the traceback itself for anything else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(_quiet, "depth", 0) == 0


class _OneLineForRefusedPatches(logging.Filter):
    """Bokeh logs a patch it cannot apply (text for a number, an unknown reference, ...)
    with the whole message and a traceback; such a patch is a client's fault: one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("error handling message") and record.exc_info:
            exc = record.exc_info[1]
            if isinstance(exc, (ValueError, TypeError, KeyError, AttributeError)):
                message = record.args[0] if record.args else None
                kind = getattr(message, "msgtype", "?")
                record.msg = "refused a %s message from a client: %s"
                record.args = (kind, shown(str(exc)))
                record.exc_info = record.exc_text = None
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _refused(widget, reason: str) -> None:
    log.warning("refused a value for %r from a client: %s", widget.name, shown(reason))
    _send_back(widget)
    reference = _callbacks.get(widget)
    callback = reference() if reference is not None else None
    if callback is not None:
        callback(reason)


def guarded_process_events(process_events):
    @wraps(process_events)
    def _process_events(self, events):
        events, clamped, refusal = clamp_events(self, events)
        if refusal is not None:
            _refused(self, refusal)
            return
        _quiet.depth = getattr(_quiet, "depth", 0) + 1
        try:
            process_events(self, events)
        except Exception as exc:
            _quiet.depth -= 1
            if not refused_by_validation(exc):
                log.exception("Callback failed for %r changing %s", self.name, sorted(events))
                raise
            _refused(self, f"{shown(events)}: {type(exc).__name__}: {exc}")
            return
        else:
            _quiet.depth -= 1
        if clamped:
            log.warning("clamped a value for %r from a client: %s", self.name, "; ".join(clamped))
            _send_back(self)

    _process_events.original = process_events
    return _process_events


def check_upload_sizes(document) -> None:
    """Have the page refuse a file over ``MAX_UPLOAD_BYTES`` before sending it."""
    from bokeh.models import CustomJS

    document.js_on_event("document_ready", CustomJS(
        args={"max_bytes": MAX_UPLOAD_BYTES}, code=UPLOAD_SIZE_CHECK_JS))


#: what a session id in a page's address may look like (Bokeh's are 44 URL-safe characters;
#: signed ones add a signature after a dot)
SESSION_ID = re.compile(r"[A-Za-z0-9_\-.]{1,200}")
#: the longest session token a websocket may present (the page's are ~400-600 characters)
MAX_TOKEN_CHARACTERS = 8192


def query_refusal(arguments: dict[str, list[bytes]]) -> str | None:
    """Why the query of a page request cannot be served (None: it can): the arguments Bokeh
    itself reads, which it does not check (``bokeh-absolute-url=%FF`` and an empty
    ``bokeh-session-id`` gave a 500 with a traceback)."""
    for name in ("bokeh-session-id", "bokeh-absolute-url"):
        for raw in arguments.get(name, []):
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError:
                return f"{name} is not UTF-8"
            if name == "bokeh-session-id" and not SESSION_ID.fullmatch(value):
                return f"{name} is not a session id"
            if name == "bokeh-absolute-url" and (
                    len(value) > 2000 or not value.startswith(("http://", "https://"))
                    or any(ord(c) < 32 for c in value)):
                return f"{name} is not an http(s) address"
    return None


def token_refusal(token: str | None) -> str | None:
    """Why a websocket's session token is malformed (None: well formed; its signature and
    expiry are Bokeh's to check)."""
    from bokeh.util.token import get_session_id, get_token_payload

    if token is None:
        return None  # Bokeh refuses it with its own message
    if len(token) > MAX_TOKEN_CHARACTERS:
        return f"a token of {len(token):,} characters"
    try:
        session_id = get_session_id(token)
        expiry = get_token_payload(token)["session_expiry"]
    except Exception as exc:  # any way of not being base64 JSON with those keys
        return f"a token that does not decode ({type(exc).__name__})"
    if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
        return "a token without a session id"
    if not _is_real(expiry):
        return "a token without an expiry"
    return None


def _install_http_guards() -> None:
    """Requests that used to answer 500 with a traceback: a null byte in a static file's
    path, Bokeh's query arguments that it reads unchecked, malformed websocket tokens."""
    from bokeh.protocol.exceptions import ProtocolError
    from bokeh.server.views.ws import WSHandler
    from panel.io.server import DocHandler
    from tornado.web import HTTPError, StaticFileHandler

    parse_url_path = StaticFileHandler.parse_url_path

    @wraps(parse_url_path)
    def parse_url_path_checked(self, url_path):
        if "\x00" in url_path:
            raise HTTPError(400, reason="Invalid path")
        return parse_url_path(self, url_path)

    parse_url_path_checked.original = parse_url_path
    StaticFileHandler.parse_url_path = parse_url_path_checked

    get = DocHandler.get

    @wraps(get)
    async def get_checked(self, *args, **kwargs):
        refusal = query_refusal(self.request.query_arguments)
        if refusal is not None:
            raise HTTPError(400, reason=refusal)
        return await get(self, *args, **kwargs)

    get_checked.original = get
    DocHandler.get = get_checked

    open_websocket = WSHandler.open

    @wraps(open_websocket)
    def open_checked(self, *args, **kwargs):
        refusal = token_refusal(getattr(self, "_token", None))
        if refusal is not None:
            log.warning("refused a websocket from %s: %s", self.request.remote_ip, refusal)
            self.close(1008, "Invalid session token")
            return None
        try:
            return open_websocket(self, *args, **kwargs)
        except ProtocolError as exc:  # Bokeh closed it already (bad signature, expired)
            log.warning("refused a websocket from %s: %s", self.request.remote_ip,
                        shown(str(exc)))
            return None

    open_checked.original = open_websocket
    WSHandler.open = open_checked


def install() -> None:
    """Guard every widget's client changes, and the requests above (idempotent)."""
    syncable = pn.reactive.Syncable
    if not hasattr(syncable._process_events, "original"):
        syncable._process_events = guarded_process_events(syncable._process_events)
        logging.getLogger("panel.reactive").addFilter(_QuietPanelCallbackLog())
        logging.getLogger("bokeh.server.protocol_handler").addFilter(_OneLineForRefusedPatches())
        _install_http_guards()
