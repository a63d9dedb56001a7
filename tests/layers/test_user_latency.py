"""User round trip: radio + backbone via the core exchange, next to backbone only."""

from __future__ import annotations

import pandas as pd
import pytest

from denen_gis.errors import InputError
from denen_gis.layers.backbone import build_backbone
from denen_gis.layers.user_latency import user_round_trip

HUBS = pd.DataFrame(
    {
        "code": ["a", "b", "c"],
        "lon": [0.0, 1.0, 2.0],
        "lat": [0.0, 0.0, 0.0],
        "exchange": ["core", "none", "none"],
    }
)
LINKS = pd.DataFrame({"from_code": ["a", "b"], "to_code": ["b", "c"], "length_km": [100.0, 100.0]})
DCS = pd.DataFrame({"site_id": ["x"], "pref_code": ["c"], "lon": [2.0], "lat": [0.0]})


def test_the_exchange_detour_and_the_radio_leg_are_added():
    g = build_backbone(HUBS, LINKS, datacenters=DCS)
    demand = pd.DataFrame({"node": ["hub:b"], "population": [10.0], "local_ms": [0.2]})
    u = user_round_trip(g, demand, sites=["x"])
    link = 2 * 100 * 0.005 + 0.1  # one 100 km link, round trip [ms]
    access = 0.1 + 0.5 + 0.2  # DC access hop, fixed term, local leg
    assert u.backbone_only_ms == pytest.approx(link + access, abs=1e-3)
    # b -> a (the exchange) -> b -> c: three links instead of one.
    assert u.via_exchange_ms == pytest.approx(3 * link + access, abs=1e-3)
    assert u.radio_ms == 8.0
    assert u.user_ms == pytest.approx(8.0 + u.via_exchange_ms)


def test_no_core_exchange_is_refused():
    g = build_backbone(HUBS.assign(exchange="none"), LINKS, datacenters=DCS)
    demand = pd.DataFrame({"node": ["hub:b"], "population": [1.0], "local_ms": [0.0]})
    with pytest.raises(InputError, match="core exchange"):
        user_round_trip(g, demand, sites=["x"])
