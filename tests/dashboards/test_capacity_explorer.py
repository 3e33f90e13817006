"""The storage-capacity explorer: its recipes against theory identities (no browser), and the
page's behaviour: what each slider changes, presets that show what they say, simulations."""

import numpy as np
import pytest

from dashboards import CapacityExplorer
from dashboards.plotstyle import subtitles
from dashboards.recipes import capacity as recipes
from tests.waiting import wait_until
from theory import capacity


@pytest.fixture(scope="module")
def params():
    return recipes.CapacityParameters()


def test_margin_curve_is_the_inverse_of_the_capacity(params):
    out = recipes.margins(params)["margin_curve"]
    alpha_c = capacity.gardner_capacity(out["kappa"]).alpha_c
    assert np.allclose(alpha_c, out["alpha"], rtol=1e-9)
    # shaded where RS is not exact: kappa < 0, from alpha = 2 on
    band = recipes.margins(params)["margin_rsb"]
    assert band["left"][0] == pytest.approx(2.0, abs=0.03)
    assert band["top"] == [0.0]


@pytest.mark.parametrize("kappa", [-0.5, 0.0, 1.0])
def test_overlap_curve_rises_to_one_at_the_capacity(kappa):
    p = recipes.CapacityParameters(kappa=kappa)
    out = recipes.overlap(p)
    alpha, q = out["overlap"]["alpha"], out["overlap"]["q"]
    alpha_c = float(capacity.gardner_capacity(kappa).alpha_c)
    assert alpha[-1] == pytest.approx(alpha_c)
    assert q[-1] == 1.0
    assert np.all(np.diff(q) > 0)
    assert out["overlap_threshold"]["x"] == [pytest.approx(alpha_c)]
    # the plotted overlap solves its equation at an interior point (independent solve)
    mid = len(alpha) // 2
    assert q[mid] == pytest.approx(float(capacity.version_space_overlap(alpha[mid], kappa).q[0]),
                                   abs=1e-9)


def test_separability_is_covers_count_and_one_half_at_twice_the_dimension():
    p = recipes.CapacityParameters(n=25)
    out = recipes.separability(p)["cover"]
    at_two = np.flatnonzero(np.isclose(out["alpha"], 2.0))
    assert out["probability"][at_two] == pytest.approx([0.5], abs=1e-14)
    assert out["probability"][0] == 1.0
    assert np.all(np.diff(out["probability"]) <= 1e-15)


def test_binary_entropy_crosses_zero_at_the_krauth_mezard_capacity(params):
    out = recipes.binary(params)
    zero = out["binary_point"]["alpha"][0]
    assert zero == pytest.approx(0.833, abs=1e-3)
    alpha, entropy = out["binary"]["alpha"], out["binary"]["entropy"]
    assert np.all(entropy[alpha < zero - 0.01] > 0)
    assert np.all(entropy[alpha > zero + 0.01] < 0)
    thresholds = out["binary_thresholds"]["x"]
    assert thresholds[1] == pytest.approx(4 / np.pi)


def test_injectivity_curve_crosses_one_at_the_rs_threshold(params):
    out = recipes.injectivity(params)
    alpha, load = out["injectivity"]["alpha"], out["injectivity"]["load"]
    crossing = np.interp(1.0, load, alpha)
    assert crossing == pytest.approx(7.65, abs=0.02)
    assert sorted(out["injectivity_thresholds"]["x"]) == pytest.approx([6.698, 7.6477, 8.34],
                                                                        abs=1e-3)


def test_errors_vanish_below_the_capacity_at_any_margin():
    p = recipes.CapacityParameters(kappa=0.5)
    out = recipes.errors(p)["errors"]
    alpha_c = float(capacity.gardner_capacity(0.5).alpha_c)
    assert np.all(out["errors"][out["alpha"] <= alpha_c] == 0)
    assert np.all(out["errors"][out["alpha"] > alpha_c + 0.1] > 0)


def test_each_slider_changes_only_what_depends_on_it():
    page = CapacityExplorer()
    cover = page.sources["cover"].data
    overlap = page.sources["overlap"].data
    page.kappa = 1.0
    assert page.sources["cover"].data is cover  # not recomputed, nothing resent
    assert page.sources["overlap"].data is not overlap
    assert page.sources["margin_point"].data["kappa"] == [1.0]
    assert subtitles(page.fig_overlap)[0].text == "at κ = 1.00"
    page.alpha = 0.3
    assert all(span.location == 0.3 for span in page.markers["alpha"])
    assert len(page.markers["alpha"]) == 6  # one on each plot with α on its axis
    assert "α_c = 0.520" in page.summary.object
    page.n = 60
    assert page.sources["cover"].data["alpha"][-1] == pytest.approx(4.0)
    assert len(page.sources["cover"].data["alpha"]) == 4 * 60 + 1


def test_summary_says_what_the_theory_computes():
    page = CapacityExplorer()
    page.param.update(kappa=0.0, alpha=1.5, n=20)
    q = float(capacity.version_space_overlap(1.5).q[0])
    assert f"q = {q:.3f}" in page.summary.object
    page.alpha = 3.0
    e = float(capacity.min_error_fraction(3.0).errors[0])
    assert f"e = {e:.4f}" in page.summary.object
    page.kappa = -0.5
    assert "RSB is needed" in page.summary.object


def test_presets_show_what_they_say():
    page = CapacityExplorer()
    page.apply_preset("Cover's coin flip at P = 2N")
    assert "P = 40 random points are separable with probability 0.500" in page.summary.object
    page.apply_preset("Positive margin κ = 1: fewer patterns")
    assert "α_c = 0.520" in page.summary.object
    page.apply_preset("ReLU layer injectivity (α ≈ 7.65 RS)")
    e = float(capacity.min_error_fraction(page.alpha).errors[0])
    assert page.alpha * e == pytest.approx(1.0, abs=0.01)


def test_simulations_land_on_the_page_and_follow_cover(monkeypatch):
    page = CapacityExplorer(n=10, lp_trials=40, svm_n=20, svm_trials=3)
    page.run_simulations().result(timeout=240)
    wait_until(lambda: len(page.sources["lp"].data["alpha"]) > 0, 30)
    lp = page.sources["lp"].data
    assert len(lp["alpha"]) == len(recipes.LP_ALPHAS)
    exact = capacity.cover_probability(np.rint(np.asarray(lp["alpha"]) * 10).astype(int), 10)
    spread = np.sqrt(exact * (1 - exact) / 40)
    assert np.all(np.abs(np.asarray(lp["mean"]) - exact) <= 4 * spread + 1e-12)
    assert len(page.sources["svm"].data["alpha"]) == len(recipes.SVM_ALPHAS)
    assert "linear programs per α at N = 10" in page.sim.status.object
    page.n = 15  # points at another N than the curve's are taken away
    assert len(page.sources["lp"].data["alpha"]) == 0


def test_at_capacity_the_summary_says_so_not_that_nothing_is_stored():
    """Cover's preset sits at alpha = alpha_c = 2 (kappa = 0): exactly at capacity, where
    the solutions shrink to one, not "no weights store every pattern, e = 0"."""
    page = CapacityExplorer(kappa=0.0, alpha=2.0)
    assert "exactly at capacity (α_c = 2.000)" in page.summary.object
    assert "no weights store" not in page.summary.object
    page.param.update(kappa=-0.5, alpha=3.0)
    assert "((" not in page.summary.object
    assert "))" not in page.summary.object
    assert "; κ < 0: an RS estimate, RSB is needed)" in page.summary.object
