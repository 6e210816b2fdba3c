"""Shared test configuration: every tolerance lives here; Hypothesis profiles."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))  # tests/reference_model.py

#: C++ kernel vs the NumPy transcription (DESIGN.md section 5).
KERNEL_RTOL = 1e-10
#: Invariance properties that go through a different floating-point path.
PROPERTY_RTOL = 1e-9

DATA = Path(__file__).parent / "data"

settings.register_profile("ci", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=25)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(20261128)

#: Algorithm 1: local-step QP, exact vs OSQP vs CVXPY (issue 3 acceptance).
LOCAL_STEP_ATOL = 1e-6
#: Algorithm 1: KKT residuals of the closed-form global step.
GLOBAL_KKT_ATOL = 1e-12
#: Algorithm 1: ADMM relaxed optimum vs the LP relaxation (linprog / HiGHS), relative.
RELAXATION_RTOL = 1e-4
#: Exact objective equality of two binary decisions (same decision, different summation order).
OBJECTIVE_RTOL = 1e-12

#: QCQP solver vs CVXPY + Clarabel (issue 4 acceptance): objective, relative.
QCQP_OBJECTIVE_RTOL = 1e-6
#: Largest constraint violation g_i(x) a returned "optimal" point may have (O(1) instances).
QCQP_MAX_VIOLATION = 1e-8
#: Stationarity residual of an "optimal" point, relative to max(1, ||q||_inf).
QCQP_DUAL_RTOL = 1e-7
#: Lemma 2: every Algorithm-2 iterate meets (18d) and (18e) to this relative tolerance.
BEAMFORMING_FEASIBILITY_RTOL = 1e-6
