"""Diffusion: speciation and collapse times against closed forms and backward simulations."""

import numpy as np
import pytest

from theory import diffusion as df


@pytest.mark.parametrize(("separation", "variance"), [(2.0, 1.0), (4.0, 0.5), (1.0, 2.0)])
def test_speciation_time_of_a_mixture(separation, variance):
    """Covariance of 1/2 N(mu, v I) + 1/2 N(-mu, v I) is v I + mu mu^T: Lambda = v + |mu|^2."""
    m = df.gaussian_mixture(d=50, n=20_000, separation=separation, variance=variance, seed=1)
    assert m.top_eigenvalue == pytest.approx(variance + separation**2)
    exact = 0.5 * np.log(variance + separation**2)
    sampled = df.speciation_time(covariance=np.cov(m.points.T))
    assert sampled == pytest.approx(exact, abs=0.03)
    assert df.speciation_time(eigenvalues=[0.1, variance + separation**2]) == pytest.approx(exact)


@pytest.mark.parametrize(("n", "d", "variance"), [(10, 2, 1.0), (1000, 50, 1.0), (500, 20, 3.0)])
def test_collapse_time_solves_the_entropy_criterion(n, d, variance):
    t = df.collapse_time(n=n, d=d, variance=variance)
    dt = df.delta(t)
    assert np.log(n) / d == pytest.approx(0.5 * np.log((variance * np.exp(-2 * t) + dt) / dt),
                                          rel=1e-12)
    # more data -> later (smaller t) collapse; a single point collapses at once (t = inf)
    assert df.collapse_time(n=10 * n, d=d, variance=variance) < t
    assert df.collapse_time(n=1, d=d) == np.inf


def test_excess_entropy_identity_against_direct_entropies():
    """S_sep - S^e = E[-log w_own]: check against Monte Carlo entropies computed directly from
    the mixture density (log n + component entropy minus -E log P^e)."""
    rng = np.random.default_rng(0)
    data = rng.standard_normal((40, 3))
    t, samples = 0.4, 200_000
    excess = float(df.excess_entropy(data=data, t=t, samples=samples, seed=2))
    decay, var = np.exp(-t), float(df.delta(t))
    own = rng.integers(0, 40, samples)
    x = decay * data[own] + np.sqrt(var) * rng.standard_normal((samples, 3))
    d2 = ((x[:, None, :] - decay * data[None, :, :]) ** 2).sum(-1)
    log_p = np.log(np.exp(-d2 / (2 * var)).mean(1)) - 1.5 * np.log(2 * np.pi * var)
    s_emp = -log_p.mean()
    s_sep = np.log(40) + 1.5 * np.log(2 * np.pi * np.e * var)
    assert s_sep - s_emp == pytest.approx(excess, abs=0.02)


@pytest.mark.parametrize(("n", "d"), [(300, 60), (3000, 60)])
def test_empirical_collapse_time_on_gaussian_data(n, d):
    """On Gaussian data the excess-entropy estimate approaches the closed form (finite-d
    corrections of order 1/sqrt(d) remain)."""
    rng = np.random.default_rng(n)
    data = rng.standard_normal((n, d))
    exact = df.collapse_time(n=n, d=d)
    estimate = df.collapse_time_empirical(data=data, samples=300, seed=1)
    assert estimate == pytest.approx(exact, rel=0.25)


def test_speciation_midpoint_moves_with_half_log_lambda():
    """Exact-score backward runs: as the separation grows, the speciation curve's mid-point
    moves by the change of t_S = 1/2 log(v + |mu|^2)."""
    mids, ts = [], []
    for separation in (2.0, 6.0):
        m = df.gaussian_mixture(d=32, n=400, separation=separation, seed=3)
        run = df.simulate_backward(data=m.points, labels=m.labels, n_samples=2000, steps=200,
                                   t_max=6.0, score="exact", mixture=m, seed=4)
        mids.append(df.crossing_time(run, "committed"))
        ts.append(0.5 * np.log(m.top_eigenvalue))
        assert run.committed[0] < 0.05
        assert run.committed[-1] == 1.0
    assert mids[1] - mids[0] == pytest.approx(ts[1] - ts[0], abs=0.2)


def test_empirical_score_collapses_onto_training_points_as_predicted():
    """Empirical-score runs end on training points; the collapse curve's mid-point follows
    t_C(n, d), earlier (smaller t) for more data; the exact score never collapses."""
    d = 24
    times = {}
    for n in (60, 1500):
        data = np.random.default_rng(n).standard_normal((n, d))
        run = df.simulate_backward(data=data, n_samples=200, steps=150, t_max=4.0, seed=5)
        assert run.final_collapsed > 0.95
        times[n] = df.crossing_time(run, "collapsed")
        assert times[n] == pytest.approx(df.collapse_time(n=n, d=d), rel=0.35)
    assert times[1500] < times[60]
    m = df.gaussian_mixture(d=d, n=200, separation=2.0, seed=6)
    exact = df.simulate_backward(data=m.points, labels=m.labels, n_samples=200, steps=150,
                                 score="exact", mixture=m, seed=7)
    assert exact.final_collapsed < 0.05


def test_backward_runs_keep_classes_balanced_and_projections():
    m = df.gaussian_mixture(d=16, n=300, separation=4.0, seed=8)
    run = df.simulate_backward(data=m.points, labels=m.labels, n_samples=400, steps=100,
                               seed=9, kept=10)
    assert 0.35 < run.final_class.mean() < 0.65
    assert run.projection.shape == (run.t.size, 10)
    # the end points sit at +-|mu| along the top principal direction
    assert np.abs(np.abs(run.projection[-1]).mean() - 4.0) < 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"score": "magic"}, "score must be"),
        ({"score": "exact"}, "needs the generating mixture"),
        ({"n_samples": 10**7}, "n_samples must"),
        ({"steps": 0}, "steps must"),
        ({"t_max": np.nan}, "t_max"),
    ],
)
def test_backward_refuses_bad_input(kwargs, match):
    data = np.zeros((5, 3))
    with pytest.raises(ValueError, match=match):
        df.simulate_backward(data=data, **kwargs)


def test_refuses_bad_data_and_sizes():
    with pytest.raises(ValueError, match="finite"):
        df.collapse_time_empirical(data=np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="exceeds the limit"):
        df.simulate_backward(data=np.zeros((20_000, 1000)), n_samples=2000, steps=1000)
    with pytest.raises(ValueError, match="d must"):
        df.gaussian_mixture(d=10**6, n=10)
    with pytest.raises(ValueError, match="exactly one"):
        df.speciation_time()


# -- memorisation in training time: random-features score ---------------------------------
def test_fourier_moments_match_monte_carlo():
    rng = np.random.default_rng(3)
    centres, freqs = rng.standard_normal((3, 4)), 0.6 * rng.standard_normal((5, 4))
    spread, noise_var = 0.7, 0.4
    moment, v = df._fourier_moments(centres, freqs, spread, noise_var)
    m = 200_000
    phis, zs = [], []
    for c in centres:
        z = rng.standard_normal((m, 4))
        x = c + np.sqrt(spread - noise_var) * rng.standard_normal((m, 4)) + np.sqrt(noise_var) * z
        phis.append(np.hstack([np.cos(x @ freqs.T), np.sin(x @ freqs.T)]))
        zs.append(z)
    phi, z = np.vstack(phis), np.vstack(zs)
    prod_m = phi[:, :, None] * phi[:, None, :]
    prod_v = phi[:, :, None] * z[:, None, :]
    for exact, samples in ((moment, prod_m), (v, prod_v)):
        error = samples.std(axis=0) / np.sqrt(samples.shape[0])
        assert np.all(np.abs(samples.mean(axis=0) - exact) <= 5 * error + 1e-12)


def test_score_training_population_loss_respects_the_optimal_score():
    # Gaussian data of variance v: the best score -x / (v e^{-2t} + Delta) has denoising loss
    # 1 - Delta / (v e^{-2t} + Delta) per dimension; no model goes below, many features get close
    t, v = 0.3, 1.5
    tau = np.concatenate([[0.0], np.geomspace(1e-3, 1e5, 200)])
    run = df.score_training(n=512, d=8, features=1024, t=t, separation=0.0, variance=v, tau=tau)
    noise = float(df.delta(t))
    bound = 1 - noise / (v * np.exp(-2 * t) + noise)
    assert run.test_loss.min() >= bound - 1e-9
    assert run.test_loss.min() <= bound + 0.02
    assert run.test_loss[0] == pytest.approx(1.0, abs=1e-12)  # A = 0 at the start
    assert np.all(np.diff(run.train_loss) <= 1e-12)  # gradient flow never raises its own loss


def test_score_training_matches_gradient_descent_on_sampled_noise():
    """The closed-form flow (exact noise average, eigenbasis) against plain gradient descent on
    the loss over sampled noise, both losses evaluated on fresh samples."""
    n, d, features, t, sep, var, bw = 6, 3, 24, 0.3, 1.5, 1.0, 0.5
    taus = np.array([0.3, 3.0, 30.0])
    run = df.score_training(n=n, d=d, features=features, t=t, separation=sep, variance=var,
                            bandwidth=bw, tau=taus)
    data, freqs = df._score_instance(n, d, features, sep, var, bw, 0)
    rng = np.random.default_rng(11)
    decay, noise = np.exp(-t), float(df.delta(t))

    def pairs(x0):
        z = rng.standard_normal(x0.shape)
        x = decay * x0 + np.sqrt(noise) * z
        return np.hstack([np.cos(x @ freqs.T), np.sin(x @ freqs.T)]), z

    phi, z = pairs(np.repeat(data.points, 30_000, axis=0))
    moment, v = phi.T @ phi / len(phi), phi.T @ z / len(phi)
    signs = rng.choice([-1.0, 1.0], size=(200_000, 1))  # fresh points of the same population
    phi_test, z_test = pairs(signs * data.mean + np.sqrt(var) * rng.standard_normal((200_000, d)))
    b, step, now = np.zeros((d, features)), 1e-3, 0.0
    for tau, train, test in zip(taus, run.train_loss, run.test_loss, strict=True):
        while now < tau - 1e-9:
            b -= step * (b @ moment + v.T)
            now += step
        assert np.mean(np.sum((phi @ b.T + z) ** 2, 1)) / d == pytest.approx(train, abs=0.01)
        assert np.mean(np.sum((phi_test @ b.T + z_test) ** 2, 1)) / d == pytest.approx(
            test, abs=0.01)


def test_training_window_memorisation_time_grows_linearly_with_n():
    window = df.training_window(n_values=[32, 128, 512], features=2048)
    gen, mem = window.generalization_time, window.memorization_time
    assert gen.max() / gen.min() < 1.5  # tau_gen stays put
    assert np.all(np.isfinite(mem))
    assert np.all(mem > 2 * gen)
    assert 0.7 < window.exponent < 1.3  # tau_mem ~ n


def test_score_training_refuses_bad_input():
    with pytest.raises(ValueError, match="even"):
        df.score_training(n=10, features=33)
    with pytest.raises(ValueError, match="n must"):
        df.score_training(n=10**6)
    with pytest.raises(ValueError, match="t must"):
        df.score_training(n=10, t=float("nan"))
    with pytest.raises(ValueError, match="at least one"):
        df.training_window(n_values=[])


def test_mixture_statistics_are_the_population_moments_of_the_samples():
    top, v_bar = df.mixture_statistics(d=8, separation=2.5, variance=0.7)
    m = df.gaussian_mixture(d=8, n=20_000, separation=2.5, variance=0.7, seed=3)
    assert top == pytest.approx(m.top_eigenvalue, rel=1e-12)
    # large-sample moments: top eigenvalue of the covariance, mean variance per dimension
    assert top == pytest.approx(df.covariance_spectrum(m.points)[0], rel=4e-2)
    assert v_bar == pytest.approx(float(m.points.var(axis=0).mean()), rel=4e-2)


def test_mixture_collapse_estimate_draws_the_same_data():
    m = df.gaussian_mixture(d=16, n=300, separation=3.0, variance=1.0, seed=5)
    assert df.mixture_collapse_time_empirical(
        d=16, n=300, separation=3.0, variance=1.0, seed=5, samples=100) == \
        df.collapse_time_empirical(data=m.points, samples=100, seed=0)


def test_the_collapse_estimate_lets_go_of_its_data_without_a_garbage_collection():
    """A reference cycle (scipy's brentq wrapper) kept the data and the overlaps of every
    estimate alive until a full collection: 140 MB per 20,000 x 512 estimate in a worker."""
    import gc
    import weakref

    data = np.random.default_rng(3).standard_normal((300, 8))
    gone = weakref.ref(data)
    gc.disable()
    try:
        t_c = df.collapse_time_empirical(data=data, samples=50)
        del data
        assert gone() is None
    finally:
        gc.enable()
    assert np.isfinite(t_c)
