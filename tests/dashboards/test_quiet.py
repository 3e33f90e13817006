"""Full garbage collections wait for a quiet server (dashboards/quiet.py)."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from dashboards import quiet


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Node:
    pass


def old_cycle_ref():
    """A weak reference to a reference cycle that reached the oldest generation and is now
    garbage: only a full collection frees it."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    gc.collect()
    ref = weakref.ref(a)
    del a, b
    return ref


def make_due():
    """Ten young-generation collections: by Python's count a full one is due."""
    for _ in range(quiet.DUE_AFTER):
        gc.collect(1)
    assert gc.get_count()[2] >= quiet.DUE_AFTER


def test_a_due_collection_waits_while_pages_talk_and_runs_in_the_pause():
    clock = Clock()
    collector = quiet.QuietCollector(clock)
    ref = old_cycle_ref()
    make_due()
    collector.note_activity()
    clock.now += quiet.QUIET_S / 2
    assert not collector.tick()
    assert ref() is not None  # a slider message came half a pause ago: not now
    clock.now += quiet.QUIET_S
    assert collector.tick()
    assert ref() is None
    assert gc.get_count()[2] == 0
    assert collector.collections == 1


def test_a_collection_that_is_not_due_does_not_run_even_when_quiet():
    clock = Clock()
    collector = quiet.QuietCollector(clock)
    gc.collect()
    ref = old_cycle_ref()
    clock.now += 10 * quiet.QUIET_S
    assert gc.get_count()[2] < quiet.DUE_AFTER
    assert not collector.tick()
    assert ref() is not None
    gc.collect()
    assert ref() is None


def test_a_server_that_never_pauses_still_collects_after_the_longest_delay():
    clock = Clock()
    collector = quiet.QuietCollector(clock)
    ref = old_cycle_ref()
    make_due()
    for _ in range(int(quiet.MAX_DELAY_S / 0.25)):
        collector.note_activity()
        assert not collector.tick()
        clock.now += 0.25
    collector.note_activity()
    assert collector.tick()  # due for MAX_DELAY_S by now, busy or not
    assert ref() is None


@pytest.fixture
def restore_gc_and_websocket():
    from bokeh.server.views.ws import WSHandler

    thresholds, on_message = gc.get_threshold(), WSHandler.on_message
    yield
    gc.set_threshold(*thresholds)
    WSHandler.on_message = on_message
    quiet._collecting_in = None


def test_served_python_makes_no_full_collection_of_its_own_and_messages_count_as_activity(
        restore_gc_and_websocket):
    from bokeh.server.views.ws import WSHandler

    seen = []

    async def bokeh_on_message(self, fragment):  # stands for Bokeh's handler
        seen.append(fragment)

    WSHandler.on_message = bokeh_on_message

    async def serve():
        installed = quiet.collect_when_quiet(), quiet.collect_when_quiet()
        quiet.COLLECTOR.last_activity = -1e9
        await WSHandler.on_message(None, "PATCH-DOC")
        return installed

    assert asyncio.run(serve()) == (True, False)  # once per process
    assert gc.get_threshold()[2] >= quiet.NEVER
    assert seen == ["PATCH-DOC"]
    assert quiet.quiet_for() < 5  # the message was noted
    quiet.track_activity()
    assert WSHandler.on_message.original is bokeh_on_message  # wrapped once
