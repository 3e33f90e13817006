"""Fixed-point and root-finding machinery shared by the solvers, vectorised over
independent problems, each with its own status."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._result import STATUS_DTYPE, Status, from_flags

__all__ = ["Roots", "Solution", "anderson_iteration", "damped_iteration", "find_roots"]


class Solution(NamedTuple):
    """Fixed points of independent problems: ``x``, one ``status`` and iteration count each."""

    x: np.ndarray
    status: np.ndarray
    iterations: np.ndarray

    @property
    def converged(self) -> np.ndarray:
        return self.status == Status.CONVERGED.value


def damped_iteration(update, start, *, damping=0.0, tol=1e-10, max_iter=5000):
    """Iterate ``x <- (1 - damping) * update(x) + damping * x`` elementwise.

    Vectorised: every entry of ``start`` is an independent scalar fixed-point problem
    and ``update`` maps an array to an array of the same shape. Entries stop moving once
    their step is below ``tol``; only the active entries are re-evaluated, through
    ``update(x, idx)`` which receives the (integer) indices of the entries to update.

    Returns a ``Solution`` (x, status, iterations) with per-entry arrays: an entry whose
    iterate is not finite is ``DIVERGED``, one still moving after ``max_iter`` steps
    ``NOT_CONVERGED``.
    """
    x = np.array(start, dtype=float, copy=True)
    converged = np.zeros(x.shape, dtype=bool)
    iterations = np.zeros(x.shape, dtype=int)
    active = np.ones(x.shape, dtype=bool)
    previous_step = np.full(x.shape, np.nan)  # no contraction rate before the second step
    for _ in range(max_iter):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        proposal = update(x[idx], idx)
        new = (1.0 - damping) * proposal + damping * x[idx]
        step = np.abs(new - x[idx])
        # distance to the fixed point of a linearly converging sequence: step * r / (1 - r),
        # r the observed contraction; near a critical point r -> 1 and this stays large even
        # though single steps are tiny (critical slowing down is not convergence)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = step / previous_step[idx]
            remaining = np.where(rate < 1.0, step * rate / (1.0 - rate), np.inf)
        remaining = np.where(step == 0.0, 0.0, remaining)
        x[idx] = new
        previous_step[idx] = step
        iterations[idx] += 1
        done = remaining <= tol
        converged[idx[done]] = True
        active[idx[done]] = False
    return Solution(x, from_flags(converged, diverged=~np.isfinite(x)), iterations)


class Roots(NamedTuple):
    """Roots of independent scalar equations: ``x``, one ``status`` each, ``value`` = f(x)
    and the iterations taken."""

    x: np.ndarray
    status: np.ndarray
    value: np.ndarray
    iterations: np.ndarray


#: scipy's find_root exit codes -> Status: converged; invalid bracket (no sign change: the
#: root is not inside it); iteration limit; a non-finite value
_FIND_ROOT_STATUS = {0: Status.CONVERGED, -1: Status.OUT_OF_RANGE, -2: Status.NOT_CONVERGED,
                     -3: Status.DIVERGED}


def find_roots(func, lo, hi, f_lo=None, f_hi=None, *, xtol=None, ftol=None,
               max_iter=None) -> Roots:
    """Roots of ``func`` in the brackets ``[lo, hi]`` (``lo < hi``), vectorised with one
    status per bracket: ``scipy.optimize.elementwise.find_root`` (Chandrupatla's method).

    ``func(x, idx)`` returns the function values at abscissae ``x`` for the problems of
    (integer) indices ``idx``; ``f_lo`` / ``f_hi``, when known (e.g. from a table), spare
    evaluating it at the ends. Convergence: the bracket narrower than
    ``xtol * (1 + |x|)`` or ``|f(x)| <= ftol`` (defaults: a few ulps, the smallest normal
    float). A bracket without a sign change is ``OUT_OF_RANGE``, the iteration limit
    ``NOT_CONVERGED``, a non-finite value ``DIVERGED``; the root is NaN for those.
    """
    from scipy.optimize.elementwise import find_root

    lo, hi = np.broadcast_arrays(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))
    known = [(end, np.broadcast_to(np.asarray(f, dtype=float), lo.shape))
             for end, f in ((lo, f_lo), (hi, f_hi)) if f is not None]

    def f(x, idx):
        if not known:
            return func(x, idx)
        out = np.full(x.shape, np.nan)
        todo = np.ones(x.shape, dtype=bool)
        for end, values in known:
            at_end = todo & (x == end.flat[idx])
            out[at_end] = values.flat[idx[at_end]]
            todo &= ~at_end
        if todo.any():
            out[todo] = func(x[todo], idx[todo])
        return out

    tolerances = {}
    if xtol is not None:
        tolerances.update(xatol=float(xtol), xrtol=float(xtol))
    if ftol is not None:
        tolerances["fatol"] = float(ftol)
    index = np.arange(lo.size).reshape(lo.shape)
    result = find_root(f, (lo, hi), args=(index,), tolerances=tolerances or None,
                       maxiter=max_iter)
    code = np.asarray(result.status)
    status = np.full(code.shape, Status.NOT_CONVERGED.value, dtype=STATUS_DTYPE)
    for value, flag in _FIND_ROOT_STATUS.items():
        status[code == value] = flag.value
    return Roots(x=np.asarray(result.x, dtype=float), status=status,
                 value=np.asarray(result.f_x, dtype=float),
                 iterations=np.asarray(result.nit, dtype=int))


def anderson_iteration(update, start, *, tol=1e-10, max_iter=500, memory=3, max_step=np.inf,
                       regularization=1e-12):
    """Anderson-accelerated fixed-point iteration, vectorised over independent problems.

    ``start`` has shape (n, d): n independent d-dimensional problems x = G(x);
    ``update(x, idx)`` returns G at the rows ``x`` of the problems of (integer) indices
    ``idx``. Each step mixes the last ``memory`` residuals r = G(x) - x (Walker & Ni 2011,
    type II): x <- x + r - (dX + dR) gamma with gamma = argmin |r - dR gamma|, solved per
    problem through regularised normal equations. A step whose residual grows tenfold
    restarts that problem's history from a plain step, which keeps the method safe where
    the plain iteration converges; ``max_step`` bounds each component of a step (useful in
    log variables, where an extrapolated step can otherwise leave the map's domain).

    A problem is converged when its residual max|G(x) - x| is below ``tol``; the returned
    x is then G(x), one plain step further. Returns a ``Solution`` (x, status, iterations):
    a problem whose map stops being finite is ``DIVERGED`` (x is its last finite iterate),
    one that runs out of iterations ``NOT_CONVERGED``.
    """
    x = np.array(start, dtype=float, copy=True)
    n, d = x.shape
    converged = np.zeros(n, dtype=bool)
    failed = np.zeros(n, dtype=bool)
    iterations = np.zeros(n, dtype=int)
    dX = np.zeros((n, d, memory))
    dR = np.zeros((n, d, memory))
    filled = np.zeros(n, dtype=int)
    last_x = np.full((n, d), np.nan)
    last_r = np.full((n, d), np.nan)
    last_norm = np.full(n, np.inf)
    for _ in range(max_iter):
        idx = np.flatnonzero(~converged & ~failed)
        if idx.size == 0:
            break
        xi = x[idx]
        gx = update(xi, idx)
        r = gx - xi
        norm = np.max(np.abs(r), axis=1)
        iterations[idx] += 1
        bad = ~np.isfinite(norm)
        done = norm <= tol
        x[idx[done]] = gx[done]
        converged[idx[done]] = True
        failed[idx[bad]] = True  # a non-finite map: stop there, reported diverged
        # restart the history where the residual blew up or was not finite
        restart = bad | (norm > 10.0 * last_norm[idx])
        have = np.isfinite(last_norm[idx]) & ~restart
        slot = iterations[idx] % memory
        rows = idx[have]
        dX[rows, :, slot[have]] = xi[have] - last_x[rows]
        dR[rows, :, slot[have]] = r[have] - last_r[rows]
        filled[rows] = np.minimum(filled[rows] + 1, memory)
        filled[idx[restart]] = 0
        dX[idx[restart]] = 0.0
        dR[idx[restart]] = 0.0
        last_x[idx], last_r[idx], last_norm[idx] = xi, r, norm
        step = np.where(np.isfinite(r), r, 0.0)
        mixing = have & (filled[idx] > 0)
        if mixing.any():
            A = dR[idx[mixing]]
            gram = np.einsum("ndi,ndj->nij", A, A)
            scale = np.trace(gram, axis1=1, axis2=2)[:, None, None] + 1e-300
            gram = gram + regularization * scale * np.eye(memory)
            rhs = np.einsum("ndi,nd->ni", A, r[mixing])
            gamma = np.linalg.solve(gram, rhs[..., None])[..., 0]
            step[mixing] = r[mixing] - np.einsum("ndi,ni->nd", dX[idx[mixing]] + A, gamma)
        active = ~done & ~bad
        x[idx[active]] = xi[active] + np.clip(step[active], -max_step, max_step)
    return Solution(x, from_flags(converged, diverged=failed), iterations)
