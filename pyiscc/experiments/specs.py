"""Sweep and figure specifications: plain, frozen data that the engine runs and the plotter draws.

A :class:`SweepSpec` says *what to compute*: a scenario, one parameter on the x axis (and
optionally a second one, one curve per value), the schemes, the number of Monte-Carlo trials and
the root seed.  A :class:`FigureSpec` adds *how to show it*: axis labels with units, the metric on
the y axis, legend labels, log axes.  Both load from TOML (``pyiscc sweep SPEC.toml``).

Parameters
----------
A swept parameter is either a :class:`~pyiscc.Scenario` field (``"bandwidth_hz"``,
``"sensing_sinr_db"``, ...), in the Scenario's SI units, or ``"option.<name>"``: a keyword
argument passed to every scheme runner (solver settings such as tolerances).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from ..scenario import Scenario

__all__ = ["SweepSpec", "FigureSpec", "Claim", "ClaimResult", "load_spec", "with_overrides",
           "OPTION_PREFIX"]

#: Prefix of a swept parameter that is a scheme-runner keyword rather than a Scenario field.
OPTION_PREFIX = "option."

_SCENARIO_FIELDS = frozenset(f.name for f in dataclasses.fields(Scenario))


def _check_param(name: str, what: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"{what}: must be a non-empty string, got {name!r}")
    if name.startswith(OPTION_PREFIX):
        if len(name) == len(OPTION_PREFIX):
            raise ValueError(f"{what}: {name!r} names no option")
        return
    if name not in _SCENARIO_FIELDS:
        raise ValueError(f"{what}: {name!r} is neither a Scenario field nor "
                         f"'{OPTION_PREFIX}<name>'")


def _plain(value: Any, what: str = "value") -> Any:
    """JSON-friendly copy: tuples -> lists, numpy scalars -> Python scalars; ``ValueError``
    naming ``what`` otherwise."""
    if isinstance(value, (list, tuple)):
        return [_plain(v, what) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v, what) for k, v in value.items()}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise ValueError(f"{what}: value {value!r} of type {type(value).__name__} is not "
                     "JSON-friendly")


def _values(values: Any, what: str) -> tuple[Any, ...]:
    """The grid values as a tuple of JSON-friendly values; ``ValueError`` naming ``what``."""
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{what}: must be a sequence of values, got {values!r}")
    return tuple(_plain(list(values), what))


@dataclass(frozen=True)
class SweepSpec:
    """One Monte-Carlo sweep.

    Attributes
    ----------
    name : str
        Experiment name: the key of its rows in the results database (``[A-Za-z0-9_.-]``).
    scenario : Scenario
        The base scenario; every point overrides the swept parameter(s).
    x_param : str
        Parameter on the x axis (a Scenario field or ``"option.<name>"``).
    x_values : sequence of values
        Its values, in the parameter's own (SI) unit.
    series_param, series_values : optional
        A second parameter: one curve per value (``None`` for a single family of curves).
    schemes : sequence of str
        Scheme names, looked up in :data:`pyiscc.experiments.SCHEME_RUNNERS`, or
        ``"module:function"`` import paths of a runner.  Every scheme of a point runs on the
        same drawn network (common random numbers).
    trials : int
        Monte-Carlo trials (network drops) per point.
    seed : int
        Root seed; trial ``t`` of point ``p`` draws from ``SeedSequence(seed, spawn_key=(p, t))``
        (see ``docs/experiments.md``).
    metrics : sequence of str
        Scalar outputs to summarise (mean and 95% CI over feasible trials); every other scalar
        output is kept in the database too.
    options : mapping
        Keyword arguments passed to every scheme runner (overridden by ``option.*`` parameters).
    p_fa : float or None
        False-alarm probability of the GLRT detector; when set, the summary gains the metric
        ``detection_probability`` (mean over terminals of P_D(echo SINR), Fig. 11).
    """

    name: str
    scenario: Scenario
    x_param: str
    x_values: tuple[Any, ...]
    schemes: tuple[str, ...]
    trials: int
    seed: int = 0
    series_param: str | None = None
    series_values: tuple[Any, ...] | None = None
    metrics: tuple[str, ...] = ("mean_latency",)
    options: Mapping[str, Any] = field(default_factory=dict)
    p_fa: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or not all(
                c.isalnum() or c in "_.-" for c in self.name):
            raise ValueError(f"name: must be a non-empty string of [A-Za-z0-9_.-], got {self.name!r}")
        if not isinstance(self.scenario, Scenario):
            raise ValueError(f"scenario: must be a Scenario, got {type(self.scenario).__name__}")
        _check_param(self.x_param, "x_param")
        object.__setattr__(self, "x_values", _values(self.x_values, "x_values"))
        if not self.x_values:
            raise ValueError("x_values: needs at least one value")
        if (self.series_param is None) != (self.series_values is None):
            raise ValueError("series_param and series_values: give both or neither")
        if self.series_param is not None:
            _check_param(self.series_param, "series_param")
            if self.series_param == self.x_param:
                raise ValueError("series_param: must differ from x_param")
            object.__setattr__(self, "series_values", _values(self.series_values, "series_values"))
            if not self.series_values:
                raise ValueError("series_values: needs at least one value")
        if isinstance(self.schemes, str):
            raise ValueError("schemes: must be a sequence of names, not one string")
        try:
            object.__setattr__(self, "schemes", tuple(self.schemes))
        except TypeError:
            raise ValueError(f"schemes: must be a sequence of names, got {self.schemes!r}") from None
        if not all(isinstance(s, str) and s for s in self.schemes):
            raise ValueError(f"schemes: every scheme must be a non-empty string, got {self.schemes!r}")
        if not self.schemes or len(set(self.schemes)) != len(self.schemes):
            raise ValueError(f"schemes: must be non-empty and distinct, got {self.schemes!r}")
        for name in ("trials", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < (
                    1 if name == "trials" else 0):
                raise ValueError(f"{name}: must be an integer >= {1 if name == 'trials' else 0}, "
                                 f"got {value!r}")
            object.__setattr__(self, name, int(value))
        if isinstance(self.metrics, str) or not isinstance(self.metrics, (list, tuple)) or not all(
                isinstance(m, str) and m for m in self.metrics):
            raise ValueError(f"metrics: must be a sequence of metric names, got {self.metrics!r}")
        object.__setattr__(self, "metrics", tuple(self.metrics))
        if not isinstance(self.options, Mapping):
            raise ValueError(f"options: must be a dict of runner keyword arguments, got "
                             f"{type(self.options).__name__}")
        object.__setattr__(self, "options", dict(_plain(dict(self.options), "options")))
        if self.p_fa is not None and not (isinstance(self.p_fa, numbers.Real)
                                          and not isinstance(self.p_fa, bool)
                                          and 0.0 < self.p_fa < 1.0):
            raise ValueError(f"p_fa: must lie in (0, 1), got {self.p_fa!r}")
        # every point must build a valid Scenario: fail now, not in a worker
        for params in self.points():
            self.point_scenario(params)

    # ------------------------------------------------------------------ the grid
    def points(self) -> list[dict[str, Any]]:
        """Parameter values of every point, in point order: series-major, then x
        (point ``p = i_series * len(x_values) + i_x``)."""
        series = self.series_values if self.series_param is not None else (None,)
        out = []
        for s in series:
            for x in self.x_values:
                params = {self.x_param: x}
                if self.series_param is not None:
                    params[self.series_param] = s
                out.append(params)
        return out

    def point_scenario(self, params: Mapping[str, Any]) -> Scenario:
        """The base scenario with the point's Scenario fields applied."""
        changes = {k: v for k, v in params.items() if not k.startswith(OPTION_PREFIX)}
        if "bs_positions" in changes or any(isinstance(v, list) for v in changes.values()):
            data = self.scenario.to_dict() | changes
            return Scenario.from_dict(data)
        return self.scenario.replace(**changes)

    def point_options(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Runner keyword arguments of a point: ``options`` plus its ``option.*`` parameters."""
        out = dict(self.options)
        out.update({k[len(OPTION_PREFIX):]: v for k, v in params.items()
                    if k.startswith(OPTION_PREFIX)})
        return out

    @property
    def n_points(self) -> int:
        return len(self.x_values) * (len(self.series_values) if self.series_values else 1)

    # ------------------------------------------------------------------ identity
    def fingerprint(self) -> str:
        """Hash of everything that fixes a trial's numbers: scenario, grid, options and seed.

        ``trials`` and ``schemes`` are left out on purpose: a rerun may add trials or schemes to
        an experiment already in a results directory (trial ``t`` of point ``p`` keeps its seed);
        any other change needs a new experiment name or directory.
        """
        data = {"scenario": self.scenario.to_dict(), "x_param": self.x_param,
                "x_values": list(self.x_values), "series_param": self.series_param,
                "series_values": None if self.series_values is None else list(self.series_values),
                "options": self.options, "seed": self.seed}
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict in the TOML layout that :func:`load_spec` reads."""
        out: dict[str, Any] = {"name": self.name, "schemes": list(self.schemes),
                               "trials": self.trials, "seed": self.seed,
                               "metrics": list(self.metrics),
                               "scenario": self.scenario.to_dict(),
                               "x": {"param": self.x_param, "values": list(self.x_values)}}
        if self.series_param is not None:
            out["series"] = {"param": self.series_param, "values": list(self.series_values)}
        if self.options:
            out["options"] = dict(self.options)
        if self.p_fa is not None:
            out["p_fa"] = self.p_fa
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepSpec:
        """Inverse of :meth:`to_dict` (the TOML layout; ``[scenario]`` holds only the fields
        that differ from Table III)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"data: must be a mapping (the TOML layout), got {type(data).__name__}")
        data = dict(data)
        known = {"name", "schemes", "trials", "seed", "metrics", "scenario", "x", "series",
                 "options", "p_fa", "plot"}
        unknown = sorted(map(str, set(data) - known))
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: unknown sweep key(s); known: "
                             f"{', '.join(sorted(known))}")
        for key in ("name", "schemes", "trials", "x"):
            if key not in data:
                raise ValueError(f"{key}: missing from the sweep spec (a required key)")
        if not isinstance(data.get("scenario", {}), Mapping):
            raise ValueError("scenario: must be a table of Scenario fields")
        x = data["x"]
        if not isinstance(x, Mapping) or set(x) != {"param", "values"}:
            raise ValueError("x: must be a table with exactly 'param' and 'values'")
        series = data.get("series")
        if series is not None and (not isinstance(series, Mapping)
                                   or set(series) != {"param", "values"}):
            raise ValueError("series: must be a table with exactly 'param' and 'values'")
        return cls(name=data["name"], scenario=Scenario.from_dict(data.get("scenario", {})),
                   x_param=x["param"], x_values=tuple(x["values"]),
                   series_param=None if series is None else series["param"],
                   series_values=None if series is None else tuple(series["values"]),
                   schemes=tuple(data["schemes"]), trials=data["trials"],
                   seed=data.get("seed", 0),
                   metrics=tuple(data.get("metrics", ("mean_latency",))),
                   options=data.get("options", {}), p_fa=data.get("p_fa"))


@dataclass(frozen=True)
class ClaimResult:
    """Outcome of checking one :class:`Claim` against a figure's summary."""

    holds: bool
    detail: str
    #: Why a claim does not hold (``Claim.reason`` evaluated on the summary); None otherwise.
    reason: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.holds, (bool, np.bool_)):
            raise ValueError(f"holds: must be a bool, got {self.holds!r}")
        object.__setattr__(self, "holds", bool(self.holds))  # a NumPy bool is stored as bool
        if not isinstance(self.detail, str):
            raise ValueError(f"detail: must be a string, got {self.detail!r}")
        if self.reason is not None and not isinstance(self.reason, str):
            raise ValueError(f"reason: must be a string or None, got {self.reason!r}")


@dataclass(frozen=True)
class Claim:
    """A qualitative statement of the paper about one figure, checkable on its summary.

    Attributes
    ----------
    text : str
        The claim as the paper states it (with the section/figure it comes from).
    check : callable
        ``check(summary: DataFrame) -> ClaimResult``: whether it holds and by how much
        (e.g. "DCET-ISCC below ET-ISCC at 5/5 points, by 12-31%").
    reason : str or callable, optional
        Why the claim does not hold when it does not: a string, or
        ``reason(summary: DataFrame) -> str`` computing it from the data.  ``report.md``
        prints it next to a NO verdict (and never next to a yes).
    """

    text: str
    check: Callable[[pd.DataFrame], ClaimResult]
    reason: str | Callable[[pd.DataFrame], str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError(f"text: must be a non-empty string, got {self.text!r}")
        if not callable(self.check):
            raise ValueError(f"check: must be callable, got {type(self.check).__name__}")
        if self.reason is not None and not (callable(self.reason) or (
                isinstance(self.reason, str) and self.reason.strip())):
            raise ValueError(f"reason: must be a non-empty string or callable, got "
                             f"{type(self.reason).__name__}")

    def explain(self, summary: pd.DataFrame) -> str | None:
        """The reason text for ``summary`` (None without a reason)."""
        if self.reason is None or isinstance(self.reason, str):
            return self.reason
        text = self.reason(summary)
        if not isinstance(text, str):
            raise TypeError(f"a claim reason must return a string, got {type(text).__name__}")
        return text


@dataclass(frozen=True)
class FigureSpec:
    """A sweep plus how to draw it (one per paper figure).

    Attributes
    ----------
    sweep : SweepSpec
        The data; ``sweep.name`` names the figure's files (``<name>.png/.pdf/.csv``).
    title : str
        Caption (the paper's, e.g. "Fig. 5: average execution latency versus bandwidth B").
    y_metric : str
        Summarised metric on the y axis (one of ``sweep.metrics`` or ``detection_probability``).
    y_label, x_label : str
        Axis labels with units, e.g. ``"Average execution latency [ms]"``.
    x_scale, y_scale : float
        Display factors: plotted value = stored (SI) value * scale (e.g. 1e-6 for Hz -> MHz).
    x_metric : str or None
        Plot against the mean of this metric instead of the x parameter (Fig. 11 plots latency
        against the mean detection probability while sweeping Gamma_r).
    scheme_labels : mapping
        Legend label of each scheme (default: the scheme name).
    series_label : str
        Format of a series' legend part, with ``{value}`` (already multiplied by
        ``series_scale``), e.g. ``"$G_l$ = {value:g} Gcycles/s"``.
    series_scale : float
        Display factor of the series values.
    log_x, log_y : bool
        Logarithmic axes.
    claims : sequence of Claim
        The paper's qualitative claims about this figure, checked in ``report.md``.
    plotter : str or None
        ``"module:function"`` of a custom plot drawn from the raw trial rows,
        ``function(spec, rows, out_dir) -> list[Path]`` (Fig. 2's iteration histories); None
        for the standard line plot of the summary.
    trial_fraction : float
        This figure runs ``max(2, ceil(trials * trial_fraction))`` trials when the number of
        trials is overridden (``pyiscc reproduce --trials``): Fig. 3 times the slow centralised
        solver, and a runtime mean needs far fewer drops than a latency curve.
    """

    sweep: SweepSpec
    title: str
    y_metric: str
    y_label: str
    x_label: str
    x_scale: float = 1.0
    y_scale: float = 1.0
    x_metric: str | None = None
    scheme_labels: Mapping[str, str] = field(default_factory=dict)
    series_label: str = "{value:g}"
    series_scale: float = 1.0
    log_x: bool = False
    log_y: bool = False
    claims: tuple[Claim, ...] = ()
    plotter: str | None = None
    trial_fraction: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.sweep, SweepSpec):
            raise ValueError(f"sweep: must be a SweepSpec, got {type(self.sweep).__name__}")
        available = set(self.sweep.metrics) | (
            {"detection_probability"} if self.sweep.p_fa is not None else set())
        for what, metric in (("y_metric", self.y_metric), ("x_metric", self.x_metric)):
            if metric is not None and metric not in available:
                raise ValueError(f"{what}: {metric!r} is not summarised by the sweep "
                                 f"(metrics {sorted(available)})")
        for name in ("x_scale", "y_scale", "series_scale"):
            value = getattr(self, name)
            if not (isinstance(value, numbers.Real) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name}: must be a finite number > 0, got {value!r}")
        unknown = set(self.scheme_labels) - set(self.sweep.schemes)
        if unknown:
            raise ValueError(f"scheme_labels: unknown scheme(s) {sorted(unknown)}")
        object.__setattr__(self, "scheme_labels", dict(self.scheme_labels))
        object.__setattr__(self, "claims", tuple(self.claims))

    @property
    def name(self) -> str:
        return self.sweep.name

    def scheme_label(self, scheme: str) -> str:
        return self.scheme_labels.get(scheme, scheme)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FigureSpec:
        """A sweep table with a ``[plot]`` table (keys: the FigureSpec fields except ``sweep``
        and ``claims``)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"data: must be a mapping (the TOML layout), got {type(data).__name__}")
        if not isinstance(data.get("plot", {}), Mapping):
            raise ValueError("plot: must be a table of FigureSpec fields")
        plot = dict(data.get("plot", {}))
        sweep = SweepSpec.from_dict({k: v for k, v in data.items() if k != "plot"})
        allowed = {f.name for f in dataclasses.fields(cls)} - {"sweep", "claims"}
        unknown = sorted(map(str, set(plot) - allowed))
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: unknown plot key(s) (in [plot]); known: "
                             f"{', '.join(sorted(allowed))}")
        plot.setdefault("title", sweep.name)
        plot.setdefault("y_metric", sweep.metrics[0])
        plot.setdefault("y_label", plot["y_metric"])
        plot.setdefault("x_label", sweep.x_param)
        return cls(sweep=sweep, **plot)


def load_spec(path: str | PathLike[str], *, trials: int | None = None,
              seed: int | None = None) -> FigureSpec:
    """Read a sweep TOML file (see ``docs/experiments.md``) as a FigureSpec (a missing
    ``[plot]`` table gets labels from the parameter and metric names).  ``trials`` and ``seed``
    override the file's values."""
    with open(path, "rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"path: {path} is not valid TOML ({exc})") from None
    if trials is not None:
        data["trials"] = trials
    if seed is not None:
        data["seed"] = seed
    return FigureSpec.from_dict(data)


def with_overrides(spec: FigureSpec, *, trials: int | None = None,
                   seed: int | None = None) -> FigureSpec:
    """A copy of ``spec`` with another number of trials and/or root seed."""
    changes: dict[str, Any] = {}
    if trials is not None:
        changes["trials"] = max(2, math.ceil(trials * spec.trial_fraction))
    if seed is not None:
        changes["seed"] = seed
    if not changes:
        return spec
    return dataclasses.replace(spec, sweep=dataclasses.replace(spec.sweep, **changes))
