r"""Empirical risk minimisation: asymptotic learning curves and finite-size fits.

Two estimators: ridge regression (closed form below) and L2-regularised logistic regression
on a sign teacher (the replica fixed point of Aubin et al. 2020, solved numerically; see
``logistic_curve``).

Ridge regression on a linear teacher (Hastie, Montanari, Rosset, Tibshirani 2022, "Surprises
in high-dimensional ridgeless least squares interpolation", Ann. Statist. 50, 949,
arXiv:1903.08560): y = F x / sqrt(N) + sqrt(noise) n, E[x^2] = 1, alpha = M / N, and

    w_hat = argmin_w  sum_mu (y_mu - F_mu . w / sqrt(N))^2 / 2 + lam |w|^2 / 2.

With S = F^T F / N, m(lam) = tr (S + lam)^-1 / N solves lam m^2 + (lam + alpha - 1) m = 1
(Marchenko-Pastur), and the test error on a new label is

    E_gen = bias + variance + noise,  bias = -lam^2 m'(lam),  variance = noise (m + lam m').

Ridgeless (lam -> 0): 1 - alpha + noise alpha / (1 - alpha) below alpha = 1, noise / (alpha - 1)
above: the double-descent peak at the interpolation threshold alpha = 1. The optimal
regularisation lam = noise is Bayes-optimal for a Gaussian teacher and removes the peak.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._fixedpoint import anderson_iteration, find_roots
from ._result import STATUS_DTYPE, Result, Status, from_flags, worst, worst_of

__all__ = [
    "EQUATIONS",
    "MAX_LOGISTIC_N",
    "MAX_RF_D",
    "MAX_RIDGE_N",
    "MIN_LOGISTIC_LAMBDA",
    "REFERENCES",
    "LogisticCurve",
    "LogisticSimulation",
    "RandomFeaturesCurve",
    "RandomFeaturesSimulation",
    "RidgeCurve",
    "RidgeSimulation",
    "Status",
    "logistic_curve",
    "random_features_curve",
    "ridge_curve",
    "simulate_logistic",
    "simulate_random_features",
    "simulate_ridge",
]

EQUATIONS = {
    "ridge": r"\hat w = \arg\min_w \sum_\mu \tfrac12\big(y_\mu - F_\mu\!\cdot w/\sqrt N\big)^2"
             r" + \tfrac{\lambda}{2}\|w\|^2",
    "mp": r"\lambda m^2 + (\lambda + \alpha - 1)\, m = 1",
    "ridge_error": r"E_{\rm gen} = -\lambda^2 m'(\lambda) + \Delta\,\big(m + \lambda m'\big)"
                   r" + \Delta",
}
REFERENCES = (
    "B. Aubin, F. Krzakala, Y. M. Lu, L. Zdeborová, Generalization error in high-dimensional "
    "perceptrons: approaching Bayes error with convex optimization, NeurIPS (2020), "
    "arXiv:2006.06560",
    "T. Hastie, A. Montanari, S. Rosset, R. Tibshirani, Surprises in high-dimensional "
    "ridgeless least squares interpolation, Ann. Statist. 50, 949 (2022), arXiv:1903.08560",
    "M. Belkin, D. Hsu, S. Ma, S. Mandal, Reconciling modern machine-learning practice and "
    "the classical bias-variance trade-off, PNAS 116, 15849 (2019), arXiv:1812.11118",
)
MAX_RIDGE_N = 2000


@dataclass(frozen=True)
class RidgeCurve(Result):
    """Asymptotic ridge learning curve: test error = bias + variance + noise. ``status`` per
    alpha: a closed form, converged wherever the error is finite, diverged where it is
    infinite (the ridgeless interpolation peak, alpha = 1 with noise)."""

    alpha: np.ndarray
    lam: float
    noise: float
    test_error: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    status: np.ndarray


@dataclass(frozen=True)
class RidgeSimulation(Result):
    """Finite-size ridge fits: mean and standard error of the test error over seeds.
    ``status`` per alpha: exact linear solves, converged unless an error is not finite
    (diverged)."""

    alpha: np.ndarray
    lam: float
    noise: float
    n: int
    runs: int
    test_error_mean: np.ndarray
    test_error_sem: np.ndarray
    status: np.ndarray


def _finite_status(values) -> np.ndarray:
    """Converged where ``values`` are finite, diverged elsewhere (closed forms, exact solves)."""
    values = np.asarray(values, dtype=float)
    return from_flags(np.isfinite(values), diverged=~np.isfinite(values))


def _check(alpha, lam, noise):
    alpha = np.asarray(alpha, dtype=float)
    if np.any(~np.isfinite(alpha)) or np.any(alpha <= 0) or np.any(alpha > 1e3):
        raise ValueError("alpha must lie in (0, 1000]")
    lam, noise = float(lam), float(noise)
    if not np.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a number >= 0, got {lam!r}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    return alpha, lam, noise


def ridge_curve(*, alpha, lam: float, noise: float) -> RidgeCurve:
    """Asymptotic test error of ridge regression (vectorised over alpha); lam = 0 is the
    minimum-norm interpolator (infinite at alpha = 1 with noise)."""
    alpha, lam, noise = _check(alpha, lam, noise)
    if lam == 0.0:
        with np.errstate(divide="ignore", invalid="ignore"):
            below = alpha < 1
            bias = np.where(below, 1.0 - alpha, 0.0)
            variance = np.where(below, noise * alpha / np.abs(1.0 - alpha),
                                noise / np.abs(alpha - 1.0))
        variance = np.where(alpha == 1.0, np.inf if noise > 0 else 0.0, variance)
    else:
        b = lam + alpha - 1.0
        m = (-b + np.sqrt(b * b + 4.0 * lam)) / (2.0 * lam)
        dm = -(m * m + m) / (2.0 * lam * m + b)
        bias = -lam * lam * dm
        variance = noise * (m + lam * dm)
    error = bias + variance + noise
    return RidgeCurve(alpha=alpha, lam=lam, noise=noise, test_error=error, bias=bias,
                      variance=variance, status=_finite_status(error))


def simulate_ridge(*, alpha, lam: float, noise: float, n: int = 500, runs: int = 5,
                   seed: int = 0) -> RidgeSimulation:
    """Fit ridge on sampled data (Gaussian teacher) and measure the exact test error
    |w_hat - x|^2 / N + noise of each fit; mean and standard error over ``runs`` seeds."""
    alpha, lam, noise = _check(np.atleast_1d(alpha), lam, noise)
    n, runs = int(n), int(runs)
    if not 10 <= n <= MAX_RIDGE_N:
        raise ValueError(f"n must lie in [10, {MAX_RIDGE_N}]")
    if not 1 <= runs <= 50:
        raise ValueError("runs must lie in [1, 50]")
    errors = np.empty((alpha.size, runs))
    for i, a in enumerate(alpha):
        m = max(1, round(a * n))
        for r in range(runs):
            rng = np.random.default_rng([seed, i, r])
            x = rng.standard_normal(n)
            Phi = rng.standard_normal((m, n)) / np.sqrt(n)
            y = Phi @ x + np.sqrt(noise) * rng.standard_normal(m)
            if lam > 0:
                w = np.linalg.solve(Phi.T @ Phi + lam * np.eye(n), Phi.T @ y)
            else:
                w = np.linalg.lstsq(Phi, y, rcond=None)[0]  # minimum-norm solution
            errors[i, r] = np.sum((w - x) ** 2) / n + noise
    sem = errors.std(axis=1, ddof=1) / np.sqrt(runs) if runs > 1 else np.zeros(alpha.size)
    mean = errors.mean(axis=1)
    return RidgeSimulation(alpha=alpha, lam=lam, noise=noise, n=n, runs=runs,
                           test_error_mean=mean, test_error_sem=sem,
                           status=_finite_status(mean))


# ---------------------------------------------------------------------------------------
# L2-regularised logistic regression on a sign teacher
# ---------------------------------------------------------------------------------------
EQUATIONS["logistic"] = (
    r"\hat w = \arg\min_w \sum_\mu \log\big(1 + e^{-y_\mu F_\mu\cdot w/\sqrt N}\big)"
    r" + \tfrac{\lambda}{2}\|w\|^2,\qquad \epsilon_g = \tfrac{1}{\pi}\arccos\frac{m}{\sqrt q}"
)
MAX_LOGISTIC_N = 2000
MIN_LOGISTIC_LAMBDA = 1e-2
SPACING = 0.5
SPACING_P = 0.5
REACH = 8.0
MAX_LOGISTIC_NODES = 16384


@dataclass(frozen=True)
class LogisticCurve(Result):
    """Asymptotic logistic regression: overlaps m = w.x/N, q = |w|^2/N, V, the test error
    arccos(m / sqrt(q)) / pi, and per-alpha status of the fixed-point iteration (not
    converged after ``max_iter`` steps; diverged where the replica map stopped being
    finite)."""

    alpha: np.ndarray
    lam: float
    m: np.ndarray
    q: np.ndarray
    V: np.ndarray
    test_error: np.ndarray
    status: np.ndarray
    iterations: np.ndarray


@dataclass(frozen=True)
class LogisticSimulation(Result):
    """Finite-size logistic fits: mean and standard error of the test error over seeds.
    ``status`` per alpha, the worst of its fits: not converged when L-BFGS stopped with a
    gradient above 1e-6 (relative to the loss), diverged when the weights are not finite."""

    alpha: np.ndarray
    lam: float
    n: int
    runs: int
    test_error_mean: np.ndarray
    test_error_sem: np.ndarray
    status: np.ndarray


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _logistic_map(alpha, lam, m, q, V, nodes, flip=0.0):
    """One application of the replica map (m, q, V) -> (m, q, V), vectorised over alpha.

    The Gaussian average over the student's field omega = sqrt(q) xi is taken over the
    proximal point p instead: omega(p) = p - V y s(-y p) is explicit and increasing, so
    E[g(omega)] = int g(omega(p)) N(omega(p); 0, q) omega'(p) dp needs no root finding.
    Problems needing similar numbers of nodes are evaluated together, so that one state
    with a fine grid does not make every other one pay for it.
    """
    y = np.array([1.0, -1.0])[None, :]
    qq, VV = q[:, None], V[:, None]
    # the grid in p covers omega(p) in [-REACH sqrt(q), REACH sqrt(q)]: its ends by bisection on
    # the increasing map p -> omega(p), which lies between p - V and p for y = +1
    reach = REACH * np.sqrt(qq)

    def bracket(target):
        lo = np.minimum(target, target + VV * y) - 1.0
        hi = np.maximum(target, target + VV * y) + 1.0
        # the ends only delimit where the Gaussian weight is negligible: coarse is enough
        for _ in range(10):
            mid = 0.5 * (lo + hi)
            below = mid - VV * y * _sigmoid(-y * mid) < target
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return np.where(target < 0, lo, hi)

    lo, hi = bracket(-reach), bracket(reach)
    # the integrands vary on the scale 1 in p (the sigmoid) and, in omega, on the scales
    # sqrt(q) (the Gaussian) and sqrt(q V*) sqrt(q)/|m| (the teacher's Phi); omega moves up
    # to 1 + V/4 times faster than p. Trapezoid with SPACING = 0.5 of the finest scale:
    # relative error below 1e-7 over random states (checked against 1/16 of it)
    v_star = np.maximum(1.0 - m * m / q, 1e-12)
    omega_scale = np.minimum(np.sqrt(q), q * np.sqrt(v_star) / np.abs(m))
    spacing = np.minimum(SPACING_P, SPACING * omega_scale / (1.0 + 0.25 * V))
    needed = np.max(hi - lo, axis=1) / spacing
    # grid sizes on a ladder of ratio sqrt(2): few distinct sizes, little waste
    rung = np.ceil(2.0 * np.log2(np.clip(needed, nodes, MAX_LOGISTIC_NODES)))
    size = np.round(2.0 ** (0.5 * rung)).astype(int) + 1
    out = np.empty((3, alpha.size))
    for n_nodes in np.unique(size):
        rows = np.flatnonzero(size == n_nodes)
        out[:, rows] = _logistic_integrals(alpha[rows], m[rows], q[rows], V[rows],
                                           v_star[rows], lo[rows], hi[rows], n_nodes, flip)
    mh, qh, Vh = out
    return mh / (lam + Vh), (mh * mh + qh) / (lam + Vh) ** 2, 1.0 / (lam + Vh)


def _logistic_integrals(alpha, m, q, V, v_star, lo, hi, n_nodes, flip):
    """alpha E[dZ* f], alpha E[Z* f^2], -alpha E[Z* f'] on a trapezoid grid in p."""
    from scipy.special import ndtr

    y = np.array([1.0, -1.0])[None, :, None]
    mm, qq, VV, vs = m[:, None, None], q[:, None, None], V[:, None, None], v_star[:, None, None]
    t = np.linspace(0.0, 1.0, n_nodes)
    lo, hi = lo[..., None], hi[..., None]
    p = lo + (hi - lo) * t
    h = (hi - lo) / (n_nodes - 1)
    s = _sigmoid(-y * p)
    curvature = s * (1.0 - s)
    omega = p - VV * y * s
    jacobian = 1.0 + VV * curvature
    weight = h * jacobian * np.exp(-0.5 * omega * omega / qq) / np.sqrt(2 * np.pi * qq)
    weight[..., [0, -1]] *= 0.5  # trapezoid ends
    u = y * (mm / qq) * omega / np.sqrt(vs)
    Z = flip + (1 - 2 * flip) * ndtr(u)
    dZ = (1 - 2 * flip) * y * np.exp(-0.5 * u * u) / np.sqrt(2 * np.pi * vs)
    f = y * s
    df = -curvature / jacobian
    mh = alpha * np.sum(weight * dZ * f, axis=(1, 2))
    qh = alpha * np.sum(weight * Z * f * f, axis=(1, 2))
    Vh = -alpha * np.sum(weight * Z * df, axis=(1, 2))
    return mh, qh, Vh


def logistic_curve(*, alpha, lam: float, flip: float = 0.0, tol: float = 1e-9,
                   max_iter: int = 300,
                   nodes: int = 32) -> LogisticCurve:
    """Replica fixed point of L2 logistic regression on y = sign(z), Gaussian teacher
    (Aubin et al. 2020), vectorised over alpha:

        m = mh / (lam + Vh),  q = (mh^2 + qh) / (lam + Vh)^2,  V = 1 / (lam + Vh),
        mh = alpha E[dZ*/dw* f_out],  qh = alpha E[Z* f_out^2],  Vh = -alpha E[Z* f_out'],

    with Z* = eps + (1 - 2 eps) Phi(y w* / sqrt(V*)) (labels flipped with probability eps),
    w* = m xi / sqrt(q), V* = 1 - m^2/q, and f_out = (p - w)/V at the proximal point p of
    the loss at w = sqrt(q) xi, p = w + V y s(-y p). Solved in log variables by
    Anderson-accelerated iteration (plain iteration is slow and oscillates at small lam
    and alpha); ``Status.CONVERGED`` where the relative residual is below ``tol``.
    """
    alpha, lam, _ = _check(alpha, lam, 0.0)
    flip = _check_flip(flip)
    if lam < MIN_LOGISTIC_LAMBDA:
        raise ValueError(f"lam must be at least {MIN_LOGISTIC_LAMBDA:g} (the weights diverge "
                         "as lam -> 0 on separable data)")
    # coordinates in which every point is a valid state: 0 < m < sqrt(q), V > 0
    def to_state(x):
        cosine = 0.5 * (1.0 + np.tanh(0.5 * x[:, 2]))
        q = np.exp(x[:, 1])
        return cosine * np.sqrt(q), q, np.exp(x[:, 0])

    def from_state(m, q, V):
        cosine = m / np.sqrt(q)
        return np.column_stack([np.log(V), np.log(q), np.log(cosine) - np.log1p(-cosine)])

    def update(x, idx):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return from_state(*_logistic_map(alpha[idx], lam, *to_state(x), nodes, flip))

    start = from_state(np.full(alpha.size, 0.5), np.ones(alpha.size), np.ones(alpha.size))
    coarse = _coarse_subset(alpha)
    if coarse is not None:
        # warm start: solve every eighth alpha, interpolate the state (smooth in log alpha)
        def coarse_update(x, idx):
            return update(x, coarse[idx])

        coarse_solution = anderson_iteration(coarse_update, start[coarse], tol=1e-6,
                                             max_iter=max_iter, max_step=1.0)
        x_coarse = coarse_solution.x
        if coarse_solution.converged.all():
            log_alpha = np.log(alpha)
            start = np.column_stack([np.interp(log_alpha, log_alpha[coarse], x_coarse[:, k])
                                     for k in range(3)])
    x, status, iterations = anderson_iteration(update, start, tol=tol, max_iter=max_iter,
                                               max_step=1.0)
    m, q, V = to_state(x)
    error = np.arccos(np.clip(m / np.sqrt(q), -1.0, 1.0)) / np.pi
    return LogisticCurve(alpha=alpha, lam=lam, m=m, q=q, V=V, test_error=error,
                         status=status, iterations=iterations)


def _coarse_subset(alpha, stride=8):
    """Indices of every ``stride``-th alpha (ends included) of a long, sorted grid; None if
    the grid is short or unsorted."""
    if alpha.size < 4 * stride or np.any(np.diff(alpha) <= 0):
        return None
    return np.unique(np.r_[np.arange(0, alpha.size, stride), alpha.size - 1])


def _check_flip(flip):
    flip = float(flip)
    if not np.isfinite(flip) or not 0.0 <= flip < 0.5:
        raise ValueError(f"flip must lie in [0, 0.5), got {flip!r}")
    return flip


def simulate_logistic(*, alpha, lam: float, flip: float = 0.0, n: int = 500, runs: int = 5,
                      seed: int = 0, progress=None) -> LogisticSimulation:
    """Fit L2 logistic regression (L-BFGS, to a gradient of 1e-9) on sampled sign-teacher
    data; each fit's test error is exact from its overlaps, arccos(w.x / |w||x|) / pi."""
    from scipy import optimize

    alpha, lam, _ = _check(np.atleast_1d(alpha), lam, 0.0)
    flip = _check_flip(flip)
    n, runs = int(n), int(runs)
    if not 10 <= n <= MAX_LOGISTIC_N:
        raise ValueError(f"n must lie in [10, {MAX_LOGISTIC_N}]")
    if not 1 <= runs <= 50:
        raise ValueError("runs must lie in [1, 50]")
    if lam < MIN_LOGISTIC_LAMBDA:
        raise ValueError(f"lam must be at least {MIN_LOGISTIC_LAMBDA:g}")
    errors = np.empty((alpha.size, runs))
    status = np.empty((alpha.size, runs), dtype=STATUS_DTYPE)
    for i, a in enumerate(alpha):
        m = max(1, round(a * n))
        for r in range(runs):
            rng = np.random.default_rng([seed, i, r, 1])
            x = rng.standard_normal(n)
            X = rng.standard_normal((m, n)) / np.sqrt(n)
            y = np.where(X @ x >= 0, 1.0, -1.0)
            y = np.where(rng.random(m) < flip, -y, y)
            Xy = X * y[:, None]

            def objective(wv, Xy=Xy):
                margin = Xy @ wv
                loss = np.logaddexp(0.0, -margin).sum() + 0.5 * lam * wv @ wv
                grad = -Xy.T @ _sigmoid(-margin) + lam * wv
                return loss, grad

            res = optimize.minimize(objective, np.zeros(n), jac=True, method="L-BFGS-B",
                                    options={"maxiter": 20000, "gtol": 1e-9, "ftol": 1e-15})
            wv = res.x
            cos = wv @ x / (np.linalg.norm(wv) * np.linalg.norm(x))
            errors[i, r] = np.arccos(np.clip(cos, -1, 1)) / np.pi
            # L-BFGS often ends on a line search at machine precision: judge by the gradient
            gradient = np.max(np.abs(res.jac)) if np.all(np.isfinite(res.jac)) else np.inf
            status[i, r] = from_flags(
                res.success or gradient <= 1e-6 * max(1.0, abs(float(res.fun))),
                diverged=not (np.all(np.isfinite(wv)) and np.isfinite(errors[i, r])))
            if progress is not None:
                progress(i * runs + r + 1, alpha.size * runs)
    sem = errors.std(axis=1, ddof=1) / np.sqrt(runs) if runs > 1 else np.zeros(alpha.size)
    return LogisticSimulation(alpha=alpha, lam=lam, n=n, runs=runs,
                              test_error_mean=errors.mean(axis=1), test_error_sem=sem,
                              status=worst_of(status, axis=1))


# ---------------------------------------------------------------------------------------
# Random-features ridge regression
# ---------------------------------------------------------------------------------------
MAX_RF_D = 1000


@dataclass(frozen=True)
class RandomFeaturesCurve(Result):
    """Asymptotic test error of ridge regression on random features u = tanh(F x / sqrt(d))
    (F: p x d Gaussian), learning a noisy linear teacher of x; alpha = n/d samples per input
    dimension, psi = p/d features per input dimension. ``status`` per alpha, that of the
    root solve for the effective regularisation k (out of range when no bracket was
    found), diverged where the error is not finite."""

    alpha: np.ndarray
    psi: float
    lam: float
    noise: float
    test_error: np.ndarray
    status: np.ndarray


@dataclass(frozen=True)
class RandomFeaturesSimulation(Result):
    """Finite-size random-features ridge fits: mean and standard error of the test error
    over seeds; ``status`` per alpha: converged unless an error is not finite (diverged)."""

    alpha: np.ndarray
    psi: float
    lam: float
    noise: float
    d: int
    runs: int
    test_error_mean: np.ndarray
    test_error_sem: np.ndarray
    status: np.ndarray


EQUATIONS["random_features"] = (
    r"u = \tanh(F x/\sqrt d) \simeq \kappa_1 F x/\sqrt d + \kappa_\star z,\quad"
    r"\hat w = \arg\min_w \sum_\mu \tfrac12\big(y_\mu - w\cdot u_\mu/\sqrt p\big)^2"
    r" + \tfrac{\lambda}{2}\|w\|^2"
)
REFERENCES = (
    *REFERENCES,
    "S. Mei, A. Montanari, The generalization error of random features regression: precise "
    "asymptotics and double descent curve, Comm. Pure Appl. Math. (2022), arXiv:1908.05355",
    "F. Gerace, B. Loureiro, F. Krzakala, M. Mézard, L. Zdeborová, Generalisation error in "
    "learning with random features and the hidden manifold model, ICML (2020), "
    "arXiv:2002.09339",
)


def _tanh_coefficients():
    """Gaussian-equivalence coefficients of tanh: kappa1 = E[z tanh z], kappa*^2 =
    E[tanh^2 z] - kappa1^2 (kappa0 = 0: tanh is odd)."""
    from ._gauss import normal_rule

    z, w = normal_rule(401)
    k1 = float(np.sum(w * z * np.tanh(z)))
    k_star2 = float(np.sum(w * np.tanh(z) ** 2)) - k1 * k1
    return k1, k_star2


def _mp_rule(ratio, nodes=200):
    """Eigenvalues s and weights of the spectral law of S = F F^T / d, F p x d Gaussian,
    ratio = p/d: Marchenko-Pastur, with mass 1 - 1/ratio at 0 when ratio > 1."""
    a, b = (1 - np.sqrt(ratio)) ** 2, (1 + np.sqrt(ratio)) ** 2
    x, wx = np.polynomial.legendre.leggauss(nodes)
    theta = 0.5 * np.pi * (x + 1)  # s = centre + half cos(theta), theta in (0, pi)
    s = 0.5 * (a + b) + 0.5 * (b - a) * np.cos(theta)
    density = np.sqrt(np.maximum((b - s) * (s - a), 0.0)) / (2 * np.pi * ratio * s)
    weights = density * 0.5 * (b - a) * np.sin(theta) * 0.5 * np.pi * wx
    weights *= min(1.0, 1.0 / ratio) / weights.sum()  # exact total mass of the bulk
    if ratio > 1:
        s = np.concatenate([[0.0], s])
        weights = np.concatenate([[1.0 - 1.0 / ratio], weights])
    return s, weights


def random_features_curve(*, alpha, psi: float, lam: float, noise: float) -> RandomFeaturesCurve:
    """Ridge on random features through Gaussian equivalence (Mei & Montanari 2019; Gerace
    et al. 2020): u ~ (k1 F x / sqrt(d) + k* z) / sqrt(p) is a Gaussian covariate of
    covariance Omega / p, Omega = k1^2 S + k*^2, S = F F^T / d (Marchenko-Pastur, ratio psi),
    and y is linear in u plus an independent residual of variance
    sigma^2 = 1 + noise - psi <k1^2 s / omega>. The deterministic equivalent of ridge with
    n = alpha d samples, a = n / p (Hastie et al. 2022; Bach 2023): k solves
    lam = k (a - <omega / (omega + k)>), and with D2 = <omega^2 / (omega + k)^2> / a

        test error = sigma^2 + (psi <k^2 k1^2 s / (omega (omega + k)^2)> + sigma^2 D2) / (1 - D2).

    The interpolation peak (lam -> 0) sits at n = p, alpha = psi.
    """
    alpha, lam, noise = _check(alpha, lam, noise)
    psi = float(psi)
    if not np.isfinite(psi) or not 0.05 <= psi <= 50:
        raise ValueError("psi (features per dimension) must lie in [0.05, 50]")
    if lam < 1e-8:
        raise ValueError("lam must be at least 1e-8")
    k1, k_star2 = _tanh_coefficients()
    s, ws = _mp_rule(psi)
    omega = k1 * k1 * s + k_star2
    mean = lambda values: np.sum(ws * values, axis=-1)  # noqa: E731
    sigma2 = 1.0 + noise - psi * float(mean(k1 * k1 * s / omega))
    a = alpha / psi

    def equation(k, idx):  # increasing in k, from -lam at k = 0
        kk = k[:, None]
        return k * (a[idx] - mean(omega / (omega + kk))) - lam

    hi = np.ones_like(a)
    for _ in range(200):  # grow the brackets until the sign changes everywhere
        low = equation(hi, np.arange(a.size)) < 0
        if not low.any():
            break
        hi = np.where(low, 2.0 * hi, hi)
    k, status, _, _ = find_roots(equation, np.zeros_like(a), hi, xtol=1e-15,
                                 ftol=1e-14 * max(lam, 1e-300))
    kk = k[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN k: reported by its status
        d2 = mean(omega**2 / (omega + kk) ** 2) / a
        bias = psi * mean(kk * kk * k1 * k1 * s / (omega * (omega + kk) ** 2))
        errors = sigma2 + (bias + sigma2 * d2) / (1.0 - d2)
    infinite = ~np.isfinite(errors) & (status == Status.CONVERGED.value)
    return RandomFeaturesCurve(alpha=alpha, psi=psi, lam=lam, noise=noise, test_error=errors,
                               status=worst(status, from_flags(True, diverged=infinite)))


def simulate_random_features(*, alpha, psi: float, lam: float, noise: float, d: int = 200,
                             runs: int = 4, seed: int = 0,
                             progress=None) -> RandomFeaturesSimulation:
    """Ridge on sampled tanh random features; exact test error on 4000 fresh samples."""
    alpha, lam, noise = _check(np.atleast_1d(alpha), lam, noise)
    d, runs = int(d), int(runs)
    if not 10 <= d <= MAX_RF_D:
        raise ValueError(f"d must lie in [10, {MAX_RF_D}]")
    if not 1 <= runs <= 50:
        raise ValueError("runs must lie in [1, 50]")
    p = max(1, round(psi * d))
    errors = np.empty((alpha.size, runs))
    for i, a in enumerate(alpha):
        n = max(1, round(a * d))
        for r in range(runs):
            rng = np.random.default_rng([seed, i, r, 2])
            theta = rng.standard_normal(d)
            F = rng.standard_normal((p, d))
            X = rng.standard_normal((n, d))
            y = X @ theta / np.sqrt(d) + np.sqrt(noise) * rng.standard_normal(n)
            U = np.tanh(X @ F.T / np.sqrt(d)) / np.sqrt(p)
            w = np.linalg.solve(U.T @ U + lam * np.eye(p), U.T @ y)
            X_test = rng.standard_normal((4000, d))
            y_test = X_test @ theta / np.sqrt(d)
            pred = np.tanh(X_test @ F.T / np.sqrt(d)) / np.sqrt(p) @ w
            errors[i, r] = np.mean((y_test - pred) ** 2) + noise
            if progress is not None:
                progress(i * runs + r + 1, alpha.size * runs)
    sem = errors.std(axis=1, ddof=1) / np.sqrt(runs) if runs > 1 else np.zeros(alpha.size)
    mean = errors.mean(axis=1)
    return RandomFeaturesSimulation(alpha=alpha, psi=float(psi), lam=lam, noise=noise, d=d,
                                    runs=runs, test_error_mean=mean, test_error_sem=sem,
                                    status=_finite_status(mean))
