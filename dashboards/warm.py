"""Fill the theory caches that the first page views need, once per server process.

`panel serve --warm` runs app.py once before the server accepts connections; calling this
from there moves the slow one-off computations (phase diagrams, phase-retrieval tables)
out of the first visitors' sessions, where they would compete for the CPU.
"""

from __future__ import annotations

import threading
import time

from theory import channels, priors, spiked

from . import glm as glm_view
from . import spiked as spiked_view

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
            spiked_view.cached_phase_diagram(family)
        glm_view.cached_curve(priors.Gaussian(), channels.Abs(), 0.05, 3.0,
                              glm_view.CURVE_POINTS)
        # the default view's logistic-regression curve (binary perceptron, lam = 0.1)
        glm_view.cached_logistic(0.05, 3.0, glm_view.LOGISTIC_POINTS, 0.1, 0.0)
        _done = True
        return time.perf_counter() - start
