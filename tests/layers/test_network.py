"""Tests of the backbone graph and the latency model."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from denen_gis.errors import InputError
from denen_gis.geodesy import haversine_km
from denen_gis.layers.network import (
    LatencyModel,
    build_backbone,
    demand_groups,
    rtt_matrix_ms,
    rtt_to_nearest_dc,
    summarize_rtt,
)
from denen_gis.mesh import mesh_centroids, mesh_from_points


def _hubs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["a", "b", "c"],
            "lon": [135.0, 136.0, 137.0],
            "lat": [35.0, 35.0, 35.0],
            "population": [100, 200, 300],
        }
    )


def _links() -> pd.DataFrame:
    return pd.DataFrame(
        {"from_code": ["a", "b"], "to_code": ["b", "c"], "length_km": [100.0, 50.0]}
    )


def test_land_link_length_defaults_to_great_circle_times_route_factor():
    links = pd.DataFrame({"from_code": ["a"], "to_code": ["b"]})
    g = build_backbone(_hubs().iloc[:2], links, route_factor=1.5)
    gc = float(haversine_km(135.0, 35.0, 136.0, 35.0))
    assert g.edges["hub:a", "hub:b"]["length_km"] == pytest.approx(1.5 * gc)
    assert g.edges["hub:a", "hub:b"]["kind"] == "land"


def test_rtt_is_twice_route_km_times_delay_plus_hops_and_fixed_term():
    g = build_backbone(_hubs(), _links())
    lat = LatencyModel(delay_us_per_km=5.0, hop_ms=0.1, fixed_ms=0.5)
    rtt = rtt_matrix_ms(g, ["hub:a"], ["hub:b", "hub:c"], latency=lat)
    assert rtt[0, 0] == pytest.approx(2 * 100 * 0.005 + 0.1 + 0.5)
    assert rtt[0, 1] == pytest.approx(2 * 150 * 0.005 + 0.2 + 0.5)
    # many sources, few targets runs Dijkstra from the targets: same numbers
    back = rtt_matrix_ms(g, ["hub:b", "hub:c", "hub:a"], ["hub:a"], latency=lat)
    assert back[:, 0] == pytest.approx([rtt[0, 0], rtt[0, 1], 0.5])


def test_disconnected_backbone_names_the_unreachable_component():
    links = pd.DataFrame({"from_code": ["a"], "to_code": ["b"]})
    with pytest.raises(InputError, match=r"disconnected.*hub:c"):
        build_backbone(_hubs(), links)
    g = build_backbone(_hubs(), links, require_connected=False)
    assert np.isinf(rtt_matrix_ms(g, ["hub:a"], ["hub:c"])[0, 0])


def test_unknown_code_in_links_is_an_input_error():
    links = pd.DataFrame({"from_code": ["a"], "to_code": ["zz"]})
    with pytest.raises(InputError, match="'zz'"):
        build_backbone(_hubs(), links)


def _cable_layers(status: str = "existing") -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    line = shapely.LineString([(135.0, 34.8), (136.0, 34.8), (137.0, 34.8)])
    cables = gpd.GeoDataFrame(
        {"cable_id": ["K"], "name": ["K"], "status": [status], "length_km": [300.0]},
        geometry=[line],
        crs=6668,
    )
    landings = gpd.GeoDataFrame(
        {
            "landing_id": ["LA", "LB", "LC"],
            "name": ["A", "B", "C"],
            "cable_id": ["K"] * 3,
            "pref_code": ["a", "b", "c"],
            "status": ["existing", "candidate", "existing"],
        },
        geometry=shapely.points([(135.0, 34.8), (136.0, 34.8), (137.0, 34.8)]),
        crs=6668,
    )
    return cables, landings


def test_cable_landings_are_chained_along_the_line_in_proportion_to_length():
    cables, landings = _cable_layers()
    g = build_backbone(_hubs(), _links(), cables, landings)
    assert g.edges["landing:LA", "landing:LB"]["length_km"] == pytest.approx(150.0)
    assert g.edges["landing:LB", "landing:LC"]["length_km"] == pytest.approx(150.0)
    # a candidate landing is a pass-through point: no backhaul to its hub
    assert not g.has_edge("landing:LB", "hub:b")
    assert g.has_edge("landing:LA", "hub:a")
    g2 = build_backbone(_hubs(), _links(), cables, landings, active_landings=["LB"])
    assert g2.has_edge("landing:LB", "hub:b") and not g2.has_edge("landing:LA", "hub:a")


def test_planned_cables_can_be_left_out():
    cables, landings = _cable_layers("planned")
    g = build_backbone(_hubs(), _links(), cables, landings, include_planned=False)
    assert not any(d["kind"] == "cable" for _, _, d in g.edges(data=True))


def _grid() -> pd.DataFrame:
    lon = np.array([135.0, 135.2, 137.0, 137.1])
    lat = np.array([35.0, 35.1, 35.0, 35.2])
    codes = mesh_from_points(lon, lat, level=3)
    return pd.DataFrame(
        {
            "mesh_code": codes,
            "pref_code": ["a", "a", "c", "c"],
            "population": [1000, 10, 500, 5],
            "urban": [True, False, True, False],
        }
    )


def test_cell_rtt_is_hub_rtt_plus_local_term_and_groups_match_cells():
    dcs = gpd.GeoDataFrame(
        {"site_id": ["D"], "pref_code": ["a"]}, geometry=[shapely.Point(135.0, 35.0)], crs=6668
    )
    g = build_backbone(_hubs(), _links(), datacenters=dcs)
    lat = LatencyModel()
    grid = _grid()
    res = rtt_to_nearest_dc(g, grid=grid, latency=lat)
    hub = res.by_prefecture.set_index("pref_code")["rtt_ms"]
    lon, la = mesh_centroids(grid["mesh_code"].to_numpy())
    hx = np.where(grid["pref_code"] == "a", 135.0, 137.0)
    expect = (
        hub.loc[grid["pref_code"]].to_numpy() + 2 * haversine_km(lon, la, hx, 35.0) * 1.4 * 0.005
    )
    assert res.by_cell == pytest.approx(expect)
    groups = demand_groups(grid, g, latency=lat)
    group_rtt = hub.loc[groups["pref_code"]].to_numpy() + groups["local_ms"].to_numpy()
    assert np.average(group_rtt, weights=groups["population"]) == pytest.approx(
        res.summary["mean_rtt_ms"]
    )
    urban = grid["urban"].to_numpy()
    assert res.summary["urban_rtt_ms"] == pytest.approx(
        np.average(expect[urban], weights=grid["population"][urban])
    )
    assert res.summary["rural_rtt_ms"] > res.summary["urban_rtt_ms"]


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_rtt_matrix_matches_networkx_dijkstra(seed):
    rng = np.random.default_rng(seed)
    n = 8
    hubs = pd.DataFrame(
        {
            "code": [f"h{i}" for i in range(n)],
            "lon": rng.uniform(130, 140, n),
            "lat": rng.uniform(31, 40, n),
        }
    )
    pairs = {(i, i + 1) for i in range(n - 1)}
    pairs |= {tuple(sorted(rng.choice(n, 2, replace=False))) for _ in range(6)}
    links = pd.DataFrame(
        {
            "from_code": [f"h{a}" for a, _ in pairs],
            "to_code": [f"h{b}" for _, b in pairs],
            "length_km": rng.uniform(1, 500, len(pairs)),
        }
    )
    g = build_backbone(hubs, links)
    lat = LatencyModel()
    for u, v, d in g.edges(data=True):
        g.edges[u, v]["w"] = float(lat.link_ms(d["length_km"]))
    nodes = list(g.nodes)
    got = rtt_matrix_ms(g, nodes, nodes, latency=lat)
    ref = dict(nx.all_pairs_dijkstra_path_length(g, weight="w"))
    want = np.array([[ref[a][b] for b in nodes] for a in nodes]) + lat.fixed_ms
    assert got == pytest.approx(want)


def test_latency_model_rejects_bad_parameters():
    with pytest.raises(InputError, match="route_factor"):
        LatencyModel(route_factor=0.5)
    with pytest.raises(InputError, match="hop_ms"):
        LatencyModel(hop_ms=-1)


def test_embedded_backbone_is_connected_and_complete():
    from denen_gis.io.japan import (
        load_backbone_links,
        load_cables,
        load_datacenters,
        load_hubs,
        load_landings,
    )

    dcs = load_datacenters()
    g = build_backbone(
        load_hubs(), load_backbone_links(), load_cables(), load_landings(), datacenters=dcs
    )
    assert nx.is_connected(g)
    assert sum(d["kind"] == "hub" for _, d in g.nodes(data=True)) == 47
    assert sum(d["kind"] == "dc" for _, d in g.nodes(data=True)) == len(dcs)
    res = rtt_to_nearest_dc(g, sites=dcs.loc[dcs["status"] == "existing", "site_id"])
    assert np.isfinite(res.by_prefecture["rtt_ms"]).all()
    # Okinawa is the farthest from a DC only if it had none; it has one in Naha
    assert res.by_prefecture.set_index("pref_code").loc["47", "nearest_dc"] == "EX-NAHA"


def test_telegeography_style_landings_without_cable_ids_attach_by_proximity():
    cables, landings = _cable_layers()
    landings = landings.assign(cable_id="", pref_code="", status="existing")
    g = build_backbone(_hubs(), _links(), cables, landings)
    assert g.edges["landing:LA", "landing:LB"]["length_km"] == pytest.approx(150.0)
    # no prefecture code: each landing joins its nearest hub (within 150 km)
    assert g.has_edge("landing:LC", "hub:c")


def test_group_worst_cell_ignores_empty_cells_and_matches_the_cell_maximum():
    dcs = gpd.GeoDataFrame(
        {"site_id": ["D"], "pref_code": ["a"]}, geometry=[shapely.Point(135.0, 35.0)], crs=6668
    )
    g = build_backbone(_hubs(), _links(), datacenters=dcs)
    grid = _grid()
    # a populated urban cell away from hub c, and a farther empty one
    extra = mesh_from_points(np.array([137.3, 137.9]), np.array([35.3, 35.9]), level=3)
    more = pd.DataFrame(
        {"mesh_code": extra, "pref_code": ["c", "c"], "population": [50, 0], "urban": True}
    )
    grid = pd.concat([grid, more], ignore_index=True)
    res = rtt_to_nearest_dc(g, grid=grid)
    groups = demand_groups(grid, g)
    hub = res.by_prefecture.set_index("pref_code")["rtt_ms"]
    group_rtt = hub.loc[groups["pref_code"]].to_numpy() + groups["local_ms"].to_numpy()
    worst = hub.loc[groups["pref_code"]].to_numpy() + groups["local_max_ms"].to_numpy()
    summary = summarize_rtt(group_rtt, groups["population"], groups["urban"], worst_ms=worst)
    # the empty far cell is the farthest of all, but nobody lives there
    populated = grid["population"].to_numpy() > 0
    assert res.by_cell.max() > res.by_cell[populated].max()
    assert summary["max_rtt_ms"] == pytest.approx(res.by_cell[populated].max())
    assert summary["max_rtt_ms"] == pytest.approx(res.summary["max_rtt_ms"])
    assert summary["max_rtt_ms"] > group_rtt.max()  # worst cell, not worst group mean
    assert summary["mean_rtt_ms"] == pytest.approx(res.summary["mean_rtt_ms"])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=50),
            st.floats(min_value=0, max_value=5),
            st.integers(min_value=0, max_value=10_000),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_summarize_rtt_worst_is_the_maximum_of_worst_ms_over_populated_rows(rows):
    rtt = np.array([r[0] for r in rows])
    worst = rtt + np.array([r[1] for r in rows])
    pop = np.array([r[2] for r in rows], dtype=float)
    s = summarize_rtt(rtt, pop, worst_ms=worst)
    if (pop > 0).any():
        assert s["max_rtt_ms"] == worst[pop > 0].max()
        assert s["max_rtt_ms"] >= s["mean_rtt_ms"] - 1e-9
        assert summarize_rtt(rtt, pop)["max_rtt_ms"] == rtt[pop > 0].max()  # default: rows
    else:
        assert np.isnan(s["max_rtt_ms"])
    with pytest.raises(InputError, match="worst_ms"):
        summarize_rtt(rtt, pop, worst_ms=worst[:-1] if len(worst) > 1 else [1.0, 2.0])
