"""Dask sweeps: on a real local cluster the results equal the single-process computation,
they land in the versioned cache and are read back without recomputing."""

import json
import subprocess
import sys

import numpy as np
import pytest

from theory import priors, spiked, sweep

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    numbers = a.dtype.kind in "fc" and b.dtype.kind in "fc"  # statuses are strings
    return np.array_equal(a, b, equal_nan=numbers)


def test_phase_diagram_on_the_cluster_equals_the_single_process_one(client, tmp_path):
    rho = np.geomspace(0.02, 1.0, 12)
    distributed_result = sweep.phase_diagram(family="sparse_rademacher", rho=rho,
                                             client=client, cache=tmp_path)
    local = spiked.phase_diagram(family="sparse_rademacher", rho=rho)
    for name in ("rho", *sweep.PHASE_FIELDS):
        assert same(getattr(distributed_result, name), getattr(local, name)), name
    files = list((tmp_path / f"v{sweep.CACHE_VERSION}").glob("spiked-phase-*.npz"))
    assert len(files) == 1


def test_cached_results_are_read_back_without_the_cluster(client, tmp_path):
    rho = np.geomspace(0.05, 1.0, 6)
    first = sweep.phase_diagram(family="gauss_bernoulli", rho=rho, client=client,
                                cache=tmp_path)

    class NoCluster:  # any task sent to it fails the test
        def map(self, *args, **kwargs):
            raise AssertionError("recomputed a cached sweep")

    again = sweep.phase_diagram(family="gauss_bernoulli", rho=rho, client=NoCluster(),
                                cache=tmp_path)
    for name in sweep.PHASE_FIELDS:
        assert same(getattr(first, name), getattr(again, name))
    finest = sweep.finest_cached_phase_diagram("gauss_bernoulli", cache=tmp_path)
    assert same(finest.algorithmic, first.algorithmic)
    assert sweep.finest_cached_phase_diagram("sparse_rademacher", cache=tmp_path) is None


def test_a_damaged_cache_file_is_recomputed(client, tmp_path):
    rho = [0.1, 0.5]
    sweep.phase_diagram(family="sparse_rademacher", rho=rho, client=client, cache=tmp_path)
    (path,) = (tmp_path / f"v{sweep.CACHE_VERSION}").glob("*.npz")
    path.write_bytes(b"not a zip file")
    again = sweep.phase_diagram(family="sparse_rademacher", rho=rho, client=client,
                                cache=tmp_path)
    assert same(again.information_theoretic,
                spiked.phase_diagram(family="sparse_rademacher",
                                     rho=rho).information_theoretic)


def test_amp_sweep_equals_single_runs(client, tmp_path):
    result = sweep.amp_sweep(prior="rademacher", snr=[0.5, 3.0], n=[200, 400], seeds=2,
                             client=client, cache=tmp_path)
    assert result.overlap.shape == (2, 2, 2)
    for i, snr in enumerate([0.5, 3.0]):
        for j, n in enumerate([200, 400]):
            for k in range(2):
                run = spiked.simulate_amp(prior=priors.make_prior("rademacher", 1.0), snr=snr, n=n,
                                          seed=k)
                assert result.overlap[i, j, k] == run.overlap[-1]
    # below lambda = 1 AMP learns nothing; above it the overlap is state evolution's
    assert np.all(np.abs(result.overlap[0]) < 0.3)
    fixed_point = spiked.state_evolution(prior=priors.make_prior("rademacher", 1.0), snr=3.0)
    assert np.all(np.abs(result.overlap[1] - fixed_point.overlap) < 0.1)


def test_bad_sweeps_are_refused():
    with pytest.raises(ValueError, match="family"):
        sweep.phase_diagram(family="laplace", points=10)
    with pytest.raises(ValueError, match="points"):
        sweep.phase_diagram(family="gauss_bernoulli", points=10**6)
    with pytest.raises(ValueError, match="rho"):
        sweep.phase_diagram(family="gauss_bernoulli", rho=[0.5, float("nan")])
    with pytest.raises(ValueError, match="at most"):
        sweep.amp_sweep(prior="rademacher", snr=np.linspace(0, 2, 100), n=[100] * 30,
                        seeds=10)


def test_command_line_runs_a_sweep_into_the_cache(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "theory.sweep", "--cache", str(tmp_path), "spiked-phase",
         "--family", "gauss_bernoulli", "--points", "4"],
        capture_output=True, text=True, timeout=300, check=True)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["points"] == 4
    cached = sweep.finest_cached_phase_diagram("gauss_bernoulli", cache=tmp_path)
    local = spiked.phase_diagram(family="gauss_bernoulli", rho=np.geomspace(0.01, 1.0, 4))
    assert same(cached.dynamic, local.dynamic)
