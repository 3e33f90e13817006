"""The explorer structure (parameter model, pure recipes, declarative view): recipes run
without Panel, the page shows what the recipes return, presets are one batched update,
lecture mode hides controls by parameter name."""

import subprocess
import sys

import numpy as np
import pytest

from dashboards.recipes import spiked as recipes
from dashboards.spiked import SpikedExplorer
from tests.waiting import wait_until


def test_recipes_and_parameter_model_import_without_panel_or_bokeh():
    code = ("import sys\n"
            "from dashboards.recipes import spiked as r\n"
            "p = r.SpikedParameters(prior='gauss_bernoulli', rho=0.2)\n"
            "out = {**r.curves(p), **r.at_snr(p), **r.phase(p)}\n"
            "assert len(out['curves']['snr']) == r.CURVE_POINTS\n"
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
    {"rho": 0.2},
    {"prior": "gauss_bernoulli", "snr_range": (0.4, 3.0), "snr": 2.0, "quantity": "overlap"},
    {"prior": "rademacher", "snr": 1.4},
])
def test_the_page_shows_what_the_recipes_return(change):
    page = SpikedExplorer()
    page.param.update(**change)
    p = recipes.SpikedParameters(**change)
    outputs = {**recipes.curves(p), **recipes.at_snr(p)}
    for key, columns in outputs.items():
        if key != "notes":
            same(columns, page.sources[key])
    page.phase_future.result(timeout=120)
    wait_until(lambda: not page.phase_pane.loading)
    same(recipes.phase(p)["phase"], page.sources["phase"])


def test_the_parameter_model_keeps_lambda_inside_the_range_in_the_same_update():
    p = recipes.SpikedParameters()
    assert p.constrain({"snr_range": (1.5, 3.0)}) == {"snr": 1.5}
    assert p.constrain({"snr": 0.5}) == {}
    page = SpikedExplorer()
    seen = []
    page.param.watch(lambda *events: seen.append([(e.name, e.new) for e in events]),
                     ["snr", "snr_range"])
    drawn = []
    original = page.update_view
    page.update_view = lambda changed=None: (drawn.append(changed), original(changed))
    page.snr_range = (1.5, 3.0)
    # the range and one correction; the view drawn once, at the corrected value
    assert sorted(seen) == [[("snr", 1.5)], [("snr_range", (1.5, 3.0))]]
    assert drawn == [{"snr", "snr_range"}]
    assert page.sources["phase_point"].data["snr"] == [1.5]
    assert page.snr_marker.location == 1.5


def test_a_preset_is_applied_in_one_batched_update():
    page = SpikedExplorer()
    batches = []
    page.param.watch(lambda *events: batches.append({e.name for e in events}),
                     page.model_parameters())
    drawn = []
    original = page.update_view
    page.update_view = lambda changed=None: (drawn.append(changed), original(changed))
    preset = page.presets[0]
    page.apply_preset(preset.name)
    assert batches == [set(preset.values)]  # one batch with every value of the preset
    assert len(drawn) == 1  # the view updated once
    assert page.prior == "gaussian"
    assert "Continuous transition" in page.summary.object
    # a preset whose lambda lies outside its own range comes corrected in the same batch
    values = page.preset_values(preset.name)
    assert values == {**preset.values}


def test_lecture_mode_hides_advanced_controls_by_parameter_name_whatever_their_label():
    page = SpikedExplorer()
    for name in page.advanced_parameters:
        page.widgets[name].name = f"renamed {name}"  # a label changed in the page
    page.param.amp_n.label = "Matrix size"  # and in the model
    page.set_lecture_mode(True)
    assert all(not page.widgets[n].visible for n in page.advanced_parameters)
    assert page.widgets["snr"].visible
    page.set_lecture_mode(False)
    assert all(page.widgets[n].visible for n in page.advanced_parameters)
    # the CSS classes that tests and benchmarks find controls by
    assert "param-amp-n" in page.widgets["amp_n"].css_classes
    assert "snr-slider" in page.widgets["snr"].css_classes


def test_the_exported_script_builds_the_model_and_calls_the_recipes():
    page = SpikedExplorer(prior="gauss_bernoulli", rho=0.3, snr_range=(0.5, 2.0), snr=1.1)
    script = page.python_script()
    assert "recipes.SpikedParameters(" in script
    assert "recipes.curves(p)" in script
    assert "import panel" not in script
    namespace = {"__name__": "__script__"}
    exec(compile(script, "<script>", "exec"), namespace)
    # every source of the script's recipes, thresholds, bands and maxima included (named
    # since the CSV and the script carry them)
    assert set(namespace["data"]) == {
        "spiked-curves", "spiked-unconverged", "spiked-thresholds", "spiked-regions",
        "spiked-landscape", "spiked-global-max", "spiked-local-max", "spiked-point"}
    assert namespace["p"].values() == page.values()


def test_a_background_recipe_runs_only_when_its_key_changes():
    page = SpikedExplorer()
    page.phase_future.result(timeout=120)
    first = page.phase_future
    page.prior = "rademacher"  # the same (sparse Rademacher) family: nothing to recompute
    assert page.phase_future is first
    page.prior = "gaussian"
    assert page.phase_future is not first
    page.phase_future.result(timeout=120)
    expected = recipes.phase(recipes.SpikedParameters(prior="gaussian"))["phase"]["dynamic"]
    wait_until(lambda: np.allclose(np.asarray(page.sources["phase"].data["dynamic"], float),
                                   expected, equal_nan=True))


def test_live_text_panes_send_what_panels_own_panes_send():
    """``LiveMarkdown`` / ``LiveHTML`` set only the model's text on a new text (and remember
    Markdown renderings): the browser must get the same text as from Panel's own panes, and
    a change after a cached rendering must still arrive."""
    import panel as pn
    from bokeh.document import Document

    from dashboards.base import LiveHTML, LiveMarkdown

    texts = ["**K = 2** units, ε ≈ 0.0123 < 1 & more", "*one* [link](#x)\n\n- a\n- b",
             "**K = 2** units, ε ≈ 0.0123 < 1 & more"]
    for live, plain in ((LiveMarkdown(""), pn.pane.Markdown("")),
                        (LiveHTML(""), pn.pane.HTML(""))):
        doc = Document()
        models = [pane.get_root(doc) for pane in (live, plain)]
        for model in models:
            doc.add_root(model)
        for text in texts:
            seen = []
            doc.callbacks.on_change(seen.append)
            live.object = plain.object = text
            assert models[0].text == models[1].text
            assert any(getattr(event, "attr", None) == "text" and event.model is models[0]
                       for event in seen)
            doc.callbacks.remove_on_change(seen.append)
