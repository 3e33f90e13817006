"""Output channels: identities, independent quadrature, sampling."""

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from theory import channels

CHANNELS = [channels.Linear(noise=0.0), channels.Linear(noise=0.3), channels.Sign(),
            channels.Sign(flip=0.1), channels.Abs(), channels.Abs(noise=0.2)]


@pytest.mark.parametrize("channel", CHANNELS, ids=repr)
def test_free_entropy_derivative_is_half_the_rate(channel):
    """Psi_out'(q) = R(q) / 2 (the output-side I-MMSE relation)."""
    q = np.array([0.1, 0.4, 0.8, 0.95])
    h = 1e-6
    dpsi = (channel.free_entropy(q + h) - channel.free_entropy(q - h)) / (2 * h)
    np.testing.assert_allclose(dpsi, channel.overlap_rate(q) / 2, rtol=2e-5)


def _sign_rate(q, eps):
    V = 1 - q

    def integrand(xi):
        total = 0.0
        for y in (1, -1):
            u = y * np.sqrt(q) * xi / np.sqrt(V)
            log_z = norm.logcdf(u) if eps == 0 else np.log(eps + (1 - 2 * eps) * norm.cdf(u))
            # Z g^2 = (1 - 2 eps)^2 pdf(u)^2 / (V Z), in log space for deep tails
            total += (1 - 2 * eps) ** 2 * np.exp(2 * norm.logpdf(u) - log_z) / V
        return total * norm.pdf(xi)

    return integrate.quad(integrand, -12, 12, points=[0], limit=400, epsabs=1e-13)[0]


@pytest.mark.parametrize("flip", [0.0, 0.1])
@pytest.mark.parametrize("q", [0.0, 0.3, 0.9, 0.99])
def test_sign_rate_against_scipy_quad(flip, q):
    assert channels.Sign(flip=flip).overlap_rate(q) == pytest.approx(_sign_rate(q, flip),
                                                                     rel=1e-9)


def test_sign_rate_at_zero_closed_form():
    assert channels.Sign().overlap_rate(0.0) == pytest.approx(2 / np.pi, rel=1e-12)


@pytest.mark.parametrize(("q", "noise"), [(0.05, 0.0), (0.5, 0.0), (0.9, 0.0), (0.5, 0.2)])
def test_abs_rate_against_scipy_dblquad(q, noise):
    V = 1 - q + noise

    def integrand(w, xi):
        omega = np.sqrt(q) * xi
        y = abs(omega + np.sqrt(V) * w)
        g = (y * np.tanh(y * omega / V) - omega) / V
        return g * g * norm.pdf(w) * norm.pdf(xi)

    reference = integrate.dblquad(integrand, -10, 10, -10, 10, epsabs=1e-11)[0]
    assert channels.Abs(noise=noise).overlap_rate(q) == pytest.approx(reference, rel=1e-7)


def test_abs_is_uninformative_at_zero_overlap():
    c = channels.Abs()
    assert c.overlap_rate(0.0) == 0.0
    # E[y^2] - E[y]^2 for y = |z|: 1 - 2/pi
    assert c.label_error(0.0) == pytest.approx(1 - 2 / np.pi, rel=1e-9)
    assert c.label_error(1.0) == pytest.approx(0.0, abs=1e-6)
    # R(q) ~ R'(0) q near zero
    assert c.overlap_rate(1e-4) / 1e-4 == pytest.approx(c.rate_slope_at_zero(), rel=1e-3)


@pytest.mark.parametrize("channel", CHANNELS, ids=repr)
def test_gout_is_the_derivative_of_log_partition_in_expectation(channel):
    """E[g_out] = 0 and E[g_out^2] = R(q) when y is drawn from the channel (Monte Carlo)."""
    rng = np.random.default_rng(0)
    q, n = 0.6, 400_000
    omega = np.sqrt(q) * rng.standard_normal(n)
    z = omega + np.sqrt(1 - q) * rng.standard_normal(n)
    y = channel.sample(z, rng)
    g, _ = channel.g_out(y, omega, 1 - q)
    rate = channel.overlap_rate(q)
    assert abs(g.mean()) < 5 * g.std() / np.sqrt(n)
    assert (g**2).mean() == pytest.approx(rate, rel=0.02)


def test_sign_flips_are_sampled_at_the_stated_rate():
    rng = np.random.default_rng(1)
    z = rng.standard_normal(200_000)
    y = channels.Sign(flip=0.2).sample(z, rng)
    assert np.mean(y != np.sign(z)) == pytest.approx(0.2, abs=0.005)


@pytest.mark.parametrize("bad", [-0.1, np.nan, np.inf])
def test_bad_parameters_are_refused(bad):
    with pytest.raises(ValueError, match="noise"):
        channels.Linear(noise=bad)
    with pytest.raises(ValueError, match="flip"):
        channels.Sign(flip=bad)
    with pytest.raises(ValueError, match="flip"):
        channels.Sign(flip=0.7)
