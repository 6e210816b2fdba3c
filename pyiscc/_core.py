"""The compiled kernels (cpp/), from the build that suits this CPU.

The kernels are compiled twice (CMakeLists.txt): ``_core_generic`` for the compiler's default
target (portable; SSE2 on x86-64) and, on x86-64, ``_core_x86_64_v3`` for the x86-64-v3 level
(AVX2 + FMA), about 1.2x faster on Algorithm 2.  This module re-exports the fastest one this CPU
can run.  The environment variable ``PYISCC_KERNELS`` overrides the choice:

``auto`` (default)
    ``x86-64-v3`` when the CPU supports it and that build exists, else ``generic``.
``generic``
    the portable build everywhere.  Use it on a cluster of mixed CPUs when results must agree to
    the last bit across nodes: the two builds round differently (fused multiply-add), so their
    results agree only to rounding (measured: 1e-12 relative on Algorithm 2's objective).
``x86-64-v3``
    the AVX2 + FMA build; ImportError if it is missing or the CPU cannot run it.

``KERNELS`` names the build in use.  Users import :mod:`pyiscc`, never this module.
"""

from __future__ import annotations

import importlib
import os

try:
    from . import _core_generic
except ImportError as exc:  # e.g. `python -c` run inside a source checkout
    raise ImportError(
        f"pyiscc's compiled kernels are missing next to {__file__}: install the package "
        "(`pip install .`) and import it from outside the source tree") from exc

_CHOICES = ("auto", "generic", "x86-64-v3")


def _select() -> tuple[object, str]:
    choice = os.environ.get("PYISCC_KERNELS", "auto").strip().lower() or "auto"
    if choice not in _CHOICES:
        raise ValueError(f"PYISCC_KERNELS must be one of {', '.join(_CHOICES)}; got {choice!r}")
    if choice == "generic":
        return _core_generic, "generic"
    supported = bool(_core_generic.cpu_supports_x86_64_v3())
    try:
        fast = importlib.import_module("._core_x86_64_v3", __package__) if supported else None
    except ImportError:
        if choice == "x86-64-v3":
            raise
        fast = None
    if fast is not None:
        return fast, "x86-64-v3"
    if choice == "x86-64-v3":
        raise ImportError("PYISCC_KERNELS=x86-64-v3, but this CPU cannot run the x86-64-v3 "
                          "(AVX2 + FMA) build of pyiscc's kernels")
    return _core_generic, "generic"


_module, KERNELS = _select()
globals().update({name: value for name, value in vars(_module).items() if not name.startswith("__")})
__version__: str = _module.__version__  # type: ignore[attr-defined]
__doc__ = f"{__doc__}\nIn use: {KERNELS} ({_module.__name__}).\n"  # type: ignore[attr-defined]
del _module
