"""The background-work service and the sliders' atlases: the latest request wins, stale
results never reach the page, and precomputed results equal a local solve."""

import dataclasses
import threading

import numpy as np
import pytest

from dashboards.base import Atlas, value_key
from dashboards.processes import Cancelled, Step
from dashboards.recipes import url_number
from dashboards.spiked import SpikedExplorer
from tests.waiting import wait_until
from theory import channels, glm, priors, spiked


def test_value_key_merges_float_rounding_only():
    assert value_key(priors.SparseRademacher(rho=0.07)) == \
        value_key(priors.SparseRademacher(rho=0.07000000000000001))
    assert value_key(priors.SparseRademacher(rho=0.07)) != \
        value_key(priors.SparseRademacher(rho=0.08))
    assert value_key(channels.Sign(flip=0.1)) != value_key(channels.Linear(noise=0.1))


def same(a, b) -> bool:
    """Equal field by field, NaN equal to NaN (statuses are strings: compared as such)."""
    fa, fb = dataclasses.astuple(a), dataclasses.astuple(b)
    return type(a) is type(b) and all(
        np.array_equal(x, y, equal_nan=np.asarray(x).dtype.kind in "fc")
        for x, y in zip(fa, fb, strict=True))


def test_an_atlas_is_filled_by_a_worker_with_what_a_local_solve_gives():
    prior, channel = priors.Rademacher(), channels.Sign(flip=0.13)
    atlas = Atlas(lambda: [
        (value_key("t", prior), Step(spiked.thresholds, dict(prior=prior))),
        (value_key("g", prior, channel), Step(glm.thresholds, dict(prior=prior,
                                                                    channel=channel)))],
        size=8)
    assert atlas.fill(chunk=1)
    assert not atlas.fill()  # once per process
    wait_until(lambda: atlas.get(value_key("g", prior, channel)) is not None, timeout=60)
    assert same(atlas.get(value_key("t", prior)), spiked.thresholds(prior=prior))
    remote = atlas.get(value_key("g", priors.Rademacher(), channels.Sign(flip=0.13 + 1e-17)))
    assert same(remote, glm.thresholds(prior=prior, channel=channel))


def test_the_latest_request_wins_and_stale_results_are_dropped():
    explorer = SpikedExplorer()
    release = threading.Event()
    shown = []

    def slow(check):
        release.wait(10)
        check()  # overtaken meanwhile: stops here
        return "old"

    first = explorer.run_latest("demo", slow, on_done=shown.append)
    second = explorer.run_latest("demo", lambda check: "new", on_done=shown.append)
    second.result(timeout=10)
    release.set()
    with pytest.raises(Cancelled):
        first.result(timeout=10)  # cancelled at its check
    wait_until(lambda: shown == ["new"])
    assert explorer.latest_future("demo") is second


def test_a_request_overtaken_in_a_worker_never_reaches_the_page():
    explorer = SpikedExplorer()
    shown = []
    explorer.run_latest("demo", [Step(spiked.thresholds, dict(
        prior=priors.SparseRademacher(rho=0.31)))], on_done=shown.append)
    newest = explorer.run_latest("demo", [Step(spiked.pca_overlap, dict(snr=2.0))],
                                 on_done=shown.append)
    newest.result(timeout=60)
    wait_until(lambda: len(shown) == 1)
    assert shown[0][0] == pytest.approx(0.5)  # PCA overlap at lambda = 2: 1 - 1/2


def test_the_kappa_and_scaling_atlases_hold_what_a_page_computes_at_their_slider_stops():
    """The entries of the capacity page's κ atlas (error fractions) and of the scaling page's
    curve atlas: keyed as the page looks them up after a slider move (a value as the
    browser sends it, off the grid by rounding), equal to the page's local solve."""
    from dashboards.recipes import capacity as capacity_recipes
    from dashboards.recipes import scaling as scaling_recipes

    kappa_entries = dict(capacity_recipes._atlas_entries())
    for kappa in (capacity_recipes.KAPPA_GRID[7], 0.35):
        step = kappa_entries[value_key("errors", round(kappa + 1e-13, 9))]  # cached_errors
        assert same(step.fn(**step.kwargs), capacity_recipes._errors(kappa))
    curve_entries = dict(scaling_recipes._atlas_entries())
    assert len(curve_entries) == 79 + 40 + 25 - 2  # the defaults are on all three grids
    model = scaling_recipes.ScalingParameters
    # as the page takes a browser's value: snapped as its link writes it (url_number)
    moved = [model(capacity=url_number(model.param.capacity, 2.0500000000000003)),
             model(source=url_number(model.param.source, 1.1000000000000001)),
             model(log_noise=url_number(model.param.log_noise, -1.25))]
    for p in moved:
        step = curve_entries[value_key("curve", float(p.capacity), float(p.source), p.noise)]
        assert same(step.fn(**step.kwargs),
                    scaling_recipes._curve(float(p.capacity), float(p.source), p.noise, None))
    assert value_key("curve", 2.0, 0.3, 10.0 ** -3.9) not in curve_entries  # off the grid
