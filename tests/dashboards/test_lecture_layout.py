"""What a lecturer shows first, checked on the Bokeh models: explanation texts whose TeX
reaches the page intact, legends outside the plot area in columns that fit, titles, subtitles
and axis labels that fit their frames in normal and lecture mode for every preset, many
order-parameter lines grouped. The same things are measured in Chromium by
tests/ui/test_lecture.py; here every preset is walked through, without a browser."""

import re
import time

import numpy as np
import pytest
from bokeh.models import NoOverlap

from dashboards import (
    CapacityExplorer,
    DiffusionExplorer,
    GlmExplorer,
    MultiIndexExplorer,
    OnlineExplorer,
    ScalingExplorer,
    SpikedExplorer,
)
from dashboards import diffusion as diffusion_view
from dashboards import glm as glm_view
from dashboards import online as online_view
from dashboards import spiked as spiked_view
from dashboards.online import MAX_NAMED_LINES
from dashboards.plotstyle import (
    FONTS,
    frame_height,
    frame_width,
    legend_labels,
    legend_layout,
    px,
    set_subtitle,
    subtitles,
    text_width,
)
from dashboards.text import markdown_with_math

EXPLORERS = [SpikedExplorer, GlmExplorer, OnlineExplorer, DiffusionExplorer, CapacityExplorer,
             ScalingExplorer, MultiIndexExplorer]
EXPLANATIONS = {"spiked": spiked_view.EXPLANATION, "glm": glm_view.EXPLANATION,
                "online": online_view.EXPLANATION, "diffusion": diffusion_view.EXPLANATION}
#: every TeX command the explanations use; one not listed is a typo until proven otherwise
#: (``\quadS`` was one: two strings joined without a space)
KNOWN_TEX = {
    r"\Big", r"\Delta", r"\Lambda", r"\Phi", r"\Psi", r"\alpha", r"\approx", r"\arccos",
    r"\arcsin", r"\big", r"\cdot", r"\dots", r"\epsilon", r"\eta", r"\frac", r"\hat", r"\in",
    r"\infty", r"\lambda", r"\leftarrow", r"\log", r"\mathbb", r"\mathcal", r"\mathrm", r"\max",
    r"\mu", r"\nabla", r"\nu", r"\phi", r"\pi", r"\propto", r"\psi", r"\qquad", r"\quad",
    r"\rho", r"\rm", r"\sigma", r"\sim", r"\sqrt", r"\sum", r"\tau", r"\tfrac", r"\text",
    r"\to", r"\top", r"\zeta", r"\lt", r"\gt",
}
FORMULA = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.S)


@pytest.mark.parametrize("name", EXPLANATIONS)
def test_explanations_reach_the_page_as_formulas_and_text(name):
    html = markdown_with_math(EXPLANATIONS[name])
    formulas = [a or b for a, b in FORMULA.findall(html)]
    assert len(formulas) > 10
    text = FORMULA.sub(" ", html)
    assert "$" not in text  # every $...$ and $$...$$ became a formula
    assert "\\" not in text  # no TeX outside a formula
    assert "<em>" not in "".join(formulas)  # Markdown never reads TeX (w^*_m, \, \;)
    assert any(r"\," in f for f in formulas)  # thin spaces kept for TeX
    commands = set(re.findall(r"\\[A-Za-z]+", " ".join(formulas)))
    assert commands <= KNOWN_TEX, commands - KNOWN_TEX
    for ascii_name in ("Zdeborova", "Mezard", "Gyorgyi", "Peche"):  # the names' diacritics
        assert ascii_name not in text
    assert "Zdeborová" in text or "Mézard" in text


def test_formulas_keep_html_special_characters_as_tex():
    html = markdown_with_math(r"precision ($\epsilon_g < 10^{-10}$) and $a > b \& c$")
    assert r"\(\epsilon_g \lt  10^{-10}\)" in html
    assert r"\gt " in html
    assert "&lt;" not in html


def check_fits(fig, lecture: bool):
    """Titles, subtitles and axis labels fit the frame of ``fig`` at its narrowest layout,
    and every legend sits below the plot area in columns that fit it."""
    fonts = FONTS[lecture]
    width, height = frame_width(fig, lecture), frame_height(fig, lecture)
    name = fig.title.text
    assert fig.title.text_font_size == fonts["title"]
    assert text_width(fig.title.text, fonts["title"], bold=True) <= width, name
    for subtitle in subtitles(fig):
        assert subtitle.text_font_size == fonts["subtitle"]
        assert text_width(subtitle.text, fonts["subtitle"]) <= width, (name, subtitle.text)
    for axis in fig.xaxis:
        assert text_width(axis.axis_label or "", fonts["axis_label"]) <= width, name
    for axis in fig.yaxis:
        assert text_width(axis.axis_label or "", fonts["axis_label"]) <= height, name
    for axis in (*fig.xaxis, *fig.yaxis):
        assert isinstance(axis.major_label_policy, NoOverlap), name  # no colliding ticks
    assert height >= 200, name  # the data keep room
    for legend in fig.legend:
        assert legend in fig.below, name  # outside the plot area, never on the data
        assert legend.label_text_font_size == fonts["legend"]
        labels = legend_labels(legend)
        columns, _, legend_height = legend_layout(labels, width, fonts["legend"])
        assert legend.ncols == columns, name
        widest = max((text_width(label, fonts["legend"]) for label in labels), default=0)
        assert widest + 2 * px(fonts["legend"]) + 20 <= width, (name, labels)
        assert fig.height >= legend_height


def settle(explorer):
    """Wait for the background results of the current view (thresholds, the phase diagram):
    their labels and subtitles are part of what must fit."""
    futures = [*explorer.background.values(), getattr(explorer, "phase_future", None)]
    for future in filter(None, futures):
        future.result(timeout=180)
    time.sleep(0.3)  # the results' callbacks, run as they arrive


@pytest.fixture
def no_sweeps(monkeypatch):
    """No learning-rate sweeps (seconds of a worker for large K and M, which would go on
    after the test): the sweep's subtitle is checked on its own."""
    monkeypatch.setattr(OnlineExplorer, "RECIPES",
                        tuple(r for r in OnlineExplorer.RECIPES if r.name != "sweep"))


@pytest.mark.parametrize("cls", EXPLORERS)
def test_every_preset_fits_its_plots_in_normal_and_lecture_mode(cls, no_sweeps):
    explorer = cls()
    for preset in (None, *explorer.presets):
        if preset is not None:
            explorer.apply_preset(preset.name)
        settle(explorer)
        for lecture in (True, False):
            explorer.set_lecture_mode(lecture)
            for fig in explorer.figures():
                check_fits(fig, lecture)
        for fig in explorer.figures():
            if fig is getattr(explorer, "fig_sweep", None):
                continue  # no sweeps here (``no_sweeps``)
            if fig is getattr(explorer, "fig_dd", None) and not explorer._dd_shown:
                continue  # the double-descent panel is hidden for this task
            if fig is getattr(explorer, "fig_window", None) and not explorer.window_box.visible:
                continue  # shown once computed
            assert empty_legend_entries(fig) == [], (preset and preset.name, fig.title.text)


def empty_legend_entries(fig) -> list[str]:
    """Legend entries (fixed labels) shown for glyphs that draw nothing: a swatch-less line
    in the legend for a curve that is not there."""
    from bokeh.models import Legend

    out = []
    for legend in fig.select(type=Legend):
        for item in legend.items:
            label = item.label
            text = getattr(label, "value", None) if not isinstance(label, dict) else (
                label.get("value"))
            if not item.visible or text is None:
                continue  # hidden, or one entry per row of data (legend_field)
            sources = [r.data_source for r in item.renderers]
            if not any(any(len(column) for column in s.data.values()) for s in sources):
                out.append(text)
    return out


def test_the_longest_sweep_subtitle_fits(no_sweeps):
    explorer = OnlineExplorer()
    set_subtitle(explorer.fig_sweep, "at α = 10000; diverges for η ≥ 0.01")
    for lecture in (True, False):
        explorer.set_lecture_mode(lecture)
        check_fits(explorer.fig_sweep, lecture)


def test_lecture_mode_scales_colour_bars_and_text_in_plots():
    explorer = OnlineExplorer()
    bar = explorer.fig_heat.right[0]
    text = next(r.glyph for r in explorer.fig_heat.renderers
                if type(r.glyph).__name__ == "Text")

    def sizes():
        size = getattr(text.text_font_size, "value", text.text_font_size)
        return bar.width, px(bar.major_label_text_font_size), px(size)

    normal = sizes()
    explorer.set_lecture_mode(True)
    assert all(lecture > before for lecture, before in zip(sizes(), normal, strict=True))
    explorer.set_lecture_mode(False)
    assert sizes() == normal


def test_lecture_mode_puts_plots_one_under_the_other_unless_the_page_is_wide():
    explorer = SpikedExplorer()
    explorer.__panel__()
    cells = explorer._plot_cells
    assert cells
    explorer.set_lecture_mode(True)
    assert {c.styles["flex"] for c in cells} == {"1 1 640px"}
    explorer.set_lecture_mode(False)
    assert {c.styles["flex"] for c in cells} == {"1 1 420px"}


def test_many_order_parameters_get_one_legend_entry_per_family_and_distinct_colours(no_sweeps):
    explorer = OnlineExplorer()
    legend = explorer.fig_order.legend[0]
    named = legend_labels(legend)  # K = M = 2: each line named
    assert named == ["R_11", "R_12", "R_21", "R_22", "Q_11", "Q_12", "Q_22"]
    assert not explorer.order_bar.visible
    explorer.param.update(K=5, M=4)
    data = explorer.sources["order"].data
    assert len(data["xs"]) == 5 * 4 + 5 * 6 // 2 > MAX_NAMED_LINES
    assert legend_labels(legend) == ["R_km (solid)", "Q_kk (dashed)", "Q_kl, k ≠ l (dotted)"]
    for family in ("R", "Q"):
        colours = [c for c, label in zip(data["color"], data["label"], strict=True)
                   if label.startswith(family)]
        assert len(set(colours)) == len(colours)  # no colour repeats within a family
    # the R_km told apart by a colour bar with one tick per line, in the lines' colours
    assert explorer.order_bar.visible
    assert explorer.order_bar.ticker.ticks == list(range(1, 21))
    assert explorer.order_mapper.palette == list(data["color"][:20])
    assert explorer.order_bar.major_label_overrides[20] == "54"
    assert legend in explorer.fig_order.below
    check_fits(explorer.fig_order, False)


def test_the_denoising_loss_legend_names_each_n_and_each_loss_once():
    explorer = DiffusionExplorer()
    source = explorer.sources["losses"]
    lines = [(n, kind) for n in diffusion_view.WINDOW_N for kind in ("test", "train")]
    source.data = {"xs": [np.arange(3.0)] * len(lines), "ys": [np.ones(3)] * len(lines),
                   "n": [n for n, _ in lines], "loss": [f"n = {n}, {k}" for n, k in lines],
                   "color": ["#000000"] * len(lines),
                   "dash": ["solid" if k == "test" else "dashed" for _, k in lines]}
    for i, item in enumerate(explorer._loss_n_items):
        item.visible = 2 * i < len(lines)
    labels = legend_labels(explorer.fig_losses.legend[0])
    assert labels == [f"n = {n}" for n in diffusion_view.WINDOW_N] + ["test loss",
                                                                      "training loss"]


def test_dashes_grow_with_the_lines_in_lecture_mode():
    """A dashed threshold drawn twice as thick keeps reading as dashed (Bokeh's named dashes
    are in pixels: at double width "dashed" looked dotted), and comes back in normal mode."""
    from dashboards.plotstyle import DASH_PATTERNS, LECTURE_LINE_SCALE

    for explorer in (OnlineExplorer(), MultiIndexExplorer()):
        # a line stores "dashed" as Bokeh's pattern [6]; a segment keeps the name
        glyphs = [r.glyph for fig in explorer.figures() for r in fig.renderers
                  if getattr(r.glyph, "line_dash", None) in ("dashed", DASH_PATTERNS["dashed"])]
        assert {type(g).__name__ for g in glyphs} >= (
            {"Line", "Segment"} if isinstance(explorer, MultiIndexExplorer) else set())
        explorer.set_lecture_mode(True)
        assert all(g.line_dash == [DASH_PATTERNS["dashed"][0] * LECTURE_LINE_SCALE]
                   for g in glyphs)
        explorer.set_lecture_mode(False)
        assert all(g.line_dash in ("dashed", DASH_PATTERNS["dashed"]) for g in glyphs)
