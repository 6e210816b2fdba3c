"""The two builds of the compiled kernels (pyiscc/_core.py): which one is chosen, the override,
and that both give the same answers (to rounding: the x86-64-v3 build fuses multiply-adds)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import pyiscc as pi
from pyiscc import _core, _core_generic
from tolerances import KERNEL_BUILDS_BEAMS_RTOL, KERNEL_BUILDS_RTOL

SEEDS = (0, 1, 2)

# Solved in a subprocess under a given PYISCC_KERNELS; prints the answers as JSON.
_SOLVE = """
import json, pyiscc as pi
from pyiscc import _core
out = {"kernels": _core.KERNELS, "drops": []}
for seed in %r:
    sol = pi.solve(pi.draw_network(pi.Scenario(), seed=seed))
    out["drops"].append({"total": sol.total_latency, "a": sol.a.tolist(), "b": sol.b.tolist(),
                         "w_re": sol.w.real.tolist(), "w_im": sol.w.imag.tolist(),
                         "status": sol.status})
print(json.dumps(out))
""" % (SEEDS,)


def _run(code: str, kernels: str, cwd) -> subprocess.CompletedProcess[str]:
    # cwd away from the checkout: `python -c` puts the cwd first on sys.path, and the source
    # tree has no compiled modules.
    env = dict(os.environ, PYISCC_KERNELS=kernels)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_auto_picks_the_fastest_build_the_cpu_can_run():
    try:
        import pyiscc._core_x86_64_v3  # noqa: F401
        built = True
    except ImportError:
        built = False
    expected = "x86-64-v3" if built and _core_generic.cpu_supports_x86_64_v3() else "generic"
    if os.environ.get("PYISCC_KERNELS", "auto") == "auto":
        assert _core.KERNELS == expected
    assert _core.__version__ == pi.__version__ == _core_generic.__version__


def test_generic_override(tmp_path):
    proc = _run("from pyiscc import _core; print(_core.KERNELS)", "generic", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "generic"


def test_bad_override_names_the_variable(tmp_path):
    proc = _run("import pyiscc", "avx9000", tmp_path)
    assert proc.returncode != 0
    assert "ValueError" in proc.stderr and "PYISCC_KERNELS" in proc.stderr


@pytest.mark.skipif(not _core_generic.cpu_supports_x86_64_v3(), reason="CPU lacks x86-64-v3")
def test_both_builds_give_the_same_solutions(tmp_path):
    answers = {}
    for kernels in ("generic", "x86-64-v3"):
        proc = _run(_SOLVE, kernels, tmp_path)
        assert proc.returncode == 0, proc.stderr
        answers[kernels] = json.loads(proc.stdout)
        assert answers[kernels]["kernels"] == kernels
    for g, v in zip(answers["generic"]["drops"], answers["x86-64-v3"]["drops"]):
        assert g["status"] == v["status"]
        assert g["a"] == v["a"] and g["b"] == v["b"]
        np.testing.assert_allclose(v["total"], g["total"], rtol=KERNEL_BUILDS_RTOL, atol=0)
        wg = np.asarray(g["w_re"]) + 1j * np.asarray(g["w_im"])
        wv = np.asarray(v["w_re"]) + 1j * np.asarray(v["w_im"])
        assert np.linalg.norm(wv - wg) <= KERNEL_BUILDS_BEAMS_RTOL * np.linalg.norm(wg)
