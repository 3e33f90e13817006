"""The scaling-law explorer: its recipes against the theory's closed forms (no browser), and
the page's behaviour: controls that depend on each other, presets, simulations."""

import numpy as np
import pytest

from dashboards import ScalingExplorer
from dashboards.recipes import scaling as recipes
from tests.waiting import wait_until
from theory import scaling


def test_slope_guides_and_levels_are_the_predicted_exponents():
    p = recipes.ScalingParameters(capacity=2.0, source=0.3, log_noise=-2.0)
    out = recipes.curve(p)
    n, guides = out["guides"]["n"], out["guides"]
    drawn0, drawn1 = np.isfinite(guides["noiseless"]), np.isfinite(guides["noisy"])
    assert drawn0.sum() >= 5
    assert drawn1.sum() >= 5
    slope0 = -np.polyfit(np.log(n[drawn0]), np.log(guides["noiseless"][drawn0]), 1)[0]
    slope1 = -np.polyfit(np.log(n[drawn1]), np.log(guides["noisy"][drawn1]), 1)[0]
    assert slope0 == pytest.approx(1.2, abs=1e-9)  # 2 a r
    assert slope1 == pytest.approx(1.2 / 2.2, abs=1e-9)  # 2 a r / (1 + 2 a r)
    assert out["levels"]["y"] == pytest.approx([1.2, 1.2 / 2.2])
    local = out["exponent"]["local"]
    assert local[0] > 0.5 * (1.2 + 1.2 / 2.2)  # on the noiseless side at small n
    assert local[-1] == pytest.approx(1.2 / 2.2, abs=0.01)  # noisy at large n
    curve = out["curve"]
    assert np.allclose(curve["bias"] + curve["variance"], curve["error"], rtol=1e-10)


def test_local_exponent_is_the_slope_of_the_plotted_curve():
    p = recipes.ScalingParameters(capacity=1.8, source=0.6, log_noise=-3.0, optimal=False,
                                  reg_exponent=1.2)
    out = recipes.curve(p)
    n, error = out["curve"]["n"], out["curve"]["error"]
    finite_difference = -np.gradient(np.log(error), np.log(n))
    inner = slice(2, -2)
    assert np.allclose(out["exponent"]["local"][inner], finite_difference[inner], atol=0.02)


def test_crossover_is_where_the_local_exponent_is_halfway():
    p = recipes.ScalingParameters(capacity=2.0, source=0.3, log_noise=-2.0)
    n_star = recipes.crossover(p)["crossover"]["x"][0]
    curve = scaling.learning_curve(np.array([n_star]), 2.0, 0.3, 1e-2)
    assert float(curve.local_exponent()[0]) == pytest.approx(0.5 * (1.2 + 1.2 / 2.2), abs=1e-4)


def test_phase_diagram_is_the_closed_form_with_its_lines():
    p = recipes.ScalingParameters(capacity=2.5)
    out = recipes.phase(p)
    beta = np.asarray(out["phase"]["beta"][0])
    ell = np.linspace(0.0, recipes.ELL_MAX, recipes.PHASE_POINTS)
    r = np.linspace(0.05, recipes.R_MAX, recipes.PHASE_POINTS)
    i, j = 30, 20
    r_bar = min(r[i], 1.0)
    expected = min(2 * ell[j] * r_bar, 1 - ell[j] / 2.5) if ell[j] < 2.5 else 0.0
    assert beta[i, j] == pytest.approx(expected)
    assert np.all(beta[:, ell >= 2.5] == 0)  # the plateau beyond l = a
    assert out["phase_lines"]["ell"][0] == [2.5, 2.5]
    point = recipes.phase_point(recipes.ScalingParameters(capacity=2.5, source=0.4))
    assert point["phase_point"]["ell"][0] == pytest.approx(2.5 / (1 + 2 * 2.5 * 0.4))


def test_the_exponent_control_follows_the_optimal_switch_and_the_summary_the_model():
    page = ScalingExplorer()
    assert page.widgets["reg_exponent"].disabled
    page.optimal = False
    assert not page.widgets["reg_exponent"].disabled
    page.param.update(capacity=2.0, source=1.5, log_noise=-4.0)
    assert "saturated" in page.summary.object
    assert "without noise ε ∝ n<sup>−2.000</sup> (bias)" in page.summary.object  # 2 l min(r, 1)
    page.optimal = True
    assert "without noise ε ∝ n<sup>−4.000</sup>" in page.summary.object  # 2 a min(r, 1)


def test_presets_show_what_they_say():
    page = ScalingExplorer()
    page.apply_preset("Too little regularisation with noise: a plateau (ℓ > a)")
    local = np.asarray(page.sources["exponent"].data["local"])
    assert abs(local[-1]) < 0.02  # the error stops improving
    page.apply_preset("Saturation: a smoother target does not help beyond r = 1")
    levels = page.sources["levels"].data["y"]
    assert levels[0] == pytest.approx(4.0)


def test_ridge_fits_land_next_to_the_finite_p_theory():
    page = ScalingExplorer(sim_trials=3, log_noise=-1.0)
    page.run_simulations().result(timeout=300)
    wait_until(lambda: len(page.sources["sim"].data["n"]) > 0, 30)
    sim, theory = page.sources["sim"].data, page.sources["sim_theory"].data
    assert list(sim["n"]) == list(recipes.SIM_N)
    at = np.interp(np.log(sim["n"]), np.log(theory["n"]), np.log(theory["error"]))
    assert np.all(np.abs(np.log(np.asarray(sim["mean"])) - at) < 0.5)
    assert "fits per n" in page.sim.status.object
    page.source = 0.6  # fits of another model are taken away
    assert len(page.sources["sim"].data["n"]) == 0


def test_the_crossover_is_labelled_as_a_number_people_read():
    """n* in the legend reads "n* = 3190", not Python's "3.19e+03" (the default model's n*
    is in the thousands)."""
    p = recipes.ScalingParameters()
    out = recipes.crossover(p)
    samples = float(np.ravel(scaling.crossover_samples(p.capacity, p.source, p.noise).samples)[0])
    assert 1e3 < samples < 1e4
    label = out["crossover"]["threshold"][0]
    assert label == f"n* = {round(samples, -1):.0f} (optimal λ)"
    assert "e+" not in label
