"""learning-phases theory: pure numpy/scipy solvers for phase transitions in learning.

``theory.sweep`` (Dask sweeps and their on-disk cache) is imported on its own:
``from theory import sweep``."""

from . import channels, diffusion, erm, glm, online, priors, spiked
from .channels import Abs, Channel, Linear, Sign
from .diffusion import BackwardRun, MixtureData
from .glm import GampRun, GlmBranch, GlmCurve, GlmFixedPoint, GlmThresholds
from .online import Plateau, SymmetricFixedPoint, Trajectory
from .priors import GaussBernoulli, Gaussian, Prior, Rademacher, SparseRademacher, make_prior
from .spiked import AmpEnsemble, AmpRun, Branch, Curve, FixedPoint, Landscape, Thresholds

__all__ = [
    "Abs",
    "AmpEnsemble",
    "AmpRun",
    "BackwardRun",
    "Branch",
    "Channel",
    "Curve",
    "FixedPoint",
    "GampRun",
    "GaussBernoulli",
    "Gaussian",
    "GlmBranch",
    "GlmCurve",
    "GlmFixedPoint",
    "GlmThresholds",
    "Landscape",
    "Linear",
    "MixtureData",
    "Plateau",
    "Prior",
    "Rademacher",
    "Sign",
    "SparseRademacher",
    "SymmetricFixedPoint",
    "Thresholds",
    "Trajectory",
    "channels",
    "diffusion",
    "erm",
    "glm",
    "make_prior",
    "online",
    "priors",
    "spiked",
]
