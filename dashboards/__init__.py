"""Panel explorers over the ``theory`` package: one ``pn.viewable.Viewer`` per model."""

from .diffusion import DiffusionExplorer
from .glm import GlmExplorer
from .online import OnlineExplorer
from .spiked import SpikedExplorer

__all__ = ["DiffusionExplorer", "GlmExplorer", "OnlineExplorer", "SpikedExplorer"]
