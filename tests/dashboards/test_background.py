"""The background-work service and the sliders' atlases: the latest request wins, stale
results never reach the page, and precomputed results equal a local solve."""

import dataclasses
import threading

import numpy as np
import pytest

from dashboards.base import Atlas, value_key
from dashboards.processes import Cancelled, Step
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
