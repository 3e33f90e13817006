"""Paper figures: what an explorer's page shows, as HoloViews objects and as files.

``to_holoviews(figures, data)`` turns the page's figures, described as plain data
(``Explorer.script_figures()``: glyphs, labels, ranges, axis types) and the data of their
sources, into one ``hv.Overlay`` per figure in an ``hv.Layout``; in Jupyter they compose
with other HoloViews plots. ``save(layout, path)`` draws it with HoloViews' matplotlib
backend in a paper style (serif type, a single- or double-column width) and writes the format
the file's extension names: ``.pdf``, ``.svg``, ``.png`` (300 dpi) or ``.pgf``. The page's
own plots stay plain Bokeh; this runs only when a figure is asked for.

Glyphs map to elements by their Bokeh method: line and step to ``Curve``, scatter to
``Scatter``, segment to ``Segments``, quad, rect and vbar to ``Rectangles``, varea to
``Area``, multi_line to one ``Curve`` per line, image to ``Image``, text to ``Labels``. A
property that names a column of the source (a colour per row, a dash per line) is read from
it; rows with a ``legend_field`` are grouped into one element per label.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

__all__ = ["COLUMN_WIDTHS", "FORMATS", "figure_bytes", "plain_figures", "save", "to_bytes",
           "to_holoviews"]

#: figure widths in inches: a single column and the full page of a two-column paper
COLUMN_WIDTHS = {"single": 3.4, "double": 7.0}
#: file formats by extension
FORMATS = ("pdf", "svg", "png", "pgf")
#: the paper style: serif type at journal sizes
STYLE = {"font.family": ["DejaVu Serif", "DejaVu Sans"], "font.size": 8,
         "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 6,
         "xtick.labelsize": 7, "ytick.labelsize": 7,
         "lines.linewidth": 1.2, "pdf.fonttype": 42, "svg.fonttype": "none"}
#: the HoloViews element of each Bokeh glyph method
ELEMENTS = {"line": "Curve", "step": "Curve", "scatter": "Scatter", "segment": "Segments",
            "quad": "Rectangles", "rect": "Rectangles", "vbar": "Rectangles", "varea": "Area",
            "multi_line": "Path", "image": "Image", "text": "Labels"}
DASHES = {"solid": "-", "dashed": "--", "dotted": ":", "dashdot": "-.", "dotdash": "-."}


def _column(data: dict, value):
    """A property's values per row: the column it names, or None for a constant."""
    if isinstance(value, dict) and "field" in value:
        value = value["field"]
    if isinstance(value, str) and value in data:
        return list(data[value])
    return None


def _constant(value, default=None):
    if isinstance(value, dict) or value is None:
        return default
    return value


def _dash(value) -> str:
    if isinstance(value, (list, tuple)):
        return "--" if value else "-"
    return DASHES.get(str(value), "-")


def _style(props: dict, kind: str, data: dict, row: int) -> dict:
    """matplotlib options of one element from the glyph's Bokeh properties (a property
    that names a column: its value at ``row``, the group's first)."""
    def get(*names, default=None):
        for name in names:
            value = props.get(name)
            if value is None:
                continue
            column = _column(data, value)
            if column is not None:
                return column[row]
            if not isinstance(value, dict):
                return value
        return default

    color = get("color", "line_color", "fill_color")
    out = {}
    if kind in ("Curve", "Segments", "Path"):
        if color is not None:
            out["color"] = color
        out["linewidth"] = 0.6 * float(get("line_width", default=2.0))
        out["linestyle"] = _dash(get("line_dash", default="solid"))
        if get("line_alpha") is not None:
            out["alpha"] = float(get("line_alpha"))
    elif kind == "Scatter":
        if color is not None:
            out["color"] = color
        out["s"] = (0.45 * float(get("size", default=6.0))) ** 2
    elif kind in ("Rectangles", "Area"):
        fill = get("fill_color", "color")
        if fill is not None:
            out["facecolor" if kind == "Rectangles" else "color"] = fill
        out["alpha"] = float(get("fill_alpha", default=1.0))
        if kind == "Rectangles":
            out["edgecolor"] = "none"
    return out


def _groups(data: dict, props: dict, n: int):
    """(rows, label, colour) per legend entry: the rows of each label of ``legend_field``
    (colours from the colour column, if any), else all rows with the glyph's own label."""
    colors = _column(data, props.get("color", props.get("fill_color", props.get("line_color"))))
    labels = _column(data, props.get("legend_field"))
    if labels is None:
        label = props.get("legend_label", "")
        if colors is None:
            return [(np.arange(n), label, None)]
        # one entry, several colours (e.g. a run per colour): grouped by colour
        return [(np.flatnonzero(np.array(colors, dtype=object) == c), label if i == 0 else "",
                 c) for i, c in enumerate(dict.fromkeys(colors))]
    out = []
    for label in dict.fromkeys(labels):
        rows = np.flatnonzero(np.array(labels, dtype=object) == label)
        out.append((rows, str(label), colors[rows[0]] if colors is not None else None))
    return out


def _elements(glyph: dict, data: dict, logs=(False, False)) -> list:
    """The HoloViews elements of one glyph drawing ``data``."""
    import holoviews as hv

    method, props = glyph["method"], glyph["props"]
    columns = {k: np.asarray(v) if not isinstance(v, list) or not v or np.isscalar(v[0])
               else v for k, v in data.items()}
    n = len(next(iter(columns.values()))) if columns else 0
    if n == 0:
        return []
    out = []

    axis = {name: 0 for name in ("x", "x0", "x1", "left", "right", "width", "xs")}
    axis.update({name: 1 for name in ("y", "y0", "y1", "y2", "bottom", "top", "height",
                                      "ys")})

    def take(name, rows):
        column = columns[props[name]] if isinstance(props.get(name), str) else None
        if column is None:
            values = np.full(rows.size, float(_constant(props.get(name), 0.0)))
        else:
            values = np.asarray([column[i] for i in rows], dtype=float)
        if name in axis and logs[axis[name]] and name not in ("width", "height"):
            values = np.where(values > 0, values, np.nan)  # nothing <= 0 on a log axis
        return values

    kind = ELEMENTS.get(method)
    if kind is None:
        return []
    for rows, label, color in _groups(columns, props, n):
        style = _style(props, kind, columns, int(rows[0]))
        if color is not None:
            style["facecolor" if kind == "Rectangles" else "color"] = color
        if method in ("line", "step"):
            element = hv.Curve((take("x", rows), take("y", rows)), label=label)
            if method == "step":
                element = element.opts(interpolation="steps-mid", backend="matplotlib")
        elif method == "scatter":
            element = hv.Scatter((take("x", rows), take("y", rows)), label=label)
        elif method == "segment":
            element = hv.Segments((take("x0", rows), take("y0", rows), take("x1", rows),
                                   take("y1", rows)), label=label)
        elif method == "quad":
            element = hv.Rectangles((take("left", rows), take("bottom", rows),
                                     take("right", rows), take("top", rows)), label=label)
        elif method == "vbar":
            x, half = take("x", rows), 0.5 * float(_constant(props.get("width"), 0.8))
            bottom = take("bottom", rows) if "bottom" in props else np.zeros(rows.size)
            element = hv.Rectangles((x - half, bottom, x + half, take("top", rows)),
                                    label=label)
        elif method == "rect":
            x, y = take("x", rows), take("y", rows)
            w, h = take("width", rows), take("height", rows)
            corners = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            fill = _column(columns, props.get("fill_color"))
            if fill is None:
                element = hv.Rectangles(corners, label=label)
            else:  # values through a colour mapper: a colour map instead
                element = hv.Rectangles(
                    (*corners, np.asarray([fill[i] for i in rows], dtype=float)),
                    vdims=["value"], label=label)
                style = {"color": "value", "cmap": "PuOr", "edgecolor": "none"}
        elif method == "varea":
            element = hv.Area((take("x", rows), take("y1", rows), take("y2", rows)),
                              vdims=["y1", "y2"], label=label)
        elif method == "multi_line":
            xs, ys = columns[props["xs"]], columns[props["ys"]]
            lines = [np.column_stack([np.asarray(xs[i], float), np.asarray(ys[i], float)])
                     for i in rows]
            for line in lines:
                for k in (0, 1):
                    if logs[k]:
                        line[:, k] = np.where(line[:, k] > 0, line[:, k], np.nan)
            dashes = _column(columns, props.get("line_dash"))
            if dashes is not None:
                style["linestyle"] = _dash(dashes[rows[0]])
            element = hv.Path(lines, label=label)
        elif method == "image":
            places = zip(*(take(name, rows) for name in ("x", "y", "dw", "dh")), strict=True)
            for i, (x, y, dw, dh) in zip(rows, places, strict=True):
                image = np.asarray(columns[props["image"]][i], dtype=float)
                out.append(hv.Image(image[::-1], bounds=(x, y, x + dw, y + dh)).opts(
                    cmap=_colormap(props.get("palette")), backend="matplotlib"))
            continue
        else:  # text
            texts = _column(columns, props.get("text")) or [""] * n
            element = hv.Labels((take("x", rows), take("y", rows),
                                 [str(texts[i]) for i in rows]), vdims=["text"])
            style = {"size": 6}
        out.append(element.opts(backend="matplotlib", **style))
    return out


def _drawable(element) -> bool:
    """Whether an element has a point to draw (all NaN: an empty overlay, a log axis)."""
    try:
        x = np.asarray(element.dimension_values(0), dtype=float)
        y = np.asarray(element.dimension_values(1), dtype=float)
    except (TypeError, ValueError):
        return True  # (text)
    return bool(np.isfinite(x).any() and np.isfinite(y).any())


def _positive_limits(elements, axis: int):
    """(low, high) of the finite, positive values along ``axis`` (0: x, 1: y) of
    ``elements``, widened by a fifth of a decade; None without any."""
    import holoviews as hv

    found = []
    for element in elements:
        if isinstance(element, hv.Labels):
            continue
        dims = element.kdims + element.vdims
        names = {0: ("x", "x0", "x1"), 1: ("y", "y0", "y1", "y2")}[axis]
        picked = [d for d in dims if d.name in names] or dims[axis:axis + 1]
        for dim in picked:
            try:
                values = np.asarray(element.dimension_values(dim), dtype=float)
            except (TypeError, ValueError):
                continue
            found.append(values[np.isfinite(values) & (values > 0)])
    values = np.concatenate(found) if found else np.array([])
    if values.size == 0:
        return None
    return float(values.min()) / 10**0.2, float(values.max()) * 10**0.2


def _colormap(palette):
    """A Bokeh palette as a matplotlib colour map: a name ("Viridis256") or the colours."""
    import matplotlib

    if isinstance(palette, (list, tuple)) and palette:
        return matplotlib.colors.ListedColormap(list(palette))
    name = str(palette or "viridis").rstrip("0123456789").lower()
    return next((k for k in matplotlib.colormaps if k.lower() == name), "viridis")


def to_holoviews(figures, data: dict, columns: int = 2):
    """An ``hv.Layout`` with one ``hv.Overlay`` per figure of ``figures``
    (``Explorer.script_figures()``) drawing ``data`` (source name -> columns)."""
    import holoviews as hv
    import holoviews.plotting.mpl  # the matplotlib backend's options (not made current)

    overlays = []
    for fig in figures:
        elements = []
        logs = (fig["x_axis_type"] == "log", fig["y_axis_type"] == "log")
        for glyph in fig["glyphs"]:
            if "hint" in glyph["source"]:
                continue  # what the page says while a plot is empty ("Press Run ...")
            elements += [e for e in _elements(glyph, data.get(glyph["source"], {}), logs)
                         if _drawable(e)]
        if not any(not isinstance(e, hv.Labels) for e in elements):
            continue  # a plot without data (simulations not run)
        options = dict(title=fig["title"], xlabel=fig["x_label"] or "",
                       ylabel=fig["y_label"] or "", logx=fig["x_axis_type"] == "log",
                       logy=fig["y_axis_type"] == "log", show_legend=True,
                       legend_position="right", fontscale=0.7,
                       legend_opts={"fontsize": 5, "frameon": False, "handlelength": 1.6})
        for axis, logged in enumerate(logs):
            if logged and (fig[("x_range", "y_range")[axis]] is None):
                # HoloViews takes 0.01 as a log axis' lower bound when any element's range
                # touches zero: the range of the finite, positive data instead
                limits = _positive_limits(elements, axis)
                if limits is not None:
                    options[("xlim", "ylim")[axis]] = limits
        if fig["x_range"] is not None and None not in fig["x_range"]:
            options["xlim"] = tuple(sorted(fig["x_range"]))
            options["invert_xaxis"] = fig["x_range"][0] > fig["x_range"][1]
        if fig["y_range"] is not None and None not in fig["y_range"]:
            options["ylim"] = tuple(sorted(fig["y_range"]))
            options["invert_yaxis"] = fig["y_range"][0] > fig["y_range"][1]
        overlays.append(hv.Overlay(elements).opts(backend="matplotlib", **options))
    return hv.Layout(overlays).cols(columns)


def _rendered(layout, width: str):
    import holoviews as hv

    inches = COLUMN_WIDTHS[width]
    cols = 1 if width == "single" else 2
    rows = max(1, -(-len(layout) // cols))
    # one panel per figure, three quarters as tall as wide, the legend to its right
    layout = layout.cols(cols).opts(
        backend="matplotlib", fig_inches=(inches, 0.62 * inches * rows / cols),
        sublabel_format="({alpha})", sublabel_size=9, tight=True, hspace=0.9, vspace=0.5)
    return hv.render(layout, backend="matplotlib"), rows


def to_bytes(layout, fmt: str = "pdf", width: str = "double") -> bytes:
    """The figure file's bytes (``fmt`` one of ``FORMATS``; ``width`` "single" or
    "double" column)."""
    import matplotlib

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    if width not in COLUMN_WIDTHS:
        raise ValueError(f"width must be one of {tuple(COLUMN_WIDTHS)}, not {width!r}")
    if fmt == "pgf" and latex() is None:
        raise RuntimeError("a .pgf figure is typeset by LaTeX: install xelatex, pdflatex or "
                           "lualatex (or write .pdf or .svg)")
    style = dict(STYLE, **({"pgf.texsystem": latex()} if fmt == "pgf" else {}))
    with matplotlib.rc_context(style):
        figure, _ = _rendered(layout, width)
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, dpi=300, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(figure)
    return buffer.getvalue()


def latex() -> str | None:
    """The LaTeX engine matplotlib's pgf backend would use, if one is installed."""
    import shutil

    return next((e for e in ("xelatex", "pdflatex", "lualatex") if shutil.which(e)), None)


def save(layout, path, width: str = "double") -> Path:
    """Write ``layout`` to ``path`` in the format its extension names."""
    path = Path(path)
    path.write_bytes(to_bytes(layout, path.suffix.lstrip(".").lower(), width))
    return path


def plain_figures(figures) -> tuple[dict, ...]:
    """``figures`` with plain values only (a colour mapper's transform left out: its field
    stays), so that they can be sent to a worker process."""
    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k != "transform"}
        if isinstance(value, (list, tuple)):
            return type(value)(plain(v) for v in value)
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        return str(value)

    return tuple(plain(fig) for fig in figures)


def figure_bytes(figures, data: dict, fmt: str = "pdf", width: str = "double") -> bytes:
    """The paper figure of ``figures`` drawing ``data`` as a file's bytes (what the page's
    "Paper figure" button runs in a worker process: matplotlib takes a second or more)."""
    return to_bytes(to_holoviews(figures, data), fmt, width)
