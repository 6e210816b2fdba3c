"""Centralised beamforming of the CCET-ISCC baseline (DESIGN.md section 2): the same FP / WMMSE /
SCA surrogate as Algorithm 2, but one joint convex problem over all K N complex variables per
iteration, with the sensing constraints coupled through the true interference (no Upsilon caps),
solved by the C++ QCQP solver in one call.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from .beamforming import BeamformingResult, _result, optimize_beamforming, power_budget, serving_bs
from .metrics import check_beams, check_decisions
from .network import Network
from .qcqp import solve_qcqp

__all__ = ["optimize_beamforming_centralized"]


def _real_form(Q: NDArray[np.complex128]) -> NDArray[np.float64]:
    """w^H Q w = x^T R x for x = [Re w; Im w] and Hermitian Q (N, N) -> (2N, 2N)."""
    return np.block([[Q.real, -Q.imag], [Q.imag, Q.real]])


def _real_vec(c: NDArray[np.complex128]) -> NDArray[np.float64]:
    """Re(c^H w) = [Re c; Im c]^T x."""
    return np.concatenate([c.real, c.imag])


def _to_real(w: NDArray[np.complex128]) -> NDArray[np.float64]:
    return np.concatenate([np.concatenate([wk.real, wk.imag]) for wk in w])


def _to_complex(x: NDArray[np.float64], K: int, N: int) -> NDArray[np.complex128]:
    x = x.reshape(K, 2 * N)
    return x[:, :N] + 1j * x[:, N:]


def _upload_objective(network: Network, w: NDArray[np.complex128], serving: NDArray[np.int64]) -> float:
    """(39): sum over offloading terminals of Z_k / R_{l(k)k} [s]."""
    _, t_mec, _ = network.core.beam_latencies(w)
    off = np.flatnonzero(serving >= 0)
    if off.size == 0:
        return 0.0
    compute = network.scenario.cycles_per_bit * network.task_bits[off] / network.scenario.cpu_mec_hz
    return float(np.sum(t_mec[serving[off], off] - compute))


def _joint_problem(network: Network, w: NDArray[np.complex128], serving: NDArray[np.int64],
                   pbar: NDArray[np.float64]):
    """The real-valued joint QCQP around the current iterate w (K, N)."""
    sc = network.scenario
    L, K, N, M = network.H.shape
    noise = sc.noise_power_w
    n = 2 * K * N
    g = _core.effective_channels(network.H, w)
    u, mse = _core.mmse_receivers(g, serving, noise)
    off = serving >= 0
    rate = np.zeros(K)
    sinr = _core.uplink_sinr(g, noise)
    rate[off] = sc.bandwidth_hz * np.log2(1.0 + sinr[serving[off], np.flatnonzero(off)])
    alpha = np.zeros(K)
    alpha[off] = network.task_bits[off] / rate[off] ** 2  # FP weights (41)
    V = np.where(off, 1.0 / mse, 0.0)  # WMMSE weights (49)
    P = np.zeros((n, n))
    q = np.zeros(n)
    blk = [slice(2 * N * k, 2 * N * (k + 1)) for k in range(K)]
    for k in range(K):
        Qk = np.zeros((N, N), complex)
        for i in np.flatnonzero(off):
            h = network.H[serving[i], k] @ u[i]  # H_{l(i)k} u_i (N,)
            Qk += alpha[i] * V[i] * np.outer(h, h.conj())
        P[blk[k], blk[k]] = _real_form(Qk)
        if off[k]:
            q[blk[k]] = 2.0 * alpha[k] * V[k] * _real_vec(network.H[serving[k], k] @ u[k])
    m = 2 * K
    A = np.zeros((m, n, n))
    b = np.zeros((m, n))
    c = np.zeros(m)
    gamma = sc.sensing_sinr
    for k in range(K):
        # (18d): ||w_k||^2 <= Pbar_k
        A[k, blk[k], blk[k]] = np.eye(2 * N)
        c[k] = pbar[k]
        # (55) with the true interference: Gamma sum_j ||HI[k,j] w_j||^2 - 2 eg Re(c_k^H w_k)
        #      <= -Gamma sigma^2 - eg |a_k^H w~_k|^2,  c_k = a_k (a_k^H w~_k)
        ak = network.steering[k]
        proj = np.vdot(ak, w[k])
        for j in range(K):
            if j != k:
                B = network.HI[k, j].conj().T @ network.HI[k, j]
                A[K + k, blk[j], blk[j]] = gamma * _real_form(B)
        b[K + k, blk[k]] = -2.0 * network.echo_gain[k] * _real_vec(ak * proj)
        c[K + k] = -gamma * noise - network.echo_gain[k] * abs(proj) ** 2
    # Normalise every constraint so its right-hand side is O(1) (the solver's scaling then has an
    # easy job; the sensing rows are ~1e-14 W otherwise).
    scale = np.maximum(np.abs(c), np.abs(b).max(axis=1) + np.abs(A).reshape(m, -1).max(axis=1))
    A /= scale[:, None, None]
    b /= scale[:, None]
    c /= scale
    pscale = max(np.abs(P).max(), np.abs(q).max(), 1e-300)
    return P / pscale, q / pscale, A, b, c


def optimize_beamforming_centralized(network: Network, a: ArrayLike, b: ArrayLike, *,
                                     w0: ArrayLike | None = None, max_iter: int = 50,
                                     tol: float = 1e-4) -> BeamformingResult:
    """CCET-ISCC beamforming: minimise (39) subject to (18d), (18e) with one joint QCQP over all
    beams per iteration (FP weights (41), MMSE receivers (46), WMMSE weights (49), sensing
    constraint (53) linearised by SCA (55) around the previous iterate, interference exact).

    Parameters and result as :func:`pyiscc.optimize_beamforming` (``subproblem_failures`` counts
    joint problems the QCQP solver did not solve to optimality; the iterate is then kept).
    """
    if not isinstance(network, Network):
        raise ValueError(f"network must be a Network, got {type(network).__name__}")
    a, b = check_decisions(network, a, b)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ValueError(f"max_iter must be an integer >= 0, got {max_iter!r}")
    if not (isinstance(tol, (int, float)) and np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    # A feasible start: the same start and feasibility phase as Algorithm 2 (no iterations).
    start = optimize_beamforming(network, a, b, w0=None if w0 is None else check_beams(network, w0, "w0"),
                                 max_iter=0)
    if start.status == "infeasible":
        return start
    serving = serving_bs(a, b)
    pbar = power_budget(network, serving)
    K, N = network.n_terminals, network.terminal_antennas
    w = np.array(start.w)
    obj = _upload_objective(network, w, serving)
    history = [obj]
    best_w, best = w, obj
    failures = 0
    status = "max_iter"
    it = 0
    for it in range(1, max_iter + 1):
        P, q, A, bb, c = _joint_problem(network, w, serving, pbar)
        res = solve_qcqp(P, q, A, bb, c, x0=_to_real(w))
        if res.status != "optimal":
            failures += 1
            it -= 1
            status = "max_iter" if res.status == "max_iter" else "converged"
            break
        w = _to_complex(res.x, K, N)
        obj = _upload_objective(network, w, serving)
        history.append(obj)
        if obj < best:
            best_w, best = w, obj
        if history[-2] - obj <= tol * history[-2]:
            status = "converged"
            break
    return _result(network, a, b, best_w, best, np.array(history), it, status, (), 
                   start.feasibility_iterations, failures, None)
