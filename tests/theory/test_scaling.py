"""Kernel ridge scaling laws: the deterministic equivalent against direct summation, its limits
(ridgeless equation, least squares, the null estimator, the population ridge), brute-force
optimisation, finite differences, the closed-form exponents of Cui et al. 2021 (fitted
slopes), the sigma^{-1/(a r_bar)} scaling of the crossover, and dual-ridge simulations."""

import pickle

import numpy as np
import pytest
from scipy import optimize
from threadpoolctl import threadpool_limits

from theory import Status, scaling

P_SLOPES = 2_000_000
N_SLOPES = np.geomspace(2e3, 1.6e4, 9)


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """As in the app's worker processes (dashboards.processes): on a loaded machine BLAS
    threads contend, and the simulations' small Gram matrices and solves took 40x longer."""
    with threadpool_limits(1):
        yield


def _spectrum(a, r, p):
    k = np.arange(1.0, p + 1.0)
    return k**-a, k ** -(1.0 + 2.0 * a * r)  # eta_k, theta*_k^2 eta_k


def _direct_error(a, r, p, n, reg, noise, kappa):
    """The deterministic equivalent's error at a given kappa, summing every term."""
    eta, target = _spectrum(a, r, p)
    df2 = np.sum(eta**2 / (eta + kappa) ** 2)
    bias = kappa**2 * np.sum(target / (eta + kappa) ** 2)
    residual = kappa - reg - kappa / n * np.sum(eta / (eta + kappa))
    return residual, df2, (bias + noise * df2 / n) / (1 - df2 / n)


def _fitted_exponent(n, error):
    return -np.polyfit(np.log(n), np.log(error), 1)[0]


# -- the deterministic equivalent -------------------------------------------------------------
@pytest.mark.parametrize(("a", "r", "noise", "reg", "p"), [
    (2.0, 0.3, 0.5, 1e-5, P_SLOPES), (1.3, 0.4, 0.0, 0.0, P_SLOPES),
    (3.5, 1.5, 2.0, 1e-3, P_SLOPES), (2.0, 0.3, 0.1, 0.0, P_SLOPES), (1.1, 0.3, 0.1, 0.0, 2000),
    (2.0, 0.3, 0.1, 1e-6, 2000), (4.0, 0.8, 1.0, 0.0, 2000)])
def test_kappa_solves_the_self_consistent_equation_by_direct_summation(a, r, noise, reg, p):
    """The compressed sums (head, Euler-Maclaurin quadrature, zeta tail) against the sum of
    all P terms, at the solved kappa, up to n = 0.999 P for P = 2000."""
    n = np.array([30.0, 700.0, 16000.0]) if p == P_SLOPES else np.array([30.0, 700.0, 1998.0])
    curve = scaling.excess_error(n, a, r, noise, reg, features=p)
    assert curve.converged.all()
    for i, m in enumerate(n):
        kappa = curve.kappa[i]
        residual, df2, error = _direct_error(a, r, p, m, reg, noise, kappa)
        assert abs(residual) <= 1e-9 * kappa
        assert curve.df2[i] == pytest.approx(df2, rel=1e-8)
        assert curve.error[i] == pytest.approx(error, rel=1e-8)
    assert curve.bias + curve.variance == pytest.approx(curve.error, rel=1e-12)


def test_infinite_features_is_the_limit_of_many_features():
    """P = inf (a zeta tail) against P = 4e6 summed directly; with a = 3 what the direct sum
    leaves out of df1 is ~ (4e6)^{-2} / (2 kappa) < 1e-5 (kappa > 1e-9 here), 1e-8 of df1."""
    a, r, noise = 3.0, 0.6, 0.3
    n = np.array([10.0, 300.0])
    curve = scaling.excess_error(n, a, r, noise, 0.0)
    assert curve.features == np.inf
    assert np.all(curve.kappa > 1e-9)
    for i, m in enumerate(n):
        _, _, error = _direct_error(a, r, 4_000_000, m, 0.0, noise, curve.kappa[i])
        assert curve.error[i] == pytest.approx(error, rel=1e-7)


@pytest.mark.parametrize("a", [1.5, 2.0, 4.0, 8.0, 10.0])
def test_ridgeless_kappa_of_the_kernel_limit_is_the_integral_one(a):
    """P = inf, lambda = 0: sum_k 1 / (1 + kappa k^a) = n is, by Euler-Maclaurin (f'(0) = 0),
    int_0^inf dk / (1 + kappa k^a) - 1/2 = kappa^{-1/a} (pi / a) / sin(pi / a) - 1/2 up to
    terms that vanish as kappa -> 0: kappa = ((n + 1/2) sin(pi / a) / (pi / a))^{-a}, down to
    kappa ~ 1e-150 for a = 10, n = 1e15 (where powers of 1 / kappa overflow)."""
    n = np.array([1e6, 1e12, 1e15])
    c = scaling.excess_error(n, a, 0.5, 0.3, 0.0)
    assert c.converged.all()
    expected = ((n + 0.5) * np.sin(np.pi / a) / (np.pi / a)) ** -a
    np.testing.assert_allclose(c.kappa, expected, rtol=1e-11)
    assert np.all(np.isfinite(c.error))
    assert np.all(np.isfinite(c.local_exponent()))


def test_degrees_of_freedom_and_kappa_obey_their_bounds():
    n = np.geomspace(1, 1e6, 40)
    for reg in (0.0, 1e-4, 0.3):
        c = scaling.excess_error(n, 1.8, 0.4, 0.2, reg)
        assert c.converged.all()
        assert np.all(c.kappa >= reg)
        assert np.all(c.df2 <= c.df1 + 1e-12)
        assert np.all(c.df1 <= n * (1 + 1e-12))
        np.testing.assert_allclose(c.df1, n * (1 - reg / c.kappa), rtol=1e-9, atol=1e-12)
        # more data: smaller kappa, and without noise a smaller error at fixed lambda (with
        # noise the ridgeless variance rises to its plateau: not monotone)
        assert np.all(np.diff(c.kappa) < 0)
        clean = scaling.excess_error(n, 1.8, 0.4, 0.0, reg)
        assert np.all(np.diff(clean.error) < 0)


def test_error_grows_with_noise_and_only_the_variance_does():
    n = np.full(4, 500.0)
    c = scaling.excess_error(n, 2.0, 0.3, [0.0, 0.1, 1.0, 10.0], 1e-4)
    assert np.all(np.diff(c.error) > 0)
    np.testing.assert_allclose(c.bias, c.bias[0], rtol=1e-12)
    np.testing.assert_allclose(c.variance[1:] / c.noise[1:], c.variance[-1] / 10.0, rtol=1e-12)
    assert c.variance[0] == 0.0


def test_the_ridgeless_limit_is_the_ridgeless_equation():
    """lambda -> 0 against sum eta / (eta + kappa) = n solved by brentq on the direct sum."""
    a, r, p, noise = 2.0, 0.3, 20000, 0.2
    eta, _ = _spectrum(a, r, p)
    for n in (50.0, 1000.0, 9000.0):
        kappa0 = optimize.brentq(lambda k, n=n: np.sum(eta / (eta + k)) - n, 1e-14, 10.0,
                                 xtol=1e-300, rtol=1e-15)
        ridgeless = scaling.excess_error(n, a, r, noise, 0.0, features=p)
        tiny = scaling.excess_error(n, a, r, noise, kappa0 * 1e-7, features=p)
        assert float(ridgeless.kappa) == pytest.approx(kappa0, rel=1e-10)
        assert float(tiny.kappa) == pytest.approx(kappa0, rel=1e-6)
        assert float(tiny.error) == pytest.approx(float(ridgeless.error), rel=1e-5)


def test_least_squares_above_the_features():
    """lambda = 0 with n > P: kappa = 0, no bias, variance sigma^2 P / (n - P); n = P
    diverges."""
    p, noise = 300, 0.4
    n = np.array([301.0, 600.0, 3000.0, 300.0])
    c = scaling.excess_error(n, 2.0, 0.3, noise, 0.0, features=p)
    np.testing.assert_allclose(c.error[:3], noise * p / (n[:3] - p), rtol=1e-14)
    assert np.all(c.kappa == 0)
    assert np.all(c.bias[:3] == 0)
    assert list(c.status) == [Status.CONVERGED] * 3 + [Status.DIVERGED]
    # and a tiny lambda approaches it from the ridge side
    near = scaling.excess_error(n[:3], 2.0, 0.3, noise, 1e-16, features=p)
    np.testing.assert_allclose(near.error, c.error[:3], rtol=1e-6)


def test_few_samples_learn_nothing_and_many_reach_the_population_ridge():
    """n -> 0: eps -> sum theta*^2 eta (theta_hat = 0); n -> inf at fixed P and lambda:
    kappa -> lambda and eps -> lambda^2 sum b / (eta + lambda)^2 (the population ridge)."""
    a, r, p, reg = 1.7, 0.5, 5000, 1e-3
    eta, target = _spectrum(a, r, p)
    small = scaling.excess_error(1e-9, a, r, 1.0, reg, features=p)
    assert float(small.error) == pytest.approx(np.sum(target), rel=1e-6)
    big = scaling.excess_error(1e13, a, r, 1.0, reg, features=p)
    assert float(big.kappa) == pytest.approx(reg, rel=1e-8)
    assert float(big.error) == pytest.approx(reg**2 * np.sum(target / (eta + reg) ** 2),
                                             rel=1e-6)


def test_vectorised_equals_one_at_a_time():
    n = np.array([3.0, 80.0, 2500.0])
    reg = np.array([0.0, 1e-3, 0.1])
    together = scaling.excess_error(n, 2.2, 0.7, 0.3, reg)
    for i in range(3):
        alone = scaling.excess_error(n[i], 2.2, 0.7, 0.3, reg[i])
        assert float(alone.error) == pytest.approx(together.error[i], rel=1e-12)


@pytest.mark.parametrize("reg_exponent", [0.0, 1.0, 3.0])
def test_local_exponent_is_the_log_derivative(reg_exponent):
    """The implicit-function slopes against centred differences on a fine log grid."""
    a, r, noise = 2.0, 0.35, 0.05
    n = np.geomspace(10, 1e5, 400)
    reg = 1e-3 * n**-reg_exponent if reg_exponent else np.full(n.shape, 1e-4)
    c = scaling.excess_error(n, a, r, noise, reg)
    numeric = -np.gradient(np.log(c.error), np.log(n))
    np.testing.assert_allclose(c.local_exponent(reg_exponent)[1:-1], numeric[1:-1], atol=2e-4)


def test_learning_curve_follows_its_schedule():
    n = np.geomspace(10, 1e5, 200)
    scheduled = scaling.learning_curve(n, 2.0, 0.3, 0.1, reg_exponent=1.5, reg_scale=0.01)
    direct = scaling.excess_error(n, 2.0, 0.3, 0.1, 0.01 * n**-1.5)
    np.testing.assert_array_equal(scheduled.error, direct.error)
    numeric = -np.gradient(np.log(scheduled.error), np.log(n))
    np.testing.assert_allclose(scheduled.local_exponent()[1:-1], numeric[1:-1], atol=1e-3)
    optimal = scaling.learning_curve(n, 2.0, 0.3, 0.1)
    np.testing.assert_array_equal(optimal.error, scaling.optimal_reg(n, 2.0, 0.3, 0.1).curve.error)


def test_log_slope_in_lambda_is_the_log_derivative():
    n, noise = 400.0, 0.1
    reg = np.geomspace(1e-8, 1.0, 300)
    c = scaling.excess_error(n, 2.0, 0.3, noise, reg)
    numeric = np.gradient(np.log(c.error), np.log(reg))
    np.testing.assert_allclose(c.log_slope_reg[1:-1], numeric[1:-1], atol=3e-4)


# -- the optimal regularisation ---------------------------------------------------------------
@pytest.mark.parametrize(("a", "r", "noise", "p"), [
    (2.0, 0.3, 0.1, np.inf), (1.5, 1.5, 1.0, np.inf), (2.0, 0.3, 0.0, np.inf),
    (2.0, 0.5, 0.5, 400)])
def test_optimal_reg_beats_every_lambda_of_a_grid(a, r, noise, p):
    n = np.array([5.0, 100.0, 399.0, 401.0, 3000.0])
    best = scaling.optimal_reg(n, a, r, noise, p)
    assert best.converged.all()
    reg = np.concatenate([[0.0], np.geomspace(1e-14, 1e3, 600)])
    for i, m in enumerate(n):
        grid = scaling.excess_error(m, a, r, noise, reg, p)
        finite = grid.error[np.isfinite(grid.error)]
        assert best.curve.error[i] <= finite.min() * (1 + 1e-9)
        # and it is the curve at that lambda
        again = scaling.excess_error(m, a, r, noise, best.reg[i], p)
        assert float(again.error) == pytest.approx(best.curve.error[i], rel=1e-7)
    # at the optimum d eps / d lambda = 0 unless it sits at lambda = 0
    interior = ~best.ridgeless
    np.testing.assert_allclose(best.curve.log_slope_reg[interior], 0.0, atol=1e-6)


def test_optimal_reg_finds_the_deepest_of_several_minima():
    """A steep spectrum (a = 8.6) puts a step in eps at each eta_k: at n = 94 eps has two
    local minima in lambda, and the shallower one is the first a coarse search meets."""
    a, r, noise, n = 8.6, 0.0313, 26.1, 94.4
    best = scaling.optimal_reg(n, a, r, noise)
    assert best.converged.all()
    reg = np.geomspace(1e-40, 1e4, 2000)
    grid = scaling.excess_error(n, a, r, noise, reg).error
    assert float(best.curve.error) <= grid.min() * (1 + 1e-9)
    slope = np.diff(np.log(grid))
    assert np.sum((slope[:-1] < 0) & (slope[1:] > 0)) >= 2  # several local minima indeed


def test_optimal_lambda_decays_with_the_predicted_exponent():
    """Noisy: lambda* ~ n^{-a / (1 + 2 a r_bar)} (Cui et al. 2021)."""
    a, r = 2.0, 0.3
    best = scaling.optimal_reg(N_SLOPES, a, r, 1.0)
    slope = -np.polyfit(np.log(N_SLOPES), np.log(best.reg), 1)[0]
    predicted = scaling.decay_exponent(a, r, noisy=True).optimal_reg_exponent
    assert slope == pytest.approx(float(predicted), abs=0.03)


def test_optimal_error_decreases_with_n_and_its_exponent_follows_the_envelope():
    n = np.geomspace(1, 1e7, 300)
    best = scaling.optimal_reg(n, 2.0, 0.25, 1e-3)
    assert best.converged.all()
    assert np.all(np.diff(best.curve.error) < 0)
    numeric = -np.gradient(np.log(best.curve.error), np.log(n))
    np.testing.assert_allclose(best.curve.local_exponent()[1:-1], numeric[1:-1], atol=2e-3)


# -- the decay exponents ----------------------------------------------------------------------
def test_closed_form_exponents():
    noiseless = scaling.decay_exponent(2.0, [0.3, 1.5], noisy=False)
    np.testing.assert_allclose(noiseless.beta, [1.2, 4.0])
    np.testing.assert_array_equal(noiseless.saturated, [False, True])
    noisy = scaling.decay_exponent(2.0, [0.3, 1.5], noisy=True)
    np.testing.assert_allclose(noisy.beta, [1.2 / 2.2, 0.8])
    schedule = scaling.decay_exponent(2.0, 0.3, noisy=True, reg_exponent=[0.5, 1.6, 2.0, 3.0])
    np.testing.assert_allclose(schedule.beta, [0.3, 0.2, 0.0, 0.0], atol=1e-15)
    assert list(schedule.regime) == ["bias", "variance", "plateau", "plateau"]
    clean = scaling.decay_exponent(2.0, 0.3, noisy=False, reg_exponent=[0.5, 1.6, 3.0])
    np.testing.assert_allclose(clean.beta, [0.3, 0.96, 1.2])
    assert list(clean.regime) == ["bias", "bias", "ridgeless"]
    assert list(noiseless.regime) == ["ridgeless", "ridgeless"]
    assert list(noisy.regime) == ["balanced", "balanced"]


def test_the_optimal_schedule_maximises_the_noisy_exponent():
    """beta(l) = min(2 l r_bar, 1 - l / a) peaks at l = a / (1 + 2 a r_bar), where it equals
    the optimal-lambda exponent; over the whole (l, r) plane nothing beats it."""
    ell = np.linspace(0.0, 6.0, 6001)[None, :]
    r = np.array([0.1, 0.3, 0.9, 1.0, 2.0])[:, None]
    grid = scaling.decay_exponent(3.0, r, noisy=True, reg_exponent=ell)
    best = scaling.decay_exponent(3.0, r[:, 0], noisy=True)
    np.testing.assert_allclose(grid.beta.max(axis=1), best.beta, atol=1e-3)
    peak = ell[0, np.argmax(grid.beta, axis=1)]
    np.testing.assert_allclose(peak, best.optimal_reg_exponent, atol=2e-3)
    assert np.all(grid.beta[:, ell[0] >= 3.0] == 0)
    # saturation: nothing changes above r = 1
    np.testing.assert_array_equal(grid.beta[3], grid.beta[4])


REGIMES = [
    # (label, a, r, noisy, l): l None is the optimal lambda, inf is lambda = 0
    ("noiseless, optimal lambda", 2.0, 0.3, False, None),
    ("noiseless, ridgeless", 2.0, 0.3, False, np.inf),
    ("noiseless, l < a", 2.0, 0.3, False, 1.0),
    ("noiseless, l > a", 2.0, 0.3, False, 3.0),
    ("noisy, optimal lambda", 2.0, 0.3, True, None),
    ("noisy, l < a, bias-limited", 2.0, 0.3, True, 0.5),
    ("noisy, l < a, variance-limited", 2.0, 0.3, True, 1.6),
    ("noisy, l > a: plateau", 2.0, 0.3, True, 3.0),
    ("saturated r > 1, noiseless", 2.0, 1.5, False, None),
    ("saturated r > 1, noisy, optimal", 2.0, 1.5, True, None),
    ("saturated r > 1, noisy, l < a", 2.0, 1.5, True, 1.0),
    ("other capacity, noisy, optimal", 3.0, 0.2, True, None),
]


@pytest.mark.parametrize(("label", "a", "r", "noisy", "ell"), REGIMES,
                         ids=[regime[0] for regime in REGIMES])
def test_fitted_slopes_match_the_decay_exponents(label, a, r, noisy, ell):
    """The slope of ln eps against ln n over n = 2e3 .. 1.6e4 (P = 2e6) within 0.03 of the
    closed form."""
    noise = 1.0 if noisy else 0.0
    if ell is None:
        error = scaling.optimal_reg(N_SLOPES, a, r, noise, P_SLOPES).curve.error
        predicted = scaling.decay_exponent(a, r, noisy).beta
    else:
        reg = np.zeros_like(N_SLOPES) if np.isinf(ell) else N_SLOPES**-ell
        error = scaling.excess_error(N_SLOPES, a, r, noise, reg, P_SLOPES).error
        predicted = scaling.decay_exponent(a, r, noisy, min(ell, 1e6)).beta
    assert _fitted_exponent(N_SLOPES, error) == pytest.approx(float(predicted), abs=0.03)


# -- the crossover ----------------------------------------------------------------------------
@pytest.mark.parametrize(("a", "r"), [(2.0, 0.25), (1.5, 1.0 / 3.0)])
def test_crossover_scales_as_one_over_the_noise_when_a_r_is_one_half(a, r):
    noise = np.array([1e-2, 1e-3, 1e-4, 1e-5])
    cross = scaling.crossover_samples(a, r, noise)
    assert cross.converged.all()
    product = cross.samples * noise
    np.testing.assert_allclose(product, product[-1], rtol=0.1)
    # and at n* the optimal curve's local exponent is halfway
    at = scaling.optimal_reg(cross.samples, a, r, noise)
    np.testing.assert_allclose(at.curve.local_exponent(), cross.exponent_mid, atol=1e-6)
    assert cross.exponent_mid == pytest.approx(0.75)


def test_crossover_follows_sigma_to_the_minus_one_over_a_r_bar():
    a, r = 1.5, 0.5  # n* ~ (sigma^2)^{-1 / (2 a r)} = (sigma^2)^{-2/3}
    noise = np.array([1e-3, 1e-5])
    cross = scaling.crossover_samples(a, r, noise)
    slope = np.log(cross.samples[1] / cross.samples[0]) / np.log(noise[1] / noise[0])
    assert slope == pytest.approx(-1.0 / (2 * a * r), abs=0.02)


def test_crossover_without_noise_or_with_too_much():
    cross = scaling.crossover_samples(2.0, 0.25, [0.0, 10.0])
    assert cross.samples[0] == np.inf
    assert cross.status[0] == Status.CONVERGED
    # with sigma^2 = 10 the noiseless regime never sets in (n* < 1): said, not invented
    assert np.isnan(cross.samples[1])
    assert cross.status[1] == Status.OUT_OF_RANGE


# -- simulations ------------------------------------------------------------------------------
@pytest.mark.parametrize(("a", "r", "noise", "reg"), [
    (2.0, 0.3, 0.0, 0.0), (2.0, 0.3, 0.1, 1e-3), (1.5, 0.5, 0.5, 0.0), (2.0, 1.5, 0.05, 1e-2)])
def test_simulations_agree_with_the_deterministic_equivalent(a, r, noise, reg):
    p, n = 500, np.array([10, 20, 50, 100, 200])
    sim = scaling.simulate_ridge(n, a, r, noise, reg, features=p, trials=60, seed=2)
    assert sim.converged.all()
    theory = scaling.excess_error(n, a, r, noise, reg, features=p).error
    assert np.all(np.abs(sim.mean - theory) <= 3.0 * sim.stderr)


def test_simulated_least_squares_above_the_features():
    """n > P, lambda = 0: the exact Gaussian-design value sigma^2 P / (n - P - 1), which the
    deterministic equivalent sigma^2 P / (n - P) approaches."""
    p, noise = 40, 0.5
    n = np.array([80, 200])
    sim = scaling.simulate_ridge(n, 2.0, 0.3, noise, 0.0, features=p, trials=200, seed=4)
    exact = noise * p / (n - p - 1)
    assert np.all(np.abs(sim.mean - exact) <= 3.0 * sim.stderr)


@pytest.mark.slow
def test_the_pages_simulation_agrees_with_the_deterministic_equivalent():
    """The explorer's setting: P = 2000, n <= 800, 30 trials (several seconds here)."""
    n = np.array([25, 50, 100, 200, 400, 800])
    sim = scaling.simulate_ridge(n, 2.0, 0.3, 0.1, 1e-3, features=2000, trials=30, seed=5)
    theory = scaling.excess_error(n, 2.0, 0.3, 0.1, 1e-3, features=2000).error
    assert np.all(np.abs(sim.mean - theory) <= 3.0 * sim.stderr)


# -- results and inputs -----------------------------------------------------------------------
def test_results_are_frozen_and_survive_pickling():
    results = [scaling.excess_error([10.0, 100.0], 2.0, 0.3, 0.1, 1e-3),
               scaling.optimal_reg([10.0, 100.0], 2.0, 0.3, 0.1),
               scaling.decay_exponent(2.0, [0.3, 0.5], True, 1.0),
               scaling.crossover_samples(2.0, 0.25, [1e-3]),
               scaling.simulate_ridge([5, 10], 2.0, 0.3, 0.1, 1e-3, features=50, trials=3)]
    for result in results:
        back = pickle.loads(pickle.dumps(result))
        for value in (*vars(result).values(), *vars(back).values()):
            if isinstance(value, np.ndarray):
                assert not value.flags.writeable
        assert set(np.ravel(result.status)) <= set(Status)
    assert not results[1].curve.error.flags.writeable


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="capacity"):
        scaling.excess_error(10.0, 1.0, 0.3)
    with pytest.raises(ValueError, match="capacity"):
        scaling.optimal_reg(10.0, scaling.MAX_CAPACITY + 1, 0.3)
    with pytest.raises(ValueError, match="source"):
        scaling.excess_error(10.0, 2.0, 0.0)
    with pytest.raises(ValueError, match="samples"):
        scaling.excess_error([10.0, -1.0], 2.0, 0.3)
    with pytest.raises(ValueError, match="reg"):
        scaling.excess_error(10.0, 2.0, 0.3, reg=-1e-3)
    with pytest.raises(ValueError, match="noise"):
        scaling.optimal_reg(10.0, 2.0, 0.3, noise=np.nan)
    with pytest.raises(ValueError, match="features"):
        scaling.excess_error(10.0, 2.0, 0.3, features=10.5)
    with pytest.raises(ValueError, match="reg_exponent"):
        scaling.decay_exponent(2.0, 0.3, True, reg_exponent=-1.0)
    with pytest.raises(ValueError, match="features"):
        scaling.simulate_ridge([10], 2.0, 0.3, features=np.inf)
    with pytest.raises(ValueError, match="samples"):
        scaling.simulate_ridge([10.5], 2.0, 0.3, features=100)
    with pytest.raises(ValueError, match="trials"):
        scaling.simulate_ridge([10], 2.0, 0.3, features=100, trials=1)
