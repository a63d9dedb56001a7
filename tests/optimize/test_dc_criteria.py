"""The policy's criteria in the DC siting objective, and the reasons per site."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from denen_gis.errors import InputError
from denen_gis.optimize.dc_criteria import site_penalty_ms, site_reasons
from denen_gis.optimize.dc_siting import solve_dc_siting

SITES = pd.DataFrame(
    {
        "hazard_index": [0.9, 0.2, 0.5],
        "cooling_index": [0.1, 0.9, 0.5],
        "renewable_index": [0.3, 0.9, 0.5],
        "landing_km": [400.0, 20.0, 100.0],
        "area": ["other", "other", "tokyo"],
        "status": ["candidate", "candidate", "candidate"],
    }
)


def test_a_penalty_moves_the_choice_when_latency_is_close():
    w = np.array([100.0, 100.0])
    rtt = np.array([[1.0, 1.2], [1.2, 1.0]])  # both sites equally good for latency
    other = solve_dc_siting(w, rtt, k=1, site_penalty_ms=[0.0, 0.5])
    assert other.chosen.tolist() == [0]
    penalised = solve_dc_siting(w, rtt, k=1, site_penalty_ms=[0.5, 0.0])
    assert penalised.chosen.tolist() == [1]
    # The objective counts the penalty of the chosen site: mean RTT 1.1 + 0.
    assert penalised.objective == pytest.approx(1.1)
    far = solve_dc_siting(w, np.array([[1.0, 5.0], [1.2, 5.0]]), k=1, site_penalty_ms=[0.5, 0.0])
    assert far.chosen.tolist() == [0]  # latency still wins when the gap is large
    with pytest.raises(InputError, match="site_penalty_ms"):
        solve_dc_siting(w, rtt, k=1, site_penalty_ms=[-1.0, 0.0])


def test_penalties_and_reasons_follow_the_indices():
    pen = site_penalty_ms(
        SITES, {"hazard": 0.3, "cooling": 0.15, "renewable": 0.15, "land": 0.1, "landing": 0.15}
    )
    assert pen.argmin() == 1 and pen.argmax() == 0
    assert site_penalty_ms(SITES, {}).tolist() == [0.0, 0.0, 0.0]
    why = site_reasons(SITES, candidates=SITES["status"] == "candidate", weights={"hazard": 0.3})
    assert "low hazard" in why[1] and "cool climate" in why[1]
    assert "high hazard" in why[0]
    assert "costly metro land" in why[2]
    with pytest.raises(InputError, match="unknown"):
        site_penalty_ms(SITES, {"beauty": 1.0})


def test_a_cover_set_forces_a_site_open_unless_an_open_one_meets_it():
    w = np.array([100.0, 100.0])
    rtt = np.array([[1.0, 1.1, 3.0], [1.1, 1.0, 3.0]])
    assert solve_dc_siting(w, rtt, k=1).chosen.tolist() in ([0], [1])
    forced = solve_dc_siting(w, rtt, k=1, cover_sets=[(2,)])
    assert forced.chosen.tolist() == [2]
    met = solve_dc_siting(w, rtt, k=1, always_open=[2], cover_sets=[(2,)])
    assert met.chosen.tolist() in ([0], [1])
    with pytest.raises(InputError, match="cover_sets"):
        solve_dc_siting(w, rtt, k=1, cover_sets=[()])


def test_hazard_cover_sets_follow_the_surviving_backbone():
    import networkx as nx
    import shapely

    from denen_gis.optimize.dc_hazard_rule import hazard_cover_sets

    g = nx.Graph()
    for name, lon, block in (("hub:a", 0.0, "N"), ("hub:b", 2.0, "S")):
        g.add_node(name, kind="hub", lon=lon, lat=0.0, block=block)
    g.add_node("dc:x", kind="dc", lon=0.0, lat=0.1)
    g.add_node("dc:y", kind="dc", lon=2.0, lat=0.1)
    g.add_edge("hub:a", "hub:b", id="L", line=((0.0, 0.0), (2.0, 0.0)))
    g.add_edge("hub:a", "dc:x", id="DA-x")
    g.add_edge("hub:b", "dc:y", id="DA-y")
    zones = pd.DataFrame(
        {
            "id": ["cut", "dcx"],
            "geometry": [shapely.box(0.9, -1, 1.1, 1), shapely.box(-0.1, 0.05, 0.1, 0.2)],
        }
    )
    rule = hazard_cover_sets(g, ["x", "y"], zones)
    # The cut splits N and S: each keeps only its own DC; losing x leaves y for both.
    assert dict(zip(rule.labels, rule.covers, strict=True)) == {
        "cut/N": (0,),
        "cut/S": (1,),
        "dcx/N": (1,),
        "dcx/S": (1,),
    }
    assert rule.unmet == ()


def test_huge_weights_and_penalties_are_input_errors_not_infeasible():
    """Issue 16: 1e300 ms made CP-SAT's model invalid, reported as 'cannot be met'."""
    from denen_gis.optimize.dc_criteria import MAX_CRITERION_MS
    from denen_gis.scenario_checks import MAX_WEIGHT_MS

    assert MAX_CRITERION_MS == MAX_WEIGHT_MS
    w = np.array([100.0, 100.0])
    rtt = np.array([[1.0, 1.2], [1.2, 1.0]])
    with pytest.raises(InputError, match="site_penalty_ms"):
        solve_dc_siting(w, rtt, k=1, site_penalty_ms=[1e300, 0.0])
    with pytest.raises(InputError, match=r"at most 1e\+06"):
        site_penalty_ms(SITES, {"hazard": 1e300})
    top = site_penalty_ms(SITES, dict.fromkeys(("hazard", "cooling", "land"), MAX_CRITERION_MS))
    assert solve_dc_siting(w, rtt, k=1, site_penalty_ms=top[:2]).chosen.size == 1


def test_an_invalid_cp_sat_model_is_an_internal_error(monkeypatch):
    from ortools.sat.python import cp_model

    from denen_gis.optimize.landings import solve_landings

    monkeypatch.setattr(cp_model.CpSolver, "solve", lambda *a, **k: cp_model.MODEL_INVALID)
    w = np.array([100.0, 100.0])
    rtt = np.array([[1.0, 1.2], [1.2, 1.0]])
    with pytest.raises(RuntimeError, match=r"MODEL_INVALID.*bug"):
        solve_dc_siting(w, rtt, k=1)
    with pytest.raises(RuntimeError, match=r"MODEL_INVALID.*bug"):
        solve_landings(w, rtt * 100, count=1, cost_per_landing_myen=300.0)
