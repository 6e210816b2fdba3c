"""Scenario: every parameter of the system model, with the paper's Table III defaults.

All quantities are SI (Hz, s, W via the dBm fields, m).  A Scenario is frozen and validated on
construction: a bad value raises ``ValueError`` naming the field.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import numbers
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np

__all__ = ["Scenario"]


def _db_to_linear(db: float) -> float:
    try:
        return 10.0 ** (db / 10.0)
    except OverflowError:
        return math.inf


@dataclass(frozen=True)
class Scenario:
    """Parameters of one three-tier ISCC system (the paper's Section II and Table III).

    Attributes
    ----------
    n_bs : int
        Number of base stations L, each with one MEC server.
    n_terminals : int
        Number of ISAC terminals K.
    bs_antennas : int
        Antennas per BS, M.
    terminal_antennas : int
        Transmit (= receive) antennas per terminal, N.
    bandwidth_hz : float
        Signal bandwidth B [Hz].
    cycles_per_bit : float
        Task computation intensity beta [cycles/bit].
    accumulation_time_s : float
        Echo accumulation time t_s [s]; task size Z = B t_s bits_per_sample.
    bits_per_sample : float
        Bits stored per complex sample of the sensing data [bit].
    path_loss_db : float
        Path loss rho_0 at the reference distance 1 m [dB].
    cpu_local_hz, cpu_mec_hz, cpu_cloud_hz : float
        CPU frequency of a terminal f^L, allocated by an MEC server f^E and by the cloud f^C
        [cycles/s].
    max_power_dbm : float
        Terminal power budget P_th [dBm].
    noise_psd_dbm_hz : float
        Noise power spectral density N0 [dBm/Hz]; noise power sigma^2 = N0 B.
    chip_coefficient : float
        Effective switched capacitance eta of the terminal CPU [W s^3/cycle^3].
    backhaul_bps : float
        MEC-to-cloud fibre rate r^f [bit/s].
    mec_capacity_hz : float
        Computation capacity G_l of every MEC server [cycles/s].
    sensing_sinr_db : float
        Echo-SINR threshold Gamma_r [dB].
    antenna_spacing : float
        Terminal array spacing alpha [wavelengths].
    echo_integration : bool
        Apply the matched-filter integration gain G_p = B t_s to the echo SINR (DESIGN.md
        resolution 2).  ``False`` gives the paper's per-sample eq. (8) literally.
    area_m : float
        Side of the square in which terminals are dropped [m].
    bs_positions : tuple of (x, y) or None
        BS coordinates [m]; ``None`` places them on the circle through (0,0), (400,0),
        (200, 200 sqrt 3) (exactly those three for L = 3).
    target_angle_deg, target_distance_m, rcs_range : (low, high)
        Uniform ranges of each terminal's target direction [deg], distance [m] and RCS xi [m^2].
    """

    n_bs: int = 3
    n_terminals: int = 9
    bs_antennas: int = 16
    terminal_antennas: int = 8
    bandwidth_hz: float = 10e6
    cycles_per_bit: float = 400.0
    accumulation_time_s: float = 0.64e-3
    bits_per_sample: float = 128.0
    path_loss_db: float = -60.0
    cpu_local_hz: float = 0.5e9
    cpu_mec_hz: float = 3e9
    cpu_cloud_hz: float = 10e9
    max_power_dbm: float = 30.0
    noise_psd_dbm_hz: float = -174.0
    chip_coefficient: float = 1e-28
    backhaul_bps: float = 10e6
    mec_capacity_hz: float = 9e9
    sensing_sinr_db: float = 2.0
    antenna_spacing: float = 0.5
    echo_integration: bool = True
    area_m: float = 1000.0
    bs_positions: tuple[tuple[float, float], ...] | None = None
    target_angle_deg: tuple[float, float] = (0.0, 180.0)
    target_distance_m: tuple[float, float] = (30.0, 70.0)
    rcs_range: tuple[float, float] = field(default=(0.8, 1.0))

    # ------------------------------------------------------------------ validation
    def __post_init__(self) -> None:
        for name in ("n_bs", "n_terminals", "bs_antennas", "terminal_antennas"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise ValueError(f"{name} must be an integer, got {value!r}")
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
            object.__setattr__(self, name, int(value))
        positive = ("bandwidth_hz", "cycles_per_bit", "accumulation_time_s", "bits_per_sample",
                    "cpu_local_hz", "cpu_mec_hz", "cpu_cloud_hz", "backhaul_bps", "area_m",
                    "antenna_spacing")
        nonnegative = ("chip_coefficient", "mec_capacity_hz")
        anysign = ("path_loss_db", "max_power_dbm", "noise_psd_dbm_hz", "sensing_sinr_db")
        for name in positive + nonnegative + anysign:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"{name} must be a real number, got {value!r}")
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value}")
            if name in positive and value <= 0:
                raise ValueError(f"{name} must be > 0, got {value}")
            if name in nonnegative and value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
            object.__setattr__(self, name, value)
        if not isinstance(self.echo_integration, (bool, np.bool_)):
            raise ValueError(f"echo_integration must be a bool, got {self.echo_integration!r}")
        object.__setattr__(self, "echo_integration", bool(self.echo_integration))
        for name, lo_min, hi_max in (("target_angle_deg", -90.0, 270.0),
                                     ("target_distance_m", 0.0, math.inf),
                                     ("rcs_range", 0.0, math.inf)):
            object.__setattr__(self, name, self._range(name, getattr(self, name), lo_min, hi_max))
        if self.target_distance_m[0] <= 0:
            raise ValueError(f"target_distance_m must be > 0, got {self.target_distance_m}")
        if self.bs_positions is not None:
            try:
                pos = tuple((float(x), float(y)) for x, y in self.bs_positions)
            except (TypeError, ValueError):
                raise ValueError("bs_positions must be a sequence of (x, y) pairs") from None
            if len(pos) != self.n_bs:
                raise ValueError(f"bs_positions has {len(pos)} entries but n_bs = {self.n_bs}")
            if not all(math.isfinite(c) for p in pos for c in p):
                raise ValueError("bs_positions must be finite")
            object.__setattr__(self, "bs_positions", pos)
        self._check_derived()

    def _check_derived(self) -> None:
        """The linear quantities the model uses must be finite and > 0 (a dB value of 4000, or
        a product that overflows, would turn into inf or 0 deep inside a solver)."""
        for name, value in (("max_power_dbm", self.max_power_w),
                            ("path_loss_db", self.path_loss),
                            ("sensing_sinr_db", self.sensing_sinr),
                            ("noise_psd_dbm_hz", self.noise_power_w),
                            ("bandwidth_hz", self.task_bits),
                            ("bandwidth_hz", self.processing_gain),
                            ("cpu_local_hz", self.local_cpu_power_w + 1.0),
                            ("mec_capacity_hz", self.mec_slots + 1.0)):
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name}: gives a model quantity of {value!r} (it must be finite "
                                 "and > 0); the value is out of the model's range")

    @staticmethod
    def _range(name: str, value: Any, lo_min: float, hi_max: float) -> tuple[float, float]:
        try:
            lo, hi = (float(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a (low, high) pair, got {value!r}") from None
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi or lo < lo_min or hi > hi_max:
            raise ValueError(f"{name} must satisfy {lo_min} <= low <= high <= {hi_max}, got {value!r}")
        return (lo, hi)

    # ------------------------------------------------------------------ derived quantities
    @property
    def task_bits(self) -> float:
        """Task size Z = B t_s bits_per_sample [bit] (819,200 bit = 100 KiB at Table III)."""
        return self.bandwidth_hz * self.accumulation_time_s * self.bits_per_sample

    @property
    def noise_power_w(self) -> float:
        """Noise power sigma^2 = N0 B [W], at the BSs and at the echo receivers."""
        return _db_to_linear(self.noise_psd_dbm_hz - 30.0) * self.bandwidth_hz

    @property
    def max_power_w(self) -> float:
        """Power budget P_th [W]."""
        return _db_to_linear(self.max_power_dbm - 30.0)

    @property
    def path_loss(self) -> float:
        """Reference path loss rho_0 (linear)."""
        return _db_to_linear(self.path_loss_db)

    @property
    def sensing_sinr(self) -> float:
        """Echo-SINR threshold Gamma_r (linear)."""
        return _db_to_linear(self.sensing_sinr_db)

    @property
    def processing_gain(self) -> float:
        """Echo integration gain G_p = B t_s (1 when ``echo_integration`` is False)."""
        return self.bandwidth_hz * self.accumulation_time_s if self.echo_integration else 1.0

    @property
    def local_cpu_power_w(self) -> float:
        """Computing power of local execution eta (f^L)^3 [W], eq. (11)."""
        return self.chip_coefficient * self.cpu_local_hz ** 3

    @property
    def mec_slots(self) -> float:
        """Tasks one MEC server can host, G_l / f^E."""
        return self.mec_capacity_hz / self.cpu_mec_hz

    # ------------------------------------------------------------------ conversions
    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed (validated like the constructor)."""
        _check_known(changes)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dict of every field (tuples become lists): JSON and TOML friendly."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``."""
        if not isinstance(data, Mapping):
            raise ValueError(f"data: must be a mapping of Scenario fields, got {type(data).__name__}")
        _check_known(data)
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            if name == "bs_positions" and value is not None:
                try:
                    value = tuple(tuple(p) for p in value)
                except TypeError:
                    raise ValueError("bs_positions must be a sequence of (x, y) pairs") from None
            elif isinstance(value, list):
                value = tuple(value)
            kwargs[name] = value
        return cls(**kwargs)

    @classmethod
    def at_density(cls, n_terminals: int, n_bs: int, *, terminals_per_km2: float = 9.0,
                   **fields: Any) -> Scenario:
        """A scenario of ``n_terminals`` terminals at a given density, the ``n_bs`` BSs at the
        centres of a near-square grid of cells over the square (the large networks of
        bench/scale.py: their cost grows with K at Table III's density, not in its 1 km^2).

        Parameters
        ----------
        n_terminals, n_bs : int
            K and L.
        terminals_per_km2 : float
            Terminals per km^2; the default is Table III's (9 in 1 km^2).  The square's side
            ``area_m`` is ``1000 sqrt(K / density)`` [m].
        **fields
            Any other Scenario field (e.g. ``bs_antennas=64``); not ``area_m`` or
            ``bs_positions``, which this sets.

        Examples
        --------
        >>> sc = Scenario.at_density(40, 5, bs_antennas=16)
        >>> round(sc.area_m, 1), len(sc.bs_positions)
        (2108.2, 5)
        """
        for name in ("area_m", "bs_positions"):
            if name in fields:
                raise ValueError(f"{name}: set by at_density from n_terminals and the density")
        _check_known(fields)
        for name, value in (("n_terminals", n_terminals), ("n_bs", n_bs)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if not (isinstance(terminals_per_km2, (int, float, np.number))
                and np.isfinite(terminals_per_km2) and terminals_per_km2 > 0):
            raise ValueError(f"terminals_per_km2 must be finite and > 0, got {terminals_per_km2!r}")
        side = 1000.0 * float(np.sqrt(n_terminals / terminals_per_km2))
        cols = int(np.ceil(np.sqrt(n_bs)))
        rows = int(np.ceil(n_bs / cols))
        cells = [((c + 0.5) * side / cols, (r + 0.5) * side / rows)
                 for r in range(rows) for c in range(cols)]
        return cls(n_terminals=int(n_terminals), n_bs=int(n_bs), area_m=side,
                   bs_positions=tuple(cells[:n_bs]), **fields)

    @classmethod
    def from_toml(cls, path: str | PathLike[str]) -> Scenario:
        """Read a scenario from a TOML file: top-level keys, or a ``[scenario]`` table."""
        with open(path, "rb") as fh:
            try:
                data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"path: {path} is not valid TOML ({exc})") from None
        if "scenario" in data and isinstance(data["scenario"], dict):
            data = data["scenario"]
        return cls.from_dict(data)


_FIELDS = tuple(f.name for f in dataclasses.fields(Scenario))
_dataclass_init = Scenario.__init__


def _check_known(names: Any) -> None:
    """ValueError naming the first of ``names`` that is not a Scenario field."""
    unknown = [n for n in names if n not in _FIELDS]
    if unknown:
        raise ValueError(f"{', '.join(map(str, unknown))}: unknown Scenario field"
                         f"{'s' if len(unknown) > 1 else ''}; the fields are {', '.join(_FIELDS)}")


def _init(self: Scenario, *args: Any, **kwargs: Any) -> None:
    # The generated __init__ raises TypeError for an unknown keyword; the convention here is a
    # ValueError that names it (replace() and from_dict() give the same one).
    if kwargs:
        _check_known(kwargs)
    if len(args) > len(_FIELDS):
        raise ValueError(f"args: Scenario takes at most {len(_FIELDS)} positional arguments, "
                         f"got {len(args)}")
    twice = [n for n in _FIELDS[:len(args)] if n in kwargs]
    if twice:
        raise ValueError(f"{twice[0]}: given both by position and by keyword")
    _dataclass_init(self, *args, **kwargs)


_init.__doc__ = _dataclass_init.__doc__
_init.__signature__ = inspect.signature(_dataclass_init)  # type: ignore[attr-defined]
Scenario.__init__ = _init  # type: ignore[method-assign]
