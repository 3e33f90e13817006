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
