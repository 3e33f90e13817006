"""Simulations run in worker processes at low priority: same results as in this process,
progress and cancel across the process boundary, a bounded queue, the threads fallback."""

import itertools
import multiprocessing
import os
import time

import numpy as np
import psutil
import pytest

from dashboards import SpikedExplorer, processes
from dashboards.processes import Cancelled, Step
from tests.dashboards import worker_faults
from tests.waiting import wait_until
from theory import priors, spiked


def test_steps_report_weighted_progress_and_stop_when_cancelled():
    seen = []
    steps = [Step(worker_faults.sleep_with_progress, {"seconds": 0.1}, weight=3, progress=True),
             Step(abs, {"x": -2}, weight=1)]
    with pytest.raises(TypeError):  # abs takes no keyword: a step's own error comes out
        processes.run_steps(steps, seen.append, lambda: False)
    assert seen[-1] == pytest.approx(0.75)  # the first step is three quarters of the bar
    assert all(a <= b for a, b in itertools.pairwise(seen))
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        processes.run_steps(steps, lambda f: None, cancelled)
    assert len(calls) == 4


def test_a_simulation_runs_in_another_process_at_the_lowest_priority():
    pid, niceness = processes.submit([Step(os.getpid), Step(worker_faults.niceness)]).result(
        timeout=60)
    assert pid != os.getpid()
    assert niceness == max(processes.NICENESS, os.nice(0))
    assert 1 <= processes.worker_count() <= processes.WORKERS


def test_a_worker_computes_what_this_process_computes():
    kwargs = dict(prior=priors.SparseRademacher(rho=0.2), snr=np.array([0.8, 1.6]), n=300,
                  runs=2, iterations=60, seed=11)
    remote, = processes.submit([Step(spiked.amp_ensemble, kwargs)]).result(timeout=120)
    local = spiked.amp_ensemble(**kwargs)
    np.testing.assert_array_equal(remote.mmse_mean, local.mmse_mean)
    np.testing.assert_array_equal(remote.overlap_sem, local.overlap_sem)


def test_progress_reaches_the_page_and_cancel_reaches_the_worker():
    explorer = SpikedExplorer()
    values = []
    explorer.sim.progress.param.watch(lambda event: values.append(event.new), "value")
    future = explorer.run_in_process(
        [Step(worker_faults.sleep_with_progress, {"seconds": 30}, progress=True)],
        on_done=lambda _: None, on_error=explorer.sim.failed,
        on_progress=explorer.sim.show_progress)
    wait_until(lambda: any(0 < v < 100 for v in values), timeout=30)
    explorer.cancel()
    with pytest.raises(Cancelled):
        future.result(timeout=10)  # at the worker's next progress check, not after 30 s
    wait_until(lambda: "cancelled" in explorer.amp_status.object.lower())


def test_a_full_queue_refuses_with_a_message(monkeypatch):
    monkeypatch.setattr(processes, "SLOTS", 1)
    monkeypatch.setattr(processes, "_pool", None)  # a pool with one slot, for this test
    explorer = SpikedExplorer()
    running = explorer.run_in_process(
        [Step(worker_faults.sleep_with_progress, {"seconds": 30}, progress=True)],
        on_done=lambda _: None)
    refused = explorer.run_in_process([Step(os.getpid)], on_done=lambda _: None,
                                      on_error=explorer.sim.failed)
    with pytest.raises(processes.ServerBusy):
        refused.result(timeout=5)
    wait_until(lambda: "already queued" in explorer.message.object)
    explorer.close()
    with pytest.raises(Cancelled):
        running.result(timeout=10)
    processes._pool.close()


def test_retired_workers_are_replaced_while_runs_are_queued(monkeypatch):
    """Workers retire after RUNS_PER_WORKER runs; with runs queued, CPython 3.11's pool
    started no replacement once another worker had been idle, and every later run waited
    forever (python/cpython#115634)."""
    monkeypatch.setattr(processes, "RUNS_PER_WORKER", 2)
    monkeypatch.setattr(processes, "_pool", None)  # a pool of its own, for this test
    futures = [processes.submit([Step(os.getpid)]) for _ in range(8 * processes.WORKERS)]
    pids = {future.result(timeout=120)[0] for future in futures}
    assert len(pids) >= 4  # each worker ran at most two of them
    wait_until(lambda: processes.worker_count() == processes.WORKERS)  # the pool is full again
    processes._pool.close()


def test_the_threads_fallback_gives_the_same_runs(monkeypatch):
    monkeypatch.setenv(processes.MODE_ENV, "threads")
    explorer = SpikedExplorer(prior="rademacher", amp_n=300, amp_runs=2)
    explorer.run_amp().result(timeout=120)
    wait_until(lambda: len(explorer.sources["amp"].data["mean"]) > 0)
    in_threads = np.array(explorer.sources["amp"].data["mean"])
    explorer._clear_amp()
    monkeypatch.setenv(processes.MODE_ENV, "processes")
    explorer.run_amp().result(timeout=120)
    wait_until(lambda: len(explorer.sources["amp"].data["mean"]) > 0)
    np.testing.assert_array_equal(np.array(explorer.sources["amp"].data["mean"]), in_threads)


def _serve_one_run(answers):
    from dashboards import processes as in_child

    answers.put(in_child.submit([Step(os.getpid)]).result(timeout=60)[0])
    time.sleep(600)  # a server process that is about to be killed outright


def test_workers_exit_when_their_server_process_is_killed():
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    server = context.Process(target=_serve_one_run, args=(answers,))
    server.start()
    try:
        worker = psutil.Process(answers.get(timeout=60))
        assert worker.is_running()
    finally:
        server.kill()  # SIGKILL: no exit handler runs in the server
        server.join(timeout=10)
    worker.wait(timeout=10)  # psutil.TimeoutExpired if the worker lingers
    assert not worker.is_running()


def _start_a_long_run_and_return(answers):
    from dashboards import processes as in_child

    in_child.submit([Step(worker_faults.sleep_with_progress, {"seconds": 120}, progress=True)])
    wait_until(lambda: in_child.worker_count() >= 1, timeout=60)
    answers.put(sorted(in_child._pool.worker_pids()))
    # returns with the run still going: the process must still exit at once


def test_a_server_exits_without_waiting_for_a_running_simulation():
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    server = context.Process(target=_start_a_long_run_and_return, args=(answers,))
    server.start()
    workers = [psutil.Process(pid) for pid in answers.get(timeout=60)]
    started = time.monotonic()
    server.join(timeout=30)
    assert server.exitcode == 0, "the server process did not exit while its run was going"
    assert time.monotonic() - started < 30
    for worker in workers:
        worker.wait(timeout=10)  # its workers go with it
