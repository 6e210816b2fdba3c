"""Test-only scheme runners, referred to by import path ("exp_runners:<name>") so that worker
processes import them themselves."""

from __future__ import annotations

import time

import numpy as np

from pyiscc.experiments.runners import run_local


def sleepy(network, sleep_s: float = 0.0):
    """run_local after a pause: a slow trial for the kill test."""
    time.sleep(sleep_s)
    out = run_local(network)
    out.pop("runtime_s")  # wall-clock: differs between runs by construction
    return out


def faulty(network):
    """Raises on about half of the drops (those whose first target has RCS < 0.9)."""
    if network.rcs[0] < 0.9:
        raise ValueError(f"deliberate failure: rcs[0] = {network.rcs[0]:.4f} < 0.9")
    return {"feasible": True, "mean_latency": float(network.rcs[0])}


def coin(network):
    """Feasible on about half of the drops; the metric is a known function of the drop."""
    angle = float(network.target_angle[0])
    return {"feasible": angle < np.pi / 2, "mean_latency": angle, "vector": [angle, 2 * angle]}


def no_feasible_key(network):
    return {"mean_latency": 1.0}


def crash(network):
    """Kills its worker process outright (as a segfault or the OOM killer would)."""
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def kill_once(network, marker_dir: str, after: int = 3, sleep_s: float = 0.05):
    """run_local, but the ``after``-th call across all workers (counted by files in
    ``marker_dir``) first kills its own worker process, once: a worker lost mid-sweep.  Its
    outputs do not depend on whether the kill happened, so a rerun elsewhere gives the same row."""
    import os
    import signal
    import uuid
    from pathlib import Path

    d = Path(marker_dir)
    (d / f"call-{uuid.uuid4().hex}").touch()
    if len(list(d.glob("call-*"))) >= after:
        try:
            fd = os.open(d / "killed", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass
        else:
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)
    return sleepy(network, sleep_s)


def plain_local(network, **_options):
    """run_local without its timing, ignoring the options other runners of the sweep take."""
    return sleepy(network, 0.0)
