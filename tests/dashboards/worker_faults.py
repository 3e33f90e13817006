"""Faults injected into simulation worker processes. A worker imports a step's function by
name, so a test patches a ``theory`` function with one of these module-level functions (a
local function could not be sent to another process)."""

import dataclasses
import os

import numpy as np

from theory import online


def raise_memory_error(**kwargs):
    raise MemoryError("cannot allocate the instance")


def exit_the_process(**kwargs):
    os._exit(3)  # what the kernel's out-of-memory killer leaves behind: no answer at all


def sgd_ending_in_nan(**kwargs):
    run = online.simulate_sgd(**kwargs)  # in the worker: the real solver
    return dataclasses.replace(run, eps_g=np.full_like(run.eps_g, np.nan))


def sleep_with_progress(*, seconds: float, progress=None):
    """A run that only reports progress, for tests of cancel, progress and queueing."""
    import time

    ticks = max(int(seconds / 0.02), 1)
    for i in range(ticks):
        time.sleep(0.02)
        if progress is not None:
            progress(i + 1, ticks)
    return os.getpid()


def niceness() -> int:
    return os.nice(0)


class UnpicklableInTheServer:
    """A result that pickles in the worker and fails to unpickle in the server (as a class
    that changed between the two, or a result that needs a module the server lacks)."""

    def __reduce__(self):
        return (_refuse_to_unpickle, ())


def _refuse_to_unpickle():
    raise RuntimeError("this result cannot be rebuilt here")


def unpicklable_result(**kwargs):
    return UnpicklableInTheServer()
