"""How plots fit their space, in normal and in lecture mode: fonts, subtitles, legends
outside the data, and width estimates of the text that Bokeh draws on its canvas.

Bokeh draws titles, axis labels and legends on a canvas: text that does not fit is cut,
never wrapped. What keeps it readable is decided here, on the server, from the narrowest
width a figure is laid out at on a page at least 1280 px wide (``FIGURE_MIN_WIDTH``):

* a title names the plot and stays short; the numbers that change go in a subtitle line
  (``set_subtitle``);
* legends sit below the plot area, never on the data, with as many columns as fit the
  frame; the figure grows by the legend's height (``legend_below`` / ``fit_legend``);
* tick labels that would overlap are left out (``NoOverlap``);
* in lecture mode every font, line, marker, colour bar and in-plot text is larger.

``text_width`` and ``frame_width`` are deliberately generous estimates; the browser test
(``tests/ui/test_lecture.py``) measures the real text in Chromium against the real frames.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

from bokeh.models import ColorBar, CustomJS, Legend, Span, Text, Title

#: plot fonts, normal and in lecture mode (readable from the back of a hall)
FONTS = {
    False: {"title": "13pt", "subtitle": "11pt", "axis_label": "12pt", "major_label": "10pt",
            "legend": "10pt", "colorbar": "10pt"},
    True: {"title": "20pt", "subtitle": "16pt", "axis_label": "17pt", "major_label": "15pt",
           "legend": "15pt", "colorbar": "15pt"},
}
LECTURE_LINE_SCALE = 2.0
LECTURE_MARKER_SCALE = 1.6
#: text drawn inside a plot (e.g. the numbers of a heat map) and colour bars, in lecture mode
LECTURE_TEXT_SCALE = 1.6
LECTURE_COLORBAR_WIDTH = 24
#: figures are a little taller in lecture mode: the larger text takes room from the frame
LECTURE_HEIGHT_SCALE = 1.2
#: the narrowest a figure is laid out (px) on a page at least 1280 px wide, by its span and
#: the mode: "full" spans the plot area; two "half" figures share a row when both get at
#: least the flex basis of ``PLOT_BASIS`` (else each takes the whole row)
PLOT_BASIS = {False: 420, True: 640}
FIGURE_MIN_WIDTH = {("full", False): 930, ("half", False): 460,
                    ("full", True): 850, ("half", True): PLOT_BASIS[True]}
#: advance widths of Helvetica (the font Bokeh asks for; Arial and Liberation Sans share
#: them) in thousandths of the font size; other characters (Greek, symbols) count as
#: ``OTHER_WIDTH``, bold text ``BOLD_SCALE`` times wider
_WIDTHS = {
    **dict.fromkeys(" !,./:;I[]ijlft|", 278), **dict.fromkeys("'", 191),
    **dict.fromkeys("()-`r{}", 333), **dict.fromkeys("*", 389), **dict.fromkeys("^", 469),
    **dict.fromkeys("Jckssvxyz", 500), **dict.fromkeys('"', 355),
    **dict.fromkeys("0123456789#$?L_abdeghnopqu", 556), **dict.fromkeys("+<=>~±", 584),
    **dict.fromkeys("FTZ", 611), **dict.fromkeys("&ABEKPSVXY", 667),
    **dict.fromkeys("CDHNRUw", 722), **dict.fromkeys("GOQ", 778), **dict.fromkeys("Mm", 833),
    **dict.fromkeys("%", 889), **dict.fromkeys("W", 944), **dict.fromkeys("@", 1015),
}
OTHER_WIDTH = 620
BOLD_SCALE = 1.08
#: estimates are enlarged by this much (font substitutes, rounding)
WIDTH_MARGIN = 1.05
TOOLBAR_WIDTH = 40
LEGEND_GLYPH = 20
LEGEND_SPACING = 4
LEGEND_COLUMN_GAP = 24
LEGEND_PADDING = 6
LEGEND_MARGIN = 4


def px(size: str) -> float:
    """A CSS font size in pt or px as pixels."""
    if size.endswith("pt"):
        return float(size[:-2]) * 4 / 3
    return float(size.removesuffix("px"))


def text_width(text: str, size: str, bold: bool = False) -> float:
    """Estimated width (px) of one line of ``text`` at the font size ``size``: Helvetica's
    advance widths, a little enlarged."""
    em = sum(_WIDTHS.get(c, OTHER_WIDTH) for c in text) / 1000
    return em * px(size) * (BOLD_SCALE if bold else 1.0) * WIDTH_MARGIN


def glyph_width(font: str) -> int:
    """Width of a legend entry's line or marker sample, for its label's font size."""
    return round(2 * px(font))


def glyph_height(font: str) -> int:
    return round(max(LEGEND_GLYPH, 1.2 * px(font)))


@dataclass
class FigureLayout:
    span: str  # "full" or "half"
    height: int  # in normal mode, without the legend
    lecture: bool = False
    #: in the presentation view: the figure's (width, height) there, legend included
    presented: tuple[int, int] | None = None


_LAYOUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def register(fig, span: str, height: int) -> None:
    if span not in ("full", "half"):
        raise ValueError(f"span must be 'full' or 'half', got {span!r}")
    _LAYOUTS[fig] = FigureLayout(span, height)


def layout_of(fig) -> FigureLayout:
    return _LAYOUTS.setdefault(fig, FigureLayout("half", fig.height or 360))


def colorbars(fig) -> list[ColorBar]:
    return [m for side in (fig.right, fig.left, fig.above, fig.below) for m in side
            if isinstance(m, ColorBar)]


def subtitles(fig) -> list[Title]:
    return [m for m in fig.above if isinstance(m, Title) and m.name == "subtitle"]


def add_subtitle(fig, text: str = "") -> Title:
    """A second title line under the title, for what changes (numbers, the chosen case)."""
    subtitle = Title(text=text, name="subtitle", text_font_style="normal",
                     text_font_size=FONTS[False]["subtitle"])
    fig.add_layout(subtitle, "above")
    return subtitle


def set_subtitle(fig, text: str) -> None:
    subtitles(fig)[0].text = text


def figure_width(fig, lecture: bool | None = None) -> float:
    layout = layout_of(fig)
    lecture = layout.lecture if lecture is None else lecture
    if layout.presented is not None:
        return layout.presented[0]
    return FIGURE_MIN_WIDTH[(layout.span, lecture)]


def frame_width(fig, lecture: bool | None = None) -> float:
    """Estimated width of the plot frame (the data area, which titles, subtitles, the
    x-axis label and the legend below share) at the narrowest layout of ``fig``."""
    layout = layout_of(fig)
    lecture = layout.lecture if lecture is None else lecture
    fonts = FONTS[lecture]
    # left: tick labels (up to 6 characters, e.g. "0.0001" or "10^-10"), the axis label
    left = 0.0
    if any(axis.visible for axis in fig.left):
        left = text_width("0.0001", fonts["major_label"]) + 1.4 * px(fonts["axis_label"]) + 16
    right = TOOLBAR_WIDTH
    for bar in colorbars(fig):
        right += (bar.width if isinstance(bar.width, (int, float)) else 20) + 30 + \
            text_width("-0.5", fonts["colorbar"])
    return figure_width(fig, lecture) - left - right


def frame_height(fig, lecture: bool | None = None) -> float:
    """Estimated height of the plot frame, without the legend below it."""
    layout = layout_of(fig)
    lecture = layout.lecture if lecture is None else lecture
    fonts = FONTS[lecture]
    height = layout.height * (LECTURE_HEIGHT_SCALE if lecture else 1.0)
    height -= 1.5 * px(fonts["title"]) + 10
    height -= sum(1.5 * px(fonts["subtitle"]) for _ in subtitles(fig))
    if any(axis.visible for axis in fig.below):
        height -= 1.5 * px(fonts["major_label"]) + 1.5 * px(fonts["axis_label"]) + 20
    return height


def legend_labels(legend: Legend) -> list[str]:
    """The entries a legend shows now: each visible item's label, or for a label taken from
    a data column, one entry per distinct value (as BokehJS groups them)."""
    labels = []
    for item in legend.items:
        if not item.visible or item.label is None:
            continue
        label = item.label
        field = getattr(label, "field", None)
        if field is None:
            labels.append(str(getattr(label, "value", label)))
            continue
        renderer = item.renderers[0] if item.renderers else None
        data = getattr(getattr(renderer, "data_source", None), "data", {})
        for value in dict.fromkeys(str(v) for v in data.get(field, [])):
            labels.append(value)
    return labels


def legend_layout(labels: list[str], width: float, font: str) -> tuple[int, int, float]:
    """(columns, rows, height in px) of a legend of ``labels`` in ``width`` pixels: BokehJS
    lays the entries out row by row in a CSS grid whose columns are as wide as their widest
    entry; the most columns that fit are taken."""
    if not labels:
        return 1, 0, 0.0
    # widths rounded up, for steady columns while a number in a label changes
    items = [glyph_width(font) + 5 + 20 * math.ceil(text_width(label, font) / 20)
             for label in labels]
    columns = 1
    for n in range(len(labels), 1, -1):
        total = sum(max(items[j::n]) for j in range(n)) + (n - 1) * LEGEND_COLUMN_GAP
        if total + 2 * LEGEND_PADDING <= width:
            columns = n
            break
    rows = math.ceil(len(labels) / columns)
    row = max(glyph_height(font), 1.25 * px(font)) + LEGEND_SPACING
    return columns, rows, rows * row + 2 * (LEGEND_PADDING + LEGEND_MARGIN)


def fit_legend(fig) -> None:
    """Columns of the legend below ``fig`` for its frame, and the figure's height: its
    normal (or lecture) height plus the legend's."""
    layout = layout_of(fig)
    extra = 0.0
    for legend in fig.legend:
        if legend not in fig.below:
            continue
        columns, rows, height = legend_layout(legend_labels(legend), frame_width(fig),
                                              FONTS[layout.lecture]["legend"])
        # the rows too: the page measures the legend again when they change (RELAYOUT_JS)
        shape = {"ncols": columns, "nrows": max(rows, 1)}
        if any(getattr(legend, k) != v for k, v in shape.items()):
            legend.update(**shape)
        extra += height
    height = round(layout.height * (LECTURE_HEIGHT_SCALE if layout.lecture else 1.0) + extra)
    if layout.presented is not None:
        height = layout.presented[1]  # the window's: the legend takes from the frame
    if fig.height != height:
        fig.height = height


#: BokehJS measures a legend when the legend is drawn again (a change of its model), and
#: lays the plot out again on other changes only: a legend that gained a row could keep the
#: old height in the layout and be cut at the bottom of the canvas. When its rows or columns
#: change, it is measured and the plot laid out again, once the new entries are drawn.
RELAYOUT_JS = """
const plot = Bokeh.index.find_one(fig);
if (plot != null) {
  setTimeout(() => {
    const view = plot.renderer_views.get(legend);
    if (view != null && typeof view.update_position === "function") view.update_position();
    plot.request_layout(true);
  }, 0);
}
"""


def legend_below(fig) -> Legend:
    """Move the legend of ``fig`` below the plot area, laid out in columns that fit, with
    click-to-hide entries; it is fitted again whenever its entries change."""
    legend = fig.legend[0]
    fig.add_layout(legend, "below")
    legend.update(orientation="horizontal", location="top_left", click_policy="hide",
                  background_fill_alpha=0.0, border_line_alpha=0.0, margin=LEGEND_MARGIN,
                  padding=LEGEND_PADDING, spacing=LEGEND_SPACING,
                  stylesheets=[f".bk-grid {{ column-gap: {LEGEND_COLUMN_GAP}px; }}"],
                  label_text_font_size=FONTS[False]["legend"],
                  glyph_width=glyph_width(FONTS[False]["legend"]),
                  glyph_height=glyph_height(FONTS[False]["legend"]), label_standoff=5)

    relayout = CustomJS(args={"fig": fig, "legend": legend}, code=RELAYOUT_JS)
    legend.js_on_change("nrows", relayout)
    legend.js_on_change("ncols", relayout)

    def refit(attr, old, new):
        fit_legend(fig)

    watched = set()
    for item in legend.items:
        item.on_change("visible", refit)
        item.on_change("label", refit)
        field = getattr(item.label, "field", None)
        for renderer in item.renderers if field is not None else ():
            source = getattr(renderer, "data_source", None)
            if source is not None and source.id not in watched:
                watched.add(source.id)
                source.on_change("data", refit)
    fit_legend(fig)
    return legend


def style_figure(fig, lecture: bool, originals: dict) -> None:
    """Fonts, line widths, marker sizes, colour bars, in-plot text and legend layout of
    ``fig`` for lecture mode or back to normal; ``originals`` remembers the normal values
    (keyed by model id)."""
    layout = layout_of(fig)
    layout.lecture = bool(lecture)
    fonts = FONTS[lecture]
    fig.title.text_font_size = fonts["title"]
    for subtitle in subtitles(fig):
        subtitle.text_font_size = fonts["subtitle"]
    fig.axis.axis_label_text_font_size = fonts["axis_label"]
    fig.axis.major_label_text_font_size = fonts["major_label"]
    for legend in fig.legend:
        legend.label_text_font_size = fonts["legend"]
        legend.glyph_height = glyph_height(fonts["legend"])
        legend.glyph_width = glyph_width(fonts["legend"])
    for bar in colorbars(fig):
        for prop, value in (("width", LECTURE_COLORBAR_WIDTH),
                            ("major_label_text_font_size", fonts["colorbar"]),
                            ("title_text_font_size", fonts["colorbar"])):
            normal = originals.setdefault((bar.id, prop), getattr(bar, prop))
            setattr(bar, prop, value if lecture else normal)
    models = [r.glyph for r in fig.renderers if hasattr(r, "glyph")]
    models += [a for a in fig.center if isinstance(a, Span)]
    for model in models:
        for prop, scale in (("line_width", LECTURE_LINE_SCALE), ("size", LECTURE_MARKER_SCALE)):
            value = getattr(model, prop, None)
            if not isinstance(value, (int, float)):
                continue  # absent, or driven by a data column
            key = (model.id, prop)
            normal = originals.setdefault(key, value)
            setattr(model, prop, normal * scale if lecture else normal)
        # Bokeh's named dashes are in pixels: with thicker lines "dashed" reads as dotted
        normal = originals.get((model.id, "line_dash")) or named_dash(
            getattr(model, "line_dash", None))
        if normal is not None:
            originals[(model.id, "line_dash")] = normal
            model.line_dash = ([round(d * LECTURE_LINE_SCALE) for d in DASH_PATTERNS[normal]]
                               if lecture else normal)
        if isinstance(model, Text):
            size = getattr(model.text_font_size, "value", model.text_font_size)
            if isinstance(size, str):
                normal = originals.setdefault((model.id, "text_font_size"), size)
                model.text_font_size = (f"{px(normal) * LECTURE_TEXT_SCALE:.0f}px" if lecture
                                        else normal)
    fit_legend(fig)


#: Bokeh's named dash patterns (pixels on, off), scaled with the lines in lecture mode
DASH_PATTERNS = {"dashed": [6], "dotted": [2, 4], "dotdash": [2, 4, 6, 4], "dashdot": [6, 4, 2, 4]}


def named_dash(dash) -> str | None:
    """The name of a dash pattern of Bokeh's (``figure.line`` stores "dashed" as ``[6]``,
    other glyphs keep the name); None for solid lines and other patterns."""
    if isinstance(dash, str):
        return dash if dash in DASH_PATTERNS else None
    if isinstance(dash, list | tuple):
        return next((name for name, pattern in DASH_PATTERNS.items()
                     if list(dash) == pattern), None)
    return None


# -- log axes ------------------------------------------------------------------------------
#: at most this many labelled ticks on a log axis (Bokeh's own LogTicker falls back to linear
#: ticks below two decades: 0.5, 0.6, 0.7, 0.8, 0.9 crowded at the top of the axis)
LOG_MAX_TICKS = 6
#: the ticks of a log axis: the finest mantissas per decade (1..9, 1-2-3-5, 1-2-5, 1-3, 1)
#: that give at most ``max_ticks`` ticks in view, else one decade in every k; over less than
#: a factor of three, evenly spaced ticks
LOG_TICKS_JS = """
const lo = Math.min(cb_data.start, cb_data.end), hi = Math.max(cb_data.start, cb_data.end);
if (!(lo > 0) || !isFinite(hi) || !(hi > lo)) return [];
const first = Math.floor(Math.log10(lo)), last = Math.ceil(Math.log10(hi));
const inside = (x) => x >= lo * (1 - 1e-9) && x <= hi * (1 + 1e-9);
if (hi / lo < 3) {  // less than half a decade: even steps (a log scale hardly bends there)
  const k = Math.floor(Math.log10(hi - lo)) - 1;
  for (const step of [1, 2, 5, 10, 20, 50].map((m) => m * Math.pow(10, k))) {
    const ticks = [];
    for (let i = Math.ceil(lo / step); i * step <= hi * (1 + 1e-9); i++)
      ticks.push(Number((i * step).toPrecision(12)));
    if (ticks.length <= Math.max(3, max_ticks - 2)) return ticks;
  }
}
const sets = [[1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 5], [1, 2, 5], [1, 3], [1]];
for (const mantissas of sets) {
  const ticks = [];
  for (let d = first; d <= last; d++)
    for (const m of mantissas) {
      const x = Number((m * Math.pow(10, d)).toPrecision(12));
      if (inside(x)) ticks.push(x);
    }
  if (ticks.length <= max_ticks && (ticks.length >= 2 || mantissas.length === 1)) return ticks;
}
const every = Math.ceil((last - first + 1) / max_ticks);
const ticks = [];
for (let d = first; d <= last; d++)
  if (d % every === 0 && inside(Math.pow(10, d))) ticks.push(Number(`1e${d}`));
return ticks;
"""
#: minor ticks of a log axis: every integer mantissa, over at most a few decades
LOG_MINOR_TICKS_JS = """
const lo = Math.min(cb_data.start, cb_data.end), hi = Math.max(cb_data.start, cb_data.end);
if (!(lo > 0) || !isFinite(hi) || Math.log10(hi / lo) > 6) return [];
const ticks = [];
for (let d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++)
  for (let m = 1; m <= 9; m++) {
    const x = m * Math.pow(10, d);
    if (x >= lo && x <= hi) ticks.push(x);
  }
return ticks;
"""
#: labels of a log axis: plain numbers between 0.001 and 10 000 (0.05, 0.2, 300), powers of
#: ten elsewhere (10⁻⁵, 3·10⁵), never a float's noise
LOG_LABEL_JS = """
if (!(tick > 0)) return String(tick);
const e = Math.floor(Math.log10(tick) + 1e-9);
const m = Number((tick / Math.pow(10, e)).toPrecision(3));
// one style per axis: plain numbers when every tick reads well so (0.001 to 10000), else
// powers of ten for all (not 100, 10000, 10⁶ side by side)
const plain = (t) => !(t > 0) || (Math.log10(t) > -3 - 1e-9 && Math.log10(t) < 5 - 1e-9);
if ((ticks ?? [tick]).every(plain)) return String(Number(tick.toPrecision(4)));
const sup = String(e).replace(/[-0-9]/g, (c) => "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"["-0123456789".indexOf(c)]);
return (m === 1 ? "" : m + "·") + "10" + sup;
"""


def log_ticker(max_ticks: int = LOG_MAX_TICKS):
    """A ticker for a log axis that never crowds: 1-2-5 (or finer, or coarser) ticks per
    decade, at most ``max_ticks`` in view, at any zoom."""
    from bokeh.models import CustomJSTicker

    return CustomJSTicker(args={"max_ticks": max_ticks}, major_code=LOG_TICKS_JS,
                          minor_code=LOG_MINOR_TICKS_JS)


def log_tick_formatter():
    from bokeh.models import CustomJSTickFormatter

    return CustomJSTickFormatter(code=LOG_LABEL_JS)


def readable_log_ticks(axis) -> None:
    """Give the log axis ``axis`` the shared ticker and labels (an axis made log after the
    figure was built, e.g. by a switch)."""
    axis.update(ticker=log_ticker(), formatter=log_tick_formatter())


def log_axes(fig) -> None:
    """Give every log axis of ``fig`` the shared ticker and labels."""
    from bokeh.models import LogAxis

    for axis in [*fig.left, *fig.right, *fig.above, *fig.below]:
        if isinstance(axis, LogAxis):
            axis.update(ticker=log_ticker(), formatter=log_tick_formatter())


# -- light and dark theme ------------------------------------------------------------------
#: what the explorers draw "in black" (cursors, current points, error bars, reference
#: lines: ``PALETTE["black"]``) and "in white" (hollow markers), per Panel theme: in the dark
#: theme black is the plot's own background colour (Panel's dark Bokeh theme, #2b3035), so
#: it becomes that theme's text colour, and white becomes the background
FOREGROUND = {"default": "#000000", "dark": "#E0E0E0"}
BACKGROUND = {"default": "#FFFFFF", "dark": "#2B3035"}
_BLACK = frozenset({"black", "#000", "#000000"})
_WHITE = frozenset({"white", "#fff", "#ffffff"})
_COLOR_PROPERTIES = ("line_color", "fill_color", "hatch_color", "text_color")
#: data columns of colours (e.g. one per line) are mapped the same way in the browser
THEME_COLORS_JS = """
const lum = (h) => {
  const c = [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16) / 255)
    .map((v) => v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
};
const back = lum(background);
const lighten = (h) => {
  for (let t = 0; t <= 1.0001; t += 0.05) {
    const mixed = "#" + [1, 3, 5].map((i) => Math.round(parseInt(h.slice(i, i + 2), 16) * (1 - t)
      + 255 * t).toString(16).padStart(2, "0")).join("");
    if ((lum(mixed) + 0.05) / (back + 0.05) >= min_contrast) return mixed;
  }
  return foreground;
};
const out = new Array(xs.length);
for (let i = 0; i < xs.length; i++) {
  const c = typeof xs[i] === "string" ? xs[i].toLowerCase() : xs[i];
  out[i] = black.includes(c) ? foreground : white.includes(c) ? background
    : typeof c === "string" && /^#[0-9a-f]{6}$/.test(c) ? lighten(c) : xs[i];
}
return out;
"""
#: the least contrast (WCAG ratio) a line keeps against the dark plot background: black
#: has 1.58 there, the palette's colours more than 2.2
MIN_CONTRAST = 2.0


def luminance(color: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _lightened(color: str, background: str, foreground: str) -> str:
    """``color`` mixed with white until it has ``MIN_CONTRAST`` against ``background``
    (unchanged when it already has; the Javascript above does the same in the browser)."""
    for step in range(21):
        t = step / 20
        mixed = "#" + "".join(f"{round(int(color[i:i + 2], 16) * (1 - t) + 255 * t):02x}"
                              for i in (1, 3, 5))
        if contrast(mixed, background) >= MIN_CONTRAST:
            return color if step == 0 else mixed
    return foreground


def themed_color(color, theme: str):
    """``color`` as drawn in ``theme``: black and white swapped for the theme's foreground
    and background; in the dark theme, a colour too dark to read on it made lighter."""
    if theme not in FOREGROUND or not isinstance(color, str):
        return color
    if color.lower() in _BLACK:
        return FOREGROUND[theme]
    if color.lower() in _WHITE:
        return BACKGROUND[theme]
    if theme == "dark" and len(color) == 7 and color.startswith("#"):
        return _lightened(color, BACKGROUND[theme], FOREGROUND[theme])  # e.g. dark purple
    return color


def theme_figure(fig, theme: str) -> None:
    """Recolour what ``fig`` draws in black or white (glyphs, their legend samples, spans,
    colour columns of sources) for Panel's ``theme`` ("default": nothing changes). Text
    glyphs keep colour columns as they are: those are chosen against the colour of the cell
    under them (a heat map's numbers), not against the plot's background."""
    if theme == "default" or theme not in FOREGROUND:
        return
    from bokeh.core.property.vectorization import Field, Value
    from bokeh.model import Model
    from bokeh.models import CustomJSTransform, GlyphRenderer

    transform = None
    models = []
    for renderer in fig.renderers:
        if isinstance(renderer, GlyphRenderer):
            models += [g for g in (renderer.glyph, renderer.hover_glyph,
                                   renderer.selection_glyph, renderer.nonselection_glyph,
                                   renderer.muted_glyph) if g is not None and g != "auto"]
    models += [m for m in fig.center if isinstance(m, Span)]
    for model in models:
        given = model.properties_with_values(include_defaults=True)
        for prop in _COLOR_PROPERTIES:
            value = given.get(prop)
            if isinstance(value, Value):
                value = value.value
            if isinstance(value, str):
                themed = themed_color(value, theme)
                if themed != value:
                    setattr(model, prop, themed)
            elif (isinstance(value, Field) and not isinstance(value.transform, Model)
                  and not (isinstance(model, Text) and prop == "text_color")):
                if transform is None:
                    transform = CustomJSTransform(
                        args={"black": sorted(_BLACK), "white": sorted(_WHITE),
                              "foreground": FOREGROUND[theme], "background": BACKGROUND[theme],
                              "min_contrast": MIN_CONTRAST},
                        v_func=THEME_COLORS_JS)
                setattr(model, prop, {"field": value.field, "transform": transform})
