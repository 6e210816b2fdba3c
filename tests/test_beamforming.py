"""Algorithm 2 (pyiscc.optimize_beamforming): the sub-problem against a NumPy transcription and
CVXPY, Lemma 2 (every iterate feasible), the start-vs-end objective, threads, edge cases, bad input."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from tolerances import BEAMFORMING_FEASIBILITY_RTOL, KERNEL_RTOL, QCQP_OBJECTIVE_RTOL

import pyiscc as pi
from pyiscc.beamforming import _core_problem, power_budget, serving_bs, updating_bs
from pyiscc.beams import max_sensing_beams
from pyiscc.qcqp import solve_qcqp


def milp_decisions(net):
    """Offloading decisions of the MILP oracle at the max-sensing start."""
    off = pi.optimal_offloading(net, max_sensing_beams(net), cloud=True)
    return off.a, off.b


def round_robin(net):
    L, K = net.n_bs, net.n_terminals
    a = np.zeros((L, K))
    a[np.arange(K) % L, np.arange(K)] = 1.0
    return a, np.zeros((L, K))


def real_form(Q):
    return np.block([[Q.real, -Q.imag], [Q.imag, Q.real]])


def reference_subproblem(net, a, b, w, k):
    """Sub-problem (56) of terminal k, transcribed from DESIGN.md section 2 (loops, explicit solves)."""
    sc = net.scenario
    L, K, N, M = net.H.shape
    noise = sc.noise_power_w
    serving = serving_bs(a, b)
    pbar = power_budget(net, serving)
    alpha, V, u = np.zeros(K), np.ones(K), np.zeros((K, M), complex)
    for i in range(K):
        l = serving[i]
        if l < 0:
            continue
        g = [net.H[l, j].conj().T @ w[j] for j in range(K)]
        F = noise * np.eye(M) + sum(np.outer(gj, gj.conj()) for gj in g)
        u[i] = np.linalg.solve(F, g[i])
        D = F - np.outer(g[i], g[i].conj())
        sinr = np.real(g[i].conj() @ np.linalg.solve(D, g[i]))
        rate = sc.bandwidth_hz * np.log2(1.0 + sinr)
        alpha[i] = net.task_bits[i] / rate ** 2
        V[i] = 1.0 / np.real(1.0 - g[i].conj() @ u[i])
    Q = np.zeros((N, N), complex)
    h = np.zeros(N, complex)
    for i in range(K):
        if serving[i] < 0:
            continue
        v = net.H[serving[i], k] @ u[i]
        Q += alpha[i] * V[i] * np.outer(v, v.conj())
        if i == k:
            h = 2.0 * alpha[i] * V[i] * v
    p = pbar[k]
    P = p * real_form(Q)
    q = np.sqrt(p) * np.concatenate([h.real, h.imag])
    A, bb, c = [np.eye(2 * N)], [np.zeros(2 * N)], [1.0]
    interference = np.array([[np.linalg.norm(net.HI[i, j] @ w[j]) ** 2 if i != j else 0.0
                              for j in range(K)] for i in range(K)])
    for j in range(K):
        if j != k:
            A.append(p * real_form(net.HI[j, k].conj().T @ net.HI[j, k]))
            bb.append(np.zeros(2 * N))
            c.append(interference[j, k])
    a_k = net.steering[k]
    beta = np.vdot(a_k, w[k])
    lin = a_k * beta
    A.append(np.zeros((2 * N, 2 * N)))
    bb.append(-2.0 * net.echo_gain[k] * np.sqrt(p) * np.concatenate([lin.real, lin.imag]))
    c.append(-(sc.sensing_sinr * (interference[k].sum() + noise) + net.echo_gain[k] * abs(beta) ** 2))
    return P, q, np.array(A), np.array(bb), np.array(c)


@pytest.fixture(scope="module")
def drop():
    net = pi.draw_network(pi.Scenario(), seed=11)
    a, b = round_robin(net)
    a[:, 4] = 0.0  # terminal 4 computes locally
    w = pi.optimize_beamforming(net, a, b, max_iter=2).w
    return net, a, b, w


def core_of(net, a, b):
    serving = serving_bs(a, b)
    return _core_problem(net, serving, power_budget(net, serving))


@pytest.mark.parametrize("k", [0, 4, 8])
def test_subproblem_matches_numpy(drop, k):
    net, a, b, w = drop
    got = core_of(net, a, b).subproblem(w, k)
    want = reference_subproblem(net, a, b, w, k)
    for name, x, y in zip("PqAbc", (got["P"], got["q"], got["A"], got["b"], got["c"]), want):
        scale = np.abs(y).max()
        np.testing.assert_allclose(x, y, rtol=0, atol=KERNEL_RTOL * 1e2 * scale, err_msg=name)


@pytest.mark.parametrize("k", [0, 4])
def test_subproblem_solution_matches_complex_cvxpy(drop, k):
    """The real-valued, scaled QCQP has the optimum of (56) written in complex form in CVXPY."""
    net, a, b, w = drop
    sc = net.scenario
    sp = core_of(net, a, b).subproblem(w, k)
    res = solve_qcqp(sp["P"], sp["q"], sp["A"], sp["b"], sp["c"])
    assert res.status == "optimal"
    N = net.terminal_antennas
    p = power_budget(net, serving_bs(a, b))[k]
    w_ours = np.sqrt(p) * (res.x[:N] + 1j * res.x[N:])
    # Same problem over complex w_k, objective divided by p so that it is O(1).
    P, q = sp["P"] / p, sp["q"] / np.sqrt(p)
    Q = P[:N, :N] + 1j * P[N:, :N]
    h = q[:N] + 1j * q[N:]
    x = cp.Variable(N, complex=True)
    L = np.linalg.cholesky(Q + 1e-30 * np.eye(N)) if np.any(Q) else np.zeros((N, N))
    interference = pi._core.interference_matrix(net.HI, w)
    cons = [cp.sum_squares(x) <= p]
    for j in range(net.n_terminals):
        if j != k:
            cons.append(cp.sum_squares(net.HI[j, k] @ x) <= interference[j, k])
    beta = np.vdot(net.steering[k], w[k])
    cons.append(net.echo_gain[k] * (2 * cp.real(np.conj(beta) * (net.steering[k].conj() @ x))
                                    - abs(beta) ** 2)
                >= sc.sensing_sinr * (interference[k].sum() + sc.noise_power_w))
    scale = 1.0 / max(np.abs(Q).max() * p, np.abs(h).max() * np.sqrt(p))
    obj = cp.Maximize(scale * (cp.real(h.conj() @ x) - cp.sum_squares(L.conj().T @ x)))
    prob = cp.Problem(obj, cons)
    prob.solve(solver=cp.CLARABEL)
    assert prob.status == "optimal"
    ours = scale * (np.real(np.vdot(h, w_ours)) - np.real(w_ours.conj() @ Q @ w_ours))
    assert ours == pytest.approx(prob.value, rel=QCQP_OBJECTIVE_RTOL, abs=1e-9)


def assert_feasible(net, a, b, w):
    ev = pi.evaluate(net, w, a, b, rtol=BEAMFORMING_FEASIBILITY_RTOL)
    assert ev.feasible, ev.violations


@pytest.mark.parametrize("seed", range(20))
def test_lemma2_every_iterate_feasible_and_end_not_worse(seed):
    """Acceptance subset (bench/acceptance_beamforming.py runs 200 drops x 4 thresholds)."""
    net = pi.draw_network(pi.Scenario(), seed=seed)
    a, b = milp_decisions(net)
    res = pi.optimize_beamforming(net, a, b, max_iter=20, return_iterates=True)
    if res.status == "infeasible":
        assert res.failing and (res.sensing_margin_db[list(res.failing)] < 0).any()
        return
    assert res.iterates.shape == (res.iterations + 1, net.n_terminals, net.terminal_antennas)
    core = core_of(net, a, b)
    for t, w in enumerate(res.iterates):
        assert_feasible(net, a, b, w)
        assert core.objective(w) == res.history[t]
    assert res.objective == res.history.min() <= res.history[0]
    assert (res.sensing_margin_db >= -1e-5).all() and (res.power_slack_w >= -1e-6).all()


def test_objective_is_the_upload_latency(drop):
    """(39) = sum over offloading k of Z_k / R_{l(k)k}, with the rates of evaluate()."""
    net, a, b, _ = drop
    res = pi.optimize_beamforming(net, a, b, max_iter=3)
    rate = pi.evaluate(net, res.w, a, b).rate
    serving = serving_bs(a, b)
    k = np.flatnonzero(serving >= 0)
    assert res.objective == pytest.approx(np.sum(net.task_bits[k] / rate[serving[k], k]), rel=1e-12)


def test_workers_bit_identical(drop):
    net, a, b, _ = drop
    one = pi.optimize_beamforming(net, a, b, max_iter=8, workers=1)
    two = pi.optimize_beamforming(net, a, b, max_iter=8, workers=2)
    three = pi.optimize_beamforming(net, a, b, max_iter=8, workers=3)
    for other in (two, three):
        assert np.array_equal(one.w, other.w)
        assert np.array_equal(one.history, other.history)


def test_feasibility_phase_repairs_a_violating_start():
    """A start that violates (18e) (random beams) is repaired before Algorithm 2."""
    net = pi.draw_network(pi.Scenario(), seed=3)
    a, b = round_robin(net)
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((9, 8)) + 1j * rng.standard_normal((9, 8))
    w0 *= np.sqrt(0.5 * net.max_power_w)[:, None] / np.linalg.norm(w0, axis=1, keepdims=True)
    assert not pi.evaluate(net, w0, a, b).feasible
    res = pi.optimize_beamforming(net, a, b, w0=w0, max_iter=3, return_iterates=True)
    assert res.feasibility_iterations > 0 and res.status != "infeasible"
    for w in res.iterates:
        assert_feasible(net, a, b, w)


def feasibility_problem(net, pbar, w):
    """The feasibility phase's joint problem (docs/algorithms.md), transcribed densely: variables
    [y_1 .. y_K, t / T], y_k = [Re w_k; Im w_k] / sqrt(P-bar_k); ||y_k||^2 <= 1 and the linearised
    normalised sensing margins >= t.  -> P, q, A, b, c (dense), x0 (strictly feasible), block size."""
    sc = net.scenario
    K, N = net.n_terminals, net.terminal_antennas
    nb, unit = 2 * N, sc.sensing_sinr * sc.noise_power_w
    n = K * nb + 1
    A, b, c = np.zeros((2 * K, n, n)), np.zeros((2 * K, n)), np.zeros(2 * K)
    x0 = np.zeros(n)
    for k in range(K):
        blk = slice(k * nb, (k + 1) * nb)
        A[k, blk, blk] = np.eye(nb)
        c[k] = 1.0
        x0[blk] = np.concatenate([w[k].real, w[k].imag]) / np.sqrt(pbar[k])
        for j in range(K):
            if j != k:
                G = net.HI[k, j].conj().T @ net.HI[k, j]
                A[K + k, j * nb:(j + 1) * nb, j * nb:(j + 1) * nb] = sc.sensing_sinr * pbar[j] / unit * real_form(G)
        beta = net.steering[k].conj() @ w[k]
        v = -2.0 * net.echo_gain[k] * np.sqrt(pbar[k]) / unit * net.steering[k] * beta
        b[K + k, blk] = np.concatenate([v.real, v.imag])
        c[K + k] = -(sc.sensing_sinr * sc.noise_power_w + net.echo_gain[k] * abs(beta) ** 2) / unit
    T = max(np.abs(c[K:]).max(), np.abs(b[K:]).max(), np.abs(A[K:]).max())
    b[K:, -1] = T
    g = np.einsum("i,mij,j->m", x0, A, x0) + b @ x0 - c
    x0[-1] = -(g[K:].max() + 1.0) / T
    q = np.zeros(n)
    q[-1] = 1.0
    return np.zeros((n, n)), q, A, b, c, x0, nb


def test_feasibility_problem_structured_path_matches_dense_path():
    """The feasibility phase's joint problem (the repair case below, first SCA step) solved by the
    block-structured path (what Algorithm 2 uses) and by the dense path: the same optimum."""
    net = pi.draw_network(pi.Scenario(), seed=3)
    a, b = round_robin(net)
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((9, 8)) + 1j * rng.standard_normal((9, 8))
    w0 *= np.sqrt(0.5 * net.max_power_w)[:, None] / np.linalg.norm(w0, axis=1, keepdims=True)
    P, q, A, bb, c, x0, nb = feasibility_problem(net, power_budget(net, serving_bs(a, b)), w0)
    dense = solve_qcqp(P, q, A, bb, c, x0=x0)
    block = solve_qcqp(P, q, A, bb, c, x0=x0, block_size=nb)
    assert dense.status == block.status == "optimal"
    assert block.objective == pytest.approx(dense.objective, rel=QCQP_OBJECTIVE_RTOL)
    assert block.phase1_iterations == 0  # x0 strictly feasible, as Algorithm 2's start


def test_feasibility_phase_repairs_a_large_drop():
    """K = 40, L = 5 (seed 1): the MRS start violates (18e); the feasibility phase (joint problem
    with 641 variables, block-structured path) repairs it."""
    net = pi.draw_network(pi.Scenario(n_bs=5, n_terminals=40), seed=1)
    off = pi.optimize_offloading(net, max_sensing_beams(net))
    assert not pi.evaluate(net, max_sensing_beams(net), off.a, off.b).feasible
    res = pi.optimize_beamforming(net, off.a, off.b, max_iter=0)
    assert res.feasibility_iterations > 0 and res.status != "infeasible"
    assert_feasible(net, off.a, off.b, res.w)


def test_infeasible_threshold_reports_failing_terminals():
    net = pi.draw_network(pi.Scenario(sensing_sinr_db=45.0), seed=0)
    a, b = round_robin(net)
    res = pi.optimize_beamforming(net, a, b)
    assert res.status == "infeasible" and not res.feasible
    assert res.failing == tuple(int(k) for k in np.flatnonzero(res.sensing_margin_db < 0))
    assert len(res.failing) > 0


def test_all_local_is_trivially_optimal():
    net = pi.draw_network(pi.Scenario(), seed=1)
    z = np.zeros((net.n_bs, net.n_terminals))
    res = pi.optimize_beamforming(net, z, z)
    assert res.status == "converged" and res.iterations == 0 and res.objective == 0.0
    assert_feasible(net, z, z, res.w)


@pytest.mark.parametrize("changes", [dict(n_terminals=1), dict(n_bs=1), dict(n_bs=1, n_terminals=2)])
def test_small_networks(changes):
    net = pi.draw_network(pi.Scenario(**changes), seed=5)
    L, K = net.n_bs, net.n_terminals
    b, a = round_robin(net)  # every task to the cloud: no MEC capacity to respect
    res = pi.optimize_beamforming(net, a, b, max_iter=10, return_iterates=True)
    assert res.status in ("converged", "max_iter")
    for w in res.iterates:
        assert_feasible(net, a, b, w)
    assert res.objective <= res.history[0]
    assert res.w.shape == (K, net.terminal_antennas) and L >= 1


def test_network_without_positions_groups_by_channel_gain():
    base = pi.draw_network(pi.Scenario(), seed=2)
    net = pi.Network.from_arrays(base.scenario, base.H, base.HI, base.target_angle,
                                 base.target_distance, base.rcs)
    serving = -np.ones(net.n_terminals, dtype=np.int64)
    want = np.argmax(np.linalg.norm(net.H, axis=(2, 3)), axis=0)
    np.testing.assert_array_equal(updating_bs(net, serving), want)
    a, b = round_robin(net)
    one = pi.optimize_beamforming(net, a, b, max_iter=3)
    assert one.status != "infeasible"


def test_result_is_read_only(drop):
    net, a, b, _ = drop
    res = pi.optimize_beamforming(net, a, b, max_iter=1)
    with pytest.raises(ValueError):
        res.w[0, 0] = 0.0


@pytest.mark.parametrize("kwargs, match", [
    (dict(a=np.zeros((2, 9))), "a"),
    (dict(a=np.full((3, 9), 0.5)), "binary"),
    (dict(w0=np.ones((9, 8)) * 10.0), "w0"),
    (dict(w0=np.ones((9, 7))), "w0"),
    (dict(max_iter=-1), "max_iter"),
    (dict(workers=0), "workers"),
    (dict(tol=-1.0), "tol"),
    (dict(network="net"), "network"),
])
def test_bad_input(drop, kwargs, match):
    net, a, b, _ = drop
    args = dict(network=net, a=a, b=b)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        pi.optimize_beamforming(args.pop("network"), args.pop("a"), args.pop("b"), **args)
