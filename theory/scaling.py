r"""Scaling laws of kernel ridge regression: learning curves on power-law spectra, their decay
exponents and the crossover from the noiseless to the noisy regime.

Model (Cui, Loureiro, Krzakala & Zdeborová 2021; Bordelon, Canatar & Pehlevan 2020; Spigler,
Geiger & Wyart 2020): Gaussian features x in R^P with covariance diag(eta_k), eta_k = k^{-a}
(the *capacity* a > 1), a linear target y = theta* . x + sqrt(sigma^2) epsilon whose
coefficients obey the *source* condition theta*_k^2 eta_k = k^{-(1 + 2 a r)} (r > 0), and ridge
regression theta_hat = argmin (1/n) sum_mu (y_mu - theta . x_mu)^2 + lambda |theta|^2 on n
samples. The excess error is eps = E_x[((theta_hat - theta*) . x)^2] (the test error minus
sigma^2).

* ``excess_error``: the deterministic equivalent. The effective regularisation kappa solves

      kappa - lambda = (kappa / n) sum_k eta_k / (eta_k + kappa)
      (lambda = 0: sum_k eta_k / (eta_k + kappa) = n, which needs P > n),

  and with df2 = sum_k eta_k^2 / (eta_k + kappa)^2,

      eps = [kappa^2 sum_k theta_k^2 eta_k / (eta_k + kappa)^2 + sigma^2 df2 / n] / (1 - df2 / n),

  the first term the bias, the second the variance. Besides eps it returns kappa, df1, df2,
  the split and the local slopes d ln eps / d ln n (at fixed lambda) and d ln eps / d ln lambda
  (at fixed n), from the implicit function theorem; ``LearningCurve.local_exponent`` turns them
  into the local exponent -d ln eps / d ln n along lambda = c n^{-l}.
* ``optimal_reg``: the lambda >= 0 minimising eps at each n. lambda increases with kappa, and
  lambda = kappa (1 - df1 / n) and eps are explicit in kappa, so the search runs over log kappa
  (a grid, then the root of d eps / d kappa in each cell where it changes sign: steep
  spectra give several local minima) without solving the self-consistent equation.
  At the optimum d eps / d lambda = 0, so the local exponent along lambda*(n) is the slope at
  fixed lambda (the envelope theorem).
* ``learning_curve``: the curve along lambda = c n^{-l} or at the optimal lambda, whose
  ``local_exponent()`` follows that schedule (what an explorer plots).
* ``decay_exponent``: beta in eps ~ n^{-beta}, with r_bar = min(r, 1) (the bias saturates at
  r = 1): noiseless 2 a r_bar (lambda optimal or lambda <= n^{-a}); noisy with the optimal
  lambda (~ n^{-a / (1 + 2 a r_bar)}) 2 a r_bar / (1 + 2 a r_bar); lambda = n^{-l}: noiseless
  2 min(l, a) r_bar, noisy min(2 l r_bar, 1 - l / a) for l < a and 0 for l >= a (a plateau:
  the variance no longer decays). Power counting: kappa ~ max(lambda, n^{-a}), the bias
  ~ kappa^{2 r_bar}, the variance ~ sigma^2 kappa^{-1/a} / n.
* ``crossover_samples``: n* where the local exponent of the optimally regularised curve is
  halfway between the noiseless and the noisy exponents; n* ~ sigma^{-1 / (a r_bar)} (where
  the two asymptotes n^{-2 a r_bar} and (sigma^2 / n)^{2 a r_bar / (1 + 2 a r_bar)} meet).
* ``simulate_ridge``: ridge in its dual form on sampled Gaussian features, the exact excess
  error of each fit, mean and standard error over trials.

Numerics: the sums over k run over a compressed set of nodes, exact for k <= 128, then the
midpoint Euler-Maclaurin rule (sum_{k=A+1}^{B} f(k) = int_{A+1/2}^{B+1/2} f + [f(A+1) - f(A)
- f(B+1) + f(B)] / 24 + O(f''')) with Gauss-Legendre panels in log k, and beyond the last
node (where eta_k / kappa < 1e-4 for every kappa the solvers visit) a series in eta_k / kappa
whose power sums are Hurwitz zeta functions. A sum therefore costs a few hundred terms for
any P, including P = infinity (the kernel limit, the default), and agrees with the direct
sum to ~1e-10. The sums are taken in bounded form, in rho = eta / (eta + kappa) and
1 - rho, so that kappa ~ n^{-a} can go down to 1e-150 (a <= 10, n <= 1e15) without
overflow. Small P (<= 512) is summed exactly. The self-consistent equation is solved for
ln(kappa - lambda) by Chandrupatla's bracketing method, vectorised over n.

Checked in ``tests/theory/test_scaling.py`` against direct summation of all P terms, the
ridgeless equation, least squares above P, the null and the population-ridge limits, the
closed-form ridgeless kappa of the kernel limit, brute-force lambda grids, finite
differences, the fitted slopes of each regime and dual-ridge simulations.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
from scipy import linalg, special

from ._fixedpoint import find_roots
from ._result import STATUS_DTYPE, Result, Status, from_flags, worst
from ._validate import check_range

__all__ = [
    "EQUATIONS",
    "MAX_CAPACITY",
    "MAX_SIMULATION_FEATURES",
    "MAX_SIMULATION_SAMPLES",
    "REFERENCES",
    "CrossoverSamples",
    "DecayExponent",
    "LearningCurve",
    "OptimalRidge",
    "ScalingSimulation",
    "crossover_samples",
    "decay_exponent",
    "excess_error",
    "learning_curve",
    "optimal_reg",
    "simulate_ridge",
]

EQUATIONS = {
    "model": r"\eta_k = k^{-a},\quad \theta_k^{*2}\eta_k = k^{-(1+2ar)},\quad"
             r" \hat\theta = \arg\min_\theta \frac1n\sum_{\mu=1}^n (y_\mu-\theta\cdot x_\mu)^2"
             r" + \lambda\|\theta\|^2",
    "kappa": r"\kappa - \lambda = \frac{\kappa}{n}\sum_k \frac{\eta_k}{\eta_k+\kappa}",
    "error": r"\varepsilon = \frac{\kappa^2\sum_k \frac{\theta_k^{*2}\eta_k}{(\eta_k+\kappa)^2}"
             r" + \sigma^2\,\frac{\mathrm{df}_2}{n}}{1-\mathrm{df}_2/n},\quad"
             r" \mathrm{df}_2 = \sum_k \frac{\eta_k^2}{(\eta_k+\kappa)^2}",
    "exponents": r"\varepsilon \sim n^{-\beta}:\ \beta = 2a\bar r\ (\sigma=0),\quad"
                 r" \beta = \frac{2a\bar r}{1+2a\bar r}\ (\sigma>0,\ \lambda_{\rm opt}),\quad"
                 r" \bar r = \min(r, 1)",
    "schedule": r"\lambda = n^{-\ell}:\ \beta = 2\min(\ell, a)\,\bar r\ (\sigma=0),\quad"
                r" \beta = \min\!\big(2\ell\bar r,\ 1-\ell/a\big)_{\ell<a},\ 0_{\ell\ge a}"
                r"\ (\sigma>0)",
    "crossover": r"n^* \propto \sigma^{-1/(a\bar r)}",
}

REFERENCES = (
    "H. Cui, B. Loureiro, F. Krzakala and L. Zdeborová, Generalization error rates in kernel "
    "regression: the crossover from the noiseless to noisy regime, NeurIPS (2021), "
    "arXiv:2105.15004",
    "B. Bordelon, A. Canatar and C. Pehlevan, Spectrum dependent learning curves in kernel "
    "regression and wide neural networks, ICML (2020), arXiv:2002.02561",
    "S. Spigler, M. Geiger and M. Wyart, Asymptotic learning curves of kernel methods: "
    "empirical data versus teacher-student paradigm, J. Stat. Mech. 124001 (2020), "
    "arXiv:1905.10843",
    "A. Caponnetto and E. De Vito, Optimal rates for the regularized least-squares algorithm, "
    "Found. Comput. Math. 7, 331 (2007)",
)

#: the steepest spectrum: kappa ~ n^-a stays a normal float up to n = 1e15
MAX_CAPACITY = 10.0

#: bounds of ``simulate_ridge`` (its cost grows as trials * samples^2 * features)
MAX_SIMULATION_FEATURES = 20000
MAX_SIMULATION_SAMPLES = 4000

_EXACT_UP_TO = 512  # P up to this: sum every term
_HEAD = 128  # otherwise: exact for k <= _HEAD, then Euler-Maclaurin + quadrature
_GAUSS_NODES = 10
_TAIL_RATIO = 1e-4  # beyond the last node eta_k / kappa stays below this
_MAX_SAMPLES = 1e15
_TINY = 1e-300  # the smallest kappa - lambda searched


# -- the sums over k, compressed --------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Nodes:
    """sum_{k<=P} f(eta_k, b_k) ~= sum_j weight_j f(eta_j, b_j) + a series in eta / kappa
    over the tail, whose power sums are kept as logarithms (``log_tail_eta[j]`` =
    ln sum eta^j, ``log_tail_target[j]`` = ln sum b eta^j; -inf without a tail: kappa^-j
    and the power sum apart overflow and underflow where kappa is tiny),
    b_k = theta*_k^2 eta_k."""

    eta: np.ndarray
    weight: np.ndarray
    target: np.ndarray
    log_tail_eta: np.ndarray  # j = 0..4 (j = 0 unused)
    log_tail_target: np.ndarray  # j = 0..3
    tail_first_eta: float  # eta of the first tail term (0 without a tail)
    trace: float  # sum eta_k: the bracket of kappa
    signal: float  # sum b_k = |theta*|_Sigma^2, the error of theta_hat = 0
    smallest_eta: float  # eta_P (0 for P = infinity)
    w_target: np.ndarray = None  # weight * b (contiguous, for einsum)

    def __post_init__(self):
        object.__setattr__(self, "w_target", self.weight * self.target)
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False  # cached and shared


def _power_sum(s, start, stop):
    """sum_{k=start}^{stop} k^{-s} (stop may be inf), by Hurwitz zeta differences."""
    total = special.zeta(s, start)
    if np.isfinite(stop):
        total = total - special.zeta(s, stop + 1.0)
    return float(total)


def _log_panels(lo, hi, width):
    """Gauss-Legendre nodes and weights of int_lo^hi g(x) dx in u = ln x (panels of
    ``width`` in u)."""
    u_lo, u_hi = np.log(lo), np.log(hi)
    count = max(1, int(np.ceil((u_hi - u_lo) / width)))
    edges = np.linspace(u_lo, u_hi, count + 1)
    z, wz = np.polynomial.legendre.leggauss(_GAUSS_NODES)
    half = 0.5 * np.diff(edges)[:, None]
    u = (0.5 * (edges[:-1] + edges[1:]))[:, None] + half * z
    x = np.exp(u).ravel()
    return x, (half * wz).ravel() * x  # dx = x du


@functools.lru_cache(maxsize=64)
def _nodes(capacity: float, source: float, features: float, last: float) -> _Nodes:
    """The compressed sum for P = ``features`` (inf allowed), exact up to k = ``last`` and a
    series beyond (``last`` >= P: no series)."""
    a, target_power = capacity, 1.0 + 2.0 * capacity * source
    total_eta = _power_sum(a, 1.0, features)
    signal = _power_sum(target_power, 1.0, features)
    smallest = features ** -a if np.isfinite(features) else 0.0
    if features <= _EXACT_UP_TO:
        k = np.arange(1.0, features + 1.0)
        empty = np.full(5, -np.inf)
        return _Nodes(eta=k**-a, weight=np.ones_like(k), target=k**-target_power,
                      log_tail_eta=empty, log_tail_target=empty[:4], tail_first_eta=0.0,
                      trace=total_eta, signal=signal, smallest_eta=smallest)
    stop = min(features, last)
    head = np.arange(1.0, _HEAD + 2.0)  # 1 .. _HEAD + 1
    head_weight = np.ones_like(head)
    head_weight[-1] = 0.0
    # Euler-Maclaurin end corrections with f'(A + 1/2) ~ f(A + 1) - f(A)
    head_weight[-2] -= 1.0 / 24.0
    head_weight[-1] += 1.0 / 24.0
    ends = np.array([stop, stop + 1.0])
    end_weight = np.array([1.0, -1.0]) / 24.0
    # panels narrow enough for the steepest integrand: eta / (eta + kappa) turns over ~1/a
    # in ln k (poles pi/a away), and b eta^j decays like k^{-(1 + 2ar)} (for r > 1 that
    # tail is negligible beside the head's kappa^2 sum b / eta^2: r_bar is enough)
    width = min(1.0, 3.0 / a, 3.0 / (1.0 + 2.0 * a * min(source, 1.0)))
    x, wx = _log_panels(_HEAD + 0.5, stop + 0.5, width)
    k = np.concatenate([head, ends, x])
    weight = np.concatenate([head_weight, end_weight, wx])
    if stop < features:
        tail_eta = [0.0] + [_power_sum(j * a, stop + 1.0, features) for j in range(1, 5)]
        tail_target = [_power_sum(target_power + j * a, stop + 1.0, features)
                       for j in range(4)]
        first = (stop + 1.0) ** -a
    else:
        tail_eta, tail_target, first = np.zeros(5), np.zeros(4), 0.0
    with np.errstate(divide="ignore"):
        log_tail_eta, log_tail_target = np.log(tail_eta), np.log(tail_target)
    return _Nodes(eta=k**-a, weight=weight, target=k**-target_power,
                  log_tail_eta=log_tail_eta, log_tail_target=log_tail_target,
                  tail_first_eta=first, trace=total_eta, signal=signal, smallest_eta=smallest)


def _nodes_for(capacity, source, features, n_max) -> _Nodes:
    """Nodes whose series tail is valid for every kappa of the problems with n <= n_max:
    kappa >= (2 n + 1)^{-a} (df1 >= #{k: eta_k >= kappa} / 2), so eta / kappa < 1e-4 from
    k = (2 n + 1) 1e4^{1/a} on; rounded up to a power of 2 to share the cache."""
    needed = (2.0 * n_max + 1.0) * _TAIL_RATIO ** (-1.0 / capacity)
    last = float(2.0 ** np.ceil(np.log2(max(needed, 2.0 * _HEAD))))
    if last >= features:
        last = float(features)
    return _nodes(float(capacity), float(source), float(features), last)


class _Sums:
    """The sums at effective regularisations ``kappa`` (shape (m,)), in bounded form with
    rho = eta / (eta + kappa) and q = kappa / (eta + kappa) = 1 - rho (no power of kappa or
    of 1 / kappa, which overflow at the smallest kappa of steep spectra):
    df1 = sum rho, df2 = sum rho^2, bias = kappa^2 sum b / (eta + kappa)^2 = sum b q^2, and
    the kappa-derivatives' sums kappa s2 = sum rho q (s2 = sum eta / (eta + kappa)^2),
    kappa d3 = sum rho^2 q (d3 = sum eta^2 / (eta + kappa)^3) and
    kappa^2 b3 = sum b rho q^2 (b3 = sum b eta / (eta + kappa)^3)."""

    def __init__(self, nodes: _Nodes, kappa, full=True):
        kappa = np.asarray(kappa, dtype=float)
        inverse = 1.0 / (nodes.eta + kappa[..., None])
        rho = nodes.eta * inverse
        log_x = -np.log(kappa)[..., None]
        # the tail: sum (eta / kappa)^j and sum b (eta / kappa)^j, j = 0..4 / 0..3
        powers = np.exp(np.arange(5) * log_x + nodes.log_tail_eta)
        target_powers = np.exp(np.arange(4) * log_x + nodes.log_tail_target)

        def tail(coefficients, start, moments=powers):
            return sum(c * moments[..., start + i] for i, c in enumerate(coefficients))

        self.df1 = _dot(rho, nodes.weight) + tail((1, -1, 1), 1)
        self.tail_ratio = nodes.tail_first_eta / kappa
        if not full:
            return
        q = kappa[..., None] * inverse
        rho_q = rho * q
        rho2 = rho * rho
        target_q2 = q * q
        self.kappa_s2 = _dot(rho_q, nodes.weight) + tail((1, -2, 3), 1)
        self.df2 = _dot(rho2, nodes.weight) + tail((1, -2, 3), 2)
        self.kappa_d3 = _dot(rho2 * q, nodes.weight) + tail((1, -3, 6), 2)
        self.bias = _dot(target_q2, nodes.w_target) + tail((1, -2, 3), 0, target_powers)
        self.kappa2_b3 = (_dot(rho_q * q, nodes.w_target)
                          + tail((1, -3, 6), 1, target_powers))


def _dot(matrix, vector):
    return np.einsum("...j,j->...", matrix, vector)


# -- inputs -----------------------------------------------------------------------------------
def _check_model(capacity, source):
    capacity = float(check_range(capacity, "capacity a", 1.0, MAX_CAPACITY))
    if capacity <= 1.0:
        raise ValueError("capacity a must be > 1 (a summable spectrum eta_k = k^-a)")
    source = float(check_range(source, "source r", 0.0, np.inf))
    if source <= 0.0:
        raise ValueError("source r must be > 0")
    return capacity, source


def _check_features(features) -> float:
    features = float(features)
    if np.isnan(features) or features < 1 or (np.isfinite(features)
                                              and features != np.round(features)):
        raise ValueError("features P must be a whole number >= 1 or inf")
    return features


def _check_samples(n):
    n = np.array(n, dtype=float)
    if not np.all(np.isfinite(n)) or np.any(n <= 0) or np.any(n > _MAX_SAMPLES):
        raise ValueError(f"samples n must be finite, > 0 and <= {_MAX_SAMPLES:g}")
    return n


# -- the deterministic equivalent -------------------------------------------------------------
@dataclass(frozen=True)
class LearningCurve(Result):
    """The deterministic equivalent of the excess error at each (n, lambda, sigma^2)
    (broadcast together): eps = bias + variance, the effective regularisation kappa, the
    degrees of freedom df1 = n (1 - lambda / kappa) and df2, and the local slopes
    ``log_slope_n`` = d ln eps / d ln n (fixed lambda) and ``log_slope_reg`` =
    d ln eps / d ln lambda (fixed n). ``status`` per point: the root of kappa; ``diverged``
    where eps is infinite (lambda = 0 at n = P). ``reg_exponent``: the schedule
    lambda ~ n^{-l} the points lie on (``learning_curve``; 0 for a fixed lambda and for the
    optimal one), along which ``local_exponent()`` differentiates by default."""

    n: np.ndarray
    reg: np.ndarray
    noise: np.ndarray
    capacity: float
    source: float
    features: float
    kappa: np.ndarray
    df1: np.ndarray
    df2: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    error: np.ndarray
    log_slope_n: np.ndarray
    log_slope_reg: np.ndarray
    status: np.ndarray
    reg_exponent: float = 0.0

    def local_exponent(self, reg_exponent=None) -> np.ndarray:
        """-d ln eps / d ln n along lambda = c n^{-reg_exponent} through each point (default:
        the curve's own ``reg_exponent``; 0: at fixed lambda; at the optimal lambda any value
        gives the same, as d eps / d lambda = 0 there)."""
        if reg_exponent is None:
            reg_exponent = self.reg_exponent
        return -(self.log_slope_n - np.asarray(reg_exponent, dtype=float) * self.log_slope_reg)


def _error_terms(s: _Sums, n, noise):
    """The numerator and the factor 1 - df2 / n of eps, and d ln eps / d ln kappa at fixed n."""
    numerator = s.bias + noise * s.df2 / n
    keep = 1.0 - s.df2 / n  # > 0: df2 <= df1 = n (1 - lambda / kappa) <= n
    with np.errstate(divide="ignore", invalid="ignore"):
        log_t = ((2.0 * s.kappa2_b3 - 2.0 * noise * s.kappa_d3 / n) / numerator
                 - (2.0 * s.kappa_d3 / n) / keep)
    return numerator, keep, log_t


def _curve_from_kappa(nodes, n, reg, noise, kappa):
    """Every output of the deterministic equivalent, explicit in kappa (> 0)."""
    s = _Sums(nodes, kappa)
    numerator, keep, log_t = _error_terms(s, n, noise)
    with np.errstate(divide="ignore", invalid="ignore"):
        # at fixed kappa, d ln eps / d ln n
        log_nu = -noise * s.df2 / (n * numerator) - (s.df2 / n) / keep
        # kappa moves with n and lambda through F = 1 - lambda / kappa - df1 / n = 0
        f_t = reg / kappa + s.kappa_s2 / n
        t_nu = -(s.df1 / n) / f_t
        t_rho = (reg / kappa) / f_t
    return dict(kappa=kappa, df1=s.df1, df2=s.df2, bias=s.bias / keep,
                variance=noise * s.df2 / n / keep, error=numerator / keep,
                log_slope_n=log_nu + log_t * t_nu, log_slope_reg=log_t * t_rho,
                tail_ratio=s.tail_ratio)


def _kappa_floor(nodes, n, features, capacity):
    """A kappa below the root of lambda = 0 (df1 > n there; needs n < P)."""
    count = 2.0 * n + 1.0
    inside = count <= features
    with np.errstate(divide="ignore", invalid="ignore"):
        # df1(kappa) >= P eta_P / (eta_P + kappa) > n below 0.5 eta_P (P - n) / n
        edge = 0.5 * nodes.smallest_eta * (features - n) / n
    return np.where(inside, count ** -capacity, edge)


def _solve_kappa(nodes, n, reg, features, capacity):
    """kappa > 0 of kappa - lambda = (kappa / n) df1(kappa), vectorised, solved for
    delta = kappa - lambda in s = ln delta: g(s) = s - ln(kappa df1(kappa) / n) with
    kappa = lambda + e^s increases in s (dg/ds = 1 - delta df2 / (kappa df1) > 0), and kappa
    keeps every digit even where lambda >> delta (in ln kappa, exp(ln lambda) != lambda
    already moves the root out of its bracket). Bracket: kappa df1 = sum kappa eta /
    (eta + kappa) is at most sum eta and increases with kappa, so lambda df1(lambda) / n <=
    delta <= sum eta / n; with lambda = 0 the lower end is a kappa where df1 > n. Where
    lambda = 0 and n >= P there is no root (kappa = 0): returned as 0, converged."""
    n, reg = np.broadcast_arrays(n, reg)
    kappa = np.zeros(n.shape)
    status = np.full(n.shape, Status.CONVERGED.value, dtype=STATUS_DTYPE)
    solvable = (reg > 0) | (n < features)
    if solvable.any():
        ns, lams = n[solvable], reg[solvable]
        floor = _kappa_floor(nodes, ns, features, capacity)
        # at kappa = lambda only where the tail series holds (lambda >= floor); below,
        # floor - lambda is the better bound anyway
        ridge = (lams > 0) & (lams >= floor)
        pulled = np.zeros(ns.shape)
        if ridge.any():
            pulled[ridge] = lams[ridge] * _Sums(nodes, lams[ridge], full=False).df1 / ns[ridge]
        lowest = np.log(np.maximum(np.maximum(pulled, floor - lams), _TINY))
        # widened by 1e-9: the bounds can be exact (lambda >> every eta: delta = sum eta / n)
        # and must not lose their sign to rounding
        lo = lowest - 1e-9
        hi = np.maximum(np.log(nodes.trace / ns), lowest) + 1e-9
        log_n = np.log(ns)

        def equation(s, idx):
            k = lams[idx] + np.exp(s)
            return s - np.log(k) - np.log(_Sums(nodes, k, full=False).df1) + log_n[idx]

        roots = find_roots(equation, lo, hi, xtol=1e-14)
        kappa[solvable] = lams + np.exp(roots.x)
        status[solvable] = roots.status
    return kappa, status


def _assemble_curve(nodes, n, reg, noise, kappa, status, capacity, source, features):
    """A LearningCurve from kappa (0 where lambda = 0 and n >= P: ordinary least squares)."""
    fields = {name: np.full(n.shape, np.nan) for name in (
        "df1", "df2", "bias", "variance", "error", "log_slope_n", "log_slope_reg")}
    positive = kappa > 0
    if positive.any():
        values = _curve_from_kappa(nodes, n[positive], reg[positive], noise[positive],
                                   kappa[positive])
        for name in fields:
            fields[name][positive] = values[name]
        # the series tail must stay small (it does by construction; say so if not)
        loose = np.zeros(n.shape, dtype=bool)
        loose[positive] = values["tail_ratio"] > 10 * _TAIL_RATIO
        status = worst(status, from_flags(~loose))
    ols = ~positive & (status == Status.CONVERGED.value)
    if ols.any():  # lambda = 0, n >= P: no bias; variance sigma^2 P / (n - P)
        p, m, s2 = features, n[ols], noise[ols]
        with np.errstate(divide="ignore", invalid="ignore"):
            fields["df1"][ols], fields["df2"][ols] = p, p
            fields["bias"][ols] = 0.0
            fields["variance"][ols] = np.where(m > p, s2 * p / (m - p), np.inf)
            fields["error"][ols] = fields["variance"][ols]
            fields["log_slope_n"][ols] = np.where(s2 > 0, -m / (m - p), np.nan)
            fields["log_slope_reg"][ols] = 0.0
    status = worst(status, from_flags(True, diverged=~np.isfinite(fields["error"])))
    return LearningCurve(n=n, reg=reg, noise=noise, capacity=capacity, source=source,
                         features=features, kappa=kappa, status=status, **fields)


def excess_error(n, capacity: float, source: float, noise=0.0, reg=0.0,
                 features=np.inf) -> LearningCurve:
    """The deterministic equivalent of ridge's excess error on the power-law model,
    vectorised over ``n`` (samples, > 0, need not be whole), ``reg`` (lambda >= 0) and
    ``noise`` (sigma^2 >= 0), broadcast together; ``features`` P (a whole number or inf, the
    default: the kernel limit; a finite P saturates the curve once n is no longer << P)."""
    capacity, source = _check_model(capacity, source)
    features = _check_features(features)
    n = _check_samples(n)
    reg = check_range(reg, "reg lambda", 0.0, np.inf)
    noise = check_range(noise, "noise sigma^2", 0.0, np.inf)
    n, reg, noise = (np.array(v) for v in np.broadcast_arrays(n, reg, noise))
    nodes = _nodes_for(capacity, source, features, float(np.max(n, initial=1.0)))
    kappa, status = _solve_kappa(nodes, n, reg, features, capacity)
    return _assemble_curve(nodes, n, reg, noise, kappa, status, capacity, source, features)


# -- the optimal regularisation ---------------------------------------------------------------
@dataclass(frozen=True)
class OptimalRidge(Result):
    """The lambda >= 0 minimising the excess error at each (n, sigma^2): ``reg``,
    ``ridgeless`` (True where the optimum is lambda = 0, the edge of the range), and the
    ``curve`` there (its ``local_exponent()`` is the exponent along lambda*(n)). ``status``:
    the search (``out_of_range`` where the optimum lies above the largest kappa searched),
    combined with the curve's."""

    n: np.ndarray
    noise: np.ndarray
    reg: np.ndarray
    ridgeless: np.ndarray
    curve: LearningCurve
    status: np.ndarray


_GRID = 16


def _log_error_slope(nodes, n, noise, kappa):
    """(eps, d ln eps / d ln kappa at fixed n), explicit in kappa."""
    numerator, keep, log_t = _error_terms(_Sums(nodes, kappa), n, noise)
    return numerator / keep, log_t


def _grid_search(nodes, n, noise, t_lo, t_hi):
    """The grid of _GRID points on [t_lo, t_hi] (t = ln kappa) per problem, and there eps
    and its slope d ln eps / dt."""
    grid = t_lo[:, None] + (t_hi - t_lo)[:, None] * np.linspace(0.0, 1.0, _GRID)
    rows = np.repeat(np.arange(n.size), _GRID)
    error, slope = _log_error_slope(nodes, n[rows], noise[rows], np.exp(grid).ravel())
    error = np.where(np.isfinite(error), error, np.inf).reshape(grid.shape)
    return grid, error, slope.reshape(grid.shape)


def _minimise_in_log_kappa(nodes, n, noise, t_lo, t_hi):
    """argmin of eps over t = ln kappa in [t_lo, t_hi], vectorised. A grid finds every cell
    where d ln eps / dt goes from - to + (a steep spectrum, a >~ 5, puts a step in eps at
    each eta_k, and with them several local minima); the root of the slope in each such
    cell is a local minimum; the smallest of them and of the ends (t_lo where the slope is
    >= 0 there: lambda = 0 is best; t_hi where it is < 0) wins. Signs, not values, locate
    the minima: eps can be flat to rounding where its slope still has a sign. Returns
    (t, status, edge_low): ``out_of_range`` where eps still falls at t_hi, ``not_converged``
    where the slope gives no sign to go by."""
    grid, error, slope = _grid_search(nodes, n, noise, t_lo, t_hi)
    rows, cells = np.nonzero((slope[:, :-1] < 0) & (slope[:, 1:] >= 0))
    best_error = np.full(n.shape, np.inf)
    t_best = np.full(n.shape, np.nan)
    status = np.full(n.shape, Status.NOT_CONVERGED.value, dtype=STATUS_DTYPE)
    edge_low = slope[:, 0] >= 0
    best_error[edge_low] = error[edge_low, 0]
    t_best[edge_low] = t_lo[edge_low]
    status[edge_low] = Status.CONVERGED.value
    if rows.size:

        def stationary(t, sub):
            return _log_error_slope(nodes, n[rows[sub]], noise[rows[sub]], np.exp(t))[1]

        roots = find_roots(stationary, grid[rows, cells], grid[rows, cells + 1],
                           f_lo=slope[rows, cells], f_hi=slope[rows, cells + 1], xtol=1e-12)
        at_root = _log_error_slope(nodes, n[rows], noise[rows], np.exp(roots.x))[0]
        at_root = np.where(np.isfinite(at_root), at_root, np.inf)
        order = np.lexsort((at_root, rows))  # by row, then by eps
        first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]]  # each row's best
        better = at_root[first] <= best_error[rows[first]]
        first, row = first[better], rows[first[better]]
        best_error[row], t_best[row], status[row] = at_root[first], roots.x[first], \
            roots.status[first]
    edge_high = (slope[:, -1] < 0) & (error[:, -1] < best_error)
    t_best[edge_high] = t_hi[edge_high]
    status[edge_high] = Status.OUT_OF_RANGE.value
    edge_low &= t_best == t_lo
    unknown = np.isnan(t_best)
    t_best[unknown] = grid[unknown, np.argmin(error[unknown], axis=1)]
    return t_best, status, edge_low


def optimal_reg(n, capacity: float, source: float, noise=0.0,
                features=np.inf) -> OptimalRidge:
    """argmin over lambda >= 0 of the deterministic equivalent, vectorised over ``n`` and
    ``noise`` (broadcast). The search runs in t = ln kappa from the ridgeless kappa (lambda = 0)
    up to 100 max((1 + sigma^2 / n) (1 + sum eta), ridgeless kappa) (the optimum of a large
    kappa expansion lies well below): a grid of 16 points, then the root of d ln eps / d t
    in each cell where it changes sign (``_minimise_in_log_kappa``)."""
    capacity, source = _check_model(capacity, source)
    features = _check_features(features)
    n = _check_samples(n)
    noise = check_range(noise, "noise sigma^2", 0.0, np.inf)
    n, noise = (np.array(v) for v in np.broadcast_arrays(n, noise))
    flat_n, flat_noise = n.ravel(), noise.ravel()
    nodes = _nodes_for(capacity, source, features, float(np.max(n, initial=1.0)))
    zero = np.zeros(flat_n.shape)
    ridgeless_kappa, ridgeless_status = _solve_kappa(nodes, flat_n, zero, features, capacity)
    # n >= P: kappa runs down to 0 at lambda = 0 (with noise the optimum is above, ~sigma^2)
    lowest = np.where(ridgeless_kappa > 0, ridgeless_kappa, 1e-30 * nodes.smallest_eta)
    highest = 100.0 * np.maximum((1.0 + flat_noise / flat_n) * (1.0 + nodes.trace), lowest)
    t_best, status, edge_low = _minimise_in_log_kappa(nodes, flat_n, flat_noise,
                                                      np.log(lowest), np.log(highest))
    kappa = np.exp(t_best)
    df1 = _Sums(nodes, kappa, full=False).df1
    reg = np.maximum(kappa * (1.0 - df1 / flat_n), 0.0)
    ridgeless = edge_low.copy()
    reg[ridgeless] = 0.0
    kappa[ridgeless & (ridgeless_kappa == 0)] = 0.0  # n >= P: least squares
    kappa[ridgeless & (ridgeless_kappa > 0)] = ridgeless_kappa[ridgeless & (ridgeless_kappa > 0)]
    status = worst(status, ridgeless_status)  # it bounds the search
    curve = _assemble_curve(nodes, flat_n, reg, flat_noise, kappa, status, capacity, source,
                            features)
    curve = dataclasses.replace(curve, **{
        field.name: getattr(curve, field.name).reshape(n.shape)
        for field in dataclasses.fields(curve)
        if isinstance(getattr(curve, field.name), np.ndarray)})
    return OptimalRidge(n=n, noise=noise, reg=curve.reg, ridgeless=ridgeless.reshape(n.shape),
                        curve=curve, status=curve.status)


def learning_curve(n, capacity: float, source: float, noise=0.0, reg_exponent=None,
                   reg_scale: float = 1.0, features=np.inf) -> LearningCurve:
    """The curve a page plots: along lambda = ``reg_scale`` n^{-reg_exponent}, or at the
    optimal lambda of each n (``reg_exponent`` None); its ``local_exponent()`` follows that
    schedule."""
    if reg_exponent is None:
        return optimal_reg(n, capacity, source, noise, features).curve
    ell = float(check_range(reg_exponent, "reg_exponent l", 0.0, np.inf))
    scale = float(check_range(reg_scale, "reg_scale", 0.0, np.inf))
    n = _check_samples(n)
    curve = excess_error(n, capacity, source, noise, scale * n**-ell, features)
    return dataclasses.replace(curve, reg_exponent=ell)


# -- exponents --------------------------------------------------------------------------------
@dataclass(frozen=True)
class DecayExponent(Result):
    """beta of eps ~ n^{-beta} on an (a, r, l) grid (broadcast), with the regime that sets it:
    ``bias`` (the bias, limited by lambda: beta = 2 l r_bar), ``ridgeless`` (noiseless with
    lambda <= n^{-a} or optimal: the bias at kappa ~ n^{-a}, beta = 2 a r_bar), ``variance``
    (1 - l / a), ``plateau`` (l >= a with noise: beta = 0), ``balanced`` (the optimal lambda
    with noise); ``saturated`` where r > 1 (the bias cannot use more smoothness than r = 1).
    ``optimal_reg_exponent``: the l of the optimal lambda ~ n^{-l} (noisy:
    a / (1 + 2 a r_bar); noiseless: a, as any l >= a does)."""

    capacity: np.ndarray
    source: np.ndarray
    noisy: bool
    reg_exponent: np.ndarray | None
    beta: np.ndarray
    regime: np.ndarray
    saturated: np.ndarray
    optimal_reg_exponent: np.ndarray
    status: np.ndarray


def decay_exponent(capacity, source, noisy: bool, reg_exponent=None) -> DecayExponent:
    """The closed-form decay exponents (Cui et al. 2021), vectorised over ``capacity`` a > 1,
    ``source`` r > 0 and ``reg_exponent`` l >= 0 (lambda = n^{-l}; None: the optimal
    lambda)."""
    a = check_range(capacity, "capacity a", 1.0, np.inf)
    if np.any(a <= 1.0):
        raise ValueError("capacity a must be > 1")
    r = check_range(source, "source r", 0.0, np.inf)
    if np.any(r <= 0.0):
        raise ValueError("source r must be > 0")
    noisy = bool(noisy)
    r_bar = np.minimum(r, 1.0)
    if reg_exponent is None:
        a, r, r_bar = np.broadcast_arrays(a, r, r_bar)
        ell = None
        if noisy:
            beta = 2 * a * r_bar / (1 + 2 * a * r_bar)
            regime = np.full(a.shape, "balanced")
        else:
            beta = 2 * a * r_bar
            regime = np.full(a.shape, "ridgeless")
    else:
        ell = check_range(reg_exponent, "reg_exponent l", 0.0, np.inf)
        a, r, r_bar, ell = np.broadcast_arrays(a, r, r_bar, ell)
        bias_beta = 2 * np.minimum(ell, a) * r_bar
        if noisy:
            variance_beta = np.maximum(1.0 - ell / a, 0.0)
            beta = np.minimum(bias_beta, variance_beta)
            regime = np.where(ell >= a, "plateau",
                              np.where(bias_beta <= variance_beta, "bias", "variance"))
        else:
            beta = bias_beta
            regime = np.where(ell >= a, "ridgeless", "bias")
        ell = np.array(ell)
    optimal_ell = a / (1 + 2 * a * r_bar) if noisy else np.array(a)
    return DecayExponent(capacity=np.array(a), source=np.array(r), noisy=noisy,
                         reg_exponent=ell, beta=np.array(beta, dtype=float),
                         regime=np.array(regime), saturated=np.array(r > 1.0),
                         optimal_reg_exponent=np.array(optimal_ell, dtype=float),
                         status=from_flags(np.ones(np.shape(beta), dtype=bool)))


@dataclass(frozen=True)
class CrossoverSamples(Result):
    """n* at each sigma^2 where the local exponent of the optimally regularised curve crosses
    ``exponent_mid``, halfway between ``exponent_noiseless`` and ``exponent_noisy``; inf at
    sigma^2 = 0. ``out_of_range`` (NaN) where the crossing is not within the searched
    n in [1, 1e15]."""

    capacity: float
    source: float
    features: float
    noise: np.ndarray
    samples: np.ndarray
    exponent_noiseless: float
    exponent_noisy: float
    exponent_mid: float
    status: np.ndarray


_CROSSOVER_GRID = 31
_CROSSOVER_DECADES = 4.0  # the grid spans the scaling estimate times 10^{-4 .. 4}


def crossover_samples(capacity: float, source: float, noise, features=np.inf
                      ) -> CrossoverSamples:
    """n*(sigma^2) of the noiseless-to-noisy crossover, vectorised over ``noise``: the local
    exponent of optimal_reg on a log grid of n around the scaling estimate
    sigma^{-1/(a r_bar)}, then the root of (local exponent - midpoint) in ln n across the
    last downward crossing."""
    capacity, source = _check_model(capacity, source)
    features = _check_features(features)
    noise = check_range(noise, "noise sigma^2", 0.0, np.inf)
    shape, noise = noise.shape, np.atleast_1d(noise).ravel()
    r_bar = min(source, 1.0)
    beta0 = 2 * capacity * r_bar
    beta1 = beta0 / (1 + beta0)
    mid = 0.5 * (beta0 + beta1)
    samples = np.full(noise.shape, np.nan)
    status = np.full(noise.shape, Status.OUT_OF_RANGE.value, dtype=STATUS_DTYPE)
    silent = noise == 0
    samples[silent] = np.inf
    status[silent] = Status.CONVERGED.value
    idx = np.flatnonzero(~silent)
    if idx.size:
        with np.errstate(over="ignore"):
            estimate = np.log(noise[idx]) * (-1.0 / (2.0 * capacity * r_bar))
        span = _CROSSOVER_DECADES * np.log(10.0)
        lo = np.clip(estimate - span, 0.0, np.log(_MAX_SAMPLES))
        hi = np.clip(estimate + span, 0.0, np.log(_MAX_SAMPLES))
        grid = lo[:, None] + (hi - lo)[:, None] * np.linspace(0, 1, _CROSSOVER_GRID)
        sig = np.repeat(noise[idx], _CROSSOVER_GRID)
        best = optimal_reg(np.exp(grid).ravel(), capacity, source, sig, features)
        above = (best.curve.local_exponent() - mid).reshape(grid.shape)
        good = (best.status == Status.CONVERGED.value).reshape(grid.shape)
        down = (above[:, :-1] >= 0) & (above[:, 1:] < 0) & good[:, :-1] & good[:, 1:]
        found = down.any(axis=1)
        last = _CROSSOVER_GRID - 2 - np.argmax(down[:, ::-1], axis=1)
        use = np.flatnonzero(found)
        if use.size:
            rows = idx[use]
            lo_t, hi_t = grid[use, last[use]], grid[use, last[use] + 1]

            def crossing(t, sub):
                fit = optimal_reg(np.exp(t), capacity, source, noise[rows[sub]], features)
                return fit.curve.local_exponent() - mid

            roots = find_roots(crossing, lo_t, hi_t, f_lo=above[use, last[use]],
                               f_hi=above[use, last[use] + 1], xtol=1e-7)
            samples[rows] = np.exp(roots.x)
            status[rows] = roots.status
    return CrossoverSamples(capacity=capacity, source=source, features=features,
                            noise=noise.reshape(shape), samples=samples.reshape(shape),
                            exponent_noiseless=beta0, exponent_noisy=beta1,
                            exponent_mid=mid, status=status.reshape(shape))


# -- simulations ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScalingSimulation(Result):
    """Ridge fitted on sampled Gaussian features: mean and standard error over ``trials`` of
    the exact excess error sum_k eta_k (theta_hat_k - theta*_k)^2, per n. The samples of a
    trial are nested (the first n rows of one draw), so the points of one curve are
    correlated; each point's mean and error bar are those of independent trials. ``status``:
    ``diverged`` where an error is not finite."""

    n: np.ndarray
    reg: np.ndarray
    noise: float
    capacity: float
    source: float
    features: int
    trials: int
    mean: np.ndarray
    stderr: np.ndarray
    status: np.ndarray


def simulate_ridge(n, capacity: float, source: float, noise: float = 0.0, reg=0.0,
                   features: int = 2000, trials: int = 30, seed: int = 0,
                   progress=None) -> ScalingSimulation:
    """Draw X (n_max x P) with columns of variance eta_k, y = X theta* + sigma epsilon
    (theta*_k = k^{-(1 + 2ar)/2} / sqrt(eta_k)), and fit theta_hat = X^T (X X^T + n lambda)^{-1}
    y on the first n rows for each n (lambda per n, broadcast with ``n``; lambda = 0 with
    n < P is the minimum-norm interpolator, n >= P least squares). One Gram matrix per
    trial serves every n. ``progress(done, total)`` is called after each trial."""
    capacity, source = _check_model(capacity, source)
    noise = float(check_range(noise, "noise sigma^2", 0.0, np.inf))
    features = _check_features(features)
    if not np.isfinite(features) or features > MAX_SIMULATION_FEATURES:
        raise ValueError(f"features P must be finite and <= {MAX_SIMULATION_FEATURES}")
    n = np.atleast_1d(np.array(n))
    if n.ndim != 1 or not np.all(np.isfinite(n)) or np.any(n != np.round(n)) or np.any(n < 1):
        raise ValueError("samples n must be whole numbers >= 1 (one-dimensional)")
    if np.max(n) > MAX_SIMULATION_SAMPLES:
        raise ValueError(f"samples n must be <= {MAX_SIMULATION_SAMPLES}")
    n = n.astype(int)
    reg = np.broadcast_to(check_range(reg, "reg lambda", 0.0, np.inf), n.shape).copy()
    trials = int(trials)
    if not 2 <= trials <= 1000:
        raise ValueError("trials must lie in [2, 1000]")
    p = int(features)
    k = np.arange(1.0, p + 1.0)
    eta = k**-capacity
    theta = np.sqrt(k ** -(1.0 + 2.0 * capacity * source) / eta)
    scale = np.sqrt(eta)
    n_max = int(n.max())
    errors = np.empty((n.size, trials))
    rng = np.random.default_rng(seed)
    # one design and one Gram matrix, refilled by each trial: fresh 13 MB arrays cost more
    # in page faults than drawing them (the same draws as rng.standard_normal((n_max, p)))
    x, gram = np.empty((n_max, p)), np.empty((n_max, n_max))
    for trial in range(trials):
        rng.standard_normal(out=x)
        x *= scale
        y = x @ theta + np.sqrt(noise) * rng.standard_normal(n_max)
        np.matmul(x, x.T, out=gram)
        for i, (m, lam) in enumerate(zip(n, reg, strict=True)):
            if lam == 0 and m >= p:
                fit = linalg.lstsq(x[:m], y[:m])[0]
            else:
                system = gram[:m, :m] + m * lam * np.eye(m)
                try:  # Cholesky: no condition-number warning at lambda = 0 (n < P)
                    dual = linalg.cho_solve(linalg.cho_factor(system, check_finite=False),
                                            y[:m], check_finite=False)
                except linalg.LinAlgError:  # numerically singular: least squares instead
                    dual = linalg.lstsq(system, y[:m])[0]
                fit = x[:m].T @ dual
            errors[i, trial] = np.sum(eta * (fit - theta) ** 2)
        if progress is not None:
            progress(trial + 1, trials)
    mean = errors.mean(axis=1)
    stderr = errors.std(axis=1, ddof=1) / np.sqrt(trials)
    return ScalingSimulation(n=n, reg=reg, noise=noise, capacity=capacity, source=source,
                             features=p, trials=trials, mean=mean, stderr=stderr,
                             status=from_flags(np.isfinite(mean),
                                               diverged=~np.isfinite(mean)))
