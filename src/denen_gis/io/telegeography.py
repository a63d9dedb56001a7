"""Read the TeleGeography submarine-cable map files.

TeleGeography's Submarine Cable Map publishes two GeoJSON files:

- ``cable-geo.json``: one or more ``MultiLineString`` features per cable with
  properties ``id``, ``name``, ``color`` and ``feature_id``;
- ``landing-point-geo.json``: ``Point`` features with properties ``id``,
  ``name`` and ``is_tbd``.

Licence: the data is CC BY-NC-SA 4.0 (TeleGeography). denen-gis reads files
that a user downloaded; it never ships, bundles or redistributes them, and
layers made from them carry the same licence.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from denen_gis.errors import InputError
from denen_gis.geodesy import CRS_EPSG
from denen_gis.io.files import read_vector
from denen_gis.schema import validate_layer

__all__ = [
    "JAPAN_BBOX",
    "check_landings_touch",
    "landing_distances_km",
    "read_submarine_cables",
]

logger = logging.getLogger(__name__)

#: (west, south, east, north) [degrees] around Japan and its seas.
JAPAN_BBOX = (122.0, 20.0, 154.0, 46.0)

_GEOD = Geod(ellps="GRS80")
# Shortest lengths of one degree [km] on GRS80: of latitude (at the equator)
# and of longitude per unit cos(latitude); used to size search boxes so that
# they always contain the tolerance circle.
_KM_PER_DEG_LAT_MIN = 110.574
_KM_PER_DEG_LON_EQ = 111.320


def _read(path: Path, what: str, needed: Sequence[str]) -> gpd.GeoDataFrame:
    if path.suffix.lower() not in (".json", ".geojson"):
        msg = f"{path}: the TeleGeography {what} file is GeoJSON (.json/.geojson)"
        raise InputError(msg)
    frame = read_vector(path)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        present = [c for c in frame.columns if c != frame.geometry.name]
        msg = (
            f"{path}: missing propert{'y' if len(missing) == 1 else 'ies'} {missing} "
            f"(present: {present}); is this TeleGeography's {what} file?"
        )
        raise InputError(msg)
    if frame.crs is None:
        frame = frame.set_crs(4326)
    empty = frame["id"].isna() | (frame["id"].astype(str).str.strip() == "")
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        msg = f"{path}: feature {row} has an empty 'id'"
        raise InputError(msg)
    return frame.reset_index(drop=True)


def _truthy(value: object) -> bool:
    """JSON true/false/null as GDAL reads it (bool, 0/1/NaN float or text) -> bool."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    try:
        return bool(value) and value == value  # NaN (null) is False
    except (TypeError, ValueError):
        return False


def _length_km(geom: shapely.Geometry) -> float:
    return float(_GEOD.geometry_length(geom)) / 1000.0


def _check_bbox(bbox: Sequence[float]) -> tuple[float, float, float, float]:
    if len(bbox) != 4:
        msg = f"bbox must be (west, south, east, north) in degrees, got {tuple(bbox)}"
        raise InputError(msg)
    west, south, east, north = (float(v) for v in bbox)
    if not (west < east and south < north and south >= -90 and north <= 90):
        msg = (
            f"bbox {tuple(bbox)} must be (west, south, east, north) with west < east, south < north"
        )
        raise InputError(msg)
    return west, south, east, north


def read_submarine_cables(
    cables_path: str | os.PathLike[str],
    landing_points_path: str | os.PathLike[str],
    *,
    bbox: Sequence[float] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Read TeleGeography cable routes and landing points.

    Parameters
    ----------
    cables_path
        ``cable-geo.json``.
    landing_points_path
        ``landing-point-geo.json``.
    bbox
        Optional (west, south, east, north) [degrees], e.g. :data:`JAPAN_BBOX`:
        cables that cross the box are kept whole, landings inside it are kept.

    Returns
    -------
    cables, landings
        ``cables`` schema (``cable_id``, ``name``, ``status`` = ``existing``,
        ``length_km`` geodesic on GRS80 [km], ``color``) with the features of
        one cable merged into one MultiLineString; ``landings`` schema
        (``landing_id``, ``name``, ``cable_id`` and ``pref_code`` empty,
        ``is_tbd``). Both in EPSG:6668.

    Notes
    -----
    The data is CC BY-NC-SA 4.0: it is read from the user's files and never
    shipped with denen-gis.
    """
    cables_path, landing_points_path = Path(cables_path), Path(landing_points_path)
    raw_c = _read(cables_path, "cable-geo.json", ("id", "name"))
    raw_l = _read(landing_points_path, "landing-point-geo.json", ("id", "name"))
    if bbox is not None:
        box = shapely.box(*_check_bbox(bbox))
        before_c, before_l = len(raw_c), len(raw_l)
        raw_c = raw_c[shapely.intersects(raw_c.geometry.to_numpy(), box)]
        raw_l = raw_l[shapely.intersects(raw_l.geometry.to_numpy(), box)]
        logger.info(
            "bbox %s keeps %d of %d cable features and %d of %d landing points",
            tuple(bbox),
            len(raw_c),
            before_c,
            len(raw_l),
            before_l,
        )
        for frame, path in ((raw_c, cables_path), (raw_l, landing_points_path)):
            if frame.empty:
                msg = f"{path}: no feature lies in bbox {tuple(bbox)}; check the box (W, S, E, N)"
                raise InputError(msg)
    raw_c = raw_c.to_crs(CRS_EPSG).reset_index(drop=True)
    raw_l = raw_l.to_crs(CRS_EPSG).reset_index(drop=True)

    # One row per cable id: some cables are drawn as several features.
    geoms = raw_c.geometry.to_numpy()
    ids = raw_c["id"].astype(str).str.strip().to_numpy()
    uniq, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    keep = ~shapely.is_empty(parts)
    merged = np.empty(len(uniq), dtype=object)
    if keep.any():
        owner = inverse[part_of[keep]]
        by_owner = np.argsort(owner, kind="stable")
        shapely.multilinestrings(parts[keep][by_owner], indices=owner[by_owner], out=merged)
    order = np.argsort(first, kind="stable")
    cables = gpd.GeoDataFrame(
        {
            "cable_id": uniq[order],
            "name": raw_c["name"]
            .astype(object)
            .where(raw_c["name"].notna(), "")
            .astype(str)
            .to_numpy()[first[order]],
            "status": "existing",
            "color": (
                raw_c["color"].astype(str).to_numpy()[first[order]]
                if "color" in raw_c.columns
                else ""
            ),
        },
        geometry=merged[order],
        crs=CRS_EPSG,
    )
    cables["length_km"] = [_length_km(g) for g in cables.geometry]
    cables = validate_layer(cables, "cables", source=str(cables_path))

    is_tbd = (
        raw_l["is_tbd"].map(_truthy)
        if "is_tbd" in raw_l.columns
        else pd.Series(False, index=raw_l.index)
    )
    landings = gpd.GeoDataFrame(
        {
            "landing_id": raw_l["id"].astype(str).str.strip().to_numpy(),
            "name": raw_l["name"]
            .astype(object)
            .where(raw_l["name"].notna(), "")
            .astype(str)
            .to_numpy(),
            "cable_id": "",
            "pref_code": "",
            "is_tbd": is_tbd.astype(bool).to_numpy(),
        },
        geometry=raw_l.geometry.to_numpy(),
        crs=CRS_EPSG,
    )
    landings = validate_layer(landings, "landings", source=str(landing_points_path))
    logger.info(
        "read %d cables (%.0f km) and %d landing points",
        len(cables),
        float(cables["length_km"].sum()),
        len(landings),
    )
    return cables, landings


def _local_km(geoms: np.ndarray, lon0: np.ndarray, lat0: np.ndarray) -> np.ndarray:
    """Geometries in a local equirectangular frame [km] around (lon0, lat0), one per geometry."""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    x = (coords[:, 0] - lon0[index]) * _KM_PER_DEG_LON_EQ * np.cos(np.radians(lat0[index]))
    y = (coords[:, 1] - lat0[index]) * _KM_PER_DEG_LAT_MIN
    return shapely.set_coordinates(geoms.copy(), np.column_stack([x, y]))


def landing_distances_km(
    cables: gpd.GeoDataFrame, landings: gpd.GeoDataFrame, *, within_km: float
) -> np.ndarray:
    """Distance [km] from each landing to the nearest cable route, up to ``within_km``.

    Landings with no cable within ``within_km`` get ``inf``. Candidate cables
    come from an STRtree query with a box that contains the tolerance circle;
    the distance is then measured in a local equirectangular frame (error
    well below 1% at a few km).
    """
    if within_km <= 0:
        msg = f"tolerance_km must be positive, got {within_km}"
        raise InputError(msg)
    pts = landings.geometry.to_numpy()
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    coslat = np.maximum(np.cos(np.radians(lat)), 1e-6)
    dlat = 1.01 * within_km / _KM_PER_DEG_LAT_MIN
    dlon = 1.01 * within_km / (_KM_PER_DEG_LON_EQ * coslat)
    boxes = shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)
    lines = cables.geometry.to_numpy()
    tree = shapely.STRtree(lines)
    pt_idx, line_idx = tree.query(boxes, predicate="intersects")
    dist = np.full(len(pts), np.inf)
    if pt_idx.size == 0:
        return dist
    # Clip each candidate route to the search box: the nearest point within the
    # tolerance lies inside it, and the clipped piece is small.
    clipped = shapely.intersection(lines[line_idx], boxes[pt_idx])
    ok = ~shapely.is_empty(clipped)
    pt_idx, clipped = pt_idx[ok], clipped[ok]
    if pt_idx.size == 0:
        return dist
    local = _local_km(clipped, lon[pt_idx], lat[pt_idx])
    d = shapely.distance(shapely.points(np.zeros((len(local), 2))), local)
    np.minimum.at(dist, pt_idx, d)
    dist[dist > within_km] = np.inf
    return dist


def check_landings_touch(
    cables: gpd.GeoDataFrame,
    landings: gpd.GeoDataFrame,
    *,
    tolerance_km: float = 5.0,
    source: str = "landings",
) -> None:
    """Check that every landing point lies near some cable route.

    Parameters
    ----------
    cables, landings
        ``cables`` and ``landings`` layers in lon/lat degrees.
    tolerance_km
        Largest allowed distance [km] from a landing to the nearest route.
    source
        How to name the landings in the message (usually their file).

    Raises
    ------
    InputError
        Naming up to five landings (id and name) that are farther than
        ``tolerance_km`` from every cable, and how many there are.
    """
    dist = landing_distances_km(cables, landings, within_km=tolerance_km)
    far = np.flatnonzero(~np.isfinite(dist))
    if far.size:
        ids = landings["landing_id"].astype(str).to_numpy()[far]
        names = landings["name"].astype(str).to_numpy()[far]
        shown = ", ".join(f"{i!r} ({n})" for i, n in zip(ids[:5], names[:5], strict=True))
        more = f" and {far.size - 5} more" if far.size > 5 else ""
        msg = (
            f"{source}: {far.size} landing point(s) farther than {tolerance_km:g} km from every "
            f"cable route: {shown}{more}; check the files or raise the tolerance"
        )
        raise InputError(msg)
