"""The scalar state-evolution engine shared by ``spiked`` (control: snr) and ``glm``
(control: alpha), and the result types both return.

A scalar state evolution x <- F(x; a), monotone in x, has its fixed points at control value
``a`` at the solutions r of ``a = S(r)`` for a parametrisation S of the fixed-point line
(spiked: r = g = snr m, S(g) = g / M(g); GLM: r = q_hat, S(r) = r / R(M(r))). From a table
of S on a grid this module finds

* both stable branches: from the uninformed start (smallest stable fixed point) and the
  informed start (largest), refined by a vectorised root solve (``stable_branches``);
* the Bayes-optimal branch: the one of larger free entropy, and where the two differ
  (``bayes_optimal_curve``);
* the spinodals: the first local maximum of S (where the uninformed branch jumps: the
  algorithmic threshold) and the local minimum after it (where the informed branch first
  exists: the dynamic threshold) (``spinodals``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import NamedTuple

import numpy as np
from scipy import optimize

from ._fixedpoint import find_roots
from ._result import Result, Status, readonly, worst

__all__ = ["Branch", "Curve", "FixedPoint", "Landscape", "Spinodals", "bayes_optimal_curve",
           "spinodals", "stable_branches"]


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------
class _OverControl:
    """``snr`` / ``alpha``: the control parameter under the name its model uses."""

    def _control(self, name):
        if self.control_name != name:
            raise AttributeError(f"this {type(self).__name__} is over {self.control_name}, "
                                 f"not {name}")
        return self.control

    @property
    def snr(self):
        """The control values of a spiked-model result (the signal-to-noise ratio)."""
        return self._control("snr")

    @property
    def alpha(self):
        """The control values of a GLM result (samples per dimension)."""
        return self._control("alpha")


class _Pointwise:
    """A result whose array fields (and nested pointwise results) hold one entry per point of
    the control grid, each computed independently of the others: ``take`` picks points,
    ``join`` appends another result's points (e.g. to solve only the points of a new grid
    not solved before)."""

    def take(self, indices):
        """The result at the points ``indices`` (an integer array, in that order)."""
        return replace(self, **{f.name: _take(getattr(self, f.name), indices)
                                for f in fields(self)})

    def join(self, other):
        """This result's points, then ``other``'s (of the same kind of result)."""
        if type(other) is not type(self):
            raise TypeError(f"cannot join a {type(self).__name__} and a "
                            f"{type(other).__name__}")
        return replace(self, **{f.name: _join(getattr(self, f.name), getattr(other, f.name),
                                              f.name) for f in fields(self)})


def _take(value, indices):
    if isinstance(value, _Pointwise):
        return value.take(indices)
    if isinstance(value, np.ndarray):
        return value[np.asarray(indices, dtype=int)]
    return value  # a name, or None (e.g. no generalisation error)


def _join(first, second, name: str):
    if isinstance(first, _Pointwise):
        return first.join(second)
    if isinstance(first, np.ndarray):
        return np.concatenate([first, second])
    if first != second:
        raise ValueError(f"cannot join results with different {name}: {first!r}, {second!r}")
    return first


@dataclass(frozen=True, kw_only=True)
class FixedPoint(_OverControl, Result):
    """A state-evolution fixed point reached by iteration (arrays when the control was one).

    ``mse``: the error at the fixed point (spiked: matrix error 1 - m^2, also read as
    ``mmse``; GLM: 1 - q); ``generalization_error`` for the GLMs only (None otherwise).
    ``status`` per point: not converged after the iteration limit (e.g. critical slowing
    down at a continuous transition), diverged if the iterate is not finite."""

    control_name: str
    control: np.ndarray
    overlap: np.ndarray
    mse: np.ndarray
    free_entropy: np.ndarray
    status: np.ndarray
    iterations: np.ndarray
    init: str
    generalization_error: np.ndarray | None = None

    @property
    def mmse(self) -> np.ndarray:
        """The spiked model's name for ``mse``: the matrix error 1 - m^2."""
        return self.mse


@dataclass(frozen=True, kw_only=True)
class Branch(_Pointwise, Result):
    """One branch of fixed points along a grid of the control parameter (see ``FixedPoint``
    for the fields); ``status`` per point."""

    overlap: np.ndarray
    mse: np.ndarray
    free_entropy: np.ndarray
    status: np.ndarray
    generalization_error: np.ndarray | None = None

    @property
    def mmse(self) -> np.ndarray:
        """The spiked model's name for ``mse``: the matrix error 1 - m^2."""
        return self.mse


@dataclass(frozen=True, kw_only=True)
class Curve(_Pointwise, _OverControl, Result):
    """Both state-evolution branches and the Bayes-optimal one over a grid of the control
    (``snr`` for the spiked model, ``alpha`` for the GLMs; ``control`` in either case).

    ``metastable`` marks where the two branches differ (two stable fixed points);
    ``hard`` where the uninformed (AMP) branch is worse than the Bayes-optimal one.
    ``status``: per point, the worse of the two branches' statuses."""

    control_name: str
    control: np.ndarray
    uninformed: Branch
    informed: Branch
    bayes_optimal: Branch
    metastable: np.ndarray
    hard: np.ndarray

    @property
    def status(self) -> np.ndarray:
        return readonly(worst(self.uninformed.status, self.informed.status))


@dataclass(frozen=True, kw_only=True)
class Landscape(_OverControl, Result):
    """The free entropy as a function of the overlap at one control value, with its local
    maxima (the stable fixed points) and their free entropies; ``status`` that of the
    branch solve which located the maxima."""

    control_name: str
    control: float
    overlaps: np.ndarray
    free_entropy: np.ndarray
    maxima: np.ndarray
    maxima_free_entropy: np.ndarray
    status: Status


# ---------------------------------------------------------------------------------------
# Branches
# ---------------------------------------------------------------------------------------
#: root-solve tolerances on r (relative, absolute near 0) and on S(r) - a
_XTOL = 1e-14
_FTOL = 1e-13

def stable_branches(S_of, r, S, control, *, perfect_above=None, tol=1e-9):
    """The stable fixed points reached from an uninformed and an informed start.

    ``r``/``S`` tabulate S on a grid starting at r = 0 (S[0] the limit there); the crossings
    of the control value ``a`` upwards are the stable fixed points. ``S_of(r)`` evaluates S
    exactly (vectorised) to refine them.

    * r = 0 is the zero-overlap state, stable where a < S[0];
    * with ``perfect_above`` (the limit of S at r -> inf) the state r = inf, perfect
      recovery, is stable where a > perfect_above.

    Returns ``(r_un, status_un, r_in, status_in)``: the uninformed start converges to the
    smallest stable fixed point, the informed start to the largest; 0 and inf mark those two
    states (exact: converged). Each distinct fixed point is refined once; a refined root is
    converged when the root solve says so and |S(r) - a| <= tol max(1, a).
    """
    control = np.asarray(control, dtype=float)
    diff = S[None, :] - control[:, None]
    up = (diff[:, :-1] < 0) & (diff[:, 1:] >= 0)
    n_cells = up.shape[1]
    has_up = up.any(axis=1)
    first_up = np.argmax(up, axis=1)
    last_up = n_cells - 1 - np.argmax(up[:, ::-1], axis=1)
    zero_stable = diff[:, 0] > 0
    perfect = (control > perfect_above if perfect_above is not None
               else np.zeros(control.shape, bool))

    # informed: perfect if stable, else the last upward crossing, else zero
    in_finite = ~perfect & has_up
    # uninformed: zero if stable, else the first upward crossing, else perfect
    un_finite = ~zero_stable & has_up
    un_same = un_finite & in_finite & (first_up == last_up)
    rows_in = np.flatnonzero(in_finite)
    rows_un = np.flatnonzero(un_finite & ~un_same)
    rows = np.concatenate([rows_in, rows_un])
    cells = np.concatenate([last_up[rows_in], first_up[rows_un]])
    a = control[rows]

    def k(x, idx):
        return S_of(x) - a[idx]

    roots = find_roots(k, r[cells], r[cells + 1], f_lo=S[cells] - a, f_hi=S[cells + 1] - a,
                       xtol=_XTOL, ftol=_FTOL)
    status = roots.status.copy()
    off = ~(np.abs(roots.value) <= tol * np.maximum(1.0, np.abs(a)))
    status[(status == Status.CONVERGED.value) & off] = Status.NOT_CONVERGED.value

    r_in = np.where(perfect, np.inf, 0.0)
    r_un = np.where(~zero_stable & ~has_up & perfect, np.inf, 0.0)
    st_in = np.full(control.shape, Status.CONVERGED.value, dtype=status.dtype)
    st_un = st_in.copy()
    n_in = rows_in.size
    r_in[rows_in], st_in[rows_in] = roots.x[:n_in], status[:n_in]
    r_un[un_same], st_un[un_same] = r_in[un_same], st_in[un_same]
    r_un[rows_un], st_un[rows_un] = roots.x[n_in:], status[n_in:]
    return r_un, st_un, r_in, st_in


def bayes_optimal_curve(*, control_name: str, control, uninformed: Branch,
                        informed: Branch) -> Curve:
    """The curve of two branches and the Bayes-optimal one: at each point the branch of
    larger free entropy (the uninformed one on ties)."""
    metastable = np.abs(informed.overlap - uninformed.overlap) > 1e-6
    informed_wins = informed.free_entropy > uninformed.free_entropy

    def pick(un, inf):
        return None if un is None else np.where(informed_wins, inf, un)

    bayes = Branch(
        overlap=pick(uninformed.overlap, informed.overlap),
        mse=pick(uninformed.mse, informed.mse),
        generalization_error=pick(uninformed.generalization_error,
                                  informed.generalization_error),
        free_entropy=np.maximum(uninformed.free_entropy, informed.free_entropy),
        status=worst(uninformed.status, informed.status),
    )
    return Curve(control_name=control_name, control=control, uninformed=uninformed,
                 informed=informed, bayes_optimal=bayes, metastable=metastable,
                 hard=metastable & informed_wins)


# ---------------------------------------------------------------------------------------
# Spinodals
# ---------------------------------------------------------------------------------------
class Spinodals(NamedTuple):
    """The first local maximum of S (``i_max`` on the table; refined at ``x_max`` with value
    ``S_max``: the algorithmic spinodal) and the first local minimum after it (``i_min``,
    ``x_min``, ``S_min``: the dynamic spinodal; None / NaN when there is none).
    ``status``: not converged when a refinement did not meet its tolerance."""

    i_max: int
    x_max: float
    S_max: float
    i_min: int | None
    x_min: float
    S_min: float
    status: Status


def spinodals(S_of, grid, S, *, rtol: float) -> Spinodals | None:
    """The spinodals of a tabulated S (``S_of`` evaluates it at one point), refined by
    bounded scalar minimisation between the neighbouring grid points to an absolute
    tolerance ``rtol * max(upper end, 1e-12)`` in x; None when S has no local maximum."""
    dS = np.diff(S)
    # a local max: S rises then falls; a local min: falls then rises
    turns = np.flatnonzero(np.sign(dS[:-1]) != np.sign(dS[1:])) + 1
    maxima = [i for i in turns if dS[i - 1] > 0 >= dS[i]]
    if not maxima:
        return None
    i_max = int(maxima[0])
    minima = [int(i) for i in turns if i > i_max and dS[i - 1] < 0 <= dS[i]]

    def extremum(i, sign):
        lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
        res = optimize.minimize_scalar(
            lambda x: sign * float(S_of(x)), bounds=(lo, hi), method="bounded",
            options={"xatol": rtol * max(hi, 1e-12)})
        return float(res.x), float(sign * res.fun), bool(res.success)

    x_max, S_max, ok = extremum(i_max, -1.0)
    i_min, x_min, S_min = None, np.nan, np.nan
    if minima:
        i_min = minima[0]
        x_min, S_min, ok_min = extremum(i_min, +1.0)
        ok &= ok_min
    return Spinodals(i_max, x_max, S_max, i_min, x_min, S_min,
                     Status.CONVERGED if ok else Status.NOT_CONVERGED)
