"""Build the census population grid, the prefectures and the municipalities.

Run through ``python data/build/build_all.py`` (which names the source
folders). Deterministic: the same inputs give byte-identical files.

Inputs (all official; terms and credits in ``data/SOURCES.md``)
----------------------------------------------------------------
- e-Stat, 2020 Population Census, 500 m mesh (table T001141, 4th-order mesh):
  the 151 files ``tblT001141H<mesh>.zip`` as e-Stat serves them. Read with the
  project's own :func:`denen_gis.io.estat.read_estat_mesh` (population); the
  households column (``T001141034`` 世帯総数) is read here from the same files.
- MLIT National Land Numerical Information N03 (administrative areas,
  2021-01-01), simplified TopoJSON: ``prefectures.topojson``,
  ``municipalities_wards.topojson`` (designated cities split into wards) and
  ``municipalities.topojson`` (designated cities whole, for the parent code).
- ``census2020_municipal_population_preliminary.csv`` (e-Stat, 2020 census
  preliminary counts by municipality): cross-check only.
- ``sources/prefectures_2020.csv``: final 2020 census population by prefecture
  (the population of record of ``prefectures.parquet``), names, blocks, coast.

Steps
-----
1. Cells: every inhabited 500 m cell with its population and households.
2. Municipality of each cell: the coded N03 unit that holds the cell centre;
   a centre in the sea or in no coded polygon (coast, 所属未定地) goes to the
   nearest municipality, measured in an azimuthal equidistant projection
   centred on Japan (GRS80); ``muni_by_nearest`` flags these cells.
3. Urban/rural: the census DID rule (:func:`denen_gis.urban.classify_urban`)
   with its density threshold calibrated once, nationally, so that 70.0% of
   the people are urban (2020 census DID share); the result must equal
   :data:`denen_gis.urban.DID_MIN_DENSITY_500M`.
4. Checks: totals, 1 km aggregation, prefecture sums within 0.2% of the final
   census, remote islands present and in their own municipalities.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from denen_gis.geodesy import CRS_EPSG, geodesic_area_km2
from denen_gis.io.estat import read_estat_mesh
from denen_gis.mesh import mesh_centroids, mesh_parent
from denen_gis.urban import DID_MIN_DENSITY_500M, DID_MIN_POPULATION, classify_urban

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"

#: Checks from the published census (``shared/data/README.md``).
TOTAL_CELLS = 466_145
TOTAL_POPULATION = 126_146_099
TOTAL_HOUSEHOLDS = 55_830_154
TOTAL_CELLS_1KM = 176_964
PREFECTURE_TOLERANCE = 0.002
#: 2020 census: share of the population living in DIDs (70.0%).
DID_SHARE_2020 = 0.700
#: Projection for nearest-municipality distances (metres, true from the centre).
NEAREST_CRS = "+proj=aeqd +lat_0=36 +lon_0=137 +ellps=GRS80 +units=m +no_defs"
#: Remote islands whose cells (by 1st-order mesh) must all sit in one municipality.
ISLAND_MESHES = {
    "3622": ("47382", "Yonaguni"),
    "3831": (("47357", "47358"), "Daito"),
    "3942": ("13421", "Ogasawara (Hahajima)"),
    "4042": ("13421", "Ogasawara (Chichijima)"),
    "3653": ("13421", "Minamitorishima (Ogasawara)"),
}
#: Island municipalities whose cell sum must match the preliminary count (within 3%).
ISLAND_MUNICIPALITIES = {
    "47382": "Yonaguni",
    "13421": "Ogasawara",
    "15224": "Sado",
    "42209": "Tsushima",
    "42211": "Goto",
    "42411": "Shin-Kamigoto",
    "46222": "Amami",
}
ISLAND_TOLERANCE = 0.03


@dataclass(frozen=True)
class BuildResult:
    """What the build measured (printed and written to ``data/SOURCES.md`` by hand)."""

    urban_threshold: float
    urban_share: float
    nearest_cells: int
    nearest_population: int
    muni_median_abs_pct: float
    muni_worst: str


def read_census() -> pd.DataFrame:
    """The final 2020 census by prefecture, codes as two-digit strings."""
    table = pd.read_csv(SOURCES / "prefectures_2020.csv", dtype={"code": str})
    table["code"] = table["code"].str.zfill(2)
    if len(table) != 47 or int(table["population_2020"].sum()) != TOTAL_POPULATION:
        msg = f"sources/prefectures_2020.csv must hold 47 prefectures summing to {TOTAL_POPULATION}"
        raise SystemExit(msg)
    return table


def _households(path: Path) -> pd.DataFrame:
    """``mesh_code``, ``households`` (T001141034 世帯総数) of one e-Stat zip."""
    with zipfile.ZipFile(path) as zf:
        (member,) = zf.namelist()
        text = zf.read(member).decode("cp932")
    table = pd.read_csv(
        io.StringIO(text), skiprows=[1], dtype=str, usecols=["KEY_CODE", "T001141034"]
    )
    values = table["T001141034"].str.strip().replace({"-": "0"})
    if (values == "*").any():
        msg = f"{path.name}: suppressed household totals ('*'); the README says they never are"
        raise SystemExit(msg)
    return pd.DataFrame(
        {"mesh_code": table["KEY_CODE"].str.strip(), "households": values.astype(np.int64)}
    )


def read_mesh(estat_dir: Path) -> pd.DataFrame:
    """Inhabited 500 m cells: ``mesh_code``, ``population``, ``households``, sorted by code."""
    paths = sorted(estat_dir.glob("tblT001141H*.zip"))
    if len(paths) != 151:
        msg = f"{estat_dir}: expected the 151 e-Stat files tblT001141H*.zip, found {len(paths)}"
        raise SystemExit(msg)
    grid = read_estat_mesh(paths)
    cells = pd.DataFrame(
        {"mesh_code": grid["mesh_code"].astype(str), "population": grid["population"]}
    )
    households = pd.concat([_households(p) for p in paths], ignore_index=True)
    cells = cells.merge(households, on="mesh_code", how="outer", validate="one_to_one")
    if cells.isna().any().any():
        msg = "population and household rows of the e-Stat files do not match"
        raise SystemExit(msg)
    cells = cells.sort_values("mesh_code", ignore_index=True)
    cells["population"] = cells["population"].astype(np.int64)
    cells["households"] = cells["households"].astype(np.int64)
    return cells


def _read_topojson(path: Path) -> gpd.GeoDataFrame:
    frame = gpd.read_file(path)
    frame = frame.set_crs(CRS_EPSG, allow_override=True)
    geom = shapely.make_valid(frame.geometry.to_numpy())
    geom = np.array([_polygonal(g) for g in geom], dtype=object)
    return frame.set_geometry(geom)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygon parts of a (repaired) geometry, as one (Multi)Polygon."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def build_prefectures(n03_dir: Path) -> gpd.GeoDataFrame:
    """47 prefectures from N03 with the census table and land neighbours."""
    census = read_census()
    frame = _read_topojson(n03_dir / "prefectures.topojson")
    frame = frame.rename(columns={"N03_001": "name_ja"})[["name_ja", "geometry"]]
    merged = census.rename(columns={"population_2020": "population"}).merge(
        frame, on="name_ja", how="left", validate="one_to_one"
    )
    if merged["geometry"].isna().any() or len(frame) != 47:
        msg = "prefectures.topojson must hold the 47 prefectures named as in prefectures_2020.csv"
        raise SystemExit(msg)
    prefs = gpd.GeoDataFrame(merged, geometry="geometry", crs=CRS_EPSG)
    prefs["sea_of_japan_coast"] = prefs["sea_of_japan_coast"].astype(bool)
    prefs["area_km2"] = [round(geodesic_area_km2(g), 1) for g in prefs.geometry]
    geoms = prefs.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    codes = prefs["code"].to_numpy()
    neighbours: dict[str, set[str]] = {c: set() for c in codes}
    for i, j in zip(left, right, strict=True):
        if i != j:
            neighbours[codes[i]].add(codes[j])
    prefs["neighbors"] = [",".join(sorted(neighbours[c])) for c in codes]
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
    return prefs[cols]


def read_preliminary(path: Path) -> pd.Series:
    """Preliminary 2020 counts by 5-digit code (blank = no residents -> 0)."""
    table = pd.read_csv(path, dtype={"area_code": str}, encoding="utf-8-sig")
    pop = pd.to_numeric(table["population"], errors="coerce").fillna(0).astype(np.int64)
    return pd.Series(pop.to_numpy(), index=table["area_code"].str.zfill(5))


def build_municipalities(n03_dir: Path, preliminary: pd.Series) -> gpd.GeoDataFrame:
    """The 1,902 coded N03 units (wards of designated cities separate)."""
    wards = _read_topojson(n03_dir / "municipalities_wards.topojson")
    wards = wards[wards["N03_007"].notna()].copy()
    whole = gpd.read_file(n03_dir / "municipalities.topojson")
    cities = whole[whole["N03_004"].isna() & whole["N03_007"].notna()]
    parent = {
        (p, c): code
        for p, c, code in zip(cities["N03_001"], cities["N03_003"], cities["N03_007"], strict=True)
    }
    is_ward = [
        (p, c) in parent and isinstance(w, str)
        for p, c, w in zip(wards["N03_001"], wards["N03_003"], wards["N03_004"], strict=True)
    ]
    name = [
        f"{c}{w}" if ward else (w if isinstance(w, str) else c)
        for c, w, ward in zip(wards["N03_003"], wards["N03_004"], is_ward, strict=True)
    ]
    parent_code = [
        parent[(p, c)] if ward else ""
        for p, c, ward in zip(wards["N03_001"], wards["N03_003"], is_ward, strict=True)
    ]
    parent_name = [c if ward else "" for c, ward in zip(wards["N03_003"], is_ward, strict=True)]
    munis = gpd.GeoDataFrame(
        {
            "muni_code": wards["N03_007"].to_numpy(),
            "name_ja": name,
            "pref_code": wards["N03_007"].str[:2].to_numpy(),
            "pref_name_ja": wards["N03_001"].to_numpy(),
            "parent_code": parent_code,
            "parent_name_ja": parent_name,
        },
        geometry=wards.geometry.to_numpy(),
        crs=CRS_EPSG,
    )
    munis = munis.sort_values("muni_code", ignore_index=True)
    if len(munis) != 1902 or munis["muni_code"].duplicated().any():
        msg = f"municipalities_wards.topojson: expected 1,902 distinct codes, got {len(munis)}"
        raise SystemExit(msg)
    munis["population_preliminary"] = munis["muni_code"].map(preliminary).fillna(0).astype(np.int64)
    munis["area_km2"] = [round(geodesic_area_km2(g), 2) for g in munis.geometry]
    return munis


def assign_municipalities(
    cells: pd.DataFrame, munis: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Municipality code of each cell by its centre, else the nearest; and the fallback flag."""
    lon, lat = mesh_centroids(cells["mesh_code"].to_numpy())
    points = shapely.points(lon, lat)
    geoms = munis.geometry.to_numpy()
    codes = munis["muni_code"].to_numpy()
    tree = shapely.STRtree(geoms)
    pt_idx, poly_idx = tree.query(points, predicate="within")
    # A centre on a shared border lies in two units: keep the lower code.
    order = np.lexsort((codes[poly_idx], pt_idx))
    pt_idx, poly_idx = pt_idx[order], poly_idx[order]
    first = np.r_[True, pt_idx[1:] != pt_idx[:-1]]
    assigned = np.full(len(cells), -1, dtype=np.int64)
    assigned[pt_idx[first]] = poly_idx[first]
    missing = np.flatnonzero(assigned < 0)
    if missing.size:
        proj = munis.to_crs(NEAREST_CRS).geometry.to_numpy()
        pts = gpd.GeoSeries(points[missing], crs=CRS_EPSG).to_crs(NEAREST_CRS).to_numpy()
        ptree = shapely.STRtree(proj)
        near_pt, near_poly = ptree.query_nearest(pts, all_matches=True)
        order = np.lexsort((codes[near_poly], near_pt))
        near_pt, near_poly = near_pt[order], near_poly[order]
        first = np.r_[True, near_pt[1:] != near_pt[:-1]]
        assigned[missing[near_pt[first]]] = near_poly[first]
    if (assigned < 0).any():
        msg = "some cells got no municipality"
        raise SystemExit(msg)
    nearest = np.zeros(len(cells), dtype=bool)
    nearest[missing] = True
    return codes[assigned], nearest


def urban_share(codes: np.ndarray, pop: np.ndarray, threshold: float) -> float:
    """Share of the people in urban cells at a density ``threshold`` [persons/km^2]."""
    urban = classify_urban(codes, pop, min_density=threshold, min_population=DID_MIN_POPULATION)
    return float(pop[urban].sum() / pop.sum())


def calibrate_urban_threshold(codes: np.ndarray, pop: np.ndarray) -> float:
    """The whole-number density whose national urban share is closest to 70.0%."""
    lo, hi = 100, 20_000  # share(lo) > 0.70 > share(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if urban_share(codes, pop, mid) > DID_SHARE_2020:
            lo = mid
        else:
            hi = mid
    s_lo, s_hi = urban_share(codes, pop, lo), urban_share(codes, pop, hi)
    return float(lo if abs(s_lo - DID_SHARE_2020) <= abs(s_hi - DID_SHARE_2020) else hi)


def check(condition: bool, message: str) -> None:
    """Stop the build with ``message`` unless ``condition`` holds."""
    if not condition:
        raise SystemExit(f"check failed: {message}")


def check_islands(cells: pd.DataFrame, munis: pd.DataFrame) -> None:
    """Remote islands present, in their own municipality, with their census people."""
    first = cells["mesh_code"].str[:4]
    for mesh, (expected, label) in ISLAND_MESHES.items():
        sel = cells[first == mesh]
        check(len(sel) > 0, f"no inhabited cells in 1st-order mesh {mesh} ({label})")
        allowed = (expected,) if isinstance(expected, str) else expected
        check(
            bool(sel["muni_code"].isin(allowed).all()),
            f"{label}: cells of mesh {mesh} outside {allowed}",
        )
    amami = cells["mesh_code"].str[:4].isin(["4729", "4829"]).sum()
    check(bool(amami > 0), "no cells on the Amami islands (meshes 4729/4829)")
    pops = munis.set_index("muni_code")
    for code, label in ISLAND_MUNICIPALITIES.items():
        got, pre = int(pops.at[code, "population"]), int(pops.at[code, "population_preliminary"])
        check(
            abs(got - pre) <= ISLAND_TOLERANCE * pre,
            f"{label} ({code}): {got:,} people in its cells, preliminary count {pre:,}",
        )


def build(out_dir: Path, estat_dir: Path, n03_dir: Path, preliminary_csv: Path) -> BuildResult:
    """Write ``prefectures``, ``municipalities`` and ``population_500m`` parquet files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cells = read_mesh(estat_dir)
    check(len(cells) == TOTAL_CELLS, f"{len(cells):,} cells, expected {TOTAL_CELLS:,}")
    check(
        int(cells["population"].sum()) == TOTAL_POPULATION,
        f"population {int(cells['population'].sum()):,}, expected {TOTAL_POPULATION:,}",
    )
    check(
        int(cells["households"].sum()) == TOTAL_HOUSEHOLDS,
        f"households {int(cells['households'].sum()):,}, expected {TOTAL_HOUSEHOLDS:,}",
    )
    n_1km = len(np.unique(mesh_parent(cells["mesh_code"].to_numpy(), 3)))
    check(n_1km == TOTAL_CELLS_1KM, f"{n_1km:,} 1 km cells, expected {TOTAL_CELLS_1KM:,}")

    prefs = build_prefectures(n03_dir)
    munis = build_municipalities(n03_dir, read_preliminary(preliminary_csv))
    muni_code, nearest = assign_municipalities(cells, munis)
    cells["pref_code"] = pd.Series(muni_code).str[:2].to_numpy()
    cells["muni_code"] = muni_code
    codes = cells["mesh_code"].to_numpy()
    pop = cells["population"].to_numpy()
    threshold = calibrate_urban_threshold(codes, pop)
    check(
        threshold == DID_MIN_DENSITY_500M,
        f"calibrated urban threshold {threshold:g}/km^2 differs from "
        f"denen_gis.urban.DID_MIN_DENSITY_500M = {DID_MIN_DENSITY_500M:g}; update the constant",
    )
    cells["urban"] = classify_urban(codes, pop, min_density=threshold)
    cells["muni_by_nearest"] = nearest
    share = float(pop[cells["urban"].to_numpy()].sum() / pop.sum())

    by_pref = cells.groupby("pref_code")["population"].sum()
    census = prefs.set_index("code")["population"]
    rel = (by_pref.reindex(census.index).fillna(0) - census) / census
    worst = rel.abs().idxmax()
    check(
        bool((rel.abs() <= PREFECTURE_TOLERANCE).all()),
        f"prefecture {worst}: cell sum differs from the census by {100 * rel[worst]:.3f}%",
    )

    agg = cells.groupby("muni_code").agg(
        population=("population", "sum"),
        households=("households", "sum"),
        cells=("population", "size"),
    )
    urban_pop = cells[cells["urban"]].groupby("muni_code")["population"].sum()
    munis["population"] = munis["muni_code"].map(agg["population"]).fillna(0).astype(np.int64)
    munis["households"] = munis["muni_code"].map(agg["households"]).fillna(0).astype(np.int64)
    munis["urban_population"] = munis["muni_code"].map(urban_pop).fillna(0).astype(np.int64)
    munis["cells"] = munis["muni_code"].map(agg["cells"]).fillna(0).astype(np.int64)
    check_islands(cells, munis)

    known = munis[munis["population_preliminary"] > 0]
    diff = (known["population"] - known["population_preliminary"]) / known["population_preliminary"]
    worst_i = diff.abs().idxmax()
    worst = (
        f"{known.at[worst_i, 'muni_code']} {known.at[worst_i, 'name_ja']}: "
        f"{int(known.at[worst_i, 'population']):,} in cells vs "
        f"{int(known.at[worst_i, 'population_preliminary']):,} preliminary "
        f"({100 * diff[worst_i]:+.1f}%)"
    )
    cols = [
        "muni_code",
        "name_ja",
        "pref_code",
        "pref_name_ja",
        "parent_code",
        "parent_name_ja",
        "population",
        "households",
        "urban_population",
        "cells",
        "population_preliminary",
        "area_km2",
        "geometry",
    ]
    table = cells[
        [
            "mesh_code",
            "population",
            "households",
            "pref_code",
            "muni_code",
            "urban",
            "muni_by_nearest",
        ]
    ]
    for frame, name in (
        (prefs, "prefectures.parquet"),
        (munis[cols], "municipalities.parquet"),
        (table, "population_500m.parquet"),
    ):
        tmp = out_dir / f"{name}.tmp"
        frame.to_parquet(tmp, index=False, compression="zstd")
        tmp.replace(out_dir / name)
    result = BuildResult(
        urban_threshold=threshold,
        urban_share=share,
        nearest_cells=int(nearest.sum()),
        nearest_population=int(pop[nearest].sum()),
        muni_median_abs_pct=float(100 * diff.abs().median()),
        muni_worst=worst,
    )
    print(
        f"cells {len(cells):,}; population {int(pop.sum()):,}; households "
        f"{int(cells['households'].sum()):,}; 1 km cells {n_1km:,}; "
        f"worst prefecture difference {100 * rel.abs().max():.3f}%"
    )
    print(
        f"urban threshold {threshold:g}/km^2 -> urban share {100 * share:.2f}%; "
        f"nearest-municipality cells {result.nearest_cells:,} "
        f"({result.nearest_population:,} people)"
    )
    print(
        f"municipal cross-check vs preliminary: median |diff| {result.muni_median_abs_pct:.2f}%; "
        f"worst {worst}"
    )
    return result
