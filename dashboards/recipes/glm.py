"""Teacher-student generalised linear models: the parameter model and the recipes that turn it
into plotted data. numpy, param and theory only (no Panel, no Bokeh).

What each task means is data (``TASKS``: prior, channel, the values it sets, its ERM and
double-descent curves), not ``task ==`` branches: a new task is one more row."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import param

from theory import channels, erm, glm, priors

from ..caches import Atlas, BoundedCache, PointwiseCurves, round_grid, solve_now, value_key
from ..processes import Step
from . import (  # noqa: F401 (named: used by the exported scripts)
    ExplorerParameters,
    OrderedRange,
    Preset,
    Recipe,
    Source,
    maxima_data,
    named,
    readable,
    shaded_regions,
    threshold_lines,
)

__all__ = ["RECIPES", "SOURCES", "TASKS", "GlmParameters", "at_alpha", "curves",
           "double_descent", "erm_curve", "python_script", "simulation", "simulation_steps",
           "summary"]


@dataclass(frozen=True)
class Task:
    """A teacher-student task: the teacher's prior and the label channel ("sign", "abs" or
    "linear"), a one-line description, the values choosing it sets (unless the same update
    sets them), the learning curve of the ERM drawn on top ("logistic", "ridge",
    "random_features" or None) and the double-descent panel that means something for it
    ("ridge", "random_features" or None: hidden)."""

    prior: str
    channel: str
    description: str
    defaults: dict = field(default_factory=dict)
    erm: str | None = None
    double_descent: str | None = None


#: the values that choosing a sign-channel task sets
SIGN_DEFAULTS = {"lam": 0.1, "flip": 0.0}
RF_DEFAULTS = {"alpha_range": (0.1, 5.0), "lam": 1e-3, "noise": 0.1, "psi": 2.0}

TASKS = {
    "Binary perceptron": Task(
        "rademacher", "sign", "±1 teacher weights, labels y = sign(z): a first-order "
        "transition to perfect generalisation (Györgyi 1990).", SIGN_DEFAULTS, erm="logistic"),
    "Gaussian perceptron": Task(
        "gaussian", "sign", "Gaussian teacher, y = sign(z): the error decays smoothly as "
        "0.442/α (Opper & Haussler 1991).", SIGN_DEFAULTS, erm="logistic"),
    "Phase retrieval": Task(
        "gaussian", "abs", "Real phase retrieval y = |z|: weak recovery at α = 1/2, perfect "
        "recovery at α = 1 (IT), later for AMP (α_alg in the summary).", {"noise": 0.0}),
    "Compressed sensing": Task(
        "gauss_bernoulli", "linear", "Sparse teacher (fraction ρ non-zero), y = z: exact "
        "recovery from α = ρ, but AMP needs more (Krzakala et al. 2012).", {"noise": 0.0},
        erm="ridge"),
    "Ridge regression": Task(
        "gaussian", "linear", "Gaussian teacher, noisy linear labels: ridge at λ = Δ is "
        "Bayes-optimal; λ → 0 shows the double-descent peak at α = 1.",
        {"noise": 0.25, "lam": 0.01}, erm="ridge", double_descent="ridge"),
    "Random features": Task(
        "gaussian", "linear", "Ridge on p = ψ d random tanh features of a noisy linear teacher: "
        "a second peak at the interpolation threshold n = p (α = ψ), tamed by λ (Mei & "
        "Montanari 2019; Gerace et al. 2020).", RF_DEFAULTS, erm="random_features",
        double_descent="random_features"),
    "Logistic regression": Task(
        "gaussian", "sign", "Gaussian teacher, y = sign(z): L2 logistic regression at λ "
        "(purple) against the Bayes-optimal error (Aubin et al. 2020).", SIGN_DEFAULTS,
        erm="logistic"),
}
#: the label-noise parameter of each channel (the other is unused, its control disabled)
CHANNEL_NOISE = {"sign": "flip", "abs": "noise", "linear": "noise"}
PRIOR_LABELS = {
    "Rademacher (±1)": "rademacher",
    "Gaussian": "gaussian",
    "Gauss-Bernoulli": "gauss_bernoulli",
    "Sparse Rademacher": "sparse_rademacher",
}
QUANTITIES = ("test error", "MSE 1 − q")
CURVE_POINTS = 150  # at least (round_grid): smooth curves; thresholds are drawn exactly
LOGISTIC_POINTS = 120
SIM_ALPHA_POINTS = 8
DD_LAMBDAS = (0.0, 1e-3, 1e-2, 1e-1, 1.0)
#: label and colour (a ``PALETTE`` name) of each threshold
THRESHOLD_STYLE = {
    "weak_recovery": ("α_WR: weak recovery", "grey"),
    "dynamic": ("α_dyn: informed state stable", "sky"),
    "information_theoretic": ("α_IT: information-theoretic", "vermillion"),
    "algorithmic": ("α_alg: GAMP jumps", "orange"),
}
#: the Okabe-Ito colours of those names (the page's ``PALETTE``; no Bokeh here)
COLORS = {"grey": "#7F7F7F", "sky": "#56B4E9", "vermillion": "#D55E00", "orange": "#E69F00"}
#: the smallest alpha drawn (the curves start just above 0) and simulated
MIN_ALPHA, MIN_SIM_ALPHA = 1e-3, 0.05
#: the alpha range slider's end: the range a lecture uses; its number inputs (and links)
#: take any range up to ``glm.MAX_ALPHA``
ALPHA_SLIDER_END = 10.0

#: slider grids on which the teacher-student curves are computed ahead (default ranges)
FLIP_GRID = tuple(round(0.01 * k, 2) for k in range(46))
NOISE_GRID = tuple(round(0.01 * k, 2) for k in range(201))
RHO_GRID = tuple(round(0.01 * k, 2) for k in range(2, 101))
PSI_GRID = tuple(round(0.1 * k, 1) for k in range(1, 101))
DEFAULT_ALPHA_RANGE = (0.05, 3.0)
DEFAULT_ALPHA = 1.3


class GlmParameters(ExplorerParameters):
    """The teacher-student explorer's controls."""

    task = param.Selector(default="Binary perceptron", objects=list(TASKS), label="Task")
    prior = param.Selector(default="rademacher", objects=PRIOR_LABELS, label="Teacher prior")
    rho = param.Number(default=0.3, bounds=(0.02, 1.0), step=0.01, label="Sparsity ρ")
    noise = param.Number(default=0.0, bounds=(0.0, 2.0), step=0.01, label="Label noise Δ")
    flip = param.Number(default=0.0, bounds=(0.0, 0.45), step=0.01, label="Label flips ε")
    lam = param.Number(default=0.1, bounds=(0.0, 10.0), step=0.001,
                       label="Regularisation λ (ridge / logistic)")
    psi = param.Number(default=2.0, bounds=(0.1, 10.0), step=0.1,
                       label="Features per dimension ψ = p/d")
    alpha_range = OrderedRange(default=DEFAULT_ALPHA_RANGE, bounds=(0.0, glm.MAX_ALPHA),
                               label="α range")
    alpha = param.Number(default=DEFAULT_ALPHA, bounds=(0.0, glm.MAX_ALPHA), step=0.01,
                         label="Current α = M/N")
    quantity = param.Selector(default="test error", objects=list(QUANTITIES), label="Plot")
    log_scale = param.Boolean(default=False, label="Log scale")
    sim_n = param.Integer(default=1000, bounds=(100, glm.MAX_GAMP_N), label="Simulation size N")
    sim_runs = param.Integer(default=3, bounds=(1, 20), label="Runs per α")

    url_parameters = ("task", "prior", "rho", "noise", "flip", "lam", "psi", "alpha_range",
                      "alpha", "quantity", "log_scale", "sim_n", "sim_runs")
    advanced_parameters = ("sim_n", "sim_runs")
    url_prefix = "glm_"
    # names and texts say no number that the page computes: the explanations below get
    # theirs from the same thresholds as the page (``preset_explanation``)
    presets = (
        Preset("Binary perceptron: the hard phase between α_IT and α_alg",
               {"task": "Binary perceptron", "alpha_range": (0.05, 3.0), "alpha": 1.3,
                "log_scale": False},
               "±1 teacher: perfect generalisation is possible from α_IT = {information_"
               "theoretic} but GAMP reaches it only at α_alg = {algorithmic}.",
               "Györgyi 1990; Barbier, Krzakala, Macris, Miolane & Zdeborová 2019, "
               "arXiv:1708.03395"),
        Preset("Phase retrieval: weak recovery at α = 1/2",
               {"task": "Phase retrieval", "noise": 0.0, "alpha_range": (0.05, 2.0),
                "alpha": 0.8, "log_scale": False},
               "Real phase retrieval: information appears at α_WR = {weak_recovery}, perfect "
               "recovery at α_IT = {information_theoretic} and α_alg = {algorithmic} (AMP).",
               "Barbier et al. 2019, arXiv:1708.03395; Mondelli & Montanari 2018"),
        Preset("Compressed sensing (ρ = 0.3)",
               {"task": "Compressed sensing", "rho": 0.3, "noise": 0.0,
                "alpha_range": (0.05, 1.0), "alpha": 0.4, "log_scale": False},
               "Exact recovery is possible from α_IT = ρ = {information_theoretic}, AMP needs "
               "α_alg = {algorithmic}.",
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

    @property
    def spec(self) -> Task:
        return TASKS[self.task]

    @property
    def channel_key(self) -> str:
        return self.spec.channel

    @property
    def current_prior(self) -> priors.Prior:
        return priors.make_prior(self.prior, self.rho)

    @property
    def current_channel(self) -> channels.Channel:
        return make_channel(self.channel_key, self.noise, self.flip)

    @property
    def is_sparse(self) -> bool:
        return self.prior in priors.SPARSE_PRIORS

    def uses(self, name: str) -> bool:
        """Whether the current task and prior use the parameter ``name`` (its control is
        enabled) among those some tasks do not."""
        needed = {"rho": self.is_sparse, "noise": CHANNEL_NOISE[self.channel_key] == "noise",
                  "flip": CHANNEL_NOISE[self.channel_key] == "flip",
                  "lam": self.spec.erm is not None,
                  "psi": self.spec.erm == "random_features"}
        return needed.get(name, True)

    def constrain(self, values=None) -> dict:
        """A task sets its prior and defaults, except the values that the same update sets
        (a preset's, a link's), in whatever order they come; the current alpha stays inside
        the plotted range."""
        values = dict(values or {})
        merged = {**self.values(), **values}
        fixes = {}
        if "task" in values:
            spec = TASKS[merged["task"]]
            for name, value in {"prior": spec.prior, **spec.defaults}.items():
                if name not in values and merged[name] != value:
                    fixes[name] = value
        merged.update(fixes)
        (lo, hi), alpha = merged["alpha_range"], merged["alpha"]
        if not lo <= alpha <= hi:
            fixes["alpha"] = float(np.clip(alpha, lo, hi))
        return fixes

    def preset_explanation(self, preset: Preset) -> str:
        """The preset's explanation with the thresholds the page computes for it (4
        decimals, as in the summary), not numbers quoted from a paper."""
        if "{" not in preset.explanation:
            return preset.explanation
        values = {**self.values(), **self.preset_values(preset.name)}
        p = GlmParameters(**values)
        th = cached_thresholds(p.current_prior, p.current_channel)
        return preset.explanation.format(**{
            key: f"{getattr(th, key):.4f}" for key in THRESHOLD_STYLE})


def make_channel(key: str, noise: float, flip: float) -> channels.Channel:
    return {"sign": lambda: channels.Sign(flip=flip), "abs": lambda: channels.Abs(noise=noise),
            "linear": lambda: channels.Linear(noise=noise)}[key]()


# -- caches: at the boundary with theory, shared by every page ---------------------------
def _bayes_entries(prior, channel, lo, hi):
    return [
        (value_key("curve", prior, channel, lo, hi, CURVE_POINTS), Step(glm.curve, dict(
            prior=prior, channel=channel, alpha=round_grid(lo, hi, CURVE_POINTS)))),
        (value_key("thresholds", prior, channel), Step(glm.thresholds, dict(
            prior=prior, channel=channel))),
        (value_key("landscape", prior, channel, DEFAULT_ALPHA), Step(
            glm.free_entropy_landscape, dict(prior=prior, channel=channel,
                                             alpha=DEFAULT_ALPHA))),
    ]


def _atlas_entries():
    """The binary perceptron at every label-flip rate, compressed sensing at every noise
    level (rho = 0.3) and every sparsity (noiseless), the random-features curves at every
    psi: each task's sliders from its defaults."""
    lo, hi = DEFAULT_ALPHA_RANGE
    entries = []
    for flip in FLIP_GRID:
        entries += _bayes_entries(priors.Rademacher(), channels.Sign(flip=flip), lo, hi)
    sparse = priors.GaussBernoulli(rho=GlmParameters.param.rho.default)
    for noise in NOISE_GRID:
        entries += _bayes_entries(sparse, channels.Linear(noise=noise), lo, hi)
    for rho in RHO_GRID:
        entries += _bayes_entries(priors.GaussBernoulli(rho=rho), channels.Linear(noise=0.0),
                                  lo, hi)
    rf_lo, rf_hi = RF_DEFAULTS["alpha_range"]
    for psi in PSI_GRID:
        for lam in (RF_DEFAULTS["lam"], *DD_LAMBDAS):
            args = (rf_lo, rf_hi, CURVE_POINTS, psi, lam, RF_DEFAULTS["noise"])
            entries.append((value_key("random_features", *args), Step(
                erm.random_features_curve, dict(alpha=round_grid(rf_lo, rf_hi, CURVE_POINTS),
                                                psi=psi, lam=max(lam, 1e-6),
                                                noise=RF_DEFAULTS["noise"]))))
    return entries


#: results on the grids of the teacher-student sliders, computed ahead
ATLAS = Atlas(_atlas_entries, size=2048)


#: state-evolution curves point by point, by (prior, channel): moving an end of the α range
#: solves the new end and the grid points it uncovers, not the whole curve
CURVE_POINTS_SOLVED = PointwiseCurves(
    lambda model, alpha: glm.curve(prior=model[0], channel=model[1], alpha=alpha))


@lru_cache(maxsize=128)
def _curve(prior, channel, lo: float, hi: float, points: int) -> glm.Curve:
    return CURVE_POINTS_SOLVED.curve((prior, channel), round_grid(lo, hi, points))


def cached_curve(prior, channel, lo: float, hi: float, points: int) -> glm.Curve:
    """The curve of ``glm.curve`` on ``round_grid(lo, hi, points)``."""
    known = ATLAS.get(value_key("curve", prior, channel, lo, hi, points))
    if known is None:
        return _curve(prior, channel, lo, hi, points)
    CURVE_POINTS_SOLVED.know((prior, channel), known)  # the next range starts from these
    return known


def cached_thresholds(prior, channel) -> glm.GlmThresholds:
    return ATLAS.get_or(value_key("thresholds", prior, channel),
                        lambda: glm.thresholds(prior=prior, channel=channel))


@lru_cache(maxsize=512)
def _landscape(prior, channel, alpha: float) -> glm.Landscape:
    return glm.free_entropy_landscape(prior=prior, channel=channel, alpha=alpha)


def cached_landscape(prior, channel, alpha: float) -> glm.Landscape:
    return ATLAS.get_or(value_key("landscape", prior, channel, alpha),
                        lambda: _landscape(prior, channel, alpha))


#: logistic-regression curves (the results of ``logistic_steps``) by its arguments, shared
#: by every page of this process; each takes 0.3-3 s, in a short-solve worker
LOGISTIC_CURVES = BoundedCache(64)


def logistic_steps(lo: float, hi: float, points: int, lam: float, flip: float) -> list[Step]:
    return [Step(erm.logistic_curve, dict(alpha=round_grid(lo, hi, points), lam=lam,
                                          flip=flip))]


@lru_cache(maxsize=128)
def _random_features(lo: float, hi: float, points: int, psi: float, lam: float,
                     noise: float) -> erm.RandomFeaturesCurve:
    return erm.random_features_curve(alpha=round_grid(lo, hi, points), psi=psi,
                                     lam=max(lam, 1e-6), noise=noise)


def cached_random_features(lo: float, hi: float, points: int, psi: float, lam: float,
                           noise: float) -> erm.RandomFeaturesCurve:
    return ATLAS.get_or(value_key("random_features", lo, hi, points, psi, lam, noise),
                        lambda: _random_features(lo, hi, points, psi, lam, noise))


@lru_cache(maxsize=128)
def cached_ridge(lo: float, hi: float, points: int, lam: float, noise: float) -> erm.RidgeCurve:
    return erm.ridge_curve(alpha=round_grid(lo, hi, points), lam=lam, noise=noise)


# -- recipes -----------------------------------------------------------------------------
SOURCES = (
    Source("curves", "glm-curves", ("alpha", "bayes", "uninformed", "informed")),
    Source("erm", "glm-erm", ("alpha", "error")),
    Source("unconverged", None, ("alpha", "value")),
    Source("thresholds", None, ("x", "y0", "y1", "threshold", "color")),
    Source("regions", None, ("left", "right", "region", "color", "alpha", "bottom", "top")),
    Source("sim", "glm-sim", ("alpha", "mean", "low", "high")),
    Source("ridge_sim", "glm-ridge-sim", ("alpha", "mean", "low", "high")),
    Source("dd", "glm-double-descent",
           ("alpha", *[f"lam{i}" for i in range(len(DD_LAMBDAS))], "optimal")),
    Source("landscape", "glm-landscape", ("q", "f")),
    Source("global_max", None, ("q", "f")),
    Source("local_max", None, ("q", "f")),
)


def alpha_bounds(p) -> tuple[float, float]:
    """The plotted alpha interval: the range, from just above 0."""
    lo, hi = p.alpha_range
    if not hi > lo:
        raise ValueError("the α range must have a positive width")
    return max(float(lo), MIN_ALPHA), float(hi)


def _shown(p, values) -> np.ndarray:
    """Values as drawn: on a log axis, zeros and negatives are gaps."""
    values = np.asarray(values, dtype=float)
    return np.where(values > 0, values, np.nan) if p.log_scale else values


def _branch_value(p, branch) -> np.ndarray:
    value = (branch.generalization_error if p.quantity == "test error"
             else 1.0 - np.asarray(branch.overlap))
    return _shown(p, value)


def _model(p):
    lo, hi = alpha_bounds(p)
    prior, channel = p.current_prior, p.current_channel
    return cached_curve(prior, channel, lo, hi, CURVE_POINTS), cached_thresholds(prior, channel)


def y_range(p) -> tuple[float, float]:
    """The learning-curve plot's y range: from 0 (linear) or below the smallest positive
    value (log) to above the Bayes-optimal and GAMP curves."""
    c, _ = _model(p)
    values = np.concatenate([_branch_value(p, c.bayes_optimal), _branch_value(p, c.uninformed)])
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size else 1.0
    if p.log_scale:
        positive = finite[finite > 0]
        bottom = float(positive.min()) / 2 if positive.size else 1e-4
        return max(bottom, 1e-8), top * 2
    return 0.0, top * 1.05 if top > 0 else 1.0


def curves(p) -> dict:
    """Bayes-optimal, GAMP (uninformed) and informed learning curves over the alpha range,
    the points that did not converge, the thresholds and the metastable / hard-phase bands."""
    c, th = _model(p)
    bayes = _branch_value(p, c.bayes_optimal)
    bad = ~np.asarray(c.converged)
    y0, y1 = y_range(p)
    lines = []
    for key, (label, color) in THRESHOLD_STYLE.items():
        x = getattr(th, key)
        if np.isfinite(x) and x > 0:
            name, meaning = label.split(": ")
            lines.append((x, f"{name} = {x:.4f}: {meaning}", COLORS[color]))
    return {
        "curves": {"alpha": c.alpha, "bayes": bayes,
                   "uninformed": _branch_value(p, c.uninformed),
                   "informed": _branch_value(p, c.informed)},
        "unconverged": {"alpha": c.alpha[bad], "value": bayes[bad]},
        "thresholds": threshold_lines(lines, y0, y1),
        "regions": shaded_regions([
            (th.dynamic, th.information_theoretic, "metastable", COLORS["sky"], 0.18),
            (th.information_theoretic, th.algorithmic, "hard phase", COLORS["orange"], 0.25),
        ], y0, y1),
        "notes": [f"{int(bad.sum())} of {c.alpha.size} points did not converge; they are "
                  "marked with red crosses."] if bad.any() else [],
    }


def summary(p) -> str:
    """The thresholds of the current model in one sentence (Markdown)."""
    _, th = _model(p)
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
        parts.append("no phase transition: the Bayes-optimal error decreases smoothly with α"
                     + (" (the ERM curve and the double-descent panel can peak: their "
                        "regularisation is not optimal)" if p.spec.erm is not None else ""))
    text = f"**{p.task}.** " + "; ".join(parts) + "."
    return text + ("" if th.converged else " (A threshold computation did not converge.)")


def erm_kind(p) -> str | None:
    """The ERM curve drawn on the test error ("logistic", "ridge", "random_features")."""
    return p.spec.erm if p.quantity == "test error" else None


def _logistic_key(p) -> tuple:
    lo, hi = alpha_bounds(p)
    return (max(lo, MIN_SIM_ALPHA), hi, LOGISTIC_POINTS, logistic_lambda(p), float(p.flip))


def logistic_lambda(p) -> float:
    """Logistic regression's lambda: at least ``erm.MIN_LOGISTIC_LAMBDA`` (the weights
    diverge on separable data)."""
    return max(float(p.lam), erm.MIN_LOGISTIC_LAMBDA)


def _logistic_elsewhere(p):
    """The most recent logistic-regression curve of these λ and flip rate on another α range
    (its points are solutions at their α: shown while the new range's curve is computed,
    instead of an empty plot), or None."""
    *_, points, lam, flip = _logistic_key(p)
    for key, results in reversed(LOGISTIC_CURVES.items()):
        if key[2:] == (points, lam, flip):
            return results[0]
    return None


def erm_solve(p):
    """The slow part of ``erm_curve``: logistic regression (0.3-3 s), in a short-solve worker
    process, shared by every page through ``LOGISTIC_CURVES``; None for the others."""
    if erm_kind(p) != "logistic":
        return None
    key = _logistic_key(p)
    return LOGISTIC_CURVES, key, logistic_steps(*key)


def erm_steps(p):
    """The worker steps of ``erm_solve`` (None: nothing slow for these parameters)."""
    plan = erm_solve(p)
    return None if plan is None else plan[2]


def erm_label(p) -> str:
    kind = erm_kind(p)
    if kind == "random_features":
        return f"random features, ψ = {readable(p.psi)}, λ = {readable(p.lam)}"
    if kind == "logistic":
        return f"logistic regression at λ = {readable(logistic_lambda(p))}"
    return f"ridge at λ = {readable(p.lam)}"


def erm_curve(p, solved=...) -> dict:
    """The test error of the task's ERM at lambda: ridge and random features here (cached,
    instant), logistic regression from ``solved`` (the results of ``erm_solve``: None while
    they are computed) or, when called alone (script, tests), computed here."""
    kind, empty = erm_kind(p), {"alpha": [], "error": []}
    lo, hi = alpha_bounds(p)
    if kind == "random_features":
        rf = cached_random_features(lo, hi, CURVE_POINTS, float(p.psi), float(p.lam),
                                    float(p.noise))
        return {"erm": {"alpha": rf.alpha, "error": _shown(p, rf.test_error)}}
    if kind == "ridge":
        ridge = cached_ridge(lo, hi, CURVE_POINTS, float(p.lam), float(p.noise))
        return {"erm": {"alpha": ridge.alpha, "error": _shown(p, ridge.test_error)}}
    if kind != "logistic":
        return {"erm": empty}
    lam = logistic_lambda(p)
    notes = [] if lam == p.lam else [
        f"Logistic regression needs λ ≥ {readable(erm.MIN_LOGISTIC_LAMBDA)} (the weights "
        f"diverge on separable data); showing λ = {readable(lam)}."]
    if solved is ...:
        solved = solve_now(*erm_solve(p))
    if solved is None:  # being computed: the points already solved on another α range
        near = _logistic_elsewhere(p)
        if near is None:
            return {"erm": empty, "notes": notes}
        inside = (near.alpha >= lo) & (near.alpha <= hi) & np.asarray(near.converged)
        return {"erm": {"alpha": near.alpha[inside], "error": _shown(p, near.test_error[inside])},
                "notes": notes}
    result = solved[0]
    ok = np.asarray(result.converged)
    if not ok.all():
        notes.append(f"Logistic regression: {int((~ok).sum())} value(s) of α did not "
                     "converge and are left out.")
    return {"erm": {"alpha": result.alpha[ok], "error": _shown(p, result.test_error[ok])},
            "notes": notes}


def double_descent(p) -> dict:
    """Ridge (or random-features ridge) test errors at several lambdas, and at the optimal
    lambda = noise, for the tasks where the panel means something (else nothing)."""
    kind = p.spec.double_descent
    if kind is None:
        return {"dd": {c: [] for c in next(s for s in SOURCES if s.key == "dd").columns}}
    lo, hi = alpha_bounds(p)
    noise = float(p.noise)
    data = {"alpha": round_grid(lo, hi, CURVE_POINTS)}
    for i, lam in enumerate(DD_LAMBDAS):
        if kind == "random_features":
            err = cached_random_features(lo, hi, CURVE_POINTS, float(p.psi), lam,
                                         noise).test_error
        else:
            err = cached_ridge(lo, hi, CURVE_POINTS, lam, noise).test_error
        data[f"lam{i}"] = np.where(np.isfinite(err), err, np.nan)
    data["optimal"] = cached_ridge(lo, hi, CURVE_POINTS, noise, noise).test_error
    return {"dd": data}


def at_alpha(p) -> dict:
    """The free-entropy landscape at the current alpha and its maxima (global, metastable)."""
    land = cached_landscape(p.current_prior, p.current_channel, float(p.alpha))
    best, others = maxima_data(land.maxima, land.maxima_free_entropy, "q", "f")
    return {"landscape": {"q": land.overlaps, "f": land.free_entropy},
            "global_max": best, "local_max": others}


def landscape_note(p) -> str:
    """What the landscape cannot draw: a perfect-recovery state of infinite free entropy."""
    land = cached_landscape(p.current_prior, p.current_channel, float(p.alpha))
    value = land.maxima_free_entropy[-1]
    if land.maxima[-1] != 1.0 or np.isfinite(value):
        return ""
    sign = "+∞: perfect recovery is optimal" if value > 0 else "−∞"
    return f"Perfect recovery (q = 1) is a stable state with f = {sign}."


# -- simulations (worker processes) ------------------------------------------------------
def sim_alpha_points(p) -> np.ndarray:
    lo, hi = p.alpha_range
    lo = max(lo, MIN_SIM_ALPHA)
    return lo + (hi - lo) * (np.arange(SIM_ALPHA_POINTS) + 0.5) / SIM_ALPHA_POINTS


def simulation_steps(p) -> list[Step]:
    """Finite-N GAMP runs at a few alphas, then the task's ERM fits (if any)."""
    alphas, n, runs = sim_alpha_points(p), int(p.sim_n), int(p.sim_runs)
    lam, noise = float(p.lam), float(p.noise)
    steps = [Step(glm.simulate_gamp, dict(prior=p.current_prior, channel=p.current_channel,
                                          alpha=float(a), n=n, seed=1000 * i + r,
                                          iterations=300))
             for i, a in enumerate(alphas) for r in range(runs)]
    gamp = len(steps)
    fits = {
        "random_features": lambda: Step(erm.simulate_random_features, dict(
            alpha=alphas, psi=float(p.psi), lam=max(lam, 1e-6), noise=noise, d=min(n, 300),
            runs=runs, seed=7), weight=gamp, progress=True),
        "ridge": lambda: Step(erm.simulate_ridge, dict(
            alpha=alphas, lam=lam, noise=noise, n=min(n, erm.MAX_RIDGE_N), runs=runs, seed=7),
            weight=gamp),
        "logistic": lambda: Step(erm.simulate_logistic, dict(
            alpha=alphas, lam=logistic_lambda(p), flip=float(p.flip),
            n=min(n, erm.MAX_LOGISTIC_N), runs=runs, seed=7), weight=gamp, progress=True),
    }
    kind = p.spec.erm
    return steps + ([fits[kind]()] if kind is not None else [])


def simulation(p, results: list) -> dict:
    """Mean and standard error of the GAMP runs' final overlaps (in the plotted quantity)
    and of the ERM fits' test errors (on the test error only)."""
    alphas, runs = sim_alpha_points(p), int(p.sim_runs)
    gamp = alphas.size * runs
    finals = np.array([run.overlap[-1] for run in results[:gamp]]).reshape(alphas.size, runs)
    values = (p.current_channel.label_error(finals) if p.quantity == "test error"
              else 1.0 - finals)
    mean = values.mean(axis=1)
    sem = (values.std(axis=1, ddof=1) / np.sqrt(runs) if runs > 1 else np.zeros_like(mean))
    out = {"sim": {"alpha": alphas, "mean": mean, "low": mean - sem, "high": mean + sem},
           "ridge_sim": {"alpha": [], "mean": [], "low": [], "high": []}}
    if len(results) > gamp and p.quantity == "test error":
        fits = results[gamp]
        m, e = fits.test_error_mean, fits.test_error_sem
        out["ridge_sim"] = {"alpha": fits.alpha, "mean": m, "low": m - e, "high": m + e}
    return out


RECIPES = (
    Recipe("curves", curves, ("task", "prior", "rho", "noise", "flip", "alpha_range",
                              "quantity", "log_scale")),
    # logistic regression (0.3-3 s) in a short-solve worker, shared by every page; ridge and
    # random features are instant
    Recipe("erm", erm_curve, ("task", "lam", "psi", "noise", "flip", "alpha_range", "quantity",
                              "log_scale"),
           background=lambda p: erm_kind(p) == "logistic",
           steps=erm_steps, shared=LOGISTIC_CURVES, shared_key=_logistic_key,
           meanwhile=True, label="ERM curve"),
    Recipe("double_descent", double_descent, ("task", "noise", "psi", "alpha_range")),
    Recipe("at_alpha", at_alpha, ("task", "prior", "rho", "noise", "flip", "alpha")),
)


def python_script(p: GlmParameters, figures: tuple[dict, ...] = ()) -> str:
    """The exported script; with ``figures`` (the page's), it also draws them."""
    from . import python_script as script

    return script(p, __name__, RECIPES, title="Teacher-student generalised linear models",
                  figures=figures, html="glm-view.html")
