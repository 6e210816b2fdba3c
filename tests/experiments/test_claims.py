"""The trend test behind the "rises / falls with x" claims, and the reasons printed next to a
claim that does not hold."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pyiscc.experiments.figures import FIGURES
from pyiscc.experiments.paper import _monotone, trend
from pyiscc.experiments.report import FigureResult, check_claims, write_report
from pyiscc.experiments.specs import Claim, ClaimResult, FigureSpec, SweepSpec
from pyiscc.scenario import Scenario


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
    """The trend claim on a metric printed without a unit ("score")."""
    return _monotone("dcet-iscc", increasing, "score")(summary(curves, metric="score", **kw))


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


def test_latency_in_ms_and_series_by_name():
    s = summary({0.32e-3: ([0.058, 0.059], zeros(2)), 1.28e-3: ([0.232, 0.231], zeros(2))})
    s["series_param"] = "accumulation_time_s"
    r = _monotone("dcet-iscc")(s)
    assert r.detail == ("t_s = 0.32 ms: 58 -> 59 ms rises; "
                        "t_s = 1.28 ms: 232 -> 231 ms falls (claimed: rises)")
    energy = summary({None: ([1.092, 0.2979], zeros(2))}, metric="mean_energy")
    assert _monotone("dcet-iscc", True, "mean_energy")(energy).detail == \
        "1092 -> 297.9 mJ falls (claimed: rises)"


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


# ---------------------------------------------------------------- reasons in the report


def _tiny_spec(claims):
    sweep = SweepSpec("tiny", Scenario(), "bandwidth_hz", (5e6, 10e6), ("dcet-iscc",), 2)
    return FigureSpec(sweep=sweep, title="tiny", y_metric="mean_latency",
                      y_label="latency [ms]", x_label="B [Hz]", claims=tuple(claims))


def test_claim_reason_validation():
    with pytest.raises(ValueError, match="reason"):
        Claim("x", lambda s: ClaimResult(True, "ok"), reason=3)
    with pytest.raises(ValueError, match="reason"):
        Claim("x", lambda s: ClaimResult(True, "ok"), reason=" ")
    with pytest.raises(ValueError, match="reason"):
        ClaimResult(False, "d", reason=1)
    assert Claim("x", lambda s: ClaimResult(True, "ok"), reason="fixed").explain(None) == "fixed"


def test_report_prints_reasons_next_to_no_only(tmp_path):
    s = summary({None: ([0.1, 0.2], [0.0, 0.0])}, xs=[5e6, 10e6])
    claims = [Claim("rises", _monotone("dcet-iscc"), reason="REASON-NEVER-SHOWN"),
              Claim("falls", _monotone("dcet-iscc", False),
                    reason=lambda df: f"computed {df['mean_latency'].max():.3g}"),
              Claim("falls, fixed reason", _monotone("dcet-iscc", False), reason="fixed text"),
              Claim("falls, no reason", _monotone("dcet-iscc", False)),
              Claim("falls, broken reason", _monotone("dcet-iscc", False),
                    reason=lambda df: 1 / 0)]
    spec = _tiny_spec(claims)
    results = check_claims(spec, s)
    assert [r.holds for _, r, _ in results] == [True, False, False, False, False]
    assert results[0][1].reason is None and results[3][1].reason is None
    assert results[1][1].reason == "computed 0.2"
    assert "could not be computed" in results[4][1].reason
    text = write_report(tmp_path, [FigureResult("t", spec, s, [])]).read_text()
    assert "REASON-NEVER-SHOWN" not in text
    assert "| falls | NO | 100 -> 200 ms rises (claimed: falls). Why: computed 0.2 |" in text
    assert "Why: fixed text" in text
    assert "| falls, no reason | NO | 100 -> 200 ms rises (claimed: falls) |" in text
    assert text.count("Why: computed 0.2") == 2  # the figure's table and the overview


def _claim(fig, start):
    """The one claim of ``fig`` whose text is ``start``, or else starts with it."""
    exact = [c for c in FIGURES[fig].claims if c.text == start]
    (claim,) = exact or [c for c in FIGURES[fig].claims if c.text.startswith(start)]
    return claim


def _rows(schemes, xs, series, values):
    """Summary rows: values[scheme] is a function (series, x) -> dict of metrics."""
    rows = []
    for sv in series:
        for x in xs:
            for sch in schemes:
                rows.append({"scheme": sch, "series": sv, "x": x, "n_feasible": 10,
                             "n_infeasible": 0, "n_failed": 0, **values[sch](sv, x)})
    return pd.DataFrame(rows)


def test_fig4_reasons_are_computed():
    xs, series = (0.3e9, 0.5e9, 1.1e9), (3e9, 9e9)
    zbeta = 819200 * 400.0
    s = _rows(("local", "et-iscc", "dcet-iscc", "local-sensing"), xs, series, {
        "local": lambda sv, x: {"mean_energy": zbeta / x, "mean_energy_ci95": 0.0,
                                "mean_latency": zbeta / x, "mean_latency_ci95": 0.0},
        "local-sensing": lambda sv, x: {"mean_energy": 0.0125 * (x / 0.5e9) ** 2,
                                        "mean_energy_ci95": 0.0, "mean_latency": zbeta / x,
                                        "mean_latency_ci95": 0.0},
        "et-iscc": lambda sv, x: {"mean_energy": 0.100, "mean_energy_ci95": 0.0,
                                  "mean_latency": 0.120, "mean_latency_ci95": 0.0},
        "dcet-iscc": lambda sv, x: {"mean_energy": 0.100 * (1.25 if sv == 3e9 else 1.0),
                                    "mean_energy_ci95": 0.0, "mean_latency": 0.110,
                                    "mean_latency_ci95": 0.0}})
    spec = FIGURES["4"]
    results = {t: r for t, r, _ in check_claims(spec, s)}
    energy = results[_claim("4", "Sec. IV-B: DCET-ISCC consumes no more").text]
    assert not energy.holds
    assert "+25.0%" in energy.reason and "G_l = 3e9" in energy.reason
    assert "8.3% below" in energy.reason  # its latency, (120 - 110) / 120
    local = results[_claim("4", "Sec. IV-B: local execution's energy rises with f^L").text]
    assert not local.holds and "falls (claimed: rises)" in local.detail
    assert "1.092 -> 0.2979 J" in local.reason  # P_th beta Z / f^L, and the measured values
    assert local.reason.count("1.092 -> 0.2979") == 2
    less = "Sec. IV-B: DCET-ISCC consumes less energy than local execution"
    assert results[_claim("4", less).text].reason is None
    # the sensing-limited reading: local energy rises, and stays below DCET-ISCC's
    sensing = results[_claim("4", less + " (local at").text]
    assert not sensing.holds
    assert "local 0.0045 -> 0.0605 J against DCET-ISCC 0.125 -> 0.125 J" in sensing.reason
    rises = results[_claim("4", "Sec. IV-B: local execution's energy rises with f^L (").text]
    assert rises.holds and rises.reason is None


def test_fig9_and_trend_reasons_are_computed():
    s = _rows(("dcet-iscc", "dcet-mrt", "dcet-mrs", "dcet-iscc-slack"), (24.0, 32.0), (8, 16), {
        "dcet-iscc": lambda sv, x: {"mean_latency": 0.1164, "mean_latency_ci95": 1e-4},
        "dcet-mrt": lambda sv, x: {"mean_latency": 0.1160, "mean_latency_ci95": 1e-4},
        "dcet-mrs": lambda sv, x: {"mean_latency": 0.1170, "mean_latency_ci95": 1e-4},
        "dcet-iscc-slack": lambda sv, x: {"mean_latency": 0.1158, "mean_latency_ci95": 1e-4}})
    results = {t: r for t, r, _ in check_claims(FIGURES["9"], s)}
    mrt = results[_claim("9", "Sec. IV-C: DCET-ISCC below DCET-MRT").text]
    assert not mrt.holds
    assert "4/4 points" in mrt.reason and "0.4 ms" in mrt.reason
    assert "dcet-iscc-slack is below dcet-mrt at 4/4 points" in mrt.reason
    falls = results[_claim("9", "Sec. IV-C: DCET-ISCC latency falls").text]
    assert not falls.holds and "no significant trend" in falls.detail and falls.reason is None

    for fig in ("10", "12"):
        (claim,) = FIGURES[fig].claims
        s = _rows(("dcet-iscc",), (0.0, 8.0), (4, 8), {
            "dcet-iscc": lambda sv, x: {"mean_latency": 0.1162 + 1e-5 * x,
                                        "mean_latency_ci95": 2e-4}})
        (_, result, error), = check_claims(FIGURES[fig], s)
        assert error is None and not result.holds
        assert "no significant trend" in result.detail
        assert "+0.07% (+0.08 ms, CI ±0.28 ms)" in result.reason
        assert "109.2 ms" in result.reason and "94% of the mean latency" in result.reason


def test_fig11_reason_gives_the_mec_share_per_accumulation_time():
    """Z grows with t_s, so the MEC compute time is given per series (54.6, 109.2, 218.5 ms)."""
    series = (0.32e-3, 0.64e-3, 1.28e-3)
    s = _rows(("dcet-iscc",), (0.0, 4.0, 8.0, 12.0), series, {
        "dcet-iscc": lambda sv, x: {"mean_latency": 0.116 * sv / 0.64e-3,
                                    "mean_latency_ci95": 1e-4}})
    (text, result, error), = check_claims(FIGURES["11"], s)
    assert error is None and not result.holds
    assert "flat" in result.detail or "no significant trend" in result.detail
    for mec in ("54.6 ms", "109.2 ms", "218.5 ms"):
        assert mec in result.reason
    assert result.reason.count("94%") == 3  # 109.2 / 116 at every t_s
