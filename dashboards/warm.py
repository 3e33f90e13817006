"""Fill the theory caches that the first page views need, once per server process.

`panel serve --warm` runs app.py once before the server accepts connections; calling this
from there moves the slow one-off computations (phase diagrams, phase-retrieval tables)
out of the first visitors' sessions, where they would compete for the CPU.
"""

from __future__ import annotations

import gc
import threading
import time

import numpy as np
import panel as pn

from theory import channels, online, priors, spiked

from . import capacity as capacity_view
from . import diffusion as diffusion_view
from . import glm as glm_view
from . import online as online_view
from . import processes
from .base import solve_now
from .recipes import multiindex as multiindex_recipes
from .recipes import scaling as scaling_recipes
from .recipes import spiked as spiked_recipes

_lock = threading.Lock()
_done = False


def warm_caches() -> float:
    """Compute the caches (idempotent, thread-safe); returns the seconds spent."""
    global _done
    with _lock:
        if _done:
            return 0.0
        start = time.perf_counter()
        for family in spiked.SPARSE_FAMILIES:
            spiked_recipes.cached_phase_diagram(family)
        glm_view.cached_curve(priors.Gaussian(), channels.Abs(), 0.05, 3.0,
                              glm_view.CURVE_POINTS)
        # the default view's logistic-regression curve (binary perceptron, lam = 0.1)
        solve_now(*glm_view.recipes.erm_solve(glm_view.GlmParameters()))
        # the online-SGD view: its default curves, and the compiled kernels loaded once
        default = online_view.OnlineExplorer.param
        key = (default.K.default, default.M.default, default.N.default,
               default.init_scale.default, default.seed.default)
        online_view.cached_trajectory(*key, default.lr.default, default.noise.default,
                                      default.alpha_max.default, default.activation.default)
        sweep = (*key, default.noise.default, default.alpha_max.default,
                 default.activation.default, default.lr.bounds[1])
        solve_now(online_view.SWEEPS, sweep, online_view.sweep_steps(*sweep))
        for units in range(1, default.K.bounds[1] + 1):  # K = 8 alone takes 0.3 s
            for activation in default.activation.objects.values():
                online_view.cached_critical_rate(units, activation)
        online.simulate_sgd(K=2, M=2, N=100, lr=0.5, alphas=np.array([1.0]))
        diffusion_view.cached_digits()  # imports scikit-learn once (~1 s)
        # the capacity view's page-independent curves (the binary entropy: about 1 s)
        capacity_view.cached_binary()
        capacity_view.cached_injectivity()
        capacity_view.cached_margins()
        # the multi-index view's default curves (the committee's branch tables: ~1 s)
        multiindex_recipes.cached_weak_recovery("committee")
        multiindex_recipes.cached_eigenvalues("committee", "gaussian")
        multiindex_recipes.cached_committee("gaussian")
        # Everything alive now (modules, warmed caches: ~370 000 objects) lives as long as
        # the process. Panel runs a full garbage collection after each closed page, and
        # Python runs them as pages are built: they scanned all of it each time (~180 ms on
        # the event loop, a stalled slider for everyone), and scan only what came later
        # (~8 ms) once it is frozen. Forked --num-procs workers inherit the frozen set.
        gc.collect()
        gc.freeze()
        _done = True
        return time.perf_counter() - start


def _collect_young_generations() -> None:
    gc.collect(1)


def lighten_session_cleanup() -> None:
    """In a served app: after a page closes, collect the young generations only, not all.

    Panel runs a full garbage collection a few seconds after each closed page. It scans every
    live page (about 13 000 objects each: 12 pages ~50-150 ms, 24 pages ~120-350 ms on this
    machine, on the event loop) and so grows with the class and the page pool, stalling every
    slider as students come and go. Cycles left by closed pages are still collected: by
    these collections while they are young, and by the full collections that ``quiet.py``
    runs when the server pauses."""
    from panel.io import document

    if getattr(document, "_garbage_collect", None) is not _collect_young_generations:
        document._garbage_collect = _collect_young_generations


def start_background_work() -> None:
    """In a served page (not on import, not in tests): start the short-solve workers and
    queue the sliders' atlases, once per server process (again after a --num-procs fork).
    The atlases hold results on the grids of the sliders whose solves take tens of
    milliseconds, computed ahead by a short-solve worker."""
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        return
    processes.start_solve_workers()
    online_view.UNITS_ATLAS.fill()
    spiked_recipes.RHO_ATLAS.fill()
    glm_view.ATLAS.fill()
    capacity_view.KAPPA_ATLAS.fill()
    scaling_recipes.CURVE_ATLAS.fill()
