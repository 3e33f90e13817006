"""learning-phases theory: pure numpy/scipy solvers for phase transitions in learning."""

from . import priors, spiked
from .priors import GaussBernoulli, Gaussian, Prior, Rademacher, SparseRademacher, make_prior
from .spiked import AmpEnsemble, AmpRun, Branch, Curve, FixedPoint, Landscape, Thresholds

__all__ = [
    "AmpEnsemble",
    "AmpRun",
    "Branch",
    "Curve",
    "FixedPoint",
    "GaussBernoulli",
    "Gaussian",
    "Landscape",
    "Prior",
    "Rademacher",
    "SparseRademacher",
    "Thresholds",
    "make_prior",
    "priors",
    "spiked",
]
