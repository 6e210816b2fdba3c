"""Algorithm 1: offloading decisions for fixed beamformers (Sec. III-A, DESIGN.md section 2).

:func:`optimize_offloading` runs the paper's distributed consensus ADMM (local step (29) at every
BS, closed-form global step (31)-(35) at the cloud, dual step (37)-(38)) followed by the binary
recovery ("continuous relaxation and inflation", feasibility repair, 1-exchange improvement);
the whole loop runs in C++ (``cpp/admm.hpp``).  :func:`optimal_offloading` solves the same binary
problem exactly (a generalised-assignment MILP through ``scipy.optimize.milp`` / HiGHS), the
oracle that measures how far the distributed answer is from optimal.

With ``w`` fixed every latency is a constant, so the problem is (eq. 20)::

    minimise   sum_k T^L_k + sum_lk a_lk (T^E_lk - T^L_k) + b_lk (T^C_lk - T^L_k)
    subject to sum_l (a_lk + b_lk) <= 1                  (18a)
               a_lk, b_lk in {0, 1}                       (18b)
               sum_k f^E a_lk <= G_l                      (18c)
               sum_l (a_lk + b_lk) >= s_min,k             (18d)

with ``s_min,k = 1 - (P_th,k - ||w_k||^2) / (eta (f^L_k)^3)`` (see :func:`offloading_problem`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._validate import boolean
from .metrics import FEASIBILITY_RTOL, check_beams, mode_latencies
from .network import Network

__all__ = [
    "AdmmHistory",
    "OffloadingProblem",
    "OffloadingResult",
    "offloading_problem",
    "optimal_offloading",
    "optimize_offloading",
    "solve_admm",
    "solve_milp",
]

STATUSES = ("optimal", "max_iter", "infeasible")


@dataclass(frozen=True, eq=False)
class AdmmHistory:
    """Per-iteration trace of the relaxation ADMM (Fig. 2a).  Empty for the MILP oracle.

    Attributes
    ----------
    objective : (I,) float
        Relaxed objective (20) at the global iterate (a, b) [s].
    primal_residual : (I,) float
        ``||(omega - a, varpi - b)||_2`` (scaled problem, dimensionless).
    dual_residual : (I,) float
        ``rho ||(a, b) - (a, b)_prev||_2`` (scaled problem).
    rho : (I,) float
        Penalty used in the iteration (residual balancing adapts it).
    """

    objective: NDArray[np.float64]
    primal_residual: NDArray[np.float64]
    dual_residual: NDArray[np.float64]
    rho: NDArray[np.float64]

    @classmethod
    def empty(cls) -> AdmmHistory:
        z = np.zeros(0)
        return cls(z, z, z, z)

    def __len__(self) -> int:
        return len(self.objective)


@dataclass(frozen=True, eq=False)
class OffloadingResult:
    """Binary offloading decisions for fixed beams.

    Attributes
    ----------
    a, b : (L, K) int
        ``a[l,k] = 1``: terminal k computes on MEC server l; ``b[l,k] = 1``: on the cloud via BS l.
        A terminal with neither computes locally.
    relaxed_a, relaxed_b : (L, K) float
        The continuous relaxation (19) at the ADMM's global iterate (the MILP oracle reports its
        binary solution here).
    objective : float
        Total latency sum_k T_k of (a, b) [s], eq. (16).
    relaxed_objective : float
        Objective (20) of the relaxation [s] (a lower bound on ``objective`` up to the ADMM tolerance).
    iterations : int
        ADMM iterations of the relaxation (the binary recovery's warm re-solves not included).
    recovery_iterations : int
        ADMM iterations spent in the warm re-solves of the binary recovery.
    history : AdmmHistory
        Objective and residuals of every relaxation iteration (Fig. 2a).
    status : str
        ``"optimal"`` (ADMM converged / MILP solved), ``"max_iter"`` (the relaxation hit
        ``max_iter``; decisions are still feasible) or ``"infeasible"`` (see ``infeasible_terminals``).
    infeasible_terminals : tuple of int
        Terminals that cannot meet (18d) (``||w_k||^2 > P_th,k``: no mode helps; they are sent to
        an offloading mode, the one with least power, whenever there is room) or that must offload
        but find no server.
    backend : str
        ``"exact"``, ``"osqp"`` or ``"milp"``.
    """

    a: NDArray[np.int64]
    b: NDArray[np.int64]
    relaxed_a: NDArray[np.float64]
    relaxed_b: NDArray[np.float64]
    objective: float
    relaxed_objective: float
    iterations: int
    recovery_iterations: int
    history: AdmmHistory
    status: str
    infeasible_terminals: tuple[int, ...] = ()
    backend: str = "exact"

    @property
    def mode(self) -> NDArray[np.int64]:
        """Choice of every terminal, (K,) int: -1 local, l for MEC server l, L + l for the cloud
        via BS l."""
        L = self.a.shape[0]
        out = np.full(self.a.shape[1], -1, dtype=np.int64)
        l, k = np.nonzero(self.a)
        out[k] = l
        l, k = np.nonzero(self.b)
        out[k] = L + l
        return out

    def __repr__(self) -> str:
        return (f"OffloadingResult(status={self.status!r}, objective={self.objective:.6g} s, "
                f"offloaded={int(self.a.sum() + self.b.sum())}/{self.a.shape[1]}, "
                f"iterations={self.iterations}, backend={self.backend!r})")


@dataclass(frozen=True, eq=False)
class OffloadingProblem:
    """The binary problem (20) for fixed beams, in the units the solvers use.

    Attributes
    ----------
    t_local : (K,) float
        T^L_k [s].
    cost_mec, cost_cloud : (L, K) float
        T^E_lk - T^L_k and T^C_lk - T^L_k [s]; ``inf`` where the mode is unavailable (R_lk = 0, or
        every cloud entry when ``cloud=False``).
    capacity : (L,) float
        MEC capacity in tasks, G_l / f^E (18c).
    min_offload : (K,) float
        s_min,k of (18d), ``-inf`` where (18d) sets no lower bound; clipped to 1 for infeasible
        terminals.
    infeasible_terminals : tuple of int
        Terminals with ``||w_k||^2 > P_th,k``: (18d) fails in every mode.
    """

    t_local: NDArray[np.float64]
    cost_mec: NDArray[np.float64]
    cost_cloud: NDArray[np.float64]
    capacity: NDArray[np.float64]
    min_offload: NDArray[np.float64]
    infeasible_terminals: tuple[int, ...] = field(default=())

    @property
    def must_offload(self) -> NDArray[np.bool_]:
        """(K,) bool: (18d) forbids local execution (binary reading of s_min > 0)."""
        return self.min_offload > 0.0

    def objective(self, a: ArrayLike, b: ArrayLike) -> float:
        """Objective (20) of (possibly fractional) decisions [s]; unavailable modes must be 0."""
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        total = float(self.t_local.sum())
        for x, c in ((a, self.cost_mec), (b, self.cost_cloud)):
            used = x != 0.0
            if not np.isfinite(c[used]).all():
                raise ValueError("decision uses an unavailable mode (infinite latency)")
            total += float((x[used] * c[used]).sum())
        return total


def offloading_problem(network: Network, w: ArrayLike, *, cloud: bool = True) -> OffloadingProblem:
    """Costs and constraints of the offloading problem for beams ``w``.

    The power budget (18d) ``||w_k||^2 + (1 - s_k) eta (f^L_k)^3 <= P_th,k`` (s_k the offloaded
    share) is checked with the same relative tolerance as :func:`pyiscc.evaluate`
    (``FEASIBILITY_RTOL``), so that beams at exactly ``P_th - eta (f^L)^3`` (the reference beams)
    leave local execution allowed despite rounding:
    ``s_min,k = 1 - (P_th,k (1 + rtol) - ||w_k||^2) / (eta (f^L_k)^3)``.  With zero local CPU power
    the bound is -inf (or the terminal is infeasible).

    Parameters
    ----------
    network : Network
    w : (K, N) complex
        Beamformers [sqrt(W)].
    cloud : bool
        False removes the cloud tier (ET-ISCC): every cloud cost is ``inf``.

    Returns
    -------
    OffloadingProblem
    """
    if not isinstance(network, Network):
        raise ValueError(f"network must be a Network, got {type(network).__name__}")
    cloud = boolean(cloud, "cloud")
    w = check_beams(network, w)
    t_local, t_mec, t_cloud = mode_latencies(network, w)
    if np.isfinite(t_local).all():  # the usual case: inf - finite = inf, no NaN to clean up
        cost_mec = t_mec - t_local
        cost_cloud = t_cloud - t_local if cloud else np.full(t_cloud.shape, np.inf)
    else:
        with np.errstate(invalid="ignore"):
            cost_mec = t_mec - t_local
            cost_cloud = t_cloud - t_local if cloud else np.full_like(t_cloud, np.inf)
        cost_mec[~np.isfinite(cost_mec)] = np.inf
        cost_cloud[~np.isfinite(cost_cloud)] = np.inf
    sc = network.scenario
    capacity = np.full(network.n_bs, sc.mec_capacity_hz / sc.cpu_mec_hz)

    tx = np.square(w.view(np.float64)).sum(axis=1)        # ||w_k||^2, w is C-contiguous
    budget = network.max_power_w * (1.0 + FEASIBILITY_RTOL)
    local_power = network.local_cpu_power_w
    infeasible = tx > budget
    pos = local_power > 0.0
    if pos.all():
        s_min = 1.0 - (budget - tx) / local_power
    else:
        s_min = np.full(network.n_terminals, -np.inf)
        s_min[pos] = 1.0 - (budget[pos] - tx[pos]) / local_power[pos]
    s_min[s_min <= 0.0] = -np.inf
    s_min[infeasible] = 1.0
    return OffloadingProblem(t_local, cost_mec, cost_cloud, capacity, s_min,
                             tuple(np.flatnonzero(infeasible).tolist()))


def _readonly(*arrays: NDArray[Any]) -> None:
    for x in arrays:
        x.flags.writeable = False


def optimal_offloading(network: Network, w: ArrayLike, cloud: bool = True) -> OffloadingResult:
    """Exact optimum of the binary offloading problem for fixed beams (the oracle of Algorithm 1).

    A generalised-assignment MILP solved by ``scipy.optimize.milp`` (HiGHS): binary ``a, b``;
    ``sum_l a_lk + b_lk <= 1`` (18a) and ``>= 1`` where ``s_min,k > 0`` (18d); MEC capacity
    ``sum_k f^E a_lk <= G_l`` (18c); minimise the objective (20).

    Parameters
    ----------
    network : Network
    w : (K, N) complex
        Beamformers [sqrt(W)].
    cloud : bool
        False: two-tier ET-ISCC (``b = 0``).

    Returns
    -------
    OffloadingResult
        ``backend="milp"``, ``iterations=0``, empty history, the binary solution also as
        ``relaxed_a/relaxed_b``.  ``status`` is ``"optimal"``, or ``"infeasible"`` when a terminal
        violates (18d) in every mode (it is still placed optimally, offloading) or the must-offload
        terminals do not fit (then every decision is 0 and ``objective`` is inf).
    """
    return solve_milp(offloading_problem(network, w, cloud=cloud))


def solve_milp(prob: OffloadingProblem) -> OffloadingResult:
    """The MILP oracle on a prepared problem (see :func:`optimal_offloading`)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array

    L, K = prob.cost_mec.shape
    n = 2 * L * K
    cost = np.concatenate([prob.cost_mec.ravel(), prob.cost_cloud.ravel()])
    available = np.isfinite(cost)
    c = np.where(available, cost, 0.0)
    upper = available.astype(float)

    # x = [a (L,K) row-major, b (L,K) row-major]; entry (l, k) of a is l*K + k.
    idx = np.arange(L * K).reshape(L, K)
    rows_k = np.concatenate([np.tile(np.arange(K), L), np.tile(np.arange(K), L)])
    cols_k = np.concatenate([idx.ravel(), L * K + idx.ravel()])
    A_choice = csr_array((np.ones(n), (rows_k, cols_k)), shape=(K, n))
    lower_choice = np.where(prob.must_offload, 1.0, 0.0)
    A_cap = csr_array((np.ones(L * K), (np.repeat(np.arange(L), K), idx.ravel())), shape=(L, n))
    constraints = [LinearConstraint(A_choice, lower_choice, np.ones(K)),
                   LinearConstraint(A_cap, -np.inf, prob.capacity)]
    res = milp(c, constraints=constraints, integrality=np.ones(n), bounds=Bounds(0.0, upper))

    infeasible = prob.infeasible_terminals
    if res.status == 0 and res.x is not None:
        x = np.rint(res.x).astype(np.int64)
        a = x[: L * K].reshape(L, K)
        b = x[L * K:].reshape(L, K)
        objective = prob.objective(a, b)
        status = "infeasible" if infeasible else "optimal"
    elif res.status == 2:
        a = np.zeros((L, K), dtype=np.int64)
        b = np.zeros((L, K), dtype=np.int64)
        objective = float("inf")
        status = "infeasible"
        infeasible = tuple(sorted(set(infeasible) | {int(k) for k in np.flatnonzero(prob.must_offload)}))
    else:  # pragma: no cover - HiGHS time/iteration limits are not set here
        raise RuntimeError(f"scipy.optimize.milp failed: {res.message}")
    ra, rb = a.astype(float), b.astype(float)
    _readonly(a, b, ra, rb)
    return OffloadingResult(a, b, ra, rb, objective, objective, 0, 0, AdmmHistory.empty(), status,
                            infeasible, "milp")


BACKENDS = ("exact", "osqp")


class OsqpLocalStep:
    """The local step (29) of every BS through OSQP, the independent cross-check of the exact
    C++ solver (``backend="osqp"``).

    One cached ``osqp.OSQP`` per BS solves the canonical form ``min 1/2 ||x - t||^2`` s.t.
    ``lo <= x <= hi``, ``sum(x[:K]) <= capacity`` (x = (omega_l, varpi_l), 2K entries); later
    calls only ``update(q=-t, l=..., u=...)`` and warm-start from the previous answer.

    Parameters
    ----------
    n_terminals : int
        K.
    eps : float
        OSQP's absolute and relative tolerance (no polishing: it prints to stdout; the tolerance alone gives ~1e-9).
    """

    def __init__(self, n_terminals: int, eps: float = 1e-10) -> None:
        self.n_terminals = n_terminals
        self.eps = eps
        self._solvers: dict[int, Any] = {}

    def __call__(self, l: int, t: NDArray[np.float64], lo: NDArray[np.float64],
                 hi: NDArray[np.float64], capacity: float) -> NDArray[np.float64]:
        """Solve BS ``l``'s local step: t, lo, hi (2K,), capacity [tasks] -> x (2K,)."""
        import osqp
        from scipy import sparse

        K = self.n_terminals
        lower = np.append(lo, -np.inf)
        upper = np.append(hi, capacity)
        solver = self._solvers.get(l)
        if solver is None:
            P = sparse.identity(2 * K, format="csc")
            knap = sparse.csr_matrix(np.concatenate([np.ones(K), np.zeros(K)])[None, :])
            A = sparse.vstack([sparse.identity(2 * K), knap], format="csc")
            solver = osqp.OSQP()
            solver.setup(P, -t, A, lower, upper, eps_abs=self.eps, eps_rel=self.eps,
                         polishing=False, max_iter=200_000, verbose=False, warm_starting=True)
            self._solvers[l] = solver
        else:
            solver.update(q=-t, l=lower, u=upper)
        res = solver.solve(raise_error=False)
        if res.x is None or not np.isfinite(res.x).all():
            raise RuntimeError(f"OSQP failed on the local step of BS {l}: {res.info.status}")
        return np.asarray(res.x, dtype=float)


def _check_settings(backend: str, rho: float, max_iter: int, tol: float, workers: int) -> None:
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if isinstance(rho, bool) or not isinstance(rho, (int, float, np.floating, np.integer)) \
            or not np.isfinite(rho) or rho <= 0:
        raise ValueError(f"rho must be a positive finite number, got {rho!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating, np.integer)) \
            or not np.isfinite(tol) or tol <= 0:
        raise ValueError(f"tol must be a positive finite number, got {tol!r}")
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")


def optimize_offloading(network: Network, w: ArrayLike, *, cloud: bool = True,
                        backend: str = "exact", rho: float = 1.0, max_iter: int = 1000,
                        tol: float = 1e-6, workers: int = 1) -> OffloadingResult:
    """Algorithm 1: binary offloading decisions for fixed beams by distributed consensus ADMM.

    Every iteration runs the local step (29) at each BS (in parallel threads when
    ``workers > 1``), the closed-form global step (31)-(35) at the cloud and the dual step
    (37)-(38), until the primal and dual residuals pass the test of Boyd et al. with
    ``tol`` as both absolute and relative tolerance.  The costs are scaled by their largest
    magnitude and ``rho`` adapts by residual balancing.  The binary decision is then recovered
    by relaxation and inflation (fix the largest relaxed choice, re-solve the rest warm),
    feasibility repair and a 1-exchange improvement; docs/algorithms.md has the details.

    Parameters
    ----------
    network : Network
    w : (K, N) complex
        Beamformers [sqrt(W)].
    cloud : bool
        False: two-tier ET-ISCC (``b = 0``).
    backend : {"exact", "osqp"}
        Local-step solver: the exact C++ breakpoint search, or OSQP (one cached solver per BS,
        warm-started; the cross-check, much slower, always serial).
    rho : float
        Initial ADMM penalty on the cost-scaled problem (> 0).
    max_iter : int
        Iteration cap of the relaxation and of each warm re-solve of the recovery.
    tol : float
        Residual tolerance (> 0).
    workers : int
        Threads for the per-BS local steps (exact backend; results are bit-identical to
        ``workers=1``).

    Returns
    -------
    OffloadingResult
        Status ``"optimal"`` when the relaxation converged, ``"max_iter"`` when it hit
        ``max_iter`` (the decisions are still feasible), ``"infeasible"`` when some terminal
        cannot meet (18d) (``infeasible_terminals``; decisions are still returned for all).
    """
    _check_settings(backend, rho, max_iter, tol, workers)
    return _solve_admm(offloading_problem(network, w, cloud=cloud), backend, rho, max_iter, tol,
                       workers)


def solve_admm(prob: OffloadingProblem, *, backend: str = "exact", rho: float = 1.0,
               max_iter: int = 1000, tol: float = 1e-6, workers: int = 1) -> OffloadingResult:
    """Algorithm 1 on a prepared problem (see :func:`optimize_offloading`)."""
    _check_settings(backend, rho, max_iter, tol, workers)
    return _solve_admm(prob, backend, rho, max_iter, tol, workers)


def _solve_admm(prob: OffloadingProblem, backend: str, rho: float, max_iter: int, tol: float,
                workers: int) -> OffloadingResult:
    K = prob.t_local.shape[0]
    local_step = OsqpLocalStep(K) if backend == "osqp" else None
    out = _core.solve_offloading(prob.t_local, prob.cost_mec, prob.cost_cloud, prob.capacity,
                                 prob.min_offload, float(rho), int(max_iter), float(tol),
                                 int(workers), local_step)
    unplaced = out["unplaced"]
    infeasible = prob.infeasible_terminals
    if unplaced.size:
        infeasible = tuple(sorted(set(infeasible) | set(unplaced.tolist())))
    status = "infeasible" if infeasible else out["status"]
    history = AdmmHistory(out["history_objective"], out["history_primal"], out["history_dual"],
                          out["history_rho"])
    a, b = out["a"], out["b"]
    ra, rb = out["relaxed_a"], out["relaxed_b"]
    _readonly(a, b, ra, rb, *(getattr(history, f) for f in
                              ("objective", "primal_residual", "dual_residual", "rho")))
    return OffloadingResult(a, b, ra, rb, float(out["objective"]),
                            float(out["relaxed_objective"]), int(out["iterations"]),
                            int(out["recovery_iterations"]), history, status, infeasible, backend)
