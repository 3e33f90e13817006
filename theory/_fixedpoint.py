"""Fixed-point and root-finding machinery shared by the state-evolution solvers."""

from __future__ import annotations

import numpy as np


def damped_iteration(update, start, *, damping=0.0, tol=1e-10, max_iter=5000):
    """Iterate ``x <- (1 - damping) * update(x) + damping * x`` elementwise.

    Vectorised: every entry of ``start`` is an independent scalar fixed-point problem
    and ``update`` maps an array to an array of the same shape. Entries stop moving once
    their step is below ``tol``; only the active entries are re-evaluated, through
    ``update(x, idx)`` which receives the (integer) indices of the entries to update.

    Returns ``(x, converged, iterations)`` with per-entry arrays.
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
    return x, converged, iterations


def bracketed_roots(func, lo, hi, f_lo=None, f_hi=None, *, xtol=1e-14, ftol=1e-13, max_iter=100):
    """Vectorised Illinois (modified regula falsi) on brackets ``[lo, hi]``.

    ``func(x, idx)`` returns the function values at abscissae ``x`` for the problems of
    (integer) indices ``idx``; every bracket must have ``f(lo) * f(hi) <= 0``.
    Returns ``(root, converged, value)``, ``value`` the function at ``root``.
    """
    lo = np.array(lo, dtype=float, copy=True)
    hi = np.array(hi, dtype=float, copy=True)
    everything = np.arange(lo.size)
    f_lo = func(lo, everything) if f_lo is None else np.array(f_lo, dtype=float, copy=True)
    f_hi = func(hi, everything) if f_hi is None else np.array(f_hi, dtype=float, copy=True)
    if np.any(f_lo * f_hi > 0):
        raise ValueError("bracketed_roots needs a sign change on every bracket")
    root = np.where(np.abs(f_lo) < np.abs(f_hi), lo, hi)
    converged = (f_lo == 0) | (f_hi == 0)
    root = np.where(f_lo == 0, lo, np.where(f_hi == 0, hi, root))
    value = np.where(np.abs(f_lo) < np.abs(f_hi), f_lo, f_hi)
    side = np.zeros(lo.shape, dtype=int)  # which end was kept last time, for Illinois
    for _ in range(max_iter):
        active = ~converged
        if not active.any():
            break
        a, b, fa, fb = lo[active], hi[active], f_lo[active], f_hi[active]
        denom = fb - fa
        x = np.where(denom != 0, b - fb * (b - a) / np.where(denom != 0, denom, 1.0), 0.5 * (a + b))
        # keep strictly inside the bracket; fall back to bisection when regula falsi stalls
        outside = ~((x > np.minimum(a, b)) & (x < np.maximum(a, b)))
        x = np.where(outside, 0.5 * (a + b), x)
        idx = np.flatnonzero(active)
        fx = func(x, idx)
        root[idx] = x
        value[idx] = fx
        same_as_lo = np.sign(fx) == np.sign(fa)
        s = side[idx]
        # the end that stays gets its value halved if it stayed twice in a row (Illinois)
        new_lo = np.where(same_as_lo, x, a)
        new_flo = np.where(same_as_lo, fx, np.where(s == -1, 0.5 * fa, fa))
        new_hi = np.where(same_as_lo, b, x)
        new_fhi = np.where(same_as_lo, np.where(s == 1, 0.5 * fb, fb), fx)
        side[idx] = np.where(same_as_lo, 1, -1)
        lo[idx], hi[idx], f_lo[idx], f_hi[idx] = new_lo, new_hi, new_flo, new_fhi
        width = np.abs(new_hi - new_lo)
        done = (np.abs(fx) <= ftol) | (width <= xtol * np.maximum(1.0, np.abs(x)))
        converged[idx[done]] = True
    return root, converged, value


def stable_branches(S_of, r, S, control, *, perfect_above=None, tol=1e-9):
    """The stable fixed points reached from an uninformed and an informed start.

    A scalar state evolution x <- F(x; a), monotone in x, whose fixed points at control
    value ``a`` (snr, alpha) are the solutions r of ``a = S(r)`` for a parametrisation
    ``S``. ``r``/``S`` tabulate it on a grid starting at r = 0 (S[0] the limit there); the
    crossings of ``a`` upwards are the stable fixed points. ``S_of(r)`` evaluates S exactly
    (vectorised) to refine them.

    * r = 0 is the zero-overlap state, stable where a < S[0];
    * with ``perfect_above`` (the limit of S at r -> inf) the state r = inf, perfect
      recovery, is stable where a > perfect_above.

    Returns ``(r_un, ok_un, r_in, ok_in)``: the uninformed start converges to the smallest
    stable fixed point, the informed start to the largest; 0 and inf mark those two states.
    Each distinct fixed point is refined once.
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

    root, ok, value = bracketed_roots(k, r[cells], r[cells + 1], f_lo=S[cells] - a,
                                      f_hi=S[cells + 1] - a)
    ok &= np.abs(value) <= tol * np.maximum(1.0, np.abs(a))

    r_in = np.where(perfect, np.inf, 0.0)
    r_un = np.where(~zero_stable & ~has_up & perfect, np.inf, 0.0)
    ok_in = np.ones(control.shape, bool)
    ok_un = np.ones(control.shape, bool)
    n_in = rows_in.size
    r_in[rows_in], ok_in[rows_in] = root[:n_in], ok[:n_in]
    r_un[un_same], ok_un[un_same] = r_in[un_same], ok_in[un_same]
    r_un[rows_un], ok_un[rows_un] = root[n_in:], ok[n_in:]
    return r_un, ok_un, r_in, ok_in


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
    x is then G(x), one plain step further. Returns ``(x, converged, iterations)``.
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
        failed[idx[bad]] = True  # a non-finite map: stop there, reported unconverged
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
    return x, converged, iterations
