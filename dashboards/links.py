"""Links: a page's query string, cleaned before anything parses it.

Panel parses the query of a page's request when ``pn.state.location`` is first touched, and
an exception there leaves an empty page: its parser calls ``int()`` on any ``str.isdigit()``
value (which raises for digits such as '³' and for more than 4,300 of them), and turns
'true' into ``True``, which ``param`` takes as a number and Bokeh's Slider then refuses.
Panel also decodes ``?theme=`` from the raw request arguments. So the page cleans the
request's arguments first (``clean_session_query``), against what each known key expects
(``schema_of``), and builds the page's ``Location`` from the cleaned query: every link builds
a working page, and the page says what it dropped (``notes_text``). Values that are
well-formed but out of range are clamped later, by ``Explorer.apply_values``.

This module holds no state: it is called once per page build, on the event loop.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode

import param

log = logging.getLogger("learning_phases")

#: longest value and key taken from a link; longer ones are dropped before any parsing
MAX_VALUE = 200
MAX_KEY = 60
#: query pairs read from a link; the rest are dropped (a page has fewer than 60 settings)
MAX_PAIRS = 64
#: a plain number as a link writes it: ASCII digits, an optional sign, point and exponent
NUMBER = re.compile(r"[+-]?(?:\d{1,30}(?:\.\d{0,30})?|\.\d{1,30})(?:[eE][+-]?\d{1,3})?",
                    re.ASCII)
INTEGER = re.compile(r"[+-]?\d{1,30}", re.ASCII)
#: whole numbers beyond this are refused, not clamped (no setting comes near it)
MAX_INTEGER = 10**15
#: what a key expects, by kind
EXPECTS = {"integer": "a whole number", "number": "a number", "boolean": "true or false",
           "range": "a range such as [0.5, 2]",
           "list": 'a list such as [{"rho": 0.1}]'}


def kind_of(parameter: param.Parameter) -> str:
    """What a link's value of ``parameter`` must look like: "boolean", "integer", "number",
    "range", "list" (JSON) or "text" (anything the explorer then checks itself, e.g. a choice)."""
    if isinstance(parameter, param.Boolean):
        return "boolean"
    if isinstance(parameter, param.Integer):
        return "integer"
    if isinstance(parameter, param.Number):
        return "number"
    if isinstance(parameter, param.Range):
        return "range"
    if isinstance(parameter, param.List):
        return "list"
    if isinstance(parameter, param.Selector):
        objects = parameter.objects
        values = list(objects.values()) if isinstance(objects, dict) else list(objects)
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "integer"
        if values and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                          for v in values):
            return "number"
    return "text"


def schema_of(explorers: Iterable[type], extra: dict[str, str] | None = None) -> dict[str, str]:
    """The kind of every query key of these explorer classes (``url_prefix`` + name), plus
    ``extra`` (page-wide keys such as ``tab``)."""
    schema = {}
    for cls in explorers:
        for name in getattr(cls, "url_parameters", ()):
            schema[cls.url_prefix + name] = kind_of(cls.param[name])
        if getattr(cls, "PINNED", ()):
            schema[cls.url_prefix + "pins"] = "list"
    schema.update(extra or {})
    return schema


def shown(text: str, limit: int = 24) -> str:
    """``text`` from a link made safe to show in a Markdown code span: cut to ``limit``
    characters, without backticks (which would end the span and let HTML through) or
    control characters."""
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    text = text.replace("`", "'")
    if len(text) > limit:
        text = text[:limit] + f"… ({len(text):,} characters)"
    return text


def _problem(key: str, value: str, kind: str | None) -> str | None:
    """Why the pair cannot be taken as it is, or None."""
    if len(key) > MAX_KEY:
        return "the name is too long"
    if len(value) > MAX_VALUE:
        return "the value is too long"
    if value.isdigit() and not value.isascii():  # Panel would call int() on it
        return "not a plain number"
    if kind in ("integer", "number"):
        pattern = INTEGER if kind == "integer" else NUMBER
        if not pattern.fullmatch(value):
            return f"not {EXPECTS[kind]}"
        if not math.isfinite(float(value)):
            return "not a finite number"
        if kind == "integer" and abs(int(value)) > MAX_INTEGER:
            return "far too large"
    elif kind == "boolean":
        if value.lower() not in ("true", "false"):
            return f"not {EXPECTS[kind]}"
    elif kind == "range":
        try:
            pair = json.loads(value) if value.startswith("[") else None
        except ValueError:
            pair = None
        if not (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                        and math.isfinite(v) for v in pair)):
            return f"not {EXPECTS[kind]}"
    elif kind == "list":
        try:
            items = json.loads(value) if value.startswith("[") else None
        except ValueError:
            items = None
        if not isinstance(items, list):
            return f"not {EXPECTS[kind]}"
    return None


def clean_pairs(pairs: Iterable[tuple[str, str]], schema: dict[str, str]
                ) -> tuple[list[tuple[str, str]], list[str]]:
    """The pairs that can be parsed safely (blank values dropped silently, as Panel does),
    and a note for each one dropped, safe to show in Markdown."""
    pairs = list(pairs)
    kept, notes = [], []
    if len(pairs) > MAX_PAIRS:
        notes.append(f"{len(pairs) - MAX_PAIRS:,} settings after the first {MAX_PAIRS}")
        pairs = pairs[:MAX_PAIRS]
    for key, value in pairs:
        if value == "":
            continue
        problem = _problem(key, value, schema.get(key))
        if problem is None:
            kept.append((key, value))
        else:
            notes.append(f"`{shown(key)}={shown(value)}` ({problem})")
    return kept, notes


def clean_query(search: str, schema: dict[str, str]) -> tuple[str, list[str]]:
    """A query string (``?a=1&b=2``) cleaned as ``clean_pairs`` does, and its notes."""
    pairs = parse_qsl(search.lstrip("?"), keep_blank_values=True)
    kept, notes = clean_pairs(pairs, schema)
    return ("?" + urlencode(kept)) if kept else "", notes


def notes_text(notes: list[str]) -> str:
    """The page's message for dropped link settings (Markdown)."""
    return ("**Some settings in this link could not be used and were ignored:** "
            + "; ".join(notes) + ". The page shows the defaults for them.")


def clean_session_query(schema: dict[str, str]) -> list[str]:
    """In a served page, before anything parses the link: clean the arguments of the page's
    request (what ``pn.state.session_args`` returns and Panel reads ``?theme=`` from) in
    place, and give the page a ``Location`` built from the cleaned query (Panel would build
    it from the raw address). Returns the notes of what was dropped; outside a server,
    nothing to do."""
    import panel as pn

    doc = pn.state.curdoc
    context = getattr(doc, "session_context", None)
    request = getattr(context, "request", None)
    if request is None:
        return []
    arguments = request.arguments
    pairs = [(key, value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
             for key, values in arguments.items() if not key.startswith("bokeh-")
             for value in values]
    kept, notes = clean_pairs(pairs, schema)
    internal = {key: values for key, values in arguments.items() if key.startswith("bokeh-")}
    arguments.clear()
    arguments.update(internal)
    for key, value in kept:
        arguments.setdefault(key, []).append(value.encode("utf-8"))
    try:
        _give_location(doc, request, urlencode(kept), schema)
    except Exception:  # a Panel whose internals moved: no URL state rather than no page
        log.exception("could not build the page's location from the cleaned link")
        _give_location(doc, None, "", schema)
        notes.append("the link's settings (the page could not read its address)")
    return notes


def clean_location(schema: dict[str, str]):
    """A Panel ``Location`` that cleans the query the browser sends it (``clean_query``).

    The page's Location is not only built from the request: once loaded, the browser sends
    its own address (``window.location.search``, the raw link) to the server, and any client
    can send any ``search`` at any time; Panel would parse it as it came."""
    from panel.io.location import Location

    class CleanLocation(Location):
        def _process_property_change(self, props):
            params = super()._process_property_change(props)
            search = params.get("search")
            if isinstance(search, str) and search:
                params["search"], dropped = clean_query(search, schema)
                if dropped:  # the page said so when it was built from the same link
                    log.info("dropped from a query sent by a page: %s", "; ".join(dropped))
            return params

    return CleanLocation()


def _give_location(doc, request, query: str, schema: dict[str, str]) -> None:
    """Register the page's ``Location`` (what ``pn.state.location`` returns) with the
    cleaned ``query``; from the request's protocol, host and path as Panel would."""
    from panel.io.location import _get_location_params
    from panel.io.state import state
    from panel.util import edit_readonly

    location = clean_location(schema)
    # a request proxy without a request (`panel serve --warm`) has none of these
    protocol, host, uri = (getattr(request, name, None) for name in ("protocol", "host", "uri"))
    if protocol or host or uri:
        path = str(uri or "").split("#", 1)[0].split("?", 1)[0]
        params = _get_location_params(protocol, host, path + ("?" + query if query else ""))
        with edit_readonly(location):
            location.param.update(params)
    state._locations[doc] = location
