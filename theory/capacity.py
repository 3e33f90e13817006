"""Storage capacity of the perceptron: how many random patterns P = alpha N a single layer can
store (Gardner's replica computation for spherical and binary weights, Cover's exact count),
the fraction of errors above capacity, and the injectivity of a ReLU layer.

Patterns xi in R^N with i.i.d. N(0, 1) entries and random labels sigma = +-1 are stored with
margin kappa when sigma (w . xi) / sqrt(N) >= kappa for every pattern. Weights are spherical
(|w|^2 = N) or binary (w_i = +-1). Replica-symmetric (RS) results, with the published values
they are checked against in ``tests/theory/test_capacity.py``:

* ``gardner_capacity``: alpha_c(kappa) = 1 / int_{-kappa}^inf Dz (z + kappa)^2, alpha_c(0) = 2
  (Gardner 1988). The space of solutions is convex for kappa >= 0, where RS is exact; for
  kappa < 0 it is not, and RS is only an estimate (replica-symmetry breaking is needed).
* ``version_space_overlap``: the typical overlap q of two solutions, from
  q / (1 - q) = alpha E_t[R(u)^2], u = (kappa - sqrt(q) t) / sqrt(1 - q), R = phi / H: the
  stationary point of the RS free entropy in q, which is a *minimum* in q (maximising would
  give q = 0 at every alpha). q -> 1 as alpha -> alpha_c.
* ``max_margin``: the largest margin kappa(alpha), the inverse of alpha_c.
* ``binary_entropy`` / ``binary_capacity``: the Gardner-Derrida RS entropy of binary weights;
  it vanishes at alpha = 0.833 (Krauth & Mezard 1989: the capacity of the binary perceptron).
  The RS point where q -> 1, alpha = 4 / pi, is the wrong answer: there the RS entropy is
  already negative (no solutions can have negative entropy).
* ``min_error_fraction``: above capacity, the RS minimal fraction of misclassified patterns
  e(alpha) = H(c - kappa), with c solving int_{kappa - c}^{kappa} Dt (kappa - t)^2 = 1/alpha
  (the zero-temperature limit of Gardner & Derrida's error-counting free energy, in which the
  saddle-point condition makes the energy a single Gaussian tail).
* ``relu_injectivity_threshold``: x -> ReLU(W x), W of size m x n, alpha = m / n, is
  injective when every direction keeps at least n active units; RS puts the threshold where
  alpha e(alpha) = 1 (about 7.65), beside the better estimates of Maillard, Bandeira, Belius,
  Dokmanic & Nakajima (2023): 6.698 (full RSB) and 8.34 (an upper bound from the Euler
  characteristic).
* ``cover_probability``: Cover's exact probability that p points in general position in n
  dimensions with random labels are linearly separable (by a hyperplane through the origin),
  1/2 at p = 2n for every n.

Simulations: ``simulate_separability`` (a linear program with scipy's HiGHS)
and ``simulate_max_margin`` (the hard-margin SVM without bias as a least-distance problem,
solved by non-negative least squares).

Numerics: log H(u) = log_ndtr(-u), R(u) = exp(log phi(u) - log H(u)) (no overflow or
cancellation at large u), log 2 cosh(x) = |x| + log1p(exp(-2|x|)); Gaussian expectations over
t use a sinh-spaced trapezoid rule centred where the integrand changes (at u = 0, with the
width sqrt(1 - q)), which stays accurate as q -> 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from ._fixedpoint import damped_iteration, find_roots
from ._gauss import scaled_normal_rule
from ._result import Result, Status, from_flags, worst

__all__ = [
    "EQUATIONS",
    "KRAUTH_MEZARD_CAPACITY",
    "REFERENCES",
    "RELU_INJECTIVITY_EULER",
    "RELU_INJECTIVITY_FULL_RSB",
    "RS_BINARY_WRONG_CAPACITY",
    "BinaryCapacity",
    "BinaryEntropy",
    "GardnerCapacity",
    "InjectivityThreshold",
    "MarginSimulation",
    "MaxMargin",
    "MinErrorFraction",
    "OverlapCurve",
    "SeparabilitySimulation",
    "binary_capacity",
    "binary_entropy",
    "cover_probability",
    "gardner_capacity",
    "max_margin",
    "min_error_fraction",
    "relu_injectivity_threshold",
    "simulate_max_margin",
    "simulate_separability",
    "version_space_overlap",
]

#: published values, shown beside the RS ones
KRAUTH_MEZARD_CAPACITY = 0.833  # binary weights, kappa = 0 (Krauth & Mezard 1989)
RS_BINARY_WRONG_CAPACITY = 4.0 / np.pi  # where RS q -> 1 for binary weights (Gardner-Derrida)
RELU_INJECTIVITY_FULL_RSB = 6.698  # Maillard et al. 2023, full replica-symmetry breaking
RELU_INJECTIVITY_EULER = 8.34  # Maillard et al. 2023, upper bound (Euler characteristic)

EQUATIONS = {
    "capacity": r"\alpha_c(\kappa) = \Big[\int_{-\kappa}^{\infty} Dz\,(z+\kappa)^2\Big]^{-1}",
    "overlap": r"\frac{q}{1-q} = \alpha \int Dt\, \Big[\frac{\varphi(u)}{H(u)}\Big]^2,"
               r"\quad u = \frac{\kappa - \sqrt{q}\,t}{\sqrt{1-q}}",
    "binary_entropy": r"s = \mathrm{extr}_{q,\hat q}\Big[-\tfrac{\hat q (1-q)}{2}"
                      r" + \int Dz \ln 2\cosh(\sqrt{\hat q} z)"
                      r" + \alpha \int Dt \ln H(u)\Big]",
    "errors": r"e(\alpha) = H(c - \kappa),\quad \int_{\kappa-c}^{\kappa} Dt\,(\kappa-t)^2"
              r" = \frac{1}{\alpha}",
    "cover": r"P_{\rm sep}(p, n) = 2^{1-p} \sum_{k=0}^{n-1} \binom{p-1}{k}",
}

REFERENCES = (
    "T. M. Cover, Geometrical and statistical properties of systems of linear inequalities "
    "with applications in pattern recognition, IEEE Trans. Electron. Comput. 14, 326 (1965)",
    "E. Gardner, The space of interactions in neural network models, J. Phys. A 21, 257 (1988)",
    "E. Gardner and B. Derrida, Optimal storage properties of neural network models, "
    "J. Phys. A 21, 271 (1988)",
    "W. Krauth and M. Mézard, Storage capacity of memory networks with binary couplings, "
    "J. Phys. France 50, 3057 (1989)",
    "A. Maillard, A. S. Bandeira, D. Belius, I. Dokmanić and S. Nakajima, Injectivity of "
    "ReLU networks: perspectives from statistical physics, arXiv:2302.14112 (2023)",
)

_T_LIMIT = 12.0  # Gaussian expectations over |t| <= 12 standard deviations
_NODES = 401
_UNIT = np.linspace(0.0, 1.0, _NODES)
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


# -- Gaussian tails, stably --------------------------------------------------------------
def log_h(u):
    """log H(u), H(u) = P(z > u) for z ~ N(0, 1)."""
    return special.log_ndtr(-np.asarray(u, dtype=float))


def _phi(t):
    """The standard normal density (``stats.norm.pdf`` without its per-call overhead, which
    was a third of a margin move's solve)."""
    t = np.asarray(t, dtype=float)
    return np.exp(-0.5 * t * t - _LOG_SQRT_2PI)


def _ratio(u):
    """R(u) = phi(u) / H(u), the inverse Mills ratio (~ u for large u, no overflow)."""
    u = np.asarray(u, dtype=float)
    return np.exp(-0.5 * u * u - 0.5 * np.log(2.0 * np.pi) - log_h(u))


def _log_2cosh(x):
    x = np.abs(np.asarray(x, dtype=float))
    return x + np.log1p(np.exp(-2.0 * x))


def _tail_second_moment(lo, hi):
    """int_lo^hi Dt (hi - t)^2 for lo <= hi (vectorised), in closed form."""
    lo, hi = np.broadcast_arrays(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))
    pdf_lo, pdf_hi = _phi(lo), _phi(hi)
    mass = special.ndtr(hi) - special.ndtr(lo)
    first = pdf_lo - pdf_hi  # int t phi
    lo_term = np.where(np.isfinite(lo), lo * pdf_lo, 0.0)
    second = mass - (hi * pdf_hi - lo_term)  # int t^2 phi
    return hi * hi * mass - 2.0 * hi * first + second


def _rule_at(centre, width):
    """Nodes and weights of E[h(t)], t ~ N(0, 1), for h changing over ``width`` around
    ``centre`` (broadcast shapes (...)): t = centre + width sinh(tau), trapezoid in tau over
    |t| <= 12; returns arrays of shape (..., _NODES)."""
    centre, width = np.broadcast_arrays(np.asarray(centre, dtype=float),
                                        np.asarray(width, dtype=float))
    centre = np.clip(centre, -_T_LIMIT, _T_LIMIT)[..., None]
    width = np.clip(width, 1e-9, 1.0)[..., None]
    lo = np.arcsinh((-_T_LIMIT - centre) / width)
    hi = np.arcsinh((_T_LIMIT - centre) / width)
    tau = lo + (hi - lo) * _UNIT
    t = centre + width * np.sinh(tau)
    weights = width * np.cosh(tau) * _phi(t)
    weights[..., 0] *= 0.5
    weights[..., -1] *= 0.5
    weights = weights * (hi - lo) / (_NODES - 1)
    return t, weights / weights.sum(axis=-1, keepdims=True)


def _margin_field(q, kappa, spread_squared=None):
    """The nodes t, weights and u = (kappa - sqrt(q) t) / sqrt(1 - q) of E_t[.] at overlap q
    (``spread_squared``: 1 - q when known more precisely than from q itself)."""
    q, kappa = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(kappa, dtype=float))
    if spread_squared is None:
        spread_squared = 1.0 - q
    spread = np.sqrt(np.broadcast_to(spread_squared, q.shape))
    root_q = np.sqrt(np.maximum(q, 1e-300))
    # u = 0 at t = kappa / sqrt(q), and u changes by O(1) over sqrt(1 - q) / sqrt(q) in t
    t, w = _rule_at(np.where(q > 0, kappa / root_q, 0.0),
                    np.where(q > 0, spread / root_q, 1.0))
    u = (kappa[..., None] - np.sqrt(q)[..., None] * t) / spread[..., None]
    return u, w


def _mean_ratio_squared(q, kappa, spread_squared=None):
    u, w = _margin_field(q, kappa, spread_squared)
    return np.sum(w * _ratio(u) ** 2, axis=-1)


def _mean_log_h(q, kappa):
    u, w = _margin_field(q, kappa)
    return np.sum(w * log_h(u), axis=-1)


# -- spherical weights ---------------------------------------------------------------------
@dataclass(frozen=True)
class GardnerCapacity(Result):
    """alpha_c(kappa) of spherical weights; ``rs_exact``: True where RS is exact
    (kappa >= 0), False where replica-symmetry breaking is needed (kappa < 0)."""

    kappa: np.ndarray
    alpha_c: np.ndarray
    rs_exact: np.ndarray
    status: np.ndarray


def gardner_capacity(kappa) -> GardnerCapacity:
    """Gardner's RS capacity alpha_c(kappa) = 1 / int_{-kappa}^inf Dz (z + kappa)^2."""
    kappa = np.asarray(kappa, dtype=float)
    moment = (1.0 + kappa**2) * special.ndtr(kappa) + kappa * stats.norm.pdf(kappa)
    with np.errstate(divide="ignore"):
        alpha_c = 1.0 / moment
    return GardnerCapacity(kappa=kappa, alpha_c=alpha_c, rs_exact=kappa >= 0,
                           status=from_flags(np.isfinite(alpha_c),
                                             out_of_range=~np.isfinite(kappa)))


@dataclass(frozen=True)
class OverlapCurve(Result):
    """The typical overlap q(alpha) of two spherical solutions at margin ``kappa`` and the
    RS free entropy (log volume of solutions per weight, relative to the sphere);
    ``OUT_OF_RANGE`` at and above alpha_c (no solutions: q = 1 and free entropy -inf)."""

    alpha: np.ndarray
    kappa: float
    q: np.ndarray
    free_entropy: np.ndarray
    status: np.ndarray


def _spherical_free_entropy(q, alpha, kappa):
    return 0.5 * np.log1p(-q) + 0.5 * q / (1.0 - q) + alpha * _mean_log_h(q, kappa)


def version_space_overlap(alpha, kappa: float = 0.0) -> OverlapCurve:
    """q(alpha) from q / (1 - q) = alpha E_t[R(u)^2]: the stationary point of the RS free
    entropy in q (a minimum in q), one root per alpha, vectorised."""
    alpha = np.atleast_1d(np.asarray(alpha, dtype=float))
    kappa = float(kappa)
    alpha_c = float(gardner_capacity(kappa).alpha_c)
    q = np.zeros(alpha.shape)
    status = np.full(alpha.shape, Status.CONVERGED.value, dtype="<U13")
    inside = (alpha > 0) & (alpha < alpha_c)
    status[alpha >= alpha_c] = Status.OUT_OF_RANGE.value
    q[alpha >= alpha_c] = 1.0
    status[~np.isfinite(alpha) | (alpha < 0)] = Status.OUT_OF_RANGE.value
    if inside.any():
        a = alpha[inside]

        # in the logit of q, which spreads q -> 1 over a range the root finder can use
        def equation(x, idx):  # x = log(q / (1 - q))
            ratio = _mean_ratio_squared(special.expit(x), kappa, special.expit(-x))
            return x - np.log(a[idx] * ratio)

        # up to 1 - q = 2e-9 (alpha within ~1e-8 of alpha_c), where the rule is still exact
        roots = find_roots(equation, np.full(a.shape, -40.0), np.full(a.shape, 20.0),
                           xtol=1e-13)
        q[inside] = special.expit(roots.x)
        status[inside] = roots.status
    free_entropy = np.full(alpha.shape, -np.inf)
    finite = q < 1.0
    free_entropy[finite] = _spherical_free_entropy(q[finite], alpha[finite], kappa)
    return OverlapCurve(alpha=alpha, kappa=kappa, q=q, free_entropy=free_entropy,
                        status=status)


@dataclass(frozen=True)
class MaxMargin(Result):
    """The largest RS margin kappa(alpha) of spherical weights (the inverse of alpha_c);
    ``rs_exact`` False where kappa < 0 (alpha > 2: RSB needed)."""

    alpha: np.ndarray
    kappa: np.ndarray
    rs_exact: np.ndarray
    status: np.ndarray


def max_margin(alpha) -> MaxMargin:
    """kappa(alpha) solving alpha_c(kappa) = alpha, vectorised (alpha > 0)."""
    alpha = np.atleast_1d(np.asarray(alpha, dtype=float))
    valid = np.isfinite(alpha) & (alpha > 0)
    safe = np.where(valid, alpha, 1.0)
    # alpha_c(kappa) ~ 1 / kappa^2 for large kappa, and decreases in kappa
    hi = 2.0 / np.sqrt(safe) + 5.0

    def equation(kappa, idx):
        return np.log(gardner_capacity(kappa).alpha_c) - np.log(safe[idx])

    roots = find_roots(equation, np.full(alpha.shape, -9.0), hi, xtol=1e-13)
    status = worst(roots.status, from_flags(True, out_of_range=~valid))
    kappa = np.where(valid, roots.x, np.nan)
    return MaxMargin(alpha=alpha, kappa=kappa, rs_exact=kappa >= 0, status=status)


# -- binary weights --------------------------------------------------------------------------
@dataclass(frozen=True)
class BinaryEntropy(Result):
    """The Gardner-Derrida RS entropy s(alpha) of binary weights (log number of solutions
    per weight), with its overlap q and conjugate q_hat; s < 0 means RS predicts no
    solution (and is wrong there)."""

    alpha: np.ndarray
    kappa: float
    entropy: np.ndarray
    q: np.ndarray
    q_hat: np.ndarray
    status: np.ndarray


def _binary_overlap(q_hat):
    z, w = scaled_normal_rule(1.0 / np.sqrt(np.maximum(q_hat, 1.0)))
    return np.sum(w * np.tanh(np.sqrt(q_hat)[..., None] * z) ** 2, axis=-1)


def _binary_log_2cosh(q_hat):
    z, w = scaled_normal_rule(1.0 / np.sqrt(np.maximum(q_hat, 1.0)))
    return np.sum(w * _log_2cosh(np.sqrt(q_hat)[..., None] * z), axis=-1)


def binary_entropy(alpha, kappa: float = 0.0) -> BinaryEntropy:
    """RS entropy of binary weights: q = E_z tanh^2(sqrt(q_hat) z),
    q_hat = alpha E_t[R(u)^2] / (1 - q), iterated from q = 0 (vectorised over alpha)."""
    alpha = np.atleast_1d(np.asarray(alpha, dtype=float))
    kappa = float(kappa)
    valid = np.isfinite(alpha) & (alpha >= 0)
    a = np.where(valid, alpha, 0.0)

    def conjugate(q, idx):
        return a[idx] * _mean_ratio_squared(q, kappa) / (1.0 - q)

    def update(q, idx):
        return np.minimum(_binary_overlap(conjugate(q, idx)), 1.0 - 1e-15)

    solution = damped_iteration(update, np.zeros(alpha.shape), damping=0.3, tol=1e-12,
                                max_iter=20000)
    q = solution.x
    q_hat = conjugate(q, np.arange(q.size))
    entropy = (-0.5 * q_hat * (1.0 - q) + _binary_log_2cosh(q_hat)
               + a * _mean_log_h(q, kappa))
    # q -> 1 (alpha -> 4/pi at kappa = 0): no finite RS fixed point
    degenerate = q > 1.0 - 1e-9
    status = worst(solution.status, from_flags(True, out_of_range=~valid | degenerate))
    return BinaryEntropy(alpha=alpha, kappa=kappa, entropy=np.where(valid, entropy, np.nan),
                         q=q, q_hat=q_hat, status=status)


@dataclass(frozen=True)
class BinaryCapacity(Result):
    """Where the RS entropy of binary weights vanishes (Krauth-Mezard), and the RS
    q -> 1 point (4 / pi at kappa = 0), which overestimates it."""

    kappa: float
    alpha: float
    status: Status


def binary_capacity(kappa: float = 0.0) -> BinaryCapacity:
    """alpha where the RS entropy of binary weights crosses zero (0.833 at kappa = 0)."""
    kappa = float(kappa)

    def entropy(alpha):
        return float(binary_entropy(alpha, kappa).entropy[0])

    hi = 0.5
    while entropy(hi) > 0 and hi < 50:
        hi *= 1.5
    if entropy(hi) > 0:
        return BinaryCapacity(kappa=kappa, alpha=np.nan, status=Status.OUT_OF_RANGE)
    root, info = optimize.brentq(entropy, 1e-3, hi, xtol=1e-10, full_output=True)
    return BinaryCapacity(kappa=kappa, alpha=root,
                          status=Status.CONVERGED if info.converged else Status.NOT_CONVERGED)


# -- above capacity ----------------------------------------------------------------------------
@dataclass(frozen=True)
class MinErrorFraction(Result):
    """The RS minimal fraction of misclassified patterns of spherical weights at margin
    ``kappa``: 0 up to alpha_c, then e(alpha) = H(c - kappa)."""

    alpha: np.ndarray
    kappa: float
    errors: np.ndarray
    status: np.ndarray


def min_error_fraction(alpha, kappa: float = 0.0) -> MinErrorFraction:
    """e(alpha): with x = beta (1 - q) at zero temperature, the RS energy is stationary where
    int_{kappa - c}^{kappa} Dt (kappa - t)^2 = 1 / alpha (c = sqrt(2 x)), and the energy per
    pattern is then the tail H(c - kappa)."""
    alpha = np.atleast_1d(np.asarray(alpha, dtype=float))
    kappa = float(kappa)
    alpha_c = float(gardner_capacity(kappa).alpha_c)
    errors = np.zeros(alpha.shape)
    valid = np.isfinite(alpha) & (alpha >= 0)
    status = from_flags(True, out_of_range=~valid)
    above = valid & (alpha > alpha_c)
    if above.any():
        a = alpha[above]

        def equation(c, idx):
            return np.log(_tail_second_moment(kappa - c, kappa)) + np.log(a[idx])

        # from c = 1e-3 (alpha up to ~1e9): below, the closed form loses its digits
        roots = find_roots(equation, np.full(a.shape, 1e-3), np.full(a.shape, 40.0),
                           xtol=1e-14)
        errors[above] = special.ndtr(kappa - roots.x)
        status[above] = roots.status
    errors[~valid] = np.nan
    return MinErrorFraction(alpha=alpha, kappa=kappa, errors=errors, status=status)


@dataclass(frozen=True)
class InjectivityThreshold(Result):
    """The RS threshold alpha = m / n above which x -> ReLU(W x) is injective (where
    alpha e(alpha) = 1), with the published full-RSB value and the Euler-characteristic
    upper bound."""

    replica_symmetric: float
    full_rsb: float
    euler_characteristic: float
    status: Status


def relu_injectivity_threshold() -> InjectivityThreshold:
    """The root of alpha e(alpha) = 1 (alpha > 2: below, e = 0)."""

    def excess(alpha):
        return alpha * float(min_error_fraction(alpha).errors[0]) - 1.0

    root, info = optimize.brentq(excess, 2.5, 50.0, xtol=1e-12, full_output=True)
    return InjectivityThreshold(
        replica_symmetric=root, full_rsb=RELU_INJECTIVITY_FULL_RSB,
        euler_characteristic=RELU_INJECTIVITY_EULER,
        status=Status.CONVERGED if info.converged else Status.NOT_CONVERGED)


# -- Cover's count and simulations ------------------------------------------------------------
def cover_probability(p, n):
    """P(p random points in general position in n dimensions, random labels, are separable
    by a hyperplane through the origin) = 2^{1 - p} sum_{k < n} C(p - 1, k): exactly the
    binomial CDF P(Bin(p - 1, 1/2) <= n - 1). Vectorised over integer p, n >= 1."""
    p, n = np.broadcast_arrays(np.asarray(p), np.asarray(n))
    whole = np.all(p == np.round(p)) and np.all(n == np.round(n))
    if not whole:
        raise ValueError("p and n must be whole numbers")
    p, n = p.astype(np.int64), n.astype(np.int64)
    if (p < 0).any() or (n < 1).any():
        raise ValueError("need p >= 0 and n >= 1")
    out = stats.binom.cdf(n - 1, np.maximum(p - 1, 0), 0.5)
    return np.where(p == 0, 1.0, out)


@dataclass(frozen=True)
class SeparabilitySimulation(Result):
    """Fraction of ``trials`` random instances (P = round(alpha n) Gaussian patterns, random
    labels) that are linearly separable, with its standard error, per alpha."""

    alpha: np.ndarray
    n: int
    patterns: np.ndarray
    trials: int
    fraction: np.ndarray
    stderr: np.ndarray
    status: np.ndarray


def _rng_patterns(rng, p, n):
    return rng.standard_normal((p, n)) * rng.choice([-1.0, 1.0], size=p)[:, None]


def simulate_separability(alpha, n: int, trials: int, seed: int = 0,
                          progress=None) -> SeparabilitySimulation:
    """Separable iff some w in the box |w_i| <= 1 has sigma_mu w . xi_mu >= t > 0 for all mu:
    the linear program max t (t <= 1), always feasible (w = 0) and bounded, solved by HiGHS;
    an instance is separable when its optimal t is positive. ``progress(done, total)`` is
    called after each value of alpha."""
    alpha = np.atleast_1d(np.asarray(alpha, dtype=float))
    n, trials = int(n), int(trials)
    if n < 1 or trials < 1 or not np.all(np.isfinite(alpha)) or (alpha < 0).any():
        raise ValueError("need n >= 1, trials >= 1 and finite alpha >= 0")
    rng = np.random.default_rng(seed)
    patterns = np.rint(alpha * n).astype(int)
    fraction = np.zeros(alpha.shape)
    failed = np.zeros(alpha.shape, dtype=bool)
    objective = np.zeros(n + 1)
    objective[-1] = -1.0  # maximise t
    bounds = [(-1.0, 1.0)] * n + [(None, 1.0)]
    for i, p in enumerate(patterns):
        separable = 0
        for _ in range(trials):
            if p == 0:
                separable += 1
                continue
            signed = _rng_patterns(rng, p, n)  # rows sigma_mu xi_mu
            constraints = np.hstack([-signed, np.ones((p, 1))])  # t - sigma w . xi <= 0
            result = optimize.linprog(objective, A_ub=constraints, b_ub=np.zeros(p),
                                      bounds=bounds, method="highs")
            if result.status != 0:
                failed[i] = True
            elif -result.fun > 1e-7:
                separable += 1
        fraction[i] = separable / trials
        if progress is not None:
            progress(i + 1, alpha.size)
    stderr = np.sqrt(fraction * (1.0 - fraction) / trials)
    return SeparabilitySimulation(alpha=alpha, n=n, patterns=patterns, trials=trials,
                                  fraction=fraction, stderr=stderr,
                                  status=from_flags(~failed))


@dataclass(frozen=True)
class MarginSimulation(Result):
    """The largest margin min_mu sigma_mu (w . xi_mu) / |w| of random instances (mean and
    standard error over ``trials``), per alpha < 2; ``OUT_OF_RANGE`` where some instance
    was not separable."""

    alpha: np.ndarray
    n: int
    trials: int
    mean: np.ndarray
    stderr: np.ndarray
    status: np.ndarray


def _max_margin_instance(signed: np.ndarray) -> float:
    """The largest margin of rows ``signed`` (sigma_mu xi_mu): 1 / |w| for the least-norm w
    with signed @ w >= 1, a least-distance program solved through non-negative least
    squares (Lawson & Hanson): min |E u - f| over u >= 0 with E = [signed^T; 1^T],
    f = (0, ..., 0, 1); w = -r[:n] / r[n] for the residual r, infeasible when r = 0."""
    p, n = signed.shape
    design = np.vstack([signed.T, np.ones((1, p))])
    target = np.zeros(n + 1)
    target[-1] = 1.0
    u, _ = optimize.nnls(design, target, maxiter=50 * (n + p))
    residual = design @ u - target
    if abs(residual[-1]) < 1e-10:
        return np.nan  # not separable
    w = -residual[:n] / residual[-1]
    return float(np.min(signed @ w) / np.linalg.norm(w))


def simulate_max_margin(alpha, n: int, trials: int, seed: int = 0,
                        progress=None) -> MarginSimulation:
    """The hard-margin SVM without bias on ``trials`` instances of P = round(alpha n)
    Gaussian patterns with random labels, per alpha; ``progress(done, total)`` after each
    value of alpha."""
    alpha = np.atleast_1d(np.asarray(alpha, dtype=float))
    n, trials = int(n), int(trials)
    if n < 1 or trials < 1 or not np.all(np.isfinite(alpha)) or (alpha <= 0).any():
        raise ValueError("need n >= 1, trials >= 1 and finite alpha > 0")
    rng = np.random.default_rng(seed)
    mean, stderr = np.zeros(alpha.shape), np.zeros(alpha.shape)
    separable = np.ones(alpha.shape, dtype=bool)
    for i, a in enumerate(alpha):
        p = max(round(float(a) * n), 1)
        margins = np.array([_max_margin_instance(_rng_patterns(rng, p, n))
                            for _ in range(trials)])
        separable[i] = np.isfinite(margins).all()
        mean[i] = np.mean(margins)
        stderr[i] = np.std(margins, ddof=1) / np.sqrt(trials) if trials > 1 else np.nan
        if progress is not None:
            progress(i + 1, alpha.size)
    return MarginSimulation(alpha=alpha, n=n, trials=trials, mean=mean, stderr=stderr,
                            status=from_flags(True, out_of_range=~separable))
