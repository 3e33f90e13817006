"""Online SGD explorer: the Saad-Solla ODEs of a two-layer network learning a teacher, its
plateau and specialisation, animated in time, with finite-size SGD runs on top.

The parameters, the cached theory calls and the recipes are in ``dashboards.recipes.online``
(Panel-free); this module holds the page: its figures and controls as data, the texts, the
time cursor's player, the linear-axes twin (built when first shown) and the SGD runs."""

from __future__ import annotations

import numpy as np
import panel as pn
from bokeh.core.properties import field
from bokeh.models import ColorBar, FixedTicker, HoverTool, Label, LinearColorMapper, NoOverlap, Span
from bokeh.palettes import PuOr11

from theory import online

from .base import (
    PALETTE,
    Explorer,
    Figure,
    Glyph,
    Hover,
    Simulation,
    control,
    set_subtitle,
    slim_figure,
    summary_pane,
)
from .plotstyle import fit_legend, readable_log_ticks, subtitles, themed_color
from .present import Callout, GuidedStep
from .recipes import online as recipes
from .recipes import readable
from .recipes.online import (  # noqa: F401 (the page's names: tests, warm-up, benchmarks)
    ALPHA_MIN,
    EPS_FLOOR,
    FRAME_STEP,
    FRAMES,
    MAX_NAMED_LINES,
    MODEL,
    Q_PALETTE,
    R_PALETTE,
    SWEEPS,
    UNITS_ATLAS,
    OnlineParameters,
    cached_critical_rate,
    cached_trajectory,
    ramp,
    sweep_steps,
    times,
)
from .sweep import PLAY_FROM_START_JS, player_stylesheets

#: what the error plot says while it has no SGD runs
SGD_HINT = "Run SGD to add finite-size runs"


def ink() -> str:
    """The colour of what must stand out on the plot's background (the time cursor, the
    current rate): the theme's foreground, black on the light theme and light grey on the
    dark one (this page's theme; ``plotstyle.themed_color``)."""
    return themed_color(PALETTE["black"], "dark" if pn.config.theme == "dark" else "default")


def eps_figure(scale: str, ink: str) -> Figure:
    """The error curve on log-log ("log") or linear axes: the ODE, its plateau and
    specialisation, the SGD runs drawn on top of it, and the time cursor."""
    return Figure(
        f"eps_{scale[:3]}", "Generalisation error ε_g", "time α = steps / N",
        "generalisation error ε_g", height=420,
        options=(("x_axis_type", scale), ("y_axis_type", scale), ("subtitle", "")),
        glyphs=(
            Glyph("quad", "plateau", left="left", right="right", bottom="bottom", top="top",
                  fill_color=PALETTE["orange"], fill_alpha=0.2, line_alpha=0,
                  legend_field="plateau"),
            Glyph("segment", "special", x0="x", x1="x", y0="y0", y1="y1",
                  color=PALETTE["vermillion"], line_width=2, line_dash="dashed",
                  legend_field="specialisation"),
            Glyph("line", "eps", key=f"ode_{scale}", x="alpha", y="eps", color=PALETTE["blue"],
                  line_width=3, legend_label="ODE (N → ∞)"),
            Glyph("multi_line", "sgd", xs="xs", ys="ys", color="color", line_width=2,
                  legend_field="run"),
            # (its legend entry is the line's: BokehJS refuses an entry whose renderers
            # have different sources)
            Glyph("scatter", "sgd_points", x="alpha", y="eps", color="color", size=6),
            Glyph("scatter", "cursor", x="alpha", y="eps", size=11, color=ink,
                  legend_label="time cursor"),
        ),
        hover=(Hover((f"ode_{scale}",), (("α", "@alpha{0.000}"), ("ε_g", "@eps{0.00000}"))),))


def figures(ink: str, heat_colours: LinearColorMapper) -> tuple[Figure, ...]:
    """The page's figures (per page: the theme's ink, the heat map's own colour mapper)."""
    return (
        eps_figure("log", ink),
        Figure("order", "Order parameters", "time α = steps / N", "overlap", height=360,
               options=(("x_axis_type", "log"), ("subtitle", "")),
               glyphs=(Glyph("multi_line", "order", key="order", xs="xs", ys="ys",
                             color="color", line_dash="dash", line_width=2,
                             legend_field="label"),)),
        Figure("heat", "Normalised overlaps", "teacher unit m", "student unit k", height=420,
               legend=lambda fig: None,  # a colour bar instead
               options=(("x_range", (0.5, 2.5)), ("y_range", (2.5, 0.5)), ("subtitle", "")),
               glyphs=(Glyph("rect", "heat", x="m", y="k", width=0.95, height=0.95,
                             fill_color={"field": "value", "transform": heat_colours},
                             line_alpha=0),
                       Glyph("text", "heat", x="m", y="k", text="text", text_align="center",
                             text_baseline="middle", text_font_size="11pt",
                             text_color="text_color"))),
        Figure("sweep", "Error reached vs learning rate", "learning rate η", "ε_g at α_max",
               height=420, loading="sweep",
               options=(("y_axis_type", "log"), ("subtitle", "")),
               glyphs=(
                   Glyph("quad", "sweep_band", left="left", right="right", bottom="bottom",
                         top="top", fill_color=PALETTE["green"], fill_alpha=0.15, line_alpha=0,
                         legend_field="band"),
                   Glyph("line", "sweep", x="lr", y="eps", color=PALETTE["blue"], line_width=2.5,
                         legend_label="ODE at α_max"),
                   Glyph("scatter", "sweep", x="lr", y="eps", color=PALETTE["blue"], size=5),
                   Glyph("scatter", "sweep_floor", x="lr", y="eps", fill_color="white", size=7,
                         line_color=PALETTE["blue"], optional=True,
                         legend_label=f"ε_g < {readable(EPS_FLOOR)} (learned)"),
                   Glyph("segment", "sweep_marks", x0="x", x1="x", y0="y0", y1="y1",
                         color="color", line_width=2, line_dash="dashed", legend_field="label"),
                   Glyph("scatter", "sweep_point", x="lr", y="eps", marker="star", size=14,
                         color=ink, legend_label="current η"),
               )),
    )


CONTROLS = (
    "presets",
    control("K"),
    control("M"),
    control("lr", format="0.00", css_classes=["lr-slider"]),
    control("noise", format="0.00"),
    control("activation", "Select"),
    control("init_scale", "FloatInput"),
    control("N", "IntInput", step=100),
    control("seed", "IntInput"),
    control("alpha_max", "FloatInput", step=10),
    control("log_scale", "Checkbox"),
    "divider",
    "pins",
    "sweep",
    "divider",
    control("frame", "Player", start=0, end=FRAMES - 1, interval=80,
            loop_policy="once", show_loop_controls=False, width=280,
            css_classes=["time-player"]),
    "divider",
    Simulation("Run SGD", "**Finite-size SGD** (at the input dimension N)", run="run_sgd",
               controls=(control("sim_runs"),)),
    "divider",
    "export",
)


def sgd_overlay(page) -> dict:
    """The SGD runs of the current parameters (none, or runs of other ones: no runs)."""
    done = page._sgd
    runs = done[1] if done is not None and done[0] == page.model_key else None
    return recipes.sgd_runs(page, runs)


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

**Error curve.** The ODE started from the sampled initial weights (size $N$, seed
and initial scale as set), the *plateau* (shaded) where every student unit overlaps equally
with every teacher unit, and the *specialisation* time (dashed) at which the symmetry breaks
and each student unit picks a teacher unit. Small initial weights and large $N$ lengthen the
plateau (its escape is driven by $O(1/\sqrt N)$ asymmetries). SGD runs (button) are real
finite-$N$ simulations, drawn over the ODE in their own colours with a marker at each
measured time; run 1 starts from exactly the ODE's initial weights.

**Order parameters.** $R_{{km}}$ (solid, blue to green) and $Q_{{kl}}$ (orange;
dashed: diagonal, dotted: off-diagonal) vs time. With more than {MAX_NAMED_LINES} lines the
legend names the three families and a colour bar tells the $R_{{km}}$ apart; hovering a line
names it. The heat map shows the normalised overlaps $R_{{km}}/\sqrt{{Q_{{kk}}T_{{mm}}}}$ at
the time cursor. Press play to animate it (from the start when the cursor is at the end).

**Learning-rate sweep.** The error reached at $\alpha_{{\max}}$ for each rate:
too small learns slowly, too large fails. Rates that learn the teacher to the solver's
precision ($\epsilon_g < 10^{{-10}}$, hollow markers) are shaded; with noise the error keeps a
floor that grows with $\eta$, and the best rate is marked. For a realisable network
($K = M$, no noise) the dashed line is the critical rate beyond which the learned state is
linearly unstable: the units still specialise, but the error stalls above zero.

**References.** {"; ".join(online.REFERENCES)}.
"""


#: the presentation view's guided steps (``dashboards.present``)
STEPS = (
    GuidedStep("Saad-Solla plateau (K = M = 2)",
         "Online SGD from small weights: the student first learns the teacher's average and "
         "sits on a plateau where its units are alike, until they specialise.",
         (Callout("plateau", source="plateau"),
          Callout("specialisation", source="special"))),
    GuidedStep("Larger networks, longer plateaus (K = M = 4)",
         "Four units each (and a smaller learning rate): the plateau is higher and lasts "
         "longer.",
         (Callout("plateau", source="plateau"),
          Callout("specialisation", source="special"))),
    GuidedStep("Over-parameterised student (K = 4, M = 2)",
         "More student units than teacher units: two of them learn the teacher's, the "
         "other two shrink and cancel each other.",
         (Callout("plateau", source="plateau"),
          Callout("specialisation", source="special"))),
    GuidedStep("Learning rate too large (η > η_c)",
         "Above the critical learning rate the steps overshoot: the error never reaches "
         "zero."),
    GuidedStep("Noisy teacher: the error floor grows with η",
         "Noisy labels: at a constant learning rate SGD ends on an error floor, higher for "
         "a larger η.",
         (Callout("plateau", source="plateau"),)),
)

class OnlineExplorer(OnlineParameters, Explorer):
    """Online SGD of two-layer networks: Saad-Solla ODEs, plateaus, specialisation."""
    ANIMATED = ("lr", "noise")
    PINNED = ("trajectory", ("eps",))
    ANSWERS = ("plateau", "special", "sweep_marks")
    STEPS = STEPS

    title = "Online SGD dynamics"
    SOURCES = recipes.SOURCES
    SGD = recipes.Recipe("sgd", sgd_overlay, MODEL, script=False)
    RECIPES = (*recipes.RECIPES, SGD)
    CONTROLS = CONTROLS

    def __init__(self, **params):
        super().__init__(**params)
        self._sgd: tuple | None = None  # (model key, trajectories) of the last SGD runs
        self.summary = summary_pane()
        self.ink = ink()
        self.heat_mapper = LinearColorMapper(palette=list(reversed(PuOr11)), low=-1, high=1)
        self.FIGURES = figures(self.ink, self.heat_mapper)
        self.fig_eps_lin = None  # the linear-axes twin: built when first shown
        self.sgd_hints: list[Label] = []
        self.build_view()
        # visibility acts on layouts: a Bokeh pane hands its figure over as is
        self.eps_log_pane = pn.Column(self.eps_log_pane, sizing_mode="stretch_width")
        self.eps_lin_pane = pn.Column(sizing_mode="stretch_width", visible=False)
        self.player = self.frame_widget
        self.player.name = "Animate time"  # under the heading "Time cursor"
        # its buttons grow in lecture mode as far as the sidebar holds all nine (1.15; the
        # page sets the factor on its root: custom properties reach into shadow roots)
        self.player.stylesheets = player_stylesheets(self.player)
        # Play at the last frame starts again from the first (Panel's player would stop
        # at once): a page opens with the cursor at the end, where the units have
        # specialised, and one click on Play shows how they got there
        self.play_from_start = self.player.jscallback(direction=PLAY_FROM_START_JS)
        self.controls.insert(self.controls.index(self.player),
                             pn.pane.Markdown("**Time cursor**", margin=(0, 10)))
        self.param.watch(self._on_log_scale, ["log_scale"])
        self._on_log_scale()

    def python_script(self) -> str:
        return recipes.python_script(self, self.script_figures())

    def sim_alphas(self) -> tuple[np.ndarray, str]:
        return recipes.sim_alphas(self)

    # -- what the declarative figures leave to the page ----------------------------------
    def _build_figure(self, spec):
        fig = super()._build_figure(spec)
        if ("y_axis_type", "log") in spec.options:
            readable_log_ticks(fig.yaxis[0])  # the errors: often less than two decades
        if spec.key.startswith("eps_"):
            # while there are no SGD runs, the plot says how to get them
            hint = Label(x=10, y=8, x_units="screen", y_units="screen", text=SGD_HINT,
                         text_font_size="10pt", text_color=PALETTE["grey"],
                         visible=not self.sources["sgd"].data["xs"])
            fig.add_layout(hint)
            self.sgd_hints.append(hint)
        elif spec.key == "order":
            fig.add_tools(HoverTool(renderers=[self.renderers["order"]],
                                    tooltips=[("", "@label")], line_policy="nearest"))
            self.order_cursor = Span(location=1.0, dimension="height", line_color=self.ink,
                                     line_alpha=0.6, line_width=1.5)
            fig.add_layout(self.order_cursor)
            # many lines: one legend entry per family, the R_km told apart by this colour bar
            self.order_mapper = LinearColorMapper(palette=ramp(R_PALETTE, 4), low=0.5, high=4.5)
            self.order_bar = ColorBar(color_mapper=self.order_mapper, width=12, title="R_km",
                                      ticker=FixedTicker(ticks=[]), visible=False,
                                      major_label_policy=NoOverlap())
            fig.add_layout(self.order_bar, "right")
            self.order_legend = fig.legend[0].items[0]
            fit_legend(fig)
        elif spec.key == "heat":
            fig.add_layout(ColorBar(color_mapper=self.heat_mapper, width=12), "right")
            self.heat_ticks = (FixedTicker(ticks=[1, 2]), FixedTicker(ticks=[1, 2]))
            fig.xaxis.ticker, fig.yaxis.ticker = self.heat_ticks
            fig.grid.visible = False
        return fig

    def _on_log_scale(self, *_):
        if not self.log_scale and self.fig_eps_lin is None:
            self.fig_eps_lin = self._build_figure(eps_figure("linear", self.ink))
            set_subtitle(self.fig_eps_lin, subtitles(self.fig_eps_log)[0].text)
            slim_figure(self.fig_eps_lin)
            if self.lecture_mode:
                self.set_lecture_mode(True)
            self.eps_lin_pane.objects = [pn.pane.Bokeh(self.fig_eps_lin,
                                                       sizing_mode="stretch_width")]
        self.eps_log_pane.visible = bool(self.log_scale)
        self.eps_lin_pane.visible = not self.log_scale

    def set_lecture_mode(self, on: bool) -> None:
        super().set_lecture_mode(on)
        self.player.param.update(scale_buttons=1.35 if on else 1.0, width=340 if on else 280)
        for hint in self.sgd_hints:
            hint.text_font_size = "15pt" if on else "10pt"

    # -- what the recipes do not say: titles, legends, axes, texts ------------------------
    def after_trajectory(self):
        for fig in filter(None, (self.fig_eps_log, self.fig_eps_lin)):
            set_subtitle(fig, f"K = {self.K}, M = {self.M}, η = {readable(self.lr)}")
        self.summary.object = recipes.summary(self)

    def after_order(self):
        K, M = int(self.K), int(self.M)
        data = self.sources["order"].data
        grouped = len(data["xs"]) > MAX_NAMED_LINES
        self.order_legend.label = field("family" if grouped else "label")
        self.order_mapper.update(palette=list(data["color"][:K * M]), low=0.5, high=K * M + 0.5)
        self.order_bar.ticker.ticks = list(range(1, K * M + 1))
        self.order_bar.major_label_overrides = {i + 1: label[2:] for i, label in
                                                enumerate(data["label"][:K * M])}
        self.order_bar.visible = grouped
        set_subtitle(self.fig_order, f"K = {K} student, M = {M} teacher units")
        self.fig_heat.x_range.update(start=0.5, end=M + 0.5)
        self.fig_heat.y_range.update(start=K + 0.5, end=0.5)
        self.heat_ticks[0].ticks = list(range(1, M + 1))
        self.heat_ticks[1].ticks = list(range(1, K + 1))

    def after_cursor(self):
        alpha = self.sources["cursor"].data["alpha"][0]
        self.order_cursor.location = max(alpha, ALPHA_MIN)
        set_subtitle(self.fig_heat, f"R_km / √(Q_kk T_mm) at α = {readable(alpha)}")

    def after_sweep(self):
        set_subtitle(self.fig_sweep, recipes.sweep_subtitle(self))

    def after_sgd(self):
        shown = bool(self.sources["sgd"].data["xs"])
        for hint in self.sgd_hints:
            hint.visible = not shown

    # -- SGD -----------------------------------------------------------------------------
    def run_sgd(self):
        """Start the SGD runs in worker processes; returns the Future. Their results are
        kept with their parameters, and shown while those are the page's."""
        p = self.snapshot()
        runs, (_, note) = int(p.sim_runs), recipes.sim_alphas(p)
        self.sim.start(f"Running {runs} SGD run(s) at N = {p.N}{note}…")

        def done(results):
            self._sgd = (p.model_key, results)
            self._run_recipe(self.SGD)
            # a run whose error is not finite somewhere is said so, never drawn silently
            diverged = sum(bool(t.diverged or not np.all(np.isfinite(t.eps_g)))
                           for t in results)
            self.sim.finish(
                f"SGD: {runs} run(s) at N = {p.N}, seeds {p.seed}–{p.seed + runs - 1}{note}."
                + (f" {diverged} diverged (error infinite or NaN); drawn up to where it blew "
                   "up." if diverged else "")
                + ("" if self._sgd[0] == self.model_key else
                   " Not shown: the parameters have changed since (set them back to see the "
                   "runs)."))

        return self.run_in_process(recipes.sgd_steps(p), on_done=done, on_error=self.sim.failed,
                                   on_progress=self.sim.show_progress)

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
