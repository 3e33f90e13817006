"""Drive the teacher-student explorer through its parameters; check the plotted data."""

import contextlib
import time

import numpy as np
import pytest

from dashboards.glm import GlmExplorer
from dashboards.processes import Cancelled
from tests.waiting import wait_until
from theory import channels, erm, glm, priors


@pytest.fixture
def explorer():
    return GlmExplorer()


def data(explorer, name):
    return {k: np.asarray(v, dtype=float) for k, v in explorer.sources[name].data.items()
            if k not in ("threshold", "region", "color")}




def test_default_is_the_binary_perceptron(explorer):
    curves = data(explorer, "curves")
    c = glm.curve(prior=priors.Rademacher(), channel=channels.Sign(), alpha=curves["alpha"])
    np.testing.assert_allclose(curves["bayes"], c.bayes_optimal.generalization_error)
    np.testing.assert_allclose(curves["uninformed"], c.uninformed.generalization_error)
    # ERM for a sign channel: logistic regression at lam, computed in the background
    explorer.erm_future.result(timeout=60)
    wait_until(lambda: len(explorer.sources["erm"].data["alpha"]) > 0)
    erm_data = data(explorer, "erm")
    expected = erm.logistic_curve(alpha=erm_data["alpha"], lam=explorer.lam)
    np.testing.assert_allclose(erm_data["error"], expected.test_error, rtol=1e-6)
    th = glm.thresholds(prior=priors.Rademacher(), channel=channels.Sign())
    xs = sorted(data(explorer, "thresholds")["x"])
    np.testing.assert_allclose(xs, sorted([th.information_theoretic, th.algorithmic]))
    assert "1.2447" in explorer.summary.object
    assert "1.4926" in explorer.summary.object
    # perfect generalisation is a metastable state from alpha = 0+ (alpha_dyn = 0)
    assert th.dynamic == 0.0
    assert list(explorer.sources["regions"].data["region"]) == ["metastable", "hard phase"]


def test_tasks_set_prior_and_channel(explorer):
    explorer.task = "Phase retrieval"
    assert explorer.prior == "gaussian"
    assert explorer.current_channel == channels.Abs(noise=0.0)
    assert explorer.flip_widget.disabled
    assert not explorer.noise_widget.disabled
    xs = data(explorer, "thresholds")["x"]
    assert np.any(np.isclose(xs, 0.5))
    assert np.any(np.isclose(xs, 1.0))
    explorer.task = "Compressed sensing"
    assert explorer.prior == "gauss_bernoulli"
    assert not explorer.rho_widget.disabled
    assert f"α_IT = {explorer.rho:.4f}" in explorer.summary.object


def test_ridge_task_plots_ridge_and_double_descent(explorer):
    explorer.task = "Ridge regression"
    ridge = data(explorer, "erm")
    expected = erm.ridge_curve(alpha=ridge["alpha"], lam=explorer.lam, noise=explorer.noise)
    np.testing.assert_allclose(ridge["error"], expected.test_error)
    dd = data(explorer, "dd")
    optimal = erm.ridge_curve(alpha=dd["alpha"], lam=explorer.noise, noise=explorer.noise)
    np.testing.assert_allclose(dd["optimal"], optimal.test_error)
    # the min-norm curve peaks at the interpolation threshold alpha = 1
    peak = dd["alpha"][np.nanargmax(dd["lam0"])]
    assert abs(peak - 1.0) < 0.05
    # Bayes-optimal = ridge at lam = noise
    explorer.lam = explorer.noise
    np.testing.assert_allclose(data(explorer, "erm")["error"], data(explorer, "curves")["bayes"],
                               rtol=1e-7)


def test_alpha_slider_moves_the_landscape(explorer):
    before = data(explorer, "landscape")["f"].copy()
    explorer.alpha = 1.0
    after = data(explorer, "landscape")
    assert not np.allclose(before[: after["f"].size], after["f"][: before.size])
    assert explorer.alpha_marker.location == 1.0
    land = glm.free_entropy_landscape(prior=priors.Rademacher(), channel=channels.Sign(),
                                      alpha=1.0)
    np.testing.assert_allclose(after["f"], land.free_entropy)
    # below alpha_IT the low state is optimal and perfect recovery is metastable
    assert data(explorer, "global_max")["q"][0] < 1.0
    assert data(explorer, "local_max")["q"][-1] == 1.0


def test_log_scale_and_quantity(explorer):
    explorer.log_scale = True
    assert type(explorer.fig_curve.y_scale).__name__ == "LogScale"
    bayes = data(explorer, "curves")["bayes"]
    assert np.all(np.isnan(bayes) | (bayes > 0))  # zeros are not drawable on a log axis
    explorer.param.update(log_scale=False, quantity="MSE 1 − q")
    curves = data(explorer, "curves")
    c = glm.curve(prior=priors.Rademacher(), channel=channels.Sign(), alpha=curves["alpha"])
    np.testing.assert_allclose(curves["bayes"], c.bayes_optimal.mse)


def test_simulations_overlay_with_error_bars(explorer):
    explorer.param.update(task="Ridge regression", sim_n=300, sim_runs=2,
                          alpha_range=(0.2, 2.0))
    future = explorer.run_simulations()
    future.result(timeout=120)
    wait_until(lambda: not explorer.sim.run_button.disabled)
    sim = data(explorer, "sim")
    assert sim["alpha"].size == 8
    theory = glm.curve(prior=priors.Gaussian(), channel=channels.Linear(noise=explorer.noise),
                       alpha=sim["alpha"]).uninformed.generalization_error
    assert np.max(np.abs(sim["mean"] - theory)) < 0.2
    ridge = data(explorer, "ridge_sim")
    assert ridge["alpha"].size == 8
    explorer.task = "Binary perceptron"  # a new model clears the overlay
    assert data(explorer, "sim")["alpha"].size == 0


@pytest.mark.parametrize(
    ("values", "expected"),
    [({"alpha": -5}, {"alpha": 0.05}), ({"task": "Quantum"}, {"task": "Binary perceptron"}),
     ({"noise": "nan"}, {"noise": 0.0}), ({"sim_n": 10**8}, {"sim_n": glm.MAX_GAMP_N})],
)
def test_bad_link_values(explorer, values, expected):
    assert explorer.apply_values(values)
    for name, value in expected.items():
        assert getattr(explorer, name) == value
    assert explorer.message.visible


def test_logistic_task_shows_logistic_and_clamps_small_lambda(explorer):
    explorer.task = "Logistic regression"
    assert explorer.lam == 0.1
    explorer.lam = 0.001
    assert "λ ≥ 0.01" in explorer.message.object
    explorer.erm_future.result(timeout=120)
    wait_until(lambda: len(explorer.sources["erm"].data["alpha"]) > 0)
    (legend,) = explorer.optional_legend["erm"]  # the ERM curve's legend entry
    assert "logistic regression at λ = 0.01" in str(legend.label)


def test_random_features_task(explorer):
    explorer.task = "Random features"
    assert explorer.psi_widget.visible
    assert explorer.alpha_range == (0.1, 5.0)
    rf = data(explorer, "erm")
    expected = erm.random_features_curve(alpha=rf["alpha"], psi=2.0, lam=1e-3, noise=0.1)
    np.testing.assert_allclose(rf["error"], expected.test_error)
    def peak(dd):  # of the lam -> 0 curve, away from the small-alpha end
        right = dd["alpha"] > 1.0
        return dd["alpha"][right][np.nanargmax(dd["lam0"][right])]

    assert abs(peak(data(explorer, "dd")) - 2.0) < 0.05  # the interpolation peak, alpha = psi
    explorer.psi = 3.0
    assert abs(peak(data(explorer, "dd")) - 3.0) < 0.05
    assert not explorer.message.visible


def test_a_late_logistic_result_does_not_overwrite_another_task(explorer):
    explorer.task = "Logistic regression"
    explorer.lam = 0.02  # a slower logistic solve, still running when the task changes
    pending = explorer.erm_future
    explorer.task = "Ridge regression"
    with contextlib.suppress(Cancelled):  # overtaken: cancelled, or finished and dropped
        pending.result(timeout=120)
    time.sleep(0.2)
    ridge = data(explorer, "erm")
    expected = erm.ridge_curve(alpha=ridge["alpha"], lam=explorer.lam, noise=explorer.noise)
    np.testing.assert_allclose(ridge["error"], expected.test_error)


@pytest.mark.parametrize("task", ["Ridge regression", "Random features", "Compressed sensing"])
def test_an_explorer_built_with_a_task_is_that_task(task):
    """GlmExplorer(task=...) (a notebook, a script) applies the task's prior and defaults as
    choosing it on the page does: the same values and the same summary."""
    built = GlmExplorer(task=task)
    chosen = GlmExplorer()
    chosen.task = task
    def values(page):
        return {k: v for k, v in page.param.values().items() if k != "name"}

    assert values(built) == values(chosen)
    assert built.summary.object == chosen.summary.object


def test_without_optimal_regularisation_the_summary_says_the_erm_curves_can_peak():
    page = GlmExplorer(task="Ridge regression")
    assert "no phase transition: the Bayes-optimal error" in page.summary.object
    assert "can peak" in page.summary.object
