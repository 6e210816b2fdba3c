"""The wheel builds from this checkout and works in a fresh virtual environment."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "pyproject.toml").exists(), reason="needs the source checkout")
def test_wheel_installs_and_imports_in_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    # the fresh venv sees neither pip settings nor a PYTHONPATH that could import the checkout
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIP_") and k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-w", str(dist),
                    "--quiet"], check=True, env=env)
    wheels = list(dist.glob("pyiscc-*.whl"))
    assert len(wheels) == 1, wheels
    target = tmp_path / "fresh"
    venv.create(target, with_pip=True, system_site_packages=False)
    py = target / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(wheels[0])], check=True, env=env)
    code = ("import numpy as np, pyiscc as pi; net = pi.draw_network(seed=3); "
            "ev = pi.evaluate(net, pi.max_sensing_beams(net), np.zeros((3, 9)), np.zeros((3, 9))); "
            "print(pi.__version__, pi.__file__, round(ev.mean_latency, 5))")
    out = subprocess.run([str(py), "-c", code], check=True, capture_output=True, text=True,
                         cwd=tmp_path, env=env).stdout.split()
    assert out[0] == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert str(target) in out[1]  # imported from the fresh venv, not the checkout
    assert float(out[2]) == pytest.approx(0.65536)
