"""The scalar Gaussian channel y = sqrt(g) x + z of a prior: overlap M(g), free entropy psi(g)."""

from __future__ import annotations

import numpy as np

from ._gauss import DEFAULT_NODES, mixture_expectation
from .priors import Prior

__all__ = ["scalar_free_entropy", "scalar_overlap"]


def scalar_overlap(prior: Prior, g, nodes: int = DEFAULT_NODES) -> np.ndarray:
    """M(g) = E[f(y)^2] = E[x f(y)] for y = sqrt(g) x + z: one state-evolution step."""
    g = np.asarray(g, dtype=float)
    weights, means, stds = prior.even_output_mixture(g)
    sqrt_g = np.sqrt(g)[..., None, None]
    A = g[..., None, None]

    def f_squared(y):
        mean, _ = prior.posterior(sqrt_g * y, A)
        return mean * mean

    return mixture_expectation(f_squared, weights, means, stds, nodes)


def scalar_free_entropy(prior: Prior, g, nodes: int = DEFAULT_NODES) -> np.ndarray:
    """psi(g) = E log Z(sqrt(g) y, g), with psi(0) = 0 and psi'(g) = M(g) / 2."""
    g = np.asarray(g, dtype=float)
    weights, means, stds = prior.even_output_mixture(g)
    sqrt_g = np.sqrt(g)[..., None, None]
    A = g[..., None, None]
    return mixture_expectation(
        lambda y: prior.log_partition(sqrt_g * y, A), weights, means, stds, nodes
    )
