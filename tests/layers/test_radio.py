"""Tests of the radio model: TR 38.901 path loss, station types, link budget, radii."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from denen_gis.errors import InputError
from denen_gis.layers.radio import (
    STATION_TYPES,
    LinkBudget,
    StationType,
    check_station_frame,
    coverage_radii_km,
    coverage_radius_km,
    los_probability,
    n_resource_blocks,
    noise_per_re_dbm,
    path_loss,
    path_loss_rma,
    path_loss_uma,
    path_loss_umi,
    radio_horizon_km,
    radius_table,
    rsrp_dbm,
    site_radii_km,
    station_types_from_table,
)

# ----------------------------------------------------------------- hand-computed path loss
# Defaults: RMa h_BS = 35 m, h_UT = 1.5 m, h = 5 m, W = 20 m; c = 3e8 m/s.
# h^1.72 = 5^1.72 = 15.93046; 0.03 h^1.72 = 0.477914; 0.044 h^1.72 = 0.700940;
# 0.002 log10(h) = 0.00139794.


def test_rma_los_1km_3p5ghz_before_breakpoint() -> None:
    # d_BP = 2 pi 35 1.5 3.5e9 / 3e8 = 3848.45 m > 1000 m, so PL1.
    # d3D = sqrt(1000^2 + 33.5^2) = 1000.5610 m
    # 20 log10(40 pi 1000.5610 3.5 / 3) = 20 log10(146689.9) = 103.3280
    # + 0.477914 log10(1000.5610) = 0.477914 * 3.000244 = 1.43386
    # - 0.700940
    # + 0.00139794 * 1000.5610 = 1.39872
    # = 105.4596
    pl = float(path_loss_rma(1000.0, freq_ghz=3.5, los=True))
    assert pl == pytest.approx(105.4596, abs=2e-3)


def test_rma_los_5km_3p5ghz_after_breakpoint() -> None:
    # PL1(d_BP = 3848.451 m): 20 log10(40 pi 3848.451 3.5/3) = 115.02885
    #   + 0.477914 log10(3848.451) = 1.71346, - 0.70094, + 0.00139794 3848.451 = 5.37990
    #   = 121.42127
    # d3D = sqrt(5000^2 + 33.5^2) = 5000.1122; 40 log10(5000.1122 / 3848.451) = 4.54775
    # PL2 = 121.42127 + 4.54775 = 125.96902
    pl = float(path_loss_rma(5000.0, freq_ghz=3.5, los=True))
    assert pl == pytest.approx(125.9690, abs=2e-3)


def test_rma_nlos_2km_700mhz() -> None:
    # d3D = sqrt(2000^2 + 33.5^2) = 2000.2805
    # 161.04 - 7.1 log10(20) [9.23731] + 7.5 log10(5) [5.24228]
    # - (24.37 - 3.7 (5/35)^2) log10(35) [37.51235]
    # + (43.42 - 3.1 log10(35)) (log10(2000.2805) - 3) [11.63216]
    # + 20 log10(0.7) [-3.09804] - (3.2 log10(17.625)^2 - 4.97) [-0.00092]
    # = 128.0677; LOS there is 105.4155 (d_BP = 769.69 m), so NLOS = max = 128.0677
    pl = float(path_loss_rma(2000.0, freq_ghz=0.7, los=False))
    assert pl == pytest.approx(128.0677, abs=2e-3)
    assert float(path_loss_rma(2000.0, freq_ghz=0.7, los=True)) == pytest.approx(105.4155, abs=2e-3)


def test_uma_los_both_sides_of_breakpoint() -> None:
    # 3.5 GHz: d'_BP = 4 (25-1)(1.5-1) 3.5e9/3e8 = 560 m < 1000 m, so PL2:
    # d3D = sqrt(1000^2 + 23.5^2) = 1000.2761
    # 28 + 40 log10(1000.2761) [120.00480] + 20 log10(3.5) [10.88136]
    #    - 9 log10(560^2 + 23.5^2) [49.47426] = 109.4119
    assert float(path_loss_uma(1000.0, freq_ghz=3.5, los=True)) == pytest.approx(109.4119, abs=2e-3)
    # 28 GHz: d'_BP = 4480 m > 200 m, so PL1: d3D = 201.3759
    # 28 + 22 log10(201.3759) [50.68816] + 20 log10(28) [28.94316] = 107.6313
    assert float(path_loss_uma(200.0, freq_ghz=28.0, los=True)) == pytest.approx(107.6313, abs=2e-3)


def test_uma_nlos_1km_3p7ghz() -> None:
    # 13.54 + 39.08 log10(1000.2761) [117.24469] + 20 log10(3.7) [11.36403] - 0 = 142.1487
    assert float(path_loss_uma(1000.0, freq_ghz=3.7, los=False)) == pytest.approx(
        142.1487, abs=2e-3
    )


def test_umi_nlos_and_los() -> None:
    # NLOS 100 m, 28 GHz: d3D = sqrt(100^2 + 8.5^2) = 100.3606
    # 35.3 log10(100.3606) [70.65518] + 22.4 + 21.3 log10(28) [30.82447] = 123.8796
    assert float(path_loss_umi(100.0, freq_ghz=28.0, los=False)) == pytest.approx(
        123.8796, abs=2e-3
    )
    # LOS 300 m, 3.5 GHz: d'_BP = 4 (10-1)(1.5-1) 3.5e9/3e8 = 210 m, so PL2; d3D = 300.1204
    # 32.4 + 40 log10(300.1204) [99.09182] + 10.88136 - 9.5 log10(210^2 + 8.5^2) [44.12892]
    # = 98.2443
    assert float(path_loss_umi(300.0, freq_ghz=3.5, los=True)) == pytest.approx(98.2443, abs=2e-3)


def test_los_probability_hand_values() -> None:
    assert float(los_probability(1010.0, "rma")) == pytest.approx(math.exp(-1.0))
    assert float(los_probability(5.0, "rma")) == 1.0
    # UMi at 36 m: 18/36 + e^-1 (1 - 18/36) = 0.5 + 0.183940 = 0.683940
    assert float(los_probability(36.0, "umi")) == pytest.approx(0.683940, abs=1e-6)
    # UMa at 63 m, h_UT 1.5: 18/63 + e^-1 (1 - 18/63) = 0.285714 + 0.262771 = 0.548485
    assert float(los_probability(63.0, "uma")) == pytest.approx(0.548485, abs=1e-6)
    # UMa at 100 m, h_UT 23 m: C' = 1; [0.18 + e^(-100/63) 0.82] (1 + 1.25 e^(-2/3)) = 0.570796
    assert float(los_probability(100.0, "uma", 23.0)) == pytest.approx(0.570796, abs=1e-6)
    assert float(los_probability(10.0, "umi")) == 1.0
    with pytest.raises(InputError, match="unknown scenario"):
        los_probability(100.0, "suburban")


def test_short_distances_are_clamped_to_10m() -> None:
    for fn in (path_loss_rma, path_loss_uma, path_loss_umi):
        near = fn(np.array([0.0, 3.0, 10.0]), freq_ghz=3.5, los=False)
        assert near[0] == near[1] == near[2]


def test_expected_mode_is_linear_power_mix() -> None:
    d = np.array([50.0, 300.0, 2000.0])
    los = path_loss_uma(d, freq_ghz=3.7, los=True)
    nlos = path_loss_uma(d, freq_ghz=3.7, los=False)
    p = los_probability(d, "uma")
    want = -10 * np.log10(p * 10 ** (-los / 10) + (1 - p) * 10 ** (-nlos / 10))
    got = path_loss_uma(d, freq_ghz=3.7, los=None)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert (got >= los - 1e-12).all() and (got <= nlos + 1e-12).all()


@settings(max_examples=60, deadline=None)
@given(
    model=st.sampled_from(["rma", "uma", "umi"]),
    los=st.sampled_from([True, False, None]),
    freq=st.floats(0.5, 30.0),
    h_bs=st.floats(10.5, 60.0),
)
def test_path_loss_grows_with_distance_and_nlos_dominates(
    model: str, los: bool | None, freq: float, h_bs: float
) -> None:
    d = np.geomspace(10.0, 20_000.0, 400)
    pl = path_loss(d, model=model, freq_ghz=freq, h_bs_m=h_bs, los=los)
    assert np.all(np.diff(pl) > -1e-9)
    pl_los = path_loss(d, model=model, freq_ghz=freq, h_bs_m=h_bs, los=True)
    pl_nlos = path_loss(d, model=model, freq_ghz=freq, h_bs_m=h_bs, los=False)
    assert np.all(pl_nlos >= pl_los)


def test_model_range_errors() -> None:
    with pytest.raises(InputError, match="RMA model range"):
        path_loss_rma(100.0, freq_ghz=40.0, los=True)
    with pytest.raises(InputError, match="h_bs_m"):
        path_loss_uma(100.0, freq_ghz=3.5, h_bs_m=1.0, los=True)
    with pytest.raises(InputError, match="h_E"):
        path_loss_umi(100.0, freq_ghz=3.5, h_ut_m=1.0, los=True)
    with pytest.raises(InputError, match="non-negative"):
        path_loss_umi(-5.0, freq_ghz=3.5, los=True)
    with pytest.raises(InputError, match="unknown path-loss model"):
        path_loss(100.0, model="hata", freq_ghz=0.9, h_bs_m=30.0, los=True)


def test_array_heights_broadcast() -> None:
    h = np.array([20.0, 35.0, 50.0])
    pl = path_loss_rma(3000.0, freq_ghz=0.7, h_bs_m=h, los=False)
    for i, hi in enumerate(h):
        assert pl[i] == float(path_loss_rma(3000.0, freq_ghz=0.7, h_bs_m=hi, los=False))
    assert pl[0] > pl[1] > pl[2]


# ----------------------------------------------------------------- station types, budget


def test_eirp_per_resource_element() -> None:
    t = STATION_TYPES["nr3700_macro"]
    # 100 MHz at 30 kHz: 273 RB = 3276 RE; 10 log10(3276) = 35.15344
    # EIRP = 53 + 17 (panel) + 6 (SSB beam, assumption) - 0 = 76 dBm -> 40.84656 dBm per RE
    assert t.n_re == 3276
    assert t.eirp_per_re_dbm == pytest.approx(40.84656, abs=1e-5)
    assert n_resource_blocks(10, 15) == 52
    assert n_resource_blocks(400, 120) == 264
    with pytest.raises(InputError, match="no NR carrier of 7 MHz"):
        n_resource_blocks(7, 30)


def test_noise_per_re() -> None:
    # -174 + 10 log10(15e3) [41.76091] + 9 = -123.23909
    assert noise_per_re_dbm(15, 9.0) == pytest.approx(-123.23909, abs=1e-5)


def test_rsrp_is_eirp_per_re_minus_losses() -> None:
    t = STATION_TYPES["nr700_macro"]
    b = LinkBudget(indoor_penetration_db=12.0, shadowing_margin_db=5.0, ue_antenna_gain_dbi=1.0)
    pl = float(path_loss_rma(2500.0, freq_ghz=t.freq_ghz, h_bs_m=t.height_m, los=False))
    want = t.eirp_per_re_dbm - pl + 1.0 - 12.0 - 5.0
    assert float(rsrp_dbm(2.5, t, "rural", link_budget=b)) == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("key", sorted(STATION_TYPES))
@pytest.mark.parametrize("env", ["urban", "rural"])
@pytest.mark.parametrize("mode", ["nlos", "los", "expected"])
def test_radius_rsrp_equals_threshold(key: str, env: str, mode: str) -> None:
    t = STATION_TYPES[key]
    b = LinkBudget(los_mode=mode)  # type: ignore[arg-type]
    r = coverage_radius_km(t, env, link_budget=b)
    horizon = float(radio_horizon_km(t.height_m, b.ue_height_m))
    assert 0 < r <= horizon
    if r < horizon:
        assert float(rsrp_dbm(r, t, env, link_budget=b)) == pytest.approx(
            t.rsrp_threshold_dbm, abs=1e-6
        )
    d = np.linspace(0.01, r, 200)
    inside = rsrp_dbm(d, t, env, link_budget=b)
    assert np.all(np.diff(inside) <= 1e-9)  # monotone: RSRP falls with distance
    assert np.all(inside >= t.rsrp_threshold_dbm - 1e-6)
    assert float(rsrp_dbm(r * 1.01, t, env, link_budget=b)) < t.rsrp_threshold_dbm or r == horizon


def test_default_radii_are_plausible() -> None:
    assert 3.0 <= coverage_radius_km(STATION_TYPES["nr700_macro"], "rural") <= 10.0
    assert 0.3 <= coverage_radius_km(STATION_TYPES["nr3700_macro"], "urban") <= 1.5
    assert coverage_radius_km(STATION_TYPES["nr28g_small"], "urban") < 0.3
    assert coverage_radius_km(STATION_TYPES["nr28g_small"], "rural") < 0.3


def test_radius_responds_to_budget_and_height() -> None:
    t = STATION_TYPES["nr700_macro"]
    base = coverage_radius_km(t, "rural")
    assert coverage_radius_km(t, "rural", link_budget=LinkBudget(indoor_penetration_db=12)) < base
    assert coverage_radius_km(t, "rural", link_budget=LinkBudget(shadowing_margin_db=8)) < base
    assert coverage_radius_km(t, "rural", height_m=60.0) > base
    assert coverage_radius_km(t, "rural", link_budget=LinkBudget(los_mode="expected")) > base


def test_bulk_radii_match_brentq() -> None:
    t = STATION_TYPES["nr700_macro"]
    heights = np.array([12.0, 25.0, 35.0, 80.0])
    for env in ("urban", "rural"):
        bulk = coverage_radii_km(t, env, heights_m=heights)
        one = [coverage_radius_km(t, env, height_m=h) for h in heights]
        np.testing.assert_allclose(bulk, one, rtol=1e-9)


def test_radius_capped_at_horizon_and_unreachable_error() -> None:
    loud = StationType(**{**_type_kwargs(), "tx_power_dbm": 90.0, "rsrp_threshold_dbm": -150.0})
    # a loud UE too, so that the uplink does not limit the radius first
    ue = LinkBudget(ue_tx_power_dbm=90.0)
    assert coverage_radius_km(loud, "rural", link_budget=ue) == pytest.approx(
        float(radio_horizon_km(35.0))
    )
    assert coverage_radii_km(loud, "rural", heights_m=[35.0], link_budget=ue)[0] == pytest.approx(
        float(radio_horizon_km(35.0))
    )
    quiet = StationType(**{**_type_kwargs(), "tx_power_dbm": 0.0, "rsrp_threshold_dbm": -40.0})
    with pytest.raises(InputError, match="does not reach its threshold"):
        coverage_radius_km(quiet, "urban")
    with pytest.raises(InputError, match="does not reach its threshold"):
        coverage_radii_km(quiet, "urban", heights_m=[30.0])


def test_site_radii_and_radius_table() -> None:
    ru, rr = site_radii_km(["nr700_macro", "nr3700_macro", "nr700_macro"], [np.nan, 30.0, 50.0])
    t7, t37 = STATION_TYPES["nr700_macro"], STATION_TYPES["nr3700_macro"]
    assert ru[0] == pytest.approx(coverage_radius_km(t7, "urban"), rel=1e-9)
    assert rr[1] == pytest.approx(coverage_radius_km(t37, "rural", height_m=30.0), rel=1e-9)
    assert rr[2] > rr[0]
    with pytest.raises(InputError, match="unknown station_type 'lte'"):
        site_radii_km(["lte"])
    table = radius_table(link_budget=LinkBudget())
    assert table["key"].tolist() == list(STATION_TYPES)
    row = table.set_index("key").loc["nr3700_macro"]
    assert row["radius_urban_km"] == pytest.approx(coverage_radius_km(t37, "urban"))
    # edge SNR = -100 - (-174 + 10 log10(30e3) + 7) = -100 + 122.2288 = 22.2288 dB
    assert row["edge_snr_db"] == pytest.approx(22.2288, abs=1e-4)


def _type_kwargs() -> dict[str, object]:
    return dict(
        key="test",
        label_en="Test",
        label_ja="テスト",
        freq_ghz=2.0,
        bandwidth_mhz=20,
        scs_khz=15,
        tx_power_dbm=46.0,
        antenna_gain_dbi=15.0,
        cable_loss_db=1.0,
        height_m=35.0,
        rsrp_threshold_dbm=-110.0,
        cost_myen=10.0,
        cost_source="test",
        model_urban="uma",
        model_rural="rma",
    )


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"tx_power_dbm": -3.0}, "negative"),
        ({"model_urban": "hata"}, "model_urban"),
        ({"freq_ghz": 40.0}, "outside the RMA range"),
        ({"bandwidth_mhz": 7}, "no NR carrier"),
        ({"height_m": 0.0}, "height_m"),
        ({"rsrp_threshold_dbm": 10.0}, "not an RSRP level"),
        ({"cost_myen": -1.0}, "cost_myen"),
    ],
)
def test_station_type_rejects_bad_values(change: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        StationType(**{**_type_kwargs(), **change})


def test_link_budget_rejects_bad_values() -> None:
    with pytest.raises(InputError, match="los_mode"):
        LinkBudget(los_mode="sometimes")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="ue_height_m"):
        LinkBudget(ue_height_m=0.5)
    with pytest.raises(InputError, match="indoor_penetration_db"):
        LinkBudget(indoor_penetration_db=-1)


def test_station_types_from_table() -> None:
    rows = pd.DataFrame(
        [
            {**_type_kwargs(), "key": "lte2g"},
            {**_type_kwargs(), "key": "big", "tx_power_dbm": 49.0, "label_ja": None},
        ]
    ).drop(columns=["cost_source"])
    types = station_types_from_table(rows, source="types.csv")
    assert list(types) == ["lte2g", "big"]
    assert types["big"].eirp_dbm == 49.0 + 15.0 - 1.0
    assert types["big"].label_ja == "Test"
    bad = rows.copy()
    bad.loc[1, "tx_power_dbm"] = -20.0
    with pytest.raises(InputError, match=r"types\.csv: row 1 \(big\): tx_power_dbm=-20"):
        station_types_from_table(bad, source="types.csv")
    dup = pd.concat([rows, rows.iloc[:1]])
    with pytest.raises(InputError, match="row 2: key 'lte2g' appears more than once"):
        station_types_from_table(dup, source="types.csv")
    with pytest.raises(InputError, match=r"missing column\(s\) \['scs_khz'\]"):
        station_types_from_table(rows.drop(columns=["scs_khz"]), source="types.csv")
    notnum = rows.astype(object)
    notnum.loc[0, "freq_ghz"] = "fast"
    with pytest.raises(InputError, match=r"row 0 .* freq_ghz must be a finite number"):
        station_types_from_table(notnum, source="types.csv")


# ----------------------------------------------------------------- station frame checks


def _stations(**cols: object) -> gpd.GeoDataFrame:
    base: dict[str, object] = {"site_id": ["a", "b"], "station_type": ["nr700_macro"] * 2}
    base.update(cols)
    return gpd.GeoDataFrame(base, geometry=[Point(139.7, 35.7), Point(140.1, 36.0)], crs=6668)


def test_check_station_frame_accepts_good_frame() -> None:
    check_station_frame(
        _stations(height_m=[30.0, np.nan], radius_km=[np.nan, 2.0]), source="st.gpkg"
    )


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (
            _stations(station_type=["nr700_macro", "lte800"]),
            r"st\.gpkg: row 1 has unknown station_type 'lte800'; known types: \['nr28g_small'",
        ),
        (_stations(height_m=[30.0, 0.0]), r"st\.gpkg: row 1 has height_m=0"),
        (_stations(radius_km=[0.0, 1.0]), r"st\.gpkg: row 0 has radius_km=0"),
    ],
)
def test_check_station_frame_errors(frame: gpd.GeoDataFrame, match: str) -> None:
    with pytest.raises(InputError, match=match):
        check_station_frame(frame, source="st.gpkg")


def test_check_station_frame_outside_japan() -> None:
    frame = _stations()
    frame.geometry = [Point(139.7, 35.7), Point(116.4, 39.9)]  # Beijing
    with pytest.raises(InputError, match=r"st\.gpkg: row 1 lies at \(116\.4, 39\.9\), outside"):
        check_station_frame(frame, source="st.gpkg")


def test_rsrp_is_per_antenna_port() -> None:
    t = STATION_TYPES["nr700_macro"]
    one = StationType(**{**{f: getattr(t, f) for f in t.__dataclass_fields__}, "tx_ports": 1})
    assert t.tx_ports == 2
    assert one.eirp_per_re_dbm - t.eirp_per_re_dbm == pytest.approx(10 * np.log10(2))


def test_uplink_limits_a_loud_downlink() -> None:
    from denen_gis.layers.link_budget import limiting_link, uplink_margin_db

    t = STATION_TYPES["nr700_macro"]
    loud = StationType(
        **{**{f: getattr(t, f) for f in t.__dataclass_fields__}, "tx_power_dbm": 70.0}
    )
    r_loud = coverage_radius_km(loud, "rural")
    # the downlink still has margin at the radius; the uplink is exactly at its limit
    assert float(rsrp_dbm(r_loud, loud, "rural")) > loud.rsrp_threshold_dbm + 1
    assert float(uplink_margin_db(r_loud, loud, "rural")) == pytest.approx(0.0, abs=1e-6)
    assert limiting_link(loud, "rural") == "uplink"
    # a weaker UE shrinks it; the downlink-limited default type does not depend on it
    weak = LinkBudget(ue_tx_power_dbm=20.0)
    assert coverage_radius_km(loud, "rural", link_budget=weak) < r_loud
    assert coverage_radius_km(t, "rural", link_budget=weak) == pytest.approx(
        coverage_radius_km(t, "rural")
    )
    assert LinkBudget().basis == "outdoor, median"
    assert LinkBudget(indoor_penetration_db=10).basis.startswith("indoor")
