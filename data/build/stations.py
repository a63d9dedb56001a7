"""Build the modelled existing 5G stations and the candidate sites for new ones.

Run ``python data/build/stations.py [OUT_DIR]`` after the population build.
Deterministic.

No open dataset of Japanese 5G base stations exists, so the network is a model
calibrated to MIC's 5G population coverage at the end of FY2021, FY2022 and
FY2023 (93.2 / 96.6 / 98.1% nationally; per prefecture where MIC's releases give
it, ``sources/fiveg_coverage_mic.csv``), counted with MIC's area rule (a 500 m
mesh is covered when more than half of its area is served).

Writes ``stations_5g.parquet`` (nested years, ``since_fy``), ``stations_4g.parquet``
(the modelled 4G layer, 99.9% of people), ``candidates_5g.parquet`` (``kind``:
``upgrade`` of a 4G site without 5G, or ``new_tower`` in the 4G not-spots, with
backhaul; islands pay a microwave or submarine link) and
``fiveg_calibration.csv``. Every number and its source: ``data/SOURCES.md``.
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
from denen_gis.layers.area_rule import area_coverage
from denen_gis.layers.radio import STATION_TYPES, site_radii_km
from denen_gis.mesh import mesh_bounds, mesh_centroids, mesh_indices

HERE = Path(__file__).resolve().parent

#: Fiscal years of the baselines (end of March of the next calendar year).
YEARS = (2021, 2022, 2023)
#: Bounds [share] on the prefectures MIC's releases do not give (research_12.md, sec. 1):
#: FY2021 every prefecture over 70%, only five in the 70s, only four over 99%;
#: FY2022 only six under 90% (all known), only seven at 99% or more (all known);
#: FY2023 Shimane the only one under 90% (implied: the other blanks under 99%).
BOUNDS = {2021: (0.80, 0.99), 2022: (0.90, 0.989), 2023: (0.90, 0.989)}
#: Iwate is one of the five FY2021 prefectures in the 70s.
BOUNDS_BY_PREF = {2021: {"03": (0.70, 0.799)}}
#: Rounds of the per-prefecture calibration (each re-places the year's stations).
CALIBRATION_ROUNDS = 3
#: Share of people the modelled 4G layer reaches (LTE coverage is above 99.9%).
LTE_TARGET = 0.9992
#: NR upgrade of an existing 4G site [million yen]: mean total project cost of the four
#: FY2020 5G upgrades (高度化施設) of the MIC grant in Kinki, 4.9-8.8 M yen.
UPGRADE_MYEN = 7.0
UPGRADE_NOTE = (
    "NR upgrade of an existing 4G site 7.0: mean total project cost of four FY2020 5G "
    "upgrades under MIC's area-expansion grant, 4.9-8.8 M yen (Kinki bureau 2020-11-27, "
    "soumu.go.jp/soutsu/kinki/01sotsu07_01001725.html); operator capex, the grant pays 1/2"
)
#: New not-spot tower [million yen]: median total project cost of five single/dual-operator
#: towers of the MIC grant, 5.56-24.6 M yen (Tokai bureau 2016-07-26 and 2019-08-01).
NEW_TOWER_MYEN = 13.0
NEW_TOWER_SOURCE = "median of 5.56-24.6 M yen, MIC Tokai bureau grant decisions 2016/2019"
#: Fibre backhaul cost [million yen per km] and the distance it is capped at [km] (modelled).
BACKHAUL_MYEN_PER_KM = 1.5
BACKHAUL_CAP_KM = 20.0
#: Island backhaul (microwave hop or submarine fibre) per site [million yen] (modelled).
ISLAND_LINK_MYEN = 20.0
#: Land parts smaller than this [km^2] count as islands (Sado 855 km^2 is one).
ISLAND_MAX_KM2 = 1000.0
URBAN_TYPE = "nr3700_macro"
RURAL_TYPE = "nr700_macro"


def place_stations(
    grid: pd.DataFrame,
    targets: pd.Series,
    covered: np.ndarray | None = None,
    *,
    national_target: float | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Greedy placement from ``covered`` on; returns the new stations and the covered flags.

    Per prefecture (or, with ``national_target``, over the whole grid at once):
    visit populated cells from the most to the least populated; an uncovered
    cell gets a station at its centre that covers every cell whose centre is
    within its radius; stop at the target share of people.
    """
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
    covered = np.zeros(len(grid), dtype=bool) if covered is None else covered.copy()
    rows = []
    if national_target is not None:
        groups = [("", np.arange(len(grid)), national_target)]
    else:
        groups = [(c, np.flatnonzero(pref == c), t) for c, t in targets.sort_index().items()]
    for code, idx, target in groups:
        order = idx[np.lexsort((codes[idx], -pop[idx]))]
        order = order[pop[order] > 0]
        total = pop[idx].sum()
        have = int(pop[idx][covered[idx]].sum())
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
            mine = new if not code else new[pref[new] == code]
            have += int(pop[mine].sum())
            rows.append({"cell": int(i), "station_type": kind, "pref_code": pref[i]})
    stations = pd.DataFrame(rows, columns=["cell", "station_type", "pref_code"])
    return stations, covered


def area_covered(grid: pd.DataFrame, cells: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Cells covered under MIC's area rule by stations at the centres of ``cells``."""
    bounds = mesh_bounds(grid["mesh_code"].to_numpy())
    lon, lat = mesh_centroids(grid["mesh_code"].to_numpy()[cells])
    r_urban, r_rural = site_radii_km(kinds)
    return area_coverage(
        bounds,
        grid["urban"].to_numpy(),
        lon,
        lat,
        radius_urban_km=r_urban,
        radius_rural_km=r_rural,
    ).covered


def year_targets(
    grid: pd.DataFrame, mic: pd.DataFrame, year: int, floor: pd.Series | None
) -> pd.Series:
    """Coverage target [share] per prefecture for the end of fiscal ``year``.

    MIC's figure where known; the unknown prefectures share what is left of
    the national figure as ``a - k * (rural share)`` with ``k`` found by
    bisection, clipped to the bounds that MIC's releases imply
    (:data:`BOUNDS`) and never below the previous year's target ``floor``.
    """
    pop = grid.groupby("pref_code")["population"].sum()
    rural = grid.loc[~grid["urban"]].groupby("pref_code")["population"].sum()
    rural_share = (rural / pop).reindex(pop.index).fillna(0.0)
    col = f"fy{year}_pct"
    known = (mic.set_index("code")[col].drop("00") / 100.0).dropna()
    national = float(mic.set_index("code").loc["00", col]) / 100.0
    unknown = pop.index.difference(known.index)
    lo = pd.Series(BOUNDS[year][0], index=unknown)
    hi = pd.Series(BOUNDS[year][1], index=unknown)
    for code, (a, b) in BOUNDS_BY_PREF.get(year, {}).items():
        lo[code], hi[code] = a, b
    if floor is not None:
        lo = np.maximum(lo, floor.reindex(unknown).fillna(0.0))
        hi = np.maximum(hi, lo)
    rest = national * pop.sum() - float((known * pop[known.index]).sum())

    def share(k: float) -> pd.Series:
        return (0.995 - k * rural_share[unknown]).clip(lo, hi)

    a, b = -1.0, 3.0
    for _ in range(60):
        k = 0.5 * (a + b)
        a, b = (k, b) if float((share(k) * pop[unknown]).sum()) > rest else (a, k)
    out = pd.concat([known, share(0.5 * (a + b))]).sort_index()
    if floor is not None:
        out = np.maximum(out, floor.reindex(out.index).fillna(0.0))
    return out


#: Cells per side of a candidate block (5 x 500 m = 2.5 km).
BLOCK_CELLS = 5


def island_cells(grid: pd.DataFrame, prefectures: gpd.GeoDataFrame) -> np.ndarray:
    """Cells whose centre lies on a land part under :data:`ISLAND_MAX_KM2` (an island)."""
    parts = prefectures[["geometry"]].explode(index_parts=False).reset_index(drop=True)
    area = parts.to_crs(6933).area.to_numpy() / 1e6
    small = parts.geometry.to_numpy()[area < ISLAND_MAX_KM2]
    lon, lat = mesh_centroids(grid["mesh_code"].to_numpy())
    hit, _ = shapely.STRtree(small).query(shapely.points(lon, lat), predicate="within")
    out = np.zeros(len(grid), dtype=bool)
    out[hit] = True
    return out


def new_tower_candidates(
    grid: pd.DataFrame, covered_4g: np.ndarray, sites_4g: np.ndarray, island: np.ndarray
) -> pd.DataFrame:
    """One new tower per 2.5 x 2.5 km block of the 4G not-spots, with backhaul."""
    if len(grid) and len(str(grid["mesh_code"].iloc[0])) != 9:
        msg = "the candidate recipe expects the 500 m (9-digit) grid"
        raise SystemExit(msg)
    codes = grid["mesh_code"].to_numpy()
    row, col, _ = mesh_indices(codes)
    pop = grid["population"].to_numpy()
    todo = np.flatnonzero((~covered_4g) & (pop > 0))
    block = (row[todo] // BLOCK_CELLS) * 100_000 + col[todo] // BLOCK_CELLS
    frame = pd.DataFrame({"cell": todo, "block": block, "pop": pop[todo], "code": codes[todo]})
    frame = frame.sort_values(["block", "pop", "code"], ascending=[True, False, True])
    chosen = np.sort(frame.drop_duplicates("block")["cell"].to_numpy())
    lon, lat = mesh_centroids(codes)
    vec = unit_vectors(lon, lat)
    dist, _ = cKDTree(vec[sites_4g]).query(vec[chosen])
    dist_km = 2 * np.arcsin(np.clip(dist / 2, 0, 1)) * EARTH_RADIUS_KM
    on_island = island[chosen]
    backhaul_km = np.where(on_island, 0.0, np.minimum(dist_km, BACKHAUL_CAP_KM))
    cost = np.round(
        NEW_TOWER_MYEN
        + BACKHAUL_MYEN_PER_KM * backhaul_km
        + np.where(on_island, ISLAND_LINK_MYEN, 0),
        1,
    )
    notes = [
        f"new tower {NEW_TOWER_MYEN:g} ({NEW_TOWER_SOURCE}) + "
        + (
            f"island link {ISLAND_LINK_MYEN:g} (modelled: microwave or submarine backhaul)"
            if isl
            else f"fibre {BACKHAUL_MYEN_PER_KM:g}/km x {d:.1f} km to the nearest 4G site (modelled)"
        )
        for isl, d in zip(on_island, backhaul_km, strict=True)
    ]
    return pd.DataFrame(
        {
            "cell": chosen,
            "kind": "new_tower",
            "cost_myen": cost,
            "backhaul_km": np.round(backhaul_km, 2),
            "cost_note": notes,
            "island": on_island,
        }
    )


def _points(grid: pd.DataFrame, cells: np.ndarray) -> np.ndarray:
    lon, lat = mesh_centroids(grid["mesh_code"].to_numpy()[cells])
    return shapely.points(np.round(lon, 6), np.round(lat, 6))


def _kinds(grid: pd.DataFrame, cells: np.ndarray) -> np.ndarray:
    return np.where(grid["urban"].to_numpy()[cells], URBAN_TYPE, RURAL_TYPE)


def _share_by_pref(grid: pd.DataFrame, covered: np.ndarray) -> pd.Series:
    pop = grid.groupby("pref_code")["population"].sum()
    return (
        grid.loc[covered].groupby("pref_code")["population"].sum().reindex(pop.index).fillna(0)
        / pop
    )


def calibrate_year(
    grid: pd.DataFrame, desired: pd.Series, cells: np.ndarray, covered: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """New stations of one year on top of ``cells``, calibrated to ``desired`` (area rule)."""
    targets = desired.copy()
    for step in range(CALIBRATION_ROUNDS):
        new, _ = place_stations(grid, targets, covered)
        every = np.concatenate([cells, new["cell"].to_numpy(dtype=np.int64)])
        got_cov = area_covered(grid, every, _kinds(grid, every))
        got = _share_by_pref(grid, got_cov)
        if step < CALIBRATION_ROUNDS - 1:
            targets = (targets - (got - desired)).clip(0.3, 1.0)
    return new, got_cov


def build_network(grid: pd.DataFrame, mic: pd.DataFrame) -> dict[str, object]:
    """Nested FY2021-FY2023 5G stations, the 4G layer and the calibration table."""
    pop = grid["population"].to_numpy()
    cells = np.zeros(0, dtype=np.int64)
    since = np.zeros(0, dtype=np.int64)
    covered = np.zeros(len(grid), dtype=bool)
    floor = None
    calib = []
    for year in YEARS:
        desired = year_targets(grid, mic, year, floor)
        new, covered = calibrate_year(grid, desired, cells, covered)
        cells = np.concatenate([cells, new["cell"].to_numpy(dtype=np.int64)])
        since = np.concatenate([since, np.full(len(new), year)])
        got = _share_by_pref(grid, covered)
        col = f"fy{year}_pct"
        mic_idx = mic.set_index("code")[col]
        for code in ["00", *got.index]:
            model = pop[covered].sum() / pop.sum() if code == "00" else got[code]
            calib.append(
                {
                    "fy": year,
                    "pref_code": code,
                    "mic_pct": mic_idx.get(code),
                    "target_pct": round(
                        100 * (mic_idx["00"] / 100 if code == "00" else desired[code]), 2
                    ),
                    "model_pct": round(100 * float(model), 2),
                }
            )
        floor = got.clip(upper=desired.max())
    # The 4G layer: every 5G site is also a 4G site; more 4G sites until 99.9 %.
    extra, _ = place_stations(grid, pd.Series(dtype=float), covered, national_target=LTE_TARGET)
    lte_cells = np.concatenate([cells, extra["cell"].to_numpy(dtype=np.int64)])
    covered_4g = area_covered(grid, lte_cells, _kinds(grid, lte_cells))
    return {
        "cells": cells,
        "since": since,
        "lte_extra": extra["cell"].to_numpy(dtype=np.int64),
        "covered_4g": covered_4g,
        "calibration": pd.DataFrame(calib),
    }


def _frame(grid: pd.DataFrame, cells: np.ndarray, prefix: str, **cols: object) -> gpd.GeoDataFrame:
    kinds = _kinds(grid, cells)
    pref = grid["pref_code"].to_numpy()[cells]
    return gpd.GeoDataFrame(
        {
            "site_id": [f"{prefix}{p}-{i:05d}" for i, p in enumerate(pref)],
            "station_type": kinds,
            "height_m": [STATION_TYPES[k].height_m for k in kinds],
            "pref_code": pref,
            **cols,
            "mesh_code": grid["mesh_code"].to_numpy()[cells],
        },
        geometry=_points(grid, cells),
        crs=CRS_EPSG,
    )


def _write(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix == ".csv":
        frame.to_csv(tmp, index=False, lineterminator="\n")
    else:
        frame.to_parquet(tmp, index=False, compression="zstd")
    tmp.replace(path)


def main(out_dir: Path) -> None:
    """Write the 5G stations, the 4G layer, the candidates and the calibration table."""
    table = pd.read_parquet(out_dir / "population_500m.parquet")
    grid = grid_from_table(table)
    mic = pd.read_csv(HERE / "sources" / "fiveg_coverage_mic.csv", dtype={"code": str})
    net = build_network(grid, mic)
    cells, since = net["cells"], net["since"]
    st = _frame(grid, cells, "S", since_fy=since.astype(np.int64))
    lte_only = net["lte_extra"]
    lte = _frame(grid, np.concatenate([cells, lte_only]), "L")
    lte["has_5g_fy2023"] = np.r_[np.ones(len(cells), bool), np.zeros(len(lte_only), bool)]
    island = island_cells(grid, gpd.read_parquet(out_dir / "prefectures.parquet"))
    towers = new_tower_candidates(
        grid, net["covered_4g"], np.concatenate([cells, lte_only]), island
    )
    upg = _frame(
        grid,
        lte_only,
        "U",
        kind="upgrade",
        cost_myen=np.full(len(lte_only), UPGRADE_MYEN),
        backhaul_km=np.zeros(len(lte_only)),
        cost_note=UPGRADE_NOTE,
    )
    new = _frame(
        grid,
        towers["cell"].to_numpy(),
        "C",
        kind="new_tower",
        cost_myen=towers["cost_myen"].to_numpy(),
        backhaul_km=towers["backhaul_km"].to_numpy(),
        cost_note=towers["cost_note"].to_numpy(),
    )
    cand = pd.concat([upg, new], ignore_index=True)
    _write(st, out_dir / "stations_5g.parquet")
    _write(lte, out_dir / "stations_4g.parquet")
    _write(gpd.GeoDataFrame(cand, crs=CRS_EPSG), out_dir / "candidates_5g.parquet")
    _write(net["calibration"], out_dir / "fiveg_calibration.csv")
    pop = grid["population"].to_numpy()
    cal = net["calibration"]
    for year in YEARS:
        rows = cal[(cal["fy"] == year) & (cal["pref_code"] != "00")].dropna(subset=["mic_pct"])
        err = (rows["model_pct"] - rows["mic_pct"]).abs()
        nat = cal[(cal["fy"] == year) & (cal["pref_code"] == "00")].iloc[0]
        print(
            f"FY{year}: {int((since <= year).sum()):,} stations, national {nat['model_pct']:.2f}% "
            f"(MIC {nat['mic_pct']}), MAE {err.mean():.2f} pp over {len(rows)} prefectures"
        )
    print(
        f"4G layer: {len(lte):,} sites, {100 * pop[net['covered_4g']].sum() / pop.sum():.3f}% "
        f"of people; candidates: {len(upg):,} upgrades, {len(new):,} new towers "
        f"({int(towers['island'].sum())} on islands)"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent)
