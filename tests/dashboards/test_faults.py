"""Injected faults: a solver that raises (overflow) or does not converge, a simulation that
raises. Each gives a message in the page; the session keeps working afterwards."""

import dataclasses

import numpy as np
import pytest

import dashboards.recipes.spiked as spiked_view  # the recipes look their caches up there
from dashboards import OnlineExplorer, SpikedExplorer, processes
from tests.dashboards import worker_faults
from tests.waiting import wait_until
from theory import online, spiked


def test_a_solver_that_raises_gives_a_message_and_the_page_recovers(monkeypatch):
    explorer = SpikedExplorer()
    before = np.array(explorer.sources["curves"].data["bayes"])

    def overflowing(*args, **kwargs):
        raise FloatingPointError("overflow encountered in exp")

    with monkeypatch.context() as patch:
        patch.setattr(spiked_view, "cached_curve", overflowing)
        explorer.rho = 0.2  # must not raise here
        assert explorer.message.visible
        assert "overflow encountered in exp" in explorer.message.object
    explorer.rho = 0.3  # the solver works again: the view follows
    assert not explorer.message.visible
    after = np.array(explorer.sources["curves"].data["bayes"])
    assert after.shape == before.shape
    assert not np.allclose(after, before)


def test_points_that_did_not_converge_are_marked_and_said(monkeypatch):
    real = spiked_view.cached_curve

    def partly_unconverged(prior, lo, hi, points):
        curve = real(prior, lo, hi, points)
        bad = np.zeros(curve.snr.size, bool)
        bad[::10] = True
        status = np.where(bad, "not_converged", curve.uninformed.status)
        branch = dataclasses.replace(curve.uninformed, status=status)
        return dataclasses.replace(curve, uninformed=branch)

    monkeypatch.setattr(spiked_view, "cached_curve", partly_unconverged)
    explorer = SpikedExplorer()
    expected = int(np.ceil(spiked_view.CURVE_POINTS / 10))
    assert f"{expected} of {spiked_view.CURVE_POINTS} points did not converge" in \
        explorer.message.object
    assert len(explorer.sources["unconverged"].data["snr"]) == expected


def test_a_simulation_that_raises_is_reported_and_the_next_run_works(monkeypatch):
    explorer = SpikedExplorer(amp_n=400, amp_runs=1)
    with monkeypatch.context() as patch:
        patch.setattr(spiked, "amp_ensemble", worker_faults.raise_memory_error)
        future = explorer.run_amp()
        with pytest.raises(MemoryError):  # raised in a worker process, carried back here
            future.result(timeout=60)
        wait_until(lambda: "Simulation failed" in explorer.message.object)
        assert "cannot allocate" in explorer.message.object
        assert not explorer.run_button.disabled
    explorer.run_amp().result(timeout=120)
    wait_until(lambda: len(explorer.sources["amp"].data["snr"]) > 0)


def test_a_worker_process_that_dies_is_reported_and_the_next_run_works(monkeypatch):
    explorer = SpikedExplorer(amp_n=400, amp_runs=1)
    with monkeypatch.context() as patch:
        patch.setattr(spiked, "amp_ensemble", worker_faults.exit_the_process)
        with pytest.raises(processes.WorkerDied):
            explorer.run_amp().result(timeout=60)
        wait_until(lambda: "stopped without an answer" in explorer.message.object)
        assert not explorer.run_button.disabled
    explorer.run_amp().result(timeout=120)  # a new worker takes over
    wait_until(lambda: len(explorer.sources["amp"].data["snr"]) > 0)


def test_sgd_that_diverges_into_nan_is_reported(monkeypatch):
    # a small run (N = 100 up to alpha = 20: about a second), so that a loaded machine does
    # not time it out; the default one (N = 1000 up to alpha = 500) takes minutes there
    explorer = OnlineExplorer(sim_runs=1, N=100, alpha_max=20.0)
    monkeypatch.setattr(online, "simulate_sgd", worker_faults.sgd_ending_in_nan)
    explorer.run_sgd().result(timeout=120)
    wait_until(lambda: not explorer.sim.run_button.disabled)
    text = explorer.sim.status.object + explorer.message.object
    assert "diverg" in text.lower() or "nan" in text.lower()


def test_a_result_the_server_cannot_unpickle_is_an_error_in_the_page(monkeypatch):
    """Issue 17: such a result broke the worker pool (every run queued with it failed as a
    "dead worker") instead of being that run's error."""
    explorer = SpikedExplorer(amp_n=400, amp_runs=1)
    with monkeypatch.context() as patch:
        patch.setattr(spiked, "amp_ensemble", worker_faults.unpicklable_result)
        with pytest.raises(processes.ResultUnreadable):
            explorer.run_amp().result(timeout=60)
        wait_until(lambda: "could not be read by the server" in explorer.message.object)
        assert "cannot be rebuilt here" in explorer.message.object
        assert not explorer.run_button.disabled
    explorer.run_amp().result(timeout=120)  # the same workers take the next run
    wait_until(lambda: len(explorer.sources["amp"].data["snr"]) > 0)
