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


#: Chandrupatla's method, as scipy's ``find_root`` runs it, without its per-iteration array
#: API bookkeeping (three quarters of a root solve's time there, for the few dozen brackets
#: a slider move solves): the same iterates, statuses and tolerances. Exit codes as scipy's.
_CONVERGED, _SIGN_ERROR, _NOT_CONVERGED, _VALUE_ERROR = 0, -1, -2, -3
_CODE_STATUS = {_CONVERGED: Status.CONVERGED, _SIGN_ERROR: Status.OUT_OF_RANGE,
                _NOT_CONVERGED: Status.NOT_CONVERGED, _VALUE_ERROR: Status.DIVERGED}
_TINY = np.finfo(float).smallest_normal
_EPS = np.finfo(float).eps
#: scipy's default: every bisection between the largest and the smallest normal float
_MAX_ITER = int(np.log2(np.finfo(float).max) - np.log2(_TINY))


def _check_brackets(x1, f1, x2, f2, xatol, xrtol, fatol):
    """scipy's termination test: (xmin, fmin, code, stop, dx, tol) of each bracket."""
    closer = np.abs(f1) < np.abs(f2)
    xmin, fmin = np.where(closer, x1, x2), np.where(closer, f1, f2)
    code = np.full(x1.shape, 1, dtype=int)
    stop = np.abs(fmin) <= fatol
    code[stop] = _CONVERGED
    lost = (np.sign(f1) == np.sign(f2)) & ~stop  # no sign change: no root inside
    bad = ~(np.isfinite(x1) & np.isfinite(x2)) | (np.isnan(f1) & np.isnan(f2))
    bad &= ~(stop | lost)
    for failed, value in ((lost, _SIGN_ERROR), (bad, _VALUE_ERROR)):
        xmin[failed] = fmin[failed] = np.nan
        code[failed] = value
        stop |= failed
    dx = np.abs(x2 - x1)
    tol = np.abs(xmin) * xrtol + xatol
    narrow = dx < tol
    code[narrow] = _CONVERGED
    return xmin, fmin, code, stop | narrow, dx, tol


def _chandrupatla(f, lo, hi, index, xatol, xrtol, fatol, max_iter):
    """Chandrupatla (1997) on the flat brackets [lo, hi]: (x, f(x), exit code, iterations)."""
    n = lo.size
    x_out, f_out = np.full(n, np.nan), np.full(n, np.nan)
    code_out, nit_out = np.full(n, _NOT_CONVERGED, dtype=int), np.zeros(n, dtype=int)
    if n == 0:
        return x_out, f_out, code_out, nit_out
    x1, x2 = lo.astype(float), hi.astype(float)
    both = np.asarray(f(np.concatenate([x1, x2]), np.concatenate([index, index])), dtype=float)
    f1, f2 = both[:n], both[n:]
    active, nit = np.arange(n), 0
    x3 = f3 = t = None
    while True:
        xmin, fmin, code, stop, dx, tol = _check_brackets(x1, f1, x2, f2, xatol, xrtol, fatol)
        if stop.any():
            done = active[stop]
            x_out[done], f_out[done], code_out[done], nit_out[done] = (
                xmin[stop], fmin[stop], code[stop], nit)
            keep = ~stop
            active = active[keep]
            x1, f1, x2, f2, dx, tol = (a[keep] for a in (x1, f1, x2, f2, dx, tol))
            if x3 is not None:
                x3, f3 = x3[keep], f3[keep]
        if active.size == 0:
            break
        if nit >= max_iter:
            x_out[active], f_out[active] = xmin[~stop], fmin[~stop]
            nit_out[active] = nit
            break
        if x3 is None:
            t = np.full(active.size, 0.5)
        else:  # inverse quadratic interpolation where it is safe, else bisection
            with np.errstate(all="ignore"):
                xi = (x1 - x2) / (x3 - x2)
                phi = (f1 - f2) / (f3 - f2)
                alpha = (x3 - x1) / (x2 - x1)
                quad = ((1 - np.sqrt(1 - xi)) < phi) & (phi < np.sqrt(xi))
                t = np.full(active.size, 0.5)
                a, b, c, al = f1[quad], f2[quad], f3[quad], alpha[quad]
                t[quad] = a / (a - b) * c / (c - b) - al * a / (c - a) * b / (b - c)
                edge = 0.5 * tol / dx  # not too near an end of the bracket
                t = np.clip(t, edge, 1 - edge)
        x = x1 + t * (x2 - x1)
        fx = np.asarray(f(x, index[active]), dtype=float)
        nit += 1
        same = np.sign(fx) == np.sign(f1)
        x3, f3 = np.where(same, x1, x2), np.where(same, f1, f2)
        x2, f2 = np.where(same, x2, x1), np.where(same, f2, f1)
        x1, f1 = x, fx
    return x_out, f_out, code_out, nit_out


def find_roots(func, lo, hi, f_lo=None, f_hi=None, *, xtol=None, ftol=None,
               max_iter=None) -> Roots:
    """Roots of ``func`` in the brackets ``[lo, hi]`` (``lo < hi``), vectorised with one
    status per bracket: Chandrupatla's method, with the iterates, tolerances and exit
    statuses of ``scipy.optimize.elementwise.find_root`` (``tests/theory/test_fixedpoint``
    compares the two).

    ``func(x, idx)`` returns the function values at abscissae ``x`` for the problems of
    (integer) indices ``idx``; ``f_lo`` / ``f_hi``, when known (e.g. from a table), spare
    evaluating it at the ends. Convergence: the bracket narrower than
    ``xtol * (1 + |x|)`` or ``|f(x)| <= ftol`` (defaults: a few ulps, the smallest normal
    float). A bracket without a sign change is ``OUT_OF_RANGE``, the iteration limit
    ``NOT_CONVERGED``, a non-finite value ``DIVERGED``; the root is NaN for those.
    """
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

    xatol = 4 * _TINY if xtol is None else float(xtol)
    xrtol = 4 * _EPS if xtol is None else float(xtol)
    fatol = _TINY if ftol is None else float(ftol)
    x, value, code, nit = _chandrupatla(f, lo.ravel(), hi.ravel(), np.arange(lo.size), xatol,
                                        xrtol, fatol, _MAX_ITER if max_iter is None else
                                        int(max_iter))
    status = np.full(code.shape, Status.NOT_CONVERGED.value, dtype=STATUS_DTYPE)
    for value_code, flag in _CODE_STATUS.items():
        status[code == value_code] = flag.value
    return Roots(x=x.reshape(lo.shape), status=status.reshape(lo.shape),
                 value=value.reshape(lo.shape), iterations=nit.reshape(lo.shape))


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
