"""Scaling-law explorer: learning curves of kernel ridge regression on power-law spectra, their
decay exponents and the crossover from the noiseless to the noisy regime, with ridge fits on
sampled features on top of the theory.

The parameters, the cached theory calls and the recipes are in ``dashboards.recipes.scaling``
(Panel-free); this module holds the page: its figures and controls as data, the texts, and
the simulations."""

from __future__ import annotations

import panel as pn
from bokeh.models import ColorBar

from theory import scaling

from .base import (
    PALETTE,
    Explorer,
    Figure,
    Glyph,
    Hover,
    Simulation,
    control,
    error_bars,
    set_subtitle,
    summary_pane,
)
from .present import Callout, GuidedStep
from .recipes import readable
from .recipes import scaling as recipes
from .recipes.scaling import COLORS, ScalingParameters, exponents

FIGURES = (
    Figure("curve", "Learning curve", "samples n", "excess error ε(n)", height=380,
           options=(("x_axis_type", "log"), ("y_axis_type", "log"), ("subtitle", ""),
                    ("span", "full")),
           glyphs=(
               Glyph("segment", "crossover", x0="x", x1="x", y0="y0", y1="y1", color="color",
                     line_width=2, line_dash="dashed", legend_field="threshold"),
               Glyph("line", "guides", x="n", y="noiseless", color=COLORS["noiseless"],
                     line_width=1.5, line_dash="dotted", legend_label="noiseless slope"),
               Glyph("line", "guides", x="n", y="noisy", color=COLORS["noisy"],
                     line_width=1.5, line_dash="dotted", legend_label="noisy slope"),
               Glyph("line", "curve", x="n", y="bias", color=COLORS["bias"], line_width=2,
                     line_dash="dashed", legend_label="bias"),
               Glyph("line", "curve", x="n", y="variance", color=COLORS["variance"],
                     line_width=2, line_dash="dashdot", legend_label="variance"),
               Glyph("line", "curve", key="error", x="n", y="error", color=COLORS["error"],
                     line_width=3, legend_label="ε = bias + variance (P = ∞)"),
               Glyph("line", "sim_theory", optional=True, x="n", y="error",
                     color=PALETTE["grey"], line_width=2,
                     legend_label=f"theory at P = {recipes.SIM_FEATURES}"),
               *error_bars("sim", "n", color=PALETTE["black"], optional=True,
                           label=f"ridge fits, P = {recipes.SIM_FEATURES} (mean ± s.e.)"),
           ),
           hover=(Hover(("error",), (("n", "@n{0.[00]a}"), ("ε", "@error{0.000e}"),
                                     ("bias", "@bias{0.000e}"),
                                     ("variance", "@variance{0.000e}"))),)),
    Figure("exponent", "Local decay exponent", "samples n", "−d ln ε / d ln n", height=330,
           options=(("x_axis_type", "log"), ("subtitle", "")),
           glyphs=(
               Glyph("segment", "crossover_exponent", x0="x", x1="x", y0="y0", y1="y1",
                     color="color", line_width=2, line_dash="dashed",
                     legend_field="threshold"),
               Glyph("segment", "levels", x0="x0", x1="x1", y0="y", y1="y", color="color",
                     line_width=2, line_dash="dotted", legend_field="level"),
               Glyph("line", "exponent", key="local", x="n", y="local", color=COLORS["error"],
                     line_width=3, legend_label="local exponent"),
           ),
           hover=(Hover(("local",), (("n", "@n{0.[00]a}"), ("β(n)", "@local{0.000}"))),)),
    Figure("phase", "Decay exponent β with noise", "exponent ℓ of λ = n⁻ˡ",
           "source r", height=330,
           options=(("x_range", (0.0, recipes.ELL_MAX)), ("y_range", (0.05, recipes.R_MAX)),
                    ("subtitle", "")),
           glyphs=(
               Glyph("image", "phase", key="beta", image="beta", x="x", y="y", dw="dw",
                     dh="dh", palette="Viridis256"),
               Glyph("multi_line", "phase_lines", xs="ell", ys="r", color="color",
                     line_width=2.5, line_dash="dashed", legend_field="line"),
               Glyph("scatter", "phase_point", x="ell", y="r", size=14, marker="star",
                     color="white", line_color=PALETTE["black"], line_width=1.5,
                     legend_label="current (ℓ, r)"),
           )),
)

CONTROLS = (
    "presets",
    control("capacity", format="0.00"),
    control("source", format="0.00"),
    control("log_noise", format="0.00"),
    control("optimal", "Checkbox"),
    control("reg_exponent", format="0.00", enabled=lambda p: not p.optimal),
    "divider",
    "pins",
    "sweep",
    "divider",
    Simulation("Run ridge fits", "**Finite-size ridge regression**", run="run_simulations",
               controls=(control("sim_trials"),)),
    "divider",
    "export",
)

EXPLANATION = rf"""
### What you see
**Model.** Gaussian features $x \in \mathbb R^P$ with a power-law spectrum, a linear target of
given smoothness, and ridge regression on $n$ samples:

$$ {scaling.EQUATIONS["model"]} $$

The capacity $a > 1$ says how fast the spectrum decays, the source $r$ how smooth the target
is. For large $n$ and $P$ the excess error has a deterministic equivalent: the effective
regularisation $\kappa$ solves
$$ {scaling.EQUATIONS["kappa"]} $$
and
$$ {scaling.EQUATIONS["error"]} $$
(the first term is the bias, the second the variance; $P = \infty$: the kernel limit).

**Learning curve.** $\varepsilon(n)$ with its bias and variance, at the optimal $\lambda$
of each $n$ or along $\lambda = n^{{-\ell}}$. Dotted guides: the slopes of the two regimes.
The decay exponents are
$$ {scaling.EQUATIONS["exponents"]} $$
$$ {scaling.EQUATIONS["schedule"]} $$
Without noise the bias sets the rate; with noise the error first follows the noiseless rate,
then crosses over to the slower noisy one around $n^*$ (dashed), where
$$ {scaling.EQUATIONS["crossover"]} $$
Black dots: ridge fits on sampled features ($P = {recipes.SIM_FEATURES}$) with the same
$\lambda$; the grey line is the deterministic equivalent at that $P$, which they follow.

**Local exponent.** $-d\ln\varepsilon / d\ln n$ along the curve, with the two
predicted levels: it moves from one to the other across $n^*$.

**Phase diagram.** $\beta$ with noise for $\lambda = n^{{-\ell}}$ in the
$(\ell, r)$ plane at the current $a$: beyond $\ell = a$ the variance stops decaying (a
plateau, $\beta = 0$); the optimal $\ell(r) = a/(1 + 2a\bar r)$ balances bias and variance;
above $r = 1$ a smoother target no longer helps (saturation).

**References.** {"; ".join(scaling.REFERENCES)}.
"""


def decay(exponent) -> str:
    """n to the power −``exponent``, as the page's text shows it: a real superscript (HTML in
    the summary's Markdown), not ``n^-1.200``, which reads poorly from the back of a hall."""
    return f"n<sup>−{float(exponent):.3f}</sup>"


#: the presentation view's guided steps (``dashboards.present``)
STEPS = (
    GuidedStep("Noiseless to noisy crossover",
         "Kernel ridge regression with the best regularisation: a fast noiseless decay, "
         "then a slower one once the noise is resolved, around n*.",
         (Callout("crossover n*", source="crossover"),)),
    GuidedStep("Saturation: a smoother target does not help beyond r = 1",
         "Ridge cannot use smoothness beyond r = 1: the decay saturates at the r = 1 rate.",
         (Callout("crossover n*", source="crossover"),)),
    GuidedStep("Too little regularisation with noise: a plateau (ℓ > a)",
         "A regularisation that vanishes faster than the spectrum decays: the variance stops "
         "decaying and the error stops improving."),
    GuidedStep("Slowly vanishing λ = 1/√n: the bias limits the rate",
         "A regularisation that vanishes too slowly: the bias sets the rate of decay."),
)

class ScalingExplorer(ScalingParameters, Explorer):
    """Kernel ridge regression: learning curves, decay exponents, the noisy crossover."""
    ANIMATED = ("capacity", "source", "log_noise")
    PINNED = ("curve", ("curve.error",))
    ANSWERS = ("crossover", "crossover_exponent", "phase_lines")
    STEPS = STEPS

    title = "Scaling laws"
    SOURCES = recipes.SOURCES
    RECIPES = recipes.RECIPES
    FIGURES = FIGURES
    CONTROLS = CONTROLS

    def __init__(self, **params):
        super().__init__(**params)
        self._simulated: tuple | None = None  # the parameters of the fits on the plot
        self.summary = summary_pane()
        self.build_view()
        mapper = self.renderers["beta"].glyph.color_mapper
        mapper.update(low=0.0, high=1.0)
        self.fig_phase.add_layout(ColorBar(color_mapper=mapper, title="β", width=12), "right")
        self.run_button, self.cancel_button = self.sim.run_button, self.sim.cancel_button
        self.progress, self.sim_status = self.sim.progress, self.sim.status

    def python_script(self) -> str:
        return recipes.python_script(self, self.script_figures())

    def _simulated_key(self) -> tuple:
        return (self.capacity, self.source, self.log_noise, self.optimal,
                None if self.optimal else self.reg_exponent)

    # -- what the recipes do not say: titles, the summary --------------------------------
    def after_curve(self):
        schedule = "optimal λ" if self.optimal else f"λ = n⁻ˡ, ℓ = {self.reg_exponent:.2f}"
        text = (f"a = {self.capacity:.2f}, r = {self.source:.2f}, σ² = {readable(self.noise)}, "
                f"{schedule}")
        set_subtitle(self.fig_curve, text)
        set_subtitle(self.fig_exponent, text)
        if self._simulated is not None and self._simulated != self._simulated_key():
            # fits of another model are taken away (with their legend entries)
            self.bind({key: {c: [] for c in self.sources[key].data}
                       for key in ("sim", "sim_theory")})
            self._simulated = None
        quiet, noisy = exponents(self)
        saturated = " (r > 1: saturated at r = 1)" if bool(noisy.saturated) else ""
        self.summary.object = (
            f"**Decay exponents{saturated}:** without noise ε ∝ {decay(quiet.beta)} "
            f"({quiet.regime}); with noise ε ∝ {decay(noisy.beta)} ({noisy.regime}). "
            f"The optimal λ decays as {decay(noisy.optimal_reg_exponent)} with noise.")

    def after_phase(self):
        set_subtitle(self.fig_phase, f"at a = {self.capacity:.2f}")

    # -- simulations -----------------------------------------------------------------------
    def run_simulations(self):
        """Ridge fits on sampled features in a worker process; returns the Future."""
        p = self.snapshot()
        key = self._simulated_key()
        fits = len(recipes.SIM_N) * p.sim_trials
        self.sim.start(f"Fitting ridge {fits} times on P = {recipes.SIM_FEATURES} sampled "
                       "features…")

        def done(results):
            if key != self._simulated_key():
                self.sim.finish("Parameters changed during the run; result discarded.")
                return
            self.bind(recipes.simulations(p, results[0]))
            self._simulated = key
            self.sim.finish(f"{p.sim_trials} fits per n at P = {recipes.SIM_FEATURES}, "
                            f"n = {', '.join(map(str, recipes.SIM_N))}.")

        return self.run_in_process(recipes.simulation_steps(p), on_done=done,
                                   on_error=self.sim.failed,
                                   on_progress=self.sim.show_progress)

    # -- layout --------------------------------------------------------------------------
    def __panel__(self):
        explanation = self.explanation(
            EXPLANATION, "What this shows: model, curves, exponents, references")
        plots = pn.Column(
            self.message,
            self.summary,
            self.curve_pane,
            self.plot_row(self.exponent_pane, self.phase_pane),
            explanation,
            sizing_mode="stretch_width",
        )
        return pn.Row(self.controls, plots, sizing_mode="stretch_width")
