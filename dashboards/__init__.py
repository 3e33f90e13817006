"""Panel explorers over the ``theory`` package: one ``pn.viewable.Viewer`` per model."""

from .glm import GlmExplorer
from .spiked import SpikedExplorer

__all__ = ["GlmExplorer", "SpikedExplorer"]
