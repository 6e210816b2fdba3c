"""Reference ("peer") implementation of DCET-ISCC in CVXPY + Clarabel, for benchmarks only.

Written the way a researcher following the paper would (every sub-problem through CVX), with the
same procedure, settings and stopping rules as ``pyiscc.solve(net, "dcet-iscc")`` so the answers
are comparable (docs/algorithms.md).  It uses pyiscc only for the model (``draw_network``,
``mode_latencies``, ``max_sensing_beams``, ``evaluate`` and the network arrays), never a pyiscc
solver.  Not part of the installed package.

- :mod:`peers.offloading`: Algorithm 1 (consensus ADMM, local step (29) in CVXPY, binary recovery).
- :mod:`peers.beamforming`: Algorithm 2 (FP / WMMSE / SCA, one complex CVXPY problem (56) per
  terminal).
- :mod:`peers.dcet`: the BCD loop.
"""

from .beamforming import PeerBeamforming, peer_beamforming
from .dcet import PeerSolution, peer_solve
from .offloading import LocalStepCvxpy, PeerOffloading, peer_offloading

__all__ = ["LocalStepCvxpy", "PeerBeamforming", "PeerOffloading", "PeerSolution",
           "peer_beamforming", "peer_offloading", "peer_solve"]
