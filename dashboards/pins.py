"""Pin and compare: the current curves frozen, faded, under the ones that follow the sliders.

Each explorer names what a pin keeps (``Explorer.PINNED``: the recipe that computes its main
curves and the glyphs to copy, "source.column" as in ``ANSWERS``). "Pin these curves" copies
their data into sources of its own and draws them again, faded, with a legend entry that
names the parameters in which the pin differs from the current view ("pinned: ρ = 0.05").
Several pins, each removable. A pin is a parameter set: the link holds the pins as the
values that differ from the defaults (``<prefix>pins=[{"rho": 0.05}]``) and a page opened
from it recomputes them (in the background); the CSV has one file per pin and a table of
their parameters.
"""

from __future__ import annotations

import json

import panel as pn
import param

#: pins per explorer (each one adds renderers to the page; a link holds their values)
MAX_PINS = 4
#: how much a pinned curve is faded
PIN_ALPHA = 0.35


def symbol(label: str) -> str:
    """The symbol that ends a parameter's label ("Sparsity ρ" -> "ρ", "Hidden units K" ->
    "K"), or the label itself ("Prior")."""
    words = label.split(" (")[0].split()  # "Capacity a (spectrum ...)": "a"
    return words[-1] if words and len(words[-1]) <= 2 else label.split(" (")[0]


def written(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (tuple, list)):
        return "–".join(written(v) for v in value)
    return str(value)


class Pin:
    """One pinned parameter set: its values, its sources and what it drew."""

    def __init__(self, values: dict, sources: dict):
        self.values, self.sources = values, sources
        self.renderers: list = []
        self.items: list = []  # (legend, item)
        self.button: pn.widgets.Button | None = None


class Pins:
    """The pins of ``explorer``: the Pin button, the list of pins, their renderers."""

    def __init__(self, explorer):
        self.explorer = explorer
        recipe_name, self.selectors = explorer.PINNED
        self.recipe = next(r for r in explorer.RECIPES if r.name == recipe_name)
        self.glyphs = [(spec, glyph) for spec in explorer.FIGURES for glyph in spec.glyphs
                       if glyph.source in self.selectors
                       or f"{glyph.source}.{glyph.props.get('y')}" in self.selectors]
        if not self.glyphs:
            raise ValueError(f"{type(explorer).__name__}: PINNED names no glyph")
        self.pins: list[Pin] = []
        self.button = pn.widgets.Button(label="Pin these curves", sizing_mode="stretch_width",
                                        css_classes=["pin-button"],
                                        description="Keep the current curves, faded, to "
                                        "compare with the next ones")
        self.button.on_click(lambda *_: explorer.guarded(self.pin_current)())
        self.listing = pn.Column(sizing_mode="stretch_width", margin=0)
        self._restoring = False
        self.futures: list = []  # the recomputations of pins (tests wait for them)
        self._pending = 0  # pins clicked, not yet computed
        explorer.param.watch(self._relabel, explorer.model_parameters())
        explorer.param.watch(self._on_link, ["pins"])

    # -- what a pin holds ----------------------------------------------------------------
    def linked_values(self, values: dict) -> dict:
        """``values`` as a link writes a pin: the model's link parameters that differ from
        their defaults."""
        from .recipes import url_number

        explorer = self.explorer
        names = [n for n in explorer.url_parameters if n not in explorer.view_parameters]
        return {n: url_number(explorer.param[n], values[n]) for n in names
                if values[n] != explorer.param[n].default}

    def label(self, pin: Pin) -> str:
        explorer = self.explorer
        current = explorer.values()
        names = [n for n in explorer.url_parameters if n not in explorer.view_parameters]
        differ = [f"{symbol(explorer.param[n].label)} = {written(pin.values[n])}"
                  for n in names if pin.values[n] != current[n]]
        return "pinned: " + (", ".join(differ[:3]) if differ else "same parameters")

    # -- adding and removing -------------------------------------------------------------
    def pin_current(self):
        """Pin the current parameters: their curves are computed again from the recipe (off
        the event loop; cached, so at once), exactly as a link's pin is. Returns the Future."""
        if len(self.pins) + self._pending >= MAX_PINS:  # clicks faster than their answers too
            self.explorer.show_message(f"At most {MAX_PINS} pins: remove one first.")
            return None
        return self._recompute([self.explorer.values()], write=True)

    def add(self, values: dict, data: dict) -> Pin | None:
        from bokeh.core.property.vectorization import value as fixed
        from bokeh.models import ColumnDataSource, LegendItem

        if len(self.pins) >= MAX_PINS:
            self.explorer.show_message(f"At most {MAX_PINS} pins: remove one first.")
            return None
        pin = Pin(dict(values), {key: ColumnDataSource(columns) for key, columns in data.items()})
        first_on = {}
        for spec, glyph in self.glyphs:
            fig = getattr(self.explorer, f"fig_{spec.key}")
            props = {k: v for k, v in glyph.props.items()
                     if k not in ("legend_label", "legend_field", "legend_group")}
            for alpha in ("line_alpha", "fill_alpha"):
                if alpha in props or alpha == "line_alpha":
                    props[alpha] = PIN_ALPHA
            renderer = getattr(fig, glyph.method)(source=pin.sources[glyph.source], **props)
            renderer.tags = ["pin"]
            pin.renderers.append(renderer)
            first_on.setdefault(spec.key, (fig, renderer))
        for fig, renderer in first_on.values():
            if fig.legend:
                item = LegendItem(label=fixed(""), renderers=[renderer])
                fig.legend[0].items = [*fig.legend[0].items, item]
                pin.items.append((fig.legend[0], item))
        pin.button = pn.widgets.Button(label="", sizing_mode="stretch_width",
                                       color="light", css_classes=["unpin-button"],
                                       description="Remove this pin")
        pin.button.on_click(lambda *_: self.explorer.guarded(self.remove)(pin))
        self.pins.append(pin)
        self.listing.objects = [*self.listing.objects, pin.button]
        self._relabel()
        return pin

    def remove(self, pin: Pin, write: bool = True) -> None:
        if pin not in self.pins:
            return
        self.pins.remove(pin)
        figures = {spec.key: getattr(self.explorer, f"fig_{spec.key}") for spec, _ in self.glyphs}
        for fig in figures.values():
            fig.renderers = [r for r in fig.renderers if r not in pin.renderers]
        for legend, item in pin.items:
            legend.items = [i for i in legend.items if i is not item]
        self.listing.objects = [b for b in self.listing.objects if b is not pin.button]
        if write:
            self._write_link()

    def clear(self) -> None:
        for pin in list(self.pins):
            self.remove(pin, write=False)

    def _relabel(self, *_):
        from bokeh.core.property.vectorization import value as fixed

        for pin in self.pins:
            text = self.label(pin)
            for _, item in pin.items:
                item.label = fixed(text)
            pin.button.label = f"✕ {text.removeprefix('pinned: ')}"

    # -- the link ------------------------------------------------------------------------
    def _write_link(self) -> None:
        self._restoring = True
        try:
            self.explorer.pins = [self.linked_values(p.values) for p in self.pins]
        finally:
            self._restoring = False

    def _on_link(self, event) -> None:
        """Pins that a link (or a client) gives: checked, clamped, recomputed off the event
        loop; they replace the current ones."""
        if self._restoring:
            return
        sets, notes = self.checked(event.new)
        self.clear()
        if sets:
            self._recompute(sets)
        if notes:
            self.explorer.show_message("Some pins of the link were adjusted: "
                                       + "; ".join(notes) + ".")

    def checked(self, given) -> tuple[list[dict], list[str]]:
        """Full parameter sets from a link's pins: each a dict of link parameters (others
        ignored), numbers clamped to their bounds, invalid values refused."""
        from .base import _coerce
        from .links import shown

        explorer = self.explorer
        notes = []
        if not isinstance(given, list):
            return [], [f"`{shown(repr(given))}` is not a list of pins"]
        if len(given) > MAX_PINS:
            notes.append(f"only the first {MAX_PINS} pins are kept")
        sets = []
        for entry in given[:MAX_PINS]:
            if not isinstance(entry, dict):
                notes.append(f"`{shown(repr(entry))}` is not a pin")
                continue
            values = dict(explorer.values())
            values.update({n: explorer.param[n].default for n in values
                           if n in explorer.url_parameters})
            for name, value in entry.items():
                if name not in explorer.url_parameters or name in explorer.view_parameters:
                    notes.append(f"`{shown(name)}` is not a parameter of a pin")
                    continue
                fixed = _coerce(explorer.param[name], value)
                if fixed is None:
                    notes.append(f"`{shown(name)}={shown(repr(value))}` is not valid")
                    continue
                values[name] = fixed
            values.update(explorer.constrain(values))
            sets.append(values)
        return sets, notes

    def _recompute(self, sets: list[dict], write: bool = False):
        """The curves of each parameter set in ``sets``, computed in one background job and
        pinned in their order."""
        recipe = self.recipe
        keys = {glyph.source for _, glyph in self.glyphs}
        snapshots = []
        for values in sets:
            p = self.explorer.snapshot()  # the page's own kind of snapshot, with these values
            if isinstance(p, param.Parameterized):
                p.param.update(**values)
            else:
                p.__dict__.update(values)
            snapshots.append(p)

        def work(check):
            outputs = []
            for p in snapshots:
                check()
                outputs.append(recipe.fn(p))
            return outputs

        def done(outputs):
            if write:
                self._pending -= 1
            added = [self.add(values, {k: out[k] for k in keys})
                     for values, out in zip(sets, outputs, strict=True)]
            if write and any(pin is not None for pin in added):
                self._write_link()

        def failed(exc):
            if write:
                self._pending -= 1
            self.explorer.show_message(f"**Could not pin these curves:** {exc}", "danger")

        if write:  # a click: each one pins
            self._pending += 1
            future = self.explorer.run_in_background(work, on_done=done, on_error=failed,
                                                     cancellable=False)
        else:  # a link's pins: the latest set given wins (a client may send many)
            future = self.explorer.run_latest("pins", work, on_done=done, on_error=failed)
        self.futures = [f for f in self.futures if not f.done()] + [future]
        return future

    # -- export --------------------------------------------------------------------------
    def tables(self) -> dict[str, tuple[list[str], list[list]]]:
        """The CSV tables of the pins: one per pin and source, and their parameters."""
        tables = {}
        names = sorted({n for p in self.pins for n in p.values})
        if self.pins:
            tables["pins"] = (["pin", *names], [[i, *(json.dumps(p.values[n]) if isinstance(
                p.values[n], (list, tuple)) else p.values[n] for n in names)]
                for i, p in enumerate(self.pins, start=1)])
        public = {s.key: s.name or s.key for s in self.explorer.SOURCES}
        for i, pin in enumerate(self.pins, start=1):
            for key, source in pin.sources.items():
                columns = list(source.data)
                rows = [list(r) for r in zip(*(source.data[c] for c in columns), strict=True)]
                tables[f"pin-{i}-{public[key]}"] = (columns, rows)
        return tables

    def layout(self) -> pn.Column:
        return pn.Column(self.button, self.listing, sizing_mode="stretch_width", margin=0)
