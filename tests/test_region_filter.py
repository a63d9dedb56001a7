"""Region runs keep every row whatever its code spelling, and the stations across the border."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from denen_gis.io.japan import load_population_grid, load_prefectures, load_stations
from denen_gis.io.sources import filter_region
from denen_gis.layers.coverage import compute_coverage
from denen_gis.pipeline import prepare_inputs
from denen_gis.scenario import scenario_from_dict
from denen_gis.schema import validate_layer


def test_numeric_pref_code_survives_the_region_filter():
    cand = gpd.GeoDataFrame(
        {
            "site_id": ["a", "b"],
            "station_type": ["nr700_macro"] * 2,
            "cost_myen": [30.0, 30.0],
            "pref_code": [1, 5],
        },
        geometry=[Point(141.3, 43.0), Point(140.1, 39.7)],
        crs=6668,
    )
    layer = validate_layer(cand, "candidates")
    assert len(filter_region(layer, ["01", "05"])) == 2


def test_municipality_regions_keep_the_existing_stations(tmp_path):
    prefs = load_prefectures()
    tottori = prefs.loc[prefs["code"] == "31"].geometry.iloc[0]
    w, s, e, n = tottori.bounds
    mid = (w + e) / 2
    muni = gpd.GeoDataFrame(
        {"code": ["31201", "31202"], "name_ja": ["東部", "西部"], "name_en": ["East", "West"]},
        geometry=[
            tottori.intersection(shapely.box(w, s, mid, n)),
            tottori.intersection(shapely.box(mid, s, e, n)),
        ],
        crs=6668,
    )
    muni.to_file(tmp_path / "muni.gpkg", layer="regions", engine="pyogrio")
    grid = load_population_grid()
    grid = pd.DataFrame(grid.loc[grid["pref_code"] == "31", ["mesh_code", "population"]])
    grid.to_csv(tmp_path / "pop.csv", index=False)
    s = scenario_from_dict(
        {
            "inputs": {"prefectures": "muni.gpkg", "population": "pop.csv"},
            "region": {"prefectures": ["31201", "31202"]},
        },
        base_dir=str(tmp_path),
    )
    inputs = prepare_inputs(s)
    assert len(inputs.stations) > 0
    assert inputs.before.coverage_pct > 50.0  # Tottori is about 87% covered today


def test_region_run_counts_stations_across_the_border():
    s = scenario_from_dict({"region": {"prefectures": ["Saitama"]}})
    inputs = prepare_inputs(s)
    national = compute_coverage(inputs.grid, load_stations()).summary.coverage_pct
    assert inputs.before.coverage_pct == pytest.approx(national, abs=1e-9)
