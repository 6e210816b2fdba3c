"""Scenario (pyiscc/scenario.py): Table III defaults, the derived quantities' formulas, immutability
and the dict / TOML forms (field validation itself: test_validation.py)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import pyiscc as pi


def test_defaults_are_table_iii():
    sc = pi.Scenario()
    assert (sc.n_bs, sc.n_terminals, sc.bs_antennas, sc.terminal_antennas) == (3, 9, 16, 8)
    assert sc.bandwidth_hz == 10e6 and sc.cycles_per_bit == 400
    assert (sc.cpu_local_hz, sc.cpu_mec_hz, sc.cpu_cloud_hz) == (0.5e9, 3e9, 10e9)
    assert sc.max_power_dbm == 30 and sc.noise_psd_dbm_hz == -174
    assert sc.mec_capacity_hz == 9e9 and sc.sensing_sinr_db == 2 and sc.backhaul_bps == 10e6


@pytest.mark.parametrize("db", [-60.0, -3.0, 0.0, 2.0, 10.0])
def test_decibel_fields_convert_to_linear(db):
    sc = pi.Scenario(path_loss_db=db, sensing_sinr_db=db, max_power_dbm=db)
    assert sc.path_loss == pytest.approx(10 ** (db / 10), rel=1e-15)
    assert sc.sensing_sinr == pytest.approx(10 ** (db / 10), rel=1e-15)
    assert sc.max_power_w == pytest.approx(10 ** (db / 10) / 1e3, rel=1e-15)


def test_derived_quantities_follow_their_fields():
    sc = pi.Scenario(bandwidth_hz=20e6, accumulation_time_s=1e-3, bits_per_sample=64,
                     cpu_local_hz=1e9, chip_coefficient=2e-28, mec_capacity_hz=12e9,
                     cpu_mec_hz=4e9)
    assert sc.task_bits == pytest.approx(20e6 * 1e-3 * 64, rel=1e-15)
    assert sc.processing_gain == pytest.approx(20e6 * 1e-3, rel=1e-15)
    assert sc.local_cpu_power_w == pytest.approx(2e-28 * 1e27, rel=1e-15)
    assert sc.mec_slots == 3
    assert sc.noise_power_w == pytest.approx(10 ** (-17.4 - 3) * 20e6, rel=1e-12)


def test_frozen_hashable_and_replace_keeps_the_original():
    sc = pi.Scenario()
    with pytest.raises(dataclasses.FrozenInstanceError):
        sc.n_bs = 4
    other = sc.replace(n_bs=4, bs_antennas=np.int64(8))
    assert sc.n_bs == 3 and other.n_bs == 4 and type(other.bs_antennas) is int
    assert hash(sc) == hash(pi.Scenario()) and sc == pi.Scenario() and sc != other


def test_to_dict_is_json_and_toml_friendly(tmp_path):
    sc = pi.Scenario(n_bs=2, bs_positions=[(0, 0), (10, 5)], rcs_range=(0.5, 0.7))
    data = json.loads(json.dumps(sc.to_dict()))
    assert pi.Scenario.from_dict(data) == sc
    # top-level keys (no [scenario] table) read too
    path = tmp_path / "flat.toml"
    path.write_text("n_terminals = 4\nbandwidth_hz = 5e6\nrcs_range = [0.5, 0.7]\n")
    assert pi.Scenario.from_toml(path) == pi.Scenario(n_terminals=4, bandwidth_hz=5e6,
                                                      rcs_range=(0.5, 0.7))


def test_at_density_keeps_table_iii_density():
    sc = pi.Scenario.at_density(40, 5, bs_antennas=16)
    assert sc.n_terminals == 40 and sc.n_bs == 5 and sc.bs_antennas == 16
    assert sc.area_m ** 2 / 1e6 == pytest.approx(40 / 9)  # 9 terminals per km^2
    pos = np.array(sc.bs_positions)
    assert pos.shape == (5, 2) and len({tuple(p) for p in pos}) == 5
    assert ((pos > 0) & (pos < sc.area_m)).all()  # cell centres inside the square
    # Table III's size: the same density as the default scenario's 9 terminals in 1 km^2
    assert pi.Scenario.at_density(9, 3).area_m == pytest.approx(pi.Scenario().area_m)
    assert pi.Scenario.at_density(36, 4, terminals_per_km2=36).area_m == pytest.approx(1000.0)


@pytest.mark.parametrize("kwargs,name", [({"area_m": 5.0}, "area_m"),
                                         ({"bs_positions": ((0, 0),)}, "bs_positions"),
                                         ({"terminals_per_km2": 0.0}, "terminals_per_km2"),
                                         ({"bogus": 1}, "bogus")])
def test_at_density_checks_its_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"^{name}"):
        pi.Scenario.at_density(10, 2, **kwargs)
    with pytest.raises(ValueError, match="^n_terminals"):
        pi.Scenario.at_density(0, 2)
