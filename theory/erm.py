r"""Empirical risk minimisation: asymptotic learning curves and finite-size fits.

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
