"""Peer Algorithm 1: offloading for fixed beams by consensus ADMM, local step (29) in CVXPY.

The same procedure as ``pyiscc.optimize_offloading`` (docs/algorithms.md, "Algorithm 1"): costs
scaled by their largest finite magnitude, dominated modes held at 0 (dearer than the terminal's
best cloud mode, or than local execution when (18d) sets no bound), rho = 1 with residual
balancing (x2 / /2 every 5 iterations during the first 1,000 when one residual exceeds 10x the
other), Boyd's stopping
test with tol = 1e-6 absolute and relative, then relaxation-and-inflation recovery (warm
re-solves of at most 10 iterations on the tightened problem), feasibility repair and 1-exchange
improvement.  Written from the description in NumPy, with the local step as a parametrised CVXPY
problem (Clarabel); no pyiscc solver is called.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
from numpy.typing import NDArray

import pyiscc as pi
from pyiscc.metrics import FEASIBILITY_RTOL, mode_latencies

__all__ = ["LocalStepCvxpy", "PeerOffloading", "peer_offloading"]

INTEGRAL_GAP = 1e-3      # a relaxed choice this close to 1 is already integral
BALANCE, RHO_STEP = 10.0, 2.0
ADAPT_EVERY, ADAPT_UNTIL = 5, 1000
RECOVERY_ITER = 10
INFLATION_SHARE = 8
MAX_IMPROVEMENT_PASSES = 1000
#: Clarabel settings for the local step, far tighter than its defaults (1e-8): the objective
#: 1/2 ||x - t||^2 reaches ~750 once rho has shrunk, and with a unit Hessian an objective gap g
#: leaves x up to sqrt(2 g) off, so at 1e-8 entries came out 2e-4 off the exact projection and
#: still 9e-5 at 1e-10; at 1e-14 the 249 local steps of the seed-3 run are within 2e-7 (median
#: 5e-12), all "optimal", at the same speed.
CLARABEL_SETTINGS = {"tol_gap_abs": 1e-14, "tol_gap_rel": 1e-14, "tol_feas": 1e-14,
                     "tol_ktratio": 1e-12}


class LocalStepCvxpy:
    """Local step (29) of one BS as a CVXPY problem, compiled once and re-used (cp.Parameter).

    ``argmin 1/2 ||x - t||^2`` over ``x = (omega_l, varpi_l)`` (2K entries) subject to
    ``lo <= x <= hi`` and ``sum(omega_l) <= capacity`` (18c).

    Parameters
    ----------
    n_terminals : int
        K.
    """

    def __init__(self, n_terminals: int) -> None:
        K = n_terminals
        self.n_terminals = K
        self.x = cp.Variable(2 * K)
        self.t = cp.Parameter(2 * K)
        self.lo = cp.Parameter(2 * K)
        self.hi = cp.Parameter(2 * K)
        self.capacity = cp.Parameter(nonneg=True)
        self.problem = cp.Problem(
            cp.Minimize(0.5 * cp.sum_squares(self.x - self.t)),
            [self.x >= self.lo, self.x <= self.hi, cp.sum(self.x[:K]) <= self.capacity])

    def __call__(self, t: NDArray[np.float64], lo: NDArray[np.float64], hi: NDArray[np.float64],
                 capacity: float) -> NDArray[np.float64]:
        """t, lo, hi (2K,), capacity [tasks] -> x (2K,), clipped into the box (an interior-point
        answer is exact only to its tolerance; held entries lo = hi must stay exact)."""
        self.t.value = t
        self.lo.value = lo
        self.hi.value = hi
        self.capacity.value = capacity
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
            self.problem.solve(solver=cp.CLARABEL, **CLARABEL_SETTINGS)
        if self.problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or self.x.value is None:
            raise RuntimeError(f"local step: CVXPY status {self.problem.status}")
        return np.clip(self.x.value, lo, hi)


@dataclass
class PeerOffloading:
    """Result of :func:`peer_offloading`.

    Attributes
    ----------
    a, b : (L, K) int
        Binary decisions (MEC, cloud).
    relaxed_a, relaxed_b : (L, K) float
        The relaxation at the ADMM's global iterate.
    objective : float
        Sum of latencies of (a, b) [s].
    relaxed_objective : float
        Objective (20) of the relaxation [s].
    iterations, recovery_iterations : int
        ADMM iterations of the relaxation and of the recovery's warm re-solves.
    status : str
        ``"optimal"``, ``"max_iter"`` or ``"infeasible"``.
    infeasible_terminals : tuple of int
    local_solves : int
        CVXPY local-step solves done.
    """

    a: NDArray[np.int64]
    b: NDArray[np.int64]
    relaxed_a: NDArray[np.float64]
    relaxed_b: NDArray[np.float64]
    objective: float
    relaxed_objective: float
    iterations: int
    recovery_iterations: int
    status: str
    infeasible_terminals: tuple[int, ...]
    local_solves: int


class _Admm:
    """Consensus ADMM state on the cost-scaled relaxation; (L, K) arrays."""

    def __init__(self, cost_a, cost_b, hi_a, hi_b, capacity, lower, local_step, rho):
        self.cost_a, self.cost_b = cost_a, cost_b
        self.lo_a, self.lo_b = np.zeros_like(cost_a), np.zeros_like(cost_b)
        self.hi_a, self.hi_b = hi_a, hi_b
        self.capacity, self.lower = capacity, lower
        self.local_step = local_step
        self.rho = rho
        z = np.zeros_like(cost_a)
        self.omega, self.varpi, self.a, self.b = z.copy(), z.copy(), z.copy(), z.copy()
        self.phi_a, self.phi_b = z.copy(), z.copy()
        self.solves = 0
        self.refresh_free()

    def refresh_free(self):
        self.free_a = self.lo_a < self.hi_a
        self.free_b = self.lo_b < self.hi_b

    def global_step(self, v_a, v_b):
        """(31)-(35): project the free entries of every terminal onto lower <= sum <= 1."""
        total = v_a.sum(axis=0) + v_b.sum(axis=0)
        n_free = self.free_a.sum(axis=0) + self.free_b.sum(axis=0)
        shift = np.zeros_like(total)
        with np.errstate(divide="ignore", invalid="ignore"):
            up = (n_free > 0) & (total > 1.0)
            down = (n_free > 0) & ~up & (total < self.lower)
            shift[up] = (1.0 - total[up]) / n_free[up]
            shift[down] = (self.lower[down] - total[down]) / n_free[down]
        self.a = np.where(self.free_a, v_a + shift, v_a)
        self.b = np.where(self.free_b, v_b + shift, v_b)

    def run(self, max_iter, tol, history=None):
        """ADMM iterations from the current state -> (iterations, converged)."""
        L, K = self.a.shape
        n_free = int(self.free_a.sum() + self.free_b.sum())
        if n_free == 0:
            self.global_step(self.lo_a, self.lo_b)
            return 0, True
        sqrt_n = math.sqrt(n_free)
        it = 0
        while it < max_iter:
            it += 1
            for l in range(L):  # local step (29) at every BS
                t = np.concatenate([self.a[l] - self.phi_a[l] - self.cost_a[l] / self.rho,
                                    self.b[l] - self.phi_b[l] - self.cost_b[l] / self.rho])
                x = self.local_step(t, np.concatenate([self.lo_a[l], self.lo_b[l]]),
                                    np.concatenate([self.hi_a[l], self.hi_b[l]]),
                                    float(self.capacity[l]))
                self.solves += 1
                self.omega[l], self.varpi[l] = x[:K], x[K:]
            a_prev, b_prev = self.a, self.b
            v_a, v_b = self.omega + self.phi_a, self.varpi + self.phi_b
            self.global_step(v_a, v_b)
            self.phi_a, self.phi_b = v_a - self.a, v_b - self.b  # dual step (37)-(38)
            r = math.sqrt(np.sum((self.omega - self.a) ** 2) + np.sum((self.varpi - self.b) ** 2))
            s = self.rho * math.sqrt(np.sum((self.a - a_prev) ** 2) + np.sum((self.b - b_prev) ** 2))
            x2 = np.sum(self.omega ** 2) + np.sum(self.varpi ** 2)
            z2 = np.sum(self.a ** 2) + np.sum(self.b ** 2)
            y2 = np.sum(self.phi_a ** 2) + np.sum(self.phi_b ** 2)
            if history is not None:
                history.append(r)
            if (r <= sqrt_n * tol + tol * math.sqrt(max(x2, z2))
                    and s <= sqrt_n * tol + tol * self.rho * math.sqrt(y2)):
                return it, True
            if it <= ADAPT_UNTIL and it % ADAPT_EVERY == 0:
                factor = RHO_STEP if r > BALANCE * s else (1.0 / RHO_STEP if s > BALANCE * r else 1.0)
                if factor != 1.0:
                    self.rho *= factor
                    self.phi_a, self.phi_b = self.phi_a / factor, self.phi_b / factor
        return it, False


def peer_offloading(network: pi.Network, w: NDArray[np.complex128], *, cloud: bool = True,
                    rho: float = 1.0, max_iter: int = 1000, tol: float = 1e-6,
                    local_step: LocalStepCvxpy | None = None) -> PeerOffloading:
    """Algorithm 1 for beams ``w`` (K, N): ADMM with CVXPY local steps, then binary recovery.

    Parameters
    ----------
    network : pyiscc.Network
    w : (K, N) complex
        Beamformers [sqrt(W)].
    cloud : bool
        False: no cloud tier.
    rho, max_iter, tol
        As ``pyiscc.optimize_offloading``.
    local_step : LocalStepCvxpy, optional
        A compiled local-step problem to re-use (built here otherwise).

    Returns
    -------
    PeerOffloading
    """
    L, K = network.n_bs, network.n_terminals
    sc = network.scenario
    t_local, t_mec, t_cloud = mode_latencies(network, w)
    cost_mec = np.where(np.isfinite(t_mec), t_mec - t_local, np.inf)
    cost_cloud = np.where(np.isfinite(t_cloud), t_cloud - t_local, np.inf) if cloud \
        else np.full((L, K), np.inf)
    capacity = np.full(L, sc.mec_capacity_hz / sc.cpu_mec_hz)
    # (18d) with w fixed: sum_l (a + b) >= s_min, with evaluate()'s relative tolerance.
    tx = np.sum(np.abs(w) ** 2, axis=1)
    budget = network.max_power_w * (1.0 + FEASIBILITY_RTOL)
    local_power = network.local_cpu_power_w
    s_min = np.full(K, -np.inf)
    pos = local_power > 0
    s_min[pos] = 1.0 - (budget[pos] - tx[pos]) / local_power[pos]
    s_min[s_min <= 0] = -np.inf
    over_budget = tx > budget
    s_min[over_budget] = 1.0

    ok_a, ok_b = np.isfinite(cost_mec), np.isfinite(cost_cloud)
    cost_a0, cost_b0 = np.where(ok_a, cost_mec, 0.0), np.where(ok_b, cost_cloud, 0.0)
    finite = np.concatenate([cost_mec[ok_a], cost_cloud[ok_b]])
    scale = float(np.abs(finite).max()) if finite.size else 0.0
    scale = scale if scale > 0 else 1.0
    t_local_sum = float(t_local.sum())

    # Dominated modes are 0 in every optimum (moving their share to the best cloud mode, or to
    # local execution when (18d) allows it, is feasible and strictly better): held at 0.
    fallback = np.where(s_min > 0, np.inf, 0.0)
    fallback = np.minimum(fallback, np.where(ok_b, cost_cloud, np.inf).min(axis=0))
    hi_a = (ok_a & ~(cost_a0 > fallback)).astype(float)
    hi_b = (ok_b & ~(cost_b0 > fallback)).astype(float)

    step = local_step if local_step is not None else LocalStepCvxpy(K)
    st = _Admm(cost_a0 / scale, cost_b0 / scale, hi_a, hi_b,
               capacity.copy(), np.where(s_min > 0, s_min, -np.inf), step, float(rho))
    iterations, converged = st.run(max_iter, tol)
    relaxed_a, relaxed_b = st.a.copy(), st.b.copy()
    relaxed_objective = t_local_sum + float(np.sum(cost_a0 * st.a) + np.sum(cost_b0 * st.b))

    # ---- binary recovery: relaxation and inflation on the tightened binary problem
    cap_int = np.floor(capacity + 1e-9)
    must = s_min > 0
    mode = [None] * K  # None: undecided; -1 local; l MEC; L + l cloud
    used = np.zeros(L)
    n_modes = 2 * L

    def cost(k, m):
        return 0.0 if m < 0 else (cost_a0[m, k] if m < L else cost_b0[m - L, k])

    def available(k, m):
        return (not must[k]) if m < 0 else (ok_a[m, k] if m < L else ok_b[m - L, k])

    def fits(k, m):
        return available(k, m) and (m < 0 or m >= L or used[m] + 1.0 <= cap_int[m])

    def hold(k, m):
        mode[k] = m
        if 0 <= m < L:
            used[m] += 1.0
        va = (np.arange(L) == m).astype(float)
        vb = (np.arange(L) + L == m).astype(float)
        for arr in (st.lo_a, st.hi_a, st.a, st.omega):
            arr[:, k] = va
        for arr in (st.lo_b, st.hi_b, st.b, st.varpi):
            arr[:, k] = vb
        st.phi_a[:, k] = 0.0
        st.phi_b[:, k] = 0.0
        st.lower[k] = -np.inf

    unplaced = []
    recovery_iterations = 0
    tightened = False
    while True:
        cands = []
        undecided = 0
        for k in range(K):
            if mode[k] is not None:
                continue
            total = st.a[:, k].sum() + st.b[:, k].sum()
            any_fit = False
            for m in range(-1, n_modes):
                if not fits(k, m):
                    continue
                any_fit = True
                v = 1.0 - total if m < 0 else (st.a[m, k] if m < L else st.b[m - L, k])
                cands.append((-min(max(v, 0.0), 1.0), k, m))
            if not any_fit:  # must offload, no room: repaired below
                hold(k, -1)
                unplaced.append(k)
            else:
                undecided += 1
        if undecided == 0:
            break
        cands.sort()
        integral = -cands[0][0] >= 1.0 - INTEGRAL_GAP
        batch = max(1, undecided // INFLATION_SHARE)
        fixed = 0
        for neg_v, k, m in cands:
            if mode[k] is not None:
                continue
            if integral and -neg_v < 1.0 - INTEGRAL_GAP:
                break
            if not fits(k, m):
                continue
            hold(k, m)
            fixed += 1
            if not integral and fixed >= batch:
                break
        if fixed == undecided:
            break
        if not tightened:
            st.capacity = cap_int.copy()
            for k in range(K):
                if mode[k] is None and must[k]:
                    st.lower[k] = 1.0
            tightened = True
        for k in range(K):
            if mode[k] is None and must[k] and not any(fits(k, m) for m in range(n_modes)):
                st.lower[k] = -np.inf
        st.refresh_free()
        its, _ = st.run(min(max_iter, RECOVERY_ITER), tol)
        recovery_iterations += its

    # ---- feasibility repair: a must-offload terminal takes a slot, evicting at least cost
    threshold = 1e-12 * scale
    still_unplaced = []
    for k in unplaced:
        best, best_j, best_l, best_alt = np.inf, -1, -1, 0
        for m in range(n_modes):
            if fits(k, m) and cost(k, m) < best:
                best, best_l, best_j = cost(k, m), m, -1
        if best_l < 0:
            for l in range(L):
                if not available(k, l):
                    continue
                for j in range(K):
                    if mode[j] != l:
                        continue
                    for alt in range(-1, n_modes):
                        if alt == l or not available(j, alt) or (0 <= alt < L and used[alt] + 1.0 > cap_int[alt]):
                            continue
                        delta = cost(k, l) + cost(j, alt) - cost(j, l)
                        if delta < best:
                            best, best_j, best_l, best_alt = delta, j, l, alt
        if best_l < 0:
            still_unplaced.append(k)
            continue
        if best_j >= 0:
            mode[best_j] = best_alt
            if 0 <= best_alt < L:
                used[best_alt] += 1.0
            mode[k] = best_l
        else:
            mode[k] = best_l
            if best_l < L:
                used[best_l] += 1.0

    # ---- 1-exchange improvement: single moves, then ejections
    stuck = set(still_unplaced)
    for _ in range(MAX_IMPROVEMENT_PASSES):
        improved = False
        for k in range(K):
            if k in stuck:
                continue
            cur = mode[k]
            best, best_m = -threshold, cur
            for m in range(-1, n_modes):
                if m == cur or not fits(k, m):
                    continue
                delta = cost(k, m) - cost(k, cur)
                if delta < best:
                    best, best_m = delta, m
            if best_m != cur:
                if 0 <= cur < L:
                    used[cur] -= 1.0
                if 0 <= best_m < L:
                    used[best_m] += 1.0
                mode[k] = best_m
                improved = True
        for l in range(L):
            for i in range(K):
                if mode[i] != l or i in stuck:
                    continue
                for j in range(K):
                    mj = mode[j]
                    if mj == l or j in stuck or not available(j, l):
                        continue
                    alt_cost, alt = np.inf, l
                    for m in range(-1, n_modes):
                        if m == l or not available(i, m):
                            continue
                        if 0 <= m < L and m != mj and used[m] + 1.0 > cap_int[m]:
                            continue
                        if cost(i, m) < alt_cost:
                            alt_cost, alt = cost(i, m), m
                    if alt == l:
                        continue
                    delta = cost(j, l) - cost(j, mj) + alt_cost - cost(i, l)
                    if delta < -threshold:
                        if 0 <= mj < L:
                            used[mj] -= 1.0
                        if 0 <= alt < L:
                            used[alt] += 1.0
                        mode[j], mode[i] = l, alt
                        improved = True
                        break
        if not improved:
            break

    a = np.zeros((L, K), dtype=np.int64)
    b = np.zeros((L, K), dtype=np.int64)
    objective = t_local_sum
    for k, m in enumerate(mode):
        if 0 <= m < L:
            a[m, k] = 1
        elif m >= L:
            b[m - L, k] = 1
        objective += cost(k, m)
    infeasible = tuple(sorted(set(np.flatnonzero(over_budget).tolist()) | set(still_unplaced)))
    status = "infeasible" if infeasible else ("optimal" if converged else "max_iter")
    return PeerOffloading(a, b, relaxed_a, relaxed_b, float(objective), relaxed_objective,
                          iterations, recovery_iterations, status, infeasible, st.solves)
