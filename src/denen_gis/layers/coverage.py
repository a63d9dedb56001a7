"""Coverage of a population grid by a stations (or candidates) layer.

:func:`compute_coverage` and :func:`site_coverage_matrix` build the arrays from
a population grid and a stations layer and run the core of
:mod:`denen_gis.layers.coverage_sets` (:func:`coverage_pairs`,
:func:`coverage_sets`, :func:`best_server`, re-exported here).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely

from denen_gis.errors import InputError
from denen_gis.geodesy import box_area_km2
from denen_gis.layers.area_rule import AreaCoverage, area_coverage
from denen_gis.layers.coverage_sets import (
    BestServer,
    CoveragePairs,
    best_server,
    coverage_pairs,
    coverage_sets,
    pair_rsrp_dbm,
)
from denen_gis.layers.metrics import CoverageMetrics, coverage_metrics
from denen_gis.layers.radio import (
    STATION_TYPES,
    LinkBudget,
    StationType,
    check_station_frame,
    site_radii_km,
)
from denen_gis.mesh import mesh_bounds

__all__ = [
    "BestServer",
    "CoveragePairs",
    "CoverageResult",
    "best_server",
    "compute_coverage",
    "coverage_pairs",
    "coverage_sets",
    "pair_rsrp_dbm",
    "site_coverage_matrix",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CoverageResult:
    """Coverage of a population grid by a set of stations.

    Attributes
    ----------
    cells
        One row per grid cell, in grid order: ``mesh_code``, ``pref_code``,
        ``population`` [persons], ``urban``, ``covered``, ``best_site_id``
        (``<NA>`` if uncovered), ``rsrp_dbm`` (best-server RSRP [dBm], NaN if
        uncovered).
    matrix
        Boolean ``n_cells x n_sites`` coverage matrix (CSR), per-site form of
        the area rule: ``[i, j]`` when site j alone serves more than half of cell i.
    site_ids
        ``site_id`` of each matrix column.
    radius_km
        One row per site: ``site_id``, ``station_type``, ``height_m``,
        ``radius_urban_km``, ``radius_rural_km``, ``radius_source``
        (``"radio model"`` or ``"given"``).
    summary
        Coverage metrics of the grid.
    """

    cells: pd.DataFrame
    matrix: sp.csr_matrix
    site_ids: np.ndarray
    radius_km: pd.DataFrame
    summary: CoverageMetrics


@dataclass(frozen=True)
class _Prepared:
    cell_bounds: tuple[FloatArray, FloatArray, FloatArray, FloatArray]
    urban: npt.NDArray[np.bool_]
    site_lon: FloatArray
    site_lat: FloatArray
    site_type: np.ndarray
    height: FloatArray
    radius: pd.DataFrame


def _grid_arrays(
    grid: pd.DataFrame, source: str
) -> tuple[
    np.ndarray, tuple[FloatArray, FloatArray, FloatArray, FloatArray], npt.NDArray[np.bool_]
]:
    for col in ("mesh_code", "population"):
        if col not in grid.columns:
            msg = f"{source}: missing column {col!r}; pass a population-schema grid"
            raise InputError(msg)
    codes = grid["mesh_code"].astype(str).to_numpy()
    bounds = mesh_bounds(codes)
    if "urban" in grid.columns:
        urban = grid["urban"].to_numpy(dtype=bool)
    else:
        logger.warning("%s has no 'urban' column; every cell is treated as rural", source)
        urban = np.zeros(len(grid), dtype=bool)
    return codes, bounds, urban


def _prepare(
    grid: pd.DataFrame,
    stations: pd.DataFrame,
    *,
    link_budget: LinkBudget,
    station_types: Mapping[str, StationType],
    grid_source: str,
    stations_source: str,
) -> tuple[np.ndarray, _Prepared]:
    codes, bounds, urban = _grid_arrays(grid, grid_source)
    if "site_id" not in stations.columns:
        msg = f"{stations_source}: missing column 'site_id'"
        raise InputError(msg)
    crs = getattr(stations, "crs", None)
    if crs is not None and not crs.is_geographic:
        msg = (
            f"{stations_source}: CRS {crs.to_string()} is projected; convert to "
            "EPSG:6668 (validate_layer does) before computing coverage"
        )
        raise InputError(msg)
    check_station_frame(stations, source=stations_source, station_types=station_types)
    geom = stations.geometry.to_numpy()
    s_lon = shapely.get_x(geom).astype(float)
    s_lat = shapely.get_y(geom).astype(float)
    kinds = stations["station_type"].astype(str).to_numpy()
    height = (
        pd.to_numeric(stations["height_m"], errors="coerce").to_numpy(dtype=float)
        if "height_m" in stations.columns
        else np.full(len(stations), np.nan)
    )
    r_urb, r_rur = site_radii_km(
        kinds, height, station_types=station_types, link_budget=link_budget
    )
    given = np.full(len(stations), np.nan)
    if "radius_km" in stations.columns:
        given = pd.to_numeric(stations["radius_km"], errors="coerce").to_numpy(dtype=float)
    has_given = ~np.isnan(given)
    r_urb = np.where(has_given, given, r_urb)
    r_rur = np.where(has_given, given, r_rur)
    eff_height = height.copy()
    for key in map(str, np.unique(kinds)):
        sel = (kinds == key) & np.isnan(eff_height)
        eff_height[sel] = station_types[key].height_m
    radius = pd.DataFrame(
        {
            "site_id": stations["site_id"].astype(str).to_numpy(),
            "station_type": kinds,
            "height_m": eff_height,
            "radius_urban_km": r_urb,
            "radius_rural_km": r_rur,
            "radius_source": np.where(has_given, "given", "radio model"),
        }
    )
    return codes, _Prepared(bounds, urban, s_lon, s_lat, kinds, eff_height, radius)


def _pairs(prep: _Prepared) -> AreaCoverage:
    return area_coverage(
        prep.cell_bounds,
        prep.urban,
        prep.site_lon,
        prep.site_lat,
        radius_urban_km=prep.radius["radius_urban_km"].to_numpy(),
        radius_rural_km=prep.radius["radius_rural_km"].to_numpy(),
    )


def compute_coverage(
    grid: pd.DataFrame,
    stations: pd.DataFrame,
    *,
    link_budget: LinkBudget | None = None,
    station_types: Mapping[str, StationType] | None = None,
    pref_blocks: Mapping[str, str] | None = None,
    grid_source: str = "population grid",
    stations_source: str = "stations layer",
) -> CoverageResult:
    """Coverage of a population grid by stations, with best server and metrics.

    Parameters
    ----------
    grid
        Population-schema layer (``mesh_code``, ``population``, ``pref_code``,
        ``urban``, optional ``area_km2``). A cell is covered under MIC's area
        rule (:mod:`denen_gis.layers.area_rule`): more than half of its area
        (4 x 4 sample points) lies within some station's radius. A grid
        without ``urban`` is treated as all rural (logged).
    stations
        Stations- or candidates-schema layer in geographic coordinates
        (``site_id``, ``station_type``, optional ``height_m`` and
        ``radius_km``; a ``radius_km`` value bypasses the radio model for that
        site's coverage radius in both environments, while best-server RSRP
        still comes from the radio model).
    link_budget
        Link budget (default :class:`~denen_gis.layers.radio.LinkBudget`).
    station_types
        Known station types (default :data:`~denen_gis.layers.radio.STATION_TYPES`).
    pref_blocks
        Optional prefecture code -> regional block, for per-block metrics.
    grid_source, stations_source
        How to name the inputs in error messages (e.g. file paths).

    Returns
    -------
    CoverageResult

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from denen_gis.io.japan import grid_from_table
    >>> grid = grid_from_table(pd.DataFrame({
    ...     "mesh_code": ["53394611", "53394612", "53390000"], "population": [500, 200, 40],
    ...     "pref_code": ["13", "13", "13"], "urban": [True, True, False]}))
    >>> st = gpd.GeoDataFrame({"site_id": ["s1"], "station_type": ["nr700_macro"]},
    ...                       geometry=[Point(139.77, 35.68)], crs=6668)
    >>> res = compute_coverage(grid, st)
    >>> res.cells["covered"].tolist(), res.summary.coverage_pct
    ([True, True, False], 94.5945945945946)
    """
    link_budget = LinkBudget() if link_budget is None else link_budget
    types = STATION_TYPES if station_types is None else station_types
    codes, prep = _prepare(
        grid,
        stations,
        link_budget=link_budget,
        station_types=types,
        grid_source=grid_source,
        stations_source=stations_source,
    )
    if "pref_code" not in grid.columns:
        msg = f"{grid_source}: missing column 'pref_code'; it is needed for coverage metrics"
        raise InputError(msg)
    area = _pairs(prep)
    pairs = area.pairs
    rsrp = pair_rsrp_dbm(
        pairs,
        cell_urban=prep.urban,
        site_type=prep.site_type,
        site_height_m=prep.height,
        station_types=types,
        link_budget=link_budget,
    )
    best = best_server(pairs.rows, pairs.cols, rsrp, n_cells=len(codes))
    site_ids = prep.radius["site_id"].to_numpy()
    best_id_obj = np.full(len(codes), None, dtype=object)
    best_id_obj[area.covered] = site_ids[best.site_index[area.covered]]
    best_id = pd.array(best_id_obj, dtype="string")
    pref = grid["pref_code"].astype(str).to_numpy()
    population = grid["population"].to_numpy()
    cells = pd.DataFrame(
        {
            "mesh_code": codes,
            "pref_code": pref,
            "population": population,
            "urban": prep.urban,
            "covered": area.covered,
            "best_site_id": best_id,
            "rsrp_dbm": np.where(area.covered, best.rsrp_dbm, np.nan),
        }
    )
    area_km2 = (
        grid["area_km2"].to_numpy(dtype=float)
        if "area_km2" in grid.columns
        else box_area_km2(*prep.cell_bounds)
    )
    block = None
    if pref_blocks is not None:
        block = np.array([pref_blocks.get(p, "") for p in pref], dtype=object)
    summary = coverage_metrics(
        population, area.covered, pref_code=pref, urban=prep.urban, area_km2=area_km2, block=block
    )
    logger.info(
        "coverage: %d cells, %d sites, %d pairs, %.2f %% of population covered",
        len(codes),
        len(site_ids),
        pairs.rows.size,
        summary.coverage_pct,
    )
    return CoverageResult(
        cells=cells,
        matrix=area.per_site_matrix(),
        site_ids=site_ids,
        radius_km=prep.radius,
        summary=summary,
    )


def site_coverage_matrix(
    grid: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    link_budget: LinkBudget | None = None,
    station_types: Mapping[str, StationType] | None = None,
    grid_source: str = "population grid",
    sites_source: str = "candidate sites",
) -> sp.csr_matrix:
    """Boolean ``n_cells x n_sites`` coverage matrix of (candidate) sites.

    Rows follow the grid, columns follow ``sites``; the radius rule is that of
    :func:`compute_coverage`. This is the input of the site-selection models.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from denen_gis.io.japan import grid_from_table
    >>> grid = grid_from_table(pd.DataFrame({
    ...     "mesh_code": ["53394611", "53390000"], "population": [500, 40],
    ...     "pref_code": ["13", "13"], "urban": [True, False]}))
    >>> cand = gpd.GeoDataFrame({"site_id": ["c1", "c2"], "station_type": ["nr700_macro"] * 2,
    ...                          "cost_myen": [30.0, 30.0]},
    ...                         geometry=[Point(139.77, 35.68), Point(131.0, 33.0)], crs=6668)
    >>> site_coverage_matrix(grid, cand).toarray().tolist()
    [[True, False], [False, False]]
    """
    link_budget = LinkBudget() if link_budget is None else link_budget
    types = STATION_TYPES if station_types is None else station_types
    _, prep = _prepare(
        grid,
        sites,
        link_budget=link_budget,
        station_types=types,
        grid_source=grid_source,
        stations_source=sites_source,
    )
    return _pairs(prep).per_site_matrix()
