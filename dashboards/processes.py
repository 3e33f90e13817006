"""Finite-size simulations in worker processes.

A simulation run on a thread of the serving process competes with every page's event loop for
the GIL and for the CPU: with a class room on two cores, two running simulations doubled the
slider latency of everyone else. Here each run is a list of ``Step`` s (public ``theory``
calls with plain arguments) executed in a pool of worker processes started with ``spawn``
(never ``fork`` from a threaded server) at the lowest CPU priority, one BLAS thread each, so
the serving process always comes first. Progress and cancel cross the process boundary
through shared memory, one slot per run; a thread of the server forwards them every
``POLL_S`` seconds.

This module imports neither numpy nor Panel: it is what a worker process loads.
``LEARNING_PHASES_SIMULATIONS=threads`` runs the same steps on threads of the server instead
(for a platform without process support, and for tests that patch a solver in this process).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

MODE_ENV = "LEARNING_PHASES_SIMULATIONS"
#: worker processes (per server process): each runs one simulation at a time
WORKERS = 2
#: runs that may be queued or running at once (per server process); more are refused
SLOTS = 64
#: the workers' niceness: 19 is the lowest priority, the pages' event loops come first
NICENESS = 19
#: a worker is replaced after this many runs, so that memory it fragmented is given back
RUNS_PER_WORKER = 20
#: how often progress and cancel requests are carried between server and workers (seconds)
POLL_S = 0.2
#: short solves (a sweep, an estimate, a phase diagram: 0.1-3 s) have workers of their own,
#: so that they never wait behind a minutes-long simulation, at a priority between the pages'
#: event loops and the simulations
SOLVE_WORKERS = 2
SOLVE_NICENESS = 10


class Cancelled(Exception):
    """Raised inside background work when its user pressed cancel (or closed the page)."""


class ServerBusy(RuntimeError):
    """Too many simulations are queued on this server."""


class WorkerDied(RuntimeError):
    """The process running a simulation ended without an answer (e.g. killed for memory)."""


@dataclass(frozen=True)
class Step:
    """One call ``fn(**kwargs)`` of a simulation; ``fn`` must be importable by name (a public
    ``theory`` function). ``progress=True``: ``fn`` takes a ``progress(done, total)`` callback.
    ``weight``: its share of the progress bar, relative to the other steps."""

    fn: Callable
    kwargs: dict = field(default_factory=dict)
    weight: float = 1.0
    progress: bool = False


def run_steps(steps, report: Callable[[float], None], cancelled: Callable[[], bool]) -> list:
    """Run ``steps`` in order and return their results; ``report(fraction)`` follows the
    progress, and ``Cancelled`` is raised at the first check after ``cancelled()``."""
    steps = list(steps)
    total = sum(step.weight for step in steps) or 1.0
    finished = 0.0
    results = []

    def check():
        if cancelled():
            raise Cancelled

    for step in steps:
        check()
        kwargs = dict(step.kwargs)
        if step.progress:
            def progress(done, count, base=finished, weight=step.weight):
                check()
                report((base + weight * done / max(count, 1)) / total)

            kwargs["progress"] = progress
        results.append(step.fn(**kwargs))
        finished += step.weight
        report(finished / total)
    return results


# -- worker side ---------------------------------------------------------------------------
_progress_slots = None
_cancel_slots = None
#: how many worker pids a pool remembers (a ring: old workers have exited long before)
PID_SLOTS = 64


def _exit_with_server(server: int) -> None:
    # a server process killed outright (e.g. for memory) must not leave its workers behind
    while os.getppid() == server:
        time.sleep(1.0)
    os._exit(0)


def _start_worker(progress_slots, cancel_slots, niceness=NICENESS, pids=None,
                  started=None) -> None:
    global _progress_slots, _cancel_slots
    _progress_slots, _cancel_slots = progress_slots, cancel_slots
    if pids is not None:  # the server counts its pool's workers by these (worker_count)
        with started.get_lock():
            pids[started.value % PID_SLOTS] = os.getpid()
            started.value += 1
    threading.Thread(target=_exit_with_server, args=(os.getppid(),), daemon=True,
                     name="learning-phases-orphan-check").start()
    with contextlib.suppress(OSError):  # no priorities here: still correct, only less polite
        os.nice(max(niceness - os.nice(0), 0))
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)  # two workers on two cores: BLAS threads would only contend
    except ImportError:
        pass


def _run_in_worker(slot: int, steps) -> bytes:
    def report(fraction):
        _progress_slots[slot] = fraction

    # pickled here and unpickled by the server's own code (``_Pool._finish``): a result that
    # cannot be rebuilt in the server is then that run's error, where the executor would
    # have counted it as a dead worker and broken the pool for every run queued with it
    return pickle.dumps(run_steps(steps, report, lambda: bool(_cancel_slots[slot])),
                        protocol=pickle.HIGHEST_PROTOCOL)


# -- server side ---------------------------------------------------------------------------
@dataclass
class _Run:
    future: Future
    on_progress: Callable[[float], None] | None
    should_cancel: Callable[[], bool]
    shown: float = -1.0
    inner: Future | None = None
    executor: ProcessPoolExecutor | None = None


class ResultUnreadable(RuntimeError):
    """A run's result could not be rebuilt in the server (unpickling failed)."""


class _Pool:
    """The worker processes of this server process, their shared slots and the thread that
    carries progress and cancel requests between them.

    Workers are recycled executor by executor, with the public API of ``concurrent.futures``
    only: after ``RUNS_PER_WORKER`` runs per worker, new runs go to a new executor and the
    old one is shut down without waiting (its queued and running runs finish, then its
    workers exit and give their memory back). CPython's own recycling
    (``max_tasks_per_child``) is not used: in 3.11 it started no replacement for a retiring
    worker while another was idle, and every later run of the pool waited forever
    (python/cpython#115634). A pool broken by a dead worker is replaced at the next run."""

    def __init__(self, workers: int = WORKERS, niceness: int = NICENESS):
        self.workers, self.niceness = workers, niceness
        self.lock = threading.Lock()
        self.context = multiprocessing.get_context("spawn")
        self.progress = self.context.RawArray("d", SLOTS)
        self.cancel = self.context.RawArray("b", SLOTS)
        self.free = list(range(SLOTS))
        self.runs: dict[int, _Run] = {}
        self.executor: ProcessPoolExecutor | None = None
        self.executor_runs = 0  # runs given to the current executor
        self.poller: threading.Thread | None = None
        # the pids of this pool's workers, written by each worker as it starts
        self.pids = self.context.RawArray("i", PID_SLOTS)
        self.started = self.context.Value("i", 0)

    def _executor(self) -> ProcessPoolExecutor:
        """The executor for the next run (called under ``self.lock``)."""
        if self.executor is not None and self.executor_runs >= RUNS_PER_WORKER * self.workers:
            self._retire(self.executor)
        if self.executor is None:
            self.executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=self.context, initializer=_start_worker,
                initargs=(self.progress, self.cancel, self.niceness, self.pids, self.started))
            self.executor_runs = 0
        self.executor_runs += 1
        return self.executor

    def _retire(self, executor: ProcessPoolExecutor) -> None:
        """New runs go elsewhere; the executor's own runs finish, then its workers exit."""
        if self.executor is executor:
            self.executor = None
        executor.shutdown(wait=False)

    def worker_pids(self) -> set[int]:
        """The pids of this pool's workers that are alive now."""
        children = {child.pid for child in multiprocessing.active_children()}
        count = min(self.started.value, PID_SLOTS)
        return {pid for pid in self.pids[:count] if pid in children}

    def submit(self, steps, on_progress, should_cancel) -> Future:
        outer: Future = Future()
        with self.lock:
            if not self.free:
                outer.set_exception(ServerBusy(f"{SLOTS} simulations are already queued on "
                                               "this server; try again in a minute"))
                return outer
            slot = self.free.pop()
            self.progress[slot], self.cancel[slot] = 0.0, 0
            run = _Run(outer, on_progress, should_cancel)
            self.runs[slot] = run
            try:
                run.executor = self._executor()
                try:
                    run.inner = run.executor.submit(_run_in_worker, slot, list(steps))
                except BrokenProcessPool:  # a worker died since the last run: start afresh
                    self._retire(run.executor)
                    run.executor = self._executor()
                    run.inner = run.executor.submit(_run_in_worker, slot, list(steps))
            except BaseException:
                del self.runs[slot]
                self.free.append(slot)
                raise
            if self.poller is None or not self.poller.is_alive():
                self.poller = threading.Thread(target=self._poll, name="learning-phases-poll",
                                               daemon=True)
                self.poller.start()
        run.inner.add_done_callback(lambda inner: self._finish(slot, inner))
        return outer

    def _finish(self, slot: int, inner: Future) -> None:
        with self.lock:
            run = self.runs.pop(slot)
            self.free.append(slot)
        if inner.cancelled():
            run.future.set_exception(Cancelled())
            return
        exc = inner.exception()
        if isinstance(exc, BrokenProcessPool):
            logging.getLogger("learning_phases").warning(
                "a worker process stopped without an answer: %s (%s)", exc, exc.__cause__)
            with self.lock:
                self._retire(run.executor)  # the next run starts a new executor
            exc = WorkerDied("the process running this simulation stopped without an answer "
                             "(out of memory?); the next run starts a new one")
        if exc is not None:
            run.future.set_exception(exc)
            return
        try:
            results = pickle.loads(inner.result())
        except Exception as error:
            logging.getLogger("learning_phases").warning(
                "a worker's result could not be read: %r", error)
            run.future.set_exception(ResultUnreadable(
                f"its result could not be read by the server ({type(error).__name__}: "
                f"{error})"))
            return
        run.future.set_result(results)

    def _poll(self) -> None:
        while True:
            time.sleep(POLL_S)
            with self.lock:
                runs = list(self.runs.items())
                if not runs:  # decided under the lock: a run submitted now starts a new one
                    self.poller = None
                    return
            for slot, run in runs:
                if run.should_cancel():
                    self.cancel[slot] = 1
                    if run.inner is not None:
                        run.inner.cancel()  # still queued: never starts
                fraction = self.progress[slot]
                if run.on_progress is not None and fraction != run.shown:
                    run.shown = fraction
                    run.on_progress(fraction)

    def cancel_all(self) -> None:
        with self.lock:
            for slot in self.runs:
                self.cancel[slot] = 1


_pool: _Pool | None = None  # simulations
_solve_pool: _Pool | None = None  # short solves
_pool_lock = threading.Lock()
_threads = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="learning-phases-run")


def _get_pool(kind: str = "simulation") -> _Pool:
    global _pool, _solve_pool
    with _pool_lock:
        if kind == "solve":
            if _solve_pool is None:
                _solve_pool = _Pool(SOLVE_WORKERS, SOLVE_NICENESS)
            return _solve_pool
        if _pool is None:
            _pool = _Pool()
        return _pool


def _after_fork_in_child():
    # `panel serve --num-procs` forks: a child owns no workers, poller or threads of its own
    global _pool, _solve_pool, _pool_lock, _threads
    _pool, _solve_pool, _pool_lock = None, None, threading.Lock()
    _threads = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="learning-phases-run")


os.register_at_fork(after_in_child=_after_fork_in_child)


def _stop_runs_at_exit():
    # the executors join their workers at exit: stop running simulations at their next check
    for pool in (_pool, _solve_pool):
        if pool is not None:
            pool.cancel_all()


threading._register_atexit(_stop_runs_at_exit)  # runs before concurrent.futures' own joins


def mode() -> str:
    value = os.environ.get(MODE_ENV, "processes").strip().lower()
    return "threads" if value == "threads" else "processes"


def submit(steps, *, on_progress: Callable[[float], None] | None = None,
           should_cancel: Callable[[], bool] = lambda: False, kind: str = "simulation") -> Future:
    """Run ``steps`` in the background (worker processes, or threads: see ``mode``); the
    Future's result is the list of their results, or its exception ``Cancelled``,
    ``ServerBusy`` (queue full), ``WorkerDied`` or whatever a step raised. ``kind``:
    "simulation" (the simulation workers) or "solve" (the short-solve workers)."""
    if mode() == "threads":
        report = on_progress or (lambda fraction: None)
        outer: Future = Future()

        def run():
            try:
                outer.set_result(run_steps(steps, report, should_cancel))
            except BaseException as exc:
                outer.set_exception(exc)

        _threads.submit(run)
        return outer
    return _get_pool(kind).submit(steps, on_progress, should_cancel)


def start_solve_workers() -> None:
    """Start the short-solve workers now (they take a second or two to import ``theory``),
    so that the first page's first background solve does not wait for them."""
    if mode() == "processes" and _solve_pool is None:
        submit([Step(os.getpid)], kind="solve")


def worker_count(kind: str = "simulation") -> int:
    """Worker processes alive now (for tests and the load benchmark)."""
    pool = _solve_pool if kind == "solve" else _pool
    if pool is None:
        return 0
    return len(pool.worker_pids())


__all__ = ["Cancelled", "ResultUnreadable", "ServerBusy", "Step", "WorkerDied", "mode",
           "run_steps", "start_solve_workers", "submit", "worker_count"]
