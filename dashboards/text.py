"""The explanation cards: Markdown with TeX, typeset in the page by the MathJax that Bokeh
serves itself (SVG output: no font files, works offline).

Panel's Markdown pane hands its HTML to that MathJax, which looks for ``$$...$$``,
``\\[...\\]`` and ``\\(...\\)`` only (single dollars stayed raw), and its Markdown parser
reads the TeX first: ``\\,`` and ``\\;`` became ``,`` and ``;``, and ``w^*_m`` opened an
emphasis. Here the Markdown is parsed with the dollar-math rule first, so TeX is never read
as Markdown, and each formula is written back between ``\\(...\\)`` (inline) or
``\\[...\\]`` (display) in the HTML of an HTML pane with math enabled. MathJax reads the
formulas out of that HTML as they are, so ``<``, ``>`` and ``&`` in them become ``\\lt``,
``\\gt`` and ``\\&`` rather than HTML entities.
"""

from __future__ import annotations

from functools import lru_cache

import panel as pn
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

#: explanation text in normal and in lecture mode (readable from the back of a hall); the
#: formulas are sized in ex of the text around them
CARD_CSS = {
    False: ":host { font-size: 15px; line-height: 1.5; }",
    True: ":host { font-size: 22px; line-height: 1.5; }",
}
#: display formulas that are wider than the card shrink to its width (MathJax draws them as
#: SVG with a viewBox: they scale whole), instead of running past its edge
MATH_CSS = (".math-display { display: block; overflow-x: auto; overflow-y: hidden; "
            "text-align: center; margin: 0.3em 0; } "
            ".math-display mjx-container { max-width: 100%; min-width: 0 !important; } "
            ".math-display mjx-container > svg { max-width: 100%; height: auto; } "
            "h3 { margin-top: 0.2em; }")
_TEX_SAFE = str.maketrans({"<": r"\lt ", ">": r"\gt ", "&": r"\&"})


def _tex(content: str) -> str:
    return content.strip().translate(_TEX_SAFE)


def _inline(self, tokens, idx, options, env) -> str:
    return "\\(" + _tex(tokens[idx].content) + "\\)"


def _display(self, tokens, idx, options, env) -> str:
    return '<span class="math-display">\\[' + _tex(tokens[idx].content) + "\\]</span>"


def _block(self, tokens, idx, options, env) -> str:
    return '<div class="math-display">\\[' + _tex(tokens[idx].content) + "\\]</div>\n"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark").use(dollarmath_plugin, double_inline=True,
                                          allow_labels=False)
    parser.add_render_rule("math_inline", _inline)
    parser.add_render_rule("math_inline_double", _display)
    parser.add_render_rule("math_block", _block)
    return parser


def markdown_with_math(text: str) -> str:
    """HTML of ``text`` (Markdown with ``$...$`` and ``$$...$$`` TeX), every formula kept
    verbatim between MathJax's ``\\(...\\)`` / ``\\[...\\]`` delimiters."""
    return _parser().render(text)


def explanation_card(text: str, title: str) -> tuple[pn.Card, pn.pane.HTML]:
    """A collapsed card with ``text`` typeset, and its pane (lecture mode restyles it)."""
    pane = pn.pane.HTML(markdown_with_math(text), disable_math=False,
                        sizing_mode="stretch_width", css_classes=["explanation"],
                        stylesheets=[CARD_CSS[False], MATH_CSS])
    card = pn.Card(pane, title=title, collapsed=True, sizing_mode="stretch_width",
                   css_classes=["explanation-card"])
    return card, pane
