"""Parameter models and recipes of the explorers: numpy, ``param`` and ``theory`` only.

Nothing here imports Panel or Bokeh, so that the "Python script" a page exports, the tests
and a notebook run the same code as the page wherever ``theory`` is installed:

* a **parameter model** (``ExplorerParameters`` subclass) holds an explorer's parameters
  with their bounds, its presets (``preset_values``: applied as one batched
  ``param.update``), the names that links use, the parameters that lecture mode hides,
  and ``constrain``: the corrections that keep parameters consistent with each other (e.g.
  the current lambda inside the plotted range);
* a **recipe** is a pure function ``recipe(p) -> {source key: {column: array}}`` of a
  parameter model (or of anything with the same attributes, such as the page itself),
  calling ``theory`` through the bounded caches of ``dashboards.caches``; ``Recipe`` says
  which parameters it depends on, and ``SOURCES`` names the data sources recipes fill
  (their names are what the page's Bokeh sources, the CSV files and the script call them).
  An output may also hold ``"notes"``: a list of messages for the page (e.g. points that
  did not converge).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import param


@dataclass(frozen=True)
class Preset:
    """A named classic result: the control values that show it, a one-line explanation and
    its reference."""

    name: str
    values: dict
    explanation: str
    reference: str


@dataclass(frozen=True)
class Source:
    """A data source that recipes fill: its key (in recipe outputs and ``explorer.sources``),
    its public name (Bokeh source name, CSV file, script key; None: not exported) and its
    columns."""

    key: str
    name: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Recipe:
    """A recipe and the parameters it depends on: the page calls it again only when one of
    them changed and, with ``key``, only when ``key(p)`` changed too (e.g. a phase diagram
    that depends on the prior's family, not on the prior). ``background``: solved off the
    page's event loop through ``Explorer.run_latest`` (a function of ``p``: for some values
    only); ``script``: part of the exported script's ``data``.

    One path for slow work: ``steps(p)``, a list of ``processes.Step`` run in a worker
    process (None: nothing slow for these values), whose results the page gives to
    ``fn(p, results)``; ``fn(p)`` alone (script, tests) runs them itself. ``shared`` and
    ``shared_key`` share the results between pages; ``meanwhile``: ``fn(p, None)`` is shown
    while they are computed (e.g. an empty curve and a note)."""

    name: str
    fn: Callable
    depends: tuple[str, ...]
    key: Callable | None = None
    background: bool | Callable = False  # or a function of p: background for some values
    script: bool = True
    label: str = ""
    #: work for a worker process: ``steps(p)`` is a list of ``processes.Step`` (or None);
    #: in the background the page runs them there and calls ``fn(p, results)`` (``fn(p)``
    #: alone runs them in the caller: the script's and the tests' way)
    steps: Callable | None = None
    #: results of ``steps`` shared by every page: a ``caches.BoundedCache`` and the key of
    #: ``p`` in it (``shared_key(p)`` None: nothing to share, e.g. an uploaded file)
    shared: object = None
    shared_key: Callable | None = None
    #: started only once the page is shown (not for a page built ahead of its visitor)
    when_shown: bool = False
    #: ``fn(p, None)`` is bound while the steps run (what to show meanwhile)
    meanwhile: bool = False

    def in_background(self, p) -> bool:
        return bool(self.background(p) if callable(self.background) else self.background)


#: significant digits of a number parameter (and of a number a link writes): more is float
#: noise (1.1500000000000001, a slider's step added in binary), not a person's choice
NUMBER_DIGITS = 12


def url_number(parameter: param.Parameter, value):
    """``value`` as a link writes it, without float noise: a float rounded to the decimals of
    the parameter's ``step`` when it lies on that grid (up to float noise), else to
    ``NUMBER_DIGITS`` significant digits; tuples (ranges) element by element; anything else
    unchanged."""
    if isinstance(value, list | tuple):
        return type(value)(url_number(parameter, v) for v in value)
    if not isinstance(value, float) or not math.isfinite(value):
        return value
    step = getattr(parameter, "step", None)
    if isinstance(step, int | float) and not isinstance(step, bool) and 0 < step < 1:
        decimals = len(f"{step:.12f}".rstrip("0").partition(".")[2])  # 0.005: 3
        on_grid = round(value, decimals)
        if abs(on_grid - value) <= 1e-9 * step:
            return on_grid
    return float(f"{value:.{NUMBER_DIGITS}g}")


class ExplorerParameters(param.Parameterized):
    """Base of every explorer's parameter model."""

    #: parameters mirrored in the page URL (query string), under ``url_prefix`` + name
    url_parameters: tuple[str, ...] = ()
    url_prefix: str = ""
    #: controls hidden in lecture mode (sizes, seeds: what a lecture does not need)
    advanced_parameters: tuple[str, ...] = ()
    #: classic results, one click each
    presets: tuple[Preset, ...] = ()
    #: parameters of how the page shows its data, not of the data (an animation's frame, a
    #: log scale): left out of the exported script, whose open view they do not rebuild; a
    #: recipe that depends on one is not part of the script
    view_parameters: tuple[str, ...] = ()

    @classmethod
    def model_parameters(cls) -> list[str]:
        """The names of this model's own parameters (not those of a page built on it)."""
        model = next(c for c in cls.__mro__ if ExplorerParameters in c.__bases__)
        return [n for n in model.param if n != "name"]

    def values(self) -> dict:
        return {n: getattr(self, n) for n in self.model_parameters()}

    def snapshot(self) -> ExplorerParameters:
        """A copy of the current values as a plain parameter model (for background work,
        which must not read values that change meanwhile)."""
        model = next(c for c in type(self).__mro__ if ExplorerParameters in c.__bases__)
        return model(**self.values())

    def constrain(self, values: dict | None = None) -> dict:
        """The corrections that make ``values`` (over the current ones) consistent: none by
        default."""
        return {}

    def tidy_numbers(self, names) -> dict:
        """The number parameters among ``names`` whose values carry float noise (a slider's
        start plus steps: 1.1500000000000001), as a link writes them (``url_number``: 1.15)."""
        fixes = {}
        for name in names:
            parameter, value = self.param[name], getattr(self, name)
            if isinstance(parameter, param.Integer) or value is None or not isinstance(
                    parameter, param.Number | param.Range):
                continue
            tidy = url_number(parameter, value)
            if tidy != value:
                fixes[name] = tidy
        return fixes

    def preset_explanation(self, preset: Preset) -> str:
        """The text shown with ``preset`` (a model may put computed numbers in it)."""
        return preset.explanation

    def preset_values(self, name: str) -> dict:
        """The values of the preset ``name``, with the corrections they need: what a page
        applies as one batched ``param.update`` (``Explorer.apply_preset``)."""
        preset = next((p for p in self.presets if p.name == name), None)
        if preset is None:
            raise ValueError(f"unknown preset {name!r}")
        values = dict(preset.values)
        values.update(self.constrain(values))
        return values


def named(outputs: dict, sources: tuple[Source, ...], *, every: bool = False) -> dict:
    """Recipe outputs keyed by the public names of their sources (unnamed ones left out, or,
    with ``every``, kept under their key); never the recipes' ``"notes"``."""
    names = {s.key: s.name or (s.key if every else None) for s in sources}
    return {names[k]: v for k, v in outputs.items() if names.get(k)}


def python_script(p: ExplorerParameters, module: str, recipes: tuple[Recipe, ...], *,
                  title: str, figures: tuple[dict, ...] = (), html: str = "view.html") -> str:
    """A standalone script building the parameter model with ``p``'s values and calling the
    recipes: ``data = {source name: {column: array}}`` is what the page plots.

    With ``figures`` (``Explorer.script_figures()``: the page's figures as plain data), the
    script, run as a program, also draws every figure of the page from the same recipe
    outputs with Bokeh (a dependency of the project, which draws the page itself: the same
    glyphs, colours and legends, interactive, no other plotting library needed) and saves
    them in the HTML file ``html``. Recipes that the page runs in the background (e.g. a
    phase diagram) are called for the figures only; simulation overlays (AMP, SGD runs)
    need a run and are left out."""
    model = next(c for c in type(p).__mro__ if ExplorerParameters in c.__bases__)
    values = ",\n    ".join(f"{n}={v!r}" for n, v in p.values().items()
                             if n not in p.view_parameters)
    calls = "\n".join(f"data.update(recipes.named(recipes.{r.fn.__name__}(p), recipes.SOURCES))"
                      for r in recipes if r.script)
    package, _, name = module.rpartition(".")
    drawn = ";\nrun as a program, it also draws the page's figures" if figures else ""
    script = f'''\
"""{title}: the data of the current view of learning-phases,
from the same recipes as the page (``{module}``: numpy, param and theory only){drawn}."""
from {package} import {name} as recipes

p = recipes.{model.__name__}(
    {values},
)
data = {{}}
{calls}
for name, columns in data.items():
    print(name, {{column: len(values) for column, values in columns.items()}})
'''
    if figures:
        script += _figures_code(recipes, module, figures, html)
    return script


def _call(head: str, args: list[str], indent: str, width: int = 96) -> str:
    """``head(args)`` on lines of at most ``width`` characters, continued under the ``(``."""
    lines, line = [], f"{indent}{head}("
    pad = " " * len(line)
    for i, arg in enumerate(args):
        piece = arg + (", " if i < len(args) - 1 else ")")
        if len(line) + len(piece.rstrip()) > width and line.strip() != f"{head}(":
            lines.append(line.rstrip())
            line = pad
        line += piece
    lines.append(line)
    return "\n".join(lines)


def _code(value) -> str:
    """Python source that rebuilds ``value``: its repr, a Bokeh model (a glyph's colour
    mapper) as its constructor with the properties it sets (``models.X(...)``)."""
    from bokeh.model import Model

    if isinstance(value, Model):
        props = value.properties_with_values(include_defaults=False)
        args = ", ".join(f"{k}={_code(v)}" for k, v in sorted(props.items()))
        return f"models.{type(value).__name__}({args})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_code(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_code(v) for v in value)
        if isinstance(value, list):
            return f"[{inner}]"
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def _figures_code(recipes: tuple[Recipe, ...], module: str, figures: tuple[dict, ...],
                  html: str) -> str:
    """The part of the exported script that draws ``figures`` (see ``python_script``)."""
    # every recipe of the module, the page's background ones too (cached: cheap again)
    calls = ", ".join(f"recipes.{r.fn.__name__}" for r in recipes if r.fn.__module__ == module)
    lines = ['''

def draw(plotted):
    """The page's figures, from the recipe outputs ``plotted`` (by source name)."""
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, HoverTool, Range1d, Span, Title
    from bokeh.plotting import figure

    sources = {name: ColumnDataSource(dict(columns), name=name)
               for name, columns in plotted.items()}

    def rows(name):
        return name in plotted and len(next(iter(plotted[name].values()), [])) > 0

    figures = []''']
    uses_models = False  # a glyph property is a Bokeh model: the script imports them
    for spec in figures:
        options = {k: spec[k] for k in ("x_axis_type", "y_axis_type") if spec.get(k)}
        for axis in ("x_range", "y_range"):
            if spec.get(axis) is not None:
                options[axis] = f"Range1d{tuple(spec[axis])!r}"
        args = [f"title={spec['title']!r}", f"x_axis_label={spec['x_label']!r}",
                f"y_axis_label={spec['y_label']!r}",
                f"width={900 if spec.get('span') == 'full' else 600}", f"height={spec['height']}",
                *(f"{k}={v}" if k.endswith("range") else f"{k}={v!r}"
                  for k, v in options.items())]
        lines.append("\n" + _call("fig = figure", args, "    "))
        if spec.get("subtitle"):
            lines.append(f"    fig.add_layout(Title(text={spec['subtitle']!r}, "
                         "text_font_style='normal'), 'above')")
        lines.append("    renderers = {}")
        for glyph in spec["glyphs"]:
            source = glyph["source"]
            values = [f"{k}={_code(v)}" for k, v in glyph["props"].items()]
            uses_models |= any("=models." in v or ": models." in v for v in values)
            props = [f"source=sources[{source!r}]", *values]
            condition = f"rows({source!r})" if glyph["optional"] else f"{source!r} in plotted"
            head = f"fig.{glyph['method']}"
            if glyph.get("key"):
                head = f"renderers[{glyph['key']!r}] = {head}"
            lines.append(f"    if {condition}:\n" + _call(head, props, "        "))
        for marker in spec.get("markers", ()):
            props = ", ".join(f"{k}={v!r}" for k, v in marker["props"].items())
            lines.append(f"    fig.add_layout(Span(location=p.{marker['parameter']}, "
                         f"dimension='height', {props}))")
        for hover in spec.get("hover", ()):
            lines.append(f"    hovered = [renderers[k] for k in {tuple(hover['glyphs'])!r} "
                         "if k in renderers]\n" + _call(
                             "fig.add_tools(HoverTool", ["renderers=hovered", *(
                                 f"tooltips={list(hover['tooltips'])!r})",)], "    "))
        lines.append("    if fig.legend:\n"
                     "        fig.add_layout(fig.legend[0], 'below')\n"
                     "        fig.legend[0].update(click_policy='hide', ncols=2,"
                     " location='top_left')\n"
                     "    figures.append(fig)")
    if uses_models:
        lines[0] = lines[0].replace("    from bokeh.layouts import column\n",
                                    "    from bokeh import models\n"
                                    "    from bokeh.layouts import column\n")
    lines.append(f'''    return column(*figures)


if __name__ == "__main__":
    from bokeh.io import output_file, save

    plotted = {{}}  # every source the figures draw, by name (or key)
    for recipe in ({calls},):
        plotted.update(recipes.named(recipe(p), recipes.SOURCES, every=True))
    output_file({html!r}, title={figures[0]['title']!r}, mode="inline")  # works offline
    save(draw(plotted))
    print("figures saved in", {html!r})
''')
    return "\n".join(lines)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def readable(x: float, digits: int = 3) -> str:
    """``x`` for people, to ``digits`` significant digits: 3000, 0.0001, 1.5 × 10⁻⁵, never
    Python's 3e+03 or 1.1500000000000001."""
    x = float(x)
    if not math.isfinite(x):
        return "∞" if x > 0 else "−∞" if x < 0 else "NaN"
    text = f"{float(f'{x:.{digits}g}'):.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        if 0 < int(exponent) < 6:  # 3000 and 12300 as such, not in powers of ten
            return f"{float(text):.0f}"
        power = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
        return power if mantissa == "1" else f"{mantissa.replace('-', '−')} × {power}"
    return text.replace("-", "−")


class OrderedRange(param.Range):
    """A (low, high) range that must be finite with low < high: anything else is refused
    (and, from a link, clamped or dropped by ``Explorer.apply_values``)."""

    def _validate(self, val):
        super()._validate(val)
        if val is None:
            return
        lo, hi = val
        if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
            raise ValueError(f"{self.name} must be a finite range with low < high, got {val!r}")


# -- plotted data that recipes of several explorers build ----------------------------------
def threshold_lines(entries, y0, y1):
    """Data for vertical threshold segments: entries are (x, label, colour); NaN skipped."""
    rows = [(x, label, color) for x, label, color in entries if np.isfinite(x)]
    return {
        "x": [r[0] for r in rows], "y0": [y0] * len(rows), "y1": [y1] * len(rows),
        "threshold": [r[1] for r in rows], "color": [r[2] for r in rows],
    }


def shaded_regions(entries, bottom=0.0, top=1.0):
    """Data for shaded vertical bands from ``bottom`` to ``top``: entries are
    (left, right, label, colour, alpha); empty or undefined bands are skipped."""
    rows = [e for e in entries if np.isfinite(e[0]) and np.isfinite(e[1]) and e[1] > e[0]]
    keys = ("left", "right", "region", "color", "alpha")
    data = {k: [r[i] for r in rows] for i, k in enumerate(keys)}
    data.update(bottom=[bottom] * len(rows), top=[top] * len(rows))
    return data


def maxima_data(maxima, values, x: str, y: str):
    """Split a landscape's maxima into the global one and the metastable ones (finite only)."""
    maxima, values = np.asarray(maxima), np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    best = int(np.argmax(np.where(np.isnan(values), -np.inf, values)))
    others = [i for i in range(maxima.size) if i != best and finite[i]]
    top = [best] if finite[best] else []
    return ({x: maxima[top], y: values[top]}, {x: maxima[others], y: values[others]})
