"""Low-rank matrix estimation explorer: MMSE, metastability and thresholds of the spiked
Wigner model, with finite-size AMP runs on top of the theory."""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
import panel as pn
import param
from bokeh.models import ColumnDataSource, Range1d, Span

from theory import priors, spiked, sweep

from .base import (
    PALETTE,
    Atlas,
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

PRIOR_LABELS = {
    "Sparse Rademacher": "sparse_rademacher",
    "Gauss-Bernoulli": "gauss_bernoulli",
    "Rademacher (±1)": "rademacher",
    "Gaussian": "gaussian",
}
# the sparse family each prior belongs to (the dense priors are its rho = 1 member)
FAMILY_OF = {
    "sparse_rademacher": "sparse_rademacher",
    "rademacher": "sparse_rademacher",
    "gauss_bernoulli": "gauss_bernoulli",
    "gaussian": "gauss_bernoulli",
}
FAMILY_LABEL = {"sparse_rademacher": "sparse Rademacher", "gauss_bernoulli": "Gauss-Bernoulli"}
CURVE_POINTS = 150  # enough for smooth curves; thresholds are drawn exactly
AMP_SNR_POINTS = 8
AMP_ITERATIONS = 300
MAX_SNR = 20.0
THRESHOLD_STYLE = {  # label, colour
    "weak_recovery": ("λ = 1: m = 0 unstable (BBP)", PALETTE["grey"]),
    "dynamic": ("λ_dyn: informed branch appears", PALETTE["sky"]),
    "information_theoretic": ("λ_IT: information-theoretic", PALETTE["vermillion"]),
    "algorithmic": ("λ_alg: AMP jumps", PALETTE["orange"]),
}


#: the sparsity slider's grid, on which thresholds and default-range curves are computed ahead
RHO_GRID = tuple(round(0.01 * k, 2) for k in range(1, 101))
DEFAULT_SNR_RANGE = (0.2, 1.6)


def _atlas_entries():
    entries = []
    for cls in spiked.SPARSE_FAMILIES.values():
        for rho in RHO_GRID:
            prior = cls(rho=rho)
            entries.append((value_key("thresholds", prior), Step(spiked.thresholds, dict(
                prior=prior))))
            lo, hi = DEFAULT_SNR_RANGE
            entries.append((value_key("curve", prior, lo, hi, CURVE_POINTS), Step(
                spiked.curve, dict(prior=prior, snr=np.linspace(lo, hi, CURVE_POINTS)))))
    return entries


#: thresholds and default-range curves of both sparse families at every rho of the slider
RHO_ATLAS = Atlas(_atlas_entries)


# Bounded caches at the boundary between views and theory (arguments are hashable).
@lru_cache(maxsize=128)
def _curve(prior: priors.Prior, lo: float, hi: float, points: int) -> spiked.Curve:
    return spiked.curve(prior=prior, snr=np.linspace(lo, hi, points))


def cached_curve(prior: priors.Prior, lo: float, hi: float, points: int) -> spiked.Curve:
    return RHO_ATLAS.get_or(value_key("curve", prior, lo, hi, points),
                            lambda: _curve(prior, lo, hi, points))


@lru_cache(maxsize=512)
def cached_landscape(prior: priors.Prior, snr: float) -> spiked.Landscape:
    return spiked.free_entropy_landscape(prior=prior, snr=snr)


def cached_thresholds(prior: priors.Prior) -> spiked.Thresholds:
    return RHO_ATLAS.get_or(value_key("thresholds", prior),
                            lambda: spiked.thresholds(prior=prior))  # lru_cache'd in theory


def cached_phase_diagram(family: str) -> spiked.PhaseDiagram:
    """The finest diagram a sweep left in the on-disk cache (``python -m theory.sweep``),
    else the default 40-point one (lru_cache'd in theory)."""
    stored = sweep.finest_cached_phase_diagram(family)
    return stored if stored is not None else spiked.phase_diagram(family=family)


_prefetched = threading.Event()


def _prefetch_phase_diagrams():
    """Once per process, fill the cache of every family so that switching prior is instant."""
    if _prefetched.is_set():
        return
    _prefetched.set()
    for family in spiked.SPARSE_FAMILIES:
        submit_background(cached_phase_diagram, family)


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

**Curves (left).** *Uninformed / AMP* (dashed): state evolution started at $m \approx 0$, what
AMP reaches. *Informed* (dotted): started at $m = 1$. *Bayes-optimal* (solid): the branch with
the larger free entropy. *PCA* (grey): the top eigenvector, $m = \max(0, 1 - 1/\lambda)$ (BBP).
Red crosses mark points whose fixed-point equation did not converge.

**Thresholds.** $\lambda = 1$: $m = 0$ becomes unstable (AMP and PCA start to learn).
$\lambda_{{\rm dyn}}$: a second, informed maximum of $\Phi$ appears (light band: metastable).
$\lambda_{{\rm IT}}$: the two maxima have equal free entropy; above it the Bayes-optimal error
jumps down. $\lambda_{{\rm alg}}$: AMP leaves the low-overlap state. Between
$\lambda_{{\rm IT}}$ and $\lambda_{{\rm alg}}$ (dark band) estimation is possible but AMP fails:
the **hard phase**. For dense priors the transition is continuous and the bands vanish.

**Landscape (right).** $\Phi(m)$ at the current $\lambda$; dots mark its local maxima
(filled: global, the Bayes-optimal state; hollow: metastable).

**Phase diagram (bottom).** The same thresholds as the sparsity $\rho$ varies.

**AMP runs.** Finite-$N$ AMP (with the Onsager term) on sampled instances: mean and standard
error of the final overlap over runs, started uninformed; they follow the AMP branch.

**References.** {"; ".join(spiked.REFERENCES)}.
"""


class SpikedExplorer(Explorer):
    """Spiked Wigner model: Bayes-optimal and AMP errors, metastability, thresholds."""

    prior = param.Selector(default="sparse_rademacher", objects=PRIOR_LABELS, label="Prior")
    rho = param.Number(default=0.05, bounds=(0.01, 1.0), step=0.01, label="Sparsity ρ")
    snr_range = OrderedRange(default=(0.2, 1.6), bounds=(0.0, MAX_SNR), label="λ range")
    snr = param.Number(default=0.9, bounds=(0.0, MAX_SNR), step=0.005, label="Current λ")
    quantity = param.Selector(default="MMSE", objects=["MMSE", "overlap"], label="Plot")
    amp_n = param.Integer(default=2000, bounds=(200, spiked.MAX_AMP_N), label="AMP size N")
    amp_runs = param.Integer(default=4, bounds=(1, 20), label="Runs per λ")

    advanced_parameters = ("amp_n", "amp_runs")
    url_parameters = ("prior", "rho", "snr_range", "snr", "quantity", "amp_n", "amp_runs")
    presets = (
        Preset("BBP transition (Gaussian spike)",
               {"prior": "gaussian", "snr_range": (0.2, 2.5), "snr": 1.2, "quantity": "overlap"},
               "A Gaussian spike is detected continuously from λ = 1, where PCA's top "
               "eigenvector and AMP start to correlate with it; AMP is optimal.",
               "Baik, Ben Arous & Péché 2005; Lesieur, Krzakala & Zdeborová 2017, "
               "arXiv:1701.00858"),
        Preset("Z2 synchronisation (Rademacher spike)",
               {"prior": "rademacher", "snr_range": (0.2, 3.0), "snr": 1.5, "quantity": "MMSE"},
               "±1 spike: still a continuous transition at λ = 1, with a smaller error than "
               "PCA above it.",
               "Deshpande, Abbe & Montanari 2016, arXiv:1507.08685"),
        Preset("First-order transition of sparse PCA (ρ = 0.05)",
               {"prior": "sparse_rademacher", "rho": 0.05, "snr_range": (0.2, 1.6),
                "snr": 0.85, "quantity": "MMSE"},
               "Very sparse spike: the Bayes-optimal error jumps at λ_IT ≈ 0.747 while AMP "
               "waits until λ_alg ≈ 1.005 — a hard phase in between.",
               "Lesieur, Krzakala & Zdeborová 2017, arXiv:1701.00858"),
        Preset("Sparse Gauss-Bernoulli spike (ρ = 0.02)",
               {"prior": "gauss_bernoulli", "rho": 0.02, "snr_range": (0.2, 1.6), "snr": 0.7,
                "quantity": "MMSE"},
               "Gaussian non-zero entries, 2 % of them: a first-order transition and a hard "
               "phase too.",
               "Lesieur, Krzakala & Zdeborová 2017, arXiv:1701.00858"),
    )
    title = "Low-rank matrix estimation"

    def __init__(self, **params):
        super().__init__(**params)
        self._curve: spiked.Curve | None = None
        self._thresholds: spiked.Thresholds | None = None
        self._amp: spiked.AmpEnsemble | None = None
        self._build_plots()
        self._build_controls()
        self.param.watch(self._on_model_change, ["prior", "rho", "snr_range"])
        self.param.watch(self._on_snr_change, ["snr"])
        self.param.watch(self._on_quantity_change, ["quantity"])
        self.guarded(self._refresh_all)()

    # -- theory calls --------------------------------------------------------------------
    @property
    def current_prior(self) -> priors.Prior:
        return priors.make_prior(self.prior, self.rho)

    @property
    def is_sparse(self) -> bool:
        return self.prior in priors.SPARSE_PRIORS

    def python_script(self) -> str:
        lo, hi = self.snr_range
        value = "1 - m**2  # matrix MMSE" if self.quantity == "MMSE" else "m  # overlap"
        return f'''\
"""Spiked Wigner model: Bayes-optimal and AMP curves, prior {self.prior}, lambda in
[{lo:g}, {hi:g}] (as plotted by learning-phases)."""
import numpy as np

from theory import priors, spiked

prior = priors.make_prior({self.prior!r}, {float(self.rho)!r})
snr = np.linspace({float(lo)!r}, {float(hi)!r}, {CURVE_POINTS})
curve = spiked.curve(prior=prior, snr=snr)
thresholds = spiked.thresholds(prior=prior)


def value(m):
    return {value}


data = {{"spiked-curves": {{
    "snr": snr,
    "bayes": value(curve.bayes_optimal.overlap),
    "uninformed": value(curve.uninformed.overlap),
    "informed": value(curve.informed.overlap),
    "pca": value(spiked.pca_overlap(snr)),
}}}}
print(thresholds)
print("converged everywhere:", bool(curve.converged.all()))
'''

    # -- plots ---------------------------------------------------------------------------
    def _build_plots(self):
        empty = lambda *cols: ColumnDataSource({c: [] for c in cols}, name=None)  # noqa: E731
        self.sources = {
            "curves": ColumnDataSource(
                {k: [] for k in ("snr", "bayes", "uninformed", "informed", "pca")},
                name="spiked-curves"),
            "unconverged": empty("snr", "value"),
            "thresholds": empty("x", "y0", "y1", "threshold", "color"),
            "regions": empty("left", "right", "region", "color", "alpha", "bottom", "top"),
            "amp": ColumnDataSource({k: [] for k in ("snr", "mean", "low", "high")},
                                    name="spiked-amp"),
            "landscape": ColumnDataSource({"m": [], "phi": []}, name="spiked-landscape"),
            "global_max": empty("m", "phi"),
            "local_max": empty("m", "phi"),
            "phase": ColumnDataSource(
                {k: [] for k in ("rho", "dynamic", "it", "alg", "weak")}, name="spiked-phase"),
            "phase_point": ColumnDataSource({"rho": [], "snr": []}, name="spiked-point"),
        }
        s = self.sources

        fig = make_figure(title="Error vs signal-to-noise ratio", x_label="signal-to-noise ratio λ",
                          y_label="matrix MMSE", x_range=Range1d(0, 1),
                          y_range=Range1d(-0.02, 1.05), height=420, span="full")
        add_bands_and_thresholds(fig, s["regions"], s["thresholds"])
        pca = fig.line("snr", "pca", source=s["curves"], color=PALETTE["grey"], line_width=2,
                       line_dash="dashdot", legend_label="PCA (top eigenvector)")
        informed = fig.line("snr", "informed", source=s["curves"], color=PALETTE["green"],
                            line_width=2.5, line_dash="dotted", legend_label="informed branch")
        amp_branch = fig.line("snr", "uninformed", source=s["curves"], color=PALETTE["orange"],
                              line_width=2.5, line_dash="dashed", legend_label="uninformed / AMP")
        bayes = fig.line("snr", "bayes", source=s["curves"], color=PALETTE["blue"], line_width=3,
                         legend_label="Bayes-optimal")
        unconverged = fig.scatter("snr", "value", source=s["unconverged"], marker="x", size=10,
                                  color=PALETTE["vermillion"], line_width=2,
                                  legend_label="not converged")
        amp_points = add_error_bars(fig, "snr", s["amp"], color=PALETTE["black"],
                                    label="AMP runs (mean ± s.e.)")
        self.snr_marker = Span(location=self.snr, dimension="height", line_color="black",
                               line_width=1.5, line_alpha=0.6)
        fig.add_layout(self.snr_marker)
        legend_below(fig)
        # legend entries of overlays that are empty most of the time show only when drawn
        self._optional_legend = legend_items(fig, {"unconverged": unconverged,
                                                   "amp": amp_points})
        for item in self._optional_legend.values():
            item.visible = False
        add_hover(fig, [bayes, amp_branch, informed, pca],
                  [("λ", "@snr{0.000}"), ("Bayes", "@bayes{0.0000}"),
                   ("AMP", "@uninformed{0.0000}"), ("informed", "@informed{0.0000}"),
                   ("PCA", "@pca{0.0000}")])
        self.fig_curve = fig

        self.fig_landscape = landscape_figure(
            s, x="m", y="phi", title="Free-entropy landscape Φ(m)", x_label="overlap m",
            y_label="free entropy Φ(m)", curve_label="Φ(m) at current λ")

        phase = make_figure(title="Phase diagram", x_label="sparsity ρ", y_label="λ",
                            x_axis_type="log", height=330, y_range=Range1d(0, 1.3),
                            subtitle="")
        phase.varea(x="rho", y1="it", y2="alg", source=s["phase"], fill_color=PALETTE["orange"],
                    fill_alpha=0.25, legend_label="hard phase")
        phase.varea(x="rho", y1="dynamic", y2="it", source=s["phase"], fill_color=PALETTE["sky"],
                    fill_alpha=0.2, legend_label="metastable")
        for key, column in (("dynamic", "dynamic"), ("information_theoretic", "it"),
                            ("algorithmic", "alg")):
            label, color = THRESHOLD_STYLE[key]
            phase.line("rho", column, source=s["phase"], color=color, line_width=2.5,
                       legend_label=label.split(":")[0])
        phase.scatter("rho", "snr", source=s["phase_point"], size=12, marker="star",
                      color=PALETTE["black"], legend_label="current (ρ, λ)")
        legend_below(phase)
        self.fig_phase = phase

        self.curve_pane = pn.pane.Bokeh(self.fig_curve, sizing_mode="stretch_width")
        self.landscape_pane = pn.pane.Bokeh(self.fig_landscape, sizing_mode="stretch_width")
        # loading acts on a layout: on a Bokeh pane, Panel's spinner fails to stop
        self.phase_pane = pn.Column(pn.pane.Bokeh(self.fig_phase, sizing_mode="stretch_width"),
                                    sizing_mode="stretch_width")
        self.summary = pn.pane.Markdown("", sizing_mode="stretch_width", margin=(0, 10))

    def _build_controls(self):
        w = pn.widgets
        self.rho_widget = w.FloatSlider.from_param(self.param.rho, format="0.000")
        self.snr_widget = w.FloatSlider.from_param(self.param.snr, format="0.000",
                                                   css_classes=["snr-slider"])
        self.range_widget = w.RangeSlider.from_param(self.param.snr_range, step=0.05)
        self.sim = SimulationPanel(self, "Run AMP")
        self.run_button, self.cancel_button = self.sim.run_button, self.sim.cancel_button
        self.progress, self.amp_status = self.sim.progress, self.sim.status
        self.run_button.on_click(lambda *_: self.run_amp())
        self.controls = pn.Column(
            self.preset_widget(),
            w.Select.from_param(self.param.prior),
            self.rho_widget,
            self.range_widget,
            self.snr_widget,
            w.RadioButtonGroup.from_param(self.param.quantity),
            pn.layout.Divider(),
            self.sim.layout(
                pn.pane.Markdown("**Finite-size AMP**", margin=(0, 10)),
                w.IntSlider.from_param(self.param.amp_n, step=100),
                w.IntSlider.from_param(self.param.amp_runs),
            ),
            pn.layout.Divider(),
            self.export_widget(),
            width=300,
        )
        self.finish_build()
        self.rho_widget.disabled = not self.is_sparse

    # -- updates -------------------------------------------------------------------------
    def _refresh_all(self):
        with pn.io.hold():
            self._update_model()
            self._update_snr()
            self._update_phase_diagram()

    def _on_model_change(self, *events):
        lo, hi = self.snr_range
        with pn.io.hold():  # one message to the page
            self.rho_widget.disabled = not self.is_sparse
            if any(e.name in ("prior", "rho") for e in events):
                self._clear_amp()
            self.snr_widget.param.update(start=lo, end=hi)
            self.guarded(self._update_model)()
            if not lo <= self.snr <= hi:
                self.snr = float(np.clip(self.snr, lo, hi))  # triggers the snr update
            else:
                self.guarded(self._update_snr)()
            if FAMILY_OF[self.prior] != getattr(self, "_phase_family", None):
                self.guarded(self._update_phase_diagram)()  # rho moves along the same one

    def _on_snr_change(self, *_):
        lo, hi = self.snr_range
        if not lo <= self.snr <= hi:  # e.g. from a link: stay inside the plotted range
            self.snr = float(np.clip(self.snr, lo, hi))
            return  # the assignment above re-enters this callback
        with pn.io.hold():
            self.guarded(self._update_snr)()

    def _on_quantity_change(self, *_):
        with pn.io.hold():
            self.guarded(self._update_curve_sources)()
            self.guarded(self._update_amp_source)()

    def _value(self, overlap):
        """Map overlaps to the plotted quantity."""
        overlap = np.asarray(overlap, dtype=float)
        return 1.0 - overlap**2 if self.quantity == "MMSE" else overlap

    def _update_model(self):
        self.clear_message()
        lo, hi = self.snr_range
        if not hi > lo:
            raise ValueError("the λ range must have a positive width")
        prior = self.current_prior
        self._curve = cached_curve(prior, float(lo), float(hi), CURVE_POINTS)
        self._thresholds = cached_thresholds(prior)
        self._update_curve_sources()
        self.fig_curve.x_range.update(start=lo, end=hi)
        if not self._curve.converged.all():
            bad = int((~self._curve.converged).sum())
            self.show_message(f"{bad} of {self._curve.snr.size} points did not converge; "
                              "they are marked with red crosses.")

    def _update_curve_sources(self):
        c, th = self._curve, self._thresholds
        if c is None or th is None:
            return
        self.fig_curve.yaxis.axis_label = ("matrix MMSE  1 − m²" if self.quantity == "MMSE"
                                           else "overlap m")
        self.sources["curves"].data = {
            "snr": c.snr,
            "bayes": self._value(c.bayes_optimal.overlap),
            "uninformed": self._value(c.uninformed.overlap),
            "informed": self._value(c.informed.overlap),
            "pca": self._value(spiked.pca_overlap(c.snr)),
        }
        bad = ~c.converged
        self.sources["unconverged"].data = {
            "snr": c.snr[bad], "value": self._value(c.bayes_optimal.overlap[bad])}
        self._optional_legend["unconverged"].visible = bool(bad.any())
        entries = [(1.0, THRESHOLD_STYLE["weak_recovery"][0], THRESHOLD_STYLE["weak_recovery"][1])]
        if th.first_order:
            for key in ("dynamic", "information_theoretic", "algorithmic"):
                label, color = THRESHOLD_STYLE[key]
                x = getattr(th, key)
                name, meaning = label.split(": ")
                entries.append((x, f"{name} = {x:.4f}: {meaning}", color))
        self.sources["thresholds"].data = threshold_lines(entries, -0.02, 1.05)
        regions = []
        if th.first_order:
            regions = [
                (th.dynamic, th.information_theoretic, "metastable", PALETTE["sky"], 0.18),
                (th.information_theoretic, th.algorithmic, "hard phase", PALETTE["orange"], 0.25),
            ]
        self.sources["regions"].data = shaded_regions(regions, -0.02, 1.05)
        self.summary.object = self._summary_text()

    def _summary_text(self) -> str:
        th = self._thresholds
        if th is None:
            return ""
        if not th.first_order:
            return ("**Continuous transition** at λ = 1: the overlap grows from zero, AMP is "
                    "optimal, and there is no hard phase.")
        it = th.information_theoretic
        return (f"**First-order transition.** λ_dyn = {th.dynamic:.4f}, λ_IT = {it:.4f}, "
                f"λ_alg = {th.algorithmic:.4f}. Between λ_IT and λ_alg the Bayes-optimal error "
                "is small but AMP stays near m ≈ 0: the hard phase."
                + ("" if th.converged else " (the free-entropy crossing did not converge)"))

    def _update_snr(self):
        snr = float(self.snr)
        self.snr_marker.location = snr
        land = cached_landscape(self.current_prior, snr)
        self.sources["landscape"].data = {"m": land.overlaps, "phi": land.free_entropy}
        best, others = maxima_data(land.maxima, land.maxima_free_entropy, "m", "phi")
        self.sources["global_max"].data = best
        self.sources["local_max"].data = others
        set_subtitle(self.fig_landscape, f"at λ = {snr:.3f}")
        rho = self.rho if self.is_sparse else 1.0
        self.sources["phase_point"].data = {"rho": [rho], "snr": [snr]}

    def _update_phase_diagram(self):
        """Fill the phase diagram; a family not computed yet (~1.5 s) is done in the background."""
        family = FAMILY_OF[self.prior]
        self._phase_family = family
        self.phase_pane.loading = True

        def work(check_cancel):
            return family, cached_phase_diagram(family)

        def done(result):
            family, pd = result
            if family != self._phase_family:
                return  # the user moved on to another family meanwhile
            self.sources["phase"].data = {
                "rho": pd.rho,
                "dynamic": pd.dynamic,
                "it": pd.information_theoretic,
                "alg": pd.algorithmic,
                "weak": pd.weak_recovery,
            }
            set_subtitle(self.fig_phase, f"{FAMILY_LABEL[family]} family")
            self.phase_pane.loading = False
            if not pd.converged.all():
                self.show_message("Some thresholds of the phase diagram did not converge.")

        def failed(exc):
            self.phase_pane.loading = False
            self.show_message(f"**Phase diagram failed:** {exc}", "danger")

        self.phase_future = self.run_in_background(work, on_done=done, on_error=failed,
                                                   cancellable=False)
        _prefetch_phase_diagrams()

    # -- AMP -----------------------------------------------------------------------------
    def amp_snr_points(self) -> np.ndarray:
        lo, hi = self.snr_range
        return lo + (hi - lo) * (np.arange(AMP_SNR_POINTS) + 0.5) / AMP_SNR_POINTS

    def run_amp(self):
        """Start finite-N AMP runs in the background; returns the Future."""
        prior, n, runs = self.current_prior, int(self.amp_n), int(self.amp_runs)
        snr = self.amp_snr_points()
        self.sim.start(f"Running {snr.size * runs} AMP runs at N = {n}…")

        steps = [Step(spiked.amp_ensemble, dict(prior=prior, snr=snr, n=n, runs=runs,
                                                iterations=AMP_ITERATIONS, seed=2024),
                      progress=True)]

        def done(results):
            result, = results
            if (prior, n) != (self.current_prior, int(self.amp_n)):
                self.sim.finish("Parameters changed during the run; result discarded.")
                return
            self._amp = result
            self._update_amp_source()
            self.sim.finish(f"AMP: {runs} run(s) × {snr.size} values of λ at N = {n}, "
                            f"uninformed start, up to {AMP_ITERATIONS} iterations (stops when "
                            "converged).")

        return self.run_in_process(steps, on_done=done, on_error=self.sim.failed,
                                   on_progress=self.sim.show_progress)

    def _clear_amp(self):
        self._amp = None
        self.clear_sources("amp")
        self._optional_legend["amp"].visible = False
        self.sim.status.object = ""

    def _update_amp_source(self):
        ens = self._amp
        if ens is None:
            return
        if self.quantity == "MMSE":
            mean, err = ens.mmse_mean, ens.mmse_sem
        else:
            mean, err = ens.overlap_mean, ens.overlap_sem
        self.sources["amp"].data = {"snr": ens.snr, "mean": mean, "low": mean - err,
                                    "high": mean + err}
        self._optional_legend["amp"].visible = True

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
