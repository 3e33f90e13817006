"""Bounded resources: every cache a long-running server fills has a size limit."""

import functools
import importlib
import multiprocessing
import pkgutil

import dashboards
import theory
from dashboards.base import BoundedCache, submit_background
from dashboards.diffusion import COLLAPSE_TIMES


def _lru_caches():
    for package in (theory, dashboards):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            if info.name.endswith("__main__") or info.name == "theory.sweep":
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if isinstance(value, functools._lru_cache_wrapper):
                    yield f"{info.name}.{name}", value


def test_every_lru_cache_is_bounded():
    caches = dict(_lru_caches())
    assert len(caches) >= 10  # the solvers' and the explorers' caches were found
    unbounded = [name for name, cache in caches.items() if cache.cache_parameters()["maxsize"]
                 is None]
    assert unbounded == []


def test_bounded_cache_keeps_the_most_recently_used():
    cache = BoundedCache(3)
    for key in "abc":
        cache.put(key, key.upper())
    assert cache.get("a") == "A"  # a is now the most recent
    cache.put("d", "D")
    assert cache.get("b") is None  # the least recently used went
    assert [cache.get(k) for k in "acd"] == ["A", "C", "D"]
    assert len(cache) == 3


def test_the_shared_collapse_times_are_bounded():
    assert COLLAPSE_TIMES.size <= 1024


def _background_answer(queue):
    queue.put(submit_background(lambda: 6 * 7).result(timeout=20))


def test_background_work_runs_in_a_forked_worker_process():
    """`panel serve --num-procs` forks after the warm-up has started the worker threads."""
    assert submit_background(lambda: 1).result(timeout=20) == 1  # threads exist in the parent
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_background_answer, args=(queue,))
    child.start()
    try:
        assert queue.get(timeout=30) == 42
    finally:
        child.join(timeout=30)
    assert child.exitcode == 0


def test_after_warm_up_a_full_collection_no_longer_scans_the_warmed_heap():
    """The objects alive after the warm-up are frozen out of the collector: Panel's full
    collection after each closed page then costs milliseconds, not the whole heap."""
    import gc

    from dashboards.warm import warm_caches

    warm_caches()
    assert gc.get_freeze_count() > 100_000


def test_a_closed_page_collects_young_garbage_without_scanning_every_live_page(monkeypatch):
    """Served, Panel's collection after a closed page is a young-generation one: a fresh
    cycle is collected, an old one is left to Python's own full collections."""
    import gc
    import weakref

    from panel.io import document

    from dashboards.warm import lighten_session_cleanup

    monkeypatch.setattr(document, "_garbage_collect", document._garbage_collect)
    lighten_session_cleanup()

    class Node:
        pass

    def cycle():
        a, b = Node(), Node()
        a.other, b.other = b, a
        return a

    old = cycle()
    gc.collect()  # survives: now in the oldest generation
    old_ref = weakref.ref(old)
    del old
    young_ref = weakref.ref(cycle())
    document._garbage_collect()
    assert young_ref() is None
    assert old_ref() is not None
    assert gc.isenabled()
    gc.collect()
    assert old_ref() is None
