"""Ridge regression learning curves against closed forms, Bayes optimality and simulations."""

import numpy as np
import pytest

from theory import channels, erm, glm, priors


def test_ridgeless_limits_are_the_known_double_descent():
    alpha = np.array([0.25, 0.5, 2.0, 4.0])
    noise = 0.3
    c = erm.ridge_curve(alpha=alpha, lam=0.0, noise=noise)
    expected = np.where(alpha < 1, 1 - alpha + noise * alpha / (1 - alpha),
                        noise / (alpha - 1)) + noise
    np.testing.assert_allclose(c.test_error, expected, rtol=1e-12)
    # small lam tends to the ridgeless curve
    small = erm.ridge_curve(alpha=alpha, lam=1e-9, noise=noise)
    np.testing.assert_allclose(small.test_error, expected, rtol=1e-5)
    assert np.isinf(erm.ridge_curve(alpha=[1.0], lam=0.0, noise=noise).test_error[0])


@pytest.mark.parametrize("noise", [0.05, 0.5])
def test_optimal_ridge_is_bayes_optimal_for_a_gaussian_teacher(noise):
    """lam = noise gives the posterior mean of a Gaussian prior: the Bayes-optimal GLM curve."""
    alpha = np.linspace(0.1, 3.0, 30)
    ridge = erm.ridge_curve(alpha=alpha, lam=noise, noise=noise)
    bayes = glm.curve(prior=priors.Gaussian(), channel=channels.Linear(noise=noise),
                      alpha=alpha)
    np.testing.assert_allclose(ridge.test_error, bayes.bayes_optimal.generalization_error,
                               rtol=1e-7)
    # and no other regularisation does better
    for lam in (noise / 3, noise * 3):
        assert np.all(erm.ridge_curve(alpha=alpha, lam=lam, noise=noise).test_error
                      >= ridge.test_error - 1e-12)


def test_marchenko_pastur_resolvent_by_sampling():
    """m(lam) = tr (S + lam)^-1 / N for S = F^T F / N, checked on a sampled matrix."""
    n, alpha, lam = 1500, 0.7, 0.2
    rng = np.random.default_rng(3)
    F = rng.standard_normal((round(alpha * n), n))
    eig = np.linalg.eigvalsh(F.T @ F / n)
    sampled = np.mean(1.0 / (eig + lam))
    b = lam + alpha - 1
    m = (-b + np.sqrt(b * b + 4 * lam)) / (2 * lam)
    assert sampled == pytest.approx(m, rel=5e-3)


@pytest.mark.parametrize(("lam", "alpha"), [(1e-3, 0.5), (1e-3, 1.5), (0.0, 2.0), (0.5, 1.0)])
def test_finite_size_ridge_agrees_with_theory(lam, alpha):
    sim = erm.simulate_ridge(alpha=[alpha], lam=lam, noise=0.2, n=1000, runs=5, seed=1)
    theory = erm.ridge_curve(alpha=[alpha], lam=lam, noise=0.2).test_error[0]
    tolerance = 4 * sim.test_error_sem[0] + 0.04 * theory
    assert abs(sim.test_error_mean[0] - theory) < tolerance


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="alpha"):
        erm.ridge_curve(alpha=[-1.0], lam=0.1, noise=0.1)
    with pytest.raises(ValueError, match="lam"):
        erm.ridge_curve(alpha=[1.0], lam=np.nan, noise=0.1)
    with pytest.raises(ValueError, match="n must"):
        erm.simulate_ridge(alpha=[1.0], lam=0.1, noise=0.1, n=10**6)


@pytest.mark.parametrize(("m", "q", "V", "flip"),
                         [(0.8, 1.5, 3.0, 0.0), (2.3, 11.0, 60.0, 0.0), (0.5, 0.9, 1.0, 0.1),
                          (3.7, 14.0, 1.0, 0.0), (0.3, 0.5, 90.0, 0.0), (1.9, 4.0, 0.3, 0.2)])
def test_logistic_map_against_direct_quadrature(m, q, V, flip):
    """The replica map computed over the proximal point p equals the textbook form: an
    integral over xi (scipy quad) with the proximal operator solved by brentq."""
    from scipy import integrate, optimize
    from scipy.stats import norm

    def prox(y, omega):
        g = lambda z: z - omega - V * y / (1 + np.exp(y * z))  # noqa: E731
        return optimize.brentq(g, omega - V - 1, omega + V + 1, xtol=1e-14)

    def moments(xi):
        out = np.zeros(3)
        omega, w_star, v_star = np.sqrt(q) * xi, m / np.sqrt(q) * xi, 1 - m * m / q
        for y in (1.0, -1.0):
            p = prox(y, omega)
            s = 1 / (1 + np.exp(y * p))
            f, df = y * s, -s * (1 - s) / (1 + V * s * (1 - s))
            u = y * w_star / np.sqrt(v_star)
            Z = flip + (1 - 2 * flip) * norm.cdf(u)
            dZ = (1 - 2 * flip) * y * norm.pdf(u) / np.sqrt(v_star)
            out += np.array([dZ * f, Z * f * f, -Z * df])
        return out * norm.pdf(xi)

    hats = [integrate.quad(lambda xi, k=k: moments(xi)[k], -11, 11, limit=400,
                           epsabs=1e-12)[0] for k in range(3)]
    alpha, lam = 1.3, 0.1
    mh, qh, Vh = (alpha * h for h in hats)
    expected = (mh / (lam + Vh), (mh * mh + qh) / (lam + Vh) ** 2, 1 / (lam + Vh))
    got = erm._logistic_map(np.array([alpha]), lam, np.array([m]), np.array([q]),
                            np.array([V]), 101, flip)
    np.testing.assert_allclose(np.concatenate(got), expected, rtol=1e-7)


@pytest.mark.parametrize(("lam", "flip"), [(0.01, 0.0), (0.1, 0.0), (1.0, 0.1)])
def test_logistic_curve_is_a_fixed_point_of_the_map(lam, flip):
    """Whatever the warm start, the returned states are fixed points of the replica map
    (relative residual 1e-8), and a long grid equals the same alphas solved alone."""
    alpha = np.linspace(0.05, 10.0, 200)
    c = erm.logistic_curve(alpha=alpha, lam=lam, flip=flip)
    assert c.converged.all()
    image = erm._logistic_map(alpha, lam, c.m, c.q, c.V, 32, flip)
    for got, state in zip(image, (c.m, c.q, c.V), strict=True):
        np.testing.assert_allclose(got, state, rtol=1e-8)
    alone = erm.logistic_curve(alpha=alpha[::37], lam=lam, flip=flip)
    np.testing.assert_allclose(alone.test_error, c.test_error[::37], rtol=1e-8)


def test_logistic_strong_regularisation_is_the_hebbian_rule():
    """lam -> inf: w -> sum_mu y_mu F_mu / lam, whose error is arccos(sqrt(2a/(pi+2a)))/pi."""
    alpha = np.array([0.5, 1.0, 3.0])
    c = erm.logistic_curve(alpha=alpha, lam=1e4)
    hebb = np.arccos(np.sqrt(2 * alpha / (np.pi + 2 * alpha))) / np.pi
    assert c.converged.all()
    np.testing.assert_allclose(c.test_error, hebb, atol=1e-4)


@pytest.mark.parametrize(("lam", "flip"), [(0.03, 0.0), (0.3, 0.0), (2.0, 0.0), (0.3, 0.1)])
def test_logistic_agrees_with_finite_size_fits(lam, flip):
    alpha = np.array([0.5, 2.0])
    theory = erm.logistic_curve(alpha=alpha, lam=lam, flip=flip)
    assert theory.converged.all()
    sim = erm.simulate_logistic(alpha=alpha, lam=lam, flip=flip, n=1000, runs=3, seed=3)
    tolerance = 4 * sim.test_error_sem + 0.01
    assert np.all(np.abs(sim.test_error_mean - theory.test_error) < tolerance)


def test_logistic_refuses_vanishing_regularisation():
    with pytest.raises(ValueError, match="lam must be at least"):
        erm.logistic_curve(alpha=[1.0], lam=1e-4)


@pytest.mark.parametrize("psi", [0.5, 2.0])
def test_marchenko_pastur_rule_moments(psi):
    """E[s] = 1 and E[s^2] = 1 + psi for S = F F^T / d with F p x d, psi = p / d."""
    s, w = erm._mp_rule(psi)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.sum(w * s) == pytest.approx(1.0, rel=1e-8)
    assert np.sum(w * s * s) == pytest.approx(1.0 + psi, rel=1e-8)


def test_tanh_equivalence_coefficients_by_stein_identity():
    """kappa1 = E[z tanh z] = E[tanh'(z)] = E[1 - tanh^2 z] (Stein)."""
    from scipy import integrate
    from scipy.stats import norm

    k1, k_star2 = erm._tanh_coefficients()
    stein = integrate.quad(lambda z: (1 - np.tanh(z) ** 2) * norm.pdf(z), -12, 12)[0]
    assert k1 == pytest.approx(stein, rel=1e-9)
    second = integrate.quad(lambda z: np.tanh(z) ** 2 * norm.pdf(z), -12, 12)[0]
    assert k_star2 == pytest.approx(second - stein**2, rel=1e-8)


@pytest.mark.parametrize(("psi", "lam", "alpha"),
                         [(2.0, 1e-3, 1.0), (2.0, 1e-3, 3.0), (2.0, 0.1, 1.5), (0.5, 0.01, 2.0)])
def test_random_features_agree_with_finite_size_fits(psi, lam, alpha):
    theory = erm.random_features_curve(alpha=[alpha], psi=psi, lam=lam, noise=0.1)
    assert theory.converged.all()
    sim = erm.simulate_random_features(alpha=[alpha], psi=psi, lam=lam, noise=0.1, d=300,
                                       runs=6, seed=5)
    tolerance = 4 * sim.test_error_sem[0] + 0.03 * theory.test_error[0]
    assert abs(sim.test_error_mean[0] - theory.test_error[0]) < tolerance


def test_random_features_interpolation_peak_is_at_n_equals_p():
    alpha = np.linspace(0.5, 4.0, 351)
    for psi in (1.0, 2.0):
        curve = erm.random_features_curve(alpha=alpha, psi=psi, lam=1e-6, noise=0.2)
        assert abs(alpha[np.argmax(curve.test_error)] - psi) < 0.02
    # regularisation tames the peak
    tamed = erm.random_features_curve(alpha=alpha, psi=2.0, lam=0.1, noise=0.2)
    assert tamed.test_error.max() < curve.test_error.max() / 3


def test_random_features_at_input_dimension_1000():
    theory = erm.random_features_curve(alpha=[1.5], psi=1.0, lam=0.01, noise=0.1)
    sim = erm.simulate_random_features(alpha=[1.5], psi=1.0, lam=0.01, noise=0.1, d=1000,
                                       runs=3, seed=9)
    tolerance = 4 * sim.test_error_sem[0] + 0.03 * theory.test_error[0]
    assert abs(sim.test_error_mean[0] - theory.test_error[0]) < tolerance
