"""Acceptance of the slack cap rule (docs/algorithms.md, "The slack rule"):

    python bench/acceptance_dominance.py --drops 200

1. For mec_capacity_hz = 4.5e9, 6e9, 9e9: on every drop where DCET-MRT (resp. DCET-MRS) meets
   (18e), is DCET-ISCC (default options) at most that baseline's total latency (relative 1e-9)?
   Also against DCET-ISCC with the paper's rule (``beamforming={"caps": "paper"}``).
2. Algorithm 2 alone (Algorithm 1's decisions at MRS beams, tol 1e-4, max_iter 50) at Table III:
   iterations (median, mean) and statuses under each rule.
3. Table III: median solve time of DCET-ISCC under each rule, and the share of drops where the
   default's total latency is at most the paper rule's (relative 1e-9).

``--step surrogate|scaled`` gives Algorithm 2's step to every slack-rule run (docs/algorithms.md,
"The scaled step"); without it ``solve`` runs its default (six scaled steps per BCD round) and
part 2 ``optimize_beamforming``'s own (the surrogate step, 50 iterations).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import pyiscc as pi

RTOL = 1e-9
#: Options of the slack-rule runs (``--step``).
SLACK: dict = {}


def drops(sc: pi.Scenario, n: int, seed: int):
    for seq in np.random.SeedSequence(seed).spawn(n):
        yield pi.draw_network(sc, rng=np.random.default_rng(seq))


def dominance(n: int, seed: int) -> None:
    for cap in (4.5e9, 6e9, 9e9):
        sc = pi.Scenario().replace(mec_capacity_hz=cap)
        worse = {"dcet-mrt": [], "dcet-mrs": [], "paper": []}
        count = dict.fromkeys(worse, 0)
        feas = {"default": 0, "paper": 0}
        for net in drops(sc, n, seed):
            new = pi.solve(net, "dcet-iscc", beamforming=SLACK or None)
            paper = pi.solve(net, "dcet-iscc", beamforming={"caps": "paper"})
            feas["default"] += new.feasible
            feas["paper"] += paper.feasible
            others = {"dcet-mrt": pi.solve(net, "dcet-mrt"), "dcet-mrs": pi.solve(net, "dcet-mrs"),
                      "paper": paper}
            for name, base in others.items():
                if not base.feasible:
                    continue
                count[name] += 1
                rel = (new.total_latency - base.total_latency) / base.total_latency \
                    if new.feasible else np.inf
                if rel > RTOL:
                    worse[name].append(rel)
        print(f"mec_capacity_hz={cap:.3g}: {n} drops; feasible: default {feas['default']}, "
              f"paper rule {feas['paper']}")
        for name in worse:
            w = worse[name]
            print(f"  dcet-iscc worse than {name:8s} on {len(w):3d} of {count[name]:3d} drops where "
                  f"{name} is feasible" + (f" (worst {100 * max(w):+.4f}%)" if w else ""))


def iterations(n: int, seed: int) -> None:
    its = {"paper": [], "slack": []}
    status = {"paper": {}, "slack": {}}
    for net in drops(pi.Scenario(), n, seed):
        off = pi.optimize_offloading(net, pi.max_sensing_beams(net))
        for rule in its:
            bf = pi.optimize_beamforming(net, off.a, off.b, caps=rule,
                                         **(SLACK if rule == "slack" else {}))
            if bf.feasible:
                its[rule].append(bf.iterations)
            status[rule][bf.status] = status[rule].get(bf.status, 0) + 1
    for rule, x in its.items():
        print(f"Algorithm 2, caps={rule!r}: iterations median {np.median(x):.0f}, mean "
              f"{np.mean(x):.1f}, max {max(x)}; statuses {status[rule]}")


def timing(n: int, seed: int) -> None:
    t = {"slack": [], "paper": []}
    lat = {"slack": [], "paper": []}
    for net in drops(pi.Scenario(), n, seed):
        for rule in t:
            t0 = time.perf_counter()
            sol = pi.solve(net, "dcet-iscc",
                           beamforming={"caps": rule, **(SLACK if rule == "slack" else {})})
            t[rule].append(time.perf_counter() - t0)
            lat[rule].append(sol.total_latency if sol.feasible else np.inf)
    new, old = np.array(lat["slack"]), np.array(lat["paper"])
    both = np.isfinite(old)
    ok = (new[both] - old[both]) <= RTOL * old[both]
    print(f"Table III, {n} drops: dcet-iscc median solve {1e3 * np.median(t['slack']):.2f} ms "
          f"(slack, default), {1e3 * np.median(t['paper']):.2f} ms (paper rule)")
    print(f"  default total latency <= paper rule's on {ok.sum()} of {both.sum()} drops "
          f"({100 * ok.mean():.1f}%); mean change {1e3 * np.mean(new[both] - old[both]) / 9:+.4f} ms "
          f"per terminal; worst {100 * np.max((new[both] - old[both]) / old[both]):+.4f}%")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drops", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parts", default="dominance,iterations,timing")
    parser.add_argument("--step", default=None, choices=pi.beamforming.STEPS,
                        help="Algorithm 2's step under the slack rule (default: solve's)")
    args = parser.parse_args()
    if args.step is not None:
        SLACK["step"] = args.step
    parts = args.parts.split(",")
    if "iterations" in parts:
        iterations(args.drops, args.seed)
    if "timing" in parts:
        timing(args.drops, args.seed)
    if "dominance" in parts:
        dominance(args.drops, args.seed)


if __name__ == "__main__":
    main()
