"""Presentation view: one explorer's main plot on the whole screen, with large type, keys and
guided steps.

``?present=true`` (or the header's "Present" button) hides the page's header, tabs,
controls and every other plot of the active explorer; its ``PRESENTED`` figure fills the
window's height in lecture-size type, under a bar with the step's title and caption.
Keys (``PRESENT_KEYS_JS`` sends them to the server, which does every move as a control
would): ← → (and ↑ ↓) step the animated parameter through its sweep's frames, Space plays
or pauses the sweep, 1-9 go to a guided step, PageDown/PageUp (a presenter's clicker) or
N/P to the next or previous one, F full screen, Esc leaves. A guided step (``GuidedStep``) is a
preset with a caption and on-plot labels (``Callout``) placed at the x of a threshold, a
band or a point that the page draws, so they follow the data they name. The step is in the
link (``?step=2``); a link opens at that step's caption and labels with the link's values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import numpy as np
import panel as pn

from . import plotstyle
from .sweep import nearest_frame


@dataclass(frozen=True)
class Callout:
    """A label on the presented plot at ``x``: a number, a function of the explorer, or the
    row of ``source`` whose label starts with ``label`` (a threshold line's ``x``, or the
    middle of a band's ``left``/``right``; the first row when ``label`` is None)."""

    text: str
    x: float | Callable | None = None
    source: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class GuidedStep:
    """A guided step: the preset it applies, its caption (one or two plain sentences) and
    its labels on the plot."""

    preset: str
    caption: str
    callouts: tuple[Callout, ...] = ()


#: keys the server acts on (what the browser sends; anything else is ignored)
KEYS = {"ArrowRight": 1, "ArrowUp": 1, "ArrowLeft": -1, "ArrowDown": -1}
NEXT_KEYS = ("PageDown", "n", "N")
PREVIOUS_KEYS = ("PageUp", "p", "P")
#: the page's margins beside and below the plot (px): it gets the rest of the window
PAGE_MARGINS = 60
BOTTOM_MARGIN = 14
MIN_PLOT_HEIGHT = 280
#: the window's width and the height below the bar, as the browser measures them: assumed
#: (a projector's 1280x720 under a two-line caption) until it has, and the sizes accepted
DEFAULT_WINDOW = (1280, 460)
MIN_WINDOW, MAX_WINDOW = (640, MIN_PLOT_HEIGHT), (7680, 4320)
#: labels on the plot: font, and rows from the plot's bottom edge (px) so they never overlap
CALLOUT_FONT = "20px"
CALLOUT_ROW = 44
CALLOUT_BOTTOM = 12

#: a step's caption while the answers are hidden ("Predict, then reveal")
PREDICT_CAPTION = "Predict first: where does it happen, and why? (R reveals the answer.)"

#: the page while presenting: no header, no tab strip, no width cap
PRESENT_PAGE_CSS = """
html.present-mode #header { display: none !important; }
html.present-mode #main > div { max-width: none !important; }
html.present-mode .link-notice { display: none !important; }
"""
#: on the tabs' own stylesheet (their strip is in a shadow root)
PRESENT_TABS_CSS = ":host-context(html.present-mode) .bk-headers-wrapper { display: none; }"
PRESENT_CLASS_JS = "document.documentElement.classList.toggle('present-mode', on)"

#: the browser side of the presentation keys.
#: Loaded with the page, before its plots are drawn, so that a key pressed at once is kept;
#: the page's document_ready runs this again as a fallback (it installs itself once).
#: Keys while presenting (not while typing) go to the server through the page's hidden
#: "present-keys" input, which holds the last KEPT messages, numbered
#: ("ArrowRight|7;size:1280x538|8"): the server acts on each number once. Messages sent
#: before the input exists wait for it. Held arrows are thinned to one every 120 ms; F is the
#: browser's own full screen. The window's width and the height left below the bar are sent
#: whenever either changes (a resize; a caption of another length).
PRESENT_KEYS_JS = """
if (!window.__lp_present_keys) {
  window.__lp_present_keys = true;
  window.__lp_present_keys_from = (window.Bokeh && Bokeh.documents && Bokeh.documents.length)
    ? 'document_ready' : 'page';
  const KEPT = 16;
  // a presentation link opens presenting (the class hides the header before it is drawn)
  if (new URLSearchParams(window.location.search).get('present')?.toLowerCase() === 'true')
    document.documentElement.classList.add('present-mode');
  let count = 0, last = 0, waiting = null;
  const kept = [];
  const input = () => {
    for (const doc of (window.Bokeh && Bokeh.documents) || [])
      for (const model of doc._all_models.values())
        if (model.css_classes && model.css_classes.includes('present-keys')) return model;
    return null;
  };
  const flush = () => {
    const model = input();
    if (model === null) {  // the page is not built yet: try again shortly
      if (waiting === null) waiting = setTimeout(() => { waiting = null; flush(); }, 100);
      return;
    }
    model.value = kept.join(';');
  };
  const send = (text) => {
    kept.push(text + '|' + (++count));
    if (kept.length > KEPT) kept.shift();
    flush();
  };
  const presenting = () => document.documentElement.classList.contains('present-mode');
  const known = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', ' ', 'PageUp',
                 'PageDown', 'Escape', 'Enter', 'n', 'N', 'p', 'P', '1', '2', '3', '4', '5',
                 '6', '7', '8', '9'];
  document.addEventListener('keydown', (event) => {
    if (!presenting() || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.composedPath()[0];
    if (target && (['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) ||
                   target.isContentEditable)) return;
    if (event.key === 'f' || event.key === 'F') {
      event.preventDefault();
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen().catch(() => {});
      return;
    }
    if (!known.includes(event.key)) return;
    event.preventDefault(); event.stopPropagation();
    const now = performance.now();
    if (event.repeat && now - last < 120) return;
    last = now;
    send(event.key === ' ' ? 'Space' : event.key);
  }, true);
  let bar = null, observer = null;
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList && el.classList.contains('present-bar')) return el;
      if (el.shadowRoot) { const found = find(el.shadowRoot); if (found) return found; }
    }
    return null;
  };
  const size = () => {
    if (!presenting() || !bar || !bar.isConnected) return;
    const below = innerHeight - bar.getBoundingClientRect().bottom;
    send('size:' + innerWidth + 'x' + Math.round(below));
  };
  window.addEventListener('resize', size);
  setInterval(() => {  // the bar is built, and replaced, by the server: watch the one shown
    if (!presenting() || (bar && bar.isConnected)) return;
    bar = find(document);
    if (observer) observer.disconnect();
    if (bar) { observer = new ResizeObserver(size); observer.observe(bar); }
  }, 300);
}
"""


@functools.lru_cache(maxsize=1)
def keys_script_url() -> str:
    """``PRESENT_KEYS_JS`` as a ``data:`` URL for the template's scripts (``js_files``): it
    runs as the page loads, with nothing fetched. Panel prefixes a URL without "//" with
    the page's path; the script's closing comment keeps one in it."""
    return "data:text/javascript;charset=utf-8," + quote(PRESENT_KEYS_JS + "\n//", safe="/")


#: the browser's last messages that the keys' input holds (the script's ``KEPT``), and the
#: most text read from it
KEYS_KEPT = int(re.search(r"const KEPT = (\d+);", PRESENT_KEYS_JS)[1])
KEYS_TEXT_MAX = KEYS_KEPT * 40


def window_size(text) -> tuple[int, int]:
    """"<width>x<height>" from the browser: the window's width and the height left below
    the bar (any text a client sends: clamped; what cannot be read is ``DEFAULT_WINDOW``)."""
    try:
        width, height = (int(float(v)) for v in str(text).split("x"))
    except (TypeError, ValueError, OverflowError):
        width, height = DEFAULT_WINDOW
    return (int(np.clip(width, MIN_WINDOW[0], MAX_WINDOW[0])),
            int(np.clip(height, MIN_WINDOW[1], MAX_WINDOW[1])))


def plot_size(window: tuple[int, int]) -> tuple[int, int]:
    """The presented figure's (width, height) in a window of that size."""
    return window[0] - PAGE_MARGINS, max(window[1] - BOTTOM_MARGIN, MIN_PLOT_HEIGHT)


def steps_of(explorer) -> tuple[GuidedStep, ...]:
    """The explorer's guided steps: its ``STEPS``, or else one per preset (its explanation
    as the caption)."""
    steps = getattr(explorer, "STEPS", ())
    if steps:
        return tuple(steps)
    return tuple(GuidedStep(p.name, p.explanation) for p in getattr(explorer, "presets", ()))


def _label_column(data: dict) -> list:
    for name, column in data.items():
        if name not in ("color",) and len(column) and isinstance(column[0], str):
            return list(column)
    return []


def presented_key(explorer) -> str:
    """The key of the figure the presentation shows: ``PRESENTED``, else the first."""
    return getattr(explorer, "PRESENTED", None) or explorer.FIGURES[0].key


def _drawn(callout: Callout, explorer, row: int, axis: str) -> float | None:
    """The ``axis`` ("x" or "y") of row ``row`` of the callout's source, as the presented
    figure draws it (None: no glyph of it there, or no finite value)."""
    key = presented_key(explorer)
    spec = next((f for f in explorer.FIGURES if f.key == key), None)
    glyph = next((g for g in (spec.glyphs if spec else ()) if g.source == callout.source
                  and isinstance(g.props.get(axis), str)), None)
    if glyph is None:
        return None
    try:
        value = float(explorer.sources[callout.source].data[glyph.props[axis]][row])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def callout_place(callout: Callout, explorer) -> tuple[float, float | None] | None:
    """Where ``callout`` goes now: (x, y) at a point the figure draws, (x, None) for a
    threshold, a band or a given x (then in a row along the plot's bottom), None when what
    it names is not drawn."""
    x = callout_x(callout, explorer)
    if x is None or callout.source is None or callout.label is not None:
        return None if x is None else (x, None)
    data = explorer.sources[callout.source].data
    if _label_column(data) or "left" in data or "x" in data:
        return x, None
    return x, _drawn(callout, explorer, 0, "y")


def callout_x(callout: Callout, explorer) -> float | None:
    """Where ``callout`` goes on the x axis now (None: what it names is not drawn)."""
    if callable(callout.x):
        value = callout.x(explorer)
    elif callout.x is not None:
        value = callout.x
    else:
        data = explorer.sources[callout.source].data
        labels = _label_column(data)
        rows = [i for i, text in enumerate(labels)
                if callout.label is None or str(text).startswith(callout.label)]
        if not rows and callout.label is None and len(next(iter(data.values()), [])):
            rows = [0]
        if not rows:
            return None
        row = rows[0]
        if "left" in data and "right" in data:
            left, right = float(data["left"][row]), float(data["right"][row])
            figure = getattr(explorer, f"fig_{presented_key(explorer)}")
            log = type(figure.x_scale).__name__ == "LogScale" and left > 0 and right > 0
            value = np.sqrt(left * right) if log else (left + right) / 2
        else:
            value = data["x"][row] if "x" in data else _drawn(callout, explorer, row, "x")
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def callout_data(callouts, explorer) -> tuple[dict, dict]:
    """The labels' sources: those in rows along the plot's bottom (x, the row's height above
    it in screen px, text; one row each, so they never overlap) and those at a point
    (x, y in data units, text; drawn just above it)."""
    placed = [(where, c.text) for c in callouts
              if (where := callout_place(c, explorer)) is not None]
    rows = [(x, text) for (x, y), text in placed if y is None]
    points = [(x, y, text) for (x, y), text in placed if y is not None]
    return ({"x": [x for x, _ in rows],
             "y": [CALLOUT_BOTTOM + CALLOUT_ROW * i for i in range(len(rows))],
             "text": [text for _, text in rows]},
            {"x": [p[0] for p in points], "y": [p[1] for p in points],
             "text": [p[2] for p in points]})


def _plain(text: str) -> str:
    """A caption as Markdown that shows it as written (no emphasis or HTML from it)."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


class Stage:
    """An explorer while it is presented: everything but its ``PRESENTED`` plot (and its
    messages) hidden, the plot as high as the window allows in lecture-size type, the step's
    labels on it. ``leave`` puts everything back as it was."""

    def __init__(self, explorer, root, window=DEFAULT_WINDOW):
        self.explorer = explorer
        key = presented_key(explorer)
        self.figure = getattr(explorer, f"fig_{key}")
        self.pane = getattr(explorer, f"{key}_pane")
        self.hidden: list = []
        self._isolate(root, self.pane, keep=(explorer.message,))
        plotstyle.layout_of(self.figure).presented = plot_size(window)
        if not explorer.lecture_mode:
            plotstyle.style_figure(self.figure, True, explorer.__dict__.setdefault(
                "_normal_style", {}))
        else:
            plotstyle.fit_legend(self.figure)
        labels = explorer.__dict__.get("_callout_labels")
        if labels is None or labels[0] is not self.figure:
            labels = explorer._callout_labels = (self.figure, *self._label_sets(self.figure))
        self.label_sets, self.source, self.point_source = labels[1:]
        for label_set in self.label_sets:
            label_set.visible = True
        self.callouts: tuple[Callout, ...] = ()
        self._watched: list = []

    @staticmethod
    def _label_sets(figure):
        """Two label sets on ``figure`` (rows along its bottom; labels just above a point),
        and their sources."""
        from bokeh.models import ColumnDataSource, LabelSet

        dark = pn.config.theme == "dark"
        style = dict(text_font_size=CALLOUT_FONT, text_align="center", text_font_style="bold",
                     text_color="#f0f0f0" if dark else "#1a1a1a",
                     background_fill_color="#2b2b2b" if dark else "white",
                     background_fill_alpha=0.88, border_line_color="#888888",
                     border_line_alpha=0.8)
        rows = ColumnDataSource({"x": [], "y": [], "text": []})
        points = ColumnDataSource({"x": [], "y": [], "text": []})
        in_rows = LabelSet(x="x", y="y", y_units="screen", text="text", source=rows,
                           name="present-callouts", **style)
        at_points = LabelSet(x="x", y="y", text="text", source=points, y_offset=16,
                             text_baseline="bottom", name="present-point-callouts", **style)
        figure.add_layout(in_rows)
        figure.add_layout(at_points)
        return (in_rows, at_points), rows, points

    def _isolate(self, node, target, keep) -> bool:
        """Hide every item of ``node``'s layout that neither holds ``target`` nor is in
        ``keep``; True when ``node`` holds it."""
        if node is target:
            return True
        objects = getattr(node, "objects", None)
        if not isinstance(objects, list):
            return False
        holders = [self._isolate(child, target, keep) for child in objects]
        if not any(holders):
            return False
        for child, holds in zip(objects, holders, strict=True):
            if not holds and child not in keep and child.visible:
                self.hidden.append(child)
                child.visible = False
        if isinstance(node, pn.Tabs):
            node.active = holders.index(True)
        return True

    def resize(self, window: tuple[int, int]) -> None:
        plotstyle.layout_of(self.figure).presented = plot_size(window)
        plotstyle.fit_legend(self.figure)

    def show(self, callouts, hidden: bool) -> None:
        """Draw ``callouts`` (hidden while the answers are); they follow the sources they
        name."""
        self.callouts = tuple(callouts)
        self._watch({c.source for c in self.callouts if c.source is not None})
        for label_set in self.label_sets:
            label_set.visible = not hidden
        self.refresh()

    def refresh(self, *_) -> None:
        for source, data in zip((self.source, self.point_source),
                                callout_data(self.callouts, self.explorer), strict=True):
            if data != {k: list(v) for k, v in source.data.items()}:
                source.data = data

    def _watch(self, names) -> None:
        for source in self._watched:
            source.remove_on_change("data", self._on_data)
        self._watched = [self.explorer.sources[n] for n in sorted(names)
                         if n in self.explorer.sources]
        for source in self._watched:
            source.on_change("data", self._on_data)

    def _on_data(self, _attr, _old, _new):
        self.explorer.guarded(self.refresh)()

    def leave(self) -> None:
        self._watch(())
        for label_set in self.label_sets:
            label_set.visible = False
        for source in (self.source, self.point_source):
            source.data = {"x": [], "y": [], "text": []}
        for item in self.hidden:
            item.visible = True
        self.hidden = []
        plotstyle.layout_of(self.figure).presented = None
        if not self.explorer.lecture_mode:
            plotstyle.style_figure(self.figure, False, self.explorer.__dict__.setdefault(
                "_normal_style", {}))
        else:
            plotstyle.fit_legend(self.figure)


class Presentation:
    """The page's presentation view: the header's "Present" button, the keys, the bar of
    the guided steps, and the ``Stage`` of the explorer shown (``settings.present`` and
    ``settings.step``, both in the link). ``tabs``: the page's ``LazyTabs``."""

    def __init__(self, settings, tabs):
        self.settings, self.tabs = settings, tabs
        self.window = DEFAULT_WINDOW
        self.stage: Stage | None = None
        self.bar: pn.Column | None = None
        self._slot: pn.Column | None = None
        self._explorer_watch = None
        self.keys = pn.widgets.TextInput(value="", visible=False, css_classes=["present-keys"])
        self._last_key = 0  # the number of the browser's last message acted on
        self.keys.param.watch(self._on_keys, ["value"])
        self.button = pn.widgets.Toggle.from_param(
            settings.param.present, label="Present ▶", width=110, color="light",
            css_classes=["present-button"])
        self.button.jscallback(value=(
            "const on = cb_obj.value; " + PRESENT_CLASS_JS + "; if (on) window.scrollTo(0, 0)"))
        settings.param.watch(self._on_present, ["present"])
        settings.param.watch(self._on_step, ["step"])
        settings.param.watch(self._on_answers, ["predict", "revealed"])
        tabs.tabs.param.watch(self._on_tab, ["active"])
        self._going = False  # a step chosen in the page (not a link's)
        # the keys of the page's link, as requested (the location soon holds every value)
        self._link_keys = {k.decode() if isinstance(k, bytes) else str(k)
                           for k in (pn.state.session_args or {})}
        if settings.present:
            self._on_present()

    # -- what the browser says ------------------------------------------------------------
    def _on_keys(self, event):
        """Act on each message of the input not acted on yet, in order (a size only when it
        is the latest one: the earlier ones are gone)."""
        fresh = {}
        for entry in str(event.new or "")[:KEYS_TEXT_MAX].split(";")[-KEYS_KEPT:]:
            text, _, number = entry.rpartition("|")
            try:
                number = int(number)
            except ValueError:
                continue
            if number > self._last_key:
                fresh.setdefault(number, text)  # a number twice (never from the page): once
        last_size = max((n for n, text in fresh.items() if text.startswith("size:")),
                        default=None)
        for number, text in sorted(fresh.items()):
            self._last_key = number
            if not text.startswith("size:") or number == last_size:
                self.key(text[:40])

    def key(self, key: str) -> None:
        """Act on a key from the browser (any string: unknown ones do nothing)."""
        if key.startswith("size:"):
            self.window = window_size(key[5:])
            if self.stage is not None:
                self.stage.resize(self.window)
            return
        if not self.settings.present:
            return
        if key in KEYS:
            self.move(KEYS[key])
        elif key == "Space":
            self.play()
        elif key == "Enter":
            self.run()
        elif key in NEXT_KEYS:
            self.go_to(self.settings.step + 1)
        elif key in PREVIOUS_KEYS:
            self.go_to(self.settings.step - 1)
        elif key == "Escape":
            self.settings.present = False
        elif len(key) == 1 and key in "123456789":
            self.go_to(int(key))

    # -- actions --------------------------------------------------------------------------
    @property
    def explorer(self):
        return None if self.stage is None else self.stage.explorer

    @property
    def steps(self) -> tuple[GuidedStep, ...]:
        return () if self.explorer is None else steps_of(self.explorer)

    def move(self, direction: int) -> None:
        """The animated parameter one frame of its sweep up (1) or down (-1)."""
        explorer = self.explorer
        sweep = getattr(explorer, "sweep", None)
        if sweep is None:
            return
        values = sweep.values()
        current = getattr(explorer, sweep.name)
        index = nearest_frame(values, current)
        try:
            if values[index] != current and (float(values[index]) - float(current)) * \
                    direction > 0:
                index -= direction  # between two frames: the next one is the nearer
        except (TypeError, ValueError):
            pass
        index = min(max(index + direction, 0), len(values) - 1)
        sweep.player.direction = 0
        explorer.guarded(setattr)(explorer, sweep.name, values[index])

    def play(self) -> None:
        """Play the sweep (from its start when at its end), or pause it."""
        sweep = getattr(self.explorer, "sweep", None)
        if sweep is None:
            return
        player = sweep.player
        if player.direction:
            player.direction = 0
            return
        if player.value >= player.end:
            player.value = player.start
        player.direction = 1

    def simulation(self):
        """The explorer's first simulation (``Simulation`` in its ``CONTROLS``), or None."""
        from .base import Simulation

        explorer = self.explorer
        spec = next((c for c in getattr(explorer, "CONTROLS", ()) if isinstance(c, Simulation)),
                    None)
        return None if spec is None else getattr(explorer, spec.key, None)

    def run(self) -> None:
        """Run the explorer's simulation, as its Run button does (not while one runs)."""
        panel = self.simulation()
        if panel is not None and not panel.run_button.disabled:
            panel.run_button.clicks += 1

    def go_to(self, number: int) -> None:
        """Guided step ``number`` (1-based; 0: the view as it is): its preset, caption and
        labels."""
        steps = self.steps
        number = min(max(int(number), 0), len(steps))
        if self.explorer is None:
            return
        if number:
            sweep = getattr(self.explorer, "sweep", None)
            if sweep is not None:
                sweep.player.direction = 0  # a playing sweep would undo the step's values
            self.explorer.guarded(self.explorer.apply_preset)(steps[number - 1].preset)
            if getattr(self.explorer, "PRESENT_RUNS", False):
                self.run()  # the presented plot shows the simulation of the step's values
        if self.settings.step != number:
            self._going = True
            try:
                self.settings.step = number
            finally:
                self._going = False
        else:
            self._show_step()

    # -- the page -------------------------------------------------------------------------
    def _on_present(self, *_):
        if self.settings.present:
            self.enter()
        else:
            self.leave()

    def _on_tab(self, *_):
        if self.settings.present:  # a link's tab, or a hand-edited one: present that one
            self.leave(keep_step=True)
            self.enter()

    def enter(self) -> None:
        titles = list(self.tabs.slots)
        active = self.tabs.tabs.active
        if not 0 <= active < len(titles):
            self.settings.present = False  # the About tab has nothing to present
            return
        if self.stage is not None:
            return
        explorer = self.tabs.build(titles[active])
        slot = self.tabs.slots[titles[active]]
        root = slot.objects[-1]
        if self.bar is None:
            self.bar = self._build_bar()
        self.stage = Stage(explorer, root, self.window)
        self._slot = slot
        slot.objects = [self.bar, root]
        self._explorer_watch = explorer.param.watch(
            self._on_parameter, list(getattr(explorer, "ANIMATED", ())))
        self._on_step()

    def _open_link_step(self, number: int) -> None:
        """A link's step: its preset's values where the link gives none (a copied link
        keeps what was moved after the step; a plain ``?present=true&step=3`` shows it)."""
        steps, explorer = self.steps, self.explorer
        if not 0 < number <= len(steps) or not hasattr(explorer, "preset_values"):
            return
        values = {name: value for name, value in
                  explorer.preset_values(steps[number - 1].preset).items()
                  if explorer.url_prefix + name not in self._link_keys}
        with explorer.giving(values):
            explorer.guarded(explorer.param.update)(**values)
        if getattr(explorer, "PRESENT_RUNS", False):
            self.run()

    def leave(self, keep_step: bool = False) -> None:
        if self.stage is None:
            return
        stage, self.stage = self.stage, None
        stage.explorer.param.unwatch(self._explorer_watch)
        stage.leave()
        if self._slot is not None:
            self._slot.objects = [o for o in self._slot.objects if o is not self.bar]
        if not keep_step and self.settings.step:
            self.settings.step = 0

    def _on_step(self, *_):
        if self.stage is None:
            return
        steps = self.steps
        number = min(max(int(self.settings.step or 0), 0), len(steps))
        if number != self.settings.step:
            self.settings.step = number  # a link's step out of range
            return
        if not self._going:
            self._open_link_step(number)
        self._show_step()

    def _show_step(self) -> None:
        steps, number = self.steps, self.settings.step
        step = steps[number - 1] if number else None
        title = self.explorer.title
        if step is None:
            self.heading.object = f"**{title}** · the view as it is"
            self.caption.object = (f"Press 1 to {len(steps)} or Next for the guided steps."
                                   if steps else "")
        else:
            self.heading.object = f"**Step {number} of {len(steps)}** · {_plain(step.preset)}"
            self.caption.object = (PREDICT_CAPTION if self.settings.answers_hidden
                                   else _plain(step.caption))
        self.stage.show(step.callouts if step else (), self.settings.answers_hidden)
        panel = self.simulation()
        self.run_button.visible = panel is not None
        if panel is not None:
            self.run_button.label = panel.run_button.label.split(" (")[0]
            self.run_button.width = min(240, 12 * len(self.run_button.label) + 40)
        self.back.disabled = number <= 0
        self.next.disabled = number >= len(steps)
        self._on_parameter()

    def _on_answers(self, *_):
        if self.stage is not None:
            self._show_step()  # the caption tells the answer too

    def _on_parameter(self, *_):
        sweep = getattr(self.explorer, "sweep", None)
        if sweep is None:
            self.readout.object = ""
            return
        value = getattr(self.explorer, sweep.name)
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        self.readout.object = f"{self.explorer.param[sweep.name].label} = **{shown}**"

    def _build_bar(self) -> pn.Column:
        tight = ["p { margin: 2px 0; }"]
        self.heading = pn.pane.Markdown("", styles={"font-size": "22px"}, margin=(4, 10),
                                        sizing_mode="stretch_width", stylesheets=tight,
                                        css_classes=["present-heading"])
        self.caption = pn.pane.Markdown("", styles={"font-size": "22px"}, margin=(0, 10),
                                        sizing_mode="stretch_width", stylesheets=tight,
                                        css_classes=["present-caption"])
        self.readout = pn.pane.Markdown("", styles={"font-size": "18px"}, margin=(0, 10),
                                        stylesheets=tight, css_classes=["present-readout"])
        button = {"height": 44, "stylesheets": [".bk-btn { font-size: 20px; }"]}
        self.back = pn.widgets.Button(label="◀ Back", width=110, **button)
        self.next = pn.widgets.Button(label="Next ▶", width=110, color="primary", **button)
        self.run_button = pn.widgets.Button(label="Run", width=120, visible=False,
                                            css_classes=["present-run"], **button)
        play = pn.widgets.Button(label="Play / pause", width=140, **button)
        leave = pn.widgets.Button(label="Exit ✕", width=100, **button)
        self.back.on_click(lambda _e: self.go_to(self.settings.step - 1))
        self.next.on_click(lambda _e: self.go_to(self.settings.step + 1))
        self.run_button.on_click(lambda _e: self.run())
        play.on_click(lambda _e: self.play())
        leave.on_click(lambda _e: self.settings.param.update(present=False))
        self.hint = pn.pane.Markdown(
            "← → move it · Space play / pause · Enter run · 1-9 steps · PageDown / PageUp "
            "next / back · F full screen · Esc exit",
            styles={"font-size": "15px", "opacity": "0.75"}, margin=(0, 10), stylesheets=tight)
        return pn.Column(
            pn.Row(self.back, self.next, self.heading, self.run_button, play, leave,
                   sizing_mode="stretch_width", align="center"),
            self.caption,
            pn.Row(self.readout, self.hint, sizing_mode="stretch_width",
                   stylesheets=[":host { flex-wrap: wrap; align-items: baseline; }"]),
            sizing_mode="stretch_width", css_classes=["present-bar"])
