"""Scheme runners: what one Monte-Carlo trial computes for one scheme on one drawn network.

A runner is a module-level function ``runner(network, **options) -> dict`` (module-level so a
worker process can import it by name).  The dict holds JSON-friendly metrics; it must contain

``feasible`` : bool
    Whether the trial counts in the means (an infeasible drop is counted, never averaged in).

and by convention (so figures and the summary find them) ``mean_latency`` [s], ``mean_energy``
[J], ``echo_sinr`` (K,) linear (for the detection probability of Fig. 11), ``min_echo_sinr_db``,
``n_local`` / ``n_mec`` / ``n_cloud`` and ``runtime_s`` (the solver's own time) where they apply.
:func:`evaluation_metrics` builds these from an :class:`~pyiscc.Evaluation`.

Register runners in :data:`SCHEME_RUNNERS` with :func:`register_scheme` (the solver-based
schemes of ``pyiscc.solve`` belong here too, next to the two reference runners below).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..beams import max_sensing_beams
from ..metrics import Evaluation, evaluate
from ..network import Network, nearest_bs

__all__ = ["SCHEME_RUNNERS", "SchemeRunner", "register_scheme", "evaluation_metrics",
           "run_ccet_iscc", "run_dcet_iscc", "run_dcet_mrs", "run_dcet_mrt", "run_et_iscc",
           "run_local", "run_mec_nearest_mrs"]

#: A scheme runner: ``runner(network, **options) -> metrics dict`` (see the module docstring).
SchemeRunner = Callable[..., dict[str, Any]]

#: Scheme name -> runner.  Workers resolve a scheme by the runner's import path, so a runner
#: registered here (or in any importable module) works on every executor.
SCHEME_RUNNERS: dict[str, SchemeRunner] = {}


def register_scheme(name: str, runner: SchemeRunner, *, replace: bool = False) -> SchemeRunner:
    """Add ``runner`` under ``name`` (``replace=True`` to overwrite an existing entry).
    Returns the runner, so it can be used as ``register_scheme("x", f)`` after ``def f``."""
    if not isinstance(name, str) or not name or ":" in name:
        raise ValueError(f"name: must be a non-empty string without ':', got {name!r}")
    if not callable(runner):
        raise ValueError(f"runner: must be callable, got {type(runner).__name__}")
    if not isinstance(replace, (bool, np.bool_)):
        raise ValueError(f"replace: must be a bool, got {replace!r}")
    if name in SCHEME_RUNNERS and SCHEME_RUNNERS[name] is not runner and not replace:
        raise ValueError(f"name: scheme {name!r} is already registered (pass replace=True)")
    SCHEME_RUNNERS[name] = runner
    return runner


def evaluation_metrics(ev: Evaluation, a: NDArray[np.float64], b: NDArray[np.float64]
                       ) -> dict[str, Any]:
    """The standard metrics of one evaluated solution.

    Parameters
    ----------
    ev : Evaluation
    a, b : (L, K) {0, 1}
        The offloading decisions that were evaluated.

    Returns
    -------
    dict
        ``mean_latency`` [s], ``total_latency`` [s], ``mean_energy`` [J], ``mean_power`` [W],
        ``echo_sinr`` (K,) linear, ``min_echo_sinr_db`` [dB], ``n_local``, ``n_mec``,
        ``n_cloud``, ``constraints_met`` (bool: no violation of (18c)-(18e)) and
        ``n_violations``.  ``feasible`` is left to the caller: it is the scheme's policy.
    """
    if not isinstance(ev, Evaluation):
        raise ValueError(f"ev: must be an Evaluation, got {type(ev).__name__}")
    shape = np.shape(ev.rate)
    for name, x in (("a", a), ("b", b)):
        arr = np.asarray(x)
        if arr.shape != shape or not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{name}: must be an {shape} array of 0/1 decisions (the shape of "
                             f"ev.rate), got shape {arr.shape}")
    n_mec = int(np.asarray(a).sum())
    n_cloud = int(np.asarray(b).sum())
    return {
        "mean_latency": float(ev.mean_latency),
        "total_latency": float(ev.total_latency),
        "mean_energy": float(np.mean(ev.energy)),
        "mean_power": float(np.mean(ev.power)),
        "echo_sinr": [float(g) for g in ev.echo_sinr],
        "min_echo_sinr_db": float(10.0 * np.log10(np.min(ev.echo_sinr))),
        "n_local": int(ev.latency.shape[0]) - n_mec - n_cloud,
        "n_mec": n_mec,
        "n_cloud": n_cloud,
        "constraints_met": bool(ev.feasible),
        "n_violations": len(ev.violations),
    }


def _solve_metrics(network: Network, scheme: str, **options: Any) -> dict[str, Any]:
    """Metrics of ``pyiscc.solve(network, scheme, **options)``.  ``feasible`` is the Solution's
    flag: the returned beams and decisions meet every constraint of (18), checked by evaluate()
    (for the baselines that do not enforce (18e), a drop where they miss the sensing threshold
    is infeasible for them and not averaged in)."""
    from ..solve import solve  # late: solve imports the solvers, the engine need not

    sol = solve(network, scheme, **options)
    out = evaluation_metrics(sol.evaluation, sol.a, sol.b)
    out.update(feasible=bool(sol.feasible), solver_status=sol.status,
               outer_iterations=sol.outer_iterations, runtime_s=sol.runtime_s)
    return out


def run_dcet_iscc(network: Network, **options: Any) -> dict[str, Any]:
    """``dcet-iscc``: the proposed distributed BCD (Algorithm 1 + Algorithm 2)."""
    return _solve_metrics(network, "dcet-iscc", **options)


def run_ccet_iscc(network: Network, **options: Any) -> dict[str, Any]:
    """``ccet-iscc``: MILP offloading + one joint beamforming problem."""
    return _solve_metrics(network, "ccet-iscc", **options)


def run_et_iscc(network: Network, **options: Any) -> dict[str, Any]:
    """``et-iscc``: the two-tier scheme (no cloud)."""
    return _solve_metrics(network, "et-iscc", **options)


def run_local(network: Network, **options: Any) -> dict[str, Any]:
    """``local``: every terminal computes its own task, MRS beams at ``P_th - eta (f^L)^3``."""
    return _solve_metrics(network, "local", **options)


def run_dcet_mrt(network: Network, **options: Any) -> dict[str, Any]:
    """``dcet-mrt``: Algorithm 1 on fixed MRT beams."""
    return _solve_metrics(network, "dcet-mrt", **options)


def run_dcet_mrs(network: Network, **options: Any) -> dict[str, Any]:
    """``dcet-mrs``: Algorithm 1 on fixed MRS beams."""
    return _solve_metrics(network, "dcet-mrs", **options)


def run_mec_nearest_mrs(network: Network) -> dict[str, Any]:
    """``mec-nearest-mrs``: MRS beams; terminal k (in index order) offloads to the MEC server
    of its nearest BS while that server has a free slot (``floor(G_l / f^E)`` tasks), otherwise
    computes locally.  A simple, solver-free reference for the engine."""
    start = time.perf_counter()
    sc = network.scenario
    w = max_sensing_beams(network)
    L, K = network.n_bs, network.n_terminals
    slots = np.full(L, int(np.floor(sc.mec_capacity_hz / sc.cpu_mec_hz * (1.0 + 1e-12))))
    a = np.zeros((L, K))
    for k, l in enumerate(nearest_bs(network)):
        if slots[l] > 0:
            a[l, k] = 1.0
            slots[l] -= 1
    b = np.zeros((L, K))
    ev = evaluate(network, w, a, b)
    out = evaluation_metrics(ev, a, b)
    out["feasible"] = bool(ev.feasible)
    out["runtime_s"] = time.perf_counter() - start
    return out


register_scheme("dcet-iscc", run_dcet_iscc)
register_scheme("ccet-iscc", run_ccet_iscc)
register_scheme("et-iscc", run_et_iscc)
register_scheme("local", run_local)
register_scheme("dcet-mrt", run_dcet_mrt)
register_scheme("dcet-mrs", run_dcet_mrs)
register_scheme("mec-nearest-mrs", run_mec_nearest_mrs)
