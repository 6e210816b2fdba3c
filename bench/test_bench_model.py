"""evaluate() against the NumPy transcription of DESIGN.md section 1 (same group, same answer).

Run:  python -m pytest bench/test_bench_model.py --benchmark-columns=median,iqr,rounds
"""

from __future__ import annotations

import numpy as np
import pytest
import reference_model as ref

import pyiscc as pi

SIZES = {"default": dict(), "L10-K100-M64-N8": dict(n_bs=10, n_terminals=100, bs_antennas=64)}


def case(name):
    net = pi.draw_network(pi.Scenario(**SIZES[name]), seed=1)
    L, K = net.n_bs, net.n_terminals
    w = pi.max_sensing_beams(net)
    a = np.zeros((L, K))
    a[np.arange(K) % L, np.arange(K)] = 1  # a valid assignment (capacity not checked here)
    return net, w, a, np.zeros((L, K))


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("impl", ["pyiscc", "numpy-reference"])
def test_evaluate(benchmark, size, impl):
    benchmark.group = f"evaluate {size}"
    net, w, a, b = case(size)
    if impl == "pyiscc":
        out = benchmark(pi.evaluate, net, w, a, b)
        got = (out.rate, out.echo_sinr, out.latency, out.power, out.energy)
    else:
        sc = net.scenario
        got = benchmark(ref.evaluate, sc, net.H, net.HI, net.target_angle, net.target_distance,
                        net.rcs, w, a, b)
    ev = pi.evaluate(net, w, a, b)
    for x, y in zip(got, (ev.rate, ev.echo_sinr, ev.latency, ev.power, ev.energy)):
        np.testing.assert_allclose(x, y, rtol=1e-10)
