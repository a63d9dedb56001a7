"""Generated map HTML: layers, escaping, offline build, size."""

from __future__ import annotations

import base64
import io
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from denen_gis.errors import InputError
from denen_gis.mesh import mesh_indices
from denen_gis.render import (
    CoverageView,
    comparison_map,
    coverage_map,
    fetched_urls,
    infrastructure_map,
    save_map,
)
from denen_gis.render._raster import MeshRaster, mercator_rows, palette_png
from denen_gis.render.basemap import simplify_prefectures

from .conftest import XSS

DATE = "2025-04-01"


@pytest.fixture(scope="module")
def cov_html(grid, prefectures, new_sites, stations, by_prefecture):
    m = coverage_map(
        grid,
        prefectures,
        by_prefecture=by_prefecture,
        new_sites=new_sites,
        stations=stations,
        scenario_name="plan <A>",
        date=DATE,
    )
    return m.get_root().render()


def _tile_hosts(html: str) -> list[str]:
    return re.findall(r"cyberjapandata\.gsi\.go\.jp|tile\.openstreetmap\.org", html)


def test_coverage_layers_present(cov_html):
    for name in (
        "Prefectures (offline)",
        "5G coverage by prefecture",
        "Population density (1 km)",
        "Uncovered people, before",
        "Uncovered people, after",
        "Newly covered people",
        "Urban / rural (DID rule)",
        "New 5G sites",
        "Existing 5G stations (per 10 km)",
        "GSI standard map (online)",
        "GSI pale map (online)",
        "OpenStreetMap (online)",
    ):
        assert json.dumps(name) in cov_html, name
    assert "L.control.layers" in cov_html
    assert "L.control.scale" in cov_html


def test_coverage_is_offline(cov_html):
    assert fetched_urls(cov_html) == []
    assert "cdn.jsdelivr" not in cov_html and "cdnjs" not in cov_html
    # Tile layers exist as options but none is added to the map at start.
    assert _tile_hosts(cov_html)
    tile_vars = re.findall(r"var (tile_layer_\w+) = L\.tileLayer", cov_html)
    assert len(tile_vars) == 3
    for var in tile_vars:
        assert f"{var}.addTo(" not in cov_html


def test_offline_only_has_no_tile_url(grid, prefectures):
    html = coverage_map(grid, prefectures, date=DATE, offline_only=True).get_root().render()
    assert _tile_hosts(html) == []
    assert "L.tileLayer" not in html
    assert not re.search(r"https?://[^\"' ]*\{z\}", html)


def test_values_are_escaped(cov_html):
    assert XSS not in cov_html
    assert "alert(1)" in cov_html  # the name is there, as text
    assert "plan <A>" not in cov_html
    assert "plan &lt;A&gt;" in cov_html.replace("\\u0026", "&").replace("\\u003c", "<")


def test_title_block(cov_html):
    text = cov_html.replace("\\u0026", "&").replace("\\u003c", "<").replace("\\u003e", ">")
    assert DATE in text
    assert "Modelled layers: 1 km population grid" in text
    assert "calibrated to official totals" in text


def test_japanese_labels(grid, prefectures):
    html = coverage_map(grid, prefectures, lang="ja", date=DATE).get_root().render()
    assert json.dumps("圏外人口（整備前）") in html
    assert "Uncovered people" not in html


def test_no_feature_per_cell(cov_html, grid):
    # Cells are pixels of PNG overlays, never GeoJSON features.
    assert cov_html.count('"type":"Feature"') == 2  # the two prefectures, nothing per cell
    assert cov_html.count("data:image/png;base64,") >= 5
    assert len(cov_html) < 1_500_000


def test_site_popup_explains(cov_html):
    text = cov_html.replace("\\u003c", "<").replace("\\u003e", ">")
    assert "People newly covered" in text
    assert "Fiscal year" in text
    assert "Adds 5G coverage for 1,200 people at 45.0 million yen (37,500 yen per person)" in text


def test_clustering_only_when_many(grid, prefectures, new_sites):
    few = coverage_map(grid, prefectures, new_sites=new_sites, date=DATE).get_root().render()
    assert "markerClusterGroup" not in few
    many = coverage_map(grid, prefectures, new_sites=new_sites, date=DATE, cluster_over=2)
    html = many.get_root().render()
    assert "L.markerClusterGroup(" in html
    assert 'data-asset="markerclusterjs"' in html
    assert fetched_urls(html) == []


def test_prefecture_table_from_grid(grid, prefectures):
    html = coverage_map(grid, prefectures, date=DATE).get_root().render()
    tokyo = grid[grid.pref_code == "13"]
    before = 100.0 * tokyo.population[tokyo.covered_before].sum() / tokyo.population.sum()
    after = 100.0 * tokyo.population[tokyo.covered_after].sum() / tokyo.population.sum()
    assert f"{before:.1f}" in html and f"{after:.1f}" in html


def test_grid_errors(grid, prefectures):
    with pytest.raises(InputError, match="covered_before"):
        coverage_map(grid.drop(columns="covered_before"), prefectures)
    bad = grid.copy()
    bad.loc[3, "population"] = -5
    with pytest.raises(InputError, match="row 3"):
        coverage_map(bad, prefectures)
    with pytest.raises(InputError, match="lang"):
        coverage_map(grid, prefectures, lang="fr")
    with pytest.raises(InputError, match="name_en"):
        coverage_map(grid, prefectures.drop(columns="name_en"))


def test_infrastructure_map(prefectures, infra):
    m = infrastructure_map(prefectures, **infra, scenario_name="dc", date=DATE, offline_only=True)
    html = m.get_root().render()
    assert fetched_urls(html) == []
    assert _tile_hosts(html) == []
    for name in (
        "Data centres",
        "Submarine cables",
        "Landing stations",
        "Backbone links",
        "Round-trip time to nearest DC",
    ):
        assert json.dumps(name) in html
    assert XSS not in html
    text = html.replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")
    # Ranked by people cut off: the backbone first, the escaped name second.
    panel = text[text.index("Which cut hurts most") :]
    assert panel.index("backbone 05-13") < panel.index("&lt;script&gt;alert(1)")
    assert panel.index("&lt;script&gt;alert(1)") < panel.index("PAC-1</td>")
    assert re.search(r'"dashArray":\s*"8 6"', html)  # planned cable dashed


def test_infrastructure_column_errors(prefectures, infra):
    args = dict(infra)
    args["rtt"] = pd.DataFrame({"pref_code": ["05"]})
    with pytest.raises(InputError, match="rtt_ms"):
        infrastructure_map(prefectures, **args)
    args = dict(infra)
    args["cables"] = infra["datacenters"]
    with pytest.raises(InputError, match="cable_id"):
        infrastructure_map(prefectures, **args)


def test_comparison_map(grid, prefectures, new_sites):
    diff = pd.DataFrame({"pref_code": ["05", XSS], "diff_pp": [12.5, 0.4]})
    dual = comparison_map(
        CoverageView(grid, "left", new_sites=new_sites),
        CoverageView(grid.drop(columns="covered_after"), "right"),
        prefectures=prefectures,
        diff_table=diff,
        date=DATE,
    )
    html = dual.get_root().render()
    assert fetched_urls(html) == []
    assert html.count("L.control.layers(") == 2
    assert ".sync(" in html
    assert json.dumps("Difference (right − left)")[1:-1] in html
    assert XSS not in html
    assert html.count("var denen_prefectures =") == 1  # outlines shared by both maps


def test_save_map_atomic(tmp_path, grid, prefectures):
    m = coverage_map(grid, prefectures, date=DATE)
    out = save_map(m, tmp_path / "sub" / "map.html")
    assert out.is_file() and out.stat().st_size > 100_000
    assert sorted(p.name for p in out.parent.iterdir()) == ["map.html"]


def test_save_map_leaves_nothing_on_failure(tmp_path):
    import folium
    from folium.plugins import Fullscreen

    m = folium.Map(tiles=None)
    Fullscreen().add_to(m)
    with pytest.raises(InputError):
        save_map(m, tmp_path / "x.html")
    assert list(tmp_path.iterdir()) == []


def test_simplify_keeps_prefectures(prefectures):
    out = simplify_prefectures(prefectures, tolerance_deg=0.05)
    assert list(out["code"]) == ["05", "13"]
    assert out.crs.to_epsg() == 6668
    assert (shapely.area(out.geometry.to_numpy()) > 0).all()


def _decode(uri: str) -> np.ndarray:
    png = base64.b64decode(uri.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_raster_pixel_lands_in_its_cell():
    # Two cells of one 1st-order square, far apart: corners of the image.
    codes = np.array(["53394611", "53394699"])
    raster = MeshRaster(*mesh_indices(codes))
    rgba = _decode(palette_png(raster, np.array([1, 2]), ["#ff0000", "#0000ff"]))
    h, w = rgba.shape[:2]
    assert w == 9
    assert tuple(rgba[-1, 0]) == (255, 0, 0, 230)  # south-west cell: bottom left
    assert tuple(rgba[0, -1]) == (0, 0, 255, 230)  # north-east cell: top right
    assert rgba[h // 2, w // 2, 3] == 0  # no cell there: transparent


@settings(max_examples=40, deadline=None)
@given(south=st.floats(20.0, 44.0), span=st.floats(0.01, 8.0), n=st.integers(1, 3000))
def test_mercator_rows_monotone(south, span, n):
    rows = mercator_rows(south, south + span, n)
    assert rows[0] == 0 or n == 1 or rows[0] <= 1
    assert rows[-1] >= n - 2
    assert (np.diff(rows) >= 0).all()
    assert rows.min() >= 0 and rows.max() <= n - 1


def test_folium_save_is_offline_too(tmp_path, grid, prefectures):
    # Maps are made offline when built, so folium's own save() is safe as well.
    path = tmp_path / "plain.html"
    coverage_map(grid, prefectures, date=DATE).save(str(path))
    assert fetched_urls(path.read_text(encoding="utf-8")) == []


def test_large_grid_falls_back_to_10km_pixels(monkeypatch, grid, prefectures):
    import denen_gis.render._coverage as coverage_layers

    monkeypatch.setattr(coverage_layers, "MAX_PIXELS", 10)
    html = coverage_map(grid, prefectures, date=DATE).get_root().render()
    assert json.dumps("Uncovered people, after") in html
    uris = re.findall(r'"(data:image/png;base64,[^"]+)"', html)
    assert uris and all(_decode(u).shape[1] <= 20 for u in uris)  # 10 km pixels, not 1 km


def test_finer_grid_is_summed_to_1km(grid, prefectures):
    fine = grid.assign(mesh_code=grid["mesh_code"] + "1")  # 500 m cells, one per 1 km cell
    a = coverage_map(fine, prefectures, date=DATE).get_root().render()
    b = coverage_map(grid, prefectures, date=DATE).get_root().render()
    assert re.findall(r"data:image/png;base64,[^\"]+", a) == re.findall(
        r"data:image/png;base64,[^\"]+", b
    )


def test_municipal_layer_drawn_and_toggled(grid, prefectures):
    import geopandas as gpd
    from shapely.geometry import box

    munis = gpd.GeoDataFrame(
        {"muni_code": ["05201", "05202", "13101"]},
        geometry=[
            box(140.0, 39.6, 140.3, 39.9),
            box(140.3, 39.6, 140.6, 39.9),
            box(139.7, 35.6, 139.8, 35.7),
        ],
        crs=6668,
    )
    table = pd.DataFrame(
        {
            "muni_code": ["05201", "05202"],
            "name_ja": ["秋田市", "<b>能代市</b>"],
            "population": [300000, 50000],
            "coverage_before_pct": [97.0, 40.0],
            "coverage_after_pct": [99.5, 85.0],
        }
    )
    plain = coverage_map(grid, prefectures, scenario_name="x", date=DATE).get_root().render()
    m = coverage_map(
        grid,
        prefectures,
        scenario_name="x",
        date=DATE,
        lang="ja",
        municipalities=munis,
        by_municipality=table,
    )
    html = m.get_root().render()
    assert "denen_municipalities" in html and "denen_municipalities" not in plain
    assert "市区町村別5Gカバー率" in html or json.dumps("市区町村別5Gカバー率")[1:-1] in html
    assert "13101" not in html  # only the table's municipalities are drawn
    assert "05201" in html and "05202" in html
    assert "<b>能代市</b>" not in html  # names are escaped
    # coloured by coverage after: 99.5% and 85.0% fall in different classes
    assert re.search(r'"05201": \{"fillColor": "#1a9850"\}', html)
    assert re.search(r'"05202": \{"fillColor": "#fee08b"\}', html)


def test_infrastructure_map_hazard_layers(prefectures, infra):
    zones = gpd.GeoDataFrame(
        {
            "id": ["tokyo_inland"],
            "name": [XSS],
            "without_cable": ["10 cut off"],
            "with_cable": ["5 cut off"],
        },
        geometry=[shapely.box(139.5, 35.5, 140.0, 35.9)],
        crs=6668,
    )
    routes = gpd.GeoDataFrame(
        {"hazard": ["tokyo_inland"], "link_id": ["L-11-13"]},
        geometry=[shapely.LineString([(139.6, 35.6), (139.7, 35.8)])],
        crs=6668,
    )
    m = infrastructure_map(
        prefectures, **infra, hazards=zones, hazard_routes=routes, date=DATE, offline_only=True
    )
    html = m.get_root().render()
    assert fetched_urls(html) == []
    assert "hazard: tokyo_inland" in html
    assert "L-11-13" in html and "5 cut off" in html
    assert XSS not in html
    with pytest.raises(InputError, match="with_cable"):
        infrastructure_map(prefectures, **infra, hazards=zones.drop(columns="with_cable"))
