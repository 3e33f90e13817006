"""Panel explorers over the ``theory`` package: one ``pn.viewable.Viewer`` per model.

The explorers are imported on first use, so that a simulation worker process, which loads
``dashboards.processes`` only, never imports Panel.
"""

import importlib

_EXPLORERS = {
    "CapacityExplorer": "dashboards.capacity",
    "DiffusionExplorer": "dashboards.diffusion",
    "GlmExplorer": "dashboards.glm",
    "MultiIndexExplorer": "dashboards.multiindex",
    "OnlineExplorer": "dashboards.online",
    "ScalingExplorer": "dashboards.scaling",
    "SpikedExplorer": "dashboards.spiked",
}

__all__ = sorted(_EXPLORERS)


def __getattr__(name):
    if name in _EXPLORERS:
        return getattr(importlib.import_module(_EXPLORERS[name]), name)
    raise AttributeError(f"module 'dashboards' has no attribute {name!r}")


def __dir__():
    return [*globals(), *_EXPLORERS]
