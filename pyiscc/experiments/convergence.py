"""Fig. 2: convergence of Algorithm 1 (a) and Algorithm 2 (b) for several BS antenna counts M.

One trial draws a drop, runs Algorithm 1 on the max-sensing start and Algorithm 2 on the
resulting decisions, and stores both iteration histories; the figure shows their means over the
feasible trials (a trial that stopped early keeps its last value), one line per M.
"""

from __future__ import annotations

import time
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..beamforming import optimize_beamforming
from ..beams import max_sensing_beams
from ..network import Network
from ..offloading import optimize_offloading
from .plots import LINESTYLES, MARKERS
from .runners import register_scheme
from .specs import FigureSpec

__all__ = ["run_convergence", "run_convergence_slack", "plot_convergence"]


def run_convergence(network: Network, **options: Any) -> dict[str, Any]:
    """``convergence``: the two histories of one drop (Algorithm 1's relaxed objective (20) per
    ADMM iteration [s], Algorithm 2's objective (39) per iteration [s])."""
    start = time.perf_counter()
    w = max_sensing_beams(network)
    off = optimize_offloading(network, w)
    bf = optimize_beamforming(network, off.a, off.b, w0=w, **options)
    return {"feasible": bool(off.status != "infeasible" and bf.feasible),
            "admm_history": [float(v) for v in off.history.objective],
            "beamforming_history": [float(v) for v in bf.history],
            "admm_iterations": int(off.iterations), "beamforming_iterations": int(bf.iterations),
            "upload_latency": float(bf.objective), "runtime_s": time.perf_counter() - start}


def run_convergence_slack(network: Network, **options: Any) -> dict[str, Any]:
    """``convergence-slack``: :func:`run_convergence` with Algorithm 2's slack cap rule
    (``caps="slack"``, the library's default; docs/algorithms.md) from the same start."""
    return run_convergence(network, **{**options, "caps": "slack"})


register_scheme("convergence", run_convergence)
register_scheme("convergence-slack", run_convergence_slack)

#: The line style of panel (b) per cap rule (panel (a) is the same for both: same start).
RULES = {"convergence": ("-", "paper's caps (58)"), "convergence-slack": ("--", "slack caps, better of MRS/MRT start (ours)")}


def _mean_padded(histories: list[list[float]]) -> np.ndarray:
    n = max(len(h) for h in histories)
    padded = np.array([h + [h[-1]] * (n - len(h)) for h in histories if h])
    return padded.mean(axis=0)


def plot_convergence(spec: FigureSpec, rows: pd.DataFrame, out_dir: str | PathLike[str], *,
                     formats: tuple[str, ...] = ("png", "pdf"), dpi: int = 150) -> list[Path]:
    """Two panels from the raw trial rows of ``spec``'s sweep; returns the files written."""
    out = Path(out_dir)
    fig = Figure(figsize=(10.0, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    ok = rows[(rows["status"] == "ok")]
    if "scheme" not in ok:
        ok = ok.assign(scheme="convergence")
    several = ok["scheme"].nunique() > 1
    for i, (x, by_x) in enumerate(ok.groupby(spec.sweep.x_param, sort=True)):
        for scheme, group in by_x.groupby("scheme", sort=True):
            line, rule = RULES.get(scheme, (LINESTYLES[i % len(LINESTYLES)], scheme))
            label = f"M = {x:g} ({len(group)} drops)"
            style = dict(marker=MARKERS[i % len(MARKERS)], color=f"C{i}", markevery=0.1,
                         linestyle=line if several else LINESTYLES[i % len(LINESTYLES)])
            if scheme == "convergence" or not several:
                admm = _mean_padded([list(h) for h in group["admm_history"]])
                axes[0].plot(np.arange(1, len(admm) + 1), admm, label=label, **style)
            bf = _mean_padded([list(h) for h in group["beamforming_history"]])
            axes[1].plot(np.arange(len(bf)), 1e3 * bf,
                         label=f"{label}, {rule}" if several else label, **style)
    axes[0].set(xlabel="ADMM iteration", ylabel="Relaxed total latency (20) [s]",
                title="(a) Algorithm 1", xscale="log")
    axes[1].set(xlabel="Algorithm 2 iteration", ylabel="Upload latency (39) [ms]",
                title="(b) Algorithm 2")
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(spec.title)
    files = []
    for fmt in formats:
        path = out / f"{spec.sweep.name}.{fmt}"
        fig.savefig(path, dpi=dpi)
        files.append(path)
    return files
