"""evaluate(): rates, echo SINRs, latency, power and energy of given beams and decisions, and
which constraint of problem (18) each violates.  The numbers come from the C++ kernels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._validate import as_array, numeric, real
from .network import Network

__all__ = ["Evaluation", "Violation", "evaluate", "check_beams", "check_decisions", "mode_latencies"]

#: Default relative tolerance of the constraint check in :func:`evaluate`.
FEASIBILITY_RTOL = 1e-6


@dataclass(frozen=True)
class Violation:
    """One violated constraint of problem (18).

    Attributes
    ----------
    constraint : str
        ``"mec_capacity"`` (18c), ``"power"`` (18d) or ``"sensing"`` (18e).
    index : int
        The BS l for ``mec_capacity``, the terminal k otherwise.
    value, limit : float
        The constrained quantity and its bound: MEC load [cycles/s] <= G_l, power [W] <= P_th,
        echo SINR (linear) >= Gamma_r.
    """

    constraint: str
    index: int
    value: float
    limit: float

    @property
    def equation(self) -> str:
        """The paper's equation number."""
        return {"mec_capacity": "(18c)", "power": "(18d)", "sensing": "(18e)"}[self.constraint]

    @property
    def amount(self) -> float:
        """By how much the bound is missed, in the constraint's unit (always > 0)."""
        return abs(self.value - self.limit)

    @property
    def relative(self) -> float:
        """``amount / limit`` (inf for a zero bound)."""
        return self.amount / self.limit if self.limit else float("inf")

    def __str__(self) -> str:
        who = "BS" if self.constraint == "mec_capacity" else "terminal"
        op = ">=" if self.constraint == "sensing" else "<="
        return (f"{self.constraint} {self.equation} at {who} {self.index}: {self.value:.6g} "
                f"should be {op} {self.limit:.6g} (off by {100 * self.relative:.3g}%)")


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Performance of beams ``w`` and decisions ``a, b`` on one network.

    Attributes
    ----------
    rate : (L, K) float
        Uplink rate R_lk of every terminal at every BS [bit/s], eq. (3).
    echo_sinr : (K,) float
        Echo SINR gamma_k (linear), eq. (8) with the integration gain.
    latency : (K,) float
        Task latency T_k [s], eq. (16).
    power : (K,) float
        Power p_k [W], eq. (17).
    energy : (K,) float
        Energy E_k = p_k T_k [J].
    mean_latency : float
        sum_k T_k / K [s].
    feasible : bool
        True when no constraint (18c)-(18e) is violated beyond the relative tolerance.
    violations : tuple of Violation
        Every violated constraint, with where and by how much.
    """

    rate: NDArray[np.float64]
    echo_sinr: NDArray[np.float64]
    latency: NDArray[np.float64]
    power: NDArray[np.float64]
    energy: NDArray[np.float64]
    mean_latency: float
    feasible: bool
    violations: tuple[Violation, ...]

    @property
    def total_latency(self) -> float:
        """Objective of (18): sum_k T_k [s]."""
        return float(self.latency.sum())

    @property
    def echo_sinr_db(self) -> NDArray[np.float64]:
        """Echo SINR [dB], (K,)."""
        return 10.0 * np.log10(self.echo_sinr)

    def __repr__(self) -> str:
        return (f"Evaluation(mean_latency={self.mean_latency:.6g} s, feasible={self.feasible}, "
                f"violations={len(self.violations)})")


def check_beams(network: Network, w: ArrayLike, name: str = "w") -> NDArray[np.complex128]:
    """``w`` as a (K, N) complex128 array, or ``ValueError`` naming it."""
    return as_array(w, name, (network.n_terminals, network.terminal_antennas), complex, copy=False)


def check_decisions(network: Network, a: ArrayLike,
                    b: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``a, b`` as (L, K) float arrays of 0/1 with at most one choice per terminal (18a-b)."""
    shape = (network.n_bs, network.n_terminals)
    a = as_array(a, "a", shape, float, copy=False)
    b = as_array(b, "b", shape, float, copy=False)
    _core.check_decisions(a, b)
    return a, b


def evaluate(network: Network, w: ArrayLike, a: ArrayLike, b: ArrayLike, *,
             rtol: float = FEASIBILITY_RTOL) -> Evaluation:
    """Evaluate beamformers and offloading decisions exactly as the paper's Section II defines them.

    Parameters
    ----------
    network : Network
        The drop.
    w : (K, N) complex
        Beamformers [sqrt(W)]; ``||w_k||^2`` is terminal k's transmit power.
    a, b : (L, K) {0, 1}
        ``a[l,k] = 1``: terminal k computes on MEC server l; ``b[l,k] = 1``: on the cloud via BS l.
        A terminal with neither computes locally.
    rtol : float
        Relative tolerance of the constraint check.

    Returns
    -------
    Evaluation
    """
    if not isinstance(network, Network):
        raise ValueError(f"network must be a Network, got {type(network).__name__}")
    # The C++ kernel checks shapes, finiteness and eqs. (18a-b) itself (ValueError naming the
    # parameter); here only the conversion to a numeric dtype (an ndarray of numbers costs two
    # type tests) and the scalar rtol.
    w = numeric(w, "w", complex)
    a = numeric(a, "a", float)
    b = numeric(b, "b", float)
    if rtol is not FEASIBILITY_RTOL:
        rtol = real(rtol, "rtol", minimum=0.0)
    rate, echo, latency, power, energy = network.core.evaluate(w, a, b)
    violations = constraint_violations(network, a, echo, power, rtol)
    for x in (rate, echo, latency, power, energy):
        x.flags.writeable = False
    return Evaluation(rate, echo, latency, power, energy, float(latency.mean()),
                      not violations, violations)


def constraint_violations(network: Network, a: NDArray[np.float64], echo_sinr: NDArray[np.float64],
                          power: NDArray[np.float64], rtol: float) -> tuple[Violation, ...]:
    """Violations of (18c) MEC capacity, (18d) power and (18e) sensing, beyond ``rtol``."""
    sc = network.scenario
    load = sc.cpu_mec_hz * a.sum(axis=1)
    cap, gamma, pmax = sc.mec_capacity_hz, sc.sensing_sinr, network.max_power_w
    over_cap = load > cap * (1.0 + rtol)
    over_power = power > pmax * (1.0 + rtol)
    under_sensing = echo_sinr < gamma * (1.0 - rtol)
    if not (over_cap.any() or over_power.any() or under_sensing.any()):
        return ()
    out = [Violation("mec_capacity", int(l), float(load[l]), cap) for l in np.flatnonzero(over_cap)]
    out += [Violation("power", int(k), float(power[k]), float(pmax[k]))
            for k in np.flatnonzero(over_power)]
    out += [Violation("sensing", int(k), float(echo_sinr[k]), gamma)
            for k in np.flatnonzero(under_sensing)]
    return tuple(out)


def mode_latencies(network: Network, w: ArrayLike
                   ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Latency of every execution mode for beams ``w`` (the costs of Algorithm 1).

    Parameters
    ----------
    network : Network
    w : (K, N) complex
        Beamformers.

    Returns
    -------
    t_local : (K,) float
        T^L_k [s], eq. (10).
    t_mec : (L, K) float
        T^E_lk [s], eq. (12) (inf where R_lk = 0).
    t_cloud : (L, K) float
        T^C_lk [s], eq. (15) (inf where R_lk = 0).
    """
    if not isinstance(network, Network):
        raise ValueError(f"network must be a Network, got {type(network).__name__}")
    return network.core.beam_latencies(numeric(w, "w", complex))
