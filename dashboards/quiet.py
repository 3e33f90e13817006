"""Work that waits until the server is quiet: Python's full garbage collections.

Python runs a full collection once ten young-generation collections have run and the objects
that survived the last full one grew by a quarter. In a served app those objects are mostly
pages (about 13 000 objects each, open, or closed and not yet collected: a page lives long
enough to reach the oldest generation), and a full collection scans them all on the event
loop that answers every slider of the process. Timed with ``gc.callbacks`` during
``python -m bench.sliders``: 25, 46, 99, 107, 209, 140 ms as pages came and went, and each
one that fell during a move stalled it (the 150-250 ms outliers of the online K and M and the
diffusion d and separation sliders).

Here the automatic full collections are switched off and run by ``QuietCollector`` instead:
when one is due by Python's count, as soon as no page has sent a websocket message for
``QUIET_S`` seconds (a user's pause between two drags), and at the latest ``MAX_DELAY_S``
after it became due (a class that never pauses still gets the memory of closed pages back).
Young collections are unchanged. The warmed caches are frozen out of every collection
(``warm.py``).
"""

from __future__ import annotations

import contextvars
import gc
import os
import time
from functools import wraps

#: a full collection waits for this many seconds without a websocket message ...
QUIET_S = 1.0
#: ... or this many after it became due, whichever comes first
MAX_DELAY_S = 30.0
#: how often the server checks (ms)
CHECK_MS = 250
#: Python's own rule: a full collection is due after this many young-generation collections
#: (the default third threshold of ``gc.set_threshold``)
DUE_AFTER = 10
#: the third threshold while this module collects: never reached
NEVER = 2**30


class QuietCollector:
    """Full garbage collections at quiet moments; ``clock`` is the time in seconds."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.last_activity = clock()
        self.due_since: float | None = None
        self.collections = 0

    def note_activity(self) -> None:
        self.last_activity = self.clock()

    def quiet_for(self) -> float:
        """Seconds since a page last sent anything (or was asked for)."""
        return self.clock() - self.last_activity

    def tick(self) -> bool:
        """Run a full collection if one is due and the server is quiet, or has been due for
        ``MAX_DELAY_S``; True when it ran."""
        if gc.get_count()[2] < DUE_AFTER:
            self.due_since = None
            return False
        now = self.clock()
        if self.due_since is None:
            self.due_since = now
        if now - self.last_activity < QUIET_S and now - self.due_since < MAX_DELAY_S:
            return False
        gc.collect()
        self.due_since = None
        self.collections += 1
        return True


COLLECTOR = QuietCollector()
_collecting_in: int | None = None  # the process whose event loop runs the collector


def note_activity() -> None:
    COLLECTOR.note_activity()


def quiet_for() -> float:
    return COLLECTOR.quiet_for()


def track_activity() -> None:
    """Every websocket message of every page counts as activity (idempotent)."""
    from bokeh.server.views.ws import WSHandler

    if getattr(WSHandler.on_message, "notes_activity", False):
        return
    on_message = WSHandler.on_message

    @wraps(on_message)
    async def on_message_noted(self, fragment):
        COLLECTOR.note_activity()
        return await on_message(self, fragment)

    on_message_noted.original = on_message
    on_message_noted.notes_activity = True
    WSHandler.on_message = on_message_noted


def collect_when_quiet() -> bool:
    """In a served app (from a session, on the server's event loop): switch Python's full
    collections to ``COLLECTOR`` in this process (once per process: again in a forked
    ``--num-procs`` worker). False when already done."""
    global _collecting_in
    if _collecting_in == os.getpid():
        return False
    from tornado.ioloop import PeriodicCallback

    track_activity()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)
    # started in an empty context: a callback keeps the context it was started in, and the
    # first page's context holds that page's document
    contextvars.Context().run(PeriodicCallback(COLLECTOR.tick, CHECK_MS).start)
    _collecting_in = os.getpid()
    return True


__all__ = ["COLLECTOR", "QuietCollector", "collect_when_quiet", "note_activity", "quiet_for",
           "track_activity"]
