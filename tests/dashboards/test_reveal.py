"""Predict, then reveal: the answers each explorer names (thresholds, Bayes-optimal curves,
the summary) are hidden with their legend entries, stay hidden while the view updates, and
come back on reveal."""

import concurrent.futures

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

EXPLORERS = [SpikedExplorer, GlmExplorer, OnlineExplorer, DiffusionExplorer, CapacityExplorer,
             ScalingExplorer, MultiIndexExplorer]

#: a value each explorer moves to while the answers are hidden (new data arrives)
MOVES = {SpikedExplorer: ("snr", 1.2), GlmExplorer: ("alpha", 1.5), OnlineExplorer: ("lr", 0.8),
         DiffusionExplorer: ("separation", 3.0), CapacityExplorer: ("kappa", 0.5),
         ScalingExplorer: ("capacity", 2.0), MultiIndexExplorer: ("alpha", 1.0)}


def legend_items_of(explorer, renderers):
    return [item for fig in explorer.figures() for item in (fig.legend[0].items if fig.legend
                                                            else ())
            if any(r in renderers for r in item.renderers)]


def settle(explorer):
    concurrent.futures.wait(list(explorer.background.values()), timeout=180)


@pytest.mark.parametrize("cls", EXPLORERS, ids=[c.__name__ for c in EXPLORERS])
def test_every_named_answer_exists(cls):
    """A name in ANSWERS that matches no glyph would leave that answer on screen."""
    explorer = cls()
    named = {g.source for spec in explorer.FIGURES for g in spec.glyphs} | {
        f"{g.source}.{g.props.get('y')}" for spec in explorer.FIGURES for g in spec.glyphs}
    assert cls.ANSWERS
    assert set(cls.ANSWERS) <= named
    assert explorer.answer_renderers()


@pytest.mark.parametrize("cls", EXPLORERS, ids=[c.__name__ for c in EXPLORERS])
def test_hidden_answers_stay_hidden_until_revealed(cls):
    explorer = cls()
    settle(explorer)
    answers = explorer.answer_renderers()
    others = [r for r in explorer.__dict__["_glyph_renderers"].values() if r not in answers]
    items = legend_items_of(explorer, answers)
    assert explorer.summary.visible

    explorer.set_answers_hidden(True)
    name, value = MOVES[cls]
    setattr(explorer, name, value)  # the view updates under the hidden answers
    settle(explorer)
    assert not any(r.visible for r in answers)
    assert not any(item.visible for item in items)
    assert not explorer.summary.visible
    assert all(r.visible for r in others)  # the rest of the figure stays: students predict on it

    explorer.set_answers_hidden(False)
    assert all(r.visible for r in answers)
    assert explorer.summary.visible
    # a legend entry that shows only while its source has data follows that data again
    optional = {id(i): key for key, entries in explorer.optional_legend.items() for i in entries}
    for item in items:
        key = optional.get(id(item))
        has_data = key is None or any(len(v) for v in explorer.sources[key].data.values())
        assert item.visible == has_data


def test_the_spiked_answers_are_its_thresholds_bayes_curve_and_phase_lines():
    explorer = SpikedExplorer()
    explorer.set_answers_hidden(True)
    labels = {getattr(item.label, "value", None) or getattr(item.label, "field", None)
              for item in legend_items_of(explorer, explorer.answer_renderers())}
    assert {"Bayes-optimal", "threshold", "region", "λ_IT", "λ_alg", "λ_dyn", "hard phase",
            "metastable"} <= labels
    assert explorer.renderers["amp_branch"].visible  # AMP's curve is what students reason on
