"""Panel explorers over the ``theory`` package: one ``pn.viewable.Viewer`` per model."""

from .glm import GlmExplorer
from .online import OnlineExplorer
from .spiked import SpikedExplorer

__all__ = ["GlmExplorer", "OnlineExplorer", "SpikedExplorer"]
