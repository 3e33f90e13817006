"""Low-rank matrix estimation explorer: MMSE, metastability and thresholds of the spiked
Wigner model, with finite-size AMP runs on top of the theory.

The parameters, the cached theory calls and the recipes are in ``dashboards.recipes.spiked``
(Panel-free); this module holds the page: its figures and controls as data, the texts, and
the AMP runs."""

from __future__ import annotations

import panel as pn

from theory import spiked

from .base import (
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
    landscape_glyphs,
    legend_items,
    set_subtitle,
    summary_pane,
)
from .present import Callout, GuidedStep
from .recipes import spiked as recipes
from .recipes.spiked import (  # noqa: F401 (the page's names: tests, warm-up, benchmarks)
    CURVE_POINTS,
    CURVE_TITLES,
    FAMILY_OF,
    PRIOR_LABELS,
    QUANTITIES,
    RHO_ATLAS,
    THRESHOLD_STYLE,
    SpikedParameters,
    cached_curve,
    cached_landscape,
    cached_phase_diagram,
    cached_thresholds,
)

#: the λ range slider ends here, or at twice the range's upper end (up to its bound, 20):
#: on 0-20 both handles of the usual ranges (0.2-1.6) sat together at the far left
SNR_SLIDER_END = 5.0
PCA_LABEL = "PCA (top eigenvector)"
#: the PCA legend entry when its curve lies under the Bayes-optimal one (a Gaussian spike)
PCA_SAME_LABEL = "PCA = Bayes-optimal here (same curve)"
FAMILY_LABEL = {"sparse_rademacher": "sparse Rademacher", "gauss_bernoulli": "Gauss-Bernoulli"}


def _phase_glyphs():
    glyphs = [Glyph("varea", "phase", x="rho", y1="it", y2="alg", fill_color=PALETTE["orange"],
                    fill_alpha=0.25, legend_label="hard phase"),
              Glyph("varea", "phase", x="rho", y1="dynamic", y2="it", fill_color=PALETTE["sky"],
                    fill_alpha=0.2, legend_label="metastable")]
    for key, column in (("dynamic", "dynamic"), ("information_theoretic", "it"),
                        ("algorithmic", "alg")):
        label, color = THRESHOLD_STYLE[key]
        glyphs.append(Glyph("line", "phase", x="rho", y=column, color=color, line_width=2.5,
                            legend_label=label.split(":")[0]))
    glyphs.append(Glyph("scatter", "phase_point", x="rho", y="snr", size=12, marker="star",
                        color=PALETTE["black"], legend_label="current (ρ, λ)"))
    return tuple(glyphs)


FIGURES = (
    Figure("curve", CURVE_TITLES["MMSE"], "signal-to-noise ratio λ", "matrix MMSE",
           height=420,
           options=(("x_range", (0, 1)), ("y_range", (recipes.Y_BOTTOM, recipes.Y_TOP)),
                    ("span", "full")),
           glyphs=(
               *bands_and_thresholds("regions", "thresholds"),
               Glyph("line", "curves", key="pca", x="snr", y="pca", color=PALETTE["grey"],
                     line_width=2, line_dash="dashdot", legend_label=PCA_LABEL),
               Glyph("line", "curves", key="informed", x="snr", y="informed",
                     color=PALETTE["green"], line_width=2.5, line_dash="dotted",
                     legend_label="informed branch"),
               Glyph("line", "curves", key="amp_branch", x="snr", y="uninformed",
                     color=PALETTE["orange"], line_width=2.5, line_dash="dashed",
                     legend_label="uninformed / AMP"),
               Glyph("line", "curves", key="bayes", x="snr", y="bayes", color=PALETTE["blue"],
                     line_width=3, legend_label="Bayes-optimal"),
               Glyph("scatter", "unconverged", optional=True, x="snr", y="value", marker="x",
                     size=10, color=PALETTE["vermillion"], line_width=2,
                     legend_label="not converged"),
               *error_bars("amp", "snr", color=PALETTE["black"], optional=True,
                           label="AMP runs (mean ± s.e.)"),
           ),
           markers=(Marker("snr_marker", "snr"),),
           hover=(Hover(("bayes", "amp_branch", "informed", "pca"), (
               ("λ", "@snr{0.000}"), ("Bayes", "@bayes{0.0000}"), ("AMP", "@uninformed{0.0000}"),
               ("informed", "@informed{0.0000}"), ("PCA", "@pca{0.0000}"))),)),
    Figure("landscape", "Free-entropy landscape Φ(m)", "overlap m", "free entropy Φ(m)",
           height=330, options=(("subtitle", ""),),
           glyphs=landscape_glyphs("m", "phi", "Φ(m) at current λ")),
    Figure("phase", "Phase diagram", "sparsity ρ", "λ", height=330, loading="phase",
           glyphs=_phase_glyphs(),
           options=(("x_axis_type", "log"), ("y_range", (0, recipes.PHASE_Y_TOP)),
                    ("subtitle", ""))),
)

CONTROLS = (
    "presets",
    control("prior"),
    control("rho", format="0.000", enabled=lambda p: p.is_sparse),
    control("snr_range", step=0.05, format="0.00"),  # 0.20 .. 3.00, not 0.20 .. 3
    control("snr", format="0.000", css_classes=["snr-slider"], follows="snr_range"),
    control("quantity", "RadioButtonGroup"),
    "divider",
    "pins",
    "sweep",
    "divider",
    Simulation("Run AMP", "**Finite-size AMP**", run="run_amp", controls=(
        control("amp_n", step=100), control("amp_runs"))),
    "divider",
    "export",
)


#: the presentation view's guided steps (``dashboards.present``)
STEPS = (
    GuidedStep("BBP transition (Gaussian spike)",
         "A Gaussian spike: below λ = 1 nothing beats a guess; from λ = 1 on, PCA and AMP "
         "correlate with the spike, continuously. AMP is optimal here.",
         (Callout("BBP transition", source="thresholds", label="λ = 1"),)),
    GuidedStep("Z2 synchronisation (Rademacher spike)",
         "A ±1 spike: still a continuous transition at λ = 1, but above it AMP's error is "
         "below PCA's.",
         (Callout("weak recovery from λ = 1", source="thresholds", label="λ = 1"),)),
    GuidedStep("First-order transition of sparse PCA (ρ = 0.05)",
         "A very sparse spike: the Bayes-optimal error jumps at λ_IT, but AMP stays near zero "
         "overlap until λ_alg. Estimation is possible, yet AMP fails: the hard phase.",
         (Callout("λ_IT", source="thresholds", label="λ_IT"),
          Callout("hard phase", source="regions", label="hard phase"),
          Callout("λ_alg: AMP jumps", source="thresholds", label="λ_alg"))),
    GuidedStep("Sparse Gauss-Bernoulli spike (ρ = 0.02)",
         "Sparser still: the hard phase now spans most of the λ axis, from λ_IT up to where "
         "AMP finally learns.",
         (Callout("λ_IT", source="thresholds", label="λ_IT"),
          Callout("hard phase", source="regions", label="hard phase"))),
)

def amp_overlay(page) -> dict:
    """The AMP runs of the current model, in the plotted quantity (none: an empty overlay)."""
    done = page._amp
    if done is None or done[1] is None or done[0] != page.current_prior:
        return {"amp": {k: [] for k in ("snr", "mean", "low", "high")}}
    return recipes.amp(page, done[1])


EXPLANATION = rf"""
### What you see
**Model.** A rank-one signal hidden in a symmetric noise matrix,

$$ {spiked.EQUATIONS["model"]} $$

with the entries $x_i$ drawn from the prior. In high dimension the Bayes-optimal estimator and
approximate message passing (AMP) reduce to a scalar Gaussian channel
$$ {spiked.EQUATIONS["channel"]} $$
whose overlap $m$ obeys the state evolution
$$ {spiked.EQUATIONS["state_evolution"]} $$
Its fixed points are the stationary points of the free entropy
$$ {spiked.EQUATIONS["free_entropy"]} $$
and the matrix error is $$ {spiked.EQUATIONS["mmse"]} $$

**Curves.** *Uninformed / AMP* (dashed): state evolution started at $m \approx 0$, what
AMP reaches. *Informed* (dotted): started at $m = 1$. *Bayes-optimal* (solid): the branch with
the larger free entropy. *PCA* (grey): the top eigenvector, $m = \max(0, 1 - 1/\lambda)$ (BBP).
Red crosses mark points whose fixed-point equation did not converge.

**Thresholds.** $\lambda = 1$: $m = 0$ becomes unstable (AMP and PCA start to learn).
$\lambda_{{\rm dyn}}$: a second, informed maximum of $\Phi$ appears (light band: metastable).
$\lambda_{{\rm IT}}$: the two maxima have equal free entropy; above it the Bayes-optimal error
jumps down. $\lambda_{{\rm alg}}$: AMP leaves the low-overlap state. Between
$\lambda_{{\rm IT}}$ and $\lambda_{{\rm alg}}$ (dark band) estimation is possible but AMP fails:
the **hard phase**. For dense priors the transition is continuous and the bands vanish.

**Landscape.** $\Phi(m)$ at the current $\lambda$; dots mark its local maxima
(filled: global, the Bayes-optimal state; hollow: metastable).

**Phase diagram.** The same thresholds as the sparsity $\rho$ varies.

**AMP runs.** Finite-$N$ AMP (with the Onsager term) on sampled instances: mean and standard
error of the final overlap over runs, started uninformed; they follow the AMP branch.

**References.** {"; ".join(spiked.REFERENCES)}.
"""


class SpikedExplorer(SpikedParameters, Explorer):
    """Spiked Wigner model: Bayes-optimal and AMP errors, metastability, thresholds."""
    ANIMATED = ("snr", "rho")
    PINNED = ("curves", ("curves.bayes", "curves.uninformed"))
    ANSWERS = ("regions", "thresholds", "curves.bayes", "phase")
    STEPS = STEPS

    title = "Low-rank matrix estimation"
    SOURCES = recipes.SOURCES
    RECIPES = (*recipes.RECIPES,
               recipes.Recipe("amp", amp_overlay, ("prior", "rho", "quantity"), script=False))
    FIGURES = FIGURES
    CONTROLS = CONTROLS

    def __init__(self, **params):
        super().__init__(**params)
        self._amp: tuple | None = None  # (prior, AmpEnsemble) of the last run
        self.summary = summary_pane()
        self.build_view()
        self.run_button, self.cancel_button = self.sim.run_button, self.sim.cancel_button
        self.progress, self.amp_status = self.sim.progress, self.sim.status

    def python_script(self) -> str:
        return recipes.python_script(self, self.script_figures())

    # -- what the recipes do not say: axes, titles, texts ---------------------------------
    def after_curves(self):
        lo, hi = self.snr_range
        self.fig_curve.x_range.update(start=lo, end=hi)
        end = min(recipes.MAX_SNR, max(SNR_SLIDER_END, 2 * float(hi)))
        if self.snr_range_widget.end != end:  # room to drag further, handles apart
            self.snr_range_widget.end = end
        self.fig_curve.yaxis.axis_label = QUANTITIES[self.quantity][1]
        self.fig_curve.title.text = CURVE_TITLES[self.quantity]
        self.summary.object = self._summary_text(cached_thresholds(self.current_prior))
        same = recipes.pca_is_bayes_optimal(self.sources["curves"].data)
        label = PCA_SAME_LABEL if same else PCA_LABEL
        item = legend_items(self.fig_curve, {"pca": self.renderers["pca"]})["pca"]
        if getattr(item.label, "value", None) != label:
            item.label = {"value": label}

    def after_at_snr(self):
        set_subtitle(self.fig_landscape, f"at λ = {self.snr:.3f}")
        lo, hi = recipes.phase_y_range(self.snr)
        if (self.fig_phase.y_range.start, self.fig_phase.y_range.end) != (lo, hi):
            self.fig_phase.y_range.update(start=lo, end=hi)

    def after_phase(self):
        family = FAMILY_OF[self.prior]
        set_subtitle(self.fig_phase, f"{FAMILY_LABEL[family]} family")

    def after_amp(self):
        if self._amp is not None and self._amp[0] != self.current_prior:
            self._clear_amp()

    @staticmethod
    def _summary_text(th: spiked.Thresholds) -> str:
        if not th.first_order:
            return ("**Continuous transition** at λ = 1: the overlap grows from zero, AMP is "
                    "optimal, and there is no hard phase.")
        it = th.information_theoretic
        return (f"**First-order transition.** λ_dyn = {th.dynamic:.4f}, λ_IT = {it:.4f}, "
                f"λ_alg = {th.algorithmic:.4f}. Between λ_IT and λ_alg the Bayes-optimal error "
                "is small but AMP stays near m ≈ 0: the hard phase."
                + ("" if th.converged else " (the free-entropy crossing did not converge)"))

    # -- AMP -----------------------------------------------------------------------------
    def run_amp(self):
        """Start finite-N AMP runs in a worker process; returns the Future."""
        p = self.snapshot()
        runs, points = int(p.amp_runs), recipes.AMP_SNR_POINTS
        self.sim.start(f"Running {points * runs} AMP runs at N = {p.amp_n}…")

        def done(results):
            if (p.current_prior, p.amp_n) != (self.current_prior, self.amp_n):
                self.sim.finish("Parameters changed during the run; result discarded.")
                return
            self._amp = (p.current_prior, results[0])
            self.bind(amp_overlay(self))
            self.sim.finish(f"AMP: {runs} run(s) × {points} values of λ at N = {p.amp_n}, "
                            f"uninformed start, up to {recipes.AMP_ITERATIONS} iterations "
                            "(stops when converged).")

        return self.run_in_process(recipes.amp_steps(p), on_done=done,
                                   on_error=self.sim.failed, on_progress=self.sim.show_progress)

    def _clear_amp(self):
        self._amp = None
        self.bind(amp_overlay(self))
        self.sim.status.object = ""

    # -- layout --------------------------------------------------------------------------
    def __panel__(self):
        explanation = self.explanation(
            EXPLANATION, "What this shows: model, curves, thresholds, references")
        plots = pn.Column(
            self.message,
            self.summary,
            self.curve_pane,
            self.plot_row(self.landscape_pane, self.phase_pane),
            explanation,
            sizing_mode="stretch_width",
        )
        return pn.Row(self.controls, plots, sizing_mode="stretch_width")
