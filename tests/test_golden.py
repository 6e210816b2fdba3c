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


@pytest.mark.parametrize("kernels", BUILDS)
def test_answers_are_bit_identical_to_the_record(kernels, tmp_path):
    out = tmp_path / "record.npz"
    env = dict(os.environ, PYISCC_KERNELS=kernels)
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
