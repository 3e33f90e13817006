"""Panel explorers over the ``theory`` package: one ``pn.viewable.Viewer`` per model."""

from .spiked import SpikedExplorer

__all__ = ["SpikedExplorer"]
