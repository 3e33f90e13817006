"""Multi-index models (Troiani et al. 2024; Aubin et al. 2018): the parameter model and the
recipes that turn it into plotted data. numpy, param and theory only (no Panel, no Bokeh)."""

from __future__ import annotations

import numpy as np
import param

from theory import multiindex

from ..caches import BoundedCache
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

__all__ = ["RECIPES", "SOURCES", "MultiIndexParameters", "committee", "eigenvalues",
           "gamp_points", "gamp_steps", "python_script", "weak_recovery"]

TARGET_LABELS = {
    "committee: sign(z₁) + sign(z₂)": "committee",
    "y = z²": "z^2",
    "y = z₁² + z₂²": "z1^2+z2^2",
    "y = z₁² + z₂² + z₃²": "z1^2+z2^2+z3^2",
    "y = z₁ z₂": "z1*z2",
    "y = sign(z₁ z₂)": "sign(z1*z2)",
    "y = z₁ z₂ z₃": "z1*z2*z3",
    "y = sign(z₁ z₂ z₃)": "sign(z1*z2*z3)",
    "staircase: z₁² + sign(z₂ z₃)": "z1^2+sign(z2*z3)",
}
WEIGHT_LABELS = {"Gaussian": "gaussian", "±1 (binary)": "binary"}
MAX_ALPHA = 6.0
#: the curves are solved once per target on the slider's whole range (spacing 0.03) and cut
#: at alpha_max: moving alpha_max solves nothing
CURVE_ALPHA = np.linspace(0.02, MAX_ALPHA, 200)
EIGEN_COLORS = ("#0072B2", "#D55E00", "#009E73")
COLORS = {"threshold": "#E69F00", "spec": "#CC79A7", "it": "#D55E00", "alg": "#E69F00",
          "hard": "#E69F00", "uninformed": "#0072B2", "informed": "#009E73",
          "perfect": "#7F7F7F"}
EIGEN_Y = (-0.02, 1.02)


class MultiIndexParameters(ExplorerParameters):
    """The multi-index explorer's controls."""

    target = param.Selector(default="committee", objects=TARGET_LABELS, label="Target")
    weights = param.Selector(default="gaussian", objects=WEIGHT_LABELS,
                             label="Teacher weights (committee)")
    alpha_max = param.Number(default=3.0, bounds=(1.0, MAX_ALPHA), step=0.25,
                             label="Largest α = n/d shown")
    alpha = param.Number(default=1.0, bounds=(0.0, MAX_ALPHA), step=0.02, label="Current α")
    gamp_d = param.Integer(default=1000, bounds=(200, 2000), label="GAMP dimension d")
    gamp_seeds = param.Integer(default=2, bounds=(1, 6), label="GAMP instances per α")

    advanced_parameters = ("gamp_d", "gamp_seeds")
    url_prefix = "mi_"
    url_parameters = ("target", "weights", "alpha_max", "alpha", "gamp_d", "gamp_seeds")
    presets = (
        Preset("Committee: hidden units specialise",
               {"target": "committee", "weights": "gaussian", "alpha_max": 3.0, "alpha": 2.3},
               "The direction w₁ + w₂ is learned at once (trivial); the units tell themselves "
               "apart only from α_spec ≈ 2.05, continuously.",
               "Aubin et al. 2018, arXiv:1806.05451"),
        Preset("Binary committee: a hard phase",
               {"target": "committee", "weights": "binary", "alpha_max": 3.0, "alpha": 1.8},
               "With ±1 weights exact recovery wins at α_IT ≈ 1.55 but GAMP reaches it only at "
               "α_alg ≈ 1.98: a computational-to-statistical gap.",
               "Aubin et al. 2018, arXiv:1806.05451"),
        Preset("Phase retrieval y = z²: weak recovery at α = 1/2",
               {"target": "z^2", "alpha_max": 3.0, "alpha": 0.8},
               "E[z | y] = 0: nothing is learned below α_c = 1/2, then the overlap grows; "
               "GAMP jumps to exact recovery at 1.13.",
               "Troiani et al. 2024, arXiv:2405.15480"),
        Preset("Parity y = sign(z₁ z₂ z₃): hard",
               {"target": "sign(z1*z2*z3)", "alpha_max": 3.0, "alpha": 2.0},
               "G(y) = 0: no direction is found from scratch with O(d) samples at any α.",
               "Troiani et al. 2024, arXiv:2405.15480"),
        Preset("Staircase y = z₁² + sign(z₂ z₃)",
               {"target": "z1^2+sign(z2*z3)", "alpha_max": 4.0, "alpha": 2.6},
               "z₁ is learned from α ≈ 0.58 and jumps to exact recovery at 1.40 (GAMP); "
               "(z₂, z₃) follow only once z₁ is known, from π²/4 ≈ 2.47.",
               "Troiani et al. 2024, arXiv:2405.15480"),
    )

    def constrain(self, values=None) -> dict:
        """The current alpha stays inside the plotted range."""
        values = {**self.values(), **(values or {})}
        top, alpha = values["alpha_max"], values["alpha"]
        return {} if alpha <= top else {"alpha": float(top)}

    @property
    def is_committee(self) -> bool:
        return self.target == "committee"

    @property
    def has_gamp(self) -> bool:
        return self.target in multiindex.GAMP_TARGETS


# -- caches -----------------------------------------------------------------------------------
WEAK_RECOVERY = BoundedCache(32)
EIGENVALUES = BoundedCache(32)
COMMITTEE = BoundedCache(4)


def cached_weak_recovery(target: str):
    return WEAK_RECOVERY.get_or_put(target, lambda: multiindex.weak_recovery_threshold(target))


def cached_eigenvalues(target: str, weights: str):
    return EIGENVALUES.get_or_put((target, weights), lambda: multiindex.eigenvalue_curve(
        target, CURVE_ALPHA, weights))


def cached_committee(weights: str):
    return COMMITTEE.get_or_put(weights, lambda: multiindex.committee_curve(CURVE_ALPHA,
                                                                            weights))


def shown(alpha_max: float) -> np.ndarray:
    """The points of ``CURVE_ALPHA`` up to alpha_max."""
    return float(alpha_max) + 1e-12 >= CURVE_ALPHA


def _weights(p) -> str:
    return p.weights if p.is_committee else "gaussian"


# -- recipes -----------------------------------------------------------------------------
SOURCES = (
    Source("spectrum", "multiindex-spectrum", ("index", "eigenvalue")),
    Source("eigen", "multiindex-eigenvalues", ("alpha", "m1", "m2", "m3", "b1", "b2", "b3")),
    Source("eigen_thresholds", None, ("x", "y0", "y1", "threshold", "color")),
    Source("eigen_regions", None, ("left", "right", "region", "color", "alpha", "bottom",
                                   "top")),
    Source("gamp1", "multiindex-gamp-1", ("alpha", "mean", "low", "high")),
    Source("gamp2", "multiindex-gamp-2", ("alpha", "mean", "low", "high")),
    Source("entropy", "multiindex-free-entropy", ("alpha", "uninformed", "informed")),
    Source("entropy_thresholds", None, ("x", "y0", "y1", "threshold", "color")),
    Source("units", "multiindex-committee-units", ("alpha", "diag", "off", "diag_bayes",
                                                   "off_bayes")),
    Source("units_thresholds", None, ("x", "y0", "y1", "threshold", "color")),
)


def weak_recovery(p) -> dict:
    """The spectrum of the linearised map F at M = 0 (its top eigenvalue sets alpha_c)."""
    w = cached_weak_recovery(p.target)
    spectrum = np.asarray(w.spectrum, dtype=float)
    return {"spectrum": {"index": np.arange(1, spectrum.size + 1), "eigenvalue": spectrum}}


def eigenvalues(p) -> dict:
    """Eigenvalues of the overlap M along alpha on GAMP's branch (solid) and the
    Bayes-optimal one (dashed), where state evolution is solved; with the thresholds."""
    w = cached_weak_recovery(p.target)
    top = float(p.alpha_max)
    entries = []
    for i, threshold in enumerate(np.unique(np.round(w.direction_thresholds, 9))):
        if np.isfinite(threshold) and threshold > 0:
            entries.append((float(threshold), f"direction {i + 1} from α = {threshold:.4f}",
                            EIGEN_COLORS[min(i, 2)]))
    bands = []
    notes = []
    columns = {k: [] for k in ("alpha", "m1", "m2", "m3", "b1", "b2", "b3")}
    if p.target in multiindex.STATE_EVOLUTION_TARGETS:
        curve = cached_eigenvalues(p.target, _weights(p))
        cut = shown(top)
        columns["alpha"] = curve.alpha[cut]
        for j in range(3):
            column = j if j < curve.uninformed.shape[1] else None
            columns[f"m{j + 1}"] = (curve.uninformed[cut, column] if column is not None
                                    else np.full(cut.sum(), np.nan))
            columns[f"b{j + 1}"] = (curve.bayes_optimal[cut, column] if column is not None
                                    else np.full(cut.sum(), np.nan))
        if not curve.converged[cut].all():
            notes.append("Some state-evolution points did not converge.")
    if p.is_committee:
        th = multiindex.committee_thresholds(_weights(p))
        entries = [(th.specialization, f"α_spec = {th.specialization:.4f}", COLORS["spec"])]
        if _weights(p) == "binary":
            entries += [(th.information_theoretic, f"α_IT = {th.information_theoretic:.4f}",
                         COLORS["it"]),
                        (th.algorithmic, f"α_alg = {th.algorithmic:.4f}", COLORS["alg"])]
            bands = [(th.information_theoretic, th.algorithmic, "hard phase", COLORS["hard"],
                      0.2)]
    return {"eigen": columns,
            "eigen_thresholds": threshold_lines([e for e in entries if e[0] <= top],
                                                *EIGEN_Y),
            "eigen_regions": shaded_regions(bands, *EIGEN_Y),
            "notes": notes}


def coinciding(eigen: dict) -> str:
    """What the eigenvalue plot must say for a line drawn under another: ", eigenvalues
    2 = 3" where their curves are the same (|z|^2: all of them; the staircase: 2 and 3)."""
    columns = [np.asarray(eigen[f"m{j}"], dtype=float) for j in (1, 2, 3)]
    drawn = [c for c in columns if c.size and np.isfinite(c).any()]
    equal = [j + 1 for j in range(1, len(drawn))
             if np.allclose(drawn[j], drawn[j - 1], equal_nan=True, atol=1e-12)]
    if not equal:
        return ""
    chain = sorted({*equal, *(j - 1 for j in equal)})
    return ", eigenvalues " + " = ".join(str(j) for j in chain)


def committee(p) -> dict:
    """The committee's free entropy on GAMP's branch and the informed one (the Bayes-optimal
    state is the larger): their crossing is alpha_IT; and each student unit's overlap with its
    own teacher unit (q_diag) and with the other one (q_off) on GAMP's and the Bayes-optimal
    branch: q_off falls to 0 as the units specialise."""
    curve = cached_committee(p.weights)
    cut = shown(p.alpha_max)
    th = curve.thresholds
    entries = [(th.specialization, f"α_spec = {th.specialization:.4f}", COLORS["spec"])]
    if p.weights == "binary":
        entries.append((th.information_theoretic, f"α_IT = {th.information_theoretic:.4f}",
                        COLORS["it"]))
    low = float(np.nanmin(curve.informed.free_entropy[cut]))
    shown_entries = [e for e in entries if e[0] <= float(p.alpha_max)]
    if p.weights == "binary" and th.algorithmic <= float(p.alpha_max):
        unit_entries = [*shown_entries, (th.algorithmic, f"α_alg = {th.algorithmic:.4f}",
                                         COLORS["alg"])]
    else:
        unit_entries = shown_entries
    return {"entropy": {"alpha": curve.alpha[cut],
                        "uninformed": curve.uninformed.free_entropy[cut],
                        "informed": curve.informed.free_entropy[cut]},
            "entropy_thresholds": threshold_lines(shown_entries, low, 0.0),
            "units": {"alpha": curve.alpha[cut],
                      "diag": curve.uninformed.q_diag[cut], "off": curve.uninformed.q_off[cut],
                      "diag_bayes": curve.bayes_optimal.q_diag[cut],
                      "off_bayes": curve.bayes_optimal.q_off[cut]},
            "units_thresholds": threshold_lines(unit_entries, *EIGEN_Y)}


# -- GAMP on sampled instances (worker processes) -------------------------------------------
#: values of alpha a GAMP run covers (evenly up to alpha_max) and iterations per instance
GAMP_POINTS = 8
GAMP_ITERATIONS = 300


def gamp_alphas(p) -> np.ndarray:
    return float(p.alpha_max) * np.arange(1, GAMP_POINTS + 1) / GAMP_POINTS


def gamp_steps(p) -> list[Step]:
    """One GAMP instance per step: ``gamp_seeds`` instances at each of ``gamp_alphas``."""
    return [Step(multiindex.simulate_gamp, dict(target=p.target, alpha=float(a),
                                                d=int(p.gamp_d), seed=1000 * i + s,
                                                weights=_weights(p),
                                                iterations=GAMP_ITERATIONS))
            for i, a in enumerate(gamp_alphas(p)) for s in range(int(p.gamp_seeds))]


def gamp_points(p, runs: list) -> dict:
    """Mean and standard error over instances of each run's final eigenvalues of M (the
    largest in ``gamp1``, the next in ``gamp2``), per alpha; with how many converged."""
    alphas, seeds = gamp_alphas(p), int(p.gamp_seeds)
    finals = np.array([run.overlaps[-1] for run in runs]).reshape(alphas.size, seeds, -1)
    out = {}
    for j in range(2):
        values = finals[:, :, j]
        mean = values.mean(axis=1)
        sem = (values.std(axis=1, ddof=1) / np.sqrt(seeds) if seeds > 1
               else np.zeros_like(mean))
        out[f"gamp{j + 1}"] = {"alpha": alphas, "mean": mean, "low": mean - sem,
                               "high": mean + sem}
    converged = sum(run.converged for run in runs)
    return {"sources": out, "converged": int(converged), "runs": len(runs)}


RECIPES = (
    Recipe("weak_recovery", weak_recovery, ("target",), background=True,
           label="weak-recovery analysis"),
    # solved once per target: in the background the first time, on the page after
    Recipe("eigenvalues", eigenvalues, ("target", "weights", "alpha_max"),
           background=lambda p: WEAK_RECOVERY.get(p.target) is None or (
               p.target in multiindex.STATE_EVOLUTION_TARGETS
               and EIGENVALUES.get((p.target, _weights(p))) is None),
           label="state evolution"),
    Recipe("committee", committee, ("weights", "alpha_max"),
           background=lambda p: COMMITTEE.get(p.weights) is None,
           label="committee free entropy"),
)


def python_script(p: MultiIndexParameters, figures: tuple[dict, ...] = ()) -> str:
    """The exported script; with ``figures`` (the page's), it also draws them."""
    from . import python_script as script

    return script(p, __name__, RECIPES, title="Multi-index models", figures=figures,
                  html="multiindex-view.html")
