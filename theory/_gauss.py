"""Gaussian expectations E[h(z)], z ~ N(0, 1), by a fixed, vectorised quadrature rule.

The rule is the trapezoid rule in t after the substitution z = sinh(t): for integrands
analytic in a strip, the trapezoid rule converges exponentially fast, and the sinh map puts
more nodes near z = 0, where the posterior means of sparse priors have their sharpest
features (a narrow dip of width ~1/sigma for a wide slab component). Gauss-Hermite with a
similar node count misses those features by up to 1e-3; this rule is within 1e-10 of
adaptive scipy quadrature across the tested parameter range (tests/theory).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["DEFAULT_NODES", "mixture_expectation", "normal_rule", "scaled_normal_rule"]

DEFAULT_NODES = 249
_T_MAX = 3.1  # sinh(3.1) = 11.1 standard deviations


@lru_cache(maxsize=8)
def normal_rule(n: int = DEFAULT_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights with E[h(z)] ~= sum(weights * h(nodes)) for z ~ N(0, 1)."""
    t, h = np.linspace(-_T_MAX, _T_MAX, n, retstep=True)
    nodes = np.sinh(t)
    weights = h * np.cosh(t) * np.exp(-0.5 * nodes**2) / np.sqrt(2.0 * np.pi)
    weights /= weights.sum()  # exact for constants; the correction is ~1e-12
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


def mixture_expectation(func, weights, means, stds, n: int = DEFAULT_NODES) -> np.ndarray:
    """E[func(y)] for y drawn from a mixture of Gaussians.

    ``weights``, ``means`` and ``stds`` broadcast to shape (..., K) over K mixture
    components; ``func`` maps an array of shape (..., K, n) to the same shape. Returns
    an array of shape (...).
    """
    nodes, node_weights = normal_rule(n)
    means = np.asarray(means, dtype=float)[..., None]
    stds = np.asarray(stds, dtype=float)[..., None]
    y = means + stds * nodes
    per_component = np.sum(func(y) * node_weights, axis=-1)
    return np.sum(np.asarray(weights, dtype=float) * per_component, axis=-1)


def scaled_normal_rule(width, n: int = 301) -> tuple[np.ndarray, np.ndarray]:
    """Rules for E[h(z)], z ~ N(0, 1), when h has features of size ``width`` (<= 1) at 0.

    z = width * sinh(t) with t uniform on [-T, T], T = asinh(11 / width): as fine as
    ``width`` near 0 and still reaching 11 standard deviations. Vectorised: ``width`` of
    shape (...) gives nodes and weights of shape (..., n).
    """
    width = np.minimum(np.asarray(width, dtype=float), 1.0)[..., None]
    t_max = np.arcsinh(11.0 / width)
    t = np.linspace(-1.0, 1.0, n) * t_max
    z = width * np.sinh(t)
    w = np.cosh(t) * np.exp(-0.5 * z * z)
    return z, w / w.sum(axis=-1, keepdims=True)
