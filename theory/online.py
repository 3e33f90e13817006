r"""Online SGD in two-layer networks: the Saad-Solla ODEs and finite-size SGD.

Conventions (Goldt, Advani, Saxe, Krzakala, Zdeborova 2019, "Dynamics of stochastic
gradient descent for two-layer neural networks in the teacher-student setup", NeurIPS,
arXiv:1906.08632; Saad & Solla 1995, Phys. Rev. E 52, 4225): inputs x ~ N(0, I_N); student
yhat = sum_k g(lambda_k), lambda_k = w_k . x / sqrt(N), K hidden units; teacher
y = sum_m g(nu_m) + noise * zeta, nu_m = w*_m . x / sqrt(N), M hidden units (a soft
committee machine, second layers fixed to 1); g(u) = erf(u / sqrt(2)) or g(u) = u. One fresh
sample per step, w_k <- w_k - (lr / sqrt(N)) g'(lambda_k) (yhat - y) x, time alpha = steps/N.

Order parameters Q_kl = w_k.w_l/N, R_km = w_k.w*_m/N, T_mn = w*_m.w*_n/N; as N -> inf they
follow deterministic ODEs in alpha whose Gaussian averages I2, I3, I4 (and J2 for the noise)
are closed forms for erf. The generalisation error is eps_g = E[(yhat - y_noiseless)^2]/2.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import integrate as scipy_integrate
from scipy import optimize

from . import _online_kernels as _kernels
from ._result import Frozen, Result, Status
from ._validate import check_range

__all__ = [
    "ACTIVATIONS",
    "DIVERGENCE",
    "EQUATIONS",
    "MAX_ALPHA",
    "MAX_LR",
    "MAX_NOISE",
    "MAX_SGD_N",
    "MAX_SGD_RUNS",
    "MAX_SGD_STEPS",
    "MAX_UNITS",
    "REFERENCES",
    "Plateau",
    "Status",
    "SymmetricFixedPoint",
    "Trajectory",
    "critical_learning_rate",
    "find_plateau",
    "generalization_error",
    "integrate",
    "lr_sweep",
    "random_init",
    "simulate_sgd",
    "specialization_time",
    "symmetric_fixed_point",
]

EQUATIONS = {
    "model": r"\hat y = \sum_{k=1}^K g(\lambda_k),\quad y = \sum_{m=1}^M g(\nu_m) + \sigma\zeta,"
             r"\quad g(u) = \mathrm{erf}(u/\sqrt2)",
    "sgd": r"w_k \leftarrow w_k - \frac{\eta}{\sqrt N}\, g'(\lambda_k)\,(\hat y - y)\, x",
    "R": r"\frac{dR_{km}}{d\alpha} = \eta\, \mathbb{E}\big[g'(\lambda_k)\,(y - \hat y)\,"
         r"\nu_m\big]",
    "Q": r"\frac{dQ_{kl}}{d\alpha} = \eta\, \mathbb{E}\big[(y-\hat y)\big(g'(\lambda_k)"
         r"\lambda_l + g'(\lambda_l)\lambda_k\big)\big] + \eta^2\, \mathbb{E}\big[g'(\lambda_k)"
         r"g'(\lambda_l)(y - \hat y)^2\big]",
    "eps_g": r"\epsilon_g = \tfrac12\,\mathbb{E}\Big[\Big(\sum_k g(\lambda_k) - \sum_m g(\nu_m)"
             r"\Big)^2\Big]",
    "I2": r"\mathbb{E}[g(u_a)g(u_b)] = \frac{2}{\pi}\arcsin\frac{C_{ab}}"
          r"{\sqrt{(1+C_{aa})(1+C_{bb})}}",
}
REFERENCES = (
    "D. Saad, S. A. Solla, On-line learning in soft committee machines, Phys. Rev. E 52, "
    "4225 (1995)",
    "D. Saad, S. A. Solla, Exact solution for on-line learning in multilayer neural networks, "
    "Phys. Rev. Lett. 74, 4337 (1995)",
    "S. Goldt, M. S. Advani, A. M. Saxe, F. Krzakala, L. Zdeborová, Dynamics of stochastic "
    "gradient descent for two-layer neural networks in the teacher-student setup, NeurIPS "
    "(2019), arXiv:1906.08632",
    "M. Biehl, H. Schwarze, Learning by on-line gradient descent, J. Phys. A 28, 643 (1995)",
)

ACTIVATIONS = ("erf", "linear")
MAX_UNITS = 12
MAX_ALPHA = 1e5
MAX_LR = 20.0
MAX_NOISE = 10.0
MAX_SGD_N = 20_000
MAX_SGD_STEPS = 20_000_000
MAX_SGD_RUNS = 10
# an order parameter beyond this multiple of the teacher's scale counts as diverged
DIVERGENCE = 1e4


@dataclass(frozen=True)
class Trajectory(Frozen):
    """Order parameters and generalisation error along time alpha = steps / N.

    ``source`` is "ode" or "sgd" (then ``n`` is the input dimension). ``diverged`` marks a
    run whose weights blew up (alphas after that hold NaN); ``converged`` whether the ODE
    integrator met its tolerances (always True for a simulation). ``status`` sums both up:
    diverged, else not converged when the integrator failed, else converged."""

    alpha: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    T: np.ndarray
    eps_g: np.ndarray
    lr: float
    noise: float
    activation: str
    source: str
    diverged: bool
    converged: bool
    n: int | None = None

    @property
    def status(self) -> Status:
        if self.diverged:
            return Status.DIVERGED
        return Status.CONVERGED if self.converged else Status.NOT_CONVERGED

    @property
    def K(self) -> int:
        return self.Q.shape[1]

    @property
    def M(self) -> int:
        return self.T.shape[0]


@dataclass(frozen=True)
class Plateau(Result):
    """The unspecialised plateau of a trajectory: where eps_g stays flat before dropping
    by at least half. ``found`` (status converged) is False, the other fields NaN, when
    there is none; ``status`` then says why: not converged when the trajectory ends on a
    flat stretch it has not left yet (a longer run decides whether it is a plateau),
    diverged when the trajectory blew up first, out of range when there is no plateau
    within the trajectory's time window."""

    status: Status
    start: float
    end: float
    height: float

    @property
    def found(self) -> bool:
        return self.status is Status.CONVERGED

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class SymmetricFixedPoint(Result):
    """The symmetric (unspecialised) fixed point of a realisable K = M network with
    orthonormal teacher, T = I: Q_kk = Q, Q_kl = C, R_km = R for all k, m. ``status``:
    converged when the root solve succeeded with a residual below 1e-10."""

    K: int
    lr: float
    Q: float
    C: float
    R: float
    eps_g: float
    status: Status


# ---------------------------------------------------------------- Gaussian averages


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    return activation


def _activation(u, activation):
    from scipy.special import erf

    if activation == "linear":
        return u
    return erf(u / np.sqrt(2.0))


def _activation_prime(u, activation):
    if activation == "linear":
        return np.ones_like(u)
    return np.sqrt(2.0 / np.pi) * np.exp(-0.5 * u * u)


def _covariance(Q, R, T):
    """The joint covariance of (lambda_1..K, nu_1..M), batched over leading axes."""
    top = np.concatenate([Q, R], axis=-1)
    bottom = np.concatenate([np.swapaxes(R, -1, -2), np.broadcast_to(T, R.shape[:-2] + T.shape)],
                            axis=-1)
    return np.concatenate([top, bottom], axis=-2)


def _signs(K, M):
    """The error y - yhat = sum_c s_c g(u_c): -1 on student units, +1 on teacher units."""
    return np.concatenate([-np.ones(K), np.ones(M)])


def _eps_g(C, K, M, activation):
    s = _signs(K, M)
    if activation == "linear":
        I2 = C
    else:
        d = 1.0 + np.diagonal(C, axis1=-2, axis2=-1)
        I2 = (2.0 / np.pi) * np.arcsin(C / np.sqrt(d[..., :, None] * d[..., None, :]))
    return 0.5 * np.einsum("...ab,a,b->...", I2, s, s)


def generalization_error(*, Q, R, T, activation: str = "erf"):
    """eps_g of order parameters (batched over leading axes of Q and R)."""
    activation = _check_activation(activation)
    Q, R, T = (np.asarray(v, dtype=float) for v in (Q, R, T))
    return _eps_g(_covariance(Q, R, T), Q.shape[-1], T.shape[-1], activation)


def _averages(C, K, M, noise, activation, compiled=_kernels.AVAILABLE):
    """The Gaussian averages of the ODEs for a batch of covariances C (B, P, P):
    dQ/dalpha = lr * first + lr^2 * second and dR/dalpha = lr * drive_R, with
    first (B, K, K), second (B, K, K), drive_R (B, K, M). ``compiled`` uses the numba
    kernel for erf (same numbers, ~30x faster on small networks)."""
    if compiled and activation == "erf":
        B = C.shape[0]
        first, second, drive = np.empty((B, K, K)), np.empty((B, K, K)), np.empty((B, K, M))
        _kernels.erf_averages(np.ascontiguousarray(C), K, M, float(noise), first, second, drive)
        return first, second, drive
    s = _signs(K, M)
    if activation == "linear":
        # g = identity: I3(a, b, c) = C_bc, I4(a, b, c, d) = C_cd, J2 = 1
        drive = np.broadcast_to((C @ s)[:, None, :], (C.shape[0], K, K + M))
        second = np.einsum("bcd,c,d->b", C, s, s)[:, None, None] + noise**2
        second = np.broadcast_to(second, (C.shape[0], K, K))
    else:
        d = 1.0 + np.diagonal(C, axis1=-2, axis2=-1)  # (B, P)
        Cs = C[:, :K, :]  # (B, K, P): C_ab with a a student unit
        ds = d[:, :K]
        # I3(a, b, c) = E[g'(u_a) u_b g(u_c)]
        #             = 2 / pi (C_bc (1 + C_aa) - C_ab C_ac) / ((1 + C_aa) sqrt(L3_ac)),
        # L3_ac = (1 + C_aa)(1 + C_cc) - C_ac^2
        L3 = ds[:, :, None] * d[:, None, :] - Cs**2  # (B, K, P) over (a, c)
        num = C[:, None, :, :] * ds[:, :, None, None] - Cs[:, :, :, None] * Cs[:, :, None, :]
        I3 = (2.0 / np.pi) * num / (ds[:, :, None, None] * np.sqrt(L3)[:, :, None, :])
        drive = I3 @ s  # (B, K, P): E[g'(lambda_a) u_b (y - yhat)]
        # I4(a, b, c, d) = E[g'(u_a) g'(u_b) g(u_c) g(u_d)], a, b students (Saad & Solla
        # 1995), written with c_xy = C_xy / sqrt((1 + C_xx)(1 + C_yy)), in which it reads
        # 4 / pi^2 arcsin(L0 / sqrt(L1_c L1_d)) / sqrt((1 + C_aa)(1 + C_bb)(1 - c_ab^2)),
        # L0 = (1 - c_ab^2) c_cd - c_ac c_ad - c_bc c_bd + c_ab (c_ac c_bd + c_ad c_bc),
        # L1_c = 1 - c_ab^2 - c_ac^2 - c_bc^2 + 2 c_ab c_ac c_bc
        root = np.sqrt(d)
        c = C / (root[:, :, None] * root[:, None, :])  # (B, P, P)
        cs = c[:, :K, :]  # (B, K, P)
        cab = cs[:, :, :K][:, :, :, None, None]  # (B, a, b, 1, 1)
        A = 1.0 - cab * cab
        cross = cs[:, :, None, :, None] * cs[:, None, :, None, :]  # c_ac c_bd
        pair = cs[:, :, :, None] * cs[:, :, None, :]  # (B, a, c, d): c_ac c_ad
        L0 = A * c[:, None, None, :, :]
        L0 -= pair[:, :, None] + pair[:, None, :]
        L0 += cab * (cross + np.swapaxes(cross, 3, 4))
        cac = cs[:, :, None, :]  # (B, a, 1, c)
        cbc = cs[:, None, :, :]  # (B, 1, b, c)
        L1 = A[..., 0] - cac * cac - cbc * cbc + 2.0 * cab[..., 0] * cac * cbc  # (B, a, b, c)
        sqrt_l1 = np.sqrt(L1)
        ratio = L0 / (sqrt_l1[..., :, None] * sqrt_l1[..., None, :])
        np.clip(ratio, -1.0, 1.0, out=ratio)
        norm = (4.0 / np.pi**2) / np.sqrt(ds[:, :, None] * ds[:, None, :] * A[..., 0, 0])
        L4 = ds[:, :, None] * ds[:, None, :] - Cs[:, :, :K] ** 2
        J2 = (2.0 / np.pi) / np.sqrt(L4)
        I4s = np.einsum("zabcd,c,d->zab", np.arcsin(ratio), s, s)
        second = norm * I4s + noise**2 * J2
    first = drive[:, :, :K]
    return first + np.swapaxes(first, 1, 2), second, drive[:, :, K:]


def _derivatives(C, K, M, lr, noise, activation):
    """dQ/dalpha and dR/dalpha; ``lr`` a scalar or one rate per batch member."""
    first, second, drive = _averages(C, K, M, noise, activation)
    lr = np.asarray(lr, dtype=float).reshape(-1, 1, 1)
    return lr * first + lr**2 * second, lr * drive


# ---------------------------------------------------------------- ODE


def _check_state(Q0, R0, T):
    Q0, R0, T = (np.array(v, dtype=float) for v in (Q0, R0, T))
    if Q0.ndim != 2 or Q0.shape[0] != Q0.shape[1]:
        raise ValueError("Q0 must be a square K x K matrix")
    if T.ndim != 2 or T.shape[0] != T.shape[1]:
        raise ValueError("T must be a square M x M matrix")
    K, M = Q0.shape[0], T.shape[0]
    if R0.shape != (K, M):
        raise ValueError(f"R0 must have shape (K, M) = ({K}, {M}), got {R0.shape}")
    if not 1 <= K <= MAX_UNITS or not 1 <= M <= MAX_UNITS:
        raise ValueError(f"K and M must lie in [1, {MAX_UNITS}]")
    if not all(np.all(np.isfinite(v)) for v in (Q0, R0, T)):
        raise ValueError("order parameters must be finite")
    C = _covariance(Q0, R0, T)
    if not np.allclose(C, C.T) or np.linalg.eigvalsh(0.5 * (C + C.T)).min() < -1e-9:
        raise ValueError("(Q0, R0, T) must form a symmetric positive semi-definite covariance")
    return Q0, R0, T


def _check_alphas(alphas):
    alphas = check_range(alphas, "alphas", 0.0, MAX_ALPHA)
    if alphas.ndim != 1 or alphas.size == 0:
        raise ValueError("alphas must be a non-empty 1-d array")
    if np.any(np.diff(alphas) <= 0):
        raise ValueError("alphas must be increasing")
    return alphas


#: LSODA steps between two output times before it gives up (reported as not converged)
MAX_ODE_STEPS = 50_000


def integrate(*, Q0, R0, T, lr: float, noise: float = 0.0, alphas,
              activation: str = "erf", rtol: float = 1e-8) -> Trajectory:
    """Integrate the Saad-Solla ODEs from (Q0, R0) with teacher overlaps T; the result at
    each of ``alphas`` (increasing, from 0). Adaptive Dormand-Prince (scipy, order 8(5,3))
    on the closed-form averages; stops at divergence (then NaN afterwards)."""
    activation = _check_activation(activation)
    Q0, R0, T = _check_state(Q0, R0, T)
    lr = float(check_range(lr, "lr", 0.0, MAX_LR))
    noise = float(check_range(noise, "noise", 0.0, MAX_NOISE))
    alphas = _check_alphas(alphas)
    return _integrate_batch(Q0[None], R0[None], T, np.array([lr]), noise, alphas, activation,
                            rtol)[0]


def _integrate_batch(Q0, R0, T, lrs, noise, alphas, activation, rtol,
                     compiled=_kernels.AVAILABLE):
    """Independent ODEs for each learning rate in ``lrs`` (and start Q0[i], R0[i]), stacked
    into one system; a member that diverges is frozen and reported, not integrated on."""
    B, K, M = R0.shape
    scale = DIVERGENCE * (1.0 + np.abs(T).max())
    frozen = np.zeros(B, bool)

    def unpack(y):
        state = y.reshape(B, K * K + K * M)
        Q = state[:, :K * K].reshape(B, K, K)
        Q = 0.5 * (Q + np.swapaxes(Q, 1, 2))
        return Q, state[:, K * K:].reshape(B, K, M)

    freeze_time = np.full(B, np.inf)

    def note_frozen(t):
        freeze_time[frozen & np.isinf(freeze_time)] = t

    def rhs(t, y):
        Q, R = unpack(y)
        blown = (np.abs(Q).reshape(B, -1).max(axis=1) > scale) | ~np.isfinite(Q).all(axis=(1, 2))
        frozen[:] |= blown
        live = ~frozen
        out = np.zeros((B, K * K + K * M))
        if live.any():
            C = _covariance(Q[live], R[live], T)
            with np.errstate(invalid="ignore", divide="ignore"):
                dQ, dR = _derivatives(C, K, M, lrs[live], noise, activation)
            out[live] = np.concatenate([dQ.reshape(-1, K * K), dR.reshape(-1, K * M)], axis=1)
        out[~np.isfinite(out)] = 0.0
        note_frozen(t)
        return out.ravel()

    if compiled and activation == "erf":
        T_c = np.ascontiguousarray(T)

        def rhs(t, y):  # the compiled twin of the function above
            out = _kernels.erf_ode_rhs(y, K, M, T_c, lrs, float(noise), scale, frozen)
            note_frozen(t)
            return out

    y0 = np.concatenate([Q0.reshape(B, -1), R0.reshape(B, -1)], axis=1).ravel()
    t_end = float(alphas[-1])
    if t_end == 0.0:
        sol_y = np.repeat(y0[:, None], alphas.size, axis=1)
        success = True
        reached = np.ones(alphas.size, dtype=bool)
    else:
        # odeint drives LSODA from Fortran (solve_ivp's LSODA steps it from Python: 2-3x
        # slower on these small systems); a failure leaves the later rows unreached
        start = 0 if alphas[0] == 0.0 else 1  # odeint's first time is the initial one
        times = alphas if start == 0 else np.concatenate([[0.0], alphas])
        with warnings.catch_warnings():  # a failure is reported through `converged`
            warnings.simplefilter("ignore", scipy_integrate.ODEintWarning)
            y, info = scipy_integrate.odeint(
                rhs, y0, times, rtol=rtol, atol=1e-10 * (1.0 + np.abs(T).max()), tfirst=True,
                full_output=True, mxstep=MAX_ODE_STEPS)
        reached = np.concatenate([[True], info["tcur"] >= times[1:] * (1 - 1e-12)])
        y, reached = y[start:], reached[start:]
        success = info["message"] == "Integration successful." and bool(reached.all())
        sol_y = np.where(reached[:, None], y, np.nan).T
    trajectories = []
    states = sol_y.T.reshape(alphas.size, B, K * K + K * M)
    for i in range(B):
        Q = states[:, i, :K * K].reshape(-1, K, K)
        Q = 0.5 * (Q + np.swapaxes(Q, 1, 2))
        R = states[:, i, K * K:].reshape(-1, K, M)
        # rows the integrator never reached are NaN without having blown up (not converged)
        blown = ((np.abs(Q).reshape(alphas.size, -1).max(axis=1) > scale) |
                 ~np.isfinite(Q).all(axis=(1, 2))) & reached
        blown |= alphas >= freeze_time[i]
        diverged = bool(frozen[i] or blown.any())
        if diverged:
            first = np.argmax(blown) if blown.any() else alphas.size
            Q[first:], R[first:] = np.nan, np.nan
        with np.errstate(invalid="ignore"):
            eps = _eps_g(_covariance(Q, R, T), K, M, activation)
        trajectories.append(Trajectory(alpha=alphas, Q=Q, R=R, T=T, eps_g=eps, lr=float(lrs[i]),
                                       noise=noise, activation=activation, source="ode",
                                       diverged=diverged, converged=success))
    return trajectories


def lr_sweep(*, Q0, R0, T, lrs, noise: float = 0.0, alpha: float,
             activation: str = "erf", rtol: float = 1e-6):
    """The ODE at each learning rate in ``lrs`` from the same start, up to time ``alpha``:
    returns (lrs, final eps_g, diverged) with NaN error where the weights blew up.

    Each rate is integrated on its own: stacked into one system, every rate took the steps
    of the stiffest one and LSODA's stiff solver a dense Jacobian of the whole stack (36
    rates at K = 5, M = 4: 45 s, against 0.3 s one by one)."""
    activation = _check_activation(activation)
    Q0, R0, T = _check_state(Q0, R0, T)
    lrs = check_range(lrs, "lrs", 0.0, MAX_LR).ravel()
    noise = float(check_range(noise, "noise", 0.0, MAX_NOISE))
    alpha = float(check_range(alpha, "alpha", 1e-9, MAX_ALPHA))
    ends = np.array([0.0, alpha])
    trajectories = [_integrate_batch(Q0[None], R0[None], T, np.array([lr]), noise, ends,
                                     activation, rtol)[0] for lr in lrs]
    final = np.array([t.eps_g[-1] for t in trajectories])
    diverged = np.array([t.diverged for t in trajectories])
    return lrs, np.where(diverged, np.nan, final), diverged


# ---------------------------------------------------------------- sampled starts and SGD


def _check_sizes(K, M, N):
    for name, value, high in (("K", K, MAX_UNITS), ("M", M, MAX_UNITS), ("N", N, MAX_SGD_N)):
        if int(value) != value or not 1 <= value <= high:
            raise ValueError(f"{name} must be an integer in [1, {high}], got {value!r}")
    return int(K), int(M), int(N)


def _sample_weights(K, M, N, init_scale, seed):
    rng = np.random.default_rng(seed)
    teacher = rng.standard_normal((M, N))
    student = init_scale * rng.standard_normal((K, N))
    return student, teacher


def random_init(*, K: int, M: int, N: int, init_scale: float = 1e-3, seed: int = 0):
    """(Q0, R0, T) of sampled weights: teacher w*_m ~ N(0, I_N), student w_k ~ N(0,
    init_scale^2 I_N); ``simulate_sgd`` with the same arguments starts from these weights."""
    K, M, N = _check_sizes(K, M, N)
    init_scale = float(check_range(init_scale, "init_scale", 0.0, 10.0))
    student, teacher = _sample_weights(K, M, N, init_scale, seed)
    return student @ student.T / N, student @ teacher.T / N, teacher @ teacher.T / N


def simulate_sgd(*, K: int, M: int, N: int, lr: float, noise: float = 0.0, alphas,
                 seed: int = 0, init_scale: float = 1e-3, activation: str = "erf",
                 progress=None, compiled: bool = _kernels.AVAILABLE) -> Trajectory:
    """A real online SGD run on fresh Gaussian samples, from the weights ``random_init``
    gives for the same arguments; order parameters measured on the weights at ``alphas``.

    Steps are taken in chunks: within a chunk the fields lambda_t = w_t . x_t / sqrt(N) follow
    from the chunk's first weights and the Gram matrix of its inputs, so the per-step cost
    does not grow with N (compiled with numba unless ``compiled`` is False).
    ``progress(done, total)`` is called after each chunk."""
    activation = _check_activation(activation)
    K, M, N = _check_sizes(K, M, N)
    lr = float(check_range(lr, "lr", 0.0, MAX_LR))
    noise = float(check_range(noise, "noise", 0.0, MAX_NOISE))
    init_scale = float(check_range(init_scale, "init_scale", 0.0, 10.0))
    alphas = _check_alphas(alphas)
    record = np.round(alphas * N).astype(np.int64)
    if record[-1] > MAX_SGD_STEPS:
        raise ValueError(f"alpha_max * N = {record[-1]} steps exceeds the limit of "
                         f"{MAX_SGD_STEPS}; lower alpha or N")
    student, teacher = _sample_weights(K, M, N, init_scale, seed)
    rng = np.random.default_rng([seed, 1])
    g = lambda u: _activation(u, activation)  # noqa: E731
    dg = lambda u: _activation_prime(u, activation)  # noqa: E731
    sqrt_n = np.sqrt(N)
    W = student.copy()
    T = teacher @ teacher.T / N
    Q = np.full((alphas.size, K, K), np.nan)
    R = np.full((alphas.size, K, M), np.nan)
    chunk = 256
    step = 0
    diverged = False
    scale = DIVERGENCE * (1.0 + np.abs(T).max())
    for i, target in enumerate(record):
        while step < target and not diverged:
            b = int(min(chunk, target - step))
            X = rng.standard_normal((b, N))
            y = g(X @ teacher.T / sqrt_n).sum(axis=1) + noise * rng.standard_normal(b)
            base = X @ W.T / sqrt_n  # (b, K): fields with the chunk's first weights
            gram = (X @ X.T) / N  # (b, b)
            if compiled:
                A = _kernels.sgd_chunk(base, gram, y, lr, activation == "erf")
            else:
                A = np.zeros((b, K))  # A[t] = lr g'(lambda_t) (yhat_t - y_t)
                for t in range(b):
                    lam = base[t] - gram[t, :t] @ A[:t] if t else base[t]
                    A[t] = lr * dg(lam) * (g(lam).sum() - y[t])
            W -= A.T @ X / sqrt_n
            step += b
            q_max = np.abs(W).max() ** 2
            if not np.isfinite(q_max) or np.abs(W @ W.T / N).max() > scale:
                diverged = True
            if progress is not None:
                progress(step, int(record[-1]))
        if diverged:
            break
        Q[i] = W @ W.T / N
        R[i] = W @ teacher.T / N
    with np.errstate(invalid="ignore"):
        eps = _eps_g(_covariance(Q, R, T), K, M, activation)
    return Trajectory(alpha=alphas, Q=Q, R=R, T=T, eps_g=eps, lr=lr, noise=noise,
                      activation=activation, source="sgd", diverged=diverged, converged=True,
                      n=N)


# ---------------------------------------------------------------- plateaus


def find_plateau(trajectory: Trajectory, *, flatness: float = 0.05) -> Plateau:
    """The plateau: the longest stretch (in log alpha) where |d log eps_g / d log alpha| <
    ``flatness``, reached from above (eps_g was at least 1.25 times higher before) and
    after which eps_g falls below half its height. So neither the start, before anything
    is learned, nor the final converged state counts as a plateau."""
    alpha, eps = trajectory.alpha, trajectory.eps_g
    ok = (alpha > 0) & np.isfinite(eps) & (eps > 0)
    alpha, eps = alpha[ok], eps[ok]

    def nothing(status):
        if trajectory.diverged:
            status = Status.DIVERGED
        return Plateau(status=status, start=np.nan, end=np.nan, height=np.nan)

    if alpha.size < 5:
        return nothing(Status.OUT_OF_RANGE)
    slope = np.gradient(np.log(eps), np.log(alpha))
    flat = np.abs(slope) < flatness
    best, best_len = None, 0.0
    unfinished = False  # the last flat stretch, reached from above, is not left in the window
    i = 0
    while i < flat.size:
        if not flat[i]:
            i += 1
            continue
        j = i
        while j + 1 < flat.size and flat[j + 1]:
            j += 1
        height = float(np.median(eps[i:j + 1]))
        later = eps[j + 1:]
        span = np.log(alpha[j]) - np.log(alpha[i])
        earlier = eps[:i + 1]
        # a plateau is reached by learning (below the start) and left by learning (a drop)
        if (later.size and later.min() < 0.5 * height and earlier.max() > 1.25 * height
                and span > best_len and j > i):
            best, best_len = (i, j, height), span
        unfinished = (j == flat.size - 1 and j > i and earlier.max() > 1.25 * height)
        i = j + 1
    if best is None:
        return nothing(Status.NOT_CONVERGED if unfinished else Status.OUT_OF_RANGE)
    i, j, height = best
    return Plateau(status=Status.CONVERGED, start=float(alpha[i]), end=float(alpha[j]),
                   height=height)


def specialization_time(trajectory: Trajectory, plateau: Plateau | None = None) -> float:
    """When the network leaves the plateau: the first alpha after the plateau's start at
    which eps_g falls below half the plateau height (NaN without a plateau). The hidden
    units' overlaps R_km separate at that moment: each student unit picks a teacher unit."""
    plateau = find_plateau(trajectory) if plateau is None else plateau
    if not plateau.found:
        return np.nan
    after = (trajectory.alpha >= plateau.start) & (trajectory.eps_g < 0.5 * plateau.height)
    return float(trajectory.alpha[np.argmax(after)]) if after.any() else np.nan


def symmetric_fixed_point(*, K: int, lr: float = 0.0, noise: float = 0.0,
                          activation: str = "erf") -> SymmetricFixedPoint:
    """The unspecialised fixed point of the realisable network (M = K, T = I) restricted
    to the symmetric subspace Q_kk = Q, Q_kl = C, R_km = R, found by a root solve of the ODE
    right-hand side there (``lr`` = 0 drops the lr^2 terms: the small-rate plateau).
    Saad & Solla's small-rate closed form: Q = C = 1/(2K - 1), R = 1/sqrt(K(2K - 1))."""
    activation = _check_activation(activation)
    K = int(K)
    if not 1 <= K <= MAX_UNITS:
        raise ValueError(f"K must lie in [1, {MAX_UNITS}]")
    T = np.eye(K)

    def state(v):
        Q, C, R = v
        Qm = np.full((K, K), C) + (Q - C) * np.eye(K)
        return Qm, np.full((K, K), R)

    def residual(v):
        Qm, Rm = state(v)
        first, second, drive = _averages(_covariance(Qm, Rm, T)[None], K, K, noise, activation)
        dQ = first + lr * second  # (dQ/dalpha) / lr
        out = [dQ[0, 0, 0], drive[0, 0, 0]]
        if K > 1:
            out.insert(1, dQ[0, 0, 1])
        return np.array(out)

    guess = np.array([0.6, 0.4, 0.5]) / K  # generic: the closed form is not used to solve
    if K == 1:
        sol = optimize.root(lambda v: residual(np.array([v[0], v[0], v[1]])), guess[[0, 2]],
                            method="lm", options={"xtol": 1e-15, "ftol": 1e-15})
        v = np.array([sol.x[0], sol.x[0], sol.x[1]])
    else:
        sol = optimize.root(residual, guess, method="lm", options={"xtol": 1e-15, "ftol": 1e-15})
        v = sol.x
    Qm, Rm = state(v)
    converged = bool(sol.success and np.max(np.abs(residual(v))) < 1e-10)
    eps = float(_eps_g(_covariance(Qm, Rm, T), K, K, activation))
    return SymmetricFixedPoint(K=K, lr=float(lr), Q=float(v[0]), C=float(v[1]), R=float(v[2]),
                               eps_g=eps,
                               status=Status.CONVERGED if converged else Status.NOT_CONVERGED)


def critical_learning_rate(*, K: int, activation: str = "erf") -> float:
    """The learning rate beyond which the perfectly learned state of the realisable network
    (M = K, T = I, no noise) is linearly unstable, so learning cannot converge: the root of
    max Re eig(lr J1 + lr^2 J2) = 0, J1 and J2 the Jacobians at Q = R = T of the lr and
    lr^2 parts of the ODEs (central differences). For g(u) = u it is 2 / K exactly."""
    activation = _check_activation(activation)
    K = int(K)
    if not 1 <= K <= MAX_UNITS:
        raise ValueError(f"K must lie in [1, {MAX_UNITS}]")
    T = np.eye(K)
    upper = np.triu_indices(K)

    def parts(v):
        Q = np.zeros((K, K))
        Q[upper] = v[:upper[0].size]
        Q = Q + np.triu(Q, 1).T
        R = v[upper[0].size:].reshape(K, K)
        first, second, drive = _averages(_covariance(Q, R, T)[None], K, K, 0.0, activation)
        return (np.concatenate([first[0][upper], drive[0].ravel()]),
                np.concatenate([second[0][upper], np.zeros(K * K)]))

    star = np.concatenate([T[upper], T.ravel()])
    h = 1e-6
    J1 = np.empty((star.size, star.size))
    J2 = np.empty_like(J1)
    for i in range(star.size):
        step = np.zeros(star.size)
        step[i] = h
        (f_hi, s_hi), (f_lo, s_lo) = parts(star + step), parts(star - step)
        J1[:, i] = (f_hi - f_lo) / (2 * h)
        J2[:, i] = (s_hi - s_lo) / (2 * h)

    def growth(lr):
        # less a tolerance: g(u) = u has exactly neutral directions (only sum_k w_k matters)
        return np.linalg.eigvals(lr * J1 + lr * lr * J2).real.max() - 1e-7 * lr

    # stable (negative growth) at small lr; search for the first crossing upwards
    grid = np.geomspace(1e-2, MAX_LR, 200)
    values = np.array([growth(lr) for lr in grid])
    crossing = np.flatnonzero((values[:-1] < 0) & (values[1:] >= 0))
    if crossing.size == 0:
        return np.inf
    i = crossing[0]
    return float(optimize.brentq(growth, grid[i], grid[i + 1], xtol=1e-12))
