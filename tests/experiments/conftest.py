"""Shared fixtures of the experiment-engine tests: a tiny scenario and the test-only runners."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# exp_runners.py must be importable by worker processes too: spawned pool workers and Dask
# LocalCluster workers start with this process's sys.path.
HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


@pytest.fixture
def tiny():
    """K=3, L=2, M=4, N=2: a drop and both reference runners take well under a millisecond."""
    import pyiscc as pi

    return pi.Scenario(n_terminals=3, n_bs=2, bs_antennas=4, terminal_antennas=2)
