"""Compiled inner loops of the online-SGD module (numba): the Saad-Solla averages for erf
and the sequential part of SGD. Each has a numpy twin in ``theory.online``, and the tests
check that both give the same numbers; without numba the numpy twins are used."""

from __future__ import annotations

import math

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - numba is a declared dependency
    numba = None

AVAILABLE = numba is not None


def _jit(fn):
    return numba.njit(cache=True, fastmath=False)(fn) if AVAILABLE else fn


@_jit
def erf_averages(C, K, M, noise, first, second, drive):
    """For each covariance C[z] (P = K + M): first[z] = A + A^T with A_kl = E[g'(lambda_k)
    lambda_l (y - yhat)], second[z]_kl = E[g'(lambda_k) g'(lambda_l) (y - yhat)^2], drive[z]_km
    = E[g'(lambda_k) nu_m (y - yhat)], for g(u) = erf(u / sqrt(2))."""
    P = K + M
    two_pi = 2.0 / math.pi
    four_pi2 = 4.0 / (math.pi * math.pi)
    s = np.empty(P)
    for i in range(P):
        s[i] = -1.0 if i < K else 1.0
    d = np.empty(P)
    c = np.empty((P, P))
    L1 = np.empty(P)
    for z in range(C.shape[0]):
        for i in range(P):
            d[i] = 1.0 + C[z, i, i]
        for i in range(P):
            for j in range(P):
                c[i, j] = C[z, i, j] / math.sqrt(d[i] * d[j])
        # I3 contracted: E[g'(u_a) u_b (y - yhat)] = sum_c s_c I3(a, b, c)
        for a in range(K):
            for b in range(P):
                total = 0.0
                for cc in range(P):
                    L3 = d[a] * d[cc] - C[z, a, cc] ** 2
                    num = C[z, b, cc] * d[a] - C[z, a, b] * C[z, a, cc]
                    total += s[cc] * num / (d[a] * math.sqrt(L3))
                total *= two_pi
                if b < K:
                    first[z, a, b] = total
                else:
                    drive[z, a, b - K] = total
        for a in range(K):
            for b in range(a, K):
                x = first[z, a, b] + first[z, b, a] if a != b else 2.0 * first[z, a, a]
                first[z, a, b] = x
                first[z, b, a] = x
        # I4 contracted over (c, d) with signs; symmetric in (a, b)
        for a in range(K):
            for b in range(a, K):
                cab = c[a, b]
                A = 1.0 - cab * cab
                for cc in range(P):
                    cac, cbc = c[a, cc], c[b, cc]
                    L1[cc] = math.sqrt(A - cac * cac - cbc * cbc + 2.0 * cab * cac * cbc)
                total = 0.0
                for cc in range(P):
                    cac, cbc = c[a, cc], c[b, cc]
                    for dd in range(P):
                        cad, cbd = c[a, dd], c[b, dd]
                        L0 = A * c[cc, dd] - cac * cad - cbc * cbd + cab * (cac * cbd + cad * cbc)
                        ratio = L0 / (L1[cc] * L1[dd])
                        ratio = min(1.0, max(-1.0, ratio))
                        total += s[cc] * s[dd] * math.asin(ratio)
                value = four_pi2 * total / math.sqrt(d[a] * d[b] * A)
                L4 = d[a] * d[b] - C[z, a, b] ** 2
                value += noise * noise * two_pi / math.sqrt(L4)
                second[z, a, b] = value
                second[z, b, a] = value


@_jit
def sgd_chunk(base, gram, y, lr, erf):
    """The sequential part of a chunk of online SGD steps: A[t] = lr g'(lambda_t) (yhat_t -
    y_t), with lambda_t = base[t] - sum_{s<t} gram[t, s] A[s] the fields under the weights
    updated by the chunk's earlier steps."""
    b, K = base.shape
    A = np.zeros((b, K))
    lam = np.empty(K)
    c = math.sqrt(2.0 / math.pi)
    for t in range(b):
        for k in range(K):
            x = base[t, k]
            for u in range(t):
                x -= gram[t, u] * A[u, k]
            lam[k] = x
        yhat = 0.0
        for k in range(K):
            yhat += math.erf(lam[k] / math.sqrt(2.0)) if erf else lam[k]
        err = yhat - y[t]
        for k in range(K):
            slope = c * math.exp(-0.5 * lam[k] * lam[k]) if erf else 1.0
            A[t, k] = lr * slope * err
    return A


@_jit
def erf_ode_rhs(y, K, M, T, lrs, noise, scale, frozen):
    """The whole right-hand side for a stack of members (layout per member: Q (K*K) then
    R (K*M), row-major): derivatives, with members frozen (zero derivative, flag set) once
    an order parameter exceeds ``scale`` or is not finite."""
    B = lrs.size
    P = K + M
    size = K * K + K * M
    out = np.zeros(B * size)
    C = np.empty((1, P, P))
    first = np.empty((1, K, K))
    second = np.empty((1, K, K))
    drive = np.empty((1, K, M))
    for z in range(B):
        offset = z * size
        if not frozen[z]:
            for i in range(K * K):
                v = y[offset + i]
                if not math.isfinite(v) or abs(v) > scale:
                    frozen[z] = True
        if frozen[z]:
            continue
        for k in range(K):
            for j in range(K):
                C[0, k, j] = 0.5 * (y[offset + k * K + j] + y[offset + j * K + k])
            for m in range(M):
                r = y[offset + K * K + k * M + m]
                C[0, k, K + m] = r
                C[0, K + m, k] = r
        for m in range(M):
            for n in range(M):
                C[0, K + m, K + n] = T[m, n]
        erf_averages(C, K, M, noise, first, second, drive)
        lr = lrs[z]
        for k in range(K):
            for j in range(K):
                out[offset + k * K + j] = lr * first[0, k, j] + lr * lr * second[0, k, j]
            for m in range(M):
                out[offset + K * K + k * M + m] = lr * drive[0, k, m]
        for i in range(size):
            if not math.isfinite(out[offset + i]):
                out[offset + i] = 0.0
    return out
