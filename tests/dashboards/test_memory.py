"""Memory by link: caches of data arrays are bounded by bytes, and a link asking for the
largest data (``?tab=3&dm_d=512&dm_n=20000&dm_seed=K``, 82 MB of points each) builds nothing
big in the server process, whatever the number of seeds."""

import dataclasses
import urllib.parse

import numpy as np
from panel.io.location import Location

from dashboards.caches import BoundedCache, nbytes_of
from dashboards.diffusion import DiffusionExplorer
from dashboards.recipes import diffusion as recipes
from tests.waiting import wait_until
from theory import diffusion


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


@dataclasses.dataclass(frozen=True)
class Result:
    points: np.ndarray
    labels: np.ndarray
    label: str


def test_a_cache_of_data_keeps_its_byte_budget():
    budget = 10 * 2**20
    cache = BoundedCache(100, max_bytes=budget)
    rng = np.random.default_rng(0)
    for seed in range(32):  # like 32 links of 3.3 MB of points each
        value = Result(rng.standard_normal((6400, 64)), np.zeros(6400, int), f"seed {seed}")
        assert nbytes_of(value) == 6400 * 64 * 8 + 6400 * 8
        cache.put(seed, value)
        assert cache.nbytes <= budget
    assert len(cache) == 3  # the three most recent fit (3 x 3.3 MB)
    assert cache.get(31) is not None
    assert cache.get(29) is not None
    assert cache.get(28) is None
    cache.put("huge", np.zeros(budget // 8 + 1))  # over the whole budget: not kept
    assert cache.get("huge") is None
    assert cache.nbytes <= budget
    view = np.arange(1000.0)
    assert nbytes_of((view, view[:10], {"again": view})) == 8000  # shared memory, once


def test_links_to_many_large_seeds_keep_the_server_small(monkeypatch):
    drawn = []
    real = diffusion.gaussian_mixture
    monkeypatch.setattr(diffusion, "gaussian_mixture",
                        lambda **kw: drawn.append(kw) or real(**kw))
    before = rss_mb()
    for seed in range(32):
        page = DiffusionExplorer()
        query = urllib.parse.urlencode({"dm_d": 512, "dm_n": 20000, "dm_seed": seed})
        page.sync_url(Location(search="?" + query))
        assert (page.d, page.n, page.seed) == (512, 20000, seed)
        assert "n = 20000" in page.summary.object  # the page is built, its theory shown
        page.close()  # the estimate queued for it is dropped
    assert drawn == []  # no point drawn in the server process: workers draw them
    grown = rss_mb() - before
    assert grown < 150, f"{grown:.0f} MB for 32 links"  # 32 x 82 MB were kept before
    for cache in (recipes.SIMULATION_RESULTS, recipes.MIXTURES):
        assert cache.nbytes <= cache.max_bytes


def test_a_backward_run_is_shared_where_its_key_says_so_within_the_budget():
    first = DiffusionExplorer(d=16, n=200, n_samples=40, seed=7)
    first.run_backward().result(timeout=300)
    wait_until(lambda: len(first.sources["curves"].data["t"]) > 0)
    assert 0 < recipes.SIMULATION_RESULTS.nbytes <= recipes.SIMULATION_RESULTS.max_bytes
    second = DiffusionExplorer(d=16, n=200, n_samples=40, seed=7)  # another page, same key
    second.run_backward()  # from the shared cache: drawn at once, no run
    np.testing.assert_array_equal(second.sources["curves"].data["committed"],
                                  first.sources["curves"].data["committed"])
    assert not second.sim.run_button.disabled
    other = DiffusionExplorer(d=16, n=200, n_samples=40, seed=8)  # another key: its own run
    other.run_backward()
    assert other.sim.run_button.disabled
    assert len(other.sources["curves"].data["t"]) == 0


class PageNotShownYet:
    """A session's document whose page has not connected (e.g. built ahead in the pool):
    callbacks for the page wait in ``ticks``."""

    session_context = object()

    def __init__(self):
        self.ticks = []

    def add_next_tick_callback(self, callback):
        self.ticks.append(callback)


def test_a_page_built_ahead_computes_nothing_until_it_is_shown():
    page = DiffusionExplorer()
    page.t_c_future.result(timeout=120)
    wait_until(lambda: "excess-entropy estimate" in page.summary.object)  # nothing under way
    page._doc, page._loaded = PageNotShownYet(), type(page._loaded)()  # not shown yet
    started = []
    run_latest = page.run_latest
    page.run_latest = lambda slot, *args, **kwargs: (started.append((slot, page.seed)),
                                                     run_latest(slot, *args, **kwargs))[1]
    for seed in (1, 2, 3):  # a link's values arrive one by one
        page.seed = seed
    assert started == []  # no estimate started
    assert len(page._pending) == 1  # one, for the values the page will have when shown
    page._on_page_loaded()
    ticks = page._doc.ticks
    for callback in list(ticks):
        callback()
    assert started == [("collapse", 3)]  # now, once, for the values shown
    done = len(ticks)
    page.t_c_future.result(timeout=120)
    wait_until(lambda: len(ticks) > done)  # its result, delivered on the page's next tick
    ticks[-1]()
    assert recipes.COLLAPSE_TIMES.get(recipes.data_key(page)) is not None
    assert "excess-entropy estimate" in page.summary.object


def test_get_or_put_computes_a_missing_value_once_and_keeps_it():
    cache, calls = BoundedCache(2), []

    def compute():
        calls.append(1)
        return np.arange(3.0)

    first = cache.get_or_put("k", compute)
    assert cache.get_or_put("k", compute) is first
    assert len(calls) == 1
    np.testing.assert_array_equal(cache.get("k"), [0.0, 1.0, 2.0])
