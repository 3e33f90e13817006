"""Online SGD of two-layer networks (Saad-Solla ODEs): the parameter model and the recipes that
turn it into plotted data. numpy, param and theory only (no Panel, no Bokeh)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import param

from theory import online

from ..caches import Atlas, BoundedCache, solve_now, value_key
from ..processes import Step
from . import (  # noqa: F401 (named: used by the exported scripts)
    ExplorerParameters,
    Preset,
    Recipe,
    Source,
    named,
    readable,
)

__all__ = ["RECIPES", "SOURCES", "OnlineParameters", "cursor", "order", "python_script",
           "sgd_runs", "sgd_steps", "summary", "sweep", "sweep_point", "trajectory"]

#: positions of the time cursor (animation frames). The player's range input is drawn
#: with its value set before its maximum (Panel 1.9), and a browser clamps that value to the
#: input's default maximum, 100: with at most 100 frames the slider is always drawn where
#: the cursor is
FRAMES = 100
FRAME_STEP = 3  # ODE times per frame
TIME_POINTS = FRAME_STEP * (FRAMES - 1) + 1  # log-spaced times of the ODE curves
#: the order parameters' legend names each line up to this many lines (K = M = 2 and
#: smaller); above, one entry per family and a colour bar of the R_km
MAX_NAMED_LINES = 10
ALPHA_MIN = 0.01
SWEEP_POINTS = 36
SGD_POINTS = 40
MAX_SIM_STEPS = 4_000_000  # per run, so that one click stays under a couple of minutes
MAX_N = 5000
# below this, eps_g is at the ODE solver's precision (its ~1e-10 absolute tolerance on the
# overlaps): shown as "learned", not as a number
EPS_FLOOR = 1e-10
#: the order parameters' lines, every line of a family its own colour: the R_km along
#: viridis (perceptually uniform, made for colour-vision deficiencies), the Q_kl along a
#: single-hue orange ramp; both without their darkest and lightest ends, which vanish on a
#: dark or a light background. ``bokeh.palettes``' Viridis256[45:220] and Oranges256[35:160]
#: at 64 and 36 evenly spaced points (K M <= 64 and K (K + 1) / 2 <= 36 lines), written out
#: so that the recipes import no Bokeh (a test compares them with Bokeh's)
R_PALETTE = (
    '#433C84', '#424085', '#404387', '#3F4587', '#3E4989', '#3D4C89', '#3B508A', '#3A528B',
    '#39558B', '#37588C', '#365B8C', '#355D8C', '#33608D', '#32638D', '#31668D', '#30688D',
    '#2E6B8E', '#2D6E8E', '#2C718E', '#2B738E', '#2A768E', '#29798E', '#287B8E', '#277E8E',
    '#26808E', '#25838D', '#24868D', '#23898D', '#228A8D', '#218D8C', '#20908C', '#1F938B',
    '#1F958B', '#1E988A', '#1E9A89', '#1E9D88', '#1E9F88', '#1FA286', '#20A585', '#22A784',
    '#23A982', '#26AC81', '#29AF7F', '#2CB17D', '#30B47A', '#33B679', '#38B976', '#3DBB74',
    '#42BE71', '#45BF6F', '#4BC26C', '#51C468', '#57C665', '#5BC862', '#62CA5F', '#69CC5B',
    '#70CE56', '#74D054', '#7CD24F', '#83D34B', '#8BD546', '#90D643', '#97D83E', '#9FD938')
Q_PALETTE = (
    '#ab3803', '#b13a03', '#b63c02', '#bd3e02', '#c14002', '#c84202', '#cd4401', '#d34601',
    '#d84801', '#db4b03', '#de4e05', '#e15307', '#e45709', '#e65a0b', '#e95e0d', '#eb610f',
    '#ee6511', '#f16813', '#f26d17', '#f3701b', '#f57520', '#f67824', '#f87d29', '#f9802d',
    '#fa8532', '#fc8937', '#fd8c3b', '#fd9141', '#fd9446', '#fd984b', '#fd9b50', '#fd9f56',
    '#fda25a', '#fda660', '#fda965', '#fdae6a')
R_FAMILY, Q_DIAGONAL, Q_OFF_DIAGONAL = "R_km (solid)", "Q_kk (dashed)", "Q_kl, k ≠ l (dotted)"
#: the finite-size SGD runs, one Okabe-Ito colour each, none of them the ODE's blue:
#: vermillion, bluish green, reddish purple, orange, sky blue
RUN_COLORS = ("#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
GREEN, VERMILLION = "#009E73", "#D55E00"  # the sweep's best and critical rates
#: the parameters of the ODE (every one but how the page shows it)
MODEL = ("K", "M", "lr", "noise", "init_scale", "N", "seed", "alpha_max", "activation")


def ramp(palette, n: int) -> list[str]:
    """``n`` distinct colours evenly spread along ``palette`` (n <= len(palette))."""
    if n == 1:
        return [palette[len(palette) // 3]]
    return [palette[round(i * (len(palette) - 1) / (n - 1))] for i in range(n)]


def times(alpha_max: float) -> np.ndarray:
    return np.concatenate([[0.0], np.geomspace(ALPHA_MIN, alpha_max, TIME_POINTS - 1)])


class OnlineParameters(ExplorerParameters):
    """The online-SGD explorer's controls."""

    K = param.Integer(default=2, bounds=(1, 8), label="Student hidden units K")
    M = param.Integer(default=2, bounds=(1, 8), label="Teacher hidden units M")
    lr = param.Number(default=1.0, bounds=(0.01, 5.0), step=0.01, label="Learning rate η")
    noise = param.Number(default=0.0, bounds=(0.0, 1.0), step=0.01, label="Output noise σ")
    init_scale = param.Number(default=0.001, bounds=(1e-4, 1.0), step=0.0001,
                              label="Initial weight scale")
    N = param.Integer(default=1000, bounds=(100, MAX_N), label="Input dimension N")
    seed = param.Integer(default=0, bounds=(0, 10_000), label="Seed")
    alpha_max = param.Number(default=500.0, bounds=(1.0, 10_000.0), step=1.0,
                             label="Time range α_max")
    activation = param.Selector(default="erf", objects={"erf(u/√2)": "erf", "linear": "linear"},
                                label="Activation g")
    frame = param.Integer(default=FRAMES - 1, bounds=(0, FRAMES - 1), label="Time cursor")
    log_scale = param.Boolean(default=True, label="Log-log axes")
    sim_runs = param.Integer(default=2, bounds=(1, 5), label="SGD runs")

    url_parameters = ("K", "M", "lr", "noise", "init_scale", "N", "seed", "alpha_max",
                      "activation", "frame", "log_scale", "sim_runs")
    advanced_parameters = ("init_scale", "seed", "sim_runs", "N")
    view_parameters = ("frame", "log_scale")
    url_prefix = "sgd_"
    presets = (
        Preset("Saad-Solla plateau (K = M = 2)",
               {"activation": "erf", "K": 2, "M": 2, "lr": 1.0, "noise": 0.0,
                "init_scale": 0.001, "N": 1000, "alpha_max": 500.0},
               "Small initial weights: the student learns the teacher's average first, sits on "
               "the symmetric plateau, then its units specialise.",
               "Saad & Solla 1995; Biehl & Schwarze 1995"),
        Preset("Larger networks, longer plateaus (K = M = 4)",
               {"activation": "erf", "K": 4, "M": 4, "lr": 0.5, "noise": 0.0,
                "init_scale": 0.001, "N": 1000, "alpha_max": 3000.0},
               "With four units the plateau is higher and lasts longer.",
               "Saad & Solla 1995"),
        Preset("Over-parameterised student (K = 4, M = 2)",
               {"activation": "erf", "K": 4, "M": 2, "lr": 0.5, "noise": 0.0,
                "init_scale": 0.001, "N": 1000, "alpha_max": 2000.0},
               "More student than teacher units: two student units learn the teacher's; the "
               "other two shrink to almost nothing (|w|² ≈ 0.002 by α = 2000) and point in "
               "opposite directions, cancelling each other (the map divides by |w|, so they "
               "still show ±0.65, ±0.76); the error falls to zero.",
               "Goldt, Advani, Saxe, Krzakala & Zdeborová 2019, arXiv:1906.08632"),
        Preset("Learning rate too large (η > η_c)",
               {"activation": "erf", "K": 2, "M": 2, "lr": 2.6, "noise": 0.0,
                "init_scale": 0.001, "N": 1000, "alpha_max": 500.0},
               "Beyond η_c ≈ 2.31 the learned state is unstable: the units still specialise, "
               "but their weights grow too long and the error stalls at ε_g ≈ 0.04 instead of "
               "falling to zero (at η = 2 the teacher is learned by α = 500).",
               "Saad & Solla 1995"),
        Preset("Noisy teacher: the error floor grows with η",
               {"activation": "erf", "K": 2, "M": 2, "lr": 0.5, "noise": 0.3,
                "init_scale": 0.001, "N": 1000, "alpha_max": 1000.0},
               "Output noise leaves an asymptotic error proportional to the learning rate.",
               "Saad & Solla 1995; Goldt et al. 2019"),
    )

    @property
    def model_key(self) -> tuple:
        return (int(self.K), int(self.M), int(self.N), float(self.init_scale), int(self.seed),
                float(self.lr), float(self.noise), float(self.alpha_max), self.activation)


# -- caches: at the boundary with theory, shared by every page ---------------------------
@lru_cache(maxsize=64)
def cached_start(K: int, M: int, N: int, init_scale: float, seed: int):
    return online.random_init(K=K, M=M, N=N, init_scale=init_scale, seed=seed)


@lru_cache(maxsize=128)
def _trajectory(K: int, M: int, N: int, init_scale: float, seed: int, lr: float,
                noise: float, alpha_max: float, activation: str) -> online.Trajectory:
    Q0, R0, T = cached_start(K, M, N, init_scale, seed)
    return online.integrate(Q0=Q0, R0=R0, T=T, lr=lr, noise=noise, alphas=times(alpha_max),
                            activation=activation)


def _atlas_entries():
    """The ODE of every (K, M) of the unit sliders, the other parameters at their defaults
    (K = M = 8 alone takes ~60 ms)."""
    defaults = OnlineParameters.param
    rest = (defaults.N.default, defaults.init_scale.default, defaults.seed.default)
    run = (defaults.lr.default, defaults.noise.default, defaults.alpha_max.default,
           defaults.activation.default)
    entries = []
    for K in range(1, defaults.K.bounds[1] + 1):
        for M in range(1, defaults.M.bounds[1] + 1):
            Q0, R0, T = online.random_init(K=K, M=M, N=rest[0], init_scale=rest[1], seed=rest[2])
            lr, noise, alpha_max, activation = run
            entries.append((value_key("trajectory", K, M, *rest, *run), Step(
                online.integrate, dict(Q0=Q0, R0=R0, T=T, lr=lr, noise=noise,
                                       alphas=times(alpha_max), activation=activation))))
    return entries


#: ODE trajectories on the grid of the unit sliders K and M
UNITS_ATLAS = Atlas(_atlas_entries)


def cached_trajectory(K: int, M: int, N: int, init_scale: float, seed: int, lr: float,
                      noise: float, alpha_max: float, activation: str) -> online.Trajectory:
    return UNITS_ATLAS.get_or(
        value_key("trajectory", K, M, N, init_scale, seed, lr, noise, alpha_max, activation),
        lambda: _trajectory(K, M, N, init_scale, seed, lr, noise, alpha_max, activation))


@lru_cache(maxsize=128)
def _analysis(key: tuple) -> tuple:
    traj = cached_trajectory(*key)
    plateau = online.find_plateau(traj)
    return traj, plateau, online.specialization_time(traj, plateau)


def analysis(p) -> tuple[online.Trajectory, online.Plateau, float]:
    """The ODE of the parameters ``p``, its plateau and its specialisation time."""
    return _analysis(p.model_key)


@lru_cache(maxsize=32)
def cached_critical_rate(K: int, activation: str) -> float:
    return online.critical_learning_rate(K=K, activation=activation)


#: learning-rate sweeps (the results of ``sweep_steps``) by ``sweep_key``, shared by every
#: page of this process
SWEEPS = BoundedCache(64)


def sweep_key(p) -> tuple:
    K, M, N, init_scale, seed, _, noise, alpha_max, activation = p.model_key
    return (K, M, N, init_scale, seed, noise, alpha_max, activation,
            float(OnlineParameters.param.lr.bounds[1]))


def sweep_steps(K: int, M: int, N: int, init_scale: float, seed: int, noise: float,
                alpha_max: float, activation: str, lr_max: float) -> list[Step]:
    """The learning-rate sweep as a background run: the final error of the ODE at
    ``SWEEP_POINTS`` rates up to ``lr_max``, from the sampled start of these parameters, one
    step per rate (0.1-2 s each): a sweep that is no longer wanted (the page moved on or
    closed) stops at the next rate instead of holding a worker and a core for a minute."""
    Q0, R0, T = cached_start(K, M, N, init_scale, seed)
    lrs = np.linspace(lr_max / SWEEP_POINTS, lr_max, SWEEP_POINTS)
    return [Step(online.lr_sweep, dict(Q0=Q0, R0=R0, T=T, lrs=lrs[i:i + 1], noise=noise,
                                       alpha=alpha_max, activation=activation))
            for i in range(SWEEP_POINTS)]


# -- recipes -----------------------------------------------------------------------------
SOURCES = (
    Source("eps", "sgd-eps", ("alpha", "eps")),
    Source("plateau", None, ("left", "right", "bottom", "top", "plateau")),
    Source("special", None, ("x", "y0", "y1", "specialisation")),
    Source("order", "sgd-order", ("xs", "ys", "color", "dash", "label", "family")),
    Source("cursor", None, ("alpha", "eps")),
    Source("heat", "sgd-heat", ("k", "m", "value", "text", "text_color")),
    Source("sweep", "sgd-sweep", ("lr", "eps")),
    Source("sweep_floor", None, ("lr", "eps")),
    Source("sweep_band", None, ("left", "right", "bottom", "top", "band")),
    Source("sweep_marks", None, ("x", "y0", "y1", "label", "color")),
    Source("sweep_point", None, ("lr", "eps")),
    Source("sgd", "sgd-runs", ("xs", "ys", "color", "run")),
    Source("sgd_points", None, ("alpha", "eps", "color", "run")),
)


def _shown(eps):
    """An error as plotted on log axes: NaN at or below the solver's precision."""
    eps = np.asarray(eps, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(eps > EPS_FLOOR, eps, np.nan)


def _on_the_plot(eps) -> float:
    """Where a point at error ``eps`` is drawn: an error below the solver's precision at the
    axis' floor (the curve stops there; the point stays in sight), NaN when not finite."""
    eps = float(eps)
    return max(eps, EPS_FLOOR) if np.isfinite(eps) else float("nan")


def trajectory(p) -> dict:
    """The ODE's error curve, its plateau and specialisation time, and the order parameters
    along time."""
    traj, plateau, t_spec = analysis(p)
    finite = traj.eps_g[np.isfinite(traj.eps_g) & (traj.eps_g > EPS_FLOOR)]
    top = float(finite.max()) * 1.5 if finite.size else 1.0
    bottom = float(finite.min()) / 1.5 if finite.size else 1e-6
    band = ({"left": [plateau.start], "right": [plateau.end], "bottom": [bottom], "top": [top],
             "plateau": [f"plateau, ε_g ≈ {plateau.height:.4g}"]} if plateau.found else
            {k: [] for k in ("left", "right", "bottom", "top", "plateau")})
    special = ({"x": [t_spec], "y0": [bottom], "y1": [top],
                "specialisation": [f"specialisation, α ≈ {t_spec:.4g}"]} if np.isfinite(t_spec)
               else {k: [] for k in ("x", "y0", "y1", "specialisation")})
    notes = []
    if traj.diverged:
        notes.append("the weights diverged (η too large): the curves stop there")
    if not traj.converged:
        notes.append("the ODE integrator did not meet its tolerance; the curve is shown but "
                     "may be inaccurate")
    return {
        "eps": {"alpha": traj.alpha, "eps": np.where(traj.alpha > 0, _shown(traj.eps_g), np.nan)},
        "plateau": band,
        "special": special,
        "notes": ["**Note:** " + "; ".join(notes) + "."] if notes else [],
    }


def order(p) -> dict:
    """R_km (solid) and the upper triangle of Q_kl (dashed on the diagonal, dotted off it)
    along time, each line its own colour, labelled and grouped by family."""
    traj = analysis(p)[0]
    K, M = traj.K, traj.M
    # the frames' times in single precision: up to 100 lines of smooth curves, where every
    # ODE time in double precision made a K or M move send ten times the bytes (250 kB at
    # K = 8) for no visible difference
    shown = slice(None, None, FRAME_STEP)
    alpha = traj.alpha[shown].astype(np.float32)
    alpha[0] = np.nan  # t = 0 has no place on a log axis
    R, Q = traj.R[shown].astype(np.float32), traj.Q[shown].astype(np.float32)
    lines = [(R[:, k, m], "solid", f"R_{k + 1}{m + 1}", R_FAMILY)
             for k in range(K) for m in range(M)]
    lines += [(Q[:, k, j], "dashed" if k == j else "dotted", f"Q_{k + 1}{j + 1}",
               Q_DIAGONAL if k == j else Q_OFF_DIAGONAL) for k in range(K) for j in range(k, K)]
    colours = ramp(R_PALETTE, K * M) + ramp(Q_PALETTE, K * (K + 1) // 2)
    return {"order": {
        "xs": [alpha] * len(lines), "ys": [line[0] for line in lines], "color": colours,
        "dash": [line[1] for line in lines], "label": [line[2] for line in lines],
        "family": [line[3] for line in lines]}}


def frame_index(p, traj: online.Trajectory) -> int:
    return int(np.clip(p.frame * FRAME_STEP, 0, traj.alpha.size - 1))


def cursor(p) -> dict:
    """The time cursor on the error curve, and the normalised overlaps R_km / sqrt(Q_kk T_mm)
    at that time (a lookup in the cached ODE: what each animation frame costs)."""
    traj = analysis(p)[0]
    i = frame_index(p, traj)
    Q, R, T = traj.Q[i], traj.R[i], traj.T
    K, M = R.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        values = (R / np.sqrt(np.outer(np.diag(Q), np.diag(T)))).ravel()
    kk, mm = np.meshgrid(np.arange(1, K + 1), np.arange(1, M + 1), indexing="ij")
    return {
        "cursor": {"alpha": [float(traj.alpha[i])], "eps": [_on_the_plot(traj.eps_g[i])]},
        "heat": {"k": kk.ravel(), "m": mm.ravel(), "value": values,
                 "text": [f"{v:.2f}" if np.isfinite(v) else "–" for v in values],
                 "text_color": ["white" if abs(v) > 0.6 else "black" for v in values]},
    }


def sweep_point(p) -> dict:
    """The current learning rate on the sweep, at the error the ODE reaches."""
    final = analysis(p)[0].eps_g[-1]
    return {"sweep_point": {"lr": [float(p.lr)], "eps": [_on_the_plot(final)]}}


def sweep_result(p, results=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rates, final error, diverged) of the sweep: ``results`` of ``sweep_steps`` (the page's
    background run), else the shared cache, else solved here."""
    key = sweep_key(p)
    if results is None:
        results = solve_now(SWEEPS, key, sweep_steps(*key))
    lrs, final, diverged = (np.concatenate(parts) for parts in zip(*results, strict=True))
    return lrs, final, diverged


def sweep(p, results=None) -> dict:
    """The error reached at alpha_max against the learning rate: the rates that learn the
    teacher to the solver's precision (a band), the best rate otherwise, and the critical
    rate of a realisable network."""
    lrs, final, _ = sweep_result(p, results)
    learned = np.isfinite(final) & (final <= EPS_FLOOR)
    shown = np.isfinite(final) & ~learned
    lo = (EPS_FLOOR / 3 if learned.any() else
          float(np.nanmin(final[shown]) / 3) if shown.any() else EPS_FLOOR)
    hi = float(np.nanmax(final[shown])) * 3 if shown.any() else 1.0
    marks, band = [], {k: [] for k in ("left", "right", "bottom", "top", "band")}
    if learned.any():
        a, b = float(lrs[learned].min()), float(lrs[learned].max())
        band = {"left": [a], "right": [b], "bottom": [lo], "top": [hi],
                "band": [f"learned by α_max: η ∈ [{a:.2f}, {b:.2f}]"]}
    elif shown.any():
        best = float(lrs[shown][np.argmin(final[shown])])
        marks.append((best, f"best η on this grid ≈ {best:.2f}", GREEN))
    if p.K == p.M and p.noise == 0:
        rate = cached_critical_rate(int(p.K), p.activation)
        if np.isfinite(rate):
            marks.append((rate, f"critical η_c = {rate:.3f}", VERMILLION))
    return {
        "sweep": {"lr": lrs, "eps": np.where(shown, final, np.nan)},
        "sweep_floor": {"lr": lrs[learned], "eps": np.full(int(learned.sum()), EPS_FLOOR)},
        "sweep_band": band,
        "sweep_marks": {"x": [m[0] for m in marks], "y0": [lo] * len(marks),
                        "y1": [hi] * len(marks), "label": [m[1] for m in marks],
                        "color": [m[2] for m in marks]},
    }


def sweep_subtitle(p, results=None) -> str:
    lrs, _, diverged = sweep_result(p, results)
    subtitle = f"at α = {readable(p.alpha_max)}"
    if diverged.any():
        subtitle += f"; diverges for η ≥ {lrs[diverged].min():.2f}"
    return subtitle


def summary(p) -> str:
    """What the error curve shows, in words: plateau, specialisation, final error, and for a
    realisable network without noise the critical rate and what a larger rate does."""
    traj, plateau, t_spec = analysis(p)
    parts = []
    if plateau.found:
        parts.append(f"**Plateau** at ε_g ≈ {plateau.height:.4g} from α ≈ {plateau.start:.3g} "
                     f"to {plateau.end:.3g} (length {plateau.length:.3g}); the units "
                     f"**specialise** at α ≈ {t_spec:.4g}.")
    else:
        parts.append("No plateau on this time range.")
    final = traj.eps_g[-1]
    if np.isfinite(final):
        reached = f"ε_g(α = {readable(traj.alpha[-1])})"
        parts.append(f"{reached} = {readable(final)}." if final > EPS_FLOOR
                     else f"{reached} < {readable(EPS_FLOOR)}: the teacher is "
                          "learned (to the solver's precision).")
    if p.K == p.M and p.noise == 0:
        rate = cached_critical_rate(int(p.K), p.activation)
        parts.append(f"Critical learning rate η_c = {rate:.4g}.")
        if p.lr > rate and np.isfinite(final) and final > EPS_FLOOR:
            parts.append(f"**η > η_c:** the learned state is unstable, so the error stalls at "
                         f"ε_g ≈ {final:.2g} instead of falling to zero.")
    return " ".join(parts)


# -- finite-size SGD (a simulation, for a worker process) --------------------------------
def sim_alphas(p) -> tuple[np.ndarray, str]:
    """Measurement times of the SGD runs, capped so that a run stays within the step budget;
    returns them with a note when capped."""
    alpha_max = float(p.alpha_max)
    cap = MAX_SIM_STEPS / int(p.N)
    note = ""
    if alpha_max > cap:
        note = (f" (capped at α = {cap:.3g}: at most {MAX_SIM_STEPS:,} steps per run; "
                "lower N to simulate longer)")
        alpha_max = cap
    lo = min(0.05, alpha_max / 10)
    return np.geomspace(lo, alpha_max, SGD_POINTS), note


def sgd_steps(p) -> list[Step]:
    """``sim_runs`` SGD runs at the parameters ``p``, seeds ``seed``, ``seed + 1``, ...: run
    1 starts from exactly the ODE's initial weights."""
    K, M, N, init_scale, seed, lr, noise, _, activation = p.model_key
    alphas, _ = sim_alphas(p)
    return [Step(online.simulate_sgd, dict(K=K, M=M, N=N, lr=lr, noise=noise, alphas=alphas,
                                           seed=seed + r, init_scale=init_scale,
                                           activation=activation), progress=True)
            for r in range(int(p.sim_runs))]


def sgd_runs(p, runs) -> dict:
    """The error of each SGD run (``runs``: its trajectories; None: no runs), as lines and
    as markers at the measured times, one colour and legend entry per run."""
    runs = runs or []
    xs, ys, colors, names = [], [], [], []
    for r, traj in enumerate(runs):
        xs.append(traj.alpha)
        ys.append(_shown(traj.eps_g))
        colors.append(RUN_COLORS[r % len(RUN_COLORS)])
        names.append(f"SGD, N = {traj.n}, seed {int(p.seed) + r}")
    counts = [len(x) for x in xs]
    return {
        "sgd": {"xs": xs, "ys": ys, "color": colors, "run": names},
        "sgd_points": {"alpha": np.concatenate(xs) if xs else [],
                       "eps": np.concatenate(ys) if ys else [],
                       "color": np.repeat(colors, counts).tolist(),
                       "run": np.repeat(names, counts).tolist()},
    }


RECIPES = (
    Recipe("trajectory", trajectory, MODEL),
    Recipe("order", order, MODEL, script=False),  # labels and colours: the page's CSV
    Recipe("cursor", cursor, ("frame", *MODEL), script=False),
    Recipe("sweep_point", sweep_point, MODEL, script=False),
    Recipe("sweep", sweep, tuple(n for n in MODEL if n != "lr"), key=sweep_key,
           background=True, script=False, label="learning-rate sweep",
           steps=lambda p: sweep_steps(*sweep_key(p)), shared=SWEEPS,
           shared_key=sweep_key),
)


def python_script(p: OnlineParameters, figures: tuple[dict, ...] = ()) -> str:
    from . import python_script as script

    return script(p, __name__, RECIPES, title="Online SGD of a two-layer network",
                  figures=figures, html="online-view.html")
