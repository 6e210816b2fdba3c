"""Warm start on a time-varying channel: per-slot solve time and latency, warm vs cold.

The channels follow a first-order Gauss-Markov model: the small-scale fading of every uplink
and echo-interference channel evolves as g(t+1) = rho g(t) + sqrt(1 - rho^2) n(t), n ~ CN(0, 1),
while each terminal moves `--speed` metres per slot in a direction that turns slowly (a random
walk of 20 deg std per slot) and its target's direction drifts by a random walk of `--angle-drift`
deg per slot; path loss follows the moving positions (rho_0 / d^2, as `draw_network`).  Slot 0 is
solved cold by both; from slot 1 on, "warm" passes the previous slot's Solution as
`solve(..., warm_start=...)` and "cold" solves from scratch.

    python bench/warm_start.py                           # Table III, rho = 0.99 and 0.9
    python bench/warm_start.py --terminals 40 --bs 5 --slots 10
    python bench/warm_start.py --warm-max-iter 5         # warm solves: Algorithm 2 capped at 5
    python bench/warm_start.py --step surrogate          # Algorithm 2's surrogate step, warm and cold
    python bench/warm_start.py --json out.jsonl          # one JSON line per (rho, seed)

Prints, per rho and seed: median and mean per-slot time of warm and cold (slots 1...; each
solve timed as the least of --repeat runs), their ratio, the mean latency over the slots of
each, its relative difference, and how often the warm start was used / fell back; with several
seeds, a row "all" over every slot of every seed.
Warm solves run with solve()'s warm defaults (pyiscc.solve.WARM_BEAMFORMING under the slack
rule) unless --warm-max-iter or --step says otherwise.  The pytest-benchmark version is
bench/test_bench_warm_start.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator

import numpy as np

import pyiscc as pi
from pyiscc.network import MIN_DISTANCE_M


def channel_sequence(scenario: pi.Scenario, rho: float, slots: int, seed: int, *,
                     speed_m: float = 3.0, angle_drift_deg: float = 0.5) -> Iterator[pi.Network]:
    """``slots`` networks of one drop whose fading evolves by the Gauss-Markov model above.

    Parameters
    ----------
    scenario : Scenario
    rho : float
        Correlation of the small-scale fading between consecutive slots, in [0, 1].
    slots : int
        Number of networks.
    seed : int
        Seed of everything random (the first slot is ``draw_network``'s geometry law).
    speed_m : float
        Distance every terminal moves per slot [m].
    angle_drift_deg : float
        Standard deviation of the per-slot change of each target's direction [deg].
    """
    rng = np.random.default_rng(seed)
    first = pi.draw_network(scenario, rng=rng)
    sc = scenario
    L, K, N, M = sc.n_bs, sc.n_terminals, sc.terminal_antennas, sc.bs_antennas
    bs = first.bs_positions
    pos = np.array(first.terminal_positions)
    angle = np.array(first.target_angle)
    heading = rng.uniform(0.0, 2.0 * np.pi, size=K)

    def cn(shape: tuple[int, ...]) -> np.ndarray:
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)

    def gains(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d_bs = np.maximum(np.linalg.norm(bs[:, None] - pos[None], axis=-1), MIN_DISTANCE_M)
        d_tt = np.maximum(np.linalg.norm(pos[:, None] - pos[None], axis=-1), MIN_DISTANCE_M)
        return (np.sqrt(sc.path_loss / d_bs ** 2)[:, :, None, None],
                np.sqrt(sc.path_loss / d_tt ** 2)[:, :, None, None])

    # the small-scale fading of the first slot, recovered from its channels
    g_h0, g_i0 = gains(pos)
    g_h = first.H / g_h0
    g_i = np.divide(first.HI, g_i0)
    innovation = np.sqrt(1.0 - rho ** 2)
    yield first
    for _ in range(1, slots):
        heading += rng.normal(0.0, np.deg2rad(20.0), size=K)
        pos = pos + speed_m * np.stack([np.cos(heading), np.sin(heading)], axis=1)
        angle = np.clip(angle + np.deg2rad(rng.normal(0.0, angle_drift_deg, size=K)),
                        np.deg2rad(sc.target_angle_deg[0]), np.deg2rad(sc.target_angle_deg[1]))
        g_h = rho * g_h + innovation * cn((L, K, N, M))
        g_i = rho * g_i + innovation * cn((K, K, N, N))
        a_h, a_i = gains(pos)
        yield pi.Network.from_arrays(sc, a_h * g_h, a_i * g_i, angle, first.target_distance,
                                     first.rcs, bs_positions=bs, terminal_positions=pos)


def run_sequence(networks: list[pi.Network], scheme: str = "dcet-iscc",
                 warm_kw: dict | None = None, repeat: int = 1, **solve_kw) -> dict[str, dict]:
    """Solve every slot cold and warm; slot 0 is solved once (cold) and seeds the warm chain.
    ``warm_kw`` are extra ``solve`` keywords of the warm solves only (e.g. a smaller
    Algorithm-2 budget, ``{"beamforming": {"max_iter": 5}}``).  Each solve's time is the
    least of ``repeat`` runs (a solve is deterministic: every run returns the same answer), so
    a busy machine's noise does not land on one side only.

    Returns
    -------
    dict
        ``{"cold": ..., "warm": ...}``, each with ``time_s`` and ``mean_latency_s`` per slot
        from slot 1 on, ``feasible`` per slot, and (warm) ``warm_start`` per slot.
    """
    out: dict[str, dict] = {m: {"time_s": [], "mean_latency_s": [], "feasible": [],
                                "warm_start": []} for m in ("cold", "warm")}
    previous = pi.solve(networks[0], scheme, **solve_kw)
    for net in networks[1:]:
        for mode in ("cold", "warm"):
            kw = (dict(solve_kw, **(warm_kw or {}), warm_start=previous) if mode == "warm"
                  else solve_kw)
            elapsed = np.inf
            for _ in range(repeat):
                t0 = time.perf_counter()
                sol = pi.solve(net, scheme, **kw)
                elapsed = min(elapsed, time.perf_counter() - t0)
            rec = out[mode]
            rec["time_s"].append(elapsed)
            rec["mean_latency_s"].append(sol.mean_latency)
            rec["feasible"].append(sol.feasible)
            rec["warm_start"].append(sol.history.get("warm_start", "cold"))
            if mode == "warm":
                previous = sol
    return out


def summary(result: dict[str, dict]) -> dict[str, float]:
    """Per-slot time ratio (cold / warm, medians and means) and latency difference."""
    cold, warm = result["cold"], result["warm"]
    lat_c, lat_w = np.mean(cold["mean_latency_s"]), np.mean(warm["mean_latency_s"])
    return {
        "cold_median_s": float(np.median(cold["time_s"])),
        "warm_median_s": float(np.median(warm["time_s"])),
        "speedup_median": float(np.median(cold["time_s"]) / np.median(warm["time_s"])),
        "speedup_mean": float(np.mean(cold["time_s"]) / np.mean(warm["time_s"])),
        "cold_mean_latency_ms": float(1e3 * lat_c),
        "warm_mean_latency_ms": float(1e3 * lat_w),
        "latency_rel_diff": float((lat_w - lat_c) / lat_c),
        "warm_used": int(sum(s == "used" for s in warm["warm_start"])),
        "warm_fell_back": int(sum(s == "fell_back" for s in warm["warm_start"])),
        "cold_feasible": int(sum(cold["feasible"])),
        "warm_feasible": int(sum(warm["feasible"])),
        "slots": len(cold["time_s"]),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--terminals", type=int, default=9)
    p.add_argument("--bs", type=int, default=3)
    p.add_argument("--rho", type=float, nargs="+", default=[0.99, 0.9])
    p.add_argument("--slots", type=int, default=21, help="slots per sequence, the first cold")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--speed", type=float, default=3.0, help="terminal speed [m per slot]")
    p.add_argument("--angle-drift", type=float, default=0.5, help="target direction [deg/slot]")
    p.add_argument("--scheme", default="dcet-iscc")
    p.add_argument("--warm-max-iter", type=int,
                   help="Algorithm 2's max_iter in the warm solves only "
                        "(default: solve's, pyiscc.solve.WARM_BEAMFORMING)")
    p.add_argument("--step", default=None, choices=pi.beamforming.STEPS,
                   help="Algorithm 2's step (slack rule), in warm and cold solves alike "
                        "(default: solve's)")
    p.add_argument("--repeat", type=int, default=3,
                   help="time each solve as the least of this many runs (default 3)")
    p.add_argument("--json", help="append one JSON line per (rho, seed) to this file")
    args = p.parse_args(argv)
    sc = pi.Scenario(n_terminals=args.terminals, n_bs=args.bs)
    print(f"{args.scheme}, K = {sc.n_terminals}, L = {sc.n_bs}, {args.slots} slots "
          f"(slot 0 cold for both), speed {args.speed} m/slot, kernels {pi._core.KERNELS}, "
          f"warm Algorithm-2 max_iter {args.warm_max_iter or 'default'}, "
          f"step {args.step or 'default'}, each time the least of {args.repeat} runs")
    head = (f"{'rho':>5} {'seed':>4} {'cold ms':>9} {'warm ms':>9} {'x (median)':>10} "
            f"{'x (mean)':>9} {'cold lat ms':>12} {'warm lat ms':>12} {'rel diff':>10} "
            f"{'used/fell':>9}")
    print(head)
    def row(rho: float, label: str, s: dict[str, float]) -> None:
        print(f"{rho:>5g} {label:>4} {1e3 * s['cold_median_s']:>9.1f} "
              f"{1e3 * s['warm_median_s']:>9.1f} {s['speedup_median']:>10.2f} "
              f"{s['speedup_mean']:>9.2f} {s['cold_mean_latency_ms']:>12.4f} "
              f"{s['warm_mean_latency_ms']:>12.4f} {s['latency_rel_diff']:>10.2e} "
              f"{s['warm_used']:>4}/{s['warm_fell_back']:<4}")

    for rho in args.rho:
        pooled: dict[str, dict] = {m: {} for m in ("cold", "warm")}
        for seed in args.seeds:
            nets = list(channel_sequence(sc, rho, args.slots, seed, speed_m=args.speed,
                                         angle_drift_deg=args.angle_drift))
            step = {} if args.step is None else {"step": args.step}
            warm_kw = (None if args.warm_max_iter is None
                       else {"beamforming": {"max_iter": args.warm_max_iter, **step}})
            res = run_sequence(nets, args.scheme, warm_kw, args.repeat,
                               **({"beamforming": step} if step else {}))
            s = summary(res)
            row(rho, str(seed), s)
            for mode in pooled:
                for key, values in res[mode].items():
                    pooled[mode].setdefault(key, []).extend(values)
            if args.json:
                with open(args.json, "a") as f:
                    f.write(json.dumps({"rho": rho, "seed": seed, "K": sc.n_terminals,
                                        "L": sc.n_bs, "scheme": args.scheme, **s,
                                        "per_slot": res}) + "\n")
        if len(args.seeds) > 1:
            row(rho, "all", summary(pooled))
    return 0


if __name__ == "__main__":
    sys.exit(main())
