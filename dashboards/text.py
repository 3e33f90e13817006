"""The explanation cards: Markdown with TeX, typeset by KaTeX in the page (served locally).

Panel's Markdown pane typesets only ``$$...$$`` (through Bokeh's MathJax, which does not know
single dollars), and its Markdown parser reads TeX first: ``\\,`` and ``\\;`` become ``,``
and ``;`` and ``w^*_m`` opens an emphasis. Here the Markdown is parsed with the dollar-math
rule first, so TeX is never read as Markdown; each formula is written back as ``\\(...\\)``
(inline) or ``\\[...\\]`` (display) inside HTML, and KaTeX's auto-render typesets those in the
browser (``pn.pane.LaTeX`` with the KaTeX renderer: its view sets the HTML, then calls
``renderMathInElement`` on it).
"""

from __future__ import annotations

from functools import cache

import panel as pn
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from mdit_py_plugins.dollarmath import dollarmath_plugin

#: explanation text in normal and in lecture mode (readable from the back of a hall)
CARD_CSS = {
    False: ":host { font-size: 15px; line-height: 1.5; }",
    True: ":host { font-size: 22px; line-height: 1.5; }",
}
#: display formulas that are wider than the card scroll sideways instead of overflowing it
MATH_CSS = (".katex-display { overflow-x: auto; overflow-y: hidden; padding: 2px 0; }"
            " .katex { font-size: 1.1em; } h3 { margin-top: 0.2em; }")


def _inline(self, tokens, idx, options, env) -> str:
    return "\\(" + escapeHtml(tokens[idx].content.strip()) + "\\)"


def _display(self, tokens, idx, options, env) -> str:
    return '<span class="math-display">\\[' + escapeHtml(tokens[idx].content.strip()) + "\\]</span>"


def _block(self, tokens, idx, options, env) -> str:
    return '<div class="math-display">\\[' + escapeHtml(tokens[idx].content.strip()) + "\\]</div>\n"


@cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark").use(dollarmath_plugin, double_inline=True,
                                          allow_labels=False)
    parser.add_render_rule("math_inline", _inline)
    parser.add_render_rule("math_inline_double", _display)
    parser.add_render_rule("math_block", _block)
    return parser


def markdown_with_math(text: str) -> str:
    """HTML of ``text`` (Markdown with ``$...$`` and ``$$...$$`` TeX), every formula kept
    verbatim between KaTeX's ``\\(...\\)`` / ``\\[...\\]`` delimiters (HTML-escaped)."""
    return _parser().render(text)


def explanation_card(text: str, title: str) -> tuple[pn.Card, pn.pane.LaTeX]:
    """A collapsed card with ``text`` typeset, and its pane (lecture mode restyles it)."""
    pane = pn.pane.LaTeX(markdown_with_math(text), renderer="katex",
                         sizing_mode="stretch_width", css_classes=["explanation"],
                         stylesheets=[CARD_CSS[False], MATH_CSS])
    card = pn.Card(pane, title=title, collapsed=True, sizing_mode="stretch_width",
                   css_classes=["explanation-card"])
    return card, pane
