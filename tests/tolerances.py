"""Every tolerance of the test suite, in one place."""

from pathlib import Path

#: C++ kernel vs the NumPy transcription (DESIGN.md section 5).
KERNEL_RTOL = 1e-10
#: Invariance properties that go through a different floating-point path.
PROPERTY_RTOL = 1e-9

DATA = Path(__file__).parent / "data"

#: Algorithm 1: local-step QP, exact vs OSQP vs CVXPY (acceptance check).
LOCAL_STEP_ATOL = 1e-6
#: Algorithm 1: KKT residuals of the closed-form global step.
GLOBAL_KKT_ATOL = 1e-12
#: Algorithm 1: ADMM relaxed optimum vs the LP relaxation (linprog / HiGHS), relative.
RELAXATION_RTOL = 1e-4
#: Exact objective equality of two binary decisions (same decision, different summation order).
OBJECTIVE_RTOL = 1e-12

#: QCQP solver vs CVXPY + Clarabel (acceptance check): objective, relative.
QCQP_OBJECTIVE_RTOL = 1e-6
#: Largest constraint violation g_i(x) a returned "optimal" point may have (O(1) instances).
QCQP_MAX_VIOLATION = 1e-8
#: Stationarity residual of an "optimal" point, relative to max(1, ||q||_inf).
QCQP_DUAL_RTOL = 1e-7
#: Lemma 2: every Algorithm-2 iterate meets (18d) and (18e) to this relative tolerance.
BEAMFORMING_FEASIBILITY_RTOL = 1e-6
#: The generic and x86-64-v3 builds of the kernels (pyiscc/_core.py) round differently (fused
#: multiply-add): full solves agree to this, relative, in the total latency and the beams
#: (measured on 12 Table III drops without working sets: <= 5.1e-15 and <= 5.9e-13).
KERNEL_BUILDS_RTOL = 1e-9
#: The beams of the two builds agree to this, relative.  A beam is a sub-problem (56)'s solution,
#: known to the interior-point solver's tolerance (QCQP_MAX_VIOLATION); where the two roundings
#: make it take a different number of steps, or a working set gets a cap in a different
#: re-solve, the iterates move apart in jumps (Table III seed 2 with working sets: 7e-11 after
#: 12 iterations, 1.0e-9 after 17, 6.7e-9 after 18, 1.1e-9 at the end, while the totals agree to
#: 8e-13).
KERNEL_BUILDS_BEAMS_RTOL = 1e-7
#: Warm-started solves on a slowly varying channel (bench/test_bench_warm_start.py): the mean
#: latency over the slots may exceed the cold solves' by at most this, relative.
WARM_START_LATENCY_RTOL = 1e-4
