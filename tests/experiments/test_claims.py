"""The trend test behind the "rises / falls with x" claims."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pyiscc.experiments.paper import _monotone, trend


def summary(curves, scheme="dcet-iscc", metric="mean_latency", xs=None):
    """A summary with one curve per series: ``curves`` maps a series value (None for no series)
    to (means, ci95) over ``xs`` (default 1, 2, ...)."""
    rows = []
    for sv, (means, cis) in curves.items():
        for i, (m, c) in enumerate(zip(means, cis)):
            rows.append({"scheme": scheme, "series": sv, "x": (xs or range(1, 99))[i],
                         metric: m, f"{metric}_ci95": c, "n_feasible": 10,
                         "n_infeasible": 0, "n_failed": 0})
    return pd.DataFrame(rows)


def check(curves, increasing=True, **kw):
    return _monotone("dcet-iscc", increasing)(summary(curves, **kw))


def zeros(n):
    return [0.0] * n


def test_deterministic_rising_holds():
    r = check({None: ([1.0, 1.5, 2.0], zeros(3))})
    assert r.holds
    assert r.detail == "1 -> 2 rises"


def test_deterministic_falling_is_said_to_fall():
    r = check({3e9: ([1.092, 0.7, 0.2979], zeros(3))}, increasing=True)
    assert not r.holds
    assert r.detail == "3e9: 1.092 -> 0.2979 falls (claimed: rises)"
    assert "no significant trend" not in r.detail
    assert check({3e9: ([1.092, 0.7, 0.2979], zeros(3))}, increasing=False).holds


def test_deterministic_flat():
    r = check({None: ([1.0, 1.0000001, 1.0000002], zeros(3))})
    assert not r.holds
    assert "flat (claimed: rises)" in r.detail
    assert "no significant trend" not in r.detail
    assert not check({None: ([2.0, 2.0], zeros(2))}, increasing=False).holds


def test_deterministic_non_monotone():
    r = check({None: ([1.0, 2.0, 1.5, 3.0], zeros(4))})
    assert not r.holds
    assert "non-monotone" in r.detail and "2 -> 1.5" in r.detail
    assert "no significant trend" not in r.detail
    # a step back within the numerical floor (rtol = 1e-3) is not a reversal
    assert check({None: ([1.0, 2.0, 1.9995, 3.0], zeros(4))}).holds


def test_noisy_rising_with_small_ci_holds():
    r = check({None: ([1.0, 1.1, 1.08, 1.2], [0.02, 0.02, 0.02, 0.02])})
    assert r.holds  # the 1.1 -> 1.08 step is inside its combined CI
    assert "rises" in r.detail and "±" in r.detail


def test_noisy_with_large_ci_is_no_significant_trend():
    r = check({None: ([1.0, 1.02, 1.03], [0.05, 0.05, 0.05])})
    assert not r.holds
    assert "no significant trend" in r.detail
    assert "claimed: rises" in r.detail


def test_noisy_step_against_beyond_ci_is_non_monotone():
    r = check({None: ([1.0, 1.5, 1.2, 1.6], [0.01] * 4)})
    assert not r.holds
    assert "non-monotone" in r.detail and "no significant trend" not in r.detail


def test_nan_ci_counts_as_zero():
    r = check({None: ([1.0, 1.5, 2.0], [math.nan] * 3)})
    assert r.holds and r.detail == "1 -> 2 rises"
    r = check({None: ([1.0, 1.0, 1.0], [math.nan, 0.0, math.nan])})
    assert not r.holds and "flat" in r.detail and "no significant trend" not in r.detail


def test_missing_ci_column_counts_as_zero():
    s = summary({None: ([1.0, 2.0], zeros(2))}).drop(columns="mean_latency_ci95")
    assert _monotone("dcet-iscc")(s).holds


def test_every_series_must_have_the_claimed_direction():
    curves = {3e9: ([1.0, 2.0], zeros(2)), 6e9: ([1.0, 3.0], zeros(2)),
              9e9: ([1.0, 0.5], zeros(2))}
    r = check(curves)
    assert not r.holds
    parts = r.detail.split("; ")
    assert parts == ["3e9: 1 -> 2 rises", "6e9: 1 -> 3 rises",
                     "9e9: 1 -> 0.5 falls (claimed: rises)"]
    assert check({k: v for k, v in curves.items() if k != 9e9}).holds


def test_infeasible_points_and_too_few_points():
    r = check({None: ([1.0, math.nan, 2.0], zeros(3))})
    assert r.holds  # the NaN mean (no feasible drop) is skipped
    r = check({None: ([1.0, math.nan], zeros(2))})
    assert not r.holds and "fewer than 2 points" in r.detail


def test_trend_floor_is_relative():
    assert trend(np.array([1e-3, 1.0000001e-3]), np.zeros(2)).verdict == "flat"
    assert trend(np.array([1e-3, 1.01e-3]), np.zeros(2)).verdict == "rises"
    t = trend(np.array([1.0, 1.05]), np.array([0.1, 0.1]))
    assert t.verdict == "flat" and t.within_ci
    assert not trend(np.array([1.0, 1.0]), np.zeros(2)).within_ci
