"""GLRT detection probability P_D = Q_1(sqrt(2 gamma), sqrt(-2 ln P_FA)) (Fig. 11)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special

from pyiscc.experiments import detection_probability, marcum_q1, required_sinr

from exp_helpers import DETECTION_RTOL


def marcum_q1_reference(a: float, b: float) -> float:
    """Q_1(a, b) = integral_b^inf x exp(-(x^2 + a^2) / 2) I_0(a x) dx, by quadrature
    (i0e keeps the integrand finite: I_0(z) = i0e(z) e^z)."""
    value, _ = integrate.quad(lambda x: x * np.exp(-0.5 * (x - a) ** 2) * special.i0e(a * x),
                              b, np.inf, epsabs=0.0, epsrel=1e-13, limit=200)
    return value


@pytest.mark.parametrize("a", [0.0, 0.3, 1.0, 2.5, 6.0])
@pytest.mark.parametrize("b", [0.1, 1.0, 3.0, 5.3])
def test_marcum_q1_matches_quadrature(a, b):
    assert marcum_q1(a, b) == pytest.approx(marcum_q1_reference(a, b), rel=DETECTION_RTOL)


def test_no_echo_gives_false_alarm_rate():
    for p_fa in (1e-1, 1e-3, 1e-6):
        assert detection_probability(0.0, p_fa) == pytest.approx(p_fa, rel=DETECTION_RTOL)


def test_pd_formula_and_shape():
    rng = np.random.default_rng(3)
    gamma = rng.uniform(0.0, 30.0, size=(4, 5))
    p_fa = 1e-4
    got = detection_probability(gamma, p_fa)
    assert got.shape == (4, 5)
    want = np.vectorize(marcum_q1_reference)(np.sqrt(2 * gamma), np.sqrt(-2 * np.log(p_fa)))
    np.testing.assert_allclose(got, want, rtol=DETECTION_RTOL)


def test_pd_increases_with_sinr_and_with_pfa():
    gamma = np.linspace(0.0, 40.0, 81)
    pd4 = detection_probability(gamma, 1e-4)
    assert np.all(np.diff(pd4) > 0)
    assert np.all(detection_probability(gamma, 1e-2) > pd4)
    assert pd4[-1] > 0.999


def test_required_sinr_inverts_pd():
    g = required_sinr(0.9, 1e-6)
    assert detection_probability(g, 1e-6) == pytest.approx(0.9, rel=DETECTION_RTOL)
    # the classic value: ~13.2 dB for P_D = 0.9 at P_FA = 1e-6 (Swerling 0, one pulse)
    assert 10 * np.log10(g) == pytest.approx(13.18, abs=0.01)


@pytest.mark.parametrize("p_fa", [0.0, 1.0, -0.1, 2.0])
def test_bad_pfa_raises(p_fa):
    with pytest.raises(ValueError, match="p_fa"):
        detection_probability(1.0, p_fa)


def test_bad_sinr_raises():
    with pytest.raises(ValueError, match="echo_sinr"):
        detection_probability([1.0, -1.0], 1e-3)
    with pytest.raises(ValueError, match="echo_sinr"):
        detection_probability(np.nan, 1e-3)
