"""Online SGD explorer: the Saad-Solla ODEs of a two-layer network learning a teacher, its
plateau and specialisation, animated in time, with finite-size SGD runs on top."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import panel as pn
import param
from bokeh.core.properties import field
from bokeh.models import (
    ColorBar,
    ColumnDataSource,
    FixedTicker,
    HoverTool,
    LinearColorMapper,
    NoOverlap,
    Range1d,
    Span,
)
from bokeh.palettes import Oranges256, PuOr11, Viridis256

from theory import online

from .base import (
    PALETTE,
    Atlas,
    BoundedCache,
    Explorer,
    Preset,
    SimulationPanel,
    add_hover,
    legend_below,
    legend_items,
    make_figure,
    set_subtitle,
    slim_figure,
    value_key,
)
from .plotstyle import subtitles
from .processes import Step

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
#: dark or a light background
R_PALETTE = Viridis256[45:220]
Q_PALETTE = Oranges256[35:160]
R_FAMILY, Q_DIAGONAL, Q_OFF_DIAGONAL = "R_km (solid)", "Q_kk (dashed)", "Q_kl, k ≠ l (dotted)"


def ramp(palette, n: int) -> list[str]:
    """``n`` distinct colours evenly spread along ``palette`` (n <= len(palette))."""
    if n == 1:
        return [palette[len(palette) // 3]]
    return [palette[round(i * (len(palette) - 1) / (n - 1))] for i in range(n)]


#: a Play click at the last frame rewinds to the first (with loop policy "once" the player
#: would stop at once)
PLAY_FROM_START_JS = ("if (cb_obj.direction === 1 && cb_obj.value >= cb_obj.end) "
                      "{ cb_obj.value = cb_obj.start }")


def times(alpha_max: float) -> np.ndarray:
    return np.concatenate([[0.0], np.geomspace(ALPHA_MIN, alpha_max, TIME_POINTS - 1)])


# Bounded caches at the boundary between views and theory (arguments are hashable).
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
    defaults = OnlineExplorer.param
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


#: learning-rate sweeps (the results of ``sweep_steps``) by its arguments, shared by every
#: page of this process
SWEEPS = BoundedCache(64)


def sweep_steps(K: int, M: int, N: int, init_scale: float, seed: int, noise: float,
                alpha_max: float, activation: str, lr_max: float) -> list[Step]:
    """The learning-rate sweep as a background run: the final error of the ODE at
    ``SWEEP_POINTS`` rates up to ``lr_max``, from the sampled start of these parameters."""
    Q0, R0, T = cached_start(K, M, N, init_scale, seed)
    lrs = np.linspace(lr_max / SWEEP_POINTS, lr_max, SWEEP_POINTS)
    return [Step(online.lr_sweep, dict(Q0=Q0, R0=R0, T=T, lrs=lrs, noise=noise, alpha=alpha_max,
                                       activation=activation))]


@lru_cache(maxsize=32)
def cached_critical_rate(K: int, activation: str) -> float:
    return online.critical_learning_rate(K=K, activation=activation)


EXPLANATION = rf"""
### What you see
**Model.** A two-layer student (a soft committee machine with $K$ hidden units) learns a
teacher of the same form with $M$ units from one fresh Gaussian sample per step,

$$ {online.EQUATIONS["model"]} $$
$$ {online.EQUATIONS["sgd"]} $$

As $N \to \infty$ the overlaps $Q_{{kl}} = w_k\cdot w_l/N$, $R_{{km}} = w_k \cdot w^*_m/N$
follow deterministic ODEs in the time $\alpha = \text{{steps}}/N$ (Saad & Solla 1995):
$$ {online.EQUATIONS["R"]} $$
$$ {online.EQUATIONS["Q"]} $$
whose Gaussian averages are closed forms for erf, e.g. $${online.EQUATIONS["I2"]}$$
and the generalisation error is $$ {online.EQUATIONS["eps_g"]} $$

**Error curve (top left).** The ODE started from the sampled initial weights (size $N$, seed
and initial scale as set), the *plateau* (shaded) where every student unit overlaps equally
with every teacher unit, and the *specialisation* time (dashed) at which the symmetry breaks
and each student unit picks a teacher unit. Small initial weights and large $N$ lengthen the
plateau (its escape is driven by $O(1/\sqrt N)$ asymmetries). SGD runs (button) are real
finite-$N$ simulations; run 1 starts from exactly the ODE's initial weights.

**Order parameters (top right).** $R_{{km}}$ (solid, blue to green) and $Q_{{kl}}$ (orange;
dashed: diagonal, dotted: off-diagonal) vs time. With more than {MAX_NAMED_LINES} lines the
legend names the three families and a colour bar tells the $R_{{km}}$ apart; hovering a line
names it. The heat map shows the normalised overlaps $R_{{km}}/\sqrt{{Q_{{kk}}T_{{mm}}}}$ at
the time cursor. Press play to animate it (from the start when the cursor is at the end).

**Learning-rate sweep (bottom right).** The error reached at $\alpha_{{\max}}$ for each rate:
too small learns slowly, too large fails. Rates that learn the teacher to the solver's
precision ($\epsilon_g < 10^{{-10}}$, hollow markers) are shaded; with noise the error keeps a
floor that grows with $\eta$, and the best rate is marked. For a realisable network
($K = M$, no noise) the dashed line is the critical rate beyond which the learned state is
linearly unstable.

**References.** {"; ".join(online.REFERENCES)}.
"""


class OnlineExplorer(Explorer):
    """Online SGD of two-layer networks: Saad-Solla ODEs, plateaus, specialisation."""

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
               "More student than teacher units: pairs of student units share a teacher unit.",
               "Goldt, Advani, Saxe, Krzakala & Zdeborová 2019, arXiv:1906.08632"),
        Preset("Learning rate too large (η > η_c)",
               {"activation": "erf", "K": 2, "M": 2, "lr": 2.6, "noise": 0.0,
                "init_scale": 0.001, "N": 1000, "alpha_max": 500.0},
               "Beyond η_c ≈ 2.31 the learned state is unstable: the error stays high.",
               "Saad & Solla 1995"),
        Preset("Noisy teacher: the error floor grows with η",
               {"activation": "erf", "K": 2, "M": 2, "lr": 0.5, "noise": 0.3,
                "init_scale": 0.001, "N": 1000, "alpha_max": 1000.0},
               "Output noise leaves an asymptotic error proportional to the learning rate.",
               "Saad & Solla 1995; Goldt et al. 2019"),
    )
    title = "Online SGD dynamics"

    def __init__(self, **params):
        super().__init__(**params)
        self._trajectory: online.Trajectory | None = None
        self._build_plots()
        self._build_controls()
        self.param.watch(self._on_model_change, ["K", "M", "lr", "noise", "init_scale", "N",
                                                 "seed", "alpha_max", "activation"])
        self.param.watch(self._on_frame, ["frame"])
        self.param.watch(self._on_log_scale, ["log_scale"])
        self._on_log_scale()
        self.guarded(self._refresh_all)()

    @property
    def model_key(self):
        return (int(self.K), int(self.M), int(self.N), float(self.init_scale), int(self.seed),
                float(self.lr), float(self.noise), float(self.alpha_max), self.activation)

    def python_script(self) -> str:
        K, M, N, init_scale, seed, lr, noise, alpha_max, activation = self.model_key
        return f'''\
"""Online SGD of a two-layer network (Saad-Solla ODEs): K = {K} student and M = {M}
teacher units, learning rate {lr:g}, up to alpha = {alpha_max:g} (as plotted by
learning-phases)."""
import numpy as np

from theory import online

Q0, R0, T = online.random_init(K={K}, M={M}, N={N}, init_scale={init_scale!r}, seed={seed})
alphas = np.concatenate([[0.0], np.geomspace({ALPHA_MIN!r}, {alpha_max!r}, {TIME_POINTS - 1})])
trajectory = online.integrate(Q0=Q0, R0=R0, T=T, lr={lr!r}, noise={noise!r}, alphas=alphas,
                              activation={activation!r})
eps = trajectory.eps_g
data = {{"sgd-eps": {{
    "alpha": trajectory.alpha,
    "eps": np.where((trajectory.alpha > 0) & (eps > {EPS_FLOOR!r}), eps, np.nan),
}}}}
print(online.find_plateau(trajectory))
'''

    # -- plots ---------------------------------------------------------------------------
    def _build_plots(self):
        cds = lambda cols, name=None: ColumnDataSource({c: [] for c in cols}, name=name)  # noqa: E731
        self.sources = {
            "eps": cds(("alpha", "eps"), "sgd-eps"),
            "sgd": cds(("xs", "ys", "color", "run"), "sgd-runs"),
            "plateau": cds(("left", "right", "bottom", "top", "plateau")),
            "special": cds(("x", "y0", "y1", "specialisation")),
            "cursor": cds(("alpha", "eps")),
            "order": cds(("xs", "ys", "color", "dash", "label", "family"), "sgd-order"),
            "heat": cds(("k", "m", "value", "text", "text_color"), "sgd-heat"),
            "sweep": cds(("lr", "eps"), "sgd-sweep"),
            "sweep_floor": cds(("lr", "eps")),
            "sweep_band": cds(("left", "right", "bottom", "top", "band")),
            "sweep_marks": cds(("x", "y0", "y1", "label", "color")),
            "sweep_point": cds(("lr", "eps")),
        }
        self._sgd_legend = []  # legend entries of the SGD runs, shown once there are runs
        self.fig_eps_log = self._eps_figure("log")
        self.fig_eps_lin = None  # the linear-axes twin: built when first shown

        s = self.sources
        order = make_figure(title="Order parameters", x_label="time α = steps / N",
                            y_label="overlap", x_axis_type="log", height=360, subtitle="")
        lines = order.multi_line("xs", "ys", source=s["order"], color="color",
                                 line_dash="dash", line_width=2, legend_field="label")
        order.add_tools(HoverTool(renderers=[lines], tooltips=[("", "@label")],
                                  line_policy="nearest"))
        self.order_cursor = Span(location=1.0, dimension="height", line_color="black",
                                 line_alpha=0.6, line_width=1.5)
        order.add_layout(self.order_cursor)
        # many lines: one legend entry per family, the R_km told apart by this colour bar
        self.order_mapper = LinearColorMapper(palette=ramp(R_PALETTE, 4), low=0.5, high=4.5)
        self.order_bar = ColorBar(color_mapper=self.order_mapper, width=12, title="R_km",
                                  ticker=FixedTicker(ticks=[]), visible=False,
                                  major_label_policy=NoOverlap())
        order.add_layout(self.order_bar, "right")
        self.order_legend = order.legend[0].items[0]
        legend_below(order)
        self.fig_order = order

        self.heat_mapper = LinearColorMapper(palette=list(reversed(PuOr11)), low=-1, high=1)
        heat = make_figure(title="Normalised overlaps", subtitle="",
                           x_label="teacher unit m", y_label="student unit k", height=420,
                           x_range=Range1d(0.5, 2.5), y_range=Range1d(2.5, 0.5))
        heat.rect("m", "k", width=0.95, height=0.95, source=s["heat"],
                  fill_color={"field": "value", "transform": self.heat_mapper}, line_alpha=0)
        heat.text("m", "k", text="text", source=s["heat"], text_align="center",
                  text_baseline="middle", text_font_size="11pt", text_color="text_color")
        heat.add_layout(ColorBar(color_mapper=self.heat_mapper, width=12), "right")
        self.heat_ticks = (FixedTicker(ticks=[1, 2]), FixedTicker(ticks=[1, 2]))
        heat.xaxis.ticker, heat.yaxis.ticker = self.heat_ticks
        heat.grid.visible = False
        self.fig_heat = heat

        sweep = make_figure(title="Error reached vs learning rate", x_label="learning rate η",
                            y_label="ε_g at α_max", y_axis_type="log", height=420, subtitle="")
        sweep.quad(left="left", right="right", bottom="bottom", top="top", source=s["sweep_band"],
                   fill_color=PALETTE["green"], fill_alpha=0.15, line_alpha=0,
                   legend_field="band")
        sweep.line("lr", "eps", source=s["sweep"], color=PALETTE["blue"], line_width=2.5,
                   legend_label="ODE at α_max")
        sweep.scatter("lr", "eps", source=s["sweep"], color=PALETTE["blue"], size=5)
        sweep.scatter("lr", "eps", source=s["sweep_floor"], fill_color="white", size=7,
                      line_color=PALETTE["blue"], legend_label=f"ε_g < {EPS_FLOOR:g} (learned)")
        sweep.segment(x0="x", x1="x", y0="y0", y1="y1", source=s["sweep_marks"], color="color",
                      line_width=2, line_dash="dashed", legend_field="label")
        sweep.scatter("lr", "eps", source=s["sweep_point"], marker="star", size=14,
                      color=PALETTE["black"], legend_label="current η")
        legend_below(sweep)
        self.fig_sweep = sweep

        # visibility and loading act on layouts: a Bokeh pane hands its figure over as is
        self.eps_log_pane = pn.Column(pn.pane.Bokeh(self.fig_eps_log, sizing_mode="stretch_width"),
                                      sizing_mode="stretch_width")
        self.eps_lin_pane = pn.Column(sizing_mode="stretch_width", visible=False)
        self.order_pane = pn.pane.Bokeh(self.fig_order, sizing_mode="stretch_width")
        self.heat_pane = pn.pane.Bokeh(self.fig_heat, sizing_mode="stretch_width")
        self.sweep_pane = pn.Column(pn.pane.Bokeh(self.fig_sweep, sizing_mode="stretch_width"),
                                    sizing_mode="stretch_width")
        self.summary = pn.pane.Markdown("", sizing_mode="stretch_width", margin=(0, 10))

    def _eps_figure(self, scale: str):
        s = self.sources
        fig = make_figure(title="Generalisation error ε_g", x_label="time α = steps / N",
                          y_label="generalisation error ε_g", x_axis_type=scale,
                          y_axis_type=scale, height=420, subtitle="")
        fig.quad(left="left", right="right", bottom="bottom", top="top", source=s["plateau"],
                 fill_color=PALETTE["orange"], fill_alpha=0.2, line_alpha=0,
                 legend_field="plateau")
        fig.segment(x0="x", x1="x", y0="y0", y1="y1", source=s["special"],
                    color=PALETTE["vermillion"], line_width=2, line_dash="dashed",
                    legend_field="specialisation")
        runs = fig.multi_line("xs", "ys", source=s["sgd"], color="color", line_width=1.5,
                              line_alpha=0.8, legend_label="SGD runs (finite N)")
        ode = fig.line("alpha", "eps", source=s["eps"], color=PALETTE["blue"], line_width=3,
                       legend_label="ODE (N → ∞)")
        fig.scatter("alpha", "eps", source=s["cursor"], size=11, color=PALETTE["black"],
                    legend_label="time cursor")
        add_hover(fig, [ode], [("α", "@alpha{0.000}"), ("ε_g", "@eps{0.00000}")])
        item = legend_items(fig, {"sgd": runs})["sgd"]
        item.visible = False
        legend_below(fig)
        self._sgd_legend.append(item)
        return fig

    def _build_controls(self):
        w = pn.widgets
        self.player = w.Player.from_param(self.param.frame, name="Animate time", start=0,
                                          end=FRAMES - 1, interval=80, loop_policy="once",
                                          show_loop_controls=False, width=280,
                                          css_classes=["time-player"])
        # Play at the last frame starts again from the first (Panel's player would stop
        # at once): a page opens with the cursor at the end, where the units have
        # specialised, and one click on Play shows how they got there
        self.play_from_start = self.player.jscallback(direction=PLAY_FROM_START_JS)
        self.lr_widget = w.FloatSlider.from_param(self.param.lr, format="0.00",
                                                  css_classes=["lr-slider"])
        self.sim = SimulationPanel(self, "Run SGD")
        self.sim.run_button.on_click(lambda *_: self.run_sgd())
        self.controls = pn.Column(
            self.preset_widget(),
            w.IntSlider.from_param(self.param.K),
            w.IntSlider.from_param(self.param.M),
            self.lr_widget,
            w.FloatSlider.from_param(self.param.noise, format="0.00"),
            w.Select.from_param(self.param.activation),
            w.FloatInput.from_param(self.param.init_scale),
            w.IntInput.from_param(self.param.N, step=100),
            w.IntInput.from_param(self.param.seed),
            w.FloatInput.from_param(self.param.alpha_max, step=10),
            w.Checkbox.from_param(self.param.log_scale),
            pn.layout.Divider(),
            pn.pane.Markdown("**Time cursor**", margin=(0, 10)),
            self.player,
            pn.layout.Divider(),
            self.sim.layout(
                pn.pane.Markdown("**Finite-size SGD** (size N above)", margin=(0, 10)),
                w.IntSlider.from_param(self.param.sim_runs),
            ),
            pn.layout.Divider(),
            self.export_widget(),
            width=300,
        )
        self.finish_build()

    def set_lecture_mode(self, on: bool) -> None:
        super().set_lecture_mode(on)
        self.player.param.update(scale_buttons=1.35 if on else 1.0, width=340 if on else 280)

    # -- updates -------------------------------------------------------------------------
    def _refresh_all(self):
        with pn.io.hold():
            self._update_model()
            self._update_sweep()

    def _on_model_change(self, *events):
        with pn.io.hold():
            self._clear_sgd()
            self.guarded(self._update_model)()
            if any(e.name != "lr" for e in events):
                self.guarded(self._update_sweep)()
            else:
                self.guarded(self._update_sweep_point)()

    def _on_frame(self, *_):
        with pn.io.hold():
            self.guarded(self._update_cursor)()

    def _on_log_scale(self, *_):
        if not self.log_scale and self.fig_eps_lin is None:
            self.fig_eps_lin = self._eps_figure("linear")
            set_subtitle(self.fig_eps_lin, subtitles(self.fig_eps_log)[0].text)
            slim_figure(self.fig_eps_lin)
            self._sgd_legend[-1].visible = bool(len(self.sources["sgd"].data["xs"]))
            if self.lecture_mode:
                self.set_lecture_mode(True)
            self.eps_lin_pane.objects = [pn.pane.Bokeh(self.fig_eps_lin,
                                                       sizing_mode="stretch_width")]
        self.eps_log_pane.visible = bool(self.log_scale)
        self.eps_lin_pane.visible = not self.log_scale

    def _update_model(self):
        self.clear_message()
        K, M, N, init_scale, seed, lr, noise, alpha_max, activation = self.model_key
        traj = cached_trajectory(K, M, N, init_scale, seed, lr, noise, alpha_max, activation)
        self._trajectory = traj
        positive = np.where((traj.alpha > 0) & (traj.eps_g > EPS_FLOOR), traj.eps_g, np.nan)
        self.sources["eps"].data = {"alpha": traj.alpha, "eps": positive}
        for fig in filter(None, (self.fig_eps_log, self.fig_eps_lin)):
            set_subtitle(fig, f"K = {K}, M = {M}, η = {lr:g}")
        self._update_plateau(traj)
        self._update_order(traj)
        self._update_cursor()
        notes = []
        if traj.diverged:
            notes.append("the weights diverged (η too large): the curves stop there")
        if not traj.converged:
            notes.append("the ODE integrator did not meet its tolerance; the curve is shown "
                         "but may be inaccurate")
        if notes:
            self.show_message("**Note:** " + "; ".join(notes) + ".")

    def _update_plateau(self, traj):
        plateau = online.find_plateau(traj)
        t_spec = online.specialization_time(traj, plateau)
        finite = traj.eps_g[np.isfinite(traj.eps_g) & (traj.eps_g > EPS_FLOOR)]
        top = float(finite.max()) * 1.5 if finite.size else 1.0
        bottom = float(finite.min()) / 1.5 if finite.size else 1e-6
        if plateau.found:
            self.sources["plateau"].data = {
                "left": [plateau.start], "right": [plateau.end], "bottom": [bottom],
                "top": [top], "plateau": [f"plateau, ε_g ≈ {plateau.height:.4g}"]}
        else:
            self.sources["plateau"].data = {k: [] for k in self.sources["plateau"].data}
        if np.isfinite(t_spec):
            self.sources["special"].data = {"x": [t_spec], "y0": [bottom], "y1": [top],
                                            "specialisation": [f"specialisation, α ≈ {t_spec:.4g}"]}
        else:
            self.sources["special"].data = {k: [] for k in self.sources["special"].data}
        parts = []
        if plateau.found:
            parts.append(f"**Plateau** at ε_g ≈ {plateau.height:.4g} from α ≈ "
                         f"{plateau.start:.3g} to {plateau.end:.3g} (length "
                         f"{plateau.length:.3g}); the units **specialise** at α ≈ {t_spec:.4g}.")
        else:
            parts.append("No plateau on this time range.")
        final = traj.eps_g[-1]
        if np.isfinite(final):
            parts.append(f"ε_g(α = {traj.alpha[-1]:g}) = {final:.3g}." if final > EPS_FLOOR
                         else f"ε_g(α = {traj.alpha[-1]:g}) < {EPS_FLOOR:g}: the teacher is "
                              "learned (to the solver's precision).")
        if self.K == self.M and self.noise == 0:
            rate = cached_critical_rate(int(self.K), self.activation)
            parts.append(f"Critical learning rate η_c = {rate:.4g}.")
        self.summary.object = " ".join(parts)

    def _update_order(self, traj):
        K, M = traj.K, traj.M
        xs, ys, colors, dashes, labels, families = [], [], [], [], [], []
        alpha = traj.alpha.copy()
        alpha[0] = np.nan  # t = 0 has no place on a log axis
        r_colors = ramp(R_PALETTE, K * M)
        for k in range(K):
            for m in range(M):
                xs.append(alpha)
                ys.append(traj.R[:, k, m])
                colors.append(r_colors[k * M + m])
                dashes.append("solid")
                labels.append(f"R_{k + 1}{m + 1}")
                families.append(R_FAMILY)
        q_colors = ramp(Q_PALETTE, K * (K + 1) // 2)
        for k in range(K):
            for j in range(k, K):
                xs.append(alpha)
                ys.append(traj.Q[:, k, j])
                colors.append(q_colors[len(xs) - 1 - K * M])
                dashes.append("dashed" if k == j else "dotted")
                labels.append(f"Q_{k + 1}{j + 1}")
                families.append(Q_DIAGONAL if k == j else Q_OFF_DIAGONAL)
        self.sources["order"].data = {"xs": xs, "ys": ys, "color": colors, "dash": dashes,
                                      "label": labels, "family": families}
        grouped = len(xs) > MAX_NAMED_LINES
        self.order_legend.label = field("family" if grouped else "label")
        self.order_mapper.update(palette=r_colors, low=0.5, high=K * M + 0.5)
        self.order_bar.ticker.ticks = list(range(1, K * M + 1))
        self.order_bar.major_label_overrides = {i + 1: label[2:] for i, label in
                                                enumerate(labels[:K * M])}
        self.order_bar.visible = grouped
        set_subtitle(self.fig_order, f"K = {K} student, M = {M} teacher units")
        self.fig_heat.x_range.update(start=0.5, end=M + 0.5)
        self.fig_heat.y_range.update(start=K + 0.5, end=0.5)
        self.heat_ticks[0].ticks = list(range(1, M + 1))
        self.heat_ticks[1].ticks = list(range(1, K + 1))

    def _update_cursor(self):
        traj = self._trajectory
        if traj is None:
            return
        i = int(np.clip(self.frame * FRAME_STEP, 0, traj.alpha.size - 1))
        alpha = float(traj.alpha[i])
        self.order_cursor.location = max(alpha, ALPHA_MIN)
        eps = traj.eps_g[i]
        self.sources["cursor"].data = {"alpha": [alpha],
                                       "eps": [eps if eps > EPS_FLOOR else np.nan]}
        Q, R, T = traj.Q[i], traj.R[i], traj.T
        K, M = R.shape
        with np.errstate(invalid="ignore", divide="ignore"):
            norm = R / np.sqrt(np.outer(np.diag(Q), np.diag(T)))
        kk, mm = np.meshgrid(np.arange(1, K + 1), np.arange(1, M + 1), indexing="ij")
        values = norm.ravel()
        self.sources["heat"].data = {
            "k": kk.ravel(), "m": mm.ravel(), "value": values,
            "text": [f"{v:.2f}" if np.isfinite(v) else "–" for v in values],
            "text_color": ["white" if abs(v) > 0.6 else "black" for v in values]}
        set_subtitle(self.fig_heat, f"R_km / √(Q_kk T_mm) at α = {alpha:.3g}")

    def _update_sweep(self):
        """Final error vs learning rate: ~0.1-1 s, in a short-solve worker process (the
        latest request wins), or at once from the shared cache."""
        K, M, N, init_scale, seed, _, noise, alpha_max, activation = self.model_key
        lr_max = float(self.param.lr.bounds[1])
        key = (K, M, N, init_scale, seed, noise, alpha_max, activation, lr_max)

        def done(results):
            lrs, final, diverged = results[0]
            learned = np.isfinite(final) & (final <= EPS_FLOOR)
            shown = np.isfinite(final) & ~learned
            self.sources["sweep"].data = {"lr": lrs, "eps": np.where(shown, final, np.nan)}
            self.sources["sweep_floor"].data = {"lr": lrs[learned],
                                                "eps": np.full(learned.sum(), EPS_FLOOR)}
            lo = EPS_FLOOR / 3 if learned.any() else float(np.nanmin(final[shown]) / 3) \
                if shown.any() else EPS_FLOOR
            hi = float(np.nanmax(final[shown])) * 3 if shown.any() else 1.0
            marks, band = [], {k: [] for k in self.sources["sweep_band"].data}
            if learned.any():
                a, b = float(lrs[learned].min()), float(lrs[learned].max())
                band = {"left": [a], "right": [b], "bottom": [lo], "top": [hi],
                        "band": [f"learned by α_max: η ∈ [{a:.2f}, {b:.2f}]"]}
            elif shown.any():
                best = float(lrs[shown][np.argmin(final[shown])])
                marks.append((best, f"best η on this grid ≈ {best:.2f}", PALETTE["green"]))
            if K == M and noise == 0:
                rate = cached_critical_rate(K, activation)
                if np.isfinite(rate):
                    marks.append((rate, f"critical η_c = {rate:.3f}", PALETTE["vermillion"]))
            self.sources["sweep_band"].data = band
            self.sources["sweep_marks"].data = {
                "x": [m[0] for m in marks], "y0": [lo] * len(marks), "y1": [hi] * len(marks),
                "label": [m[1] for m in marks], "color": [m[2] for m in marks]}
            subtitle = f"at α = {alpha_max:g}"
            if diverged.any():
                subtitle += f"; diverges for η ≥ {lrs[diverged].min():.2f}"
            set_subtitle(self.fig_sweep, subtitle)
            self._update_sweep_point()

        def failed(exc):
            self.show_message(f"**Learning-rate sweep failed:** {exc}", "danger")

        self.run_latest("sweep", sweep_steps(*key), on_done=done, on_error=failed,
                        loading=self.sweep_pane, cache=SWEEPS, key=key)

    @property
    def sweep_future(self):
        """The latest learning-rate sweep request (tests wait on it)."""
        return self.latest_future("sweep")

    def _update_sweep_point(self):
        traj = self._trajectory
        final = traj.eps_g[-1] if traj is not None else np.nan
        shown = max(final, EPS_FLOOR) if np.isfinite(final) else np.nan
        self.sources["sweep_point"].data = {"lr": [float(self.lr)], "eps": [shown]}

    # -- SGD -----------------------------------------------------------------------------
    def sim_alphas(self) -> tuple[np.ndarray, str]:
        """Measurement times of the SGD runs, capped so that a run stays within the step
        budget; returns them with a note when capped."""
        alpha_max = float(self.alpha_max)
        cap = MAX_SIM_STEPS / int(self.N)
        note = ""
        if alpha_max > cap:
            note = (f" (capped at α = {cap:.3g}: at most {MAX_SIM_STEPS:,} steps per run; "
                    "lower N to simulate longer)")
            alpha_max = cap
        lo = min(0.05, alpha_max / 10)
        return np.geomspace(lo, alpha_max, SGD_POINTS), note

    def run_sgd(self):
        """Start the SGD runs in the background; returns the Future."""
        key = self.model_key
        K, M, N, init_scale, seed, lr, noise, _, activation = key
        runs = int(self.sim_runs)
        alphas, note = self.sim_alphas()
        self.sim.start(f"Running {runs} SGD run(s) at N = {N}{note}…")
        steps = [Step(online.simulate_sgd, dict(K=K, M=M, N=N, lr=lr, noise=noise, alphas=alphas,
                                                seed=seed + r, init_scale=init_scale,
                                                activation=activation), progress=True)
                 for r in range(runs)]

        def done(result):
            if key != self.model_key:
                self.sim.finish("Parameters changed during the run; result discarded.")
                return
            xs, ys, colors, names = [], [], [], []
            for r, traj in enumerate(result):
                xs.append(traj.alpha)
                ys.append(np.where(traj.eps_g > EPS_FLOOR, traj.eps_g, np.nan))
                colors.append([PALETTE["black"], PALETTE["grey"], PALETTE["purple"],
                               PALETTE["green"], PALETTE["sky"]][r % 5])
                names.append(f"seed {seed + r}")
            self.sources["sgd"].data = {"xs": xs, "ys": ys, "color": colors, "run": names}
            for item in self._sgd_legend:
                item.visible = True
            # a run whose error is not finite somewhere is said so, never drawn silently
            diverged = sum(bool(t.diverged or not np.all(np.isfinite(t.eps_g)))
                           for t in result)
            self.sim.finish(f"SGD: {runs} run(s) at N = {N}, seeds {seed}–{seed + runs - 1}"
                            f"{note}." + (f" {diverged} diverged (error infinite or NaN); "
                                          "drawn up to where it blew up." if diverged else ""))

        return self.run_in_process(steps, on_done=done, on_error=self.sim.failed,
                                   on_progress=self.sim.show_progress)

    def _clear_sgd(self):
        self.clear_sources("sgd")
        for item in self._sgd_legend:
            item.visible = False

    # -- layout --------------------------------------------------------------------------
    def __panel__(self):
        explanation = self.explanation(
            EXPLANATION, "What this shows: model, ODEs, plateau, references")
        plots = pn.Column(
            self.message,
            self.summary,
            self.plot_row(pn.Column(self.eps_log_pane, self.eps_lin_pane,
                                    sizing_mode="stretch_width"), self.order_pane),
            self.plot_row(self.heat_pane, self.sweep_pane),
            explanation,
            sizing_mode="stretch_width",
        )
        return pn.Row(self.controls, plots, sizing_mode="stretch_width")
