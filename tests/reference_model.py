"""Slow, obviously-correct NumPy transcription of DESIGN.md section 1: the reference every C++
kernel is compared with.  Loops and explicit solves on purpose; never used by the package."""

from __future__ import annotations

import numpy as np


def steering(angle, n_antennas, spacing):
    """a(theta)_n = exp(j 2 pi alpha n sin theta), eq. (7).  -> (K, N)."""
    return np.array([[np.exp(2j * np.pi * spacing * n * np.sin(t)) for n in range(n_antennas)]
                     for t in angle])


def effective_channels(H, w):
    L, K, N, M = H.shape
    g = np.zeros((L, K, M), complex)
    for l in range(L):
        for k in range(K):
            g[l, k] = H[l, k].conj().T @ w[k]
    return g


def uplink_sinr(H, w, noise):
    """sinr_lk = g_lk^H D_lk^{-1} g_lk with D_lk = sum_{i!=k} g_li g_li^H + noise I, eqs. (3)-(4)."""
    L, K, N, M = H.shape
    g = effective_channels(H, w)
    sinr = np.zeros((L, K))
    for l in range(L):
        for k in range(K):
            D = noise * np.eye(M, dtype=complex)
            for i in range(K):
                if i != k:
                    D += np.outer(g[l, i], g[l, i].conj())
            sinr[l, k] = np.real(g[l, k].conj() @ np.linalg.solve(D, g[l, k]))
    return sinr


def rates(H, w, noise, bandwidth):
    """R_lk = B log2(1 + sinr_lk) [bit/s]."""
    return bandwidth * np.log2(1.0 + uplink_sinr(H, w, noise))


def mmse_receivers(H, w, serving, noise):
    """u_k = F_l^{-1} g_lk at the serving BS l (eq. 46) and e_k = 1 - g^H F^{-1} g (eq. 47)."""
    L, K, N, M = H.shape
    g = effective_channels(H, w)
    u = np.zeros((K, M), complex)
    mse = np.ones(K)
    for k in range(K):
        l = serving[k]
        if l < 0:
            continue
        F = noise * np.eye(M, dtype=complex) + sum(np.outer(g[l, i], g[l, i].conj()) for i in range(K))
        u[k] = np.linalg.solve(F, g[l, k])
        mse[k] = 1.0 - np.real(g[l, k].conj() @ u[k])
    return u, mse


def interference_matrix(HI, w):
    K = HI.shape[0]
    out = np.zeros((K, K))
    for k in range(K):
        for j in range(K):
            if j != k:
                out[k, j] = np.linalg.norm(HI[k, j] @ w[j]) ** 2
    return out


def echo_sinr(sc, HI, w, angle, distance, rcs):
    """gamma_k = G_p zeta_k^2 tr(A w w^H A^H) / (sum_{j!=k} ||HI[k,j] w_j||^2 + sigma^2), eq. (8),
    zeta^2 = rho0 xi / d^4, A = a* a^H, G_p = B t_s (resolutions 1-2).  tr() taken literally."""
    K, _, N, _ = HI.shape
    a = steering(angle, N, sc.antenna_spacing)
    gp = sc.bandwidth_hz * sc.accumulation_time_s if sc.echo_integration else 1.0
    interf = interference_matrix(HI, w)
    out = np.zeros(K)
    for k in range(K):
        A = np.outer(a[k].conj(), a[k].conj())  # a^* a^H  (np.outer does not conjugate)
        zeta2 = sc.path_loss * rcs[k] / distance[k] ** 4
        W = np.outer(w[k], w[k].conj())
        num = gp * zeta2 * np.real(np.trace(A @ W @ A.conj().T))
        out[k] = num / (interf[k].sum() + sc.noise_power_w)
    return out


def evaluate(sc, H, HI, angle, distance, rcs, w, a, b, task_bits=None, cpu_local=None):
    """(rate, echo_sinr, latency, power, energy) per eqs. (3), (8), (10)-(17)."""
    L, K, N, M = H.shape
    Z = np.full(K, sc.task_bits) if task_bits is None else np.asarray(task_bits, float)
    fL = np.full(K, sc.cpu_local_hz) if cpu_local is None else np.asarray(cpu_local, float)
    R = rates(H, w, sc.noise_power_w, sc.bandwidth_hz)
    gamma = echo_sinr(sc, HI, w, angle, distance, rcs)
    latency = np.zeros(K)
    power = np.zeros(K)
    for k in range(K):
        t_local = sc.cycles_per_bit * Z[k] / fL[k]
        local_share = 1.0 - a[:, k].sum() - b[:, k].sum()
        t = local_share * t_local
        for l in range(L):
            if a[l, k]:
                t += a[l, k] * (Z[k] / R[l, k] + sc.cycles_per_bit * Z[k] / sc.cpu_mec_hz)
            if b[l, k]:
                t += b[l, k] * (Z[k] / R[l, k] + Z[k] / sc.backhaul_bps
                                + sc.cycles_per_bit * Z[k] / sc.cpu_cloud_hz)
        latency[k] = t
        power[k] = np.linalg.norm(w[k]) ** 2 + local_share * sc.chip_coefficient * fL[k] ** 3
    return R, gamma, latency, power, power * latency
