r"""Multi-index models: which directions of a teacher a learner can find from alpha d samples,
and when the hidden units of a two-unit committee machine specialise.

Model: x ~ N(0, I_d), a teacher W* in R^{d x p} (p fixed) with i.i.d. N(0, 1) or +-1 entries,
z = W*^T x / sqrt(d) in R^p, labels y ~ P(y | z), n = alpha d samples.

Bayes-optimal state evolution (Aubin et al. 2018; Troiani et al. 2024) in terms of the p x p
overlap M (omega = M^{1/2} xi what is known about z, V = I - M what is not):

    Z(y; omega, V) = E_{z ~ N(omega, V)} P(y | z),   g = grad_omega log Z,
    M_hat = alpha E_xi sum_y Z g g^T,
    M = M_hat (I + M_hat)^{-1}  (Gaussian weights),  M = E <w> <w>^T  (+-1 weights, the
    posterior mean of a p-dimensional +-1 vector seen through B = M_hat w + M_hat^{1/2} xi).

**Weak recovery** (``weak_recovery_threshold``; Troiani et al. 2024, theorem 2). At M = 0,
g = E[z | y]: the *trivial subspace* span{E[z | y]} is learned at any alpha > 0. Where
E[z | y] = 0, linearising the state evolution gives M_hat = alpha F(M) + o(M) with

    F(M) = E_y[G(y) M G(y)],   G(y) = E[z z^T | y] - I,

a positive, self-adjoint map on symmetric p x p matrices: M = 0 is unstable for
alpha > alpha_c = 1 / lambda_max(F) (*easy* directions, those of the leading eigen-matrix),
and stable for every alpha when G = 0 (*hard*: no direction is found from scratch with
O(d) samples). Closed forms the tests check: y = sum_{i<=p} z_i^2 gives F = (2/p) Id and
alpha_c = p/2; y = sign(z1 z2) gives G(+-1) = +-(2/pi) sigma_x and alpha_c = pi^2/4;
sign(z1 z2 z3) has G = 0.

Directions not found at M = 0 can be found once others are (a *staircase*): for
y = z1^2 + sign(z2 z3), z1 is learned from alpha_1 = 1/lambda_max(F) on; the block (z2, z3)
stays at zero until it becomes unstable at the fixed point m1(alpha) of the first
direction, alpha lambda_perp(m1) = 1 with lambda_perp(m) = (2/pi)^2 E[E[s | y, omega_1]^2],
s = sign(z2 z3) (the linearisation of the (z2, z3) block at M = diag(m1, 0, 0)). Computed:
z1 from 0.5752; GAMP's branch jumps to exact recovery of z1 at 1.4001 with
alpha lambda_perp < 1 all along it, so (z2, z3) follow only from pi^2/4, the threshold of
sign(z2 z3) once s = y - z1^2 is read off exactly (``staircase_second_threshold``).

**Full state evolution** is solved for the committee (below), for y = |z|^2
(``isotropic_curve``: M = m I; g = (r A_p(kappa) - |omega|)/V along omega with the Bessel
ratio A_p = I_{p/2} / I_{p/2-1}) and for y = sign(z1 z2) (``sign_pair_curve``: M = m I,
where z1 and z2 are independent given omega and Z(+-1) = (1 +- t1 t2)/2, t_i = 2 Phi(a_i) - 1;
a continuous transition at pi^2/4) and for the staircase (``staircase_curve``: z1 on its own
branch, then (z2, z3) on sign(z1 z2)'s once z1 is exact); ``eigenvalue_curve`` gives the
eigenvalues of M along alpha for these targets. For the others only the weak-recovery
analysis is solved here.

**Committee machine** y = sign(z1) + sign(z2) (K = 2), in the basis u = (w1 + w2)/sqrt 2,
v = (w1 - w2)/sqrt 2 where M = diag(q_u, q_v) (the exchange of the hidden units keeps it
diagonal). u is the trivial direction; q_v = 0 (the hidden units not specialised) is an
exactly invariant state whose stability along the non-specialised branch gives the
specialisation threshold: alpha kappa(q_u) dq_v/dq_hat_v = 1 with
kappa(q_u) = E sum_y Z (E[z_v^2 | y, omega] - 1)^2 (``committee_thresholds``; computed here
2.0524 for Gaussian weights, where the literature quotes about 2.04, and 1.5893 for +-1
weights). Past it the specialised branch grows continuously; it is traced by continuation in
q_hat_v. With +-1 weights exact recovery (free entropy -2 ln 2, minus the prior's entropy)
is a fixed point at every alpha: it overtakes the non-specialised state at alpha_IT (1.5461)
and GAMP jumps to it at the specialised branch's spinodal alpha_alg (1.9771); the hard phase
lies between. ``committee_curve`` reads the branches off cached tables (no iteration);
``committee_state_evolution`` iterates (what GAMP does); ``simulate_gamp`` runs GAMP (the
committee only).

Numerics: label distributions are tabulated once per target on Gauss-Legendre rules after
substitutions that remove their singularities (y = r^2 at a chi-square edge, y = e^t at the
logarithmic peak of the density of z1 z2 = y, K_0(|y|) / pi); Bessel functions are used in
their exponentially scaled forms (no underflow). The committee's label probabilities are
bivariate normal orthants by Owen's T function, Z(y = 0) computed as its own two orthants
(not 1 - the others), label probabilities below 1e-12 masked (their terms are negligible and
Owen's formula has lost its relative precision there). Every quadrature is tested against
an independent one in tests/theory/test_multiindex.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from typing import NamedTuple

import numpy as np
from scipy import optimize, special

from ._result import Result, Status, readonly, worst

__all__ = [
    "EQUATIONS",
    "GAMP_TARGETS",
    "MAX_ALPHA",
    "MAX_GAMP_D",
    "REFERENCES",
    "STATE_EVOLUTION_TARGETS",
    "TARGETS",
    "CommitteeBranch",
    "CommitteeCurve",
    "CommitteeFixedPoint",
    "CommitteeThresholds",
    "EigenvalueCurve",
    "IsotropicCurve",
    "MultiIndexGampRun",
    "SignPairCurve",
    "StaircaseCurve",
    "StaircaseStep",
    "WeakRecovery",
    "committee_curve",
    "committee_free_entropy",
    "committee_g_out",
    "committee_output",
    "committee_output_u",
    "committee_prior",
    "committee_prior_u",
    "committee_specialisation_rate",
    "committee_state_evolution",
    "committee_thresholds",
    "eigenvalue_curve",
    "isotropic_curve",
    "linearised_map",
    "sign_pair_curve",
    "sign_pair_rate",
    "sign_product_g_out",
    "simulate_gamp",
    "staircase_curve",
    "staircase_second_threshold",
    "weak_recovery_threshold",
]

EQUATIONS = {
    "model": r"y \sim P(y \mid z),\quad z = W^{*\top} x/\sqrt{d} \in \mathbb{R}^p,"
             r"\quad \alpha = n/d",
    "state_evolution": r"\hat M = \alpha\, \mathbb{E}_{\xi} \sum_y Z\, g g^\top,\quad "
                       r"g = \nabla_\omega \ln Z(y; \omega, I - M),\quad "
                       r"M = \hat M (I + \hat M)^{-1}",
    "weak_recovery": r"F(M) = \mathbb{E}_y\big[G(y) M G(y)\big],\quad "
                     r"G(y) = \mathbb{E}[z z^\top \mid y] - I,\quad "
                     r"\alpha_c = 1/\lambda_{\max}(F)",
    "specialization": r"\alpha\, \kappa(q_u)\, \frac{\partial q_v}{\partial \hat q_v}\Big|_0 = 1,"
                      r"\quad \kappa = \mathbb{E} \sum_y Z\,"
                      r"\big(\mathbb{E}[z_v^2 \mid y, \omega] - 1\big)^2",
    "free_entropy": r"f = \psi(\hat M) + \alpha\, \mathbb{E} \sum_y Z \ln Z"
                    r" - \tfrac12 \mathrm{tr}(\hat M M)",
}

REFERENCES = (
    "B. Aubin, A. Maillard, J. Barbier, F. Krzakala, N. Macris and L. Zdeborová, The committee "
    "machine: computational to statistical gaps in learning a two-layers neural network, "
    "NeurIPS 2018, arXiv:1806.05451",
    "E. Troiani, Y. Dandi, L. Defilippis, L. Zdeborová, B. Loureiro and F. Krzakala, "
    "Fundamental limits of weak learnability in high-dimensional multi-index models, "
    "arXiv:2405.15480 (2024)",
    "D. B. Owen, Tables for computing bivariate normal probabilities, Ann. Math. Statist. 27, "
    "1075 (1956)",
    "S. Rangan, Generalized approximate message passing for estimation with random linear "
    "mixing, ISIT (2011), arXiv:1010.5141",
)

_TWO_OVER_PI = 2.0 / np.pi
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


# -- label distributions: P(y), E[z | y], E[z z^T | y] on a quadrature in y ---------------------
class _Labels(NamedTuple):
    """A target's label distribution as atoms or quadrature nodes: ``prob`` (n,) sums to 1,
    ``mean`` (n, p) = E[z | y], ``second`` (n, p, p) = E[z z^T | y]."""

    prob: np.ndarray
    mean: np.ndarray
    second: np.ndarray


@lru_cache(maxsize=32)
def _legendre_rule(n):
    x, w = special.roots_legendre(n)
    x.setflags(write=False)
    w.setflags(write=False)
    return x, w


def _legendre(lo, hi, n):
    """Gauss-Legendre nodes and weights on [lo, hi]."""
    x, w = _legendre_rule(n)
    return 0.5 * (hi - lo) * x + 0.5 * (hi + lo), 0.5 * (hi - lo) * w


def _sign_pattern_labels(p, label_of_signs) -> _Labels:
    """Targets that depend on z only through its signs sigma: given sigma, |z_i| are i.i.d.
    half-normal, so E[z | sigma] = sqrt(2/pi) sigma and E[z z^T | sigma] = I + (2/pi)
    (sigma sigma^T - I); labels group the 2^p equally likely patterns."""
    groups: dict = {}
    for sigma in product((-1.0, 1.0), repeat=p):
        groups.setdefault(label_of_signs(np.array(sigma)), []).append(np.array(sigma))
    prob, mean, second = [], [], []
    for patterns in groups.values():
        s = np.array(patterns)
        outer = np.einsum("ki,kj->ij", s, s) / len(s)
        prob.append(len(s) / 2.0**p)
        mean.append(np.sqrt(_TWO_OVER_PI) * s.mean(axis=0))
        second.append(np.eye(p) + _TWO_OVER_PI * (outer - np.eye(p)))
    return _Labels(np.array(prob), np.array(mean), np.array(second))


def _sum_of_squares_labels(p, nodes=200) -> _Labels:
    """y = |z|^2 ~ chi^2_p; by rotation invariance E[z z^T | y] = (y / p) I. Nodes in
    r = sqrt(y) (the chi density r^{p-1} e^{-r^2/2} is smooth there)."""
    r, w = _legendre(0.0, 14.0, nodes)
    log_density = ((p - 1) * np.log(r) - 0.5 * r * r - (0.5 * p - 1) * np.log(2.0)
                   - special.gammaln(0.5 * p))
    prob = w * np.exp(log_density)
    y = r * r
    return _Labels(prob / prob.sum(), np.zeros((r.size, p)),
                   (y / p)[:, None, None] * np.eye(p))


def _product_pair_moments(y):
    """For y = z1 z2: the density K_0(|y|)/pi and a(y) = E[z1^2 | y] = |y| K_1 / K_0, from
    int_0^inf exp(-(t^2 + y^2/t^2)/2) t^{k-1} dt (k = 0: K_0(|y|), k = 2: |y| K_1(|y|))."""
    y = np.abs(y)
    density = special.k0e(y) * np.exp(-y) / np.pi
    return density, y * special.k1e(y) / special.k0e(y)


def _product_pair_labels(nodes=400) -> _Labels:
    """y = z1 z2: E[z | y] = 0, E[z1^2 | y] = E[z2^2 | y] = a(y), E[z1 z2 | y] = y. Nodes in
    t = log|y| (the density has a log peak at 0 and decays like e^{-|y|})."""
    t, w = _legendre(-45.0, np.log(60.0), nodes)
    y_pos = np.exp(t)
    density, a = _product_pair_moments(y_pos)
    half = w * y_pos * density  # dy = y dt
    y = np.concatenate([y_pos, -y_pos])
    prob = np.concatenate([half, half])
    a = np.concatenate([a, a])
    second = np.empty((y.size, 2, 2))
    second[:, 0, 0] = second[:, 1, 1] = a
    second[:, 0, 1] = second[:, 1, 0] = y
    return _Labels(prob / prob.sum(), np.zeros((y.size, 2)), second)


def _product_triple_moments(y_abs, nodes=400):
    """For y = z1 z2 z3 (|y| = ``y_abs``): the density p(y) and E[z1^2 | y] (the same for
    every coordinate): p(y) = 2 int_0^inf phi(t) K_0(|y|/t) / (pi t) dt (z2 z3 = y / z1),
    and the same with t^2 inside; nodes in log t, K_0 exponentially scaled."""
    y_abs = np.asarray(y_abs, dtype=float)[..., None]
    # K_0(|y| / t) is negligible (< e^-50) for t < |y| e^-4: the range in log t starts there
    lo = np.log(y_abs) - 4.0
    hi = np.log(12.0)
    x_unit, w_unit = _legendre_rule(nodes)
    log_t = lo + 0.5 * (hi - lo) * (x_unit + 1.0)
    w = 0.5 * (hi - lo) * w_unit
    t = np.exp(log_t)
    x = y_abs / t
    # phi(t) K_0(x) / (pi t) * t (dt = t dlog t), in logs against underflow
    log_term = (-0.5 * t * t - _LOG_SQRT_2PI - x + np.log(special.k0e(x)) - np.log(np.pi))
    term = np.exp(log_term) * w
    density = 2.0 * term.sum(axis=-1)
    second = 2.0 * (term * t * t).sum(axis=-1)
    return density, second / density


def _product_triple_labels(nodes=300) -> _Labels:
    """y = z1 z2 z3: E[z | y] = 0 and E[z_i z_j | y] = 0 for i != j (flip two signs: y is
    unchanged, z_i z_j changes sign); E[z_i^2 | y] = a(y). Nodes in log|y|."""
    t, w = _legendre(-40.0, np.log(80.0), nodes)
    y_pos = np.exp(t)
    density, a = _product_triple_moments(y_pos)
    half = w * y_pos * density
    prob = np.concatenate([half, half])
    a = np.concatenate([a, a])
    return _Labels(prob / prob.sum(), np.zeros((a.size, 3)), a[:, None, None] * np.eye(3))


def _staircase_labels(nodes=200) -> _Labels:
    """y = z1^2 + s, s = sign(z2 z3) = +-1 with probability 1/2, independent of z1.

    E[z1^2 | y] = y - E[s | y], E[z2 z3 | y] = (2/pi) E[s | y] (given s, |z2|, |z3| are
    half-normal), E[z | y] and the other cross moments vanish. On y < 1 only s = -1 is
    possible (nodes y = r^2 - 1, r in (0, sqrt 2)); on y > 1 both (nodes y = 1 + r^2),
    with P(s = +1 | y) from the chi-square densities of z1^2 at y -+ 1."""
    def chi1(u):  # the chi^2_1 density times sqrt(2 pi), at u > 0
        return np.exp(-0.5 * u) / np.sqrt(u)

    r_lo, w_lo = _legendre(0.0, np.sqrt(2.0), nodes)
    r_hi, w_hi = _legendre(0.0, 14.0, nodes)
    # y < 1: y + 1 = r^2, density (1/2) chi1(r^2) dy with dy = 2 r dr
    y_lo = r_lo * r_lo - 1.0
    p_lo = 0.5 * chi1(r_lo * r_lo) * 2.0 * r_lo * w_lo
    mean_s_lo = -np.ones_like(y_lo)
    # y > 1: y - 1 = r^2 (s = +1) or y + 1 = r^2 + 2 (s = -1)
    y_hi = 1.0 + r_hi * r_hi
    plus, minus = chi1(r_hi * r_hi) * r_hi, chi1(r_hi * r_hi + 2.0) * r_hi  # times r: finite
    p_hi = 0.5 * (plus + minus) * 2.0 * w_hi
    mean_s_hi = (plus - minus) / (plus + minus)
    y = np.concatenate([y_lo, y_hi])
    prob = np.concatenate([p_lo, p_hi]) / np.sqrt(2.0 * np.pi)
    mean_s = np.concatenate([mean_s_lo, mean_s_hi])
    second = np.zeros((y.size, 3, 3))
    second[:, 0, 0] = y - mean_s
    second[:, 1, 1] = second[:, 2, 2] = 1.0
    second[:, 1, 2] = second[:, 2, 1] = _TWO_OVER_PI * mean_s
    return _Labels(prob / prob.sum(), np.zeros((y.size, 3)), second)


class _Target(NamedTuple):
    p: int
    latex: str
    labels: object  # () -> _Labels


TARGETS = {
    "z^2": _Target(1, r"y = z^2", lambda: _sum_of_squares_labels(1)),
    "z1^2+z2^2": _Target(2, r"y = z_1^2 + z_2^2", lambda: _sum_of_squares_labels(2)),
    "z1^2+z2^2+z3^2": _Target(3, r"y = z_1^2 + z_2^2 + z_3^2",
                              lambda: _sum_of_squares_labels(3)),
    "z1*z2": _Target(2, r"y = z_1 z_2", _product_pair_labels),
    "sign(z1*z2)": _Target(2, r"y = \mathrm{sign}(z_1 z_2)",
                           lambda: _sign_pattern_labels(2, lambda s: s[0] * s[1])),
    "z1*z2*z3": _Target(3, r"y = z_1 z_2 z_3", _product_triple_labels),
    "sign(z1*z2*z3)": _Target(3, r"y = \mathrm{sign}(z_1 z_2 z_3)",
                              lambda: _sign_pattern_labels(3, lambda s: s[0] * s[1] * s[2])),
    "z1^2+sign(z2*z3)": _Target(3, r"y = z_1^2 + \mathrm{sign}(z_2 z_3)", _staircase_labels),
    "committee": _Target(2, r"y = \mathrm{sign}(z_1) + \mathrm{sign}(z_2)",
                         lambda: _sign_pattern_labels(2, lambda s: s[0] + s[1])),
}


def _check_target(target: str) -> _Target:
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; expected one of {list(TARGETS)}")
    return TARGETS[target]


@lru_cache(maxsize=16)
def _labels(target: str) -> _Labels:
    labels = _check_target(target).labels()
    for array in labels:
        array.setflags(write=False)
    return labels


# -- the linearised map F on symmetric matrices ---------------------------------------------------
def _symmetric_basis(p):
    """An orthonormal basis (Frobenius) of symmetric p x p matrices: (k, p, p)."""
    basis = []
    for i in range(p):
        for j in range(i, p):
            b = np.zeros((p, p))
            b[i, j] = b[j, i] = 1.0 if i == j else 1.0 / np.sqrt(2.0)
            basis.append(b)
    return np.array(basis)


def linearised_map(target: str) -> tuple[np.ndarray, np.ndarray]:
    """F(M) = E_y[G M G] as a symmetric matrix on an orthonormal basis of symmetric p x p
    matrices; returns (F, basis) with basis of shape (k, p, p), k = p (p + 1) / 2."""
    labels = _labels(target)
    p = _check_target(target).p
    G = labels.second - np.eye(p)
    basis = _symmetric_basis(p)
    # F_ab = sum_y P(y) tr(B_a G B_b G)
    GBG = np.einsum("nij,bjk,nkl->nbil", G, basis, G)
    F = np.einsum("n,aij,nbji->ab", labels.prob, basis, GBG)
    return 0.5 * (F + F.T), basis


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeakRecovery(Result):
    """The weak-recovery classification of a target at M = 0.

    ``classification``: ``"trivial"`` (E[z | y] != 0: some direction is learned at any
    alpha > 0), ``"easy"`` (alpha_c = 1/lambda_max(F) finite) or ``"hard"`` (F = 0: never
    from M = 0). ``alpha_c``: 0, 1/lambda_max(F) or inf. ``trivial_subspace``: orthonormal
    rows spanning span{E[z | y]} (possibly none). ``spectrum`` (descending) and ``modes``
    (the eigen-matrices, (k, p, p)): F on the symmetric matrices. ``directions`` (orthonormal
    rows) with ``direction_thresholds``: the alpha at which each direction starts to be
    learned (a staircase learns some only after others; inf: never).
    """

    target: str
    p: int
    classification: str
    alpha_c: float
    trivial_subspace: np.ndarray
    spectrum: np.ndarray
    modes: np.ndarray
    directions: np.ndarray
    direction_thresholds: np.ndarray
    status: Status


#: below this an eigenvalue of F or of E[E[z|y] E[z|y]^T] is zero (quadrature error ~1e-13)
_ZERO = 1e-10


def weak_recovery_threshold(target: str) -> WeakRecovery:
    """Trivial / easy / hard at M = 0, alpha_c = 1/lambda_max(F), and each direction's
    threshold (see the module docstring; staircase and committee use their second step)."""
    spec = _check_target(target)
    p = spec.p
    labels = _labels(target)
    trivial_matrix = np.einsum("n,ni,nj->ij", labels.prob, labels.mean, labels.mean)
    t_values, t_vectors = np.linalg.eigh(trivial_matrix)
    trivial = t_vectors[:, t_values > _ZERO].T
    F, basis = linearised_map(target)
    values, vectors = np.linalg.eigh(F)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    modes = np.einsum("ka,kij->aij", vectors, basis)
    lam = float(values[0])
    status = Status.CONVERGED
    if trivial.shape[0]:
        classification, alpha_c = "trivial", 0.0
    elif lam > _ZERO:
        classification, alpha_c = "easy", 1.0 / lam
    else:
        classification, alpha_c = "hard", np.inf
    directions, thresholds = _direction_thresholds(target, classification, alpha_c,
                                                   values, modes, trivial)
    if not np.all(np.isfinite(thresholds) | np.isposinf(thresholds)):
        status = Status.NOT_CONVERGED
    return WeakRecovery(target=target, p=p, classification=classification, alpha_c=alpha_c,
                        trivial_subspace=trivial, spectrum=values, modes=modes,
                        directions=directions, direction_thresholds=thresholds,
                        status=status)


def _direction_thresholds(target, classification, alpha_c, values, modes, trivial):
    p = modes.shape[-1]
    if target == "z1^2+sign(z2*z3)":
        second = staircase_second_threshold()
        return np.eye(3), np.array([alpha_c, second.alpha, second.alpha])
    if target == "committee":
        u = np.array([1.0, 1.0]) / np.sqrt(2.0)
        v = np.array([1.0, -1.0]) / np.sqrt(2.0)
        spec = committee_thresholds("gaussian").specialization
        return np.array([u, v]), np.array([0.0, spec])
    if classification == "hard":
        return np.eye(p), np.full(p, np.inf)
    if classification == "trivial":  # not reached by the named targets
        return np.eye(p), np.full(p, np.nan)
    # easy: the directions spanned by the leading eigen-matrices are learned at alpha_c
    leading = modes[np.abs(values - values[0]) <= 1e-9 * values[0]]
    span = np.einsum("aij,akj->ik", leading, leading)
    w, vecs = np.linalg.eigh(span)
    learned = w > _ZERO * max(w.max(), 1.0)
    directions = np.concatenate([vecs[:, learned].T, vecs[:, ~learned].T])
    thresholds = np.concatenate([np.full(learned.sum(), alpha_c),
                                 np.full((~learned).sum(), np.nan)])
    return directions, thresholds


# -- the staircase's second step ------------------------------------------------------------------
def _staircase_first_direction(m, nodes=120):
    """State evolution of y = z1^2 + s along z1 with the (z2, z3) block at zero:
    R1(m) = E[g^2] (so m_hat = alpha R1(m)) and lambda_perp(m) = (2/pi)^2 E[E[s | y, omega]^2],
    vectorised over m in (0, 1).

    Teacher variables: z1 ~ N(0, 1), omega = m z1 + sqrt(m (1 - m)) zeta, V = 1 - m, y = z1^2 + s.
    The posterior over s' given (y, omega) weighs the density of z1^2 at y - s' under
    z1 ~ N(omega, V): f = [N(r; omega, V) + N(-r; omega, V)] / 2r, r = sqrt(y - s'), whose
    omega-score is (r tanh(r omega / V) - omega) / V. Folded to z1 > 0 (the integrand is even
    under (z1, zeta) -> -(z1, zeta)); for s = -1 the second branch opens at z1 = sqrt 2, where
    the nodes switch to z1 = sqrt(2 + w^2)."""
    from ._gauss import normal_rule

    m = np.asarray(m, dtype=float)[..., None, None]
    V = 1.0 - m
    zeta, w_zeta = normal_rule(121)
    # (z1 nodes, weights, s)
    z_a, w_a = _legendre(0.0, 14.0, nodes)
    z_b, w_b = _legendre(0.0, np.sqrt(2.0), nodes // 2)
    w_nodes, w_w = _legendre(0.0, 14.0, nodes)
    z_c = np.sqrt(2.0 + w_nodes**2)
    w_c = w_w * w_nodes / z_c
    panels = [(z_a, w_a, 1.0), (z_b, w_b, -1.0), (z_c, w_c, -1.0)]
    R1 = 0.0
    mean_s_sq = 0.0
    for z1, weight, s in panels:
        z1c = z1[:, None]
        omega = m * z1c + np.sqrt(m * V) * zeta
        y = z1c * z1c + s
        log_f, score = [], []
        for s_prime in (1.0, -1.0):
            t = y - s_prime
            valid = t > 0
            r = np.sqrt(np.where(valid, t, 1.0))
            lf = (np.logaddexp(-(r - omega) ** 2 / (2 * V), -(r + omega) ** 2 / (2 * V))
                  - np.log(2.0 * r))
            log_f.append(np.where(valid, lf, -np.inf))
            score.append((r * np.tanh(r * omega / V) - omega) / V)
        norm = np.logaddexp(log_f[0], log_f[1])
        p_plus = np.exp(log_f[0] - norm)
        g = p_plus * score[0] + (1.0 - p_plus) * score[1]
        mean_s = 2.0 * p_plus - 1.0
        outer = 2.0 * 0.5 * weight * np.exp(-0.5 * z1 * z1 - _LOG_SQRT_2PI)  # fold x P(s)
        R1 = R1 + np.einsum("i,...ij,j->...", outer, g * g, w_zeta)
        mean_s_sq = mean_s_sq + np.einsum("i,...ij,j->...", outer, mean_s**2, w_zeta)
    return R1, _TWO_OVER_PI**2 * mean_s_sq


@dataclass(frozen=True)
class StaircaseStep(Result):
    """The staircase y = z1^2 + sign(z2 z3) along the uninformed (GAMP) branch.

    ``first_alpha`` = 1/lambda_1: z1 starts to be learned (m1 -> 0); ``jump_alpha``: the
    branch's spinodal, where m1 jumps to exact recovery (the first direction's
    algorithmic threshold; exact recovery is a fixed point from ``perfect_alpha`` = 1 on);
    ``alpha``: where the (z2, z3) block starts to be learned, at the overlap ``m1`` of the
    first direction there (1: only after z1 is recovered exactly)."""

    alpha: float
    m1: float
    first_alpha: float
    jump_alpha: float
    perfect_alpha: float
    status: Status


#: y = z1^2 + s is noiseless with a continuous part in z1: exact recovery of z1 is a fixed
#: point above alpha = d(prior) / d(output) = 1 (information dimensions, as for the GLMs)
_STAIRCASE_PERFECT_ALPHA = 1.0


def _staircase_branch(m):
    R1, lam = _staircase_first_direction(m)
    return m / ((1.0 - m) * R1), lam


@lru_cache(maxsize=1)
def staircase_second_threshold() -> StaircaseStep:
    """The fixed points of the first direction lie on alpha(m1) = m1 / ((1 - m1) R1(m1))
    (Gaussian weights: m_hat = m / (1 - m)); it rises from 1/lambda_1 at m1 -> 0 to a
    maximum (the spinodal, where GAMP jumps to m1 = 1), then falls to 1 as m1 -> 1. The
    (z2, z3) block is unstable where alpha lambda_perp(m1) > 1: the first such point on the
    rising part if any; else from exact recovery of z1 on, where s = y - z1^2 is read off
    exactly and lambda_perp = 4/pi^2 (the threshold of sign(z2 z3)):
    alpha_2 = max(jump, pi^2/4)."""
    grid = np.concatenate([np.geomspace(1e-6, 0.5, 40), 1.0 - np.geomspace(0.48, 1e-5, 40)])
    alphas, lam = _staircase_branch(grid)
    first_alpha = float(alphas[0])
    perfect = _STAIRCASE_PERFECT_ALPHA
    i_top = int(np.argmax(alphas))
    if not (0 < i_top < grid.size - 1 and np.all(np.diff(alphas[:i_top + 1]) > 0)):
        return StaircaseStep(np.nan, np.nan, first_alpha, np.nan, perfect,
                             Status.NOT_CONVERGED)
    top = optimize.minimize_scalar(lambda m: -float(_staircase_branch(m)[0]),
                                   bounds=(grid[i_top - 1], grid[i_top + 1]),
                                   method="bounded", options={"xatol": 1e-10})
    jump = float(-top.fun)
    status = Status.CONVERGED if top.success else Status.NOT_CONVERGED
    excess = alphas[:i_top + 1] * lam[:i_top + 1] - 1.0
    if np.all(excess < 0):
        return StaircaseStep(max(jump, np.pi**2 / 4.0), 1.0, first_alpha, jump, perfect,
                             status)
    i = int(np.argmax(excess > 0))
    if i == 0:
        return StaircaseStep(first_alpha, 0.0, first_alpha, jump, perfect, status)

    def crossing(m):
        a, lm = _staircase_branch(m)
        return float(a * lm - 1.0)

    root, info = optimize.brentq(crossing, grid[i - 1], grid[i], xtol=1e-13, full_output=True)
    return StaircaseStep(float(_staircase_branch(root)[0]), float(root), first_alpha, jump,
                         perfect, status if info.converged else Status.NOT_CONVERGED)


# -- the committee machine y = sign(z1) + sign(z2), in the basis u = (z1 + z2)/sqrt 2,
# v = (z1 - z2)/sqrt 2 -----------------------------------------------------------------------------
# The exchange z1 <-> z2 (v -> -v) leaves the model invariant, so M stays diagonal in (u, v):
# M = diag(q_u, q_v). y = 2 iff z_u > |z_v|, y = -2 iff z_u < -|z_v|, y = 0 iff |z_u| < |z_v|.
#
# Non-specialised states (q_v = 0): z_v ~ N(0, 1) and z_u ~ N(omega, sigma^2), omega =
# sqrt(q_u) xi, sigma^2 = 1 - q_u. With s = sqrt(1 + sigma^2), h = omega / s and Owen's T:
#   Z(2) = Phi(h) - 2 T(h, 1/sigma),  Z(-2) = Phi(-h) - 2 T(h, 1/sigma),  Z(0) = 4 T(h, 1/sigma)
# (bivariate orthants of (z_u - z_v, z_u + z_v), whose correlation gives the slope 1/sigma;
# Z(0) directly, not 1 - the others), and their omega-derivatives
#   2 phi(h) Phi(omega / (sigma s)) / s,  -2 phi(h) Phi(-omega / (sigma s)) / s,
#   -2 phi(h) erf(omega / (sqrt 2 sigma s)) / s.
#: below this a label probability is treated as zero: its terms (Z g^2 <= Z h^2 / sigma^2)
#: are negligible there, and Owen's formula has lost its relative precision
_Z_FLOOR = 1e-12
_COMMITTEE_PRIORS = ("gaussian", "binary")


def _check_weights(weights: str) -> str:
    if weights not in _COMMITTEE_PRIORS:
        raise ValueError(f"weights must be one of {_COMMITTEE_PRIORS}, got {weights!r}")
    return weights


def _phi(x):
    return np.exp(-0.5 * x * x - _LOG_SQRT_2PI)


def _committee_u_labels(q_u, xi):
    """Z(y) and dZ/d omega_u for y = 2, -2, 0 at q_v = 0: arrays (3, ...) over q_u x xi."""
    q_u = np.asarray(q_u, dtype=float)[..., None]
    sigma = np.sqrt(np.maximum(1.0 - q_u, 1e-300))
    s = np.sqrt(2.0 - q_u)
    omega = np.sqrt(q_u) * xi
    h = omega / s
    T = special.owens_t(h, 1.0 / sigma)
    Z = np.stack([special.ndtr(h) - 2.0 * T, special.ndtr(-h) - 2.0 * T, 4.0 * T])
    edge = omega / (sigma * s)
    front = 2.0 * _phi(h) / s
    dZ = np.stack([front * special.ndtr(edge), -front * special.ndtr(-edge),
                   -front * special.erf(edge / np.sqrt(2.0))])
    return Z, dZ, omega, sigma


def _u_rule(q_u, n=121):
    """Nodes in xi resolving the features of width sigma / sqrt(q_u) at omega = 0."""
    q_u = np.asarray(q_u, dtype=float)
    from ._gauss import scaled_normal_rule

    return scaled_normal_rule(np.sqrt(np.maximum(1.0 - q_u, 1e-12) / np.maximum(q_u, 1e-12)),
                              n=n)


def _masked_ratio(num, Z):
    safe = Z > _Z_FLOOR
    return np.where(safe, num / np.where(safe, Z, 1.0), 0.0)


def committee_output_u(q_u):
    """At q_v = 0: R_u(q_u) = E sum_y (dZ/d omega_u)^2 / Z (so q_hat_u = alpha R_u) and
    Psi_out(q_u) = E sum_y Z ln Z, vectorised over q_u in [0, 1)."""
    xi, w = _u_rule(q_u)
    Z, dZ, _, _ = _committee_u_labels(q_u, xi)
    R = np.sum(w * np.sum(_masked_ratio(dZ * dZ, Z), axis=0), axis=-1)
    logs = np.where(Z > 0, Z * np.log(np.where(Z > 0, Z, 1.0)), 0.0)
    return R, np.sum(w * np.sum(logs, axis=0), axis=-1)


def _second_moment_excess(omega, sigma):
    """E[(z_v^2 - 1) 1{y = 2}] at q_v = 0, in closed form: with h(v) = P(y = 2 | z_v = v) =
    Phi((omega - |v|) / sigma), Stein's identity twice gives E[z_v^2 h] - E[h] = E[h''];
    h'' has a point mass -2 phi(omega/sigma) / sigma at v = 0 and a smooth part whose
    Gaussian expectation is a Gaussian product integral (s^2 = 1 + sigma^2,
    mu = omega / s^2, tau = sigma / s)."""
    s = np.sqrt(1.0 + sigma * sigma)
    mu, tau = omega / (s * s), sigma / s
    smooth = (2.0 * _phi(omega / s) / (s * sigma * sigma)
              * ((mu - omega) * special.ndtr(mu / tau) + tau * _phi(mu / tau)))
    return smooth - 2.0 * _phi(0.0) * _phi(omega / sigma) / sigma


def committee_specialisation_rate(q_u):
    """kappa(q_u) = E_xi sum_y Z G_vv^2 with G_vv = E[z_v^2 | y, omega] - 1 at q_v = 0: the
    linearisation R_v = kappa(q_u) q_v + o(q_v) of the v-direction's information.
    Z G_vv = E[(z_v^2 - 1) 1{y}] in closed form for y = +-2 (``_second_moment_excess``, at
    omega and -omega) and for y = 0 as minus their sum (the three excesses add up to
    E[z_v^2 - 1] = 0)."""
    xi, w = _u_rule(q_u)
    Z, _, omega, sigma = _committee_u_labels(q_u, xi)
    plus = _second_moment_excess(omega, sigma)
    minus = _second_moment_excess(-omega, sigma)
    excess = np.stack([plus, minus, -(plus + minus)])
    return np.sum(w * np.sum(_masked_ratio(excess * excess, Z), axis=0), axis=-1)


def _binary_u_states(q_hat, n=301):
    """+-1 weights at q_hat_v = 0: the u-field B_u = q_hat u0 + sqrt(q_hat) xi for u0 = sqrt 2
    (probability 1/4; u0 = -sqrt 2 is its mirror image) and u0 = 0 (1/2); returns the
    quadrature (x = sqrt 2 B_u of both cases stacked, weights summing to 1)."""
    from ._gauss import scaled_normal_rule

    q_hat = np.asarray(q_hat, dtype=float)[..., None]
    xi, w = scaled_normal_rule(1.0 / np.sqrt(np.maximum(q_hat[..., 0], 1.0)), n=n)
    x_on = np.sqrt(2.0) * (q_hat * np.sqrt(2.0) + np.sqrt(q_hat) * xi)
    x_off = np.sqrt(2.0) * np.sqrt(q_hat) * xi
    return np.concatenate([x_on, x_off], axis=-1), 0.5 * np.concatenate([w, w], axis=-1)


def _log_cosh(x):
    x = np.abs(x)
    return x + np.log1p(np.exp(-2.0 * x)) - np.log(2.0)


def committee_prior_u(q_hat, weights: str):
    """The prior's side at q_hat_v = 0: q_u(q_hat_u), the slope dq_v/dq_hat_v at q_hat_v = 0,
    and psi(q_hat_u) (psi(0) = 0, psi' = q / 2), vectorised.

    Gaussian: q = q_hat / (1 + q_hat), slope 1, psi = (q_hat - ln(1 + q_hat)) / 2.
    +-1 weights (u, v) in {(+-sqrt 2, 0), (0, +-sqrt 2)}: with x = sqrt 2 B_u,
    <u> = sqrt 2 sinh x / (cosh x + e^{q_hat}), psi = E ln[(e^{-q_hat} cosh x + 1) / 2], and
    <v> = 2 B_v / (1 + e^{-q_hat} cosh x) + O(B_v^2) gives the slope 4 E[(1 + e^{-q_hat}
    cosh x)^{-2}] (1 at q_hat = 0, where M = M_hat)."""
    weights = _check_weights(weights)
    q_hat = np.asarray(q_hat, dtype=float)
    if weights == "gaussian":
        return q_hat / (1.0 + q_hat), np.ones_like(q_hat), 0.5 * (q_hat - np.log1p(q_hat))
    x, w = _binary_u_states(q_hat)
    log_cosh = _log_cosh(x)
    gap = log_cosh - q_hat[..., None]  # ln(e^{-q_hat} cosh x)
    # <u> / sqrt 2 = tanh-like ratio, written without overflow
    e2 = np.exp(-2.0 * np.abs(x))
    mean_u = np.sign(x) * (1.0 - e2) / (1.0 + e2 + 2.0 * np.exp(np.minimum(
        q_hat[..., None] - np.abs(x) + np.log(1.0), 700.0)))
    q = 2.0 * np.sum(w * mean_u**2, axis=-1)
    slope = 4.0 * np.sum(w * special.expit(-gap) ** 2, axis=-1)
    psi = np.sum(w * np.logaddexp(gap, 0.0), axis=-1) - np.log(2.0)
    return q, slope, psi


# -- the non-specialised branch and the thresholds ----------------------------------------------
#: the branch is traced through q_hat_u (alpha = q_hat_u / R_u(q_u(q_hat_u)) rises with it)
_BRANCH_Q_HAT = np.geomspace(1e-5, 1e3, 200)
_Q_MAX = 1.0 - 1e-9  # beyond, the non-specialised state is numerically exact in u


class _Branch(NamedTuple):
    q_hat: np.ndarray
    q_u: np.ndarray
    alpha: np.ndarray
    stability: np.ndarray  # alpha kappa(q_u) dq_v/dq_hat_v: q_v = 0 unstable above 1
    free_entropy: np.ndarray


def _branch_at(q_hat, weights):
    q_u, slope, psi = committee_prior_u(q_hat, weights)
    q_u = np.minimum(q_u, _Q_MAX)
    R, psi_out = committee_output_u(q_u)
    alpha = q_hat / R
    stability = alpha * committee_specialisation_rate(q_u) * slope
    return _Branch(q_hat, q_u, alpha, stability, psi + alpha * psi_out - 0.5 * q_hat * q_u)


@lru_cache(maxsize=2)
def _non_specialised_branch(weights: str) -> _Branch:
    branch = _branch_at(_BRANCH_Q_HAT, weights)
    for array in branch:
        array.setflags(write=False)
    return branch


class _SpecialisedBranch(NamedTuple):
    """Fixed points with q_v > 0, traced through t = q_hat_v: at each t, q_hat_u solves
    q_hat_u / R_u(q) = t / R_v(q) (both equal alpha), q = prior(q_hat_u, t). ``stable``:
    the part up to the largest alpha (the spinodal), which GAMP follows."""

    t: np.ndarray
    q_hat_u: np.ndarray
    q_u: np.ndarray
    q_v: np.ndarray
    alpha: np.ndarray
    free_entropy: np.ndarray
    stable: np.ndarray
    status: Status


def _alpha_gap(log_q_hat_u, t, weights):
    """log(q_hat_u / R_u) - log(t / R_v) at (q_hat_u, t) and alpha = t / R_v there."""
    q_u, q_v, _ = committee_prior(np.exp(log_q_hat_u), t, weights)
    R_u, R_v, _ = committee_output(np.minimum(q_u, 1.0 - 1e-13), np.minimum(q_v, 1.0 - 1e-13))
    return float(log_q_hat_u + np.log(R_v) - np.log(t * R_u)), float(t / R_v)


def _solve_on_branch(t, guess, weights):
    """q_hat_u on the specialised branch at t = q_hat_v, bracketed around ``guess`` (log)."""
    width = 0.25
    lo, hi = guess - width, guess + width
    f_lo, f_hi = _alpha_gap(lo, t, weights)[0], _alpha_gap(hi, t, weights)[0]
    while f_lo * f_hi > 0 and width < 8:
        width *= 2
        lo, hi = guess - width, guess + width
        f_lo, f_hi = _alpha_gap(lo, t, weights)[0], _alpha_gap(hi, t, weights)[0]
    if f_lo * f_hi > 0:
        return np.nan, False
    root, info = optimize.brentq(lambda x: _alpha_gap(x, t, weights)[0], lo, hi, xtol=1e-12,
                                 full_output=True)
    return root, info.converged


@lru_cache(maxsize=2)
def _specialised_branch(weights: str) -> _SpecialisedBranch:
    """Traced from the bifurcation (t -> 0 at the non-specialised q_hat_u of alpha_spec)
    by continuation in t, up to alpha = MAX_ALPHA (Gaussian weights) or until the branch,
    past its spinodal, falls back below alpha_spec (+-1 weights: towards exact recovery)."""
    spec_alpha, _, spec_q_hat_u, _ = _specialisation_point(weights)
    guess = np.log(spec_q_hat_u)
    rows, ok = [], True
    for t in np.geomspace(1e-5, 1e3, 161):
        guess, converged = _solve_on_branch(t, guess, weights)
        if not np.isfinite(guess):
            ok = False
            break
        ok &= converged
        alpha = _alpha_gap(guess, t, weights)[1]
        q_u, q_v, _ = committee_prior(np.exp(guess), t, weights)
        rows.append((t, np.exp(guess), float(q_u), float(q_v), alpha))
        if alpha > MAX_ALPHA or (alpha < spec_alpha and t > 1.0):
            break
    t, q_hat_u, q_u, q_v, alpha = (np.array(c) for c in zip(*rows, strict=True))
    top = int(np.argmax(alpha))
    stable = np.arange(alpha.size) <= top
    f = committee_free_entropy(alpha, q_u, q_v, weights)[0]
    branch = _SpecialisedBranch(t, q_hat_u, q_u, q_v, alpha, f, stable,
                                Status.CONVERGED if ok else Status.NOT_CONVERGED)
    for array in branch[:-1]:
        array.setflags(write=False)
    return branch


def _spinodal(weights):
    """The largest alpha on the specialised branch (+-1 weights: where GAMP jumps to exact
    recovery), refined by bounded minimisation in log t between the neighbouring points."""
    branch = _specialised_branch(weights)
    top = int(np.argmax(branch.alpha))
    if top in (0, branch.alpha.size - 1):
        return np.nan, Status.OUT_OF_RANGE
    guesses = np.log(branch.q_hat_u)

    def minus_alpha(log_t):
        root, _ = _solve_on_branch(np.exp(log_t), guesses[top], weights)
        return -_alpha_gap(root, np.exp(log_t), weights)[1]

    res = optimize.minimize_scalar(minus_alpha, bounds=(np.log(branch.t[top - 1]),
                                                        np.log(branch.t[top + 1])),
                                   method="bounded", options={"xatol": 1e-9})
    return float(-res.fun), Status.CONVERGED if res.success else Status.NOT_CONVERGED


@dataclass(frozen=True)
class CommitteeThresholds(Result):
    """Thresholds in alpha of the K = 2 sign committee.

    ``specialization``: where the non-specialised fixed point (q_v = 0) becomes linearly
    unstable (alpha kappa(q_u) dq_v/dq_hat_v = 1), with ``q_u`` and ``q_hat_u`` there; the
    specialised branch grows continuously from it (for both priors).
    Gaussian weights: no exact recovery, no hard phase; ``information_theoretic`` and
    ``algorithmic`` equal ``specialization``.
    +-1 weights: ``information_theoretic`` where exact recovery (free entropy -2 ln 2)
    overtakes the non-specialised state; ``algorithmic`` the spinodal of the specialised
    branch, where GAMP jumps to exact recovery; the hard phase lies between them.
    ``perfect_free_entropy``: -2 ln 2 (+-1 weights), NaN (Gaussian).
    """

    weights: str
    specialization: float
    q_u: float
    q_hat_u: float
    information_theoretic: float
    algorithmic: float
    perfect_free_entropy: float
    status: Status

    @property
    def hard_phase(self) -> tuple[float, float]:
        """(alpha_IT, alpha_alg): exact recovery is optimal but GAMP does not reach it."""
        return (self.information_theoretic, self.algorithmic)


def _first_crossing(q_hat, data, evaluate, target_value):
    """The q_hat_u where ``evaluate(q_hat_u)`` (tabulated as ``data``) first rises above
    ``target_value``, refined by Brent's method in log q_hat_u."""
    above = np.flatnonzero(data > target_value)
    if above.size == 0 or above[0] == 0:
        return np.nan, Status.OUT_OF_RANGE
    i = int(above[0])
    root, info = optimize.brentq(lambda x: float(evaluate(np.exp(x))) - target_value,
                                 np.log(q_hat[i - 1]), np.log(q_hat[i]), xtol=1e-12,
                                 full_output=True)
    return float(np.exp(root)), Status.CONVERGED if info.converged else Status.NOT_CONVERGED


@lru_cache(maxsize=2)
def _specialisation_point(weights: str):
    """(alpha_spec, q_u, q_hat_u, status) by linear stability along the non-specialised
    branch."""
    branch = _non_specialised_branch(weights)
    if not np.all(np.diff(branch.alpha) > 0):
        return np.nan, np.nan, np.nan, Status.NOT_CONVERGED
    q_hat, status = _first_crossing(
        branch.q_hat, branch.stability,
        lambda x: _branch_at(np.array(x), weights).stability, 1.0)
    point = _branch_at(np.array(q_hat), weights)
    return float(point.alpha), float(point.q_u), q_hat, status


@lru_cache(maxsize=2)
def committee_thresholds(weights: str = "gaussian") -> CommitteeThresholds:
    """Specialisation by linear stability of q_v = 0 along the non-specialised branch; for
    +-1 weights the free-entropy crossing with exact recovery and the specialised
    branch's spinodal."""
    weights = _check_weights(weights)
    spec, q_u, q_hat_u, status = _specialisation_point(weights)
    if weights == "gaussian" or not np.isfinite(spec):
        return CommitteeThresholds(weights, spec, q_u, q_hat_u, spec, spec, np.nan, status)
    perfect = -2.0 * np.log(2.0)
    branch = _non_specialised_branch(weights)
    # the branch's free entropy falls with alpha: where -f first exceeds 2 ln 2
    q_hat_it, status_it = _first_crossing(
        branch.q_hat, -branch.free_entropy,
        lambda x: -_branch_at(np.array(x), weights).free_entropy, -perfect)
    alpha_it = float(_branch_at(np.array(q_hat_it), weights).alpha)
    if not alpha_it < spec:
        # the crossing would have to be with the specialised branch: not found here
        status_it = Status.OUT_OF_RANGE
    alpha_alg, status_alg = _spinodal(weights)
    return CommitteeThresholds(weights, spec, q_u, q_hat_u, alpha_it, alpha_alg, perfect,
                               Status(str(worst(status, status_it, status_alg))))


# -- general (q_u, q_v): the full state evolution of the committee ------------------------------
def _bivariate_cdf(h, k, rho):
    """Phi_2(h, k; rho) = P(X <= h, Y <= k) for standard normals of correlation rho, by Owen's
    T function (Owen 1956): 1/2 [Phi(h) + Phi(k)] - T(h, a_h) - T(k, a_k) - beta."""
    r = np.sqrt(1.0 - rho * rho)
    h = np.where(h == 0.0, 1e-12, h)
    k = np.where(k == 0.0, 1e-12, k)
    beta = np.where(h * k > 0, 0.0, 0.5)
    return (0.5 * (special.ndtr(h) + special.ndtr(k))
            - special.owens_t(h, (k - rho * h) / (h * r))
            - special.owens_t(k, (h - rho * k) / (k * r)) - beta)


def _committee_labels(q_u, q_v, xi_u, xi_v):
    """Z(y) and its gradient in (omega_u, omega_v) for y = 2, -2, 0, at overlaps (q_u, q_v)
    (shape (...)) and nodes xi_u, xi_v (broadcast against (..., nodes)). In the original
    coordinates z1 = (z_u + z_v)/sqrt 2, z2 = (z_u - z_v)/sqrt 2 the labels are orthants of
    a bivariate normal of means m, variance s^2 = (sigma_u^2 + sigma_v^2)/2 and correlation
    rho = (sigma_u^2 - sigma_v^2) / (sigma_u^2 + sigma_v^2); Z(0) is the sum of its own two
    orthants. Returns Z (3, ...) and dZ (3, 2, ...) (u then v)."""
    var_u = np.maximum(1.0 - q_u, 1e-15)[..., None]
    var_v = np.maximum(1.0 - q_v, 1e-15)[..., None]
    omega_u = np.sqrt(q_u)[..., None] * xi_u
    omega_v = np.sqrt(q_v)[..., None] * xi_v
    s = np.sqrt(0.5 * (var_u + var_v))
    rho = np.clip((var_u - var_v) / (var_u + var_v), -1 + 1e-12, 1 - 1e-12)
    r = np.sqrt(1.0 - rho * rho)
    h1 = (omega_u + omega_v) / (np.sqrt(2.0) * s)
    h2 = (omega_u - omega_v) / (np.sqrt(2.0) * s)
    Z = np.stack([_bivariate_cdf(h1, h2, rho), _bivariate_cdf(-h1, -h2, rho),
                  _bivariate_cdf(h1, -h2, -rho) + _bivariate_cdf(-h1, h2, -rho)])
    phi1, phi2 = _phi(h1) / s, _phi(h2) / s
    A1 = (h2 - rho * h1) / r  # the conditional edges of the two orthant derivatives
    A2 = (h1 - rho * h2) / r
    d1 = np.stack([phi1 * special.ndtr(A1), -phi1 * special.ndtr(-A1),
                   phi1 * (special.ndtr(-A1) - special.ndtr(A1))])
    d2 = np.stack([phi2 * special.ndtr(A2), -phi2 * special.ndtr(-A2),
                   phi2 * (special.ndtr(-A2) - special.ndtr(A2))])
    dZ = np.stack([d1 + d2, d1 - d2], axis=1) / np.sqrt(2.0)
    return Z, dZ


_SE_NODES = 41


@lru_cache(maxsize=4)
def _tensor_rule(n):
    """A tensor Gaussian rule folded onto xi_u, xi_v >= 0: the sums over y are even in each
    of xi_u (with y -> -y, z -> -z) and xi_v (z_v -> -z_v leaves y unchanged)."""
    from ._gauss import normal_rule

    x, w = normal_rule(n)
    half = x >= 0
    x, w = x[half], np.where(x[half] > 0, 2.0 * w[half], w[half])
    xi_u, xi_v = np.meshgrid(x, x, indexing="ij")
    return xi_u.ravel(), xi_v.ravel(), np.outer(w, w).ravel()


def committee_output(q_u, q_v, nodes: int = _SE_NODES):
    """R_u, R_v (q_hat = alpha (R_u, R_v)) and Psi_out = E sum_y Z ln Z at overlaps
    (q_u, q_v), vectorised (a tensor Gaussian rule in (xi_u, xi_v))."""
    q_u, q_v = np.broadcast_arrays(np.asarray(q_u, dtype=float), np.asarray(q_v, dtype=float))
    xi_u, xi_v, w = _tensor_rule(nodes)
    Z, dZ = _committee_labels(q_u, q_v, xi_u, xi_v)
    R_u = np.sum(w * np.sum(_masked_ratio(dZ[:, 0] ** 2, Z), axis=0), axis=-1)
    R_v = np.sum(w * np.sum(_masked_ratio(dZ[:, 1] ** 2, Z), axis=0), axis=-1)
    logs = np.where(Z > 0, Z * np.log(np.where(Z > 0, Z, 1.0)), 0.0)
    return R_u, R_v, np.sum(w * np.sum(logs, axis=0), axis=-1)


def committee_prior(q_hat_u, q_hat_v, weights: str, nodes: int = 61):
    """The prior's side at (q_hat_u, q_hat_v): (q_u, q_v, psi), vectorised.

    Gaussian: q = q_hat / (1 + q_hat), psi = sum (q_hat - ln(1 + q_hat)) / 2. +-1 weights:
    (u, v) in {(+-sqrt 2, 0), (0, +-sqrt 2)}; with x = sqrt 2 B_u, t = sqrt 2 B_v,
    L_u = ln cosh x - q_hat_u, L_v = ln cosh t - q_hat_v: <u> = sqrt 2 tanh(x) sigmoid(L_u -
    L_v), <v> likewise, psi = E ln[(e^{L_u} + e^{L_v}) / 2]; the teacher sits on the u-axis
    or the v-axis with probability 1/2 each (mirror images give the same terms)."""
    weights = _check_weights(weights)
    qu, qv = np.broadcast_arrays(np.asarray(q_hat_u, dtype=float),
                                 np.asarray(q_hat_v, dtype=float))
    if weights == "gaussian":
        return (qu / (1.0 + qu), qv / (1.0 + qv),
                0.5 * (qu - np.log1p(qu)) + 0.5 * (qv - np.log1p(qv)))
    from ._gauss import scaled_normal_rule

    xu, wu = scaled_normal_rule(1.0 / np.sqrt(np.maximum(qu, 1.0)), n=nodes)
    xv, wv = scaled_normal_rule(1.0 / np.sqrt(np.maximum(qv, 1.0)), n=nodes)
    xu, wu = xu[..., :, None], wu[..., :, None]
    xv, wv = xv[..., None, :], wv[..., None, :]
    a, b = qu[..., None, None], qv[..., None, None]
    weight = 0.5 * wu * wv
    q_u = q_v = psi = 0.0
    for on_u in (True, False):
        x = np.sqrt(2.0) * ((a * np.sqrt(2.0) if on_u else 0.0) + np.sqrt(a) * xu)
        t = np.sqrt(2.0) * ((0.0 if on_u else b * np.sqrt(2.0)) + np.sqrt(b) * xv)
        L_u = _log_cosh(x) - a
        L_v = _log_cosh(t) - b
        mean_u = np.sqrt(2.0) * np.tanh(x) * special.expit(L_u - L_v)
        mean_v = np.sqrt(2.0) * np.tanh(t) * special.expit(L_v - L_u)
        q_u = q_u + np.sum(weight * mean_u**2, axis=(-2, -1))
        q_v = q_v + np.sum(weight * mean_v**2, axis=(-2, -1))
        psi = psi + np.sum(weight * (np.logaddexp(L_u, L_v) - np.log(2.0)), axis=(-2, -1))
    return q_u, q_v, psi


MAX_ALPHA = 20.0
#: an overlap this close to 1 in both directions is exact recovery (+-1 weights)
_PERFECT = 1.0 - 1e-9


class _UnitOverlaps:
    """q_diag and q_off of a committee result with fields q_u, q_v (the overlaps along
    u = (w1 + w2)/sqrt 2 and v = (w1 - w2)/sqrt 2)."""

    @property
    def q_diag(self) -> np.ndarray:
        """The overlap of a student unit with its own teacher unit, (q_u + q_v) / 2."""
        return readonly(0.5 * (self.q_u + self.q_v))

    @property
    def q_off(self) -> np.ndarray:
        """The overlap of a student unit with the other teacher unit, (q_u - q_v) / 2."""
        return readonly(0.5 * (self.q_u - self.q_v))


@dataclass(frozen=True)
class CommitteeFixedPoint(_UnitOverlaps, Result):
    """State-evolution fixed points of the K = 2 sign committee, per alpha: the overlaps
    ``q_u`` (the trivial direction (w1 + w2)/sqrt 2) and ``q_v`` ((w1 - w2)/sqrt 2: q_v > 0
    means the hidden units have specialised), their conjugates, the RS ``free_entropy``
    (-2 ln 2 at exact recovery with +-1 weights), the iterations taken and a status per
    alpha (not converged: critical slowing down near a continuous transition)."""

    alpha: np.ndarray
    weights: str
    init: str
    q_u: np.ndarray
    q_v: np.ndarray
    q_hat_u: np.ndarray
    q_hat_v: np.ndarray
    free_entropy: np.ndarray
    iterations: np.ndarray
    status: np.ndarray


def committee_free_entropy(alpha, q_u, q_v, weights: str):
    """The RS free entropy at the state-evolution point (q_u, q_v):
    f = psi(q_hat) + alpha Psi_out(q) - (q_hat_u q_u + q_hat_v q_v) / 2, q_hat = alpha R(q);
    exact recovery (+-1 weights, q = 1) gives -2 ln 2 (minus the prior's entropy)."""
    alpha, q_u, q_v = np.broadcast_arrays(*(np.asarray(a, dtype=float)
                                            for a in (alpha, q_u, q_v)))
    R_u, R_v, psi_out = committee_output(q_u, q_v)
    q_hat_u, q_hat_v = alpha * R_u, alpha * R_v
    psi = committee_prior(q_hat_u, q_hat_v, weights)[2]
    f = psi + alpha * psi_out - 0.5 * (q_hat_u * q_u + q_hat_v * q_v)
    perfect = (q_u >= _PERFECT) & (q_v >= _PERFECT)
    if weights == "binary":
        f = np.where(perfect, -2.0 * np.log(2.0), f)
    return f, q_hat_u, q_hat_v


def _iterate(update, start, *, tol, max_iter):
    """Plain iteration x <- update(x, idx) of independent problems (rows of ``start``), each
    stopped once the distance to its fixed point, estimated from the observed contraction
    as step r / (1 - r) (r the ratio of successive steps), is below ``tol`` in every
    component: near a continuous transition r -> 1 and small steps are not convergence. A
    component decaying geometrically to 0 stops once it is below tol r / (1 - r)."""
    from ._result import from_flags

    x = np.array(start, dtype=float, copy=True)
    n = x.shape[0]
    converged = np.zeros(n, dtype=bool)
    failed = np.zeros(n, dtype=bool)
    iterations = np.zeros(n, dtype=int)
    previous = np.full(x.shape, np.nan)
    for _ in range(max_iter):
        idx = np.flatnonzero(~converged & ~failed)
        if idx.size == 0:
            break
        new = update(x[idx], idx)
        step = np.abs(new - x[idx])
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = step / previous[idx]
            remaining = np.where(rate < 1.0, step * rate / (1.0 - rate), np.inf)
        remaining = np.where(step == 0.0, 0.0, remaining)
        x[idx] = new
        previous[idx] = step
        iterations[idx] += 1
        bad = ~np.all(np.isfinite(new), axis=1)
        failed[idx[bad]] = True
        converged[idx[~bad & np.all(remaining <= tol, axis=1)]] = True
    return x, from_flags(converged, diverged=failed), iterations


def committee_state_evolution(alpha, weights: str = "gaussian", init: str = "uninformed",
                              *, seed_q_v: float = 1e-3, tol: float = 1e-9,
                              max_iter: int = 3000) -> CommitteeFixedPoint:
    """Iterate q_hat = alpha (R_u, R_v)(q), q = prior(q_hat) (what AMP does), vectorised over
    alpha.

    Uninformed: q_u = q_v = ``seed_q_v`` (q_v = 0 is exactly invariant, so it is seeded).
    Informed: q_u = q_v = 0.99 (Gaussian weights) or 1 - 1e-6 (+-1 weights). Thresholds come
    from linear stability (``committee_thresholds``), not from this iteration, which slows
    down critically near a continuous transition (status not converged after ``max_iter``).
    """
    from ._validate import check_init, check_range

    weights = _check_weights(weights)
    check_init(init)
    alpha = np.atleast_1d(check_range(alpha, "alpha", 0.0, MAX_ALPHA))
    flat = alpha.ravel()
    informed_start = 0.99 if weights == "gaussian" else 1.0 - 1e-6
    start_q = seed_q_v if init == "uninformed" else informed_start
    ceiling = 1.0 - 1e-13

    def update(x, idx):
        q = np.clip(x, 0.0, ceiling)
        R_u, R_v, _ = committee_output(q[:, 0], q[:, 1])
        a = flat[idx]
        new_u, new_v, _ = committee_prior(a * R_u, a * R_v, weights)
        return np.stack([new_u, new_v], axis=-1)

    x, status, iterations = _iterate(update, np.full((flat.size, 2), start_q), tol=tol,
                                     max_iter=max_iter)
    q_u = np.clip(x[:, 0], 0.0, 1.0)
    q_v = np.clip(x[:, 1], 0.0, 1.0)
    q_v = np.where(q_v < 1e-12, 0.0, q_v)
    if weights == "binary":
        perfect = (q_u >= _PERFECT) & (q_v >= _PERFECT)
        q_u[perfect] = 1.0
        q_v[perfect] = 1.0
    f, q_hat_u, q_hat_v = committee_free_entropy(flat, q_u, q_v, weights)
    shape = alpha.shape
    return CommitteeFixedPoint(
        alpha=alpha, weights=weights, init=init, q_u=q_u.reshape(shape),
        q_v=q_v.reshape(shape), q_hat_u=q_hat_u.reshape(shape),
        q_hat_v=q_hat_v.reshape(shape), free_entropy=f.reshape(shape),
        iterations=iterations.reshape(shape), status=status.reshape(shape))


# -- curves over alpha from the branch tables ------------------------------------------------------
@dataclass(frozen=True)
class CommitteeBranch(_UnitOverlaps, Result):
    """One branch of committee fixed points over alpha: overlaps, free entropy, status."""

    q_u: np.ndarray
    q_v: np.ndarray
    free_entropy: np.ndarray
    status: np.ndarray


@dataclass(frozen=True)
class CommitteeCurve(Result):
    """The committee's state-evolution branches over a grid of alpha: ``uninformed`` (what
    GAMP reaches from a random start), ``informed`` (from the teacher) and
    ``bayes_optimal`` (the one of larger free entropy), with the ``thresholds``."""

    alpha: np.ndarray
    weights: str
    uninformed: CommitteeBranch
    informed: CommitteeBranch
    bayes_optimal: CommitteeBranch
    thresholds: CommitteeThresholds

    @property
    def status(self) -> np.ndarray:
        return readonly(worst(self.uninformed.status, self.informed.status))


def _non_specialised_at(alpha, weights):
    """(q_u, free entropy, status) on the non-specialised branch at each alpha: a vectorised
    root of q_hat_u / R_u(q_u(q_hat_u)) = alpha in log q_hat_u, bracketed by the table."""
    from ._fixedpoint import find_roots

    branch = _non_specialised_branch(weights)
    log_alpha = np.log(branch.alpha)
    inside = (alpha > branch.alpha[0]) & (alpha < branch.alpha[-1])
    q_u = np.zeros(alpha.shape)
    f = np.zeros(alpha.shape)
    status = np.full(alpha.shape, Status.CONVERGED.value, dtype="<U13")
    status[alpha >= branch.alpha[-1]] = Status.OUT_OF_RANGE.value
    if inside.any():
        a = alpha[inside]
        cell = np.searchsorted(branch.alpha, a) - 1
        lo, hi = np.log(branch.q_hat[cell]), np.log(branch.q_hat[cell + 1])

        def gap(x, idx):
            return np.log(_branch_at(np.exp(x), weights).alpha) - np.log(a[idx])

        roots = find_roots(gap, lo, hi, f_lo=log_alpha[cell] - np.log(a),
                           f_hi=log_alpha[cell + 1] - np.log(a), xtol=1e-13)
        point = _branch_at(np.exp(roots.x), weights)
        q_u[inside], f[inside], status[inside] = point.q_u, point.free_entropy, roots.status
    small = (alpha > 0) & (alpha <= branch.alpha[0])  # below the table: q_u = alpha R_u(0)
    q_u[small] = alpha[small] * 2.0 / np.pi
    f[small] = -alpha[small] * 1.5 * np.log(2.0)
    return q_u, f, status


def _specialised_at(alpha, weights):
    """(q_u, q_v, free entropy, status) on the stable specialised branch, interpolated
    (monotone cubic in alpha) on its traced table; out of range beyond it."""
    from scipy.interpolate import PchipInterpolator

    branch = _specialised_branch(weights)
    a = branch.alpha[branch.stable]
    inside = (alpha >= a[0]) & (alpha <= a[-1])
    q_u = np.interp(alpha, a, branch.q_u[branch.stable])
    q_v = np.interp(alpha, a, branch.q_v[branch.stable])
    if inside.any():
        q_u[inside] = PchipInterpolator(a, branch.q_u[branch.stable])(alpha[inside])
        q_v[inside] = PchipInterpolator(a, branch.q_v[branch.stable])(alpha[inside])
    f = committee_free_entropy(alpha, q_u, q_v, weights)[0]
    status = np.where(inside, branch.status.value, Status.OUT_OF_RANGE.value)
    return q_u, q_v, f, status


def committee_curve(alpha, weights: str = "gaussian") -> CommitteeCurve:
    """Uninformed, informed and Bayes-optimal branches over an array of alpha, from the
    cached branch tables (no iteration): non-specialised below alpha_spec; above it the
    specialised branch (continuous onset), and for +-1 weights exact recovery above the
    spinodal alpha_alg (uninformed) or everywhere (informed: it is stable for all alpha)."""
    from ._validate import check_range

    weights = _check_weights(weights)
    alpha = np.atleast_1d(check_range(alpha, "alpha", 0.0, MAX_ALPHA))
    if alpha.ndim != 1:
        raise ValueError("committee_curve needs a 1-d array of alpha")
    thresholds = committee_thresholds(weights)
    spec = thresholds.specialization
    q_u_ns, f_ns, st_ns = _non_specialised_at(alpha, weights)
    q_u = q_u_ns.copy()
    q_v = np.zeros(alpha.shape)
    f = f_ns.copy()
    status = st_ns.copy()
    above = alpha > spec
    if above.any():
        qu_s, qv_s, f_s, st_s = _specialised_at(alpha[above], weights)
        q_u[above], q_v[above], f[above], status[above] = qu_s, qv_s, f_s, st_s
    if weights == "binary":
        jumped = alpha >= thresholds.algorithmic
        q_u[jumped], q_v[jumped], status[jumped] = 1.0, 1.0, Status.CONVERGED.value
        f[jumped] = thresholds.perfect_free_entropy
        ones = np.ones(alpha.shape)
        informed = CommitteeBranch(ones, ones, np.full(alpha.shape, -2.0 * np.log(2.0)),
                                   np.full(alpha.shape, Status.CONVERGED.value))
    uninformed = CommitteeBranch(q_u, q_v, f, status)
    if weights == "gaussian":
        informed = uninformed  # one stable fixed point at every alpha
    informed_wins = informed.free_entropy > uninformed.free_entropy
    bayes = CommitteeBranch(np.where(informed_wins, informed.q_u, uninformed.q_u),
                            np.where(informed_wins, informed.q_v, uninformed.q_v),
                            np.maximum(informed.free_entropy, uninformed.free_entropy),
                            worst(uninformed.status, informed.status))
    return CommitteeCurve(alpha=alpha, weights=weights, uninformed=uninformed,
                          informed=informed, bayes_optimal=bayes, thresholds=thresholds)


# -- GAMP for the committee ----------------------------------------------------------------------
MAX_GAMP_D = 4000
#: the four +-1 hidden-unit weight pairs (w1, w2)
_BINARY_STATES = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])


def _orthant_terms(sign1, sign2, h1, h2, rho):
    """Phi_2(sign1 h1, sign2 h2; sign1 sign2 rho) with its first and second derivatives in
    (h1, h2) (the orthant P(sign1 z1 > 0, sign2 z2 > 0) in standardised coordinates)."""
    x, y, c = sign1 * h1, sign2 * h2, sign1 * sign2 * rho
    r = np.sqrt(1.0 - c * c)
    ex, ey = (y - c * x) / r, (x - c * y) / r
    value = _bivariate_cdf(x, y, c)
    px, py = _phi(x), _phi(y)
    dx, dy = px * special.ndtr(ex), py * special.ndtr(ey)
    dxx = -x * dx - c / r * px * _phi(ex)
    dyy = -y * dy - c / r * py * _phi(ey)
    dxy = px * _phi(ex) / r
    return (value, np.stack([sign1 * dx, sign2 * dy], axis=-1),
            np.stack([np.stack([dxx, sign1 * sign2 * dxy], axis=-1),
                      np.stack([sign1 * sign2 * dxy, dyy], axis=-1)], axis=-2))


#: the orthants (signs of z1, z2) that make up each label of the sign channels run by GAMP
_ORTHANTS = {
    "committee": {2: ((1, 1),), -2: ((-1, -1),), 0: ((1, -1), (-1, 1))},
    "sign(z1*z2)": {1: ((1, 1), (-1, -1)), -1: ((1, -1), (-1, 1))},
}


def _orthant_g_out(y, omega, V, orthants):
    """g = grad_omega ln Z and dg = (grad grad Z) / Z - g g^T for a channel whose label is a
    union of orthants of (z1, z2) (``orthants``: label -> sign pairs), at means omega (n, 2)
    and one covariance V (2, 2): Z(y) is the sum of its orthants' probabilities under
    N(omega, V), each computed directly (never as one minus the others)."""
    sigma = np.sqrt(np.diag(V))
    rho = np.clip(V[0, 1] / (sigma[0] * sigma[1]), -1 + 1e-12, 1 - 1e-12)
    h1, h2 = omega[:, 0] / sigma[0], omega[:, 1] / sigma[1]
    Z = np.zeros(len(y))
    grad = np.zeros((len(y), 2))
    hess = np.zeros((len(y), 2, 2))
    for label, signs in orthants.items():
        rows = y == label
        for s1, s2 in signs:
            value, d, dd = _orthant_terms(s1, s2, h1[rows], h2[rows], rho)
            Z[rows] += value
            grad[rows] += d
            hess[rows] += dd
    scale = 1.0 / sigma
    grad = grad * scale
    hess = hess * np.outer(scale, scale)
    Z = np.maximum(Z, 1e-300)  # a label the current estimate finds impossible
    g = grad / Z[:, None]
    dg = hess / Z[:, None, None] - g[:, :, None] * g[:, None, :]
    return g, dg


def committee_g_out(y, omega, V):
    """The committee's output functions for GAMP: g = grad_omega ln Z and its Jacobian
    dg = (grad grad Z) / Z - g g^T at labels y in {-2, 0, 2}, means omega (n, 2) and one
    covariance V (2, 2) (original coordinates z1, z2): Z is one orthant of N(omega, V) for
    y = +-2 and the sum of the two mixed orthants for y = 0 (computed directly)."""
    return _orthant_g_out(y, omega, V, _ORTHANTS["committee"])


def sign_product_g_out(y, omega, V):
    """GAMP's output functions for y = sign(z1 z2) in {-1, 1}: Z is the sum of the two
    orthants where z1 z2 has the sign y (as ``committee_g_out``)."""
    return _orthant_g_out(y, omega, V, _ORTHANTS["sign(z1*z2)"])


def _psd_part(matrix, floor=1e-12):
    values, vectors = np.linalg.eigh(0.5 * (matrix + matrix.T))
    return (vectors * np.maximum(values, floor)) @ vectors.T


def _prior_denoiser(B, A, weights):
    """Posterior means (d, p) and covariances (d, p, p) of a row of W seen through
    B = A w + A^{1/2} xi: Gaussian N(0, I), or uniform on {+-1}^2 (the committee's pair)."""
    if weights == "gaussian":
        p = A.shape[0]
        cov = np.linalg.inv(np.eye(p) + A)
        return B @ cov, np.broadcast_to(cov, (B.shape[0], p, p))
    quadratic = 0.5 * np.einsum("si,ij,sj->s", _BINARY_STATES, A, _BINARY_STATES)
    log_w = B @ _BINARY_STATES.T - quadratic
    log_w -= log_w.max(axis=1, keepdims=True)
    p = np.exp(log_w)
    p /= p.sum(axis=1, keepdims=True)
    mean = p @ _BINARY_STATES
    second = np.einsum("ns,si,sj->nij", p, _BINARY_STATES, _BINARY_STATES)
    return mean, second - mean[:, :, None] * mean[:, None, :]


@dataclass(frozen=True)
class MultiIndexGampRun(Result):
    """A finite-size GAMP run: per iteration, ``overlaps`` (iterations, p), the eigenvalues of
    the overlap M estimated as the singular values of W_hat^T W* (W*^T W*)^{-1}, descending
    (invariant under the teacher's symmetries: permutations and signs of its directions;
    exact recovery reads 1 exactly). For the committee also ``q_u`` and ``q_v``, the
    overlaps along u = (w1 + w2)/sqrt 2 and v = (w1 - w2)/sqrt 2 relative to the teacher's
    norm there, ``q_v`` up to its sign (empty for the other targets). ``status``: converged
    at a fixed point, not converged after the iterations allowed, diverged when an estimate
    blew up."""

    target: str
    alpha: float
    d: int
    weights: str
    seed: int
    overlaps: np.ndarray
    q_u: np.ndarray
    q_v: np.ndarray
    status: Status


def _uv_overlaps(W_hat, W_star):
    """(q_u, |q_v|): the overlaps of the estimate with the teacher along u and v, each
    relative to the teacher's own norm there (at finite d the teacher's units are not
    exactly orthogonal, so exact recovery reads 1 exactly)."""
    e_u = np.array([1.0, 1.0]) / np.sqrt(2.0)
    e_v = np.array([1.0, -1.0]) / np.sqrt(2.0)
    Q = W_hat.T @ W_star
    T = W_star.T @ W_star
    return float(e_u @ Q @ e_u / (e_u @ T @ e_u)), float(abs(e_v @ Q @ e_v) / (e_v @ T @ e_v))


def _overlap_eigenvalues(W_hat, W_star):
    """The singular values of W_hat^T W* (W*^T W*)^{-1}, descending."""
    T = W_star.T @ W_star
    return np.linalg.svd(np.linalg.solve(T, W_star.T @ W_hat).T, compute_uv=False)


#: the targets GAMP runs on, each with its Bayes-optimal output functions (g, dg). Not y = z^2:
#: from a random start, finite-d GAMP there locks onto a sign-alternating mode (norm growing,
#: overlap ~0.003 after 300 iterations at alpha = 1.5, d = 1000, where state evolution
#: reaches 1); from an informed start it converges to the teacher (a spectral start, not done here).
GAMP_TARGETS = ("committee", "sign(z1*z2)")
_G_OUT = {"committee": committee_g_out, "sign(z1*z2)": sign_product_g_out}


def _teacher_labels(target, z):
    if target == "committee":
        return np.sign(z[:, 0]) + np.sign(z[:, 1])
    return np.sign(z[:, 0] * z[:, 1])


def _times_columns(X, W):
    """X @ W for a thin W (a few columns), one matrix-vector product per column: OpenBLAS's
    matrix product is 5-20x slower on such shapes (measured at 1000 x 1000 times 1000 x 2)."""
    return np.column_stack([X @ W[:, j] for j in range(W.shape[1])])


def _columns_times(G, X):
    """X.T @ G for a thin G, one vector-matrix product per column (as ``_times_columns``)."""
    return np.column_stack([G[:, j] @ X for j in range(G.shape[1])])


def simulate_gamp(target: str, alpha: float, d: int, seed: int = 0, *,
                  weights: str = "gaussian", iterations: int = 300, damping: float = 0.3,
                  tol: float = 1e-6) -> MultiIndexGampRun:
    """Bayes-optimal GAMP (Aubin et al. 2018; Troiani et al. 2024) on one sampled instance,
    from a random start of norm 1e-3, for the targets in ``GAMP_TARGETS``: the committee
    (Gaussian or +-1 weights) and sign(z1 z2) (Gaussian weights).

    Each iteration: V = <C_i>, omega_mu = X_mu W_hat / sqrt d - g_mu V (Onsager),
    (g, dg) = the channel's output functions, A = -(1/d) sum_mu dg_mu (clipped to its
    positive part: none of these channels is log-concave), B_i = X_i^T g / sqrt d + A w_hat_i,
    (w_hat_i, C_i) = the prior's posterior in (B_i, A); the new estimates are damped."""
    from ._validate import check_range

    if target not in GAMP_TARGETS:
        raise ValueError(f"simulate_gamp runs the targets {list(GAMP_TARGETS)}, "
                         f"not {target!r}")
    weights = _check_weights(weights)
    if weights == "binary" and target != "committee":
        raise ValueError("+-1 weights are run for the committee only")
    alpha = float(check_range(alpha, "alpha", 0.0, MAX_ALPHA))
    d = int(d)
    if not 20 <= d <= MAX_GAMP_D:
        raise ValueError(f"d must lie in [20, {MAX_GAMP_D}]")
    p = TARGETS[target].p
    n = max(1, round(alpha * d))
    rng = np.random.default_rng(seed)
    if weights == "gaussian":
        W_star = rng.standard_normal((d, p))
    else:
        W_star = rng.choice([-1.0, 1.0], size=(d, p))
    X = rng.standard_normal((n, d))
    y = _teacher_labels(target, _times_columns(X, W_star) / np.sqrt(d))
    g_out = _G_OUT[target]
    W_hat = 1e-3 * rng.standard_normal((d, p))
    C = np.broadcast_to(np.eye(p), (d, p, p))
    g = np.zeros((n, p))
    overlaps, q_u, q_v = [], [], []
    status = Status.NOT_CONVERGED
    for _ in range(int(iterations)):
        V = _psd_part(C.mean(axis=0), 1e-10)
        omega = _times_columns(X, W_hat) / np.sqrt(d) - g @ V
        g, dg = g_out(y, omega, V)
        A = _psd_part(-dg.sum(axis=0) / d)
        B = _columns_times(g, X) / np.sqrt(d) + W_hat @ A
        new, C_new = _prior_denoiser(B, A, weights)
        if not (np.all(np.isfinite(new)) and np.all(np.isfinite(C_new))):
            status = Status.DIVERGED
            break
        step = np.sqrt(np.mean((new - W_hat) ** 2))
        W_hat = (1.0 - damping) * new + damping * W_hat
        C = (1.0 - damping) * C_new + damping * C
        if target == "committee":
            qu, qv = _uv_overlaps(W_hat, W_star)
            q_u.append(qu)
            q_v.append(qv)
            overlaps.append(sorted((qu, qv), reverse=True))
        else:
            overlaps.append(_overlap_eigenvalues(W_hat, W_star))
        if step < tol:
            status = Status.CONVERGED
            break
    return MultiIndexGampRun(target=target, alpha=alpha, d=d, weights=weights,
                             seed=int(seed), overlaps=np.array(overlaps).reshape(-1, p),
                             q_u=np.array(q_u), q_v=np.array(q_v), status=status)


# -- state evolution of the rotation-invariant targets y = |z|^2 -----------------------------------
_ISOTROPIC = {"z^2": 1, "z1^2+z2^2": 2, "z1^2+z2^2+z3^2": 3}


def _bessel_ratio(p, kappa):
    """A_p(kappa) = I_{p/2}(kappa) / I_{p/2 - 1}(kappa): tanh (p = 1), I_1 / I_0 (p = 2), the
    Langevin function coth - 1/kappa (p = 3, by its series below kappa = 0.05)."""
    if p == 1:
        return np.tanh(kappa)
    if p == 2:
        return special.i1e(kappa) / special.i0e(kappa)
    if p == 3:
        small = kappa < 0.05
        safe = np.where(small, 1.0, kappa)
        k2 = kappa * kappa
        series = kappa * (1.0 / 3.0 - k2 * (1.0 / 45.0 - k2 * (2.0 / 945.0 - k2 / 4725.0)))
        return np.where(small, series, 1.0 / np.tanh(safe) - 1.0 / safe)
    return special.ive(0.5 * p, kappa) / special.ive(0.5 * p - 1.0, kappa)


def _isotropic_rate(m, p, nodes=60):
    """R(m) = E|g|^2 / p for y = |z|^2, z in R^p, at M = m I (so M_hat = alpha R(m) I).

    Given y = r^2 and omega, the posterior puts z on the sphere of radius r with weight
    exp(r n . omega / V): Z is proportional to e^{-|omega|^2 / 2V} kappa^{-nu} I_nu(kappa),
    kappa = r |omega| / V, nu = p/2 - 1, so g = (r A_p(kappa) - |omega|) / V along omega,
    A_p = I_{p/2} / I_{p/2-1} (tanh for p = 1). Teacher variables: r = |z| ~ chi_p and
    omega = m z + sqrt(m (1 - m)) zeta, zeta split along z (zeta_1 ~ N(0, 1)) and across it
    (rho = |zeta_perp| ~ chi_{p-1})."""
    from ._gauss import normal_rule

    m = np.asarray(m, dtype=float)[..., None, None, None]
    V = 1.0 - m
    s = np.sqrt(m * V)
    r, w_r = _legendre(0.0, 14.0, nodes)
    w_r = w_r * np.exp((p - 1) * np.log(r) - 0.5 * r * r - (0.5 * p - 1) * np.log(2.0)
                       - special.gammaln(0.5 * p))
    zeta, w_zeta = normal_rule(61)
    if p > 1:
        rho, w_rho = _legendre(0.0, 12.0, nodes // 2)
        w_rho = w_rho * np.exp((p - 2) * np.log(rho) - 0.5 * rho * rho
                               - (0.5 * (p - 1) - 1) * np.log(2.0) - special.gammaln(0.5 * (p - 1)))
    else:
        rho, w_rho = np.zeros(1), np.ones(1)
    r_, z_, q_ = r[:, None, None], zeta[None, :, None], rho[None, None, :]
    norm_omega = np.sqrt((m * r_ + s * z_) ** 2 + (s * q_) ** 2)
    kappa = r_ * norm_omega / V
    ratio = _bessel_ratio(p, kappa)
    g = (r_ * ratio - norm_omega) / V
    weight = w_r[:, None, None] * w_zeta[None, :, None] * w_rho[None, None, :]
    return np.sum(weight * g * g, axis=(-3, -2, -1)) / p


@dataclass(frozen=True)
class IsotropicCurve(Result):
    """State evolution of y = |z|^2 (z in R^p, Gaussian weights), where M = m I: the one
    eigenvalue m of M per alpha on the uninformed (GAMP), informed and Bayes-optimal
    branches, with the thresholds: ``weak_recovery`` p/2, ``algorithmic`` where GAMP jumps
    to exact recovery (the branch's spinodal), ``information_theoretic`` = p (exact recovery
    is a fixed point above alpha = d(prior) / d(output) = p, with infinite free entropy)."""

    alpha: np.ndarray
    p: int
    uninformed: np.ndarray
    informed: np.ndarray
    bayes_optimal: np.ndarray
    weak_recovery: float
    algorithmic: float
    information_theoretic: float
    status: np.ndarray


@lru_cache(maxsize=4)
def _isotropic_branch(p):
    """The fixed-point line alpha(m) = m / ((1 - m) R(m)) on a grid uniform in logit(m),
    its rising part (``end`` points: GAMP's branch), the spinodal (where GAMP jumps to
    exact recovery; p when the branch rises continuously to it) and a status."""
    m = special.expit(np.linspace(-14.0, 14.0, 100))
    rate = np.concatenate([_isotropic_rate(chunk, p) for chunk in np.array_split(m, 20)])
    alpha = m / ((1.0 - m) * rate)
    top = int(np.argmax(alpha))
    status = Status.CONVERGED
    if alpha[top] > p * (1.0 + 1e-5):
        # a spinodal: the branch rises above p, then falls back to p as m -> 1
        res = optimize.minimize_scalar(
            lambda x: -float(x / ((1 - x) * _isotropic_rate(np.array(x), p))),
            bounds=(m[top - 1], m[top + 1]), method="bounded", options={"xatol": 1e-10})
        spinodal = float(-res.fun)
        end = top + 1
    else:
        # continuous up to exact recovery at alpha = p (the table's last digits are noise)
        spinodal = float(p)
        end = int(np.argmax(alpha >= p * (1.0 - 1e-5)))
    if not np.all(np.diff(alpha[:end]) > 0):
        status = Status.NOT_CONVERGED
        end = int(np.argmax(np.diff(alpha[:end]) <= 0)) + 1
    for array in (m, alpha):
        array.setflags(write=False)
    return m, alpha, end, spinodal, status


def _invert_rising(m_grid, a_grid, alpha):
    """m(alpha) on the rising part of a fixed-point line alpha(m), tabulated at ``m_grid``:
    alpha(m) is smooth in x = logit(m) (m(alpha) is not, near a spinodal), so a cubic spline
    of it is inverted by a vectorised root solve, alpha clipped to the table's range.
    Returns (m, status per alpha)."""
    from scipy.interpolate import CubicSpline

    from ._fixedpoint import find_roots

    x_grid = np.log(m_grid / (1.0 - m_grid))
    spline = CubicSpline(x_grid, a_grid)
    level = np.clip(alpha, a_grid[0], a_grid[-1])
    cell = np.clip(np.searchsorted(a_grid, level) - 1, 0, a_grid.size - 2)
    roots = find_roots(lambda x, idx: spline(x) - level[idx], x_grid[cell], x_grid[cell + 1],
                       xtol=1e-14)
    return special.expit(roots.x), roots.status


def isotropic_curve(target: str, alpha) -> IsotropicCurve:
    """Branches of y = |z|^2 over an array of alpha from the fixed-point line
    alpha(m) = m / ((1 - m) R(m)), tabulated once per p, splined in logit(m) and inverted
    by a root solve (tested against iterated state evolution)."""
    from ._validate import check_range

    if target not in _ISOTROPIC:
        raise ValueError(f"isotropic_curve covers {list(_ISOTROPIC)}, got {target!r}")
    p = _ISOTROPIC[target]
    alpha = np.atleast_1d(check_range(alpha, "alpha", 0.0, MAX_ALPHA))
    m_grid, a_grid, end, spinodal, status = _isotropic_branch(p)
    weak = 0.5 * p
    rising, roots_status = _invert_rising(m_grid[:end], a_grid[:end], alpha)
    uninformed = np.where(alpha <= weak, 0.0, rising)
    uninformed = np.where(alpha >= spinodal, 1.0, uninformed)
    informed = np.where(alpha > p, 1.0, uninformed)
    return IsotropicCurve(alpha=alpha, p=p, uninformed=uninformed, informed=informed,
                          bayes_optimal=np.where(alpha > p, 1.0, uninformed),
                          weak_recovery=weak, algorithmic=spinodal,
                          information_theoretic=float(p),
                          status=worst(status.value, roots_status))


# -- y = sign(z1 z2): state evolution on M = diag(m1, m2) ----------------------------------------
_SIGN_PAIR = "sign(z1*z2)"


def _sign_pair_rates(m1, m2, nodes=801):
    """(R1, R2) with M_hat = alpha diag(R1, R2) for y = sign(z1 z2) at M = diag(m1, m2).

    V = diag(1 - m_i) is diagonal, so z1, z2 are independent given omega and
    Z(+-1) = (1 +- t1 t2) / 2 with t_i = 2 Phi(a_i) - 1, a_i = omega_i / sqrt(V_i): g_1 =
    +- phi(a1) t2 / (sqrt(V1) Z(+-1)) and sum_y Z g_1^2 = phi(a1)^2 t2^2 / (V1 Z(+) Z(-)).
    The factor phi(a1)^2 = e^{-a1^2} / 2 pi is taken into the rule for xi_1: with
    s1 = sqrt(V1 / (1 + m1)), E_xi1[phi(a1)^2 h(a1)] = (s1 / 2 pi) E_u[h(u sqrt(m1/(1+m1)))],
    u ~ N(0, 1); xi_2 (a narrow dip of t2^2 at 0, of width sqrt(V2/m2)) on the sinh rule,
    whose nodes crowd there. Z(-) at |a| large is computed as (e1 + e2 (1 - e1)) / 2 with
    e_i = erfc(|a_i| / sqrt 2) = 1 - |t_i| (no cancellation)."""
    from ._gauss import normal_rule

    u1, w1 = normal_rule(201)
    u2, w2 = normal_rule(nodes)
    m1, m2 = np.broadcast_arrays(np.asarray(m1, dtype=float), np.asarray(m2, dtype=float))

    def rate(ma, mb):
        e1 = special.erfc(np.abs(u1) * np.sqrt(0.5 * ma / (1.0 + ma)))
        e2 = special.erfc(np.abs(u2) * np.sqrt(0.5 * mb / (1.0 - mb)))
        z_small = 0.5 * (e1[:, None] + e2[None, :] * (1.0 - e1[:, None]))  # the unlikely label
        term = (1.0 - e2[None, :]) ** 2 / (z_small * (1.0 - z_small))
        s1 = np.sqrt((1.0 - ma) / (1.0 + ma))
        return s1 / (2.0 * np.pi * (1.0 - ma)) * (w1 @ term @ w2)

    r1 = np.array([rate(a, b) for a, b in zip(m1.ravel(), m2.ravel(), strict=True)])
    r2 = np.array([rate(b, a) for a, b in zip(m1.ravel(), m2.ravel(), strict=True)])
    return r1.reshape(m1.shape), r2.reshape(m1.shape)


def sign_pair_rate(m):
    """R(m) = E_xi sum_y Z g_1^2 for y = sign(z1 z2) at M = m I (so M_hat = alpha R(m) I);
    4 m / pi^2 + O(m^2) at small m (the weak-recovery threshold pi^2 / 4)."""
    return _sign_pair_rates(m, m)[0]


@dataclass(frozen=True)
class SignPairCurve(Result):
    """State evolution of y = sign(z1 z2) (Gaussian weights) on its fixed-point line
    alpha(m) = m / ((1 - m) R(m)), M = m I: the one eigenvalue m of M per alpha, zero up to
    ``weak_recovery`` = pi^2 / 4 and rising continuously after it (one fixed point per
    alpha: GAMP's branch is the Bayes-optimal one), with a status."""

    alpha: np.ndarray
    m: np.ndarray
    weak_recovery: float
    status: np.ndarray


@lru_cache(maxsize=1)
def _sign_pair_branch():
    """alpha(m) on a grid uniform in logit(m) up to m = 1 - 1e-3 (alpha ~ 70), and whether
    it rises all along (a continuous transition)."""
    m = special.expit(np.linspace(-12.0, np.log(999.0), 90))
    alpha = m / ((1.0 - m) * sign_pair_rate(m))
    status = Status.CONVERGED if np.all(np.diff(alpha) > 0) else Status.NOT_CONVERGED
    for array in (m, alpha):
        array.setflags(write=False)
    return m, alpha, status


def sign_pair_curve(alpha) -> SignPairCurve:
    """m(alpha) for y = sign(z1 z2) by inverting the tabulated fixed-point line (a cubic
    spline in logit(m), solved by a vectorised root finder); tested against iterated state
    evolution, against GAMP and against the anisotropic map (M = diag(m1, m2) flows back to
    m I)."""
    from ._validate import check_range

    alpha = np.atleast_1d(check_range(alpha, "alpha", 0.0, MAX_ALPHA))
    m_grid, a_grid, status = _sign_pair_branch()
    weak = 0.25 * np.pi**2
    rising, roots_status = _invert_rising(m_grid, a_grid, alpha)
    return SignPairCurve(alpha=alpha, m=np.where(alpha <= weak, 0.0, rising),
                         weak_recovery=weak, status=worst(status.value, roots_status))


# -- the staircase y = z1^2 + sign(z2 z3): both steps along alpha ---------------------------------
_STAIRCASE = "z1^2+sign(z2*z3)"


@dataclass(frozen=True)
class StaircaseCurve(Result):
    """The staircase's overlaps along alpha, M = diag(m1, m23, m23): on GAMP's branch m1
    rises from ``first_alpha`` and jumps to 1 at ``jump_alpha``, after which s = y - z1^2
    is read off exactly and (z2, z3) follow y = sign(z2 z3) (``sign_pair_curve``, from
    pi^2/4); on the Bayes-optimal one z1 is exact from ``perfect_alpha`` = 1 on (a fixed
    point of infinite free entropy, as for |z|^2)."""

    alpha: np.ndarray
    m1: np.ndarray
    m23: np.ndarray
    m1_bayes: np.ndarray
    m23_bayes: np.ndarray
    first_alpha: float
    jump_alpha: float
    perfect_alpha: float
    status: np.ndarray


@lru_cache(maxsize=1)
def _staircase_rising_part():
    """alpha(m1) of the first direction on a grid uniform in logit(m1), up to its maximum
    (the spinodal), with a status: it must rise all along."""
    m = special.expit(np.linspace(-14.0, 6.0, 120))
    alpha = _staircase_branch(m)[0]
    end = max(int(np.argmax(alpha)) + 1, 2)  # up to the table's highest point
    status = Status.CONVERGED if np.all(np.diff(alpha[:end]) > 0) else Status.NOT_CONVERGED
    m, alpha = m[:end].copy(), alpha[:end].copy()
    for array in (m, alpha):
        array.setflags(write=False)
    return m, alpha, status


def staircase_curve(alpha) -> StaircaseCurve:
    """m1, m23 along alpha on GAMP's branch and the Bayes-optimal one (see
    ``StaircaseCurve``); m1 on the rising part by inverting a cubic spline of alpha(m1) in
    logit(m1) (tested against iterated state evolution)."""
    from ._validate import check_range

    alpha = np.atleast_1d(check_range(alpha, "alpha", 0.0, MAX_ALPHA))
    step = staircase_second_threshold()
    m_grid, a_grid, status = _staircase_rising_part()
    rising, roots_status = _invert_rising(m_grid, a_grid, alpha)
    rising = np.where(alpha <= step.first_alpha, 0.0, rising)
    m1 = np.where(alpha >= step.jump_alpha, 1.0, rising)
    second = sign_pair_curve(alpha)
    pair = second.m
    m23 = np.where(alpha >= step.jump_alpha, pair, 0.0)
    perfect = alpha > step.perfect_alpha
    m1_bayes = np.where(perfect, 1.0, rising)
    m23_bayes = np.where(perfect, pair, 0.0)
    # (the rising part below the jump: a root is needed only there)
    needed = (alpha > step.first_alpha) & (alpha < step.jump_alpha)
    return StaircaseCurve(alpha=alpha, m1=m1, m23=m23, m1_bayes=m1_bayes, m23_bayes=m23_bayes,
                          first_alpha=step.first_alpha, jump_alpha=step.jump_alpha,
                          perfect_alpha=step.perfect_alpha,
                          status=worst(status.value, step.status.value,
                                       np.where(needed, roots_status, Status.CONVERGED.value),
                                       second.status))


# -- eigenvalues of M along alpha, for the targets whose state evolution is solved here ----------
@dataclass(frozen=True)
class EigenvalueCurve(Result):
    """The eigenvalues of the overlap matrix M (descending, shape (n_alpha, p)) along alpha
    on GAMP's branch (``uninformed``) and the Bayes-optimal one, for one target."""

    alpha: np.ndarray
    target: str
    weights: str
    uninformed: np.ndarray
    bayes_optimal: np.ndarray
    status: np.ndarray


#: targets whose full state evolution is solved (the others have weak-recovery thresholds)
STATE_EVOLUTION_TARGETS = ("z^2", "z1^2+z2^2", "z1^2+z2^2+z3^2", "committee", _SIGN_PAIR,
                           _STAIRCASE)


def eigenvalue_curve(target: str, alpha, weights: str = "gaussian") -> EigenvalueCurve:
    """Eigenvalues of M vs alpha: the committee (q_u, q_v; Gaussian or +-1 weights),
    y = |z|^2 and y = sign(z1 z2) (M = m I; Gaussian weights) and the staircase
    (m1, m23, m23)."""
    if target not in STATE_EVOLUTION_TARGETS:
        raise ValueError(f"state evolution is solved for {list(STATE_EVOLUTION_TARGETS)}, "
                         f"not {target!r}")
    weights = _check_weights(weights)
    if target == "committee":
        curve = committee_curve(alpha, weights)

        def eig(branch):
            return -np.sort(-np.stack([branch.q_u, branch.q_v], axis=-1), axis=-1)

        return EigenvalueCurve(alpha=curve.alpha, target=target, weights=weights,
                               uninformed=eig(curve.uninformed),
                               bayes_optimal=eig(curve.bayes_optimal), status=curve.status)
    if weights != "gaussian":
        raise ValueError(f"{target!r} is solved for Gaussian weights only")
    if target == _STAIRCASE:
        stairs = staircase_curve(alpha)
        return EigenvalueCurve(
            alpha=stairs.alpha, target=target, weights=weights,
            uninformed=np.stack([stairs.m1, stairs.m23, stairs.m23], axis=1),
            bayes_optimal=np.stack([stairs.m1_bayes, stairs.m23_bayes, stairs.m23_bayes],
                                   axis=1), status=stairs.status)
    if target == _SIGN_PAIR:
        pair = sign_pair_curve(alpha)
        both = np.repeat(pair.m[:, None], 2, axis=1)
        return EigenvalueCurve(alpha=pair.alpha, target=target, weights=weights,
                               uninformed=both, bayes_optimal=both, status=pair.status)
    curve = isotropic_curve(target, alpha)
    p = curve.p
    return EigenvalueCurve(alpha=curve.alpha, target=target, weights=weights,
                           uninformed=np.repeat(curve.uninformed[:, None], p, axis=1),
                           bayes_optimal=np.repeat(curve.bayes_optimal[:, None], p, axis=1),
                           status=curve.status)
