"""Hazard zones, failure measures and N-k on tiny hand-made backbones."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from denen_gis.errors import InputError
from denen_gis.layers.backbone import build_backbone
from denen_gis.layers.hazards import HAZARD_IDS, builtin_hazards, hazard_failure
from denen_gis.layers.shared_risk import failure_network, measure_failure, n_minus_k

# Four hubs on a line a-b-c-d (lon 0..3); a is the core exchange, d hosts the DC.
HUBS = pd.DataFrame(
    {
        "code": ["a", "b", "c", "d"],
        "lon": [0.0, 1.0, 2.0, 3.0],
        "lat": [0.0, 0.0, 0.0, 0.0],
        "population": [100, 200, 300, 400],
        "block": ["R1", "R1", "R2", "R2"],
        "exchange": ["core", "none", "none", "none"],
    }
)
DCS = pd.DataFrame({"site_id": ["dc1"], "pref_code": ["d"], "lon": [3.0], "lat": [0.01]})


def _links(extra: list[tuple[str, str, float]] | None = None) -> pd.DataFrame:
    rows = [("a", "b", 0.0), ("b", "c", 0.0), ("c", "d", 0.0), *(extra or [])]
    return pd.DataFrame(
        {
            "link_id": [f"L-{a}-{b}-{i}" for i, (a, b, _) in enumerate(rows)],
            "from_code": [r[0] for r in rows],
            "to_code": [r[1] for r in rows],
            "via_lon": [(HUBS.set_index("code").loc[[a, b], "lon"].mean()) for a, b, _ in rows],
            "via_lat": [r[2] for r in rows],
            "capacity_tbps": 10.0,
        }
    )


def _graph(extra: list[tuple[str, str, float]] | None = None) -> nx.Graph:
    return build_backbone(HUBS, _links(extra), datacenters=DCS)


def test_a_second_route_keeps_people_connected_and_adds_capacity() -> None:
    zone = shapely.box(1.4, -0.1, 1.6, 0.1)  # cuts the straight b-c route only
    one, two = _graph(), _graph([("b", "c", 0.5)])
    m1, m2 = (measure_failure(failure_network(g), **_failed(g, zone)) for g in (one, two))
    assert m1.isolated_from_core == 700  # c and d lose a
    assert m1.isolated_from_datacenters == 300  # a and b lose d
    assert m2.isolated_from_core == 0
    assert m2.isolated_from_datacenters == 0
    assert m2.interregional_capacity_tbps == 10.0
    assert m1.interregional_capacity_tbps == 0.0
    assert m2.rtt_detour_ms > 0  # the detour via the waypoint is longer


def _failed(g: nx.Graph, zone: shapely.Geometry) -> dict:
    f = hazard_failure(g, zone)
    return {"failed_nodes": f.nodes, "failed_edge_ids": f.edge_ids}


def test_a_failed_hub_counts_its_people_cut_off_and_no_improvement_in_the_mean() -> None:
    g = _graph()
    m = measure_failure(failure_network(g), failed_nodes=["hub:b"])
    assert m.isolated_from_core == 200 + 300 + 400
    assert m.isolated_from_datacenters == 100 + 200
    # c and d still reach the DC; a and b (cut off) never enter the detour.
    assert m.connected_people == 700
    assert m.rtt_detour_ms >= 0


def test_builtin_hazards_are_the_four_scenarios() -> None:
    zones = builtin_hazards()
    assert tuple(zones["id"]) == HAZARD_IDS
    assert zones.geometry.is_valid.all()


def test_n_minus_2_finds_the_pair_of_routes() -> None:
    g = _graph([("b", "c", 0.5)])
    res = n_minus_k(failure_network(g), k=2)
    m = len(failure_network(g).elements)
    assert res.pairs == m * (m - 1) // 2
    # No international landing in this network: everyone counts as cut off from one.
    assert res.worst[0]["isolated_from_international"] == 1000
    assert res.worst[0]["isolated_from_core"] == 900  # a-b has one route: cut it, a is alone
    one = n_minus_k(failure_network(g), k=1)
    assert one.worst[0]["isolated_from_core"] == 900
    assert one.pairs == m
    with pytest.raises(InputError):
        n_minus_k(failure_network(g), k=3)


def test_n_minus_2_pruning_matches_full_recomputation() -> None:
    g = _graph([("b", "c", 0.5), ("a", "b", -0.5), ("c", "d", 0.3)])
    net = failure_network(g)
    res = n_minus_k(net, k=2, top=10_000)
    for w in res.worst:
        failed = [net.elements.index(e) for e in w["elements"]]
        keep = net.edge_mask(failed, net.node_mask(failed))
        dead = net.node_mask(failed)
        assert net.isolated(keep, dead) == (
            w["isolated_from_core"],
            w["isolated_from_international"],
            w["isolated_from_datacenters"],
        )


@settings(max_examples=40, deadline=None)
@given(
    extra=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]), st.sampled_from(["b", "c", "d"]), st.floats(-0.8, 0.8)
        ),
        max_size=3,
    ),
    new=st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["c", "d"]), st.floats(-0.8, 0.8)),
    zx=st.floats(0.0, 3.0),
    width=st.floats(0.05, 1.5),
)
def test_adding_a_route_never_cuts_off_more_or_lowers_capacity(extra, new, zx, width) -> None:
    extra = [e for e in extra if e[0] < e[1]]
    zone = shapely.box(zx, -1.0, zx + width, 1.0)
    before_g, after_g = _graph(extra), _graph([*extra, new])
    before = measure_failure(failure_network(before_g), **_failed(before_g, zone))
    after = measure_failure(failure_network(after_g), **_failed(after_g, zone))
    assert after.isolated_from_core <= before.isolated_from_core
    assert after.isolated_from_datacenters <= before.isolated_from_datacenters
    assert after.isolated_from_international <= before.isolated_from_international
    assert after.interregional_capacity_tbps >= before.interregional_capacity_tbps - 1e-9


def test_n_minus_1_never_shows_an_improvement_for_a_cut_that_isolates_people():
    from denen_gis.layers.resilience import n_minus_1

    g = _graph([("b", "c", 0.5)])
    report = n_minus_1(g, sites=["dc1"])
    assert (report.cuts["rtt_increase_ms"] >= -1e-12).all()
    isolating = report.cuts[report.cuts["population_cut_off"] > 0]
    assert len(isolating) > 0
    # Cutting c-d isolates a, b and c from the DC: the people left (d) see no change.
    cd = report.cuts[report.cuts["id"] == "L-c-d-2"].iloc[0]
    assert cd["population_cut_off"] == 600
    assert cd["rtt_increase_ms"] == 0.0
