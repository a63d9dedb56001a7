"""Benchmark: coverage sets of a national 1 km grid.

Usage::

    python benchmarks/bench_coverage.py [--cells N] [--sites M] [--seed S]
                                        [--layer stations|candidates]

With ``data/population_500m.parquet`` present the embedded grid is used
(first N cells when ``--cells`` is given) with the embedded stations when
present; otherwise, and for any size the dataset lacks, a synthetic grid of
real JIS X 0410 1 km mesh codes over Japan's bounding box and synthetic
stations (a mix of the built-in types placed near populated cells). Prints the
wall time of :func:`denen_gis.layers.compute_coverage` and of the core
:func:`denen_gis.layers.coverage_pairs`, the peak resident memory, and
appends one JSON line to ``benchmarks/results/coverage.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy

from denen_gis.geodesy import CRS_EPSG
from denen_gis.layers import compute_coverage, coverage_pairs, site_radii_km
from denen_gis.mesh import LEVEL_SIZE_DEG, mesh_centroids, mesh_from_indices

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "coverage.jsonl"
TYPE_MIX = {"nr700_macro": 0.35, "nr3700_macro": 0.45, "nr28g_small": 0.20}


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def synthetic_grid(n_cells: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """``n_cells`` distinct 1 km mesh cells in Japan's box (lon 129-146, lat 30-45.5)."""
    dlat, dlon = LEVEL_SIZE_DEG[3]
    rows = np.arange(int(30 / dlat), int(45.5 / dlat))
    cols = np.arange(int((129 - 100) / dlon), int((146 - 100) / dlon))
    if n_cells > rows.size * cols.size:
        raise SystemExit(f"--cells {n_cells} exceeds the {rows.size * cols.size} cells in the box")
    # Clustered like settlements: cells around random towns, topped up uniformly.
    towns = rng.integers([rows[0], cols[0]], [rows[-1], cols[-1]], size=(max(n_cells // 400, 1), 2))
    picks = towns[rng.integers(0, len(towns), size=2 * n_cells)] + rng.normal(
        0, 12, size=(2 * n_cells, 2)
    ).round().astype(np.int64)
    picks = np.clip(picks, [rows[0], cols[0]], [rows[-1], cols[-1]])
    flat = np.unique(picks[:, 0] * 100_000 + picks[:, 1])
    if flat.size < n_cells:
        extra = rng.integers(rows[0], rows[-1], size=n_cells) * 100_000 + rng.integers(
            cols[0], cols[-1], size=n_cells
        )
        flat = np.unique(np.concatenate([flat, extra]))
    flat = rng.permutation(flat)[:n_cells]
    codes = mesh_from_indices(flat // 100_000, flat % 100_000, 3)
    population = rng.lognormal(4.0, 1.8, size=n_cells).round().astype(np.int64)
    return gpd.GeoDataFrame(
        {
            "mesh_code": codes,
            "population": population,
            "pref_code": np.char.zfill(rng.integers(1, 48, size=n_cells).astype(str), 2),
            "urban": population >= 4000,
            "area_km2": np.ones(n_cells),
        },
        geometry=gpd.points_from_xy(*mesh_centroids(codes)),
        crs=CRS_EPSG,
    )


def synthetic_stations(
    grid: pd.DataFrame, n_sites: int, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """``n_sites`` stations near cells drawn with probability ~ population."""
    lon, lat = mesh_centroids(grid["mesh_code"].to_numpy())
    weight = grid["population"].to_numpy(dtype=float) + 1.0
    idx = rng.choice(len(grid), size=n_sites, p=weight / weight.sum())
    kinds = rng.choice(list(TYPE_MIX), size=n_sites, p=list(TYPE_MIX.values()))
    return gpd.GeoDataFrame(
        {"site_id": [f"s{i}" for i in range(n_sites)], "station_type": kinds},
        geometry=gpd.points_from_xy(
            lon[idx] + rng.uniform(-0.006, 0.006, n_sites),
            lat[idx] + rng.uniform(-0.004, 0.004, n_sites),
        ),
        crs=CRS_EPSG,
    )


def load_inputs(
    n_cells: int | None, n_sites: int | None, rng: np.random.Generator, layer: str = "stations"
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str]:
    grid = stations = None
    source = []
    if (ROOT / "data" / "population_500m.parquet").is_file():
        from denen_gis.io import japan

        grid = japan.load_population_grid()
        if n_cells is not None and n_cells != len(grid):
            grid = grid.iloc[:n_cells].reset_index(drop=True) if n_cells < len(grid) else None
        fname = japan.DATASET_FILES[layer][0]
        if grid is not None and (ROOT / "data" / fname).is_file():
            stations = japan.load_stations() if layer == "stations" else japan.load_candidates()
            if n_sites is not None and n_sites != len(stations):
                stations = None
    if grid is None:
        grid = synthetic_grid(n_cells or 380_000, rng)
        source.append("synthetic grid")
    else:
        source.append("embedded grid")
    if stations is None:
        stations = synthetic_stations(grid, n_sites or 30_000, rng)
        source.append("synthetic stations")
    else:
        source.append(f"embedded {layer}")
    return grid, stations, " + ".join(source)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=None, help="grid cells (default: all/380k)")
    parser.add_argument("--sites", type=int, default=None, help="stations (default: all/30k)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--layer",
        choices=["stations", "candidates"],
        default="stations",
        help="embedded layer to use as sites when present",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    grid, stations, source = load_inputs(args.cells, args.sites, rng, args.layer)
    rss_before = _peak_rss_mb()

    t0 = time.perf_counter()
    result = compute_coverage(grid, stations)
    t_total = time.perf_counter() - t0

    lon, lat = mesh_centroids(grid["mesh_code"].to_numpy())
    heights = stations["height_m"].to_numpy(dtype=float) if "height_m" in stations.columns else None
    r_u, r_r = site_radii_km(stations["station_type"].to_numpy(), heights)
    t1 = time.perf_counter()
    pairs = coverage_pairs(
        lon,
        lat,
        grid["urban"].to_numpy(),
        stations.geometry.x.to_numpy(),
        stations.geometry.y.to_numpy(),
        radius_urban_km=r_u,
        radius_rural_km=r_r,
    )
    t_core = time.perf_counter() - t1
    rss_after = _peak_rss_mb()

    record = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source,
        "cells": len(grid),
        "sites": len(stations),
        "pairs": int(result.matrix.nnz),
        "core_pairs": int(pairs.rows.size),
        "seconds_compute_coverage": round(t_total, 3),
        "seconds_coverage_pairs": round(t_core, 3),
        "peak_rss_mb_before": round(rss_before, 1),
        "peak_rss_mb_after": round(rss_after, 1),
        "coverage_pct": round(result.summary.coverage_pct, 3),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "machine": platform.machine(),
    }
    print(
        f"{source}: {record['cells']} cells x {record['sites']} sites -> "
        f"{record['pairs']} covering pairs"
    )
    print(
        f"compute_coverage {t_total:.2f} s (core coverage_pairs {t_core:.2f} s); "
        f"peak RSS {rss_before:.0f} MB before, {rss_after:.0f} MB after; "
        f"{record['coverage_pct']} % of population covered"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
