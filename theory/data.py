"""Data sets for the diffusion explorer: ones that ship inside installed packages, and
user files parsed safely (no pickle), standardised to mean 0 and average variance 1."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

from ._result import Frozen

__all__ = ["MAX_DIMENSION", "MAX_FILE_BYTES", "MAX_POINTS", "DataSet", "digits", "parse_file",
           "principal_side", "standardisation",
           "standardise"]

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_POINTS = 20_000
MAX_DIMENSION = 1024


@dataclass(frozen=True)
class DataSet(Frozen):
    """Points (n, d), standardised; class labels (from the data set, or the side of the top
    principal direction when there are none); ``image_shape`` for image data. The original
    values are ``points * scale + offset`` (``original``: images are shown on their own
    pixel scale). Read-only arrays; no status: a data set that cannot be read is refused
    with a ValueError."""

    name: str
    points: np.ndarray
    labels: np.ndarray
    image_shape: tuple[int, int] | None = None
    offset: np.ndarray | float = 0.0
    scale: float = 1.0

    def original(self, points) -> np.ndarray:
        """Standardised ``points`` (these or generated ones) back on the data's own scale."""
        return np.asarray(points) * self.scale + self.offset


def standardise(points: np.ndarray) -> np.ndarray:
    """Centre, and scale so that the average variance per dimension is 1."""
    offset, scale = standardisation(points)
    return (points - offset) / scale


def standardisation(points: np.ndarray) -> tuple[np.ndarray, float]:
    """The (offset, scale) of ``standardise``: its points are (points - offset) / scale."""
    offset = points.mean(axis=0)
    return offset, float(np.sqrt(max(float((points - offset).var(axis=0).mean()), 1e-300)))


def principal_side(points: np.ndarray) -> np.ndarray:
    """Two classes for unlabelled data: the sign of the projection on the top principal
    direction."""
    centred = points - points.mean(axis=0)
    if centred.shape[0] > centred.shape[1]:
        # the top eigenvector of the d x d scatter matrix: for 14,000 x 1,024 points about
        # 0.5 s, where an SVD of all the rows took 15 s
        top = np.linalg.eigh(centred.T @ centred)[1][:, -1]
    else:
        top = np.linalg.svd(centred, full_matrices=False)[2][0]
    projection = points @ top
    return (projection > np.median(projection)).astype(int)


def digits() -> DataSet:
    """scikit-learn's 8x8 handwritten digits (1797 images, shipped with the package)."""
    from sklearn.datasets import load_digits

    raw = load_digits()
    pixels = raw.data.astype(float)  # 0 (paper) to 16 (ink)
    offset, scale = standardisation(pixels)
    return DataSet(name="digits", points=(pixels - offset) / scale,
                   labels=raw.target.astype(int), image_shape=(8, 8), offset=offset,
                   scale=scale)


def parse_file(content: bytes, filename: str) -> DataSet:
    """A user file: ``.npy`` (numeric array, loaded without pickle) or ``.csv`` (numbers,
    comma separated, optional header line). Rows are points. Refuses what is not a finite
    2-d numeric array within the size limits."""
    if len(content) > MAX_FILE_BYTES:
        raise ValueError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB")
    name = filename.lower()
    if not name.endswith((".npy", ".csv")):
        raise ValueError("only .npy and .csv files are read")
    try:
        if name.endswith(".npy"):
            array = np.load(io.BytesIO(content), allow_pickle=False)
        else:
            text = content.decode("utf-8", errors="strict")
            lines = text.splitlines()
            skip = 0 if not lines else int(_is_header(lines[0]))
            array = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=skip, ndmin=2)
    except Exception as exc:  # a malformed file: say so, never crash
        raise ValueError(f"could not read {filename!r}: {exc}") from None
    if array.dtype.kind not in "biuf":
        raise ValueError("the file must hold numbers")
    array = np.asarray(array, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"the data must be a 2-d array (points x dimensions), got {array.ndim}-d")
    n, d = array.shape
    if n < 2 or d < 1:
        raise ValueError("the data need at least 2 points")
    if n > MAX_POINTS or d > MAX_DIMENSION:
        raise ValueError(f"at most {MAX_POINTS} points and {MAX_DIMENSION} dimensions, got "
                         f"{n} x {d}")
    if not np.all(np.isfinite(array)):
        raise ValueError("the data contain NaN or infinite values")
    with np.errstate(over="ignore", invalid="ignore"):
        variance = array.var(axis=0)
    if not np.all(np.isfinite(variance)):
        raise ValueError("the values are too large for their variance to be computed "
                         f"(largest |x| = {float(np.abs(array).max()):.3g}): rescale the data")
    if float(variance.max()) == 0.0:
        raise ValueError("the data are constant")
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        offset, scale = standardisation(array)
        points = (array - offset) / scale
        # standardised: average variance 1, unless the values were too small or too large
        finite = (bool(np.all(np.isfinite(points)))
                  and 0.5 < float(points.var(axis=0).mean()) < 2.0)
        # the spectrum the page shows: its top eigenvalue, once the points are standardised
        top = _top_eigenvalue(points) if finite else math.nan
    if not (finite and math.isfinite(top) and top > 0.0):
        raise ValueError("the data's covariance spectrum could not be computed (values too "
                         "large or too small to standardise): rescale the data")
    side = int(np.sqrt(d))
    shape = (side, side) if side * side == d and d >= 16 else None
    return DataSet(name=filename, points=points, labels=principal_side(points),
                   image_shape=shape, offset=offset, scale=scale)


def _top_eigenvalue(points: np.ndarray) -> float:
    """The largest eigenvalue of the sample covariance of ``points`` (n, d)."""
    centred = points - points.mean(axis=0)
    n, d = centred.shape
    if n > d:
        scatter = np.linalg.eigvalsh(centred.T @ centred)[-1]
    else:
        scatter = np.linalg.svd(centred, compute_uv=False)[0] ** 2
    return float(scatter) / (n - 1)


def _is_header(line: str) -> bool:
    try:
        [float(v) for v in line.split(",")]
    except ValueError:
        return True
    return False
