"""Drive the spiked explorer through its parameters and check the data handed to the plots."""

import numpy as np
import pytest

from dashboards.base import Cancelled
from dashboards.plotstyle import subtitles
from dashboards.spiked import SpikedExplorer
from tests.waiting import wait_until
from theory import priors, spiked


@pytest.fixture
def explorer():
    return SpikedExplorer()




def data(explorer, name):
    return {k: np.asarray(v) for k, v in explorer.sources[name].data.items()}


def test_default_view_plots_the_theory(explorer):
    curves = data(explorer, "curves")
    lo, hi = explorer.snr_range
    np.testing.assert_allclose(curves["snr"][[0, -1]], [lo, hi])
    expected = spiked.curve(prior=priors.SparseRademacher(rho=0.05), snr=curves["snr"])
    np.testing.assert_allclose(curves["bayes"], expected.bayes_optimal.mmse, atol=1e-12)
    np.testing.assert_allclose(curves["uninformed"], expected.uninformed.mmse, atol=1e-12)
    np.testing.assert_allclose(curves["pca"], 1 - spiked.pca_overlap(curves["snr"]) ** 2)
    th = spiked.thresholds(prior=priors.SparseRademacher(rho=0.05))
    xs = data(explorer, "thresholds")["x"]
    np.testing.assert_allclose(sorted(xs), sorted([1.0, th.dynamic, th.information_theoretic,
                                                   th.algorithmic]))
    regions = data(explorer, "regions")
    assert list(regions["region"]) == ["metastable", "hard phase"]
    assert "First-order" in explorer.summary.object
    assert not explorer.message.visible


def test_moving_snr_updates_landscape_and_marker(explorer):
    before = data(explorer, "landscape")["phi"].copy()
    explorer.snr = 1.2
    after = data(explorer, "landscape")["phi"]
    assert not np.allclose(before, after)
    m = data(explorer, "landscape")["m"]
    expected = spiked.free_entropy(priors.SparseRademacher(rho=0.05), 1.2, m)
    np.testing.assert_allclose(after, expected)
    assert explorer.snr_marker.location == 1.2
    assert data(explorer, "phase_point")["snr"][0] == 1.2
    # above lambda_alg there is one maximum, the informed one
    assert data(explorer, "local_max")["m"].size == 0
    assert data(explorer, "global_max")["m"][0] > 0.9


def test_metastable_maximum_is_shown_in_the_hard_phase(explorer):
    explorer.snr = 0.9
    assert data(explorer, "global_max")["m"][0] > 0.5
    np.testing.assert_allclose(data(explorer, "local_max")["m"], [0.0])


def test_quantity_toggle_switches_to_overlap(explorer):
    explorer.quantity = "overlap"
    curves = data(explorer, "curves")
    expected = spiked.curve(prior=priors.SparseRademacher(rho=0.05), snr=curves["snr"])
    np.testing.assert_allclose(curves["bayes"], expected.bayes_optimal.overlap, atol=1e-12)
    assert explorer.fig_curve.yaxis[0].axis_label == "overlap m"
    assert explorer.fig_curve.title.text.startswith("Overlap")  # not "Error": m grows
    assert explorer.script_figures()[0]["title"] == explorer.fig_curve.title.text
    explorer.quantity = "MMSE"
    assert explorer.fig_curve.title.text.startswith("Error")


def test_dense_prior_has_no_hard_phase(explorer):
    explorer.prior = "rademacher"
    assert explorer.rho_widget.disabled
    assert list(data(explorer, "regions")["region"]) == []
    np.testing.assert_allclose(data(explorer, "thresholds")["x"], [1.0])
    assert "Continuous" in explorer.summary.object
    assert data(explorer, "phase_point")["rho"][0] == 1.0


def test_gaussian_prior_matches_pca(explorer):
    explorer.param.update(prior="gaussian", snr_range=(0.5, 4.0))
    curves = data(explorer, "curves")
    np.testing.assert_allclose(curves["bayes"], curves["pca"], atol=1e-9)


def test_range_change_clamps_current_snr(explorer):
    explorer.snr_range = (1.5, 3.0)
    assert explorer.snr == 1.5
    assert explorer.snr_widget.start == 1.5
    assert explorer.snr_widget.end == 3.0
    np.testing.assert_allclose(data(explorer, "curves")["snr"][[0, -1]], [1.5, 3.0])


def test_snr_outside_the_range_is_clamped(explorer):
    explorer.snr = 15.0
    assert explorer.snr == explorer.snr_range[1]
    assert explorer.snr_marker.location == explorer.snr_range[1]


def test_phase_diagram_follows_family(explorer):
    explorer.phase_future.result(timeout=60)
    wait_until(lambda: not explorer.phase_pane.loading)
    phase = data(explorer, "phase")
    pd = spiked.phase_diagram(family="sparse_rademacher")
    np.testing.assert_allclose(phase["it"], pd.information_theoretic, equal_nan=True)
    explorer.prior = "gauss_bernoulli"
    explorer.phase_future.result(timeout=60)
    wait_until(lambda: "Gauss-Bernoulli" in subtitles(explorer.fig_phase)[0].text)
    pd = spiked.phase_diagram(family="gauss_bernoulli")
    np.testing.assert_allclose(data(explorer, "phase")["dynamic"], pd.dynamic, equal_nan=True)


def test_amp_runs_in_background_and_overlays(explorer):
    explorer.param.update(prior="rademacher", snr_range=(0.5, 2.5), amp_n=400, amp_runs=2)
    future = explorer.run_amp()
    future.result(timeout=60)
    wait_until(lambda: not explorer.run_button.disabled)
    amp = data(explorer, "amp")
    assert amp["snr"].size == 8
    assert np.all(amp["low"] <= amp["mean"])
    assert np.all(amp["mean"] <= amp["high"])
    theory = spiked.curve(prior=priors.Rademacher(), snr=amp["snr"]).uninformed.mmse
    assert np.max(np.abs(amp["mean"] - theory)) < 0.25  # N = 400: loose, tested tightly in theory
    assert not explorer.run_button.disabled
    assert "AMP: 2 run(s)" in explorer.amp_status.object
    explorer.prior = "gaussian"  # a new model clears the overlay
    assert data(explorer, "amp")["snr"].size == 0


def test_amp_can_be_cancelled(explorer):
    explorer.param.update(amp_n=3000, amp_runs=20)
    explorer.cancel()  # a cancel before the run does not leak into it
    future = explorer.run_amp()
    explorer.cancel()
    with pytest.raises(Cancelled):
        future.result(timeout=120)
    wait_until(lambda: "cancelled" in explorer.amp_status.object.lower())
    assert not explorer.run_button.disabled


def test_a_closed_page_stops_its_work_and_queued_work_never_runs(explorer):
    explorer.param.update(amp_n=3000, amp_runs=20)
    running = explorer.run_amp()
    explorer.close()  # what the server does when the page's session is destroyed
    with pytest.raises(Cancelled):
        running.result(timeout=120)
    ran = []
    queued = explorer.run_in_background(lambda check: ran.append(1), on_done=lambda _: None,
                                        cancellable=False)
    with pytest.raises(Cancelled):
        queued.result(timeout=30)
    assert ran == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"rho": 7.0}, {"rho": 1.0}),
        ({"rho": -3}, {"rho": 0.01}),
        ({"snr": "nan"}, {"snr": 0.9}),
        ({"prior": "laplace"}, {"prior": "sparse_rademacher"}),
        ({"snr_range": [5, -2]}, {"snr_range": (0.0, 5.0)}),
        ({"snr_range": [1, 1]}, {"snr_range": (0.2, 1.6)}),
        ({"amp_n": 10**9}, {"amp_n": spiked.MAX_AMP_N}),
        ({"quantity": 3}, {"quantity": "MMSE"}),
    ],
)
def test_bad_link_values_are_clamped_or_refused_with_a_message(explorer, values, expected):
    notes = explorer.apply_values(values)
    assert notes
    assert explorer.message.visible
    for name, value in expected.items():
        assert getattr(explorer, name) == value


def test_theory_errors_become_messages(explorer, monkeypatch):
    import dashboards.recipes.spiked as module  # the recipes look their caches up there

    def broken(*args, **kwargs):
        raise ValueError("solver exploded")

    monkeypatch.setattr(module, "cached_curve", broken)
    explorer.rho = 0.07
    assert explorer.message.visible
    assert "solver exploded" in explorer.message.object
    monkeypatch.undo()
    explorer.rho = 0.08  # the session keeps working
    assert not explorer.message.visible


class InProcessClient:
    """The part of a dask Client that a sweep uses, run here (the cluster is tested in
    tests/theory/test_sweep.py)."""

    def map(self, fn, *iterables, pure=True):
        return [fn(*args) for args in zip(*iterables, strict=True)]

    def gather(self, results):
        return results


def test_phase_diagram_comes_from_a_finer_cached_sweep(monkeypatch, tmp_path):
    from theory import sweep

    monkeypatch.setenv(sweep.CACHE_ENV, str(tmp_path))
    rho = np.geomspace(0.02, 1.0, 57)
    fine = sweep.phase_diagram(family="gauss_bernoulli", rho=rho, client=InProcessClient())
    explorer = SpikedExplorer(prior="gauss_bernoulli")
    wait_until(lambda: len(explorer.sources["phase"].data["rho"]) > 0)
    plotted = explorer.sources["phase"].data
    assert np.allclose(plotted["rho"], fine.rho)
    shown = np.asarray(plotted["alg"], dtype=float)
    assert np.allclose(shown[np.isfinite(shown)], fine.algorithmic[np.isfinite(shown)])


@pytest.mark.parametrize("preset", [p.name for p in SpikedExplorer.presets])
def test_each_preset_shows_its_transition_inside_the_plotted_range(preset):
    explorer = SpikedExplorer()
    explorer.apply_preset(preset)
    lo, hi = explorer.snr_range
    margin = 0.05 * (hi - lo)  # a jump on the plot's edge is not seen
    th = spiked.thresholds(prior=explorer.current_prior)
    shown = [1.0] + ([th.dynamic, th.information_theoretic, th.algorithmic]
                     if th.first_order else [])
    for x in shown:
        assert lo + margin <= x <= hi - margin, (preset, x, (lo, hi))
    assert lo <= explorer.snr <= hi


@pytest.mark.parametrize("preset", [p.name for p in SpikedExplorer.presets])
def test_the_phase_diagram_shows_the_current_point_of_each_preset(preset):
    explorer = SpikedExplorer()
    explorer.apply_preset(preset)
    y = explorer.fig_phase.y_range
    point = data(explorer, "phase_point")["snr"][0]
    assert point == explorer.snr
    # the star (12 px on a frame of ~200 px) needs a few percent of the range above it
    assert y.start <= point <= y.end - 0.05 * (y.end - y.start), (preset, point, y.end)
    # and every threshold of the family still shows
    explorer.latest_future("phase").result(timeout=120)
    wait_until(lambda: data(explorer, "phase")["alg"].size > 0)
    assert np.nanmax(data(explorer, "phase")["alg"]) <= y.end


def test_the_phase_diagram_follows_a_large_lambda(explorer):
    explorer.snr_range = (0.2, 20.0)
    explorer.snr = 19.0
    assert explorer.fig_phase.y_range.end >= 19.0 * 1.05
    explorer.snr = 0.9
    assert explorer.fig_phase.y_range.end == pytest.approx(1.3)


def legend_label(explorer, key):
    item = next(i for i in explorer.fig_curve.legend[0].items
                if explorer.renderers[key] in i.renderers)
    return item.label.value


def test_the_legend_says_when_pca_is_the_bayes_optimal_curve(explorer):
    # a Gaussian spike: PCA's overlap max(0, 1 - 1/lambda) is the Bayes-optimal one, and the
    # two curves are drawn on top of each other
    explorer.apply_preset("BBP transition (Gaussian spike)")
    curves = data(explorer, "curves")
    np.testing.assert_allclose(curves["pca"], curves["bayes"], atol=1e-3)
    assert "Bayes-optimal" in legend_label(explorer, "pca")
    explorer.apply_preset("Z2 synchronisation (Rademacher spike)")  # PCA is worse above 1
    curves = data(explorer, "curves")
    assert np.max(np.abs(curves["pca"] - curves["bayes"])) > 0.05
    assert "Bayes-optimal" not in legend_label(explorer, "pca")


def test_the_range_slider_spreads_its_handles_and_grows_when_dragged(explorer):
    widget = explorer.snr_range_widget
    lo, hi = explorer.snr_range
    assert widget.end == 5.0  # on 0-20 the default range's handles touched at the far left
    assert (hi - lo) / (widget.end - widget.start) > 0.25
    explorer.snr_range = (0.2, 4.9)  # dragged to near the end: room to go further
    assert widget.end == pytest.approx(9.8)
    explorer.snr_range = (1.0, 15.0)  # as from a link: the bound still holds
    assert widget.end == 20.0
    explorer.snr_range = (0.2, 1.6)
    assert widget.end == 5.0
