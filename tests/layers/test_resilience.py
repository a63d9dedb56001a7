"""Tests of the N-1 analysis and capacity concentration.

The fixture is a toy Japan: hub P (Pacific side, with the only DC), hub Q and
hub Z (Sea of Japan side). Z reaches the rest only by the Pacific trunk
segment Q-Z; the planned Sea of Japan cable joins Z to P directly. A cut of the
trunk between Q and Z therefore cuts Z's people off before the new cable and
not after it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from denen_gis.errors import InputError
from denen_gis.layers.network import build_backbone
from denen_gis.layers.resilience import (
    ResilienceReport,
    capacity_concentration,
    compare_cuts,
    n_minus_1,
    relief_statements,
)

POP = {"P": 1_000_000, "Q": 200_000, "Z": 50_000}


def _layers():
    hubs = pd.DataFrame(
        {
            "code": list(POP),
            "lon": [140.0, 140.0, 139.0],
            "lat": [35.0, 36.0, 37.0],
            "population": list(POP.values()),
        }
    )
    links = pd.DataFrame({"from_code": ["P"], "to_code": ["Q"], "link_id": ["L-PQ"]})
    cables = gpd.GeoDataFrame(
        {
            "cable_id": ["PAC-QZ", "SOJ-ZP"],
            "name": ["trunk", "sea of japan"],
            "status": ["existing", "planned"],
            "length_km": [200.0, 400.0],
        },
        geometry=[
            shapely.LineString([(140.5, 36.0), (139.5, 37.5)]),
            shapely.LineString([(138.5, 37.0), (139.5, 35.0)]),
        ],
        crs=6668,
    )
    landings = gpd.GeoDataFrame(
        {
            "landing_id": ["LQ", "LZ1", "LZ2", "LP"],
            "name": ["q", "z1", "z2", "p"],
            "cable_id": ["PAC-QZ", "PAC-QZ", "SOJ-ZP", "SOJ-ZP"],
            "pref_code": ["Q", "Z", "Z", "P"],
        },
        geometry=shapely.points([(140.5, 36.0), (139.5, 37.5), (138.5, 37.0), (139.5, 35.0)]),
        crs=6668,
    )
    dcs = gpd.GeoDataFrame(
        {
            "site_id": ["DP", "DZ"],
            "pref_code": ["P", "Z"],
            "status": ["existing", "candidate"],
            "capacity_mw": [100.0, 10.0],
        },
        geometry=[shapely.Point(140.0, 35.0), shapely.Point(139.0, 37.0)],
        crs=6668,
    )
    return hubs, links, cables, landings, dcs


def _graph(planned: bool):
    hubs, links, cables, landings, dcs = _layers()
    return build_backbone(hubs, links, cables, landings, datacenters=dcs, include_planned=planned)


def test_trunk_cut_cuts_off_z_before_and_not_after_the_sea_of_japan_cable():
    before = n_minus_1(_graph(False), sites=["DP"])
    after = n_minus_1(_graph(True), sites=["DP"])
    row_b = before.cuts.set_index("id").loc["PAC-QZ"]
    row_a = after.cuts.set_index("id").loc["PAC-QZ"]
    assert row_b["population_cut_off"] == POP["Z"]
    assert row_a["population_cut_off"] == 0
    assert before.worst["id"] == "DP"  # losing the only DC cuts off everyone
    links_only = n_minus_1(_graph(False), sites=["DP"], include_dcs=False)
    assert links_only.worst["id"] == "L-PQ"
    assert links_only.worst["population_cut_off"] == POP["Q"] + POP["Z"]
    table = compare_cuts(before, after)
    top = table.set_index("id").loc["PAC-QZ"]
    assert top["relieved_population"] == POP["Z"]
    text = relief_statements(table)
    assert any("PAC-QZ between LQ and LZ1 no longer cuts off 50,000 people" in t for t in text)
    # the new cable's own segment appears only after
    assert np.isnan(table.set_index("id").loc["SOJ-ZP", "population_cut_off_before"])


def test_a_new_dc_in_z_also_protects_z():
    report = n_minus_1(_graph(False), sites=["DP", "DZ"])
    assert report.cuts.set_index("id").loc["PAC-QZ", "population_cut_off"] == 0
    # removing the only DC cuts off everyone
    only = n_minus_1(_graph(False), sites=["DP"], kinds=())
    assert only.cuts.loc[0, "id"] == "DP"
    assert only.cuts.loc[0, "population_cut_off"] == sum(POP.values())


def test_rtt_threshold_counts_far_groups_as_cut_off():
    base = n_minus_1(_graph(True), sites=["DP"]).baseline
    assert base["population_cut_off"] == 0
    tight = n_minus_1(_graph(True), sites=["DP"], max_rtt_ms=base["max_rtt_ms"] - 1e-6).baseline
    assert tight["population_cut_off"] > 0


def test_bad_parameters_are_input_errors():
    g = _graph(True)
    with pytest.raises(InputError, match="max_rtt_ms"):
        n_minus_1(g, sites=["DP"], max_rtt_ms=-1)
    with pytest.raises(InputError, match="kinds"):
        n_minus_1(g, sites=["DP"], kinds=["tunnel"])
    with pytest.raises(InputError, match="sites"):
        n_minus_1(g, sites=["NOPE"])


def test_capacity_concentration_before_and_after():
    dc = pd.DataFrame(
        {
            "site_id": ["t", "o", "n", "new"],
            "pref_code": ["13", "27", "01", "40"],
            "status": ["existing", "existing", "existing", "candidate"],
            "capacity_mw": [60.0, 25.0, 15.0, 100.0],
        }
    )
    before = capacity_concentration(dc)
    assert before["tokyo_area_share"] == pytest.approx(0.60)
    assert before["tokyo_osaka_share"] == pytest.approx(0.85)
    assert before["nankai_trough_share"] == pytest.approx(0.25)  # Osaka
    after = capacity_concentration(dc, sites=["new"])
    assert after["tokyo_area_share"] == pytest.approx(0.30)
    with pytest.raises(InputError, match="unknown site"):
        capacity_concentration(dc, sites=["zzz"])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=500.0), min_size=2, max_size=8))
def test_adding_capacity_outside_tokyo_never_raises_the_tokyo_share(caps):
    n = len(caps)
    dc = pd.DataFrame(
        {
            "site_id": [f"s{i}" for i in range(n)],
            "pref_code": ["13"] + ["05"] * (n - 1),
            "status": ["existing"] + ["candidate"] * (n - 1),
            "capacity_mw": [100.0, *caps[1:]],
        }
    )
    before = capacity_concentration(dc)["tokyo_area_share"]
    after = capacity_concentration(dc, sites=dc["site_id"][1:])["tokyo_area_share"]
    assert after <= before + 1e-12


def test_compare_cuts_of_a_report_with_itself_relieves_nobody():
    # one cable with three landings: its two segments share the cable id
    hubs = pd.DataFrame(
        {
            "code": ["a", "b", "c"],
            "lon": [135.0, 136.0, 137.0],
            "lat": [35.0, 35.0, 35.0],
            "population": [100, 100, 100],
        }
    )
    links = pd.DataFrame({"from_code": ["a"], "to_code": ["b"], "length_km": [100.0]})
    cables = gpd.GeoDataFrame(
        {"cable_id": ["X"], "status": ["existing"]},
        geometry=[shapely.LineString([(135, 34.9), (136, 34.9), (137, 34.9)])],
        crs=6668,
    )
    landings = gpd.GeoDataFrame(
        {"landing_id": ["la", "lb", "lc"], "cable_id": ["X"] * 3, "pref_code": ["a", "b", "c"]},
        geometry=shapely.points([(135, 34.9), (136, 34.9), (137, 34.9)]),
        crs=6668,
    )
    dcs = pd.DataFrame({"site_id": ["d"], "pref_code": ["a"], "lon": [135.0], "lat": [35.0]})
    report = n_minus_1(build_backbone(hubs, links, cables, landings, datacenters=dcs), sites=["d"])
    assert (report.cuts["id"] == "X").sum() == 2
    table = compare_cuts(report, report)
    assert len(table) == len(report.cuts)
    assert (table["relieved_population"] == 0).all()
    assert relief_statements(table) == []
    # the segment b-c alone cuts off c; each segment keeps its own figures
    seg = table[table["id"] == "X"].set_index("b")
    assert seg.loc["landing:lc", "population_cut_off_before"] == 100
    assert seg.loc["landing:lb", "population_cut_off_before"] == 0


def test_compare_cuts_matches_segments_whatever_their_direction():
    before = n_minus_1(_graph(False), sites=["DP"])
    flipped = before.cuts.rename(columns={"a": "b", "b": "a"})
    flipped = flipped.assign(b=flipped["b"].where(flipped["element"] == "edge", ""))
    flipped = flipped.assign(a=before.cuts["a"].where(before.cuts["element"] == "dc", flipped["a"]))
    other = ResilienceReport(baseline=before.baseline, cuts=flipped, worst=before.worst)
    table = compare_cuts(before, other)
    assert len(table) == len(before.cuts)
    assert table["population_cut_off_after"].notna().all()
    with pytest.raises(InputError, match="twice"):
        compare_cuts(before, ResilienceReport(before.baseline, pd.concat([before.cuts] * 2), {}))


def test_worst_rtt_of_grouped_demand_is_the_farthest_populated_cell():
    g = _graph(True)
    demand = pd.DataFrame(
        {
            "node": ["hub:P", "hub:Q", "hub:Z"],
            "population": list(POP.values()),
            "local_ms": [0.1, 0.2, 0.3],
            "local_max_ms": [0.5, 0.2, 1.3],
            "urban": [True, False, False],
        }
    )
    report = n_minus_1(g, demand, sites=["DP"])
    flat = n_minus_1(g, demand.drop(columns="local_max_ms"), sites=["DP"])
    assert report.baseline["mean_rtt_ms"] == pytest.approx(flat.baseline["mean_rtt_ms"])
    # Z is the farthest group: its worst cell lies 1.0 ms beyond its mean
    assert report.baseline["max_rtt_ms"] == pytest.approx(flat.baseline["max_rtt_ms"] + 1.0)
