"""Layer schemas: the documented columns of every layer, checked in one place.

Every layer in denen-gis is a :class:`geopandas.GeoDataFrame` in JGD2011
geographic coordinates (EPSG:6668). :func:`validate_layer` checks a frame
against its schema once, where it enters (readers, the embedded dataset, the
Python API), and returns a clean copy: columns coerced to their dtypes, CRS
transformed to EPSG:6668, and a clear :class:`~denen_gis.errors.InputError`
naming the source, the column or row otherwise.

Units are in column names: ``population`` [persons], ``area_km2`` [km^2],
``cost_myen`` [million yen], ``radius_km`` [km], ``height_m`` [m],
``capacity_mw`` [MW], ``length_km`` [km].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from denen_gis.errors import InputError
from denen_gis.geodesy import CRS_EPSG

__all__ = [
    "INT64_LIMIT",
    "MAX_CELL_POPULATION",
    "SCHEMAS",
    "Column",
    "LayerSchema",
    "normalise_codes",
    "schema_has",
    "validate_layer",
]

#: Most people one grid cell may hold: a 500 m cell holds at most about
#: 50,000; the bound leaves room for coarser grids and keeps national sums
#: far from int64 overflow.
MAX_CELL_POPULATION = 10_000_000
#: First whole number an int64 column cannot hold (2**63).
INT64_LIMIT = 2**63


@dataclass(frozen=True)
class Column:
    """One documented column.

    ``kind`` is one of ``"str"``, ``"int"``, ``"float"``, ``"bool"``.
    ``minimum`` applies to numeric kinds; ``required=False`` columns are
    checked only when present (``default`` fills them when given).
    """

    name: str
    kind: str
    description: str
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    default: object = None


@dataclass(frozen=True)
class LayerSchema:
    """Columns and geometry types of one layer kind."""

    name: str
    geometry_types: tuple[str, ...]
    columns: tuple[Column, ...]
    unique: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


_POLY = ("Polygon", "MultiPolygon")
_LINE = ("LineString", "MultiLineString")
_POINT = ("Point",)

SCHEMAS: dict[str, LayerSchema] = {
    "regions": LayerSchema(
        "regions",
        _POLY,
        (
            Column("code", "str", "JIS X 0401 prefecture code '01'-'47' (or 5-digit municipality)"),
            Column("name_ja", "str", "Name in Japanese"),
            Column("name_en", "str", "Name in English"),
            Column("block", "str", "Regional block (Hokkaido ... Kyushu-Okinawa)", required=False),
            Column("sea_of_japan_coast", "bool", "Coast faces the Sea of Japan", required=False),
            Column(
                "population", "int", "2020 Census population [persons]", minimum=0, required=False
            ),
            Column("area_km2", "float", "Geodesic area [km^2]", minimum=0, required=False),
            Column(
                "neighbors",
                "str",
                "Comma-separated codes of land neighbours",
                required=False,
                default="",
            ),
        ),
        unique="code",
    ),
    "population": LayerSchema(
        "population",
        _POLY,
        (
            Column("mesh_code", "str", "JIS X 0410 mesh code (8, 9 or 10 digits)"),
            Column(
                "population",
                "int",
                "Population [persons]",
                minimum=0,
                maximum=MAX_CELL_POPULATION,
            ),
            Column("pref_code", "str", "Prefecture code '01'-'47'", required=False),
            Column("area_km2", "float", "Cell area on GRS80 [km^2]", minimum=0, required=False),
            Column("urban", "bool", "Urban by the census DID rule", required=False),
            Column("households", "int", "Households [households]", minimum=0, required=False),
            Column("muni_code", "str", "5-digit municipality (or ward) code", required=False),
            Column(
                "muni_by_nearest",
                "bool",
                "Centre outside every municipal polygon; nearest municipality given",
                required=False,
            ),
        ),
        unique="mesh_code",
    ),
    "municipalities": LayerSchema(
        "municipalities",
        _POLY,
        (
            Column("muni_code", "str", "5-digit JIS X 0402 code (wards of designated cities)"),
            Column("name_ja", "str", "Name in Japanese (wards as 'city + ward')"),
            Column("pref_code", "str", "Prefecture code '01'-'47'"),
            Column(
                "parent_code",
                "str",
                "Designated city of a ward, else empty",
                required=False,
                default="",
            ),
            Column(
                "population",
                "int",
                "Population of record: sum of its census cells [persons]",
                minimum=0,
                required=False,
            ),
            Column("households", "int", "Households [households]", minimum=0, required=False),
            Column(
                "urban_population",
                "int",
                "People in urban (DID rule) cells [persons]",
                minimum=0,
                required=False,
            ),
            Column("cells", "int", "Inhabited 500 m cells", minimum=0, required=False),
            Column(
                "population_preliminary",
                "int",
                "2020 census preliminary count (cross-check; 0 when none) [persons]",
                minimum=0,
                required=False,
            ),
            Column("area_km2", "float", "Geodesic area [km^2]", minimum=0, required=False),
        ),
        unique="muni_code",
    ),
    "stations": LayerSchema(
        "stations",
        _POINT,
        (
            Column("site_id", "str", "Unique station id"),
            Column("station_type", "str", "Key of a station type (see layers.radio)"),
            Column(
                "height_m", "float", "Antenna height [m]", minimum=1, maximum=300, required=False
            ),
            Column(
                "radius_km",
                "float",
                "Own coverage radius [km]; bypasses the radio model",
                required=False,
                minimum=1e-9,
            ),
            Column("pref_code", "str", "Prefecture code", required=False),
            Column(
                "since_fy",
                "int",
                "Fiscal year by whose end the station was on air (baselines nest)",
                required=False,
                minimum=2000,
                maximum=2100,
            ),
        ),
        unique="site_id",
    ),
    "candidates": LayerSchema(
        "candidates",
        _POINT,
        (
            Column("site_id", "str", "Unique candidate id"),
            Column("station_type", "str", "Key of a station type (see layers.radio)"),
            Column("cost_myen", "float", "Capital cost [million yen]", minimum=0),
            Column(
                "height_m", "float", "Antenna height [m]", minimum=1, maximum=300, required=False
            ),
            Column("radius_km", "float", "Own coverage radius [km]", required=False, minimum=1e-9),
            Column("pref_code", "str", "Prefecture code", required=False),
            Column("cost_note", "str", "How the cost was set", required=False, default=""),
            Column(
                "kind",
                "str",
                "Candidate kind: 'upgrade' (NR on an existing 4G site) or 'new_tower'",
                required=False,
                default="new_tower",
            ),
        ),
        unique="site_id",
    ),
    "datacenters": LayerSchema(
        "datacenters",
        _POINT,
        (
            Column("site_id", "str", "Unique site id"),
            Column("name", "str", "Place name (English)"),
            Column("name_ja", "str", "Place name (Japanese)", required=False, default=""),
            Column("pref_code", "str", "Prefecture code"),
            Column("status", "str", "existing | funded | candidate"),
            Column("capacity_mw", "float", "IT capacity [MW]", minimum=0),
            Column(
                "cost_myen",
                "float",
                "Capital cost [million yen]",
                minimum=0,
                required=False,
                default=0.0,
            ),
        ),
        unique="site_id",
    ),
    "cables": LayerSchema(
        "cables",
        _LINE,
        (
            Column("cable_id", "str", "Unique cable or segment id"),
            Column("name", "str", "Cable name"),
            Column(
                "status", "str", "existing | planned | modelled", required=False, default="existing"
            ),
            Column("length_km", "float", "Route length [km]", minimum=0, required=False),
        ),
        unique="cable_id",
    ),
    "landings": LayerSchema(
        "landings",
        _POINT,
        (
            Column("landing_id", "str", "Unique landing station id"),
            Column("name", "str", "Landing place name"),
            Column(
                "cable_id",
                "str",
                "Cable(s) landing here, comma-separated",
                required=False,
                default="",
            ),
            Column("pref_code", "str", "Prefecture code", required=False, default=""),
        ),
        unique="landing_id",
    ),
}


def _coerce(series: pd.Series, col: Column, source: str) -> pd.Series:
    if col.kind == "str":
        return _coerce_str(series, col.name, source)
    if col.kind == "bool":
        return _coerce_bool(series, col.name, source)
    return _coerce_number(series, col, source)


def _coerce_str(series: pd.Series, name: str, source: str) -> pd.Series:
    if series.isna().any():
        row = int(np.flatnonzero(series.isna().to_numpy())[0])
        msg = f"{source}: column {name!r} is empty in row {row}; fill it in"
        raise InputError(msg)
    return series.astype(str)


def _coerce_bool(series: pd.Series, name: str, source: str) -> pd.Series:
    if series.dtype == bool:
        return series
    mapping = {"1": True, "0": False, "true": True, "false": False, "yes": True, "no": False}
    text = series.astype(str).str.strip().str.lower()
    bad = ~text.isin(list(mapping))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        msg = f"{source}: column {name!r} row {row} has {series.iloc[row]!r}; use true/false or 1/0"
        raise InputError(msg)
    return text.map(mapping).astype(bool)


def _coerce_number(series: pd.Series, col: Column, source: str) -> pd.Series:
    """A ``float`` or ``int`` column: finite numbers within the column's range."""
    name = col.name
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    missing = series.isna()
    if bad.any() or missing.any():
        row = int(np.flatnonzero((bad | missing).to_numpy())[0])
        what = "is empty" if missing.iloc[row] else f"has {series.iloc[row]!r}, not a number"
        msg = f"{source}: column {name!r} row {row} {what}"
        raise InputError(msg)
    arr = values.to_numpy(dtype=float)
    if not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr))[0])
        msg = f"{source}: column {name!r} row {row} is not a finite number"
        raise InputError(msg)
    _check_range(arr, col, source)
    if col.kind == "int":
        # Refuse before the cast: int64 would wrap 2**63 and more to negative numbers.
        if (np.abs(arr) >= INT64_LIMIT).any():
            row = int(np.flatnonzero(np.abs(arr) >= INT64_LIMIT)[0])
            msg = (
                f"{source}: column {name!r} row {row} is {arr[row]:g}, too large for a "
                "whole number (below 2**63); check the column"
            )
            raise InputError(msg)
        if not np.all(arr == np.round(arr)):
            row = int(np.flatnonzero(arr != np.round(arr))[0])
            msg = f"{source}: column {name!r} row {row} is {arr[row]:g}, not a whole number"
            raise InputError(msg)
        return pd.Series(arr.astype(np.int64), index=series.index, name=name)
    return pd.Series(arr, index=series.index, name=name)


def _check_range(arr: np.ndarray, col: Column, source: str) -> None:
    """Fail at the first value below ``col.minimum`` or above ``col.maximum``."""
    name = col.name
    if col.minimum is not None and (arr < col.minimum).any():
        row = int(np.flatnonzero(arr < col.minimum)[0])
        msg = (
            f"{source}: column {name!r} row {row} is {arr[row]:g}, "
            f"below the minimum {col.minimum:g}"
        )
        raise InputError(msg)
    if col.maximum is not None and (arr > col.maximum).any():
        row = int(np.flatnonzero(arr > col.maximum)[0])
        unit = " people in one cell" if name == "population" else ""
        msg = (
            f"{source}: column {name!r} row {row} is {arr[row]:g}, "
            f"above the maximum {col.maximum:,.15g}{unit}; check the column"
        )
        raise InputError(msg)


def schema_has(schema: LayerSchema, name: str) -> bool:
    """Whether ``schema`` documents a column called ``name``."""
    return any(col.name == name for col in schema.columns)


def normalise_codes(codes: pd.Series) -> pd.Series:
    """Prefecture/municipality codes as text, zero-padded: ``1``, ``"1"``, ``1.0`` -> ``"01"``.

    Spreadsheets and GIS files often store JIS codes as numbers, which loses
    the leading zero; 1-2 digit codes are prefectures, 4-5 digit ones
    municipalities (``1101`` -> ``"01101"``).

    Examples
    --------
    >>> normalise_codes(pd.Series([1, "05", "1.0", "1101", "13101"])).tolist()
    ['01', '05', '01', '01101', '13101']
    """
    text = codes.astype(str).str.strip().str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    numeric = text.str.fullmatch(r"\d+")
    short = numeric & (text.str.len() <= 2)
    muni = numeric & (text.str.len() == 4)
    return text.mask(short, text.str.zfill(2)).mask(muni, text.str.zfill(5))


def validate_layer(
    frame: gpd.GeoDataFrame, kind: str, *, source: str = "layer"
) -> gpd.GeoDataFrame:
    """Check a layer against its schema and return a clean copy in EPSG:6668.

    Parameters
    ----------
    frame
        The layer.
    kind
        A key of :data:`SCHEMAS`: ``regions``, ``municipalities``,
        ``population``, ``stations``, ``candidates``, ``datacenters``,
        ``cables`` or ``landings``.
    source
        How to name the layer in messages (usually its file path).

    Raises
    ------
    InputError
        Missing CRS, missing or malformed column, bad value, duplicate id,
        empty, invalid or wrongly typed geometry; the message names the source
        and the column or row.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame({"site_id": ["a"], "station_type": ["nr700_macro"]},
    ...                      geometry=[Point(139.7, 35.7)], crs=6668)
    >>> validate_layer(g, "stations").crs.to_epsg()
    6668
    """
    if kind not in SCHEMAS:
        msg = f"unknown layer kind {kind!r}; one of {sorted(SCHEMAS)}"
        raise InputError(msg)
    schema = SCHEMAS[kind]
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        msg = f"{source}: not a layer with a geometry column"
        raise InputError(msg)
    if frame.crs is None:
        msg = f"{source}: the layer has no CRS; set one (e.g. EPSG:6668 or EPSG:4326) and retry"
        raise InputError(msg)
    out = frame.copy()
    if len(out) == 0:
        msg = f"{source}: the {kind} layer is empty"
        raise InputError(msg)
    if out.crs.to_epsg() != CRS_EPSG:
        out = out.to_crs(CRS_EPSG)
    out = out.reset_index(drop=True)
    _coerce_columns(out, schema, source)
    _check_geometry(out.geometry.to_numpy(), schema, kind=kind, source=source)
    if schema.unique and out[schema.unique].duplicated().any():
        row = int(np.flatnonzero(out[schema.unique].duplicated().to_numpy())[0])
        msg = (
            f"{source}: {schema.unique} {out[schema.unique].iloc[row]!r} in row {row} "
            "appears more than once"
        )
        raise InputError(msg)
    return out


def _coerce_columns(out: gpd.GeoDataFrame, schema: LayerSchema, source: str) -> None:
    """Coerce the schema's columns of ``out`` in place; add defaults, normalise codes."""
    for col in schema.columns:
        if col.name not in out.columns:
            if col.required:
                msg = (
                    f"{source}: missing column {col.name!r} ({col.description}); "
                    f"columns present: {[c for c in out.columns if c != out.geometry.name]}"
                )
                raise InputError(msg)
            if col.default is not None:
                out[col.name] = col.default
            continue
        out[col.name] = _coerce(out[col.name], col, source)
    for name in ("pref_code", "code", "muni_code", "parent_code"):
        if name in out.columns and schema_has(schema, name):
            out[name] = normalise_codes(out[name])


_GEOMETRY_NAMES = np.array(
    [
        "Point",
        "LineString",
        "LinearRing",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
    ]
)


def _check_geometry(geom: np.ndarray, schema: LayerSchema, *, kind: str, source: str) -> None:
    """Fail at the first empty, wrongly typed or invalid geometry."""
    empty = shapely.is_missing(geom) | shapely.is_empty(geom)
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        msg = f"{source}: row {row} has an empty or missing geometry"
        raise InputError(msg)
    names = _GEOMETRY_NAMES[shapely.get_type_id(geom)]
    wrong = ~np.isin(names, schema.geometry_types)
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        msg = (
            f"{source}: row {row} is a {names[row]}; a {kind} layer needs "
            f"{' or '.join(schema.geometry_types)}"
        )
        raise InputError(msg)
    invalid = ~shapely.is_valid(geom)
    if invalid.any():
        row = int(np.flatnonzero(invalid)[0])
        reason = shapely.is_valid_reason(geom[row])
        msg = f"{source}: row {row} has an invalid geometry ({reason}); repair it (e.g. make_valid)"
        raise InputError(msg)
