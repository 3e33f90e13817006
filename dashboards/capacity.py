"""Storage capacity explorer: how many random patterns a perceptron can store (Gardner, Cover,
Krauth-Mezard), the errors above capacity and the injectivity of a ReLU layer, with linear-
programming and hard-margin SVM simulations on top of the theory.

The parameters, the cached theory calls and the recipes are in ``dashboards.recipes.capacity``
(Panel-free); this module holds the page: its figures and controls as data, the texts, and
the simulations."""

from __future__ import annotations

import panel as pn

from theory import capacity

from .base import (
    DOTTED_MARKER,
    PALETTE,
    Explorer,
    Figure,
    Glyph,
    Hover,
    Marker,
    Simulation,
    bands_and_thresholds,
    control,
    error_bars,
    set_subtitle,
    summary_pane,
)
from .present import Callout, GuidedStep
from .recipes import capacity as recipes
from .recipes import readable
from .recipes.capacity import (  # noqa: F401 (the page's names: tests, warm-up)
    KAPPA_ATLAS,
    CapacityParameters,
    cached_binary,
    cached_injectivity,
    cached_margins,
    cached_overlap,
)


def _alpha_marker(figure: str) -> Marker:
    return Marker(f"alpha_marker_{figure}", "alpha", DOTTED_MARKER)


FIGURES = (
    Figure("margin", "Largest margin κ(α)", "load α = P/N", "margin κ", height=330,
           options=(("x_range", recipes.MARGIN_ALPHA), ("y_range", recipes.MARGIN_Y),
                    ("subtitle", "the inverse of the capacity α_c(κ)")),
           glyphs=(
               Glyph("quad", "margin_rsb", left="left", right="right", bottom="bottom",
                     top="top", fill_color="color", fill_alpha="alpha", line_alpha=0,
                     legend_field="region"),
               Glyph("line", "margin_curve", key="margin", x="alpha", y="kappa",
                     color=PALETTE["blue"], line_width=2.5,
                     legend_label="replica symmetric (spherical weights)"),
               *error_bars("svm", "alpha", color=PALETTE["vermillion"], optional=True,
                           label="hard-margin SVM (mean ± s.e.)", marker="square"),
               Glyph("scatter", "binary_point", x="alpha", y="kappa", size=11,
                     marker="diamond", color=PALETTE["green"],
                     legend_label="binary weights: α = 0.833 at κ = 0"),
               Glyph("scatter", "margin_point", x="alpha", y="kappa", size=14, marker="star",
                     color=PALETTE["black"], legend_label="current κ and its α_c(κ)"),
           ),
           markers=(_alpha_marker("margin"),),
           hover=(Hover(("margin",), (("α", "@alpha{0.000}"), ("κ", "@kappa{0.0000}"))),)),
    Figure("overlap", "Overlap q of two solutions", "load α = P/N",
           "overlap q", height=330,
           options=(("y_range", (0.0, 1.02)), ("subtitle", "")),
           glyphs=(
               Glyph("segment", "overlap_threshold", x0="x", x1="x", y0="y0", y1="y1",
                     color="color", line_width=2, line_dash="dashed", legend_field="threshold"),
               Glyph("line", "overlap", key="overlap", x="alpha", y="q", color=PALETTE["blue"],
                     line_width=2.5, legend_label="q(α), replica symmetric"),
               Glyph("scatter", "overlap_unconverged", optional=True, x="alpha", y="q",
                     marker="x", size=10, color=PALETTE["vermillion"], line_width=2,
                     legend_label="not converged"),
           ),
           markers=(_alpha_marker("overlap"),),
           hover=(Hover(("overlap",), (("α", "@alpha{0.000}"), ("q", "@q{0.0000}"))),)),
    Figure("separability", "Probability of separability",
           "load α = P/N", "P(separable)", height=330,
           options=(("x_range", (0.0, recipes.SEPARABILITY_ALPHA_MAX)),
                    ("y_range", (-0.03, 1.03)), ("subtitle", "")),
           glyphs=(
               Glyph("line", "cover_limit", x="alpha", y="probability", color=PALETTE["grey"],
                     line_width=2, line_dash="dashed", legend_label="N → ∞: a step at α = 2"),
               Glyph("step", "cover", key="cover", x="alpha", y="probability", mode="center",
                     color=PALETTE["blue"], line_width=2.5,
                     legend_label="Cover's exact count at N"),
               *error_bars("lp", "alpha", color=PALETTE["vermillion"], optional=True,
                           label="linear program (fraction ± s.e.)"),
           ),
           markers=(_alpha_marker("separability"),),
           hover=(Hover(("cover",), (("α", "@alpha{0.000}"),
                                     ("P(separable)", "@probability{0.0000}"))),)),
    Figure("binary", "Binary weights: RS entropy", "load α = P/N",
           "entropy s(α)", height=330, loading="binary",
           options=(("x_range", (0.0, 1.35)), ("y_range", recipes.BINARY_Y),
                    ("subtitle", "weights ±1, margin κ = 0")),
           glyphs=(
               *bands_and_thresholds("binary_negative", "binary_thresholds"),
               Glyph("line", "binary", key="binary", x="alpha", y="entropy",
                     color=PALETTE["green"], line_width=2.5, legend_label="s(α), RS"),
           ),
           markers=(_alpha_marker("binary"),),
           hover=(Hover(("binary",), (("α", "@alpha{0.000}"), ("s", "@entropy{0.0000}"))),)),
    Figure("errors", "Fewest errors above capacity", "load α = P/N",
           "error fraction e(α)", height=330,
           options=(("x_range", (0.0, recipes.ERROR_ALPHA_MAX)),
                    ("y_range", recipes.ERRORS_Y), ("subtitle", "")),
           glyphs=(
               Glyph("segment", "errors_threshold", x0="x", x1="x", y0="y0", y1="y1",
                     color="color", line_width=2, line_dash="dashed", legend_field="threshold"),
               Glyph("line", "errors", key="errors", x="alpha", y="errors",
                     color=PALETTE["vermillion"], line_width=2.5,
                     legend_label="e(α), replica symmetric"),
           ),
           markers=(_alpha_marker("errors"),),
           hover=(Hover(("errors",), (("α", "@alpha{0.000}"), ("e", "@errors{0.0000}"))),)),
    Figure("injectivity", "Injectivity of a ReLU layer",
           "α = m/n (rows per input dimension)", "α e(α)", height=330,
           options=(("x_range", (2.0, recipes.ERROR_ALPHA_MAX)),
                    ("y_range", recipes.INJECTIVITY_Y),
                    ("subtitle", "x ↦ ReLU(Wx) is injective when α e(α) ≥ 1")),
           glyphs=(
               Glyph("segment", "injectivity_thresholds", x0="x", x1="x", y0="y0", y1="y1",
                     color="color", line_width=2, line_dash="dashed", legend_field="threshold"),
               Glyph("line", "injectivity_one", x="alpha", y="load", color=PALETTE["grey"],
                     line_width=1.5, line_dash="dotted", legend_label="α e(α) = 1"),
               Glyph("line", "injectivity", key="injectivity", x="alpha", y="load",
                     color=PALETTE["blue"], line_width=2.5, legend_label="α e(α), RS"),
           ),
           markers=(_alpha_marker("injectivity"),),
           hover=(Hover(("injectivity",), (("α", "@alpha{0.000}"),
                                           ("α e(α)", "@load{0.0000}"))),)),
)

CONTROLS = (
    "presets",
    control("kappa", format="0.00"),
    control("alpha", format="0.00"),
    control("n"),
    "divider",
    "pins",
    "sweep",
    "divider",
    Simulation("Run simulations", "**Finite-size simulations**", run="run_simulations",
               controls=(control("lp_trials"), control("svm_n"), control("svm_trials"))),
    "divider",
    "export",
)

EXPLANATION = rf"""
### What you see
The dotted vertical line on the plots against $\alpha$ marks the current $\alpha$ (the slider's).

**Model.** $P = \alpha N$ patterns $\xi^\mu \in \mathbb R^N$ with i.i.d. Gaussian entries and
random labels $\sigma^\mu = \pm 1$ are stored with margin $\kappa$ by weights $w$ when
$\sigma^\mu\, w \cdot \xi^\mu / \sqrt N \ge \kappa$ for every $\mu$; weights are spherical
($|w|^2 = N$) or binary ($w_i = \pm 1$). Gardner's replica computation gives the capacity

$$ {capacity.EQUATIONS["capacity"]} $$

($\alpha_c = 2$ at $\kappa = 0$), and the typical overlap $q$ of two solutions from
$$ {capacity.EQUATIONS["overlap"]} $$
with $\varphi(u) = e^{{-u^2/2}}/\sqrt{{2\pi}}$ the Gaussian density and
$H(u) = \int_u^\infty Dz$. This stationary point is a *minimum* of the replica-symmetric
(RS) free entropy in $q$; $q \to 1$ as $\alpha \to \alpha_c$: the solutions shrink to one.

**Margin.** The largest margin $\kappa(\alpha)$, the inverse of $\alpha_c(\kappa)$;
the star is the current $\kappa$ at its $\alpha_c(\kappa)$. For $\kappa < 0$ the space of
solutions is not convex and RS is only an estimate (shaded). Squares: the margin of
hard-margin SVMs (no bias) on sampled instances.

**Separability.** Cover's exact count,
$$ {capacity.EQUATIONS["cover"]}, $$
exactly $1/2$ at $P = 2N$ for every $N$; it steepens into a step at $\alpha = 2$ as $N$ grows.
Dots: the fraction of sampled instances a linear program finds separable.

**Binary weights.** The Gardner-Derrida RS entropy
$$ {capacity.EQUATIONS["binary_entropy"]} $$
vanishes at $\alpha = 0.833$ (Krauth-Mézard): the capacity of $\pm 1$ weights. RS reaches
$q \to 1$ only at $4/\pi \approx 1.27$, where its entropy is already negative: that answer is
wrong.

**Above capacity.** The fewest misclassified patterns, in RS,
$$ {capacity.EQUATIONS["errors"]} $$

**ReLU injectivity.** $x \mapsto {{\rm ReLU}}(Wx)$ with $W$ of size $m \times n$,
$\alpha = m/n$, is injective when in every direction at least $n$ units stay active: RS puts
the threshold where $\alpha\, e(\alpha) = 1$ ($\approx 7.65$); full replica-symmetry breaking
gives 6.698, and the Euler characteristic an upper bound of 8.34.

**References.** {"; ".join(capacity.REFERENCES)}.
"""


#: the presentation view's guided steps (``dashboards.present``)
STEPS = (
    GuidedStep("Gardner: α_c = 2 at zero margin",
         "A perceptron with spherical weights stores random patterns up to P = 2N; beyond, "
         "no weight vector classifies them all.",
         (Callout("capacity α_c", source="margin_point"),)),
    GuidedStep("Positive margin κ = 1: fewer patterns",
         "Asking for a margin costs capacity: the largest load falls well below 2.",
         (Callout("α_c(κ)", source="margin_point"),)),
    GuidedStep("Negative margin: replica symmetry is not enough",
         "Below zero margin the solutions no longer form a convex set: the replica-symmetric "
         "capacity is only an estimate.",
         (Callout("α_c(κ), RS", source="margin_point"),)),
    GuidedStep("Binary weights: 0.833, not 4/π",
         "±1 weights store far fewer patterns than spherical ones.",
         (Callout("binary weights", source="binary_point"),
          Callout("spherical weights", source="margin_point"))),
)

class CapacityExplorer(CapacityParameters, Explorer):
    """Perceptron storage capacity: spherical and binary weights, errors, injectivity."""
    ANIMATED = ("kappa", "alpha")
    PINNED = ("separability", ("cover",))
    ANSWERS = ("margin_curve", "margin_rsb", "margin_point", "binary_point",
               "overlap_threshold", "cover_limit", "binary_negative", "binary_thresholds",
               "errors_threshold", "injectivity_thresholds")
    STEPS = STEPS

    title = "Storage capacity"
    SOURCES = recipes.SOURCES
    RECIPES = recipes.RECIPES
    FIGURES = FIGURES
    CONTROLS = CONTROLS

    def __init__(self, **params):
        super().__init__(**params)
        self._simulated_n: int | None = None  # N of the linear programs on the plot
        self.summary = summary_pane()
        self.build_view()
        self.run_button, self.cancel_button = self.sim.run_button, self.sim.cancel_button
        self.progress, self.sim_status = self.sim.progress, self.sim.status

    def python_script(self) -> str:
        return recipes.python_script(self, self.script_figures())

    # -- what the recipes do not say: titles, the summary --------------------------------
    def after_overlap(self):
        self._set_subtitle("overlap", f"at κ = {self.kappa:.2f}")

    def after_errors(self):
        self._set_subtitle("errors", f"at κ = {self.kappa:.2f}")

    def after_separability(self):
        self._set_subtitle("separability", f"at N = {self.n}")
        if self._simulated_n is not None and self._simulated_n != self.n:
            self.clear_sources("lp")  # fractions at another N than the curve's
            self._simulated_n = None

    def _set_subtitle(self, key: str, text: str) -> None:
        set_subtitle(getattr(self, f"fig_{key}"), text)

    def after_at_alpha(self):
        alpha, kappa, n = float(self.alpha), float(self.kappa), int(self.n)
        alpha_c = float(capacity.gardner_capacity(kappa).alpha_c)
        patterns = round(alpha * n)
        separable = float(capacity.cover_probability(patterns, n))
        rs_note = "" if kappa >= 0 else "; κ < 0: an RS estimate, RSB is needed"
        at = f"At α = {alpha:.2f} and κ = {kappa:.2f}"
        limit = f"α_c = {alpha_c:.3f}{rs_note}"
        if abs(alpha - alpha_c) <= 1e-9 * max(1.0, alpha_c):
            stored = (f"{at} spherical weights are exactly at capacity ({limit}): the "
                      "solutions shrink to a single one (q → 1).")
        elif alpha < alpha_c:
            q = capacity.version_space_overlap(alpha, kappa)
            stored = (f"{at} spherical weights store the patterns ({limit}); two solutions "
                      f"overlap q = {float(q.q[0]):.3f}.")
        else:
            e = capacity.min_error_fraction(alpha, kappa)
            stored = (f"{at} no weights store every pattern ({limit}); at best a fraction "
                      f"e = {readable(float(e.errors[0]), 4)} is misclassified.")
        self.summary.object = (f"{stored} With N = {n}, P = {patterns} random points are "
                               f"separable with probability {separable:.3f} (Cover).")

    # -- simulations -----------------------------------------------------------------------
    def run_simulations(self):
        """LP separability and SVM margins in a worker process; returns the Future."""
        p = self.snapshot()
        lp, svm = len(recipes.LP_ALPHAS) * p.lp_trials, len(recipes.SVM_ALPHAS) * p.svm_trials
        self.sim.start(f"Solving {lp} linear programs at N = {p.n} and {svm} SVMs at "
                       f"N = {p.svm_n}…")

        def done(results):
            if p.n != self.n:
                self.sim.finish("N changed during the run; result discarded.")
                return
            self.bind(recipes.simulations(results))
            self._simulated_n = p.n
            self.sim.finish(f"{p.lp_trials} linear programs per α at N = {p.n}; "
                            f"{p.svm_trials} SVMs per α at N = {p.svm_n}.")

        return self.run_in_process(recipes.simulation_steps(p), on_done=done,
                                   on_error=self.sim.failed,
                                   on_progress=self.sim.show_progress)

    # -- layout --------------------------------------------------------------------------
    def __panel__(self):
        explanation = self.explanation(
            EXPLANATION, "What this shows: model, curves, thresholds, references")
        plots = pn.Column(
            self.message,
            self.summary,
            self.plot_row(self.margin_pane, self.overlap_pane),
            self.plot_row(self.separability_pane, self.binary_pane),
            self.plot_row(self.errors_pane, self.injectivity_pane),
            explanation,
            sizing_mode="stretch_width",
        )
        return pn.Row(self.controls, plots, sizing_mode="stretch_width")
