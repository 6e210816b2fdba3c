"""Algorithm 2 (Sec. III-B): distributed FP / WMMSE / SCA beamforming for fixed offloading
decisions.  The whole loop runs in C++ (cpp/beamforming.cpp); see docs/algorithms.md."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from .beams import max_sensing_beams
from ._validate import boolean, real
from .metrics import check_beams, check_decisions, evaluate
from .network import Network, nearest_bs

__all__ = ["BeamformingResult", "optimize_beamforming", "serving_bs", "updating_bs", "power_budget"]

#: Statuses of :class:`BeamformingResult`.
STATUSES = ("converged", "max_iter", "infeasible")


@dataclass(frozen=True, eq=False)
class BeamformingResult:
    """Outcome of :func:`optimize_beamforming`.

    Attributes
    ----------
    w : (K, N) complex
        Best feasible iterate [sqrt(W)] (for ``infeasible``: the point of largest smallest sensing
        margin the feasibility phase found).
    objective : float
        Objective (39) at ``w``: sum over offloading terminals of Z_k / R_{l(k)k} [s].
    history : (iterations + 1,) float
        Objective (39) of the start and of every iterate [s] (Fig. 2b).
    iterations : int
        Algorithm-2 iterations done.
    status : str
        ``"converged"`` (relative decrease of (39) below ``tol``), ``"max_iter"`` or
        ``"infeasible"`` (no beams meeting (18d) and (18e) were found).
    sensing_margin_db : (K,) float
        Echo SINR minus the threshold Gamma_r at ``w`` [dB] (>= 0: (18e) holds).
    power_slack_w : (K,) float
        ``P_th - p_k`` at ``w`` [W], p_k of eq. (17) with the decisions (>= 0: (18d) holds).
    failing : tuple of int
        For ``infeasible``: the terminals whose (18e) could not be met.
    feasibility_iterations : int
        SCA iterations of the feasibility phase (0 when the start met (18e)).
    subproblem_failures : int
        Sub-problems (56) the QCQP solver did not solve to optimality (their beam was kept).
    iterates : (iterations + 1, K, N) complex or None
        The start and every iterate, with ``return_iterates=True``.
    """

    w: NDArray[np.complex128]
    objective: float
    history: NDArray[np.float64]
    iterations: int
    status: str
    sensing_margin_db: NDArray[np.float64]
    power_slack_w: NDArray[np.float64]
    failing: tuple[int, ...]
    feasibility_iterations: int
    subproblem_failures: int
    iterates: NDArray[np.complex128] | None = None

    @property
    def feasible(self) -> bool:
        """True unless the status is ``infeasible``."""
        return self.status != "infeasible"

    def __repr__(self) -> str:
        return (f"BeamformingResult(status={self.status!r}, objective={self.objective:.6g} s, "
                f"iterations={self.iterations})")


def serving_bs(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.int64]:
    """l(k): the BS that receives terminal k's task (``a[l,k]`` or ``b[l,k]`` = 1), -1 for local
    terminals.  a, b (L, K) -> (K,) int."""
    chosen = a + b
    return np.where(chosen.sum(axis=0) > 0, np.argmax(chosen, axis=0), -1).astype(np.int64)


def updating_bs(network: Network, serving: NDArray[np.int64]) -> NDArray[np.int64]:
    """The BS whose group of sub-problems updates w_k: l(k) for offloading terminals, the nearest
    BS for local ones (smallest distance; without positions, the largest ``||H[l,k]||_F``)."""
    return np.where(serving >= 0, serving, nearest_bs(network)).astype(np.int64)


def power_budget(network: Network, serving: NDArray[np.int64]) -> NDArray[np.float64]:
    """P-bar_k = P_th, less eta (f^L_k)^3 when k computes locally (eq. 17) [W], (K,)."""
    return network.max_power_w - np.where(serving < 0, network.local_cpu_power_w, 0.0)


def _core_problem(network: Network, serving: NDArray[np.int64], pbar: NDArray[np.float64]) -> object:
    sc = network.scenario
    return _core.BeamformingCore(network.H, network.HI, network.steering, network.echo_gain,
                                 network.task_bits, pbar, serving, updating_bs(network, serving),
                                 sc.noise_power_w, sc.sensing_sinr, sc.bandwidth_hz)


def optimize_beamforming(network: Network, a: ArrayLike, b: ArrayLike, *,
                         w0: ArrayLike | None = None, max_iter: int = 50, tol: float = 1e-4,
                         workers: int = 1, return_iterates: bool = False) -> BeamformingResult:
    """Algorithm 2: minimise the summed upload latency (39) of the offloading terminals subject to
    every terminal's power budget (18d) and echo-SINR threshold (18e), for fixed decisions.

    Each iteration updates the FP weights (41), the MMSE receivers (46) and WMMSE weights (49),
    then solves one convex QCQP (56) per terminal (Jacobi: all from the previous iterate, per-BS
    groups in parallel) with the interference caps Upsilon of (58) and the sensing constraint
    linearised by SCA (55).  Every iterate satisfies (18d) and (18e) (Lemma 2).

    Parameters
    ----------
    network : Network
    a, b : (L, K) {0, 1}
        Offloading decisions (MEC, cloud); a terminal with neither computes locally.
    w0 : (K, N) complex, optional
        Start [sqrt(W)]; must meet the power budgets.  Default: max-sensing beams at
        ``P_th - eta (f^L)^3``.  If it violates (18e) a feasibility phase (SCA on the smallest
        sensing margin) runs first.
    max_iter : int
        Iteration cap of Algorithm 2.
    tol : float
        Stop when the relative decrease of (39) in one iteration is below ``tol``.
    workers : int
        Threads over the per-BS groups of sub-problems; the result is bit-identical for any value.
    return_iterates : bool
        Keep the start and every iterate in ``result.iterates`` (to check Lemma 2).

    Returns
    -------
    BeamformingResult
    """
    if not isinstance(network, Network):
        raise ValueError(f"network must be a Network, got {type(network).__name__}")
    a, b = check_decisions(network, a, b)
    w0 = max_sensing_beams(network) if w0 is None else check_beams(network, w0, "w0")
    for name, value, lo in (("max_iter", max_iter, 0), ("workers", workers, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    tol = real(tol, "tol", minimum=0.0)
    return_iterates = boolean(return_iterates, "return_iterates")
    serving = serving_bs(a, b)
    pbar = power_budget(network, serving)
    if (pbar <= 0).any():  # local execution alone exceeds P_th: no beam can sense
        failing = tuple(int(k) for k in np.flatnonzero(pbar <= 0))
        w = np.zeros((network.n_terminals, network.terminal_antennas), complex)
        return _result(network, a, b, w, np.nan, np.array([np.nan]), 0, "infeasible", failing, 0, 0,
                       None)
    over = np.linalg.norm(w0, axis=1) ** 2 > pbar * (1.0 + 1e-9)
    if over.any():
        raise ValueError(f"w0: terminal {int(np.argmax(over))} exceeds its power budget (18d) "
                         f"{pbar[np.argmax(over)]:.6g} W")
    out = _core_problem(network, serving, pbar).optimize(w0, int(max_iter), float(tol), int(workers),
                                                         bool(return_iterates))
    return _result(network, a, b, out["w"], out["objective"], out["history"], out["iterations"],
                   out["status"], tuple(int(k) for k in out["failing"]),
                   out["feasibility_iterations"], out["subproblem_failures"],
                   out["iterates"] if return_iterates else None)


def _result(network: Network, a: NDArray[np.float64], b: NDArray[np.float64],
            w: NDArray[np.complex128], objective: float, history: NDArray[np.float64],
            iterations: int, status: str, failing: tuple[int, ...], feasibility_iterations: int,
            subproblem_failures: int, iterates: NDArray[np.complex128] | None
            ) -> BeamformingResult:
    ev = evaluate(network, w, a, b)
    with np.errstate(divide="ignore"):
        margin = 10.0 * np.log10(ev.echo_sinr) - network.scenario.sensing_sinr_db
    slack = network.max_power_w - ev.power
    for x in (w, history, margin, slack):
        x.flags.writeable = False
    return BeamformingResult(w, float(objective), history, int(iterations), status, margin, slack,
                             failing, int(feasibility_iterations), int(subproblem_failures),
                             iterates)
