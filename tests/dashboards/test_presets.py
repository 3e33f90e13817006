"""Presets set the documented values, and show the classic result they are named after."""

import time

import numpy as np
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
from theory import online


def settle(explorer):
    for future in list(explorer.background.values()):
        future.result(timeout=180)
    time.sleep(0.3)  # the results' callbacks


def values_match(explorer, values):
    for key, value in values.items():
        got = getattr(explorer, key)
        if isinstance(value, tuple):
            assert tuple(got) == pytest.approx(value), key
        else:
            assert got == value, key


@pytest.mark.parametrize("cls", [SpikedExplorer, GlmExplorer, OnlineExplorer, DiffusionExplorer,
                                 CapacityExplorer, ScalingExplorer, MultiIndexExplorer])
def test_every_preset_sets_its_values_without_error(cls):
    settle(cls())  # the caches filled, as on a served page: the first view is drawn
    explorer = cls()  # while the explorer is being built
    settle(explorer)
    assert not (explorer.message.visible and explorer.message.alert_type == "danger"), (
        explorer.message.object)  # the first view draws without an error
    assert 3 <= len(explorer.presets) <= 6
    for preset in explorer.presets:
        explorer.apply_preset(preset.name)
        values_match(explorer, preset.values)
        assert explorer.message.alert_type != "danger" or not explorer.message.visible
        assert preset.reference in explorer.preset_note.object
        assert preset.explanation
    with pytest.raises(ValueError, match="unknown preset"):
        explorer.apply_preset("nope")


@pytest.mark.parametrize("cls", [SpikedExplorer, GlmExplorer, OnlineExplorer, DiffusionExplorer,
                                 CapacityExplorer, ScalingExplorer, MultiIndexExplorer])
def test_ranges_the_server_moves_are_fixed_ranges(cls):
    """BokehJS resets a ``DataRange1d`` to the start and end it had when the page was drawn
    at every redraw, so a range the explorer moves afterwards (the largest alpha shown)
    snapped back in the browser; every range a preset moves must be a ``Range1d``."""
    from bokeh.models import DataRange1d

    explorer = cls()
    settle(explorer)
    ranges = {id(r): r for fig in explorer.figures() for r in (fig.x_range, fig.y_range)}
    before = {key: (r.start, r.end) for key, r in ranges.items()}
    for preset in explorer.presets:
        explorer.apply_preset(preset.name)
        settle(explorer)
        for key, r in ranges.items():
            if (r.start, r.end) != before[key]:
                assert not isinstance(r, DataRange1d), (preset.name, r)


def test_the_selector_applies_a_preset():
    explorer = SpikedExplorer()
    explorer.preset_select.value = "BBP transition (Gaussian spike)"
    assert explorer.prior == "gaussian"
    assert "Continuous transition" in explorer.summary.object


def test_classic_results_appear():
    glm = GlmExplorer()
    glm.apply_preset("Binary perceptron: the hard phase between α_IT and α_alg")
    assert "1.2447" in glm.summary.object
    assert "1.4926" in glm.summary.object
    spiked = SpikedExplorer()
    spiked.apply_preset("First-order transition of sparse PCA (ρ = 0.05)")
    assert "λ_IT = 0.7473" in spiked.summary.object
    sgd = OnlineExplorer()
    sgd.apply_preset("Learning rate too large (η > η_c)")
    assert sgd.lr > online.critical_learning_rate(K=2)
    final = np.asarray(sgd.sources["eps"].data["eps"], dtype=float)[-1]
    assert final > 1e-3  # stuck: it does not learn


def test_a_preset_button_applies_its_preset_again_after_a_change():
    explorer = SpikedExplorer()
    button = explorer.preset_buttons["BBP transition (Gaussian spike)"]
    button.clicks += 1
    assert explorer.prior == "gaussian"
    explorer.prior = "rademacher"  # moved away
    button.clicks += 1  # the same preset again: a select would not have sent it
    assert explorer.prior == "gaussian"
    assert explorer.preset_select.value is None
    assert "Baik" in explorer.preset_note.object
