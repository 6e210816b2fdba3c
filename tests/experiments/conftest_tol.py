"""Tolerances of the experiment tests (one place, as tests/conftest.py does for the core)."""

#: Marcum Q via scipy's ncx2 against adaptive quadrature of the Rice density.
DETECTION_RTOL = 1e-8
