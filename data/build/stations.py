"""Build the modelled existing 5G stations and the candidate sites for new ones.

Run ``python data/build/stations.py [OUT_DIR]`` after the population build.
Deterministic.

No open dataset of Japanese 5G base stations exists, so the existing network
is a model calibrated to what MIC reported for the end of FY2022 (March 2023):
93.2% national population coverage; Tokyo, Saitama, Kanagawa and Osaka above
99%; Iwate, Shimane, Kochi, Oita and Kagoshima the lowest (Shimane 82.0%).

Existing stations
-----------------
1. A coverage target per prefecture: the four metropolitan prefectures 99.4%;
   the five reported lowest between 82.0% (Shimane) and 84.5%; every other
   prefecture ``99 - k * (rural share)`` clipped to [85.5, 98.8], with ``k``
   found by bisection so that the national figure is 93.2%.
2. Placement, per prefecture: visit populated cells from the most to the least
   populated; an uncovered cell gets a station at its centre (3.7 GHz macro in
   urban cells, 700 MHz macro in rural ones) that covers every cell within its
   radius for that cell's environment (the radio model of
   :mod:`denen_gis.layers.radio`); stop at the target.

Candidate sites
---------------
One candidate per 2 km x 2 km block (4 x 4 cells of 500 m) that holds
uncovered people, at its most populated uncovered cell: a 700 MHz macro in
rural cells, a 3.7 GHz macro in urban ones. Cost = the type's capex plus fibre
backhaul at ``BACKHAUL_MYEN_PER_KM`` per km of distance to the nearest existing
station or urban cell (rural sites pay more), capped at ``BACKHAUL_CAP_KM``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from denen_gis.geodesy import CRS_EPSG, EARTH_RADIUS_KM, chord_from_km, unit_vectors
from denen_gis.io.japan import grid_from_table
from denen_gis.layers.radio import STATION_TYPES, site_radii_km
from denen_gis.mesh import mesh_centroids, mesh_indices

HERE = Path(__file__).resolve().parent

#: FY2022 (end of March 2023) national 5G population coverage reported by MIC.
NATIONAL_FY2022 = 0.932
#: Reported above 99%: Saitama, Tokyo, Kanagawa, Osaka.
METRO = {"11": 0.994, "13": 0.996, "14": 0.994, "27": 0.994}
#: Reported lowest; Shimane 82.0% from press reports, the others modelled just above it.
LOWEST = {"32": 0.820, "03": 0.830, "39": 0.835, "44": 0.840, "46": 0.845}
#: Fibre backhaul cost [million yen per km] and the distance it is capped at [km].
BACKHAUL_MYEN_PER_KM = 1.5
BACKHAUL_CAP_KM = 20.0
URBAN_TYPE = "nr3700_macro"
RURAL_TYPE = "nr700_macro"


def prefecture_targets(grid: pd.DataFrame) -> pd.Series:
    """FY2022 coverage target [share] per prefecture, national 93.2%."""
    pop = grid.groupby("pref_code")["population"].sum()
    rural = grid.loc[~grid["urban"]].groupby("pref_code")["population"].sum()
    rural_share = (rural / pop).reindex(pop.index).fillna(0.0)
    fixed = pd.Series({**METRO, **LOWEST})

    def targets(k: float) -> pd.Series:
        t = (0.99 - k * rural_share).clip(0.855, 0.988)
        t.loc[fixed.index] = fixed
        return t

    lo, hi = 0.0, 1.0
    for _ in range(60):
        k = 0.5 * (lo + hi)
        national = float((targets(k) * pop).sum() / pop.sum())
        lo, hi = (k, hi) if national > NATIONAL_FY2022 else (lo, k)
    return targets(0.5 * (lo + hi))


def place_stations(grid: pd.DataFrame, targets: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    """Greedy placement; returns the stations table and the per-cell covered flags."""
    codes = grid["mesh_code"].to_numpy()
    lon, lat = mesh_centroids(codes)
    vec = unit_vectors(lon, lat)
    tree = cKDTree(vec)
    urban = grid["urban"].to_numpy()
    pop = grid["population"].to_numpy()
    pref = grid["pref_code"].to_numpy()
    (ru_u, rr_u), (ru_r, rr_r) = (
        tuple(float(r[0]) for r in site_radii_km([t])) for t in (URBAN_TYPE, RURAL_TYPE)
    )
    covered = np.zeros(len(grid), dtype=bool)
    rows = []
    for code, target in targets.sort_index().items():
        idx = np.flatnonzero(pref == code)
        order = idx[np.lexsort((codes[idx], -pop[idx]))]
        order = order[pop[order] > 0]
        total = pop[idx].sum()
        have = 0
        for i in order:
            if have >= target * total:
                break
            if covered[i]:
                continue
            kind, r_urban, r_rural = (
                (URBAN_TYPE, ru_u, rr_u) if urban[i] else (RURAL_TYPE, ru_r, rr_r)
            )
            near = np.asarray(
                tree.query_ball_point(vec[i], float(chord_from_km(max(r_urban, r_rural))))
            )
            d_km = 2 * np.arcsin(np.clip(np.linalg.norm(vec[near] - vec[i], axis=1) / 2, 0, 1))
            d_km *= EARTH_RADIUS_KM
            reach = near[d_km <= np.where(urban[near], r_urban, r_rural)]
            new = reach[~covered[reach]]
            covered[new] = True
            have += int(pop[new][pref[new] == code].sum())
            rows.append({"cell": i, "station_type": kind, "pref_code": code})
    stations = pd.DataFrame(rows)
    return stations, covered


#: Cells per side of a candidate block (5 x 500 m = 2.5 km).
BLOCK_CELLS = 5


def build_candidates(
    grid: pd.DataFrame, covered: np.ndarray, stations: pd.DataFrame
) -> pd.DataFrame:
    """One candidate per 2 x 2 km block with uncovered people, with a backhaul-aware cost."""
    if len(grid) and len(str(grid["mesh_code"].iloc[0])) != 9:
        msg = "the candidate recipe expects the 500 m (9-digit) grid"
        raise SystemExit(msg)
    codes = grid["mesh_code"].to_numpy()
    row, col, _ = mesh_indices(codes)
    pop = grid["population"].to_numpy()
    todo = np.flatnonzero((~covered) & (pop > 0))
    block = (row[todo] // BLOCK_CELLS) * 100_000 + col[todo] // BLOCK_CELLS
    frame = pd.DataFrame({"cell": todo, "block": block, "pop": pop[todo], "code": codes[todo]})
    frame = frame.sort_values(["block", "pop", "code"], ascending=[True, False, True])
    chosen = np.sort(frame.drop_duplicates("block")["cell"].to_numpy())
    lon, lat = mesh_centroids(codes)
    vec = unit_vectors(lon, lat)
    anchors = np.union1d(stations["cell"].to_numpy(), np.flatnonzero(grid["urban"].to_numpy()))
    dist, _ = cKDTree(vec[anchors]).query(vec[chosen])
    dist_km = 2 * np.arcsin(np.clip(dist / 2, 0, 1)) * EARTH_RADIUS_KM
    urban = grid["urban"].to_numpy()[chosen]
    kinds = np.where(urban, URBAN_TYPE, RURAL_TYPE)
    base = np.array([STATION_TYPES[k].cost_myen for k in kinds])
    backhaul_km = np.minimum(dist_km, BACKHAUL_CAP_KM)
    cost = np.round(base + BACKHAUL_MYEN_PER_KM * backhaul_km, 1)
    notes = [
        f"{STATION_TYPES[k].label_en} capex {b:g} + backhaul {BACKHAUL_MYEN_PER_KM:g}/km x "
        f"{d:.1f} km to the nearest existing station or urban area (modelled)"
        for k, b, d in zip(kinds, base, backhaul_km, strict=True)
    ]
    return pd.DataFrame(
        {
            "cell": chosen,
            "station_type": kinds,
            "cost_myen": cost,
            "backhaul_km": np.round(backhaul_km, 2),
            "cost_note": notes,
            "pref_code": grid["pref_code"].to_numpy()[chosen],
        }
    )


def _points(grid: pd.DataFrame, cells: np.ndarray) -> np.ndarray:
    lon, lat = mesh_centroids(grid["mesh_code"].to_numpy()[cells])
    return shapely.points(np.round(lon, 6), np.round(lat, 6))


def main(out_dir: Path) -> None:
    """Write ``stations_5g.parquet`` and ``candidates_5g.parquet`` into ``out_dir``."""
    table = pd.read_parquet(out_dir / "population_500m.parquet")
    grid = grid_from_table(table)
    desired = prefecture_targets(grid)
    targets = desired.copy()
    pop_by_pref = grid.groupby("pref_code")["population"].sum()
    # Stations near a border also cover the neighbour's cells, so the first pass
    # overshoots; lower each prefecture's stopping point by its overshoot and redo.
    for _ in range(4):
        stations, covered = place_stations(grid, targets)
        got = grid.loc[covered].groupby("pref_code")["population"].sum() / pop_by_pref
        targets = (targets - (got.reindex(targets.index).fillna(0) - desired)).clip(0.5, 1.0)
    cells = stations["cell"].to_numpy()
    heights = np.array([STATION_TYPES[k].height_m for k in stations["station_type"]])
    st = gpd.GeoDataFrame(
        {
            "site_id": [f"S{p}-{i:05d}" for i, p in enumerate(stations["pref_code"])],
            "station_type": stations["station_type"],
            "height_m": heights,
            "pref_code": stations["pref_code"],
            "mesh_code": grid["mesh_code"].to_numpy()[cells],
        },
        geometry=_points(grid, cells),
        crs=CRS_EPSG,
    )
    cand = build_candidates(grid, covered, stations)
    cg = gpd.GeoDataFrame(
        {
            "site_id": [f"C{p}-{i:05d}" for i, p in enumerate(cand["pref_code"])],
            "station_type": cand["station_type"],
            "cost_myen": cand["cost_myen"],
            "height_m": [STATION_TYPES[k].height_m for k in cand["station_type"]],
            "pref_code": cand["pref_code"],
            "backhaul_km": cand["backhaul_km"],
            "cost_note": cand["cost_note"],
            "mesh_code": grid["mesh_code"].to_numpy()[cand["cell"].to_numpy()],
        },
        geometry=_points(grid, cand["cell"].to_numpy()),
        crs=CRS_EPSG,
    )
    for frame, name in ((st, "stations_5g.parquet"), (cg, "candidates_5g.parquet")):
        tmp = out_dir / f"{name}.tmp"
        frame.to_parquet(tmp, index=False, compression="zstd")
        tmp.replace(out_dir / name)
    pop = grid["population"].to_numpy()
    share = pop[covered].sum() / pop.sum()
    got = grid.loc[covered].groupby("pref_code")["population"].sum() / pop_by_pref
    worst = got.sort_values().head(6)
    print("lowest prefectures:", ", ".join(f"{c} {100 * v:.1f}%" for c, v in worst.items()))
    print("metropolitan:", ", ".join(f"{c} {100 * got[c]:.1f}%" for c in METRO))
    print(
        f"stations: {len(st):,} ({(st['station_type'] == URBAN_TYPE).sum():,} urban 3.7 GHz); "
        f"national coverage {100 * share:.2f}%; candidates: {len(cg):,} "
        f"(cost {cg['cost_myen'].min():.1f}-{cg['cost_myen'].max():.1f} M yen)"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent)
