"""Read National Land Numerical Information N03 administrative boundaries.

N03 (国土数値情報 行政区域) is published by MLIT as GeoJSON and Shapefile,
one feature per polygon part, and is widely redistributed as TopoJSON (for
example the simplified files of smartnews-smri/japan-topography). The
attributes:

==========  ==================================================
column      meaning
==========  ==================================================
N03_001     prefecture name (都道府県名)
N03_002     subprefecture (支庁・振興局名), Hokkaido etc.
N03_003     county or designated city (郡・政令市名)
N03_004     municipality or ward (市区町村名)
N03_005     ward (区名) in newer releases, when present
N03_007     5-digit administrative area code (行政区域コード)
==========  ==================================================

:func:`read_n03` reads GeoJSON (``.geojson``/``.json``), TopoJSON
(``.topojson``, or ``.json`` holding a ``Topology``), Shapefile,
GeoPackage and GeoParquet, through GDAL (pyogrio), and dissolves the parts
into one row per code:

- a municipal file (with ``N03_007``), ward-level (designated cities split
  into wards, e.g. 01101 札幌市中央区) or municipality-level (the city as one
  unit, e.g. 04100 仙台市), gives one row per 5-digit code;
- a prefecture file (``N03_001`` only), or ``level="prefecture"``, gives one
  row per prefecture, code ``01``-``47`` from the JIS X 0401 name.

Uncoded areas (所属未定地: features with an empty ``N03_007``, such as
boundary lakes and reclaimed land whose municipality is undecided) belong to
no municipality: at municipality level they are always dropped (and counted
in the log); at prefecture level they are kept in the prefecture named by
their ``N03_001``, so the prefecture outline is the whole land area.

The CRS is JGD2011 (EPSG:6668) in current releases and JGD2000 (EPSG:4612)
in old ones; both are transformed to EPSG:6668. TopoJSON carries no CRS: it
is taken as EPSG:6668 after checking that the coordinates are longitude and
latitude over Japan. Older shapefiles are in Shift_JIS/CP932 without a
``.cpg`` file; :func:`denen_gis.io.files.read_vector` detects that.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from denen_gis.errors import InputError
from denen_gis.geodesy import CRS_EPSG, geodesic_area_km2
from denen_gis.io.files import read_vector
from denen_gis.paths import refuse_special_file
from denen_gis.schema import validate_layer

__all__ = ["N03_COLUMNS", "N03_EXTENSIONS", "PREFECTURE_NAMES", "read_n03"]

logger = logging.getLogger(__name__)

#: Attribute columns that every N03 municipal release has.
N03_COLUMNS = ("N03_001", "N03_003", "N03_004", "N03_007")
#: File extensions that :func:`read_n03` accepts.
N03_EXTENSIONS = (".geojson", ".json", ".topojson", ".shp", ".gpkg", ".parquet", ".geoparquet")
_NAME_PARTS = ("N03_003", "N03_004", "N03_005")
#: The 47 prefectures in JIS X 0401 order (code = position + 1): Japanese and English.
PREFECTURE_NAMES: tuple[tuple[str, str], ...] = (
    ("北海道", "Hokkaido"),
    ("青森県", "Aomori"),
    ("岩手県", "Iwate"),
    ("宮城県", "Miyagi"),
    ("秋田県", "Akita"),
    ("山形県", "Yamagata"),
    ("福島県", "Fukushima"),
    ("茨城県", "Ibaraki"),
    ("栃木県", "Tochigi"),
    ("群馬県", "Gunma"),
    ("埼玉県", "Saitama"),
    ("千葉県", "Chiba"),
    ("東京都", "Tokyo"),
    ("神奈川県", "Kanagawa"),
    ("新潟県", "Niigata"),
    ("富山県", "Toyama"),
    ("石川県", "Ishikawa"),
    ("福井県", "Fukui"),
    ("山梨県", "Yamanashi"),
    ("長野県", "Nagano"),
    ("岐阜県", "Gifu"),
    ("静岡県", "Shizuoka"),
    ("愛知県", "Aichi"),
    ("三重県", "Mie"),
    ("滋賀県", "Shiga"),
    ("京都府", "Kyoto"),
    ("大阪府", "Osaka"),
    ("兵庫県", "Hyogo"),
    ("奈良県", "Nara"),
    ("和歌山県", "Wakayama"),
    ("鳥取県", "Tottori"),
    ("島根県", "Shimane"),
    ("岡山県", "Okayama"),
    ("広島県", "Hiroshima"),
    ("山口県", "Yamaguchi"),
    ("徳島県", "Tokushima"),
    ("香川県", "Kagawa"),
    ("愛媛県", "Ehime"),
    ("高知県", "Kochi"),
    ("福岡県", "Fukuoka"),
    ("佐賀県", "Saga"),
    ("長崎県", "Nagasaki"),
    ("熊本県", "Kumamoto"),
    ("大分県", "Oita"),
    ("宮崎県", "Miyazaki"),
    ("鹿児島県", "Kagoshima"),
    ("沖縄県", "Okinawa"),
)
_PREF_CODE = {ja: f"{i + 1:02d}" for i, (ja, _) in enumerate(PREFECTURE_NAMES)}
# Longitude/latitude box of Japan with a margin: the check on CRS-less TopoJSON.
_JAPAN_LONLAT = (120.0, 20.0, 155.0, 46.5)


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


def _is_topojson(path: Path) -> bool:
    refuse_special_file(path)
    if path.suffix.lower() == ".topojson":
        return True
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    with path.open("rb") as f:
        start = f.read(4096)
    # A TopoJSON object starts {"type":"Topology" (GeoJSON: "FeatureCollection").
    return b'"Topology"' in start


def _read_topojson(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """Read a TopoJSON file with GDAL; one object (layer) or the one named."""
    if not path.exists():
        msg = f"{path}: file not found; check the path"
        raise InputError(msg)
    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        if layer is None and len(names) > 1:
            msg = f"{path}: the TopoJSON holds {len(names)} objects {names}; name the one to read"
            raise InputError(msg)
        if layer is not None and layer not in names:
            msg = f"{path}: no TopoJSON object {layer!r}; objects: {names}"
            raise InputError(msg)
        frame = pyogrio.read_dataframe(path, layer=layer or names[0])
    except InputError:
        raise
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{path}: cannot read it as TopoJSON ({reason}); check the file is complete"
        raise InputError(msg) from exc
    # GDAL adds an ``id`` column for the optional TopoJSON object id.
    if "id" in frame.columns and frame["id"].isna().all():
        frame = frame.drop(columns="id")
    return frame


def _read_raw(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    suffix = path.suffix.lower()
    if suffix not in N03_EXTENSIONS:
        msg = (
            f"{path}: unknown N03 file type {suffix or '(none)'!r}; use one of "
            f"{', '.join(N03_EXTENSIONS)}"
        )
        raise InputError(msg)
    if not _is_topojson(path):
        return read_vector(path, layer=layer)
    raw = _read_topojson(path, layer)
    if raw.crs is None:
        geom = raw.geometry.to_numpy()
        present = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
        if present.any():
            x0, y0, x1, y1 = shapely.total_bounds(geom[present])
            jx0, jy0, jx1, jy1 = _JAPAN_LONLAT
            if not (jx0 <= x0 and x1 <= jx1 and jy0 <= y0 and y1 <= jy1):
                msg = (
                    f"{path}: TopoJSON coordinates span {x0:.4g}..{x1:.4g} x {y0:.4g}..{y1:.4g}, "
                    "not longitude/latitude over Japan; convert it to lon/lat (EPSG:6668)"
                )
                raise InputError(msg)
        raw = raw.set_crs(CRS_EPSG)
        logger.info("%s: TopoJSON has no CRS; taken as JGD2011 lon/lat (EPSG:6668)", path)
    return raw


def _prefecture_codes(raw: pd.DataFrame, path: Path) -> pd.Series:
    """Prefecture code of each feature from ``N03_001`` (or the first digits of ``N03_007``)."""
    names = _text(raw, "N03_001")
    codes = names.map(lambda n: _PREF_CODE.get(n, ""))
    from_code = _text(raw, "N03_007").str.slice(0, 2)
    use_code = (codes == "") & from_code.str.fullmatch(r"\d{2}")
    codes = codes.where(~use_code, from_code)
    bad = (codes == "").to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        msg = (
            f"{path}: column 'N03_001' row {row} is {names.iloc[row]!r}, not the name of one "
            "of the 47 prefectures (e.g. 北海道, 東京都, 京都府, 沖縄県)"
        )
        raise InputError(msg)
    return codes


def read_n03(
    path: str | os.PathLike[str],
    *,
    level: Literal["auto", "municipality", "prefecture"] = "auto",
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read an N03 administrative-boundary file: one row per municipality or prefecture.

    Parameters
    ----------
    path
        N03 GeoJSON (``.geojson``/``.json``), TopoJSON (``.topojson``),
        Shapefile (``.shp``), GeoPackage or GeoParquet.
    level
        ``"municipality"``: one row per 5-digit ``N03_007`` code (ward-level
        or municipality-level files alike); ``"prefecture"``: one row per
        prefecture; ``"auto"`` (default): municipality when the file has
        any of ``N03_003``, ``N03_004``, ``N03_007``, else prefecture (the
        N03 prefecture file has ``N03_001`` only).
    layer
        Layer (GeoPackage) or object (TopoJSON) to read when the file holds
        several.

    Returns
    -------
    geopandas.GeoDataFrame
        ``regions`` schema in EPSG:6668, one row per code, sorted by code:
        ``code`` (5 digits, or 2 at prefecture level), ``pref_code`` (first 2
        digits), ``name_ja`` (e.g. 札幌市中央区, or 北海道), ``pref_name_ja``,
        ``name_en`` (N03 has no romanised municipal names, so the code
        itself; the English prefecture name at prefecture level),
        ``area_km2`` (geodesic on GRS80 [km^2]) and the dissolved
        (Multi)Polygon.

    Raises
    ------
    InputError
        Unreadable file, no CRS (except TopoJSON, taken as EPSG:6668), missing
        N03 columns, a code that is not 5 digits, an unknown prefecture name,
        or one code with two different names; the message names the file and
        the column or row.

    Notes
    -----
    Features with an empty ``N03_007`` (所属未定地, areas assigned to no
    municipality such as some boundary lakes) are dropped at municipality
    level and counted in the log; at prefecture level they stay in their
    prefecture.
    """
    path = Path(path)
    if level not in ("auto", "municipality", "prefecture"):
        msg = f"read_n03: level must be 'auto', 'municipality' or 'prefecture', not {level!r}"
        raise InputError(msg)
    raw = _read_raw(path, layer)
    epsg = _source_epsg(raw, path)
    if level == "auto":
        municipal = any(c in raw.columns for c in ("N03_003", "N03_004", "N03_007"))
        level = "municipality" if municipal else "prefecture"
    _check_columns(raw, path, level=level)
    if epsg != CRS_EPSG:
        raw = raw.to_crs(CRS_EPSG)
    raw = raw.reset_index(drop=True)
    if level == "prefecture":
        codes = _prefecture_codes(raw, path)
        keep = np.ones(len(raw), dtype=bool)
        by_code = {f"{i + 1:02d}": names for i, names in enumerate(PREFECTURE_NAMES)}
        names = codes.map(lambda c: by_code[c][0])
        pref_names = names
    else:
        codes, keep = _municipality_codes(raw, path)
        names = _municipality_names(raw)
        pref_names = _text(raw, "N03_001")
    geom, keep = _usable_geometry(raw.geometry.to_numpy(), keep, path)
    parts = pd.DataFrame(
        {
            "code": codes[keep].to_numpy(),
            "name_ja": names[keep].to_numpy(),
            "pref_name_ja": pref_names[keep].to_numpy(),
            "row": np.flatnonzero(keep),
        }
    )
    _check_names(parts, path)
    frame = _dissolve(parts, geom, level=level)
    frame["area_km2"] = [geodesic_area_km2(g) for g in frame.geometry]
    out = validate_layer(frame, "regions", source=str(path))
    logger.info(
        "%s: %d %s from %d features, %.0f km^2",
        path,
        len(out),
        "municipalities" if level == "municipality" else "prefectures",
        int(keep.sum()),
        float(out["area_km2"].sum()),
    )
    return out


def _source_epsg(raw: gpd.GeoDataFrame, path: Path) -> int | None:
    """EPSG code of the file's CRS; fail without a CRS, log one that is not JGD."""
    if raw.crs is None:
        msg = (
            f"{path}: the layer has no CRS; N03 is JGD2011 (EPSG:6668) or, before 2011, "
            "JGD2000 (EPSG:4612): add the .prj file that came with it"
        )
        raise InputError(msg)
    epsg = raw.crs.to_epsg()
    if epsg not in (CRS_EPSG, 4612):
        logger.info("%s: CRS %s is not JGD2011/JGD2000; transforming to EPSG:6668", path, raw.crs)
    return epsg


def _check_columns(raw: gpd.GeoDataFrame, path: Path, *, level: str) -> None:
    """Fail when the N03 columns of ``level`` are missing or the file has no features."""
    required = N03_COLUMNS if level == "municipality" else ("N03_001",)
    missing = [c for c in required if c not in raw.columns]
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


def _municipality_codes(raw: pd.DataFrame, path: Path) -> tuple[pd.Series, np.ndarray]:
    """``N03_007`` of each feature and the mask of features with a code (others are logged)."""
    codes = _text(raw, "N03_007")
    empty = (codes == "").to_numpy()
    if empty.any():
        logger.warning(
            "%s: dropped %d feature(s) with no N03_007 code (所属未定地, areas of no municipality)",
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
    return codes, keep


def _usable_geometry(
    geom: np.ndarray, keep: np.ndarray, path: Path
) -> tuple[np.ndarray, np.ndarray]:
    """Drop kept features without geometry (logged) and repair invalid ones (logged)."""
    missing_geom = keep & (shapely.is_missing(geom) | shapely.is_empty(geom))
    if missing_geom.any():
        logger.warning("%s: dropped %d feature(s) with no geometry", path, int(missing_geom.sum()))
        keep &= ~missing_geom
    invalid = keep & ~shapely.is_valid(geom)
    if invalid.any():
        logger.info("%s: repaired %d invalid polygon part(s)", path, int(invalid.sum()))
        geom = geom.copy()
        geom[invalid] = shapely.make_valid(geom[invalid])
    return geom, keep


def _check_names(parts: pd.DataFrame, path: Path) -> None:
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


def _dissolve(parts: pd.DataFrame, geom: np.ndarray, *, level: str) -> gpd.GeoDataFrame:
    """One (Multi)Polygon per code: sort by code, union each group once."""
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
    codes = group_codes.astype(str)
    if level == "prefecture":
        name_en = [PREFECTURE_NAMES[int(c) - 1][1] for c in codes]
    else:
        name_en = codes.tolist()
    return gpd.GeoDataFrame(
        {
            "code": codes,
            "pref_code": [c[:2] for c in codes],
            "name_ja": first["name_ja"].to_numpy(),
            "pref_name_ja": first["pref_name_ja"].to_numpy(),
            "name_en": name_en,
        },
        geometry=dissolved,
        crs=CRS_EPSG,
    )
