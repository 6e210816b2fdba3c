"""Algorithm 2 (Sec. III-B): distributed FP / WMMSE / SCA beamforming for fixed offloading
decisions.  The whole loop runs in C++ (cpp/beamforming.cpp); see docs/algorithms.md."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from .beams import max_sensing_beams
from ._validate import boolean, real
from .metrics import Evaluation, check_beams, check_decisions, evaluate
from .network import Network, nearest_bs

__all__ = ["BeamformingResult", "optimize_beamforming", "serving_bs", "updating_bs", "power_budget",
           "sensing_certificate", "CAP_RULES"]

#: Statuses of :class:`BeamformingResult`.
STATUSES = ("converged", "max_iter", "infeasible", "no_feasible_point_found")

#: Interference-cap rules of Algorithm 2: the paper's update (58), or the slack rule
#: (docs/algorithms.md, "The slack rule").
CAP_RULES = ("paper", "slack")

#: Share of a victim's echo-SINR slack the slack rule hands to its interferers.
SLACK_SHARE = 0.5
#: Steps of Algorithm 2 under the slack rule: the FP/WMMSE surrogate's own, or the scaled step
#: (docs/algorithms.md, "The scaled step").
STEPS = ("surrogate", "scaled")
#: Starts of Algorithm 2 under the slack rule: the best of several constructed beams, or the
#: given ``w0`` (made to meet (18e) by the least pull towards the MRS beams) for warm starts.
STARTS = ("best", "w0")
#: Halvings of the bracket of the least pull towards MRS of ``start="w0"`` (:func:`_given_start`).
GIVEN_START_HALVINGS = 4
#: The scaled step's largest divisor of the surrogate's curvature (its start is 256, in C++).
CURVATURE_MAX = 1e3
#: The scaled step's first divisor under ``start="w0"``: a warm start lies near a stationary
#: point, where the cold start's first short steps (256) would only spend its few iterations
#: (docs/algorithms.md, "Warm starts").
WARM_CURVATURE_START = 512.0
#: The power polish after a feasibility phase (:func:`_polish_powers`): SLSQP's tolerance on
#: (39) relative to its start, its iteration cap, and the halvings towards the start that may
#: make its point meet (18e) exactly.
POLISH_FTOL = 1e-12
POLISH_MAX_ITER = 100
POLISH_HALVINGS = 30
#: The polish's iteration cap under ``start="w0"`` (warm starts): SLSQP's iterations past it
#: took most of a warm slot whose feasibility phase ran, and over 20 warm chains of 29 slots
#: (bench/warm_start.py) the cap changed the mean latency by -2e-9 relative, one slot by 1.4e-6
#: at most (docs/algorithms.md, "Warm starts").
WARM_POLISH_MAX_ITER = 10
#: Networks of more terminals skip the polish: SLSQP's finite-difference gradient costs K + 1
#: evaluations of (39) per step (at K = 300 one polish took minutes).
POLISH_MAX_TERMINALS = 16


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
        ``"converged"`` (relative decrease of (39) below ``tol``), ``"max_iter"``,
        ``"infeasible"`` or ``"no_feasible_point_found"``.  With ``caps="slack"``,
        ``"infeasible"`` is reported only with a certificate that no beams meet (18d) and (18e)
        for these decisions (:func:`sensing_certificate`: a local terminal whose CPU power alone
        exceeds P_th, or an infeasible linear relaxation of the sensing constraints);
        ``"no_feasible_point_found"`` means the feasibility phase found no feasible point but
        none was proved not to exist.  With ``caps="paper"`` every failed feasibility phase is
        reported ``"infeasible"`` (the paper's algorithm as recorded).
    sensing_margin_db : (K,) float
        Echo SINR minus the threshold Gamma_r at ``w`` [dB] (>= 0: (18e) holds).
    power_slack_w : (K,) float
        ``P_th - p_k`` at ``w`` [W], p_k of eq. (17) with the decisions (>= 0: (18d) holds).
    failing : tuple of int
        For ``infeasible`` / ``no_feasible_point_found``: the terminals whose (18e) could not
        be met (for a certificate: the terminals it names).
    feasibility_iterations : int
        SCA iterations of the feasibility phase (0 when the start met (18e)).
    subproblem_failures : int
        Sub-problems (56) the QCQP solver did not solve to optimality (their beam was kept).
    iterates : (iterations + 1, K, N) complex or None
        The start and every iterate, with ``return_iterates=True`` (one more at the end when
        the slack rule's power polish improved the last one; ``history`` likewise).
    caps_kept : (float, int)
        With working sets (``caps="slack"``): the mean and the largest number of interference
        caps carried by the sub-problems (56) the interior-point method solved, of the K - 1 caps
        each has (``(nan, 0)`` when none was solved that way).
    rejected_steps : int
        With ``step="scaled"``: steps whose lower curvature did not lower (39) and were redone
        with more (not counted in ``iterations``; each cost one more round of sub-problems).
    evaluation : Evaluation
        The model at ``w`` with the decisions (:func:`pyiscc.evaluate`), from which
        ``sensing_margin_db`` and ``power_slack_w`` come.
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
    caps_kept: tuple[float, int] = (float("nan"), 0)
    rejected_steps: int = 0
    evaluation: Evaluation | None = field(default=None, repr=False)

    @property
    def feasible(self) -> bool:
        """True unless the status is ``infeasible`` or ``no_feasible_point_found``."""
        return self.status not in ("infeasible", "no_feasible_point_found")

    def __repr__(self) -> str:
        return (f"BeamformingResult(status={self.status!r}, objective={self.objective:.6g} s, "
                f"iterations={self.iterations})")


def serving_bs(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.int64]:
    """l(k): the BS that receives terminal k's task (``a[l,k]`` or ``b[l,k]`` = 1), -1 for local
    terminals.  a, b (L, K) -> (K,) int."""
    chosen = a + b
    return np.where(chosen.any(axis=0), chosen.argmax(axis=0), -1).astype(np.int64, copy=False)


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
                         workers: int = 1, return_iterates: bool = False,
                         caps: str = "paper", working_set: bool = True,
                         step: str = "surrogate", start: str = "best") -> BeamformingResult:
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
    caps : {"paper", "slack"}
        Interference-cap rule.  ``"paper"``: update (58), the caps equal the interference
        caused now, from ``w0`` as given.  ``"slack"``: half of each victim's echo-SINR slack is
        shared among its interferers (still every iterate feasible), the start is the best
        feasible of ``w0``, MRS beams at the full budget P-bar_k and the MRT beams pulled towards
        MRS until (18e) holds (by (39); the one of largest smallest sensing margin when none is
        feasible), after a feasibility phase the powers along the final beams' directions are
        re-optimised when K <= 16 (the result then ends ``history`` and ``iterates``), and
        ``"infeasible"`` needs a certificate (see ``status``).
    working_set : bool
        ``caps="slack"`` only: each sub-problem (56) carries only the caps a solution once
        violated, and every solution is checked against all the others (docs/algorithms.md,
        "Working sets"): the same optimum as with all K - 1 caps, to the QCQP solver's tolerance.
        ``False`` carries every cap (for comparison).
    step : {"surrogate", "scaled"}
        ``caps="slack"`` only.  ``"surrogate"``: each iteration maximises the FP/WMMSE surrogate
        (52) and extrapolates along the step.  ``"scaled"``: the surrogate's curvature divided
        by an adaptive factor tau in [1, 1000] (its gradient at the current beam kept), tau
        doubled after a step that lowers (39) and divided by 4, the step redone, after one that
        does not, and ``tol`` ending the run only at tau = 1000; the constraints are those of
        (56), so every iterate stays feasible.  At Table III it ends 2.2 % lower in (39)
        (median, fixed decisions) at about 20 % more time per call (docs/algorithms.md, "The
        scaled step").
    start : {"best", "w0"}
        ``caps="slack"`` only.  ``"best"``: the best of ``w0`` and the constructed starts
        (above).  ``"w0"``: ``w0`` itself when it meets (18e), else ``w0`` pulled towards the
        MRS beams at P-bar_k by the least blend that meets it (bisection, 10 halvings); the
        ``"best"`` rule only when even the MRS beams miss (18e).  For warm starts
        (``solve(..., warm_start=...)``): the previous slot's beams are kept, not replaced by a
        constructed start that ignores them.

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
    working_set = boolean(working_set, "working_set")
    if caps not in CAP_RULES:
        raise ValueError(f"caps must be one of {', '.join(CAP_RULES)}; got {caps!r}")
    check_step(step, caps)
    check_start(start, caps)
    return _beamform(network, a, b, w0, max_iter, tol, workers, return_iterates, caps,
                     working_set, step, start)


def _beamform(network: Network, a: NDArray, b: NDArray, w0: NDArray[np.complex128],
              max_iter: int, tol: float, workers: int, return_iterates: bool, caps: str,
              working_set: bool, step: str, start: str) -> BeamformingResult:
    """:func:`optimize_beamforming` on arguments already checked (valid decisions, a (K, N)
    complex ``w0``, the options' types and values): :func:`pyiscc.solve` calls it directly."""
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
    core = _core_problem(network, serving, pbar)
    slack = caps == "slack"
    if slack:
        w0 = (_given_start(network, core, serving, pbar, w0) if start == "w0"
              else _best_start(network, core, serving, pbar, w0))
    run = dict(slack_caps=slack, slack_share=SLACK_SHARE, working_set=working_set,
               curvature_max=CURVATURE_MAX if step == "scaled" else 1.0,
               curvature_start=WARM_CURVATURE_START if slack and start == "w0" else 0.0)
    out = core.optimize(w0, int(max_iter), float(tol), int(workers), bool(return_iterates), **run)
    if slack and out["status"] != "infeasible" and out["feasibility_iterations"] > 0:
        # The phase stopped at the first feasible point, where the victims have no slack to
        # share; a start towards the max-min margin point has slack everywhere.  Neither is
        # better on every drop (docs/algorithms.md), so both run and the better is kept.
        other = core.optimize(w0, int(max_iter), float(tol), int(workers), bool(return_iterates),
                              feasibility_margin=np.inf, **run)
        if other["status"] != "infeasible" and other["objective"] < out["objective"]:
            out = other
        if out["status"] != "infeasible" and network.n_terminals <= POLISH_MAX_TERMINALS:
            polish_iter = WARM_POLISH_MAX_ITER if start == "w0" else POLISH_MAX_ITER
            out = _polish_powers(network, core, pbar, out, bool(return_iterates), polish_iter)
    status, failing = out["status"], tuple(int(k) for k in out["failing"])
    if slack and status == "infeasible":
        proof = sensing_certificate(network, pbar)
        status, failing = ("infeasible", proof) if proof else ("no_feasible_point_found", failing)
    solves = out["working_set_solves"]
    kept = (out["working_set_rows"] / solves if solves else float("nan"),
            int(out["working_set_max_rows"]))
    return _result(network, a, b, out["w"], out["objective"], out["history"], out["iterations"],
                   status, failing, out["feasibility_iterations"], out["subproblem_failures"],
                   out["iterates"] if return_iterates else None, kept, int(out["rejected_steps"]))


def check_step(step: str, caps: str) -> None:
    """ValueError naming ``step`` unless it is one of :data:`STEPS` and fits the cap rule."""
    if step not in STEPS:
        raise ValueError(f"step must be one of {', '.join(STEPS)}; got {step!r}")
    if step == "scaled" and caps != "slack":
        raise ValueError("step: 'scaled' needs caps='slack' (the paper's rule keeps its own step)")


def check_start(start: str, caps: str) -> None:
    """ValueError naming ``start`` unless it is one of :data:`STARTS` and fits the cap rule."""
    if start not in STARTS:
        raise ValueError(f"start must be one of {', '.join(STARTS)}; got {start!r}")
    if start == "w0" and caps != "slack":
        raise ValueError("start='w0' needs caps='slack' (the paper's rule starts from w0 as "
                         "given)")


def sensing_margins(network: Network, w: NDArray[np.complex128]) -> NDArray[np.float64]:
    """Normalised sensing margins ``(gamma_k - Gamma_r) / Gamma_r`` of beams w (K, N) -> (K,)
    (>= 0: (18e) holds; ``+inf`` everywhere when Gamma_r = 0)."""
    sc = network.scenario
    interference = _core.interference_matrix(network.HI, w)
    gamma = _core.echo_sinr(network.steering, w, network.echo_gain, interference, sc.noise_power_w)
    if sc.sensing_sinr <= 0:
        return np.full(network.n_terminals, np.inf)
    return gamma / sc.sensing_sinr - 1.0


def sensing_certificate(network: Network, budget: ArrayLike) -> tuple[int, ...]:
    """A proof that no beams with ``||w_k||^2 <= budget_k`` meet (18e), or ``()``.

    The linear relaxation ``c_k p_k >= Gamma_r (sum_{j != k} lam_kj p_j + sigma^2)``,
    ``0 <= p_k <= budget_k``, with ``c_k = gain_k ||a_k||^2`` (the most echo power p_k can buy,
    ``|a^H w|^2 <= ||a||^2 ||w||^2``) and ``lam_kj`` the smallest eigenvalue of
    ``HI[k,j]^H HI[k,j]`` (the least interference p_j can cause), holds at every feasible point;
    if even its largest smallest normalised margin (an LP, HiGHS) is negative, (18e) cannot be
    met.  Exact for N = 1.  Sensing does not depend on the decisions except through the budgets.

    Parameters
    ----------
    network : Network
    budget : (K,) float
        Power budgets [W] (P_th for the problem (18) as a whole, P-bar_k for fixed decisions).

    Returns
    -------
    tuple of int
        ``()`` when the relaxation is feasible (no proof); else the terminals that fail even
        alone at full budget, or, if none does, those whose margin is negative at the LP's
        optimum.
    """
    from scipy.optimize import linprog

    sc = network.scenario
    budget = np.maximum(np.asarray(budget, dtype=float), 0.0)
    if sc.sensing_sinr <= 0:
        return ()
    unit = sc.sensing_sinr * sc.noise_power_w
    c = network.echo_gain * np.einsum("kn,kn->k", network.steering.conj(), network.steering).real
    alone = np.flatnonzero(c * budget < unit * (1.0 - 1e-9))
    if alone.size:
        return tuple(int(k) for k in alone)
    K = network.n_terminals
    lam = np.linalg.svd(network.HI, compute_uv=False)[..., -1] ** 2  # (K, K), 0 on the diagonal
    lam[np.arange(K), np.arange(K)] = 0.0
    # Variables (p / budget, t): maximise t s.t. t <= (c_k p_k - Gamma sum_j lam_kj p_j) / unit - 1.
    G = (sc.sensing_sinr * lam - np.diag(c)) * budget[None, :] / unit
    A_ub = np.hstack([G, np.ones((K, 1))])
    res = linprog(np.r_[np.zeros(K), -1.0], A_ub=A_ub, b_ub=-np.ones(K),
                  bounds=[(0.0, 1.0)] * K + [(None, None)], method="highs")
    if res.status != 0 or -res.fun >= -1e-7:
        return ()
    margin = -(A_ub[:, :K] @ res.x[:K]) - 1.0
    return tuple(int(k) for k in np.flatnonzero(margin < 0))


def _best_start(network: Network, core: object, serving: NDArray[np.int64],
                pbar: NDArray[np.float64], w0: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """The slack rule's start: of ``w0``, the MRS beams at P-bar_k and the MRT beams pulled
    towards MRS until (18e) holds, the one meeting (18e) with the least (39); if none meets
    it, the one with the largest smallest sensing margin (the feasibility phase's start)."""
    mrs = max_sensing_beams(network, pbar)
    mrt = _serving_mrt(network, serving, pbar, mrs)
    cands = [w0, mrs]
    worst = [sensing_margins(network, w).min() for w in cands]  # of each candidate
    mrt_worst = sensing_margins(network, mrt).min()
    if mrt_worst >= 0:
        cands.append(mrt)
        worst.append(mrt_worst)
    elif worst[1] >= 0:
        lo, hi = 0.0, 1.0  # blend weight of MRS: hi always meets (18e)
        hi_worst = worst[1]
        blend = _blender(mrt, mrs, pbar)
        for _ in range(10):
            mid = 0.5 * (lo + hi)
            m = sensing_margins(network, blend(mid)).min()
            if m >= 0:
                hi, hi_worst = mid, m
            else:
                lo = mid
        if hi < 1.0:  # at 1 the blend is MRS again
            cands.append(blend(hi))
            worst.append(hi_worst)
    ok = [i for i, m in enumerate(worst) if m >= 0]
    if not ok:
        return cands[int(np.argmax(worst))]
    objs = [core.objective(cands[i]) for i in ok]
    return cands[ok[int(np.argmin(objs))]]


def _given_start(network: Network, core: object, serving: NDArray[np.int64],
                 pbar: NDArray[np.float64], w0: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """``start="w0"``: ``w0`` when it meets (18e); else the blend ``(1 - t) w0 + t MRS`` (MRS at
    P-bar_k, phase-aligned to ``w0``; each beam's norm moved from ``||w0_k||`` to
    ``sqrt(P-bar_k)`` by the same ``t``) with the least ``t`` that meets (18e): t doubled from
    1/128, then the bracket split into 2^GIVEN_START_HALVINGS parts (``sensing_blend`` in
    cpp/beamforming.hpp, the margins along the blend in closed form, the beams taken checked
    directly); else (the MRS beams miss it too) the ``"best"`` rule of :func:`_best_start`."""
    if sensing_margins(network, w0).min() >= 0:
        return w0
    mrs = max_sensing_beams(network, pbar)
    if sensing_margins(network, mrs).min() < 0:
        return _best_start(network, core, serving, pbar, w0)
    w, _ = core.sensing_blend(w0, mrs, GIVEN_START_HALVINGS)
    return w


def _polish_powers(network: Network, core: object, pbar: NDArray[np.float64], out: dict,
                   keep_iterates: bool, max_iter: int = POLISH_MAX_ITER) -> dict:
    """The powers along the beams' directions re-optimised, after a feasibility phase.

    With the directions ``d_k`` fixed, (18e) is linear in the powers ``p_k`` (``gain_k |a_k^H
    d_k|^2 p_k >= Gamma (sum_j ||HI[k,j] d_j||^2 p_j + sigma^2)``) and (18d) is a box, so a local
    optimum of (39) over the powers is a small smooth problem (K variables, SciPy's SLSQP).  It
    moves interference budget between a victim's interferers, which the caps cannot do: a cap
    never falls below the interference caused now.  Kept only when it meets (18e) exactly and
    lowers (39) (else the largest step towards it that does, by halving); then appended to the
    history (and the iterates)."""
    from scipy.optimize import Bounds, LinearConstraint, minimize

    w = np.asarray(out["w"])
    p0 = np.einsum("kn,kn->k", w.conj(), w).real
    if not (p0 > 0).all():
        return out
    d = w / np.sqrt(p0)[:, None]
    sc = network.scenario
    f0 = float(out["objective"])
    if not (np.isfinite(f0) and f0 > 0):
        return out

    def beams(x: NDArray[np.float64]) -> NDArray[np.complex128]:
        return np.sqrt(np.clip(x, 0.0, 1.0) * pbar)[:, None] * d

    constraints = []
    if sc.sensing_sinr > 0:
        gain = network.echo_gain * np.abs(np.einsum("kn,kn->k", network.steering.conj(), d)) ** 2
        caused = _core.interference_matrix(network.HI, d)  # (K, K): ||HI[k,j] d_j||^2
        unit = sc.sensing_sinr * sc.noise_power_w
        A = (np.diag(gain) - sc.sensing_sinr * caused) * pbar[None, :] / unit
        constraints.append(LinearConstraint(A, 1.0, np.inf))
    x0 = np.clip(p0 / pbar, 0.0, 1.0)
    with _OneBlasThread():
        res = minimize(lambda x: core.objective(beams(x)) / f0, x0, method="SLSQP",
                       bounds=Bounds(0.0, 1.0), constraints=constraints,
                       options={"ftol": POLISH_FTOL, "maxiter": max_iter})
    x1 = np.clip(res.x, 0.0, 1.0)
    for _ in range(POLISH_HALVINGS):
        w1 = beams(x1)
        f1 = core.objective(w1)
        if f1 < f0 and sensing_margins(network, w1).min() >= 0:
            out = dict(out, w=w1, objective=f1, history=np.append(out["history"], f1))
            if keep_iterates:
                out["iterates"] = np.concatenate([np.asarray(out["iterates"]), w1[None]])
            return out
        x1 = 0.5 * (x0 + x1)
    return out


_BLAS_LOCK = threading.Lock()
_blas_controller = None


class _OneBlasThread:
    """BLAS (SciPy's and NumPy's OpenBLAS) on one thread inside the block, one block at a time.

    SLSQP's steps go through BLAS, whose results differ in the last bits between one thread and
    several; the polish's keep-or-halve test then turns that into a different answer (measured:
    2e-4 in total latency on a Table III drop).  A sweep's worker processes may run BLAS on one
    thread while the caller runs it on all cores, so without this the answer would depend on the
    number of workers.  The lock keeps concurrent solves in threads from restoring each other's
    limits mid-polish."""

    def __enter__(self):
        global _blas_controller
        _BLAS_LOCK.acquire()
        try:
            if _blas_controller is None:  # after SciPy's import: it sees SciPy's OpenBLAS too
                from threadpoolctl import ThreadpoolController

                _blas_controller = ThreadpoolController()
            self._limit = _blas_controller.limit(limits=1, user_api="blas")
        except BaseException:
            _BLAS_LOCK.release()
            raise
        return self

    def __exit__(self, *exc):
        try:
            self._limit.restore_original_limits()
        finally:
            _BLAS_LOCK.release()
        return False


def _serving_mrt(network: Network, serving: NDArray[np.int64], pbar: NDArray[np.float64],
                 mrs: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """MRT towards the serving BS (dominant left singular vector of ``H[l(k),k]``) at P-bar_k for
    offloading terminals; MRS for local ones (their (39) weight is zero)."""
    off = np.flatnonzero(serving >= 0)
    w = np.array(mrs)
    if off.size:
        # dominant eigenvector of H H^H (N x N): H's dominant left singular vector up to a phase
        # (which no rate or SINR sees), at a fraction of the cost of the SVD of H
        u = network._uplink_dominant[1][serving[off], off]
        w[off] = np.sqrt(pbar[off])[:, None] * u
    return w


def _blender(mrt: NDArray[np.complex128], mrs: NDArray[np.complex128],
             pbar: NDArray[np.float64]):
    """``t -> (1 - t) mrt + t mrs`` per terminal (MRS phase-aligned to MRT), rescaled to
    P-bar_k; the phases and the scale are computed once for every t."""
    phase = np.einsum("kn,kn->k", mrs.conj(), mrt)
    phase = np.where(np.abs(phase) > 0, phase / np.maximum(np.abs(phase), 1e-300), 1.0)[:, None]
    scale = np.sqrt(pbar)[:, None]

    def blend(t: float) -> NDArray[np.complex128]:
        w = (1.0 - t) * mrt + t * mrs * phase
        norm = np.linalg.norm(w, axis=1)
        return scale * w / np.where(norm > 0, norm, 1.0)[:, None]

    return blend


def _result(network: Network, a: NDArray[np.float64], b: NDArray[np.float64],
            w: NDArray[np.complex128], objective: float, history: NDArray[np.float64],
            iterations: int, status: str, failing: tuple[int, ...], feasibility_iterations: int,
            subproblem_failures: int, iterates: NDArray[np.complex128] | None,
            caps_kept: tuple[float, int] = (float("nan"), 0),
            rejected_steps: int = 0) -> BeamformingResult:
    ev = evaluate(network, w, a, b)
    with np.errstate(divide="ignore"):
        margin = 10.0 * np.log10(ev.echo_sinr) - network.scenario.sensing_sinr_db
    slack = network.max_power_w - ev.power
    for x in (w, history, margin, slack):
        x.flags.writeable = False
    return BeamformingResult(w, float(objective), history, int(iterations), status, margin, slack,
                             failing, int(feasibility_iterations), int(subproblem_failures),
                             iterates, caps_kept, int(rejected_steps), ev)
