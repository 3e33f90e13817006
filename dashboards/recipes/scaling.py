"""Scaling laws of kernel ridge regression (Cui, Loureiro, Krzakala & Zdeborova 2021): the
parameter model and the recipes that turn it into plotted data. numpy, param and theory only
(no Panel, no Bokeh)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import param

from theory import scaling

from ..caches import Atlas, BoundedCache, value_key
from ..processes import Step, run_steps
from . import (  # noqa: F401 (named: used by the exported scripts)
    ExplorerParameters,
    Preset,
    Recipe,
    Source,
    named,
    readable,
    threshold_lines,
)

__all__ = ["RECIPES", "SOURCES", "ScalingParameters", "crossover", "curve", "phase",
           "phase_point", "python_script", "simulation_steps", "simulations"]

#: the learning curve's sample sizes (log-spaced)
N_GRID = np.logspace(1.0, 7.0, 36)
#: the simulations: P features (finite, unlike the kernel limit of the curves), sizes n
SIM_FEATURES = 2000
SIM_N = (25, 50, 100, 200, 400, 800)
SIM_THEORY_N = np.unique(np.round(np.logspace(1.0, np.log10(800.0), 40)))
SIM_SEED = 2021
#: the (l, r) phase diagram's grid
ELL_MAX, R_MAX = 6.0, 2.0
PHASE_POINTS = 80
COLORS = {"error": "#0072B2", "bias": "#E69F00", "variance": "#CC79A7",
          "noiseless": "#009E73", "noisy": "#D55E00", "crossover": "#56B4E9",
          "sim": "#000000", "grey": "#7F7F7F"}


class ScalingParameters(ExplorerParameters):
    """The scaling-law explorer's controls."""

    capacity = param.Number(default=2.0, bounds=(1.1, 5.0), step=0.05,
                            label="Capacity a (spectrum ηₖ = k⁻ᵃ)")
    source = param.Number(default=0.3, bounds=(0.05, 2.0), step=0.05,
                          label="Source r (target smoothness)")
    log_noise = param.Number(default=-4.0, bounds=(-6.0, 0.0), step=0.25,
                             label="Noise log₁₀ σ²")
    optimal = param.Boolean(default=True, label="Optimal regularisation λ")
    reg_exponent = param.Number(default=1.0, bounds=(0.0, ELL_MAX), step=0.05,
                                label="Exponent ℓ of λ = n⁻ˡ")
    sim_trials = param.Integer(default=20, bounds=(2, 60), label="Ridge fits per n")

    advanced_parameters = ("sim_trials",)
    url_prefix = "kr_"
    url_parameters = ("capacity", "source", "log_noise", "optimal", "reg_exponent",
                      "sim_trials")
    presets = (
        Preset("Noiseless to noisy crossover",
               {"capacity": 2.0, "source": 0.3, "log_noise": -4.0, "optimal": True},
               "With optimal λ the error first decays as n<sup>−2ar</sup> (noiseless), then as "
               "n<sup>−2ar/(1+2ar)</sup> once the noise is resolved, around "
               "n* ∝ σ<sup>−1/(ar)</sup>.",
               "Cui, Loureiro, Krzakala & Zdeborová 2021, arXiv:2105.15004"),
        Preset("Saturation: a smoother target does not help beyond r = 1",
               {"capacity": 2.0, "source": 1.5, "log_noise": -4.0, "optimal": True},
               "Ridge cannot use more smoothness than r = 1: the noiseless exponent is "
               "2a min(r, 1) = 4, not 2ar = 6.",
               "Cui, Loureiro, Krzakala & Zdeborová 2021, arXiv:2105.15004"),
        Preset("Too little regularisation with noise: a plateau (ℓ > a)",
               {"capacity": 2.0, "source": 0.3, "log_noise": -1.0, "optimal": False,
                "reg_exponent": 3.0},
               "λ = n<sup>−ℓ</sup> decaying faster than the spectrum: the variance no longer "
               "decays and the error stops improving.",
               "Cui, Loureiro, Krzakala & Zdeborová 2021, arXiv:2105.15004"),
        Preset("Slowly vanishing λ = 1/√n: the bias limits the rate",
               {"capacity": 2.0, "source": 0.3, "log_noise": -2.0, "optimal": False,
                "reg_exponent": 0.5},
               "A slowly vanishing ridge over-regularises: β = 2ℓr instead of the optimal "
               "rate.",
               "Cui, Loureiro, Krzakala & Zdeborová 2021, arXiv:2105.15004"),
    )

    @property
    def noise(self) -> float:
        return float(10.0 ** self.log_noise)


# -- caches -----------------------------------------------------------------------------------
@lru_cache(maxsize=128)
def _curve(capacity: float, source: float, noise: float, reg_exponent):
    return scaling.learning_curve(N_GRID, capacity, source, noise, reg_exponent=reg_exponent)


def slider_grid(parameter: param.Number) -> list[float]:
    """The values a slider of ``parameter`` stops at: its bounds in steps."""
    lo, hi = parameter.bounds
    return [round(lo + parameter.step * k, 9)
            for k in range(round((hi - lo) / parameter.step) + 1)]


def _atlas_entries():
    """The optimally regularised curve at every stop of the a, r and log σ² sliders, the other
    two at their defaults (~12 ms each, 142 in all)."""
    defaults = ScalingParameters.param
    a0, r0 = defaults.capacity.default, defaults.source.default
    log_noise0 = defaults.log_noise.default
    models = ({(a, r0, log_noise0) for a in slider_grid(defaults.capacity)}
              | {(a0, r, log_noise0) for r in slider_grid(defaults.source)}
              | {(a0, r0, s) for s in slider_grid(defaults.log_noise)})
    return [(value_key("curve", float(a), float(r), 10.0 ** s), Step(
        scaling.learning_curve, dict(n=N_GRID, capacity=float(a), source=float(r),
                                     noise=10.0 ** s, reg_exponent=None)))
            for a, r, s in sorted(models)]


#: the learning curves of the optimal ridge on the grids of the model's sliders
CURVE_ATLAS = Atlas(_atlas_entries)


def cached_curve(capacity: float, source: float, noise: float, reg_exponent):
    if reg_exponent is not None:
        return _curve(capacity, source, noise, reg_exponent)
    return CURVE_ATLAS.get_or(value_key("curve", capacity, source, noise),
                              lambda: _curve(capacity, source, noise, None))


#: n* by (capacity, source, noise), shared by every page of this process
CROSSOVERS = BoundedCache(256)


def crossover_key(p) -> tuple:
    return (float(p.capacity), float(p.source), p.noise)


def crossover_steps(p) -> list[Step]:
    """n* (~15 ms of small numpy steps): in a short-solve worker process, where on a thread
    of the server it held the GIL while the move's answer was being sent."""
    return [Step(scaling.crossover_samples, dict(zip(("capacity", "source", "noise"),
                                                     crossover_key(p), strict=True)))]


def _reg_exponent(p):
    return None if p.optimal else round(float(p.reg_exponent), 9)


# -- recipes -----------------------------------------------------------------------------
SOURCES = (
    Source("curve", "scaling-curve", ("n", "error", "bias", "variance")),
    Source("guides", None, ("n", "noiseless", "noisy")),
    Source("exponent", "scaling-exponent", ("n", "local")),
    Source("levels", None, ("x0", "x1", "y", "level", "color")),
    Source("crossover", None, ("x", "y0", "y1", "threshold", "color")),
    Source("crossover_exponent", None, ("x", "y0", "y1", "threshold", "color")),
    Source("phase", "scaling-phase", ("beta", "x", "y", "dw", "dh")),
    Source("phase_lines", None, ("ell", "r", "line", "color")),
    Source("phase_point", None, ("ell", "r")),
    Source("sim", "scaling-sim", ("n", "mean", "low", "high")),
    Source("sim_theory", "scaling-sim-theory", ("n", "error")),
)

def exponents(p):
    """The noiseless and noisy decay exponents of the current model and schedule."""
    ell = None if p.optimal else float(p.reg_exponent)
    return (scaling.decay_exponent(p.capacity, p.source, False, ell),
            scaling.decay_exponent(p.capacity, p.source, True, ell))


def curve(p) -> dict:
    """The learning curve (kernel limit, P = infinity) with its bias and variance, the slope
    guides of the two regimes, and the local exponent with the two predicted levels."""
    c = cached_curve(float(p.capacity), float(p.source), p.noise, _reg_exponent(p))
    good = c.converged & np.isfinite(c.error) & (c.error > 0)
    n, error = c.n[good], c.error[good]
    local = c.local_exponent()[good]
    quiet, noisy = exponents(p)
    beta0, beta1 = float(quiet.beta), float(noisy.beta)
    # guides through the curve's first (noiseless) and last (noisy) points, drawn only
    # within the curve's own range (NaN breaks a line)
    floor = error.min() / 3.0
    guides = {"n": n}
    for name, through, beta in (("noiseless", 0, beta0), ("noisy", -1, beta1)):
        line = error[through] * (n / n[through]) ** -beta
        guides[name] = np.where((line >= floor) & (line <= 3.0 * error.max()), line, np.nan)
    span = (float(N_GRID[0]), float(N_GRID[-1]))
    levels = {"x0": [span[0], span[0]], "x1": [span[1], span[1]], "y": [beta0, beta1],
              "level": [f"noiseless β = {beta0:.3f}", f"noisy β = {beta1:.3f}"],
              "color": [COLORS["noiseless"], COLORS["noisy"]]}
    notes = [] if good.all() else [
        f"{int((~good).sum())} points of the learning curve did not converge and are left out."]
    return {"curve": {"n": n, "error": error, "bias": c.bias[good],
                      "variance": c.variance[good]},
            "guides": guides, "exponent": {"n": n, "local": local}, "levels": levels,
            "notes": notes}


def crossover(p, results=None) -> dict:
    """n*, where the optimally regularised curve's local exponent is halfway between the
    noiseless and the noisy exponents (``results``: a worker's ``crossover_steps``;
    computed here without)."""
    if results is None:
        results = run_steps(crossover_steps(p), lambda _: None, lambda: False)
    x = results[-1]
    samples = float(np.ravel(x.samples)[0]) if x.converged.all() else np.nan
    label = f"n* = {readable(samples)} (optimal λ)"  # 3190, not 3.19e+03
    entries = [(samples, label, COLORS["crossover"])]
    # as tall as the plotted curves
    c = cached_curve(float(p.capacity), float(p.source), p.noise, _reg_exponent(p))
    error = c.error[c.converged & np.isfinite(c.error) & (c.error > 0)]
    local = c.local_exponent()[c.converged]
    quiet, _ = exponents(p)
    top = 1.1 * max(float(quiet.beta), float(np.max(local, initial=0.0)))
    return {"crossover": threshold_lines(entries, float(error.min()), float(error.max())),
            "crossover_exponent": threshold_lines(entries, 0.0, top)}


def phase(p) -> dict:
    """beta(l, r) with noise at the current capacity a, on the (l, r) plane, with the
    lines l = a (variance plateau beyond), l_opt(r) = a / (1 + 2 a min(r, 1)) and r = 1
    (saturation)."""
    a = float(p.capacity)
    ell = np.linspace(0.0, ELL_MAX, PHASE_POINTS)
    r = np.linspace(0.05, R_MAX, PHASE_POINTS)
    beta = scaling.decay_exponent(a, r[:, None], True, ell[None, :]).beta
    r_line = np.linspace(0.05, R_MAX, 60)
    optimal = scaling.decay_exponent(a, r_line, True).optimal_reg_exponent
    lines = {"ell": [[a, a], list(optimal), [0.0, ELL_MAX]],
             "r": [[0.05, R_MAX], list(r_line), [1.0, 1.0]],
             "line": [f"ℓ = a = {a:.2f}: plateau beyond", "optimal ℓ(r)",
                      "r = 1: saturation"],
             "color": [COLORS["noisy"], COLORS["noiseless"], COLORS["grey"]]}
    return {"phase": {"beta": [beta], "x": [0.0], "y": [0.05], "dw": [ELL_MAX],
                      "dh": [R_MAX - 0.05]},
            "phase_lines": lines}


def phase_point(p) -> dict:
    """The current (l, r): l of the optimal lambda when it is chosen."""
    if p.optimal:
        ell = float(scaling.decay_exponent(p.capacity, p.source, True).optimal_reg_exponent)
    else:
        ell = float(p.reg_exponent)
    return {"phase_point": {"ell": [ell], "r": [float(p.source)]}}


def simulation_regs(p) -> np.ndarray:
    n = np.array(SIM_N, dtype=float)
    if p.optimal:
        return scaling.optimal_reg(n, p.capacity, p.source, p.noise, SIM_FEATURES).reg
    return n ** -float(p.reg_exponent)


def simulation_steps(p) -> list[Step]:
    """Dual ridge fits on sampled features (P = SIM_FEATURES), a simulation for a worker
    process."""
    return [Step(scaling.simulate_ridge, dict(
        n=np.array(SIM_N), capacity=float(p.capacity), source=float(p.source), noise=p.noise,
        reg=simulation_regs(p), features=SIM_FEATURES, trials=int(p.sim_trials),
        seed=SIM_SEED), progress=True)]


def simulations(p, result) -> dict:
    """The fits' mean +- one standard error, and the deterministic equivalent at the same
    finite P and regularisation, which they follow."""
    n = SIM_THEORY_N
    if p.optimal:
        theory = scaling.optimal_reg(n, p.capacity, p.source, p.noise, SIM_FEATURES).curve
    else:
        theory = scaling.excess_error(n, p.capacity, p.source, p.noise,
                                      n ** -float(p.reg_exponent), SIM_FEATURES)
    return {"sim": {"n": result.n, "mean": result.mean, "low": result.mean - result.stderr,
                    "high": result.mean + result.stderr},
            "sim_theory": {"n": n, "error": theory.error}}


RECIPES = (
    Recipe("curve", curve, ("capacity", "source", "log_noise", "optimal", "reg_exponent")),
    Recipe("crossover", crossover, ("capacity", "source", "log_noise"), background=True,
           steps=crossover_steps, shared=CROSSOVERS, shared_key=crossover_key,
           label="crossover n*"),
    Recipe("phase", phase, ("capacity",)),
    Recipe("phase_point", phase_point, ("capacity", "source", "optimal", "reg_exponent")),
)


def python_script(p: ScalingParameters, figures: tuple[dict, ...] = ()) -> str:
    """The exported script; with ``figures`` (the page's), it also draws them."""
    from . import python_script as script

    return script(p, __name__, RECIPES, title="Scaling laws of kernel ridge regression",
                  figures=figures, html="scaling-view.html")
