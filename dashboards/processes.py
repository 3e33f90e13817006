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

import atexit
import contextlib
import logging
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
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
#: short solves allocate little: their workers are recycled rarely (a new worker costs a
#: second or two of a core to start, while a class is moving sliders)
SOLVE_RUNS_PER_WORKER = 500


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
_running_pids = None
#: how many worker pids a pool remembers (a ring: old workers have exited long before)
PID_SLOTS = 64


def _exit_with_server(server: int) -> None:
    # a server process killed outright (e.g. for memory) must not leave its workers behind
    while os.getppid() == server:
        time.sleep(1.0)
    os._exit(0)


def _start_worker(progress_slots, cancel_slots, running_pids, niceness=NICENESS, pids=None,
                  started=None) -> None:
    global _progress_slots, _cancel_slots, _running_pids
    _progress_slots, _cancel_slots, _running_pids = progress_slots, cancel_slots, running_pids
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

    _running_pids[slot] = os.getpid()  # the server ends the run if this process disappears
    try:
        answer = (True, run_steps(steps, report, lambda: bool(_cancel_slots[slot])))
    except Exception as exc:  # a step's own error (or Cancelled) is that run's answer
        answer = (False, exc)
    _running_pids[slot] = 0  # from here on the answer is on its way, whatever this worker does
    # pickled here and unpickled by the server's own code (``_Pool._finish``): an answer that
    # cannot be rebuilt in the server is then that run's error, never a stuck pool
    try:
        return pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as error:
        return pickle.dumps((False, ResultUnreadable(
            f"its result could not be sent to the server ({type(error).__name__}: {error})")))


def _alive(pid: int) -> bool:
    # a dead worker is reaped by its pool within 0.1 s; signal 0 only asks whether it exists
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- server side ---------------------------------------------------------------------------
@dataclass
class _Run:
    future: Future
    on_progress: Callable[[float], None] | None
    should_cancel: Callable[[], bool]
    shown: float = -1.0


class ResultUnreadable(RuntimeError):
    """A run's result could not be rebuilt in the server (unpickling failed)."""


class _Pool:
    """The worker processes of this server process, their shared slots and the thread that
    carries progress and cancel requests between them.

    The workers are a ``multiprocessing`` pool (spawn context): its processes are daemonic,
    so when the server exits, multiprocessing terminates them and a running simulation never
    holds the exit up. The pool recycles each worker after ``RUNS_PER_WORKER`` runs and
    starts its replacement itself, so memory a run fragmented is given back. A worker that
    dies during a run (killed for memory) leaves a run the pool never answers: each worker
    writes its pid into the run's slot, and the poller ends a run whose worker is gone with
    ``WorkerDied``."""

    def __init__(self, workers: int = WORKERS, niceness: int = NICENESS,
                 runs_per_worker: int | None = None):
        self.workers, self.niceness = workers, niceness
        self.lock = threading.Lock()
        self.context = multiprocessing.get_context("spawn")
        self.progress = self.context.RawArray("d", SLOTS)
        self.cancel = self.context.RawArray("b", SLOTS)
        self.running = self.context.RawArray("i", SLOTS)  # the pid running each slot's run
        self.free = list(range(SLOTS))
        self.runs: dict[int, _Run] = {}
        self.poller: threading.Thread | None = None
        # the pids of this pool's workers, written by each worker as it starts
        self.pids = self.context.RawArray("i", PID_SLOTS)
        self.started = self.context.Value("i", 0)
        self.pool = self.context.Pool(
            workers, initializer=_start_worker,
            maxtasksperchild=runs_per_worker or RUNS_PER_WORKER,
            initargs=(self.progress, self.cancel, self.running, self.niceness, self.pids,
                      self.started))
        # at exit: multiprocessing would stop the workers anyway, but leave the pool marked
        # running, and its finaliser would then complain in a half torn-down interpreter;
        # only in this process (a child forked by `panel serve --num-procs` inherits the
        # exit handlers, and must not stop its parent's workers)
        owner = os.getpid()
        atexit.register(lambda: os.getpid() == owner and self.pool.terminate())

    def worker_pids(self) -> set[int]:
        """The pids of this pool's workers that are alive now."""
        count = min(self.started.value, PID_SLOTS)
        return {pid for pid in self.pids[:count] if _alive(pid)}

    def close(self) -> None:
        """Stop the workers now (running runs end without an answer); for tests."""
        self.pool.terminate()
        self.pool.join()

    def submit(self, steps, on_progress, should_cancel) -> Future:
        outer: Future = Future()
        with self.lock:
            if not self.free:
                outer.set_exception(ServerBusy(f"{SLOTS} simulations are already queued on "
                                               "this server; try again in a minute"))
                return outer
            slot = self.free.pop()
            self.progress[slot], self.cancel[slot], self.running[slot] = 0.0, 0, 0
            run = _Run(outer, on_progress, should_cancel)
            self.runs[slot] = run
            try:
                self.pool.apply_async(
                    _run_in_worker, (slot, list(steps)),
                    callback=lambda answer: self._finish(slot, run, answer=answer),
                    error_callback=lambda exc: self._finish(slot, run, error=exc))
            except BaseException:
                del self.runs[slot]
                self.free.append(slot)
                raise
            if self.poller is None or not self.poller.is_alive():
                self.poller = threading.Thread(target=self._poll, name="learning-phases-poll",
                                               daemon=True)
                self.poller.start()
        return outer

    def _end(self, slot: int, run: _Run) -> bool:
        """Free ``slot`` if ``run`` still holds it; False when the run was ended already."""
        with self.lock:
            if self.runs.get(slot) is not run:
                return False
            del self.runs[slot]
            self.free.append(slot)
            return True

    def _finish(self, slot: int, run: _Run, answer: bytes | None = None,
                error: BaseException | None = None) -> None:
        if not self._end(slot, run):
            return
        if error is not None:  # the worker could not even start the run
            run.future.set_exception(error)
            return
        try:
            ok, value = pickle.loads(answer)
        except Exception as exc:
            logging.getLogger("learning_phases").warning(
                "a worker's result could not be read: %r", exc)
            run.future.set_exception(ResultUnreadable(
                f"its result could not be read by the server ({type(exc).__name__}: {exc})"))
            return
        if ok:
            run.future.set_result(value)
        else:
            run.future.set_exception(value)

    def _poll(self) -> None:
        while True:
            time.sleep(POLL_S)
            with self.lock:
                runs = list(self.runs.items())
                if not runs:  # decided under the lock: a run submitted now starts a new one
                    self.poller = None
                    return
            for slot, run in runs:
                pid = self.running[slot]
                if pid and not _alive(pid) and self._end(slot, run):
                    logging.getLogger("learning_phases").warning(
                        "the worker process %d stopped without an answer", pid)
                    run.future.set_exception(WorkerDied(
                        "the process running this simulation stopped without an answer "
                        "(out of memory?); the next run starts on a new one"))
                    continue
                if run.should_cancel():
                    self.cancel[slot] = 1  # a queued run then stops before its first step
                fraction = self.progress[slot]
                if run.on_progress is not None and fraction != run.shown:
                    run.shown = fraction
                    run.on_progress(fraction)


_pool: _Pool | None = None  # simulations
_solve_pool: _Pool | None = None  # short solves
_pool_lock = threading.Lock()
_threads = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="learning-phases-run")


def _get_pool(kind: str = "simulation") -> _Pool:
    global _pool, _solve_pool
    with _pool_lock:
        if kind == "solve":
            if _solve_pool is None:
                _solve_pool = _Pool(SOLVE_WORKERS, SOLVE_NICENESS, SOLVE_RUNS_PER_WORKER)
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
