"""Multi-index models: weak-recovery thresholds in closed form (z^2, sums of squares,
sign(z1 z2), sign(z1 z2 z3)) and against independent adaptive quadrature (z1 z2, z1 z2 z3, the
staircase); the committee machine's channel against independent quadratures, its
specialisation threshold against iterated state evolution, exact recovery's free entropy
against the prior's entropy, and the thresholds against the published ones."""

import numpy as np
import pytest
from scipy import integrate, special, stats

from theory import Status, multiindex


def _quad(f, lo, hi, points=None):
    return integrate.quad(f, lo, hi, points=points, limit=400, epsabs=1e-13, epsrel=1e-11)[0]


# -- weak recovery: closed forms ------------------------------------------------------------------
def test_z_squared_threshold_is_one_half():
    result = multiindex.weak_recovery_threshold("z^2")
    assert result.classification == "easy"
    assert result.alpha_c == pytest.approx(0.5, rel=1e-10)
    assert result.status == Status.CONVERGED


@pytest.mark.parametrize(("target", "p"), [("z1^2+z2^2", 2), ("z1^2+z2^2+z3^2", 3)])
def test_sums_of_squares_threshold_is_p_over_two(target, p):
    """y = |z|^2: G = (y/p - 1) I, so F = E[(y/p - 1)^2] Id = (2/p) Id on every symmetric
    matrix, and every direction is learned at alpha = p/2."""
    result = multiindex.weak_recovery_threshold(target)
    assert result.alpha_c == pytest.approx(p / 2, rel=1e-10)
    np.testing.assert_allclose(result.spectrum, 2.0 / p, rtol=1e-10)
    np.testing.assert_allclose(result.direction_thresholds, p / 2, rtol=1e-10)


def test_sign_of_product_threshold_is_pi_squared_over_four():
    result = multiindex.weak_recovery_threshold("sign(z1*z2)")
    assert result.classification == "easy"
    assert result.alpha_c == pytest.approx(np.pi**2 / 4, rel=1e-12)
    # the spectrum of M -> (4/pi^2) sigma_x M sigma_x: +4/pi^2 twice, -4/pi^2 once
    np.testing.assert_allclose(result.spectrum, 4 / np.pi**2 * np.array([1, 1, -1]),
                               atol=1e-14)
    np.testing.assert_allclose(result.direction_thresholds, np.pi**2 / 4, rtol=1e-12)


def test_sign_of_triple_product_is_hard():
    """Given y = sign(z1 z2 z3), the |z_i| stay half-normal and pairwise products average to
    zero: G = 0, no direction is found from scratch."""
    result = multiindex.weak_recovery_threshold("sign(z1*z2*z3)")
    assert result.classification == "hard"
    assert result.alpha_c == np.inf
    assert np.max(np.abs(result.spectrum)) < 1e-14
    assert np.all(np.isposinf(result.direction_thresholds))


def test_committee_has_a_trivial_direction():
    """E[z | y = 2] = sqrt(2/pi) (1, 1): u = (z1 + z2)/sqrt 2 is learned at any alpha > 0."""
    result = multiindex.weak_recovery_threshold("committee")
    assert result.classification == "trivial"
    assert result.alpha_c == 0.0
    assert result.trivial_subspace.shape == (1, 2)
    np.testing.assert_allclose(np.abs(result.trivial_subspace[0]), np.sqrt(0.5), atol=1e-14)
    spec = multiindex.committee_thresholds("gaussian").specialization
    np.testing.assert_allclose(result.direction_thresholds, [0.0, spec])


def test_unknown_target_is_refused():
    with pytest.raises(ValueError, match="unknown target"):
        multiindex.weak_recovery_threshold("z1+z2")


# -- weak recovery: against independent quadrature -----------------------------------------------
def _pair_moments_by_quadrature(y):
    """p(y) and E[z1^2 | y] for y = z1 z2 from the hyperbola z2 = y / z1 (no Bessel)."""
    def density(t, k):
        return t**k * stats.norm.pdf(t) * stats.norm.pdf(y / t) / t
    p = 2 * _quad(lambda t: density(t, 0), 0, np.inf)
    m2 = 2 * _quad(lambda t: density(t, 2), 0, np.inf)
    return p, m2 / p


@pytest.mark.parametrize("y", [0.05, 0.7, 2.5])
def test_product_pair_conditional_moments(y):
    density, a = multiindex._product_pair_moments(np.array(y))
    p_ref, a_ref = _pair_moments_by_quadrature(y)
    assert float(density) == pytest.approx(p_ref, rel=1e-9)
    assert float(a) == pytest.approx(a_ref, rel=1e-9)


def test_product_pair_threshold_against_quadrature():
    """y = z1 z2: G = (a - 1) I + y sigma_x with a = E[z1^2 | y]; in the basis (1, +-1)/sqrt 2,
    lambda_max = E[(a - 1 + y)^2] = 1 + E[(a - 1)^2] (E[y^2] = 1, the cross term is odd)."""
    def integrand(y):
        density, a = multiindex._product_pair_moments(np.array(y))
        return float(density * (a - 1.0) ** 2)

    second = 2 * (_quad(integrand, 0, 1) + _quad(integrand, 1, 60))
    result = multiindex.weak_recovery_threshold("z1*z2")
    assert result.spectrum[0] == pytest.approx(1.0 + second, rel=1e-8)
    assert result.spectrum[-1] == pytest.approx(second - 1.0, rel=1e-7)
    assert result.alpha_c == pytest.approx(1.0 / (1.0 + second), rel=1e-8)
    np.testing.assert_allclose(result.direction_thresholds, result.alpha_c)


def _triple_moments_by_quadrature(y):
    """p(y) and E[z1^2 | y] for y = z1 z2 z3 by adaptive quadrature over z1 = t, with the
    density K_0(|y| / t) / (pi t) of z2 z3 = y / t (checked above through the hyperbola)."""
    def part(k):
        def f(t):
            return t**k * stats.norm.pdf(t) * special.k0(y / t) / (np.pi * t)
        edge = y ** (1 / 3)
        return 2 * sum(integrate.quad(f, lo, hi, limit=400, epsabs=0, epsrel=1e-12)[0]
                       for lo, hi in ((0, edge), (edge, 40)))
    p = part(0)
    return p, part(2) / p


@pytest.mark.parametrize("y", [1e-9, 1e-3, 0.4, 3.0, 50.0])
def test_product_triple_conditional_moments(y):
    density, a = multiindex._product_triple_moments(np.array(y))
    p_ref, a_ref = _triple_moments_by_quadrature(y)
    assert float(density) == pytest.approx(p_ref, rel=1e-9)
    assert float(a) == pytest.approx(a_ref, rel=1e-9)


def test_product_triple_threshold_against_quadrature():
    """G = (a(y) - 1) I: lambda = E[(a - 1)^2], every symmetric matrix an eigen-matrix; E[a] = 1
    (the tower rule) checks the label quadrature's normalisation."""
    def integrand(log_y):
        y = np.exp(log_y)
        p, a = _triple_moments_by_quadrature(y)
        return y * p * (a - 1) ** 2

    second = 0.0
    for lo, hi in ((-40, -5), (-5, 0), (0, np.log(80))):  # Gauss-Legendre panels in log y
        x, w = np.polynomial.legendre.leggauss(40)
        nodes = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
        values = [integrand(n) for n in nodes]
        second += 2 * 0.5 * (hi - lo) * float(np.dot(w, values))
    result = multiindex.weak_recovery_threshold("z1*z2*z3")
    np.testing.assert_allclose(result.spectrum, second, rtol=1e-7)
    labels = multiindex._labels("z1*z2*z3")
    assert np.sum(labels.prob * labels.second[:, 0, 0]) == pytest.approx(1.0, abs=1e-9)


def _staircase_by_quadrature():
    """E over y = z1^2 + s of (E[z1^2 | y] - 1)^2 and E[s | y]^2, integrating over y with
    the chi-square densities (the Bayes posterior of s from them)."""
    def chi(u):
        return stats.chi2.pdf(u, 1) if u > 0 else 0.0

    def terms(y):
        plus, minus = 0.5 * chi(y - 1), 0.5 * chi(y + 1)
        mean_s = (plus - minus) / (plus + minus)
        return plus + minus, (y - mean_s - 1) ** 2, mean_s**2

    first = sum(_quad(lambda y: terms(y)[0] * terms(y)[1], lo, hi)
                for lo, hi in ((-1, 1), (1, 3), (3, 80)))
    block = sum(_quad(lambda y: terms(y)[0] * terms(y)[2], lo, hi)
                for lo, hi in ((-1, 1), (1, 3), (3, 80)))
    return first, (2 / np.pi) ** 2 * block


def test_staircase_first_step_against_quadrature():
    first, block = _staircase_by_quadrature()
    result = multiindex.weak_recovery_threshold("z1^2+sign(z2*z3)")
    assert result.classification == "easy"
    assert result.spectrum[0] == pytest.approx(first, rel=1e-7)
    assert result.alpha_c == pytest.approx(1 / first, rel=1e-7)
    # the leading eigen-matrix is e1 e1^T: z1 alone is learned first
    np.testing.assert_allclose(np.abs(result.modes[0]), np.diag([1.0, 0.0, 0.0]), atol=1e-9)
    # the (z2, z3) block's eigenvalue at M = 0, lambda_perp(0), from the label table
    assert np.any(np.abs(result.spectrum - block) < 1e-7 * block)


def test_staircase_state_evolution_matches_the_linearisation():
    """The first direction's state evolution R1(m) / m -> lambda_1 as m -> 0 and the block's
    lambda_perp(m) -> lambda_perp(0): the teacher-variable quadrature of the state evolution
    against the label-table quadrature of F."""
    first, block = _staircase_by_quadrature()
    R1, lam = multiindex._staircase_first_direction(np.array([1e-7]))
    assert float(R1[0]) / 1e-7 == pytest.approx(first, rel=1e-5)
    assert float(lam[0]) == pytest.approx(block, rel=1e-5)
    # exact recovery of z1 reveals s = y - z1^2: lambda_perp -> 4/pi^2
    _, lam_one = multiindex._staircase_first_direction(np.array([1 - 1e-7]))
    assert float(lam_one[0]) == pytest.approx(4 / np.pi**2, rel=1e-6)


def test_staircase_learns_its_directions_one_after_the_other():
    result = multiindex.weak_recovery_threshold("z1^2+sign(z2*z3)")
    step = multiindex.staircase_second_threshold()
    assert step.status == Status.CONVERGED
    assert step.first_alpha == pytest.approx(result.alpha_c, rel=1e-5)
    assert step.first_alpha < step.jump_alpha < step.alpha
    # along GAMP's branch the block stays stable; it is learned once z1 is known exactly,
    # at the threshold of sign(z2 z3)
    assert step.m1 == 1.0
    assert step.alpha == pytest.approx(np.pi**2 / 4, rel=1e-12)
    np.testing.assert_allclose(result.direction_thresholds,
                               [result.alpha_c, np.pi**2 / 4, np.pi**2 / 4])
