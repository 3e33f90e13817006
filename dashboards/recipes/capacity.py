"""Storage capacity of the perceptron (Gardner, Cover, Krauth-Mezard, ReLU injectivity): the
parameter model and the recipes that turn it into plotted data. numpy, param and theory only
(no Panel, no Bokeh)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import param

from theory import capacity

from ..caches import Atlas, value_key
from ..processes import Step
from . import (  # noqa: F401 (named: used by the exported scripts)
    ExplorerParameters,
    Preset,
    Recipe,
    Source,
    named,
    shaded_regions,
    threshold_lines,
)

__all__ = ["RECIPES", "SOURCES", "CapacityParameters", "at_alpha", "binary", "errors",
           "injectivity", "margins", "overlap", "python_script", "separability",
           "simulation_steps", "simulations"]

KAPPA_BOUNDS = (-1.0, 2.0)
KAPPA_STEP = 0.05
#: the margin slider's grid, on which the overlap curves are computed ahead
KAPPA_GRID = tuple(round(KAPPA_BOUNDS[0] + KAPPA_STEP * k, 2) for k in range(61))
ALPHA_MAX = 12.0
OVERLAP_POINTS = 60
CURVE_POINTS = 200
MARGIN_ALPHA = (0.02, 6.0)  # the margin plot's alpha range
SEPARABILITY_ALPHA_MAX = 4.0
BINARY_ALPHA = (0.01, 1.26)  # RS q -> 1 at 4/pi = 1.273: the iteration slows down before
ERROR_ALPHA_MAX = 12.0
LP_ALPHAS = tuple(np.round(np.arange(0.5, 3.51, 0.25), 2))
SVM_ALPHAS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75)
SIMULATION_SEED = 1965
#: colours (Okabe-Ito)
COLORS = {"rsb": "#E69F00", "capacity": "#D55E00", "binary": "#009E73", "wrong": "#CC79A7",
          "rs": "#0072B2", "full_rsb": "#009E73", "euler": "#56B4E9", "limit": "#7F7F7F"}


class CapacityParameters(ExplorerParameters):
    """The capacity explorer's controls."""

    kappa = param.Number(default=0.0, bounds=KAPPA_BOUNDS, step=KAPPA_STEP, label="Margin κ")
    alpha = param.Number(default=1.0, bounds=(0.05, ALPHA_MAX), step=0.05,
                         label="Load α = P/N")
    n = param.Integer(default=40, bounds=(5, 200), step=5, label="Dimension N (Cover, LP)")
    lp_trials = param.Integer(default=100, bounds=(10, 300), label="LP instances per α")
    svm_n = param.Integer(default=200, bounds=(20, 400), step=10, label="SVM dimension N")
    svm_trials = param.Integer(default=20, bounds=(2, 100), label="SVM instances per α")

    advanced_parameters = ("lp_trials", "svm_n", "svm_trials")
    url_prefix = "cap_"
    url_parameters = ("kappa", "alpha", "n", "lp_trials", "svm_n", "svm_trials")
    presets = (
        Preset("Gardner: α_c = 2 at zero margin",
               {"kappa": 0.0, "alpha": 1.9, "n": 40},
               "Spherical weights store up to P = 2N random patterns; the two solutions' "
               "overlap q → 1 as α → 2: the space of solutions shrinks to a point.",
               "Gardner 1988"),
        Preset("Positive margin κ = 1: fewer patterns",
               {"kappa": 1.0, "alpha": 0.4},
               "Asking for a margin costs capacity: α_c(1) = 0.52.",
               "Gardner 1988"),
        Preset("Negative margin: replica symmetry is not enough",
               {"kappa": -0.5, "alpha": 3.0},
               "For κ < 0 the space of solutions is not convex and the RS capacity is only "
               "an estimate (replica-symmetry breaking is needed).",
               "Gardner & Derrida 1988"),
        Preset("Cover's coin flip at P = 2N",
               {"n": 20, "alpha": 2.0, "kappa": 0.0},
               "At P = 2N exactly half of the labelings of points in general position are "
               "separable, for every N; the curve steepens into a step as N grows.",
               "Cover 1965"),
        Preset("Binary weights: 0.833, not 4/π",
               {"alpha": 0.85, "kappa": 0.0},
               "The RS entropy of ±1 weights vanishes at α = 0.833 (Krauth-Mézard); where "
               "RS has q → 1, 4/π ≈ 1.27, its entropy is already negative.",
               "Krauth & Mézard 1989"),
        Preset("ReLU layer injectivity (α ≈ 7.65 RS)",
               {"alpha": 7.65, "kappa": 0.0},
               "x ↦ ReLU(Wx) is injective when every direction keeps n active units: "
               "α e(α) = 1 at 7.65 in RS, 6.698 with full RSB, below the bound 8.34.",
               "Maillard, Bandeira, Belius, Dokmanić & Nakajima 2023, arXiv:2302.14112"),
    )


# -- caches: at the boundary with theory, shared by every page ---------------------------
def _overlap_alphas(kappa: float) -> np.ndarray:
    alpha_c = float(capacity.gardner_capacity(kappa).alpha_c)
    # denser near alpha_c, where q rises to 1
    return alpha_c * (1.0 - np.linspace(1.0, 0.0, OVERLAP_POINTS + 2)[1:-1] ** 1.5)


def _error_alphas() -> np.ndarray:
    return np.linspace(0.0, ERROR_ALPHA_MAX, CURVE_POINTS)


def _atlas_entries():
    overlaps = [(value_key("overlap", kappa), Step(capacity.version_space_overlap, dict(
        alpha=_overlap_alphas(kappa), kappa=kappa))) for kappa in KAPPA_GRID]
    errors = [(value_key("errors", kappa), Step(capacity.min_error_fraction, dict(
        alpha=_error_alphas(), kappa=kappa))) for kappa in KAPPA_GRID]
    return overlaps + errors


#: the overlap curve and the error fraction curve at every margin of the slider
KAPPA_ATLAS = Atlas(_atlas_entries)


@lru_cache(maxsize=256)
def _overlap(kappa: float) -> capacity.OverlapCurve:
    return capacity.version_space_overlap(_overlap_alphas(kappa), kappa)


def cached_overlap(kappa: float) -> capacity.OverlapCurve:
    kappa = round(float(kappa), 9)
    return KAPPA_ATLAS.get_or(value_key("overlap", kappa), lambda: _overlap(kappa))


@lru_cache(maxsize=256)
def _errors(kappa: float) -> capacity.MinErrorFraction:
    return capacity.min_error_fraction(_error_alphas(), kappa)


def cached_errors(kappa: float) -> capacity.MinErrorFraction:
    kappa = round(float(kappa), 9)
    return KAPPA_ATLAS.get_or(value_key("errors", kappa), lambda: _errors(kappa))


@lru_cache(maxsize=1)
def cached_binary() -> tuple[capacity.BinaryEntropy, capacity.BinaryCapacity]:
    """The binary-weight RS entropy curve (about a second) and its zero: page-independent."""
    return (capacity.binary_entropy(np.linspace(*BINARY_ALPHA, 120)),
            capacity.binary_capacity())


@lru_cache(maxsize=1)
def cached_injectivity() -> tuple[capacity.MinErrorFraction, capacity.InjectivityThreshold]:
    return (capacity.min_error_fraction(np.linspace(2.0, ERROR_ALPHA_MAX, CURVE_POINTS)),
            capacity.relu_injectivity_threshold())


@lru_cache(maxsize=1)
def cached_margins() -> capacity.MaxMargin:
    return capacity.max_margin(np.linspace(*MARGIN_ALPHA, CURVE_POINTS))


# -- recipes -----------------------------------------------------------------------------
SOURCES = (
    Source("margin_curve", "capacity-margin", ("alpha", "kappa")),
    Source("margin_rsb", None, ("left", "right", "region", "color", "alpha", "bottom", "top")),
    Source("margin_point", None, ("alpha", "kappa")),
    Source("binary_point", None, ("alpha", "kappa")),
    Source("svm", "capacity-svm", ("alpha", "mean", "low", "high")),
    Source("overlap", "capacity-overlap", ("alpha", "q")),
    Source("overlap_unconverged", None, ("alpha", "q")),
    Source("overlap_threshold", None, ("x", "y0", "y1", "threshold", "color")),
    Source("cover", "capacity-cover", ("alpha", "probability")),
    Source("cover_limit", "capacity-cover-limit", ("alpha", "probability")),
    Source("lp", "capacity-lp", ("alpha", "mean", "low", "high")),
    Source("binary", "capacity-binary", ("alpha", "entropy")),
    Source("binary_thresholds", None, ("x", "y0", "y1", "threshold", "color")),
    Source("binary_negative", None, ("left", "right", "region", "color", "alpha", "bottom",
                                     "top")),
    Source("errors", "capacity-errors", ("alpha", "errors")),
    Source("errors_threshold", None, ("x", "y0", "y1", "threshold", "color")),
    Source("injectivity", "capacity-injectivity", ("alpha", "load")),
    Source("injectivity_thresholds", None, ("x", "y0", "y1", "threshold", "color")),
    Source("injectivity_one", None, ("alpha", "load")),
)

MARGIN_Y = (-1.0, 2.2)
BINARY_Y = (-1.0, 0.75)
ERRORS_Y = (0.0, 0.5)
INJECTIVITY_Y = (0.0, 3.0)


def margins(p) -> dict:
    """The largest margin kappa(alpha) (the inverse of alpha_c), RSB shaded below kappa = 0,
    and the binary weights' capacity at kappa = 0."""
    m = cached_margins()
    last_exact = float(m.alpha[m.rs_exact][-1]) if m.rs_exact.any() else MARGIN_ALPHA[0]
    return {
        "margin_curve": {"alpha": m.alpha, "kappa": m.kappa},
        "margin_rsb": shaded_regions([(last_exact, MARGIN_ALPHA[1], "κ < 0: RS only an "
                                       "estimate (RSB)", COLORS["rsb"], 0.15)],
                                     MARGIN_Y[0], 0.0),
    }


def margin_point(p) -> dict:
    """The current margin on the capacity curve: (alpha_c(kappa), kappa)."""
    alpha_c = float(capacity.gardner_capacity(p.kappa).alpha_c)
    return {"margin_point": {"alpha": [alpha_c], "kappa": [float(p.kappa)]}}


def overlap(p) -> dict:
    """The typical overlap q(alpha) of two solutions at the current margin, up to alpha_c."""
    curve = cached_overlap(p.kappa)
    alpha_c = float(capacity.gardner_capacity(p.kappa).alpha_c)
    bad = ~curve.converged
    return {
        "overlap": {"alpha": np.append(curve.alpha, alpha_c), "q": np.append(curve.q, 1.0)},
        "overlap_unconverged": {"alpha": curve.alpha[bad], "q": curve.q[bad]},
        "overlap_threshold": threshold_lines(
            [(alpha_c, f"α_c(κ) = {alpha_c:.3f}", COLORS["capacity"])], 0.0, 1.0),
        "notes": [f"{int(bad.sum())} points of the overlap curve did not converge (red "
                  "crosses)."] if bad.any() else [],
    }


def separability(p) -> dict:
    """Cover's exact probability of separability at N against alpha = P / N, and its
    N -> infinity step at alpha = 2."""
    n = int(p.n)
    patterns = np.arange(0, int(SEPARABILITY_ALPHA_MAX * n) + 1)
    return {
        "cover": {"alpha": patterns / n, "probability": capacity.cover_probability(patterns, n)},
        "cover_limit": {"alpha": [0.0, 2.0, 2.0, SEPARABILITY_ALPHA_MAX],
                        "probability": [1.0, 1.0, 0.0, 0.0]},
    }


def binary(p) -> dict:
    """The RS entropy of binary weights, its zero (Krauth-Mezard: also on the margin plot,
    at kappa = 0) and the RS q -> 1 point (about a second when not cached)."""
    entropy, zero = cached_binary()
    good = entropy.converged
    negative_from = zero.alpha if np.isfinite(zero.alpha) else np.nan
    return {
        "binary": {"alpha": entropy.alpha[good], "entropy": entropy.entropy[good]},
        "binary_thresholds": threshold_lines([
            (zero.alpha, f"s = 0 at α = {zero.alpha:.3f} (Krauth-Mézard)", COLORS["binary"]),
            (capacity.RS_BINARY_WRONG_CAPACITY,
             f"RS q → 1 at 4/π = {capacity.RS_BINARY_WRONG_CAPACITY:.3f} (wrong)",
             COLORS["wrong"])], *BINARY_Y),
        "binary_negative": shaded_regions([(negative_from, 1.35, "s < 0: RS is wrong here",
                                            COLORS["wrong"], 0.12)], *BINARY_Y),
        "binary_point": {"alpha": [zero.alpha], "kappa": [0.0]},
    }


def errors(p) -> dict:
    """The RS minimal fraction of errors above capacity at the current margin."""
    kappa = float(p.kappa)
    e = cached_errors(kappa)
    alpha = np.asarray(e.alpha)
    alpha_c = float(capacity.gardner_capacity(kappa).alpha_c)
    good = e.converged
    return {
        "errors": {"alpha": alpha[good], "errors": e.errors[good]},
        "errors_threshold": threshold_lines(
            [(alpha_c, f"α_c(κ) = {alpha_c:.3f}", COLORS["capacity"])], *ERRORS_Y),
    }


def injectivity(p) -> dict:
    """alpha e(alpha) at kappa = 0 (active units per input dimension in the worst
    direction), crossing 1 at the RS injectivity threshold, with the published estimates."""
    e, threshold = cached_injectivity()
    return {
        "injectivity": {"alpha": e.alpha, "load": e.alpha * e.errors},
        "injectivity_one": {"alpha": [0.0, ERROR_ALPHA_MAX], "load": [1.0, 1.0]},
        "injectivity_thresholds": threshold_lines([
            (threshold.full_rsb, f"full RSB {threshold.full_rsb:.3f}", COLORS["full_rsb"]),
            (threshold.replica_symmetric, f"RS {threshold.replica_symmetric:.3f}",
             COLORS["rs"]),
            (threshold.euler_characteristic, f"Euler bound {threshold.euler_characteristic:.2f}",
             COLORS["euler"])], *INJECTIVITY_Y),
    }


def at_alpha(p) -> dict:
    """Nothing to plot (markers follow alpha): the numbers the summary quotes."""
    return {}


def simulation_steps(p) -> list[Step]:
    """LP separability at N (``lp_trials`` instances per alpha) and hard-margin SVMs at
    ``svm_n`` (a simulation, for a worker process)."""
    n, svm_n = int(p.n), int(p.svm_n)
    lp_cost, svm_cost = len(LP_ALPHAS) * p.lp_trials * n, len(SVM_ALPHAS) * p.svm_trials * svm_n
    return [Step(capacity.simulate_separability, dict(alpha=np.array(LP_ALPHAS), n=n,
                                                      trials=int(p.lp_trials),
                                                      seed=SIMULATION_SEED),
                 weight=lp_cost, progress=True),
            Step(capacity.simulate_max_margin, dict(alpha=np.array(SVM_ALPHAS), n=svm_n,
                                                    trials=int(p.svm_trials),
                                                    seed=SIMULATION_SEED),
                 weight=svm_cost, progress=True)]


def simulations(results) -> dict:
    """The LP fractions and SVM margins, mean +- one standard error."""
    lp, svm = results
    return {
        "lp": {"alpha": lp.patterns / lp.n, "mean": lp.fraction,
               "low": lp.fraction - lp.stderr, "high": lp.fraction + lp.stderr},
        "svm": {"alpha": svm.alpha, "mean": svm.mean, "low": svm.mean - svm.stderr,
                "high": svm.mean + svm.stderr},
    }


RECIPES = (
    Recipe("margins", margins, ()),
    Recipe("margin_point", margin_point, ("kappa",)),
    Recipe("overlap", overlap, ("kappa",)),
    Recipe("separability", separability, ("n",)),
    Recipe("binary", binary, (), background=True, label="binary-weight entropy"),
    Recipe("errors", errors, ("kappa",)),
    Recipe("injectivity", injectivity, ()),
    Recipe("at_alpha", at_alpha, ("alpha", "kappa", "n"), script=False),
)


def python_script(p: CapacityParameters, figures: tuple[dict, ...] = ()) -> str:
    """The exported script; with ``figures`` (the page's), it also draws them."""
    from . import python_script as script

    return script(p, __name__, RECIPES, title="Storage capacity of the perceptron", figures=figures,
                  html="capacity-view.html")
