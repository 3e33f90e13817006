"""What every solver returns: a status that says what went wrong, inside a frozen result whose
numpy arrays are read-only (results are shared between sessions through caches).

A vectorised result carries one status per point, as a numpy string array of ``Status``
values (``result.status == Status.CONVERGED`` compares elementwise; it is plain data that
``np.savez`` stores without pickle); a scalar result carries one ``Status``.
"""

from __future__ import annotations

import dataclasses
import enum

import numpy as np

__all__ = ["Frozen", "Result", "Status", "from_flags", "readonly", "statuses", "worst",
           "worst_of"]


class Status(enum.StrEnum):
    """How a computation ended, from the best to the worst outcome.

    * ``CONVERGED``: the solver met its tolerance; the numbers are what they claim to be.
    * ``NOT_CONVERGED``: it stopped first (iteration limit, critical slowing down, a
      bracket that does not close, a discretisation too coarse); the numbers are the last
      iterate and may be inaccurate.
    * ``OUT_OF_RANGE``: what was asked for lies outside the range the solver covers (a
      root outside its bracket, a threshold beyond the largest control value, a plateau
      not within the computed time window); the numbers are NaN or a bound.
    * ``DIVERGED``: a value blew up (non-finite iterate, infinite error, a simulation whose
      weights or samples left every scale); the numbers past that point are meaningless.
    """

    CONVERGED = "converged"
    NOT_CONVERGED = "not_converged"
    OUT_OF_RANGE = "out_of_range"
    DIVERGED = "diverged"


#: numpy dtype of status arrays: long enough for every value
STATUS_DTYPE = np.dtype("<U13")
_ORDER = np.array([s.value for s in Status], dtype=STATUS_DTYPE)  # best to worst


def readonly(array: np.ndarray) -> np.ndarray:
    """A read-only view of ``array`` (the array itself is left as it was)."""
    view = array.view()
    view.flags.writeable = False
    return view


def statuses(values) -> np.ndarray:
    """``values`` (Status members or their strings) as a status array; refuses other strings."""
    arr = np.asarray(values, dtype=STATUS_DTYPE)
    if not np.isin(arr, _ORDER).all():
        bad = sorted(set(np.ravel(arr)) - set(_ORDER))
        raise ValueError(f"unknown status value(s) {bad}; expected one of {list(_ORDER)}")
    return arr


def _rank(arr: np.ndarray) -> np.ndarray:
    rank = np.zeros(arr.shape, dtype=int)
    for i, value in enumerate(_ORDER):
        rank[arr == value] = i
    return rank


def worst(first, *others) -> np.ndarray:
    """The elementwise worst of several statuses (broadcast together), e.g. of two branches;
    ``worst(array)`` alone reduces nothing (see ``worst_of`` for the worst entry)."""
    ranks = np.broadcast_arrays(*(_rank(statuses(v)) for v in (first, *others)))
    return _ORDER[np.maximum.reduce(ranks)]


def worst_of(values, axis=None) -> np.ndarray:
    """The worst status over ``axis`` of a status array (all entries by default)."""
    return _ORDER[np.max(_rank(statuses(values)), axis=axis, initial=0)]


def from_flags(converged, *, diverged=False, out_of_range=False) -> np.ndarray:
    """A status array from boolean flags (broadcast together); the worst flag wins:
    diverged, then out of range, then not converged."""
    converged, diverged, out_of_range = np.broadcast_arrays(
        np.asarray(converged, bool), np.asarray(diverged, bool), np.asarray(out_of_range, bool))
    out = np.where(converged, Status.CONVERGED.value, Status.NOT_CONVERGED.value)
    out = np.where(out_of_range, Status.OUT_OF_RANGE.value, out)
    return np.where(diverged, Status.DIVERGED.value, out).astype(STATUS_DTYPE)


class Frozen:
    """Base of the frozen result dataclasses: on construction (and on unpickling, e.g. a
    result sent back by a worker process) every numpy array field becomes a read-only view,
    and a ``status`` field is checked and normalised (a ``Status`` for a scalar, a read-only
    string array when vectorised)."""

    def __post_init__(self):
        self._freeze()

    def _freeze(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "status":
                arr = statuses(value)
                value = Status(str(arr)) if arr.ndim == 0 and not isinstance(
                    value, np.ndarray) else arr
            if isinstance(value, np.ndarray):
                value = readonly(value)
            object.__setattr__(self, field.name, value)

    def __setstate__(self, state):
        missing = [f.name for f in dataclasses.fields(self) if f.name not in state]
        if missing:  # e.g. a worker process that imported another version of theory
            raise TypeError(f"cannot unpickle {type(self).__name__}: pickled without "
                            f"{missing} (by another version of theory?)")
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self._freeze()


class Result(Frozen):
    """A frozen result with a ``status`` (field or property) and ``converged`` derived from
    it: True (elementwise) exactly where the status is ``Status.CONVERGED``."""

    @property
    def converged(self):
        status = self.status
        if isinstance(status, np.ndarray):
            return readonly(np.asarray(status == Status.CONVERGED.value))
        return status is Status.CONVERGED
