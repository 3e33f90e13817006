"""The teacher-student explorer on the explorer structure: recipes without a browser (or
Panel), tasks as data, task defaults as a correction of the parameter model (order-free, one
update), logistic regression solved off the page, texts that show computed numbers, and
controls and links a person can use."""

import re
import subprocess
import sys

import numpy as np
import pytest
from panel.io.location import Location

from dashboards.base import PALETTE
from dashboards.glm import GlmExplorer
from dashboards.recipes import glm as recipes
from dashboards.recipes import readable
from tests.waiting import wait_until
from theory import channels, erm, glm, priors


def test_recipes_run_without_panel_or_bokeh():
    code = ("import sys\n"
            "from dashboards.recipes import glm as r\n"
            "p = r.GlmParameters(task='Ridge regression', prior='gaussian', noise=0.25)\n"
            "out = {**r.curves(p), **r.erm_curve(p), **r.double_descent(p), **r.at_alpha(p)}\n"
            "lo, hi = p.alpha_range\n"
            "grid = r.round_grid(max(lo, r.MIN_ALPHA), hi, r.CURVE_POINTS)\n"
            "assert len(grid) >= r.CURVE_POINTS\n"
            "assert (out['curves']['alpha'] == grid).all()\n"
            "assert len(out['dd']['lam0']) == len(grid)\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('panel', 'bokeh', 'holoviews'))\n"
            "print('loaded:', loaded)\n"
            "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "loaded: []" in done.stdout


def same(columns, source):
    assert set(columns) == set(source.data)
    for name, values in columns.items():
        got = source.data[name]
        if len(values) and isinstance(np.asarray(values).flat[0], str):
            assert list(got) == list(values), name
        else:
            np.testing.assert_allclose(np.asarray(got, float), np.asarray(values, float),
                                       rtol=0, atol=0, equal_nan=True, err_msg=name)


@pytest.mark.parametrize("change", [
    {"task": "Ridge regression", "prior": "gaussian", "noise": 0.25, "lam": 0.01},
    {"task": "Compressed sensing", "prior": "gauss_bernoulli", "noise": 0.0, "rho": 0.2,
     "log_scale": True},
    {"task": "Random features", "prior": "gaussian", "psi": 3.0, "noise": 0.1, "lam": 1e-3,
     "alpha_range": (0.1, 5.0), "alpha": 2.5},
    {"task": "Phase retrieval", "prior": "gaussian", "noise": 0.0, "quantity": "MSE 1 − q"},
])
def test_the_page_shows_what_the_recipes_return(change):
    page = GlmExplorer()
    page.param.update(**change)
    p = recipes.GlmParameters(**change)
    assert p.values() == page.values()  # the change sets all the task's defaults itself
    outputs = {**recipes.curves(p), **recipes.erm_curve(p), **recipes.double_descent(p),
               **recipes.at_alpha(p)}
    for key, columns in outputs.items():
        if key != "notes":
            same(columns, page.sources[key])
    assert page.summary.object == recipes.summary(p)


def test_the_recipes_compute_the_theory():
    p = recipes.GlmParameters(task="Ridge regression", prior="gaussian", noise=0.25,
                              lam=0.01, alpha_range=(0.2, 2.0))
    ridge = recipes.erm_curve(p)["erm"]
    np.testing.assert_allclose(ridge["error"], erm.ridge_curve(
        alpha=ridge["alpha"], lam=0.01, noise=0.25).test_error)
    curves = recipes.curves(p)["curves"]
    assert curves["alpha"][0] == 0.2
    assert curves["alpha"][-1] == 2.0
    # the Bayes-optimal estimator of a Gaussian teacher is ridge at lambda = noise
    p.lam = 0.25
    np.testing.assert_allclose(recipes.erm_curve(p)["erm"]["error"], curves["bayes"],
                               rtol=1e-7)


def test_every_task_is_a_consistent_row_of_the_table():
    parameters = recipes.GlmParameters()
    for name, task in recipes.TASKS.items():
        assert task.prior in recipes.PRIOR_LABELS.values(), name
        assert task.channel in ("sign", "abs", "linear"), name
        assert set(task.defaults) <= set(parameters.model_parameters()), name
        assert task.erm in (None, "logistic", "ridge", "random_features"), name
        assert task.double_descent in (None, "ridge", "random_features"), name
        # what the ERM fits: logistic regression needs labels +-1, ridge real labels
        assert (task.erm == "logistic") == (task.channel == "sign"), name
        assert task.description


def test_a_task_sets_its_defaults_except_what_the_same_update_sets_in_any_order():
    p = recipes.GlmParameters()
    assert p.constrain({"task": "Ridge regression"}) == {"prior": "gaussian", "noise": 0.25,
                                                         "lam": 0.01}
    assert p.constrain({"task": "Ridge regression", "lam": 1e-4}) == {"prior": "gaussian",
                                                                      "noise": 0.25}
    assert p.constrain({"noise": 0.5}) == {}  # moving a slider sets no task default
    first, second = GlmExplorer(), GlmExplorer()
    first.param.update(task="Ridge regression", lam=1e-4)
    second.param.update(lam=1e-4)
    second.param.update(noise=0.3, task="Ridge regression")  # noise first: kept all the same
    assert first.lam == 1e-4
    assert first.noise == 0.25
    assert first.prior == "gaussian"
    assert second.noise == 0.3
    assert second.lam == 0.01
    # one watcher call, the view drawn once, with the defaults in it
    page = GlmExplorer()
    drawn = []
    original = page.update_view
    page.update_view = lambda changed=None: (drawn.append(changed), original(changed))
    page.task = "Random features"
    assert len(drawn) == 1
    assert {"task", "prior", "alpha_range", "lam", "noise"} <= drawn[0]
    assert page.alpha_range == (0.1, 5.0)
    assert page.widgets["psi"].visible


def test_a_preset_keeps_its_values_even_those_equal_to_the_current_ones():
    page = GlmExplorer()
    page.lam = 0.0001  # what the double-descent preset sets, before its task is chosen
    batches = []
    page.param.watch(lambda *events: batches.append({e.name for e in events}),
                     page.model_parameters())
    page.apply_preset("Double descent of ridge regression")
    assert len(batches) == 1
    assert page.lam == 0.0001  # not the ridge task's default 0.01
    assert page.noise == 0.25
    assert page.prior == "gaussian"


def test_a_link_keeps_every_value_it_gives():
    """A link with a task and a value equal to the current one: Panel hands over only what
    differs, the model still knows the link set it and keeps it."""
    page = GlmExplorer()
    assert page.lam == 0.1
    page.sync_url(Location(search="?glm_task=Ridge+regression&glm_lam=0.1"))
    assert page.task == "Ridge regression"
    assert page.lam == 0.1
    assert page.noise == 0.25
    order = GlmExplorer()
    order.sync_url(Location(search="?glm_lam=0.1&glm_task=Ridge+regression"))
    assert order.values() == page.values()


def test_logistic_regression_is_solved_off_the_page_and_shared_through_its_cache():
    page = GlmExplorer()
    page.param.update(task="Logistic regression", lam=0.05)
    future = page.erm_future
    assert page.sources["erm"].data["alpha"] == []  # nothing stale meanwhile
    future.result(timeout=120)
    wait_until(lambda: len(page.sources["erm"].data["alpha"]) > 0)
    solved = {k: np.asarray(v) for k, v in page.sources["erm"].data.items()}
    expected = recipes.erm_curve(recipes.GlmParameters(task="Logistic regression",
                                                       prior="gaussian", lam=0.05))["erm"]
    np.testing.assert_allclose(solved["error"], expected["error"], rtol=1e-10)
    # another page with the same parameters: the curve at once, nothing runs
    other = GlmExplorer()
    other.param.update(task="Logistic regression", lam=0.05)
    assert other.erm_future.result(timeout=0) is None
    np.testing.assert_allclose(np.asarray(other.sources["erm"].data["error"], float),
                               solved["error"])


def test_preset_texts_show_the_thresholds_the_page_computes():
    page = GlmExplorer()
    shown = {}
    for preset in page.presets:
        page.apply_preset(preset.name)
        th = recipes.cached_thresholds(page.current_prior, page.current_channel)
        computed = {f"{getattr(th, key):.4f}" for key in recipes.THRESHOLD_STYLE}
        note = page.preset_note.object.split("*")[0]
        for number in re.findall(r"\d+\.\d{3,}", preset.name + " " + note):
            assert number in computed, (preset.name, number)
        for number in re.findall(r"\d+\.\d{3,}", page.summary.object):
            assert number in computed, (preset.name, number)
        shown[preset.name] = note
    perceptron = glm.thresholds(prior=priors.Rademacher(), channel=channels.Sign())
    text = shown["Binary perceptron: the hard phase between α_IT and α_alg"]
    assert f"α_IT = {perceptron.information_theoretic:.4f}" in text  # 1.2447, not 1.249
    assert f"α_alg = {perceptron.algorithmic:.4f}" in text
    assert "α_alg = 0.4802" in shown["Compressed sensing (ρ = 0.3)"]


@pytest.mark.parametrize(("x", "text"), [
    (3000.0, "3000"), (12345, "12300"), (1e-4, "0.0001"), (1.5e-5, "1.5 × 10⁻⁵"),
    (1.1500000000000001, "1.15"), (2.0, "2"), (1e7, "10⁷"), (-0.5, "−0.5"), (0, "0"),
])
def test_numbers_are_written_for_people(x, text):
    assert readable(x) == text


def test_titles_and_legends_have_no_computer_notation():
    page = GlmExplorer()
    page.param.update(task="Random features", alpha_range=(1.0, 100.0), alpha=100.0,
                      lam=0.00001, psi=10.0)
    texts = [page.fig_landscape.title.text, page.fig_dd.title.text]
    texts += [str(getattr(r, "text", "")) for f in page.figures() for r in f.above]
    texts += [str(item.label) for f in page.figures() for item in f.legend[0].items]
    assert not [t for t in texts if re.search(r"\de[+-]\d", t)], texts
    assert any("10⁻⁵" in t for t in texts)


def test_the_double_descent_panel_follows_the_alpha_range_where_it_means_something():
    page = GlmExplorer()  # the perceptron: no ridge regression to show
    assert not page.dd_cell.visible
    assert "glm-double-descent" not in page.plotted_tables()
    page.param.update(task="Ridge regression", alpha_range=(0.5, 8.0))
    assert page.dd_cell.visible
    assert (page.fig_dd.x_range.start, page.fig_dd.x_range.end) == (0.5, 8.0)
    dd = page.sources["dd"].data
    assert dd["alpha"][0] == 0.5
    assert dd["alpha"][-1] == 8.0
    page.task = "Binary perceptron"
    assert not page.dd_cell.visible


def test_the_alpha_range_control_is_usable_and_takes_any_range_a_link_gives():
    page = GlmExplorer()
    widget = page.widgets["alpha_range"]
    assert widget.end == recipes.ALPHA_SLIDER_END  # the default range spans a third of it
    assert widget.fixed_end == glm.MAX_ALPHA  # typed values go up to the model's bound
    page.sync_url(Location(search="?glm_alpha_range=[1, 40]&glm_alpha=30"))
    assert page.alpha_range == (1.0, 40.0)
    assert page.alpha == 30.0
    assert widget.end == 40.0
    assert tuple(widget.value) == (1.0, 40.0)
    assert page.widgets["alpha"].end == 40.0


def test_links_carry_no_float_noise_and_open_the_same_view():
    page = GlmExplorer()
    location = Location(search="?tab=1")
    page.sync_url(location)
    page.alpha = 1.1500000000000001  # a slider's start plus steps
    page.alpha_range = (0.05, 0.1 + 0.2 + 2.7)
    assert page.alpha == 1.15  # what a person chose
    assert page.alpha_range == (0.05, 3.0)
    assert "glm_alpha=1.15&" in location.search + "&"
    assert "1.1500000000000001" not in location.search
    assert "30000000000000004" not in location.search
    again = GlmExplorer()
    again.sync_url(Location(search=location.search))
    assert again.values() == page.values()
    same(page.sources["landscape"].data, again.sources["landscape"])


def test_dark_glyphs_use_the_palette_names():
    """The generic dark theme recolours the palette's black; a literal 'black' would stay."""
    page = GlmExplorer()
    assert page.alpha_marker.line_color == PALETTE["black"]
    colors = [getattr(r.glyph, "line_color", None) for f in page.figures() for r in f.renderers]
    assert "black" not in colors


def test_a_new_alpha_range_shows_the_logistic_points_already_solved_meanwhile():
    """While logistic regression is solved on a new α range, the page shows the points of
    the same λ and flip rate already solved on another range (solutions at their α), not an
    empty plot; then the new range's own curve. Another λ shows nothing stale."""
    page = GlmExplorer()
    page.param.update(task="Logistic regression", lam=0.07, alpha_range=(0.2, 2.0))
    page.erm_future.result(timeout=120)
    wait_until(lambda: len(page.sources["erm"].data["alpha"]) > 0)
    first = recipes.LOGISTIC_CURVES.get(recipes._logistic_key(page))[0]
    page.alpha_range = (0.2, 2.5)
    future = page.erm_future
    meanwhile = {k: np.asarray(v, float) for k, v in page.sources["erm"].data.items()}
    if not future.done():  # (a fast machine may have solved it already)
        inside = first.alpha <= 2.5
        np.testing.assert_array_equal(meanwhile["alpha"], first.alpha[inside])
        np.testing.assert_array_equal(meanwhile["error"], first.test_error[inside])
    future.result(timeout=120)
    p = recipes.GlmParameters(**page.values())
    wait_until(lambda: np.asarray(page.sources["erm"].data["alpha"], float)[-1] == 2.5)
    np.testing.assert_allclose(np.asarray(page.sources["erm"].data["error"], float),
                               recipes.erm_curve(p)["erm"]["error"], rtol=1e-10)
    # another λ: its points were never solved, so nothing is shown until they are
    p.lam = 0.09
    assert recipes.erm_curve(p, None)["erm"]["alpha"] == []
    p.lam = 0.07
    p.alpha_range = (1.0, 3.0)
    shown = recipes.erm_curve(p, None)["erm"]
    assert len(shown["alpha"]) > 0
    assert np.all((shown["alpha"] >= 1.0) & (shown["alpha"] <= 3.0))
