"""Network: one drop of the system (geometry, channels, per-terminal parameters).

``draw_network`` draws a drop with the geometry and fading of DESIGN.md section 1;
``Network.from_arrays`` wraps channels that come from another simulator.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._validate import as_array
from .scenario import Scenario

__all__ = ["Network", "draw_network", "default_bs_positions", "nearest_bs", "steering_vectors"]

#: Distances are clamped below at the 1 m reference distance of rho_0 (the path-loss model
#: rho_0 / d^2 is only meaningful beyond it); a drop almost never comes that close.
MIN_DISTANCE_M = 1.0

_PAPER_BS = np.array([[0.0, 0.0], [400.0, 0.0], [200.0, 200.0 * np.sqrt(3.0)]])


def default_bs_positions(n_bs: int) -> NDArray[np.float64]:
    """BS coordinates (L, 2) [m]: the paper's three sites for L = 3, otherwise L points evenly
    spaced on the circle through them (same centre and radius, first one at the paper's
    first site)."""
    if n_bs == 3:
        return _PAPER_BS.copy()
    centre = _PAPER_BS.mean(axis=0)
    radius = float(np.linalg.norm(_PAPER_BS[0] - centre))
    start = np.arctan2(*(_PAPER_BS[0] - centre)[::-1])
    phi = start + 2.0 * np.pi * np.arange(n_bs) / n_bs
    return centre + radius * np.stack([np.cos(phi), np.sin(phi)], axis=1)


def steering_vectors(angle_rad: NDArray[np.float64], n_antennas: int,
                     spacing: float) -> NDArray[np.complex128]:
    """a(theta)_n = exp(j 2 pi alpha n sin theta), eq. (7).  angle (K,) [rad] -> (K, N)."""
    n = np.arange(n_antennas)
    return np.exp(2j * np.pi * spacing * np.outer(np.sin(angle_rad), n))


def _readonly(x: NDArray[Any]) -> NDArray[Any]:
    x.flags.writeable = False
    return x


@dataclass(frozen=True, eq=False)
class Network:
    """One drop: channels and parameters of L BSs and K terminals.

    Attributes
    ----------
    scenario : Scenario
        The parameters the network was built from.
    H : (L, K, N, M) complex
        Uplink channels; BS l receives ``H[l,k]^H w_k`` from terminal k.
    HI : (K, K, N, N) complex
        ``HI[k,j]``: channel from terminal j to the echo receiver of terminal k (diagonal 0).
    target_angle : (K,) float
        Direction theta_k of each terminal's target [rad].
    target_distance : (K,) float
        Distance d_k of each terminal's target [m].
    rcs : (K,) float
        Radar cross-section xi_k [m^2].
    task_bits : (K,) float
        Task size Z_k [bit].
    cpu_local_hz : (K,) float
        Local CPU frequency f^L_k [cycles/s].
    max_power_w : (K,) float
        Power budget P_th of each terminal [W].
    bs_positions : (L, 2) float or None
        BS coordinates [m] (None when the channels came from elsewhere).
    terminal_positions : (K, 2) float or None
        Terminal coordinates [m] (None when the channels came from elsewhere).

    All arrays are read-only copies; a Network never changes after construction.  The
    constructor (``Network(scenario, H, HI, target_angle, target_distance, rcs, task_bits,
    cpu_local_hz, max_power_w, bs_positions=None, terminal_positions=None)``) checks every array
    against the scenario's sizes, for finiteness and for its range (``ValueError`` naming it),
    exactly like :meth:`from_arrays`, and sets the diagonal blocks of ``HI`` to 0.
    """

    scenario: Scenario
    H: NDArray[np.complex128]
    HI: NDArray[np.complex128]
    target_angle: NDArray[np.float64]
    target_distance: NDArray[np.float64]
    rcs: NDArray[np.float64]
    task_bits: NDArray[np.float64]
    cpu_local_hz: NDArray[np.float64]
    max_power_w: NDArray[np.float64]
    bs_positions: NDArray[np.float64] | None = None
    terminal_positions: NDArray[np.float64] | None = None
    steering: NDArray[np.complex128] = field(init=False, repr=False)
    echo_gain: NDArray[np.float64] = field(init=False, repr=False)
    core: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Both constructors end here, so no Network exists whose data was not checked: sizes
        # against the scenario, dtypes, finiteness and ranges.  The arrays are private,
        # read-only copies (the caller's arrays are never shared).
        sc = self.scenario
        if not isinstance(sc, Scenario):
            raise ValueError(f"scenario: must be a Scenario, got {type(sc).__name__}")
        L, K = sc.n_bs, sc.n_terminals
        N, M = sc.terminal_antennas, sc.bs_antennas
        checked = {
            "H": as_array(self.H, "H", (L, K, N, M), complex),
            "HI": as_array(self.HI, "HI", (K, K, N, N), complex),
            "target_angle": as_array(self.target_angle, "target_angle", (K,), float),
            "target_distance": as_array(self.target_distance, "target_distance", (K,), float,
                                        positive=True),
            "rcs": as_array(self.rcs, "rcs", (K,), float, nonnegative=True),
            "task_bits": as_array(self.task_bits, "task_bits", (K,), float, positive=True),
            "cpu_local_hz": as_array(self.cpu_local_hz, "cpu_local_hz", (K,), float,
                                     positive=True),
            "max_power_w": as_array(self.max_power_w, "max_power_w", (K,), float, positive=True),
        }
        checked["HI"][np.arange(K), np.arange(K)] = 0.0
        if self.bs_positions is not None:
            checked["bs_positions"] = as_array(self.bs_positions, "bs_positions", (L, 2), float)
        if self.terminal_positions is not None:
            checked["terminal_positions"] = as_array(self.terminal_positions,
                                                     "terminal_positions", (K, 2), float)
        for name, value in checked.items():
            object.__setattr__(self, name, _readonly(value))
        steering = _readonly(steering_vectors(self.target_angle, N, sc.antenna_spacing))
        # G_p zeta_k^2 N with zeta_k^2 = rho_0 xi_k / d_k^4 (resolutions 1-2); N from tr(A w w^H A^H).
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            zeta2 = sc.path_loss * self.rcs / self.target_distance ** 4
            echo_gain = _readonly(sc.processing_gain * zeta2 * sc.terminal_antennas)
            derived = (("cpu_local_hz", self.local_cpu_power_w),
                       ("task_bits", sc.cycles_per_bit * self.task_bits / self.cpu_local_hz))
        if not np.isfinite(echo_gain).all():
            raise ValueError("target_distance: too small for the echo gain rho_0 xi G_p N / d^4 "
                             "to be finite")
        for name, value in derived:
            if not np.isfinite(value).all():
                raise ValueError(f"{name}: out of the model's range (a derived quantity overflows)")
        object.__setattr__(self, "steering", steering)
        object.__setattr__(self, "echo_gain", echo_gain)
        core = _core.NetworkCore(self.H, self.HI, steering, echo_gain, self.task_bits,
                                 self.cpu_local_hz, sc.noise_power_w, sc.bandwidth_hz,
                                 sc.cycles_per_bit, sc.cpu_mec_hz, sc.cpu_cloud_hz,
                                 sc.backhaul_bps, sc.chip_coefficient)
        object.__setattr__(self, "core", core)

    @cached_property
    def _uplink_dominant(self) -> tuple[NDArray[np.float64], NDArray[np.complex128]]:
        """Largest squared singular value (L, K) and dominant left singular vector (L, K, N),
        up to a phase, of every ``H[l,k]`` (:func:`pyiscc.beams.dominant_left_vectors`): the
        MRT directions, computed on first use and kept (the channels never change)."""
        from .beams import dominant_left_vectors

        lam, u = dominant_left_vectors(self.H)
        return _readonly(lam), _readonly(u)

    # ------------------------------------------------------------------ sizes
    @property
    def n_bs(self) -> int:
        """L."""
        return self.H.shape[0]

    @property
    def n_terminals(self) -> int:
        """K."""
        return self.H.shape[1]

    @property
    def terminal_antennas(self) -> int:
        """N."""
        return self.H.shape[2]

    @property
    def bs_antennas(self) -> int:
        """M."""
        return self.H.shape[3]

    @property
    def noise_power_w(self) -> float:
        """sigma^2 = N0 B [W]."""
        return self.scenario.noise_power_w

    @cached_property
    def local_cpu_power_w(self) -> NDArray[np.float64]:
        """eta (f^L_k)^3 [W], (K,) (computed on first use and kept, read-only)."""
        return _readonly(self.scenario.chip_coefficient * self.cpu_local_hz ** 3)

    @cached_property
    def _nearest_bs(self) -> NDArray[np.int64]:
        """:func:`nearest_bs`, computed on first use and kept (read-only)."""
        if self.bs_positions is not None and self.terminal_positions is not None:
            d = np.linalg.norm(self.bs_positions[:, None, :] - self.terminal_positions[None],
                               axis=-1)  # (L, K)
            return _readonly(np.argmin(d, axis=0).astype(np.int64))
        return _readonly(np.argmax(np.linalg.norm(self.H, axis=(2, 3)), axis=0).astype(np.int64))

    def __repr__(self) -> str:
        return (f"Network(L={self.n_bs}, K={self.n_terminals}, M={self.bs_antennas}, "
                f"N={self.terminal_antennas})")

    def plot(self, ax=None):
        """Map of the drop (BSs, terminals, targets and their directions): see
        :func:`pyiscc.plotting.plot_network` (matplotlib is imported there, on first use).
        Returns the matplotlib Axes."""
        from .plotting import plot_network

        return plot_network(self, ax)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(cls, scenario: Scenario, H: ArrayLike, HI: ArrayLike, target_angle: ArrayLike,
                    target_distance: ArrayLike, rcs: ArrayLike, *,
                    task_bits: ArrayLike | None = None, cpu_local_hz: ArrayLike | None = None,
                    max_power_w: ArrayLike | None = None, bs_positions: ArrayLike | None = None,
                    terminal_positions: ArrayLike | None = None) -> Network:
        """Build a network from channels computed elsewhere.

        Parameters
        ----------
        scenario : Scenario
            Supplies the sizes (checked against the arrays) and every scalar parameter.
        H : (L, K, N, M) complex
            Uplink channels (paper H_lk).
        HI : (K, K, N, N) complex
            Terminal-to-echo-receiver channels; the diagonal blocks are ignored (set to 0).
        target_angle : (K,) float
            Target directions [rad].
        target_distance : (K,) float
            Target distances [m], > 0.
        rcs : (K,) float
            Radar cross-sections [m^2], >= 0.
        task_bits, cpu_local_hz, max_power_w : (K,) float, optional
            Heterogeneous terminals; default to the scenario's values for every terminal.
        bs_positions : (L, 2), terminal_positions : (K, 2), optional
            Coordinates [m], informational only.
        """
        if not isinstance(scenario, Scenario):
            raise ValueError(f"scenario: must be a Scenario, got {type(scenario).__name__}")
        K = scenario.n_terminals

        def per_terminal(value: ArrayLike | None, name: str, default: float) -> ArrayLike:
            if value is None:
                return np.full(K, default)
            if np.ndim(value) == 0:
                return np.broadcast_to(value, (K,))
            return value  # checked (shape, sign) by the constructor

        return cls(scenario, H, HI, target_angle, target_distance, rcs,
                   per_terminal(task_bits, "task_bits", scenario.task_bits),
                   per_terminal(cpu_local_hz, "cpu_local_hz", scenario.cpu_local_hz),
                   per_terminal(max_power_w, "max_power_w", scenario.max_power_w),
                   bs_positions, terminal_positions)


def nearest_bs(network: Network) -> NDArray[np.int64]:
    """Index of each terminal's nearest BS (smallest distance; without positions, as for
    ``Network.from_arrays`` without coordinates, the strongest channel ``||H[l,k]||_F``).  (K,)."""
    return network._nearest_bs


def _seeded_rng(seed: Any) -> np.random.Generator:
    """``numpy.random.default_rng(seed)`` for a seed that is None, an integer >= 0, a sequence
    of them or a ``SeedSequence``; otherwise ``ValueError`` naming ``seed``."""
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    try:
        ints = [seed] if np.ndim(seed) == 0 else (list(np.ravel(seed)) if np.size(seed) else [None])
    except (TypeError, ValueError):  # ragged nested sequences
        ints = [None]
    for x in ints:
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral) or x < 0:
            raise ValueError(f"seed: must be None, an integer >= 0, a sequence of them or a "
                             f"numpy.random.SeedSequence, got {seed!r}")
    return np.random.default_rng(seed)


def draw_network(scenario: Scenario | None = None, seed: int | None = None,
                 rng: np.random.Generator | None = None) -> Network:
    """Draw one drop with the geometry and fading of DESIGN.md section 1.

    Parameters
    ----------
    scenario : Scenario, optional
        Defaults to ``Scenario()`` (Table III).
    seed : int, sequence of int or numpy.random.SeedSequence, optional
        Seed (integers >= 0) of a fresh ``numpy.random.default_rng``; give either ``seed`` or
        ``rng``.
    rng : numpy.random.Generator, optional
        Generator to draw from (advanced by the draw).

    Notes
    -----
    Draw order (fixed, so a seed always gives the same drop): terminal positions (K, 2),
    target angles, target distances, RCS, the small-scale fading of H (L, K, N, M) and of
    HI (K, K, N, N), each CN(0, 1).
    """
    if scenario is None:
        scenario = Scenario()
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario: must be a Scenario, got {type(scenario).__name__}")
    if seed is not None and rng is not None:
        raise ValueError("seed, rng: give either seed or rng, not both")
    if rng is None:
        rng = _seeded_rng(seed)
    elif not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    sc = scenario
    L, K, N, M = sc.n_bs, sc.n_terminals, sc.terminal_antennas, sc.bs_antennas
    bs = (np.array(sc.bs_positions, dtype=float) if sc.bs_positions is not None
          else default_bs_positions(L))
    centre = bs.mean(axis=0)
    terminals = centre + (rng.random((K, 2)) - 0.5) * sc.area_m
    angle = np.deg2rad(rng.uniform(*sc.target_angle_deg, size=K))
    distance = rng.uniform(*sc.target_distance_m, size=K)
    rcs = rng.uniform(*sc.rcs_range, size=K)

    def cn(shape: tuple[int, ...]) -> NDArray[np.complex128]:
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)

    d_bs = np.maximum(np.linalg.norm(bs[:, None, :] - terminals[None, :, :], axis=-1), MIN_DISTANCE_M)
    H = np.sqrt(sc.path_loss / d_bs ** 2)[:, :, None, None] * cn((L, K, N, M))
    d_tt = np.maximum(np.linalg.norm(terminals[:, None, :] - terminals[None, :, :], axis=-1),
                      MIN_DISTANCE_M)
    HI = np.sqrt(sc.path_loss / d_tt ** 2)[:, :, None, None] * cn((K, K, N, N))
    HI[np.arange(K), np.arange(K)] = 0.0
    return Network.from_arrays(sc, H, HI, angle, distance, rcs, bs_positions=bs,
                               terminal_positions=terminals)
