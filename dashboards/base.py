"""What every explorer shares: messages, guarded callbacks, URL state, background work, figures.

The explorer structure (every explorer is built on it; ``dashboards/spiked.py`` is the
shortest example):

* a **parameter model**, ``dashboards.recipes.<explorer>.<X>Parameters`` (an
  ``ExplorerParameters``: Panel-free): parameters with bounds, presets applied as one batched
  ``param.update``, URL names (``url_parameters``, ``url_prefix``), lecture visibility by
  parameter name (``advanced_parameters``), ``constrain`` for values that depend on others;
* **recipes** in the same module: pure functions ``recipe(p) -> {source key: {column:
  array}}`` (plus optional ``"notes"``, messages for the page) calling ``theory`` through
  the bounded caches and atlases of ``dashboards.caches``; ``RECIPES`` lists them with the
  parameters each depends on (``Recipe``), ``SOURCES`` the sources they fill and their
  public names. The exported script builds the parameter model and calls them;
* a **declarative page**, ``class XExplorer(XParameters, Explorer)``, whose ``FIGURES``
  (``Figure`` of ``Glyph``, ``Marker``, ``Hover``) and ``CONTROLS`` (``control``,
  ``Simulation``, "presets", "divider", "export") are data built by ``build_view``; one
  watcher (``_on_parameters``) applies the model's corrections once, then ``update_view``
  runs the recipes whose parameters changed and ``bind`` (the one binder) assigns their
  outputs to the ``ColumnDataSource`` s in place, inside one ``pn.io.hold``; a recipe marked
  ``background`` goes through ``run_latest`` (on a thread; with ``steps`` in a short-solve
  worker process, results shared by key through ``shared``, bounded by bytes; with
  ``when_shown`` only once the page is shown); ``after_<recipe>`` methods of the page set
  what data does not (titles, axis labels, summaries). A ``view_parameters`` move (an
  animation's frame) runs only the recipes that depend on it, keeps the messages about the
  data and does not rebuild the exported script. Simulations go through
  ``run_latest(..., simulation=True)`` (quota, progress, Cancel) and ``drop_latest`` when
  their parameters change (``dashboards/diffusion.py``).

Slow work has one path: a recipe's ``steps`` (``processes.Step`` s, e.g. the teacher-student
logistic regression, the learning-rate sweep, the t_C estimate) run in the short-solve
worker processes through ``run_latest``, shared by key between pages (``shared``), with
``fn(p, None)`` shown meanwhile where the recipe says so; the rest runs on the page.
Presets and links set their values inside ``Explorer.giving``: ``constrain`` sees every
value they set (also those equal to the current one, of which param reports no change) and
leaves them alone, so dependent defaults (a task's prior and noise) never depend on the order
the values come in.

A parameter change thus reaches the browser in one hop each way. What keeps a slider move
inside its latency budget (``python -m bench.sliders``):

* released sliders, selects and players are processed on the next tick, without Panel's
  50 ms debounce (it was most of a move's response time);
* each move does only what it needs: ``clear_sources`` sends nothing for a source already
  empty, the Python script is built when asked for (``export_widget``), and a plot that
  does not depend on the moved parameter is left alone;
* solves above a few milliseconds are either on an ``Atlas`` (results on the slider's own
  grid, computed ahead by a short-solve worker process and shared by every page) or run
  through ``Explorer.run_latest``: one service for background work, in the short-solve
  worker processes (``processes.submit(kind="solve")``) or on threads, where the latest
  request per slot wins, an overtaken one is cancelled or dropped, and a loading indicator
  shows until the latest answers. Simulations (``run_in_process``) have workers of their
  own, so a minutes-long run never delays a 0.3 s solve.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import threading
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import ClassVar

import numpy as np
import panel as pn
import param
from bokeh.models import (
    CustomAction,
    CustomJS,
    CustomJSTickFormatter,
    DataRange1d,
    HoverTool,
    NoOverlap,
    SaveTool,
    Span,
)
from bokeh.plotting import figure

from . import guards, plotstyle, processes, wire
from .caches import Atlas, BoundedCache, solve_now, value_key  # noqa: F401 (re-exported)
from .plotstyle import (  # noqa: F401 (re-exported: the explorers' and tests' names)
    FONTS,
    LECTURE_LINE_SCALE,
    legend_below,
    set_subtitle,
    style_figure,
)
from .processes import Cancelled
from .recipes import (  # noqa: F401 (re-exported)
    OrderedRange,
    Preset,
    maxima_data,
    shaded_regions,
    threshold_lines,
    url_number,
)
from .text import CARD_CSS, MATH_CSS, explanation_card

log = logging.getLogger("learning_phases")

#: Okabe-Ito palette: distinguishable with the common forms of colour blindness
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#7F7F7F",
}


# Short background solves (phase diagrams, ERM curves, sweeps) from every session share two
# threads; simulations, which run for seconds to minutes, go to worker processes instead
# (``processes``), where they cannot hold the pages' GIL.
_EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="learning-phases-solve")


def _new_executor_after_fork():
    # `panel serve --num-procs N` forks after `--warm` may have started the pool's threads:
    # a child inherits the pool but not its threads, and work queued there would never run
    global _EXECUTOR
    _EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="learning-phases-solve")


os.register_at_fork(after_in_child=_new_executor_after_fork)


def submit_background(fn, *args) -> Future:
    """Queue work on the shared executor with no session attached (e.g. cache warming)."""
    return _EXECUTOR.submit(fn, *args)


#: the page template's design (Bootstrap). A text pane updated after the page is built is
#: given it when created: built without it, its first update added the design's stylesheets,
#: new Bokeh models whose arrival made Bokeh recompute the whole document's model graph
#: (20-35 ms on the event loop, the first slider move of each page)
DESIGN = pn.theme.Bootstrap


class _TextOnlyUpdate:
    """A new text of the pane changes its model's text alone: Panel's own update recomputes
    and sets every property of the pane (its style sheets rebuilt as new models), ~1.5 ms
    of the event loop for each text rewritten on a slider move."""

    def _update(self, ref, model) -> None:
        model.text = self._transform_object(self.object)["object"]


class LiveHTML(_TextOnlyUpdate, pn.pane.HTML):
    """An HTML pane rewritten on every slider move."""


class LiveMarkdown(_TextOnlyUpdate, pn.pane.Markdown):
    """A Markdown pane rewritten on every slider move; its rendering is also remembered by
    text (shared by every page: a slider moved back and forth, or a class on the same
    preset, shows the same texts again)."""

    _rendered: ClassVar[BoundedCache] = BoundedCache(2048)

    def _transform_object(self, obj):
        if not isinstance(obj, str):
            return super()._transform_object(obj)
        key = (obj, self.renderer, tuple(self.plugins), tuple(self.extensions),
               self.hard_line_break, self.disable_anchors, self.dedent,
               repr(sorted(self.renderer_options.items())))
        rendered = self._rendered.get(key)
        if rendered is None:
            rendered = super()._transform_object(obj)
            self._rendered.put(key, rendered)
        return dict(rendered)


def summary_pane() -> pn.pane.Markdown:
    """The one-paragraph summary above an explorer's figures (updated on every move)."""
    return LiveMarkdown("", sizing_mode="stretch_width", margin=(0, 10), design=DESIGN)


class ChoiceSlider(pn.widgets.DiscreteSlider):
    """A slider over a list of values (Panel's ``DiscreteSlider``) whose value is shown in
    its inner slider's own title, as every other slider's is. Panel's shows it in a text
    above, rewritten by the browser on every move: each rewrite made Bokeh recompute the
    whole page's layout, 25-30 ms of the browser's main thread before it could read the
    server's answer."""

    _text_link = ""  # the browser no longer rewrites the text above (hidden)

    @property
    def labels(self):
        """Panel's text above the slider, hidden: constant, so nothing is sent for it."""
        return [""] * len(self.options)

    def _update_options(self, *events):
        super()._update_options(*events)
        # a dict's keys are its labels
        labels = [o if isinstance(o, str) else self.formatter % o for o in self.options]
        self._slider.param.update(
            name=self.label, show_value=True,
            format=CustomJSTickFormatter(args={"labels": labels},
                                         code="return labels[Math.round(tick)] ?? ''"))

    def _update_style(self, *events):
        super()._update_style(*events)
        _, right, bottom, left = self._slider.margin
        self._slider.margin = (self._text.margin[0], right, bottom, left)  # the text's place
        self._text.visible = False  # also after the super()'s own update of it


#: widget names of ``control`` that are this app's own
CONTROL_WIDGETS = {"ChoiceSlider": ChoiceSlider}

# Panel holds every change that a browser sends for 50 ms before processing it, so that a
# burst of keystrokes becomes one update. A released slider, a chosen option or a player's
# frame arrives as one message: for them the wait is pure latency (it was most of a
# slider's response time). They are processed on the next tick, still through Bokeh's
# locked timeout callbacks (Panel's "priority" path skips the document lock).
for _widget in (pn.widgets.slider._SliderBase, pn.widgets.Select, pn.widgets.RadioButtonGroup,
                pn.widgets.Checkbox, pn.widgets.Switch, pn.widgets.player.PlayerBase):
    _widget._debounce = 0


def _ignoring_disabled_clicks(process_event):
    """A disabled button is disabled in the browser only: the page (or any client) can still
    send its click event, and Panel would run its callbacks. The server ignores it."""

    @wraps(process_event)
    def _process_event(self, event):
        if self.disabled:
            log.info("ignored a click on the disabled button %r", self.label)
            return None
        return process_event(self, event)

    _process_event.original = process_event
    return _process_event


if not hasattr(pn.widgets.Button._process_event, "original"):  # once, even if reloaded
    pn.widgets.Button._process_event = _ignoring_disabled_clicks(pn.widgets.Button._process_event)
guards.install()  # values from clients: clamped or refused with one log line (guards.py)
wire.install()  # one message per change, sent as soon as the socket is free (wire.py)


def sanitize_query(location, schema: dict[str, str] | None = None) -> list[str]:
    """Drop the query pairs of ``location`` that Panel's parser cannot take (digits such as
    '³', thousands of digits), that are absurdly long, or that are not what their key in
    ``schema`` expects (``links.schema_of``: e.g. 'true' for a number), so that no link can
    break a session. Returns notes on what was dropped (Markdown, safe to show)."""
    from . import links

    if location is None or not location.search:
        return []
    search, notes = links.clean_query(location.search, schema or {})
    if notes:
        location.search = search
    return notes


def restore_query(location, arguments) -> bool:
    """Give ``location`` the page's query when it lost it; True if it did.

    Bokeh builds a session on the page request, then the browser opens a websocket. Under
    ``panel serve --num-procs N`` the websocket may reach another worker, which builds the
    session again from the websocket request, whose address (``/app/ws``) has no query:
    Panel's location is then empty, and a link's view would be lost. The query still comes
    along, in the session token's ``arguments``."""
    from urllib.parse import urlencode

    if location is None or location.search or not arguments:
        return False
    pairs = [(key, value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
             for key, values in arguments.items() for value in values]
    if not pairs:
        return False
    location.search = "?" + urlencode(pairs)
    return True


#: the toolbar button that saves a plot as SVG: BokehJS draws it again on an SVG canvas
SAVE_SVG_JS = """
const view = Bokeh.index.find_one(fig);
if (view != null) {
  view.export("svg").to_blob().then((blob) => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name + ".svg";
    link.dispatchEvent(new MouseEvent("click"));
  });
}
"""
#: the "Save as SVG" tool's icon, in grey on the light toolbar and light grey on the dark one
SVG_ICON = ("data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='20' "
            "height='20'><text x='1' y='14' font-family='sans-serif' font-size='8.5' "
            "font-weight='bold' fill='%23{ink}'>SVG</text></svg>")
SVG_ICON_INK = {"default": "555", "dark": "ccc"}


def quiet_button_color() -> str:
    """The colour of secondary buttons (downloads, copy): Bootstrap's "light" is white in
    either theme, and glares on the dark page; there they take the theme's own."""
    return "default" if pn.config.theme == "dark" else "light"


def make_figure(*, title: str, x_label: str, y_label: str, height: int = 360,
                subtitle: str | None = None, span: str = "half", **kwargs):
    """A Bokeh figure with the project's look: responsive width, save/zoom/hover tools, tick
    labels that never overlap. ``title`` names the plot and stays short (it is drawn on the
    canvas, cut when too long); what changes goes in ``subtitle`` (a second line, see
    ``plotstyle.set_subtitle``). ``span``: "full" for a figure alone in its row, "half" for
    one that shares it (the width its title, labels and legend are fitted to)."""
    fig = figure(
        title=title,
        height=height,
        sizing_mode="stretch_width",
        tools="pan,wheel_zoom,box_zoom,reset,save",
        toolbar_location="right",
        **kwargs,
    )
    plotstyle.register(fig, span, height)
    # automatic ranges are computed by the browser, which sent every new start and end back
    # to the server (3-4 messages per slider move, each answered with an OK): the server
    # never reads them
    for axis_range in (fig.x_range, fig.y_range):
        if isinstance(axis_range, DataRange1d):
            axis_range.syncable = False
    fig.xaxis.axis_label = x_label
    fig.yaxis.axis_label = y_label
    fonts = FONTS[False]
    fig.title.text_font_size = fonts["title"]
    fig.axis.axis_label_text_font_size = fonts["axis_label"]
    fig.axis.major_label_text_font_size = fonts["major_label"]
    fig.axis.major_label_policy = NoOverlap()
    plotstyle.log_axes(fig)  # ticks that never crowd, labels without float noise
    if subtitle is not None:
        plotstyle.add_subtitle(fig, subtitle)
    fig.toolbar.logo = None
    # a fixed file name: the save tool asks for none, and the file says what it shows
    slug = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")
    name = "-".join(filter(None, slug.split("-")))[:60] or "plot"
    if "log" in (kwargs.get("x_axis_type"), kwargs.get("y_axis_type")):
        name += "-log"  # apart from a linear twin of the same title
    fig.select_one(SaveTool).filename = name
    icon = SVG_ICON.format(ink=SVG_ICON_INK.get(pn.config.theme, SVG_ICON_INK["default"]))
    fig.add_tools(CustomAction(description="Save as SVG", icon=icon, callback=CustomJS(
        args={"fig": fig, "name": name}, code=SAVE_SVG_JS)))
    return fig


def slim_figure(fig) -> None:
    """Leave the non-selected and muted look of every glyph to BokehJS ("auto"): nothing
    here is selected or muted, and the two glyph models the plotting API makes for each
    renderer were a third of a page's models, each built, sent and pulled per session."""
    from bokeh.models import GlyphRenderer

    for renderer in fig.renderers:
        if isinstance(renderer, GlyphRenderer):
            renderer.nonselection_glyph = "auto"
            renderer.muted_glyph = "auto"


#: controls and text in lecture mode: custom properties inherit into every shadow root below
LECTURE_CSS = ":host { --bokeh-font-size: 19px; --font-size: 19px; font-size: 19px; }"
#: inputs and selects take the page's control font size (larger in lecture mode, through
#: the custom property that ``app.LECTURE_PAGE_CSS`` sets on the page's root element)
CONTROL_CSS = "select, input { font-size: var(--lp-control-font-size, 13.33px); }"
#: a slider's label and value wrap rather than run out of the controls column
SLIDER_CSS = ".bk-slider-title { white-space: normal; }"
#: a checkbox's or switch's label is clickable (BokehJS draws it as a <div> beside the input,
#: not a <label>: clicking "Log scale" did nothing), with the pointer saying so
TOGGLE_LABEL_CSS = ".bk-label { cursor: pointer; user-select: none; }"
#: one listener for the whole page (explorers are built later, in tabs): a click on the
#: label of a checkbox or switch toggles it, as a click on an HTML <label> would
CLICKABLE_LABELS_JS = """
if (!window.__lp_clickable_labels) {
  window.__lp_clickable_labels = true;
  document.addEventListener("click", (event) => {
    const label = event.composedPath().find((el) => el.classList &&
      el.classList.contains("bk-label") && el.tagName === "DIV");
    if (label == null || label.closest("label") != null) return;
    const root = label.getRootNode();
    if (root === document || root.children == null) return;
    const siblings = [...root.children];
    const input = siblings.find((el) => el.tagName === "INPUT" && el.type === "checkbox");
    const body = siblings.find((el) => el.classList.contains("bk-body"));  // a switch
    const target = input ?? body;
    if (target != null && !(input && input.disabled)) target.click();
  });
}
"""
#: the classic results' names wrap inside their buttons, left-aligned like a list
PRESET_BUTTON_CSS = ".bk-btn { white-space: normal; text-align: left; line-height: 1.3; }"


class PresetChoice(param.Parameterized):
    """The classic result being applied (None between two choices)."""

    value = param.String(default=None, allow_None=True)


#: a radio-button group whose labels are longer than this stacks its buttons in lecture mode
LECTURE_MAX_BUTTON_LABELS = 24
#: the controls column (px), normal and in lecture mode
CONTROLS_WIDTH = {False: 300, True: 380}
#: a button's font (Bokeh's, and the lecture mode's) and its padding and border (px)
BUTTON_FONT = {False: "14px", True: "19px"}
BUTTON_PADDING = 28


def add_hover(fig, renderers, tooltips):
    fig.add_tools(HoverTool(renderers=renderers, tooltips=tooltips, mode="mouse"))


# -- the declarative view ------------------------------------------------------------------
class Glyph:
    """A glyph of a figure: the figure method ``method`` ("line", "scatter", "quad", ...)
    drawing columns of the source ``source`` (its key), with Bokeh properties ``props``
    (``legend_label`` included). ``key`` names the renderer (``explorer.renderers[key]``, for
    hover tools); ``optional``: its legend entry shows only while its source has data (an
    overlay that is empty most of the time)."""

    def __init__(self, method: str, source: str, *, key: str | None = None,
                 optional: bool = False, **props):
        self.method, self.source, self.key, self.optional, self.props = (
            method, source, key, optional, props)


@dataclass(frozen=True)
class Marker:
    """A vertical line at the value of the parameter ``parameter`` (``explorer.<key>``); a
    parameter may have markers on several figures."""

    key: str
    parameter: str
    props: tuple = (("line_color", "black"), ("line_width", 1.5), ("line_alpha", 0.6))


#: a marker that reads as a position, not as data: dotted and light (e.g. the current alpha
#: on every plot against alpha)
DOTTED_MARKER = (("line_color", PALETTE["black"]), ("line_width", 1.5), ("line_alpha", 0.5),
                 ("line_dash", "dotted"))


@dataclass(frozen=True)
class Hover:
    """A hover tool over the renderers named ``glyphs``."""

    glyphs: tuple[str, ...]
    tooltips: tuple


@dataclass(frozen=True)
class Figure:
    """A figure (``explorer.fig_<key>``, in the pane ``explorer.<key>_pane``): ``options`` go
    to ``make_figure`` (``x_range`` / ``y_range`` as (start, end) pairs); ``loading``: the
    background recipe whose solve shows a spinner on this figure."""

    key: str
    title: str
    x_label: str
    y_label: str
    glyphs: tuple
    height: int = 360
    legend: object = legend_below  # the function that places the legend of the figure
    markers: tuple[Marker, ...] = ()
    hover: tuple[Hover, ...] = ()
    loading: str | None = None
    options: tuple = ()


@dataclass(frozen=True)
class Control:
    """The widget of parameter ``name`` (``explorer.widgets[name]``, ``explorer.<name>_widget``):
    ``widget`` a ``pn.widgets`` class name (default: Panel's for the parameter's type),
    ``follows`` a range parameter giving the slider its start and end, ``enabled`` a function
    of the parameters; ``options`` go to ``from_param``."""

    name: str
    widget: str | None = None
    follows: str | None = None
    enabled: object = None
    options: tuple = ()


def control(name, widget=None, *, follows=None, enabled=None, **options) -> Control:
    return Control(name, widget, follows, enabled, tuple(options.items()))


@dataclass(frozen=True)
class Simulation:
    """Run / Cancel buttons (``explorer.<key>``, a ``SimulationPanel``) under ``title`` and
    its controls; the Run button calls the explorer's method ``run``."""

    label: str
    title: str
    controls: tuple[Control, ...]
    run: str
    key: str = "sim"


def bands_and_thresholds(regions: str, thresholds: str) -> tuple[Glyph, ...]:
    """Shaded bands (columns left/right/bottom/top/color/alpha/region) and dashed vertical
    threshold segments (x/y0/y1/color/threshold), both with legend entries from the data."""
    return (Glyph("quad", regions, left="left", right="right", bottom="bottom", top="top",
                  fill_color="color", fill_alpha="alpha", line_alpha=0, legend_field="region"),
            Glyph("segment", thresholds, x0="x", x1="x", y0="y0", y1="y1", color="color",
                  line_width=2, line_dash="dashed", legend_field="threshold"))


def error_bars(source: str, x: str, *, color: str, label: str, optional=False, marker="circle",
               size=7) -> tuple[Glyph, ...]:
    """Mean markers with +-1 standard-error segments (columns mean/low/high)."""
    return (Glyph("segment", source, x0=x, x1=x, y0="low", y1="high", color=color,
                  line_width=1.5),
            Glyph("scatter", source, optional=optional, x=x, y="mean", size=size,
                  marker=marker, color=color, legend_label=label))


def landscape_glyphs(x: str, y: str, curve_label: str) -> tuple[Glyph, ...]:
    """A free-entropy landscape (source ``landscape``) and its global (filled, ``global_max``)
    and metastable (hollow, ``local_max``) maxima, each in the legend only when drawn."""
    return (Glyph("line", "landscape", x=x, y=y, color=PALETTE["blue"], line_width=2.5,
                  legend_label=curve_label),
            Glyph("scatter", "global_max", x=x, y=y, size=12, color=PALETTE["vermillion"],
                  optional=True, legend_label="global maximum"),
            Glyph("scatter", "local_max", x=x, y=y, size=12, fill_color="white",
                  line_color=PALETTE["vermillion"], line_width=2, optional=True,
                  legend_label="metastable maximum"))


#: a recipe output's entry of messages for the page (not a source)
NOTES = "notes"


#: simulations (``Explorer.run_in_process``) that one page may have queued or running at
#: once, per explorer: one running and one waiting is what a person needs (each Run button
#: is disabled while its run is under way); the server's queue (``processes.SLOTS``) is
#: shared by every page
SIMULATIONS_PER_EXPLORER = 2


class TooManySimulations(processes.ServerBusy):
    """This page already has ``SIMULATIONS_PER_EXPLORER`` simulations under way here."""


class Explorer(pn.viewable.Viewer):
    """Base of every explorer: a message area, guarded updates, URL sync, background runs,
    and the declarative view (``SOURCES``, ``RECIPES``, ``FIGURES``, ``CONTROLS``) of an
    explorer built on a parameter model (``class X(XParameters, Explorer)``)."""

    SOURCES: tuple = ()  # recipes.Source
    RECIPES: tuple = ()  # recipes.Recipe
    FIGURES: tuple[Figure, ...] = ()
    CONTROLS: tuple = ()  # Control, Simulation, "presets", "divider", "export"
    #: what "Predict, then reveal" hides until the lecturer reveals it (thresholds, the
    #: Bayes-optimal curve; the summary always): a source's key hides every glyph of that
    #: source, "source.column" the glyphs drawing that column (their ``y``)
    ANSWERS: tuple[str, ...] = ()
    #: parameters that "Animate a parameter" can sweep across their slider's range (the main
    #: one first; ``dashboards.sweep``), placed where ``CONTROLS`` says "sweep"
    ANIMATED: tuple[str, ...] = ()
    #: what "Pin these curves" keeps (``dashboards.pins``): the recipe that computes them and
    #: the glyphs to copy ("source.column" or a source's key, as in ``ANSWERS``)
    PINNED: tuple = ()
    #: the presentation view (``dashboards.present``): its guided steps (``GuidedStep``: a preset,
    #: a caption, labels on the plot; none: one per preset) and the figure it shows (None:
    #: the first of ``FIGURES``)
    STEPS: tuple = ()
    PRESENTED: str | None = None
    #: the presented figure shows the explorer's (first) simulation: a step runs it
    PRESENT_RUNS: bool = False
    #: the pinned parameter sets (in the link as ``<prefix>pins``; ``dashboards.pins``)
    pins = param.List(default=[], doc="pinned parameter sets, the values that differ from "
                      "the defaults")

    #: parameters mirrored in the page URL (query string), under ``url_prefix`` + name
    url_parameters: tuple[str, ...] = ()
    url_prefix: str = ""
    #: classic results, one click each (applied in the order of their values)
    presets: tuple[Preset, ...] = ()
    #: controls hidden in lecture mode (sizes, seeds: what a lecture does not need)
    advanced_parameters: tuple[str, ...] = ()
    lecture_mode: bool = False

    def __init__(self, **params):
        super().__init__(**params)
        # values given here are corrected as a preset's or a link's would be (a task sets
        # its prior and defaults: GlmExplorer(task="Ridge regression") is ridge regression)
        given = {name: value for name, value in params.items() if name in self.param}
        constrain = getattr(self, "constrain", None)
        if given and constrain is not None:
            with param.parameterized.discard_events(self):
                self.param.update(**constrain(given))
        self.message = pn.pane.Alert("", alert_type="warning", visible=False,
                                     sizing_mode="stretch_width", margin=(5, 10), design=DESIGN)
        self._doc = pn.state.curdoc
        self._cancel = threading.Event()
        self._closed = threading.Event()
        # this page's simulations queued or running (run_in_process), each with its cancel
        self._runs: dict[Future, threading.Event] = {}
        self._runs_lock = threading.Lock()
        # results that arrive before the browser has connected would change a document the
        # page already rendered without them, and be lost: hold them until it has loaded
        self._loaded = threading.Event()
        self._pending: list = []
        self._pending_lock = threading.Lock()
        # the latest background request of each kind (see run_latest), and its Future
        self._latest: dict[str, object] = {}
        self.background: dict[str, Future] = {}
        self._given: set[str] | None = None  # see giving()
        if self._doc is not None and self._doc.session_context is not None:
            # work of a page that was closed stops at its next check, or never starts
            self._doc.on_session_destroyed(lambda _context: self.close())
            pn.state.onload(self._on_page_loaded)
        else:
            self._loaded.set()

    # -- the declarative view -------------------------------------------------------------
    def build_view(self) -> None:
        """Build the sources, figures and controls that the explorer's specs describe, watch
        its parameter model, and draw the first view."""
        from bokeh.models import ColumnDataSource

        self.sources = {s.key: ColumnDataSource({c: [] for c in s.columns}, name=s.name)
                        for s in self.SOURCES}
        self.renderers, self.markers, self.panes = {}, {}, {}
        self.optional_legend: dict[str, list] = {}
        for spec in self.FIGURES:
            fig = self._build_figure(spec)
            setattr(self, f"fig_{spec.key}", fig)
            pane = pn.pane.Bokeh(fig, sizing_mode="stretch_width")
            if spec.loading is not None:  # loading acts on a layout: on a Bokeh pane, Panel's
                pane = pn.Column(pane, sizing_mode="stretch_width")  # spinner fails to stop
                self.panes[spec.loading] = pane
            setattr(self, f"{spec.key}_pane", pane)
        self.widgets: dict[str, pn.widgets.Widget] = {}
        builders = {"presets": self.preset_widget, "divider": pn.layout.Divider,
                    "export": self.export_widget, "sweep": self.sweep_widget,
                    "pins": self.pins_widget}
        # any other name: the explorer's own method ``<name>_controls()`` builds those
        self.controls = pn.Column(*((builders.get(item) or getattr(self, f"{item}_controls"))()
                                    if isinstance(item, str) else self._build_control(item)
                                    for item in self.CONTROLS), width=CONTROLS_WIDTH[False])
        self.finish_build()
        self._recipe_keys: dict[str, object] = {}
        self._constraining = False
        # after the page's other watchers (the URL's among them): what they saw of a value
        # that ``_on_parameters`` corrects, they see again, corrected
        self.param.watch(self._on_parameters, self.model_parameters(), precedence=1)
        self.update_view()

    def _build_figure(self, spec: Figure):
        from bokeh.models import Range1d

        options = {k: Range1d(*v) if k in ("x_range", "y_range") else v
                   for k, v in spec.options}
        fig = make_figure(title=spec.title, x_label=spec.x_label, y_label=spec.y_label,
                          height=spec.height, **options)
        optional = {}
        glyph_renderers = self.__dict__.setdefault("_glyph_renderers", {})
        for index, glyph in enumerate(spec.glyphs):
            renderer = getattr(fig, glyph.method)(source=self.sources[glyph.source],
                                                  **glyph.props)
            glyph_renderers[(spec.key, index)] = renderer
            if glyph.key is not None:
                self.renderers[glyph.key] = renderer
            if glyph.optional:
                optional.setdefault(glyph.source, []).append(renderer)
        for marker in spec.markers:
            span = Span(location=getattr(self, marker.parameter), dimension="height",
                        **dict(marker.props))
            fig.add_layout(span)
            self.markers.setdefault(marker.parameter, []).append(span)
            setattr(self, marker.key, span)
        spec.legend(fig)
        items = fig.legend[0].items if optional else []
        for source, renderers in optional.items():
            for item in items:
                if any(r in item.renderers for r in renderers):
                    item.visible = False
                    self.optional_legend.setdefault(source, []).append(item)
        for hover in spec.hover:
            add_hover(fig, [self.renderers[k] for k in hover.glyphs], list(hover.tooltips))
        return fig

    def figure_data(self) -> dict:
        """The data of every source, by public name (what ``script_figures`` names)."""
        return {s.name or s.key: dict(self.sources[s.key].data) for s in self.SOURCES}

    def to_holoviews(self, columns: int = 2):
        """What the page shows as an ``hv.Layout`` of one ``hv.Overlay`` per figure (the
        page's glyphs, labels, log axes and ranges, drawing the current data), to compose
        with other HoloViews plots or to save (``save_figure``)."""
        from . import paper

        return paper.to_holoviews(self.script_figures(), self.figure_data(), columns)

    def save_figure(self, path, width: str = "double"):
        """Write the page's figures to ``path`` in a paper style with HoloViews' matplotlib
        backend, in the format of its extension (.pdf, .svg, .png at 300 dpi, .pgf);
        ``width``: "single" or "double" column. Returns the path."""
        from . import paper

        return paper.save(self.to_holoviews(), path, width)

    def script_figures(self) -> tuple[dict, ...]:
        """The page's figures (``FIGURES``) as plain data for the exported script
        (``recipes.python_script``): their glyphs as specified, with what the page shows now
        (titles, subtitles, axis labels, ranges, legend labels); sources by public name."""
        from bokeh.models import Range1d

        names = {s.key: s.name or s.key for s in self.SOURCES}
        renderers = self.__dict__.get("_glyph_renderers", {})
        described = []
        for spec in self.FIGURES:
            fig = getattr(self, f"fig_{spec.key}")
            options = dict(spec.options)
            labels = {}
            for item in (fig.legend[0].items if fig.legend else ()):
                label = getattr(item.label, "value", None)
                for renderer in item.renderers:
                    if label is not None:
                        labels[renderer.id] = label
            glyphs = []
            for index, glyph in enumerate(spec.glyphs):
                props = dict(glyph.props)
                renderer = renderers.get((spec.key, index))
                if "legend_label" in props and renderer is not None and renderer.id in labels:
                    props["legend_label"] = labels[renderer.id]
                glyphs.append({"method": glyph.method, "source": names[glyph.source],
                               "key": glyph.key, "optional": glyph.optional, "props": props})
            # a background figure's subtitle arrives with its data: left out, so that the
            # script depends on the parameters only
            subtitle = plotstyle.subtitles(fig) if spec.loading is None else []
            described.append({
                "key": spec.key, "title": fig.title.text,
                "subtitle": subtitle[0].text if subtitle else "",
                "x_label": fig.xaxis[0].axis_label, "y_label": fig.yaxis[0].axis_label,
                "x_axis_type": options.get("x_axis_type"),
                "y_axis_type": options.get("y_axis_type"),
                "x_range": ((fig.x_range.start, fig.x_range.end)
                            if isinstance(fig.x_range, Range1d) else None),
                "y_range": ((fig.y_range.start, fig.y_range.end)
                            if isinstance(fig.y_range, Range1d) else None),
                "height": spec.height, "span": options.get("span", "half"),
                "glyphs": glyphs,
                "markers": [{"parameter": m.parameter, "props": dict(m.props)}
                            for m in spec.markers],
                "hover": [{"glyphs": h.glyphs, "tooltips": h.tooltips} for h in spec.hover],
            })
        return tuple(described)

    def _build_control(self, spec):
        if isinstance(spec, Simulation):
            panel = SimulationPanel(self, spec.label)
            setattr(self, spec.key, panel)
            panel.run_button.on_click(lambda *_: getattr(self, spec.run)())
            return panel.layout(pn.pane.Markdown(spec.title, margin=(0, 10)),
                                *(self._build_control(c) for c in spec.controls))
        parameter = self.param[spec.name]
        cls = (CONTROL_WIDGETS.get(spec.widget) or getattr(pn.widgets, spec.widget)
               if spec.widget is not None else pn.Param.widget_type(parameter))
        widget = cls.from_param(parameter, **dict(spec.options))
        self.widgets[spec.name] = widget
        setattr(self, f"{spec.name}_widget", widget)
        self.__dict__.setdefault("_control_specs", []).append(spec)
        return widget

    def _on_parameters(self, *events) -> None:
        """The one watcher of the parameter model: corrections first (``constrain``, applied
        here, once: their own events are not handled again), then the view, in one message."""
        if self._constraining:
            return  # the corrections below: the call that made them updates the view
        changed = {e.name for e in events}
        # what this update sets: every value of a preset or link (``given``), also those
        # equal to the current one (param reports no event for them), else what changed
        given = self._given if self._given is not None else changed
        # a slider's float noise (1.1500000000000001) goes first: the view and its link
        # show the value a person chose, and the link opens the same view
        fixes = self.tidy_numbers(changed)
        fixes.update(self.constrain({name: fixes.get(name, getattr(self, name))
                                     for name in given | set(fixes)}))
        if fixes:
            self._constraining = True
            try:
                self.param.update(**fixes)
            finally:
                self._constraining = False
            changed |= set(fixes)
        with pn.io.hold():
            self.update_view(changed)

    def update_view(self, changed: set[str] | None = None) -> None:
        """Call the recipes that depend on a ``changed`` parameter (all when None), bind their
        outputs to the sources, then ``after_<recipe>()`` if the explorer has one; controls
        and markers follow their parameters. Moving a view parameter (``view_parameters``:
        an animation's frame) leaves the messages about the data alone."""
        if changed is None or not changed <= set(getattr(self, "view_parameters", ())):
            self.clear_message()
        for spec in self.__dict__.get("_control_specs", ()):
            widget = self.widgets[spec.name]
            if spec.follows is not None and (changed is None or spec.follows in changed):
                lo, hi = getattr(self, spec.follows)
                widget.param.update(start=lo, end=hi)
            if spec.enabled is not None:
                widget.disabled = not spec.enabled(self)
        for name, spans in self.markers.items():
            if changed is None or name in changed:
                for span in spans:
                    span.location = getattr(self, name)
        for recipe in self.RECIPES:
            if changed is not None and not changed.intersection(recipe.depends):
                continue
            if recipe.key is not None:
                key = recipe.key(self)
                if changed is not None and self._recipe_keys.get(recipe.name) == key:
                    continue  # e.g. another prior of the same family
                self._recipe_keys[recipe.name] = key
            if recipe.in_background(self):
                self.guarded(self._run_background)(recipe)
            else:
                if recipe.background is not False:  # background for other values
                    self._drop_background(recipe)
                self.guarded(self._run_recipe)(recipe)

    def _run_recipe(self, recipe) -> None:
        self.bind(recipe.fn(self))
        after = getattr(self, f"after_{recipe.name}", None)
        if after is not None:
            after()

    def _run_background(self, recipe) -> Future | None:
        """A slow recipe through ``run_latest`` (latest wins, loading shown on its figure),
        on a snapshot of the parameters; its Future is ``explorer.<recipe>_future``. A
        recipe with ``steps`` runs them in a short-solve worker process (its results shared
        through ``recipe.shared`` where ``recipe.shared_key`` says so); one ``when_shown``
        waits until the page is shown. ``before_<recipe>()`` runs first, if the explorer
        has one (e.g. to say what is being computed)."""
        if recipe.when_shown and not self._loaded.is_set():
            # a page built ahead of its visitor (pooled): nothing computed until it is shown,
            # and then once, for the values of that moment
            self._latest[recipe.name] = None  # stale: anything under way is dropped
            deferred = self.__dict__.setdefault("_deferred_recipes", set())
            if recipe.name not in deferred:
                deferred.add(recipe.name)
                self.schedule(lambda: (deferred.discard(recipe.name),
                                       self._run_background(recipe)))
            return None
        before = getattr(self, f"before_{recipe.name}", None)
        if before is not None:
            before()
        p = self.snapshot()

        def failed(exc):
            self._recipe_keys.pop(recipe.name, None)  # the next change tries again
            self.show_message(f"**Could not compute the {recipe.label or recipe.name}:** {exc}",
                              "danger")

        steps = recipe.steps(p) if recipe.steps is not None else None
        if recipe.steps is not None and steps is None:  # nothing slow for these values
            self._drop_background(recipe)
            self._bound(recipe, recipe.fn(p))
            return self.latest_future(recipe.name)
        if steps is not None:
            key = recipe.shared_key(p) if recipe.shared_key is not None else None
            known = recipe.shared.get(key) if recipe.shared is not None and key is not None \
                else None
            if recipe.meanwhile and known is None:
                self._bound(recipe, recipe.fn(p, None))
            future = self.run_latest(
                recipe.name, steps, cache=recipe.shared, key=key,
                on_done=lambda results: self._bound(recipe, recipe.fn(p, results)),
                on_error=failed, loading=self.panes.get(recipe.name))
        else:
            future = self.run_latest(recipe.name, lambda check: recipe.fn(p),
                                     on_done=lambda outputs: self._bound(recipe, outputs),
                                     on_error=failed, loading=self.panes.get(recipe.name))
        setattr(self, f"{recipe.name}_future", future)
        return future

    def _drop_background(self, recipe) -> None:
        """A request of ``recipe`` under way is stale (its values now need no background
        work): dropped, its spinner cleared; ``<recipe>_future`` is a finished Future."""
        self.drop_latest(recipe.name, self.panes.get(recipe.name))
        self.background.pop(recipe.name, None)
        setattr(self, f"{recipe.name}_future", self.latest_future(recipe.name))

    def _bound(self, recipe, outputs) -> None:
        self.bind(outputs)
        after = getattr(self, f"after_{recipe.name}", None)
        if after is not None:
            after()

    def bind(self, outputs: dict) -> None:
        """The one binder: assign each recipe output to its source in place (an empty source
        given empty columns is left alone: nothing is sent), show an optional overlay's
        legend entry while it has data, and show the output's notes."""
        for key, columns in outputs.items():
            if key == NOTES:
                if columns:
                    self.show_message(" ".join(columns))
                continue
            source = self.sources[key]
            empty = not any(len(v) for v in columns.values())
            if not (empty and not any(len(v) for v in source.data.values())):
                source.data = dict(columns)
            hidden = self.__dict__.get("_hidden_items", ())
            for item in self.optional_legend.get(key, ()):
                item.visible = not empty and item not in hidden

    # -- lecture mode and images ----------------------------------------------------------
    def clear_sources(self, *names: str) -> None:
        """Empty the named sources; one already empty is left alone (an assignment would
        still be sent to the page and redrawn)."""
        for name in names:
            source = self.sources[name]
            if any(len(column) for column in source.data.values()):
                source.data = {k: [] for k in source.data}

    def figures(self) -> list:
        """Every Bokeh figure of this explorer."""
        return [v for v in vars(self).values() if isinstance(v, figure)]

    def control_widgets(self) -> dict[str, pn.widgets.Widget]:
        """The widget of each parameter shown in the controls, by parameter name (those the
        declarative view built)."""
        return dict(self.__dict__.get("widgets", {}))

    def finish_build(self) -> None:
        """Called by each explorer once its plots and controls exist: tags the controls,
        lets inputs and selects follow the page's control font size, slims the figures."""
        self.tag_controls()
        self.snap_slider_values()
        self.fit_button_groups(self.lecture_mode)
        if "controls" not in self.controls.css_classes:
            self.controls.css_classes = [*self.controls.css_classes, "controls"]
        inputs = (pn.widgets.Select, pn.widgets.FloatInput, pn.widgets.IntInput,
                  pn.widgets.TextInput)
        for widget in self.controls.select(pn.widgets.Widget):
            if isinstance(widget, inputs):
                widget.stylesheets = [*widget.stylesheets, CONTROL_CSS]
            if isinstance(widget, pn.widgets.slider._SliderBase):
                widget.stylesheets = [*widget.stylesheets, SLIDER_CSS]
            if isinstance(widget, (pn.widgets.Checkbox, pn.widgets.Switch)):
                widget.stylesheets = [*widget.stylesheets, TOGGLE_LABEL_CSS]
            if isinstance(widget, (*inputs, pn.widgets.slider._SliderBase)):
                widget.sizing_mode = "stretch_width"  # as wide as the controls column
        for fig in self.figures():
            slim_figure(fig)
            plotstyle.theme_figure(fig, pn.config.theme)  # black glyphs visible when dark

    def snap_slider_values(self) -> None:
        """A slider's value from the browser carries float noise (its step added in binary:
        1.1500000000000001); it is taken as the link writes it (``url_number``), so that the
        page computes with exactly the value its link restores."""
        for name, widget in self.control_widgets().items():
            if not isinstance(widget, pn.widgets.slider._SliderBase) or name not in self.param:
                continue
            parameter = self.param[name]
            if not isinstance(parameter, param.Number | param.Range):
                continue
            original = widget._process_property_change

            def snapped(msg, original=original, parameter=parameter):
                msg = original(msg)
                for key in ("value", "value_throttled"):
                    if key in msg and msg[key] is not None:
                        msg[key] = url_number(parameter, msg[key])
                return msg

            widget._process_property_change = snapped

    def fit_button_groups(self, lecture: bool = False) -> None:
        """Stack the buttons of a radio-button group whose labels, side by side, would be wider
        than the controls column (or longer than ``LECTURE_MAX_BUTTON_LABELS`` characters in
        lecture mode); side by side again when they fit."""
        controls = getattr(self, "controls", None)
        if controls is None:
            return
        room = CONTROLS_WIDTH[lecture] - 2 * 10  # the widget's margins
        for widget in controls.select(pn.widgets.RadioButtonGroup):
            labels = [str(o) for o in widget.labels]
            wide = sum(plotstyle.text_width(label, BUTTON_FONT[lecture]) + BUTTON_PADDING
                       for label in labels) > room
            long = lecture and sum(len(label) for label in labels) > LECTURE_MAX_BUTTON_LABELS
            orientation = "vertical" if wide or long else "horizontal"
            if widget.orientation != orientation:
                widget.orientation = orientation

    def tag_controls(self) -> None:
        """Give each parameter's widget the CSS class ``param-<name>`` (tests, benchmarks
        and styles find a control by its parameter, not by its label)."""
        for name, widget in self.control_widgets().items():
            tag = f"param-{name.replace('_', '-')}"
            if tag not in widget.css_classes:
                widget.css_classes = [*widget.css_classes, tag]

    def plot_row(self, *items) -> pn.Row:
        """Plots side by side while each gets at least ``plotstyle.PLOT_BASIS`` pixels (more
        in lecture mode), else one under the other: a Row whose items wrap. A plot that is
        not a Column is put in one (a Column's visibility then hides its whole cell)."""
        cells = [item if isinstance(item, pn.Column) else
                 pn.Column(item, sizing_mode="stretch_width") for item in items]
        for cell in cells:
            cell.styles = {**cell.styles, "flex": self._plot_flex()}
        self.__dict__.setdefault("_plot_cells", []).extend(cells)
        return pn.Row(*cells, sizing_mode="stretch_width",
                      stylesheets=[":host { flex-wrap: wrap; }"])

    def _plot_flex(self) -> str:
        return f"1 1 {plotstyle.PLOT_BASIS[self.lecture_mode]}px"

    def explanation(self, text: str, title: str) -> pn.Card:
        """The collapsed "What this shows" card: ``text`` (Markdown with TeX) typeset by
        the MathJax that Bokeh serves (``dashboards.text``); built once."""
        if getattr(self, "_explanation", None) is None:
            self._explanation = explanation_card(text, title)
            self._explanation[1].stylesheets = [CARD_CSS[self.lecture_mode], MATH_CSS]
        return self._explanation[0]

    def set_lecture_mode(self, on: bool) -> None:
        """Large fonts, thick lines and big markers on every plot, plots one under the other
        unless the page is wide, larger controls and text, and the advanced controls hidden;
        off restores the normal look."""
        on = bool(on)
        self.lecture_mode = on
        originals = self.__dict__.setdefault("_normal_style", {})
        for fig in self.figures():
            style_figure(fig, on, originals)
        for cell in self.__dict__.get("_plot_cells", []):
            cell.styles = {**cell.styles, "flex": self._plot_flex()}
        controls = getattr(self, "controls", None)
        if controls is not None:
            widgets = self.control_widgets()
            for name in self.advanced_parameters:  # by parameter name, not by label
                if name in widgets:
                    widgets[name].visible = not on
            controls.width = CONTROLS_WIDTH[on]
            self.fit_button_groups(on)
        for pane in (controls, getattr(self, "summary", None), self.message):
            if pane is not None:
                pane.stylesheets = [LECTURE_CSS] if on else []
        if getattr(self, "_explanation", None) is not None:
            self._explanation[1].stylesheets = [CARD_CSS[on], MATH_CSS]
        sweep = getattr(self, "sweep", None)
        if sweep is not None:  # its buttons as large as the sidebar holds (as the time player)
            sweep.player.param.update(scale_buttons=1.35 if on else 1.0, width=340 if on else 280)

    # -- predict, then reveal -------------------------------------------------------------
    def is_answer(self, glyph: Glyph) -> bool:
        return (glyph.source in self.ANSWERS
                or f"{glyph.source}.{glyph.props.get('y')}" in self.ANSWERS)

    def answer_renderers(self) -> list:
        """The renderers that ``ANSWERS`` names, on every figure."""
        renderers = self.__dict__.get("_glyph_renderers", {})
        return [renderers[(spec.key, index)] for spec in self.FIGURES
                for index, glyph in enumerate(spec.glyphs)
                if self.is_answer(glyph) and (spec.key, index) in renderers]

    def set_answers_hidden(self, hidden: bool) -> None:
        """Hide (or show again) the answers: their renderers, their legend entries and the
        summary, so that students can predict where the transition is before they see it."""
        hidden = bool(hidden)
        self.answers_hidden = hidden
        answers = self.answer_renderers()
        hidden_items = []
        for fig in self.figures():
            for item in (fig.legend[0].items if fig.legend else ()):
                if any(r in answers for r in item.renderers):
                    hidden_items.append(item)
        self._hidden_items = hidden_items if hidden else []
        optional = {id(item): source for source, items in self.optional_legend.items()
                    for item in items}
        for renderer in answers:
            renderer.visible = not hidden
        for item in hidden_items:
            source = optional.get(id(item))
            shown = source is None or any(len(v) for v in self.sources[source].data.values())
            item.visible = shown and not hidden
        summary = getattr(self, "summary", None)
        if summary is not None:
            summary.visible = not hidden

    # -- messages ------------------------------------------------------------------------
    def show_message(self, text: str, kind: str = "warning") -> None:
        self.message.param.update(object=text, alert_type=kind, visible=True)

    def clear_message(self) -> None:
        # at every move: param.update reads every value of the pane first (a few ms)
        if self.message.visible or self.message.object:
            self.message.param.update(object="", visible=False)

    def guarded(self, fn):
        """Wrap a callback: an exception becomes a message in the page, never a crash."""

        @wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                log.exception("callback %s failed", getattr(fn, "__name__", fn))
                self.show_message(f"**Could not update the view:** {exc}", "danger")
                return None

        return wrapper

    # -- URL state -----------------------------------------------------------------------
    def sync_url(self, location=None) -> None:
        """Mirror ``url_parameters`` in the query string of ``location`` (the page's by
        default); bad values are clamped or refused, unparseable ones dropped first."""
        location = pn.state.location if location is None else location
        if not self.url_parameters or location is None:
            return
        from . import links

        dropped = sanitize_query(location, links.schema_of([type(self)]))
        mapping = {name: self.url_prefix + name for name in self.url_parameters}
        if self.PINNED:
            mapping["pins"] = self.url_prefix + "pins"
        linked = [name for name, key in mapping.items() if key in location.query_params]
        round_in_url(location, {key: self.param[name] for name, key in mapping.items()
                                if name != "pins"})
        with self.giving(linked):  # the link's values, all of them, whatever their order
            location.sync(self, mapping, on_error=self.apply_values)
        if dropped:  # with what apply_values said, if anything
            adjusted = self.message.object if self.message.visible else ""
            self.show_message(links.notes_text(dropped) + ("\n\n" + adjusted if adjusted else ""))

    def apply_values(self, values: dict) -> list[str]:
        """Apply values one by one, clamping numbers to their bounds and refusing the rest.

        Returns the notes shown to the user (also shown in the message area).
        """
        notes = []
        with self.giving(n for n in values if n in self.url_parameters):
            self._apply_values(values, notes)
        if notes:
            self.show_message("Some link parameters were adjusted: " + "; ".join(notes) + ".")
        return notes

    def _apply_values(self, values: dict, notes: list[str]) -> None:
        from .links import shown

        for name, value in values.items():
            if name not in self.param or name not in self.url_parameters:
                continue
            parameter = self.param[name]
            fixed = _coerce(parameter, value)
            given = f"`{self.url_prefix}{name}={shown(repr(value))}`"  # as in the link, safely
            if fixed is None:
                notes.append(f"{given} is not valid and was ignored")
                continue
            if fixed != value:
                notes.append(f"{given} is out of range; using `{shown(repr(fixed))}`")
            try:
                self.param.update(**{name: fixed})
            except Exception as exc:  # still refused (e.g. a constraint between parameters)
                notes.append(f"{given} was refused: {shown(str(exc), 80)}")

    # -- background work -----------------------------------------------------------------
    def schedule(self, callback) -> None:
        """Run ``callback`` on this session's event loop (directly when there is none), once
        the page has loaded."""
        doc = self._doc
        if doc is None or doc.session_context is None:
            callback()
            return
        with self._pending_lock:
            if not self._loaded.is_set():
                self._pending.append(callback)
                return
        doc.add_next_tick_callback(callback)

    def _on_page_loaded(self):
        with self._pending_lock:
            self._loaded.set()
            pending, self._pending = self._pending, []
        for callback in pending:
            self._doc.add_next_tick_callback(callback)

    def run_in_background(self, work, *, on_done, on_error=None, cancellable=True) -> Future:
        """Run ``work(check_cancel)`` on the shared executor, then ``on_done(result)`` here."""
        if cancellable:
            self._cancel.clear()

        def check_cancel():
            if self._closed.is_set() or (cancellable and self._cancel.is_set()):
                raise Cancelled

        def guarded_work(check):
            check()  # queued for a page that has since closed: do nothing
            return work(check)

        future = _EXECUTOR.submit(guarded_work, check_cancel)
        future.add_done_callback(lambda done: self._deliver(done, on_done, on_error))
        return future

    def run_latest(self, slot: str, work, *, on_done, on_error=None, loading=None,
                   cache: BoundedCache | None = None, key=None, simulation: bool = False,
                   on_progress=None) -> Future:
        """Background work of which only the latest request per ``slot`` matters (the curve
        for the parameters now on screen): a request overtaken while queued never starts, one
        overtaken while running is cancelled at its next check, and a result that arrives
        after a newer request is dropped, so the last value moved always wins.

        ``work`` is a list of ``processes.Step`` (run in the short-solve worker processes,
        where it cannot hold this process's GIL) or a callable ``work(check_cancel)`` (run on
        this process's threads, for work that is mostly a lookup in its caches).
        ``on_done(result)`` (the steps' list of results, or the callable's return value) and
        ``on_error(exception)`` run on the page's event loop; ``loading``, a layout, shows a
        spinner until the latest request has answered. The Future is kept in
        ``self.background[slot]``.

        With ``cache`` and ``key`` (None: nothing to share, e.g. an upload) results are shared
        by every page: a result already there is handed to ``on_done`` at once (an older
        request still running is then stale), and one that arrives is stored, even if its
        page has moved on.

        ``simulation``: the steps are a simulation, run like ``run_in_process`` (simulation
        workers, this page's quota, ``on_progress(fraction)``, the Cancel button), and a
        cancel of the latest request reaches ``on_error`` as ``Cancelled`` (to reset its
        panel). ``drop_latest(slot)`` makes the request under way stale."""
        if cache is not None and key is not None:
            known = cache.get(key)
            if known is not None:
                self._latest.pop(slot, None)
                self.background.pop(slot, None)
                if loading is not None:
                    loading.loading = False
                on_done(known)
                return self.latest_future(slot)
        token = object()
        self._latest[slot] = token

        def stale() -> bool:
            return self._closed.is_set() or self._latest.get(slot) is not token

        if loading is not None:
            loading.loading = True

        def settle():
            if loading is not None and self._latest.get(slot) is token:
                loading.loading = False

        def done(result):
            if cache is not None and key is not None:
                cache.put(key, result)
            if stale():
                return
            settle()
            on_done(result)

        def failed(exc):
            if stale():
                return
            settle()
            if isinstance(exc, Cancelled) and not simulation:
                return
            if on_error is not None:
                on_error(exc)
            else:
                self.show_message(f"**Background computation failed:** {exc}", "danger")

        if callable(work):
            def check_cancel():
                if stale():
                    raise Cancelled

            def run(check):
                check()  # overtaken while queued: never starts
                return work(check)

            future = _EXECUTOR.submit(run, check_cancel)
        elif simulation:
            future = self._submit_simulation(work, should_cancel=stale, on_progress=on_progress)
        else:
            future = processes.submit(work, should_cancel=stale, kind="solve")
        self.background[slot] = future
        future.add_done_callback(lambda finished: self._deliver(finished, done, failed))
        return future

    def drop_latest(self, slot: str, loading=None) -> bool:
        """The request of ``slot`` under way is no longer wanted (e.g. its parameters
        changed): it is cancelled at its next check and its result dropped; ``loading`` is
        cleared. True if one was under way."""
        future = self.background.get(slot)
        under_way = self._latest.pop(slot, None) is not None and future is not None and \
            not future.done()
        if loading is not None:
            loading.loading = False
        return under_way

    def latest_future(self, slot: str) -> Future:
        """The Future of the latest ``run_latest`` request of ``slot`` (a finished one with
        result None when there was none: the view then came from a cache)."""
        future = self.background.get(slot)
        if future is None:
            future = Future()
            future.set_result(None)
        return future

    def run_in_process(self, steps, *, on_done, on_error=None, on_progress=None) -> Future:
        """Run a simulation (``processes.Step`` s) in a worker process, then
        ``on_done(results)`` here; ``on_progress(fraction)`` follows it, cancel stops it.

        At most ``SIMULATIONS_PER_EXPLORER`` of this page's runs are queued or running at
        once: one more is refused at once (``TooManySimulations``, to ``on_error``), so that
        one page cannot fill the server's queue (``processes.SLOTS``), which every page
        shares. A run still counts while a cancel is on its way to it."""
        future = self._submit_simulation(steps, on_progress=on_progress)
        future.add_done_callback(lambda done: self._deliver(done, on_done, on_error))
        return future

    def _submit_simulation(self, steps, *, should_cancel=lambda: False,
                           on_progress=None) -> Future:
        """``steps`` to the simulation workers within this page's quota (see
        ``run_in_process``); also stopped by the page's Cancel and by ``should_cancel()``."""
        cancel = threading.Event()  # this run's own: a cancel reaches the runs under way only
        wanted_cancel = should_cancel

        def should_cancel():
            return self._closed.is_set() or cancel.is_set() or wanted_cancel()

        with self._runs_lock:
            if len(self._runs) >= SIMULATIONS_PER_EXPLORER:
                future = Future()
                future.set_exception(TooManySimulations(
                    f"{len(self._runs)} simulations of this page are already running or "
                    "waiting here; wait for one to finish, or cancel it, and run again."))
                log.info("refused a simulation: %d of this page's are under way",
                         len(self._runs))
            else:
                future = processes.submit(steps, on_progress=on_progress,
                                          should_cancel=should_cancel)
                self._runs[future] = cancel
        future.add_done_callback(self._run_finished)
        return future

    def _run_finished(self, future: Future) -> None:
        with self._runs_lock:
            self._runs.pop(future, None)

    def simulations_under_way(self) -> int:
        """This page's simulations queued or running now."""
        with self._runs_lock:
            return len(self._runs)

    def _deliver(self, future: Future, on_done, on_error) -> None:
        """Hand a finished background future to ``on_done`` or ``on_error`` on this page."""
        exc = future.exception()
        if exc is None:
            self.schedule(lambda: self.guarded(on_done)(future.result()))
        elif on_error is not None:
            self.schedule(lambda: on_error(exc))

    def cancel(self, *_):
        """Cancel this page's work under way: its simulations, and cancellable work on threads
        (work started later is not affected)."""
        self._cancel.set()
        with self._runs_lock:
            for cancel in self._runs.values():
                cancel.set()

    def close(self) -> None:
        """The page is gone: running work stops at its next check, queued work never runs,
        and nothing process-wide keeps the page alive."""
        self._closed.set()
        release_js_callbacks(*(v for v in vars(self).values()
                               if isinstance(v, pn.viewable.Viewable)))

    # -- presets -------------------------------------------------------------------------
    def apply_preset(self, name: str) -> Preset:
        """Set every control of the preset ``name`` (validated like any input)."""
        preset = next((p for p in self.presets if p.name == name), None)
        if preset is None:
            raise ValueError(f"unknown preset {name!r}")
        self.clear_message()
        if hasattr(self, "preset_values"):  # a parameter model: one batched update
            values = self.preset_values(name)
            with self.giving(values):
                self.param.update(**values)
        else:
            for key, value in preset.values.items():  # in order: e.g. a task before its options
                self.param.update(**{key: value})
        if hasattr(self, "preset_note"):
            explanation = (self.preset_explanation(preset)
                           if hasattr(self, "preset_explanation") else preset.explanation)
            self.preset_note.object = f"{explanation} *{preset.reference}.*"
        return preset

    @contextmanager
    def giving(self, names):
        """Updates made inside set the parameters ``names`` (a preset's, a link's): the
        model's corrections (``constrain``) leave all of them alone, also those whose value
        did not change, and so whatever order the values are applied in."""
        outer = self._given
        self._given = set(names) | (outer or set())
        try:
            yield
        finally:
            self._given = outer

    def preset_widget(self) -> pn.Column:
        """The classic results, one button each, and the note of the chosen one. The names
        wrap inside their buttons (a select cut them at the sidebar's width, and could not
        apply the chosen one again). ``preset_select.value = name`` applies one too."""
        self.preset_select = PresetChoice()
        self.preset_buttons = {}
        for preset in self.presets:
            button = pn.widgets.Button(label=preset.name, color=quiet_button_color(),
                                       sizing_mode="stretch_width", margin=(2, 10),
                                       stylesheets=[PRESET_BUTTON_CSS],
                                       css_classes=["preset-button"])
            button.on_click(lambda _event, name=preset.name: self.preset_select.param.update(
                value=name))
            self.preset_buttons[preset.name] = button
        self.preset_note = pn.pane.Markdown("", margin=(0, 10), sizing_mode="stretch_width",
                                            design=DESIGN)

        def chosen(event):
            if event.new is not None:
                self.guarded(self.apply_preset)(event.new)
                self.preset_select.value = None  # the same one can be chosen again

        self.preset_select.param.watch(chosen, ["value"])
        return pn.Column(pn.pane.Markdown("**Classic results**", margin=(5, 10, 0, 10)),
                         *self.preset_buttons.values(), self.preset_note,
                         sizing_mode="stretch_width", css_classes=["preset-list"])

    # -- export --------------------------------------------------------------------------
    def exported_sources(self) -> dict:
        """Every data source of the page by its exported name: its public name, or for an
        unnamed one (threshold lines, bands, maxima drawn from their own source)
        ``<explorer>-<key>``."""
        slug = self.url_prefix.strip("_") or "spiked"
        return {source.name or f"{slug}-{key.replace('_', '-')}": source
                for key, source in getattr(self, "sources", {}).items()}

    def plotted_tables(self) -> dict[str, tuple[list[str], list[list]]]:
        """Every plotted data source with data (thresholds and bands included), as (header,
        rows); multi-line sources (columns xs / ys) in long form, one row per point with the
        line's index."""
        tables = {}
        for name, source in self.exported_sources().items():
            data = source.data
            if not data or not len(next(iter(data.values()))):
                continue
            if "xs" in data and "ys" in data:
                scalars = [k for k in data if k not in ("xs", "ys")]
                header = ["line", *scalars, "x", "y"]
                rows = []
                for i, (xs, ys) in enumerate(zip(data["xs"], data["ys"], strict=True)):
                    extra = [data[k][i] for k in scalars]
                    rows += [[i, *extra, x, y] for x, y in zip(xs, ys, strict=True)]
            else:
                header = [k for k, v in data.items() if np.ndim(v[0]) == 0]
                if not header:
                    continue  # images and other non-tabular columns
                rows = [list(r) for r in zip(*(data[k] for k in header), strict=True)]
            tables[name] = (header, rows)
        pinned = getattr(self, "pinned", None)
        if pinned is not None:
            tables.update(pinned.tables())
        return tables

    def export_zip(self) -> io.BytesIO:
        """A zip archive with one CSV per plotted data source (what the page shows now)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, (header, rows) in self.plotted_tables().items():
                text = io.StringIO()
                writer = csv.writer(text)
                writer.writerow(header)
                writer.writerows([[_csv_value(v) for v in row] for row in rows])
                archive.writestr(f"{name}.csv", text.getvalue())
        buffer.seek(0)
        return buffer

    def pins_widget(self) -> pn.Column:
        """"Pin these curves" and the list of pins (``PINNED``)."""
        from .pins import Pins

        self.pinned = Pins(self)
        return self.pinned.layout()

    def sweep_widget(self) -> pn.Column:
        """The "Animate a parameter" controls (``ANIMATED``)."""
        from .sweep import SweepAnimation

        self.sweep = SweepAnimation(self, self.ANIMATED)
        return self.sweep.layout()

    def export_widget(self) -> pn.Column:
        """Downloads of the plotted data (CSV) and of a Python script reproducing it, a
        button copying that script (it says "Copied ✓" when the clipboard has it), and the
        script itself, highlighted, in a collapsed card.

        The script is built only when someone asks for it (the card opened, a copy or a
        download): rebuilding and sending it on every slider move cost each move its time.
        While the card is closed a parameter change empties it, so that a stale script is
        never shown or copied. ``script_area`` (hidden) holds its text for the clipboard."""
        slug = self.url_prefix.strip("_") or "spiked"
        self.script_area = pn.widgets.TextAreaInput(
            value="", label="Python script for the current view", disabled=True,
            visible=False, css_classes=["python-script-text"])
        self.script_view = pn.pane.HTML("", sizing_mode="stretch_width", margin=0,
                                        css_classes=["python-script"],
                                        stylesheets=[SCRIPT_CSS], design=DESIGN)
        copy = pn.widgets.Button(label="Copy as Python", color=quiet_button_color(),
                                 sizing_mode="stretch_width", css_classes=["copy-python"])
        # the clipboard API needs a secure context (localhost or https); elsewhere the button
        # opens the card below, to copy the script by hand. An empty area is filled by the
        # server first (the click's Python side), and copied when it arrives (within the
        # click's grace).
        args = {"area": self.script_area, "button": copy, "card": None}
        self.script_card = pn.Card(self.script_view, self.script_area, title="Python script",
                                   collapsed=True, sizing_mode="stretch_width",
                                   stylesheets=[SCRIPT_CARD_CSS])
        args["card"] = self.script_card
        copy.js_on_click(args=args, code=COPY_JS + (
            "if (area.value) { copy(area.value) } else { window.__lp_copy_pending = Date.now() }"))
        self.script_area.jscallback(args=args, value=COPY_JS + (
            "const t = window.__lp_copy_pending;"
            "if (t && Date.now() - t < 4000 && cb_obj.value) {"
            "  window.__lp_copy_pending = null; copy(cb_obj.value) }"))
        copy.on_click(lambda *_: self.guarded(self._refresh_script)())
        self.script_card.param.watch(lambda *_: self._on_script_wanted(), ["collapsed"])
        self.param.watch(lambda *_: self._on_script_wanted(),
                         [n for n in self.url_parameters
                          if n not in getattr(self, "view_parameters", ())])
        self.paper_button = pn.widgets.Button(
            label="Make a paper figure (PDF)", color=quiet_button_color(),
            sizing_mode="stretch_width", description="The plots as a PDF for a paper: serif "
            "type, two-column width, drawn by HoloViews' matplotlib backend")
        self.paper_download = pn.widgets.FileDownload(
            filename=f"{slug}-figure.pdf", label="Download the paper figure (PDF)",
            visible=False, color="primary", sizing_mode="stretch_width")
        self.paper_button.on_click(lambda *_: self.guarded(self.make_paper_figure)())
        return pn.Column(
            pn.widgets.FileDownload(callback=self.export_zip, filename=f"{slug}-curves.zip",
                                    label="Download the plotted data (CSV)",
                                    color=quiet_button_color(), sizing_mode="stretch_width"),
            pn.widgets.FileDownload(callback=lambda: io.BytesIO(self.python_script().encode()),
                                    filename=f"{slug}-view.py", color=quiet_button_color(),
                                    label="Download as a Python script",
                                    sizing_mode="stretch_width"),
            pn.widgets.FileDownload(
                callback=lambda: io.BytesIO(notebook_bytes(self)), filename=f"{slug}-view.ipynb",
                color=quiet_button_color(), label="Download as a notebook",
                sizing_mode="stretch_width", description="A Jupyter notebook that rebuilds "
                "this view's data with the theory API and draws it with HoloViews"),
            copy,
            self.script_card,
            self.paper_button,
            self.paper_download,
            sizing_mode="stretch_width")

    def make_paper_figure(self) -> Future:
        """The page's figures as a paper PDF, drawn in a short-solve worker process (a
        second or more of matplotlib); the download button appears when it is ready."""
        from . import paper

        self.paper_download.visible = False
        self.paper_button.param.update(disabled=True, label="Drawing the paper figure…")
        steps = [processes.Step(paper.figure_bytes, dict(
            figures=paper.plain_figures(self.script_figures()), data=self.figure_data()))]

        def done(results):
            pdf = results[0]
            self.paper_download.param.update(
                file=io.BytesIO(pdf), visible=True,
                label=f"Download the paper figure (PDF, {len(pdf) // 1024} kB)")
            self.paper_button.param.update(disabled=False, label="Make a paper figure (PDF)")

        def failed(exc):
            self.paper_button.param.update(disabled=False, label="Make a paper figure (PDF)")
            self.show_message(f"**Could not draw the paper figure:** {exc}", "danger")

        return self.run_latest("paper", steps, on_done=done, on_error=failed)

    def link_query(self) -> str:
        """The query under which the page's link holds the parameters that differ from their
        defaults (as the page writes it: numbers without float noise, others as JSON)."""
        import json
        from urllib.parse import urlencode

        pairs = []
        for name in self.url_parameters:
            parameter, value = self.param[name], getattr(self, name)
            if value == parameter.default:
                continue
            value = url_number(parameter, value)
            pairs.append((self.url_prefix + name,
                          value if isinstance(value, str) else json.dumps(value)))
        return "?" + urlencode(pairs) if pairs else ""

    def notebook(self):
        """The current view as a Jupyter notebook (``dashboards.notebook``): the exported
        script's data, every curve the figures draw, the figures with HoloViews and a paper
        figure; it runs top to bottom in the project's environment."""
        import sys

        from . import notebook, paper

        slug = self.url_prefix.strip("_") or "spiked"
        return notebook.build(
            self.python_script(), paper.plain_figures(self.script_figures()),
            title=f"{self.title}: the current view", link=self.link_query(), slug=slug,
            explanation=getattr(sys.modules[type(self).__module__], "EXPLANATION", ""))

    def _on_script_wanted(self):
        if self.script_card.collapsed:
            if self.script_area.value:
                self.script_area.value = ""  # stale now; rebuilt when asked for
                self.script_view.object = ""
        else:
            self._refresh_script()

    def python_script(self) -> str:
        """A standalone script that calls the public ``theory`` API with the current
        parameters and rebuilds the main plotted data as ``data = {source name: {column:
        array}}``; each explorer writes its own."""
        raise NotImplementedError(f"{type(self).__name__} has no Python script")

    def _refresh_script(self):
        try:
            text = self.python_script()
        except Exception as exc:
            logging.getLogger(__name__).exception("python script")
            text = f"# no script for this view: {exc}"
        self.script_area.value = text
        if not self.script_card.collapsed:  # shown: highlighted (sent only when open)
            self.script_view.object = highlighted_python(text, pn.config.theme == "dark")


def notebook_bytes(explorer: Explorer) -> bytes:
    from . import notebook

    return notebook.to_bytes(explorer.notebook())


def round_in_url(location, parameters: dict[str, param.Parameter]) -> None:
    """Round the numbers that ``location`` writes under the query keys of ``parameters``
    (``url_number``): Panel writes a synced parameter's value as JSON, noise included.
    The location's ``update_query``, through which every write goes, is wrapped once."""
    import json

    rounding = location.__dict__.get("_lp_url_parameters")
    if rounding is None:
        rounding = location.__dict__["_lp_url_parameters"] = {}
        update_query = location.update_query

        def rounded_update_query(**query):
            for key, text in query.items():
                parameter = rounding.get(key)
                if parameter is None or not isinstance(text, str):
                    continue
                try:
                    value = json.loads(text)
                except ValueError:
                    continue
                if isinstance(value, float | list):  # numbers and ranges
                    query[key] = json.dumps(url_number(parameter, value))
            return update_query(**query)

        location.update_query = rounded_update_query
    rounding.update(parameters)


#: the script's code block: monospace, scrolled rather than wrapped, as tall as a screen
SCRIPT_CSS = """
:host { max-width: 100%; min-width: 0; overflow: hidden; }
:host > div, .highlight { max-width: 100%; overflow: hidden; }
.highlight, pre.plain { margin: 0; border-radius: 4px; }
pre { box-sizing: border-box; width: 100%; max-width: 100%;
      font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
      font-size: 12px; line-height: 1.45; white-space: pre; overflow: auto; max-height: 60vh;
      margin: 0; padding: 8px; tab-size: 4; }
"""
#: the card stays as wide as the sidebar: its code block scrolls, it does not widen the card
SCRIPT_CARD_CSS = ":host { min-width: 0; max-width: 100%; } .card-body { min-width: 0; }"
#: copies ``text`` to the clipboard and says so on the button for two seconds; without a
#: clipboard (a page served over plain http), opens the card with the script instead
COPY_JS = """
const copy = (text) => {
  const say = (label) => {
    button.label = label;
    setTimeout(() => { button.label = "Copy as Python" }, 2000);
  };
  const by_hand = () => { card.collapsed = false; say("Copy it from below ↓") };
  if (navigator.clipboard == null) { by_hand(); return }
  navigator.clipboard.writeText(text).then(() => say("Copied ✓"), by_hand);
};
"""


def release_js_callbacks(*roots) -> None:
    """Forget the JS callbacks of ``roots`` and everything in them.

    Panel keeps every ``jscallback``, ``js_on_click`` and ``jslink`` in a registry keyed
    weakly by its widget, with the callback's arguments held strongly. Where the arguments
    lead back to the widget (the copy button's, through this explorer; Panel's own editable
    sliders, whose text inputs and slider name each other), the entry kept the widget, its
    explorer and its page's document alive after the page closed: about 10 000 objects per
    page opened, which every full garbage collection then scanned."""
    from panel.links import Callback

    for root in roots:
        for obj in root.select():
            Callback.registry.pop(obj, None)


def highlighted_python(text: str, dark: bool = False) -> str:
    """``text`` as an HTML code block: highlighted by Pygments (inline styles, nothing to
    fetch) when it is installed, else plain monospace; always escaped."""
    import html

    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return f'<pre class="plain">{html.escape(text)}</pre>'
    formatter = HtmlFormatter(noclasses=True, style="github-dark" if dark else "default")
    return highlight(text, PythonLexer(), formatter)


def _csv_value(v):
    """Numbers in full precision (repr round-trips); NaN or infinite as an empty cell."""
    if isinstance(v, (float, np.floating)):
        return "" if not np.isfinite(v) else repr(float(v))
    if isinstance(v, np.integer):
        return int(v)
    return v


def _coerce(parameter: param.Parameter, value):
    """A valid value for ``parameter`` close to ``value``, or None when there is none."""
    if isinstance(parameter, param.Selector):
        options = parameter.objects
        values = list(options.values()) if isinstance(options, dict) else list(options)
        return value if value in values else None
    if isinstance(value, bool) and not isinstance(parameter, param.Boolean):
        return None  # True is a number to Python and param, not to Bokeh's widgets
    if isinstance(parameter, param.Range):
        if any(isinstance(v, bool) for v in (value if isinstance(value, list | tuple) else ())):
            return None
        try:
            lo, hi = (float(v) for v in value)
        except (TypeError, ValueError, OverflowError):
            return None
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return None
        lo, hi = sorted((lo, hi))
        bounds = parameter.bounds or (None, None)
        lo, hi = _clamp(lo, bounds), _clamp(hi, bounds)
        return (lo, hi) if lo < hi else None
    if isinstance(parameter, param.Number):
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):  # e.g. a 400-digit integer
            return None
        if not math.isfinite(number):
            return None
        number = _clamp(number, parameter.bounds or (None, None))
        return round(number) if isinstance(parameter, param.Integer) else number
    if isinstance(parameter, param.Boolean):
        return value if isinstance(value, bool) else None
    return value


def _clamp(x, bounds):
    lo, hi = bounds
    if lo is not None:
        x = max(x, lo)
    if hi is not None:
        x = min(x, hi)
    return x


class GuardedButton(pn.widgets.Button):
    """A button whose ``on_click`` callbacks do nothing while it is disabled, whoever clicks:
    a page's click event (also refused by every button, see ``_ignoring_disabled_clicks``)
    or Python code that bumps ``clicks``."""

    def on_click(self, callback):
        @wraps(callback)
        def unless_disabled(event):
            if self.disabled:
                log.info("ignored a click on the disabled button %r", self.label)
                return None
            return callback(event)

        return super().on_click(unless_disabled)


class SimulationPanel:
    """Run / Cancel buttons, a progress bar and a status line for background simulations."""

    def __init__(self, explorer: Explorer, label: str):
        self.explorer = explorer
        self.run_button = GuardedButton(label=label, color="primary")
        self.cancel_button = GuardedButton(label="Cancel", disabled=True)
        self.progress = pn.indicators.Progress(label="Simulation progress", value=0, max=100,
                                               visible=False,
                                               sizing_mode="stretch_width")
        self.status = pn.pane.Markdown("", margin=(0, 10), design=DESIGN)
        self.cancel_button.on_click(explorer.cancel)

    def start(self, text: str) -> None:
        self.run_button.disabled = True
        self.cancel_button.disabled = False
        self.progress.param.update(value=0, visible=True)
        self.status.object = text

    def finish(self, text: str = "") -> None:
        self.run_button.disabled = False
        self.cancel_button.disabled = True
        self.progress.visible = False
        self.status.object = text

    def show_progress(self, fraction: float) -> None:
        """Progress of a run in a worker process (0 to 1), from any thread."""
        value = int(100 * min(max(fraction, 0.0), 1.0))
        self.explorer.schedule(lambda: setattr(self.progress, "value", value))

    def failed(self, exc: BaseException) -> None:
        if isinstance(exc, TooManySimulations):  # the runs under way keep the buttons
            self.explorer.show_message(f"**Not started:** {exc}", "warning")
        elif isinstance(exc, Cancelled):
            self.finish("Simulation cancelled.")
        else:
            self.finish("")
            self.explorer.show_message(f"**Simulation failed:** {exc}", "danger")

    def layout(self, *widgets):
        buttons = pn.Row(self.run_button, self.cancel_button, sizing_mode="stretch_width",
                         stylesheets=[":host { flex-wrap: wrap; }"])  # Cancel wraps if need be
        return pn.Column(*widgets, buttons, self.progress, self.status,
                         sizing_mode="stretch_width")


def add_bands_and_thresholds(fig, regions, thresholds):
    """Shaded bands (columns left/right/bottom/top/color/alpha/region) and dashed vertical
    threshold segments (x/y0/y1/color/threshold), both with legend entries from the data."""
    fig.quad(left="left", right="right", bottom="bottom", top="top", source=regions,
             fill_color="color", fill_alpha="alpha", line_alpha=0, legend_field="region")
    fig.segment(x0="x", x1="x", y0="y0", y1="y1", source=thresholds, color="color",
                line_width=2, line_dash="dashed", legend_field="threshold")


def add_error_bars(fig, x: str, source, *, color: str, label: str, marker="circle", size=7):
    """Mean markers with +-1 standard-error segments (columns mean/low/high); returns the
    marker renderer."""
    fig.segment(x0=x, x1=x, y0="low", y1="high", source=source, color=color, line_width=1.5)
    return fig.scatter(x, "mean", source=source, size=size, marker=marker, color=color,
                       legend_label=label)


def legend_items(fig, renderers: dict) -> dict:
    """The legend entry of each renderer, by key (to show or relabel it later)."""
    items = fig.legend[0].items
    return {key: next(i for i in items if r in i.renderers) for key, r in renderers.items()}


def landscape_figure(sources, *, x: str, y: str, title: str, x_label: str, y_label: str,
                     curve_label: str):
    """The free-entropy landscape: the curve, its global (filled) and metastable (hollow)
    maxima, from ``sources['landscape' | 'global_max' | 'local_max']``; the subtitle says
    where it is taken."""
    fig = make_figure(title=title, x_label=x_label, y_label=y_label, height=330, subtitle="")
    fig.line(x, y, source=sources["landscape"], color=PALETTE["blue"], line_width=2.5,
             legend_label=curve_label)
    fig.scatter(x, y, source=sources["global_max"], size=12, color=PALETTE["vermillion"],
                legend_label="global maximum")
    fig.scatter(x, y, source=sources["local_max"], size=12, fill_color="white",
                line_color=PALETTE["vermillion"], line_width=2, legend_label="metastable maximum")
    legend_below(fig)
    return fig
