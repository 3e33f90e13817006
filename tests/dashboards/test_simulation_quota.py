"""One page cannot lock everyone out of simulations (issue 17): a disabled Run button takes
no clicks on the server, whoever sends them, and a page has at most one running and one
waiting simulation per explorer; the server-wide queue bound stays."""

import asyncio
from concurrent.futures import Future

import panel as pn
import pytest
from bokeh.document import Document
from bokeh.events import ButtonClick

from bench.load import Session
from dashboards import DiffusionExplorer, SpikedExplorer, processes
from dashboards.base import SIMULATIONS_PER_EXPLORER, TooManySimulations
from dashboards.processes import Cancelled
from tests.waiting import run_async, wait_until

from .test_sessions import _listening, free_port


class SlowWorkers:
    """``processes.submit`` for simulations: recorded, and answered only when the test says
    (a worker busy for minutes); short solves go to the real workers."""

    def __init__(self, real):
        self.real = real
        self.runs: list[tuple[Future, object]] = []

    def __call__(self, steps, *, on_progress=None, should_cancel=lambda: False,
                 kind="simulation"):
        if kind != "simulation":
            return self.real(steps, on_progress=on_progress, should_cancel=should_cancel,
                             kind=kind)
        future = Future()
        self.runs.append((future, should_cancel))
        return future

    def pending(self) -> int:
        return sum(not f.done() for f, _ in self.runs)

    def finish_cancelled(self) -> None:
        """What the pool does at its next poll: a run whose page cancelled it ends."""
        for future, should_cancel in self.runs:
            if not future.done() and should_cancel():
                future.set_exception(Cancelled())


@pytest.fixture
def workers(monkeypatch):
    slow = SlowWorkers(processes.submit)
    monkeypatch.setattr(processes, "submit", slow)
    return slow


def test_clicks_on_a_disabled_run_button_are_ignored_however_they_come(workers):
    explorer = SpikedExplorer()
    pn.panel(explorer).get_root(Document())
    button = explorer.sim.run_button
    for _ in range(100):  # Python code bumping the counter, as Panel does on a click event
        button.clicks += 1
    assert len(workers.runs) == 1
    assert button.disabled
    model = button._models[next(iter(button._models))][0]
    for _ in range(100):  # the page's click event, which a client can send for any button
        button._process_event(ButtonClick(model))
    for _ in range(20):
        button.param.trigger("clicks")
    assert len(workers.runs) == 1
    workers.runs[0][0].set_result([None])  # the run ends: the button takes clicks again
    wait_until(lambda: not button.disabled)
    button._process_event(ButtonClick(model))
    assert len(workers.runs) == 2


def test_a_page_has_one_running_and_one_waiting_simulation_per_explorer(workers):
    explorer = SpikedExplorer()
    futures = [explorer.run_amp() for _ in range(50)]  # e.g. run, cancel, run, cancel, ...
    assert len(workers.runs) == SIMULATIONS_PER_EXPLORER
    assert explorer.simulations_under_way() == SIMULATIONS_PER_EXPLORER
    refused = futures[SIMULATIONS_PER_EXPLORER:]
    assert all(isinstance(f.exception(timeout=5), TooManySimulations) for f in refused)
    wait_until(lambda: "Not started" in explorer.message.object)
    assert "wait for one to finish" in explorer.message.object
    # a cancel counts only once the run has stopped; then the page may run again
    explorer.cancel()
    assert explorer.run_amp().exception(timeout=5) is not None
    workers.finish_cancelled()
    wait_until(lambda: explorer.simulations_under_way() == 0)
    explorer.run_amp()
    assert len(workers.runs) == SIMULATIONS_PER_EXPLORER + 1
    assert not workers.runs[-1][1]()  # the earlier cancel does not reach the new run


def test_each_explorer_has_its_own_quota_and_two_runs_of_one_explorer_fit(workers):
    diffusion = DiffusionExplorer(n=200, d=16)
    diffusion.run_backward()
    diffusion.run_training_window()  # the explorer's two panels, both under way: allowed
    assert len(workers.runs) == 2
    assert isinstance(diffusion.run_backward().exception(timeout=5), TooManySimulations)
    spiked = SpikedExplorer()
    spiked.run_amp()  # another explorer (or page) is not affected
    assert len(workers.runs) == 3


# -- a real Bokeh server: a client that sends 100 clicks ----------------------------------
@pytest.fixture
def server(workers):
    pages = []

    def page():
        explorer = SpikedExplorer()
        pages.append(explorer)
        return explorer

    port = free_port()
    thread = pn.serve({"app": page}, port=port, address="127.0.0.1", show=False, threaded=True,
                      websocket_origin=[f"127.0.0.1:{port}"])
    try:
        wait_until(lambda: _listening(port), timeout=30)
        yield f"http://127.0.0.1:{port}", pages
    finally:
        thread.stop()


def test_a_hundred_clicks_from_one_page_queue_one_run_and_others_still_run(server, workers):
    base, pages = server

    async def scenario():
        hostile, other = Session(base, tab=0), Session(base, tab=0)
        await hostile.open()
        await other.open()
        run = hostile.find("Button", label="Run AMP")
        cancel = hostile.find("Button", label="Cancel")
        for _ in range(50):  # runs, and cancels in between, as fast as a client can send
            await hostile.click(run)
            await hostile.click(cancel)
            await hostile.click(run)
        await asyncio.to_thread(wait_until, lambda: len(workers.runs) >= 1, 30)
        await asyncio.sleep(1.0)  # every click has been processed
        hostile_runs = len(workers.runs)
        await other.click(other.find("Button", label="Run AMP"))
        await asyncio.to_thread(wait_until, lambda: len(workers.runs) > hostile_runs, 30)
        errors = hostile.errors + other.errors
        assert max(p.simulations_under_way() for p in pages) <= SIMULATIONS_PER_EXPLORER
        await hostile.close()
        await other.close()
        return hostile_runs, errors

    hostile_runs, errors = run_async(scenario())
    assert errors == []
    assert hostile_runs == 1  # the button was disabled from the first click on
    assert len(workers.runs) == 2  # and the other page's run was taken at once


def test_the_server_wide_bound_still_holds(monkeypatch):
    monkeypatch.setattr(processes, "SLOTS", 2)
    monkeypatch.setattr(processes, "_pool", None)  # a pool with two slots, for this test
    from dashboards.processes import Step
    from tests.dashboards import worker_faults

    steps = [Step(worker_faults.sleep_with_progress, {"seconds": 30}, progress=True)]
    pages = [SpikedExplorer() for _ in range(3)]
    running = [p.run_in_process(steps, on_done=lambda _: None) for p in pages[:2]]
    refused = pages[2].run_in_process(steps, on_done=lambda _: None,
                                      on_error=pages[2].sim.failed)
    with pytest.raises(processes.ServerBusy):
        refused.result(timeout=5)
    assert not isinstance(refused.exception(), TooManySimulations)
    wait_until(lambda: "already queued" in pages[2].message.object)
    for page in pages:
        page.close()
    for future in running:
        with pytest.raises(Cancelled):
            future.result(timeout=30)
    processes._pool.close()
