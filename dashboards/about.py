"""The About section of the page."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import panel as pn


def _version() -> str:
    try:
        return version("learning-phases")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "development"


ABOUT = """
## learning-phases

Interactive explorers of **phase transitions in learning**, after the statistical physics of
machine learning (Krzakala, Zdeborová, Mézard, Biroli, Goldt and co-workers): thresholds where
estimation suddenly becomes possible, gaps between what is possible and what efficient
algorithms reach, metastable states.

Every curve is computed live by the `theory` package (numpy/scipy, importable without this
page): state evolution solved from an uninformed and an informed start, both branches kept,
the Bayes-optimal one chosen by free entropy, and every fixed point checked for convergence.
Finite-size simulations (AMP, GAMP, ERM fits, online SGD) run on the server in the background and
are drawn on top of the theory.

**Explorers**

* *Low-rank matrix estimation* — the spiked Wigner model: MMSE and overlap versus
  signal-to-noise ratio, the PCA (BBP) baseline, the free-entropy landscape, the phase diagram
  of sparse priors with its hard phase, finite-N AMP runs.
* *Teacher-student learning curves* — generalised linear models: Bayes-optimal and GAMP
  generalisation error of perceptrons, phase retrieval, compressed sensing and regression,
  their thresholds and hard phases, ridge regression and double descent, finite-size GAMP
  runs and ridge fits.
* *Online SGD dynamics* — two-layer networks learning a teacher online: the Saad-Solla ODEs,
  the plateau and the specialisation of hidden units, overlaps animated in time, the error
  reached versus learning rate, and finite-N SGD runs on top.
* *Diffusion models* — when a generated sample commits to a class (speciation) and when it
  falls onto a training point (collapse): closed forms, an excess-entropy estimate for any
  data, backward runs on mixtures, digits or your own file.
* *Storage capacity* — how many random patterns a perceptron stores: Gardner's capacity and
  margins, the overlap of solutions, Cover's count with linear-programming runs, binary
  weights (Krauth-Mézard), the errors above capacity and the injectivity of a ReLU layer.
* *Scaling laws* — kernel ridge regression on power-law spectra: learning curves with their
  bias and variance, the decay exponents and the crossover from the noiseless to the noisy
  regime, the exponent's phase diagram, and ridge fits on sampled features.
* *Multi-index models* — which directions of a multi-index teacher are learned from α d
  samples: trivial, easy and hard directions and staircases from the weak-recovery analysis,
  the committee machine's specialisation of hidden units and the hard phase of ±1 weights,
  with GAMP run on sampled instances.

**Offline by design.** Every script, style sheet and font is served by this server; the page
makes no request to any other host, so it works in a lecture hall without internet.

**Using it.** Move a slider: curves update at once. Click legend entries to hide curves; use
the toolbar to zoom, pan and save a PNG. The URL mirrors the controls and the open tab, so a
link reproduces the view.

Version {version}. BSD-3-Clause licence.
"""


def about_panel() -> pn.viewable.Viewable:
    return pn.pane.Markdown(ABOUT.format(version=_version()), sizing_mode="stretch_width",
                            max_width=900, margin=(10, 30))
