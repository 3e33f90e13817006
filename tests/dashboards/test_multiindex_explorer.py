"""The multi-index explorer: its recipes against the theory's closed forms (no browser), and
the page's behaviour: what the summary and plots say per target, presets."""

import concurrent.futures

import numpy as np
import pytest

from dashboards import MultiIndexExplorer
from dashboards.recipes import multiindex as recipes
from tests.waiting import wait_until


def settle(page):
    concurrent.futures.wait(list(page.background.values()), timeout=180)
    wait_until(lambda: all(f.done() for f in page.background.values()), 30)


@pytest.mark.parametrize(("target", "alpha_c"), [("z^2", 0.5), ("z1^2+z2^2", 1.0),
                                                 ("sign(z1*z2)", np.pi**2 / 4)])
def test_weak_recovery_spectrum_gives_the_closed_form_threshold(target, alpha_c):
    out = recipes.weak_recovery(recipes.MultiIndexParameters(target=target))
    assert 1 / out["spectrum"]["eigenvalue"].max() == pytest.approx(alpha_c, rel=1e-9)


def test_parity_has_a_vanishing_spectrum():
    out = recipes.weak_recovery(recipes.MultiIndexParameters(target="sign(z1*z2*z3)"))
    assert np.allclose(out["spectrum"]["eigenvalue"], 0.0, atol=1e-12)


def test_committee_eigenvalues_and_thresholds():
    p = recipes.MultiIndexParameters(target="committee", weights="binary", alpha_max=3.0)
    out = recipes.eigenvalues(p)
    labels = out["eigen_thresholds"]["threshold"]
    assert any(label.startswith("α_IT = 1.54") for label in labels)
    assert any(label.startswith("α_alg = 1.97") for label in labels)
    band = out["eigen_regions"]
    assert band["left"][0] < band["right"][0]  # the hard phase
    eigen = out["eigen"]
    beyond = np.asarray(eigen["alpha"]) > 2.0
    assert np.allclose(np.asarray(eigen["m1"])[beyond], 1.0, atol=1e-6)  # exact recovery
    # below alpha_spec the hidden units are not specialised: the second eigenvalue is 0
    below = np.asarray(eigen["alpha"]) < 1.5
    assert np.allclose(np.asarray(eigen["m2"])[below], 0.0, atol=1e-9)


def test_committee_free_entropy_branches_cross_at_the_it_threshold():
    p = recipes.MultiIndexParameters(weights="binary", alpha_max=3.0)
    out = recipes.committee(p)["entropy"]
    alpha = np.asarray(out["alpha"])
    gap = np.asarray(out["informed"]) - np.asarray(out["uninformed"])
    # where the informed (exact-recovery) branch overtakes GAMP's: alpha_IT
    sign_change = alpha[np.flatnonzero(np.diff(np.sign(gap[alpha < 1.9])) != 0)]
    assert sign_change.size
    assert sign_change[0] == pytest.approx(1.546, abs=0.05)
    informed = np.asarray(out["informed"])[alpha > 1.6]
    assert np.allclose(informed, -2 * np.log(2), atol=1e-9)  # perfect recovery: -2 ln 2


def test_page_summary_follows_the_target():
    page = MultiIndexExplorer()
    settle(page)
    assert "Trivial" in page.summary.object
    assert page.fig_spectrum.xaxis[0].ticker.ticks == [1, 2, 3]  # integer indices only
    page.target = "sign(z1*z2*z3)"
    settle(page)
    assert "Hard" in page.summary.object
    assert not page.units_cell.visible  # the committee's own plots leave with it
    assert not page.entropy_cell.visible
    assert len(page.sources["eigen"].data["alpha"]) == 0  # no state evolution: thresholds only
    page.target = "z1^2+sign(z2*z3)"
    settle(page)
    assert "0.5752" in page.summary.object
    assert "2.4674" in page.summary.object  # the staircase's second step, pi^2 / 4
    assert page.widgets["weights"].disabled  # the weights apply to the committee


def test_the_committee_summary_gives_the_specialisation_of_its_weights():
    page = MultiIndexExplorer(target="committee", weights="gaussian")
    settle(page)
    gaussian = recipes.multiindex.committee_thresholds("gaussian").specialization
    binary = recipes.multiindex.committee_thresholds("binary").specialization
    assert f"{gaussian:.4f}" in page.summary.object
    page.weights = "binary"
    settle(page)
    assert f"{binary:.4f}" in page.summary.object
    assert f"{gaussian:.4f}" not in page.summary.object


def test_presets_show_what_they_say():
    page = MultiIndexExplorer()
    page.apply_preset("Binary committee: a hard phase")
    settle(page)
    assert len(page.sources["eigen_regions"].data["left"]) == 1
    page.apply_preset("Phase retrieval y = z²: weak recovery at α = 1/2")
    settle(page)
    assert "0.5000" in page.summary.object
    eigen = page.sources["eigen"].data
    below = np.asarray(eigen["alpha"]) < 0.5
    assert np.allclose(np.asarray(eigen["m1"])[below], 0.0, atol=1e-9)


def test_gamp_points_land_on_the_page_near_state_evolution_and_leave_with_their_model():
    """Binary committee, d = 400, two instances per alpha: below the specialisation the
    larger eigenvalue follows q_u of state evolution; at 1.5 alpha_alg both read 1 (exact
    recovery; nearer alpha_alg an instance may still be on its way after 300 iterations at
    this d); another target takes the points away and the Run button is offered only where
    GAMP runs."""
    page = MultiIndexExplorer(target="committee", weights="binary", alpha_max=3.0, gamp_d=400,
                              gamp_seeds=2)
    settle(page)
    assert not page.run_button.disabled
    page.run_gamp().result(timeout=240)
    # the result is delivered on the pool's thread: the points, then the status, then the
    # button offered again
    wait_until(lambda: "GAMP at d" in page.sim.status.object and not page.run_button.disabled,
               30)
    top, second = page.sources["gamp1"].data, page.sources["gamp2"].data
    alphas = np.asarray(top["alpha"])
    np.testing.assert_allclose(alphas, 3.0 * np.arange(1, 9) / 8)
    curve = recipes.cached_eigenvalues("committee", "binary")
    expected = np.interp(alphas, curve.alpha, curve.uninformed[:, 0])
    th = recipes.multiindex.committee_thresholds("binary")
    early = alphas < 0.8 * th.specialization
    assert np.all(np.abs(np.asarray(top["mean"])[early] - expected[early]) < 0.08)
    assert alphas[-1] > 1.5 * th.algorithmic
    assert np.asarray(second["mean"])[-1] > 0.99
    assert "GAMP at d = 400: 2 instance(s) × 8 values of α" in page.sim.status.object
    assert all(item.visible for item in page.optional_legend["gamp1"])
    page.target = "z^2"
    settle(page)
    assert len(page.sources["gamp1"].data["alpha"]) == 0
    assert not any(item.visible for item in page.optional_legend["gamp1"])
    assert page.run_button.disabled
    assert "committee and sign(z₁ z₂) only" in page.sim.status.object
    assert page.run_gamp() is None  # a click on the disabled button runs nothing
    page.target = "sign(z1*z2)"
    settle(page)
    assert not page.run_button.disabled
    assert page.sim.status.object == ""


def test_committee_units_part_at_the_specialisation():
    """q_diag + q_off = q_u and q_diag - q_off = q_v (the eigenvalues of M along u and v):
    equal before alpha_spec (both units learn w1 + w2), apart after it."""
    p = recipes.MultiIndexParameters(target="committee", weights="gaussian", alpha_max=4.0)
    units = recipes.committee(p)["units"]
    curve = recipes.cached_committee("gaussian")
    cut = recipes.shown(4.0)
    np.testing.assert_allclose(np.asarray(units["diag"]) + units["off"],
                               curve.uninformed.q_u[cut], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(units["diag"]) - units["off"],
                               curve.uninformed.q_v[cut], atol=1e-12)
    spec = curve.thresholds.specialization
    alpha = np.asarray(units["alpha"])
    before, after = alpha < 0.95 * spec, alpha > 1.2 * spec
    np.testing.assert_allclose(np.asarray(units["diag"])[before],
                               np.asarray(units["off"])[before], atol=1e-6)
    assert np.all(np.asarray(units["diag"])[after] - np.asarray(units["off"])[after] > 0.05)
    lines = recipes.committee(p)["units_thresholds"]["threshold"]
    assert lines == [f"α_spec = {spec:.4f}"]


@pytest.mark.parametrize(("target", "drawn"), [("committee", 2), ("z1^2+z2^2+z3^2", 3),
                                               ("z^2", 1), ("sign(z1*z2*z3)", 0),
                                               ("sign(z1*z2)", 2)])
def test_the_legend_lists_the_eigenvalues_drawn(target, drawn):
    from bokeh.models import Legend

    page = MultiIndexExplorer(target=target)
    settle(page)

    def labels():
        return [getattr(item.label, "value", None) for legend in page.fig_eigen.select(
            type=Legend) for item in legend.items if item.visible]

    # (a background result's legend is set by its callback, after its Future is done)
    expected = {f"eigenvalue {j} of M (GAMP)" for j in range(1, drawn + 1)}
    wait_until(lambda: expected <= set(labels()) and not any(
        f"eigenvalue {j} " in str(label) for label in labels() for j in range(drawn + 1, 4)),
        timeout=10)
    labels = labels()
    for j in (1, 2, 3):
        shown = j <= drawn
        assert (f"eigenvalue {j} of M (GAMP)" in labels) == shown, (j, labels)
        assert (f"eigenvalue {j} (Bayes-optimal)" in labels) == shown, (j, labels)


def test_sign_pair_draws_its_state_evolution_with_the_gamp_offer():
    """y = sign(z1 z2): both eigenvalues of M along alpha (the one branch m(alpha), zero up
    to pi^2 / 4), GAMP offered on the same plot, the subtitle no longer "thresholds only"."""
    from dashboards.plotstyle import subtitles
    from theory import multiindex

    page = MultiIndexExplorer(target="sign(z1*z2)", alpha_max=6.0)
    settle(page)
    wait_until(lambda: [t.text for t in subtitles(page.fig_eigen)] == [
        "GAMP = Bayes-optimal (dashed under solid), eigenvalues 1 = 2"],
        timeout=10)
    eigen = page.sources["eigen"].data
    alpha = np.asarray(eigen["alpha"])
    expected = multiindex.sign_pair_curve(alpha).m
    np.testing.assert_allclose(np.asarray(eigen["m1"]), expected, atol=1e-12)
    np.testing.assert_allclose(np.asarray(eigen["m2"]), expected, atol=1e-12)
    assert np.all(expected[alpha < np.pi**2 / 4] == 0)
    assert expected[-1] > 0.8
    assert not page.sim.run_button.disabled
