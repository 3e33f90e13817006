"""Diffusion-model explorer: when a backward trajectory commits to a class (speciation) and
when it falls onto a training point (collapse), from Gaussian mixtures to real data.

The parameters, the cached theory calls and the recipes are in
``dashboards.recipes.diffusion`` (Panel-free); this module holds the page: its figures and
controls as data, the texts, the uploads and the two simulations."""

from __future__ import annotations

from html import escape

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, FixedTicker, LegendItem
from bokeh.palettes import Greys256

from theory import data as datasets
from theory import diffusion

from . import guards
from .base import (
    DESIGN,
    PALETTE,
    BoundedCache,
    Explorer,
    Figure,
    Glyph,
    Hover,
    LiveHTML,
    Simulation,
    control,
    legend_below,
)
from .present import Callout, GuidedStep
from .processes import Step
from .recipes import diffusion as recipes
from .recipes import readable
from .recipes.diffusion import (  # noqa: F401 (the page's names: tests, warm-up, benchmarks)
    CLASS_COLORS,
    COLLAPSE_TIMES,
    IMAGES,
    N_COLORS,
    REGIME_STYLE,
    T_MAX,
    T_MIN,
    WINDOW_D,
    WINDOW_N,
    DiffusionParameters,
    cached_digits,
)

CONFIDENT = f"{diffusion.CONFIDENT:g}"
#: why the speciation curve can stay below 1 (and below the collapse curve) near t = 0
CRITERIA = (f"a trajectory counts as committed once its class posterior exceeds {CONFIDENT}, "
            "as sitting on a training point once that point holds over half of its weight: "
            "near the class boundary it can sit on its point with a class posterior below "
            f"{CONFIDENT}, so the speciation curve may stay below 1 after all have collapsed")
HINT = dict(text_align="center", text_baseline="middle", text_color=PALETTE["grey"],
            text_font_size="13px", text_font_style="italic")

FIGURES = (
    Figure("timeline", "Backward timeline", "diffusion time t", "fraction of trajectories",
           height=440, options=(("subtitle", "generation runs left to right: noise → data"),
                                ("x_axis_type", "log"), ("x_range", (T_MAX, T_MIN)),
                                ("y_range", (0, 1.05))),
           glyphs=(
               Glyph("quad", "regimes", left="left", right="right", bottom="bottom", top="top",
                     fill_color="color", fill_alpha=0.18, line_alpha=0, legend_field="regime"),
               Glyph("segment", "times", x0="x", x1="x", y0="y0", y1="y1", color="color",
                     line_width=2.5, line_dash="dashed", legend_field="time"),
               Glyph("line", "curves", key="committed", x="t", y="committed",
                     color=PALETTE["blue"], line_width=3, optional=True,
                     legend_label=f"committed to its class (posterior > {CONFIDENT})"),
               Glyph("line", "curves", key="collapsed", x="t", y="collapsed",
                     color=PALETTE["vermillion"], line_width=3, optional=True,
                     legend_label="sitting on its training point (collapse)"),
               Glyph("text", "timeline_hint", x="x", y="y", text="text", **HINT)),
           hover=(Hover(("committed", "collapsed"), (
               ("t", "@t{0.0000}"),
               (f"committed (posterior > {CONFIDENT})", "@committed{0.00}"),
               ("on its training point (weight > 0.5)", "@collapsed{0.00}"))),)),
    Figure("phase", "Phase diagram", "log n / d", "time t", height=440,
           options=(("y_axis_type", "log"), ("y_range", (T_MIN, T_MAX))),
           glyphs=(
               Glyph("varea", "phase", x="x", y1="window", y2="speciation",
                     fill_color=PALETTE["sky"], fill_alpha=0.2, legend_label="generalising window"),
               Glyph("line", "phase", x="x", y="speciation", color=PALETTE["blue"],
                     line_width=2.5, legend_label="speciation t_S"),
               Glyph("line", "phase", x="x", y="collapse", color=PALETTE["vermillion"],
                     line_width=2.5, legend_label="collapse t_C (Gaussian data, variance v̄)"),
               Glyph("scatter", "phase_point", x="x", y="t", marker="star", size=14,
                     color=PALETTE["black"], legend_label="current data: (log n/d, t_C)"))),
    Figure("tree", "Backward trajectories", "diffusion time t", "projection", height=360,
           loading="backward",
           options=(("subtitle", "projected on the top principal direction"),
                    ("x_axis_type", "log"), ("x_range", (T_MAX, T_MIN))),
           legend=lambda fig: None,
           glyphs=(Glyph("multi_line", "trajectories", xs="xs", ys="ys", color="color",
                         line_width=1.2, line_alpha=0.7),
                   Glyph("text", "tree_hint", x="x", y="y", text="text", **HINT))),
    Figure("images", "Generated samples", "", "", height=260, legend=lambda fig: None,
           # automatic ranges with matched aspect: a digit's pixels stay square whatever
           # the plot's width (fixed ranges stretched them 1.6 times taller than wide)
           options=(("subtitle", "top: generated; bottom: nearest training image"),
                    ("match_aspect", True)),
           glyphs=(Glyph("image", "images", key="images", image="image", x="x", y="y", dw="dw",
                         dh="dh", palette=tuple(reversed(Greys256))),  # 0: paper, 1: ink
                   Glyph("text", "images_hint", x="x", y="y", text="text", **HINT))),
    Figure("window", "Training-time window", "training points n", "training time τ",
           options=(("x_axis_type", "log"), ("y_axis_type", "log")),
           glyphs=(
               Glyph("varea", "window", x="n", y1="generalization", y2="memorization",
                     fill_color=PALETTE["sky"], fill_alpha=0.25,
                     legend_label="generalises, has not memorised"),
               *(Glyph(method, "window", x="n", y=column, color=PALETTE[color], legend_label=label,
                       **({"line_width": 2.5} if method == "line" else {"size": 8}))
                 for column, color, label in (
                     ("generalization", "blue", "τ_gen: test loss near its minimum"),
                     ("memorization", "vermillion", "τ_mem: test loss rises again (memorising)"))
                 for method in ("line", "scatter")),
               Glyph("line", "window_fit", x="n", y="tau", color=PALETTE["black"],
                     line_dash="dotted", line_width=1.5, legend_label="∝ n (guide)"))),
    Figure("losses", "Denoising loss in training time", "training time τ", "loss per dimension",
           options=(("x_axis_type", "log"),), legend=lambda fig: None,  # see finish_build
           glyphs=(Glyph("multi_line", "losses", key="losses", xs="xs", ys="ys", color="color",
                         line_width=2, line_dash={"field": "dash"}),),
           hover=(Hover(("losses",), (("", "@loss"),)),)),
)

CONTROLS = (
    "presets",
    control("source", "Select"),
    "upload",
    control("d", "IntSlider", enabled=lambda p: p.is_mixture),
    control("n", "ChoiceSlider", css_classes=["n-slider"]),
    control("separation", "FloatSlider", css_classes=["separation-slider"],
            enabled=lambda p: p.is_mixture),
    control("variance", "FloatSlider", enabled=lambda p: p.is_mixture),
    control("seed", "IntInput"),
    "divider",
    "pins",
    "sweep",
    "divider",
    Simulation("Run backward diffusion", "**Backward simulation**", run="run_backward",
               controls=(control("n_samples", "IntSlider", step=10),
                         control("score", "RadioButtonGroup", enabled=lambda p: p.is_mixture))),
    "divider",
    Simulation("Compute training window",
               f"**Memorisation in training time** (random-features score, d = {WINDOW_D}, "
               f"n = {', '.join(map(str, WINDOW_N))})", run="run_training_window",
               key="window_sim",
               controls=(control("train_t", "FloatSlider"),
                         control("train_features", "RadioButtonGroup"))),
    "divider",
    "export",
)

EXPLANATION = rf"""
### What you see
**Model.** Data $a_1,\dots,a_n \in \mathbb{{R}}^d$ are noised by an Ornstein-Uhlenbeck
process, $$ {diffusion.EQUATIONS["forward"]} $$ and generated by running it backwards from
pure noise, $$ {diffusion.EQUATIONS["backward"]} $$ Here the score is the *empirical* one, the
exact score of the noised training set,
$$ {diffusion.EQUATIONS["empirical_score"]} $$
(what a perfectly trained network would learn), or, for the Gaussian mixture, the exact score
of the population.

**Timeline.** Generation runs from left ($t = {T_MAX:g}$, noise) to right
($t \to 0$, data). Above the *speciation time* $$ {diffusion.EQUATIONS["speciation"]} $$
($\Lambda$ the top eigenvalue of the data covariance) the noised data form one blob; below
it the classes separate and each trajectory commits to one. Below the *collapse time*
$t_C$ trajectories fall onto training points: the model memorises (not with the exact
score, which knows no training points). For Gaussian data of variance $v$,
$$ {diffusion.EQUATIONS["collapse"]} $$ and for any data $t_C$ is estimated
from the excess entropy of the noised empirical distribution,
$$ {diffusion.EQUATIONS["excess_entropy"]} $$
as the time where it reaches $\log 2$. The simulated curves (button) are the fraction of
trajectories already committed to their final class and the fraction already sitting on the
training point they end on. The two criteria differ: {CRITERIA}.

**Phase diagram.** Speciation and collapse lines in the plane
($\log n / d$, $t$): more data per dimension pushes the collapse to later times (smaller $t$),
so generation has a longer window between $t_S$ and $t_C$.

**Trajectories.** A few backward trajectories projected on the top principal
direction of the data: the tree of class choices. For image data, generated samples (top row)
over their nearest training images (bottom row), on the data's own pixel scale: identical
pairs are memorised samples.

**Training-time window (button, bottom).** A network does not learn the empirical score at
once. A random-features score $s(x) = A\,\phi(x)/\sqrt p$ ($p$ random Fourier features of
$d = {WINDOW_D}$-dimensional two-class data, the separation and variance above) is trained by
gradient flow on the denoising loss at one diffusion time $t$, with the noise average taken
exactly. The test (population) loss first falls, as the model learns the population score, and
then rises again as it starts fitting the $n$ training points themselves. The training times
where it lies within {diffusion.WINDOW:.0%} of its drop above its minimum form the
generalisation window, from $\tau_{{\rm gen}}$ to $\tau_{{\rm mem}}$: $\tau_{{\rm gen}}$ stays put
while $\tau_{{\rm mem}}$ grows roughly linearly with $n$ (Bonnaire, Urfin, Biroli, Mézard 2025),
so more data widens the window in which training can stop before the model memorises.

**References.** {"; ".join(diffusion.REFERENCES)}.
"""


def decade_ticks(values) -> list[float]:
    """Ticks 1, 2, 5 x 10^k over the positive ``values`` (only the powers of ten when they
    span more than three decades): a log axis labelled at both ends, e.g. tau_gen = 0.05."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values) & (values > 0)]
    if not values.size:
        return []
    lo, hi = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
    steps = (1,) if hi - lo > 3 else (1, 2, 5)
    return [m * 10.0**k for k in range(int(lo), int(hi) + 1) for m in steps]


#: the presentation view's guided steps (``dashboards.present``)
STEPS = (
    GuidedStep("Speciation in a two-class mixture",
         "Backwards from noise, trajectories commit to a class at the speciation time t_S. "
         "The exact score never collapses them; t_C marks where n training points would.",
         (Callout("speciation t_S", source="times", label="t_S"),
          Callout("classes formed", source="regimes", label="classes formed"))),
    GuidedStep("Memorisation with few data (n = 50)",
         "The empirical score of only 50 training points: soon after speciation the "
         "trajectories collapse onto training points, at t_C.",
         (Callout("speciation t_S", source="times", label="t_S"),
          Callout("collapse t_C", source="times", label="t_C"),
          Callout("memorised", source="regimes", label="collapsed"))),
    GuidedStep("More data, later collapse (n = 5000)",
         "With more data the collapse comes later in the backward process: the window in "
         "which the model generalises widens.",
         (Callout("speciation t_S", source="times", label="t_S"),
          Callout("generalising window", source="regimes", label="classes formed"),
          Callout("collapse t_C", source="times", label="t_C"))),
    GuidedStep("Handwritten digits",
         "The same two times for handwritten digits: classes form first, then trajectories "
         "collapse onto training images.",
         (Callout("speciation t_S", source="times", label="t_S"),
          Callout("collapse t_C", source="times", label="t_C"))),
)

class DiffusionExplorer(DiffusionParameters, Explorer):
    """Speciation and collapse of generative diffusion, from mixtures to real data."""
    ANIMATED = ("n", "separation")
    PINNED = ("timeline", ("times",))
    ANSWERS = ("regimes", "times", "phase", "phase_point")
    STEPS = STEPS
    PRESENT_RUNS = True  # the timeline counts the backward simulation's trajectories

    title = "Diffusion models"
    SOURCES = recipes.SOURCES
    RECIPES = recipes.RECIPES
    FIGURES = FIGURES
    CONTROLS = CONTROLS

    def __init__(self, **params):
        super().__init__(**params)
        self.uploaded = None
        self.upload_statistics = BoundedCache(16)  # this page's upload: never shared
        self.shown: set[str] = set()  # on-demand recipes whose results the page shows now
        self.runs: dict[str, object] = {}  # a token of each simulation shown or under way
        # HTML, not Markdown: rewritten on every slider move, where parsing Markdown cost
        # ~5 ms of the move; a margin above, off the tab bar
        self.summary = LiveHTML("", sizing_mode="stretch_width", margin=(12, 10, 0, 10),
                                design=DESIGN)
        self.build_view()

    def finish_build(self):
        """The parts a declarative figure does not say: the images' frame and colours, the
        losses' legend (one entry per n and per loss), the panes' boxes."""
        self.panes["timeline"] = self.summary  # a large upload's spectrum: the summary waits
        self.fig_images.axis.visible = self.fig_images.grid.visible = False
        self.renderers["images"].glyph.color_mapper.update(low=0.0, high=1.0)
        losses = self.fig_losses
        key = ColumnDataSource({"x": [np.nan], "y": [np.nan]})  # a legend sample, no line
        for dash, label in (("solid", "test loss"), ("dashed", "training loss")):
            losses.line("x", "y", source=key, color=PALETTE["grey"], line_width=2,
                        line_dash=dash, legend_label=label)
        # the colour of each n is drawn from its first line: shown once there are lines
        self._loss_n_items = [LegendItem(label=f"n = {n}", renderers=[self.renderers["losses"]],
                                         index=2 * i, visible=False)
                              for i, n in enumerate(WINDOW_N)]
        losses.legend[0].items = [*self._loss_n_items, *losses.legend[0].items]
        legend_below(losses)
        super().finish_build()
        self.images_box = pn.Column(self.images_pane, sizing_mode="stretch_width")
        self.window_box = pn.Column(self.plot_row(self.window_pane, self.losses_pane),
                                    sizing_mode="stretch_width", visible=False)

    def snapshot(self) -> recipes.Snapshot:
        return recipes.Snapshot(self.values(), uploaded=self.uploaded,
                                upload_statistics=self.upload_statistics)

    def has_run(self, name: str):
        return self.runs.get(name)

    def python_script(self) -> str:
        return recipes.python_script(self, tuple(self.shown), self.script_figures())

    def current_data(self):
        """(points, labels, mixture or None, image shape or None, description)."""
        points, labels, shape, description = recipes.sample(self)
        return points, labels, recipes.mixture_of(self) if self.is_mixture else None, shape, \
            description

    def data_statistics(self):
        return recipes.statistics(self)

    @property
    def t_c_future(self):
        """The latest request for the empirical t_C (tests wait on it)."""
        return self.latest_future("timeline" if recipes.large_upload(self) else "collapse")

    # -- what the recipes do not say: texts, axes, visibility ------------------------------
    def before_timeline(self):
        self.summary.object = (f"<b>{escape(recipes.sample(self)[3])}.</b> Computing the "
                               "covariance spectrum of the data…")

    def after_timeline(self):
        stats = recipes.statistics(self)
        n, d, top, _, shape, description = stats
        t_s, t_c = recipes.characteristic_times(stats)
        self.summary.object = (
            f"<b>{escape(description)}.</b> Speciation t_S = ½ log Λ = {t_s:.3f} "
            f"(Λ = {top:.3g}); collapse t_C = {t_c:.3f} (Gaussian formula, log n / d = "
            f"{np.log(n) / d:.3f}); "
            + self._estimate_text())
        self.images_box.visible = shape is not None
        if self.sources["times"].data["time"][-1] == recipes.ESTIMATE_PENDING:
            self.shown.discard("collapse")

    def after_collapse(self):
        self.shown.add("collapse")
        text = self.summary.object
        start = text.rfind("); ") + 3
        self.summary.object = text[:start] + self._estimate_text()

    def after_no_backward(self):
        self.shown.discard("backward")
        self.runs.pop("backward", None)
        if self.drop_latest("backward", self.panes.get("backward")):
            self.sim.finish("")
        self.sim.status.object = ""

    def after_no_window(self):
        self.shown.discard("window")
        self.runs.pop("window", None)
        if self.drop_latest("window"):
            self.window_sim.finish("")
        for item in self._loss_n_items:
            item.visible = False
        self.window_box.visible = False
        self.window_sim.status.object = ""

    def _estimate_text(self) -> str:
        label = self.sources["times"].data["time"][-1]
        if label == recipes.ESTIMATE_PENDING:
            return "the empirical estimate follows below."
        if label == recipes.ESTIMATE_MISSING:
            return "excess-entropy estimate t_C: not reached."
        return f"excess-entropy estimate t_C = {label.split('= ')[1].split(' ')[0]}."

    # -- simulations: the latest request wins, a change of their parameters drops them ----
    def apply_preset(self, name: str):
        """The preset's values in one update, then the runs that show what its text says."""
        preset = super().apply_preset(name)
        for run in self.preset_runs.get(name, ()):
            getattr(self, f"run_{run}")()
        return preset

    def _simulate(self, recipe, panel, text: str, show):
        """Run the simulation ``recipe`` in a worker process (or take its result from the
        cache shared by every page); ``show(p, results)`` draws it. Returns the Future."""
        p = self.snapshot()
        panel.start(text)
        self.runs[recipe.name] = object()  # its parameters' next change drops it

        def done(results):
            self._bound(recipe, recipe.fn(p, results))
            self.shown.add(recipe.name)
            show(p, results[0])

        key = recipe.shared_key(p)
        return self.run_latest(recipe.name, recipe.steps(p), simulation=True, on_done=done,
                               on_error=panel.failed, on_progress=panel.show_progress,
                               loading=self.panes.get(recipe.name), cache=recipe.shared,
                               key=key)

    def run_backward(self):
        """Backward trajectories in a worker process; returns the Future."""
        return self._simulate(recipes.SIMULATIONS[0], self.sim,
                              f"Running {self.n_samples} backward trajectories "
                              f"({self.run_score} score)…", self._backward_done)

    def _backward_done(self, p, run):
        t_spec = diffusion.crossing_time(run, "committed")
        t_coll = diffusion.crossing_time(run, "collapsed")
        below = bool(np.any(run.committed < run.collapsed - 1e-9))
        self.sim.finish(
            f"{p.n_samples} trajectories, {p.run_score} score: half committed at t ≈ "
            f"{t_spec:.3f}; {100 * run.final_collapsed:.0f}% end on a training point"
            + (f", half of those sit on it from t ≈ {t_coll:.3f}." if np.isfinite(t_coll)
               else ".")
            + (f" The speciation curve stays below the collapse one in places: committed needs "
               f"a class posterior > {CONFIDENT}, collapsed over half the weight on one training "
               "point." if below else ""))

    def run_training_window(self):
        """tau_gen and tau_mem for each n in WINDOW_N in a worker process; returns the
        Future."""
        return self._simulate(recipes.SIMULATIONS[1], self.window_sim,
                              f"Training the score for n = {', '.join(map(str, WINDOW_N))} "
                              f"(p = {self.train_features}, t = {self.train_t:g})…",
                              self._window_done)

    def _window_done(self, p, result):
        for i, item in enumerate(self._loss_n_items):
            item.visible = i < len(result.runs)
        ticks = decade_ticks([*result.generalization_time, *result.memorization_time])
        self.fig_window.yaxis.ticker = FixedTicker(ticks=ticks)
        self.window_box.visible = True
        finite = np.isfinite(result.memorization_time)
        never = [int(n) for n, ok in zip(result.n, finite, strict=True) if not ok]
        exponent = (f"τ_mem ∝ n<sup>{readable(result.exponent)}</sup>"
                    if np.isfinite(result.exponent)
                    else "too few finite τ_mem to fit an exponent")
        self.window_sim.finish(
            f"τ_gen = {result.generalization_time.min():.3g}–"
            f"{result.generalization_time.max():.3g}; {exponent}"
            + (f"; no memorisation up to τ = {result.runs[0].tau[-1]:g} for n = {never}."
               if never else "."))

    # -- uploads ---------------------------------------------------------------------------
    def upload_controls(self) -> pn.Column:
        # the browser sends the file's base64 in one websocket message, which the server
        # refuses above 20 MiB by closing the page's connection: files up to 15 MB fit, and
        # the page checks a file's size before sending it (guards.UPLOAD_SIZE_CHECK_JS)
        self.upload = pn.widgets.FileInput(accept=".npy,.csv", multiple=False,
                                           label="Your data (.npy or .csv, up to 15 MB)",
                                           visible=self.source == "upload",
                                           css_classes=["upload-input"])
        self.upload.param.watch(self._on_upload, ["value"])
        guards.on_refusal(self.upload, self._upload_refused)
        # while a file is read in a worker process (seconds for a large one)
        self.upload_progress = pn.indicators.Progress(
            label="Reading your file", value=-1, active=True, visible=False,
            sizing_mode="stretch_width", css_classes=["upload-progress"])
        self.upload_status = pn.pane.Markdown("", margin=(0, 10), visible=False,
                                              css_classes=["upload-status"], design=DESIGN)
        self.param.watch(lambda *_: self._show_upload_status(), ["source"])
        return pn.Column(self.upload, self.upload_progress, self.upload_status,
                         sizing_mode="stretch_width")

    def _on_upload(self, event):
        """Read the file in a short-solve worker process: parsing and checking a large one
        takes seconds, which on the event loop would freeze every page of this server. The
        latest file wins; the data shown until it has been read are the previous ones."""
        if not event.new:
            return
        from .links import shown

        name = self.upload.filename or "upload"
        if len(event.new) > guards.MAX_UPLOAD_BYTES:  # a client that skipped the page's check
            self.show_message(f"**Could not use the file:** `{shown(name, 40)}` is larger "
                              f"than {guards.MAX_UPLOAD_BYTES / 1e6:.0f} MB.", "danger")
            return
        self.upload_status.param.update(
            object=f"Reading `{shown(name, 40)}` ({len(event.new) / 2**20:.1f} MiB)…",
            visible=True)
        self.upload_progress.visible = True
        self.run_latest("upload", [Step(datasets.parse_file,
                                        dict(content=event.new, filename=name))],
                        on_done=lambda results: self._use_upload(results[0]),
                        on_error=self._upload_failed)

    def _use_upload(self, dataset: datasets.DataSet):
        self.uploaded = dataset
        if self.source != "upload":
            self.source = "upload"  # the view follows
        else:
            with pn.io.hold():
                self.update_view(set(recipes.DATA_PARAMETERS))
        self._show_upload_status()

    def _show_upload_status(self):
        """The file in use, if any, once no file is being read."""
        from .links import shown

        self.upload.visible = self.source == "upload"
        self.upload_progress.visible = False
        if self.uploaded is None:
            self.upload_status.param.update(object="", visible=False)
            return
        n, d = self.uploaded.points.shape
        self.upload_status.param.update(
            object=f"`{shown(self.uploaded.name, 40)}`: {n} points, d = {d}.",
            visible=self.source == "upload")

    def _upload_refused(self, reason: str):
        """The file's content did not arrive as base64 (a client other than the page's)."""
        self.show_message("**Could not read the file:** its content did not arrive as a "
                          "file (not base64). Choose the file again.", "danger")

    def _upload_failed(self, exc: BaseException):
        self._show_upload_status()  # the previous file, if any, is still the one used
        what = "use" if isinstance(exc, ValueError) else "read"  # ValueError: a bad file
        self.show_message(f"**Could not {what} the file:** {exc}", "danger")

    # -- layout ------------------------------------------------------------------------------
    def __panel__(self):
        explanation = self.explanation(EXPLANATION, "What this shows: model, times, references")
        plots = pn.Column(
            self.message,
            self.summary,
            self.plot_row(self.timeline_pane, self.phase_pane),
            self.plot_row(self.tree_pane, self.images_box),
            self.window_box,
            explanation,
            sizing_mode="stretch_width",
        )
        return pn.Row(self.controls, plots, sizing_mode="stretch_width")
