"""Multi-index explorer: which directions of a teacher W* in R^{d x p} a learner finds from
alpha d samples (trivial, easy and hard directions, staircases), and when the hidden units of
a two-unit committee machine specialise, with the hard phase of binary weights.

The parameters, the cached theory calls and the recipes are in
``dashboards.recipes.multiindex`` (Panel-free); this module holds the page: its figures and
controls as data and the texts."""

from __future__ import annotations

import threading

import numpy as np
import panel as pn
from bokeh.models import FixedTicker, Legend

from theory import multiindex

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
from .recipes import multiindex as recipes
from .recipes.multiindex import EIGEN_COLORS, MultiIndexParameters

#: the model a GAMP run was for: another value of one of these takes its points away (its d
#: and number of instances are told in its status line; a new α range keeps them)
GAMP_KEY = ("target", "weights")


def _eigen_glyphs():
    glyphs = list(bands_and_thresholds("eigen_regions", "eigen_thresholds"))
    for j, color in enumerate(EIGEN_COLORS, start=1):
        glyphs.append(Glyph("line", "eigen", key=f"m{j}", x="alpha", y=f"m{j}", color=color,
                            line_width=3 if j == 1 else 2.5,
                            legend_label=f"eigenvalue {j} of M (GAMP)"))
        glyphs.append(Glyph("line", "eigen", key=f"b{j}", x="alpha", y=f"b{j}", color=color,
                            line_width=2,
                            line_dash="dashed", line_alpha=0.8,
                            legend_label=f"eigenvalue {j} (Bayes-optimal)"))
    for j, (color, marker) in enumerate(zip(EIGEN_COLORS[:2], ("circle", "square"),
                                            strict=True), start=1):
        glyphs += error_bars(f"gamp{j}", "alpha", color=color, optional=True, marker=marker,
                             size=9, label=f"GAMP runs: eigenvalue {j}")
    return tuple(glyphs)


FIGURES = (
    Figure("eigen", "Overlap with the teacher's directions", "samples per dimension α = n/d",
           "eigenvalues of the overlap M", height=400, loading="eigenvalues",
           # a fixed x range: it follows the largest alpha shown (a DataRange1d would snap
           # back to the alpha of the page's first drawing in the browser)
           options=(("x_range", (0.0, 3.0)), ("y_range", recipes.EIGEN_Y), ("subtitle", ""),
                    ("span", "full")),
           glyphs=_eigen_glyphs(),
           markers=(Marker("alpha_marker_eigen", "alpha", DOTTED_MARKER),),
           hover=(Hover(("m1",), (("α", "@alpha{0.000}"), ("m₁", "@m1{0.0000}"),
                                  ("m₂", "@m2{0.0000}"), ("m₃", "@m3{0.0000}"))),)),
    Figure("spectrum", "Weak recovery at M = 0", "eigen-matrix index k",
           "eigenvalue of F", height=330, loading="weak_recovery",
           options=(("subtitle", ""),),
           glyphs=(Glyph("vbar", "spectrum", key="bars", x="index", top="eigenvalue",
                         width=0.6, color=PALETTE["blue"],
                         legend_label="spectrum of F(M) = E[G M G]"),),
           hover=(Hover(("bars",), (("k", "@index"), ("λₖ", "@eigenvalue{0.0000}"))),)),
    Figure("entropy", "Committee: free entropy per branch", "samples per dimension α = n/d",
           "free entropy", height=330, loading="committee",
           options=(("subtitle", ""),),
           glyphs=(
               Glyph("segment", "entropy_thresholds", x0="x", x1="x", y0="y0", y1="y1",
                     color="color", line_width=2, line_dash="dashed", legend_field="threshold"),
               Glyph("line", "entropy", key="uninformed", x="alpha", y="uninformed",
                     color=recipes.COLORS["uninformed"], line_width=2.5,
                     legend_label="GAMP's branch (uninformed)"),
               Glyph("line", "entropy", x="alpha", y="informed",
                     color=recipes.COLORS["informed"], line_width=2.5, line_dash="dashed",
                     legend_label="informed branch"),
           ),
           markers=(Marker("alpha_marker_entropy", "alpha", DOTTED_MARKER),),
           hover=(Hover(("uninformed",), (("α", "@alpha{0.000}"),
                                          ("GAMP", "@uninformed{0.0000}"),
                                          ("informed", "@informed{0.0000}"))),)),
    Figure("units", "Committee: each unit's overlaps", "samples per dimension α = n/d",
           "overlap q", height=330, loading="committee",
           options=(("x_range", (0.0, 3.0)), ("y_range", recipes.EIGEN_Y), ("subtitle", "")),
           glyphs=(
               Glyph("segment", "units_thresholds", x0="x", x1="x", y0="y0", y1="y1",
                     color="color", line_width=2, line_dash="dashed", legend_field="threshold"),
               Glyph("line", "units", key="q_diag", x="alpha", y="diag",
                     color=EIGEN_COLORS[0], line_width=3,
                     legend_label="q_diag: with its own unit (GAMP)"),
               Glyph("line", "units", x="alpha", y="diag_bayes", color=EIGEN_COLORS[0],
                     line_width=2, line_dash="dashed", legend_label="q_diag (Bayes-optimal)"),
               Glyph("line", "units", x="alpha", y="off", color=EIGEN_COLORS[1],
                     line_width=3, legend_label="q_off: with the other unit (GAMP)"),
               Glyph("line", "units", x="alpha", y="off_bayes", color=EIGEN_COLORS[1],
                     line_width=2, line_dash="dashed", legend_label="q_off (Bayes-optimal)"),
           ),
           markers=(Marker("alpha_marker_units", "alpha", DOTTED_MARKER),),
           hover=(Hover(("q_diag",), (("α", "@alpha{0.000}"), ("q_diag", "@diag{0.0000}"),
                                      ("q_off", "@off{0.0000}"))),)),
)

CONTROLS = (
    "presets",
    control("target"),
    control("weights", "RadioButtonGroup", enabled=lambda p: p.is_committee),
    control("alpha_max", format="0.00"),
    control("alpha", format="0.00"),
    "divider",
    "pins",
    "sweep",
    "divider",
    Simulation("Run GAMP", "**GAMP on sampled instances** (committee and sign(z₁ z₂) targets)",
               run="run_gamp", controls=(control("gamp_d"), control("gamp_seeds"))),
    "divider",
    "export",
)

EXPLANATION = rf"""
### What you see
The dotted vertical line on the plots against $\alpha$ marks the current $\alpha$ (the slider's).

**Model.** Gaussian inputs $x \in \mathbb R^d$, a teacher $W^* \in \mathbb R^{{d\times p}}$
with $p$ fixed, $z = W^{{*\top}} x/\sqrt d$ and labels $y \sim P(y \mid z)$, from $n = \alpha d$
samples. The Bayes-optimal learner (and GAMP) is described by the $p \times p$ overlap $M$ with
the teacher's directions, through the state evolution

$$ {multiindex.EQUATIONS["state_evolution"]} $$

**Weak recovery.** At $M = 0$: if $\mathbb E[z \mid y] \neq 0$ a direction is learned at
any $\alpha > 0$ (*trivial*). Otherwise the linearised map
$$ {multiindex.EQUATIONS["weak_recovery"]} $$
decides: $M = 0$ becomes unstable at $\alpha_c = 1/\lambda_{{\max}}(F)$ (*easy*), or never when
$G \equiv 0$ (*hard*: e.g. the parity $\mathrm{{sign}}(z_1 z_2 z_3)$). Closed forms:
$\alpha_c = 1/2$ for $y = z^2$, $p/2$ for sums of $p$ squares, $\pi^2/4$ for
$\mathrm{{sign}}(z_1 z_2)$. A *staircase* learns some directions only once others are known.

**Overlaps.** The eigenvalues of $M$ along $\alpha$, on GAMP's branch (solid) and the
Bayes-optimal one (dashed), where state evolution is solved here (the committee,
$y = |z|^2$, $y = \mathrm{{sign}}(z_1 z_2)$, whose overlap grows continuously from
$\alpha_c = \pi^2/4$, and the staircase, whose $z_2, z_3$ follow that curve once $z_1$ is
known exactly); dashed lines mark the thresholds. *Run GAMP* runs the algorithm on sampled
instances ($d = 1000$ by default, eight values of $\alpha$, 300 iterations from a random start)
for the committee and $\mathrm{{sign}}(z_1 z_2)$: markers are the eigenvalues of the estimated
overlap (mean and standard error over instances).

**Committee.** $y = \mathrm{{sign}}(z_1) + \mathrm{{sign}}(z_2)$: the
direction $w_1 + w_2$ is learned at once; the units specialise (tell themselves apart) from
$\alpha_{{\rm spec}}$: each student unit's overlap with its own teacher unit, $q_{{\rm diag}}$,
and with the other one, $q_{{\rm off}}$, part there (before, both units learn the same
mixture). With $\pm 1$ weights exact recovery (free entropy $-2\ln 2$) overtakes
at $\alpha_{{\rm IT}}$ but GAMP reaches it only at $\alpha_{{\rm alg}}$: the shaded hard phase.

**References.** {"; ".join(multiindex.REFERENCES)}.
"""


#: the presentation view's guided steps (``dashboards.present``)
STEPS = (
    GuidedStep("Committee: hidden units specialise",
         "A committee of two units: their sum is learned at once; the units tell themselves "
         "apart only from α_spec on, continuously.",
         (Callout("specialisation α_spec", source="eigen_thresholds", label="α_spec"),)),
    GuidedStep("Binary committee: a hard phase",
         "With ±1 weights exact recovery becomes possible at α_IT, but GAMP reaches it only "
         "at α_alg, where it jumps: a computational-to-statistical gap.",
         (Callout("α_IT", source="eigen_thresholds", label="α_IT"),
          Callout("hard phase", source="eigen_regions", label="hard phase"),
          Callout("α_alg", source="eigen_thresholds", label="α_alg"))),
    GuidedStep("Phase retrieval y = z²: weak recovery at α = 1/2",
         "y = z² says nothing about the sign of z: below α = 1/2 nothing is learned, then "
         "the overlap grows from zero.",
         (Callout("weak recovery", source="eigen_thresholds", label="direction 1"),)),
    GuidedStep("Staircase y = z₁² + sign(z₂ z₃)",
         "A staircase: the z₁² part is learned first, and knowing z₁ opens the way to the "
         "other two directions at a larger α.",
         (Callout("first direction", source="eigen_thresholds", label="direction 1"),
          Callout("the next ones", source="eigen_thresholds", label="direction 2"))),
)

class MultiIndexExplorer(MultiIndexParameters, Explorer):
    """Multi-index models: weak recovery, staircases, committee specialisation."""
    ANIMATED = ("alpha",)
    PINNED = ("eigenvalues", ("eigen.m1", "eigen.m2"))
    ANSWERS = ("eigen_regions", "eigen_thresholds", "eigen.b1", "eigen.b2", "eigen.b3",
               "entropy_thresholds", "units_thresholds", "units.diag_bayes", "units.off_bayes")
    STEPS = STEPS

    title = "Multi-index models"
    SOURCES = recipes.SOURCES
    RECIPES = recipes.RECIPES
    FIGURES = FIGURES
    CONTROLS = CONTROLS

    def __init__(self, **params):
        super().__init__(**params)
        self._gamp_for: tuple | None = None  # GAMP_KEY of the points on the plot
        # a run's result and a change of model may offer the button at once from two threads
        # (no session: a notebook, the tests); the last to offer reads the model then in place
        self._offer_lock = threading.RLock()
        self._eigen_for: tuple | None = None  # (target, weights) of the eigenvalue plot
        self._eigen_items: list | None = None  # its legend entries per eigenvalue
        self.summary = summary_pane()
        self.build_view()
        # the committee's own plots, shown while it is the target
        self.units_cell = pn.Column(self.units_pane, sizing_mode="stretch_width",
                                    visible=self.is_committee)
        self.entropy_cell = pn.Column(self.entropy_pane, sizing_mode="stretch_width",
                                      visible=self.is_committee)
        self.run_button, self.cancel_button = self.sim.run_button, self.sim.cancel_button
        self.sim_status = self.sim.status
        self._offer_gamp()

    def python_script(self) -> str:
        return recipes.python_script(self, self.script_figures())

    def after_weak_recovery(self):
        w = recipes.cached_weak_recovery(self.target)
        label = next(k for k, v in recipes.TARGET_LABELS.items() if v == self.target)
        set_subtitle(self.fig_spectrum, label)
        # one tick per eigen-matrix (an index: no 1.5)
        ticks = list(range(1, len(w.spectrum) + 1))
        ticker = self.fig_spectrum.xaxis[0].ticker
        if not isinstance(ticker, FixedTicker):
            self.fig_spectrum.xaxis.ticker = FixedTicker(ticks=ticks)
        elif list(ticker.ticks) != ticks:
            ticker.ticks = ticks
        if w.classification == "hard":
            text = ("**Hard:** G(y) = 0, so M = 0 is stable at every α: no direction is found "
                    "from scratch with O(d) samples.")
        elif w.classification == "trivial":
            text = ("**Trivial:** E[z | y] ≠ 0, so the direction(s) it spans are learned at any "
                    "α > 0; the others follow at their own thresholds.")
        else:
            text = (f"**Easy:** M = 0 becomes unstable at α_c = 1/λ_max(F) = "
                    f"{w.alpha_c:.4f}.")
        if self.is_committee:
            # the units tell themselves apart at the specialisation of the chosen weights
            # (the weak-recovery analysis is that of Gaussian weights)
            later = [round(float(multiindex.committee_thresholds(self.weights).specialization),
                           4)]
        else:
            later = sorted({round(float(t), 4) for t in w.direction_thresholds
                            if 0 < t < float("inf") and t > w.alpha_c + 1e-6})
        if later:
            text += (" Further directions are learned only later, from α = "
                     + ", ".join(f"{t:.4f}" for t in later) + " (a staircase).")
        self.summary.object = text

    def after_eigenvalues(self):
        weights = "±1 weights" if self.is_committee and self.weights == "binary" else (
            "Gaussian weights")
        solved = self.target in multiindex.STATE_EVOLUTION_TARGETS
        data = self.sources["eigen"].data
        apart = max((np.nanmax(np.abs(np.asarray(data[f"m{j}"], float)
                                      - np.asarray(data[f"b{j}"], float)), initial=0.0)
                     for j in (1, 2, 3)), default=0.0)
        lines = ("GAMP = Bayes-optimal (dashed under solid)" if apart <= 1e-6 else
                 "GAMP (solid), Bayes-optimal (dashed)")
        # the weights are a choice of the committee's only (the other targets: Gaussian)
        head = f"{weights}: {lines}" if self.is_committee else lines
        set_subtitle(self.fig_eigen, head + recipes.coinciding(data) if solved else
                     "thresholds only (no state evolution for this target)")
        self.fig_eigen.x_range.update(start=0.0, end=float(self.alpha_max))
        # (cheap, and always: a curve solved in the background arrives for the same model
        # as the empty one drawn before it)
        self._show_eigen_legend()
        model = (self.target, self.weights)
        if model == self._eigen_for:
            return  # only the range shown changed
        self._eigen_for = model
        self._offer_gamp()
        if "units_cell" in self.__dict__:  # (the first view is drawn before the cells exist)
            self.units_cell.visible = self.entropy_cell.visible = self.is_committee
        if self.is_committee:
            self.after_weak_recovery()  # the summary's specialisation follows the weights

    def _show_eigen_legend(self) -> None:
        """Legend entries only for the eigenvalues drawn (two for the committee, none where
        only thresholds are known)."""
        data = self.sources["eigen"].data
        if not self._eigen_items:  # found once: a model-graph search is slow per move
            columns = {self.renderers[name]: name for j in (1, 2, 3)
                       for name in (f"m{j}", f"b{j}")}
            self._eigen_items = [
                (columns[r], item) for legend in self.fig_eigen.select(type=Legend)
                for item in legend.items for r in item.renderers if r in columns]
        for column, item in self._eigen_items:
            item.visible = bool(np.isfinite(np.asarray(data[column], dtype=float)).any())

    # -- GAMP on sampled instances ------------------------------------------------------
    def _gamp_key(self) -> tuple:
        return tuple(getattr(self, name) for name in GAMP_KEY)

    def _offer_gamp(self) -> None:
        """Run GAMP where it runs (the committee, sign(z1 z2)); points of another model than
        the plotted one are taken away."""
        with self._offer_lock:
            if self._gamp_for is not None and self._gamp_for != self._gamp_key():
                self.bind({key: {c: [] for c in self.sources[key].data}
                           for key in ("gamp1", "gamp2")})
                self._gamp_for = None
                self.sim.status.object = ""
            busy = self.sim.progress.visible
            self.sim.run_button.disabled = busy or not self.has_gamp
            if not self.has_gamp and not busy:
                self.sim.status.object = ("GAMP is run here for the committee and sign(z₁ z₂) "
                                          "only.")
            elif self._gamp_for is None and not busy:
                self.sim.status.object = ""

    def run_gamp(self):
        """``gamp_seeds`` GAMP instances at each of eight alpha, in a worker process;
        returns the Future."""
        p = self.snapshot()
        if not p.has_gamp:
            self._offer_gamp()
            return None
        steps = recipes.gamp_steps(p)
        key = tuple(getattr(p, name) for name in GAMP_KEY)
        self.sim.start(f"Running GAMP on {len(steps)} instances at d = {p.gamp_d}…")

        def finished(runs):
            if key != self._gamp_key():
                self.sim.finish("Parameters changed during the run; result discarded.")
                self._offer_gamp()
                return
            points = recipes.gamp_points(p, runs)
            self.bind(points["sources"])
            self._gamp_for = key
            self.sim.finish(f"GAMP at d = {p.gamp_d}: {p.gamp_seeds} instance(s) × "
                            f"{recipes.GAMP_POINTS} values of α; {points['converged']} of "
                            f"{points['runs']} converged within {recipes.GAMP_ITERATIONS} "
                            "iterations (the others show their last iterate).")
            self._offer_gamp()

        def failed(exc):
            self.sim.failed(exc)
            self._offer_gamp()

        return self.run_in_process(steps, on_done=finished, on_error=failed,
                                   on_progress=self.sim.show_progress)

    def after_committee(self):
        weights = "±1 weights" if self.weights == "binary" else "Gaussian weights"
        data = self.sources["entropy"].data
        apart = np.abs(np.asarray(data["uninformed"], float) - np.asarray(data["informed"], float))
        set_subtitle(self.fig_entropy, weights if np.nanmax(apart, initial=0.0) > 1e-6 else
                     f"{weights}: the branches coincide")
        set_subtitle(self.fig_units, f"y = sign(z₁) + sign(z₂), {weights}")
        self.fig_units.x_range.update(start=0.0, end=float(self.alpha_max))

    def __panel__(self):
        explanation = self.explanation(
            EXPLANATION, "What this shows: model, thresholds, references")
        plots = pn.Column(
            self.message,
            self.summary,
            self.eigen_pane,
            self.plot_row(self.spectrum_pane, self.units_cell),
            self.plot_row(self.entropy_cell),
            explanation,
            sizing_mode="stretch_width",
        )
        return pn.Row(self.controls, plots, sizing_mode="stretch_width")
