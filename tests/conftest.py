"""Shared test configuration: Hypothesis profiles, fixtures (tolerances: tolerances.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))  # reference_model.py, tolerances.py
# exp_helpers.py, exp_runners.py: tests/experiments is a package (so that its test modules may
# share basenames with the top-level ones, e.g. test_cli.py), which puts tests/ on sys.path
# instead of it; spawned pool and Dask workers inherit this sys.path.
sys.path.insert(0, str(Path(__file__).parent / "experiments"))

settings.register_profile("ci", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=25)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(20261128)
