"""The online-SGD explorer on the explorer structure: its recipes run without Panel, the page
shows what they return, a frame of the animation runs the cursor's recipe only, and what
issue 16 asked of this page (the "η too large" preset, visible SGD runs, dark-theme glyphs)."""

import subprocess
import sys

import numpy as np
import panel as pn
import pytest

from dashboards.online import SGD_HINT, OnlineExplorer
from dashboards.plotstyle import FOREGROUND, legend_labels
from dashboards.recipes import online as recipes
from tests.waiting import wait_until
from theory import online


def test_recipes_and_parameter_model_import_without_panel_or_bokeh():
    code = ("import sys\n"
            "from dashboards.recipes import online as r\n"
            "p = r.OnlineParameters(K=3, M=2, frame=40)\n"
            "out = {**r.trajectory(p), **r.order(p), **r.cursor(p), **r.sweep_point(p),"
            " **r.sweep(p)}\n"
            "assert len(out['eps']['alpha']) == r.TIME_POINTS\n"
            "assert len(out['heat']['value']) == 6\n"
            "assert len(out['sweep']['lr']) == r.SWEEP_POINTS\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('panel', 'bokeh', 'holoviews'))\n"
            "print('loaded:', loaded)\n"
            "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "loaded: []" in done.stdout


def test_the_order_parameter_colours_are_bokehs_viridis_and_orange_ramps():
    from bokeh.palettes import Oranges256, Viridis256

    assert tuple(recipes.ramp(Viridis256[45:220], 64)) == recipes.R_PALETTE
    assert tuple(recipes.ramp(Oranges256[35:160], 36)) == recipes.Q_PALETTE


def same(columns, source):
    assert set(columns) == set(source.data)
    for name, values in columns.items():
        got = source.data[name]
        if len(values) and isinstance(np.asarray(values, dtype=object).flat[0], str):
            assert list(got) == list(values), name
        else:
            np.testing.assert_array_equal(np.asarray(got, float), np.asarray(values, float),
                                          err_msg=name)


@pytest.mark.parametrize("change", [
    {},
    {"K": 3, "M": 2, "frame": 40},
    {"lr": 0.5, "noise": 0.2, "frame": 10},
    {"activation": "linear", "lr": 0.3, "alpha_max": 50.0},
])
def test_the_page_shows_what_the_recipes_return(change):
    page = OnlineExplorer()
    page.param.update(**change)
    p = recipes.OnlineParameters(**change)
    outputs = {**recipes.trajectory(p), **recipes.order(p), **recipes.cursor(p),
               **recipes.sweep_point(p)}
    for key, columns in outputs.items():
        if key != "notes":
            same(columns, page.sources[key])
    assert page.summary.object == recipes.summary(p)
    page.sweep_future.result(timeout=120)
    expected = recipes.sweep(p)
    wait_until(lambda: np.array_equal(np.asarray(page.sources["sweep"].data["eps"], float),
                                      expected["sweep"]["eps"], equal_nan=True))
    wait_until(lambda: not page.sweep_pane.loading)
    for key in ("sweep", "sweep_floor", "sweep_band", "sweep_marks"):
        same(expected[key], page.sources[key])


def test_an_animation_frame_runs_the_cursor_recipe_only_and_leaves_the_script_alone():
    page = OnlineExplorer()
    page.script_card.collapsed = False  # an open script, which a parameter change rebuilds
    script = page.script_area.value
    assert "recipes.OnlineParameters(" in script
    ran, built = [], []
    run_recipe, python_script = page._run_recipe, page.python_script
    page._run_recipe = lambda recipe: (ran.append(recipe.name), run_recipe(recipe))
    page.python_script = lambda: (built.append(1), python_script())[1]
    page.frame = 20
    assert ran == ["cursor"]
    assert built == []
    assert page.script_area.value == script
    assert page.sources["cursor"].data["alpha"][0] == pytest.approx(
        recipes.times(page.alpha_max)[20 * recipes.FRAME_STEP])
    page.lr = 0.8  # a change of the model runs what depends on it, not the sweep
    assert set(ran[1:]) == {"trajectory", "order", "cursor", "sweep_point", "sgd"}
    assert built == [1]


def test_a_frame_keeps_the_note_about_the_data():
    page = OnlineExplorer()
    page.param.update(activation="linear", lr=1.5)
    assert "diverged" in page.message.object
    page.frame = 30
    assert page.message.visible
    assert "diverged" in page.message.object


def test_a_preset_is_applied_in_one_batched_update():
    page = OnlineExplorer()
    batches = []
    page.param.watch(lambda *events: batches.append({e.name for e in events}),
                     page.model_parameters())
    drawn = []
    update_view = page.update_view
    page.update_view = lambda changed=None: (drawn.append(changed), update_view(changed))
    preset = page.presets[1]
    page.apply_preset(preset.name)
    assert len(batches) == 1  # one batch: the values that differ from the current ones
    assert {"K", "M", "lr", "alpha_max"} <= batches[0] <= set(preset.values)
    assert len(drawn) == 1
    assert (page.K, page.M) == (4, 4)


def test_the_exported_script_calls_the_recipes_without_the_view_parameters():
    page = OnlineExplorer(K=3, M=2, lr=0.8, frame=12, log_scale=False)
    script = page.python_script()
    assert "recipes.trajectory(p)" in script
    assert "frame=" not in script
    assert "log_scale=" not in script
    assert "import panel" not in script
    namespace = {"__name__": "__script__"}
    exec(compile(script, "<script>", "exec"), namespace)
    same(namespace["data"]["sgd-eps"], page.sources["eps"])
    assert namespace["p"].model_key == page.model_key


def test_the_sweep_runs_again_only_when_what_it_depends_on_changes():
    page = OnlineExplorer()
    page.sweep_future.result(timeout=120)
    first = page.sweep_future
    page.lr = 0.7  # the sweep covers every rate: nothing to recompute
    assert page.sweep_future is first
    page.noise = 0.1
    assert page.sweep_future is not first


def test_the_too_large_rate_preset_shows_what_its_text_says():
    """Beyond eta_c the units specialise but the error stalls at ~0.04 (the learned state is
    unstable); at eta = 2 the same start learns the teacher by alpha = 500."""
    page = OnlineExplorer()
    preset = next(p for p in page.presets if "too large" in p.name)
    page.apply_preset(preset.name)
    rate = online.critical_learning_rate(K=2)
    assert f"η_c ≈ {rate:.2f}" in preset.explanation
    alpha = np.asarray(page.sources["eps"].data["alpha"], float)
    eps = np.asarray(page.sources["eps"].data["eps"], float)
    final = eps[-1]
    assert round(final, 2) == 0.04
    assert "ε_g ≈ 0.04" in preset.explanation
    half = np.searchsorted(alpha, alpha[-1] / 2)
    assert eps[half] == pytest.approx(final, rel=0.05)  # stalled, not slowly decaying
    assert page.sources["special"].data["x"]  # the units specialise
    assert f"stalls at ε_g ≈ {final:.2g}" in page.summary.object
    page.lr = 2.0
    assert np.isnan(page.sources["eps"].data["eps"][-1])  # below 1e-10: learned
    assert "the teacher is learned" in page.summary.object


def test_sgd_runs_are_drawn_over_the_ode_each_in_its_colour_with_a_legend_entry():
    page = OnlineExplorer()
    page.param.update(N=200, alpha_max=20.0, init_scale=0.3, sim_runs=2)
    fig = page.fig_eps_log
    hint = next(label for label in fig.center if getattr(label, "text", None) == SGD_HINT)
    assert hint.visible
    page.run_sgd().result(timeout=120)
    wait_until(lambda: len(page.sources["sgd"].data["xs"]) == 2)
    assert not hint.visible
    order = [r.data_source for r in fig.renderers]
    ode = order.index(page.sources["eps"])
    assert order.index(page.sources["sgd"]) > ode  # drawn after (over) the ODE
    assert order.index(page.sources["sgd_points"]) > ode
    colours = page.sources["sgd"].data["color"]
    assert len(set(colours)) == 2
    assert not {c.lower() for c in colours} & {"#0072b2", "#000000", "#7f7f7f"}
    assert {"SGD, N = 200, seed 0", "SGD, N = 200, seed 1"} <= set(legend_labels(fig.legend[0]))
    points = page.sources["sgd_points"].data
    np.testing.assert_array_equal(points["eps"][:len(page.sources["sgd"].data["ys"][0])],
                                  page.sources["sgd"].data["ys"][0])
    page.lr = 0.7  # the runs belong to the old parameters: not shown, the hint is back
    assert page.sources["sgd"].data["xs"] == []
    assert hint.visible
    page.lr = 1.0  # back to the runs' parameters: shown again
    assert len(page.sources["sgd"].data["xs"]) == 2


@pytest.mark.parametrize(("theme", "ink"), [("default", "#000000"),
                                             ("dark", FOREGROUND["dark"])])
def test_cursor_and_current_rate_glyphs_stand_out_in_either_theme(theme, ink):
    with pn.config.set(theme=theme):
        page = OnlineExplorer()
    glyphs = {r.data_source: r.glyph for f in (page.fig_eps_log, page.fig_sweep)
              for r in f.renderers}
    assert glyphs[page.sources["cursor"]].fill_color == ink
    assert glyphs[page.sources["sweep_point"]].fill_color == ink
    assert page.order_cursor.line_color == ink
