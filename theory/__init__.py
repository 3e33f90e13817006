"""learning-phases theory: pure numpy/scipy solvers for phase transitions in learning.

Every solver returns a frozen result with read-only arrays and a ``status`` (a ``Status``, or
an array of them when vectorised) that says whether it converged, did not, diverged or was
asked for something out of its range; ``converged`` is derived from it.

``theory.sweep`` (Dask sweeps and their on-disk cache) is imported on its own:
``from theory import sweep``."""

from . import (
    capacity,
    channels,
    data,
    diffusion,
    erm,
    glm,
    multiindex,
    online,
    priors,
    scaling,
    spiked,
)
from ._result import Status
from ._state_evolution import Branch, Curve, FixedPoint, Landscape
from .capacity import (
    BinaryCapacity,
    BinaryEntropy,
    GardnerCapacity,
    InjectivityThreshold,
    MarginSimulation,
    MaxMargin,
    MinErrorFraction,
    OverlapCurve,
    SeparabilitySimulation,
)
from .channels import Abs, Channel, Linear, Sign
from .diffusion import BackwardRun, MixtureData, ScoreTraining, TrainingWindow
from .erm import (
    LogisticCurve,
    LogisticSimulation,
    RandomFeaturesCurve,
    RandomFeaturesSimulation,
    RidgeCurve,
    RidgeSimulation,
)
from .glm import GampRun, GlmBranch, GlmCurve, GlmFixedPoint, GlmLandscape, GlmThresholds
from .multiindex import (
    CommitteeBranch,
    CommitteeCurve,
    CommitteeFixedPoint,
    CommitteeThresholds,
    EigenvalueCurve,
    IsotropicCurve,
    MultiIndexGampRun,
    SignPairCurve,
    StaircaseCurve,
    StaircaseStep,
    WeakRecovery,
)
from .online import Plateau, SymmetricFixedPoint, Trajectory
from .priors import GaussBernoulli, Gaussian, Prior, Rademacher, SparseRademacher, make_prior
from .scaling import (
    CrossoverSamples,
    DecayExponent,
    LearningCurve,
    OptimalRidge,
    ScalingSimulation,
)
from .spiked import AmpEnsemble, AmpRun, PhaseDiagram, Thresholds

__all__ = [
    "Abs",
    "AmpEnsemble",
    "AmpRun",
    "BackwardRun",
    "BinaryCapacity",
    "BinaryEntropy",
    "Branch",
    "Channel",
    "CommitteeBranch",
    "CommitteeCurve",
    "CommitteeFixedPoint",
    "CommitteeThresholds",
    "CrossoverSamples",
    "Curve",
    "DecayExponent",
    "EigenvalueCurve",
    "FixedPoint",
    "GampRun",
    "GardnerCapacity",
    "GaussBernoulli",
    "Gaussian",
    # the GLM names of the shared state-evolution results (aliases of Branch, Curve, ...)
    "GlmBranch",
    "GlmCurve",
    "GlmFixedPoint",
    "GlmLandscape",
    "GlmThresholds",
    "InjectivityThreshold",
    "IsotropicCurve",
    "Landscape",
    "LearningCurve",
    "Linear",
    "LogisticCurve",
    "LogisticSimulation",
    "MarginSimulation",
    "MaxMargin",
    "MinErrorFraction",
    "MixtureData",
    "MultiIndexGampRun",
    "OptimalRidge",
    "OverlapCurve",
    "PhaseDiagram",
    "Plateau",
    "Prior",
    "Rademacher",
    "RandomFeaturesCurve",
    "RandomFeaturesSimulation",
    "RidgeCurve",
    "RidgeSimulation",
    "ScalingSimulation",
    "ScoreTraining",
    "SeparabilitySimulation",
    "Sign",
    "SignPairCurve",
    "SparseRademacher",
    "StaircaseCurve",
    "StaircaseStep",
    "Status",
    "SymmetricFixedPoint",
    "Thresholds",
    "TrainingWindow",
    "Trajectory",
    "WeakRecovery",
    "capacity",
    "channels",
    "data",
    "diffusion",
    "erm",
    "glm",
    "make_prior",
    "multiindex",
    "online",
    "priors",
    "scaling",
    "spiked",
]
