"""Machine-readable results: a Solution as a pandas DataFrame (one row per terminal) or as a
JSON-serialisable dict.  :meth:`pyiscc.Solution.to_frame` and :meth:`pyiscc.Solution.to_dict`
call these; pandas is imported on first use."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pandas as pd

    from .solve import Solution

__all__ = ["FRAME_COLUMNS", "solution_frame", "solution_dict", "terminal_columns"]

#: Columns of :func:`solution_frame`, in order, with their units.
FRAME_COLUMNS = {
    "terminal": "index k",
    "mode": '"local", "mec" or "cloud"',
    "bs": "serving BS l(k), -1 for local execution",
    "rate_bps": "uplink rate at the serving BS [bit/s] (0 for local execution)",
    "latency_s": "task latency T_k [s], eq. (16)",
    "power_w": "power p_k [W], eq. (17)",
    "energy_j": "energy E_k = p_k T_k [J]",
    "echo_sinr": "echo SINR gamma_k (linear), eq. (8)",
    "echo_sinr_db": "echo SINR [dB]",
    "sensing_margin_db": "echo SINR minus the threshold Gamma_r [dB] (>= 0: (18e) holds)",
    "power_slack_w": "P_th - p_k [W] (>= 0: (18d) holds)",
    "meets_sensing": "no (18e) violation beyond evaluate()'s tolerance",
    "meets_power": "no (18d) violation beyond evaluate()'s tolerance",
}


def terminal_columns(solution: Solution) -> dict[str, NDArray[Any]]:
    """The per-terminal columns of :data:`FRAME_COLUMNS` as (K,) arrays."""
    if solution.network is None:
        raise ValueError("solution: keeps no network (it was not made by pyiscc.solve)")
    network = solution.network
    K = network.n_terminals
    serving = np.asarray(solution.serving_bs)
    rate = np.where(serving >= 0, solution.rate[np.maximum(serving, 0), np.arange(K)], 0.0)
    with np.errstate(divide="ignore"):
        sinr_db = 10.0 * np.log10(solution.echo_sinr)
    bad = {(v.constraint, v.index) for v in solution.violations}
    return {
        "terminal": np.arange(K),
        "mode": np.asarray(solution.mode, dtype=object),
        "bs": serving.astype(np.int64),
        "rate_bps": rate,
        "latency_s": np.asarray(solution.latency, float),
        "power_w": np.asarray(solution.power, float),
        "energy_j": np.asarray(solution.energy, float),
        "echo_sinr": np.asarray(solution.echo_sinr, float),
        "echo_sinr_db": sinr_db,
        "sensing_margin_db": sinr_db - network.scenario.sensing_sinr_db,
        "power_slack_w": network.max_power_w - solution.power,
        "meets_sensing": np.array([("sensing", k) not in bad for k in range(K)]),
        "meets_power": np.array([("power", k) not in bad for k in range(K)]),
    }


def solution_frame(solution: Solution) -> pd.DataFrame:
    """One row per terminal, columns :data:`FRAME_COLUMNS` (SI units, as named).

    ``DataFrame.attrs`` holds the scheme, status, feasibility, mean latency [s], the threshold
    Gamma_r [dB] and every violation (as text).

    Returns
    -------
    pandas.DataFrame
        K rows.
    """
    import pandas as pd

    df = pd.DataFrame(terminal_columns(solution), columns=list(FRAME_COLUMNS))
    df.attrs.update(scheme=solution.scheme, status=solution.status, feasible=solution.feasible,
                    mean_latency_s=solution.mean_latency,
                    sensing_sinr_db=solution.network.scenario.sensing_sinr_db,
                    violations=[str(v) for v in solution.violations])
    return df


def _plain(x: Any) -> Any:
    """numpy scalars / arrays as Python values; non-finite floats as None (strict JSON)."""
    if isinstance(x, np.ndarray):
        return [_plain(v) for v in x.tolist()] if x.ndim else _plain(x.item())
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    return x


def solution_dict(solution: Solution) -> dict[str, Any]:
    """A JSON-serialisable record of a solution (``json.dumps(..., allow_nan=False)`` works).

    Returns
    -------
    dict
        ``scheme, status, feasible, mean_latency_s, total_latency_s, mean_energy_j,
        outer_iterations, runtime_s, sensing_sinr_db``; ``terminals``: one dict per terminal
        with the keys of :data:`FRAME_COLUMNS`; ``violations``: ``constraint, equation, index,
        value, limit`` each; ``a``, ``b``: (L, K) lists of 0/1; ``w_real``, ``w_imag``: (K, N)
        lists [sqrt(W)]; ``history``: ``total_latency`` per BCD round [s] (and ``warm_start``
        where the solve had one).  Non-finite numbers (an echo SINR of 0 in dB) are None.
    """
    cols = terminal_columns(solution)
    K = len(cols["terminal"])
    terminals = [{name: cols[name][k] for name in FRAME_COLUMNS} for k in range(K)]
    history: dict[str, Any] = {"total_latency": solution.history.get("total_latency", [])}
    if "warm_start" in solution.history:
        history["warm_start"] = solution.history["warm_start"]
    out = {
        "scheme": solution.scheme,
        "status": solution.status,
        "feasible": solution.feasible,
        "mean_latency_s": solution.mean_latency,
        "total_latency_s": solution.total_latency,
        "mean_energy_j": float(np.mean(solution.energy)),
        "outer_iterations": solution.outer_iterations,
        "runtime_s": solution.runtime_s,
        "sensing_sinr_db": solution.network.scenario.sensing_sinr_db,
        "terminals": terminals,
        "violations": [{"constraint": v.constraint, "equation": v.equation, "index": v.index,
                        "value": v.value, "limit": v.limit} for v in solution.violations],
        "a": solution.a,
        "b": solution.b,
        "w_real": solution.w.real,
        "w_imag": solution.w.imag,
        "history": history,
    }
    return _plain(out)
