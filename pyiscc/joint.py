"""Centralised beamforming of the CCET-ISCC baseline (DESIGN.md section 2): the same FP / WMMSE /
SCA surrogate as Algorithm 2, but one joint convex problem over all K N complex variables per
iteration, with the sensing constraints coupled through the true interference (no Upsilon caps),
solved by the C++ QCQP solver in one call (its block-structured path: P and every A_i are
block-diagonal over the K beams).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from .beamforming import BeamformingResult, _result, optimize_beamforming, power_budget, serving_bs
from ._validate import real
from .metrics import check_beams, check_decisions
from .network import Network
from .qcqp import solve_qcqp

__all__ = ["optimize_beamforming_centralized"]


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


def _real_blocks(Q: NDArray[np.complex128]) -> NDArray[np.float64]:
    """Real forms of Hermitian (N, N) blocks, ``w^H Q w = x^T [[Re Q, -Im Q], [Im Q, Re Q]] x``
    for ``x = [Re w; Im w]``: (..., N, N) -> (..., 2N, 2N)."""
    return np.block([[Q.real, -Q.imag], [Q.imag, Q.real]])


def _constant_quadratics(network: Network) -> NDArray[np.float64]:
    """The quadratic parts of the 2K constraints, which do not change between iterations, as the
    diagonal blocks of each A_i: ``||w_k||^2`` (18d) and ``Gamma sum_{j != k} ||HI[k,j] w_j||^2``
    (55).  -> (2K, K, 2N, 2N): A[i, j] is the block of beam j in constraint i."""
    K, N = network.n_terminals, network.terminal_antennas
    gamma = network.scenario.sensing_sinr
    A = np.zeros((2 * K, K, 2 * N, 2 * N))
    A[np.arange(K), np.arange(K)] = np.eye(2 * N)
    B = np.einsum("kjab,kjac->kjbc", network.HI.conj(), network.HI)  # HI[k,j]^H HI[k,j]
    A[K:] = gamma * _real_blocks(B)  # B[k,k] = 0: HI[k,k] is zero
    return A


def _joint_problem(network: Network, w: NDArray[np.complex128], serving: NDArray[np.int64],
                   pbar: NDArray[np.float64], A_const: NDArray[np.float64],
                   A_max: NDArray[np.float64]):
    """The real-valued joint QCQP around the current iterate w (K, N), block-diagonal: P as
    (K, 2N, 2N) and A as (2K, K, 2N, 2N) diagonal blocks (``solve_qcqp(..., block_size=2N)``).
    ``A_max`` (2K,): the largest magnitude in each A_i."""
    sc = network.scenario
    K, N = network.n_terminals, network.terminal_antennas
    noise = sc.noise_power_w
    g = _core.effective_channels(network.H, w)
    u, mse = _core.mmse_receivers(g, serving, noise)
    off = np.flatnonzero(serving >= 0)
    sinr = _core.uplink_sinr(g, noise)[serving[off], off]
    rate = sc.bandwidth_hz * np.log2(1.0 + sinr)
    weight = network.task_bits[off] / rate ** 2 / mse[off]  # alpha_i (41) times V_i (49)
    # h[i, k] = H[l(i), k] u_i: what terminal k's beam does to offloading terminal i's receiver
    h = np.einsum("iknm,im->ikn", network.H[serving[off]], u[off])
    Q = np.einsum("i,ikn,ikm->knm", weight, h, h.conj())
    P = _real_blocks(Q)
    q = np.zeros((K, 2 * N))
    direct = h[np.arange(off.size), off]  # H[l(k),k] u_k for offloading k
    q[off] = 2.0 * weight[:, None] * np.concatenate([direct.real, direct.imag], axis=1)
    # (55), linear part: -2 eg_k Re(c_k^H w_k), c_k = a_k (a_k^H w~_k)
    proj = np.einsum("kn,kn->k", network.steering.conj(), w)
    c_vec = network.steering * proj[:, None]
    b = np.zeros((2 * K, K, 2 * N))
    b[K + np.arange(K), np.arange(K)] = (-2.0 * network.echo_gain[:, None]
                                         * np.concatenate([c_vec.real, c_vec.imag], axis=1))
    b = b.reshape(2 * K, -1)
    c = np.concatenate([pbar, -sc.sensing_sinr * noise - network.echo_gain * np.abs(proj) ** 2])
    # Normalise every constraint so its data are O(1) (the sensing rows are ~1e-14 W otherwise).
    scale = np.maximum(np.abs(c), np.abs(b).max(axis=1) + A_max)
    pscale = max(np.abs(P).max(), np.abs(q).max(), 1e-300)
    return (P / pscale, q.ravel() / pscale, A_const / scale[:, None, None, None], b / scale[:, None],
            c / scale)


def optimize_beamforming_centralized(network: Network, a: ArrayLike, b: ArrayLike, *,
                                     w0: ArrayLike | None = None, max_iter: int = 50,
                                     tol: float = 1e-4, caps: str = "paper") -> BeamformingResult:
    """CCET-ISCC beamforming: minimise (39) subject to (18d), (18e) with one joint QCQP over all
    beams per iteration (FP weights (41), MMSE receivers (46), WMMSE weights (49), sensing
    constraint (53) linearised by SCA (55) around the previous iterate, interference exact).

    Parameters and result as :func:`pyiscc.optimize_beamforming` (``subproblem_failures`` counts
    joint problems the QCQP solver did not solve to optimality; the iterate is then kept).
    There are no caps here: ``caps`` only selects the start, the feasibility phase and the
    statuses of :func:`pyiscc.optimize_beamforming` (``"slack"``: the best constructed start,
    ``infeasible`` only with a certificate).
    """
    if not isinstance(network, Network):
        raise ValueError(f"network must be a Network, got {type(network).__name__}")
    a, b = check_decisions(network, a, b)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ValueError(f"max_iter must be an integer >= 0, got {max_iter!r}")
    tol = real(tol, "tol", minimum=0.0)
    # A feasible start: the same start and feasibility phase as Algorithm 2 (no iterations).
    start = optimize_beamforming(network, a, b, w0=None if w0 is None else check_beams(network, w0, "w0"),
                                 max_iter=0, caps=caps)
    if not start.feasible:
        return start
    serving = serving_bs(a, b)
    pbar = power_budget(network, serving)
    K, N = network.n_terminals, network.terminal_antennas
    w = np.array(start.w)
    A_const = _constant_quadratics(network)
    A_max = np.abs(A_const).max(axis=(1, 2, 3))
    obj = _upload_objective(network, w, serving)
    history = [obj]
    best_w, best = w, obj
    failures = 0
    status = "max_iter"
    it = 0
    for it in range(1, max_iter + 1):
        P, q, A, bb, c = _joint_problem(network, w, serving, pbar, A_const, A_max)
        res = solve_qcqp(P, q, A, bb, c, x0=_to_real(w), block_size=2 * N)
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
