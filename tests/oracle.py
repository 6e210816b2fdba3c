"""Exact oracle of problem (18) for N = 1 terminal antenna, built from the model (DESIGN.md
section 1) independently of the library's solvers.

With N = 1 the beam w_k is a complex scalar; its phase enters no constraint and no objective, so
only the powers p_k = |w_k|^2 matter.  For fixed decisions:

- (18d): ``0 <= p_k <= P_th,k`` (less ``eta (f^L_k)^3`` for a local terminal);
- (18e): ``gain_k p_k >= Gamma (sum_{j != k} |HI[k,j]|^2 p_j + sigma^2)``, linear in p, with
  nonpositive off-diagonal coefficients (a standard interference function, Yates 1995);
- objective ``sum_k T_k``: ``Z / R_k(p) + const`` for an offloading terminal, where the MMSE rate
  R_k is increasing in p_k and decreasing in every other p_i.  Non-convex, but monotone in each
  coordinate, so over a box [lo, hi] the sum is bounded below by ``sum_k Z / R_k(hi_k, lo_-k)``.

Every decision (local, MEC l, cloud via l per terminal; MEC capacity (18c) respected) and every
power box is handled by one best-first branch and bound: a node is (decision, box); its box is
tightened to the feasible set (the least feasible point of the box, by the monotone fixed-point
iteration from ``lo``, is a lower bound on every feasible point in the box and certifies
emptiness when it leaves the box; each sensing row bounds the interferers' powers from above);
feasible points (the least point and the box centre, when feasible) give upper bounds.  The search
stops when the smallest lower bound is within ``rtol`` of the best feasible value: ``lower`` is
then a certified lower bound on the global optimum and ``value`` the value of a feasible point.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OracleResult:
    """``value``: sum of latencies at the best feasible point found [s]; ``lower``: certified
    lower bound on the global optimum [s] (``lower <= optimum <= value``); ``p`` (K,) its powers
    [W]; ``modes`` (K,) per terminal -1 local, else ``l`` (MEC of BS l) or ``L + l`` (cloud via
    l); ``nodes``: boxes processed.  ``value = inf`` when no decision is feasible."""

    value: float
    lower: float
    p: np.ndarray
    modes: tuple[int, ...]
    nodes: int


class _Model:
    def __init__(self, net) -> None:
        sc = net.scenario
        L, K, N, M = net.H.shape
        assert N == 1, "the oracle needs N = 1"
        self.L, self.K = L, K
        self.h = np.conj(net.H[:, :, 0, :])  # (L, K, M): g_lk = h_lk w_k
        self.sigma2 = sc.noise_power_w
        self.B = sc.bandwidth_hz
        self.Z = np.asarray(net.task_bits, float)
        self.gamma = sc.sensing_sinr
        steer = np.abs(net.steering[:, 0]) ** 2  # |a_k|^2 = 1 for N = 1
        self.gain = net.echo_gain * steer
        self.hi = np.abs(net.HI[:, :, 0, 0]) ** 2  # (K, K): |HI[k,j]|^2, diagonal 0
        np.fill_diagonal(self.hi, 0.0)
        self.p_th = np.asarray(net.max_power_w, float)
        self.eta_f3 = sc.chip_coefficient * np.asarray(net.cpu_local_hz, float) ** 3
        self.t_local = sc.cycles_per_bit * self.Z / np.asarray(net.cpu_local_hz, float)
        self.c_mec = sc.cycles_per_bit * self.Z / sc.cpu_mec_hz
        self.c_cloud = self.Z / sc.backhaul_bps + sc.cycles_per_bit * self.Z / sc.cpu_cloud_hz
        self.slots = int(np.floor(sc.mec_capacity_hz / sc.cpu_mec_hz + 1e-9))

    def rate(self, l: int, k: int, p: np.ndarray) -> float:
        """MMSE uplink rate of terminal k at BS l for powers p [bit/s] (eqs. 2-4)."""
        M = self.h.shape[2]
        D = self.sigma2 * np.eye(M, dtype=complex)
        for i in range(self.K):
            if i != k:
                D += p[i] * np.outer(self.h[l, i], self.h[l, i].conj())
        hk = self.h[l, k]
        sinr = p[k] * np.real(hk.conj() @ np.linalg.solve(D, hk))
        return self.B * np.log2(1.0 + max(sinr, 0.0))

    def total(self, modes: tuple[int, ...], p: np.ndarray) -> float:
        out = 0.0
        for k, m in enumerate(modes):
            if m < 0:
                out += self.t_local[k]
                continue
            r = self.rate(m % self.L, k, p)
            if r <= 0:
                return np.inf
            out += self.Z[k] / r + (self.c_mec[k] if m < self.L else self.c_cloud[k])
        return out

    def lower(self, modes: tuple[int, ...], lo: np.ndarray, hi: np.ndarray) -> float:
        """sum_k T_k bounded below over the box: own power at hi, others at lo."""
        out = 0.0
        for k, m in enumerate(modes):
            if m < 0:
                out += self.t_local[k]
                continue
            q = lo.copy()
            q[k] = hi[k]
            r = self.rate(m % self.L, k, q)
            if r <= 0:
                return np.inf
            out += self.Z[k] / r + (self.c_mec[k] if m < self.L else self.c_cloud[k])
        return out

    def feasible(self, p: np.ndarray, ub: np.ndarray) -> bool:
        if np.any(p < 0) or np.any(p > ub):
            return False
        need = self.gamma * (self.hi @ p + self.sigma2)
        return bool(np.all(self.gain * p >= need))

    def tighten(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Shrink [lo, hi] to a box holding the same feasible points; None when none."""
        lo, hi = lo.copy(), hi.copy()
        for _ in range(200):
            # Least feasible point >= lo: p_k = max(lo_k, Gamma (sum_j hi_kj p_j + s2) / gain_k),
            # monotone from lo; every feasible q >= lo dominates every iterate.
            new = np.maximum(lo, self.gamma * (self.hi @ lo + self.sigma2) / self.gain)
            if np.any(new > hi * (1 + 1e-12) + 1e-300):
                return None
            done = np.allclose(new, lo, rtol=1e-13, atol=0.0)
            lo = np.minimum(new, hi)
            if done:
                break
        if self.gamma > 0:
            # Row k: hi_kj p_j <= gain_k hi_k / Gamma - s2 - sum_{i != j} hi_ki lo_i.
            for k in range(self.K):
                room = self.gain[k] * hi[k] / self.gamma - self.sigma2 - self.hi[k] @ lo
                for j in range(self.K):
                    if self.hi[k, j] > 0:
                        hi[j] = min(hi[j], lo[j] + room / self.hi[k, j])
            if np.any(lo > hi):
                return None
        return lo, hi


def solve_oracle(net, rtol: float = 1e-6, max_nodes: int = 200_000) -> OracleResult:
    """Certified global optimum of (18) (sum of latencies) for a network with N = 1.

    Parameters
    ----------
    net : pyiscc.Network
        K <= 4, L <= 2 keep it fast (the decisions are enumerated: (1 + 2L)^K).
    rtol : float
        Stop when the smallest open lower bound is within ``rtol`` (relative) of the incumbent.
    max_nodes : int
        Safety cap on processed boxes (AssertionError when hit: the bound is then not certified).
    """
    mdl = _Model(net)
    L, K = mdl.L, mdl.K
    heap: list = []
    counter = itertools.count()
    best_val, best_p, best_modes = np.inf, np.zeros(K), tuple([-1] * K)

    def push(modes, lo, hi):
        box = mdl.tighten(lo, hi)
        if box is None:
            return
        lo, hi = box
        nonlocal best_val, best_p, best_modes
        ub = np.array([mdl.p_th[k] - (mdl.eta_f3[k] if modes[k] < 0 else 0.0) for k in range(K)])
        # The least point meets every sensing row with equality up to rounding: scaled up by
        # 1e-10 it meets them strictly (scaling every power up only helps the SINRs).
        least = np.minimum(lo * (1 + 1e-10), hi)
        for cand in (least, 0.5 * (lo + hi), np.where([m >= 0 for m in modes], hi, lo)):
            if mdl.feasible(cand, ub):
                v = mdl.total(modes, cand)
                if v < best_val:
                    best_val, best_p, best_modes = v, cand.copy(), modes
        heapq.heappush(heap, (mdl.lower(modes, lo, hi), next(counter), modes, lo, hi))

    # A cheap bound per decision: every offloading terminal alone at full power (no
    # interference).  Decisions are opened in its order, and only while it is below the incumbent.
    alone = np.empty((2 * L, K))
    for m in range(2 * L):
        for k in range(K):
            p = np.zeros(K)
            p[k] = mdl.p_th[k]
            r = mdl.rate(m % L, k, p)
            extra = mdl.c_mec[k] if m < L else mdl.c_cloud[k]
            alone[m, k] = (mdl.Z[k] / r if r > 0 else np.inf) + extra
    decisions = []
    for modes in itertools.product(range(-1, 2 * L), repeat=K):
        if any(sum(1 for m in modes if m == l) > mdl.slots for l in range(L)):
            continue  # (18c)
        hi = mdl.p_th - np.where(np.array(modes) < 0, mdl.eta_f3, 0.0)
        if np.any(hi < 0):
            continue  # (18d): local CPU power alone over P_th
        cheap = sum(mdl.t_local[k] if m < 0 else alone[m, k] for k, m in enumerate(modes))
        decisions.append((cheap, modes, hi))
    decisions.sort(key=lambda x: x[0])
    for cheap, modes, hi in decisions:
        if cheap >= best_val * (1 - rtol):
            break
        push(modes, np.zeros(K), hi)
    nodes = 0
    lower = np.inf
    while heap:
        lb, _, modes, lo, hi = heapq.heappop(heap)
        lower = lb
        if lb >= best_val * (1 - rtol):
            lower = min(lb, best_val)
            break
        nodes += 1
        assert nodes <= max_nodes, "oracle: node cap hit, no certificate"
        width = (hi - lo) / np.maximum(mdl.p_th, 1e-300)
        j = int(np.argmax(width))
        mid = 0.5 * (lo[j] + hi[j])
        for a_, b_ in ((lo[j], mid), (mid, hi[j])):
            lo2, hi2 = lo.copy(), hi.copy()
            lo2[j], hi2[j] = a_, b_
            push(modes, lo2, hi2)
    else:
        lower = best_val
    return OracleResult(float(best_val), float(min(lower, best_val)), best_p, best_modes, nodes)
