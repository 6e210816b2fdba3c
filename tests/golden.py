"""The golden-answer record: byte-exact outputs of the solvers on a fixed set of inputs.

``compute()`` runs the public API on fixed inputs and returns a flat ``{name: ndarray}`` record:
the QCQP (dense path on Algorithm 2's sub-problems and random instances, block path on random
block-diagonal instances: x, z, statuses, iteration counts), Algorithm 1, Algorithm 2 and the full
``solve`` of every scheme on a set of drops (beams, decisions, statuses, iteration counts,
histories).  ``tests/data/golden_<build>.npz`` holds the record of each kernel build;
``tests/test_golden.py`` recomputes it and compares bit for bit.

The QCQP inputs are stored in ``tests/data/golden_qcqp_inputs.npz`` (written once, by
``--inputs``) so the record does not depend on how the library builds its sub-problems.

Regenerate (only when an answer is meant to change, and say why in the commit), with NumPy's
arithmetic pinned as ``tests/test_golden.py``'s ``pinned_numerics()`` pins it (OpenBLAS's
Haswell kernels, NumPy's SIMD loops up to AVX2; drop from the second variable the features
your NumPy does not dispatch)::

    export OPENBLAS_CORETYPE=Haswell NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"
    PYISCC_KERNELS=generic python tests/golden.py --out tests/data/golden_generic.npz
    PYISCC_KERNELS=x86-64-v3 python tests/golden.py --out tests/data/golden_x86_64_v3.npz
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import pyiscc as pi
from pyiscc.qcqp import solve_qcqp

DATA = Path(__file__).parent / "data"
INPUTS = DATA / "golden_qcqp_inputs.npz"

SOLVE_SEEDS = (0, 1, 2, 3)
# Drops whose max-sensing start violates (18e), so Algorithm 2's feasibility phase runs.
HARD_SCENARIO = dict(sensing_sinr_db=12.0)
HARD_SEEDS = (0, 1, 2)
# A K = 40, L = 5 drop (the paper's Fig. 8 size): the block path in the feasibility phase.
LARGE_SCENARIO = dict(n_terminals=40, n_bs=5)
LARGE_SEEDS = (0, 3)
# The record is of the paper's algorithm (the option that must stay reproducible bit for bit).
PAPER = {"caps": "paper"}


def _make_inputs() -> dict[str, np.ndarray]:
    """Algorithm 2's sub-problems (seeds 0-2, after 0 and 3 iterations) and random instances."""
    sys.path.insert(0, str(Path(__file__).parent))
    from test_qcqp import dense, random_block_instance, random_instance, to_blocks

    out: dict[str, np.ndarray] = {}
    count = 0
    from pyiscc.beamforming import _core_problem, power_budget, serving_bs

    for seed in (0, 1, 2):
        net = pi.draw_network(pi.Scenario(), seed=seed)
        off = pi.optimal_offloading(net, pi.max_sensing_beams(net), cloud=True)
        serving = serving_bs(off.a, off.b)
        pbar = power_budget(net, serving)
        core = _core_problem(net, serving, pbar)
        for iters in (0, 3):
            w = (pi.optimize_beamforming(net, off.a, off.b, max_iter=iters).w if iters
                 else pi.max_sensing_beams(net))
            for k in range(net.n_terminals):
                sub = core.subproblem(w, k)
                x0 = np.concatenate([w[k].real, w[k].imag]) / np.sqrt(pbar[k])
                for key in ("P", "q", "A", "b", "c"):
                    out[f"dense{count}_{key}"] = np.ascontiguousarray(sub[key], dtype=np.float64)
                out[f"dense{count}_x0"] = x0
                count += 1
    kinds = ("feasible", "infeasible", "inactive")
    for i, kind in enumerate(kinds):
        for seed in range(3):
            P, q, A, b, c = dense(*random_instance(900 + 10 * i + seed, 16, 11, kind))
            for key, val in zip("P q A b c".split(), (P, q, A, b, c)):
                out[f"dense{count}_{key}"] = np.ascontiguousarray(val, dtype=np.float64)
            count += 1
    out["dense_count"] = np.array(count)
    bcount = 0
    for i, kind in enumerate(kinds):
        for seed in range(2):
            K, nb, m = 6, 4, 9
            P, q, A, b, c = dense(*random_block_instance(950 + 10 * i + seed, K, nb, m, kind, 2 * seed))
            if seed == 0:  # the block forms
                n = P.shape[0]
                if n == K * nb:
                    P, A = to_blocks(P, nb), to_blocks(A, nb)
            for key, val in zip("P q A b c".split(), (P, q, A, b, c)):
                out[f"block{bcount}_{key}"] = np.ascontiguousarray(val, dtype=np.float64)
            out[f"block{bcount}_nb"] = np.array(nb)
            bcount += 1
    out["block_count"] = np.array(bcount)
    return out


def _qcqp_record(inputs, rec: dict[str, np.ndarray]) -> None:
    statuses = []
    for i in range(int(inputs["dense_count"])):
        args = [inputs[f"dense{i}_{k}"] for k in ("P", "q", "A", "b", "c")]
        x0 = inputs[f"dense{i}_x0"] if f"dense{i}_x0" in inputs else None
        res = solve_qcqp(*args, x0=x0)
        rec[f"qcqp_dense{i}_x"] = res.x
        rec[f"qcqp_dense{i}_z"] = res.z
        rec[f"qcqp_dense{i}_iters"] = np.array([res.iterations, res.phase1_iterations])
        statuses.append(res.status)
    for i in range(int(inputs["block_count"])):
        args = [inputs[f"block{i}_{k}"] for k in ("P", "q", "A", "b", "c")]
        res = solve_qcqp(*args, block_size=int(inputs[f"block{i}_nb"]))
        rec[f"qcqp_block{i}_x"] = res.x
        rec[f"qcqp_block{i}_z"] = res.z
        rec[f"qcqp_block{i}_iters"] = np.array([res.iterations, res.phase1_iterations])
        statuses.append(res.status)
    rec["qcqp_statuses"] = np.array(statuses)


def _solution_record(tag: str, sol, rec: dict[str, np.ndarray]) -> None:
    rec[f"{tag}_w"] = sol.w
    rec[f"{tag}_a"] = np.asarray(sol.a, dtype=np.int64)
    rec[f"{tag}_b"] = np.asarray(sol.b, dtype=np.int64)
    rec[f"{tag}_status"] = np.array(sol.status)
    rec[f"{tag}_outer"] = np.array(sol.outer_iterations)
    rec[f"{tag}_total"] = np.array(sol.total_latency)
    for key, val in sol.history.items():
        if key == "caps_kept":  # working-set sizes: a diagnostic, not part of the answers
            continue
        if key == "total_latency":
            rec[f"{tag}_hist_total"] = np.asarray(val, dtype=np.float64)
        else:  # per outer iteration: the blocks' own iteration counts / statuses
            rec[f"{tag}_hist_{key}"] = np.array([repr(v) for v in val])


def compute() -> dict[str, np.ndarray]:
    rec: dict[str, np.ndarray] = {}
    with np.load(INPUTS) as f:
        inputs = dict(f)
    _qcqp_record(inputs, rec)
    drops = [("table3", pi.Scenario(), s) for s in SOLVE_SEEDS]
    drops += [("hard", pi.Scenario().replace(**HARD_SCENARIO), s) for s in HARD_SEEDS]
    for tag, sc, seed in drops:
        net = pi.draw_network(sc, seed=seed)
        w = pi.max_sensing_beams(net)
        off = pi.optimize_offloading(net, w)
        rec[f"alg1_{tag}{seed}_a"] = np.asarray(off.a, dtype=np.int64)
        rec[f"alg1_{tag}{seed}_b"] = np.asarray(off.b, dtype=np.int64)
        rec[f"alg1_{tag}{seed}_iters"] = np.array([off.iterations, off.recovery_iterations])
        rec[f"alg1_{tag}{seed}_relaxed"] = np.stack([off.relaxed_a, off.relaxed_b])
        rec[f"alg1_{tag}{seed}_objective"] = np.array([off.objective, off.relaxed_objective])
        bf = pi.optimize_beamforming(net, off.a, off.b, workers=2)
        rec[f"alg2_{tag}{seed}_w"] = bf.w
        rec[f"alg2_{tag}{seed}_iters"] = np.array([bf.iterations, bf.feasibility_iterations,
                                                    bf.subproblem_failures])
        rec[f"alg2_{tag}{seed}_history"] = np.asarray(bf.history, dtype=np.float64)
        rec[f"alg2_{tag}{seed}_status"] = np.array(bf.status)
        for scheme in pi.SCHEMES:
            _solution_record(f"solve_{tag}{seed}_{scheme}",
                             pi.solve(net, scheme, beamforming=PAPER), rec)
    for seed in LARGE_SEEDS:
        net = pi.draw_network(pi.Scenario().replace(**LARGE_SCENARIO), seed=seed)
        sol = pi.solve(net, "dcet-iscc", workers=2, beamforming=PAPER)
        _solution_record(f"solve_large{seed}_dcet-iscc", sol, rec)
    return rec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the record of the build in use here")
    parser.add_argument("--inputs", action="store_true", help="(re)write the QCQP inputs file")
    args = parser.parse_args()
    if args.inputs:
        np.savez_compressed(INPUTS, **_make_inputs())
    if args.out:
        from pyiscc import _core

        rec = compute()
        rec["kernels"] = np.array(_core.KERNELS)
        np.savez_compressed(args.out, **rec)


if __name__ == "__main__":
    main()
