"""Sweep animation: each explorer's player steps its parameter across the slider's range, the
player follows a value set by hand or by a link, and any frame a client sends is clamped."""

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
from dashboards import sweep as sweeps

EXPLORERS = [SpikedExplorer, GlmExplorer, OnlineExplorer, DiffusionExplorer, CapacityExplorer,
             ScalingExplorer, MultiIndexExplorer]


@pytest.mark.parametrize("cls", EXPLORERS, ids=[c.__name__ for c in EXPLORERS])
def test_every_frame_is_a_value_of_the_slider(cls):
    explorer = cls()
    animation = explorer.sweep
    assert animation.names == list(cls.ANIMATED)  # each named parameter has its slider
    for name in animation.names:
        animation.choice.value = name
        widget, values = explorer.widgets[name], animation.values()
        assert animation.player.end == len(values) - 1
        if hasattr(widget, "options"):  # a list, or labels -> values
            options = widget.options
            assert values == list(options.values() if isinstance(options, dict) else options)
        else:
            assert values[0] == pytest.approx(widget.start)
            top = explorer.constrain({name: widget.end}).get(name, widget.end)
            assert values[-1] == pytest.approx(top)  # as far as the model allows
            assert np.all(np.diff(values) > 0)
        # the last frame sets the parameter to the range's end, as a slider moved there
        animation.player.value = animation.player.end
        assert getattr(explorer, name) == values[-1]
        animation.player.value = 0
        assert getattr(explorer, name) == values[0]


def test_frames_sweep_the_current_range_on_the_slider_grid():
    explorer = SpikedExplorer(snr_range=(0.5, 1.5))
    values = explorer.sweep.values()
    assert len(values) == sweeps.FRAMES
    assert values[0] == 0.5
    assert values[-1] == 1.5
    step = explorer.widgets["snr"].step
    assert np.allclose(np.round(np.asarray(values) / step) * step, values, atol=1e-12)
    explorer.sweep.player.value = 20  # the middle frame: λ = 1.0
    assert explorer.snr == pytest.approx(1.0)
    assert explorer.sources["landscape"].data  # the view followed the frame


def test_the_player_follows_a_value_set_by_hand_or_by_a_link():
    explorer = SpikedExplorer(snr_range=(0.5, 1.5))
    explorer.snr = 1.25  # a slider moved, or the value a link opened with
    assert explorer.sweep.values()[explorer.sweep.player.value] == pytest.approx(1.25)
    explorer.sweep.choice.value = "rho"
    rho_values = explorer.sweep.values()
    assert rho_values[explorer.sweep.player.value] == pytest.approx(explorer.rho, abs=0.02)


def test_a_diffusion_sweep_plays_n_through_its_choices():
    explorer = DiffusionExplorer()
    animation = explorer.sweep
    assert animation.values() == list(explorer.param["n"].objects)
    animation.player.value = 3
    assert explorer.n == explorer.param["n"].objects[3]


def test_any_frame_a_client_sends_is_clamped():
    explorer = GlmExplorer()
    animation = explorer.sweep
    values = animation.values()
    animation.player.value = 10_000
    assert explorer.alpha == values[-1]
    animation.player.value = -5
    assert explorer.alpha == values[0]


def test_a_multi_index_sweep_stops_at_the_largest_alpha_shown():
    explorer = MultiIndexExplorer(alpha_max=2.5)
    values = explorer.sweep.values()
    assert values[-1] == 2.5
    assert explorer.widgets["alpha"].end > 2.5


def test_the_player_is_labelled_with_the_parameter_without_its_bracketed_note():
    """"Capacity a (spectrum ηₖ = k⁻ᵃ)" wrapped to two lines in the sidebar, pushing the
    player's buttons over the line below: its sweep is "Sweep of Capacity a"."""
    explorer = ScalingExplorer()
    assert "(" in explorer.param["capacity"].label
    explorer.sweep.choice.value = "capacity"
    assert explorer.sweep.player.label == "Sweep of Capacity a"
    for cls in EXPLORERS:
        page = cls()
        assert page.sweep.player.label == "Sweep of " + page.param[page.sweep.name].label.split(
            " (")[0]


@pytest.mark.parametrize("theme", ["default", "dark"])
def test_the_players_take_the_page_theme(theme):
    """In the dark theme both players (the sweep's, the online time cursor's) draw their
    buttons on a dark ground; in the light theme the browser's own buttons are kept."""
    import panel as pn

    with pn.config.set(theme=theme):
        online = OnlineExplorer()
    for player in (online.sweep.player, online.player):
        assert sweeps.PLAYER_CSS in player.stylesheets
        assert (sweeps.PLAYER_DARK_CSS in player.stylesheets) == (theme == "dark")
