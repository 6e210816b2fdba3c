"""Every tolerance of the test suite, in one place."""

from pathlib import Path

#: C++ kernel vs the NumPy transcription (DESIGN.md section 5).
KERNEL_RTOL = 1e-10
#: Invariance properties that go through a different floating-point path.
PROPERTY_RTOL = 1e-9

DATA = Path(__file__).parent / "data"
