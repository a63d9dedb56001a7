"""Input layers for a run: the user's file when given, else the embedded dataset.

Commands and the planning pipeline call these so that every ``--population``,
``--stations`` or ``--candidates`` option behaves the same way: the file is
read and validated where it enters, a grid without ``pref_code`` or ``urban``
is completed (prefecture by cell centre, urban by the census DID rule), and a
region filter keeps the chosen prefectures.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from denen_gis.errors import InputError
from denen_gis.io.baselines import stations_at
from denen_gis.io.estat import read_population_grid
from denen_gis.io.files import read_layer
from denen_gis.io.japan import (
    load_candidates,
    load_population_grid,
    load_prefectures,
    load_stations,
)
from denen_gis.mesh import mesh_centroids
from denen_gis.urban import classify_urban

__all__ = [
    "candidates_input",
    "filter_region",
    "population_input",
    "prefectures_input",
    "region_codes",
    "region_of_points",
    "stations_input",
    "stations_near",
]

logger = logging.getLogger(__name__)


def prefectures_input(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Prefecture (or region) polygons: the file at ``path`` or the embedded 47."""
    if path is None:
        return load_prefectures()
    return read_layer(path, "regions")


def region_of_points(
    lon: np.ndarray, lat: np.ndarray, regions: gpd.GeoDataFrame, *, max_distance_deg: float = 0.1
) -> np.ndarray:
    """Code of the region containing each point ('' for none).

    Points just outside every outline (coastal cells and sites next to a
    simplified coastline) take the nearest region within ``max_distance_deg``
    (0.1 degree is about 10 km).
    """
    points = shapely.points(lon, lat)
    tree = shapely.STRtree(regions.geometry.to_numpy())
    idx_pt, idx_poly = tree.query(points, predicate="within")
    codes = np.full(len(points), "", dtype=object)
    region_codes_arr = regions["code"].astype(str).to_numpy()
    codes[idx_pt] = region_codes_arr[idx_poly]
    missing = np.flatnonzero(codes == "")
    if missing.size:
        near_pt, near_poly = tree.query_nearest(points[missing], max_distance=max_distance_deg)
        codes[missing[near_pt]] = region_codes_arr[near_poly]
    return codes.astype(str)


def _assign_prefecture(
    grid: gpd.GeoDataFrame, prefectures: gpd.GeoDataFrame, source: str
) -> np.ndarray:
    codes = region_of_points(*mesh_centroids(grid["mesh_code"].to_numpy()), prefectures)
    lost = codes == ""
    if lost.any():
        i = int(np.flatnonzero(lost)[0])
        msg = (
            f"{source}: {int(lost.sum())} cells (first: mesh {grid['mesh_code'].iloc[i]}) lie "
            "outside every prefecture; add a pref_code column or pass a matching regions layer"
        )
        raise InputError(msg)
    return codes


def population_input(
    path: str | Path | Iterable[str | Path] | None = None,
    *,
    prefectures: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The population grid: the user's file(s) at ``path`` or the embedded 500 m census grid.

    A user grid without ``pref_code`` gets the prefecture containing each cell
    centre; one without ``urban`` gets the census DID rule.
    """
    if path is None:
        return load_population_grid()
    grid = read_population_grid(path)
    source = str(path) if isinstance(path, str | Path) else "population files"
    if "pref_code" not in grid.columns:
        prefs = prefectures if prefectures is not None else load_prefectures()
        grid["pref_code"] = _assign_prefecture(grid, prefs, source)
    if "urban" not in grid.columns:
        grid["urban"] = classify_urban(grid["mesh_code"].to_numpy(), grid["population"].to_numpy())
        logger.info(
            "%s: urban class computed by the DID rule (%d urban cells)",
            source,
            int(grid["urban"].sum()),
        )
    return grid


def stations_input(
    path: str | Path | None = None, *, baseline: str | None = None
) -> gpd.GeoDataFrame:
    """Existing 5G stations: the file at ``path`` or the embedded modelled network.

    ``baseline`` (``"fy2021"``, ``"fy2022"``, ``"fy2023"``; default the latest)
    keeps the stations on air at the end of that year; a user file is filtered
    the same way when it has a ``since_fy`` column.
    """
    if path is None:
        return load_stations(baseline)
    return stations_at(read_layer(path, "stations"), baseline)


def candidates_input(
    path: str | Path | None = None, *, baseline: str | None = None
) -> gpd.GeoDataFrame:
    """Candidate sites: the file at ``path`` or the embedded candidates of ``baseline``."""
    return load_candidates(baseline) if path is None else read_layer(path, "candidates")


def region_codes(
    prefectures: gpd.GeoDataFrame,
    *,
    blocks: Iterable[str] = (),
    codes: Iterable[str] = (),
    sea_of_japan_coast: bool = False,
) -> list[str]:
    """Prefecture codes selected by blocks, codes/names and the Sea of Japan flag.

    The filters add up (union); with none, every prefecture is selected.
    Prefectures may be named by code (``"05"`` or ``"5"``), English or
    Japanese name.

    Examples
    --------
    >>> from denen_gis.io.japan import load_prefectures
    >>> region_codes(load_prefectures(), codes=["Akita", "青森県", "3"])
    ['02', '03', '05']
    """
    blocks, codes = list(blocks), [str(c) for c in codes]
    all_codes = prefectures["code"].astype(str).tolist()
    if not (blocks or codes or sea_of_japan_coast):
        return sorted(all_codes)
    chosen: set[str] = set()
    if blocks:
        if "block" not in prefectures.columns:
            msg = "region filter by block needs a 'block' column in the regions layer"
            raise InputError(msg)
        known = set(prefectures["block"].astype(str))
        for b in blocks:
            if b not in known:
                msg = f"unknown block {b!r}; one of {sorted(known)}"
                raise InputError(msg)
        chosen |= set(prefectures.loc[prefectures["block"].isin(blocks), "code"])
    lookup = {c: c for c in all_codes}
    lookup.update({c.lstrip("0"): c for c in all_codes})
    for col in ("name_en", "name_ja"):
        if col in prefectures.columns:
            lookup.update(
                dict(
                    zip(prefectures[col].astype(str).str.lower(), prefectures["code"], strict=True)
                )
            )
    for c in codes:
        key = c.strip().lower()
        if key not in lookup and key.zfill(2) not in lookup:
            msg = f"unknown prefecture {c!r}; use a code 01-47 or a name such as 'Akita'"
            raise InputError(msg)
        chosen.add(lookup.get(key, lookup.get(key.zfill(2))))
    if sea_of_japan_coast:
        if "sea_of_japan_coast" not in prefectures.columns:
            msg = "region filter sea_of_japan_coast needs that column in the regions layer"
            raise InputError(msg)
        chosen |= set(prefectures.loc[prefectures["sea_of_japan_coast"].astype(bool), "code"])
    return sorted(chosen)


def filter_region(
    frame: gpd.GeoDataFrame, codes: Iterable[str], *, column: str = "pref_code"
) -> gpd.GeoDataFrame:
    """Rows of ``frame`` whose ``column`` is one of ``codes`` (index reset).

    A 2-digit prefecture code also matches a 5-digit municipality code of that
    prefecture, and the reverse, so layers keyed by prefecture and regions
    keyed by municipality (N03) work together.
    """
    codes = {str(c) for c in codes}
    values = frame[column].astype(str)
    keep = values.isin(codes) | values.isin({c[:2] for c in codes if len(c) == 5})
    keep |= values.str[:2].isin({c for c in codes if len(c) == 2}) & (values.str.len() == 5)
    return frame.loc[keep.to_numpy()].reset_index(drop=True)


def stations_near(
    stations: gpd.GeoDataFrame, grid: gpd.GeoDataFrame, *, margin_deg: float = 0.25
) -> gpd.GeoDataFrame:
    """Stations within ``margin_deg`` of the grid's bounding box (index reset).

    A region run keeps the existing stations just across its border, since
    they cover its border cells; 0.25 degree (about 25 km) is well beyond the
    largest built-in radius, and stations with a larger own ``radius_km`` widen it.
    """
    if stations.empty:
        return stations
    if "radius_km" in stations.columns and stations["radius_km"].notna().any():
        margin_deg = max(margin_deg, float(stations["radius_km"].max()) / 80.0 + 0.05)
    w, s, e, n = grid.total_bounds
    x = stations.geometry.x.to_numpy()
    y = stations.geometry.y.to_numpy()
    keep = (
        (x >= w - margin_deg)
        & (x <= e + margin_deg)
        & (y >= s - margin_deg)
        & (y <= n + margin_deg)
    )
    return stations.loc[keep].reset_index(drop=True)
