"""Small synthetic fixtures: two prefectures and 1 km cells near Akita and Tokyo."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon

from denen_gis.mesh import mesh_from_indices, mesh_from_points, mesh_indices

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="session")
def prefectures() -> gpd.GeoDataFrame:
    akita = Polygon(
        [
            (139.70, 38.87),
            (140.99, 38.87),
            (140.99, 40.51),
            (140.10, 40.51),
            (139.85, 39.95),
            (139.70, 39.50),
        ]
    )
    tokyo = Polygon([(138.95, 35.50), (139.92, 35.50), (139.92, 35.90), (138.95, 35.90)])
    return gpd.GeoDataFrame(
        {"code": ["05", "13"], "name_ja": ["秋田県", "東京都"], "name_en": ["Akita", "Tokyo"]},
        geometry=[akita, tokyo],
        crs=6668,
    )


def _block(lon: float, lat: float, n: int) -> np.ndarray:
    row, col, _ = mesh_indices(mesh_from_points([lon], [lat]))
    rr, cc = np.meshgrid(np.arange(n) + row[0] - n // 2, np.arange(n) + col[0] - n // 2)
    return mesh_from_indices(rr.ravel(), cc.ravel(), level=3)


@pytest.fixture(scope="session")
def grid() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    akita = _block(140.10, 39.72, 12)  # Akita city
    tokyo = _block(139.77, 35.68, 10)  # Tokyo Station
    codes = np.concatenate([akita, tokyo])
    pref = np.array(["05"] * len(akita) + ["13"] * len(tokyo))
    pop = np.concatenate([rng.integers(0, 900, len(akita)), rng.integers(3000, 15000, len(tokyo))])
    before = np.concatenate([rng.random(len(akita)) < 0.5, np.ones(len(tokyo), bool)])
    after = before | (rng.random(len(codes)) < 0.6)
    return pd.DataFrame(
        {
            "mesh_code": codes,
            "population": pop,
            "pref_code": pref,
            "urban": pop >= 4000,
            "covered_before": before,
            "covered_after": after,
        }
    )


@pytest.fixture(scope="session")
def new_sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "site_id": ["AK-001", XSS, "AK-003"],
            "station_type": ["nr700_macro", "nr37_macro", "nr700_macro"],
            "cost_myen": [45.0, 80.5, 52.0],
            "year": [2025, 2026, 2026],
            "people_added": [1200, 3400, 800],
        },
        geometry=[Point(140.05, 39.70), Point(140.15, 39.75), Point(140.12, 39.66)],
        crs=6668,
    )


@pytest.fixture(scope="session")
def stations() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(7)
    lon = np.concatenate([139.72 + rng.random(30) * 0.1, 140.05 + rng.random(8) * 0.1])
    lat = np.concatenate([35.63 + rng.random(30) * 0.1, 39.68 + rng.random(8) * 0.1])
    return gpd.GeoDataFrame(
        {
            "site_id": [f"S{i}" for i in range(len(lon))],
            "station_type": rng.choice(["nr37_macro", "nr28_small"], len(lon)),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=6668,
    )


@pytest.fixture(scope="session")
def by_prefecture() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pref_code": ["05", "13"],
            "coverage_before_pct": [61.0, 99.5],
            "coverage_after_pct": [88.0, 99.9],
            "target_pct": [90.0, 99.0],
            "gap_pp": [2.0, 0.0],
        }
    )


@pytest.fixture(scope="session")
def infra() -> dict[str, object]:
    dcs = gpd.GeoDataFrame(
        {
            "site_id": ["DC1", "DC2", "DC3"],
            "name": ["Inzai", XSS, "Akita North"],
            "name_ja": ["印西", "ダミー", "秋田北"],
            "pref_code": ["13", "13", "05"],
            "status": ["existing", "funded", "candidate"],
            "capacity_mw": [300.0, 50.0, 30.0],
            "chosen": [False, False, True],
        },
        geometry=[Point(139.80, 35.80), Point(139.60, 35.65), Point(140.10, 39.90)],
        crs=6668,
    )
    cables = gpd.GeoDataFrame(
        {
            "cable_id": ["SOJ-1", "PAC-1"],
            "name": ["Sea of Japan cable", "Pacific trunk"],
            "status": ["planned", "existing"],
            "length_km": [600.0, 900.0],
        },
        geometry=[
            LineString([(139.9, 39.7), (139.3, 38.5), (138.5, 37.5)]),
            LineString([(140.5, 35.0), (141.5, 37.0), (142.0, 39.5)]),
        ],
        crs=6668,
    )
    landings = gpd.GeoDataFrame(
        {"landing_id": ["L1", "L2"], "name": ["Oga", "Noshiro"], "chosen": [True, False]},
        geometry=[Point(139.85, 39.88), Point(140.02, 40.20)],
        crs=6668,
    )
    backbone = gpd.GeoDataFrame(
        {"kind": ["land"], "from_code": ["05"], "to_code": ["13"], "length_km": [620.0]},
        geometry=[LineString([(140.1, 39.7), (139.77, 35.68)])],
        crs=6668,
    )
    rtt = pd.DataFrame({"pref_code": ["05", "13"], "rtt_ms": [9.5, 1.2]})
    resilience = pd.DataFrame(
        {
            "element": ["PAC-1", XSS, "backbone 05-13"],
            "population_cut": [0, 5000, 960000],
            "rtt_increase_ms": [3.5, 0.0, 12.0],
        }
    )
    return {
        "datacenters": dcs,
        "cables": cables,
        "landings": landings,
        "backbone": backbone,
        "rtt": rtt,
        "resilience": resilience,
    }
