"""Storage capacity: closed forms against independent adaptive quadrature, identities,
published values (Gardner, Krauth-Mezard, Maillard et al.) and simulations (linear
programming, hard-margin SVM)."""

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from theory import Status, capacity


def _gauss(f, lo=-np.inf, hi=np.inf):
    value, _ = integrate.quad(lambda z: f(z) * stats.norm.pdf(z), lo, hi, limit=200,
                              epsabs=1e-13, epsrel=1e-12)
    return value


def _ratio_squared_mean(q, kappa):
    """E_t[(phi(u) / H(u))^2] by adaptive quadrature, in plain (less careful) numerics."""
    def integrand(t):
        u = (kappa - np.sqrt(q) * t) / np.sqrt(1 - q)
        return (stats.norm.pdf(u) / stats.norm.sf(u)) ** 2 if u < 30 else u * u + 2.0
    centre = kappa / np.sqrt(q)
    return sum(_gauss(integrand, lo, hi) for lo, hi in ((-np.inf, centre), (centre, np.inf)))


@pytest.mark.parametrize("kappa", [-1.0, -0.3, 0.0, 0.5, 2.0])
def test_gardner_capacity_matches_quadrature(kappa):
    moment = _gauss(lambda z: (z + kappa) ** 2, -kappa, np.inf)
    result = capacity.gardner_capacity(kappa)
    assert float(result.alpha_c) == pytest.approx(1.0 / moment, rel=1e-10)
    assert bool(result.rs_exact) == (kappa >= 0)  # kappa < 0: RSB needed, so flagged
    assert result.status == Status.CONVERGED


def test_gardner_capacity_is_two_at_zero_margin():
    assert float(capacity.gardner_capacity(0.0).alpha_c) == pytest.approx(2.0, abs=1e-14)


@pytest.mark.parametrize(("alpha", "kappa"), [(0.3, 0.0), (1.0, 0.0), (1.8, 0.0), (0.6, 0.5)])
def test_overlap_solves_the_saddle_point_equation(alpha, kappa):
    result = capacity.version_space_overlap(alpha, kappa)
    q = float(result.q[0])
    assert result.converged.all()
    assert q / (1 - q) == pytest.approx(alpha * _ratio_squared_mean(q, kappa), rel=1e-7)


def _spherical_free_entropy(q, alpha, kappa=0.0):
    def log_h(t):
        return stats.norm.logsf((kappa - np.sqrt(q) * t) / np.sqrt(1 - q))
    return 0.5 * np.log1p(-q) + 0.5 * q / (1 - q) + alpha * _gauss(log_h)


def test_overlap_is_a_minimum_of_the_free_entropy_in_q():
    """The RS stationary point is a minimum in q (maximising would give q = 0)."""
    alpha = 1.2
    result = capacity.version_space_overlap(alpha)
    q = float(result.q[0])
    at = _spherical_free_entropy(q, alpha)
    assert float(result.free_entropy[0]) == pytest.approx(at, abs=1e-8)
    assert _spherical_free_entropy(q - 0.05, alpha) > at
    assert _spherical_free_entropy(q + 0.05, alpha) > at


def test_overlap_grows_to_one_at_capacity():
    alpha = np.array([0.5, 1.0, 1.5, 1.9, 1.99, 1.999])
    result = capacity.version_space_overlap(alpha)
    assert result.converged.all()
    assert np.all(np.diff(result.q) > 0)
    assert 1 - result.q[-1] < 1e-3
    beyond = capacity.version_space_overlap([2.0, 3.0])
    assert list(beyond.status) == [Status.OUT_OF_RANGE] * 2


def test_max_margin_inverts_the_capacity():
    alpha = np.array([0.05, 0.5, 1.0, 2.0, 3.0, 8.0])
    result = capacity.max_margin(alpha)
    assert result.converged.all()
    assert capacity.gardner_capacity(result.kappa).alpha_c == pytest.approx(alpha, rel=1e-10)
    assert result.kappa[3] == pytest.approx(0.0, abs=1e-10)
    assert list(result.rs_exact) == [True, True, True, True, False, False]


def test_binary_entropy_starts_at_log_two():
    assert float(capacity.binary_entropy(0.0).entropy[0]) == pytest.approx(math.log(2), abs=1e-12)


def test_binary_entropy_solves_its_saddle_point_equations():
    alpha = 0.6
    result = capacity.binary_entropy(alpha)
    q, q_hat = float(result.q[0]), float(result.q_hat[0])
    assert q == pytest.approx(_gauss(lambda z: np.tanh(np.sqrt(q_hat) * z) ** 2), rel=1e-8)
    assert q_hat == pytest.approx(alpha * _ratio_squared_mean(q, 0.0) / (1 - q), rel=1e-7)
    entropy = (-0.5 * q_hat * (1 - q)
               + _gauss(lambda z: np.logaddexp(np.sqrt(q_hat) * z, -np.sqrt(q_hat) * z))
               + alpha * _gauss(lambda t: stats.norm.logsf(-np.sqrt(q) * t / np.sqrt(1 - q))))
    assert float(result.entropy[0]) == pytest.approx(entropy, abs=1e-9)


def test_binary_capacity_is_krauth_mezard():
    result = capacity.binary_capacity()
    assert result.status == Status.CONVERGED
    assert result.alpha == pytest.approx(capacity.KRAUTH_MEZARD_CAPACITY, abs=1e-3)


def test_the_rs_q_to_one_point_is_the_wrong_binary_capacity():
    """RS reaches q -> 1 only near 4/pi, where its entropy is already negative."""
    near = capacity.binary_entropy(1.25)
    assert near.q[0] > 0.95
    assert near.entropy[0] < -0.5
    assert pytest.approx(4 / math.pi) == capacity.RS_BINARY_WRONG_CAPACITY


def _error_fraction_by_maximising(alpha):
    """e(alpha) from the zero-temperature RS energy, maximised over x = beta (1 - q) by a
    bounded scalar search, with the Gaussian integrals by adaptive quadrature."""
    def energy(log_x):
        x = math.exp(log_x)
        c = math.sqrt(2 * x)
        moment = _gauss(lambda t: t * t, -c, 0.0)
        return -(-1 / (2 * x) + alpha * (moment / (2 * x) + stats.norm.cdf(-c)))
    best = optimize.minimize_scalar(energy, bounds=(-8, 8), method="bounded",
                                    options={"xatol": 1e-10})
    return -best.fun / alpha


@pytest.mark.parametrize("alpha", [2.5, 4.0, 10.0])
def test_min_error_fraction_maximises_the_rs_energy(alpha):
    result = capacity.min_error_fraction(alpha)
    assert result.converged.all()
    assert float(result.errors[0]) == pytest.approx(_error_fraction_by_maximising(alpha),
                                                    abs=1e-7)


def test_min_error_fraction_is_zero_up_to_capacity_and_below_one_half():
    alpha = np.array([0.5, 2.0, 2.0001, 3.0, 50.0, 1000.0])
    e = capacity.min_error_fraction(alpha).errors
    assert list(e[:2]) == [0.0, 0.0]
    assert 0 < e[2] < 1e-3  # continuous at alpha_c
    assert np.all(np.diff(e[1:]) > 0)
    assert e[-1] < 0.5


def test_relu_injectivity_rs_threshold_is_the_published_value():
    result = capacity.relu_injectivity_threshold()
    assert result.status == Status.CONVERGED
    assert result.replica_symmetric == pytest.approx(7.65, abs=0.01)  # Maillard et al. 2023
    e = capacity.min_error_fraction(result.replica_symmetric).errors[0]
    assert result.replica_symmetric * e == pytest.approx(1.0, abs=1e-9)
    assert result.full_rsb < result.replica_symmetric < result.euler_characteristic


def test_cover_probability_is_one_half_at_twice_the_dimension():
    n = np.arange(1, 60)
    assert capacity.cover_probability(2 * n, n) == pytest.approx(np.full(n.shape, 0.5),
                                                                 abs=1e-14)


@pytest.mark.parametrize(("p", "n"), [(5, 3), (30, 10), (41, 20), (3, 5)])
def test_cover_probability_is_covers_count(p, n):
    count = 2 * sum(math.comb(p - 1, k) for k in range(n))
    assert capacity.cover_probability(p, n) == pytest.approx(min(count / 2**p, 1.0),
                                                             rel=1e-12)


def test_separability_simulation_matches_cover():
    n, trials = 40, 200
    alpha = np.array([1.5, 2.0, 2.5])
    sim = capacity.simulate_separability(alpha, n, trials, seed=3)
    exact = capacity.cover_probability(sim.patterns, n)
    assert sim.converged.all()
    spread = np.sqrt(exact * (1 - exact) / trials)
    assert np.all(np.abs(sim.fraction - exact) <= 3 * spread + 1e-12)


def test_max_margin_simulation_follows_the_rs_margin():
    alpha = np.array([0.5, 1.0])
    sim = capacity.simulate_max_margin(alpha, n=200, trials=40, seed=5)
    assert sim.converged.all()
    theory = capacity.max_margin(alpha).kappa
    assert np.all(np.abs(sim.mean - theory) <= 3 * sim.stderr)


def test_max_margin_of_an_inseparable_instance_is_flagged():
    sim = capacity.simulate_max_margin([4.0], n=20, trials=3, seed=0)
    assert list(sim.status) == [Status.OUT_OF_RANGE]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="whole numbers"):
        capacity.cover_probability(2.5, 2)
    with pytest.raises(ValueError, match="need n >= 1"):
        capacity.simulate_separability([1.0], n=0, trials=10)
    assert capacity.max_margin([-1.0, np.nan]).status.tolist() == [Status.OUT_OF_RANGE] * 2
