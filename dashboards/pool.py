"""Pages built before they are asked for: a small pool of ready sessions per link.

Building a page holds its server process for about 0.3 s (the explorer's figures and widgets,
their Bokeh models), on the event loop that also answers every slider: a class of 12 opening
the link together waited seconds, and a student already in the page waited with them. The
pool keeps up to ``SIZE`` sessions ready for each of the last ``LINKS`` links asked for (the
page path and its query: a lecturer's link with ``?tab=2`` is a link of its own), built one at
a time by the server's own machinery while no page is being requested, and hands one to each
arrival: its page is served at once and its websocket finds the session built.

A pooled session is an ordinary Bokeh session that nobody has connected to yet, with its own
id, document and explorers (pages stay independent). Its token carries the link's query and
headers (no visitor's cookies or credentials) and is issued afresh when the session is handed out (a
pooled page can wait longer than a token lives); a session older than ``MAX_AGE_S`` is let go
(the server discards it as unused) and rebuilt.

Opt-in for now: ``LEARNING_PHASES_POOL=12`` sets ``SIZE`` (default 0, no pool). In one full
browser-test run a page served from the pool reported nine failed resource loads that did not
reproduce; until that is understood the default server builds every page on request.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import OrderedDict, deque
from urllib.parse import urlencode

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
#: pause between two refills (each holds the event loop for one page build)
PAUSE_S = 0.5


def link_key(request) -> tuple[str, str]:
    """The page path and its query, sorted (``?b=1&a=2`` is ``?a=2&b=1``)."""
    pairs = sorted((k, v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
                   for k, values in (request.query_arguments or {}).items() for v in values)
    return request.path, urlencode(pairs)


class _Link:
    def __init__(self, handler):
        self.app = handler.application
        self.context = handler.application_context
        self.request = handler.request
        # no cookies or credentials of whoever asked for the link first; the other headers
        # (host, accepted formats) describe the link, and Panel reads some of them
        headers = {k: v for k, v in handler.request.headers.items()
                   if k.lower() not in ("cookie", "authorization", "proxy-authorization")}
        self.payload = {"headers": headers, "cookies": {},
                        "arguments": dict(handler.request.query_arguments or {})}
        self.ready: deque = deque()  # (built at, session)


class SessionPool:
    def __init__(self, size: int = SIZE):
        self.size = size
        self.links: OrderedDict[tuple, _Link] = OrderedDict()
        self.last_request = 0.0
        self.handed_out = 0
        self._task: asyncio.Task | None = None

    def take(self, handler):
        """A ready session for this request's link, or None."""
        self.last_request = time.monotonic()
        link = self.links.get(link_key(handler.request))
        while link is not None and link.ready:
            built, session = link.ready.popleft()
            session.unblock_expiration()
            if time.monotonic() - built < MAX_AGE_S and not session.destroyed:
                self.handed_out += 1
                # the token the page carries: valid from now, for the session built ahead
                session._token = _token(link, session.id)
                return session
        return None

    def note(self, handler) -> None:
        """Remember this request's link, and keep its pool filled from now on."""
        key = link_key(handler.request)
        if key not in self.links:
            self.links[key] = _Link(handler)
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
            if time.monotonic() - self.last_request < QUIET_S:
                continue
            link = self._next_link()
            if link is None:
                await asyncio.sleep(5 * PAUSE_S)
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
        link.ready.append((time.monotonic(), session))


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
    from bokeh.server.views.ws import WSHandler
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

    on_message = WSHandler.on_message

    async def on_message_noted(self, fragment):
        POOL.last_request = time.monotonic()  # a page is in use: refills wait
        return await on_message(self, fragment)

    on_message_noted.original = on_message
    WSHandler.on_message = on_message_noted
    _installed = True
    return True


def uninstall() -> None:
    """Back to building every page on request (tests)."""
    global _installed
    from bokeh.server.views.ws import WSHandler
    from panel.io.server import DocHandler

    original = getattr(DocHandler.get_session, "original", None)
    if original is not None:
        DocHandler.get_session = original
    original = getattr(WSHandler.on_message, "original", None)
    if original is not None:
        WSHandler.on_message = original
    _installed = False
