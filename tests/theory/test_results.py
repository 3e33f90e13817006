"""Results: statuses that say what went wrong, read-only arrays, the shared state-evolution
engine (same numbers as before it was shared), root finding with per-element status, and
the curated public API."""

import dataclasses
import importlib
import pickle
from dataclasses import dataclass

import numpy as np
import pytest

import theory
from theory import Status, channels, diffusion, erm, glm, online, priors, spiked
from theory._fixedpoint import find_roots
from theory._result import from_flags, statuses, worst, worst_of

CONVERGED, NOT_CONVERGED = Status.CONVERGED, Status.NOT_CONVERGED
OUT_OF_RANGE, DIVERGED = Status.OUT_OF_RANGE, Status.DIVERGED


# ---------------------------------------------------------------------------------------
# The status type
# ---------------------------------------------------------------------------------------
def test_status_values_compare_as_strings_and_elementwise():
    assert str(Status.NOT_CONVERGED) == "not_converged"
    assert Status("diverged") is DIVERGED
    arr = from_flags([True, False, True, False], diverged=[False, False, True, False],
                     out_of_range=[False, False, False, True])
    assert arr.tolist() == ["converged", "not_converged", "diverged", "out_of_range"]
    np.testing.assert_array_equal(arr == CONVERGED, [True, False, False, False])
    # the worst outcome wins, elementwise and over an axis
    assert worst(arr, "not_converged").tolist() == ["not_converged", "not_converged",
                                                    "diverged", "out_of_range"]
    assert worst_of(arr) == "diverged"
    assert worst_of(arr.reshape(2, 2), axis=1).tolist() == ["not_converged", "diverged"]
    with pytest.raises(ValueError, match="unknown status"):
        statuses(["converged", "fine"])


# ---------------------------------------------------------------------------------------
# Read-only arrays
# ---------------------------------------------------------------------------------------
def _arrays(result, path="result"):
    """Every numpy array inside a result (fields, nested results, tuples of results)."""
    if dataclasses.is_dataclass(result):
        for field in dataclasses.fields(result):
            yield from _arrays(getattr(result, field.name), f"{path}.{field.name}")
    elif isinstance(result, tuple):
        for i, item in enumerate(result):
            yield from _arrays(item, f"{path}[{i}]")
    elif isinstance(result, np.ndarray):
        yield path, result


def _cheap_results():
    rad, sparse = priors.Rademacher(), priors.SparseRademacher(rho=0.05)
    T = np.eye(2)
    traj = online.integrate(Q0=1e-4 * np.eye(2), R0=np.full((2, 2), 1e-5), T=T, lr=0.5,
                            alphas=np.geomspace(0.01, 100, 30))
    mixture = diffusion.gaussian_mixture(d=4, n=30, seed=1)
    return {
        "FixedPoint": spiked.state_evolution(prior=rad, snr=[0.5, 2.0]),
        "Curve": spiked.curve(prior=sparse, snr=[0.5, 0.9, 2.0]),
        "Thresholds": spiked.thresholds(prior=sparse),
        "Landscape": spiked.free_entropy_landscape(prior=sparse, snr=0.9),
        "AmpRun": spiked.simulate_amp(prior=rad, snr=2.0, n=50, iterations=5),
        "AmpEnsemble": spiked.amp_ensemble(prior=rad, snr=[2.0], n=50, runs=2, iterations=5),
        "PhaseDiagram": spiked.phase_diagram(family="sparse_rademacher", rho=[0.05, 1.0]),
        "GlmCurve": glm.curve(prior=rad, channel=channels.Sign(), alpha=[0.5, 1.6]),
        "GlmFixedPoint": glm.state_evolution(prior=rad, channel=channels.Sign(), alpha=[0.5]),
        "GlmLandscape": glm.free_entropy_landscape(prior=rad, channel=channels.Sign(),
                                                   alpha=1.0, points=40),
        "GampRun": glm.simulate_gamp(prior=rad, channel=channels.Sign(), alpha=1.0, n=40,
                                     iterations=3),
        "RidgeCurve": erm.ridge_curve(alpha=[0.5, 2.0], lam=0.1, noise=0.1),
        "RidgeSimulation": erm.simulate_ridge(alpha=[0.5], lam=0.1, noise=0.1, n=20, runs=2),
        "LogisticCurve": erm.logistic_curve(alpha=[0.5, 2.0], lam=0.1),
        "LogisticSimulation": erm.simulate_logistic(alpha=[1.0], lam=0.1, n=20, runs=2),
        "RandomFeaturesCurve": erm.random_features_curve(alpha=[1.0], psi=2.0, lam=0.1,
                                                         noise=0.1),
        "RandomFeaturesSimulation": erm.simulate_random_features(alpha=[1.0], psi=1.0, lam=0.1,
                                                                 noise=0.1, d=10, runs=2),
        "Trajectory": traj,
        "Plateau": online.find_plateau(traj),
        "SymmetricFixedPoint": online.symmetric_fixed_point(K=2),
        "MixtureData": mixture,
        "BackwardRun": diffusion.simulate_backward(data=mixture.points, n_samples=10,
                                                   steps=20, kept=3),
        "TrainingWindow": diffusion.training_window(n_values=[8, 16], d=2, features=16,
                                                    tau=np.geomspace(1e-2, 1e6, 40)),
    }


@pytest.fixture(scope="module")
def cheap_results():
    return _cheap_results()


def test_every_result_has_a_status_and_read_only_arrays(cheap_results):
    scalars = {"Thresholds", "Plateau", "SymmetricFixedPoint"}  # no arrays to freeze
    for name, result in cheap_results.items():
        if name != "MixtureData":  # a sample, not a computation that can fail
            status = result.status
            assert set(np.ravel(np.asarray(status))) <= set(Status), name
        arrays = list(_arrays(result))
        assert bool(arrays) == (name not in scalars), name
        for path, array in arrays:
            assert not array.flags.writeable, path
            if array.size:
                with pytest.raises(ValueError, match="read-only"):
                    array.flat[0] = array.flat[0]


def test_derived_arrays_are_read_only_too(cheap_results):
    c = cheap_results["Curve"]
    for array in (c.converged, c.status, c.snr, c.bayes_optimal.mmse):
        assert not array.flags.writeable


def test_results_stay_read_only_through_pickle(cheap_results):
    """Results come back from worker processes pickled; they must not come back writable."""
    for name in ("Curve", "AmpRun", "BackwardRun", "Thresholds", "Trajectory"):
        back = pickle.loads(pickle.dumps(cheap_results[name]))
        assert type(back) is type(cheap_results[name])
        assert str(back.status) == str(cheap_results[name].status)
        for path, array in _arrays(back):
            assert not array.flags.writeable, (name, path)


def test_a_callers_array_is_neither_frozen_nor_shared():
    snr = np.array([0.5, 2.0])
    fp = spiked.state_evolution(prior=priors.Rademacher(), snr=snr)
    assert snr.flags.writeable
    snr[0] = 3.0
    assert fp.snr[0] == 0.5


def test_scalar_status_is_a_status_member(cheap_results):
    assert cheap_results["Thresholds"].status is CONVERGED
    assert cheap_results["Thresholds"].converged is True
    th = dataclasses.replace(cheap_results["Thresholds"], status="not_converged")
    assert th.status is NOT_CONVERGED
    assert th.converged is False
    with pytest.raises(ValueError, match="unknown status"):
        dataclasses.replace(cheap_results["Thresholds"], status="maybe")


# ---------------------------------------------------------------------------------------
# Statuses of each result, with a case that produces each
# ---------------------------------------------------------------------------------------
def test_fixed_point_statuses():
    fp = spiked.state_evolution(prior=priors.Rademacher(), snr=[2.0, 1.0], max_iter=200)
    assert fp.status.tolist() == ["converged", "not_converged"]  # critical slowing down
    np.testing.assert_array_equal(fp.converged, [True, False])
    q = glm.state_evolution(prior=priors.Rademacher(), channel=channels.Sign(), alpha=[2.0])
    assert q.status.tolist() == ["converged"]


def test_curve_statuses_and_converged_agree():
    """Noiseless linear GLM with a Gaussian prior at alpha = 1: the root sits at r -> inf,
    honestly flagged; the curve's status is the worse of its branches'."""
    c = glm.curve(prior=priors.Gaussian(), channel=channels.Linear(noise=0.0),
                  alpha=[0.5, 1.0, 1.5])
    assert c.status.tolist() == ["converged", "not_converged", "converged"]
    np.testing.assert_array_equal(c.converged, c.status == CONVERGED)
    np.testing.assert_array_equal(c.bayes_optimal.status, c.status)
    land = glm.free_entropy_landscape(prior=priors.Gaussian(),
                                      channel=channels.Linear(noise=0.0), alpha=1.0)
    assert land.status is NOT_CONVERGED
    assert spiked.free_entropy_landscape(prior=priors.Rademacher(), snr=2.0).status is CONVERGED


def test_spiked_thresholds_status_when_the_crossing_does_not_converge(monkeypatch):
    prior = priors.SparseRademacher(rho=0.05)
    assert spiked.thresholds(prior=prior).status is CONVERGED
    real = spiked.optimize.brentq

    def tired_brentq(*args, **kwargs):
        out = real(*args, **kwargs)
        if kwargs.get("full_output"):  # the free-entropy crossing: say it did not converge
            out[1].converged = False
        return out

    spiked.thresholds.cache_clear()
    try:
        with monkeypatch.context() as patch:
            patch.setattr(spiked.optimize, "brentq", tired_brentq)
            assert spiked.thresholds(prior=prior).status is NOT_CONVERGED
    finally:
        spiked.thresholds.cache_clear()
    assert spiked.thresholds(prior=prior).status is CONVERGED


def test_glm_threshold_statuses(monkeypatch):
    perceptron = dict(prior=priors.Rademacher(), channel=channels.Sign())
    assert glm.thresholds(**perceptron).status is CONVERGED
    # the free entropies fail to cross inside the window (a known weak case, as before)
    noisy = glm.thresholds(prior=priors.Rademacher(), channel=channels.Sign(flip=0.3))
    assert noisy.status is NOT_CONVERGED
    assert np.isnan(noisy.information_theoretic)
    # a transition beyond the largest alpha the solver accepts
    glm.thresholds.cache_clear()
    try:
        with monkeypatch.context() as patch:
            patch.setattr(glm, "MAX_ALPHA", 1.2)  # alpha_IT = 1.2447
            cut = glm.thresholds(**perceptron)
    finally:
        glm.thresholds.cache_clear()
    assert cut.status is OUT_OF_RANGE
    assert np.isnan(cut.information_theoretic)


@dataclass(frozen=True)
class _ExplodingPrior(priors.Gaussian):
    """A broken prior whose denoiser returns infinity (what a bad new prior might do)."""

    def posterior(self, B, A):
        B = np.asarray(B, dtype=float)
        return np.full(B.shape, np.inf), np.ones(B.shape)


def test_amp_run_statuses():
    rad = priors.Rademacher()
    assert spiked.simulate_amp(prior=rad, snr=2.0, n=200, iterations=300).status is CONVERGED
    short = spiked.simulate_amp(prior=rad, snr=2.0, n=200, iterations=2)
    assert short.status is NOT_CONVERGED
    assert not short.converged
    blown = spiked.simulate_amp(prior=_ExplodingPrior(), snr=2.0, n=50, iterations=10)
    assert blown.status is DIVERGED
    assert blown.overlap.size == 2  # the run stopped at the first non-finite estimate
    assert not np.isfinite(blown.overlap[-1])


def test_amp_ensemble_status_is_the_worst_run():
    ens = spiked.amp_ensemble(prior=priors.Rademacher(), snr=[0.5, 2.0], n=200, runs=2,
                              iterations=3)
    assert ens.status.tolist() == ["not_converged", "not_converged"]
    np.testing.assert_array_equal(ens.runs_converged, [0, 0])
    done = spiked.amp_ensemble(prior=priors.Rademacher(), snr=[2.0], n=200, runs=2,
                               iterations=300)
    assert done.status.tolist() == ["converged"]
    np.testing.assert_array_equal(done.runs_converged, [2])


def test_gamp_run_statuses():
    args = dict(channel=channels.Linear(noise=0.1), alpha=2.0, n=100)
    assert glm.simulate_gamp(prior=priors.Gaussian(), **args).status is CONVERGED
    assert glm.simulate_gamp(prior=priors.Gaussian(), iterations=1, **args).status is \
        NOT_CONVERGED
    blown = glm.simulate_gamp(prior=_ExplodingPrior(), **args)
    assert blown.status is DIVERGED
    assert np.isnan(blown.overlap[-1])


def test_phase_diagram_status_per_rho(cheap_results):
    pd = cheap_results["PhaseDiagram"]
    assert pd.status.tolist() == ["converged", "converged"]
    np.testing.assert_array_equal(pd.converged, [True, True])


def test_ridge_statuses():
    c = erm.ridge_curve(alpha=[0.5, 1.0, 2.0], lam=0.0, noise=0.2)
    assert c.status.tolist() == ["converged", "diverged", "converged"]  # the peak
    assert np.isinf(c.test_error[1])
    assert erm.ridge_curve(alpha=[1.0], lam=0.0, noise=0.0).status.tolist() == ["converged"]
    sim = erm.simulate_ridge(alpha=[0.5, 2.0], lam=0.0, noise=0.1, n=30, runs=2)
    assert sim.status.tolist() == ["converged", "converged"]


def test_logistic_statuses():
    alpha = np.array([0.5, 2.0])
    assert erm.logistic_curve(alpha=alpha, lam=0.1).status.tolist() == ["converged"] * 2
    stopped = erm.logistic_curve(alpha=alpha, lam=0.1, max_iter=2)
    assert stopped.status.tolist() == ["not_converged"] * 2
    sim = erm.simulate_logistic(alpha=[1.0], lam=0.1, n=50, runs=2)
    assert sim.status.tolist() == ["converged"]


def test_random_features_statuses():
    c = erm.random_features_curve(alpha=[0.5, 2.0, 4.0], psi=2.0, lam=1e-3, noise=0.1)
    assert c.status.tolist() == ["converged"] * 3
    np.testing.assert_array_equal(c.converged, [True] * 3)
    sim = erm.simulate_random_features(alpha=[1.0], psi=1.0, lam=0.1, noise=0.1, d=20, runs=2)
    assert sim.status.tolist() == ["converged"]


def test_trajectory_statuses(monkeypatch):
    ok = online.integrate(Q0=0.01 * np.eye(2), R0=np.zeros((2, 1)), T=np.eye(1), lr=0.5,
                          alphas=np.linspace(0, 50, 5), activation="linear")
    assert ok.status is CONVERGED
    lin = online.integrate(Q0=0.01 * np.eye(2), R0=np.zeros((2, 1)), T=np.eye(1), lr=1.05,
                           alphas=np.linspace(0, 400, 5), activation="linear")
    assert lin.status is DIVERGED
    assert lin.diverged
    assert lin.converged  # the integrator itself met its tolerances up to the blow-up
    monkeypatch.setattr(online, "MAX_ODE_STEPS", 5)
    Q0, R0, T = online.random_init(K=2, M=2, N=100, init_scale=0.5, seed=0)
    short = online.integrate(Q0=Q0, R0=R0, T=T, lr=1.0, alphas=np.linspace(0, 100, 5))
    assert short.status is NOT_CONVERGED
    assert not short.converged


def test_plateau_statuses():
    T, Q0 = np.eye(2), 1e-4 * np.eye(2)
    R0 = np.array([[1.0, 0.5], [0.8, 1.2]]) * 1e-5

    def plateau(alpha_max, **kwargs):
        traj = online.integrate(Q0=Q0, R0=R0, T=T, alphas=np.geomspace(0.01, alpha_max, 200),
                                **{"lr": 0.5, **kwargs})
        return online.find_plateau(traj)

    full = plateau(4000.0)
    assert full.status is CONVERGED
    assert full.found
    # the window ends on the plateau (12.5 < alpha < 258): not left yet, undecided
    inside = plateau(50.0)
    assert inside.status is NOT_CONVERGED
    assert not inside.found
    assert np.isnan(inside.height)
    # linear units learn without a plateau
    assert plateau(100.0, activation="linear", lr=0.3).status is OUT_OF_RANGE
    # a run that blew up
    blown = online.integrate(Q0=0.01 * np.eye(2), R0=np.zeros((2, 1)), T=np.eye(1), lr=1.05,
                             alphas=np.geomspace(0.1, 400, 40), activation="linear")
    assert online.find_plateau(blown).status is DIVERGED


def test_symmetric_fixed_point_status():
    fp = online.symmetric_fixed_point(K=3)
    assert fp.status is CONVERGED
    assert fp.converged


def test_backward_run_statuses():
    mixture = diffusion.gaussian_mixture(d=4, n=30, seed=2)
    args = dict(data=mixture.points, n_samples=20, kept=2, seed=1)
    assert diffusion.simulate_backward(steps=100, **args).status is CONVERGED
    # five steps from t = 5 to 0: Euler's step overshoots the collapse onto the points
    coarse = diffusion.simulate_backward(steps=5, **args)
    assert coarse.status is NOT_CONVERGED
    assert not coarse.converged


def test_score_training_and_window_statuses():
    args = dict(d=2, features=16)
    full = diffusion.score_training(n=8, tau=np.geomspace(1e-2, 1e6, 60), **args)
    assert np.isfinite(full.memorization_time)
    assert full.status is CONVERGED
    short = diffusion.score_training(n=8, tau=np.geomspace(1e-2, 1.0, 20), **args)
    assert np.isinf(short.memorization_time)
    assert short.status is OUT_OF_RANGE  # memorisation after the last time computed
    window = diffusion.training_window(n_values=[8, 16], tau=np.geomspace(1e-2, 1.0, 20),
                                       **args)
    assert window.status.tolist() == ["out_of_range", "out_of_range"]


# ---------------------------------------------------------------------------------------
# Root finding with per-element status
# ---------------------------------------------------------------------------------------
def test_find_roots_status_per_element():
    targets = np.array([2.0, 3.0, -1.0, np.nan])

    def f(x, idx):
        return x * x - targets[idx]

    with np.errstate(invalid="ignore"):
        roots = find_roots(f, np.zeros(4), np.array([2.0, 3.0, 2.0, 1.0]))
    assert roots.status.tolist() == ["converged", "converged", "out_of_range", "diverged"]
    np.testing.assert_allclose(roots.x[:2], np.sqrt([2.0, 3.0]), rtol=1e-15)
    assert np.isnan(roots.x[2:]).all()
    slow = find_roots(f, np.zeros(2), np.array([2.0, 3.0]), max_iter=1)
    assert slow.status.tolist() == ["not_converged", "not_converged"]


def test_find_roots_uses_known_end_values():
    """Values at the bracket ends known from a table are not evaluated again."""
    evaluated = []

    def f(x, idx):
        evaluated.append(x.copy())
        return np.cos(x) - x

    lo, hi = np.zeros(3), np.ones(3)
    roots = find_roots(f, lo, hi, f_lo=np.cos(lo) - lo, f_hi=np.cos(hi) - hi)
    assert roots.status.tolist() == ["converged"] * 3
    np.testing.assert_allclose(roots.x, 0.7390851332151607, rtol=1e-15)
    seen = np.concatenate(evaluated)
    assert not np.isin(seen, [0.0, 1.0]).any()


# ---------------------------------------------------------------------------------------
# One state-evolution engine for spiked and glm: same types, same numbers as before
# ---------------------------------------------------------------------------------------
def test_spiked_and_glm_share_the_result_types():
    assert glm.GlmCurve is spiked.Curve is theory.Curve
    assert glm.GlmBranch is spiked.Branch
    assert glm.GlmFixedPoint is spiked.FixedPoint
    assert glm.GlmLandscape is spiked.Landscape
    c = spiked.curve(prior=priors.Gaussian(), snr=[0.5, 2.0])
    g = glm.curve(prior=priors.Gaussian(), channel=channels.Linear(0.1), alpha=[0.5, 2.0])
    assert type(c) is type(g)
    np.testing.assert_array_equal(c.snr, c.control)
    np.testing.assert_array_equal(g.alpha, g.control)
    assert not hasattr(c, "alpha")
    assert not hasattr(g, "snr")
    assert c.bayes_optimal.generalization_error is None
    np.testing.assert_array_equal(c.bayes_optimal.mmse, c.bayes_optimal.mse)


def test_shared_engine_against_closed_forms():
    """Gaussian prior (independent of the root solves): spiked m = max(0, 1 - 1/snr) (BBP
    at snr = 1, matrix MMSE 1 - m^2); linear GLM 1 - q = u, u^2 + u (alpha + Delta - 1) =
    Delta."""
    snr = np.array([0.5, 1.0, 1.5, 3.0])
    c = spiked.curve(prior=priors.Gaussian(), snr=snr)
    m = np.maximum(0.0, 1.0 - 1.0 / snr)
    np.testing.assert_allclose(c.uninformed.overlap, m, atol=1e-12)
    np.testing.assert_allclose(c.bayes_optimal.mmse, 1.0 - m**2, atol=1e-12)
    assert not c.metastable.any()
    alpha, noise = np.array([0.3, 1.0, 2.5]), 0.2
    b = alpha + noise - 1
    u = (-b + np.sqrt(b * b + 4 * noise)) / 2
    g = glm.curve(prior=priors.Gaussian(), channel=channels.Linear(noise=noise), alpha=alpha)
    np.testing.assert_allclose(g.bayes_optimal.mse, u, atol=1e-12)
    assert g.converged.all()


# recorded from the code before the engine was shared (commit 07f2f0f): thresholds and
# branches to the solver's tolerance
BEFORE_THRESHOLDS = {
    "sparse_rademacher": (priors.SparseRademacher(rho=0.05),
                          (0.721417404885792, 0.747309300909503, 1.005407511913605)),
    "gauss_bernoulli": (priors.GaussBernoulli(rho=0.05),
                        (0.385674144237465, 0.411165351228581, 1.000463055424322)),
}
BEFORE_GLM_THRESHOLDS = [
    (priors.Rademacher(), channels.Sign(), (0.0, 1.244684217374684, 1.492631818230352)),
    (priors.Gaussian(), channels.Abs(), (1.0, 1.0, 1.128471406274906)),
    (priors.GaussBernoulli(rho=0.2), channels.Linear(), (0.2, 0.2, 0.355410827957599)),
    (priors.GaussBernoulli(rho=0.5), channels.Linear(), (0.5, 0.5, 0.685698481172332)),
]


@pytest.mark.parametrize("family", sorted(BEFORE_THRESHOLDS))
def test_spiked_thresholds_unchanged(family):
    prior, (dynamic, it, alg) = BEFORE_THRESHOLDS[family]
    th = spiked.thresholds(prior=prior)
    assert th.first_order
    assert th.status is CONVERGED
    assert th.dynamic == pytest.approx(dynamic, rel=1e-10)
    assert th.information_theoretic == pytest.approx(it, rel=1e-10)
    assert th.algorithmic == pytest.approx(alg, rel=1e-10)


@pytest.mark.parametrize(("prior", "channel", "expected"), BEFORE_GLM_THRESHOLDS,
                         ids=["perceptron", "phase-retrieval", "cs-0.2", "cs-0.5"])
def test_glm_thresholds_unchanged(prior, channel, expected):
    th = glm.thresholds(prior=prior, channel=channel)
    assert th.status is CONVERGED
    got = (th.dynamic, th.information_theoretic, th.algorithmic)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_curves_unchanged():
    c = spiked.curve(prior=priors.SparseRademacher(rho=0.05), snr=[0.8, 0.9, 1.2, 2.0])
    np.testing.assert_allclose(c.uninformed.overlap, [0, 0, 0.9319905823339055,
                                                      0.993281818225354], rtol=1e-11)
    np.testing.assert_allclose(c.informed.overlap, [0.6945185612731084, 0.8044338750673892,
                                                    0.9319905823339055, 0.993281818225354],
                               rtol=1e-11)
    np.testing.assert_allclose(c.bayes_optimal.free_entropy,
                               [0.00549200681529845, 0.0197903315836841, 0.07818281953165634,
                                0.2680787871258672], rtol=1e-11)
    c = spiked.curve(prior=priors.GaussBernoulli(rho=0.05), snr=[0.8, 0.9, 1.2, 2.0])
    np.testing.assert_allclose(c.informed.overlap, [0.8188955158052349, 0.8445668926184691,
                                                    0.8919690126532658, 0.9422591829631549],
                               rtol=1e-11)
    g = glm.curve(prior=priors.Rademacher(), channel=channels.Sign(), alpha=[0.5, 1.0, 1.3, 1.6])
    np.testing.assert_allclose(g.uninformed.overlap, [0.29308903005427617, 0.5607147370947461,
                                                      0.7258706929474184, 1.0], rtol=1e-11)
    np.testing.assert_array_equal(g.informed.overlap, [1.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(g.bayes_optimal.free_entropy,
                               [-0.3210144028151568, -0.5870389127850777, -0.6931472742440773,
                                -0.6931472958634924], rtol=1e-11)
    g = glm.curve(prior=priors.Gaussian(), channel=channels.Abs(), alpha=[0.45, 0.8, 1.1, 1.2])
    np.testing.assert_allclose(g.uninformed.overlap, [0.0, 0.21622748559662608,
                                                      0.6907887754437534, 1.0], rtol=1e-11)
    np.testing.assert_array_equal(g.bayes_optimal.free_entropy[2:], [np.inf, np.inf])


# ---------------------------------------------------------------------------------------
# Curated public API
# ---------------------------------------------------------------------------------------
PUBLIC_MODULES = ["channels", "data", "diffusion", "erm", "glm", "online", "priors", "spiked",
                  "sweep"]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_module_declares_all(name):
    module = importlib.import_module(f"theory.{name}")
    assert isinstance(module.__all__, list)
    assert len(set(module.__all__)) == len(module.__all__)
    for symbol in module.__all__:
        assert hasattr(module, symbol), (name, symbol)


def test_the_package_reexports_its_api():
    for symbol in theory.__all__:
        assert hasattr(theory, symbol), symbol
    assert theory.Status is Status
    for name in ("Curve", "Branch", "FixedPoint", "Landscape", "BackwardRun", "Plateau",
                 "TrainingWindow", "LogisticCurve", "RidgeSimulation", "AmpEnsemble"):
        assert name in theory.__all__


def test_unpickling_a_result_of_another_version_says_so(cheap_results):
    """A worker that imported another version of theory (no ``status`` yet) is refused with
    a message, not turned into a half-built result."""
    run = cheap_results["AmpRun"]
    state = {k: v for k, v in vars(run).items() if k != "status"}
    blank = object.__new__(type(run))
    with pytest.raises(TypeError, match="status"):
        blank.__setstate__(state)


# every TeX command the equations use; one outside it is a typo such as \quadg (MathJax
# draws an undefined macro's name in red in the page)
KNOWN_TEX_COMMANDS = {
    "Big", "Delta", "Lambda", "Phi", "Psi", "alpha", "arccos", "arcsin", "arg", "bar", "beta",
    "big", "binom", "cdot", "cosh", "ell", "epsilon", "eta", "frac", "ge", "hat", "in",
    "infty", "int", "kappa", "lambda", "leftarrow", "ln", "log", "mathbb", "mathcal",
    "mathrm", "max", "mid", "min", "mu", "nabla", "nu", "omega", "partial", "pi", "propto",
    "psi", "qquad", "quad", "rm", "sigma", "sim", "simeq", "sqrt", "star", "sum", "tanh",
    "text", "tfrac", "theta", "top", "varepsilon", "varphi", "xi", "zeta",
    "bigg", "Bigg", "left", "right", "le", "leq", "geq", "ne", "neq", "to", "times",
    "approx", "equiv", "langle", "rangle", "exp", "operatorname", "tau", "rho", "gamma",
    "delta", "Sigma", "Gamma", "Omega", "Theta", "mathbf", "boldsymbol", "odot", "otimes",
}


@pytest.mark.parametrize("module", ["capacity", "diffusion", "erm", "glm", "multiindex",
                                    "online", "scaling", "spiked"])
def test_equations_use_only_known_tex_commands(module):
    import importlib
    import re

    equations = importlib.import_module(f"theory.{module}").EQUATIONS
    unknown = {(name, command) for name, tex in equations.items()
               for command in re.findall(r"\\([A-Za-z]+)", tex)
               if command not in KNOWN_TEX_COMMANDS}
    assert unknown == set()


def _assert_same_curve(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if dataclasses.is_dataclass(x):
            _assert_same_curve(x, y)
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name


@pytest.mark.parametrize("model", ["glm", "spiked"])
def test_a_curve_is_its_points_solved_apart(model):
    """Each point of a state-evolution curve is solved on its own: the curve of a grid is the
    join of the curves of two parts of it, put back in order with ``take`` (what the page's
    point cache relies on), bit for bit, branches, metastable and hard bands included."""
    if model == "glm":
        grid = np.linspace(0.05, 3.0, 40)  # across the perceptron's first-order transition

        def solve(x):
            return glm.curve(prior=priors.Rademacher(), channel=channels.Sign(), alpha=x)
    else:
        grid = np.linspace(0.1, 3.0, 40)

        def solve(x):
            return spiked.curve(prior=priors.SparseRademacher(rho=0.05), snr=x)
    whole = solve(grid)
    assert whole.metastable.any()  # the grid crosses the jump: the test means something
    odd, even = solve(grid[1::2]), solve(grid[::2])
    joined = odd.join(even)
    order = np.argsort(joined.control, kind="stable")
    _assert_same_curve(joined.take(order), whole)
    _assert_same_curve(whole.take([3, 0]), solve(grid[[3, 0]]))
    with pytest.raises(TypeError):
        whole.join(whole.uninformed)
