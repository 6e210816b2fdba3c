"""Algorithm 2's two steps under the slack rule, side by side (docs/algorithms.md, "The scaled
step"): the FP/WMMSE surrogate's own step with extrapolation and the scaled step.

    python bench/scaled_step.py                    # 40 Table III drops
    python bench/scaled_step.py --drops 200 --reference-iter 0
    python bench/scaled_step.py --size 40,5 --drops 10 --parts solve   # K = 40, L = 5 (Fig. 8)

1. Algorithm 2 alone, for Algorithm 1's decisions at MRS beams (Table III seeds 0, 1, ...):
   (39) at the stopping rule (tol 1e-4, max_iter 50) for each step, its gap to a long run of
   the scaled step (``--reference-iter`` iterations, tol 0; 0 skips it), iterations, redone
   (rejected) steps and time per call (best of 3).
2. The whole ``solve(net, "dcet-iscc")`` with each step, each with its own iteration cap per BCD
   round (``pyiscc.solve.STEP_MAX_ITER``: 50 surrogate steps, 6 scaled steps, solve's default):
   total latency, which is lower per drop, and time per solve (best of 3).

``--size K,L`` draws its drops from ``Scenario.at_density(K, L)`` (Table III's density of
terminals, the BSs on a grid of cells) instead of Table III itself.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import pyiscc as pi


def best_time(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def quantiles(x) -> str:
    q = np.quantile(np.asarray(x), [0.1, 0.5, 0.9])
    return f"median {q[1]:.3g} (10-90 %: {q[0]:.3g} - {q[2]:.3g})"


def algorithm2(nets: list[pi.Network], reference_iter: int) -> None:
    rows = {step: [] for step in pi.beamforming.STEPS}
    gaps = {step: [] for step in pi.beamforming.STEPS}
    for net in nets:
        off = pi.optimize_offloading(net, pi.max_sensing_beams(net))
        ref = None
        if reference_iter:
            ref = pi.optimize_beamforming(net, off.a, off.b, caps="slack", step="scaled",
                                          max_iter=reference_iter, tol=0.0).objective
        for step in rows:
            t, bf = best_time(lambda: pi.optimize_beamforming(net, off.a, off.b, caps="slack",
                                                              step=step))
            rows[step].append((bf.objective, bf.iterations, bf.rejected_steps, t))
            if ref is not None:
                gaps[step].append((bf.objective - ref) / ref)
    base = np.array(rows["surrogate"])[:, 0]
    print(f"Algorithm 2 alone, {len(nets)} Table III drops (Algorithm 1's decisions at MRS beams):")
    for step, r in rows.items():
        r = np.array(r)
        lower = int((r[:, 0] < base * (1 - 1e-9)).sum())
        line = (f"  {step:9s}: iterations {quantiles(r[:, 1])}, redone steps {int(r[:, 2].sum())}, "
                f"time {quantiles(1e3 * r[:, 3])} ms")
        if step != "surrogate":
            change = (r[:, 0] - base) / base
            line += (f"; (39) below the surrogate step's on {lower} of {len(r)}, change "
                     f"{quantiles(100 * change)} %")
        print(line)
        if gaps[step]:
            print(f"    gap to {reference_iter} scaled iterations: {quantiles(100 * np.array(gaps[step]))} %, "
                  f"max {100 * max(gaps[step]):.3g} %")


def whole_solve(nets: list[pi.Network]) -> None:
    lat = {step: [] for step in pi.beamforming.STEPS}
    times = {step: [] for step in pi.beamforming.STEPS}
    for net in nets:
        for step in lat:
            t, sol = best_time(lambda: pi.solve(net, beamforming={"step": step}))
            lat[step].append(sol.total_latency if sol.feasible else np.inf)
            times[step].append(t)
    a, b = np.array(lat["surrogate"]), np.array(lat["scaled"])
    ok = np.isfinite(a) & np.isfinite(b)
    d = (b[ok] - a[ok]) / a[ok]
    caps = pi.solve.__globals__["STEP_MAX_ITER"]
    print(f"solve(net, 'dcet-iscc'), {len(nets)} drops, Algorithm-2 iterations per round {caps}:")
    for step in times:
        print(f"  {step:9s}: time {quantiles(1e3 * np.array(times[step]))} ms, "
              f"mean {1e3 * np.mean(times[step]):.3g} ms")
    print(f"  scaled against surrogate, total latency: lower on {(d < -1e-9).sum()}, higher on "
          f"{(d > 1e-9).sum()} of {ok.sum()}; change {quantiles(100 * d)} %, worst "
          f"{100 * d.max():+.3g} %, mean {1e3 * np.mean(b[ok] - a[ok]) / nets[0].n_terminals:+.4f} "
          f"ms per terminal")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drops", type=int, default=40)
    parser.add_argument("--reference-iter", type=int, default=500)
    parser.add_argument("--parts", default="algorithm2,solve")
    parser.add_argument("--size", help="K,L: drops of Scenario.at_density(K, L) (default: "
                                        "Table III)")
    args = parser.parse_args()
    if args.size:
        K, L = (int(x) for x in args.size.split(","))
        scenario = pi.Scenario.at_density(K, L)
    else:
        scenario = pi.Scenario()
    nets = [pi.draw_network(scenario, seed=s) for s in range(args.drops)]
    for net in nets[:3]:  # warm-up: imports, first-call caches
        pi.solve(net)
    parts = args.parts.split(",")
    if "algorithm2" in parts:
        algorithm2(nets, args.reference_iter)
    if "solve" in parts:
        whole_solve(nets)


if __name__ == "__main__":
    main()
