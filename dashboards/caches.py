"""Caches at the boundary between the pages and ``theory``, shared by every page of a server
process: a bounded LRU map, ``Atlas`` (results on a slider's own grid, computed ahead by a
short-solve worker), ``PointwiseCurves`` (curves kept point by point, on ``round_grid``),
``solve_now`` and ``value_key``.

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
    """A thread-safe least-recently-used map of at most ``size`` entries and, with
    ``max_bytes``, at most that many bytes of numpy arrays in its values (``nbytes_of``):
    the least recently used entries give way, and a value larger than the whole budget is
    not kept. A cache of data arrays is bounded by bytes: entries of a link's size (one
    link can ask for 82 MB) would otherwise hold gigabytes."""

    def __init__(self, size: int, max_bytes: int | None = None):
        self.size, self.max_bytes = size, max_bytes
        self._items, self._bytes, self._lock = OrderedDict(), {}, threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def get_or_put(self, key, compute):
        """The value for ``key``, or ``compute()`` stored under it (computed outside the
        lock: two threads may both compute a missing value; either result is kept)."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value

    def put(self, key, value) -> None:
        size = nbytes_of(value) if self.max_bytes is not None else 0
        with self._lock:
            self._items.pop(key, None)
            self._bytes.pop(key, None)
            if self.max_bytes is not None and size > self.max_bytes:
                log.info("not cached: %.0f MB is over the cache's budget", size / 1e6)
                return
            self._items[key] = value
            self._bytes[key] = size
            while len(self._items) > self.size or (
                    self.max_bytes is not None and sum(self._bytes.values()) > self.max_bytes):
                old, _ = self._items.popitem(last=False)
                self._bytes.pop(old, None)

    @property
    def nbytes(self) -> int:
        """Bytes of numpy arrays held now (counted when ``max_bytes`` is set)."""
        with self._lock:
            return sum(self._bytes.values())

    def __len__(self):
        return len(self._items)

    def items(self) -> list:
        """(key, value) pairs held now, the most recently used last (a copy)."""
        with self._lock:
            return list(self._items.items())


def nbytes_of(value, _seen=None) -> int:
    """Bytes of the numpy arrays in ``value``: an array, or arrays in the fields of a
    dataclass, a tuple, list or dict (nested), each counted once; other values count 0."""
    import dataclasses

    seen = set() if _seen is None else _seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        base = value
        while isinstance(base.base, np.ndarray):  # a read-only view: its memory, once
            base = base.base
        if id(base) in seen and base is not value:
            return 0
        seen.add(id(base))
        return int(base.nbytes)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(nbytes_of(getattr(value, f.name), seen) for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list)):
        return sum(nbytes_of(v, seen) for v in value)
    if isinstance(value, dict):
        return sum(nbytes_of(v, seen) for v in value.values())
    return 0


class Atlas:
    """Results on a slider's own grid, computed ahead by a short-solve worker process and
    shared by every page of this server process, so that moving the slider is a lookup.

    ``entries`` are ``(key, processes.Step)``; ``fill()`` queues the missing ones once per
    process (again after a ``--num-procs`` fork) and returns at once; ``get(key)`` is the
    result or None while it is not there yet (the page then computes it itself)."""

    def __init__(self, entries, size: int = 1024, max_bytes: int | None = None):
        self._entries = entries  # a callable returning the (key, step) list, built lazily
        self.cache = BoundedCache(size, max_bytes)
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


class PointwiseCurves:
    """Curves whose points are solved independently of each other (state evolution on a
    grid: ``theory``'s ``Curve.take`` / ``join``), kept point by point for each model: a
    curve on a new grid solves only the points not solved before. A range slider's end
    moved by one step then costs the new end and the grid points it uncovers (see
    ``round_grid``), not the whole curve. ``solve(model, points)`` returns the curve of a
    model (any hashable key) at the sorted array ``points``; at most ``models`` models of
    at most ``max_points`` points each are kept (a model past it starts again)."""

    def __init__(self, solve, models: int = 16, max_points: int = 20_000):
        self._solve, self.max_points = solve, max_points
        self._stores = BoundedCache(models)

    def curve(self, model, grid: np.ndarray):
        grid = np.asarray(grid, dtype=float)
        store = self._stores.get(model)
        missing = grid if store is None else grid[~_found(store.control, grid)]
        if missing.size:
            solved = self._solve(model, np.unique(missing))
            if store is None or len(store.control) + len(solved.control) > self.max_points:
                store = solved
            else:
                store = store.join(solved)
                store = store.take(np.argsort(store.control, kind="stable"))
            self._stores.put(model, store)  # two threads may both solve: either is kept
        found = _found(store.control, grid)
        if not found.all():  # the solver moved a point (clipped it): solve the grid as is
            return self._solve(model, grid)
        return store.take(np.searchsorted(store.control, grid))

    def know(self, model, curve) -> None:
        """Keep the points of ``curve`` (solved elsewhere, e.g. an atlas's) for ``model``."""
        store = self._stores.get(model)
        if store is None:
            order = np.argsort(curve.control, kind="stable")
            self._stores.put(model, curve.take(order))
            return
        new = ~_found(store.control, curve.control)
        if new.any() and len(store.control) + int(new.sum()) <= self.max_points:
            store = store.join(curve.take(np.flatnonzero(new)))
            self._stores.put(model, store.take(np.argsort(store.control, kind="stable")))


def _found(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_values`` (exactly)."""
    at = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[at] == values


#: round steps of a grid: 1, 1.25, 1.6, 2, 2.5, 3.2, 4, 5, 6.4 and 8 times a power of ten
_ROUND_STEPS = np.array([1.0, 1.25, 1.6, 2.0, 2.5, 3.2, 4.0, 5.0, 6.4, 8.0])


def round_grid(lo: float, hi: float, points: int) -> np.ndarray:
    """A grid of [lo, hi] with both ends and the multiples of a round step inside it, at
    least ``points`` points in all (at most about 1.3 times as many): moving one end of
    the range keeps the step and every inner point (which ``PointwiseCurves`` has solved),
    where ``linspace`` moved them all."""
    lo, hi = float(lo), float(hi)
    if not hi > lo or points < 3:
        return np.linspace(lo, hi, max(points, 2))
    target = (hi - lo) / (points - 1)
    power = 10.0 ** np.floor(np.log10(target))
    step = float(power * _ROUND_STEPS[_ROUND_STEPS * power <= target * (1 + 1e-12)].max())
    first, last = int(np.floor(lo / step)) + 1, int(np.ceil(hi / step)) - 1
    inner = np.arange(first, last + 1) * step
    inner = inner[(inner > lo) & (inner < hi)]
    return np.concatenate([[lo], inner, [hi]])


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
