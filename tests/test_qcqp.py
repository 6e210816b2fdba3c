"""The QCQP solver (cpp/qcqp/) against CVXPY + Clarabel, by KKT residuals, and on bad input; its
block-structured path against the dense path and Clarabel."""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np
import pytest
from tolerances import DATA, QCQP_DUAL_RTOL, QCQP_MAX_VIOLATION, QCQP_OBJECTIVE_RTOL

from pyiscc.qcqp import STATUSES, solve_qcqp

#: (n, m): the per-terminal sub-problem at N = 8, K = 9 and the CCET-ISCC joint problem at K N = 72.
SHAPES = {"subproblem": (16, 10), "joint": (144, 18)}
KINDS = ("feasible", "infeasible", "inactive")


def _factor(rng, n, rank):
    return rng.standard_normal((n, rank)) / np.sqrt(rank)


def _rank(rng, n):
    """Rank of a random PSD matrix: up to 16 (keeps the CVXPY reference fast at n = 144)."""
    return int(rng.integers(1, min(n, 16) + 1))


def _finish_instance(rng, F, q, G, b, kind: str):
    """The right-hand sides of a random instance around a known point, and its kind: feasible
    (slack 0.1-2 at the centre), inactive (P = F F^T + I/2, every constraint at least 1 away from
    the unconstrained optimum) or infeasible (b^T x <= -0.5 and -b^T x <= -0.5 appended)."""
    n, m = q.shape[0], len(G)
    if kind == "inactive":
        F = np.hstack([F, np.sqrt(0.5) * np.eye(n)])
    centre = (np.linalg.solve(2.0 * F @ F.T, q) if kind == "inactive"
              else 0.3 * rng.standard_normal(n))
    c = np.array([np.sum((G[i].T @ centre) ** 2) + b[i] @ centre for i in range(m)])
    c += rng.uniform(0.1, 2.0, m) if kind != "inactive" else rng.uniform(1.0, 3.0, m)
    if kind == "infeasible":
        d = rng.standard_normal(n)
        G[-1] = G[-2] = np.zeros((n, 0))
        b[-2], b[-1], c[-2], c[-1] = d, -d, -0.5, -0.5
    return F, q, G, b, c


def random_instance(seed: int, n: int, m: int, kind: str):
    """A random convex QCQP with PSD matrices given by factors (A_i = G_i G_i^T).

    feasible: a known interior point x_f (slack 0.1-2); constraint 0 is a ball, so the problem is
    bounded.  infeasible: additionally b^T x <= -0.5 and -b^T x <= -0.5.  inactive: P positive
    definite and every constraint at least 1 away from the unconstrained optimum.
    """
    rng = np.random.default_rng(seed)
    F = _factor(rng, n, _rank(rng, n))
    q = 3.0 * rng.standard_normal(n)
    G = [_factor(rng, n, _rank(rng, n)) if rng.random() < 0.7 else np.zeros((n, 0))
         for _ in range(m)]
    G[0] = np.eye(n)
    b = rng.standard_normal((m, n))
    b[0] = 0.0
    return _finish_instance(rng, F, q, G, b, kind)


def dense(F, q, G, b, c):
    return F @ F.T, q, np.array([g @ g.T for g in G]), b, c


def clarabel(F, q, G, b, c):
    x = cp.Variable(len(q))
    cons = [(cp.sum_squares(G[i].T @ x) if G[i].shape[1] else 0) + b[i] @ x <= c[i]
            for i in range(len(c))]
    prob = cp.Problem(cp.Maximize(q @ x - cp.sum_squares(F.T @ x)), cons)
    with warnings.catch_warnings():
        # "Solution may be inaccurate": reported as status optimal_inaccurate, which the caller
        # excludes from the objective comparison (and counts).
        warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
        prob.solve(solver=cp.CLARABEL)
    return prob.status, prob.value, x.value


def check_kkt(res, P, q, A, b, c):
    """Recompute the residuals of an optimal point independently of the solver."""
    x, z = res.x, res.z
    g = np.einsum("i,mij,j->m", x, A, x) + b @ x - c
    stationarity = q - 2.0 * P @ x - (2.0 * np.einsum("mij,j->mi", A, x) + b).T @ z
    assert (z >= 0).all()
    assert g.max() <= QCQP_MAX_VIOLATION
    assert np.abs(stationarity).max() <= QCQP_DUAL_RTOL * max(1.0, np.abs(q).max())
    assert np.abs(z * g).max() <= QCQP_DUAL_RTOL * max(1.0, abs(res.objective))
    assert res.primal_residual == pytest.approx(max(g.max(), 0.0), abs=1e-12)


def _compare(shape, kind, count):
    n, m = SHAPES[shape]
    compared = 0
    for seed in range(count):
        inst = random_instance(10_000 * list(SHAPES).index(shape) + 1000 * KINDS.index(kind) + seed,
                               n, m, kind)
        res = solve_qcqp(*dense(*inst))
        status, value, _ = clarabel(*inst)
        if kind == "infeasible":
            assert status == "infeasible"
            assert res.status == "infeasible"
            assert res.phase1_value > 0 and res.violated
            continue
        assert status in ("optimal", "optimal_inaccurate"), status
        assert res.status == "optimal", (seed, res)
        check_kkt(res, *dense(*inst))
        if status == "optimal":
            assert res.objective == pytest.approx(value, rel=QCQP_OBJECTIVE_RTOL, abs=QCQP_OBJECTIVE_RTOL)
            compared += 1
        if kind == "inactive":
            assert res.z.max() <= 1e-8  # no constraint active: the unconstrained optimum
    assert compared >= (0 if kind == "infeasible" else 0.9 * count)


# 300 instances in all: 3 x 70 of the sub-problem shape, 3 x 30 of the joint shape (slow: CVXPY
# takes ~1 s per joint instance).  Objective to 1e-6 relative, violation <= 1e-8, the same
# infeasibility verdict, KKT residuals recomputed here.
@pytest.mark.parametrize("kind", KINDS)
def test_matches_clarabel_subproblem_shape(kind):
    _compare("subproblem", kind, 70)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_matches_clarabel_joint_shape(kind):
    _compare("joint", kind, 30)


def test_inactive_is_the_unconstrained_optimum():
    F, q, G, b, c = random_instance(7, 16, 10, "inactive")
    P = F @ F.T
    res = solve_qcqp(*dense(F, q, G, b, c))
    np.testing.assert_allclose(res.x, np.linalg.solve(2.0 * P, q), rtol=1e-8, atol=1e-10)


def test_feasible_start_skips_phase_one_and_agrees():
    P, q, A, b, c = dense(*random_instance(3, 16, 10, "feasible"))
    cold = solve_qcqp(P, q, A, b, c, x0=np.full(16, 50.0))  # infeasible start: phase I runs
    warm = solve_qcqp(P, q, A, b, c, x0=cold.x)  # a feasible start
    assert cold.phase1_iterations > 0 and warm.phase1_iterations == 0
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)


def test_known_optimum_on_a_ball():
    """max q^T x s.t. ||x||^2 <= 1: x = q / ||q||."""
    q = np.array([3.0, -4.0])
    res = solve_qcqp(np.zeros((2, 2)), q, np.eye(2)[None], np.zeros((1, 2)), np.ones(1))
    assert res.status == "optimal"
    np.testing.assert_allclose(res.x, q / 5.0, atol=1e-9)
    assert res.objective == pytest.approx(5.0, rel=1e-10)
    assert res.z[0] == pytest.approx(2.5, rel=1e-6)  # q = 2 z x


def test_no_constraints():
    P = np.diag([1.0, 2.0])
    res = solve_qcqp(P, np.array([2.0, 4.0]), np.zeros((0, 2, 2)), np.zeros((0, 2)), np.zeros(0))
    assert res.status == "optimal"
    np.testing.assert_allclose(res.x, [1.0, 1.0], rtol=1e-8)  # to the solver's tol = 1e-9


def test_statuses_are_strings():
    res = solve_qcqp(*dense(*random_instance(1, 16, 10, "feasible")), max_iter=1)
    assert res.status in STATUSES and res.status == "max_iter"


@pytest.mark.parametrize("change, match", [
    (lambda a: a.update(P=np.ones((3, 3))), "P"),
    (lambda a: a.update(P=np.array([[1.0, 2.0], [0.0, 1.0]])), "P: must be symmetric"),
    (lambda a: a.update(q=np.array([np.nan, 0.0])), "q"),
    (lambda a: a.update(A=np.zeros((2, 2, 2))), "A"),
    (lambda a: a.update(b=np.zeros((1, 3))), "b"),
    (lambda a: a.update(c=np.array([np.inf])), "c"),
    (lambda a: a.update(x0=np.zeros(3)), "x0"),
    (lambda a: a.update(max_iter=0), "max_iter"),
    (lambda a: a.update(tol=0.0), "tol"),
])
def test_bad_input(change, match):
    args = dict(P=np.eye(2), q=np.ones(2), A=np.eye(2)[None], b=np.zeros((1, 2)), c=np.ones(1))
    change(args)
    with pytest.raises(ValueError, match=match):
        solve_qcqp(**args)


def test_stalled_slack_residual_still_ends_optimal():
    """An Algorithm-2 sub-problem (56) (drop seed 6, BCD round 1, iteration 42, terminal 0) on
    which the iterates cycle with the slack residual g + s above tol while x is exact: the stall
    rule accepts the KKT point (before it: `max_iter` after 100 steps)."""
    d = np.load(DATA / "stalling_subproblem.npz")
    P, q, A, b, c = d["P"], d["q"], d["A"], d["b"], d["c"]
    res = solve_qcqp(P, q, A, b, c, x0=d["x0"])
    assert res.status == "optimal" and res.iterations < 30
    check_kkt(res, P, q, A, b, c)


@pytest.mark.parametrize("n", [16, 5])
def test_every_entry_is_checked(n):
    """A NaN or inf anywhere in P or an A_i, and an asymmetry at any off-diagonal pair, is a
    ValueError naming the parameter; an asymmetry at rounding level (1e-14) is accepted.  n = 16
    runs the tiled one-pass check of the binding, n = 5 the plain loop."""
    rng = np.random.default_rng(n)
    F = rng.standard_normal((n, n))
    P = F @ F.T
    A = np.stack([np.eye(n), P])
    args = dict(q=np.ones(n), b=np.zeros((2, n)), c=np.ones(2), max_iter=1)
    big = np.abs(P).max()
    for i in range(n):
        for j in range(n):
            for bad in (np.nan, -np.inf):
                P2, A2 = P.copy(), A.copy()
                P2[i, j] = bad
                A2[1, i, j] = bad
                with pytest.raises(ValueError, match="P: contains NaN or inf"):
                    solve_qcqp(P=P2, A=A, **args)
                with pytest.raises(ValueError, match="A: contains NaN or inf"):
                    solve_qcqp(P=P, A=A2, **args)
            if i == j:
                continue
            P2, A2 = P.copy(), A.copy()
            P2[i, j] += 1e-9 * big
            A2[1, i, j] -= 1e-9 * big
            with pytest.raises(ValueError, match="P: must be symmetric"):
                solve_qcqp(P=P2, A=A, **args)
            with pytest.raises(ValueError, match="A: every A\\[i\\] must be symmetric"):
                solve_qcqp(P=P, A=A2, **args)
            P2[i, j] = P[i, j] + 1e-14 * big
            solve_qcqp(P=P2, A=A, **args)  # accepted


def test_inputs_that_are_not_float64_arrays():
    """Lists, Fortran-ordered and integer arrays, a scalar c and a NumPy-integer max_iter give the
    ndarray call's answer; complex data (list or array) and a bool max_iter are rejected."""
    P, q, A, b, c = dense(*random_instance(1, 16, 10, "feasible"))
    ref = solve_qcqp(P, q, A, b, c)
    for res in (solve_qcqp(P.tolist(), list(q), A.tolist(), b.tolist(), c.tolist(), max_iter=np.int64(100)),
                solve_qcqp(np.asfortranarray(P), q, np.asfortranarray(A), np.asfortranarray(b), c)):
        assert res.status == ref.status and res.objective == ref.objective
        np.testing.assert_array_equal(res.x, ref.x)
    ball = dict(P=np.eye(2, dtype=int), q=np.array([3, 4]), A=np.eye(2)[None], b=np.zeros((1, 2)))
    for c1 in (9.0, np.float64(9.0), np.array(9.0), [9.0]):
        res = solve_qcqp(**ball, c=c1)  # maximise 3 x1 + 4 x2 - |x|^2 on |x|^2 <= 9: x = (1.5, 2)
        np.testing.assert_allclose(res.x, [1.5, 2.0], atol=1e-7)
    with pytest.raises(ValueError, match="q: must be real"):
        solve_qcqp(P, [1j] * 16, A, b, c)
    with pytest.raises(ValueError, match="A: must be real"):
        solve_qcqp(P, q, A.astype(complex), b, c)
    with pytest.raises(ValueError, match="max_iter"):
        solve_qcqp(P, q, A, b, c, max_iter=True)


# --- The block-structured path (block_size=...) -------------------------------------------------

#: (K, nb, m, tail): the CCET-ISCC joint shape at K = 9, N = 8, and shapes with tail variables
#: (the feasibility phase of Algorithm 2 has one: t); "wide": many coupling rows, whose infeasible
#: instances stalled phase I before the refinement loop and the augmented-row J dx.
BLOCK_SHAPES = {"joint": (9, 16, 18, 0), "tail1": (5, 4, 9, 1), "tail2": (12, 6, 20, 2),
                "wide": (30, 4, 70, 1)}


def random_block_instance(seed: int, K: int, nb: int, m: int, kind: str, tail: int = 0):
    """A random convex QCQP whose P and A_i are block-diagonal (K blocks of order nb, then a tail
    block), given by factors: G[i] (n, r_i) with A_i = G[i] G[i]^T, F likewise for P.

    Rows 0..K-1 are balls on one block each (gradients inside one block, as the power budgets of
    the joint problems), row K a ball on the tail (if any); about a third of the other rows are
    local to one block, the rest couple blocks through their PSD blocks and a dense b_i (as the
    sensing rows).  kind as in random_instance.
    """
    rng = np.random.default_rng(seed)
    n = K * nb + tail
    spans = [slice(k * nb, (k + 1) * nb) for k in range(K)] + ([slice(K * nb, n)] if tail else [])

    def factor(blocks):
        cols = []
        for k in blocks:
            width = spans[k].stop - spans[k].start
            g = np.zeros((n, int(rng.integers(1, min(width, 6) + 1))))
            g[spans[k]] = _factor(rng, width, g.shape[1])
            cols.append(g)
        return np.hstack(cols) if cols else np.zeros((n, 0))

    F = factor([k for k in range(len(spans)) if rng.random() < 0.8])
    q = 3.0 * rng.standard_normal(n)
    G, b = [], np.zeros((m, n))
    for i in range(m):
        if i < len(spans):  # a ball on one block
            g = np.zeros((n, spans[i].stop - spans[i].start))
            g[spans[i]] = np.eye(g.shape[1])
        elif rng.random() < 0.35:  # local: one block, A and b
            k = int(rng.integers(len(spans)))
            g = factor([k]) if rng.random() < 0.7 else np.zeros((n, 0))
            b[i, spans[k]] = rng.standard_normal(spans[k].stop - spans[k].start)
        else:  # coupling
            g = factor([k for k in range(len(spans)) if rng.random() < 0.5]) if rng.random() < 0.7 \
                else np.zeros((n, 0))
            b[i] = rng.standard_normal(n)
        G.append(g)
    return _finish_instance(rng, F, q, G, b, kind)


def to_blocks(M: np.ndarray, nb: int) -> np.ndarray:
    """(..., K nb, K nb) -> (..., K, nb, nb): the diagonal blocks."""
    K = M.shape[-1] // nb
    return np.stack([M[..., k * nb:(k + 1) * nb, k * nb:(k + 1) * nb] for k in range(K)], axis=-3)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", BLOCK_SHAPES)
def test_block_path_matches_dense_path(shape, kind):
    """Structured vs dense path on the same instances: the same status, objective to
    QCQP_OBJECTIVE_RTOL, KKT residuals of the structured answer recomputed independently, the same
    phase-I value for the infeasible ones."""
    K, nb, m, tail = BLOCK_SHAPES[shape]
    for seed in range(20):
        inst = random_block_instance(5000 + 100 * KINDS.index(kind) + seed, K, nb, m, kind, tail)
        P, q, A, b, c = dense(*inst)
        ref = solve_qcqp(P, q, A, b, c)
        res = solve_qcqp(P, q, A, b, c, block_size=nb)
        assert res.status == ref.status, (seed, ref.status, res.status)
        if kind == "infeasible":
            assert res.status == "infeasible" and res.violated
            assert res.phase1_value == pytest.approx(ref.phase1_value, rel=QCQP_OBJECTIVE_RTOL,
                                                     abs=QCQP_OBJECTIVE_RTOL)
            continue
        assert res.status == "optimal", (seed, res)
        check_kkt(res, P, q, A, b, c)
        assert res.objective == pytest.approx(ref.objective, rel=QCQP_OBJECTIVE_RTOL, abs=QCQP_OBJECTIVE_RTOL)
        if kind == "inactive":
            assert res.z.max() <= 1e-8
            np.testing.assert_allclose(res.x, ref.x, rtol=1e-8, atol=1e-10)


def test_block_forms_equal_dense_forms():
    """P as (K, nb, nb) and A as (m, K, nb, nb) give bit-identical answers to the dense arrays."""
    K, nb, m, _ = BLOCK_SHAPES["joint"]
    P, q, A, b, c = dense(*random_block_instance(11, K, nb, m, "feasible"))
    from_dense = solve_qcqp(P, q, A, b, c, block_size=nb)
    from_blocks = solve_qcqp(to_blocks(P, nb), q, to_blocks(A, nb), b, c, block_size=nb)
    assert from_blocks.status == "optimal"
    np.testing.assert_array_equal(from_blocks.x, from_dense.x)
    np.testing.assert_array_equal(from_blocks.z, from_dense.z)


def test_block_path_feasible_start_and_phase_one_agree():
    K, nb, m, tail = BLOCK_SHAPES["tail1"]
    P, q, A, b, c = dense(*random_block_instance(3, K, nb, m, "feasible", tail))
    n = len(q)
    cold = solve_qcqp(P, q, A, b, c, x0=np.full(n, 50.0), block_size=nb)
    warm = solve_qcqp(P, q, A, b, c, x0=cold.x, block_size=nb)
    assert cold.phase1_iterations > 0 and warm.phase1_iterations == 0
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_block_path_matches_clarabel_joint_shape(kind):
    """The joint shape (n = 144, m = 18), block-structured, against CVXPY + Clarabel."""
    K, nb, m, _ = BLOCK_SHAPES["joint"]
    compared = 0
    for seed in range(10):
        inst = random_block_instance(7000 + 100 * KINDS.index(kind) + seed, K, nb, m, kind)
        P, q, A, b, c = dense(*inst)
        res = solve_qcqp(to_blocks(P, nb), q, to_blocks(A, nb), b, c, block_size=nb)
        status, value, _ = clarabel(*inst)
        if kind == "infeasible":
            assert status == "infeasible" and res.status == "infeasible"
            continue
        assert status in ("optimal", "optimal_inaccurate"), status
        assert res.status == "optimal", (seed, res)
        check_kkt(res, P, q, A, b, c)
        if status == "optimal":
            assert res.objective == pytest.approx(value, rel=QCQP_OBJECTIVE_RTOL, abs=QCQP_OBJECTIVE_RTOL)
            compared += 1
    assert compared >= (0 if kind == "infeasible" else 9)


@pytest.mark.parametrize("change, match", [
    (lambda a: a.update(block_size=0), "block_size"),
    (lambda a: a.update(block_size=True), "block_size"),
    (lambda a: a.update(block_size=5), "block_size"),
    (lambda a: a.update(P=np.ones((4, 4))), "P: entries outside the diagonal blocks"),
    (lambda a: a.update(A=np.ones((1, 4, 4))), "A: entries outside the diagonal blocks"),
    (lambda a: a.update(A=np.zeros((1, 3, 2, 2))), "A"),
    (lambda a: a.update(P=np.zeros((2, 2, 3))), "P"),
    (lambda a: a.update(A=np.zeros((1, 1, 3, 3))), "A"),
    (lambda a: a.update(P=np.array([[[1.0, 1.0], [0.0, 1.0]]] * 2)), "P: must be symmetric"),
])
def test_block_bad_input(change, match):
    args = dict(P=np.eye(4), q=np.ones(4), A=np.eye(4)[None], b=np.zeros((1, 4)), c=np.ones(1),
                block_size=2)
    change(args)
    with pytest.raises(ValueError, match=match):
        solve_qcqp(**args)
