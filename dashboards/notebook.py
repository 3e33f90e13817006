"""Notebook export: the current view of an explorer as a Jupyter notebook (nbformat 4).

The notebook is cut from the explorer's exported script (``Explorer.python_script()``, the
tested one: the same recipes as the page, which call the public ``theory`` API), so that the
two never disagree: a cell builds the parameters and ``data`` (what the page plots), a cell
calls every recipe the figures draw (``plotted``, the page's background curves too), and a
cell draws the page's figures with HoloViews (``dashboards.paper.to_holoviews``, its
matplotlib backend: static images that need no network), which compose there with other
HoloViews plots. A last cell writes the paper figure as a PDF. Simulation overlays (AMP, SGD
or sampler runs) need a run and are left out, as in the script.
"""

from __future__ import annotations

import re
import textwrap

import nbformat
from nbformat import v4

__all__ = ["build", "to_bytes"]

_DOCSTRING = re.compile(r'^"""(.*?)"""\n', re.S)
_PLOTTED = re.compile(r"\n    (plotted = \{\}.*?)\n    output_file\(", re.S)


def _script_parts(script: str) -> tuple[str, str, str]:
    """The exported script's docstring, its data part (parameters and ``data``) and the code
    that collects every recipe output the figures draw (``plotted``; empty without figures)."""
    match = _DOCSTRING.match(script)
    if match is None:
        raise ValueError("the exported script has no docstring: not a learning-phases script")
    docstring, body = match.group(1), script[match.end():]
    data_part = body.split("\n\ndef draw(", 1)[0].strip()
    plotted = _PLOTTED.search(body)
    return docstring, data_part, textwrap.dedent("    " + plotted.group(1)) if plotted else ""


def build(script: str, figures, *, title: str, link: str = "", slug: str = "view",
          explanation: str = "") -> nbformat.NotebookNode:
    """The notebook of a view: ``script`` (``Explorer.python_script()``), ``figures`` (the
    page's figures as plain data, ``paper.plain_figures(Explorer.script_figures())``),
    ``title``, the page's ``link`` (its query) and ``slug`` (the name of the PDF it writes)."""
    docstring, data_part, plotted = _script_parts(script)
    docstring = " ".join(docstring.split()).replace(
        "; run as a program, it also draws the page's figures", "")
    opened = f"\n\nOpened from the page with `{link}`." if link else ""
    intro = (f"# {title}\n\n{docstring}\n\n"
             "Run it top to bottom in the project's environment (`pip install -e .` in a "
             "clone of learning-phases). The cells rebuild what the page plots with the same "
             "recipes as the page (which call the public `theory` API), draw the page's "
             "figures with HoloViews and save them as a paper figure." + opened)
    cells = [v4.new_markdown_cell(intro)]
    if explanation:
        cells.append(v4.new_markdown_cell(explanation.strip()))
    cells += [
        v4.new_markdown_cell("## Parameters and data\n\n`p` holds the page's parameters; "
                             "`data` maps each plotted source to its columns."),
        v4.new_code_cell(data_part),
    ]
    if plotted and figures:
        cells += [
            v4.new_markdown_cell("## Every curve the figures draw\n\n`plotted` adds the "
                                 "curves that the page computes in the background (cached "
                                 "there, computed here)."),
            v4.new_code_cell(plotted),
            v4.new_markdown_cell(
                "## The page's figures with HoloViews\n\n`figures` describes the page's "
                "plots (glyphs, labels, ranges, log axes); `paper.to_holoviews` turns them "
                "into an `hv.Layout` that composes with other HoloViews objects."),
            v4.new_code_cell(
                "import holoviews as hv\n\nfrom dashboards import paper\n\n"
                "hv.extension('matplotlib')\n"
                f"figures = {_literal(figures)}\n"
                "layout = paper.to_holoviews(figures, plotted)\n"
                "layout.opts(fig_inches=5, backend='matplotlib')"),
            v4.new_markdown_cell("## A paper figure\n\nSerif type, two-column width (`width="
                                 "'single'` for one column); `.svg`, `.png` (300 dpi) and "
                                 "`.pgf` (with LaTeX) work too."),
            v4.new_code_cell(f"paper.save(layout, {slug + '-figure.pdf'!r}, width='double')"),
        ]
    notebook = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "learning_phases": {"link": link}})
    nbformat.validate(notebook)
    return notebook


class _Float(float):
    """A non-finite float written as Python source (``float('nan')``, not ``nan``)."""

    def __repr__(self):
        return f"float({str(float(self))!r})"


def _literal(value) -> str:
    """``value`` (plain dicts, lists, tuples, strings, numbers) as readable Python source."""
    import math
    import pprint

    def finite(v):
        if isinstance(v, dict):
            return {k: finite(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(finite(x) for x in v)
        if isinstance(v, float) and not math.isfinite(v):
            return _Float(v)
        return v

    return pprint.pformat(finite(value), width=96, sort_dicts=False)


def to_bytes(notebook: nbformat.NotebookNode) -> bytes:
    return nbformat.writes(notebook).encode()
