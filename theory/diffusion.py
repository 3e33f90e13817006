r"""Generative diffusion: speciation and collapse times, backward runs with the empirical score.

After Biroli, Bonnaire, de Bortoli, Mezard 2024, "Dynamical regimes of diffusion models",
Nature Communications 15, 9957, arXiv:2402.18491. Forward Ornstein-Uhlenbeck process
dx = -x dt + sqrt(2) dB, so x_t = e^{-t} x_0 + sqrt(Delta_t) z, Delta_t = 1 - e^{-2t}; data in
dimension d, n training points a_mu. Running the process backwards from noise,

* speciation, t_S = 1/2 log Lambda (Lambda the largest eigenvalue of the data covariance):
  above it the noised distribution is one blob, below it the classes separate and each
  trajectory commits to one;
* collapse, t_C: with the empirical score (the exact score of the noised empirical
  distribution) trajectories fall onto the training points below t_C. For Gaussian data of
  variance v the entropy of the noised empirical mixture, log n + d/2 log(2 pi e Delta_t),
  meets that of the noised population, d/2 log(2 pi e (v e^{-2t} + Delta_t)), at
  log n / d = 1/2 log((v e^{-2t} + Delta_t) / Delta_t).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ._result import Frozen, Result, Status, from_flags, statuses
from ._validate import check_range

__all__ = [
    "COLLAPSE_EXCESS",
    "CONFIDENT",
    "EQUATIONS",
    "MAX_D",
    "MAX_FEATURES",
    "MAX_N",
    "MAX_SAMPLES",
    "MAX_STEPS",
    "MAX_TRAIN_N",
    "MAX_WORK",
    "REFERENCES",
    "WINDOW",
    "BackwardRun",
    "MixtureData",
    "ScoreTraining",
    "Status",
    "TrainingWindow",
    "collapse_time",
    "collapse_time_empirical",
    "covariance_spectrum",
    "crossing_time",
    "delta",
    "excess_entropy",
    "gaussian_mixture",
    "mixture_backward",
    "mixture_collapse_time_empirical",
    "mixture_statistics",
    "score_training",
    "simulate_backward",
    "speciation_time",
    "time_grid",
    "training_window",
]

EQUATIONS = {
    "forward": r"x_t = e^{-t} x_0 + \sqrt{\Delta_t}\, z,\qquad \Delta_t = 1 - e^{-2t}",
    "backward": r"-dx = \big[x + 2\nabla \log P_t(x)\big]\,dt + \sqrt{2}\, dB",
    "empirical_score": r"\nabla \log P^e_t(x) = \frac{\sum_\mu w_\mu(x)\, e^{-t} a_\mu - x}"
                       r"{\Delta_t},\quad w_\mu \propto e^{-|x - e^{-t}a_\mu|^2 / 2\Delta_t}",
    "speciation": r"t_S = \tfrac12 \log \Lambda",
    "collapse": r"\frac{\log n}{d} = \frac12 \log\frac{v e^{-2t_C} + \Delta_{t_C}}"
                r"{\Delta_{t_C}}",
    "excess_entropy": r"S_{\rm sep}(t) - S^e(t) = \mathbb{E}\big[-\log w_{\mu}(x_t)\big],\quad "
                      r"S_{\rm sep} = \log n + \tfrac d2 \log(2\pi e \Delta_t)",
}
REFERENCES = (
    "G. Biroli, T. Bonnaire, V. de Bortoli, M. Mézard, Dynamical regimes of diffusion models, "
    "Nat. Commun. 15, 9957 (2024), arXiv:2402.18491",
    "T. Bonnaire, R. Urfin, G. Biroli, M. Mézard, Why diffusion models don't memorize: the "
    "role of implicit dynamical regularization in training (2025), arXiv:2505.17638",
    "G. Biroli, M. Mézard, Generative diffusion in very large dimensions, J. Stat. Mech. "
    "093402 (2023), arXiv:2306.03518",
)

MAX_D = 4096
MAX_N = 20_000
MAX_SAMPLES = 5000
MAX_STEPS = 5000
MAX_WORK = 4e10  # samples x n x d x steps: the empirical score's cost, ~1 minute here
#: a sample whose own training point carries, in geometric mean, half of the posterior
#: weight (excess entropy log 2) has collapsed onto it
COLLAPSE_EXCESS = np.log(2.0)
#: a trajectory has chosen a class once that class's posterior exceeds this
CONFIDENT = 0.9


def delta(t):
    """The noise variance Delta_t = 1 - e^{-2t} of the forward process."""
    return -np.expm1(-2.0 * np.asarray(t, dtype=float))


def speciation_time(*, covariance=None, eigenvalues=None) -> float:
    """t_S = 1/2 log Lambda, Lambda the largest eigenvalue of the data covariance (given
    as the matrix or its eigenvalues). -inf... is refused: Lambda must be positive."""
    if (covariance is None) == (eigenvalues is None):
        raise ValueError("give exactly one of covariance= or eigenvalues=")
    if covariance is not None:
        cov = np.asarray(covariance, dtype=float)
        if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or not np.all(np.isfinite(cov)):
            raise ValueError("covariance must be a finite square matrix")
        eigenvalues = np.linalg.eigvalsh(0.5 * (cov + cov.T))
    values = np.asarray(eigenvalues, dtype=float)
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError("eigenvalues must be finite and non-empty")
    top = float(values.max())
    if top <= 0:
        raise ValueError("the largest eigenvalue must be positive")
    return 0.5 * np.log(top)


def covariance_spectrum(data) -> np.ndarray:
    """Eigenvalues of the sample covariance of ``data`` (n, d), largest first."""
    data = _check_data(data)
    if data.shape[0] < 2:
        raise ValueError("the covariance needs at least 2 points")
    centred = data - data.mean(axis=0)
    # through the singular values: cheaper than forming the d x d matrix when n < d
    singular = np.linalg.svd(centred, compute_uv=False)
    values = np.zeros(data.shape[1])
    values[:singular.size] = singular**2 / (data.shape[0] - 1)
    return values


def collapse_time(*, n, d, variance=1.0):
    """The collapse time of Gaussian data (variance ``variance`` per dimension) with n
    training points in dimension d: the root of log n / d = 1/2 log((v e^{-2t} + Delta_t) /
    Delta_t), i.e. t_C = 1/2 log((v + r - 1) / (r - 1)), r = n^{2/d}. Vectorised."""
    n = check_range(n, "n", 1.0, np.inf)
    d = check_range(d, "d", 1.0, np.inf)
    variance = check_range(variance, "variance", 1e-12, np.inf)
    excess = np.expm1(2.0 * np.log(n) / d)  # r - 1
    with np.errstate(divide="ignore"):
        return 0.5 * np.log1p(variance / excess)  # inf for a single point (it is memorised)


@dataclass(frozen=True)
class MixtureData(Frozen):
    """Two Gaussian classes +-mu with isotropic variance: sampled points, labels (0 / 1),
    and the generating parameters (for the exact score and the exact t_S)."""

    points: np.ndarray
    labels: np.ndarray
    mean: np.ndarray
    variance: float

    @property
    def top_eigenvalue(self) -> float:
        """Lambda of the population covariance variance I + mu mu^T."""
        return float(self.variance + self.mean @ self.mean)


def gaussian_mixture(*, d: int, n: int, separation: float = 2.0, variance: float = 1.0,
                     seed: int = 0) -> MixtureData:
    """n points in dimension d from 1/2 N(mu, v I) + 1/2 N(-mu, v I), |mu| = ``separation``."""
    d, n = _check_size(d, "d", MAX_D), _check_size(n, "n", MAX_N)
    separation = float(check_range(separation, "separation", 0.0, 1e3))
    variance = float(check_range(variance, "variance", 1e-6, 1e3))
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal(d)
    mean = separation * direction / np.linalg.norm(direction)
    labels = rng.integers(0, 2, n)
    points = np.sqrt(variance) * rng.standard_normal((n, d)) + np.where(labels[:, None] == 1,
                                                                         mean, -mean)
    return MixtureData(points=points, labels=labels, mean=mean, variance=variance)


def mixture_statistics(*, d: int, separation: float, variance: float) -> tuple[float, float]:
    """(Lambda, v_bar) of the population of ``gaussian_mixture``: the top eigenvalue of its
    covariance v I + mu mu^T, v + |mu|^2, and its variance per dimension, v + |mu|^2 / d.
    What t_S and the Gaussian t_C need, without drawing a single point."""
    d = _check_size(d, "d", MAX_D)
    separation = float(check_range(separation, "separation", 0.0, 1e3))
    variance = float(check_range(variance, "variance", 1e-6, 1e3))
    return variance + separation**2, variance + separation**2 / d


def mixture_collapse_time_empirical(*, d: int, n: int, separation: float = 2.0,
                                    variance: float = 1.0, seed: int = 0,
                                    samples: int = 500) -> float:
    """``collapse_time_empirical`` of ``gaussian_mixture(d, n, separation, variance, seed)``:
    the data are drawn where the estimate runs (e.g. a worker process), not sent to it."""
    mixture = gaussian_mixture(d=d, n=n, separation=separation, variance=variance, seed=seed)
    return collapse_time_empirical(data=mixture.points, samples=samples, seed=0)


def mixture_backward(*, d: int, n: int, separation: float = 2.0, variance: float = 1.0,
                     seed: int = 0, score: str = "empirical", **options) -> BackwardRun:
    """``simulate_backward`` on ``gaussian_mixture(d, n, separation, variance, seed)`` with
    its labels (and, for ``score="exact"``, its exact score): the data are drawn where the
    simulation runs (e.g. a worker process), not sent to it. ``options`` go to
    ``simulate_backward`` (``seed`` is also its noise seed)."""
    mixture = gaussian_mixture(d=d, n=n, separation=separation, variance=variance, seed=seed)
    return simulate_backward(data=mixture.points, labels=mixture.labels, score=score,
                             mixture=mixture, seed=seed, **options)


def _check_size(value, name, high):
    if int(value) != value or not 1 <= value <= high:
        raise ValueError(f"{name} must be an integer in [1, {high}], got {value!r}")
    return int(value)


def _check_data(data):
    data = np.asarray(data, dtype=float)
    if data.ndim != 2 or data.shape[0] < 1 or data.shape[1] < 1:
        raise ValueError("data must be an (n, d) array")
    if data.shape[0] > MAX_N or data.shape[1] > MAX_D:
        raise ValueError(f"data may have at most {MAX_N} points and {MAX_D} dimensions")
    if not np.all(np.isfinite(data)):
        raise ValueError("data must be finite")
    return data


def _posterior(x, centres, var, chunk=1024):
    """Posterior weights w_mu(x) over the training points (rows of ``centres``) of the
    isotropic mixture sum_mu N(x; centre_mu, var), for each row of x: (m, n), computed in
    chunks of x so that m x n x d never sits in memory at once. In single precision while
    var > 0.01, where the logits' rounding (~1e-7 |x||c| / var) stays far below 1e-2."""
    if var > 1e-2:
        x, centres = x.astype(np.float32), centres.astype(np.float32)
    out = np.empty((x.shape[0], centres.shape[0]), dtype=x.dtype)
    c2 = 0.5 * np.einsum("nd,nd->n", centres, centres)
    chunk = max(16, min(chunk, int(4e6 // centres.shape[0])))
    for start in range(0, x.shape[0], chunk):
        block = out[start:start + chunk]
        # -|x - c|^2 / 2 var, up to a term constant in mu
        np.matmul(x[start:start + chunk], centres.T, out=block)
        block -= c2[None, :]
        block /= var
        block -= block.max(axis=1, keepdims=True)
        np.exp(block, out=block)
        block /= block.sum(axis=1, keepdims=True)
    return out


class _ExcessEntropy:
    """t -> the excess entropy of ``data``'s noised empirical distribution, for one Monte
    Carlo draw (``samples`` noised points). The logits (x_t . e^{-t} a_nu - e^{-2t}
    |a_nu|^2 / 2) / Delta_t are, for every t, one combination of two t-independent overlaps,
    a_mu . a_nu - |a_nu|^2 / 2 and z . a_nu: they are computed once (kept while they fit in
    ``KEEP`` numbers) and every time costs one pass over samples x n."""

    KEEP = 4e6
    CHUNK = 2e6

    def __init__(self, data, samples: int, seed: int):
        n, d = data.shape
        if float(samples) * n * d > MAX_WORK:
            raise ValueError(f"samples x n x d exceeds the limit of {MAX_WORK:.3g}")
        rng = np.random.default_rng(seed)
        self.data, self.samples = data, samples
        self.own = rng.integers(0, n, samples)
        self.z = rng.standard_normal((samples, d))
        self.half_norms = 0.5 * np.einsum("nd,nd->n", data, data)
        self.chunk = max(1, int(self.CHUNK // n))
        self.kept = (list(self._overlaps()) if float(samples) * n <= self.KEEP else None)

    def release(self) -> None:
        """Let go of the data and the overlaps (whatever still refers to this object)."""
        self.data = self.kept = self.z = self.half_norms = None

    def _overlaps(self):
        for begin in range(0, self.samples, self.chunk):
            mine = self.own[begin:begin + self.chunk]
            yield (mine, self.data[mine] @ self.data.T - self.half_norms,
                   self.z[begin:begin + self.chunk] @ self.data.T)

    def __call__(self, times) -> np.ndarray:
        times = np.atleast_1d(np.asarray(times, dtype=float)).ravel()
        decay, var = np.exp(-times), delta(times)
        total = np.zeros(times.size)
        for mine, own_overlap, noise_overlap in (self.kept or self._overlaps()):
            rows = np.arange(mine.size)
            for k in range(times.size):
                logits = (decay[k] ** 2 / var[k]) * own_overlap
                logits += (decay[k] / np.sqrt(var[k])) * noise_overlap
                own_logit = logits[rows, mine]
                top = logits.max(axis=1)
                logits -= top[:, None]
                np.exp(logits, out=logits)
                total[k] += float(np.sum(top + np.log(logits.sum(axis=1)) - own_logit))
        return total / self.samples


def excess_entropy(*, data, t, samples: int = 500, seed: int = 0):
    """The excess entropy S_sep(t) - S^e(t) = E[-log w_mu(x_t)] of the noised empirical
    distribution, x_t = e^{-t} a_mu + sqrt(Delta_t) z with mu uniform (Monte Carlo over
    ``samples`` draws; vectorised over the times ``t``). Zero when every noised point is
    told apart from all other training points (collapse), growing like d once they mix."""
    data = _check_data(data)
    t = check_range(t, "t", 1e-9, 50.0)
    samples = _check_size(samples, "samples", 10**6)
    n, d = data.shape
    if float(samples) * n * d * np.size(t) > MAX_WORK:
        raise ValueError(f"samples x n x d x len(t) exceeds the limit of {MAX_WORK:.3g}")
    return _ExcessEntropy(data, samples, seed)(t).reshape(np.shape(t))


def collapse_time_empirical(*, data, samples: int = 500, seed: int = 0, t_max: float = 10.0):
    """The collapse time of any data set: the time at which the excess entropy of its
    noised empirical distribution reaches log 2 (a noised point's own training point keeps,
    in geometric mean, half of the posterior weight). It tends to t_C of the entropy
    criterion as d grows; NaN if the excess stays below log 2 up to ``t_max``."""
    data = _check_data(data)
    samples = _check_size(samples, "samples", 10**6)
    t_max = float(check_range(t_max, "t_max", 1e-3, 50.0))
    if data.shape[0] == 1:
        return np.inf
    excess = _ExcessEntropy(data, samples, seed)  # one draw for the whole root search

    def f(log_t):
        return float(excess(np.exp(log_t))[0]) - COLLAPSE_EXCESS

    grid = np.linspace(np.log(1e-4), np.log(t_max), 25)
    values = excess(np.exp(grid)) - COLLAPSE_EXCESS
    above = np.flatnonzero(values > 0)
    if above.size == 0:
        return np.nan
    i = above[0]
    if i == 0:
        return float(np.exp(grid[0]))
    try:
        return float(np.exp(optimize.brentq(f, grid[i - 1], grid[i], xtol=1e-6)))
    finally:
        # scipy's brentq leaves a reference cycle through ``f`` (its NaN-checking wrapper
        # refers to itself): the overlaps and the data would live until the next full
        # garbage collection, which in a worker process may be hundreds of megabytes later
        excess.release()


@dataclass(frozen=True)
class BackwardRun(Result):
    """Diagnostics of backward trajectories over the time grid ``t`` (decreasing from
    t_max to 0): ``committed[i]`` is the fraction of trajectories whose class no longer
    changes from t[i] down to 0, a class being chosen once its posterior exceeds
    ``CONFIDENT`` (speciation curve), ``collapsed[i]`` the fraction that sit
    on the training point they end on from t[i] down to 0 (collapse curve; only trajectories
    that end within ``radius`` of a training point count). ``projection`` holds the
    trajectories of the first ``kept`` samples projected on the top principal direction.

    ``status``: diverged when a sample stopped being finite (the run stops there; its
    projections are kept up to that step, its curves are NaN), not converged when the time
    grid is too coarse for Euler-Maruyama to be stable: a step with
    1 + dt - 2 dt / Delta_t <= -1 amplifies, instead of damping, the distance to a training
    point (in the collapse) or to the origin (dt > 2 early on); more ``steps`` are needed."""

    t: np.ndarray
    committed: np.ndarray
    collapsed: np.ndarray
    final_collapsed: float
    final_class: np.ndarray
    projection: np.ndarray
    samples: np.ndarray
    nearest: np.ndarray
    score: str
    status: Status


def time_grid(t_max: float, steps: int, t_min: float = 5e-5) -> np.ndarray:
    """``steps`` times from t_max down to t_min, uniform in s(t) = t + 1/2 log Delta_t:
    uniform in t where t is large (speciation) and in log t where it is small (collapse)."""
    dense = np.geomspace(t_min, t_max, 4000)
    s_of = dense + 0.5 * np.log(delta(dense))
    s = np.linspace(s_of[-1], s_of[0], steps)
    return np.interp(s, s_of, dense)


def _class_posterior(x, t, mixture):
    """P(class 1 | x_t) under the noised two-class mixture (the exact score's model)."""
    decay, var = np.exp(-t), float(delta(t))
    spread = mixture.variance * decay**2 + var
    field = 2.0 * decay * (x @ mixture.mean) / spread
    return 0.5 * (1.0 + np.tanh(0.5 * field))


def simulate_backward(*, data, labels=None, n_samples: int = 200, t_max: float = 5.0,
                      steps: int = 200, score: str = "empirical",
                      mixture: MixtureData | None = None, seed: int = 0, radius: float = 0.1,
                      kept: int = 20, progress=None) -> BackwardRun:
    """Run the backward SDE from N(0, I) at t_max to t = 0 (Euler-Maruyama on ``time_grid``,
    which resolves both ends), with the empirical score (softmax over the
    training points, chunked) or, for a ``gaussian_mixture`` passed as ``mixture``, its exact
    score. Returns the speciation and collapse curves and a few projected trajectories.

    ``radius``: a trajectory has collapsed if its end point lies within radius * sqrt(d *
    mean variance) of a training point. ``progress(done, total)`` after each step."""
    data = _check_data(data)
    n, d = data.shape
    if score not in ("empirical", "exact"):
        raise ValueError(f"score must be 'empirical' or 'exact', got {score!r}")
    if score == "exact" and mixture is None:
        raise ValueError("the exact score needs the generating mixture (mixture=...)")
    n_samples = _check_size(n_samples, "n_samples", MAX_SAMPLES)
    steps = _check_size(steps, "steps", MAX_STEPS)
    t_max = float(check_range(t_max, "t_max", 0.05, 20.0))
    if score == "empirical" and float(n_samples) * n * d * steps > MAX_WORK:
        raise ValueError(f"n_samples x n x d x steps = {n_samples * n * d * steps:.3g} exceeds "
                         f"the limit of {MAX_WORK:.3g}; lower one of them")
    labels = np.zeros(n, int) if labels is None else np.asarray(labels).astype(int)
    if labels.shape != (n,):
        raise ValueError("labels must have one entry per data point")
    if labels.min() < 0 or labels.max() > 100:
        raise ValueError("labels must be class indices in [0, 100]")
    onehot = np.eye(labels.max() + 1)[labels]
    rng = np.random.default_rng(seed)
    t = np.concatenate([time_grid(t_max, steps), [0.0]])
    center = data.mean(axis=0)
    _, _, vt = np.linalg.svd(data - center, full_matrices=False)
    direction = vt[0]
    x = rng.standard_normal((n_samples, d))
    keep = min(kept, n_samples)
    projection = np.empty((t.size, keep))
    classes = np.empty((t.size, n_samples), int)
    owner = np.empty((t.size, n_samples), int)  # the dominant training point
    owner_weight = np.empty((t.size, n_samples))

    def step_diagnostics(i, x, ti):
        """Record the diagnostics at t[i]; returns the posterior weights over the training
        points (reused by the empirical score)."""
        decay, var = np.exp(-ti), float(delta(ti))
        projection[i] = (x[:keep] - center * decay) @ direction
        w = _posterior(x, decay * data, var)
        owner[i] = np.argmax(w, axis=1)
        owner_weight[i] = w[np.arange(w.shape[0]), owner[i]]
        if mixture is not None:
            p1 = _class_posterior(x, ti, mixture)
            probs = np.column_stack([1.0 - p1, p1])
        else:
            probs = w @ onehot.astype(w.dtype)
        # a class is chosen once its posterior is confident; undecided (-1) before
        best = np.argmax(probs, axis=1)
        classes[i] = np.where(probs[np.arange(best.size), best] > CONFIDENT, best, -1)
        return w

    def score_at(x, ti, w):
        decay, var = np.exp(-ti), float(delta(ti))
        if score == "exact":
            spread = mixture.variance * decay**2 + var
            field = decay * (x @ mixture.mean) / spread
            pull = np.tanh(field)[:, None] * (decay * mixture.mean)[None, :]
            return (pull - x) / spread
        return (decay * (w @ data_w(w)) - x) / var

    def data_w(w):
        return data32 if w.dtype == np.float32 else data

    data32 = data.astype(np.float32)
    diverged_at = None
    for i in range(t.size - 1):
        w = step_diagnostics(i, x, t[i])
        dt = t[i] - t[i + 1]
        with np.errstate(over="ignore", invalid="ignore"):
            drift = x + 2.0 * score_at(x, t[i], w)
            x = x + drift * dt + np.sqrt(2.0 * dt) * rng.standard_normal(x.shape)
        if progress is not None:
            progress(i + 1, t.size - 1)
        if not np.all(np.isfinite(x)):
            diverged_at = i + 1
            break
    if diverged_at is not None:
        return _diverged_run(t, diverged_at, projection, x, score)
    # Euler's factor on the distance to a training point, 1 + dt - 2 dt / Delta_t: unstable
    # at or below -1
    dts = t[:-1] - t[1:]
    coarse = bool(np.any(1.0 + dts - 2.0 * dts / delta(t[:-1]) <= -1.0))
    # at t = 0: the nearest training point and the class of the end point
    projection[-1] = (x[:keep] - center) @ direction
    c2 = np.einsum("nd,nd->n", data, data)
    owner[-1] = np.argmin(c2[None, :] - 2.0 * (x @ data.T), axis=1)
    owner_weight[-1] = 1.0
    classes[-1] = (x @ mixture.mean > 0) if mixture is not None else labels[owner[-1]]

    final_class = classes[-1]
    same_class = classes == final_class[None, :]
    # committed from t[i] on: the class equals the final one at every later grid time
    committed_from = np.flip(np.cumprod(np.flip(same_class, axis=0), axis=0), axis=0)
    scale = np.sqrt(d * max(float(data.var(axis=0).mean()), 1e-12))
    end_distance = np.sqrt(((x - data[owner[-1]]) ** 2).sum(axis=1))
    on_point = end_distance < radius * scale
    sits = (owner == owner[-1][None, :]) & (owner_weight > 0.5)
    sits_from = np.flip(np.cumprod(np.flip(sits, axis=0), axis=0), axis=0) & on_point[None, :]
    return BackwardRun(t=t, committed=committed_from.mean(axis=1),
                       collapsed=sits_from.mean(axis=1), final_collapsed=float(on_point.mean()),
                       final_class=final_class, projection=projection, samples=x,
                       nearest=owner[-1], score=score,
                       status=Status.NOT_CONVERGED if coarse else Status.CONVERGED)


def _diverged_run(t, steps_done, projection, x, score) -> BackwardRun:
    """What a backward run that blew up after ``steps_done`` steps can still say: its
    projections up to there (NaN afterwards); its curves, which need the end points, NaN;
    final classes and nearest points -1."""
    projection = projection.copy()
    projection[steps_done:] = np.nan
    curve = np.full(t.size, np.nan)
    return BackwardRun(t=t, committed=curve, collapsed=curve.copy(), final_collapsed=np.nan,
                       final_class=np.full(x.shape[0], -1), projection=projection,
                       samples=x, nearest=np.full(x.shape[0], -1), score=score,
                       status=Status.DIVERGED)


def crossing_time(run: BackwardRun, curve: str = "committed", level: float = 0.5) -> float:
    """The time at which a backward run's speciation (``committed``) or collapse curve first
    reaches ``level`` of its final value, interpolated; NaN if it never does."""
    values = getattr(run, curve)
    final = values[-1]
    if not final > 0:
        return np.nan
    target = level * final
    above = np.flatnonzero(values >= target)
    if above.size == 0:
        return np.nan
    i = above[0]
    if i == 0:
        return float(run.t[0])
    # values rise as t decreases; interpolate in t between grid points i-1 and i
    v0, v1 = values[i - 1], values[i]
    frac = (target - v0) / (v1 - v0) if v1 != v0 else 1.0
    return float(run.t[i - 1] + frac * (run.t[i] - run.t[i - 1]))


# ---------------------------------------------------------------------------------------
# Memorisation in training time: a random-features score trained by gradient flow
# ---------------------------------------------------------------------------------------
#: features of the score model and training points it may see (p x p eigenproblems)
MAX_FEATURES = 4096
MAX_TRAIN_N = 4096
#: the generalisation window: training times where the test loss lies within this fraction
#: of its total drop (initial minus minimum) above its minimum
WINDOW = 0.1


def _fourier_moments(centres, frequencies, spread, noise_var):
    """Exact Gaussian averages of random Fourier features phi(x) = [cos(U x), sin(U x)] for
    x = centre + sqrt(spread) xi, xi ~ N(0, I), averaged over the rows of ``centres``:
    returns M = E[phi phi^T] (p x p) and V = E[phi z^T] (p x d), where z is the part of xi
    of variance ``noise_var`` (the diffusion noise, whose score is learned; by Stein's
    lemma E[phi(x) z] = sqrt(noise_var) E[grad phi(x)]). Uses
    E[exp(i u.x)] = exp(i u.centre - spread |u|^2 / 2) for every pair u = u_i +- u_j."""
    n = centres.shape[0]
    theta = centres @ frequencies.T
    cos, sin = np.cos(theta), np.sin(theta)
    norms = np.einsum("kd,kd->k", frequencies, frequencies)
    cross = frequencies @ frequencies.T
    damp_minus = np.exp(-0.5 * spread * (norms[:, None] + norms[None, :] - 2 * cross))
    damp_plus = np.exp(-0.5 * spread * (norms[:, None] + norms[None, :] + 2 * cross))
    cc, ss, sc = cos.T @ cos / n, sin.T @ sin / n, sin.T @ cos / n
    cos_minus, cos_plus = cc + ss, cc - ss  # means of cos(theta_i -+ theta_j)
    sin_plus, sin_minus = sc + sc.T, sc - sc.T  # means of sin(theta_i +- theta_j)
    m_cc = 0.5 * (cos_minus * damp_minus + cos_plus * damp_plus)
    m_ss = 0.5 * (cos_minus * damp_minus - cos_plus * damp_plus)
    m_cs = 0.5 * (sin_plus * damp_plus - sin_minus * damp_minus)
    moment = np.block([[m_cc, m_cs], [m_cs.T, m_ss]])
    single = np.sqrt(noise_var) * np.exp(-0.5 * spread * norms)
    v_cos = -(sin.mean(0) * single)[:, None] * frequencies
    v_sin = (cos.mean(0) * single)[:, None] * frequencies
    return moment, np.vstack([v_cos, v_sin])


@dataclass(frozen=True)
class ScoreTraining(Result):
    """Train and test denoising losses of the random-features score over training time
    ``tau`` for one training set of ``n`` points, and the generalisation window: from
    ``generalization_time`` (the test loss first comes within ``WINDOW`` of its drop, from
    1 at A = 0, above its minimum)
    to ``memorization_time`` (it leaves again: the model starts fitting the training
    points themselves; inf if not within the times computed). ``status``: out of range when
    the window does not close within the times computed (memorisation time inf), diverged
    when a loss is not finite."""

    n: int
    tau: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    generalization_time: float
    memorization_time: float
    minimum_test_loss: float
    d: int
    features: int
    t: float
    status: Status


@dataclass(frozen=True)
class TrainingWindow(Result):
    """tau_gen and tau_mem for each training-set size ``n`` and the fitted exponent of
    tau_mem ~ n^exponent (NaN with fewer than two finite tau_mem). ``status`` per n, that
    of its ``ScoreTraining`` run (out of range where tau_mem lies beyond the times
    computed)."""

    n: np.ndarray
    generalization_time: np.ndarray
    memorization_time: np.ndarray
    exponent: float
    runs: tuple
    d: int
    features: int
    t: float
    status: np.ndarray


def _score_instance(n, d, features, separation, variance, bandwidth, seed):
    """The training set and the random frequencies (features / 2 of them) of one model."""
    data = gaussian_mixture(d=d, n=n, separation=separation, variance=variance, seed=seed)
    rng = np.random.default_rng([seed, 1])
    return data, rng.standard_normal((features // 2, d)) * np.sqrt(bandwidth / d)


def score_training(*, n: int, d: int = 16, features: int = 2048, t: float = 0.1,
                   separation: float = 0.0, variance: float = 1.0, bandwidth: float = 0.5,
                   tau=None, seed: int = 0) -> ScoreTraining:
    """Gradient flow of a random-features score s(x) = A phi(x) / sqrt(p) on the denoising
    loss at diffusion time t, after Bonnaire, Urfin, Biroli, Mezard 2025.

    Data: n points from 1/2 N(mu, v I) + 1/2 N(-mu, v I) in dimension d, |mu| =
    ``separation`` (Gaussian data for 0). Features: p = ``features`` random Fourier
    features [cos(U x), sin(U x)], U with i.i.d. N(0, bandwidth / d) entries. Loss per
    dimension, L(A) = E |sqrt(Delta_t) s(x_t) + z|^2 / d with x_t = e^{-t} x_0 +
    sqrt(Delta_t) z, its noise average taken exactly (Gaussian characteristic functions),
    over the training points (train loss) or over the population (test loss). Gradient flow
    from A = 0, solved exactly in the eigenbasis of the feature covariance; ``tau`` is its
    time in units where the loss Hessian is that covariance (tau = 2 Delta_t eta steps /
    (p d) for gradient descent with rate eta on A)."""
    n = _check_size(n, "n", MAX_TRAIN_N)
    d = _check_size(d, "d", MAX_D)
    features = _check_size(features, "features", MAX_FEATURES)
    if features % 2:
        raise ValueError("features must be even (cosine and sine pairs)")
    t = float(check_range(t, "t", 1e-3, 10.0))
    separation = float(check_range(separation, "separation", 0.0, 1e3))
    variance = float(check_range(variance, "variance", 1e-6, 1e3))
    bandwidth = float(check_range(bandwidth, "bandwidth", 1e-3, 1e2))
    tau = np.geomspace(1e-3, 1e5, 320) if tau is None else check_range(tau, "tau", 0.0, 1e12)
    data, frequencies = _score_instance(n, d, features, separation, variance, bandwidth, seed)
    decay, noise = np.exp(-t), float(delta(t))
    train_m, train_v = _fourier_moments(decay * data.points, frequencies, noise, noise)
    centres = decay * np.vstack([data.mean, -data.mean])
    test_m, test_v = _fourier_moments(centres, frequencies, variance * decay**2 + noise,
                                      noise)
    eigenvalues, basis = np.linalg.eigh(train_m)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    # B(tau) = -V^T Q diag(f(tau)) Q^T, f = (1 - e^{-lambda tau}) / lambda, with B = A
    # sqrt(Delta / p): L(B) = 1 + [tr(B M B^T) + 2 tr(B V)] / d
    rates = eigenvalues[None, :] * tau[:, None]
    safe = np.where(eigenvalues > 0, eigenvalues, 1.0)
    f = np.where(rates > 1e-12, -np.expm1(-rates) / safe, tau[:, None])
    projected = train_v.T @ basis
    weight = np.einsum("dk,dk->k", projected, projected)
    train_loss = 1.0 + (f * f * eigenvalues - 2.0 * f) @ weight / d
    quadratic = (basis.T @ test_m @ basis) * (projected.T @ projected)
    linear = np.einsum("pk,pd,dk->k", basis, test_v, projected)
    test_loss = 1.0 + (np.einsum("tk,tk->t", f @ quadratic, f) - 2.0 * f @ linear) / d
    best = int(np.argmin(test_loss))
    level = test_loss[best] + WINDOW * (1.0 - test_loss[best])  # 1: the loss at A = 0
    inside = test_loss <= level
    gen = float(tau[np.argmax(inside)])
    after = np.flatnonzero(~inside[best:])
    mem = float(tau[best + after[0]]) if after.size else np.inf
    finite = bool(np.all(np.isfinite(train_loss)) and np.all(np.isfinite(test_loss)))
    status = from_flags(True, diverged=not finite, out_of_range=not np.isfinite(mem))
    return ScoreTraining(n=n, tau=tau, train_loss=train_loss, test_loss=test_loss,
                         generalization_time=gen, memorization_time=mem,
                         minimum_test_loss=float(test_loss[best]), d=d, features=features,
                         t=t, status=str(status))


def training_window(*, n_values, progress=None, **options) -> TrainingWindow:
    """``score_training`` for each n in ``n_values`` (same features, same population):
    tau_gen stays put while tau_mem grows with n, roughly linearly. ``progress(done,
    total)`` after each n."""
    n_values = np.unique(np.asarray(n_values, dtype=int))
    if n_values.size == 0:
        raise ValueError("give at least one n")
    runs = []
    for i, n in enumerate(n_values):
        runs.append(score_training(n=int(n), **options))
        if progress is not None:
            progress(i + 1, n_values.size)
    gen = np.array([r.generalization_time for r in runs])
    mem = np.array([r.memorization_time for r in runs])
    finite = np.isfinite(mem)
    exponent = (float(np.polyfit(np.log(n_values[finite]), np.log(mem[finite]), 1)[0])
                if finite.sum() >= 2 else np.nan)
    return TrainingWindow(n=n_values, generalization_time=gen, memorization_time=mem,
                          exponent=exponent, runs=tuple(runs), d=runs[0].d,
                          features=runs[0].features, t=runs[0].t,
                          status=statuses([r.status for r in runs]))
