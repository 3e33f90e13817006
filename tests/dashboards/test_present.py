"""Presentation view: keys move the animated parameter frame by frame and pick guided steps,
each step's labels sit at the thresholds and bands the theory gives, leaving puts the page
back as it was, and anything a client sends is clamped or ignored."""

import concurrent.futures

import numpy as np
import pytest

import app
from dashboards import (
    CapacityExplorer,
    DiffusionExplorer,
    GlmExplorer,
    MultiIndexExplorer,
    OnlineExplorer,
    ScalingExplorer,
    SpikedExplorer,
    present,
)
from theory import capacity, spiked

EXPLORERS = [SpikedExplorer, GlmExplorer, OnlineExplorer, DiffusionExplorer, CapacityExplorer,
             ScalingExplorer, MultiIndexExplorer]


def settle(explorer):
    for _ in range(3):  # a result may start the next recipe's background work
        concurrent.futures.wait(list(explorer.background.values()), timeout=180)


def presenting(tab=0):
    settings = app.PageSettings()
    tabs = app.LazyTabs(settings)
    tabs.tabs.active = tab
    presentation = present.Presentation(settings, tabs)
    settings.present = True
    return settings, tabs, presentation


@pytest.mark.parametrize("cls", EXPLORERS, ids=[c.__name__ for c in EXPLORERS])
def test_every_step_is_a_preset_whose_labels_point_at_what_the_plot_draws(cls):
    """A step names one of the explorer's presets; after it is applied, each of its labels
    finds the threshold, band or point it names on the presented figure, inside the x range
    the figure's data span."""
    explorer = cls()
    steps = present.steps_of(explorer)
    assert len(steps) >= 4
    names = [p.name for p in explorer.presets]
    key = explorer.PRESENTED or explorer.FIGURES[0].key
    spec = next(s for s in explorer.FIGURES if s.key == key)
    drawn = {g.source for g in spec.glyphs}
    for step in steps:
        assert step.preset in names
        assert step.caption
        assert "$" not in step.caption  # plain text: nothing typesets it
        explorer.apply_preset(step.preset)
        settle(explorer)
        for callout in step.callouts:
            assert callout.source in drawn, (step.preset, callout)
            x = present.callout_x(callout, explorer)
            assert x is not None, (step.preset, callout)
            assert np.isfinite(x)


def test_the_labels_sit_at_the_thresholds_of_the_theory():
    """Sparse PCA's step: λ_IT and λ_alg at the thresholds ``theory.spiked`` computes, the
    hard phase halfway between them."""
    _settings, _tabs, presentation = presenting()
    explorer = presentation.explorer
    presentation.key("3")
    th = spiked.thresholds(prior=explorer.current_prior)
    data = presentation.stage.source.data
    placed = dict(zip(data["text"], data["x"], strict=True))
    assert placed["λ_IT"] == pytest.approx(th.information_theoretic, rel=1e-6)
    assert placed["λ_alg: AMP jumps"] == pytest.approx(th.algorithmic, rel=1e-6)
    assert placed["hard phase"] == pytest.approx(
        (th.information_theoretic + th.algorithmic) / 2, rel=1e-6)
    assert len(set(data["y"])) == 3  # one row each: they never overlap


def test_a_point_label_sits_just_above_the_point_it_names():
    """Storage capacity: "capacity α_c" at (α_c(κ), κ), Gardner's capacity of the theory."""
    _settings, _tabs, presentation = presenting(tab=list(app.EXPLORERS).index("Storage capacity"))
    explorer = presentation.explorer
    presentation.key("2")  # κ = 1
    data = presentation.stage.point_source.data
    assert list(data["text"]) == ["α_c(κ)"]
    assert data["x"][0] == pytest.approx(float(capacity.gardner_capacity(1.0).alpha_c),
                                         rel=1e-9)
    assert data["y"][0] == explorer.kappa == 1.0
    assert list(presentation.stage.source.data["text"]) == []  # no row along the bottom


def test_enter_runs_the_simulation_as_its_button_does_and_a_step_runs_it_where_shown(
        monkeypatch):
    _settings, _tabs, presentation = presenting()
    panel = presentation.explorer.sim
    assert presentation.run_button.visible
    assert presentation.run_button.label == "Run AMP"
    panel.run_button.disabled = True  # one is running: no second one
    presentation.key("Enter")
    assert panel.run_button.clicks == 0

    _settings, _tabs, presentation = presenting(
        tab=list(app.EXPLORERS).index("Diffusion models"))
    runs = []
    explorer = presentation.explorer
    monkeypatch.setattr(presentation, "run", lambda: runs.append(explorer.n))
    presentation.key("2")
    assert runs == [50]  # the timeline shows the backward simulation of the step's values


def test_arrow_keys_step_the_animated_parameter_through_the_sweep_frames():
    _settings, _tabs, presentation = presenting()
    explorer = presentation.explorer
    values = explorer.sweep.values()
    start = values.index(min(values, key=lambda v: abs(v - explorer.snr)))
    explorer.snr = values[start]
    presentation.key("ArrowRight")
    assert explorer.snr == values[start + 1]
    presentation.key("ArrowUp")
    assert explorer.snr == values[start + 2]
    presentation.key("ArrowLeft")
    presentation.key("ArrowDown")
    assert explorer.snr == values[start]
    assert f"{explorer.snr:.4g}" in presentation.readout.object
    explorer.snr = values[-1]
    presentation.key("ArrowRight")  # at the end of the range: stays
    assert explorer.snr == values[-1]
    between = (values[3] + values[4]) / 2
    explorer.snr = between
    presentation.key("ArrowRight")  # between two frames: the next one up
    assert explorer.snr == values[4]


def test_each_message_of_the_keys_input_is_acted_on_once_in_order():
    """The browser's input holds its last messages, numbered: two that reach the server
    before it acts (the second replacing the first) are both acted on; one seen before is
    not acted on again; of the sizes only the latest counts."""
    _settings, _tabs, presentation = presenting()
    explorer = presentation.explorer
    values = explorer.sweep.values()
    start = values.index(min(values, key=lambda v: abs(v - explorer.snr)))
    explorer.snr = values[start]
    presentation.keys.value = "ArrowRight|1;size:1500x700|2"
    assert explorer.snr == values[start + 1]
    assert presentation.window == (1500, 700)
    presentation.keys.value = "ArrowRight|1;size:1500x700|2;ArrowRight|3"
    assert explorer.snr == values[start + 2]  # the first arrow once, the new one once
    presentation.keys.value = ("size:1600x600|5;ArrowUp|4;size:1700x650|6;ArrowLeft|7;"
                               "ArrowRight|6")  # out of order; 6 twice
    assert explorer.snr == values[start + 2]  # up, then left; the second 6 is not new
    assert presentation.window == (1700, 650)
    before = explorer.snr
    presentation.keys.value = "ArrowRight|7;ArrowRight|x;ArrowRight|;|8;ArrowRight"
    assert explorer.snr == before  # a number acted on, or none: nothing


def test_space_plays_and_pauses_the_sweep():
    _settings, _tabs, presentation = presenting()
    player = presentation.explorer.sweep.player
    player.value = player.end
    presentation.key("Space")
    assert player.direction == 1
    assert player.value == player.start  # at its end: from the start again
    presentation.key("Space")
    assert player.direction == 0


def test_number_keys_apply_the_step_and_escape_gives_the_page_back():
    settings, tabs, presentation = presenting()
    explorer = presentation.explorer
    figure = presentation.stage.figure
    controls, landscape = explorer.controls, explorer.landscape_pane
    assert not controls.visible
    assert not explorer.summary.visible
    assert figure.title.text_font_size == "20pt"  # lecture-size type
    presentation.key("1")
    assert settings.step == 1
    assert explorer.prior == "gaussian"
    assert "Step 1 of 4" in presentation.heading.object
    assert presentation.stage.source.data["text"] == ["BBP transition"]
    assert presentation.stage.source.data["x"] == [1.0]
    presentation.key("PageDown")
    assert settings.step == 2
    assert explorer.prior == "rademacher"
    presentation.key("PageUp")
    presentation.key("p")
    assert settings.step == 0  # the view as it is: no step, no labels
    assert presentation.stage.source.data["text"] == []
    presentation.key("Escape")
    assert not settings.present
    assert settings.step == 0
    assert presentation.stage is None
    assert controls.visible
    assert explorer.summary.visible
    assert landscape.visible
    assert figure.title.text_font_size == "13pt"
    assert presentation.bar not in tabs.slots[next(iter(tabs.slots))].objects


def test_leaving_restores_the_figure_height_of_the_page():
    settings = app.PageSettings()
    tabs = app.LazyTabs(settings)
    explorer = tabs.build(next(iter(tabs.slots)))
    height = explorer.fig_curve.height
    presentation = present.Presentation(settings, tabs)
    settings.present = True
    presentation.key("size:1920x900")  # the window's width, the height below the bar
    assert explorer.fig_curve.height == 900 - present.BOTTOM_MARGIN
    settings.present = False
    assert explorer.fig_curve.height == height


def test_hidden_answers_hide_the_labels_and_the_caption():
    settings, _tabs, presentation = presenting()
    presentation.key("3")
    settings.predict = True
    assert not any(labels.visible for labels in presentation.stage.label_sets)
    assert presentation.caption.object == present.PREDICT_CAPTION
    settings.revealed = True
    assert all(labels.visible for labels in presentation.stage.label_sets)
    assert "hard phase" in presentation.caption.object


def test_a_link_step_fills_in_only_what_the_link_does_not_set():
    settings = app.PageSettings()
    tabs = app.LazyTabs(settings)
    presentation = present.Presentation(settings, tabs)
    presentation._link_keys = {"snr", "present", "step", "tab"}  # as a copied link's
    explorer = tabs.build(next(iter(tabs.slots)))
    explorer.snr = 1.3
    settings.param.update(present=True, step=1)
    assert explorer.prior == "gaussian"  # the step's preset
    assert explorer.snr == 1.3  # the link's
    assert presentation.stage.source.data["text"] == ["BBP transition"]


@pytest.mark.parametrize("step", [-4, 99])
def test_a_link_step_out_of_range_is_clamped(step):
    settings = app.PageSettings(present=True, step=step)
    tabs = app.LazyTabs(settings)
    presentation = present.Presentation(settings, tabs)
    assert settings.step == (0 if step < 0 else len(presentation.steps))


@pytest.mark.parametrize("text", ["", "size:", "size:1e400x-3", "size:nanxinf", "size:3x4x5",
                                  "<script>alert(1)</script>", "0", "99", "\x00" * 40, "Tab",
                                  "size:" + "9" * 5000])
def test_anything_a_client_sends_is_ignored_or_clamped(text):
    settings, _tabs, presentation = presenting()
    explorer = presentation.explorer
    before = explorer.param.values()
    presentation.keys.value = text + "|1"
    assert explorer.param.values() == before
    assert settings.step == 0
    width, height = presentation.window
    assert present.MIN_WINDOW[0] <= width <= present.MAX_WINDOW[0]
    assert present.MIN_WINDOW[1] <= height <= present.MAX_WINDOW[1]
    assert not explorer.message.visible


def test_keys_do_nothing_while_not_presenting():
    settings = app.PageSettings()
    tabs = app.LazyTabs(settings)
    presentation = present.Presentation(settings, tabs)
    explorer = tabs.build(next(iter(tabs.slots)))
    before = explorer.snr
    presentation.key("ArrowRight")
    presentation.key("2")
    assert explorer.snr == before
    assert settings.step == 0


def test_the_about_tab_has_nothing_to_present():
    settings, _tabs, presentation = presenting(tab=len(app.EXPLORERS))
    assert not settings.present
    assert presentation.stage is None


@pytest.mark.parametrize("cls", EXPLORERS, ids=[c.__name__ for c in EXPLORERS])
def test_presenting_hides_everything_but_the_main_plot_and_restores_it(cls):
    settings = app.PageSettings()
    tabs = app.LazyTabs(settings)
    title = next(t for t, c in app.EXPLORERS.items() if c is cls)
    tabs.tabs.active = list(app.EXPLORERS).index(title)
    explorer = tabs.built[title]
    root = tabs.slots[title].objects[-1]
    visible_before = {id(o): o.visible for o in root.select(lambda o: hasattr(o, "visible"))}
    presentation = present.Presentation(settings, tabs)
    settings.present = True
    stage = presentation.stage
    assert stage.hidden  # the controls, the other plots, the explanation
    assert explorer.controls in stage.hidden or not explorer.controls.visible
    assert stage.pane.visible
    assert all(not item.visible for item in stage.hidden)
    settings.present = False
    after = {id(o): o.visible for o in root.select(lambda o: hasattr(o, "visible"))}
    assert after == visible_before


def test_the_keys_script_travels_whole_in_the_page():
    """The page loads the keys' script as a data URL (nothing fetched): it decodes to the
    script, and holds "//", without which Panel would put the page's path before it."""
    from urllib.parse import unquote

    url = present.keys_script_url()
    prefix = "data:text/javascript;charset=utf-8,"
    assert url.startswith(prefix)
    assert "//" in url
    assert unquote(url[len(prefix):]).startswith(present.PRESENT_KEYS_JS)
    assert f"const KEPT = {present.KEYS_KEPT};" in present.PRESENT_KEYS_JS
    assert app.pn.config.js_files["present_keys"] == url  # in every page of the app
