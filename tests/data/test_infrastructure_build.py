"""Checks of the embedded infrastructure layers and of their build script."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from denen_gis.geodesy import haversine_km
from denen_gis.io.japan import (
    load_backbone_links,
    load_cables,
    load_datacenters,
    load_hubs,
    load_landings,
    load_prefectures,
)
from denen_gis.layers.resilience import capacity_concentration

BUILD = Path(__file__).resolve().parents[2] / "data" / "build" / "infrastructure.py"


@pytest.fixture(scope="module")
def build_module():
    spec = importlib.util.spec_from_file_location("infrastructure_build", BUILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def land():
    return shapely.union_all(load_prefectures().geometry.to_numpy())


def test_cables_never_cross_land_except_short_shore_ends(build_module, land):
    cables = load_cables()
    assert {"pacific_trunk", "sea_of_japan", "hokkaido_akita", "okinawa"} <= set(cables["system"])
    for row in cables.itertuples(index=False):
        xy = shapely.get_coordinates(row.geometry)
        assert len(xy) >= 3, row.cable_id
        sea = shapely.LineString(xy[1:-1]) if len(xy) > 3 else shapely.Point(xy[1])
        assert not sea.intersects(land), f"{row.cable_id} crosses land offshore"
        ends = haversine_km(xy[[0, -2], 0], xy[[0, -2], 1], xy[[1, -1], 0], xy[[1, -1], 1])
        assert ends.max() <= build_module.MAX_SHORE_KM, row.cable_id


def test_sea_router_goes_around_an_island(build_module):
    island = shapely.box(1.0, -1.0, 2.0, 1.0)
    router = build_module.SeaRouter(
        island, (-1.0, -3.0, 4.0, 3.0), raster_deg=0.05, clearance_deg=0.04
    )
    line = router.route((0.5, 0.0), (2.5, 0.0))
    xy = shapely.get_coordinates(line)
    assert not shapely.LineString(xy[1:-1]).intersects(island)
    # the shortest way round passes two corners: 2 * hypot(0.5, 1) + 1 = 3.24 degrees
    assert line.length > 3.2


def test_landings_sit_on_their_cables():
    cables = load_cables().set_index("cable_id")
    for row in load_landings().itertuples(index=False):
        # International landings whose cables leave Japan sit on no domestic cable.
        assert row.cable_id or row.international
        for cid in filter(None, row.cable_id.split(",")):
            assert shapely.distance(cables.loc[cid, "geometry"], row.geometry) < 1e-9


def test_hubs_lie_in_their_prefecture_and_links_include_the_straits():
    prefs = load_prefectures().set_index("code")
    hubs = load_hubs()
    assert len(hubs) == 47
    pts = shapely.points(hubs["lon"], hubs["lat"])
    assert shapely.contains(prefs.loc[hubs["code"], "geometry"].to_numpy(), pts).all()
    links = load_backbone_links()
    pairs = set(zip(links["from_code"], links["to_code"], strict=True))
    for strait in [("35", "40"), ("33", "37"), ("34", "38"), ("28", "36"), ("01", "02")]:
        assert strait in pairs
    ratio = links["length_km"] / links["great_circle_km"]
    straight = links["corridor"].isin(["expressway", "strait"])
    assert np.allclose(ratio[straight], 1.4, atol=0.01)
    # A second corridor bends through its own waypoint: longer, but not absurdly.
    assert ((ratio[~straight] > 1.4) & (ratio[~straight] < 1.6)).all()
    assert (~straight).sum() == 31
    assert set(links["status"]) == {"modelled"}
    assert (links["capacity_tbps"] > 0).all()


def test_statuses_are_truthful():
    cables = load_cables().set_index("cable_id")
    assert set(cables.loc[cables["system"] == "pacific_trunk", "status"]) == {"modelled"}
    assert set(cables.loc[cables["system"].isin(["sea_of_japan", "hokkaido_akita"]), "status"]) == {
        "planned"
    }
    okinawa = cables[cables["system"] == "okinawa"]
    assert len(okinawa) == 3  # two Pacific routes and the East China Sea route
    assert "OKI-NAGO" in set(okinawa["to_landing"])
    landings = load_landings()
    assert landings["international"].sum() == 5


def test_datacenters_are_calibrated_and_cover_every_block():
    dcs = load_datacenters()
    conc = capacity_concentration(dcs)
    assert conc["tokyo_area_share"] == pytest.approx(0.60, abs=0.02)
    assert 0.80 <= conc["tokyo_osaka_share"] <= 0.90
    funded = set(dcs.loc[dcs["status"] == "funded", "name"])
    assert funded == {
        "Tomakomai",
        "Wakkanai",
        "Oga",
        "Tochigi",
        "Mihama",
        "Takamatsu",
        "Satsumasendai",
    }
    new = dcs[dcs["status"] != "existing"]
    assert 30 <= len(new) <= 60
    assert set(new["block"]) == set(load_prefectures()["block"])
    for col in ("cooling_index", "renewable_index", "hazard_index"):
        assert dcs[col].between(0, 1).all()
    # colder north cools better
    north = dcs.set_index("site_id")
    assert north.loc["F-WAKKANAI", "cooling_index"] > north.loc["EX-NAHA", "cooling_index"]
    prefs = load_prefectures().set_index("code")
    inside = shapely.contains(
        prefs.loc[dcs["pref_code"], "geometry"].to_numpy(), dcs.geometry.to_numpy()
    )
    assert inside.all()


def test_small_tables_are_deterministic(build_module):
    prefs = load_prefectures()
    hubs = build_module.build_hubs(prefs)
    pd.testing.assert_frame_equal(hubs, build_module.build_hubs(prefs))
    links = build_module.build_backbone_links(prefs, hubs)
    pd.testing.assert_frame_equal(links, load_backbone_links())
    dcs = build_module.build_datacenters(prefs, load_landings())
    pd.testing.assert_frame_equal(
        pd.DataFrame(dcs.drop(columns="geometry")),
        pd.DataFrame(load_datacenters().drop(columns="geometry")),
        check_dtype=False,
    )
