"""User cable files on the infrastructure map; an unreachable Dask scheduler is an input error."""

from __future__ import annotations

import json

import pytest

from denen_gis.errors import InputError


def _tg_files(folder):
    """A Sea of Japan cable (Niigata-Akita) and a Kyushu-Okinawa cable, TeleGeography layout."""

    def cable(cid, coords):
        return {
            "type": "Feature",
            "properties": {"id": cid, "name": cid, "feature_id": f"{cid}-0"},
            "geometry": {"type": "MultiLineString", "coordinates": [coords]},
        }

    def landing(lid, xy):
        return {
            "type": "Feature",
            "properties": {"id": lid, "name": lid, "is_tbd": False},
            "geometry": {"type": "Point", "coordinates": xy},
        }

    cables = {
        "type": "FeatureCollection",
        "features": [
            cable("soj-x", [[139.0, 37.95], [139.5, 38.6], [140.0, 39.7]]),
            cable("oki-x", [[130.2, 31.4], [129.0, 29.0], [127.65, 26.2]]),
        ],
    }
    lands = {
        "type": "FeatureCollection",
        "features": [
            landing("tg-niigata", [139.0, 37.95]),
            landing("tg-akita", [140.0, 39.7]),
            landing("tg-satsuma", [130.2, 31.4]),
            landing("tg-naha", [127.65, 26.2]),
        ],
    }
    (folder / "cable-geo.json").write_text(json.dumps(cables), encoding="utf-8")
    (folder / "landing-point-geo.json").write_text(json.dumps(lands), encoding="utf-8")


def test_infrastructure_map_shows_the_users_landings(tmp_path):
    from denen_gis.outputs import plan_infrastructure_map
    from denen_gis.pipeline import plan
    from denen_gis.scenario import scenario_from_dict

    _tg_files(tmp_path)
    s = scenario_from_dict(
        {
            "scenario": {"time_limit_s": 5},
            "inputs": {"cables": "cable-geo.json", "landing_points": "landing-point-geo.json"},
            "region": {"prefectures": ["Tottori"]},
            "fiveg": {"enabled": False},
            "datacenters": {"enabled": False},
            "landings": {"count": 2},
            "resilience": False,
        },
        base_dir=str(tmp_path),
    )
    html = plan_infrastructure_map(plan(s)).get_root().render()
    assert "tg-niigata" in html
    assert "SOJ-ISHIKARI" not in html


def test_unreachable_dask_scheduler_is_an_input_error(monkeypatch):
    distributed = pytest.importorskip("distributed")
    from denen_gis.budget_sweep import sweep
    from denen_gis.scenario import scenario_from_dict

    def refuse(*args, **kwargs):
        msg = "Timed out trying to connect to tcp://127.0.0.1:9 after 30 s"
        raise OSError(msg)

    monkeypatch.setattr(distributed, "Client", refuse)
    s = scenario_from_dict(
        {
            "region": {"prefectures": ["Tottori"]},
            "fiveg": {"objective": "coverage", "budget_myen": 100},
            "scenario": {"time_limit_s": 5},
        }
    )
    with pytest.raises(InputError):
        sweep(s, [100.0], scheduler="tcp://127.0.0.1:9")
