"""Drive the online-SGD explorer through its parameters; check the plotted data."""

import time

import numpy as np
import pytest

from dashboards.base import Cancelled
from dashboards.online import FRAME_STEP, FRAMES, OnlineExplorer, times
from dashboards.plotstyle import subtitles
from dashboards.recipes import online as recipes
from tests.waiting import wait_until
from theory import online


@pytest.fixture
def explorer():
    e = OnlineExplorer()
    e.sweep_future.result(timeout=60)
    return e




def plotted(explorer, name):
    return {k: np.asarray(v, dtype=float) for k, v in explorer.sources[name].data.items()
            if k in ("alpha", "eps", "lr", "x", "value", "k", "m")}


def expected_trajectory(e):
    Q0, R0, T = online.random_init(K=e.K, M=e.M, N=e.N, init_scale=e.init_scale, seed=e.seed)
    return online.integrate(Q0=Q0, R0=R0, T=T, lr=e.lr, noise=e.noise,
                            alphas=times(e.alpha_max), activation=e.activation)


def test_default_shows_the_ode_from_the_sampled_start(explorer):
    traj = expected_trajectory(explorer)
    eps = plotted(explorer, "eps")
    np.testing.assert_allclose(eps["alpha"], traj.alpha)
    np.testing.assert_allclose(eps["eps"][1:50], traj.eps_g[1:50], rtol=1e-9)
    plateau = online.find_plateau(traj)
    assert plateau.found
    band = explorer.sources["plateau"].data
    assert band["left"] == [plateau.start]
    assert band["right"] == [plateau.end]
    spec = online.specialization_time(traj, plateau)
    assert explorer.sources["special"].data["x"] == [spec]
    rate = online.critical_learning_rate(K=2)
    assert f"{rate:.4g}" in explorer.summary.object
    assert f"{plateau.height:.4g}" in explorer.summary.object


def test_learning_rate_moves_the_curve_and_the_sweep_point(explorer):
    before = plotted(explorer, "eps")["eps"].copy()
    explorer.lr = 0.5
    after = plotted(explorer, "eps")["eps"]
    assert not np.allclose(before[1:], after[1:], equal_nan=True)
    np.testing.assert_allclose(after[1:50], expected_trajectory(explorer).eps_g[1:50], rtol=1e-9)
    assert explorer.sources["sweep_point"].data["lr"] == [0.5]


def test_time_cursor_shows_the_overlaps_at_that_time(explorer):
    explorer.frame = 40
    i = 40 * FRAME_STEP  # the time point of that frame
    traj = expected_trajectory(explorer)
    heat = plotted(explorer, "heat")
    Q, R, T = traj.Q[i], traj.R[i], traj.T
    expected = R / np.sqrt(np.outer(np.diag(Q), np.diag(T)))
    np.testing.assert_allclose(heat["value"], expected.ravel(), rtol=1e-9)
    cursor = plotted(explorer, "cursor")
    assert cursor["alpha"][0] == pytest.approx(traj.alpha[i])
    assert explorer.order_cursor.location == pytest.approx(traj.alpha[i])


def test_the_frames_span_the_whole_time_range_and_play_starts_again_from_the_end():
    """The player's range input is drawn right only for values up to 100 (Panel sets its
    value before its maximum and the browser clamps it to the default maximum, 100): the
    cursor has at most 100 frames, the last at the last time point, and starts there; Play
    at the last frame rewinds to the first."""
    explorer = OnlineExplorer()
    assert FRAMES <= 100
    assert explorer.player.end == FRAMES - 1 == explorer.frame
    trajectory = recipes.analysis(explorer)[0]  # the ODE the page shows
    assert trajectory.alpha.size - 1 == (FRAMES - 1) * FRAME_STEP
    assert plotted(explorer, "cursor")["alpha"][0] == trajectory.alpha[-1]
    # learned to below the solver's precision: the cursor sits on the axis' floor, in sight
    assert trajectory.eps_g[-1] < recipes.EPS_FLOOR
    assert plotted(explorer, "cursor")["eps"][0] == recipes.EPS_FLOOR
    assert explorer.play_from_start.source is explorer.player
    assert "cb_obj.value = cb_obj.start" in explorer.play_from_start.code["direction"]


def test_network_sizes_set_the_order_parameters(explorer):
    explorer.param.update(K=3, M=2)
    heat = plotted(explorer, "heat")
    assert heat["value"].size == 6
    order = explorer.sources["order"].data
    assert len(order["xs"]) == 3 * 2 + 3 * 4 // 2  # R_km and the upper triangle of Q
    assert sorted(order["label"])[:3] == ["Q_11", "Q_12", "Q_13"]


def test_sweep_equals_the_theory_and_marks_the_critical_rate(explorer):
    lrs = np.asarray(explorer.sources["sweep"].data["lr"])
    Q0, R0, T = online.random_init(K=2, M=2, N=explorer.N, init_scale=explorer.init_scale,
                                   seed=explorer.seed)
    _, final, _ = online.lr_sweep(Q0=Q0, R0=R0, T=T, lrs=lrs, alpha=explorer.alpha_max)
    got = np.asarray(explorer.sources["sweep"].data["eps"], dtype=float)
    ok = np.isfinite(got)
    np.testing.assert_allclose(got[ok], final[ok], rtol=1e-9)
    marks = explorer.sources["sweep_marks"].data
    assert any(label.startswith("critical") for label in marks["label"])
    x = dict(zip([label.split()[0] for label in marks["label"]], marks["x"], strict=True))
    assert x["critical"] == pytest.approx(online.critical_learning_rate(K=2))


def test_sgd_runs_overlay_real_simulations(explorer):
    explorer.param.update(N=200, alpha_max=20.0, init_scale=0.3)
    explorer.sim_runs = 2
    explorer.run_sgd().result(timeout=120)
    wait_until(lambda: len(explorer.sources["sgd"].data["xs"]) == 2)
    alphas, _ = explorer.sim_alphas()
    first = online.simulate_sgd(K=2, M=2, N=200, lr=explorer.lr, alphas=alphas, seed=0,
                                init_scale=0.3)
    np.testing.assert_allclose(explorer.sources["sgd"].data["ys"][0], first.eps_g, rtol=1e-9)
    assert "2 run(s)" in explorer.sim.status.object
    explorer.lr = 0.7  # the runs belong to the old parameters
    assert explorer.sources["sgd"].data["xs"] == []


def test_sgd_can_be_cancelled(explorer):
    explorer.param.update(N=5000, alpha_max=800.0)
    future = explorer.run_sgd()
    time.sleep(0.3)
    explorer.cancel()
    with pytest.raises(Cancelled):
        future.result(timeout=60)
    wait_until(lambda: "cancelled" in explorer.sim.status.object)
    assert not explorer.sim.run_button.disabled


def test_simulation_length_is_capped(explorer):
    explorer.param.update(N=5000, alpha_max=5000.0)
    alphas, note = explorer.sim_alphas()
    assert alphas[-1] * 5000 <= 4_000_000 + 1
    assert "capped" in note


def test_hostile_link_values_are_clamped_or_refused(explorer):
    notes = explorer.apply_values({"K": 100, "lr": "nan", "alpha_max": -5, "activation": "relu",
                                   "N": 10**9})
    assert explorer.K == 8
    assert explorer.lr == 1.0
    assert explorer.alpha_max == 1.0
    assert explorer.activation == "erf"
    assert explorer.N == 5000
    assert len(notes) == 5
    assert explorer.message.visible


def test_divergence_is_reported(explorer):
    explorer.param.update(activation="linear", K=2, M=2, lr=1.5)
    assert "diverged" in explorer.message.object
    eps = plotted(explorer, "eps")["eps"]
    assert np.isnan(eps[-1])


def test_log_scale_toggle(explorer):
    assert explorer.eps_log_pane.visible
    explorer.log_scale = False
    assert explorer.eps_lin_pane.visible
    assert not explorer.eps_log_pane.visible


def test_the_linear_twin_is_built_when_first_shown():
    explorer = OnlineExplorer()
    assert explorer.fig_eps_lin is None  # not built for a page that never shows it
    explorer.log_scale = False
    fig = explorer.fig_eps_lin
    assert fig is not None
    assert explorer.eps_lin_pane.visible
    assert fig.title.text == explorer.fig_eps_log.title.text
    assert subtitles(fig)[0].text == subtitles(explorer.fig_eps_log)[0].text
    plotted = {r.data_source.name for r in fig.renderers if hasattr(r, "data_source")}
    assert "sgd-eps" in plotted
    explorer.K = 3  # it follows the model from now on
    assert "K = 3" in subtitles(fig)[0].text
    assert OnlineExplorer(log_scale=False).fig_eps_lin is not None


def test_the_over_parameterised_preset_shows_what_its_text_says():
    """K = 4, M = 2 at alpha = 2000: two student units match the teacher's, the other two
    are small and opposite (they cancel), and the error is zero to the solver's precision."""
    from dashboards.recipes import online as recipes

    explorer = OnlineExplorer()
    preset = next(p for p in explorer.presets if p.name.startswith("Over-parameterised"))
    p = recipes.OnlineParameters(**preset.values)
    traj = recipes.analysis(p)[0]
    Q, R = traj.Q[-1], traj.R[-1]
    norms = np.diag(Q)
    big, small = np.argsort(norms)[2:], np.argsort(norms)[:2]
    assert np.all(norms[big] > 0.9)
    assert np.all(norms[small] < 0.005)
    assert "|w|² ≈ 0.002" in preset.explanation
    np.testing.assert_allclose(R[small[0]], -R[small[1]], atol=1e-3)  # they cancel
    cos = R[big] / np.sqrt(np.outer(norms[big], np.diag(traj.T)))
    assert np.allclose(np.sort(np.abs(cos).max(axis=1)), 1.0, atol=0.01)
    assert traj.eps_g[-1] < 1e-10
