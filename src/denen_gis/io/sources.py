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
from denen_gis.geodesy import box_area_km2
from denen_gis.io.baselines import stations_at
from denen_gis.io.estat import read_population_grid
from denen_gis.io.files import read_layer
from denen_gis.io.japan import (
    load_candidates,
    load_municipalities,
    load_population_grid,
    load_prefectures,
    load_stations,
)
from denen_gis.mesh import mesh_bounds, mesh_centroids, mesh_level
from denen_gis.paths import refuse_special_file
from denen_gis.schema import MAX_CELL_POPULATION
from denen_gis.urban import DID_MIN_DENSITY, DID_MIN_DENSITY_500M, classify_urban

__all__ = [
    "JAPAN_BOUNDS_DEG",
    "MAX_CELL_POPULATION",
    "candidates_input",
    "check_population_grid",
    "filter_region",
    "population_input",
    "prefectures_input",
    "region_codes",
    "region_of_points",
    "stations_input",
    "stations_near",
    "urban_threshold_per_km2",
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


def _check_readable(path: Path) -> None:
    """One line for a population path that is a folder, a pipe or cannot be read."""
    refuse_special_file(path)
    if path.is_dir():
        msg = f"{path}: is a folder; give a population file (e-Stat .txt/.zip, .csv or a layer)"
        raise InputError(msg)
    if path.exists():
        try:
            with path.open("rb") as fh:
                fh.read(1)
        except OSError as exc:
            msg = f"{path}: cannot read the file ({exc.strerror}); check its permissions"
            raise InputError(msg) from None


def _assign_municipality(grid: gpd.GeoDataFrame) -> np.ndarray:
    """Municipality code of each cell centre ('' for cells far from every municipality)."""
    munis = load_municipalities()
    regions = gpd.GeoDataFrame(
        {"code": munis["muni_code"].astype(str).to_numpy()},
        geometry=munis.geometry.to_numpy(),
        crs=munis.crs,
    )
    return region_of_points(*mesh_centroids(grid["mesh_code"].to_numpy()), regions)


def population_input(
    path: str | Path | Iterable[str | Path] | None = None,
    *,
    prefectures: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The population grid: the user's file(s) at ``path`` or the embedded 500 m census grid.

    A user grid without ``pref_code`` gets the prefecture containing each cell
    centre, one without ``muni_code`` the municipality (N03 2021) containing it,
    and one without ``urban`` the census DID rule (see
    :func:`urban_threshold_per_km2` for the density threshold).
    """
    if path is None:
        return load_population_grid()
    if not isinstance(path, str | Path):
        path = list(path)  # read twice below
    for p in [path] if isinstance(path, str | Path) else path:
        _check_readable(Path(p))
    grid = read_population_grid(path)
    source = str(path) if isinstance(path, str | Path) else "population files"
    grid = check_population_grid(grid, source=source)
    if "pref_code" not in grid.columns:
        prefs = prefectures if prefectures is not None else load_prefectures()
        grid["pref_code"] = _assign_prefecture(grid, prefs, source)
    if "muni_code" not in grid.columns:
        grid["muni_code"] = _assign_municipality(grid)
    if "urban" not in grid.columns:
        codes = grid["mesh_code"].to_numpy()
        min_density = urban_threshold_per_km2(codes)
        grid["urban"] = classify_urban(
            codes, grid["population"].to_numpy(), min_density=min_density
        )
        logger.info(
            "%s: urban class computed by the DID rule at %.0f people/km2 (%d urban cells)",
            source,
            min_density,
            int(grid["urban"].sum()),
        )
    return grid


#: Japan's extent (west, south, east, north) [degrees], with a margin.
JAPAN_BOUNDS_DEG = (122.0, 20.0, 154.5, 46.5)
#: Prefecture codes of a population grid's ``pref_code`` column.
_PREF_CODES = frozenset(f"{i:02d}" for i in range(1, 48))
#: How far [degrees] a cell polygon's centre may lie from its mesh code's centre.
_MESH_TOLERANCE_DEG = 0.05


def check_population_grid(grid: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    """Checks a user's population grid needs beyond its schema; returns it completed.

    - ``area_km2`` is computed from the mesh codes when the file has none;
    - ``population`` per cell is at most :data:`MAX_CELL_POPULATION` (so the
      national sum cannot overflow);
    - ``pref_code`` values are prefecture codes 01-47;
    - cell polygons lie in Japan and on their mesh codes (coordinates in metres,
      such as EPSG:3857 numbers read as degrees, are refused with a hint).

    Raises
    ------
    InputError
        Naming ``source``, the value and what to do.
    """
    codes = grid["mesh_code"].astype(str).to_numpy()
    if "area_km2" not in grid.columns:
        grid = grid.assign(area_km2=box_area_km2(*mesh_bounds(codes)))
    pop = grid["population"].to_numpy(dtype=float)
    if len(pop) and pop.max() > MAX_CELL_POPULATION:
        i = int(np.argmax(pop))
        msg = (
            f"{source}: mesh {codes[i]} holds {pop[i]:.3g} people, more than "
            f"{MAX_CELL_POPULATION:,} in one cell; check the population column"
        )
        raise InputError(msg)
    if "pref_code" in grid.columns:
        values = grid["pref_code"].astype(str)
        bad = ~values.isin(_PREF_CODES)
        if bad.any():
            msg = (
                f"{source}: unknown pref_code {str(values[bad].iloc[0])!r} "
                f"({int(bad.sum())} cells); use prefecture codes 01-47 or leave the column out"
            )
            raise InputError(msg)
    _check_cells_in_japan(grid, codes, source)
    return grid


def _check_cells_in_japan(grid: gpd.GeoDataFrame, codes: np.ndarray, source: str) -> None:
    if not len(grid):
        return
    x0, y0, x1, y1 = grid.total_bounds
    west, south, east, north = JAPAN_BOUNDS_DEG
    if not (west <= x0 and x1 <= east and south <= y0 and y1 <= north):
        metres = max(abs(x0), abs(x1), abs(y0), abs(y1)) > 360
        hint = (
            "the coordinates look like metres (e.g. EPSG:3857); declare the file's CRS "
            "or reproject it to EPSG:6668"
            if metres
            else "the cells must lie in Japan, in EPSG:6668 longitude/latitude"
        )
        msg = f"{source}: cells reach ({x0:.6g}, {y0:.6g})-({x1:.6g}, {y1:.6g}); {hint}"
        raise InputError(msg)
    lon, lat = mesh_centroids(codes)
    centre = shapely.centroid(grid.geometry.to_numpy())
    off = np.hypot(shapely.get_x(centre) - lon, shapely.get_y(centre) - lat)
    far = np.flatnonzero(~(off <= _MESH_TOLERANCE_DEG))
    if far.size:
        i = int(far[0])
        msg = (
            f"{source}: the polygon of mesh {codes[i]} lies {off[i]:.3g} degrees from the cell "
            f"its code names ({far.size} cells); check the mesh codes or the CRS"
        )
        raise InputError(msg)


#: Mesh levels that take the 500 m calibration: 3 (1 km) and 4 (500 m).
_CALIBRATED_LEVELS = (3, 4)


def urban_threshold_per_km2(mesh_codes: np.ndarray) -> float:
    """Density threshold of the DID rule for a user grid of these mesh codes [persons/km^2].

    500 m and 1 km grids take :data:`~denen_gis.urban.DID_MIN_DENSITY_500M`,
    the threshold calibrated once on the 2020 census 500 m grid: a user's
    500 m census file is then classed exactly as the embedded grid, and on the
    same census summed to 1 km cells it puts 68.0% of the people in urban
    cells (census DID share 70.0%), where the census 4,000/km^2 would put only
    54.4% (57.4% at 500 m): a coarser cell mixes dense and sparse blocks even
    more. 250 m grids (and other levels) keep the census 4,000/km^2: their
    cells come close to the census blocks, and no 250 m calibration exists.
    """
    if len(mesh_codes) and mesh_level(mesh_codes) in _CALIBRATED_LEVELS:
        return DID_MIN_DENSITY_500M
    return DID_MIN_DENSITY


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
