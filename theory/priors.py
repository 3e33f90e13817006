"""Priors on the signal entries, as pluggable scalar denoisers.

Every prior has zero mean and unit second moment, E[x^2] = 1, so that the signal-to-noise
ratio means the same thing for all of them. A prior exposes the few scalar functions the
solvers need, all in terms of the Gaussian scalar channel with natural parameters
(B, A): the log-partition

    log Z(B, A) = log E_x exp(B x - A x^2 / 2),

its derivatives (posterior mean f = d log Z / dB and variance d^2 log Z / dB^2), and the
law of the channel output y = sqrt(g) x + z (a mixture of Gaussians), with B = sqrt(g) y,
A = g. Adding a prior is one class here plus an entry in ``PRIORS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "PRIORS",
    "SPARSE_PRIORS",
    "GaussBernoulli",
    "Gaussian",
    "Prior",
    "Rademacher",
    "SparseRademacher",
    "make_prior",
]


def _logsumexp(a, axis=-1, keepdims=False):
    """log(sum(exp(a))) along an axis; plain numpy (scipy's version costs more per call)."""
    top = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


def _check_rho(rho: float) -> float:
    rho = float(rho)
    if not np.isfinite(rho) or not 0.0 < rho <= 1.0:
        raise ValueError(f"rho must be a number in (0, 1], got {rho!r}")
    return rho


class Prior:
    """Interface shared by all priors (documentation; concrete classes are dataclasses)."""

    name: str = "prior"
    latex: str = ""

    @property
    def information_dimension(self) -> float:
        """Renyi information dimension: 0 for discrete priors, the weight of the continuous
        part otherwise. Sets how the free entropy of perfect recovery diverges."""
        raise NotImplementedError

    @property
    def entropy(self) -> float:
        """Shannon entropy of a discrete prior (nats); NaN for priors with a density part."""
        return float("nan")

    def log_partition(self, B, A):
        raise NotImplementedError

    def posterior(self, B, A):
        """Posterior mean and variance of x in the channel with natural parameters (B, A)."""
        raise NotImplementedError

    def output_mixture(self, g):
        """(weights, means, stds), each of shape (..., K): the law of y = sqrt(g) x + z."""
        raise NotImplementedError

    def even_output_mixture(self, g):
        """A mixture with the same expectations as ``output_mixture`` for even functions of y.

        Every prior here is symmetric (x and -x equally likely), so the integrands the
        solvers need (f(y)^2, log Z) are even in y and mirror-image components can merge.
        """
        return self.output_mixture(g)

    def sample(self, size, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    @property
    def family(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class _Discrete(Prior):
    """A prior with finitely many atoms; subclasses fill ``atoms`` and ``probs``."""

    atoms: tuple[float, ...] = field(init=False, repr=False, compare=False)
    probs: tuple[float, ...] = field(init=False, repr=False, compare=False)

    information_dimension = 0.0

    @property
    def entropy(self) -> float:
        p = np.asarray(self.probs)
        return float(-(p * np.log(p)).sum())

    def _log_weights(self, B, A):
        a = np.asarray(self.atoms)
        B = np.asarray(B, dtype=float)[..., None]
        A = np.asarray(A, dtype=float)[..., None]
        return np.log(self.probs) + B * a - 0.5 * A * a * a

    def log_partition(self, B, A):
        return _logsumexp(self._log_weights(B, A), axis=-1)

    def posterior(self, B, A):
        lw = self._log_weights(B, A)
        post = np.exp(lw - _logsumexp(lw, axis=-1, keepdims=True))
        a = np.asarray(self.atoms)
        mean = post @ a
        second = post @ (a * a)
        return mean, np.maximum(second - mean * mean, 0.0)

    def output_mixture(self, g):
        g = np.asarray(g, dtype=float)[..., None]
        a = np.asarray(self.atoms)
        weights = np.broadcast_to(np.asarray(self.probs), g.shape[:-1] + a.shape)
        means = np.sqrt(g) * a
        return weights, means, np.ones_like(means)

    def even_output_mixture(self, g):
        # merge the components of atoms a and -a (the atoms are symmetric about 0)
        g = np.asarray(g, dtype=float)[..., None]
        a = np.asarray(self.atoms)
        keep = a >= 0
        probs = np.asarray(self.probs)
        folded = np.where(a[keep] > 0, 2.0 * probs[keep], probs[keep])
        weights = np.broadcast_to(folded, g.shape[:-1] + folded.shape)
        means = np.sqrt(g) * a[keep]
        return weights, means, np.ones_like(means)

    def sample(self, size, rng):
        return rng.choice(np.asarray(self.atoms), size=size, p=np.asarray(self.probs))


@dataclass(frozen=True)
class Gaussian(Prior):
    """x ~ N(0, 1)."""

    name = "Gaussian"
    latex = r"x \sim \mathcal N(0, 1)"
    information_dimension = 1.0

    def log_partition(self, B, A):
        B, A = np.asarray(B, dtype=float), np.asarray(A, dtype=float)
        return 0.5 * B * B / (1.0 + A) - 0.5 * np.log1p(A)

    def posterior(self, B, A):
        B, A = np.asarray(B, dtype=float), np.asarray(A, dtype=float)
        var = 1.0 / (1.0 + A)
        return B * var, np.broadcast_to(var, np.broadcast(B, A).shape)

    def output_mixture(self, g):
        g = np.asarray(g, dtype=float)[..., None]
        return np.ones_like(g), np.zeros_like(g), np.sqrt(1.0 + g)

    def sample(self, size, rng):
        return rng.standard_normal(size)


@dataclass(frozen=True)
class Rademacher(_Discrete):
    """x = +1 or -1 with probability 1/2 each."""

    name = "Rademacher"
    latex = r"x = \pm 1 \text{ with probability } 1/2"

    def __post_init__(self):
        object.__setattr__(self, "atoms", (-1.0, 1.0))
        object.__setattr__(self, "probs", (0.5, 0.5))

    def log_partition(self, B, A):
        B, A = np.asarray(B, dtype=float), np.asarray(A, dtype=float)
        absB = np.abs(B)
        return absB + np.log1p(np.exp(-2.0 * absB)) - np.log(2.0) - 0.5 * A

    def posterior(self, B, A):
        mean = np.tanh(np.asarray(B, dtype=float))
        mean = np.broadcast_to(mean, np.broadcast(B, A).shape)
        return mean, 1.0 - mean * mean


@dataclass(frozen=True)
class SparseRademacher(_Discrete):
    """x = +-1/sqrt(rho) with probability rho/2 each, 0 with probability 1 - rho."""

    rho: float = 0.1
    name = "Sparse Rademacher"
    latex = r"x = \pm 1/\sqrt{\rho} \text{ w.p. } \rho/2 \text{ each}, \; 0 \text{ w.p. } 1-\rho"

    def __post_init__(self):
        rho = _check_rho(self.rho)
        object.__setattr__(self, "rho", rho)
        amp = 1.0 / np.sqrt(rho)
        if rho == 1.0:
            object.__setattr__(self, "atoms", (-amp, amp))
            object.__setattr__(self, "probs", (0.5, 0.5))
        else:
            object.__setattr__(self, "atoms", (-amp, 0.0, amp))
            object.__setattr__(self, "probs", (rho / 2, 1.0 - rho, rho / 2))

    # Closed forms for the three symmetric atoms: the generic log-sum-exp costs ~5x more.
    def _terms(self, B, A):
        """|t| = a|B| and u = log(rho / (2 (1 - rho))) - A a^2 / 2 + |t|, with a = 1/sqrt(rho)."""
        a2 = 1.0 / self.rho
        t = np.sqrt(a2) * np.abs(np.asarray(B, dtype=float))
        u = np.log(self.rho / (2.0 * (1.0 - self.rho))) - 0.5 * np.asarray(A, dtype=float) * a2 + t
        return t, u

    def log_partition(self, B, A):
        if self.rho == 1.0:
            return super().log_partition(B, A)
        t, u = self._terms(B, A)
        return np.log1p(-self.rho) + np.logaddexp(0.0, u + np.log1p(np.exp(-2.0 * t)))

    def posterior(self, B, A):
        if self.rho == 1.0:
            return super().posterior(B, A)
        t, u = self._terms(B, A)
        a = 1.0 / np.sqrt(self.rho)
        e2 = np.exp(-2.0 * t)
        denom = np.exp(-np.maximum(u, -700.0)) + 1.0 + e2  # weights relative to the dominant atom
        mean = np.sign(B) * a * -np.expm1(-2.0 * t) / denom
        second = a * a * (1.0 + e2) / denom
        return mean, np.maximum(second - mean * mean, 0.0)


@dataclass(frozen=True)
class GaussBernoulli(Prior):
    """x ~ N(0, 1/rho) with probability rho, 0 with probability 1 - rho."""

    rho: float = 0.1
    name = "Gauss-Bernoulli"
    latex = r"x \sim \rho\, \mathcal N(0, 1/\rho) + (1-\rho)\, \delta_0"

    def __post_init__(self):
        object.__setattr__(self, "rho", _check_rho(self.rho))

    @property
    def information_dimension(self) -> float:
        return self.rho

    def _slab(self, B, A):
        """log of rho * Z_slab and the slab's posterior mean and variance."""
        B, A = np.asarray(B, dtype=float), np.asarray(A, dtype=float)
        v = 1.0 / self.rho
        denom = 1.0 + A * v
        log_slab = np.log(self.rho) - 0.5 * np.log(denom) + 0.5 * B * B * v / denom
        return log_slab, B * v / denom, v / denom

    def log_partition(self, B, A):
        log_slab, _, _ = self._slab(B, A)
        if self.rho == 1.0:
            return log_slab
        return np.logaddexp(np.log1p(-self.rho), log_slab)

    def posterior(self, B, A):
        log_slab, mean_s, var_s = self._slab(B, A)
        if self.rho == 1.0:
            weight = np.ones_like(log_slab)
        else:
            weight = np.exp(log_slab - np.logaddexp(np.log1p(-self.rho), log_slab))
        mean = weight * mean_s
        second = weight * (var_s + mean_s * mean_s)
        return mean, np.maximum(second - mean * mean, 0.0)

    def output_mixture(self, g):
        g = np.asarray(g, dtype=float)[..., None]
        ones = np.ones_like(g)
        weights = np.concatenate([(1.0 - self.rho) * ones, self.rho * ones], axis=-1)
        means = np.zeros((*g.shape[:-1], 2))
        stds = np.concatenate([ones, np.sqrt(1.0 + g / self.rho)], axis=-1)
        return weights, means, stds

    def sample(self, size, rng):
        support = rng.random(size) < self.rho
        return np.where(support, rng.standard_normal(size) / np.sqrt(self.rho), 0.0)


PRIORS: dict[str, type[Prior]] = {
    "gaussian": Gaussian,
    "rademacher": Rademacher,
    "sparse_rademacher": SparseRademacher,
    "gauss_bernoulli": GaussBernoulli,
}
SPARSE_PRIORS = ("sparse_rademacher", "gauss_bernoulli")


def make_prior(key: str, rho: float | None = None) -> Prior:
    """Build a prior from its registry key; ``rho`` is used by the sparse priors only."""
    try:
        cls = PRIORS[key]
    except KeyError:
        raise ValueError(f"unknown prior {key!r}; choose one of {sorted(PRIORS)}") from None
    if key in SPARSE_PRIORS:
        return cls(rho=0.1 if rho is None else rho)
    return cls()
