"""Peer DCET-ISCC: the BCD loop of ``pyiscc.solve`` (Sec. III) over the peer Algorithms 1 and 2.

Same start (max-sensing beams at ``P_th - eta (f^L)^3``), same rounds (Algorithm 1 on the current
beams, then Algorithm 2 warm from them on the new decisions, after scaling any beam that exceeds
its new mode's power budget onto it), same stopping rules (Algorithm 1 returns the decisions of
the previous round: a block-coordinate fixed point; the relative decrease of the total latency in
a round below ``tol`` = 1e-3; or ``max_outer`` = 10 rounds) and the best feasible round is
returned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

import pyiscc as pi

from .beamforming import peer_beamforming
from .offloading import LocalStepCvxpy, peer_offloading

__all__ = ["PeerSolution", "peer_solve"]


@dataclass
class PeerSolution:
    """Result of :func:`peer_solve`.

    Attributes
    ----------
    w : (K, N) complex
    a, b : (L, K) int
    evaluation : pyiscc.Evaluation
        ``pyiscc.evaluate`` of ``w, a, b``.
    status : str
        ``"converged"``, ``"max_iter"`` or ``"infeasible"``.
    outer_iterations : int
        Rounds that ran both blocks.
    totals : list of float
        Total latency after each round [s].
    runtime_s : float
    """

    w: NDArray[np.complex128]
    a: NDArray[np.int64]
    b: NDArray[np.int64]
    evaluation: pi.Evaluation
    status: str
    outer_iterations: int
    totals: list = field(default_factory=list)
    runtime_s: float = 0.0

    @property
    def total_latency(self) -> float:
        """Sum of latencies [s]."""
        return self.evaluation.total_latency

    @property
    def feasible(self) -> bool:
        return self.evaluation.feasible


def _within_budget(network: pi.Network, w, a, b):
    """Scale onto the power budget of the new mode the beams that exceed it."""
    offloads = (np.asarray(a) + np.asarray(b)).sum(axis=0) > 0
    pbar = network.max_power_w - np.where(offloads, 0.0, network.local_cpu_power_w)
    norm2 = np.sum(np.abs(w) ** 2, axis=1)
    over = norm2 > pbar
    if not over.any():
        return w
    w = np.array(w)
    w[over] *= np.sqrt(pbar[over] / norm2[over])[:, None]
    return w


def peer_solve(network: pi.Network, *, max_outer: int = 10, tol: float = 1e-3) -> PeerSolution:
    """DCET-ISCC by BCD over the CVXPY peer algorithms.

    Parameters
    ----------
    network : pyiscc.Network
    max_outer : int
        Cap on BCD rounds.
    tol : float
        Stop when the relative decrease of the total latency in one round is below ``tol``.

    Returns
    -------
    PeerSolution
    """
    start = time.perf_counter()
    step = LocalStepCvxpy(network.n_terminals)
    w = pi.max_sensing_beams(network)
    a = b = None
    totals: list[float] = []
    best = None
    status = "max_iter"
    for _ in range(max_outer):
        off = peer_offloading(network, w, local_step=step)
        if totals and np.array_equal(off.a, a) and np.array_equal(off.b, b):
            status = "converged"  # fixed point: Algorithm 2 already ran on these decisions
            break
        if off.status == "infeasible":
            status, a, b = "infeasible", off.a, off.b
            break
        bf = peer_beamforming(network, off.a, off.b, w0=_within_budget(network, w, off.a, off.b))
        if bf.status == "infeasible":
            status, a, b = "infeasible", off.a, off.b
            break
        w, a, b = bf.w, off.a, off.b
        ev = pi.evaluate(network, w, a, b)
        totals.append(ev.total_latency)
        if ev.feasible and (best is None or ev.total_latency < best[0]):
            best = (ev.total_latency, w, a, b)
        if len(totals) > 1 and totals[-2] - totals[-1] <= tol * totals[-2]:
            status = "converged"
            break
    if status != "infeasible" and best is not None:
        _, w, a, b = best
    return PeerSolution(w, a, b, pi.evaluate(network, w, a, b), status, len(totals), totals,
                        time.perf_counter() - start)
