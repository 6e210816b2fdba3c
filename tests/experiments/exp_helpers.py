"""Shared fixtures and tolerances of the experiment-engine tests.

Not a conftest.py on purpose: the core tests do ``from tolerances import ...``, which a second
conftest module would shadow.  The test modules import from here; tests/conftest.py puts this
directory on ``sys.path``, and spawned pool workers and Dask LocalCluster workers inherit that
``sys.path``, so they import ``exp_runners`` too.
"""

from __future__ import annotations

import pytest

#: Marcum Q via scipy's ncx2 against adaptive quadrature of the Rice density.
DETECTION_RTOL = 1e-8


@pytest.fixture
def tiny():
    """K=3, L=2, M=4, N=2: a drop and both reference runners take well under a millisecond."""
    import pyiscc as pi

    return pi.Scenario(n_terminals=3, n_bs=2, bs_antennas=4, terminal_antennas=2)
