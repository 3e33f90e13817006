"""Pages built before they are asked for: a small pool of ready sessions per link.

Building a page holds its server process for about 0.3 s (the explorer's figures and widgets,
their Bokeh models), on the event loop that also answers every slider: a class of 12 opening
the link together waited seconds, and a student already in the page waited with them. The
pool keeps up to ``SIZE`` sessions ready for each of the last ``LINKS`` links asked for (the
page path and its query: a lecturer's link with ``?tab=2`` is a link of its own), built one at
a time by the server's own machinery while no page is being requested, and hands one to each
arrival: its page is served at once and its websocket finds the session built.

The reply to a pooled page's first document pull (the whole document serialised: about 75 ms of
the event loop per page, most of what an arrival still cost) is also prepared ahead, and sent
only if the document has not changed since (any change, even one held back, drops it).

A pooled session is an ordinary Bokeh session that nobody has connected to yet, with its own
id, document and explorers (pages stay independent). Its token carries the link's query and
headers (no visitor's cookies or credentials) and is issued afresh when the session is handed out (a
pooled page can wait longer than a token lives); a session older than ``MAX_AGE_S`` is let go
(the server discards it as unused) and rebuilt.

``LEARNING_PHASES_POOL`` sets ``SIZE``: `make run` and the Docker image serve with 12 (a class),
a bare ``panel serve app.py`` with none (every page built on request, as the shared test server
does; the pool has browser tests of its own on a pooled server).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import weakref
from collections import OrderedDict, deque
from urllib.parse import urlencode

from . import quiet

log = logging.getLogger("learning_phases")

SIZE = int(os.environ.get("LEARNING_PHASES_POOL", "0") or 0)
#: links with a pool of their own (the least recently asked for gives way)
LINKS = 3
#: a pooled session older than this (seconds) is let go and rebuilt: rarely, since every
#: rebuild holds the event loop for one page build while the server is quiet
MAX_AGE_S = 1800.0
#: no refill while a page was requested or a page sent anything in the last QUIET_S
#: seconds: arrivals and slider moves come first (a refill holds the loop for one build)
QUIET_S = 1.5
#: ... and while a link still has half its pages ready, none in the last QUIET_HALF_S
#: seconds: students arriving one by one take pages without a rebuild under their feet
QUIET_HALF_S = 10.0
#: a session handed out is kept this long for its page to connect (`make run`'s
#: --unused-session-lifetime: what a session built on request gets)
HANDED_OUT_S = 15.0
#: pause between two refills (each holds the event loop for one page build)
PAUSE_S = 0.5


def link_key(request) -> tuple[str, str]:
    """The page path and its query, sorted (``?b=1&a=2`` is ``?a=2&b=1``)."""
    pairs = sorted((k, v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
                   for k, values in (request.query_arguments or {}).items() for v in values)
    return request.path, urlencode(pairs)


class _Link:
    def __init__(self, app, context, request):
        self.app = app
        self.context = context
        self.request = request
        # no cookies or credentials of whoever asked for the link first; the other headers
        # (host, accepted formats) describe the link, and Panel reads some of them
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("cookie", "authorization", "proxy-authorization")}
        self.payload = {"headers": headers, "cookies": {},
                        "arguments": dict(request.query_arguments or {})}
        self.ready: deque = deque()  # (built at, session)


def _plain_link_request(app, url: str):
    """The request of a plain link to the application at ``url`` (no query), as a browser
    reaching the server at its first allowed websocket origin would send it."""
    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

    host = min(getattr(app, "_websocket_origins", None) or ["localhost"])
    return HTTPServerRequest(start_line=RequestStartLine("GET", url, "HTTP/1.1"),
                             headers=HTTPHeaders({"Host": host}))


class SessionPool:
    def __init__(self, size: int = SIZE):
        self.size = size
        self.links: OrderedDict[tuple, _Link] = OrderedDict()
        self.handed_out = 0
        self.prepared_pulls = 0  # first pulls answered with the document serialised ahead
        self._task: asyncio.Task | None = None

    def take(self, handler):
        """A ready session for this request's link, or None."""
        quiet.note_activity()
        link = self.links.get(link_key(handler.request))
        while link is not None and link.ready:
            built, session = link.ready.popleft()
            if time.monotonic() - built < MAX_AGE_S and not session.destroyed:
                self.handed_out += 1
                # the token the page carries: valid from now, for the session built ahead
                session._token = _token(link, session.id)
                # kept until its page connects, as a session built now would be: unused
                # since it was built, the server's clean-up would discard it at once
                asyncio.get_running_loop().call_later(HANDED_OUT_S, session.unblock_expiration)
                return session
            session.unblock_expiration()
        return None

    def note(self, handler) -> None:
        """Remember this request's link, and keep its pool filled from now on."""
        self._remember(handler.application, handler.application_context, handler.request)

    def expect_plain_links(self, app) -> None:
        """At server start: the plain link of each application (what a lecturer hands out)
        gets its pool at once, so that even its first visitor finds a page built ahead."""
        for url, context in app._applications.items():
            self._remember(app, context, _plain_link_request(app, url))

    def _remember(self, app, context, request) -> None:
        key = link_key(request)
        if key not in self.links:
            self.links[key] = _Link(app, context, request)
            while len(self.links) > LINKS:
                _, old = self.links.popitem(last=False)
                for _, session in old.ready:
                    session.unblock_expiration()  # discarded as unused
        self.links.move_to_end(key)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._refill())

    def ready_count(self) -> int:
        return sum(len(link.ready) for link in self.links.values())

    async def _refill(self) -> None:
        while True:
            await asyncio.sleep(PAUSE_S)
            quiet_s = quiet.quiet_for()
            if quiet_s < QUIET_S:
                continue
            link = self._next_link()
            if link is None:
                await asyncio.sleep(5 * PAUSE_S)
                continue
            if quiet_s < QUIET_HALF_S and 2 * len(link.ready) >= self.size:
                continue
            try:
                await self._build(link)
            except Exception:  # a failed build must not stop the pool
                log.exception("pre-building a page failed")
                await asyncio.sleep(10 * PAUSE_S)

    def _next_link(self) -> _Link | None:
        now = time.monotonic()
        for link in reversed(self.links.values()):  # the most recent link first
            while link.ready and now - link.ready[0][0] > MAX_AGE_S:
                _, stale = link.ready.popleft()
                stale.unblock_expiration()
            if len(link.ready) < self.size:
                return link
        return None

    async def _build(self, link: _Link) -> None:
        from bokeh.util.token import generate_session_id

        app = link.app
        session_id = generate_session_id(secret_key=app.secret_key, signed=app.sign_sessions)
        session = await link.context.create_session_if_needed(session_id, link.request,
                                                              _token(link, session_id))
        session.block_expiration()  # unused, yet kept until handed out or too old
        prepare_pull(session)
        link.ready.append((time.monotonic(), session))


class _PreparedPull:
    """The serialised document of a session nobody has pulled yet, valid until it changes."""

    def __init__(self, session):
        from bokeh.protocol import Protocol

        # weakly: the registries below map the document to this, and a value that led back
        # to its key would keep a session that is let go unused alive
        self._document = weakref.ref(session.document)
        self.valid = True
        # what serving the page does first (Panel points the stylesheets at the server's
        # static files), done now: the page's request then finds nothing left to patch
        self.dist_url = _dist_url(self.document)
        for root in self.document.roots:
            _patch_model_css(root, self.dist_url)
        self.reply = Protocol().create("PULL-DOC-REPLY", None, self.document)
        _ = self.reply.content_json  # serialised now, while the server is quiet
        self.document.on_change(self.invalidate)

    @property
    def document(self):
        return self._document()

    def invalidate(self, event) -> None:
        self.valid = False

    def unchanged(self) -> bool:
        callbacks = self.document.callbacks
        return self.valid and callbacks.hold_value is None and not callbacks._held_events

    def take(self, request_id: str):
        """The reply for this pull request, or None when the document changed since."""
        self.document.remove_on_change(self.invalidate)
        if not self.unchanged():
            return None
        reply = self.reply
        reply.header = {**reply.header, "reqid": request_id}
        return reply


_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # session -> prepared
_PREPARED_DOCS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # document -> same


def prepare_pull(session) -> None:
    """Serialise the session's document for its first pull, ahead of the pull."""
    prepared = _PREPARED[session] = _PreparedPull(session)
    _PREPARED_DOCS[session.document] = prepared


def take_prepared_pull(session, request_id: str):
    prepared = _PREPARED.pop(session, None)
    _PREPARED_DOCS.pop(session.document, None)
    return None if prepared is None else prepared.take(request_id)


def _dist_url(document) -> str:
    # as panel.io.server.server_html_page_for_session computes it
    from panel.io.resources import LOCAL_DIST
    from panel.io.state import set_curdoc, state

    with set_curdoc(document):
        return f"{state.rel_path}/{LOCAL_DIST}" if state.rel_path else LOCAL_DIST


def _patch_model_css(root, dist_url):
    from panel.io import resources

    return resources.patch_model_css(root, dist_url=dist_url)


def _patch_model_css_unless_done(root, dist_url):
    prepared = _PREPARED_DOCS.get(root.document) if root.document is not None else None
    if prepared is not None and prepared.dist_url == dist_url and prepared.unchanged():
        return None  # patched when the page was built ahead, and unchanged since
    return _patch_model_css(root, dist_url)


def _token(link: _Link, session_id: str) -> str:
    from bokeh.util.token import generate_jwt_token

    app = link.app
    return generate_jwt_token(session_id, secret_key=app.secret_key, signed=app.sign_sessions,
                              expiration=app.session_token_expiration,
                              extra_payload=link.payload)


POOL = SessionPool()
_installed = False


def install() -> bool:
    """Serve pages from the pool in this server process (idempotent; False when the pool
    is switched off). Wraps Panel's page handler: a request takes a ready session when its
    link has one, and is built as usual otherwise."""
    global _installed
    if _installed or POOL.size <= 0:
        return _installed
    from panel.io.server import DocHandler

    original = DocHandler.get_session

    async def get_session(self):
        session = POOL.take(self)
        # says whether the page was built ahead (for operators and tests)
        self.set_header("X-Page-Pool", "hit" if session is not None else "miss")
        if session is None:
            session = await original(self)
        POOL.note(self)
        return session

    get_session.original = original
    DocHandler.get_session = get_session

    quiet.track_activity()  # a page is in use: refills wait

    from bokeh.server.tornado import BokehTornado

    start = BokehTornado.start

    def start_expecting_plain_links(self):
        start(self)
        self._loop.add_callback(POOL.expect_plain_links, self)

    start_expecting_plain_links.original = start
    BokehTornado.start = start_expecting_plain_links

    from bokeh.server.session import ServerSession

    pull = ServerSession.__dict__["pull"]

    def pull_prepared(cls, message, connection):
        reply = take_prepared_pull(connection.session, message.header["msgid"])
        if reply is None:
            return pull.__func__(cls, message, connection)
        POOL.prepared_pulls += 1

        async def prepared():
            return reply
        return prepared()

    pull_prepared.original = pull
    ServerSession.pull = classmethod(pull_prepared)

    from panel.io import server as panel_server

    _patch_model_css_unless_done.original = panel_server.patch_model_css
    panel_server.patch_model_css = _patch_model_css_unless_done
    _installed = True
    return True


def uninstall() -> None:
    """Back to building every page on request (tests)."""
    global _installed
    from bokeh.server.session import ServerSession
    from bokeh.server.tornado import BokehTornado
    from panel.io import server as panel_server
    from panel.io.server import DocHandler

    for owner, name in ((DocHandler, "get_session"), (BokehTornado, "start"),
                        (ServerSession, "pull"),
                        (panel_server, "patch_model_css")):
        original = getattr(getattr(owner, name), "original", None)
        if original is not None:
            setattr(owner, name, original)
    _installed = False
