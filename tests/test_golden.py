"""The golden-answer record (tests/golden.py): every solver's output on fixed inputs, bit for
bit, for each kernel build (each in a subprocess, under its own PYISCC_KERNELS)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pyiscc import _core_generic

HERE = Path(__file__).parent
BUILDS = ["generic"] + (["x86-64-v3"] if _core_generic.cpu_supports_x86_64_v3() else [])


def pinned_numerics() -> dict[str, str]:
    """The environment that makes NumPy's own arithmetic the same on every x86-64 CPU.

    Part of the record comes from NumPy (channel products, SVDs of the MRT beams, norms), whose
    results depend on the CPU it dispatches to: OpenBLAS picks its kernels by CPU model and
    NumPy its SIMD loops by CPU features, so an AVX-512 machine rounds differently from an
    AVX2 one.  The record was made with OpenBLAS's Haswell kernels and NumPy's loops up to
    x86-64-v3 (AVX2); the subprocess gets both (``OPENBLAS_CORETYPE``,
    ``NPY_DISABLE_CPU_FEATURES``; NumPy refuses to disable a feature it does not dispatch, so
    only the dispatched ones above x86-64-v3 that this CPU has are named)."""
    import numpy._core._multiarray_umath as umath

    env = {"OPENBLAS_CORETYPE": "Haswell"}
    above_v3 = [f for f in umath.__cpu_dispatch__
                if (f == "X86_V4" or f.startswith("AVX512")) and umath.__cpu_features__.get(f)]
    if above_v3:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(above_v3)
    return env


@pytest.mark.parametrize("kernels", BUILDS)
def test_answers_are_bit_identical_to_the_record(kernels, tmp_path):
    out = tmp_path / "record.npz"
    env = dict(os.environ, PYISCC_KERNELS=kernels, **pinned_numerics())
    # cwd away from the checkout: the source tree has no compiled modules.
    proc = subprocess.run([sys.executable, str(HERE / "golden.py"), "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with np.load(HERE / "data" / f"golden_{kernels.replace('-', '_')}.npz") as f:
        expected = dict(f)
    with np.load(out) as f:
        got = dict(f)
    assert sorted(got) == sorted(expected)
    differ = [key for key in expected
              if got[key].dtype != expected[key].dtype or got[key].shape != expected[key].shape
              or got[key].tobytes() != expected[key].tobytes()]
    assert not differ, f"{len(differ)} of {len(expected)} records differ, e.g. {differ[:8]}"
