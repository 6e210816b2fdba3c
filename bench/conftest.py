"""Benchmarks live outside the default test paths; the NumPy reference lives in tests/."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
