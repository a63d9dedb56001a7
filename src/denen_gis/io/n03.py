"""Read National Land Numerical Information N03 administrative boundaries.

N03 (国土数値情報 行政区域) is published by MLIT as GeoJSON and Shapefile,
one feature per polygon part, with the attributes

==========  ==================================================
column      meaning
==========  ==================================================
N03_001     prefecture name (都道府県名)
N03_002     subprefecture (支庁・振興局名), Hokkaido etc.
N03_003     county or designated city (郡・政令市名)
N03_004     municipality (市区町村名)
N03_005     ward (区名) in newer releases, when present
N03_007     5-digit administrative area code (行政区域コード)
==========  ==================================================

:func:`read_n03` dissolves the parts into one row per municipality code.
The CRS is JGD2011 (EPSG:6668) in current releases and JGD2000 (EPSG:4612)
in old ones; both are transformed to EPSG:6668. Older shapefiles are in
Shift_JIS/CP932 without a ``.cpg`` file; :func:`denen_gis.io.files.read_vector`
detects that.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from denen_gis.errors import InputError
from denen_gis.geodesy import CRS_EPSG, geodesic_area_km2
from denen_gis.io.files import read_vector
from denen_gis.schema import validate_layer

__all__ = ["N03_COLUMNS", "read_n03"]

logger = logging.getLogger(__name__)

#: Attribute columns that every N03 release has.
N03_COLUMNS = ("N03_001", "N03_003", "N03_004", "N03_007")
_NAME_PARTS = ("N03_003", "N03_004", "N03_005")


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    s = frame[col].astype(object).where(frame[col].notna(), "")
    return s.map(lambda v: str(v).strip())


def _municipality_names(frame: pd.DataFrame) -> pd.Series:
    """``N03_003 + N03_004 (+ N03_005)`` without empty or repeated parts.

    Examples: 石狩郡 + 当別町 -> 石狩郡当別町; 札幌市 + 中央区 -> 札幌市中央区.
    """
    parts = [_text(frame, c) for c in _NAME_PARTS]
    names = []
    for values in zip(*parts, strict=True):
        kept: list[str] = []
        for v in values:
            if v and v not in kept:
                kept.append(v)
        names.append("".join(kept))
    return pd.Series(names, index=frame.index, dtype=object)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygon parts of a geometry (make_valid can add lines)."""
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def read_n03(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Read an N03 administrative-boundary file: one row per municipality.

    Parameters
    ----------
    path
        N03 GeoJSON (``.geojson``/``.json``), Shapefile (``.shp``), GeoPackage
        or GeoParquet.

    Returns
    -------
    geopandas.GeoDataFrame
        ``regions`` schema in EPSG:6668, one row per 5-digit code, sorted by
        code: ``code``, ``pref_code`` (first 2 digits), ``name_ja``
        (municipality name, e.g. 札幌市中央区), ``pref_name_ja``, ``name_en``
        (N03 has no romanised names, so this is the code itself), ``area_km2``
        (geodesic on GRS80 [km^2]) and the dissolved (Multi)Polygon.

    Raises
    ------
    InputError
        Unreadable file, no CRS, missing N03 columns, a code that is not 5
        digits, or one code with two different names; the message names the
        file and the column or row.

    Notes
    -----
    Features with an empty ``N03_007`` (areas assigned to no municipality,
    such as some boundary lakes) are dropped and counted in the log.
    """
    path = Path(path)
    raw = read_vector(path)
    if raw.crs is None:
        msg = (
            f"{path}: the layer has no CRS; N03 is JGD2011 (EPSG:6668) or, before 2011, "
            "JGD2000 (EPSG:4612): add the .prj file that came with it"
        )
        raise InputError(msg)
    epsg = raw.crs.to_epsg()
    if epsg not in (CRS_EPSG, 4612):
        logger.info("%s: CRS %s is not JGD2011/JGD2000; transforming to EPSG:6668", path, raw.crs)
    missing = [c for c in N03_COLUMNS if c not in raw.columns]
    if missing:
        present = [c for c in raw.columns if c != raw.geometry.name]
        msg = (
            f"{path}: missing N03 column(s) {missing} (columns present: {present}); "
            "is this an N03 administrative-boundary file?"
        )
        raise InputError(msg)
    if len(raw) == 0:
        msg = f"{path}: the file has no features"
        raise InputError(msg)
    if epsg != CRS_EPSG:
        raw = raw.to_crs(CRS_EPSG)
    raw = raw.reset_index(drop=True)
    codes = _text(raw, "N03_007")
    empty = (codes == "").to_numpy()
    if empty.any():
        logger.warning(
            "%s: dropped %d feature(s) with no N03_007 code (areas of no municipality)",
            path,
            int(empty.sum()),
        )
    bad = ~empty & ~codes.str.fullmatch(r"\d{5}").to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        msg = (
            f"{path}: column 'N03_007' row {row} is {codes.iloc[row]!r}, not a 5-digit "
            "administrative area code"
        )
        raise InputError(msg)
    keep = ~empty
    if not keep.any():
        msg = f"{path}: every feature has an empty N03_007 code"
        raise InputError(msg)
    geom = raw.geometry.to_numpy()
    missing_geom = keep & (shapely.is_missing(geom) | shapely.is_empty(geom))
    if missing_geom.any():
        logger.warning("%s: dropped %d feature(s) with no geometry", path, int(missing_geom.sum()))
        keep &= ~missing_geom
    invalid = keep & ~shapely.is_valid(geom)
    if invalid.any():
        logger.info("%s: repaired %d invalid polygon part(s)", path, int(invalid.sum()))
        geom = geom.copy()
        geom[invalid] = shapely.make_valid(geom[invalid])
    parts = pd.DataFrame(
        {
            "code": codes[keep].to_numpy(),
            "name_ja": _municipality_names(raw)[keep].to_numpy(),
            "pref_name_ja": _text(raw, "N03_001")[keep].to_numpy(),
            "row": np.flatnonzero(keep),
        }
    )
    names = parts.groupby("code")["name_ja"].nunique()
    if (names > 1).any():
        code = names.index[names > 1][0]
        variants = parts.loc[parts["code"] == code, ["name_ja", "row"]].drop_duplicates("name_ja")
        (n1, r1), (n2, r2) = variants.head(2).itertuples(index=False)
        msg = (
            f"{path}: code {code!r} is named {n1!r} in row {r1} and {n2!r} in row {r2}; "
            "use one N03 release"
        )
        raise InputError(msg)
    # Dissolve the parts of each code: sort by code, split the geometry array at
    # the group boundaries and union each group (one union per municipality).
    order = np.argsort(parts["code"].to_numpy(), kind="stable")
    parts = parts.iloc[order].reset_index(drop=True)
    part_geoms = geom[parts["row"].to_numpy()]
    group_codes, starts = np.unique(parts["code"].to_numpy(), return_index=True)
    bounds = [*starts[1:], len(parts)]
    dissolved = np.array(
        [
            _polygonal(shapely.union_all(part_geoms[s:e]))
            for s, e in zip(starts, bounds, strict=True)
        ],
        dtype=object,
    )
    first = parts.iloc[starts]
    frame = gpd.GeoDataFrame(
        {
            "code": group_codes.astype(str),
            "pref_code": [c[:2] for c in group_codes],
            "name_ja": first["name_ja"].to_numpy(),
            "pref_name_ja": first["pref_name_ja"].to_numpy(),
            "name_en": group_codes.astype(str),
        },
        geometry=dissolved,
        crs=CRS_EPSG,
    )
    frame["area_km2"] = [geodesic_area_km2(g) for g in frame.geometry]
    out = validate_layer(frame, "regions", source=str(path))
    logger.info(
        "%s: %d municipalities from %d features, %.0f km^2",
        path,
        len(out),
        int(keep.sum()),
        float(out["area_km2"].sum()),
    )
    return out
