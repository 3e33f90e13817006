"""Input checks shared by the solvers: clear ValueErrors that the dashboards show."""

from __future__ import annotations

import numpy as np

__all__ = ["check_init", "check_range"]


def check_range(values, name: str, low: float, high: float) -> np.ndarray:
    """``values`` as a float array (a copy: results keep it read-only without touching the
    caller's array), refused unless finite and within [low, high]."""
    arr = np.array(values, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    if np.any(arr < low) or np.any(arr > high):
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}]")
    return arr


def check_init(init: str) -> str:
    if init not in ("uninformed", "informed"):
        raise ValueError(f"init must be 'uninformed' or 'informed', got {init!r}")
    return init
