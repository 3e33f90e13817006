"""Low-rank matrix estimation (spiked Wigner model): the parameter model and the recipes that
turn it into plotted data. numpy, param and theory only (no Panel, no Bokeh)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import param

from theory import priors, spiked, sweep

from ..caches import Atlas, value_key
from ..processes import Step
from . import (  # noqa: F401 (named: used by the exported scripts)
    ExplorerParameters,
    OrderedRange,
    Preset,
    Recipe,
    Source,
    maxima_data,
    named,
    shaded_regions,
    threshold_lines,
)

__all__ = ["RECIPES", "SOURCES", "SpikedParameters", "amp", "amp_steps", "at_snr", "curves",
           "phase", "python_script"]

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
CURVE_POINTS = 150  # enough for smooth curves; thresholds are drawn exactly
AMP_SNR_POINTS = 8
AMP_ITERATIONS = 300
MAX_SNR = 20.0
#: label and colour of each threshold (Okabe-Ito: grey, sky, vermillion, orange)
THRESHOLD_STYLE = {
    "weak_recovery": ("λ = 1: m = 0 unstable (BBP)", "#7F7F7F"),
    "dynamic": ("λ_dyn: informed branch appears", "#56B4E9"),
    "information_theoretic": ("λ_IT: information-theoretic", "#D55E00"),
    "algorithmic": ("λ_alg: AMP jumps", "#E69F00"),
}
Y_TOP, Y_BOTTOM = 1.05, -0.02  # the curve plot's y range: bands and thresholds span it
#: the phase diagram's lambda axis: from 0 to this, or higher, so that the current point shows
PHASE_Y_TOP = 1.3
#: headroom above the current point (its star marker must not sit on the border)
PHASE_Y_HEADROOM = 1.12
#: curves closer than this everywhere are drawn on top of each other (the legend says so)
SAME_CURVE_TOLERANCE = 1e-3
#: the plotted quantity of an overlap m, its axis label and its AmpEnsemble attributes
QUANTITIES = {
    "MMSE": (lambda m: 1.0 - m**2, "matrix MMSE  1 − m²", "mmse"),
    "overlap": (lambda m: m, "overlap m", "overlap"),
}
#: the main plot's title for each quantity
CURVE_TITLES = {"MMSE": "Error vs signal-to-noise ratio",
                "overlap": "Overlap vs signal-to-noise ratio"}

#: the sparsity slider's grid, on which thresholds and default-range curves are computed ahead
RHO_GRID = tuple(round(0.01 * k, 2) for k in range(1, 101))
DEFAULT_SNR_RANGE = (0.2, 1.6)


class SpikedParameters(ExplorerParameters):
    """The spiked Wigner model's controls."""

    prior = param.Selector(default="sparse_rademacher", objects=PRIOR_LABELS, label="Prior")
    rho = param.Number(default=0.05, bounds=(0.01, 1.0), step=0.01, label="Sparsity ρ")
    snr_range = OrderedRange(default=DEFAULT_SNR_RANGE, bounds=(0.0, MAX_SNR), label="λ range")
    snr = param.Number(default=0.9, bounds=(0.0, MAX_SNR), step=0.005, label="Current λ")
    quantity = param.Selector(default="MMSE", objects=list(QUANTITIES), label="Plot")
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
        # lambda_dyn = 0.191, lambda_IT = 0.207, lambda_alg = 1.0: the range starts well
        # below the jump, so that it shows inside the plot, not on its left edge
        Preset("Sparse Gauss-Bernoulli spike (ρ = 0.02)",
               {"prior": "gauss_bernoulli", "rho": 0.02, "snr_range": (0.05, 1.4), "snr": 0.7,
                "quantity": "MMSE"},
               "Gaussian non-zero entries, 2 % of them: a first-order transition and a hard "
               "phase too.",
               "Lesieur, Krzakala & Zdeborová 2017, arXiv:1701.00858"),
    )

    @property
    def current_prior(self) -> priors.Prior:
        return priors.make_prior(self.prior, self.rho)

    @property
    def is_sparse(self) -> bool:
        return self.prior in priors.SPARSE_PRIORS

    def constrain(self, values=None) -> dict:
        """The current lambda stays inside the plotted range."""
        values = {**self.values(), **(values or {})}
        (lo, hi), snr = values["snr_range"], values["snr"]
        return {} if lo <= snr <= hi else {"snr": float(np.clip(snr, lo, hi))}


# -- caches: at the boundary with theory, shared by every page ---------------------------
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
    # the presets' own ranges (~0.2 s each when not computed ahead: a click must not wait)
    for preset in SpikedParameters.presets:
        values = {**SpikedParameters().values(), **preset.values}
        prior = priors.make_prior(values["prior"], values["rho"])
        lo, hi = values["snr_range"]
        key = value_key("curve", prior, float(lo), float(hi), CURVE_POINTS)
        if key not in {k for k, _ in entries}:
            entries.append((key, Step(spiked.curve, dict(
                prior=prior, snr=np.linspace(lo, hi, CURVE_POINTS)))))
    return entries


#: thresholds and default-range curves of both sparse families at every rho of the slider
RHO_ATLAS = Atlas(_atlas_entries)


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


# -- recipes -----------------------------------------------------------------------------
SOURCES = (
    Source("curves", "spiked-curves", ("snr", "bayes", "uninformed", "informed", "pca")),
    Source("unconverged", "spiked-unconverged", ("snr", "value")),
    Source("thresholds", "spiked-thresholds", ("x", "y0", "y1", "threshold", "color")),
    Source("regions", "spiked-regions", ("left", "right", "region", "color", "alpha", "bottom",
                                         "top")),
    Source("amp", "spiked-amp", ("snr", "mean", "low", "high")),
    Source("landscape", "spiked-landscape", ("m", "phi")),
    Source("global_max", "spiked-global-max", ("m", "phi")),
    Source("local_max", "spiked-local-max", ("m", "phi")),
    Source("phase", "spiked-phase", ("rho", "dynamic", "it", "alg", "weak")),
    Source("phase_point", "spiked-point", ("rho", "snr")),
)


def _value(p, overlap):
    return QUANTITIES[p.quantity][0](np.asarray(overlap, dtype=float))


def curves(p) -> dict:
    """Bayes-optimal, AMP, informed and PCA curves over the lambda range, the points that did
    not converge, the thresholds and the metastable / hard-phase bands."""
    lo, hi = p.snr_range
    if not hi > lo:
        raise ValueError("the λ range must have a positive width")
    prior = p.current_prior
    c = cached_curve(prior, float(lo), float(hi), CURVE_POINTS)
    th = cached_thresholds(prior)
    bad = ~c.converged
    lines = [(1.0, *THRESHOLD_STYLE["weak_recovery"])]
    bands = []
    if th.first_order:
        for key in ("dynamic", "information_theoretic", "algorithmic"):
            label, color = THRESHOLD_STYLE[key]
            x = getattr(th, key)
            name, meaning = label.split(": ")
            lines.append((x, f"{name} = {x:.4f}: {meaning}", color))
        bands = [(th.dynamic, th.information_theoretic, "metastable", "#56B4E9", 0.18),
                 (th.information_theoretic, th.algorithmic, "hard phase", "#E69F00", 0.25)]
    return {
        "curves": {
            "snr": c.snr,
            "bayes": _value(p, c.bayes_optimal.overlap),
            "uninformed": _value(p, c.uninformed.overlap),
            "informed": _value(p, c.informed.overlap),
            "pca": _value(p, spiked.pca_overlap(c.snr)),
        },
        "unconverged": {"snr": c.snr[bad], "value": _value(p, c.bayes_optimal.overlap[bad])},
        "thresholds": threshold_lines(lines, Y_BOTTOM, Y_TOP),
        "regions": shaded_regions(bands, Y_BOTTOM, Y_TOP),
        "notes": [f"{int(bad.sum())} of {c.snr.size} points did not converge; they are marked "
                  "with red crosses."] if bad.any() else [],
    }


def at_snr(p) -> dict:
    """The free-entropy landscape at the current lambda, its maxima (global, metastable) and
    the current point of the phase diagram."""
    snr = float(p.snr)
    land = cached_landscape(p.current_prior, snr)
    best, others = maxima_data(land.maxima, land.maxima_free_entropy, "m", "phi")
    return {
        "landscape": {"m": land.overlaps, "phi": land.free_entropy},
        "global_max": best,
        "local_max": others,
        "phase_point": {"rho": [p.rho if p.is_sparse else 1.0], "snr": [snr]},
    }


def phase(p) -> dict:
    """The thresholds of the prior's sparse family against rho (~1.5 s when not cached)."""
    pd = cached_phase_diagram(FAMILY_OF[p.prior])
    return {"phase": {"rho": pd.rho, "dynamic": pd.dynamic, "it": pd.information_theoretic,
                      "alg": pd.algorithmic, "weak": pd.weak_recovery},
            "notes": [] if pd.converged.all() else
            ["Some thresholds of the phase diagram did not converge."]}


def phase_y_range(snr: float) -> tuple[float, float]:
    """The phase diagram's lambda range: the thresholds (below ``PHASE_Y_TOP``) and the current
    point, with room above it for its marker."""
    return 0.0, max(PHASE_Y_TOP, PHASE_Y_HEADROOM * float(snr))


def pca_is_bayes_optimal(curves_columns: dict) -> bool:
    """Whether PCA's curve coincides with the Bayes-optimal one over the whole range (a
    Gaussian spike: both are max(0, 1 - 1/lambda)), so that one hides the other."""
    pca = np.asarray(curves_columns["pca"], dtype=float)
    bayes = np.asarray(curves_columns["bayes"], dtype=float)
    return pca.size > 0 and bool(np.nanmax(np.abs(pca - bayes)) < SAME_CURVE_TOLERANCE)


def amp_snr_points(p) -> np.ndarray:
    lo, hi = p.snr_range
    return lo + (hi - lo) * (np.arange(AMP_SNR_POINTS) + 0.5) / AMP_SNR_POINTS


def amp_steps(p) -> list[Step]:
    """Finite-N AMP runs at the parameters ``p`` (a simulation, for a worker process)."""
    return [Step(spiked.amp_ensemble, dict(prior=p.current_prior, snr=amp_snr_points(p),
                                           n=int(p.amp_n), runs=int(p.amp_runs),
                                           iterations=AMP_ITERATIONS, seed=2024),
                 progress=True)]


def amp(p, ensemble: spiked.AmpEnsemble) -> dict:
    """Mean and standard error of the AMP runs, in the plotted quantity."""
    attribute = QUANTITIES[p.quantity][2]
    mean, err = getattr(ensemble, f"{attribute}_mean"), getattr(ensemble, f"{attribute}_sem")
    return {"amp": {"snr": ensemble.snr, "mean": mean, "low": mean - err, "high": mean + err}}


RECIPES = (
    Recipe("curves", curves, ("prior", "rho", "snr_range", "quantity")),
    Recipe("at_snr", at_snr, ("prior", "rho", "snr")),
    Recipe("phase", phase, ("prior",), key=lambda p: FAMILY_OF[p.prior], background=True,
           script=False, label="phase diagram"),
)


def python_script(p: SpikedParameters, figures: tuple[dict, ...] = ()) -> str:
    """The exported script; with ``figures`` (the page's), it also draws them."""
    from . import python_script as script

    return script(p, __name__, RECIPES, title="Spiked Wigner model", figures=figures,
                  html="spiked-view.html")
