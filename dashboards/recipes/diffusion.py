"""Generative diffusion (speciation and collapse): the parameter model and the recipes that
turn it into plotted data. numpy, param and theory only (no Panel, no Bokeh).

The Gaussian mixture's statistics are its population's (closed forms): its points are never
drawn in the page's process, only where an estimate or a simulation runs (a worker process),
so that a link asking for 20,000 x 512 points costs the server nothing until a run."""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType

import numpy as np
import param

from theory import data as datasets
from theory import diffusion

from ..caches import BoundedCache, value_key
from ..processes import Step, run_steps
from . import (  # noqa: F401 (named: used by the exported scripts)
    ExplorerParameters,
    Preset,
    Recipe,
    Source,
    named,
)

__all__ = ["RECIPES", "SIMULATIONS", "SOURCES", "DiffusionParameters", "backward",
           "collapse", "python_script", "statistics", "timeline", "window"]

N_CHOICES = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000]
T_MAX = 5.0
T_MIN = 1e-3  # left end of the log time axis
STEPS = 200
PHASE_POINTS = 200
IMAGES = 6
#: training-set sizes of the training-time window and the dimension of its data
WINDOW_N = (32, 64, 128, 256, 512)
WINDOW_D = 16
N_COLORS = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b"]
#: Okabe-Ito names (``base.PALETTE``), then a brown
CLASS_COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
                "#7F7F7F", "#F0E442", "#8c564b"]
GREY, SKY, ORANGE, BLUE, VERMILLION, PURPLE = ("#7F7F7F", "#56B4E9", "#E69F00", "#0072B2",
                                               "#D55E00", "#CC79A7")
REGIME_STYLE = {  # label, colour
    "noise": ("noise: one blob", GREY),
    "speciation": ("classes formed, not yet collapsed", SKY),
    "collapsed": ("collapsed onto training points", ORANGE),
    "no_collapse": ("classes formed; exact score: no collapse", SKY),
}
#: noised samples of the excess-entropy estimate of t_C
COLLAPSE_SAMPLES = 200
#: data (points x dimensions x the smaller of the two) whose covariance spectrum is computed
#: on the event loop (~10 ms at 500 x 200); larger uploads have theirs computed in a worker
#: (1000 x 1024 took 0.1 s alone, 1.4 s on a busy machine: every page would wait)
DIRECT_SPECTRUM = 2e7
#: shared by every page: excess-entropy t_C of the built-in data, and simulation results
#: (bounded by bytes: a backward run holds its samples, n_samples x d)
COLLAPSE_TIMES = BoundedCache(256)
STATISTICS = BoundedCache(256)  # of the digits' subsets: six numbers each
SIMULATION_RESULTS = BoundedCache(64, max_bytes=64 * 2**20)
#: drawn mixtures, for the script and the tests only (the page never draws one)
MIXTURES = BoundedCache(8, max_bytes=128 * 2**20)

DATA_PARAMETERS = ("source", "d", "n", "separation", "variance", "seed")
BACKWARD_PARAMETERS = (*DATA_PARAMETERS, "n_samples", "score")
WINDOW_PARAMETERS = ("separation", "variance", "seed", "train_t", "train_features")


class Choices:
    """What recipes read of the parameters beyond their values: for the model and for
    its snapshots."""

    @property
    def is_mixture(self) -> bool:
        return self.source == "mixture"

    @property
    def run_score(self) -> str:
        """The score of a backward run: the exact one is known for the mixture only."""
        return self.score if self.is_mixture else "empirical"

    def has_run(self, name: str):
        """The token of the run of simulation ``name`` shown or under way (a page's), if
        any: None when there is none."""
        return None


class Snapshot(Choices):
    """The values of a parameter model at one moment (what background work reads): a plain
    object, cheaper to make than a model on every slider move."""

    def __init__(self, values: dict, **extra):
        self.__dict__.update(values, **extra)


class DiffusionParameters(Choices, ExplorerParameters):
    """The diffusion explorer's controls. An uploaded data set, when there is one, is
    ``uploaded`` (a ``theory.data.DataSet``; not a parameter: it is not in links)."""

    source = param.Selector(default="mixture", objects={
        "Gaussian mixture (two classes)": "mixture", "Digits (8×8 images)": "digits",
        "Uploaded file (.npy / .csv)": "upload"}, label="Data")
    d = param.Integer(default=64, bounds=(2, 512), label="Dimension d")
    n = param.Selector(default=1000, objects=N_CHOICES, label="Training points n")
    separation = param.Number(default=3.0, bounds=(0.0, 10.0), step=0.1,
                              label="Class separation |μ|")
    variance = param.Number(default=1.0, bounds=(0.1, 4.0), step=0.05,
                            label="Within-class variance v")
    n_samples = param.Integer(default=300, bounds=(20, 2000), label="Generated samples")
    score = param.Selector(default="empirical", objects={
        "empirical (memorises)": "empirical", "exact (mixture only)": "exact"}, label="Score")
    seed = param.Integer(default=0, bounds=(0, 10_000), label="Seed")
    train_t = param.Number(default=0.1, bounds=(0.02, 1.0), step=0.01,
                           label="Diffusion time t of the trained score")
    train_features = param.Selector(default=2048, objects=[512, 1024, 2048],
                                    label="Random features p")

    url_parameters = ("source", "d", "n", "separation", "variance", "n_samples", "score", "seed",
                      "train_t", "train_features")
    advanced_parameters = ("seed", "n_samples", "train_features")
    url_prefix = "dm_"
    uploaded: datasets.DataSet | None = None
    presets = (
        Preset("Speciation in a two-class mixture",
               {"source": "mixture", "d": 64, "n": 1000, "separation": 3.0, "variance": 1.0,
                "score": "exact"},
               "With the exact score trajectories commit to a class around t_S = ½ log Λ and "
               "never collapse.",
               "Biroli, Bonnaire, de Bortoli & Mézard 2024, arXiv:2402.18491"),
        Preset("Memorisation with few data (n = 50)",
               {"source": "mixture", "d": 64, "n": 50, "separation": 3.0, "variance": 1.0,
                "score": "empirical"},
               "With the empirical score and little data, trajectories collapse onto training "
               "points early (large t_C).",
               "Biroli et al. 2024, arXiv:2402.18491"),
        Preset("More data, later collapse (n = 5000)",
               {"source": "mixture", "d": 64, "n": 5000, "separation": 3.0, "variance": 1.0,
                "score": "empirical"},
               "log n / d grows: the collapse moves to smaller t and the generalising window "
               "between t_S and t_C widens.",
               "Biroli et al. 2024, arXiv:2402.18491"),
        Preset("Handwritten digits",
               {"source": "digits", "n": 1000, "score": "empirical"},
               "Real images: the generated digits end on training images (compare the pairs).",
               "Biroli et al. 2024; Bonnaire, Urfin, Biroli & Mézard 2025, arXiv:2505.17638"),
    )
    #: what each preset shows needs a backward run: the page starts it with the preset
    preset_runs = MappingProxyType({p.name: ("backward",) for p in presets})

    def constrain(self, values=None) -> dict:
        """The exact score exists for the Gaussian mixture only."""
        values = {**self.values(), **(values or {})}
        if values["source"] != "mixture" and values["score"] == "exact":
            return {"score": "empirical"}
        return {}


# -- the data ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def cached_digits() -> datasets.DataSet:
    return datasets.digits()


def mixture_of(p) -> diffusion.MixtureData:
    """The drawn Gaussian mixture of ``p`` (for scripts and tests: the page's recipes need
    its population statistics only)."""
    key = (int(p.d), int(p.n), float(p.separation), float(p.variance), int(p.seed))
    return MIXTURES.get_or_put(key, lambda: diffusion.gaussian_mixture(
        d=key[0], n=key[1], separation=key[2], variance=key[3], seed=key[4]))


def dataset_of(p) -> datasets.DataSet:
    """The full data set behind the digits or an upload."""
    if p.source == "digits":
        return cached_digits()
    if getattr(p, "uploaded", None) is None:
        raise ValueError("upload a .npy or .csv file (rows are points) to use your data")
    return p.uploaded


def sample(p):
    """(points, labels, image shape or None, description) of the data of ``p``: n points of
    the data set drawn with the seed (all of them, in order and without a copy, when n
    covers them), or the drawn mixture."""
    if p.is_mixture:
        m = mixture_of(p)
        return m.points, m.labels, None, f"two-class Gaussian mixture, d = {p.d}, n = {p.n}"
    ds = dataset_of(p)
    total, d = ds.points.shape
    n = min(int(p.n), total)
    name = "scikit-learn digits" if p.source == "digits" else ds.name
    description = f"{name}, d = {d}, n = {n} of {total}"
    if n == total:  # every point, in order: no copy (an upload may hold 160 MB)
        return ds.points, ds.labels, ds.image_shape, description
    pick = np.sort(np.random.default_rng(int(p.seed)).choice(total, n, replace=False))
    return ds.points[pick], ds.labels[pick], ds.image_shape, description


def data_key(p):
    """The key of the data in caches shared by every page; None for an upload (private)."""
    if p.source == "upload":
        return None
    return value_key(p.source, int(p.d) if p.is_mixture else 64, int(p.n),
                     float(p.separation) if p.is_mixture else 0.0,
                     float(p.variance) if p.is_mixture else 0.0, int(p.seed))


def large_upload(p) -> bool:
    """An upload whose covariance spectrum takes a worker process (seconds)."""
    if p.source != "upload" or getattr(p, "uploaded", None) is None:
        return False
    total, d = p.uploaded.points.shape
    n = min(int(p.n), total)
    return n * d * min(n, d) > DIRECT_SPECTRUM


def statistics_steps(p) -> list[Step]:
    points = sample(p)[0]
    return [Step(diffusion.covariance_spectrum, dict(data=points)),
            Step(np.var, dict(a=points, axis=0))]  # the points are sent once


def statistics(p, results=None):
    """(n, d, Lambda, v_bar, image shape or None, description) of the data. For the mixture
    they are the population's, known without drawing a point: a slider move costs closed
    forms only. ``results``: those of ``statistics_steps`` (a worker's spectrum). Those of
    the digits are kept in ``STATISTICS``, shared by every page; an upload's in its page's
    own ``p.upload_statistics`` (a ``BoundedCache``), if it has one."""
    if p.is_mixture:
        d, n = int(p.d), int(p.n)
        top, v_bar = diffusion.mixture_statistics(d=d, separation=float(p.separation),
                                                  variance=float(p.variance))
        return n, d, top, v_bar, None, f"two-class Gaussian mixture, d = {d}, n = {n}"
    key = data_key(p)
    cache = STATISTICS
    if key is None:  # an upload: private to its page
        cache = getattr(p, "upload_statistics", None)
        key = (id(p.uploaded), int(p.n), int(p.seed)) if cache is not None else None
    found = cache.get(key) if key is not None else None
    if found is not None:
        return found
    points, _, shape, description = sample(p)
    if results is None:
        results = run_steps(statistics_steps(p), lambda _: None, lambda: False)
    n, d = points.shape
    found = (n, d, float(results[0][0]), float(np.mean(results[1])), shape, description)
    if key is not None:
        cache.put(key, found)
    return found


ESTIMATE_PENDING = "t_C (excess entropy): computing…"
ESTIMATE_MISSING = "t_C (excess entropy): not reached"


def times(t_s: float, t_c: float, t_c_empirical: float | None) -> dict:
    """The t_S and t_C marks; the estimate's entry is there while it is computed (or when
    the excess entropy never reaches log 2), not drawn (x NaN): the legend keeps its rows,
    and the plot its layout, on every slider move."""
    marks = [(t_s, f"t_S = {t_s:.3f}", BLUE), (t_c, f"t_C = {t_c:.3f} (formula)", VERMILLION)]
    marks = [m for m in marks if T_MIN < m[0] < T_MAX]
    if t_c_empirical is None:
        marks.append((np.nan, ESTIMATE_PENDING, PURPLE))
    elif not T_MIN < t_c_empirical < T_MAX:
        marks.append((np.nan, ESTIMATE_MISSING, PURPLE))
    else:
        marks.append((t_c_empirical, f"t_C = {t_c_empirical:.3f} (excess entropy)", PURPLE))
    return {"x": [m[0] for m in marks], "y0": [0] * len(marks), "y1": [1.05] * len(marks),
            "time": [m[1] for m in marks], "color": [m[2] for m in marks]}


def _clip(t) -> float:
    return float(np.clip(t, T_MIN, T_MAX))


def characteristic_times(stats) -> tuple[float, float]:
    """(t_S, t_C of the Gaussian formula) of ``statistics``."""
    n, d, top, v_bar, _, _ = stats
    return (diffusion.speciation_time(eigenvalues=[top]),
            float(diffusion.collapse_time(n=n, d=d, variance=v_bar)))


# -- recipes -------------------------------------------------------------------------------
SOURCES = (
    Source("regimes", "dm-regimes", ("left", "right", "bottom", "top", "regime", "color")),
    Source("times", "dm-times", ("x", "y0", "y1", "time", "color")),
    Source("curves", "dm-curves", ("t", "committed", "collapsed")),
    Source("phase", "dm-phase", ("x", "collapse", "speciation", "window")),
    Source("phase_point", None, ("x", "t")),
    Source("trajectories", "dm-trajectories", ("xs", "ys", "color")),
    Source("images", None, ("image", "x", "y", "dw", "dh")),
    Source("tree_hint", None, ("x", "y", "text")),
    Source("timeline_hint", None, ("x", "y", "text")),
    Source("images_hint", None, ("x", "y", "text")),
    Source("window", "dm-window", ("n", "generalization", "memorization")),
    Source("window_fit", None, ("n", "tau")),
    Source("losses", "dm-losses", ("xs", "ys", "n", "loss", "color", "dash")),
)


def timeline(p, results=None) -> dict:
    """The regimes of the backward timeline (noise, classes formed, collapsed: the exact
    score never collapses), t_S and the Gaussian t_C, and the phase diagram in (log n / d,
    t) with the current data's point. ``results``: a worker's ``timeline_steps`` (a
    large upload), with its t_C estimate."""
    stats = statistics(p, None if results is None else results[:2])
    n, d, _, v_bar, _, _ = stats
    t_s, t_c = characteristic_times(stats)
    if p.run_score == "exact":
        regimes = [("noise", _clip(t_s), T_MAX), ("no_collapse", T_MIN, _clip(t_s))]
    else:
        regimes = [("noise", _clip(t_s), T_MAX), ("speciation", _clip(t_c), _clip(t_s)),
                   ("collapsed", T_MIN, _clip(t_c))]
    rows = [(lo, hi, *REGIME_STYLE[name]) for name, lo, hi in regimes if hi > lo]
    # phase diagram: the collapse line of Gaussian data of the same average variance
    x = np.linspace(0.002, max(0.25, 3 * np.log(n) / d), PHASE_POINTS)
    collapse_line = np.clip(diffusion.collapse_time(n=np.exp(x * d), d=d, variance=v_bar),
                            T_MIN, T_MAX)
    speciation = np.full(x.size, _clip(t_s))
    return {
        "regimes": {"left": [r[1] for r in rows], "right": [r[0] for r in rows],
                    "bottom": [0] * len(rows), "top": [1.05] * len(rows),
                    "regime": [r[2] for r in rows], "color": [r[3] for r in rows]},
        "times": times(t_s, t_c, None if results is None else float(results[-1])),
        "phase": {"x": x, "collapse": collapse_line, "speciation": speciation,
                  "window": np.minimum(collapse_line, speciation)},
        "phase_point": {"x": [np.log(n) / d], "t": [max(t_c, T_MIN)]},
    }


def estimate_steps(p) -> list[Step]:
    """The excess-entropy estimate of t_C (~0.1-2 s), for a worker process: the mixture is
    drawn there."""
    if p.is_mixture:
        return [Step(diffusion.mixture_collapse_time_empirical, dict(
            d=int(p.d), n=int(p.n), separation=float(p.separation),
            variance=float(p.variance), seed=int(p.seed), samples=COLLAPSE_SAMPLES))]
    return [Step(diffusion.collapse_time_empirical,
                 dict(data=sample(p)[0], samples=COLLAPSE_SAMPLES, seed=0))]


def collapse_steps(p) -> list[Step]:
    """The estimate of t_C; none for a large upload, whose ``timeline_steps`` have it."""
    return [] if large_upload(p) else estimate_steps(p)


def collapse(p, results=None) -> dict:
    """The t_S and t_C marks with the excess-entropy estimate of t_C (``results``: a
    worker's ``collapse_steps``; computed here without)."""
    if results is None:
        results = run_steps(collapse_steps(p), lambda _: None, lambda: False)
    if not results:  # a large upload: the timeline's steps estimate t_C with its spectrum
        return {}
    return {"times": times(*characteristic_times(statistics(p)), float(results[-1]))}


def timeline_steps(p) -> list[Step]:
    """A large upload's spectrum and its t_C estimate, for a worker process (seconds)."""
    return [*statistics_steps(p), *estimate_steps(p)]


def backward_steps(p) -> list[Step]:
    """Backward trajectories of ``p`` (a simulation, for a worker process)."""
    options = dict(n_samples=int(p.n_samples), t_max=T_MAX, steps=STEPS)
    if p.is_mixture:
        return [Step(diffusion.mixture_backward, dict(
            d=int(p.d), n=int(p.n), separation=float(p.separation), variance=float(p.variance),
            seed=int(p.seed), score=p.run_score, **options), progress=True)]
    points, labels, _, _ = sample(p)
    return [Step(diffusion.simulate_backward, dict(data=points, labels=labels, score="empirical",
                                                   seed=int(p.seed), **options), progress=True)]


def backward_key(p):
    key = data_key(p)
    return None if key is None else (*key, int(p.n_samples), p.run_score)


def no_hint() -> dict:
    return {"x": [], "y": [], "text": []}


RUN_HINT = "Press “Run backward diffusion” to"


def no_backward(p) -> dict:
    """No backward run (yet): empty curves, and a one-line hint where they will be drawn."""
    what = "generate digits" if p.source == "digits" else "generate samples"
    return {"curves": {"t": [], "committed": [], "collapsed": []},
            "trajectories": {"xs": [], "ys": [], "color": []},
            "images": {k: [] for k in ("image", "x", "y", "dw", "dh")},
            "tree_hint": {"x": [float(np.sqrt(T_MAX * T_MIN))], "y": [0.0],
                          "text": [f"{RUN_HINT} draw trajectories"]},
            "timeline_hint": {"x": [float(np.sqrt(T_MAX * T_MIN))], "y": [0.5],
                              "text": [f"{RUN_HINT} count commitments"]},
            "images_hint": {"x": [IMAGES / 2], "y": [1.0], "text": [f"{RUN_HINT} {what}"]}}


def backward(p, results=None) -> dict:
    """The speciation and collapse curves, a few trajectories on the top principal direction
    and, for images, generated samples over their nearest training images, shown on the
    data's own scale, dark ink on white (``results``: a worker's ``backward_steps``)."""
    if results is None:
        results = run_steps(backward_steps(p), lambda _: None, lambda: False)
    run, = results
    t = np.maximum(run.t, T_MIN)
    kept = run.projection.shape[1]
    colors = [CLASS_COLORS[c % len(CLASS_COLORS)] if c >= 0 else GREY
              for c in run.final_class[:kept]]
    out = {"curves": {"t": t, "committed": run.committed, "collapsed": run.collapsed},
           "trajectories": {"xs": [t] * kept, "ys": [run.projection[:, j] for j in range(kept)],
                            "color": colors},
           "images": images(p, run), "tree_hint": no_hint(), "timeline_hint": no_hint(),
           "images_hint": no_hint()}
    return out


def images(p, run) -> dict:
    """Generated samples (top row) over their nearest training images (bottom row), as
    ink fractions 0 (paper) to 1 (ink) on the data's own pixel scale."""
    if p.is_mixture:
        return {k: [] for k in ("image", "x", "y", "dw", "dh")}
    points, _, shape, _ = sample(p)
    if shape is None:
        return {k: [] for k in ("image", "x", "y", "dw", "dh")}
    ds = dataset_of(p)
    h, w = shape
    pixels = ds.original(points)
    lo, hi = float(pixels.min()), float(pixels.max())
    picked = [(1, ds.original(v)) for v in run.samples[:IMAGES]]
    nearest = [(0, pixels[j]) for j in run.nearest[:IMAGES]]
    out = {k: [] for k in ("image", "x", "y", "dw", "dh")}
    for j, ((top, generated), (bottom, train)) in enumerate(zip(picked, nearest, strict=True)):
        for row, vec in ((top, generated), (bottom, train)):
            ink = np.clip((vec.reshape(h, w) - lo) / max(hi - lo, 1e-12), 0.0, 1.0)
            out["image"].append(ink[::-1])  # upright
            out["x"].append(j + 0.05)
            out["y"].append(row + 0.05)
            out["dw"].append(0.9)
            out["dh"].append(0.9)
    return out


def window_steps(p) -> list[Step]:
    """tau_gen and tau_mem of the random-features score for each n in WINDOW_N (a few
    seconds per n at p = 2048), for a worker process."""
    return [Step(diffusion.training_window, dict(
        n_values=WINDOW_N, d=WINDOW_D, features=int(p.train_features), t=float(p.train_t),
        separation=float(p.separation), variance=float(p.variance), seed=int(p.seed)),
        progress=True)]


def window_key(p):
    return value_key("window", *(getattr(p, name) for name in WINDOW_PARAMETERS))


def no_window(p) -> dict:
    return {"window": {"n": [], "generalization": [], "memorization": []},
            "window_fit": {"n": [], "tau": []},
            "losses": {k: [] for k in ("xs", "ys", "n", "loss", "color", "dash")}}


def window(p, results=None) -> dict:
    """The generalisation window against n, a guide proportional to n through the finite
    tau_mem, and the train and test losses in training time (``results``: a worker's
    ``window_steps``)."""
    if results is None:
        results = run_steps(window_steps(p), lambda _: None, lambda: False)
    result, = results
    finite = np.isfinite(result.memorization_time)
    tau_max = float(result.runs[0].tau[-1])
    out = no_window(p)
    out["window"] = {"n": result.n, "generalization": result.generalization_time,
                     "memorization": np.where(finite, result.memorization_time, tau_max)}
    if finite.any():  # the guide through the geometric mean of the finite tau_mem
        scale = float(np.exp(np.mean(np.log(result.memorization_time[finite]
                                            / result.n[finite]))))
        out["window_fit"] = {"n": result.n, "tau": scale * result.n}
    losses = out["losses"]
    for i, run in enumerate(result.runs):
        color = N_COLORS[min(i + 1, len(N_COLORS) - 1)]
        for kind, values, dash in (("test", run.test_loss, "solid"),
                                   ("train", run.train_loss, "dashed")):
            for column, value in (("xs", run.tau), ("ys", values), ("n", run.n),
                                  ("loss", f"n = {run.n}, {kind}"), ("color", color),
                                  ("dash", dash)):
                losses[column].append(value)
    return out


RECIPES = (
    Recipe("timeline", timeline, (*DATA_PARAMETERS, "score"), background=large_upload,
           steps=timeline_steps, label="covariance spectrum of the data"),
    Recipe("collapse", collapse, DATA_PARAMETERS, background=True, steps=collapse_steps,
           shared=COLLAPSE_TIMES, shared_key=data_key, when_shown=True,
           label="excess-entropy estimate of t_C"),
    # once per change of data or setting while a run is shown or under way (it is dropped),
    # else only when the hints change: nothing to send on a slider move
    Recipe("no_backward", no_backward, BACKWARD_PARAMETERS, script=False,
           key=lambda p: (p.source == "digits", p.is_mixture, p.has_run("backward"))),
    Recipe("no_window", no_window, WINDOW_PARAMETERS, script=False,
           key=lambda p: p.has_run("window")),
)
#: run on demand (a button, a preset), each a simulation in a worker process
SIMULATIONS = (
    Recipe("backward", backward, BACKWARD_PARAMETERS, steps=backward_steps,
           shared=SIMULATION_RESULTS, shared_key=backward_key, label="backward diffusion"),
    Recipe("window", window, WINDOW_PARAMETERS, steps=window_steps, shared=SIMULATION_RESULTS,
           shared_key=window_key, label="training window"),
)


def python_script(p: DiffusionParameters, shown: tuple[str, ...] = (),
                  figures: tuple[dict, ...] = ()) -> str:
    """The script of the current view: the timeline always, and the recipes named in
    ``shown`` whose results the page shows now (the t_C estimate, simulations); with
    ``figures``, run as a program it draws them (see ``recipes.python_script``)."""
    from . import python_script as script

    chosen = tuple(r for r in (*RECIPES, *SIMULATIONS)
                   if r.name == "timeline" or r.name in shown)
    text = script(p, __name__, chosen, title="Generative diffusion: speciation and collapse",
                  figures=figures, html="diffusion-view.html")
    if p.source == "upload":
        name = p.uploaded.name if getattr(p, "uploaded", None) is not None else "your_file.npy"
        text = text.replace("data = {}\n", (
            "from theory import data as datasets\n\n"
            "# the uploaded file: put it next to this script\n"
            f"with open({name!r}, 'rb') as f:\n"
            f"    p.uploaded = datasets.parse_file(f.read(), {name!r})\n"
            "data = {}\n"), 1)
    return text
