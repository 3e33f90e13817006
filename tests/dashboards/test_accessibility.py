"""Accessibility through the shared base: every control carries a label, and every colour a
plot draws with comes from the Okabe-Ito palette (safe for the common colour-vision
deficiencies), a single-hue ramp, or viridis (perceptually uniform, designed for them).
Keyboard operation is checked in the browser (tests/ui/test_teaching.py moves each
explorer's slider with the arrow keys)."""

import re

import panel as pn
import pytest

from dashboards import (
    CapacityExplorer,
    DiffusionExplorer,
    GlmExplorer,
    MultiIndexExplorer,
    OnlineExplorer,
    ScalingExplorer,
    SpikedExplorer,
)
from dashboards.base import PALETTE
from dashboards.diffusion import CLASS_COLORS, N_COLORS
from dashboards.online import Q_PALETTE, R_PALETTE

EXPLORERS = [SpikedExplorer, GlmExplorer, OnlineExplorer, DiffusionExplorer, CapacityExplorer,
             ScalingExplorer, MultiIndexExplorer]
# Okabe & Ito 2008, "Color universal design": the eight colours, in hex
OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
             "#CC79A7"}


def test_palette_is_okabe_ito_plus_grey():
    assert {c.upper() for c in PALETTE.values()} - {"#7F7F7F"} == OKABE_ITO


@pytest.mark.parametrize("cls", EXPLORERS)
def test_every_control_is_labelled(cls):
    explorer = cls()
    # the parts of a composite widget (a discrete slider's text and slider) share its label
    inner = {id(c) for w in explorer.controls.select(pn.widgets.CompositeWidget)
             for c in w._composite.select(pn.widgets.Widget) if c is not w}
    widgets = [w for w in explorer.controls.select(pn.widgets.Widget) if id(w) not in inner]
    assert len(widgets) >= 6
    unlabelled = [type(w).__name__ for w in widgets
                  if not (getattr(w, "label", None) or w.name)]
    assert unlabelled == []


@pytest.mark.parametrize("cls", EXPLORERS)
def test_plots_draw_only_with_colour_blind_safe_colours(cls):
    explorer = cls()
    allowed = {c.lower() for c in PALETTE.values()} | {c.lower() for c in N_COLORS}
    allowed |= {"white", "#ffffff"}
    # ten digit classes need two colours beyond the eight: the tenth is brown
    classes = {c.lower() for c in CLASS_COLORS}
    classes |= {c.lower() for c in (*R_PALETTE, *Q_PALETTE)}  # the order parameters' lines
    for fig in explorer.figures():
        for renderer in fig.renderers:
            glyph = getattr(renderer, "glyph", None)
            for kind in ("line", "fill"):
                colour = getattr(glyph, f"{kind}_color", None)
                alpha = getattr(glyph, f"{kind}_alpha", 1)
                if not isinstance(colour, str) or alpha == 0:
                    continue  # data-driven (checked below) or invisible
                if colour in renderer.data_source.data:
                    continue
                assert colour.lower() in allowed, (fig.title.text, kind, colour)
        for renderer in fig.renderers:  # data-driven colours, for the data plotted now
            data = getattr(renderer, "data_source", None)
            for colour in (data.data.get("color", []) if data is not None else []):
                assert str(colour).lower() in allowed | classes, colour


# what plain text must not carry: TeX's powers, braced indices and commands, read as written
# (a one-letter index such as ε_g or α_IT is plain-text notation: most letters have no
# Unicode subscript)
TEX_SOURCE = re.compile(r"\^|\$|\\[A-Za-z]|_\{")


def _plain_texts(explorer):
    """What a person reads as plain text (no formula rendering): control labels, preset
    names and notes, figure titles, subtitles, axis labels and legend entries."""
    texts = [w.name for w in explorer.controls.select(pn.widgets.Widget) if w.name]
    for preset in explorer.presets:
        texts += [preset.name, preset.explanation]
    for fig in explorer.figures():
        texts.append(fig.title.text or "")
        for axis in [*fig.left, *fig.right, *fig.above, *fig.below]:
            texts.append(getattr(axis, "axis_label", "") or "")
        for layout in [*fig.above, *fig.below, *fig.left, *fig.right, *fig.center]:
            if type(layout).__name__ == "Title":
                texts.append(layout.text or "")
            for item in getattr(layout, "items", ()) if type(layout).__name__ == "Legend" else ():
                label = item.label
                texts.append(label.get("value", "") if isinstance(label, dict)
                             else getattr(label, "value", "") or "")
    return texts


@pytest.mark.parametrize("cls", EXPLORERS)
def test_labels_read_as_written_not_as_tex(cls):
    """A slider labelled "k^-a" or a preset named "λ = n^-0.5" shows its TeX source to a
    class: powers and indices are written as superscripts or words."""
    explorer = cls()
    texts = _plain_texts(explorer)
    assert len(texts) > 10
    assert [t for t in texts if TEX_SOURCE.search(t)] == []


def test_the_tex_check_sees_tex():
    for text in ("Capacity a (spectrum k^-a)", "$x$", r"\lambda", "λ = n^-0.5", "w_{12}"):
        assert TEX_SOURCE.search(text), text
    for text in ("Capacity a (spectrum ηₖ = k⁻ᵃ)", "α_IT = 1.49", "τ_mem", "ε_g at α_max",
                 "n<sup>−2ar</sup>"):
        assert not TEX_SOURCE.search(text), text
