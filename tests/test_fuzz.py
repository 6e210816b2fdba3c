"""Fuzz: the enforcing schemes on drops over wide parameter ranges (tests/fuzz_cases.py) never
raise, never return NaN, and never call a drop ``infeasible`` where an independently constructed
point meets every constraint."""

from __future__ import annotations

import numpy as np
import pytest

import pyiscc as pi
from fuzz_cases import ENFORCING, constructed_point, fuzz_network, has_constructed_point

SEEDS = range(300)


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ENFORCING)
def test_no_false_infeasible_no_nan(scheme):
    checked = 0
    for seed in SEEDS:
        net = fuzz_network(seed)
        sol = pi.solve(net, scheme)
        assert sol.status in ("converged", "max_iter", "infeasible", "no_feasible_point_found")
        assert np.isfinite(sol.w).all(), seed
        constructed = has_constructed_point(net, scheme)
        if constructed:
            checked += 1
            assert sol.status != "infeasible", (scheme, seed)
            if scheme != "et-iscc":  # the constructed point is one of the solver's own starts
                assert sol.feasible, (scheme, seed, sol.status)
        if sol.feasible:
            assert np.isfinite(sol.total_latency), seed
            assert sol.status in ("converged", "max_iter"), seed
        else:
            assert sol.status in ("infeasible", "no_feasible_point_found"), (seed, sol.status)
    assert checked >= len(SEEDS) // 4


@pytest.mark.slow
def test_infeasible_has_a_proof():
    """Every ``infeasible`` verdict is backed by the relaxation: the constructed point of the
    cloud schemes then fails too, and at least one case of each kind occurs."""
    kinds = set()
    for seed in SEEDS:
        net = fuzz_network(seed)
        sol = pi.solve(net, "dcet-iscc")
        w, a, b = constructed_point(net, cloud=True)
        if sol.status == "infeasible":
            kinds.add("infeasible")
            assert not pi.evaluate(net, w, a, b).feasible, seed
        elif sol.feasible:
            kinds.add("feasible")
    assert kinds == {"infeasible", "feasible"}

