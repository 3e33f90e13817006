"""Lecture mode (big fonts, thick lines, advanced controls hidden, reversible) and the plot
image format, for every explorer through the shared base."""

import panel as pn
import pytest
from bokeh.models import CustomAction, GlyphRenderer, SaveTool

from dashboards import DiffusionExplorer, GlmExplorer, OnlineExplorer, SpikedExplorer
from dashboards.base import FONTS, LECTURE_LINE_SCALE

EXPLORERS = [SpikedExplorer, GlmExplorer, OnlineExplorer, DiffusionExplorer]


def line_widths(explorer):
    return {(id(r), i): r.glyph.line_width for i, fig in enumerate(explorer.figures())
            for r in fig.renderers if isinstance(r, GlyphRenderer)
            and isinstance(getattr(r.glyph, "line_width", None), (int, float))}


def advanced_widgets(explorer):
    labels = {explorer.param[n].label for n in explorer.advanced_parameters}
    return [w for w in explorer.controls.select(pn.widgets.Widget) if w.name in labels]


@pytest.mark.parametrize("cls", EXPLORERS)
def test_lecture_mode_scales_every_plot_and_hides_advanced_controls(cls):
    explorer = cls()
    assert len(explorer.figures()) >= 2
    normal = line_widths(explorer)
    hidden = advanced_widgets(explorer)
    assert len(hidden) == len(explorer.advanced_parameters)  # each one found in the controls
    explorer.set_lecture_mode(True)
    for fig in explorer.figures():
        assert fig.title.text_font_size == FONTS[True]["title"]
        assert fig.xaxis[0].axis_label_text_font_size == FONTS[True]["axis_label"]
    lecture = line_widths(explorer)
    assert all(lecture[k] == pytest.approx(LECTURE_LINE_SCALE * v) for k, v in normal.items())
    assert not any(w.visible for w in hidden)
    explorer.set_lecture_mode(True)  # idempotent: no compounding
    assert line_widths(explorer) == lecture
    explorer.set_lecture_mode(False)
    assert line_widths(explorer) == normal
    assert all(w.visible for w in hidden)
    assert all(f.title.text_font_size == FONTS[False]["title"] for f in explorer.figures())


@pytest.mark.parametrize("cls", EXPLORERS)
def test_every_plot_saves_as_png_and_as_svg_under_its_title(cls):
    explorer = cls()
    for fig in explorer.figures():
        save = fig.select_one(SaveTool)
        svg = [t for t in fig.tools if isinstance(t, CustomAction)]
        assert len(svg) == 1
        assert svg[0].description == "Save as SVG"
        assert svg[0].callback.args["name"] == save.filename
        assert save.filename
        assert all(c.isalnum() or c == "-" for c in save.filename)
    names = [f.select_one(SaveTool).filename for f in explorer.figures()]
    assert len(set(names)) == len(names)  # one file name per plot


@pytest.mark.parametrize(("theme", "ink"), [("default", "%23555"), ("dark", "%23ccc")])
def test_the_svg_tool_icon_reads_on_the_toolbar_of_either_theme(theme, ink):
    """The "Save as SVG" icon is text drawn in one colour: dark grey on the light toolbar,
    light grey on the dark one (in dark grey it could not be seen there)."""
    with pn.config.set(theme=theme):
        explorer = SpikedExplorer()
    icons = {t.icon for f in explorer.figures() for t in f.tools if isinstance(t, CustomAction)}
    assert icons
    assert all(f"fill='{ink}'>SVG<" in icon for icon in icons)
