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

EQUATIONS = {
    "ridge": r"\hat w = \arg\min_w \sum_\mu \tfrac12\big(y_\mu - F_\mu\!\cdot w/\sqrt N\big)^2"
             r" + \tfrac{\lambda}{2}\|w\|^2",
    "mp": r"\lambda m^2 + (\lambda + \alpha - 1)\, m = 1",
    "ridge_error": r"E_{\rm gen} = -\lambda^2 m'(\lambda) + \Delta\,\big(m + \lambda m'\big)"
                   r" + \Delta",
}
REFERENCES = (
    "B. Aubin, F. Krzakala, Y. M. Lu, L. Zdeborova, Generalization error in high-dimensional "
    "perceptrons: approaching Bayes error with convex optimization, NeurIPS (2020), "
    "arXiv:2006.06560",
    "T. Hastie, A. Montanari, S. Rosset, R. Tibshirani, Surprises in high-dimensional "
    "ridgeless least squares interpolation, Ann. Statist. 50, 949 (2022), arXiv:1903.08560",
    "M. Belkin, D. Hsu, S. Ma, S. Mandal, Reconciling modern machine-learning practice and "
    "the classical bias-variance trade-off, PNAS 116, 15849 (2019), arXiv:1812.11118",
)
MAX_RIDGE_N = 2000


@dataclass(frozen=True)
class RidgeCurve:
    """Asymptotic ridge learning curve: test error = bias + variance + noise."""

    alpha: np.ndarray
    lam: float
    noise: float
    test_error: np.ndarray
    bias: np.ndarray
    variance: np.ndarray


@dataclass(frozen=True)
class RidgeSimulation:
    """Finite-size ridge fits: mean and standard error of the test error over seeds."""

    alpha: np.ndarray
    lam: float
    noise: float
    n: int
    runs: int
    test_error_mean: np.ndarray
    test_error_sem: np.ndarray


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
        with np.errstate(divide="ignore"):
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
    return RidgeCurve(alpha=alpha, lam=lam, noise=noise, test_error=bias + variance + noise,
                      bias=bias, variance=variance)


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
    return RidgeSimulation(alpha=alpha, lam=lam, noise=noise, n=n, runs=runs,
                           test_error_mean=errors.mean(axis=1), test_error_sem=sem)


# ---------------------------------------------------------------------------------------
# L2-regularised logistic regression on a sign teacher
# ---------------------------------------------------------------------------------------
EQUATIONS["logistic"] = (
    r"\hat w = \arg\min_w \sum_\mu \log\big(1 + e^{-y_\mu F_\mu\cdot w/\sqrt N}\big)"
    r" + \tfrac{\lambda}{2}\|w\|^2,\qquad \epsilon_g = \tfrac{1}{\pi}\arccos\frac{m}{\sqrt q}"
)
MAX_LOGISTIC_N = 2000
MIN_LOGISTIC_LAMBDA = 1e-2


@dataclass(frozen=True)
class LogisticCurve:
    """Asymptotic logistic regression: overlaps m = w.x/N, q = |w|^2/N, V, the test error
    arccos(m / sqrt(q)) / pi, and per-alpha convergence of the fixed-point iteration."""

    alpha: np.ndarray
    lam: float
    m: np.ndarray
    q: np.ndarray
    V: np.ndarray
    test_error: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray


@dataclass(frozen=True)
class LogisticSimulation:
    alpha: np.ndarray
    lam: float
    n: int
    runs: int
    test_error_mean: np.ndarray
    test_error_sem: np.ndarray


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _logistic_map(alpha, lam, m, q, V, nodes, flip=0.0):
    """One application of the replica map (m, q, V) -> (m, q, V), vectorised over alpha.

    The Gaussian average over the student's field omega = sqrt(q) xi is taken over the
    proximal point p instead: omega(p) = p - V y s(-y p) is explicit and increasing, so
    E[g(omega)] = int g(omega(p)) N(omega(p); 0, q) omega'(p) dp needs no root finding.
    """
    from scipy.special import ndtr

    y = np.array([1.0, -1.0])[None, :, None]
    mm, qq, VV = m[:, None, None], q[:, None, None], V[:, None, None]
    # the grid in p covers omega(p) in [-11 sqrt(q), 11 sqrt(q)]: its ends by bisection on
    # the increasing map p -> omega(p), which lies between p - V and p for y = +1
    reach = 11.0 * np.sqrt(qq)

    def bracket(target):
        lo = np.minimum(target, target + VV * y) - 1.0
        hi = np.maximum(target, target + VV * y) + 1.0
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            below = mid - VV * y * _sigmoid(-y * mid) < target
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return 0.5 * (lo + hi)

    lo, hi = bracket(-reach), bracket(reach)
    # the integrands vary on the scales 1 (sigmoid) and sqrt(q) (Gaussian): a trapezoid
    # spacing of a quarter of the finer one is accurate to ~1e-9 (checked against 1/8 of it)
    spacing = np.minimum(0.25, 0.25 * np.sqrt(qq))
    nodes = int(np.clip(np.max((hi - lo) / spacing), nodes, 8001))
    t = np.linspace(0.0, 1.0, nodes)
    p = lo + (hi - lo) * t
    h = (hi - lo) / (nodes - 1)
    s = _sigmoid(-y * p)
    curvature = s * (1.0 - s)
    omega = p - VV * y * s
    jacobian = 1.0 + VV * curvature
    weight = h * jacobian * np.exp(-0.5 * omega * omega / qq) / np.sqrt(2 * np.pi * qq)
    weight[..., [0, -1]] *= 0.5  # trapezoid ends
    v_star = np.maximum(1.0 - mm * mm / qq, 1e-12)
    u = y * (mm / qq) * omega / np.sqrt(v_star)
    Z = flip + (1 - 2 * flip) * ndtr(u)
    dZ = (1 - 2 * flip) * y * np.exp(-0.5 * u * u) / np.sqrt(2 * np.pi * v_star)
    f = y * s
    df = -curvature / jacobian
    mh = alpha * np.sum(weight * dZ * f, axis=(1, 2))
    qh = alpha * np.sum(weight * Z * f * f, axis=(1, 2))
    Vh = -alpha * np.sum(weight * Z * df, axis=(1, 2))
    return mh / (lam + Vh), (mh * mh + qh) / (lam + Vh) ** 2, 1.0 / (lam + Vh)


def logistic_curve(*, alpha, lam: float, flip: float = 0.0, tol: float = 1e-9,
                   max_iter: int = 300, damping: float = 0.0,
                   nodes: int = 101) -> LogisticCurve:
    """Replica fixed point of L2 logistic regression on y = sign(z), Gaussian teacher
    (Aubin et al. 2020), vectorised over alpha:

        m = mh / (lam + Vh),  q = (mh^2 + qh) / (lam + Vh)^2,  V = 1 / (lam + Vh),
        mh = alpha E[dZ*/dw* f_out],  qh = alpha E[Z* f_out^2],  Vh = -alpha E[Z* f_out'],

    with Z* = eps + (1 - 2 eps) Phi(y w* / sqrt(V*)) (labels flipped with probability eps),
    w* = m xi / sqrt(q), V* = 1 - m^2/q, and f_out = (p - w)/V at the proximal point p of
    the loss at w = sqrt(q) xi, p = w + V y s(-y p). Plain iteration first; where it
    has not converged after ``max_iter`` steps (small lam and alpha: slow, oscillating),
    a Newton-type root solve (scipy hybr) of map(v) = v finishes the job.
    """
    from scipy import optimize

    alpha, lam, _ = _check(alpha, lam, 0.0)
    flip = _check_flip(flip)
    if lam < MIN_LOGISTIC_LAMBDA:
        raise ValueError(f"lam must be at least {MIN_LOGISTIC_LAMBDA:g} (the weights diverge "
                         "as lam -> 0 on separable data)")
    m = np.full(alpha.shape, 0.5)
    q = np.ones(alpha.shape)
    V = np.ones(alpha.shape)
    converged = np.zeros(alpha.shape, bool)
    iterations = np.zeros(alpha.shape, int)
    for it in range(max_iter):
        active = ~converged
        if not active.any():
            break
        new_m, new_q, new_V = _logistic_map(alpha[active], lam, m[active], q[active],
                                            V[active], nodes, flip)
        change = np.maximum.reduce([np.abs(new_m - m[active]) / np.abs(new_m),
                                    np.abs(new_q - q[active]) / new_q,
                                    np.abs(new_V - V[active]) / new_V])
        m[active] = damping * m[active] + (1 - damping) * new_m
        q[active] = damping * q[active] + (1 - damping) * new_q
        V[active] = damping * V[active] + (1 - damping) * new_V
        iterations[active] = it + 1
        idx = np.flatnonzero(active)
        converged[idx[change < tol]] = True
    for i in np.flatnonzero(~converged):
        def residual(v, i=i):
            mv, qv, Vv = np.exp(v)
            out = _logistic_map(alpha[[i]], lam, np.array([mv]), np.array([qv]),
                                np.array([Vv]), nodes, flip)
            return np.log(np.concatenate(out)) - v

        sol = optimize.root(residual, np.log([m[i], q[i], V[i]]), method="hybr",
                            options={"xtol": 1e-12})
        if sol.success and np.max(np.abs(residual(sol.x))) < 1e-8:
            m[i], q[i], V[i] = np.exp(sol.x)
            converged[i] = True
        iterations[i] += int(sol.nfev)
    error = np.arccos(np.clip(m / np.sqrt(q), -1.0, 1.0)) / np.pi
    return LogisticCurve(alpha=alpha, lam=lam, m=m, q=q, V=V, test_error=error,
                         converged=converged, iterations=iterations)


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
            if progress is not None:
                progress(i * runs + r + 1, alpha.size * runs)
    sem = errors.std(axis=1, ddof=1) / np.sqrt(runs) if runs > 1 else np.zeros(alpha.size)
    return LogisticSimulation(alpha=alpha, lam=lam, n=n, runs=runs,
                              test_error_mean=errors.mean(axis=1), test_error_sem=sem)


# ---------------------------------------------------------------------------------------
# Random-features ridge regression
# ---------------------------------------------------------------------------------------
MAX_RF_D = 1000


@dataclass(frozen=True)
class RandomFeaturesCurve:
    """Asymptotic test error of ridge regression on random features u = tanh(F x / sqrt(d))
    (F: p x d Gaussian), learning a noisy linear teacher of x; alpha = n/d samples per input
    dimension, psi = p/d features per input dimension."""

    alpha: np.ndarray
    psi: float
    lam: float
    noise: float
    test_error: np.ndarray
    converged: np.ndarray


@dataclass(frozen=True)
class RandomFeaturesSimulation:
    alpha: np.ndarray
    psi: float
    lam: float
    noise: float
    d: int
    runs: int
    test_error_mean: np.ndarray
    test_error_sem: np.ndarray


EQUATIONS["random_features"] = (
    r"u = \tanh(F x/\sqrt d) \simeq \kappa_1 F x/\sqrt d + \kappa_\star z,\quad"
    r"\hat w = \arg\min_w \sum_\mu \tfrac12\big(y_\mu - w\cdot u_\mu/\sqrt p\big)^2"
    r" + \tfrac{\lambda}{2}\|w\|^2"
)
REFERENCES = (
    *REFERENCES,
    "S. Mei, A. Montanari, The generalization error of random features regression: precise "
    "asymptotics and double descent curve, Comm. Pure Appl. Math. (2022), arXiv:1908.05355",
    "F. Gerace, B. Loureiro, F. Krzakala, M. Mezard, L. Zdeborova, Generalisation error in "
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
    from ._fixedpoint import bracketed_roots

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
    k, converged, _ = bracketed_roots(equation, np.zeros_like(a), hi, xtol=1e-15,
                                      ftol=1e-14 * max(lam, 1e-300))
    kk = k[:, None]
    d2 = mean(omega**2 / (omega + kk) ** 2) / a
    bias = psi * mean(kk * kk * k1 * k1 * s / (omega * (omega + kk) ** 2))
    errors = sigma2 + (bias + sigma2 * d2) / (1.0 - d2)
    return RandomFeaturesCurve(alpha=alpha, psi=psi, lam=lam, noise=noise, test_error=errors,
                               converged=converged)


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
    return RandomFeaturesSimulation(alpha=alpha, psi=float(psi), lam=lam, noise=noise, d=d,
                                    runs=runs, test_error_mean=errors.mean(axis=1),
                                    test_error_sem=sem)
