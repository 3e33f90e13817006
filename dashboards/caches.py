"""Caches at the boundary between the pages and ``theory``, shared by every page of a server
process: a bounded LRU map, ``Atlas`` (results on a slider's own grid, computed ahead by a
short-solve worker), ``solve_now`` and ``value_key``.

Panel-free (numpy and ``dashboards.processes`` only): the recipes of ``dashboards.recipes``
look their results up here, and an exported script imports them without Panel or Bokeh.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future

import numpy as np

from . import processes

log = logging.getLogger("learning_phases")


class BoundedCache:
    """A thread-safe least-recently-used map of at most ``size`` entries."""

    def __init__(self, size: int):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self):
        return len(self._items)


class Atlas:
    """Results on a slider's own grid, computed ahead by a short-solve worker process and
    shared by every page of this server process, so that moving the slider is a lookup.

    ``entries`` are ``(key, processes.Step)``; ``fill()`` queues the missing ones once per
    process (again after a ``--num-procs`` fork) and returns at once; ``get(key)`` is the
    result or None while it is not there yet (the page then computes it itself)."""

    def __init__(self, entries, size: int = 1024):
        self._entries = entries  # a callable returning the (key, step) list, built lazily
        self.cache = BoundedCache(size)
        self._started = False
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self):
        self._started = False  # the parent's worker and its pending results stay there

    def get(self, key):
        return self.cache.get(key)

    def get_or(self, key, compute):
        """The atlas's result for ``key``, or ``compute()`` while it has none."""
        found = self.cache.get(key)
        return found if found is not None else compute()

    def fill(self, chunk: int = 8) -> bool:
        """Queue the missing entries, ``chunk`` steps per run, each run queued when the one
        before has finished: a page's own request waits for one chunk at most, not for the
        whole atlas. False if nothing was queued."""
        if self._started:
            return False
        self._started = True
        missing = {k: step for k, step in self._entries() if self.cache.get(k) is None}
        missing = list(missing.items())  # one run per key, however often it is listed
        batches = [missing[i:i + chunk] for i in range(0, len(missing), chunk)]

        def next_batch():
            if not batches:
                return
            batch = batches.pop(0)
            future = processes.submit([step for _, step in batch], kind="solve")

            def store(done: Future):
                if done.exception() is None:
                    for (key, _), result in zip(batch, done.result(), strict=True):
                        self.cache.put(key, result)
                    next_batch()
                else:
                    log.warning("atlas left unfilled: %s", done.exception())

            future.add_done_callback(store)

        next_batch()
        return bool(missing)


def solve_now(cache: BoundedCache, key, steps) -> list:
    """The results of ``steps`` (``processes.Step`` s) from ``cache``, or computed here and
    stored: what ``Explorer.run_latest(..., cache=, key=)`` would deliver, for the warm-up."""
    results = cache.get(key)
    if results is None:
        results = processes.run_steps(steps, lambda _: None, lambda: False)
        cache.put(key, results)
    return results


def value_key(*values):
    """A hashable key of priors, channels and numbers in which slider values that differ by
    float rounding (0.07 and 0.07000000000000001) are the same: atlases are looked up by
    it. Dataclasses become (class name, fields), floats are rounded to 9 digits."""
    import dataclasses

    def norm(v):
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return (type(v).__name__, *(norm(getattr(v, f.name)) for f in dataclasses.fields(v)))
        if isinstance(v, (float, np.floating)):
            return round(float(v), 9)
        if isinstance(v, (tuple, list)):
            return tuple(norm(x) for x in v)
        return v

    return tuple(norm(v) for v in values)
