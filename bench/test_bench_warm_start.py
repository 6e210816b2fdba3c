"""Warm vs cold solves on a Gauss-Markov channel sequence (bench/warm_start.py has the model and
the longer run).

Run:  pytest bench/test_bench_warm_start.py --benchmark-columns=median,iqr,rounds
Each benchmark solves slots 1.. of one sequence (slot 0, solved cold outside the timing, seeds
the warm chain), so its time is per sequence; the cold run of the same sequence is the reference in its group.
Both cap rules of Algorithm 2 are measured, the warm solves with their own defaults (under the
slack rule ``WARM_BEAMFORMING``: the previous beams, the scaled step, two iterations per round);
at rho = 0.99 the warm chain's mean latency is asserted no worse than the cold solves' (relative
``WARM_START_LATENCY_RTOL``).
"""

from __future__ import annotations

import numpy as np
import pytest

import pyiscc as pi
from tolerances import WARM_START_LATENCY_RTOL
from warm_start import channel_sequence

SLOTS = 6


@pytest.fixture(scope="module", params=[0.99, 0.9], ids=lambda r: f"rho={r}")
def sequence(request):
    rho = request.param
    nets = list(channel_sequence(pi.Scenario(), rho, SLOTS, seed=0))
    return rho, nets


def run_cold(nets, caps):
    return [pi.solve(net, "dcet-iscc", beamforming={"caps": caps}) for net in nets[1:]]


def run_warm(nets, caps, first):
    """Slots 1.. warm, the chain seeded by ``first`` (slot 0 solved cold, outside the timing)."""
    bf = {"caps": caps}
    out, previous = [], first
    for net in nets[1:]:
        previous = pi.solve(net, "dcet-iscc", warm_start=previous, beamforming=bf)
        out.append(previous)
    return out


def mean_latency(sols):
    return float(np.mean([s.mean_latency for s in sols]))


@pytest.mark.parametrize("caps", ["paper", "slack"])
@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_warm_start_sequence(benchmark, sequence, mode, caps):
    rho, nets = sequence
    benchmark.group = f"warm start, Table III, rho={rho}, caps={caps}, {SLOTS - 1} slots"
    if mode == "cold":
        sols = benchmark.pedantic(run_cold, args=(nets, caps), rounds=3, iterations=1)
    else:
        first = pi.solve(nets[0], "dcet-iscc", beamforming={"caps": caps})
        sols = benchmark.pedantic(run_warm, args=(nets, caps, first), rounds=3, iterations=1)
        assert [s.history["warm_start"] for s in sols] == ["used"] * (SLOTS - 1)
    cold = run_cold(nets, caps) if mode != "cold" else sols
    benchmark.extra_info["mean_latency_ms"] = 1e3 * mean_latency(sols)
    benchmark.extra_info["latency_rel_diff_vs_cold"] = mean_latency(sols) / mean_latency(cold) - 1
    benchmark.extra_info["outer_iterations"] = [s.outer_iterations for s in sols]
    benchmark.extra_info["alg2_iterations"] = [sum(len(h) - 1 for h in s.history["beamforming"])
                                               for s in sols]
    assert [s.feasible for s in sols] == [c.feasible for c in cold]
    if mode == "warm" and rho == 0.99:
        # the warm chain keeps every slot's progress
        assert mean_latency(sols) <= mean_latency(cold) * (1 + WARM_START_LATENCY_RTOL)
