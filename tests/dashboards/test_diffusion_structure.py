"""The diffusion explorer on the explorer structure: recipes run without Panel, the page shows
what they return, presets are one batched update and run what their text needs, simulations
whose parameters changed are dropped; and what a lecturer sees first (hints in empty plots,
digits that look like digits, the speciation criterion said, readable axes)."""

import contextlib
import subprocess
import sys

import numpy as np
import pytest

from dashboards.diffusion import CRITERIA, EXPLANATION, DiffusionExplorer, decade_ticks
from dashboards.recipes import diffusion as recipes
from tests.waiting import wait_until
from theory import diffusion


def test_recipes_and_parameter_model_import_without_panel_or_bokeh():
    code = ("import sys\n"
            "from dashboards.recipes import diffusion as r\n"
            "p = r.DiffusionParameters(d=32, n=200, separation=2.0)\n"
            "out = {**r.timeline(p), **r.collapse(p)}\n"
            "assert len(out['phase']['x']) == r.PHASE_POINTS\n"
            "assert any('excess entropy' in t for t in out['times']['time'])\n"
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
    {},
    {"d": 128, "n": 5000},
    {"separation": 6.0, "variance": 0.5, "score": "exact"},
    {"source": "digits", "n": 500, "seed": 3},
])
def test_the_page_shows_what_the_recipes_return(change):
    page = DiffusionExplorer()
    page.param.update(**change)
    p = recipes.DiffusionParameters(**change)
    for key, columns in recipes.timeline(p).items():
        if key != "times":  # the page's marks gain the estimate when it arrives
            same(columns, page.sources[key])
    page.t_c_future.result(timeout=120)
    wait_until(lambda: "excess-entropy estimate" in page.summary.object)
    same(recipes.collapse(p)["times"], page.sources["times"])
    assert "collapse" in page.shown


def test_the_exact_score_never_shades_a_collapse():
    empirical = recipes.timeline(recipes.DiffusionParameters())["regimes"]["regime"]
    exact = recipes.timeline(recipes.DiffusionParameters(score="exact"))["regimes"]["regime"]
    assert recipes.REGIME_STYLE["collapsed"][0] in empirical
    assert recipes.REGIME_STYLE["collapsed"][0] not in exact
    # the digits have no exact score: the model corrects it in the same update
    p = recipes.DiffusionParameters(score="exact")
    assert p.constrain({"source": "digits"}) == {"score": "empirical"}
    page = DiffusionExplorer(score="exact")
    page.source = "digits"
    assert page.score == "empirical"
    assert recipes.REGIME_STYLE["collapsed"][0] in page.sources["regimes"].data["regime"]


def test_a_preset_is_one_batched_update_and_runs_what_its_text_needs():
    page = DiffusionExplorer(n_samples=60)
    batches = []
    page.param.watch(lambda *events: batches.append({e.name for e in events}),
                     page.model_parameters())
    preset = page.presets[0]  # the exact score: "never collapse"
    page.apply_preset(preset.name)
    assert batches == [set(preset.values) - {"d", "n", "separation", "variance", "source"}]
    assert page.sim.run_button.disabled  # its backward run started, in the background
    page.latest_future("backward").result(timeout=300)
    wait_until(lambda: len(page.sources["curves"].data["t"]) > 0, timeout=60)
    regimes = page.sources["regimes"].data["regime"]
    assert recipes.REGIME_STYLE["collapsed"][0] not in regimes  # what the text says
    assert "exact score" in page.sim.status.object
    assert not page.sim.run_button.disabled
    assert not page.tree_pane.loading  # the loading indicator came and went
    page.apply_preset("Handwritten digits")  # its two empty plots are filled
    page.latest_future("backward").result(timeout=300)
    wait_until(lambda: len(page.sources["images"].data["image"]) == 2 * recipes.IMAGES,
               timeout=60)
    assert page.images_box.visible


def test_a_run_whose_parameters_changed_is_dropped():
    page = DiffusionExplorer(d=16, n=200, n_samples=40)
    future = page.run_backward()
    page.separation = 1.0  # the run belongs to the old data: dropped, the panel reset
    assert not page.sim.run_button.disabled
    with contextlib.suppress(Exception):  # cancelled on its way
        future.result(timeout=120)
    page.schedule(lambda: None)
    assert len(page.sources["curves"].data["t"]) == 0
    assert "backward" not in page.shown
    assert page.sources["tree_hint"].data["text"]


def test_empty_plots_say_how_to_fill_them():
    page = DiffusionExplorer(d=16, n=200, n_samples=40, source="digits")
    assert "Run backward diffusion" in page.sources["tree_hint"].data["text"][0]
    assert "generate digits" in page.sources["images_hint"].data["text"][0]
    page.run_backward().result(timeout=300)
    wait_until(lambda: len(page.sources["curves"].data["t"]) > 0)
    assert page.sources["tree_hint"].data["text"] == []
    assert page.sources["images_hint"].data["text"] == []


def test_digits_are_shown_as_digits_dark_ink_on_paper():
    from sklearn.datasets import load_digits

    raw = load_digits().data  # pixels 0 (paper) to 16 (ink)
    page = DiffusionExplorer(source="digits", n=200, n_samples=40)
    page.run_backward().result(timeout=300)
    wait_until(lambda: len(page.sources["images"].data["image"]) == 2 * recipes.IMAGES)
    data = page.sources["images"].data
    nearest = [image for image, y in zip(data["image"], data["y"], strict=True) if y < 0.5]
    used = recipes.sample(page)[0]
    pixels = recipes.cached_digits().original(used)
    scale = pixels.max() - pixels.min()
    for image in nearest:  # each a training digit, upright, on its own pixel scale
        flat = np.asarray(image)[::-1].ravel() * scale + pixels.min()
        assert np.min(np.abs(raw - flat).max(axis=1)) < 1e-9
    assert min(np.min(i) for i in nearest) == 0.0  # the paper is 0: white
    mapper = page.renderers["images"].glyph.color_mapper
    assert (mapper.low, mapper.high) == (0.0, 1.0)
    assert mapper.palette[0].lower() == "#ffffff"
    assert mapper.palette[-1].lower() == "#000000"


def test_the_speciation_criterion_is_said_where_its_curve_is_shown():
    page = DiffusionExplorer()
    confident = f"{diffusion.CONFIDENT:g}"
    labels = [item.label.value for item in page.fig_timeline.legend[0].items
              if hasattr(item.label, "value")]
    assert any(f"posterior > {confident}" in label for label in labels)
    hover = next(t for t in page.fig_timeline.tools if type(t).__name__ == "HoverTool")
    assert any(confident in name for name, _ in hover.tooltips)
    assert CRITERIA in " ".join(EXPLANATION.split())
    assert "below 1 after all have collapsed" in CRITERIA


def test_log_axis_ticks_reach_below_the_smallest_value():
    ticks = decade_ticks([0.05, 0.3, 1200.0])  # tau_gen ~ 0.05 and tau_mem ~ 1e3
    assert min(ticks) <= 0.05
    assert max(ticks) >= 1200.0
    assert 0.01 in ticks
    assert 0.1 in ticks
    short = decade_ticks([0.05, 2.0])  # within two decades: 1, 2, 5 steps
    assert {0.05, 0.1, 0.2, 0.5, 1.0, 2.0} <= {round(t, 12) for t in short}


def test_the_script_reproduces_a_backward_run():
    page = DiffusionExplorer(d=16, n=200, n_samples=40)
    page.run_backward().result(timeout=300)
    wait_until(lambda: len(page.sources["curves"].data["t"]) > 0)
    script = page.python_script()
    assert "recipes.backward(p)" in script
    assert "import panel" not in script
    namespace = {"__name__": "__script__"}
    exec(compile(script, "<script>", "exec"), namespace)
    for column in ("t", "committed", "collapsed"):
        np.testing.assert_allclose(namespace["data"]["dm-curves"][column],
                                   page.sources["curves"].data[column], rtol=1e-12)
