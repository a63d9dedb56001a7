"""Read user hazard zones (GeoPackage or GeoJSON polygons) for the resilience study."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import shapely

from denen_gis.errors import InputError
from denen_gis.geodesy import CRS_EPSG
from denen_gis.paths import refuse_special_file

__all__ = ["read_hazards"]

_EXTS = (".gpkg", ".geojson", ".json")


def read_hazards(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Hazard zones from ``path``: ``id`` (unique), optional ``name``, polygon geometry.

    The layer is reprojected to EPSG:6668; a file without a CRS is refused.

    Raises
    ------
    InputError
        Missing file, another format, no ``id`` column, duplicate or blank ids,
        no CRS, or a geometry that is not a valid (multi)polygon.

    Examples
    --------
    >>> import tempfile, geopandas as gpd, shapely
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> gpd.GeoDataFrame({"id": ["flood"]}, geometry=[shapely.box(139, 35, 140, 36)],
    ...                  crs=4326).to_file(d / "z.geojson")
    >>> read_hazards(d / "z.geojson")["id"].tolist()
    ['flood']
    """
    p = Path(path)
    if p.suffix.lower() not in _EXTS:
        msg = f"{p}: hazard zones must be a GeoPackage or GeoJSON file ({', '.join(_EXTS)})"
        raise InputError(msg)
    refuse_special_file(p)
    if not p.is_file():
        msg = f"{p}: hazard file not found"
        raise InputError(msg)
    try:
        frame = gpd.read_file(p)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        msg = f"{p}: cannot read hazard zones ({exc})"
        raise InputError(msg) from exc
    problem = _problem(frame)
    if problem:
        msg = f"{p}: {problem}"
        raise InputError(msg)
    if "name" not in frame.columns:
        frame["name"] = frame["id"].astype(str)
    frame["id"] = frame["id"].astype(str).str.strip()
    frame["source"] = f"user file {p.name}"
    out = frame[["id", "name", "source", frame.geometry.name]].to_crs(CRS_EPSG)
    return out.reset_index(drop=True)


def _problem(frame: gpd.GeoDataFrame) -> str:
    """What is wrong with a hazard layer, or ``""``."""
    if frame.crs is None:
        return "the layer has no CRS; save it with one (e.g. EPSG:4326)"
    if "id" not in frame.columns:
        return f"missing column 'id'; columns present: {list(frame.columns)}"
    if frame.empty:
        return "no hazard zone in the file"
    ids = frame["id"].astype(str).str.strip()
    if (ids == "").any() or ids.duplicated().any():
        return "every hazard zone needs a unique, non-blank 'id'"
    geom = frame.geometry.to_numpy()
    kinds = set(shapely.get_type_id(geom).tolist())
    if not kinds <= {3, 6} or shapely.is_missing(geom).any():
        return "hazard zones must be polygons or multipolygons"
    if not shapely.is_valid(geom).all():
        bad = ids[~shapely.is_valid(geom)].iloc[0]
        return f"zone {bad!r} has an invalid polygon (self-intersecting?)"
    return ""
