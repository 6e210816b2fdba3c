"""pyiscc: joint computation offloading and ISAC beamforming for three-tier
(cloud / edge / terminal) integrated sensing, communication and computing systems.

Quick start::

    import pyiscc as pi
    net = pi.draw_network(pi.Scenario(), seed=7)
    ev = pi.evaluate(net, pi.max_sensing_beams(net), a, b)
    sol = pi.solve(net, scheme="dcet-iscc")
"""

from __future__ import annotations

from ._core import __version__
from . import qcqp
from .beamforming import BeamformingResult, optimize_beamforming
from .beams import max_sensing_beams, max_ratio_beams, sensing_limited_beams
from .metrics import Evaluation, Violation, evaluate
from .network import Network, draw_network
from .offloading import OffloadingResult, optimal_offloading, optimize_offloading
from .joint import optimize_beamforming_centralized
from .scenario import Scenario
from .solve import SCHEMES, Solution, solve

__all__ = [
    "BeamformingResult",
    "Evaluation",
    "Network",
    "OffloadingResult",
    "SCHEMES",
    "Scenario",
    "Solution",
    "Violation",
    "__version__",
    "draw_network",
    "evaluate",
    "max_ratio_beams",
    "max_sensing_beams",
    "sensing_limited_beams",
    "optimal_offloading",
    "optimize_beamforming",
    "optimize_beamforming_centralized",
    "optimize_offloading",
    "qcqp",
    "solve",
]
