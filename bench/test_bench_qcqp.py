"""Per-terminal sub-problem (56) at N = 8, K = 9: the C++ QCQP solver against CVXPY + Clarabel with
cp.Parameter reuse (one compiled problem, new parameter values per solve), same instances, same
answer; and one Algorithm-2 run with serial vs threaded per-BS groups.

    pytest bench/test_bench_qcqp.py --benchmark-columns=min,median,mean,rounds

The last benchmark runs `optimize_beamforming` with its defaults at the default size.
"""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np
import pytest

import pyiscc as pi
from instances import algorithm2_subproblems
from pyiscc.qcqp import solve_qcqp


def _factor(M: np.ndarray) -> np.ndarray:
    """F with F F^T = M for a PSD M (eigen-decomposition; M may be singular)."""
    vals, vecs = np.linalg.eigh(M)
    return vecs * np.sqrt(np.clip(vals, 0.0, None))


@pytest.fixture(scope="module")
def subproblems():
    """The 9 sub-problems of one Algorithm-2 iteration on a Table III drop (after 3 iterations)."""
    return algorithm2_subproblems(seed=0, iterations=3)


class ParametrisedClarabel:
    """One CVXPY problem with the sub-problem's data as Parameters (compiled once, DPP)."""

    def __init__(self, n: int, m: int):
        self.x = cp.Variable(n)
        self.FP = cp.Parameter((n, n))
        self.q = cp.Parameter(n)
        self.FA = [cp.Parameter((n, n)) for _ in range(m - 1)]
        self.b = cp.Parameter(n)
        self.c = cp.Parameter(m)
        cons = [cp.sum_squares(self.FA[i].T @ self.x) <= self.c[i] for i in range(m - 1)]
        cons.append(self.b @ self.x <= self.c[m - 1])
        self.problem = cp.Problem(cp.Maximize(self.q @ self.x - cp.sum_squares(self.FP.T @ self.x)),
                                  cons)

    def solve(self, sp) -> float:
        # Objective scaled to O(1) as our solver does internally (Clarabel's tolerances are
        # absolute in part: at the raw scale ~1e-7 it stops 1e-4 short).
        scale = 1.0 / max(np.abs(sp["P"]).max(), np.abs(sp["q"]).max())
        self.FP.value = _factor(scale * sp["P"])
        self.q.value = scale * sp["q"]
        for i, F in enumerate(self.FA):
            F.value = _factor(sp["A"][i])
        self.b.value = sp["b"][-1]
        self.c.value = sp["c"]
        with warnings.catch_warnings():
            # Clarabel sometimes flags these tiny problems "inaccurate"; the answer is still
            # compared with ours below, to 1e-6 relative.
            warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
            self.problem.solve(solver=cp.CLARABEL)
        return self.problem.value / scale


def _ours(subproblems):
    return [solve_qcqp(sp["P"], sp["q"], sp["A"], sp["b"], sp["c"], x0=x0) for sp, x0 in subproblems]


def test_qcqp_subproblem_cpp(benchmark, subproblems):
    """One call = the 9 sub-problems of one iteration (divide by 9 for the per-sub-problem time)."""
    results = benchmark(_ours, subproblems)
    assert all(r.status == "optimal" for r in results)
    benchmark.extra_info["per_subproblem_iterations"] = float(np.mean([r.iterations for r in results]))
    benchmark.group = "qcqp-subproblem (9 per round)"


def test_qcqp_subproblem_cvxpy_clarabel(benchmark, subproblems):
    n, m = len(subproblems[0][0]["q"]), len(subproblems[0][0]["c"])
    assert all(len(sp["c"]) == m for sp, _ in subproblems)  # every terminal has K+1 constraints here
    ref = ParametrisedClarabel(n, m)
    values = benchmark(lambda: [ref.solve(sp) for sp, _ in subproblems])
    ours = _ours(subproblems)
    for r, v in zip(ours, values):
        assert r.objective == pytest.approx(v, rel=1e-6)
    benchmark.group = "qcqp-subproblem (9 per round)"


@pytest.mark.parametrize("workers", [1, 2])
def test_algorithm2_run(benchmark, workers):
    """20 Algorithm-2 iterations on a Table III drop (tol = 0: always 20)."""
    net = pi.draw_network(pi.Scenario(), seed=0)
    off = pi.optimal_offloading(net, pi.max_sensing_beams(net), cloud=True)
    res = benchmark(pi.optimize_beamforming, net, off.a, off.b, max_iter=20, tol=0.0, workers=workers)
    ref = pi.optimize_beamforming(net, off.a, off.b, max_iter=20, tol=0.0, workers=1)
    assert np.array_equal(res.w, ref.w) and res.iterations == 20
    benchmark.extra_info["objective"] = res.objective
    benchmark.group = "algorithm2 (20 iterations)"


def test_algorithm2_default(benchmark):
    """`optimize_beamforming` end to end at the default size and settings (max_iter = 50,
    tol = 1e-4), MILP decisions at max-sensing beams: the Algorithm-2 part of a joint solve."""
    net = pi.draw_network(pi.Scenario(), seed=0)
    off = pi.optimal_offloading(net, pi.max_sensing_beams(net))
    res = benchmark(pi.optimize_beamforming, net, off.a, off.b)
    ref = pi.optimize_beamforming(net, off.a, off.b, workers=2)
    assert np.array_equal(res.w, ref.w) and res.feasible
    benchmark.extra_info["iterations"] = res.iterations
    benchmark.group = "algorithm2 (default settings)"
