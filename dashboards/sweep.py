"""Sweep animation: one parameter of an explorer played across its slider's range.

Each explorer names the parameters worth animating (``Explorer.ANIMATED``, main one first:
λ across λ_dyn, λ_IT and λ_alg; the number of training points n of a diffusion model). A
Player steps through ``FRAMES`` values of the chosen slider's current range (snapped to its
step; a discrete slider's own options), and each frame sets the parameter as a slider move
would, so the page's link holds it (the frame is the value in the link, and a link opens
with the player at that value's frame). Moving the slider by hand moves the player with it.
"""

from __future__ import annotations

import re

import numpy as np
import panel as pn
import param

from .recipes import url_number


def sweep_label(explorer, name: str) -> str:
    """The player's label: the parameter's label without its note in brackets ("Capacity a
    (spectrum ηₖ = k⁻ᵃ)" is "Capacity a"), so that it keeps to one line above the buttons."""
    return "Sweep of " + re.sub(r"\s*\([^()]*\)$", "", explorer.param[name].label)


#: a player's buttons: larger in lecture mode; in the dark theme on a dark ground (the
#: browser's own light-grey buttons and white track stood out of the dark page)
PLAYER_CSS = "button { zoom: var(--lp-player-zoom, 1); }"
PLAYER_DARK_CSS = ("button { background-color: #3a3f44; color: #e0e0e0; "
                   "border: 1px solid #6c757d; border-radius: 3px; } "
                   "input[type=range] { accent-color: #5b9bd5; }")


def player_stylesheets(player: pn.widgets.Player) -> list:
    """``player``'s stylesheets with the page's player style (for the page's theme)."""
    own = [PLAYER_CSS] + ([PLAYER_DARK_CSS] if pn.config.theme == "dark" else [])
    return [*player.stylesheets, *own]


#: a Play click at the last frame rewinds to the first
PLAY_FROM_START_JS = ("if (cb_obj.direction === 1 && cb_obj.value >= cb_obj.end) "
                      "{ cb_obj.value = cb_obj.start }")
#: values in one sweep of a continuous slider
FRAMES = 41
#: milliseconds between frames: a move's update takes tens of milliseconds, a solve in the
#: background longer; slower frames keep each one readable in a lecture
INTERVAL_MS = 300


def frame_values(widget, parameter: param.Parameter, limits=None) -> list:
    """The values a sweep of ``parameter`` plays: ``widget``'s options, or ``FRAMES`` points
    of its current range (or of ``limits`` inside it) snapped to its step (integers once
    each)."""
    options = getattr(widget, "options", None)
    if options is not None:
        return list(options.values()) if isinstance(options, dict) else list(options)
    start, end = (float(widget.start), float(widget.end)) if limits is None else limits
    points = np.linspace(start, end, FRAMES)
    step = getattr(widget, "step", None)
    if isinstance(parameter, param.Integer):
        return [int(v) for v in np.unique(np.round(points))]
    if step:
        points = np.clip(start + np.round((points - start) / step) * step, start, end)
    return [url_number(parameter, float(v)) for v in np.unique(points)]


def nearest_frame(values: list, value) -> int:
    if value in values:
        return values.index(value)
    try:
        return int(np.argmin(np.abs(np.asarray(values, float) - float(value))))
    except (TypeError, ValueError):
        return 0


class SweepAnimation:
    """The "Animate" controls of ``explorer``: which parameter (when there are several) and
    its Player (Play/Pause, step, speed)."""

    def __init__(self, explorer, names: tuple[str, ...]):
        self.explorer = explorer
        self.names = [n for n in names if n in explorer.widgets]
        if not self.names:
            raise ValueError(f"none of {names} has a control to animate")
        self.choice = pn.widgets.Select(
            label="Parameter", options={explorer.param[n].label: n for n in self.names},
            value=self.names[0], visible=len(self.names) > 1, sizing_mode="stretch_width",
            css_classes=["sweep-choice"])
        self.player = pn.widgets.Player(
            start=0, end=FRAMES - 1, value=0, interval=INTERVAL_MS, loop_policy="once",
            show_loop_controls=False, width=280, css_classes=["sweep-player"],
            label=sweep_label(explorer, self.names[0]))
        # larger buttons in lecture mode, as the time player's; Play at the last frame starts
        # again from the first (Panel's player would stop at once)
        self.player.stylesheets = player_stylesheets(self.player)
        self.player.jscallback(direction=PLAY_FROM_START_JS)
        self._following = False  # the player follows a value, or sets one: not both
        self._values_key, self._values = None, []
        self.player.param.watch(self._on_frame, ["value"])
        self.choice.param.watch(self._on_choice, ["value"])
        explorer.param.watch(self._on_parameter, self.names)
        self._on_choice()

    @property
    def name(self) -> str:
        return self.choice.value if self.choice.value in self.names else self.names[0]

    def values(self) -> list:
        """The frames' values: the slider's range as the model allows it (``constrain``: the
        multi-index page's α stops at the largest α shown, not at the slider's end)."""
        name, widget = self.name, self.explorer.widgets[self.name]
        limits = None
        if getattr(widget, "options", None) is None:
            def allowed(value):
                return float(self.explorer.constrain({name: value}).get(name, value))

            limits = (allowed(float(widget.start)), allowed(float(widget.end)))
        # the same frames at every move of the parameter (formatted: 1 ms a move)
        key = (name, limits, getattr(widget, "start", None), getattr(widget, "end", None),
               getattr(widget, "step", None), id(getattr(widget, "options", None)))
        if key != self._values_key:
            self._values_key = key
            self._values = frame_values(widget, self.explorer.param[name], limits)
        return self._values

    def _follow(self, values: list) -> None:
        # at every move of the parameter: only what changed, and not through param.update,
        # which reads every value of the player first (3 ms of each move)
        end = max(len(values) - 1, 1)
        frame = nearest_frame(values, getattr(self.explorer, self.name))
        self._following = True
        try:
            if end < self.player.value:  # a shorter sweep: its frame first, then its end
                self.player.value = frame
            if self.player.end != end:
                self.player.end = end
            if self.player.value != frame:
                self.player.value = frame
        finally:
            self._following = False

    def _on_choice(self, *_):
        self.player.label = sweep_label(self.explorer, self.name)
        self._follow(self.values())

    def _on_parameter(self, *events):
        if not self._following and any(e.name == self.name for e in events):
            self._follow(self.values())

    def _on_frame(self, event):
        if self._following:
            return
        values = self.values()  # the range may have moved since the sweep started
        frame = min(max(int(event.new), 0), len(values) - 1)  # any value a client sends
        self._following = True
        try:
            self.explorer.guarded(setattr)(self.explorer, self.name, values[frame])
        finally:
            self._following = False

    def layout(self) -> pn.Column:
        return pn.Column(pn.pane.Markdown("**Animate a parameter**", margin=(0, 10)),
                         self.choice, self.player, sizing_mode="stretch_width")
