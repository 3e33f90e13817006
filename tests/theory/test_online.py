"""Online SGD: the Saad-Solla ODEs against Monte Carlo averages, closed forms and real SGD."""

import time

import numpy as np
import pytest

from theory import online
from theory._online_kernels import AVAILABLE


def random_covariance(rng, K, M):
    """A valid (Q, R, T) covariance with O(1) entries."""
    X = rng.standard_normal((K + M, K + M + 3)) / np.sqrt(K + M + 3)
    C = X @ X.T * rng.uniform(0.5, 2.0)
    return C[:K, :K], C[:K, K:], C[K:, K:]


@pytest.mark.parametrize(("K", "M", "noise"), [(2, 2, 0.0), (3, 2, 0.5), (1, 3, 0.0)])
def test_gaussian_averages_against_monte_carlo(K, M, noise):
    """The closed-form erf averages (I3, I4, J2) equal sample means over the Gaussian fields."""
    rng = np.random.default_rng(K * 10 + M)
    Q, R, T = random_covariance(rng, K, M)
    C = online._covariance(Q, R, T)
    first, second, drive = online._averages(C[None], K, M, noise, "erf", compiled=False)
    n = 2_000_000
    u = rng.multivariate_normal(np.zeros(K + M), C, size=n, method="cholesky")
    lam, nu = u[:, :K], u[:, K:]
    g = online._activation(u, "erf")
    error = g[:, K:].sum(1) - g[:, :K].sum(1) + noise * rng.standard_normal(n)  # y - yhat
    dg = online._activation_prime(lam, "erf")
    samples = {
        "drive": (dg[:, :, None] * nu[:, None, :] * error[:, None, None], drive[0]),
        "first": (dg[:, :, None] * lam[:, None, :] * error[:, None, None], None),
        "second": (dg[:, :, None] * dg[:, None, :] * (error**2)[:, None, None], second[0]),
    }
    a = samples["first"][0]
    samples["first"] = (a + np.swapaxes(a, 1, 2), first[0])
    for name, (values, closed) in samples.items():
        mean, sem = values.mean(0), values.std(0) / np.sqrt(n)
        assert np.all(np.abs(mean - closed) < 5 * sem + 1e-12), name


@pytest.mark.skipif(not AVAILABLE, reason="numba not installed")
@pytest.mark.parametrize(("K", "M"), [(1, 1), (2, 3), (4, 4), (6, 2)])
def test_compiled_averages_equal_numpy(K, M):
    rng = np.random.default_rng(K + 7 * M)
    C = np.stack([online._covariance(*random_covariance(rng, K, M)) for _ in range(3)])
    for fast, slow in zip(online._averages(C, K, M, 0.3, "erf", compiled=True),
                          online._averages(C, K, M, 0.3, "erf", compiled=False), strict=True):
        np.testing.assert_allclose(fast, slow, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("K", [2, 3, 4, 6])
def test_small_rate_plateau_is_the_saad_solla_closed_form(K):
    """Symmetric fixed point at lr -> 0: Q = C = 1/(2K-1), R = 1/sqrt(K(2K-1)) and
    eps_g = K/pi (pi/6 - K arcsin(1/(2K))) (Saad & Solla 1995), from a generic start."""
    fp = online.symmetric_fixed_point(K=K)
    assert fp.converged
    # Q - C is a marginal direction at lr = 0 (eps_g hardly depends on it): looser there
    assert pytest.approx(1 / (2 * K - 1), rel=1e-5) == fp.Q
    assert pytest.approx(1 / (2 * K - 1), rel=1e-5) == fp.C
    assert pytest.approx(1 / np.sqrt(K * (2 * K - 1)), rel=1e-6) == fp.R
    assert fp.eps_g == pytest.approx(K / np.pi * (np.pi / 6 - K * np.arcsin(1 / (2 * K))),
                                     rel=1e-9)


@pytest.mark.parametrize(("lr", "rtol"), [(0.1, 2e-4), (0.5, 4e-3)])
def test_ode_plateau_height_is_the_symmetric_fixed_point(lr, rtol):
    """Integrated from a nearly symmetric small start, the trajectory's plateau sits on the
    symmetric fixed point found independently (root solve in the symmetric subspace)."""
    T = np.eye(2)
    Q0 = 1e-4 * np.eye(2)
    R0 = np.array([[1.0, 0.5], [0.8, 1.2]]) * 1e-5
    traj = online.integrate(Q0=Q0, R0=R0, T=T, lr=lr, alphas=np.geomspace(0.01, 4000, 500))
    assert traj.converged
    assert not traj.diverged
    plateau = online.find_plateau(traj)
    assert plateau.found
    fp = online.symmetric_fixed_point(K=2, lr=lr)
    assert fp.converged
    assert plateau.height == pytest.approx(fp.eps_g, rel=rtol)
    t_spec = online.specialization_time(traj, plateau)
    assert plateau.end < t_spec < 4000
    assert traj.eps_g[-1] < 1e-6  # specialised: the teacher is learned


@pytest.mark.parametrize(("K", "M", "lr", "noise"), [(1, 1, 0.5, 0.0), (3, 2, 0.2, 0.3)])
def test_linear_network_has_its_exact_solution(K, M, lr, noise):
    """g(u) = u: D = |sum_k w_k - sum_m w*_m|^2 / N obeys dD/da = -(2K lr - K^2 lr^2) D
    + K^2 lr^2 noise^2, so D relaxes exponentially to K lr noise^2 / (2 - K lr)."""
    rng = np.random.default_rng(4)
    Q0, R0, T = random_covariance(rng, K, M)
    alphas = np.linspace(0.0, 10.0, 41)
    traj = online.integrate(Q0=Q0, R0=R0, T=T, lr=lr, noise=noise, alphas=alphas,
                            activation="linear")
    rate = 2 * K * lr - K**2 * lr**2
    floor = K**2 * lr**2 * noise**2 / rate
    D0 = Q0.sum() - 2 * R0.sum() + T.sum()
    expected = floor + (D0 - floor) * np.exp(-rate * alphas)
    np.testing.assert_allclose(traj.eps_g, expected / 2, rtol=1e-6, atol=1e-12)


def test_critical_learning_rate_linear_closed_form_and_erf_simulation():
    """Linear units diverge beyond lr = 2/K exactly; for erf units the ODE's stability limit
    is where real SGD stops converging (N = 500)."""
    for K in (1, 2, 3):
        assert online.critical_learning_rate(K=K, activation="linear") == pytest.approx(
            2 / K, rel=1e-6)
    lr_c = online.critical_learning_rate(K=2)
    alphas = np.array([100.0, 200.0])
    below = online.simulate_sgd(K=2, M=2, N=500, lr=0.85 * lr_c, alphas=alphas, seed=3,
                                init_scale=0.5)
    above = online.simulate_sgd(K=2, M=2, N=500, lr=1.15 * lr_c, alphas=alphas, seed=3,
                                init_scale=0.5)
    assert below.eps_g[-1] < 1e-4
    assert above.eps_g[-1] > 1e-2
    lin = online.integrate(Q0=0.01 * np.eye(2), R0=np.zeros((2, 1)), T=np.eye(1), lr=1.05,
                           alphas=np.linspace(0, 400, 5), activation="linear")
    assert lin.diverged
    assert np.isnan(lin.eps_g[-1])


@pytest.mark.parametrize(("K", "M", "lr", "init_scale"), [(2, 2, 1.0, 0.5), (3, 2, 0.5, 0.5)])
def test_ode_matches_sgd_within_error_bars(K, M, lr, init_scale):
    """Real SGD at N = 1000, three seeds, each against the ODE started from its own weights:
    the mean difference of eps_g stays within 4 standard errors plus O(1/sqrt(N))."""
    N = 1000
    alphas = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0])
    diffs = []
    for seed in range(3):
        sgd = online.simulate_sgd(K=K, M=M, N=N, lr=lr, alphas=alphas, seed=seed,
                                  init_scale=init_scale)
        Q0, R0, T = online.random_init(K=K, M=M, N=N, init_scale=init_scale, seed=seed)
        ode = online.integrate(Q0=Q0, R0=R0, T=T, lr=lr, alphas=alphas)
        assert not sgd.diverged
        assert not ode.diverged
        diffs.append(sgd.eps_g - ode.eps_g)
    diffs = np.array(diffs)
    sem = diffs.std(0, ddof=1) / np.sqrt(len(diffs))
    ode_scale = np.abs(ode.eps_g)
    assert np.all(np.abs(diffs.mean(0)) < 4 * sem + 0.1 * ode_scale + 1.0 / N)


@pytest.mark.skipif(not AVAILABLE, reason="numba not installed")
def test_compiled_sgd_equals_numpy_sgd():
    kwargs = dict(K=3, M=2, N=300, lr=0.7, noise=0.2, alphas=np.array([0.5, 2.0]), seed=5,
                  init_scale=0.3)
    fast = online.simulate_sgd(**kwargs, compiled=True)
    slow = online.simulate_sgd(**kwargs, compiled=False)
    np.testing.assert_allclose(fast.Q, slow.Q, rtol=1e-9)
    np.testing.assert_allclose(fast.R, slow.R, rtol=1e-9, atol=1e-12)


@pytest.mark.skipif(not AVAILABLE, reason="numba not installed")
def test_compiled_ode_equals_numpy_ode():
    Q0, R0, T = online.random_init(K=3, M=3, N=400, init_scale=0.1, seed=2)
    alphas = np.geomspace(0.1, 100, 30)
    fast, = online._integrate_batch(Q0[None], R0[None], T, np.array([0.8]), 0.1, alphas,
                                    "erf", 1e-9, compiled=True)
    slow, = online._integrate_batch(Q0[None], R0[None], T, np.array([0.8]), 0.1, alphas,
                                    "erf", 1e-9, compiled=False)
    np.testing.assert_allclose(fast.eps_g, slow.eps_g, rtol=1e-6, atol=1e-12)


def test_random_init_is_the_start_of_sgd():
    Q0, R0, T = online.random_init(K=2, M=3, N=200, init_scale=0.2, seed=9)
    sgd = online.simulate_sgd(K=2, M=3, N=200, lr=0.5, alphas=np.array([0.0]), seed=9,
                              init_scale=0.2)
    np.testing.assert_allclose(sgd.Q[0], Q0)
    np.testing.assert_allclose(sgd.R[0], R0)
    np.testing.assert_allclose(sgd.T, T)
    assert Q0[0, 0] == pytest.approx(0.04, rel=0.3)
    assert T[0, 0] == pytest.approx(1.0, rel=0.3)


def test_lr_sweep_has_an_optimum_and_fails_beyond_the_critical_rate():
    Q0, R0, T = online.random_init(K=2, M=2, N=1000, init_scale=0.1, seed=1)
    lr_c = online.critical_learning_rate(K=2)
    _, final, diverged = online.lr_sweep(Q0=Q0, R0=R0, T=T, alpha=200.0,
                                           lrs=np.array([0.2, 1.0, 0.8 * lr_c, 1.2 * lr_c]))
    assert not diverged.any()
    assert final[2] < final[0]  # faster learning up to a point
    assert final[3] > 100 * final[2]  # beyond lr_c the learned state is unstable


def test_lr_sweep_is_the_ode_at_each_rate_and_takes_seconds_for_larger_networks():
    """K = 5, M = 4: 36 rates stacked into one system took 45 s (114 s in a served page);
    each rate on its own takes ~0.3 s in all, with the ODE's own final error at each rate."""
    Q0, R0, T = online.random_init(K=5, M=4, N=1000, init_scale=1e-3, seed=0)
    lrs = np.linspace(5.0 / 36, 5.0, 36)
    start = time.perf_counter()
    _, final, diverged = online.lr_sweep(Q0=Q0, R0=R0, T=T, lrs=lrs, alpha=500.0)
    assert time.perf_counter() - start < 15.0
    for i in (0, 7, 20, 35):
        alone = online.integrate(Q0=Q0, R0=R0, T=T, lr=lrs[i], alphas=np.array([0.0, 500.0]),
                                 rtol=1e-6)
        assert final[i] == pytest.approx(alone.eps_g[-1], rel=1e-12)
        assert diverged[i] == alone.diverged


def test_plateau_absent_for_linear_network():
    traj = online.integrate(Q0=1e-4 * np.eye(2), R0=np.zeros((2, 2)), T=np.eye(2), lr=0.3,
                            alphas=np.geomspace(0.01, 100, 200), activation="linear")
    assert not online.find_plateau(traj).found
    assert np.isnan(online.specialization_time(traj))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": -1.0}, "lr"),
        ({"lr": np.nan}, "lr"),
        ({"alphas": [0.0, 2.0, 1.0]}, "increasing"),
        ({"alphas": [0.0, 1e9]}, "alphas"),
        ({"T": np.eye(3)}, "R0 must have shape"),
        ({"Q0": -np.eye(2)}, "positive semi-definite"),
        ({"activation": "relu"}, "activation"),
    ],
)
def test_integrate_refuses_bad_input(kwargs, match):
    args = dict(Q0=0.1 * np.eye(2), R0=np.zeros((2, 2)), T=np.eye(2), lr=0.5,
                alphas=[0.0, 1.0])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        online.integrate(**args)


def test_simulation_refuses_huge_sizes():
    with pytest.raises(ValueError, match="N must"):
        online.simulate_sgd(K=2, M=2, N=10**7, lr=0.5, alphas=[1.0])
    with pytest.raises(ValueError, match="steps exceeds"):
        online.simulate_sgd(K=2, M=2, N=10_000, lr=0.5, alphas=[5000.0])
    with pytest.raises(ValueError, match="K must"):
        online.random_init(K=100, M=2, N=100)


def test_an_integration_that_runs_out_of_steps_says_so(monkeypatch):
    """LSODA stopped early: not converged, and no number where it did not reach."""
    monkeypatch.setattr(online, "MAX_ODE_STEPS", 5)
    Q0, R0, T = online.random_init(K=2, M=2, N=100, init_scale=0.5, seed=0)
    traj = online.integrate(Q0=Q0, R0=R0, T=T, lr=1.0, alphas=np.linspace(0, 100, 5))
    assert not traj.converged
    assert np.isfinite(traj.eps_g[0])
    assert np.isnan(traj.eps_g[-1])
