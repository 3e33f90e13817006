"""Teacher-student learning curves explorer: Bayes-optimal and GAMP generalisation of
generalised linear models, ridge regression and double descent, with simulations on top.

The parameters, the tasks (as a table), the cached theory calls and the recipes are in
``dashboards.recipes.glm`` (Panel-free); this module holds the page: its figures and controls
as data, the texts, and the simulations."""

from __future__ import annotations

import threading

import panel as pn
from bokeh.core.properties import value
from bokeh.models import (
    BasicTicker,
    BasicTickFormatter,
    LinearScale,
    LogScale,
    LogTicker,
    LogTickFormatter,
)

from theory import channels, erm, glm, priors

from .base import (
    DESIGN,
    PALETTE,
    Explorer,
    Figure,
    Glyph,
    Hover,
    LiveMarkdown,
    Marker,
    Simulation,
    bands_and_thresholds,
    control,
    error_bars,
    landscape_glyphs,
    set_subtitle,
    submit_background,
    summary_pane,
)
from .present import Callout, GuidedStep
from .recipes import glm as recipes
from .recipes import readable
from .recipes.glm import (  # noqa: F401 (the page's names: the warm-up, tests, benchmarks)
    ATLAS,
    CURVE_POINTS,
    DD_LAMBDAS,
    LOGISTIC_CURVES,
    LOGISTIC_POINTS,
    GlmParameters,
    cached_curve,
    logistic_steps,
)

_prefetched = threading.Event()


def _prefetch_tables():
    """Once per process, build the slow one-off tables (phase retrieval) in the background."""
    if not _prefetched.is_set():
        _prefetched.set()
        submit_background(lambda: cached_curve(priors.Gaussian(), channels.Abs(), 0.05, 3.0,
                                               CURVE_POINTS))


def _double_descent_glyphs():
    colors = ("vermillion", "orange", "yellow", "sky", "grey")
    glyphs = [Glyph("line", "dd", x="alpha", y=f"lam{i}", color=PALETTE[color], line_width=2,
                    legend_label="λ → 0 (min-norm)" if lam == 0 else f"λ = {readable(lam)}")
              for i, (lam, color) in enumerate(zip(DD_LAMBDAS, colors, strict=True))]
    return (*glyphs, Glyph("line", "dd", x="alpha", y="optimal", color=PALETTE["blue"],
                           line_width=4, legend_label="optimal λ = Δ"))


FIGURES = (
    Figure("curve", "Generalisation error vs samples per dimension",
           "samples per dimension α = M/N", "test error", height=420,
           options=(("x_range", (0, 1)), ("y_range", (0, 1)), ("span", "full")),
           glyphs=(
               *bands_and_thresholds("regions", "thresholds"),
               Glyph("line", "erm", key="erm", optional=True, x="alpha", y="error",
                     color=PALETTE["purple"], line_width=2.5, legend_label="ERM at λ"),
               Glyph("line", "curves", key="informed", x="alpha", y="informed",
                     color=PALETTE["green"], line_width=2.5, line_dash="dotted",
                     legend_label="informed branch"),
               Glyph("line", "curves", key="gamp", x="alpha", y="uninformed",
                     color=PALETTE["orange"], line_width=2.5, line_dash="dashed",
                     legend_label="GAMP (uninformed)"),
               Glyph("line", "curves", key="bayes", x="alpha", y="bayes", color=PALETTE["blue"],
                     line_width=3, legend_label="Bayes-optimal"),
               Glyph("scatter", "unconverged", optional=True, x="alpha", y="value", marker="x",
                     size=10, color=PALETTE["vermillion"], line_width=2,
                     legend_label="not converged"),
               *error_bars("sim", "alpha", color=PALETTE["black"], optional=True,
                           label="GAMP runs (mean ± s.e.)"),
               *error_bars("ridge_sim", "alpha", color=PALETTE["purple"], optional=True,
                           label="ERM fits (mean ± s.e.)", marker="square", size=8),
           ),
           markers=(Marker("alpha_marker", "alpha", props=(
               ("line_color", PALETTE["black"]), ("line_width", 1.5), ("line_alpha", 0.6))),),
           hover=(Hover(("bayes", "gamp", "informed"), (
               ("α", "@alpha{0.000}"), ("Bayes", "@bayes{0.0000}"),
               ("GAMP", "@uninformed{0.0000}"), ("informed", "@informed{0.0000}"))),)),
    Figure("dd", "Double descent", "α = M/N", "test error", height=330,
           options=(("x_range", (0, 3)), ("y_range", (0, 3)), ("subtitle", "")),
           glyphs=_double_descent_glyphs()),
    Figure("landscape", "Free entropy f(q)", "overlap q", "free entropy f(q)", height=330,
           options=(("subtitle", ""),), glyphs=landscape_glyphs("q", "f", "f(q) at current α")),
)

CONTROLS = (
    "presets",
    control("task", "Select"),
    control("prior", "Select"),
    control("rho", format="0.00", enabled=lambda p: p.uses("rho")),
    control("noise", format="0.00", enabled=lambda p: p.uses("noise")),
    control("flip", format="0.00", enabled=lambda p: p.uses("flip")),
    control("lam", "FloatInput", step=0.01, enabled=lambda p: p.uses("lam")),
    control("psi", format="0.0"),
    # a range a lecture uses on the slider; its number inputs (and links) go up to MAX_ALPHA
    control("alpha_range", "EditableRangeSlider", step=0.05, start=0.0,
            end=recipes.ALPHA_SLIDER_END, fixed_start=0.0, fixed_end=glm.MAX_ALPHA),
    control("alpha", format="0.000", css_classes=["alpha-slider"], follows="alpha_range"),
    control("quantity", "RadioButtonGroup"),
    control("log_scale", "Checkbox"),
    "divider",
    "pins",
    "sweep",
    "divider",
    Simulation("Run simulations", "**Finite-size GAMP (and ERM fits)**",
               run="run_simulations", controls=(control("sim_n", step=100),
                                                 control("sim_runs"))),
    "divider",
    "export",
)

#: what a simulation was run for: a change of any of these makes it stale
SIMULATED = ("task", "prior", "rho", "noise", "flip", "lam", "psi", "alpha_range")
EMPTY_SIMULATION = {key: {"alpha": [], "mean": [], "low": [], "high": []}
                    for key in ("sim", "ridge_sim")}


def sim_overlay(page) -> dict:
    """The simulations of the current model, in the plotted quantity (none: empty)."""
    done = page._sim
    if done is None or done[0] != tuple(getattr(page, n) for n in SIMULATED):
        return EMPTY_SIMULATION
    _, p, results = done
    p.quantity = page.quantity  # p is this run's own snapshot
    return recipes.simulation(p, results)


EXPLANATION = rf"""
### What you see
**Model.** A teacher with weights $x \in \mathbb R^N$ labels random Gaussian inputs,
$$ {glm.EQUATIONS["model"]} $$
and a student who knows the prior and the channel learns from $M = \alpha N$ examples. In high
dimension, Bayes-optimal learning and GAMP are described by the replica free entropy
$$ {glm.EQUATIONS["free_entropy"]} $$
whose stationary points solve the state evolution
$$ {glm.EQUATIONS["state_evolution"]} $$
with $q$ the overlap between teacher and the Bayes estimate.

**Curves.** *GAMP / uninformed* (dashed): state evolution from $q \approx 0$, what
GAMP reaches. *Informed* (dotted): from $q \approx 1$. *Bayes-optimal* (solid): the state of
larger free entropy. *Ridge* (purple): the test error of ridge regression at the chosen
$\lambda$ (linear channels). For the perceptron the error is
$ {glm.EQUATIONS["perceptron_error"]} $; for the other channels, the mean squared error of the
Bayes prediction of a new label.

**Thresholds.** $\alpha_{{\rm WR}}$: $q = 0$ stops being stable (symmetric channels).
$\alpha_{{\rm dyn}}$: the high-overlap (or perfect-recovery) state becomes stable.
$\alpha_{{\rm IT}}$: it becomes the Bayes-optimal one. $\alpha_{{\rm alg}}$: GAMP jumps to it.
Between $\alpha_{{\rm IT}}$ and $\alpha_{{\rm alg}}$ learning is possible but GAMP (and, it is
conjectured, every efficient algorithm) fails: the **hard phase**.

**Double descent (ridge and random-features tasks).** Ridge regression on a noisy
linear teacher for several regularisations: without regularisation the error diverges at the
interpolation threshold $\alpha = 1$ ($\alpha = \psi$ for random features); the optimal
$\lambda = \Delta$ (thick) removes the peak.

**Landscape.** $f(q)$ at the current $\alpha$; dots mark the stable states.

**References.** {"; ".join(glm.REFERENCES + erm.REFERENCES)}.
"""


#: the presentation view's guided steps (``dashboards.present``)
STEPS = (
    GuidedStep("Binary perceptron: the hard phase between α_IT and α_alg",
         "A perceptron teacher with ±1 weights: from α_IT on the Bayes-optimal student "
         "finds the teacher exactly, but GAMP does so only from α_alg; between them lies "
         "the hard phase.",
         (Callout("α_IT", source="thresholds", label="α_IT"),
          Callout("hard phase", source="regions", label="hard phase"),
          Callout("α_alg: GAMP jumps", source="thresholds", label="α_alg"))),
    GuidedStep("Phase retrieval: weak recovery at α = 1/2",
         "Only |z| is observed: below α = 1/2 nothing is learned, then the overlap grows "
         "continuously; exact recovery needs more samples, and GAMP more still.",
         (Callout("weak recovery", source="thresholds", label="α_WR"),
          Callout("hard phase", source="regions", label="hard phase"))),
    GuidedStep("Compressed sensing (ρ = 0.3)",
         "Sparse signals without noise: exact recovery is possible once there are as many "
         "samples as non-zero entries, α = ρ; AMP needs α_alg.",
         (Callout("α_IT = ρ", source="thresholds", label="α_IT"),
          Callout("hard phase", source="regions", label="hard phase"),
          Callout("α_alg", source="thresholds", label="α_alg"))),
    GuidedStep("Double descent of ridge regression",
         "Ridge regression with almost no regularisation: the test error peaks where "
         "samples and dimensions are equal, α = 1, the interpolation threshold."),
    GuidedStep("Random features: the peak at p = n",
         "Random-features regression with p = 2N features: the test error peaks where "
         "the number of samples reaches the number of features, α = ψ = 2, and descends "
         "again with more samples."),
)

class GlmExplorer(GlmParameters, Explorer):
    """Teacher-student GLMs: Bayes-optimal, GAMP and ridge learning curves, thresholds."""
    ANIMATED = ("alpha", "noise", "lam")
    PINNED = ("curves", ("curves.bayes", "curves.uninformed"))
    ANSWERS = ("regions", "thresholds", "curves.bayes")
    STEPS = STEPS

    title = "Teacher-student learning curves"
    SOURCES = recipes.SOURCES
    RECIPES = (*recipes.RECIPES,
               recipes.Recipe("sims", sim_overlay, (*SIMULATED, "quantity"), script=False))
    FIGURES = FIGURES
    CONTROLS = CONTROLS

    def __init__(self, **params):
        super().__init__(**params)
        self._sim: tuple | None = None  # (what it was run for, its parameters, results)
        self.summary = summary_pane()
        self.landscape_note = LiveMarkdown("", margin=(0, 10), design=DESIGN)
        self.task_note = pn.pane.Markdown("", margin=(0, 10), styles={"font-size": "0.9em"},
                                          design=DESIGN)
        self.build_view()
        self.controls.insert(2, self.task_note)  # under the task it describes
        self.dd_cell = pn.Column(self.dd_pane, sizing_mode="stretch_width",
                                 visible=self._dd_shown)
        _prefetch_tables()

    def python_script(self) -> str:
        return recipes.python_script(self, self.script_figures())

    # -- what the recipes do not say: axes, titles, texts, controls -----------------------
    def update_view(self, changed=None):
        if changed is None or "task" in changed:
            self.task_note.object = self.spec.description
            self.widgets["psi"].visible = self.uses("psi")  # one task's: hidden elsewhere
        slider = self.widgets["alpha_range"]
        if self.alpha_range[1] > slider.end:  # a range typed or linked beyond the slider
            slider.end = float(self.alpha_range[1])
        super().update_view(changed)

    def after_curves(self):
        fig = self.fig_curve
        fig.x_range.update(start=recipes.alpha_bounds(self)[0], end=self.alpha_range[1])
        fig.yaxis.axis_label = self.quantity
        if self.log_scale != isinstance(fig.y_scale, LogScale):
            fig.y_scale = LogScale() if self.log_scale else LinearScale()
            fig.yaxis[0].update(ticker=LogTicker() if self.log_scale else BasicTicker(),
                                formatter=LogTickFormatter() if self.log_scale
                                else BasicTickFormatter())
        bottom, top = recipes.y_range(self)
        fig.y_range.update(start=bottom, end=top)
        self.summary.object = recipes.summary(self)

    def after_erm(self):
        for item in self.optional_legend.get("erm", ()):
            item.label = value(recipes.erm_label(self))

    def after_double_descent(self):
        kind = self.spec.double_descent
        self._dd_shown = kind is not None
        if "dd_cell" in self.__dict__:
            self.dd_cell.visible = self._dd_shown
        if kind is None:
            return
        lo, hi = recipes.alpha_bounds(self)
        self.fig_dd.x_range.update(start=lo, end=hi)
        noise = f"noise Δ = {readable(self.noise)}"
        set_subtitle(self.fig_dd, f"random features, ψ = {readable(self.psi)}, {noise}"
                     if kind == "random_features" else
                     f"ridge regression, {noise}" + (" (no peak)" if self.noise == 0 else ""))

    def after_at_alpha(self):
        set_subtitle(self.fig_landscape, f"at α = {readable(self.alpha, 4)}")
        self.landscape_note.object = recipes.landscape_note(self)

    def after_sims(self):
        if self._sim is not None and self._sim[0] != tuple(getattr(self, n) for n in SIMULATED):
            self._sim = None
            self.sim.status.object = ""

    # -- simulations ---------------------------------------------------------------------
    def run_simulations(self):
        """GAMP (and the task's ERM fits) at a few alphas, in a worker process; returns the
        Future."""
        p = self.snapshot()
        steps = recipes.simulation_steps(p)
        fits = p.spec.erm
        alphas, n, runs = recipes.SIM_ALPHA_POINTS, int(p.sim_n), int(p.sim_runs)
        self.sim.start(f"Running {alphas * runs * (2 if fits else 1)} fits at N = {n}…")
        ran_for = tuple(getattr(p, name) for name in SIMULATED)

        def finished(results):
            if ran_for != tuple(getattr(self, name) for name in SIMULATED):
                self.sim.finish("Parameters changed during the run; result discarded.")
                return
            self._sim = (ran_for, p, results)
            self.bind(sim_overlay(self))
            kind = {"random_features": "random-features", "ridge": "ridge",
                    "logistic": "logistic-regression"}.get(fits)
            self.sim.finish(f"GAMP: {runs} run(s) × {alphas} values of α at N = {n}"
                            + (f"; {kind} fits at λ = {readable(p.lam)}" if kind else "")
                            + ".")

        return self.run_in_process(steps, on_done=finished, on_error=self.sim.failed,
                                   on_progress=self.sim.show_progress)

    # -- layout --------------------------------------------------------------------------
    def __panel__(self):
        explanation = self.explanation(
            EXPLANATION, "What this shows: model, curves, thresholds, references")
        plots = pn.Column(
            self.message,
            self.summary,
            self.curve_pane,
            self.plot_row(pn.Column(self.landscape_pane, self.landscape_note,
                                    sizing_mode="stretch_width"), self.dd_cell),
            explanation,
            sizing_mode="stretch_width",
        )
        return pn.Row(self.controls, plots, sizing_mode="stretch_width")
