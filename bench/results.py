"""Run the benchmarks and render docs/benchmarks.md from their output.

    python bench/results.py --out docs/benchmarks.md            # default mode (~4 min on 2 idle cores)
    python bench/results.py --out docs/benchmarks.md --quick    # a smoke run (~2 min on 2 idle cores)
    python bench/results.py --out docs/benchmarks.md --k1000    # also the K = 1000 scale run
    python bench/results.py --raw raw.json ...; python bench/results.py --from-raw raw.json
                                                                # render again without running

What runs, each in its own process so one's memory and threads do not bear on another:

- ``pytest bench/test_bench_*.py --benchmark-json=...`` (pytest-benchmark; each benchmark also
  asserts that pyiscc and its reference give the same answer);
- ``bench/peer_compare.py --json``: full DCET-ISCC solves against the CVXPY + Clarabel peer,
  drop by drop;
- ``bench/scale.py --json``: one full solve per network size (peak memory per size);
- ``bench/threads.py``'s ``thread_scaling`` at K = 300: the per-BS thread pool;
- the acceptance checks of bench/acceptance_offloading.py, acceptance_beamforming.py and
  acceptance_solve.py on fewer drops than their defaults.

The page holds only this run's numbers and one timestamp; why the numbers are what they are is in
docs/design-notes.md, what changed when in CHANGELOG.md.  ``OPENBLAS_NUM_THREADS=1`` is set for
every child: NumPy's idle BLAS threads otherwise spin on the cores the solver uses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

#: Per mode: the pytest -k filter of the benchmark suite, peer drops, scale sizes, acceptance drops.
MODES: dict[str, dict[str, Any]] = {
    "default": {"k": "not full", "max_time": "0.25", "min_rounds": "3", "peer_drops": 6,
                "sizes": ["9,3,16", "40,5,16", "100,10,32", "300,20,64"],
                "threads_size": "300,20,64", "acc_offloading": 100, "acc_beamforming": 50,
                "acc_solve": 50, "reproduce_trials": 20},
    "quick": {"k": "not K1000 and not full", "max_time": "0.1", "min_rounds": "3",
              "peer_drops": 3,
              "sizes": ["9,3,16", "40,5,16", "100,10,32"], "threads_size": "100,10,32",
              "acc_offloading": 20, "acc_beamforming": 10, "acc_solve": 10,
              "reproduce_trials": 4},
}


# ------------------------------------------------------------------ running
def _env() -> dict[str, str]:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(BENCH)) if p)
    return env


def _run(cmd: list[str], log: list[str], timeout: float = 3600.0) -> str:
    """Run one child; its command line goes into the page's list of commands."""
    shown = " ".join(c if " " not in c else repr(c) for c in cmd).replace(sys.executable, "python")
    log.append(shown)
    t0 = time.perf_counter()
    print(f"[results] {shown}", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True,
                          timeout=timeout)
    print(f"[results]   {time.perf_counter() - t0:.0f} s, exit {proc.returncode}", file=sys.stderr,
          flush=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{shown} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                           f"{proc.stderr[-3000:]}")
    return proc.stdout


def _python_json(code: str, log: list[str], label: str) -> Any:
    """Run a snippet in a child Python and read the JSON it prints last."""
    out = _run([sys.executable, "-c", code], log)
    log[-1] = label  # the command that prints the same numbers as a table
    return json.loads(out.strip().splitlines()[-1])


def run_all(mode: dict[str, Any], k1000: bool, tmp: Path,
            reproduce_trials: int | None = None) -> dict[str, Any]:
    log: list[str] = []
    res: dict[str, Any] = {"commands": log}
    bench_json = tmp / "bench.json"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    cmd += sorted(str(p.relative_to(ROOT)) for p in BENCH.glob("test_bench_*.py"))
    cmd += [f"--benchmark-json={bench_json}", f"--benchmark-max-time={mode['max_time']}",
            f"--benchmark-min-rounds={mode['min_rounds']}"]
    if mode["k"]:
        cmd += ["-k", mode["k"]]
    _run(cmd, log)
    log[-1] = log[-1].replace(str(bench_json), "BENCH.json")
    res["bench"] = json.loads(bench_json.read_text())["benchmarks"]

    peer_json = tmp / "peer.json"
    _run([sys.executable, "bench/peer_compare.py", "--drops", str(mode["peer_drops"]),
          "--json", str(peer_json)], log)
    log[-1] = log[-1].replace(str(peer_json), "PEER.json")
    res["peer"] = json.loads(peer_json.read_text())

    scale_json = tmp / "scale.jsonl"
    sizes = mode["sizes"] + (["1000,50,64"] if k1000 else [])
    _run([sys.executable, "bench/scale.py", "--sizes", *sizes, "--workers", "1", "2",
          "--json", str(scale_json)], log)
    log[-1] = log[-1].replace(str(scale_json), "SCALE.jsonl")
    res["scale"] = [json.loads(line) for line in scale_json.read_text().splitlines() if line]

    K, L, M = (int(v) for v in mode["threads_size"].split(","))
    res["threads_size"] = (K, L, M)
    res["threads"] = _python_json(
        "import json, threads, pyiscc as pi\n"
        f"net = pi.draw_network(threads.density_scenario({K}, {L}, {M}, 8), seed=0)\n"
        "print(json.dumps(threads.thread_scaling(net, [1, 2], 3)))",
        log, f"python bench/threads.py --size {K},{L},{M} --workers 1 2 --iterations 3")

    n_off, n_bf = mode["acc_offloading"], mode["acc_beamforming"]
    res["acc_offloading"] = _python_json(
        "import json, acceptance_offloading as a\n"
        f"print(json.dumps({{name: a.run_setting(ch, {n_off}) for name, ch in a.SETTINGS.items()}}))",
        log, f"python bench/acceptance_offloading.py --drops {n_off}")
    res["acc_beamforming"] = _python_json(
        "import json, acceptance_beamforming as a\n"
        f"print(json.dumps({{db: a.run(db, {n_bf}, 50, 1e-4) for db in a.THRESHOLDS_DB}}))",
        log, f"python bench/acceptance_beamforming.py --drops {n_bf}")
    res["acc_solve"] = _run([sys.executable, "bench/acceptance_solve.py", "--drops",
                             str(mode["acc_solve"])], log)
    res["reproduce"] = reproduce_times(reproduce_trials or mode["reproduce_trials"], tmp, log)
    return res


def reproduce_times(trials: int, tmp: Path, log: list[str]) -> dict[str, Any]:
    """One ``pyiscc reproduce --trials T --workers 2`` of every figure: its wall time, and per
    figure the scheme runs, their infeasible count and their summed runner time (from
    ``results.sqlite``)."""
    import sqlite3

    out = tmp / "reproduce"
    t0 = time.perf_counter()
    _run([sys.executable, "-m", "pyiscc.experiments", "reproduce", "--out", str(out),
          "--trials", str(trials), "--workers", "2", "--quiet"], log)
    wall = time.perf_counter() - t0
    log[-1] = log[-1].replace(str(out), "DIR")
    with sqlite3.connect(out / "results.sqlite") as db:
        rows = db.execute(
            "SELECT experiment, count(DISTINCT trial), count(*), sum(status = 'infeasible'), "
            "sum(wall_time_s) FROM trials GROUP BY experiment ORDER BY experiment").fetchall()
    figures = [{"name": name, "trials": int(tp), "runs": int(runs), "infeasible": int(inf or 0),
                "runner_s": float(t)} for name, tp, runs, inf, t in rows]
    return {"trials": trials, "wall_s": wall, "figures": figures}


# ------------------------------------------------------------------ machine
def machine() -> dict[str, str]:
    import numpy
    import scipy

    import pyiscc
    from pyiscc import _core

    from multicore import machine as host  # bench/: the CPU model as the multi-core run reads it

    cpu = host()["cpu"] or "unknown"
    versions = [f"Python {platform.python_version()}", f"NumPy {numpy.__version__}",
                f"SciPy {scipy.__version__}"]
    for name in ("cvxpy", "clarabel", "osqp", "pytest_benchmark"):
        try:
            mod = __import__(name)
            versions.append(f"{name.replace('_', '-')} {getattr(mod, '__version__', '?')}")
        except ImportError:
            pass
    try:
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg()) + f" ({os.cpu_count()} cores)"
    except OSError:
        load = "n/a"
    return {"CPU": cpu, "cores (os.cpu_count)": str(os.cpu_count()),
            "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
            "pyiscc": f"{pyiscc.__version__}, kernels `{_core.KERNELS}`",
            "versions": ", ".join(versions), "load average at the start (1, 5, 15 min)": load,
            "environment": "`OPENBLAS_NUM_THREADS=1` for every benchmark process"}


# ------------------------------------------------------------------ rendering
def _t(seconds: float) -> str:
    """A duration with a unit that keeps 3-4 significant digits."""
    if seconds >= 1:
        return f"{seconds:.3g} s" if seconds < 100 else f"{seconds:.0f} s"
    if seconds >= 1e-3:
        return f"{1e3 * seconds:.3g} ms"
    return f"{1e6 * seconds:.3g} us"


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out + [""]


def _ours(name: str) -> bool:
    return any(tag in name for tag in ("pyiscc", "admm-exact", "_cpp"))


#: Benchmarks that set ``benchmark.group`` only after the timed call are recorded without a
#: group; they are grouped by their test name without the implementation's suffix.
_SUFFIXES = ("_cpp", "_cvxpy_clarabel", "_pyiscc", "_peer")
_GROUP_LABELS = {"test_qcqp_subproblem": "qcqp sub-problem (56), 9 per round",
                 "test_algorithm2_run": "algorithm 2, 20 iterations, workers = 1 / 2",
                 "test_algorithm2_default": "algorithm 2, default settings (50 iterations)"}


def _group(b: dict) -> str:
    if b["group"]:
        return b["group"]
    base = b["name"].split("[")[0]
    for s in _SUFFIXES:
        base = base.removesuffix(s)
    return _GROUP_LABELS.get(base, base)


def _groups(bench: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for b in bench:
        groups.setdefault(_group(b), []).append(b)
    return groups


def _impl(b: dict) -> str:
    name = b["name"]
    if "[" in name:
        return name[name.index("[") + 1:-1]
    return name.removeprefix("test_")


def _reference_label(b: dict) -> str:
    """The implementation a benchmark times, in words."""
    label = _impl(b)
    if label.isdigit():
        return f"pyiscc, workers = {label}"
    if label == "admm-exact":
        return "pyiscc (exact local step)"
    if _ours(label) or _ours(b["name"]) or label == "algorithm2_default":
        return "pyiscc"
    if label.startswith("numpy-reference"):
        return "NumPy transcription"
    if label.endswith("peer"):
        return "CVXPY peer"
    return {"qcqp_subproblem_cvxpy_clarabel": "CVXPY + Clarabel (compiled once)",
            "admm-osqp": "ADMM, OSQP local step", "milp": "MILP (HiGHS)"}.get(label, label)


def ratio_rows(bench: list[dict], cvxpy: bool) -> list[list[Any]]:
    """One row per (group, reference): pyiscc's median, the reference's, the ratio."""
    rows = []
    for group, items in _groups(bench).items():
        for ours in (b for b in items if _ours(_impl(b)) or _ours(b["name"])):
            for ref in items:
                if ref is ours or _ours(_impl(ref)) or _ours(ref["name"]):
                    continue
                is_cvxpy = "peer" in ref["name"] or "cvxpy" in ref["name"]
                if is_cvxpy != cvxpy:
                    continue
                m_ours, m_ref = ours["stats"]["median"], ref["stats"]["median"]
                rows.append([group, _reference_label(ref), _t(m_ours), _t(m_ref),
                             f"**{m_ref / m_ours:.0f}x**" if m_ref / m_ours >= 10
                             else f"**{m_ref / m_ours:.2f}x**"])
    return rows


def bench_section(bench: list[dict], files: tuple[str, ...]) -> list[str]:
    """Every benchmark of the given files, grouped: min, median, IQR, rounds."""
    rows = []
    for group, items in _groups(bench).items():
        for b in items:
            if not any(b["fullname"].startswith(f"bench/{f}") for f in files):
                continue
            s = b["stats"]
            rows.append([group, _reference_label(b), _t(s["min"]), _t(s["median"]), _t(s["iqr"]), s["rounds"]])
    if not rows:
        return ["(not run in this mode)", ""]
    return _table(["group", "implementation", "min", "median", "IQR", "rounds"], rows)


def _verbatim_tables(text: str) -> list[str]:
    """A script's printed Markdown: its tables as they are, its other lines as a list."""
    out: list[str] = []
    in_table = False
    for line in text.splitlines():
        is_row = line.startswith("|")
        if is_row != in_table:
            out.append("")
            in_table = is_row
        out.append(line if is_row else f"- {line}")
    return out + [""]


def render(res: dict[str, Any], info: dict[str, str], command: str, started: str,
           elapsed: float) -> str:
    bench = res["bench"]
    peer = res["peer"]["summary"]
    L: list[str] = [
        "# Benchmark results", "",
        "<!-- Generated by bench/results.py; edit that script, not this page. -->", "",
        f"Generated by `{command}` on {started} UTC (the whole run: {elapsed / 60:.1f} min).",
        "Every number below is from that run.  Why the code performs as it does: "
        "[design notes](design-notes.md); what changed when: `CHANGELOG.md`.", "",
        "Each benchmark asserts that pyiscc and its reference give the same answer, to the "
        "tolerance stated in the benchmark file.  Ratios are taken in the same process, so the "
        "speed swings of a shared machine move both sides alike; absolute times are only "
        "indicative.", "",
        "## Machine", ""]
    # the environment row last, after both load averages
    L += _table(["", ""], sorted(([k, v] for k, v in info.items()),
                                 key=lambda kv: kv[0] == "environment"))
    L += ["## Summary: pyiscc against the CVXPY reference implementations", "",
          "Medians (pytest-benchmark); the ratio is the reference's median over pyiscc's.  The "
          "peer (bench/peers) implements the same algorithms with CVXPY + Clarabel for every "
          "convex sub-problem.", ""]
    rows = ratio_rows(bench, cvxpy=True)
    rows.append([f"full DCET-ISCC solve, {peer['drops']} Table III drops one by one "
                 "(bench/peer_compare.py)", "CVXPY peer", _t(peer["median_pyiscc_s"]),
                 _t(peer["median_peer_s"]),
                 f"**{peer['median_ratio']:.0f}x** ({peer['min_ratio']:.0f}-"
                 f"{peer['max_ratio']:.0f}x)"])
    L += _table(["benchmark", "reference", "pyiscc", "reference", "speed-up"], rows)
    L += [f"Answers of the drop-by-drop comparison: final total latency within 0.1 % of the peer's "
          f"(or better) on {peer['within_0.1%']}/{peer['drops']} drops; worst relative "
          f"difference (pyiscc - peer) / peer {peer['worst_rel_diff']:+.2e}.", "",
          "Against the other references (NumPy transcription of the model, OSQP local step, "
          "HiGHS MILP):", ""]
    L += _table(["benchmark", "reference", "pyiscc", "reference", "speed-up"],
                ratio_rows(bench, cvxpy=False))

    L += ["## Model: `evaluate`", ""] + bench_section(bench, ("test_bench_model.py",))
    L += ["## Algorithm 1 (offloading, ADMM)", ""]
    L += bench_section(bench, ("test_bench_offloading.py",))
    n_off = next(iter(res["acc_offloading"].values()))["drops"]
    L += [f"Acceptance against the MILP optimum: {n_off} drops per setting, max-sensing beams, "
          "seeds 0, 1, ...  \"= MILP\" counts drops whose objective is within 1e-9 relative of "
          "the MILP's; gaps are relative to the MILP objective.", ""]
    rows = []
    for name, r in res["acc_offloading"].items():
        status = ", ".join(f"{k} {v}" for k, v in r["status"].items())
        rows.append([name, r["drops"], f"{r['optimal']} ({100 * r['optimal'] / r['drops']:.1f} %)",
                     f"{100 * r['mean_gap']:.4f} %", f"{100 * r['max_gap']:.4f} %",
                     f"{r['iterations'][0]:.0f} / {r['iterations'][1]}",
                     f"{r['recovery_iterations']:.1f}", status, f"{r['feasible']}/{r['drops']}",
                     f"{r['admm_ms']:.2f}", f"{r['milp_ms']:.2f}"])
    L += _table(["setting", "drops", "= MILP", "mean gap", "max gap", "ADMM iterations (mean / max)",
                 "recovery iterations", "status", "(18a)-(18d) met", "ADMM ms/drop",
                 "MILP ms/drop"], rows)

    L += ["## Algorithm 2 (beamforming) and the QCQP solver", ""]
    L += bench_section(bench, ("test_bench_qcqp.py",))
    n_bf = None
    rows = []
    for db, r in res["acc_beamforming"].items():
        rows.append([f"{float(db):g} dB", f"{r['feasible']:.3f}", f"{r['lemma2']:.3f}",
                     f"{r['end<=start']:.3f}", f"{r['monotone']:.3f}", r["feas_phase"],
                     f"{r['iters']:.1f}", f"{100 * r['improvement']:.3f} %", f"{r['ms/drop']:.1f}",
                     f"{r['ms/iter']:.3f}"])
    n_bf = next(c for c in res["commands"] if "acceptance_beamforming" in c).split()[-1]
    L += [f"Acceptance: {n_bf} drops per sensing threshold Gamma_r, MILP decisions at max-sensing "
          "beams, `max_iter=50, tol=1e-4`.  Lemma 2: every iterate meets (18d)-(18e); "
          "\"feas. phase\": drops that needed the feasibility phase first.", ""]
    L += _table(["Gamma_r", "feasible", "Lemma 2", "end <= start", "monotone", "feas. phase",
                 "iterations", "improvement", "ms/drop", "ms/iteration"], rows)

    L += ["## Full solve per scheme", ""]
    L += bench_section(bench, ("test_bench_solve.py",))
    L += ["Every scheme on the same drops (bench/acceptance_solve.py; means over each scheme's "
          "feasible drops):", ""]
    L += _verbatim_tables(res["acc_solve"])

    L += ["## Drop by drop against the CVXPY peer", ""]
    rows = [[r["seed"], f"{r['pyiscc_total_latency']:.9f}", f"{r['peer_total_latency']:.9f}",
             f"{r['rel_diff']:+.2e}", r["same_decisions"],
             f"{'y' if r['pyiscc_feasible'] else 'n'}/{'y' if r['peer_feasible'] else 'n'}",
             f"{r['pyiscc_rounds']}/{r['peer_rounds']}", r["alg2_failures"], _t(r["pyiscc_s"]),
             _t(r["peer_s"]), f"{r['ratio']:.0f}x", f"{r['cpu_ratio']:.0f}x"]
            for r in res["peer"]["rows"]]
    L += ["pyiscc's time is the median of 5 runs per drop; the peer runs once, after an untimed "
          "warm-up that compiles its CVXPY problems.  \"A2 fail\": Algorithm-2 sub-problems "
          "pyiscc's QCQP solver did not end `optimal` (the beam is kept there).", ""]
    L += _table(["seed", "pyiscc total latency [s]", "peer [s]", "rel. diff", "same a, b",
                 "feasible", "BCD rounds", "A2 fail", "pyiscc", "peer", "speed-up",
                 "CPU-time speed-up"], rows)
    L += bench_section(bench, ("test_bench_peer.py",))

    L += ["## Sweep throughput", ""] + bench_section(bench, ("test_bench_sweep.py",))

    import scale

    L += ["## Scale", "", "![solve time and peak memory vs K](scale.png)", "",
          "Full `pi.solve(net, \"dcet-iscc\", workers=W)`, seed 0, N = 8, each size in its own "
          "process (peak = its `ru_maxrss`), Table III's density of terminals (bench/scale.py, "
          "`density` geometry).  Caps kept: the interference caps the working sets carried in "
          "the interior-point solves of sub-problem (56), mean / largest, of the K - 1 each has.",
          ""]
    rows = [[r["K"], r["L"], r["M"], r["workers"], f"{r['draw_s']:.2f}", f"{r['solve_s']:.2f}",
             f"{r['peak_rss_mb']:,.0f}", r["status"], r["feasible"], r["outer"],
             r["bf_iterations"], scale.caps_column(r.get("caps_kept", []), r["K"])]
            for r in res["scale"]]
    L += _table(["K", "L", "M", "workers", "draw [s]", "solve [s]", "peak [MB]", "status",
                 "feasible", "BCD rounds", "Alg. 2 iterations", "caps kept"], rows)
    import numpy as np

    for workers in sorted({r["workers"] for r in res["scale"]}):
        sel = [r for r in res["scale"] if r["workers"] == workers]
        if len({r["K"] for r in sel}) < 2:
            continue
        K = np.array([r["K"] for r in sel], float)
        t = np.array([r["solve_s"] for r in sel])
        slope = np.polyfit(np.log(K), np.log(t), 1)[0]
        L += [f"Fitted growth exponent of the solve time in K, {workers} worker(s) (log-log "
              f"least squares over K = {int(K.min())}-{int(K.max())}): **{slope:.2f}**.", ""]

    K, Lb, M = res["threads_size"]
    th = res["threads"]
    L += ["## The per-BS thread pool", "",
          f"One drop at K = {K}, L = {Lb}, M = {M} (bench/threads.py): Algorithm 1, the fixed part of "
          "an Algorithm-2 call (`max_iter=0`) and 3 Algorithm-2 iterations from the feasible "
          f"start, per worker count.  Feasibility phase (once, not threaded): "
          f"{th[0]['feasibility_s']:.2f} s (start status `{th[0]['start_status']}`).", ""]
    rows = [[r["workers"], f"{r['algorithm1_s']:.3f}", f"{r['algorithm2_fixed_s']:.3f}",
             f"{r['algorithm2_s_per_iteration']:.3f}", f"**{r['speedup']:.2f}x**",
             r["same_answer"]] for r in th]
    L += _table(["workers", "Algorithm 1 [s]", "Algorithm 2 fixed part [s]",
                 "Algorithm 2 [s / iteration]", "speed-up per iteration",
                 "bit-identical to 1 worker"], rows)

    rep = res.get("reproduce")
    if rep:
        scale = 500 / rep["trials"]
        runner = sum(f["runner_s"] for f in rep["figures"])
        L += ["## Reproducing the paper", "",
              f"`pyiscc reproduce --trials {rep['trials']} --workers 2` (every figure, one run): "
              f"**{rep['wall_s']:.0f} s** wall.  The paper's curves run the paper's Algorithm 2 "
              "(`caps=\"paper\"`); the extra curves are listed in docs/experiments.md.  Runner "
              "time is the sum over the figure's scheme runs of their wall time (the work the two "
              "workers share).  The last column projects it to the paper's 500 trials as runner "
              f"time x {scale:g} / 2 workers (a projection, not a measurement; it leaves out the "
              "start of the workers, the plots and the report).", ""]
        rows = [[f["name"], f["trials"], f["runs"], f["infeasible"], f"{f['runner_s']:.1f}",
                 f"{f['runner_s'] * scale / 2 / 60:.1f}"] for f in rep["figures"]]
        rows.append(["all", "", sum(f["runs"] for f in rep["figures"]),
                     sum(f["infeasible"] for f in rep["figures"]), f"{runner:.1f}",
                     f"**{runner * scale / 2 / 60:.1f}**"])
        L += _table(["experiment", "trials per point", "scheme runs", "infeasible",
                     "runner time [s]", "projected at 500 trials [min]"], rows)

    L += ["## Commands of this run", "",
          "Run from the repository root, in this order, each in its own process:", "", "```sh"]
    L += res["commands"] + ["```", ""]
    return "\n".join(L)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"),
                        help="Markdown page to write (default docs/benchmarks.md)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer drops, smaller sizes, no K = 1000 benchmarks")
    parser.add_argument("--k1000", action="store_true",
                        help="add the K = 1000, L = 50 full solve to the scale runs (~6 min, 4.3 GB)")
    parser.add_argument("--reproduce-trials", type=int, default=None, metavar="T",
                        help="trials per point of the timed `pyiscc reproduce` (default 20; "
                        "--quick: 4; 500 is the paper's full run, ~35 min)")
    parser.add_argument("--raw", help="also write everything measured to this JSON file")
    parser.add_argument("--from-raw", metavar="RAW", help="render from a --raw file of an earlier "
                        "run instead of running the benchmarks")
    parser.add_argument("--plot", default=None,
                        help="scale plot to write (default: scale.png next to --out)")
    args = parser.parse_args(argv)
    mode = MODES["quick" if args.quick else "default"]
    command = "python bench/results.py" + (" --quick" if args.quick else "") + (
        " --k1000" if args.k1000 else "") + (
        f" --reproduce-trials {args.reproduce_trials}" if args.reproduce_trials else "")
    if args.from_raw:
        raw = json.loads(Path(args.from_raw).read_text())
        res, info, command, started, elapsed = (raw[k] for k in (
            "results", "machine", "command", "started", "elapsed_s"))
    else:
        started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
        info = machine()
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            res = run_all(mode, args.k1000, Path(tmp), args.reproduce_trials)
        elapsed = time.perf_counter() - t0
        try:
            info["load average at the end (1, 5, 15 min)"] = ", ".join(
                f"{v:.1f}" for v in os.getloadavg())
        except OSError:
            pass
        if args.raw:
            Path(args.raw).write_text(json.dumps({
                "results": res, "machine": info, "command": command, "started": started,
                "elapsed_s": elapsed}))
    out = Path(args.out)
    sys.path.insert(0, str(BENCH))
    import scale

    scale.plot(res["scale"], str(Path(args.plot) if args.plot else out.parent / "scale.png"))
    out.write_text(render(res, info, command, started, elapsed))
    print(f"[results] wrote {out} ({elapsed / 60:.1f} min)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
