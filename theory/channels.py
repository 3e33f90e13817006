r"""Output channels P_out(y | z) of generalised linear models, as pluggable pieces.

A channel gives what the GLM solvers need, in terms of omega = sqrt(q) xi (what is known
about z = F.x/sqrt(N)) and V = 1 - q (what is not):

* ``overlap_rate(q)``: R(q) = E[g_out^2], g_out = d log Z_out / d omega, the information per
  sample fed back to the prior (state evolution: r = alpha R(q), q = M(r));
* ``free_entropy(q)``: Psi_out(q) = E log Z_out(y, omega, V), with Psi_out'(q) = R(q) / 2;
* ``label_error(q)``: the Bayes-optimal test error on a new label;
* ``g_out(y, omega, V)`` and its omega-derivative, for GAMP; ``sample(z, rng)``.

``perfect_dimension`` is the information dimension of y given z when the channel is
noiseless (1 for a real-valued output, 0 for a discrete one) and None with noise: it fixes
how the free entropy of perfect recovery behaves (Wu & Verdu 2012). ``symmetric`` channels
(y carries no information on the sign of z) have R(0) = 0: q = 0 is a fixed point.
Equations after Barbier, Krzakala, Macris, Miolane, Zdeborova, PNAS 116, 5451 (2019).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.special import log_ndtr, ndtr

from ._gauss import normal_rule, scaled_normal_rule

__all__ = ["CHANNELS", "Abs", "Channel", "Linear", "Sign"]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
# below this residual variance V = 1 - q a state is numerically perfect recovery
_V_FLOOR = 1e-14


def _check_nonnegative(name, value, upper=None):
    value = float(value)
    if not np.isfinite(value) or value < 0 or (upper is not None and value > upper):
        bound = f"[0, {upper}]" if upper is not None else ">= 0"
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")
    return value


def _q_array(q):
    q = np.asarray(q, dtype=float)
    if np.any(~np.isfinite(q)) or np.any(q < 0) or np.any(q > 1):
        raise ValueError("q must lie in [0, 1]")
    return q


class Channel:
    """Interface shared by the channels (documentation; concrete classes are dataclasses)."""

    name = "channel"
    latex = ""
    symmetric = False

    @property
    def perfect_dimension(self) -> float | None:
        raise NotImplementedError

    def overlap_rate(self, q):
        raise NotImplementedError

    def free_entropy(self, q):
        raise NotImplementedError

    def label_error(self, q):
        raise NotImplementedError

    def g_out(self, y, omega, V):
        raise NotImplementedError

    def sample(self, z, rng: np.random.Generator):
        raise NotImplementedError


@dataclass(frozen=True)
class Linear(Channel):
    """y = z + sqrt(noise) * n: regression, compressed sensing (noise = 0)."""

    noise: float = 0.0
    name = "Linear"
    latex = r"y = z + \sqrt{\Delta}\,\xi"

    def __post_init__(self):
        object.__setattr__(self, "noise", _check_nonnegative("noise", self.noise))

    @property
    def perfect_dimension(self):
        return 1.0 if self.noise == 0 else None

    def overlap_rate(self, q):
        return 1.0 / (1.0 - _q_array(q) + self.noise)

    def free_entropy(self, q):
        return -0.5 * np.log(2 * np.pi * (1.0 - _q_array(q) + self.noise)) - 0.5

    def label_error(self, q):
        """Mean squared error of the Bayes prediction of a new label, 1 - q + noise."""
        return 1.0 - _q_array(q) + self.noise

    def g_out(self, y, omega, V):
        var = V + self.noise
        return (y - omega) / var, np.full(np.shape(omega), -1.0 / var)

    def sample(self, z, rng):
        return z + np.sqrt(self.noise) * rng.standard_normal(np.shape(z))


@dataclass(frozen=True)
class Sign(Channel):
    """y = sign(z), flipped with probability ``flip``: the perceptron."""

    flip: float = 0.0
    name = "Sign"
    latex = r"y = \mathrm{sign}(z) \text{ (flipped w.p. } \epsilon)"

    def __post_init__(self):
        object.__setattr__(self, "flip", _check_nonnegative("flip", self.flip, 0.5))

    @property
    def perfect_dimension(self):
        return 0.0 if self.flip == 0 else None

    def _log_Z(self, u):
        """log P(y = +1 | omega) with u = omega / sqrt(V)."""
        if self.flip == 0:
            return log_ndtr(u)
        return np.logaddexp(np.log(self.flip), np.log1p(-2 * self.flip) + log_ndtr(u))

    def _expect(self, q, integrand):
        """E over xi and y of integrand(u) with y = +1 (mirror symmetry: y -> -y, xi -> -xi)."""
        q = _q_array(q)
        V = np.maximum(1.0 - q, _V_FLOOR)
        s = np.sqrt(q / V)
        xi, w = scaled_normal_rule(1.0 / np.maximum(s, 1.0))
        u = s[..., None] * xi
        return 2.0 * np.sum(w * integrand(u), axis=-1), V

    def overlap_rate(self, q):
        def integrand(u):  # Z g^2 V = (1-2eps)^2 phi(u)^2 / Z
            return np.exp(2 * np.log1p(-2 * self.flip) - u * u - 2 * _LOG_SQRT_2PI - self._log_Z(u))

        total, V = self._expect(q, integrand)
        return total / V

    def free_entropy(self, q):
        def integrand(u):
            log_z = self._log_Z(u)
            return np.exp(log_z) * log_z

        return self._expect(q, integrand)[0]

    def label_error(self, q):
        """Probability that the Bayes-optimal classifier disagrees with the teacher's
        noiseless label: arccos(sqrt(q)) / pi."""
        return np.arccos(np.sqrt(_q_array(q))) / np.pi

    def g_out(self, y, omega, V):
        sqrt_v = np.sqrt(V)
        u = y * omega / sqrt_v
        log_g = np.log1p(-2 * self.flip) - 0.5 * u * u - _LOG_SQRT_2PI - self._log_Z(u)
        g = y * np.exp(log_g) / sqrt_v
        return g, -g * (g + omega / V)

    def sample(self, z, rng):
        y = np.where(np.asarray(z) >= 0, 1.0, -1.0)
        flips = rng.random(np.shape(z)) < self.flip
        return np.where(flips, -y, y)


# Real phase retrieval: with s = sqrt(q / V'), V' = 1 - q + noise, both R(q) V' and the
# free entropy's non-trivial part are functions F(s), D(s) of s alone; they are tabulated
# once by 2-d quadrature and interpolated (cubic spline in log s).
_S_GRID = np.concatenate([[0.0], np.geomspace(1e-3, 1e4, 360)])


def _abs_integrands(s):
    """F(s) = E[((a + w) tanh(a (a + w)) - a)^2], D(s) = E[2 max(-x, 0) + log1p(e^{-2|x|})],
    x = a (a + w), a = s xi; xi, w ~ N(0, 1) independent."""
    s = np.asarray(s, dtype=float)
    xi, wx = scaled_normal_rule(1.0 / np.maximum(s, 1.0), n=301)
    w, ww = normal_rule(161)
    a = (s[..., None] * xi)[..., None]
    x = a * (a + w)
    weight = wx[..., None] * ww
    F = np.sum(weight * ((a + w) * np.tanh(x) - a) ** 2, axis=(-2, -1))
    D = np.sum(weight * (2 * np.maximum(-x, 0.0) + np.log1p(np.exp(-2 * np.abs(x)))),
               axis=(-2, -1))
    return F, D


@lru_cache(maxsize=1)
def _abs_tables():
    F = np.empty_like(_S_GRID)
    D = np.empty_like(_S_GRID)
    for chunk in np.array_split(np.arange(_S_GRID.size), 12):  # bounded memory
        F[chunk], D[chunk] = _abs_integrands(_S_GRID[chunk])
    log_s = np.log(_S_GRID[1:])
    return CubicSpline(log_s, np.log(F[1:])), CubicSpline(log_s, np.log(D[1:]))


def _abs_F_D(s):
    """F(s) and D(s) from the tables, with their small- and large-s asymptotics."""
    s = np.asarray(s, dtype=float)
    spline_F, spline_D = _abs_tables()
    log_s = np.log(np.clip(s, _S_GRID[1], _S_GRID[-1]))
    F = np.exp(spline_F(log_s))
    D = np.exp(spline_D(log_s))
    small = s < _S_GRID[1]
    F = np.where(small, 2.0 * s * s, F)  # F(s) = 2 s^2 + O(s^4)
    D = np.where(small, np.log(2.0) * (1.0 - s * s) + 0.5 * s * s, D)  # D(0) = log 2
    big = s > _S_GRID[-1]
    F = np.where(big, 1.0, F)
    D = np.where(big, 0.0, D)
    return F, D


@dataclass(frozen=True)
class Abs(Channel):
    """y = |z + sqrt(noise) * n|: real phase retrieval."""

    noise: float = 0.0
    name = "Abs"
    latex = r"y = |z + \sqrt{\Delta}\,\xi|"
    symmetric = True

    def __post_init__(self):
        object.__setattr__(self, "noise", _check_nonnegative("noise", self.noise))

    @property
    def perfect_dimension(self):
        return 1.0 if self.noise == 0 else None

    def _s(self, q):
        q = _q_array(q)
        V = np.maximum(1.0 - q + self.noise, _V_FLOOR)
        return np.sqrt(q / V), V

    def overlap_rate(self, q):
        s, V = self._s(q)
        return _abs_F_D(s)[0] / V

    def rate_slope_at_zero(self) -> float:
        """R'(0) = E[xi^2] E[(w^2 - 1)^2] / V'(0)^2 = 2 / (1 + noise)^2."""
        return 2.0 / (1.0 + self.noise) ** 2

    def free_entropy(self, q):
        s, V = self._s(q)
        # log Z = log 2 - log sqrt(2 pi V) - (y^2 + omega^2) / 2V + log cosh(y omega / V)
        return -0.5 * np.log(2 * np.pi * V) - 0.5 + _abs_F_D(s)[1]

    def label_error(self, q):
        """Mean squared error of the Bayes prediction E[y | omega] of a new label."""
        s, V = self._s(q)
        xi, w = scaled_normal_rule(1.0 / np.maximum(s, 1.0))
        a = s[..., None] * xi
        folded_mean = np.sqrt(2 / np.pi) * np.exp(-0.5 * a * a) + a * (1 - 2 * ndtr(-a))
        # (1 + noise) - V E[mean^2] = V E[Var(|a + w|)]: no cancellation as q -> 1
        folded_var = np.maximum(1.0 + a * a - folded_mean**2, 0.0)
        return V * np.sum(w * folded_var, axis=-1)

    def g_out(self, y, omega, V):
        var = V + self.noise
        t = np.tanh(y * omega / var)
        return (y * t - omega) / var, (y * y) * (1 - t * t) / var**2 - 1.0 / var

    def sample(self, z, rng):
        return np.abs(z + np.sqrt(self.noise) * rng.standard_normal(np.shape(z)))


CHANNELS = {"linear": Linear, "sign": Sign, "abs": Abs}
