"""Fixture files in the real layouts of e-Stat, N03 and TeleGeography, made in code."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LinearRing, LineString, MultiLineString, Point, Polygon, box

ESTAT_HEADER_2020 = (
    "KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001140001,T001140002,T001140003,T001140004",
    ",,,,人口（総数）,人口（総数）　男,人口（総数）　女,　０～１４歳人口　総数",
)

#: e-Stat population-and-household table of each (census year, mesh level).
ESTAT_TABLES = {
    (2010, 3): "T000608",
    (2010, 4): "T000609",
    (2010, 5): "T000649",
    (2015, 3): "T000846",
    (2015, 4): "T000847",
    (2015, 5): "T000876",
    (2020, 3): "T001140",
    (2020, 4): "T001141",
    (2020, 5): "T001142",
}
#: File-name letter of each level: S 1 km, H 500 m (half), Q 250 m (quarter).
ESTAT_LEVEL_LETTER = {3: "S", 4: "H", 5: "Q"}

# (item number, label) of the columns kept in the small fixtures, per census. The
# item numbers and labels follow e-Stat's files: 2020 labels start with a
# full-width space; 2010 says 人口総数 where 2015 and 2020 say 人口（総数）.
_ESTAT_ITEMS = {
    2010: [("001", "人口総数"), ("002", "男"), ("003", "女"), ("004", "世帯総数")],
    2015: [
        ("001", "人口（総数）"),
        ("002", "人口（総数）　男"),
        ("003", "人口（総数）　女"),
        ("004", "０～１４歳人口　総数"),
        ("025", "世帯総数"),
    ],
    2020: [
        ("001", "　人口（総数）"),
        ("002", "　人口（総数）　男"),
        ("003", "　人口（総数）　女"),
        ("019", "　６５歳以上人口　総数"),
        ("034", "　世帯総数"),
        ("035", "　一般世帯数"),
    ],
}


def estat_header(year: int, level: int) -> tuple[str, str]:
    """The two header rows of a ``year`` census table at mesh ``level`` (3, 4 or 5)."""
    table = ESTAT_TABLES[(year, level)]
    items = _ESTAT_ITEMS[year]
    codes = ",".join(f"{table}{n}" for n, _ in items)
    labels = ",".join(label for _, label in items)
    return f"KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,{codes}", f",,,,{labels}"


def estat_cells(year: int, level: int) -> list[list[object]]:
    """A few cells of 1st-order mesh 5339 in the ``year`` layout at ``level``.

    Four cells: a receiving cell (HTKSYORI 1, GASSAN), a cell merged into it
    (HTKSYORI 2, HTKSAKI), an ordinary cell and an empty-household cell. In
    2020 the merged cell keeps its population and household totals and only
    its breakdown is ``*``; the 2010 and 2015 fixtures show the older form
    where the whole merged row is ``*`` and its people are in the receiver.
    Populations: 1200, 3 (2020) or ``*`` (2010/2015), 35 and 1.
    """
    base = {3: "53394611", 4: "533946111", 5: "5339461111"}[level]
    codes = [base, base[:-1] + "2", base[:-1] + "3", base[:-1] + "4"]
    n_items = len(_ESTAT_ITEMS[year])
    hh_at = next(i for i, (_, label) in enumerate(_ESTAT_ITEMS[year]) if "世帯総数" in label)

    def row(code: str, flag: int, saki: str, gassan: str, pop: object, hh: object) -> list[object]:
        values: list[object] = ["*"] * n_items if pop == "*" or flag == 2 else [0] * n_items
        values[0], values[hh_at] = pop, hh
        if flag != 2 and pop != "*":
            values[1], values[2] = int(pop) // 2, int(pop) - int(pop) // 2
        return [code, flag, saki, gassan, *values]

    merged = (3, 2) if year == 2020 else ("*", "*")
    return [
        row(codes[0], 1, "", codes[1], 1200, 600),
        row(codes[1], 2, codes[0], "", *merged),
        row(codes[2], 0, "", "", 35, 20),
        row(codes[3], 0, "", "", 1, "-"),
    ]


def estat_bytes(
    rows: Sequence[Sequence[object]],
    *,
    header: Sequence[str] = ESTAT_HEADER_2020,
    encoding: str = "cp932",
) -> bytes:
    """An e-Stat mesh table: two header rows then ``rows``, CRLF line ends."""
    lines = [*header, *(",".join("" if v is None else str(v) for v in r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def estat_row(
    code: str, population: object, *, htksyori: int = 0, saki: str = "", gassan: str = ""
) -> list[object]:
    """One cell row: code, secrecy columns, total, male, female, children."""
    if population == "*":
        return [code, htksyori, saki, gassan, "*", "*", "*", "*"]
    return [code, htksyori, saki, gassan, population, "", "", ""]


def write_estat(path: Path, rows: Sequence[Sequence[object]], **kwargs: object) -> Path:
    path.write_bytes(estat_bytes(rows, **kwargs))
    return path


@pytest.fixture
def estat_5339(tmp_path: Path) -> Path:
    """A 2020 1 km table of three cells around Tokyo Station, one merged into another.

    As in the 2020 files: the merged cell (HTKSYORI 2) names the receiving cell
    in HTKSAKI and keeps its total while its breakdown is ``*``.
    """
    header = (
        ESTAT_HEADER_2020[0] + ",T001140034",
        ESTAT_HEADER_2020[1] + ",　世帯総数",
    )
    rows = [
        [*estat_row("53394611", 1200, htksyori=1, gassan="53394612"), 600],
        ["53394612", 2, "53394611", "", 3, "*", "*", "*", 2],
        [*estat_row("53394621", 35), 20],
    ]
    return write_estat(tmp_path / "tblT001140S5339.txt", rows, header=header)


def n03_frame() -> gpd.GeoDataFrame:
    """N03-like parts: a city in two parts, a county town, a ward, and an unassigned lake."""
    return gpd.GeoDataFrame(
        {
            "N03_001": ["北海道", "北海道", "北海道", "北海道", "北海道"],
            "N03_002": ["石狩振興局", "石狩振興局", "石狩振興局", "石狩振興局", None],
            "N03_003": ["札幌市", "石狩郡", None, None, None],
            "N03_004": ["中央区", "当別町", "石狩市", "石狩市", None],
            "N03_007": ["01101", "01303", "01235", "01235", None],
        },
        geometry=[
            box(141.30, 43.03, 141.36, 43.07),
            box(141.50, 43.20, 141.60, 43.30),
            box(141.30, 43.15, 141.40, 43.20),
            box(141.40, 43.15, 141.45, 43.20),  # touches the part before: dissolves to one
            box(141.70, 43.10, 141.72, 43.12),
        ],
        crs=6668,
    )


#: The hand-written TopoJSON fixture: 松江市 and 出雲市 sharing one arc, the island
#: 隠岐の島町 as a MultiPolygon, and an uncoded 所属未定地 (N03_007 null).
N03_TINY_TOPOJSON = Path(__file__).resolve().parents[1] / "data" / "n03_tiny.topojson"


def topojson_of(frame: gpd.GeoDataFrame, name: str = "N03") -> dict[str, object]:
    """A TopoJSON topology of a lon/lat polygon layer (one arc per ring, no quantisation).

    GDAL reads TopoJSON but cannot write it, so tests build it here.
    """
    arcs: list[list[list[float]]] = []

    def ring_arc(ring: LinearRing) -> int:
        arcs.append([[float(x), float(y)] for x, y in ring.coords])
        return len(arcs) - 1

    def polygon_arcs(poly: Polygon) -> list[list[int]]:
        return [[ring_arc(r)] for r in [poly.exterior, *poly.interiors]]

    geometries = []
    props = frame.drop(columns=frame.geometry.name)
    for geom, (_, row) in zip(frame.geometry, props.iterrows(), strict=True):
        properties = {k: (None if v is None or v != v else v) for k, v in row.items()}
        if geom.geom_type == "Polygon":
            entry = {"type": "Polygon", "arcs": polygon_arcs(geom)}
        else:
            entry = {"type": "MultiPolygon", "arcs": [polygon_arcs(p) for p in geom.geoms]}
        geometries.append({**entry, "properties": properties})
    return {
        "type": "Topology",
        "arcs": arcs,
        "objects": {name: {"type": "GeometryCollection", "geometries": geometries}},
    }


CABLES_GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {
                "id": "sea-of-japan",
                "name": "Sea of Japan Cable",
                "color": "#939597",
                "feature_id": "sea-of-japan-0",
            },
            "geometry": {
                "type": "MultiLineString",
                "coordinates": [[[141.35, 43.2], [139.0, 38.0], [138.25, 37.18]]],
            },
        },
        {
            "type": "Feature",
            "properties": {
                "id": "sea-of-japan",
                "name": "Sea of Japan Cable",
                "color": "#939597",
                "feature_id": "sea-of-japan-1",
            },
            "geometry": {
                "type": "MultiLineString",
                "coordinates": [[[138.25, 37.18], [136.0, 36.5], [130.4, 33.6]]],
            },
        },
        {
            "type": "Feature",
            "properties": {
                "id": "far-away",
                "name": "Far Away",
                "color": "#ff0000",
                "feature_id": "far-away-0",
            },
            "geometry": {
                "type": "MultiLineString",
                "coordinates": [[[-10.0, 40.0], [-20.0, 45.0]]],
            },
        },
    ],
}

LANDINGS_GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": "ishikari-japan", "name": "Ishikari, Japan", "is_tbd": False},
            "geometry": {"type": "Point", "coordinates": [141.35, 43.2]},
        },
        {
            "type": "Feature",
            "properties": {"id": "naoetsu-japan", "name": "Naoetsu, Japan", "is_tbd": None},
            "geometry": {"type": "Point", "coordinates": [138.25, 37.18]},
        },
        {
            "type": "Feature",
            "properties": {"id": "fukuoka-japan", "name": "Fukuoka, Japan", "is_tbd": True},
            "geometry": {"type": "Point", "coordinates": [130.4, 33.6]},
        },
        {
            "type": "Feature",
            "properties": {"id": "lisbon-portugal", "name": "Lisbon, Portugal", "is_tbd": False},
            "geometry": {"type": "Point", "coordinates": [-10.0, 40.0]},
        },
    ],
}


@pytest.fixture
def telegeography(tmp_path: Path) -> tuple[Path, Path]:
    """cable-geo.json and landing-point-geo.json in TeleGeography's layout."""
    c = tmp_path / "cable-geo.json"
    lp = tmp_path / "landing-point-geo.json"
    c.write_text(json.dumps(CABLES_GEOJSON), encoding="utf-8")
    lp.write_text(json.dumps(LANDINGS_GEOJSON), encoding="utf-8")
    return c, lp


def sample_layers() -> dict[str, gpd.GeoDataFrame]:
    """One small valid layer of several kinds, for round trips."""
    return {
        "population": gpd.GeoDataFrame(
            {
                "mesh_code": ["53394611", "53394612"],
                "population": [1200, 0],
                "pref_code": ["13", "13"],
                "area_km2": [1.03, 1.03],
            },
            geometry=[
                box(139.7625, 35.675, 139.775, 35.68333),
                box(139.775, 35.675, 139.7875, 35.68333),
            ],
            crs=6668,
        ),
        "landings": gpd.GeoDataFrame(
            {
                "landing_id": ["naoetsu"],
                "name": ["直江津"],
                "cable_id": ["soj"],
                "pref_code": ["15"],
            },
            geometry=[Point(138.25, 37.18)],
            crs=6668,
        ),
        "cables": gpd.GeoDataFrame(
            {
                "cable_id": ["soj", "b"],
                "name": ["Sea of Japan", "B"],
                "status": ["planned", "existing"],
                "length_km": [500.5, 10.0],
            },
            geometry=[
                LineString([(141.35, 43.2), (138.25, 37.18)]),
                MultiLineString([[(130.0, 33.0), (130.1, 33.0)], [(130.2, 33.0), (130.3, 33.1)]]),
            ],
            crs=6668,
        ),
    }
