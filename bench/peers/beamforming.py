"""Peer Algorithm 2: FP / WMMSE / SCA beamforming for fixed decisions, one complex-valued CVXPY
problem (56) per terminal.

The same procedure as ``pyiscc.optimize_beamforming`` (docs/algorithms.md, "Algorithm 2"): start
at the max-sensing beams at ``P_th - eta (f^L)^3`` (or the caller's ``w0``), a feasibility phase
(SCA on the smallest normalised sensing margin, one joint problem over all beams) when the start
violates (18e), then Jacobi iterations of FP weights (41), MMSE receivers (46), WMMSE weights (49),
caps (58) and the per-terminal problems (56), stopping when the relative decrease of (39) falls
below ``tol`` or after ``max_iter``; the best iterate is returned.  The channel algebra is NumPy
written from the paper; the sub-problems are CVXPY problems with ``cp.Parameter``s, compiled once
per shape and re-used across iterations, terminals and calls.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
from numpy.typing import NDArray

import pyiscc as pi

__all__ = ["PeerBeamforming", "peer_beamforming", "SubproblemCvxpy", "FeasibilityCvxpy"]

FEASIBILITY_ITER = 50
#: Clarabel settings: tighter than its defaults (1e-8).  Sub-problem (56) is flat along some
#: directions (constraints inactive, condition number of the quadratic ~1e2-1e3), so at the
#: default tolerance the solution agrees with pyiscc's IPM (tol 1e-9) only to ~1e-4 in w although
#: the objective agrees to ~1e-9; at 1e-11 the two agree to ~1e-6.
CLARABEL_SETTINGS = {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11,
                     "tol_ktratio": 1e-9}


def _solve(problem: cp.Problem) -> bool:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
        try:
            problem.solve(solver=cp.CLARABEL, **CLARABEL_SETTINGS)
        except cp.SolverError:
            return False
    return problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)


class SubproblemCvxpy:
    """Sub-problem (56) of one terminal in the scaled variable ``x = w_k / sqrt(P-bar_k)``::

        maximise   Re(h^H x) - ||F^H x||^2                  (objective (56), scaled to O(1))
        subject to ||x||^2 <= 1                              (power budget)
                   ||G_j x||^2 <= 1, j = 1..n_caps           (caps (56a), G_j = HI[j,k] sqrt(P-bar/Upsilon_jk))
                   Re(s^H x) >= 1                            (SCA sensing (55), normalised)

    ``F`` (N, K) holds one column per terminal, ``sqrt(alpha_i V_i) H[l(i),k] u_i`` (0 for local
    terminals), so ``F F^H`` is the paper's quadratic term; every datum is a ``cp.Parameter``.
    """

    def __init__(self, n_antennas: int, n_terminals: int, n_caps: int) -> None:
        N = n_antennas
        self.x = cp.Variable(N, complex=True)
        self.F = cp.Parameter((N, n_terminals), complex=True)
        self.h = cp.Parameter(N, complex=True)
        self.G = [cp.Parameter((N, N), complex=True) for _ in range(n_caps)]
        self.s = cp.Parameter(N, complex=True)
        cons = [cp.sum_squares(self.x) <= 1.0]
        cons += [cp.sum_squares(G @ self.x) <= 1.0 for G in self.G]
        cons.append(cp.real(cp.conj(self.s) @ self.x) >= 1.0)
        objective = cp.real(cp.conj(self.h) @ self.x) - cp.sum_squares(cp.conj(self.F).T @ self.x)
        self.problem = cp.Problem(cp.Maximize(objective), cons)


class FeasibilityCvxpy:
    """One SCA step of the feasibility phase: all K beams jointly, ``x_k = w_k / sqrt(P-bar_k)``::

        maximise t  s.t.  ||x_k||^2 <= 1,
                          Re(c_k^H x_k) - sum_{j != k} ||D_kj x_j||^2 - d_k >= t

    with the linearised own echo and the exact interference, all divided by ``Gamma sigma^2``
    (``c_k``, ``d_k`` parameters: the SCA point; ``D_kj = sqrt(Gamma P-bar_j / (Gamma sigma^2))
    HI[k,j]`` fixed for one call).
    """

    def __init__(self, network: pi.Network, pbar: NDArray[np.float64]) -> None:
        K, N = network.n_terminals, network.terminal_antennas
        sc = network.scenario
        unit = sc.sensing_sinr * sc.noise_power_w
        self.x = cp.Variable((K, N), complex=True)
        self.t = cp.Variable()
        self.c = cp.Parameter((K, N), complex=True)
        self.d = cp.Parameter(K)
        cons = [cp.sum_squares(self.x[k]) <= 1.0 for k in range(K)]
        for k in range(K):
            interference = 0
            for j in range(K):
                if j == k or not np.any(network.HI[k, j]):
                    continue
                D = np.sqrt(sc.sensing_sinr * pbar[j] / unit) * network.HI[k, j]
                interference = interference + cp.sum_squares(D @ self.x[j])
            cons.append(cp.real(cp.conj(self.c[k]) @ self.x[k]) - interference - self.d[k] >= self.t)
        self.problem = cp.Problem(cp.Maximize(self.t), cons)


_SUBPROBLEMS: dict[tuple[int, int, int], SubproblemCvxpy] = {}


def _subproblem(N: int, K: int, n_caps: int) -> SubproblemCvxpy:
    """The compiled sub-problem of this shape (compiled on first use, then re-used)."""
    key = (N, K, n_caps)
    if key not in _SUBPROBLEMS:
        _SUBPROBLEMS[key] = SubproblemCvxpy(N, K, n_caps)
    return _SUBPROBLEMS[key]


@dataclass
class PeerBeamforming:
    """Result of :func:`peer_beamforming`.

    Attributes
    ----------
    w : (K, N) complex
        Best iterate [sqrt(W)].
    objective : float
        Objective (39) at ``w`` [s].
    history : list of float
        (39) of the start and every iterate [s].
    iterations, feasibility_iterations, subproblem_failures : int
    status : str
        ``"converged"``, ``"max_iter"`` or ``"infeasible"``.
    failing : tuple of int
    """

    w: NDArray[np.complex128]
    objective: float
    history: list
    iterations: int
    status: str
    feasibility_iterations: int = 0
    subproblem_failures: int = 0
    failing: tuple[int, ...] = ()


# ---- channel algebra (NumPy, from the paper's eqs. (2)-(8), (41), (46), (49), (58))

def _effective(network: pi.Network, w):
    """g[l,k] = H[l,k]^H w_k, (L, K, M)."""
    return np.einsum("lknm,kn->lkm", network.H.conj(), w)


def _sinr_and_receivers(network: pi.Network, w, serving):
    """Uplink SINR (L, K) of the MMSE receiver and the receivers u (K, M) for the serving BSs."""
    L, K, M = network.n_bs, network.n_terminals, network.bs_antennas
    sigma2 = network.scenario.noise_power_w
    g = _effective(network, w)
    sinr = np.empty((L, K))
    u = np.zeros((K, M), complex)
    for l in range(L):
        F = g[l].T @ g[l].conj() + sigma2 * np.eye(M)  # sum_i g_i g_i^H + sigma^2 I
        Finv_g = np.linalg.solve(F, g[l].T)           # (M, K): F^{-1} g_k
        s = np.real(np.einsum("mk,mk->k", g[l].T.conj(), Finv_g))
        sinr[l] = s / (1.0 - s)  # g^H (F - g g^H)^{-1} g by the matrix inversion lemma
        for k in np.flatnonzero(serving == l):
            u[k] = Finv_g[:, k]
    return sinr, u


def _interference(network: pi.Network, w):
    """I[k,j] = ||HI[k,j] w_j||^2 (K, K), 0 on the diagonal (the caps Upsilon of (58))."""
    return np.sum(np.abs(np.einsum("kjab,jb->kja", network.HI, w)) ** 2, axis=2)


def _upload_latency(network: pi.Network, w, serving) -> float:
    """(39): sum over offloading k of Z_k / R_{l(k)k} [s]."""
    g = _effective(network, w)
    sigma2 = network.scenario.noise_power_w
    total = 0.0
    for l in range(network.n_bs):
        ks = np.flatnonzero(serving == l)
        if ks.size == 0:
            continue
        F = g[l].T @ g[l].conj() + sigma2 * np.eye(network.bs_antennas)
        for k in ks:
            s = np.real(g[l, k].conj() @ np.linalg.solve(F, g[l, k]))
            rate = network.scenario.bandwidth_hz * np.log2(1.0 + s / (1.0 - s))
            total += network.task_bits[k] / rate if rate > 0 else np.inf
    return total


def _margins(network: pi.Network, w):
    """Normalised sensing margins (gain |a^H w_k|^2 - Gamma (I_k + sigma^2)) / (Gamma sigma^2)."""
    sc = network.scenario
    beam = np.abs(np.einsum("kn,kn->k", network.steering.conj(), w)) ** 2
    caused = _interference(network, w).sum(axis=1) + sc.noise_power_w
    return (network.echo_gain * beam - sc.sensing_sinr * caused) / (sc.sensing_sinr * sc.noise_power_w)


def _power_ok(w, pbar) -> bool:
    return bool(np.all(np.sum(np.abs(w) ** 2, axis=1) <= pbar * (1.0 + 1e-9)))


def _step(network: pi.Network, w, serving, pbar):
    """One Jacobi iteration of Algorithm 2 from w -> (w_next, failures)."""
    K, N = network.n_terminals, network.terminal_antennas
    sc = network.scenario
    sinr, u = _sinr_and_receivers(network, w, serving)
    off = np.flatnonzero(serving >= 0)
    s_serv = sinr[serving[off], off]
    rate = sc.bandwidth_hz / np.log(2.0) * np.log1p(s_serv)
    weight = np.zeros(K)
    weight[off] = network.task_bits[off] / rate ** 2 * (1.0 + s_serv)  # alpha_k V_k, (41), (49)
    ups = _interference(network, w)  # Upsilon (58)
    beta = np.einsum("kn,kn->k", network.steering.conj(), w)  # a_k^H w~_k
    w_next = w.copy()
    failures = 0
    for k in range(K):
        # v_i = H[l(i),k] u_i: what terminal k's beam contributes to i's MMSE estimate.
        V = np.zeros((N, K), complex)
        for i in off:
            V[:, i] = np.sqrt(weight[i]) * (network.H[serving[i], k] @ u[i])
        h = 2.0 * np.sqrt(weight[k]) * V[:, k] if serving[k] >= 0 else np.zeros(N, complex)
        # Scale the objective to O(1) in the scaled variable (Clarabel's tolerances are partly
        # absolute): divide by the largest entry of its quadratic and linear parts.
        p = pbar[k]
        Q = p * (V @ V.conj().T)
        scale = 1.0 / max(np.abs(Q).max(), np.sqrt(p) * np.abs(h).max())
        caps = [j for j in range(K) if j != k and np.any(network.HI[j, k])]
        sub = _subproblem(N, K, len(caps))
        sub.F.value = np.sqrt(p * scale) * V
        sub.h.value = np.sqrt(p) * scale * h
        for G, j in zip(sub.G, caps):
            G.value = network.HI[j, k] * np.sqrt(p / ups[j, k])
        rhs = np.abs(beta[k]) ** 2 + sc.sensing_sinr * (ups[k].sum() + sc.noise_power_w) / network.echo_gain[k]
        sub.s.value = 2.0 * np.sqrt(p) * beta[k] * network.steering[k] / rhs
        if _solve(sub.problem) and sub.x.value is not None:
            w_next[k] = np.sqrt(p) * sub.x.value
        else:
            failures += 1  # keep w~_k: it is feasible for every constraint
    return w_next, failures


def peer_beamforming(network: pi.Network, a, b, *, w0=None, max_iter: int = 50,
                     tol: float = 1e-4) -> PeerBeamforming:
    """Algorithm 2 for decisions ``a, b`` (L, K), CVXPY + Clarabel sub-problems.

    Parameters
    ----------
    network : pyiscc.Network
    a, b : (L, K) {0, 1}
    w0 : (K, N) complex, optional
        Start [sqrt(W)] within the power budgets; default the max-sensing beams at
        ``P_th - eta (f^L)^3``.
    max_iter, tol
        As ``pyiscc.optimize_beamforming``.

    Returns
    -------
    PeerBeamforming
    """
    K, N = network.n_terminals, network.terminal_antennas
    chosen = np.asarray(a, float) + np.asarray(b, float)
    serving = np.where(chosen.sum(axis=0) > 0, np.argmax(chosen, axis=0), -1)
    pbar = network.max_power_w - np.where(serving < 0, network.local_cpu_power_w, 0.0)
    if np.any(pbar <= 0):
        return PeerBeamforming(np.zeros((K, N), complex), np.nan, [np.nan], 0, "infeasible",
                               failing=tuple(int(k) for k in np.flatnonzero(pbar <= 0)))
    w = pi.max_sensing_beams(network) if w0 is None else np.array(w0, dtype=complex)
    if not _power_ok(w, pbar):
        raise ValueError("w0: violates the power budget (18d)")

    margin = _margins(network, w)
    worst = margin.min()
    feasibility_iterations = 0
    if worst < 0:
        sc = network.scenario
        unit = sc.sensing_sinr * sc.noise_power_w
        feas = FeasibilityCvxpy(network, pbar)
        for it in range(FEASIBILITY_ITER):
            beta = np.einsum("kn,kn->k", network.steering.conj(), w)
            feas.c.value = (2.0 * network.echo_gain * np.sqrt(pbar) / unit)[:, None] \
                * beta[:, None] * network.steering
            feas.d.value = (sc.sensing_sinr * sc.noise_power_w + network.echo_gain * np.abs(beta) ** 2) / unit
            feasibility_iterations = it + 1
            if not _solve(feas.problem) or feas.x.value is None:
                break
            w_new = np.sqrt(pbar)[:, None] * feas.x.value
            if not _power_ok(w_new, pbar):
                break
            m_new = _margins(network, w_new)
            stalled = m_new.min() - worst <= 1e-9 * max(1.0, abs(worst))
            if m_new.min() > worst:
                w, margin, worst = w_new, m_new, m_new.min()
            if stalled or worst >= 0:
                break
        if worst < 0:
            return PeerBeamforming(w, _upload_latency(network, w, serving), [], 0, "infeasible",
                                   feasibility_iterations,
                                   failing=tuple(int(k) for k in np.flatnonzero(margin < 0)))

    obj = _upload_latency(network, w, serving)
    res = PeerBeamforming(w, obj, [obj], 0, "max_iter", feasibility_iterations)
    if not np.any(serving >= 0):
        res.status = "converged"
        return res
    for it in range(max_iter):
        w, failures = _step(network, w, serving, pbar)
        res.subproblem_failures += failures
        obj_next = _upload_latency(network, w, serving)
        res.history.append(obj_next)
        res.iterations = it + 1
        if obj_next < res.objective:
            res.objective, res.w = obj_next, w
        decrease = (obj - obj_next) / obj
        obj = obj_next
        if decrease < tol:
            res.status = "converged"
            break
    return res
