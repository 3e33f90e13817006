r"""Low-rank matrix estimation: the spiked Wigner model.

Model (Lesieur, Krzakala, Zdeborova 2017, "Constrained low-rank matrix estimation: phase
transitions, approximate message passing and applications", J. Stat. Mech. 073403,
arXiv:1701.00858):

    Y = sqrt(snr / N) x x^T + W,   W symmetric, W_ij ~ N(0, 1) off the diagonal,

with x_i i.i.d. from a prior of zero mean and unit second moment. In the limit N -> inf
the Bayes-optimal estimator and AMP are described by the scalar channel
y = sqrt(snr m) x + z, z ~ N(0, 1), with overlap m:

    state evolution   m <- M(snr m),   M(g) = E[x f(y)] = E[f(y)^2] (Nishimori),
    free entropy      phi(m) = psi(snr m) - snr m^2 / 4,   psi(g) = E log Z(sqrt(g) y, g),
    matrix MMSE       1 - m^2.

Fixed points of state evolution are the stationary points of phi. Writing g = snr m, they
solve snr = S(g) := g / M(g); this parametrisation gives every fixed point at once, and
state evolution started from m (a monotone map) converges to the nearest stable one in the
direction it moves. Both branches (uninformed start m -> 0+, informed start m = 1) follow
from it; the Bayes-optimal branch is the one of larger free entropy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import optimize

from ._fixedpoint import damped_iteration
from ._result import STATUS_DTYPE, Result, Status, statuses, worst_of
from ._scalar import scalar_free_entropy, scalar_overlap
from ._state_evolution import (
    Branch,
    Curve,
    FixedPoint,
    Landscape,
    bayes_optimal_curve,
    spinodals,
    stable_branches,
)
from ._validate import check_init as _check_init
from ._validate import check_range
from .priors import GaussBernoulli, Prior, SparseRademacher

__all__ = [
    "EQUATIONS",
    "MAX_AMP_N",
    "MAX_SNR",
    "REFERENCES",
    "SPARSE_FAMILIES",
    "AmpEnsemble",
    "AmpRun",
    "Branch",
    "Curve",
    "FixedPoint",
    "Landscape",
    "PhaseDiagram",
    "Status",
    "Thresholds",
    "amp_ensemble",
    "curve",
    "free_entropy",
    "free_entropy_landscape",
    "pca_overlap",
    "phase_diagram",
    "sample_instance",
    "scalar_free_entropy",
    "scalar_overlap",
    "simulate_amp",
    "state_evolution",
    "thresholds",
]

EQUATIONS = {
    "model": r"Y = \sqrt{\lambda/N}\; x x^\top + W,\qquad W_{ij}\sim\mathcal N(0,1)",
    "channel": r"y = \sqrt{\lambda m}\, x + z,\qquad z\sim\mathcal N(0,1)",
    "state_evolution": r"m^{t+1} = \mathbb E\big[x\, f(y;\lambda m^t)\big]",
    "free_entropy": r"\Phi(m) = \psi(\lambda m) - \lambda m^2/4",
    "mmse": r"\mathrm{MMSE} = 1 - m^2",
    "pca": r"\text{PCA: } m_{\rm PCA}^2 = \max(0,\, 1 - 1/\lambda)",
}
REFERENCES = (
    "T. Lesieur, F. Krzakala, L. Zdeborová, Constrained low-rank matrix estimation: phase "
    "transitions, approximate message passing and applications, J. Stat. Mech. (2017), "
    "arXiv:1701.00858",
    "J. Baik, G. Ben Arous, S. Péché, Phase transition of the largest eigenvalue for nonnull "
    "complex sample covariance matrices, Ann. Probab. (2005)",
    "Y. Deshpande, A. Montanari, Information-theoretically optimal sparse PCA, ISIT (2014), "
    "arXiv:1402.2238",
)

#: the largest snr the solvers accept (beyond it every prior here is in the trivially easy phase)
MAX_SNR = 1e3
#: points of the g-table used to bracket fixed points
_TABLE_POINTS = 400
_RESIDUAL_TOL = 1e-9


# ---------------------------------------------------------------------------------------
# Scalar channel (shared with the GLM solvers): M(g) = E[f^2], psi(g) = E log Z
# ---------------------------------------------------------------------------------------
def free_entropy(prior: Prior, snr, overlap) -> np.ndarray:
    """phi(m) = psi(snr m) - snr m^2 / 4 (broadcast over snr and overlap)."""
    snr, overlap = np.broadcast_arrays(np.asarray(snr, float), np.asarray(overlap, float))
    return scalar_free_entropy(prior, snr * overlap) - 0.25 * snr * overlap**2


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Thresholds(Result):
    """Phase-transition thresholds in snr; NaN where a threshold does not exist.

    ``weak_recovery``: m = 0 stops being stable (1 for every prior here; also PCA's BBP).
    ``dynamic``: the informed (high-overlap) branch first exists (spinodal).
    ``information_theoretic``: the free entropies of the two branches cross; above it the
    Bayes-optimal MMSE is that of the informed branch.
    ``algorithmic``: the uninformed (AMP) branch leaves the low-overlap state.
    For a continuous transition (``first_order`` False), dynamic is NaN and
    information-theoretic = algorithmic = weak recovery: there is no hard phase.
    ``status``: not converged when a spinodal or the free-entropy crossing was not found
    to tolerance (the crossing is then NaN).
    """

    weak_recovery: float
    dynamic: float
    information_theoretic: float
    algorithmic: float
    first_order: bool
    status: Status


@dataclass(frozen=True)
class AmpRun(Result):
    """A finite-N AMP run after each iteration: overlap |x_hat . x| / |x|^2 and the relative matrix
    error |x x^T - x_hat x_hat^T|_F^2 / |x x^T|_F^2 (-> 1 - m^2 on the Nishimori line).
    ``status``: converged when the iterates stopped moving (to ``tol``) within the
    iterations allowed, diverged when an estimate stopped being finite (the run stops there)."""

    snr: float
    n: int
    overlap: np.ndarray
    mse: np.ndarray
    state_evolution: np.ndarray
    init: str
    seed: int
    status: Status


@dataclass(frozen=True)
class AmpEnsemble(Result):
    """Final AMP overlaps over several runs per snr: mean and standard error. ``status`` per
    snr: the worst of its runs' (one run that did not converge makes the point not
    converged); ``runs_converged`` counts the runs that did."""

    snr: np.ndarray
    n: int
    runs: int
    overlap_mean: np.ndarray
    overlap_sem: np.ndarray
    mmse_mean: np.ndarray
    mmse_sem: np.ndarray
    status: np.ndarray
    runs_converged: np.ndarray


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------
def _as_snr(snr) -> np.ndarray:
    return check_range(snr, "snr", 0.0, MAX_SNR)


# ---------------------------------------------------------------------------------------
# State evolution by iteration (what AMP does, step by step)
# ---------------------------------------------------------------------------------------
def state_evolution(
    *,
    prior: Prior,
    snr,
    init: str = "uninformed",
    start: float | None = None,
    damping: float = 0.0,
    tol: float = 1e-11,
    max_iter: int = 20000,
) -> FixedPoint:
    """Iterate m <- M(snr m) from an uninformed (m0 = 1e-6) or informed (m0 = 1) start.

    Vectorised over an array ``snr``; ``status`` and ``iterations`` are per snr. Close
    to a continuous transition the iteration slows down critically and may report
    ``Status.NOT_CONVERGED``: that is the honest answer, not an error.
    """
    snr = _as_snr(snr)
    _check_init(init)
    m0 = (1e-6 if init == "uninformed" else 1.0) if start is None else float(start)
    flat = np.ravel(snr)

    def update(m, idx):
        return scalar_overlap(prior, flat[idx] * m)

    m, status, iterations = damped_iteration(
        update, np.full(flat.shape, m0), damping=damping, tol=tol, max_iter=max_iter
    )
    m = m.reshape(snr.shape)
    return FixedPoint(
        control_name="snr",
        control=snr,
        overlap=m,
        mse=1.0 - m**2,
        free_entropy=free_entropy(prior, snr, m),
        status=status.reshape(snr.shape),
        iterations=iterations.reshape(snr.shape),
        init=init,
    )


# ---------------------------------------------------------------------------------------
# All fixed points through snr = S(g) = g / M(g)
# ---------------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _g_table(prior: Prior, g_max: float, points: int = _TABLE_POINTS):
    """g on a grid dense near 0 and S(g) = g / M(g) on it, S(0) = 1 / E[x^2]^2 = 1."""
    u = np.linspace(0.0, 1.0, points)
    g = g_max * u**2
    S = np.empty_like(g)
    S[0] = 1.0
    S[1:] = g[1:] / scalar_overlap(prior, g[1:])
    g.setflags(write=False)
    S.setflags(write=False)
    return g, S


def _table_for(prior: Prior, snr_max: float):
    # bucket g_max to powers of two so nearby ranges share one cached table
    g_max = float(2.0 ** np.ceil(np.log2(max(snr_max, 2.0))))
    return _g_table(prior, g_max)


def _branches(prior: Prior, snr: np.ndarray):
    """Uninformed and informed branches (overlap, status, free entropy) at every snr."""
    g, S = _table_for(prior, float(snr.max(initial=0.0)))

    def S_of(gg):
        return gg / scalar_overlap(prior, gg)

    # |S(g) - snr| <= tol snr  <=>  |M(snr m) - m| <= tol m: the fixed-point residual itself
    g_un, st_un, g_in, st_in = stable_branches(S_of, g, S, snr, tol=_RESIDUAL_TOL)
    m_un = np.divide(g_un, snr, out=np.zeros_like(snr), where=snr > 0)
    m_in = np.divide(g_in, snr, out=np.zeros_like(snr), where=snr > 0)
    phi_in = np.zeros_like(snr)
    phi_in[m_in > 0] = free_entropy(prior, snr[m_in > 0], m_in[m_in > 0])
    phi_un = np.where(m_un == m_in, phi_in, 0.0)  # phi(0) = 0; shared fixed points reused
    own = (m_un > 0) & (m_un != m_in)
    phi_un[own] = free_entropy(prior, snr[own], m_un[own])
    branches = [
        Branch(overlap=m, mse=1.0 - m**2, free_entropy=phi, status=st)
        for m, phi, st in ((m_un, phi_un, st_un), (m_in, phi_in, st_in))
    ]
    return branches[0], branches[1]


def curve(*, prior: Prior, snr) -> Curve:
    """Uninformed, informed and Bayes-optimal branches over an array of snr (vectorised)."""
    snr = np.atleast_1d(_as_snr(snr)).astype(float)
    if snr.ndim != 1:
        raise ValueError("curve needs a 1-d array of snr")
    un, inf = _branches(prior, snr)
    return bayes_optimal_curve(control_name="snr", control=snr, uninformed=un, informed=inf)


# ---------------------------------------------------------------------------------------
# Thresholds
# ---------------------------------------------------------------------------------------
# Spinodals sit at g <= S(g) <= the local maximum of S, close to 1 for these priors; the
# search starts on [0, 4] and widens if the local maximum is not clearly inside.
_THRESHOLD_G_MAX = (4.0, 64.0)


def _S(prior, g):
    return float(g / scalar_overlap(prior, g)) if g > 0 else 1.0


def _spinodals(prior: Prior):
    """The first local maximum of S(g) and the local minimum after it, or None."""
    for g_max in _THRESHOLD_G_MAX:
        g, S = _g_table(prior, g_max, 400)
        found = spinodals(lambda x: _S(prior, x), g, S, rtol=1e-11)
        if found is not None and found.i_min is None:
            found = None
        # g = snr m <= S(g) <= S_max: both spinodals lie well inside this table
        if found is None or found.S_max < g_max / 2:
            return found
    return found


def _root_in(prior, snr, lo, hi):
    """The fixed point g in [lo, hi] (S - snr changes sign there) as an overlap m = g / snr."""
    g_root = optimize.brentq(lambda x: _S(prior, x) - snr, lo, hi, xtol=1e-14, rtol=1e-13)
    return g_root / snr


@lru_cache(maxsize=256)
def thresholds(*, prior: Prior) -> Thresholds:
    """Weak-recovery, dynamic, information-theoretic and algorithmic thresholds in snr."""
    weak = 1.0
    spin = _spinodals(prior)
    if spin is None:
        return Thresholds(weak, np.nan, weak, weak, first_order=False, status=Status.CONVERGED)
    g_alg, snr_alg, g_dyn, snr_dyn = spin.x_max, spin.S_max, spin.x_min, spin.S_min

    def gap(snr):
        # uninformed branch: 0 below snr = 1, else the root on the rising piece [0, g_alg]
        m_un = 0.0 if snr <= 1.0 else _root_in(prior, snr, 1e-300, g_alg)
        m_in = _root_in(prior, snr, g_dyn, max(snr, g_dyn) * 1.0 + 1.0)
        return float(free_entropy(prior, snr, m_in) - free_entropy(prior, snr, m_un))

    lo, hi = snr_dyn * (1 + 1e-12), snr_alg * (1 - 1e-12)
    g_lo, g_hi = gap(lo), gap(hi)
    if not g_lo < 0 < g_hi:
        # crossing outside the metastable window: should not happen for a genuine spinodal pair
        return Thresholds(weak, snr_dyn, np.nan, snr_alg, first_order=True,
                          status=Status.NOT_CONVERGED)
    snr_it, info = optimize.brentq(gap, lo, hi, xtol=1e-12, rtol=1e-12, full_output=True)
    ok = info.converged and spin.status is Status.CONVERGED
    return Thresholds(weak, snr_dyn, float(snr_it), snr_alg, first_order=True,
                      status=Status.CONVERGED if ok else Status.NOT_CONVERGED)


# ---------------------------------------------------------------------------------------
# Free-entropy landscape
# ---------------------------------------------------------------------------------------
def free_entropy_landscape(*, prior: Prior, snr: float, overlaps=None) -> Landscape:
    """phi(m) over ``overlaps`` (default: 201 points on [0, 1]) and its local maxima."""
    snr = float(_as_snr(snr))
    m = np.linspace(0.0, 1.0, 201) if overlaps is None else np.asarray(overlaps, dtype=float)
    if np.any(~np.isfinite(m)) or np.any(m < 0) or np.any(m > 1):
        raise ValueError("overlaps must lie in [0, 1]")
    phi = free_entropy(prior, snr, m)
    c = curve(prior=prior, snr=np.array([snr]))
    maxima = np.unique(np.array([c.uninformed.overlap[0], c.informed.overlap[0]]))
    return Landscape(control_name="snr", control=snr, overlaps=m, free_entropy=phi,
                     maxima=maxima, maxima_free_entropy=free_entropy(prior, snr, maxima),
                     status=c.status[0])


def pca_overlap(snr) -> np.ndarray:
    """Squared overlap of the top eigenvector with the signal: max(0, 1 - 1/snr) (BBP)."""
    snr = np.asarray(snr, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(snr > 1.0, 1.0 - 1.0 / np.where(snr > 0, snr, 1.0), 0.0)


# ---------------------------------------------------------------------------------------
# Finite-N AMP
# ---------------------------------------------------------------------------------------
MAX_AMP_N = 5000


def sample_instance(*, prior: Prior, snr: float, n: int, seed: int):
    """(x, Y) with Y = sqrt(snr/N) x x^T + W, W symmetric (off-diagonal variance 1)."""
    rng = np.random.default_rng(seed)
    x = prior.sample(n, rng)
    G = rng.standard_normal((n, n))
    W = (G + G.T) / np.sqrt(2.0)
    Y = np.sqrt(snr / n) * np.outer(x, x) + W
    return x, Y


def simulate_amp(
    *, prior: Prior, snr: float, n: int = 2000, iterations: int = 200, seed: int = 0,
    init: str = "uninformed", tol: float = 1e-7,
) -> AmpRun:
    """Bayes-optimal AMP with the Onsager term on one sampled instance.

    B^t = sqrt(snr/N) Y x^t - snr <v^t> x^{t-1},  A^t = snr |x^t|^2 / N,
    x^{t+1}, v^{t+1} = posterior mean and variance of the prior in channel (B^t, A^t).
    Uninformed start: x^0 i.i.d. N(0, 10^-6), independent of the signal; informed start:
    x^0 = x (the truth). Runs at most ``iterations`` steps and stops
    once |x^{t+1} - x^t|^2 / N < tol^2 (``Status.CONVERGED``), or when an estimate is not
    finite (``Status.DIVERGED``, the last recorded values NaN). Returns the overlap and
    relative matrix error per iteration, and state evolution from the overlap after the
    first step.
    """
    snr = float(_as_snr(snr))
    _check_init(init)
    n = int(n)
    if not 10 <= n <= MAX_AMP_N:
        raise ValueError(f"n must lie in [10, {MAX_AMP_N}]")
    iterations = int(iterations)
    if not 1 <= iterations <= 1000:
        raise ValueError("iterations must lie in [1, 1000]")
    x, Y = sample_instance(prior=prior, snr=snr, n=n, seed=seed)
    A_mat = Y / np.sqrt(n)
    rng = np.random.default_rng([seed, 1])
    if init == "informed":
        x_hat = x.copy()
        v = np.zeros(n)
    else:
        # small, so AMP starts in its linear regime near the Nishimori line (q ~ m ~ 0): a
        # unit-size random start lands on a spurious m = 0, q > 0 state that finite-N AMP
        # can fail to leave even where m = 0 is unstable
        x_hat = 1e-3 * rng.standard_normal(n)
        v = np.zeros(n)
    x_old = np.zeros(n)
    overlaps = np.empty(iterations + 1)
    mses = np.empty(iterations + 1)

    def record(t, xh):
        # overlap relative to this instance's signal power |x|^2 / N (-> 1 as N -> inf)
        overlaps[t] = abs(xh @ x) / (x @ x)
        xx, hh, xh_ = x @ x / n, xh @ xh / n, (xh @ x) / n
        # ||x x^T - xh xh^T||_F^2 / ||x x^T||_F^2: relative to this instance's signal power,
        # so that the O(1/sqrt(N rho)) fluctuation of |x|^2 does not swamp the estimate
        mses[t] = (xx**2 + hh**2 - 2.0 * xh_**2) / xx**2

    record(0, x_hat)
    status, steps = Status.NOT_CONVERGED, iterations
    for t in range(iterations):
        B = np.sqrt(snr) * (A_mat @ x_hat) - snr * v.mean() * x_old
        A = snr * (x_hat @ x_hat) / n
        x_old = x_hat
        with np.errstate(invalid="ignore", over="ignore"):
            x_hat, v = prior.posterior(B, A)
            finite = bool(np.all(np.isfinite(x_hat)) and np.all(np.isfinite(v)))
            record(t + 1, np.where(np.isfinite(x_hat), x_hat, np.nan))
        if not finite:
            status, steps = Status.DIVERGED, t + 1
            break
        if np.sum((x_hat - x_old) ** 2) / n < tol**2:
            status, steps = Status.CONVERGED, t + 1
            break
    overlaps, mses = overlaps[: steps + 1], mses[: steps + 1]
    # state evolution from the overlap after AMP's first step (on the Nishimori line from then on)
    se_traj = overlaps.copy()
    for t in range(2, steps + 1):
        se_traj[t] = float(scalar_overlap(prior, snr * se_traj[t - 1]))
    return AmpRun(snr=snr, n=n, overlap=overlaps, mse=mses, state_evolution=se_traj,
                  init=init, seed=int(seed), status=status)


def amp_ensemble(
    *, prior: Prior, snr, n: int = 2000, runs: int = 4, iterations: int = 200, seed: int = 0,
    init: str = "uninformed", progress=None,
) -> AmpEnsemble:
    """Final overlap and matrix MSE of ``runs`` AMP runs at each snr: mean and standard error.

    ``progress(done, total)`` is called after each run when given (for progress bars).
    """
    snr = np.atleast_1d(_as_snr(snr))
    runs = int(runs)
    if not 1 <= runs <= 50:
        raise ValueError("runs must lie in [1, 50]")
    finals = np.empty((snr.size, runs))
    mses = np.empty((snr.size, runs))
    status = np.empty((snr.size, runs), dtype=STATUS_DTYPE)
    total = snr.size * runs
    for i, s in enumerate(snr):
        for r in range(runs):
            run = simulate_amp(prior=prior, snr=float(s), n=n, iterations=iterations,
                               seed=seed + 1000 * i + r, init=init)
            finals[i, r] = run.overlap[-1]
            mses[i, r] = run.mse[-1]
            status[i, r] = run.status
            if progress is not None:
                progress(i * runs + r + 1, total)
    sem = lambda a: (a.std(axis=1, ddof=1) / np.sqrt(runs)) if runs > 1 else np.zeros(snr.size)  # noqa: E731
    return AmpEnsemble(snr=snr, n=int(n), runs=runs, overlap_mean=finals.mean(axis=1),
                       overlap_sem=sem(finals), mmse_mean=mses.mean(axis=1), mmse_sem=sem(mses),
                       status=worst_of(status, axis=1),
                       runs_converged=np.sum(status == Status.CONVERGED.value, axis=1))


# ---------------------------------------------------------------------------------------
# Phase diagram
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PhaseDiagram(Result):
    """Thresholds over the sparsity rho of a prior family (NaN where a line does not exist);
    ``status`` per rho, that of its ``Thresholds``."""

    family: str
    rho: np.ndarray
    weak_recovery: np.ndarray
    dynamic: np.ndarray
    information_theoretic: np.ndarray
    algorithmic: np.ndarray
    first_order: np.ndarray
    status: np.ndarray


SPARSE_FAMILIES = {"sparse_rademacher": SparseRademacher, "gauss_bernoulli": GaussBernoulli}


@lru_cache(maxsize=16)
def _phase_diagram(family: str, rho: tuple[float, ...]) -> PhaseDiagram:
    cls = SPARSE_FAMILIES[family]
    rows = [thresholds(prior=cls(rho=r)) for r in rho]
    col = lambda name: np.array([getattr(t, name) for t in rows])  # noqa: E731
    return PhaseDiagram(
        family=family, rho=np.array(rho), weak_recovery=col("weak_recovery"),
        dynamic=col("dynamic"), information_theoretic=col("information_theoretic"),
        algorithmic=col("algorithmic"), first_order=col("first_order").astype(bool),
        status=statuses([t.status for t in rows]),
    )


def phase_diagram(*, family: str, rho=None) -> PhaseDiagram:
    """Thresholds in the (rho, snr) plane for ``family`` in {'sparse_rademacher',
    'gauss_bernoulli'}; default grid: 40 values of rho, log-spaced on [0.01, 1]."""
    if family not in SPARSE_FAMILIES:
        raise ValueError(f"family must be one of {sorted(SPARSE_FAMILIES)}, got {family!r}")
    grid = np.geomspace(0.01, 1.0, 40) if rho is None else np.asarray(rho, dtype=float)
    if grid.ndim != 1 or grid.size > 400:
        raise ValueError("rho must be a 1-d array of at most 400 values")
    return _phase_diagram(family, tuple(float(_check_rho_value(r)) for r in grid))


def _check_rho_value(r):
    if not np.isfinite(r) or not 0.0 < r <= 1.0:
        raise ValueError(f"rho must be a number in (0, 1], got {r!r}")
    return r
