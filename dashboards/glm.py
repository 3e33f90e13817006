"""Teacher-student learning curves explorer: Bayes-optimal and GAMP generalisation of
generalised linear models, ridge regression and double descent, with simulations on top."""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
import panel as pn
import param
from bokeh.core.properties import value
from bokeh.models import (
    BasicTicker,
    BasicTickFormatter,
    ColumnDataSource,
    LinearScale,
    LogScale,
    LogTicker,
    LogTickFormatter,
    Range1d,
    Span,
)

from theory import channels, erm, glm, priors

from .base import (
    PALETTE,
    Atlas,
    BoundedCache,
    Explorer,
    OrderedRange,
    Preset,
    SimulationPanel,
    add_bands_and_thresholds,
    add_error_bars,
    add_hover,
    landscape_figure,
    legend_below,
    legend_items,
    make_figure,
    maxima_data,
    set_subtitle,
    shaded_regions,
    submit_background,
    threshold_lines,
    value_key,
)
from .processes import Step

# task -> (prior key, channel key, description)
TASKS = {
    "Binary perceptron": ("rademacher", "sign",
                          "±1 teacher weights, labels y = sign(z): a first-order transition to "
                          "perfect generalisation (Györgyi 1990)."),
    "Gaussian perceptron": ("gaussian", "sign",
                            "Gaussian teacher, y = sign(z): the error decays smoothly as "
                            "0.442/α (Opper & Haussler 1991)."),
    "Phase retrieval": ("gaussian", "abs",
                        "Real phase retrieval y = |z|: weak recovery at α = 1/2, perfect "
                        "recovery at α = 1 (IT) and α ≈ 1.13 (AMP)."),
    "Compressed sensing": ("gauss_bernoulli", "linear",
                           "Sparse teacher (fraction ρ non-zero), y = z: exact recovery from "
                           "α = ρ, but AMP needs more (Krzakala et al. 2012)."),
    "Ridge regression": ("gaussian", "linear",
                         "Gaussian teacher, noisy linear labels: ridge at λ = Δ is "
                         "Bayes-optimal; λ → 0 shows the double-descent peak at α = 1."),
    "Random features": ("gaussian", "linear",
                        "Ridge on p = ψ d random tanh features of a noisy linear teacher: a "
                        "second peak at the interpolation threshold n = p (α = ψ), tamed by λ "
                        "(Mei & Montanari 2019; Gerace et al. 2020)."),
    "Logistic regression": ("gaussian", "sign",
                            "Gaussian teacher, y = sign(z): L2 logistic regression at λ "
                            "(purple) against the Bayes-optimal error (Aubin et al. 2020)."),
}
LOGISTIC_POINTS = 120
PRIOR_LABELS = {
    "Rademacher (±1)": "rademacher",
    "Gaussian": "gaussian",
    "Gauss-Bernoulli": "gauss_bernoulli",
    "Sparse Rademacher": "sparse_rademacher",
}
CURVE_POINTS = 150  # enough for smooth curves; thresholds are drawn exactly
SIM_ALPHA_POINTS = 8
DD_LAMBDAS = (0.0, 1e-3, 1e-2, 1e-1, 1.0)
THRESHOLD_STYLE = {
    "weak_recovery": ("α_WR: weak recovery", PALETTE["grey"]),
    "dynamic": ("α_dyn: informed state stable", PALETTE["sky"]),
    "information_theoretic": ("α_IT: information-theoretic", PALETTE["vermillion"]),
    "algorithmic": ("α_alg: GAMP jumps", PALETTE["orange"]),
}


def make_channel(key: str, noise: float, flip: float) -> channels.Channel:
    if key == "sign":
        return channels.Sign(flip=flip)
    if key == "abs":
        return channels.Abs(noise=noise)
    return channels.Linear(noise=noise)


#: slider grids on which the teacher-student curves are computed ahead (default ranges)
FLIP_GRID = tuple(round(0.01 * k, 2) for k in range(46))
NOISE_GRID = tuple(round(0.01 * k, 2) for k in range(201))
PSI_GRID = tuple(round(0.1 * k, 1) for k in range(1, 101))
DEFAULT_ALPHA_RANGE = (0.05, 3.0)
DEFAULT_ALPHA = 1.3
RF_DEFAULTS = {"alpha_range": (0.1, 5.0), "lam": 1e-3, "noise": 0.1}  # set with the task


def _bayes_entries(prior, channel, lo, hi):
    return [
        (value_key("curve", prior, channel, lo, hi, CURVE_POINTS), Step(glm.curve, dict(
            prior=prior, channel=channel, alpha=np.linspace(lo, hi, CURVE_POINTS)))),
        (value_key("thresholds", prior, channel), Step(glm.thresholds, dict(
            prior=prior, channel=channel))),
        (value_key("landscape", prior, channel, DEFAULT_ALPHA), Step(
            glm.free_entropy_landscape, dict(prior=prior, channel=channel,
                                             alpha=DEFAULT_ALPHA))),
    ]


def _atlas_entries():
    """The binary perceptron at every label-flip rate, compressed sensing (rho = 0.3) at
    every noise level, the random-features curves at every psi: each task's sliders from
    its defaults."""
    lo, hi = DEFAULT_ALPHA_RANGE
    entries = []
    for flip in FLIP_GRID:
        entries += _bayes_entries(priors.Rademacher(), channels.Sign(flip=flip), lo, hi)
    sparse = priors.GaussBernoulli(rho=GlmExplorer.param.rho.default)
    for noise in NOISE_GRID:
        entries += _bayes_entries(sparse, channels.Linear(noise=noise), lo, hi)
    rf_lo, rf_hi = RF_DEFAULTS["alpha_range"]
    for psi in PSI_GRID:
        for lam in (RF_DEFAULTS["lam"], *DD_LAMBDAS):
            args = (rf_lo, rf_hi, CURVE_POINTS, psi, lam, RF_DEFAULTS["noise"])
            entries.append((value_key("random_features", *args), Step(
                erm.random_features_curve, dict(alpha=np.linspace(rf_lo, rf_hi, CURVE_POINTS),
                                                psi=psi, lam=max(lam, 1e-6),
                                                noise=RF_DEFAULTS["noise"]))))
    return entries


#: results on the grids of the teacher-student sliders, computed ahead
ATLAS = Atlas(_atlas_entries, size=2048)


@lru_cache(maxsize=128)
def _curve(prior, channel, lo: float, hi: float, points: int) -> glm.GlmCurve:
    return glm.curve(prior=prior, channel=channel, alpha=np.linspace(lo, hi, points))


def cached_curve(prior, channel, lo: float, hi: float, points: int) -> glm.GlmCurve:
    return ATLAS.get_or(value_key("curve", prior, channel, lo, hi, points),
                        lambda: _curve(prior, channel, lo, hi, points))


def cached_thresholds(prior, channel) -> glm.GlmThresholds:
    return ATLAS.get_or(value_key("thresholds", prior, channel),
                        lambda: glm.thresholds(prior=prior, channel=channel))


@lru_cache(maxsize=512)
def _landscape(prior, channel, alpha: float) -> glm.GlmLandscape:
    return glm.free_entropy_landscape(prior=prior, channel=channel, alpha=alpha)


def cached_landscape(prior, channel, alpha: float) -> glm.GlmLandscape:
    return ATLAS.get_or(value_key("landscape", prior, channel, alpha),
                        lambda: _landscape(prior, channel, alpha))


#: logistic-regression curves (the results of ``logistic_steps``) by its arguments, shared
#: by every page of this process; each takes 0.3-3 s, in a short-solve worker
LOGISTIC_CURVES = BoundedCache(64)


def logistic_steps(lo: float, hi: float, points: int, lam: float, flip: float) -> list[Step]:
    return [Step(erm.logistic_curve, dict(alpha=np.linspace(lo, hi, points), lam=lam,
                                          flip=flip))]


@lru_cache(maxsize=128)
def _random_features(lo: float, hi: float, points: int, psi: float, lam: float,
                     noise: float) -> erm.RandomFeaturesCurve:
    return erm.random_features_curve(alpha=np.linspace(lo, hi, points), psi=psi,
                                     lam=max(lam, 1e-6), noise=noise)


def cached_random_features(lo: float, hi: float, points: int, psi: float, lam: float,
                           noise: float) -> erm.RandomFeaturesCurve:
    return ATLAS.get_or(value_key("random_features", lo, hi, points, psi, lam, noise),
                        lambda: _random_features(lo, hi, points, psi, lam, noise))


@lru_cache(maxsize=128)
def cached_ridge(lo: float, hi: float, points: int, lam: float, noise: float) -> erm.RidgeCurve:
    return erm.ridge_curve(alpha=np.linspace(lo, hi, points), lam=lam, noise=noise)


_prefetched = threading.Event()


def _prefetch_tables():
    """Once per process, build the slow one-off tables (phase retrieval) in the background."""
    if not _prefetched.is_set():
        _prefetched.set()
        submit_background(lambda: cached_curve(priors.Gaussian(), channels.Abs(), 0.05, 3.0,
                                               CURVE_POINTS))


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

**Curves (left).** *GAMP / uninformed* (dashed): state evolution from $q \approx 0$, what
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

**Double descent (right).** Ridge regression on a noisy linear teacher for several
regularisations: without regularisation the error diverges at the interpolation threshold
$\alpha = 1$; the optimal $\lambda = \Delta$ (thick) removes the peak.

**Landscape.** $f(q)$ at the current $\alpha$; dots mark the stable states.

**References.** {"; ".join(glm.REFERENCES + erm.REFERENCES)}.
"""


class GlmExplorer(Explorer):
    """Teacher-student GLMs: Bayes-optimal, GAMP and ridge learning curves, thresholds."""

    task = param.Selector(default="Binary perceptron", objects=list(TASKS), label="Task")
    prior = param.Selector(default="rademacher", objects=PRIOR_LABELS, label="Teacher prior")
    rho = param.Number(default=0.3, bounds=(0.02, 1.0), step=0.01, label="Sparsity ρ")
    noise = param.Number(default=0.0, bounds=(0.0, 2.0), step=0.01, label="Label noise Δ")
    flip = param.Number(default=0.0, bounds=(0.0, 0.45), step=0.01, label="Label flips ε")
    lam = param.Number(default=0.1, bounds=(0.0, 10.0), step=0.001,
                       label="Regularisation λ (ridge / logistic)")
    psi = param.Number(default=2.0, bounds=(0.1, 10.0), step=0.1,
                       label="Features per dimension ψ = p/d")
    alpha_range = OrderedRange(default=(0.05, 3.0), bounds=(0.0, glm.MAX_ALPHA), label="α range")
    alpha = param.Number(default=1.3, bounds=(0.0, glm.MAX_ALPHA), step=0.01,
                         label="Current α = M/N")
    quantity = param.Selector(default="test error", objects=["test error", "MSE 1 − q"],
                              label="Plot")
    log_scale = param.Boolean(default=False, label="Log scale")
    sim_n = param.Integer(default=1000, bounds=(100, glm.MAX_GAMP_N), label="Simulation size N")
    sim_runs = param.Integer(default=3, bounds=(1, 20), label="Runs per α")

    url_parameters = ("task", "prior", "rho", "noise", "flip", "lam", "psi", "alpha_range",
                      "alpha",
                      "quantity", "log_scale", "sim_n", "sim_runs")
    advanced_parameters = ("sim_n", "sim_runs")
    url_prefix = "glm_"
    presets = (
        Preset("Binary perceptron: the gap between 1.249 and 1.493",
               {"task": "Binary perceptron", "alpha_range": (0.05, 3.0), "alpha": 1.3,
                "log_scale": False},
               "±1 teacher: perfect generalisation is possible from α_IT ≈ 1.249 but GAMP "
               "reaches it only at α_alg ≈ 1.493.",
               "Györgyi 1990; Barbier, Krzakala, Macris, Miolane & Zdeborová 2019, "
               "arXiv:1708.03395"),
        Preset("Phase retrieval: weak recovery at α = 1/2",
               {"task": "Phase retrieval", "noise": 0.0, "alpha_range": (0.05, 2.0),
                "alpha": 0.8, "log_scale": False},
               "Real phase retrieval: information appears at α = 1/2, perfect recovery at "
               "α = 1 (IT) and α ≈ 1.13 (AMP).",
               "Barbier et al. 2019, arXiv:1708.03395; Mondelli & Montanari 2018"),
        Preset("Compressed sensing (ρ = 0.3)",
               {"task": "Compressed sensing", "rho": 0.3, "noise": 0.0,
                "alpha_range": (0.05, 1.0), "alpha": 0.4, "log_scale": False},
               "Exact recovery is possible from α = ρ, AMP needs α ≈ 0.480.",
               "Krzakala, Mézard, Sausset, Sun & Zdeborová 2012, arXiv:1109.4424"),
        Preset("Double descent of ridge regression",
               {"task": "Ridge regression", "noise": 0.25, "lam": 0.0001,
                "alpha_range": (0.05, 3.0), "alpha": 1.0, "log_scale": False},
               "Without regularisation the test error peaks at α = 1 (interpolation); the "
               "optimal λ = Δ removes the peak.",
               "Hastie, Montanari, Rosset & Tibshirani 2019, arXiv:1903.08560"),
        Preset("Random features: the peak at p = n",
               {"task": "Random features", "psi": 2.0, "lam": 0.001, "noise": 0.1,
                "alpha_range": (0.1, 5.0), "alpha": 2.0, "log_scale": False},
               "Random-features ridge: a second peak where the number of samples equals the "
               "number of features, α = ψ.",
               "Mei & Montanari 2019, arXiv:1908.05355; Gerace et al. 2020, arXiv:2002.09339"),
    )
    title = "Teacher-student learning curves"

    def __init__(self, **params):
        super().__init__(**params)
        self._curve = None
        self._thresholds = None
        self._sim = None
        self._build_plots()
        self._build_controls()
        self.param.watch(self._on_task, ["task"])
        self.param.watch(self._on_model_change,
                         ["prior", "rho", "noise", "flip", "lam", "psi", "alpha_range"])
        self.param.watch(self._on_alpha_change, ["alpha"])
        self.param.watch(self._on_view_change, ["quantity", "log_scale"])
        self._sync_widgets()
        self.guarded(self._refresh_all)()
        _prefetch_tables()

    # -- model ---------------------------------------------------------------------------
    @property
    def channel_key(self) -> str:
        return TASKS[self.task][1]

    @property
    def current_prior(self) -> priors.Prior:
        return priors.make_prior(self.prior, self.rho)

    @property
    def current_channel(self) -> channels.Channel:
        return make_channel(self.channel_key, self.noise, self.flip)

    def python_script(self) -> str:
        lo, hi = self.alpha_range
        lo = max(float(lo), 1e-3)
        channel = {"sign": f"channels.Sign(flip={float(self.flip)!r})",
                   "abs": f"channels.Abs(noise={float(self.noise)!r})"}.get(
            self.channel_key, f"channels.Linear(noise={float(self.noise)!r})")
        value = ("branch.generalization_error" if self.quantity == "test error"
                 else "1.0 - branch.overlap")
        shown = "np.where(v > 0, v, np.nan)  # log axis" if self.log_scale else "v"
        return f'''\
"""Teacher-student GLM ({self.task}): Bayes-optimal, uninformed (GAMP) and informed
branches for alpha in [{lo:g}, {float(hi):g}] (as plotted by learning-phases)."""
import numpy as np

from theory import channels, glm, priors

prior = priors.make_prior({self.prior!r}, {float(self.rho)!r})
channel = {channel}
alpha = np.linspace({lo!r}, {float(hi)!r}, {CURVE_POINTS})
curve = glm.curve(prior=prior, channel=channel, alpha=alpha)
thresholds = glm.thresholds(prior=prior, channel=channel)


def value(branch):
    v = np.asarray({value}, dtype=float)
    return {shown}


data = {{"glm-curves": {{
    "alpha": alpha,
    "bayes": value(curve.bayes_optimal),
    "uninformed": value(curve.uninformed),
    "informed": value(curve.informed),
}}}}
print(thresholds)
print("converged everywhere:", bool(curve.converged.all()))
'''

    # -- plots ---------------------------------------------------------------------------
    def _build_plots(self):
        cds = lambda cols, name=None: ColumnDataSource({c: [] for c in cols}, name=name)  # noqa: E731
        self.sources = {
            "curves": cds(("alpha", "bayes", "uninformed", "informed"), "glm-curves"),
            "erm": cds(("alpha", "error"), "glm-erm"),
            "unconverged": cds(("alpha", "value")),
            "thresholds": cds(("x", "y0", "y1", "threshold", "color")),
            "regions": cds(("left", "right", "region", "color", "alpha", "bottom", "top")),
            "sim": cds(("alpha", "mean", "low", "high"), "glm-sim"),
            "ridge_sim": cds(("alpha", "mean", "low", "high"), "glm-ridge-sim"),
            "dd": cds(("alpha", *[f"lam{i}" for i in range(len(DD_LAMBDAS))], "optimal"),
                      "glm-double-descent"),
            "landscape": cds(("q", "f"), "glm-landscape"),
            "global_max": cds(("q", "f")),
            "local_max": cds(("q", "f")),
        }
        s = self.sources
        fig = make_figure(title="Generalisation error vs samples per dimension",
                          x_label="samples per dimension α = M/N", y_label="test error",
                          x_range=Range1d(0, 1), y_range=Range1d(0, 1), height=420,
                          span="full")
        add_bands_and_thresholds(fig, s["regions"], s["thresholds"])
        ridge = fig.line("alpha", "error", source=s["erm"], color=PALETTE["purple"],
                         line_width=2.5, legend_label="ERM at λ")
        informed = fig.line("alpha", "informed", source=s["curves"], color=PALETTE["green"],
                            line_width=2.5, line_dash="dotted", legend_label="informed branch")
        gamp = fig.line("alpha", "uninformed", source=s["curves"], color=PALETTE["orange"],
                        line_width=2.5, line_dash="dashed", legend_label="GAMP (uninformed)")
        bayes = fig.line("alpha", "bayes", source=s["curves"], color=PALETTE["blue"],
                         line_width=3, legend_label="Bayes-optimal")
        unconverged = fig.scatter("alpha", "value", source=s["unconverged"], marker="x",
                                  size=10, color=PALETTE["vermillion"], line_width=2,
                                  legend_label="not converged")
        sim = add_error_bars(fig, "alpha", s["sim"], color=PALETTE["black"],
                             label="GAMP runs (mean ± s.e.)")
        ridge_sim = add_error_bars(fig, "alpha", s["ridge_sim"], color=PALETTE["purple"],
                                   label="ERM fits (mean ± s.e.)", marker="square", size=8)
        self.alpha_marker = Span(location=self.alpha, dimension="height", line_color="black",
                                 line_width=1.5, line_alpha=0.6)
        fig.add_layout(self.alpha_marker)
        legend_below(fig)
        self._legend_items = legend_items(fig, {"unconverged": unconverged, "sim": sim,
                                                "ridge_sim": ridge_sim, "ridge": ridge})
        for key in ("unconverged", "sim", "ridge_sim"):
            self._legend_items[key].visible = False
        add_hover(fig, [bayes, gamp, informed],
                  [("α", "@alpha{0.000}"), ("Bayes", "@bayes{0.0000}"),
                   ("GAMP", "@uninformed{0.0000}"), ("informed", "@informed{0.0000}")])
        self.fig_curve = fig

        dd = make_figure(title="Double descent", x_label="α = M/N", subtitle="",
                         y_label="test error", height=330, y_range=Range1d(0, 3))
        colors = [PALETTE["vermillion"], PALETTE["orange"], PALETTE["yellow"],
                  PALETTE["sky"], PALETTE["grey"]]
        for i, (lam, color) in enumerate(zip(DD_LAMBDAS, colors, strict=True)):
            dd.line("alpha", f"lam{i}", source=s["dd"], color=color, line_width=2,
                    legend_label="λ → 0 (min-norm)" if lam == 0 else f"λ = {lam:g}")
        dd.line("alpha", "optimal", source=s["dd"], color=PALETTE["blue"], line_width=4,
                legend_label="optimal λ = Δ")
        legend_below(dd)
        self.fig_dd = dd

        land = landscape_figure(s, x="q", y="f", title="Free entropy f(q)", x_label="overlap q",
                                y_label="free entropy f(q)", curve_label="f(q) at current α")
        self.fig_landscape = land

        self.curve_pane = pn.pane.Bokeh(fig, sizing_mode="stretch_width")
        self.dd_pane = pn.pane.Bokeh(dd, sizing_mode="stretch_width")
        self.landscape_pane = pn.pane.Bokeh(land, sizing_mode="stretch_width")
        self.summary = pn.pane.Markdown("", sizing_mode="stretch_width", margin=(0, 10))
        self.landscape_note = pn.pane.Markdown("", margin=(0, 10))

    def _build_controls(self):
        w = pn.widgets
        self.rho_widget = w.FloatSlider.from_param(self.param.rho, format="0.00")
        self.noise_widget = w.FloatSlider.from_param(self.param.noise, format="0.00")
        self.flip_widget = w.FloatSlider.from_param(self.param.flip, format="0.00")
        self.lam_widget = w.FloatInput.from_param(self.param.lam, step=0.01)
        self.psi_widget = w.FloatSlider.from_param(self.param.psi, format="0.0")
        self.alpha_widget = w.FloatSlider.from_param(self.param.alpha, format="0.000",
                                                     css_classes=["alpha-slider"])
        self.range_widget = w.RangeSlider.from_param(self.param.alpha_range, step=0.05)
        self.task_note = pn.pane.Markdown("", margin=(0, 10), styles={"font-size": "0.9em"})
        self.sim = SimulationPanel(self, "Run simulations")
        self.sim.run_button.on_click(lambda *_: self.run_simulations())
        self.controls = pn.Column(
            self.preset_widget(),
            w.Select.from_param(self.param.task),
            self.task_note,
            w.Select.from_param(self.param.prior),
            self.rho_widget,
            self.noise_widget,
            self.flip_widget,
            self.lam_widget,
            self.psi_widget,
            self.range_widget,
            self.alpha_widget,
            w.RadioButtonGroup.from_param(self.param.quantity),
            w.Checkbox.from_param(self.param.log_scale),
            pn.layout.Divider(),
            self.sim.layout(
                pn.pane.Markdown("**Finite-size GAMP (and ERM fits)**", margin=(0, 10)),
                w.IntSlider.from_param(self.param.sim_n, step=100),
                w.IntSlider.from_param(self.param.sim_runs),
            ),
            pn.layout.Divider(),
            self.export_widget(),
            width=300,
        )
        self.finish_build()

    def _sync_widgets(self):
        key = self.channel_key
        self.task_note.object = TASKS[self.task][2]
        self.rho_widget.disabled = self.prior not in priors.SPARSE_PRIORS
        self.noise_widget.disabled = key == "sign"
        self.flip_widget.disabled = key != "sign"
        self.lam_widget.disabled = key == "abs"
        self.psi_widget.visible = self.task == "Random features"
        lo, hi = self.alpha_range
        self.alpha_widget.param.update(start=lo, end=hi)

    # -- updates -------------------------------------------------------------------------
    def _refresh_all(self):
        with pn.io.hold():
            self._update_model()
            self._update_alpha()

    def _on_task(self, event):
        prior, channel, _ = TASKS[event.new]
        defaults = {"prior": prior}
        if event.new == "Ridge regression":
            defaults.update(noise=0.25, lam=0.01)
        elif event.new == "Random features":
            defaults.update(psi=2.0, **RF_DEFAULTS)
        elif channel == "sign":
            defaults.update(lam=0.1, flip=0.0)
        elif event.new == "Compressed sensing" or channel == "abs":
            defaults.update(noise=0.0)
        self.param.update(**defaults)
        self._on_model_change()

    def _on_model_change(self, *events):
        lo, hi = self.alpha_range
        with pn.io.hold():  # one message to the page
            self._sync_widgets()
            self._clear_simulations()
            self.guarded(self._update_model)()
            if not lo <= self.alpha <= hi:
                self.alpha = float(np.clip(self.alpha, lo, hi))
            else:
                self.guarded(self._update_alpha)()

    def _on_alpha_change(self, *_):
        lo, hi = self.alpha_range
        if not lo <= self.alpha <= hi:
            self.alpha = float(np.clip(self.alpha, lo, hi))
            return
        with pn.io.hold():
            self.guarded(self._update_alpha)()

    def _on_view_change(self, *_):
        with pn.io.hold():
            self.guarded(self._update_curve_sources)()
            self.guarded(self._update_sim_sources)()

    def _value(self, overlap, error):
        return np.asarray(error if self.quantity == "test error" else 1.0 - np.asarray(overlap),
                          dtype=float)

    def _update_model(self):
        self.clear_message()
        lo, hi = self.alpha_range
        if not hi > lo:
            raise ValueError("the α range must have a positive width")
        lo = max(float(lo), 1e-3)
        prior, channel = self.current_prior, self.current_channel
        self._curve = cached_curve(prior, channel, lo, float(hi), CURVE_POINTS)
        self._thresholds = cached_thresholds(prior, channel)
        self.fig_curve.x_range.update(start=lo, end=hi)
        self._update_curve_sources()
        self._update_double_descent(lo, float(hi))
        if not self._curve.converged.all():
            bad = int((~self._curve.converged).sum())
            self.show_message(f"{bad} of {self._curve.alpha.size} points did not converge; "
                              "they are marked with red crosses.")

    def _update_curve_sources(self):
        c, th = self._curve, self._thresholds
        if c is None:
            return
        log = self.log_scale
        show = lambda v: np.where(v > 0, v, np.nan) if log else v  # noqa: E731
        branch = lambda b: show(self._value(b.overlap, b.generalization_error))  # noqa: E731
        bayes = branch(c.bayes_optimal)
        self.sources["curves"].data = {
            "alpha": c.alpha, "bayes": bayes, "uninformed": branch(c.uninformed),
            "informed": branch(c.informed),
        }
        self._update_erm(float(c.alpha[0]), float(c.alpha[-1]))
        bad = ~c.converged
        self.sources["unconverged"].data = {"alpha": c.alpha[bad], "value": bayes[bad]}
        self._legend_items["unconverged"].visible = bool(bad.any())
        finite = np.concatenate([bayes[np.isfinite(bayes)], branch(c.uninformed)[
            np.isfinite(branch(c.uninformed))]])
        top = float(np.nanmax(finite)) if finite.size else 1.0
        y_label = ("test error" if self.quantity == "test error" else "MSE 1 − q")
        self.fig_curve.yaxis.axis_label = y_label
        if log:
            positive = finite[finite > 0]
            bottom = float(positive.min()) / 2 if positive.size else 1e-4
            self.fig_curve.y_scale = LogScale()
            self.fig_curve.yaxis[0].update(ticker=LogTicker(), formatter=LogTickFormatter())
            self.fig_curve.y_range.update(start=max(bottom, 1e-8), end=top * 2)
        elif not isinstance(self.fig_curve.y_scale, LinearScale):
            self.fig_curve.y_scale = LinearScale()
            self.fig_curve.yaxis[0].update(ticker=BasicTicker(), formatter=BasicTickFormatter())
        if not log:
            self.fig_curve.y_range.update(start=0, end=top * 1.05 if top > 0 else 1)
        entries = []
        for key, (label, color) in THRESHOLD_STYLE.items():
            x = getattr(th, key)
            if np.isfinite(x) and x > 0:
                name, meaning = label.split(": ")
                entries.append((x, f"{name} = {x:.4f}: {meaning}", color))
        y0, y1 = self.fig_curve.y_range.start, self.fig_curve.y_range.end
        self.sources["thresholds"].data = threshold_lines(entries, y0, y1)
        self.sources["regions"].data = shaded_regions([
            (th.dynamic, th.information_theoretic, "metastable", PALETTE["sky"], 0.18),
            (th.information_theoretic, th.algorithmic, "hard phase", PALETTE["orange"], 0.25),
        ], y0, y1)
        self.summary.object = self._summary_text()

    def _update_erm(self, lo: float, hi: float):
        """The ERM curve at lambda: ridge (linear channels, instant) or logistic regression
        (sign channel, a few seconds for small lambda: in a short-solve worker, the latest
        request winning)."""
        item = self._legend_items["ridge"]
        empty = {"alpha": [], "error": []}
        self._latest.pop("logistic", None)  # a logistic curve still being computed is stale
        if self.quantity != "test error" or self.channel_key == "abs":
            self.sources["erm"].data = empty
            item.visible = False
            return
        show = (lambda v: np.where(v > 0, v, np.nan)) if self.log_scale else (lambda v: v)
        item.visible = True
        if self.task == "Random features":
            item.label = value(f"random features, ψ = {self.psi:g}, λ = {self.lam:g}")
            rf = cached_random_features(lo, hi, CURVE_POINTS, float(self.psi), float(self.lam),
                                        float(self.noise))
            self.sources["erm"].data = {"alpha": rf.alpha, "error": show(rf.test_error)}
            return
        if self.channel_key == "linear":
            item.label = value(f"ridge at λ = {self.lam:g}")
            ridge = cached_ridge(lo, hi, CURVE_POINTS, float(self.lam), float(self.noise))
            self.sources["erm"].data = {"alpha": ridge.alpha, "error": show(ridge.test_error)}
            return
        lam = max(float(self.lam), erm.MIN_LOGISTIC_LAMBDA)
        item.label = value(f"logistic regression at λ = {lam:g}")
        if lam != self.lam:
            self.show_message(f"Logistic regression needs λ ≥ {erm.MIN_LOGISTIC_LAMBDA:g} "
                              "(the weights diverge on separable data); showing "
                              f"λ = {lam:g}.", "info")
        key = (max(lo, 0.05), hi, LOGISTIC_POINTS, lam, float(self.flip))

        def show_logistic(results):
            result = results[0]
            ok = result.converged
            self.sources["erm"].data = {"alpha": result.alpha[ok],
                                        "error": show(result.test_error[ok])}
            if not ok.all():
                self.show_message(f"Logistic regression: {int((~ok).sum())} value(s) of α "
                                  "did not converge and are left out.")

        if LOGISTIC_CURVES.get(key) is None:
            self.sources["erm"].data = empty  # until the curve of this λ arrives
        self.run_latest("logistic", logistic_steps(*key), on_done=show_logistic,
                        cache=LOGISTIC_CURVES, key=key)

    @property
    def erm_future(self):
        """The latest logistic-regression request (tests wait on it)."""
        return self.latest_future("logistic")

    def _summary_text(self) -> str:
        th = self._thresholds
        parts = []
        if np.isfinite(th.weak_recovery):
            parts.append(f"weak recovery α_WR = {th.weak_recovery:.4f}")
        if np.isfinite(th.algorithmic) and th.algorithmic > th.information_theoretic:
            parts.append(f"α_IT = {th.information_theoretic:.4f}, GAMP jumps at "
                         f"α_alg = {th.algorithmic:.4f}: hard phase in between")
        elif np.isfinite(th.information_theoretic):
            parts.append(f"{'perfect recovery' if th.perfect_recovery else 'transition'} at "
                         f"α = {th.information_theoretic:.4f}, reached by GAMP")
        else:
            parts.append("no phase transition: the error decreases smoothly with α")
        text = "**" + self.task + ".** " + "; ".join(parts) + "."
        if not th.converged:
            text += " (A threshold computation did not converge.)"
        return text

    def _update_double_descent(self, lo, hi):
        noise = float(self.noise) if self.channel_key == "linear" else 0.25
        data = {"alpha": np.linspace(lo, hi, CURVE_POINTS)}
        rf = self.task == "Random features"
        for i, lam in enumerate(DD_LAMBDAS):
            if rf:
                err = cached_random_features(lo, hi, CURVE_POINTS, float(self.psi), lam,
                                             noise).test_error
            else:
                err = cached_ridge(lo, hi, CURVE_POINTS, lam, noise).test_error
            data[f"lam{i}"] = np.where(np.isfinite(err), err, np.nan)
        data["optimal"] = cached_ridge(lo, hi, CURVE_POINTS, noise, noise).test_error
        self.sources["dd"].data = data
        if rf:
            set_subtitle(self.fig_dd, f"random features, ψ = {self.psi:g}, noise Δ = {noise:g}")
        else:
            set_subtitle(self.fig_dd, f"ridge regression, noise Δ = {noise:g}"
                         + (" (no peak)" if noise == 0 else ""))
        self.fig_dd.x_range.update(start=lo, end=hi)

    def _update_alpha(self):
        alpha = float(self.alpha)
        self.alpha_marker.location = alpha
        land = cached_landscape(self.current_prior, self.current_channel, alpha)
        self.sources["landscape"].data = {"q": land.overlaps, "f": land.free_entropy}
        values = land.maxima_free_entropy
        best, others = maxima_data(land.maxima, values, "q", "f")
        self.sources["global_max"].data = best
        self.sources["local_max"].data = others
        notes = []
        if land.maxima[-1] == 1.0 and not np.isfinite(values[-1]):
            sign = "+∞: perfect recovery is optimal" if values[-1] > 0 else "−∞"
            notes.append(f"Perfect recovery (q = 1) is a stable state with f = {sign}.")
        self.landscape_note.object = " ".join(notes)
        set_subtitle(self.fig_landscape, f"at α = {alpha:.3f}")

    # -- simulations ---------------------------------------------------------------------
    def sim_alpha_points(self) -> np.ndarray:
        lo, hi = self.alpha_range
        lo = max(lo, 0.05)
        return lo + (hi - lo) * (np.arange(SIM_ALPHA_POINTS) + 0.5) / SIM_ALPHA_POINTS

    def run_simulations(self):
        """GAMP (and, for linear channels, ridge fits) at a few alphas, in the background."""
        prior, channel = self.current_prior, self.current_channel
        n, runs = int(self.sim_n), int(self.sim_runs)
        lam, noise = float(self.lam), float(self.noise)
        alphas = self.sim_alpha_points()
        with_erm = self.channel_key in ("linear", "sign")
        flip = float(self.flip)
        total = alphas.size * runs * (2 if with_erm else 1)
        self.sim.start(f"Running {total} fits at N = {n}…")

        gamp = alphas.size * runs
        steps = [Step(glm.simulate_gamp, dict(prior=prior, channel=channel, alpha=float(a), n=n,
                                              seed=1000 * i + r, iterations=300))
                 for i, a in enumerate(alphas) for r in range(runs)]
        if self.task == "Random features":
            steps.append(Step(erm.simulate_random_features, dict(
                alpha=alphas, psi=float(self.psi), lam=max(lam, 1e-6), noise=noise,
                d=min(n, 300), runs=runs, seed=7), weight=gamp, progress=True))
        elif self.channel_key == "linear":
            steps.append(Step(erm.simulate_ridge, dict(
                alpha=alphas, lam=lam, noise=noise, n=min(n, erm.MAX_RIDGE_N), runs=runs,
                seed=7), weight=gamp))
        elif with_erm:
            steps.append(Step(erm.simulate_logistic, dict(
                alpha=alphas, lam=max(lam, erm.MIN_LOGISTIC_LAMBDA), flip=flip,
                n=min(n, erm.MAX_LOGISTIC_N), runs=runs, seed=7), weight=gamp, progress=True))

        def finished(results):
            if (prior, channel) != (self.current_prior, self.current_channel):
                self.sim.finish("Parameters changed during the run; result discarded.")
                return
            finals = np.array([run.overlap[-1] for run in results[:gamp]]).reshape(
                alphas.size, runs)
            ridge = results[gamp] if len(results) > gamp else None
            self._sim = (alphas, finals, channel, ridge)
            self._update_sim_sources()
            kind = ("random-features" if self.task == "Random features"
                    else "ridge" if self.channel_key == "linear" else "logistic-regression")
            self.sim.finish(f"GAMP: {runs} run(s) × {alphas.size} values of α at N = {n}"
                            + (f"; {kind} fits at λ = {lam:g}" if ridge is not None else "")
                            + ".")

        return self.run_in_process(steps, on_done=finished, on_error=self.sim.failed,
                                   on_progress=self.sim.show_progress)

    def _clear_simulations(self):
        self._sim = None
        self.clear_sources("sim", "ridge_sim")
        for key in ("sim", "ridge_sim"):
            self._legend_items[key].visible = False
        self.sim.status.object = ""

    def _update_sim_sources(self):
        if self._sim is None:
            return
        alphas, finals, channel, ridge = self._sim
        values = (channel.label_error(finals) if self.quantity == "test error"
                  else 1.0 - finals)
        mean = values.mean(axis=1)
        sem = (values.std(axis=1, ddof=1) / np.sqrt(values.shape[1]) if values.shape[1] > 1
               else np.zeros_like(mean))
        self.sources["sim"].data = {"alpha": alphas, "mean": mean, "low": mean - sem,
                                    "high": mean + sem}
        self._legend_items["sim"].visible = True
        if ridge is not None and self.quantity == "test error":
            m, e = ridge.test_error_mean, ridge.test_error_sem
            self.sources["ridge_sim"].data = {"alpha": ridge.alpha, "mean": m, "low": m - e,
                                              "high": m + e}
            self._legend_items["ridge_sim"].visible = True
        else:
            self.sources["ridge_sim"].data = {"alpha": [], "mean": [], "low": [], "high": []}
            self._legend_items["ridge_sim"].visible = False

    # -- layout --------------------------------------------------------------------------
    def __panel__(self):
        explanation = self.explanation(
            EXPLANATION, "What this shows: model, curves, thresholds, references")
        plots = pn.Column(
            self.message,
            self.summary,
            self.curve_pane,
            self.plot_row(pn.Column(self.landscape_pane, self.landscape_note,
                                    sizing_mode="stretch_width"), self.dd_pane),
            explanation,
            sizing_mode="stretch_width",
        )
        return pn.Row(self.controls, plots, sizing_mode="stretch_width")
