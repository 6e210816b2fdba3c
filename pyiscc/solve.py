"""solve(): the joint BCD solver (Sec. III) and the paper's six schemes (Sec. IV-A).

Every scheme returns a :class:`Solution` whose performance fields are computed by
:func:`pyiscc.evaluate` from the returned ``w, a, b`` (never copied from a solver's own
bookkeeping; where Algorithm 2 has just evaluated that very point, that Evaluation is kept).  ``solve`` keeps no state between calls, so it is safe to call from several threads
at once and gives the same answer for the same input.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from .beamforming import (CAP_RULES, _beamform, check_start, check_step, optimize_beamforming,
                          power_budget, sensing_certificate, sensing_margins, serving_bs)
from .beams import (beam_power, fast_max_ratio_beams, max_ratio_beams, max_sensing_beams,
                    sensing_limited_beams)
from .joint import optimize_beamforming_centralized
from .metrics import FEASIBILITY_RTOL, Evaluation, Violation, evaluate
from .network import Network
from ._validate import boolean, integer, options, real
from .offloading import (AdmmHistory, OffloadingResult, _solve_admm, offloading_problem,
                         optimal_offloading, optimize_offloading)
from .offloading import _check_settings as check_offloading_settings

__all__ = ["SCHEMES", "Solution", "solve"]

#: The six schemes of the paper's Section IV-A (DESIGN.md section 2 table).
SCHEMES = ("dcet-iscc", "ccet-iscc", "et-iscc", "local", "dcet-mrt", "dcet-mrs")

MODES = ("local", "mec", "cloud")

#: Algorithm 2's interference-cap rule when ``beamforming={"caps": ...}`` is not given
#: (:data:`pyiscc.beamforming.CAP_RULES`; ``"paper"`` reproduces the paper's algorithm).
DEFAULT_CAPS = "slack"

#: The transmit power of the ``local`` scheme's MRS beams (``beamforming={"local_power": ...}``):
#: ``"budget"`` (default, DESIGN.md section 2) ``P_th - eta (f^L)^3``, the whole budget the
#: local mode leaves; ``"sensing"``: the least power that meets each terminal's echo-SINR
#: constraint (18e) (:func:`pyiscc.beams.sensing_limited_beams`, docs/model.md).
LOCAL_POWER = ("budget", "sensing")

#: Algorithm 2's step in a ``dcet-iscc`` / ``et-iscc`` solve under the slack rule when
#: ``beamforming=`` gives none, and each step's iteration cap per BCD round when it gives no
#: ``max_iter``: six scaled steps end lower in total latency than 50 surrogate steps on every
#: Table III drop measured, in less time (docs/algorithms.md, "The scaled step");
#: ``{"step": "surrogate"}`` is the surrogate step with Algorithm 2's own cap, 50.
SLACK_STEP = "scaled"
STEP_MAX_ITER = {"surrogate": 50, "scaled": 6}

#: Algorithm 2's options in a warm-started ``dcet-iscc`` / ``et-iscc`` solve under the slack
#: rule, for every key ``beamforming=`` does not give: the previous beams as the start (pulled
#: towards MRS where they miss (18e) on the new channels), the scaled step from its warm
#: divisor (``pyiscc.beamforming.WARM_CURVATURE_START``), two iterations per BCD round.  Slot
#: after slot the beams keep improving from where the last slot left them, so a few steps per
#: slot track the optimum (docs/algorithms.md, "Warm starts").
WARM_BEAMFORMING = {"start": "w0", "step": "scaled", "max_iter": 2}


@dataclass(frozen=True, eq=False)
class Solution:
    """Beams, decisions and their performance for one network and one scheme.

    Attributes
    ----------
    scheme : str
        One of :data:`SCHEMES`.
    w : (K, N) complex
        Beamformers.
    a, b : (L, K) int
        Offloading decisions (MEC, cloud).
    rate, echo_sinr, latency, power, energy, mean_latency, feasible, violations
        The :class:`~pyiscc.Evaluation` of ``w, a, b`` (units there).
    mode : (K,) str
        ``"local"``, ``"mec"`` or ``"cloud"`` per terminal.
    serving_bs : (K,) int
        The BS a terminal offloads through, -1 for local execution.
    status : str
        ``"converged"`` (the BCD's relative decrease fell below ``tol``), ``"max_iter"`` (stopped
        at ``max_outer``; the best feasible iterate is returned), ``"infeasible"`` (no point
        meets the constraints the scheme enforces; ``feasible`` is then False),
        ``"no_feasible_point_found"`` (the enforcing schemes with the default
        ``beamforming={"caps": "slack"}``: no start and no feasibility phase found a feasible
        point, but none was proved not to exist; ``feasible`` is False) or ``"not_enforced"`` (a
        baseline that does not enforce the sensing constraint: see ``feasible``).  With
        ``"slack"``, ``"infeasible"`` comes with a proof: a terminal that misses (18e) even alone
        at full power P_th with no interference, an infeasible linear relaxation of the sensing
        constraints (:func:`pyiscc.beamforming.sensing_certificate`), or (ET-ISCC) more
        terminals that cannot compute locally than MEC slots; the fixed-beam baselines report
        ``"infeasible"`` when Algorithm 1 finds no decision meeting (18c)-(18d) for their beams.
        With ``"caps": "paper"`` every failed feasibility phase is ``"infeasible"`` (the paper's
        algorithm as recorded).
    history : dict of str to array
        ``"total_latency"`` per outer iteration [s], and the blocks' own histories
        (``"offloading"``, ``"beamforming"``: one entry per outer iteration); ``"caps_kept"``:
        each Algorithm-2 run's :attr:`BeamformingResult.caps_kept` (working-set sizes).
    outer_iterations : int
        BCD rounds that ran both blocks (0 for the fixed-beam baselines).
    runtime_s : float
        Wall time of the solve [s].
    network : Network or None
        The drop that was solved (for :meth:`plot`, :meth:`to_frame` and warm starts).
    """

    scheme: str
    w: NDArray[np.complex128]
    a: NDArray[np.int64]
    b: NDArray[np.int64]
    evaluation: Evaluation = field(repr=False)
    status: str
    history: dict = field(repr=False)
    outer_iterations: int
    runtime_s: float
    network: Network | None = field(default=None, repr=False)

    # ---- the Evaluation fields, flat on the Solution
    @property
    def rate(self) -> NDArray[np.float64]:
        """(L, K) uplink rates [bit/s]."""
        return self.evaluation.rate

    @property
    def echo_sinr(self) -> NDArray[np.float64]:
        """(K,) echo SINR (linear)."""
        return self.evaluation.echo_sinr

    @property
    def latency(self) -> NDArray[np.float64]:
        """(K,) task latency [s]."""
        return self.evaluation.latency

    @property
    def power(self) -> NDArray[np.float64]:
        """(K,) power [W]."""
        return self.evaluation.power

    @property
    def energy(self) -> NDArray[np.float64]:
        """(K,) energy [J]."""
        return self.evaluation.energy

    @property
    def mean_latency(self) -> float:
        """Mean task latency [s]."""
        return self.evaluation.mean_latency

    @property
    def total_latency(self) -> float:
        """Objective of (18): sum of latencies [s]."""
        return self.evaluation.total_latency

    @property
    def feasible(self) -> bool:
        """True when ``w, a, b`` meet (18c)-(18e) (checked by ``evaluate``)."""
        return self.evaluation.feasible

    @property
    def violations(self) -> tuple[Violation, ...]:
        """Violated constraints of ``w, a, b``."""
        return self.evaluation.violations

    @property
    def mode(self) -> NDArray[np.str_]:
        """(K,) execution mode per terminal."""
        idx = np.where(self.a.sum(axis=0) > 0, 1, np.where(self.b.sum(axis=0) > 0, 2, 0))
        return np.array(MODES)[idx]

    @property
    def serving_bs(self) -> NDArray[np.int64]:
        """(K,) BS index an offloading terminal uses, -1 for local execution."""
        both = self.a + self.b
        return np.where(both.sum(axis=0) > 0, np.argmax(both, axis=0), -1)

    def summary(self) -> str:
        """A readable table: one row per terminal, then the totals."""
        lines = [f"{self.scheme}: status {self.status}, "
                 f"{'feasible' if self.feasible else 'INFEASIBLE'}, mean latency "
                 f"{1e3 * self.mean_latency:.3f} ms, {self.outer_iterations} outer iterations, "
                 f"{1e3 * self.runtime_s:.1f} ms",
                 f"{'k':>3} {'mode':>6} {'BS':>3} {'latency ms':>11} {'power W':>8} "
                 f"{'energy mJ':>10} {'echo dB':>8}"]
        sinr_db = self.evaluation.echo_sinr_db
        for k, (m, l) in enumerate(zip(self.mode, self.serving_bs)):
            lines.append(f"{k:>3} {m:>6} {'-' if l < 0 else l:>3} {1e3 * self.latency[k]:>11.3f} "
                         f"{self.power[k]:>8.4f} {1e3 * self.energy[k]:>10.3f} {sinr_db[k]:>8.2f}")
        lines += [f"    {v}" for v in self.violations]
        return "\n".join(lines)

    # ---- pictures and tables (pyiscc/plotting.py, pyiscc/tables.py; matplotlib and pandas are
    # imported there, on first use)
    def plot(self, ax=None):
        """Map (modes, links to the serving BSs, targets) and echo-SINR margins: see
        :func:`pyiscc.plotting.plot_solution`.  Returns the matplotlib Figure."""
        from .plotting import plot_solution

        return plot_solution(self, ax)

    def plot_history(self, ax=None):
        """The BCD's and the blocks' iterations: see :func:`pyiscc.plotting.plot_history`.
        Returns the matplotlib Figure."""
        from .plotting import plot_history

        return plot_history(self, ax)

    def to_frame(self):
        """One row per terminal (mode, BS, latency, power, energy, echo SINR, margin): see
        :func:`pyiscc.tables.solution_frame`.  Returns a pandas DataFrame."""
        from .tables import solution_frame

        return solution_frame(self)

    def to_dict(self) -> dict:
        """JSON-serialisable summary, terminals, decisions and beams: see
        :func:`pyiscc.tables.solution_dict`."""
        from .tables import solution_dict

        return solution_dict(self)

    def __repr__(self) -> str:
        return (f"Solution(scheme={self.scheme!r}, status={self.status!r}, feasible={self.feasible}, "
                f"mean_latency={self.mean_latency:.6g} s, outer_iterations={self.outer_iterations}, "
                f"runtime_s={self.runtime_s:.3g})")


def _finish(network: Network, scheme: str, w, a, b, status: str, history: dict,
            outer: int, start: float, ev: Evaluation | None = None) -> Solution:
    """The Solution of (w, a, b); ``ev``: their evaluation when the caller has it."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    w = np.array(w, dtype=complex)
    if ev is None:
        ev = evaluate(network, w, a, b)
    for x in (w, a, b):
        x.flags.writeable = False
    return Solution(scheme, w, a, b, ev, status, history, outer, time.perf_counter() - start,
                    network)


def _fixed_beams(network: Network, scheme: str, w: NDArray[np.complex128], start: float,
                 workers: int, off_kw: dict) -> Solution:
    """DCET-MRT / DCET-MRS: Algorithm 1 on fixed beams that do not enforce (18e)."""
    off = optimize_offloading(network, w, workers=workers, **off_kw)
    status = "infeasible" if off.status == "infeasible" else "not_enforced"
    history = {"total_latency": np.array([off.objective]), "offloading": [off.history],
               "beamforming": [], "caps_kept": []}
    return _finish(network, scheme, w, off.a, off.b, status, history, 0, start)


def _within_budget(network: Network, w: NDArray[np.complex128], a: NDArray, b: NDArray
                   ) -> NDArray[np.complex128]:
    """Scale down the beams that exceed the power budget of their new mode.  Algorithm 1 allows
    local execution up to evaluate()'s 1e-6 relative tolerance on (18d); Algorithm 2 takes its
    start exactly within budget."""
    pbar = power_budget(network, serving_bs(a, b))
    norm2 = np.einsum("kn,kn->k", w.conj(), w).real
    over = norm2 > pbar
    if not over.any():
        return w
    w = np.array(w)
    w[over] *= np.sqrt(np.maximum(pbar[over], 0.0) / norm2[over])[:, None]
    return w


def _bcd(network: Network, scheme: str, offload: Callable[[NDArray[np.complex128]], OffloadingResult],
         beamform: Callable[..., object], max_outer: int, tol: float, start: float,
         w_init: NDArray[np.complex128] | None = None,
         first: tuple[NDArray, NDArray] | None = None) -> Solution:
    """MRS start -> Algorithm 1 -> Algorithm 2 -> ... until Algorithm 1 returns the decisions of
    the previous round, the relative decrease of sum T in a round is below tol, or max_outer.
    ``w_init`` replaces the MRS start; ``first`` replaces Algorithm 1's decisions of round 1."""
    w = max_sensing_beams(network) if w_init is None else w_init
    totals: list[float] = []
    off_hist: list[object] = []
    bf_hist: list[object] = []
    caps_kept: list[tuple[float, int]] = []
    best: tuple[float, NDArray, NDArray, NDArray, Evaluation] | None = None
    status = "max_iter"
    outer = 0
    for outer in range(1, max_outer + 1):
        off = offload(w) if first is None or outer > 1 else _Fixed(*first)
        off_hist.append(off.history)
        if totals and np.array_equal(off.a, a) and np.array_equal(off.b, b):
            # Block-coordinate fixed point: Algorithm 1 keeps the decisions for which Algorithm 2
            # has just run to its own stopping rule, so another round would only continue
            # Algorithm 2 on the same decisions.
            status = "converged"
            break
        if off.status == "infeasible":
            status = "infeasible"
            a, b = off.a, off.b
            break
        bf = beamform(off.a, off.b, _within_budget(network, w, off.a, off.b))
        bf_hist.append(bf.history)
        caps_kept.append(bf.caps_kept)
        if not bf.feasible:  # "infeasible" or "no_feasible_point_found"
            status = "infeasible"
            a, b = off.a, off.b
            break
        w, a, b = bf.w, off.a, off.b
        ev = bf.evaluation
        total = ev.total_latency
        totals.append(total)
        if ev.feasible and (best is None or total < best[0]):
            best = (total, w, a, b, ev)
        if len(totals) > 1 and totals[-2] - total <= tol * totals[-2]:
            status = "converged"
            break
    history = {"total_latency": np.array(totals), "offloading": off_hist, "beamforming": bf_hist,
               "caps_kept": caps_kept}
    ev = None
    if status != "infeasible" and best is not None:
        _, w, a, b, ev = best
    return _finish(network, scheme, w, a, b, status, history, len(totals), start, ev)


def _offloader(network: Network, cloud: bool, workers: int, kw: dict
               ) -> Callable[[NDArray[np.complex128]], OffloadingResult]:
    """``w -> optimize_offloading(network, w, cloud=cloud, workers=workers, **kw)`` for options
    ``kw`` that :func:`solve` has checked."""
    o = {**optimize_offloading.__kwdefaults__, **kw}
    args = (o["backend"], o["rho"], o["max_iter"], o["tol"], workers)
    return lambda w: _solve_admm(offloading_problem(network, w, cloud=cloud), *args)


def _beamformer(network: Network, workers: int, kw: dict) -> Callable[..., object]:
    """``(a, b, w0) -> optimize_beamforming(network, a, b, w0=w0, workers=workers, **kw)`` for
    options ``kw`` that :func:`solve` has checked, on the decisions of Algorithm 1 and beams
    within their budgets (the checks of the public function skipped)."""
    o = {**optimize_beamforming.__kwdefaults__, **kw}
    args = (int(o["max_iter"]), float(o["tol"]), workers, False, o["caps"],
            bool(o["working_set"]), o["step"], o["start"])
    return lambda a, b, w0: _beamform(network, a, b, w0, *args)


def _at_budget(network: Network, w: NDArray[np.complex128], a: NDArray, b: NDArray
               ) -> NDArray[np.complex128]:
    """Every beam scaled to exactly the power budget P-bar_k of its mode, as the cold (MRS) start
    is: Algorithm 2's caps (58) only shrink, so a warm start below the budget could never win
    the power back (a zero beam takes the MRS beam's direction)."""
    pbar = power_budget(network, serving_bs(a, b))
    norm2 = np.einsum("kn,kn->k", w.conj(), w).real
    w = np.where((norm2 > 0)[:, None], w, max_sensing_beams(network))
    norm2 = np.einsum("kn,kn->k", w.conj(), w).real
    return w * np.sqrt(pbar / norm2)[:, None]


def _warm_first(network: Network, previous: Solution, cloud: bool, slack: bool
                ) -> tuple[NDArray[np.complex128], tuple[NDArray, NDArray]] | None:
    """The BCD's start from ``previous``: its beams as Algorithm 2's start and its decisions in
    place of the first Algorithm-1 call.  Under the slack rule (``slack``) the beams as they are
    (:func:`_bcd` scales down those that exceed the new budget; Algorithm 2's ``start="w0"``
    makes them meet (18e)); under the paper's rule each scaled to the power budget of its mode
    (:func:`_at_budget`), and its feasibility phase handles a start that misses the new sensing
    thresholds.  None when the decisions do not fit this network's scheme (cloud decisions for
    ET-ISCC, an MEC server over capacity (18c), a local terminal whose CPU alone exceeds its
    power budget)."""
    a, b = previous.a, previous.b
    sc = network.scenario
    if (not cloud and b.any()) or (sc.cpu_mec_hz * a.sum(axis=1)
                                   > sc.mec_capacity_hz * (1.0 + 1e-12)).any():
        return None
    if (power_budget(network, serving_bs(a, b)) <= 0).any():
        return None
    w0 = np.asarray(previous.w) if slack else _at_budget(network, np.asarray(previous.w), a, b)
    return w0, (a, b)


def _check_warm_start(network: Network, warm_start: object) -> None:
    if not isinstance(warm_start, Solution):
        raise ValueError(f"warm_start must be a Solution, got {type(warm_start).__name__}")
    L, K, N = network.n_bs, network.n_terminals, network.terminal_antennas
    if warm_start.w.shape != (K, N) or warm_start.a.shape != (L, K):
        raise ValueError(f"warm_start: its beams {warm_start.w.shape} and decisions "
                         f"{warm_start.a.shape} do not fit this network (K, N) = {(K, N)}, "
                         f"(L, K) = {(L, K)}")


@dataclass(frozen=True)
class _Fixed:
    """Given decisions standing in for Algorithm 1's result in a BCD round (no ADMM
    iterations)."""

    a: NDArray
    b: NDArray
    status: str = "fixed"
    history: AdmmHistory = field(default_factory=AdmmHistory.empty)


def _constructed_decisions(network: Network, cloud: bool) -> tuple[NDArray, NDArray]:
    """Every terminal offloads through its strongest BS (largest ``||H[l,k]||_F``): to the MEC
    server of the strongest BS with room, else to the cloud (``cloud``), else locally.  The
    terminals that cannot compute locally (eta (f^L)^3 > P_th) are placed first."""
    sc = network.scenario
    L, K = network.n_bs, network.n_terminals
    # At most K slots per server (a huge capacity would overflow the integer cast).
    slots = np.floor(np.minimum(np.broadcast_to(sc.mec_capacity_hz, (L,)) / sc.cpu_mec_hz + 1e-9,
                                K)).astype(int)
    gain = np.linalg.norm(network.H, axis=(2, 3))  # (L, K)
    a = np.zeros((L, K), dtype=np.int64)
    b = np.zeros((L, K), dtype=np.int64)
    must = network.local_cpu_power_w > network.max_power_w
    for k in np.lexsort((-gain.max(axis=0), ~must)):
        for l in np.argsort(-gain[:, k], kind="stable"):
            if slots[l] > 0:
                slots[l] -= 1
                a[l, k] = 1
                break
        else:
            if cloud:
                b[int(np.argmax(gain[:, k])), k] = 1
    return a, b


def _infeasibility_proof(network: Network, cloud: bool) -> bool:
    """True when problem (18) provably has no feasible point: the sensing relaxation of
    :func:`pyiscc.beamforming.sensing_certificate` at full power P_th fails, or (no cloud) more
    terminals must offload (eta (f^L)^3 > P_th) than the MEC servers have slots."""
    if sensing_certificate(network, network.max_power_w):
        return True
    if cloud:
        return False
    sc = network.scenario
    slots = np.floor(np.broadcast_to(sc.mec_capacity_hz, (network.n_bs,)) / sc.cpu_mec_hz + 1e-9)
    must = network.local_cpu_power_w > network.max_power_w * (1.0 + FEASIBILITY_RTOL)
    return int(must.sum()) > int(slots.sum())


def _multi_start(network: Network, scheme: str, offload: Callable, beamform: Callable,
                 max_outer: int, tol: float, start: float, cloud: bool) -> Solution:
    """The BCD from several constructed starts, best feasible result by sum T (the ``"slack"``
    rule's joint solver; docs/algorithms.md):

    1. MRS beams at ``P_th - eta (f^L)^3``, at the full P_th for a terminal whose local CPU power
       alone reaches P_th (it must offload);
    2. the MRT beams at ``P_th - eta (f^L)^3``, when they meet (18e) (so the result is never worse
       than DCET-MRT's where that baseline senses);
    3. only if neither gives a feasible point: every terminal offloading at full power with MRS
       beams, MEC where there is room, cloud otherwise (:func:`_constructed_decisions`), as the
       first round's decisions (the feasibility phase then searches beams for them).

    None feasible: ``infeasible`` with a proof (:func:`_infeasibility_proof`), else
    ``no_feasible_point_found``."""
    p_th = network.max_power_w
    power = np.where(network.local_cpu_power_w >= p_th, p_th, beam_power(network))
    starts: list[tuple] = [(max_sensing_beams(network, power), None)]
    mrt = fast_max_ratio_beams(network)  # DCET-MRT's beams up to a phase
    if sensing_margins(network, mrt).min() >= 0:
        starts.append((mrt, None))
    sols = [_bcd(network, scheme, offload, beamform, max_outer, tol, start, w, first)
            for w, first in starts]
    if not any(s.feasible for s in sols):
        first = _constructed_decisions(network, cloud)
        sols.append(_bcd(network, scheme, offload, beamform, max_outer, tol, start,
                         max_sensing_beams(network, p_th), first))
    feasible = [s for s in sols if s.feasible]
    if feasible:
        best = min(feasible, key=lambda s: s.total_latency)
        return replace(best, runtime_s=time.perf_counter() - start)
    status = "infeasible" if _infeasibility_proof(network, cloud) else "no_feasible_point_found"
    return replace(sols[-1], status=status, runtime_s=time.perf_counter() - start)


def solve(network: Network, scheme: str = "dcet-iscc", *, max_outer: int = 10, tol: float = 1e-3,
          workers: int = 1, offloading: dict | None = None,
          beamforming: dict | None = None, warm_start: Solution | None = None) -> Solution:
    """Jointly optimise offloading and ISAC beamforming with one of the paper's schemes.

    Parameters
    ----------
    network : Network
        The drop.
    scheme : str
        One of :data:`SCHEMES`: ``"dcet-iscc"`` (the proposed distributed algorithm: BCD over
        Algorithm 1 and Algorithm 2), ``"ccet-iscc"`` (centralised: MILP offloading and one joint
        beamforming problem), ``"et-iscc"`` (two-tier: no cloud), ``"local"`` (all local, MRS
        beams), ``"dcet-mrt"`` / ``"dcet-mrs"`` (Algorithm 1 on fixed MRT / MRS beams).
    max_outer : int
        Cap on BCD rounds.  The BCD also stops when Algorithm 1 returns the same decisions as in
        the previous round (a block-coordinate fixed point).
    tol : float
        Stop when the relative decrease of the total latency in one BCD round is below ``tol``
        (the default 1e-3 is 1 ms of the ~1 s total at Table III; the upload share a round can
        still improve is a few ms, see docs/algorithms.md).
    workers : int
        Threads for the per-BS steps inside each algorithm (results are identical for any value).
    offloading : dict, optional
        Extra keyword arguments of :func:`pyiscc.optimize_offloading` (e.g. ``{"rho": 0.5}``).
    beamforming : dict, optional
        Extra keyword arguments of :func:`pyiscc.optimize_beamforming` (``max_iter``, ``tol``,
        ``caps``, ``working_set``, ``step``, ``start``; also used by the centralised
        beamforming of ``ccet-iscc``, which has no working sets, only the surrogate's step and
        starts from ``w0``).  Under the slack rule ``dcet-iscc`` and ``et-iscc`` run
        Algorithm 2 with ``step=`` :data:`SLACK_STEP` (``"scaled"``) and ``max_iter`` from
        :data:`STEP_MAX_ITER` (6 scaled or 50 surrogate iterations per BCD round) unless given.
        ``caps``:
        ``"slack"`` (default, :data:`DEFAULT_CAPS`): Algorithm 2 with the slack cap rule and
        the multi-start BCD (docs/algorithms.md); ``"paper"``: the paper's algorithm, bit for
        bit (MRS start, update (58)).  ``local_power`` (``local`` scheme only, see
        :data:`LOCAL_POWER`): ``"budget"`` (default) or ``"sensing"``.
    warm_start : Solution, optional
        A previous solution on a network of the same sizes (the last time slot of a
        simulation): the BCD starts from its decisions and beams instead of the cold starts
        (see :func:`_warm_first`).  Under the slack rule (``dcet-iscc``, ``et-iscc``)
        Algorithm 2 then runs with :data:`WARM_BEAMFORMING` (the previous beams, pulled
        towards MRS where they miss (18e) on the new channels, the scaled step, two iterations
        per round) for every option ``beamforming`` does not give: at Table III, at
        rho = 0.99, 2.8x (20 sequences) to 3.4x (10) less median time per slot than a cold
        solve at a mean latency within 1e-4 (docs/algorithms.md, "Warm starts").  When that
        start ends infeasible, the cold start runs instead.  ``history["warm_start"]`` says
        what happened: ``"used"``, ``"fell_back"`` (cold start after all) or
        ``"not_applicable"`` (``local``, ``dcet-mrt``, ``dcet-mrs`` have no BCD to start).

    Returns
    -------
    Solution
    """
    start = time.perf_counter()
    if not isinstance(network, Network):
        raise ValueError(f"network must be a Network, got {type(network).__name__}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}; got {scheme!r}")
    max_outer = integer(max_outer, "max_outer", 1)
    tol = real(tol, "tol", minimum=0.0)
    workers = integer(workers, "workers", 1)
    off_kw = options(offloading, "offloading", {"rho", "max_iter", "tol", "backend"})
    bf_kw = options(beamforming, "beamforming",
                    {"max_iter", "tol", "caps", "local_power", "working_set", "step", "start"})
    local_power = bf_kw.pop("local_power", "budget")
    if local_power not in LOCAL_POWER:
        raise ValueError(f"beamforming: local_power must be one of {', '.join(LOCAL_POWER)}; "
                         f"got {local_power!r}")
    # The option values, checked once here rather than inside the first BCD round (a key not
    # given is checked with a valid placeholder).
    try:
        check_offloading_settings(off_kw.get("backend", "exact"), off_kw.get("rho", 1.0),
                                  off_kw.get("max_iter", 1), off_kw.get("tol", 1.0), workers)
    except ValueError as exc:
        raise ValueError(f"offloading: {exc}") from None
    try:
        for key, check in (("max_iter", lambda v: integer(v, "max_iter", 0)),
                           ("tol", lambda v: real(v, "tol", minimum=0.0)),
                           ("working_set", lambda v: boolean(v, "working_set"))):
            if key in bf_kw:
                bf_kw[key] = check(bf_kw[key])
    except ValueError as exc:
        raise ValueError(f"beamforming: {exc}") from None
    bf_kw.setdefault("caps", DEFAULT_CAPS)
    if bf_kw["caps"] not in CAP_RULES:
        raise ValueError(f"beamforming: caps must be one of {', '.join(CAP_RULES)}; "
                         f"got {bf_kw['caps']!r}")
    try:
        check_step(bf_kw.get("step", "surrogate"), bf_kw["caps"])
        check_start(bf_kw.get("start", "best"), bf_kw["caps"])
    except ValueError as exc:
        raise ValueError(f"beamforming: {exc}") from None

    if warm_start is not None:
        _check_warm_start(network, warm_start)
        if scheme in ("local", "dcet-mrs", "dcet-mrt"):
            sol = solve(network, scheme, max_outer=max_outer, tol=tol, workers=workers,
                        offloading=offloading, beamforming=beamforming)
            sol.history["warm_start"] = "not_applicable"
            return sol

    if scheme == "local":
        L, K = network.n_bs, network.n_terminals
        zeros = np.zeros((L, K), dtype=np.int64)
        w = max_sensing_beams(network)
        if local_power == "sensing":
            w = sensing_limited_beams(network, w)
        history = {"total_latency": np.zeros(0), "offloading": [], "beamforming": [],
                   "caps_kept": []}
        return _finish(network, scheme, w, zeros, zeros, "not_enforced", history, 0, start)
    if scheme == "dcet-mrs":
        return _fixed_beams(network, scheme, max_sensing_beams(network), start, workers, off_kw)
    if scheme == "dcet-mrt":
        return _fixed_beams(network, scheme, max_ratio_beams(network), start, workers, off_kw)
    if scheme == "ccet-iscc":
        bf_kw.pop("working_set", None)  # one joint problem per iteration: no per-terminal caps
        bf_kw.pop("step", None)  # and its own step (the surrogate's) and start (w0)
        bf_kw.pop("start", None)
        cloud = True
        offload = lambda w: optimal_offloading(network, w)  # noqa: E731
        beamform = lambda a, b, w0: optimize_beamforming_centralized(  # noqa: E731
            network, a, b, w0=w0, **bf_kw)
    else:
        cloud = scheme == "dcet-iscc"
        offload = _offloader(network, cloud, workers, off_kw)
        given = bf_kw
        if bf_kw["caps"] == "slack":
            step = bf_kw.get("step", SLACK_STEP)
            bf_kw = {"step": step, "max_iter": STEP_MAX_ITER[step], **given}
        beamform = _beamformer(network, workers, bf_kw)
        if warm_start is not None and bf_kw["caps"] == "slack":
            warm_beamform = _beamformer(network, workers, {**WARM_BEAMFORMING, **given})

    def cold() -> Solution:
        if bf_kw["caps"] == "paper":
            return _bcd(network, scheme, offload, beamform, max_outer, tol, start)
        return _multi_start(network, scheme, offload, beamform, max_outer, tol, start, cloud)

    if warm_start is None:
        return cold()
    slack = bf_kw["caps"] == "slack" and scheme != "ccet-iscc"
    seeded = _warm_first(network, warm_start, cloud, slack)
    if seeded is not None:
        sol = _bcd(network, scheme, offload, warm_beamform if slack else beamform, max_outer,
                   tol, start, *seeded)
        if sol.status != "infeasible":
            sol.history["warm_start"] = "used"
            return sol
    sol = cold()
    sol.history["warm_start"] = "fell_back"
    return sol
