r"""Teacher-student generalised linear models: Bayes-optimal learning curves and GAMP.

Model (Barbier, Krzakala, Macris, Miolane, Zdeborova 2019, "Optimal errors and phase
transitions in high-dimensional generalized linear models", PNAS 116, 5451,
arXiv:1708.03395): teacher weights x in R^N i.i.d. from a prior with E[x^2] = 1, inputs F_mu
i.i.d. N(0, I_N), z_mu = F_mu . x / sqrt(N), labels y_mu ~ P_out(y | z_mu), alpha = M / N.

Replica-symmetric free entropy and state evolution (q: overlap, r: its conjugate):

    f(q, r) = psi_P0(r) + alpha Psi_out(q) - r q / 2,
    q = M(r) = 2 psi_P0'(r),   r = alpha R(q) = 2 alpha Psi_out'(q).

GAMP's state evolution iterates q <- M(alpha R(q)), a monotone map; its fixed points for all
alpha at once are r -> (alpha = S(r) := r / R(M(r)), q = M(r)). Perfect recovery (q = 1,
r = inf) is a state of its own for noiseless channels: stable above alpha = S(inf), with free
entropy -H(P0) when prior and output are discrete, else +inf above the counting threshold
alpha = d(P0) / d(out) (information dimensions) and -inf below.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ._fixedpoint import damped_iteration
from ._result import Result, Status
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
from .channels import Channel
from .priors import Prior

__all__ = [
    "EQUATIONS",
    "MAX_ALPHA",
    "MAX_GAMP_N",
    "REFERENCES",
    "Branch",
    "Curve",
    "FixedPoint",
    "GampRun",
    "GlmBranch",
    "GlmCurve",
    "GlmFixedPoint",
    "GlmLandscape",
    "GlmThresholds",
    "Landscape",
    "Status",
    "curve",
    "free_entropy",
    "free_entropy_landscape",
    "sample_instance",
    "simulate_gamp",
    "state_evolution",
    "thresholds",
]

EQUATIONS = {
    "model": r"y_\mu \sim P_{\rm out}\big(\cdot \,\big|\, F_\mu \cdot x / \sqrt{N}\big),"
             r"\quad \alpha = M/N",
    "free_entropy": r"f(q, \hat q) = \psi_{P_0}(\hat q) + \alpha\, \Psi_{\rm out}(q) - \hat q q/2",
    "state_evolution": r"q = 2\psi_{P_0}'(\hat q), \qquad \hat q = 2\alpha\,\Psi_{\rm out}'(q)",
    "perceptron_error": r"\epsilon_g = \frac{1}{\pi}\arccos\sqrt{q}",
}
REFERENCES = (
    "J. Barbier, F. Krzakala, N. Macris, L. Miolane, L. Zdeborová, Optimal errors and phase "
    "transitions in high-dimensional generalized linear models, PNAS 116, 5451 (2019), "
    "arXiv:1708.03395",
    "G. Györgyi, First-order transition to perfect generalization in a neural network with "
    "binary synapses, Phys. Rev. A 41, 7097 (1990)",
    "F. Krzakala, M. Mézard, F. Sausset, Y. Sun, L. Zdeborová, Statistical-physics-based "
    "reconstruction in compressed sensing, Phys. Rev. X 2, 021005 (2012), arXiv:1109.4424",
    "S. Rangan, Generalized approximate message passing for estimation with random linear "
    "mixing, ISIT (2011), arXiv:1010.5141",
)

MAX_ALPHA = 100.0
MAX_GAMP_N = 4000
_TABLE_POINTS = 500
_R_MAX = 1e8
_RESIDUAL_TOL = 1e-9


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------
#: the GLM names of the shared state-evolution results (one type each for both models; a GLM
#: result has ``alpha`` where a spiked one has ``snr``, and a ``generalization_error``)
GlmFixedPoint = FixedPoint
GlmBranch = Branch
GlmCurve = Curve
GlmLandscape = Landscape


@dataclass(frozen=True)
class GlmThresholds(Result):
    """Sample-complexity thresholds in alpha; NaN where one does not exist.

    ``weak_recovery``: q = 0 stops being a stable fixed point (symmetric channels only).
    ``dynamic``: the high-overlap / perfect-recovery state first exists (is stable).
    ``information_theoretic``: the free entropies of the two states cross.
    ``algorithmic``: GAMP's (uninformed) branch jumps to the high-overlap state.
    ``perfect_recovery``: whether the high state is exact recovery (q = 1).
    ``status``: out of range when a spinodal or the transition lies beyond what the solver
    covers (alpha above ``MAX_ALPHA``, the high-overlap spinodal beyond the tabulated
    range), not converged when the free-entropy crossing cannot be bracketed or a spinodal
    was not refined to tolerance; the thresholds not found are NaN.
    """

    weak_recovery: float
    dynamic: float
    information_theoretic: float
    algorithmic: float
    perfect_recovery: bool
    status: Status


@dataclass(frozen=True)
class GampRun(Result):
    """A finite-size GAMP run: overlap x_hat . x / |x|^2 and test error per iteration.
    ``status``: converged at a fixed point (or exact recovery) within the iterations
    allowed, diverged when an estimate stopped being finite (the run stops there)."""

    alpha: float
    n: int
    overlap: np.ndarray
    test_error: np.ndarray
    status: Status
    seed: int


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------
def _as_alpha(alpha) -> np.ndarray:
    return check_range(alpha, "alpha", 0.0, MAX_ALPHA)


# ---------------------------------------------------------------------------------------
# Free entropy, including the perfect-recovery state
# ---------------------------------------------------------------------------------------
def _perfect_free_entropy(prior: Prior, channel: Channel, alpha) -> np.ndarray:
    """The limit of f along q -> 1 (only meaningful for noiseless channels)."""
    alpha = np.asarray(alpha, dtype=float)
    d_out = channel.perfect_dimension
    if d_out is None:
        return np.full(alpha.shape, np.nan)
    slope = alpha * d_out - prior.information_dimension
    finite = -prior.entropy + alpha * float(channel.free_entropy(1.0)) if d_out == 0 else np.nan
    return np.where(slope > 0, np.inf, np.where(slope < 0, -np.inf, finite))


def free_entropy(prior: Prior, channel: Channel, alpha, overlap) -> np.ndarray:
    """f at the state-evolution point with overlap q: r = alpha R(q), f = psi(r) + alpha
    Psi_out(q) - r q / 2; q = 1 gives the perfect-recovery limit."""
    alpha, q = np.broadcast_arrays(np.asarray(alpha, float), np.asarray(overlap, float))
    out = np.empty(alpha.shape)
    perfect = q >= 1.0
    out[perfect] = _perfect_free_entropy(prior, channel, alpha[perfect])
    a, qq = alpha[~perfect], q[~perfect]
    r = a * channel.overlap_rate(qq)
    out[~perfect] = scalar_free_entropy(prior, r) + a * channel.free_entropy(qq) - 0.5 * r * qq
    return out


def _branch(prior, channel, alpha, q, status) -> Branch:
    return Branch(overlap=q, mse=1.0 - q, generalization_error=channel.label_error(q),
                  free_entropy=free_entropy(prior, channel, alpha, q), status=status)


# ---------------------------------------------------------------------------------------
# State evolution by iteration (what GAMP does)
# ---------------------------------------------------------------------------------------
def state_evolution(
    *, prior: Prior, channel: Channel, alpha, init: str = "uninformed",
    damping: float = 0.0, tol: float = 1e-11, max_iter: int = 20000,
) -> FixedPoint:
    """Iterate q <- M(alpha R(q)) from q0 = 1e-6 (uninformed) or q0 = 1 - 1e-10 (informed).

    Vectorised over alpha; ``status`` and ``iterations`` per alpha. An overlap within
    1e-10 of 1 is reported as exact recovery, q = 1.
    """
    alpha = _as_alpha(alpha)
    _check_init(init)
    flat = np.ravel(alpha)
    q0 = 1e-6 if init == "uninformed" else 1.0 - 1e-10

    def update(q, idx):
        return np.minimum(scalar_overlap(prior, flat[idx] * channel.overlap_rate(q)), 1.0)

    q, status, iterations = damped_iteration(update, np.full(flat.shape, q0),
                                             damping=damping, tol=tol, max_iter=max_iter)
    q = np.where(q > 1.0 - 1e-10, 1.0, q).reshape(alpha.shape)
    br = _branch(prior, channel, alpha, q, status.reshape(alpha.shape))
    return FixedPoint(control_name="alpha", control=alpha, overlap=q, mse=br.mse,
                      generalization_error=br.generalization_error,
                      free_entropy=br.free_entropy, status=br.status,
                      iterations=iterations.reshape(alpha.shape), init=init)


# ---------------------------------------------------------------------------------------
# All fixed points through alpha = S(r) = r / R(M(r))
# ---------------------------------------------------------------------------------------
def _S_of(prior, channel):
    def S(r):
        r = np.asarray(r, dtype=float)
        return r / channel.overlap_rate(np.minimum(scalar_overlap(prior, r), 1.0))

    return S


def _S_at_zero(prior, channel) -> float:
    """lim_{r->0} S(r): 0 when R(0) > 0, else 1 / (R'(0) M'(0)) (M'(0) = E[x^2]^2 = 1)."""
    if not channel.symmetric:
        return 0.0
    return 1.0 / channel.rate_slope_at_zero()


@lru_cache(maxsize=64)
def _table(prior: Prior, channel: Channel):
    r = np.concatenate([[0.0], np.geomspace(1e-6, _R_MAX, _TABLE_POINTS)])
    S = np.empty_like(r)
    S[0] = _S_at_zero(prior, channel)
    S[1:] = _S_of(prior, channel)(r[1:])
    r.setflags(write=False)
    S.setflags(write=False)
    return r, S


def _perfect_limit(prior, channel) -> float | None:
    """alpha above which perfect recovery is a stable fixed point (None: never).

    Near q = 1, 1 - M(r) ~ d(P0) / r and R(q) ~ d(out) / (1 - q) (information dimensions),
    so S(r) -> d(P0) / d(out). A discrete output with a discrete prior makes perfect
    recovery stable for every alpha > 0; with a prior that has a density, never.
    """
    d_out = channel.perfect_dimension
    if d_out is None:
        return None
    if d_out > 0:
        return prior.information_dimension / d_out
    return 0.0 if prior.information_dimension == 0 else None


def curve(*, prior: Prior, channel: Channel, alpha) -> Curve:
    """Uninformed (GAMP), informed and Bayes-optimal branches over an array of alpha."""
    alpha = np.atleast_1d(_as_alpha(alpha)).astype(float)
    if alpha.ndim != 1:
        raise ValueError("curve needs a 1-d array of alpha")
    r, S = _table(prior, channel)
    r_un, st_un, r_in, st_in = stable_branches(
        _S_of(prior, channel), r, S, alpha, perfect_above=_perfect_limit(prior, channel),
        tol=_RESIDUAL_TOL)

    def overlap(rr):
        q = np.ones_like(rr)
        finite = np.isfinite(rr)
        q[finite] = np.minimum(scalar_overlap(prior, rr[finite]), 1.0)
        return q

    un = _branch(prior, channel, alpha, overlap(r_un), st_un)
    inf = _branch(prior, channel, alpha, overlap(r_in), st_in)
    return bayes_optimal_curve(control_name="alpha", control=alpha, uninformed=un,
                               informed=inf)


# ---------------------------------------------------------------------------------------
# Thresholds
# ---------------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def thresholds(*, prior: Prior, channel: Channel) -> GlmThresholds:
    """Weak-recovery, dynamic, information-theoretic and algorithmic thresholds in alpha."""
    r, S = _table(prior, channel)
    S_of = _S_of(prior, channel)
    weak = float(S[0]) if channel.symmetric else np.nan
    limit = _perfect_limit(prior, channel)
    perfect = limit is not None
    spin = spinodals(S_of, r, S, rtol=1e-10)
    if spin is None:
        # no jump: GAMP follows the optimal branch; perfect recovery (if any) from its limit
        lim = limit if perfect else np.nan
        return GlmThresholds(weak, lim, lim, lim, perfect_recovery=perfect,
                             status=Status.CONVERGED)
    i_max, alpha_alg = spin.i_max, spin.S_max
    candidates = ([spin.S_min] if spin.i_min is not None else []) + ([limit] if perfect else [])
    if not candidates:
        # the high-overlap state's spinodal lies beyond the tabulated r (q_hat <= _R_MAX)
        return GlmThresholds(weak, np.nan, np.nan, alpha_alg, False,
                             status=Status.OUT_OF_RANGE)
    alpha_dyn = min(candidates)

    def informed_wins(alpha):
        c = curve(prior=prior, channel=channel, alpha=[alpha])
        return bool(c.informed.free_entropy[0] > c.uninformed.free_entropy[0])

    # stay inside the window the table resolves: the curve solver brackets fixed points on
    # the grid, so it sees the spinodals at the grid's extreme values of S
    hi = min(alpha_alg * (1 - 1e-9), float(S[i_max]))
    lo = alpha_dyn * (1 + 1e-9) + 1e-12
    if spin.i_min is not None and alpha_dyn < (limit if perfect else np.inf):
        lo = max(lo, float(S[spin.i_min]))
    if lo >= MAX_ALPHA:  # a transition beyond the solvable range is reported as NaN
        return GlmThresholds(weak, alpha_dyn, np.nan, alpha_alg, perfect,
                             status=Status.OUT_OF_RANGE)
    if informed_wins(lo) and perfect and alpha_dyn == limit and channel.perfect_dimension > 0:
        # perfect recovery's free entropy is +inf as soon as it is stable: the counting
        # threshold d(P0) / d(out) is the information-theoretic one
        return GlmThresholds(weak, float(alpha_dyn), float(limit), float(alpha_alg), perfect,
                             status=spin.status)
    beyond = hi > MAX_ALPHA
    hi = min(hi, MAX_ALPHA)
    if not lo < hi or informed_wins(lo) or not informed_wins(hi):
        # the crossing is not inside the window: beyond MAX_ALPHA when the window was cut
        # there, else the free entropies do not cross as they should
        return GlmThresholds(weak, alpha_dyn, np.nan, alpha_alg, perfect,
                             status=Status.OUT_OF_RANGE if beyond and lo < hi
                             else Status.NOT_CONVERGED)
    # bisection on the sign of the free-entropy gap (which may jump to +inf at the
    # counting threshold of a noiseless channel with a continuous prior)
    status = Status.NOT_CONVERGED
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if informed_wins(mid) else (mid, hi)
        if hi - lo < 1e-11 * hi:
            status = spin.status
            break
    return GlmThresholds(weak, float(alpha_dyn), float(0.5 * (lo + hi)), float(alpha_alg),
                         perfect, status=status)


# ---------------------------------------------------------------------------------------
# GAMP on a sampled instance
# ---------------------------------------------------------------------------------------
def sample_instance(*, prior: Prior, channel: Channel, alpha: float, n: int, seed: int):
    """(x, F, y): teacher, inputs F (M x N, entries N(0, 1)) and labels, M = round(alpha N)."""
    rng = np.random.default_rng(seed)
    m = max(1, round(alpha * n))
    x = prior.sample(n, rng)
    F = rng.standard_normal((m, n))
    y = channel.sample(F @ x / np.sqrt(n), rng)
    return x, F, y


def simulate_gamp(
    *, prior: Prior, channel: Channel, alpha: float, n: int = 1000, iterations: int = 200,
    seed: int = 0, tol: float = 1e-7, test_size: int = 2000,
) -> GampRun:
    """Bayes-optimal GAMP (Rangan 2011) on one sampled instance, uninformed start.

    omega = Phi x_hat - V g_old,  V = <v>,  (g, dg) = g_out(y, omega, V),
    A = -alpha <dg>,  B = Phi^T g + A x_hat,  (x_hat, v) = prior posterior in (B, A),
    with Phi = F / sqrt(N). Returns the overlap x_hat . x / |x|^2 per iteration and the test
    error of the channel's Bayes prediction on fresh samples (estimated from the overlap).
    """
    alpha = float(_as_alpha(alpha))
    n = int(n)
    if not 10 <= n <= MAX_GAMP_N:
        raise ValueError(f"n must lie in [10, {MAX_GAMP_N}]")
    if not 1 <= int(iterations) <= 2000:
        raise ValueError("iterations must lie in [1, 2000]")
    if alpha * n < 1:
        raise ValueError("alpha * n must be at least 1 sample")
    x, F, y = sample_instance(prior=prior, channel=channel, alpha=alpha, n=n, seed=seed)
    Phi = F / np.sqrt(n)
    m = Phi.shape[0]
    rng = np.random.default_rng([seed, 7])
    x_hat = 1e-3 * rng.standard_normal(n)
    v = np.ones(n)
    g = np.zeros(m)
    overlaps = [abs(x_hat @ x) / (x @ x)]
    status = Status.NOT_CONVERGED
    for _ in range(int(iterations)):
        with np.errstate(invalid="ignore", over="ignore"):
            V = max(float(v.mean()), 1e-12)
            omega = Phi @ x_hat - V * g
            g, dg = channel.g_out(y, omega, V)
            A = max(-float(dg.mean()) * m / n, 1e-12)
            B = Phi.T @ g + A * x_hat
            x_new, v = prior.posterior(B, A)
            overlaps.append(abs(x_new @ x) / (x @ x))
        if not (np.all(np.isfinite(x_new)) and np.all(np.isfinite(v))):
            status = Status.DIVERGED
            overlaps[-1] = np.nan
            break
        step = np.sum((x_new - x_hat) ** 2) / n
        x_hat = x_new
        if step < tol**2 or v.mean() < 1e-13:  # a fixed point, or exact recovery
            status = Status.CONVERGED
            break
    overlaps = np.clip(np.array(overlaps), 0.0, 1.0)
    test_error = np.full(overlaps.shape, np.nan)  # NaN after a blow-up
    finite = np.isfinite(overlaps)
    test_error[finite] = channel.label_error(overlaps[finite])
    return GampRun(alpha=alpha, n=n, overlap=overlaps, test_error=test_error, status=status,
                   seed=int(seed))


# ---------------------------------------------------------------------------------------
# Free-entropy landscape
# ---------------------------------------------------------------------------------------
def free_entropy_landscape(*, prior: Prior, channel: Channel, alpha: float,
                           points: int = 300) -> Landscape:
    """The replica potential f(q) = psi(r(q)) - r(q) q / 2 + alpha Psi_out(q), r(q) = M^-1(q),
    on a grid of q in [0, 1) traced through r (no inversion of M needed). Its stationary
    points are the state-evolution fixed points; its local maxima (the stable fixed points,
    q = 1 for perfect recovery) and their free entropies come from the branch solve."""
    alpha = float(_as_alpha(alpha))
    r = np.concatenate([[0.0], np.geomspace(1e-4, 1e5, int(points) - 1)])
    q = np.minimum(scalar_overlap(prior, r), 1.0)
    keep = q < 1.0 - 1e-9
    r, q = r[keep], q[keep]
    f = scalar_free_entropy(prior, r) - 0.5 * r * q + alpha * channel.free_entropy(q)
    c = curve(prior=prior, channel=channel, alpha=[alpha])
    maxima = np.unique(np.array([c.uninformed.overlap[0], c.informed.overlap[0]]))
    return Landscape(control_name="alpha", control=alpha, overlaps=q, free_entropy=f,
                     maxima=maxima,
                     maxima_free_entropy=free_entropy(prior, channel, alpha, maxima),
                     status=c.status[0])
