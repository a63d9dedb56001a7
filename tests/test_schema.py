"""validate_layer on every layer kind and every kind of bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from denen_gis.errors import InputError
from denen_gis.schema import SCHEMAS, validate_layer

SRC = "layers/test.gpkg"


def _geoms(kind: str) -> list[object]:
    types = SCHEMAS[kind].geometry_types
    if "Polygon" in types:
        return [box(139.0, 35.0, 139.1, 35.1), box(139.1, 35.0, 139.2, 35.1)]
    if "LineString" in types:
        return [
            LineString([(139.0, 35.0), (140.0, 36.0)]),
            LineString([(135.0, 34.0), (136.0, 35.0)]),
        ]
    return [Point(139.0, 35.0), Point(135.0, 34.0)]


_ATTRS: dict[str, dict[str, list[object]]] = {
    "regions": {
        "code": ["13", "14"],
        "name_ja": ["東京都", "神奈川県"],
        "name_en": ["Tokyo", "Kanagawa"],
        "population": [14_047_594, 9_237_337],
    },
    "municipalities": {
        "muni_code": ["32201", "32203"],
        "name_ja": ["松江市", "浜田市"],
        "pref_code": ["32", "32"],
        "population": [200_000, 50_000],
    },
    "population": {"mesh_code": ["53394611", "53394612"], "population": [10, 0]},
    "stations": {
        "site_id": ["s1", "s2"],
        "station_type": ["nr700_macro", "nr3700_macro"],
        "height_m": [30.0, 40.0],
    },
    "candidates": {
        "site_id": ["c1", "c2"],
        "station_type": ["nr700_macro", "nr28g_small"],
        "cost_myen": [120.0, 15.0],
    },
    "datacenters": {
        "site_id": ["d1", "d2"],
        "name": ["Ishikari", "Osaka"],
        "pref_code": ["01", "27"],
        "status": ["existing", "candidate"],
        "capacity_mw": [60.0, 30.0],
    },
    "cables": {"cable_id": ["a", "b"], "name": ["A", "B"], "length_km": [150.0, 140.0]},
    "landings": {"landing_id": ["l1", "l2"], "name": ["Naoetsu", "Kitakyushu"]},
}
#: A numeric column of each kind with a minimum of 0 or more (landings has none).
_NUMERIC = {
    "regions": "population",
    "municipalities": "population",
    "population": "population",
    "stations": "height_m",
    "candidates": "cost_myen",
    "datacenters": "capacity_mw",
    "cables": "length_km",
}
KINDS = sorted(SCHEMAS)


def layer(kind: str, *, crs: object = 6668) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(dict(_ATTRS[kind]), geometry=_geoms(kind), crs=crs)


def test_every_kind_has_a_fixture() -> None:
    assert set(_ATTRS) == set(SCHEMAS)


@pytest.mark.parametrize("kind", KINDS)
def test_valid_layer_passes_and_fills_defaults(kind: str) -> None:
    out = validate_layer(layer(kind), kind, source=SRC)
    assert out.crs.to_epsg() == 6668
    assert len(out) == 2
    for col in SCHEMAS[kind].columns:
        if col.required or col.default is not None:
            assert col.name in out.columns
        if col.name in out.columns and col.kind == "int":
            assert out[col.name].dtype == np.int64


@pytest.mark.parametrize("kind", KINDS)
def test_missing_crs(kind: str) -> None:
    with pytest.raises(InputError, match=rf"^{SRC}: the layer has no CRS"):
        validate_layer(layer(kind, crs=None), kind, source=SRC)


@pytest.mark.parametrize("kind", KINDS)
def test_transform_from_4326(kind: str) -> None:
    src = layer(kind, crs=4326)
    out = validate_layer(src, kind, source=SRC)
    assert out.crs.to_epsg() == 6668
    # JGD2011 and WGS 84 agree to well under a metre
    np.testing.assert_allclose(
        out.geometry.bounds.to_numpy(), src.geometry.bounds.to_numpy(), atol=1e-5
    )


@pytest.mark.parametrize("kind", KINDS)
def test_missing_column(kind: str) -> None:
    required = next(c.name for c in SCHEMAS[kind].columns if c.required)
    frame = layer(kind).drop(columns=required)
    with pytest.raises(InputError, match=rf"^{SRC}: missing column '{required}'"):
        validate_layer(frame, kind, source=SRC)


@pytest.mark.parametrize("kind", sorted(_NUMERIC))
def test_non_numeric(kind: str) -> None:
    col = _NUMERIC[kind]
    frame = layer(kind)
    frame[col] = frame[col].astype(object)
    frame.loc[1, col] = "many"
    with pytest.raises(InputError, match=rf"^{SRC}: column '{col}' row 1 has 'many', not a number"):
        validate_layer(frame, kind, source=SRC)


@pytest.mark.parametrize("kind", sorted(_NUMERIC))
def test_negative(kind: str) -> None:
    col = _NUMERIC[kind]
    frame = layer(kind)
    frame.loc[1, col] = -5
    with pytest.raises(InputError, match=rf"^{SRC}: column '{col}' row 1 is -5, below the minimum"):
        validate_layer(frame, kind, source=SRC)


@pytest.mark.parametrize("kind", KINDS)
def test_duplicate_id(kind: str) -> None:
    key = SCHEMAS[kind].unique
    frame = layer(kind)
    frame.loc[1, key] = frame.loc[0, key]
    with pytest.raises(InputError, match=rf"^{SRC}: {key} .* in row 1 appears more than once"):
        validate_layer(frame, kind, source=SRC)


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_geometry_type(kind: str) -> None:
    other = "landings" if "Polygon" in SCHEMAS[kind].geometry_types else "regions"
    frame = layer(kind).set_geometry(_geoms(other))
    with pytest.raises(InputError, match=rf"^{SRC}: row 0 is a \w+; a {kind} layer needs"):
        validate_layer(frame, kind, source=SRC)


@pytest.mark.parametrize("kind", [k for k in KINDS if "Polygon" in SCHEMAS[k].geometry_types])
def test_invalid_geometry(kind: str) -> None:
    frame = layer(kind)
    frame.loc[1, "geometry"] = Polygon([(139, 35), (139.1, 35.1), (139.1, 35), (139, 35.1)])
    with pytest.raises(InputError, match=rf"^{SRC}: row 1 has an invalid geometry .*make_valid"):
        validate_layer(frame, kind, source=SRC)


@pytest.mark.parametrize("kind", KINDS)
def test_empty_geometry(kind: str) -> None:
    frame = layer(kind)
    frame.loc[0, "geometry"] = None
    with pytest.raises(InputError, match=rf"^{SRC}: row 0 has an empty or missing geometry"):
        validate_layer(frame, kind, source=SRC)


@pytest.mark.parametrize("kind", KINDS)
def test_empty_layer(kind: str) -> None:
    with pytest.raises(InputError, match=rf"^{SRC}: the {kind} layer is empty"):
        validate_layer(layer(kind).iloc[:0], kind, source=SRC)


def test_empty_string_cell_and_bad_bool() -> None:
    frame = layer("landings")
    frame.loc[1, "name"] = None
    with pytest.raises(InputError, match=rf"^{SRC}: column 'name' is empty in row 1"):
        validate_layer(frame, "landings", source=SRC)
    grid = layer("population").assign(urban=["yes", "maybe"])
    with pytest.raises(InputError, match=rf"^{SRC}: column 'urban' row 1 has 'maybe'"):
        validate_layer(grid, "population", source=SRC)
    assert validate_layer(grid.assign(urban=["yes", "0"]), "population")["urban"].tolist() == [
        True,
        False,
    ]


def test_fraction_in_int_column_and_maximum() -> None:
    grid = layer("population").assign(population=[1.5, 2.0])
    with pytest.raises(InputError, match=r"row 0 is 1\.5, not a whole number"):
        validate_layer(grid, "population", source=SRC)
    tall = layer("stations").assign(height_m=[30.0, 500.0])
    with pytest.raises(InputError, match="row 1 is 500, above the maximum 300"):
        validate_layer(tall, "stations", source=SRC)


def test_unknown_kind_and_not_a_layer() -> None:
    with pytest.raises(InputError, match="unknown layer kind 'roads'"):
        validate_layer(layer("landings"), "roads")
    with pytest.raises(InputError, match=rf"^{SRC}: not a layer"):
        validate_layer(layer("landings").drop(columns="geometry"), "landings", source=SRC)


def test_input_is_not_modified() -> None:
    src = layer("cables", crs=4326)
    validate_layer(src, "cables")
    assert src.crs.to_epsg() == 4326 and "status" not in src.columns
