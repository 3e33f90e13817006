"""Identities every prior must satisfy, checked against independent computations."""

import numpy as np
import pytest
from scipy import integrate

from theory import priors

ALL_PRIORS = [
    priors.Gaussian(),
    priors.Rademacher(),
    priors.SparseRademacher(rho=0.05),
    priors.SparseRademacher(rho=0.4),
    priors.SparseRademacher(rho=1.0),
    priors.GaussBernoulli(rho=0.1),
    priors.GaussBernoulli(rho=1.0),
]


@pytest.mark.parametrize("prior", ALL_PRIORS, ids=repr)
def test_moments_by_sampling(prior):
    x = prior.sample(400_000, np.random.default_rng(1))
    assert abs(x.mean()) < 0.02
    assert abs((x**2).mean() - 1.0) < 0.03


def _brute_force_posterior(prior, B, A):
    """Posterior mean/variance by direct summation/integration over x (independent code)."""
    if isinstance(prior, (priors.Gaussian, priors.GaussBernoulli)):
        var = 1.0 if isinstance(prior, priors.Gaussian) else 1.0 / prior.rho
        slab_w = 1.0 if isinstance(prior, priors.Gaussian) else prior.rho

        def moment(k):
            f = lambda x: x**k * np.exp(B * x - A * x * x / 2 - x * x / (2 * var))  # noqa: E731
            val = integrate.quad(f, -np.inf, np.inf, epsabs=0, epsrel=1e-12)[0]
            return slab_w * val / np.sqrt(2 * np.pi * var)

        Z = moment(0) + (1 - slab_w)
        m1, m2 = moment(1) / Z, moment(2) / Z
        return np.log(Z), m1, m2 - m1**2
    atoms, probs = np.array(prior.atoms), np.array(prior.probs)
    w = probs * np.exp(B * atoms - A * atoms**2 / 2)
    Z = w.sum()
    m1 = (w * atoms).sum() / Z
    return np.log(Z), m1, (w * atoms**2).sum() / Z - m1**2


@pytest.mark.parametrize("prior", ALL_PRIORS, ids=repr)
@pytest.mark.parametrize(("B", "A"), [(0.3, 0.5), (-1.2, 2.0), (2.5, 4.0), (0.0, 0.1)])
def test_denoiser_against_direct_integration(prior, B, A):
    logZ, mean, var = _brute_force_posterior(prior, B, A)
    m, v = prior.posterior(B, A)
    assert prior.log_partition(B, A) == pytest.approx(logZ, rel=1e-9, abs=1e-12)
    assert m == pytest.approx(mean, rel=1e-9, abs=1e-12)
    assert v == pytest.approx(var, rel=1e-8, abs=1e-12)


@pytest.mark.parametrize("prior", ALL_PRIORS, ids=repr)
def test_mean_and_variance_are_derivatives_of_log_partition(prior):
    B = np.linspace(-4, 4, 17)
    A, h = 1.3, 1e-5
    lz = lambda b: prior.log_partition(b, A)  # noqa: E731
    mean, var = prior.posterior(B, A)
    np.testing.assert_allclose((lz(B + h) - lz(B - h)) / (2 * h), mean, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        (lz(B + h) - 2 * lz(B) + lz(B - h)) / h**2, var, rtol=1e-3, atol=1e-4
    )


@pytest.mark.parametrize("prior", ALL_PRIORS, ids=repr)
def test_extreme_inputs_stay_finite(prior):
    B = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    for A in (0.0, 1e-12, 1e3):
        m, v = prior.posterior(B, A)
        assert np.all(np.isfinite(m))
        assert np.all(np.isfinite(v))
        assert np.all(np.isfinite(prior.log_partition(B, A)))


@pytest.mark.parametrize("rho", [0.0, -0.1, 1.5, float("nan")])
def test_bad_rho_is_refused(rho):
    with pytest.raises(ValueError, match="rho"):
        priors.SparseRademacher(rho=rho)
    with pytest.raises(ValueError, match="rho"):
        priors.GaussBernoulli(rho=rho)


def test_registry_builds_every_prior():
    assert priors.make_prior("gauss_bernoulli", 0.2) == priors.GaussBernoulli(rho=0.2)
    assert priors.make_prior("gaussian") == priors.Gaussian()
    with pytest.raises(ValueError, match="unknown prior"):
        priors.make_prior("laplace")
