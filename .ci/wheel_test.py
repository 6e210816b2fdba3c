"""Smoke test of an installed pyiscc wheel (cibuildwheel's test-command and .ci/wheel_smoke.sh).

Run it from outside the source tree with the wheel installed: it checks that pyiscc is imported
from site-packages, that the kernel builds the wheel should hold are there (both on x86-64),
that the build ``pyiscc._core`` picked is the one this CPU should get, that ``import pyiscc``
loads no plotting or table library, and that a small drop solves to a feasible answer.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np

import pyiscc as pi
from pyiscc import _core

here = Path(pi.__file__).resolve().parent
if "site-packages" not in here.parts:
    sys.exit(f"pyiscc imported from {here}, not from an installed wheel")
heavy = sorted(m for m in ("matplotlib", "pandas", "tqdm") if m in sys.modules)
if heavy:
    sys.exit(f"import pyiscc imported {heavy}")

modules = sorted(p.name for p in here.glob("_core_*.so"))
print("kernel modules:", *modules)
x86 = platform.machine().lower() in ("x86_64", "amd64")
wanted = ["_core_generic", "_core_x86_64_v3"] if x86 else ["_core_generic"]
found = sorted(name.split(".")[0] for name in modules)
if found != wanted:
    sys.exit(f"kernel modules {found}, expected {wanted}")
generic = __import__("pyiscc._core_generic", fromlist=["_"])
expected = "x86-64-v3" if x86 and generic.cpu_supports_x86_64_v3() else "generic"
print("kernels in use:", _core.KERNELS, "(expected", expected + ")")
if _core.KERNELS != expected:
    sys.exit(f"pyiscc._core chose {_core.KERNELS}, expected {expected}")

net = pi.draw_network(pi.Scenario(n_terminals=6), seed=3)
zeros = np.zeros((net.n_bs, net.n_terminals))
ev = pi.evaluate(net, pi.max_sensing_beams(net), zeros, zeros)
sol = pi.solve(net, "dcet-iscc")
print(f"pyiscc {pi.__version__}: all-local {1e3 * ev.mean_latency:.3f} ms, dcet-iscc {sol!r}")
if not (sol.feasible and sol.mean_latency < ev.mean_latency):
    sys.exit("dcet-iscc gave no feasible improvement over local execution")
print("wheel smoke test: OK")
