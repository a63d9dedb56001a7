"""The embedded Japan dataset shipped in ``data/``.

Each loader returns a validated layer in EPSG:6668. The files are rebuilt by
``python data/build/build_all.py`` (see ``data/SOURCES.md`` for sources,
licences and what is official and what is modelled).

The population is the 2020 Population Census on the 500 m mesh (e-Stat,
official final counts, 466,145 inhabited cells); prefectures and municipalities
are MLIT N03 (2021) boundaries. Every cell carries the prefecture and
municipality that hold its centre (``muni_by_nearest`` marks the cells whose
centre lies in the sea or outside every polygon and that were given the
nearest municipality).

The data folder is ``$DENEN_GIS_DATA`` when set, else ``data/`` at the top of
the source tree this package was installed from.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from denen_gis.errors import InputError
from denen_gis.geodesy import CRS_EPSG, box_area_km2
from denen_gis.mesh import mesh_bounds
from denen_gis.schema import validate_layer

__all__ = [
    "DATASET_FILES",
    "data_dir",
    "dataset_facts",
    "dataset_summary",
    "grid_from_table",
    "load_cables",
    "load_candidates",
    "load_datacenters",
    "load_fiveg_calibration",
    "load_landings",
    "load_municipalities",
    "load_population_grid",
    "load_population_table",
    "load_prefectures",
    "load_stations",
    "load_stations_4g",
    "municipality_table",
    "population_by",
]

#: File name of each layer of the embedded dataset, with its schema kind.
DATASET_FILES: dict[str, tuple[str, str]] = {
    "prefectures": ("prefectures.parquet", "regions"),
    "municipalities": ("municipalities.parquet", "municipalities"),
    "population": ("population_500m.parquet", "population"),
    "stations": ("stations_5g.parquet", "stations"),
    "stations_4g": ("stations_4g.parquet", "stations"),
    "candidates": ("candidates_5g.parquet", "candidates"),
    "datacenters": ("datacenters.parquet", "datacenters"),
    "cables": ("cables.parquet", "cables"),
    "landings": ("landings.parquet", "landings"),
}


def data_dir() -> Path:
    """Folder of the embedded dataset.

    Raises
    ------
    InputError
        When the folder cannot be found.
    """
    env = os.environ.get("DENEN_GIS_DATA")
    path = Path(env) if env else Path(__file__).resolve().parents[3] / "data"
    if not (path / DATASET_FILES["prefectures"][0]).is_file():
        msg = (
            f"embedded dataset not found in {path}; set DENEN_GIS_DATA to the data/ folder "
            "of a denen-gis checkout, or rebuild it with python data/build/build_all.py"
        )
        raise InputError(msg)
    return path


def _path(layer: str) -> Path:
    return data_dir() / DATASET_FILES[layer][0]


@lru_cache(maxsize=8)
def _read_geoparquet(layer: str) -> gpd.GeoDataFrame:
    path = _path(layer)
    if not path.is_file():
        msg = f"embedded layer {layer!r} is missing ({path}); rebuild the dataset"
        raise InputError(msg)
    frame = gpd.read_parquet(path)
    return validate_layer(frame, DATASET_FILES[layer][1], source=str(path))


def load_prefectures() -> gpd.GeoDataFrame:
    """The 47 prefectures with 2020 Census population (``regions`` schema).

    N03 (2021) boundaries with every island; ``population`` is the final
    census figure of record; ``neighbors`` are the prefectures whose N03
    polygons touch.
    """
    return _read_geoparquet("prefectures").copy()


def load_municipalities() -> gpd.GeoDataFrame:
    """The 1,902 coded N03 units (``municipalities`` schema).

    Municipalities, with the designated cities split into their wards
    (``parent_code`` is then the city), Tokyo's special wards, and the six
    Northern-Territory villages (not enumerated: population 0). Columns:
    ``muni_code``, ``name_ja``, ``pref_code``, ``pref_name_ja``,
    ``parent_code``, ``parent_name_ja``, ``population`` (sum of its cells,
    2020 final), ``households``, ``urban_population``, ``cells``,
    ``population_preliminary`` (e-Stat preliminary count, cross-check only;
    0 when none is published), ``area_km2`` and the polygon. No English
    names: N03 carries none and a machine romanisation of place names would
    often be wrong.
    """
    return _read_geoparquet("municipalities").copy()


def grid_from_table(table: pd.DataFrame, *, source: str = "population grid") -> gpd.GeoDataFrame:
    """Build the population-grid layer from a table keyed by mesh code.

    Cell polygons and ``area_km2`` are derived from ``mesh_code``, so grid
    files need not store geometry.
    """
    if "mesh_code" not in table.columns:
        msg = f"{source}: missing column 'mesh_code'"
        raise InputError(msg)
    codes = table["mesh_code"].astype(str).to_numpy()
    bounds = mesh_bounds(codes)  # once: decoding 466k codes is the slow part
    frame = gpd.GeoDataFrame(
        table.reset_index(drop=True).copy(), geometry=shapely.box(*bounds), crs=CRS_EPSG
    )
    frame["mesh_code"] = codes
    if "area_km2" not in frame.columns:
        frame["area_km2"] = box_area_km2(*bounds)
    return validate_layer(frame, "population", source=source)


@lru_cache(maxsize=2)
def _population_table() -> pd.DataFrame:
    path = _path("population")
    if not path.is_file():
        msg = f"embedded population grid is missing ({path}); rebuild the dataset"
        raise InputError(msg)
    table = pd.read_parquet(path)
    table["mesh_code"] = table["mesh_code"].astype(str)
    return table


def load_population_table() -> pd.DataFrame:
    """The census 500 m grid as a plain table, without cell polygons (fast).

    Columns: ``mesh_code`` (9 digits), ``population`` [persons],
    ``households``, ``pref_code``, ``muni_code``, ``urban`` (DID rule,
    :data:`denen_gis.urban.DID_MIN_DENSITY_500M`) and ``muni_by_nearest``.
    """
    return _population_table().copy()


@lru_cache(maxsize=2)
def _population_grid() -> gpd.GeoDataFrame:
    return grid_from_table(_population_table(), source=str(_path("population")))


def load_population_grid() -> gpd.GeoDataFrame:
    """The 2020 Population Census on the 500 m mesh (``population`` schema).

    Official final counts (e-Stat, table T001141), 466,145 inhabited cells
    summing to 126,146,099 people. Columns: ``mesh_code`` (9 digits),
    ``population`` [persons], ``households``, ``pref_code``, ``muni_code``,
    ``urban`` (census DID rule calibrated to the 70.0% DID share),
    ``muni_by_nearest``, ``area_km2`` and the cell polygon (derived from the
    code).
    """
    return _population_grid().copy()


def load_stations(baseline: str | None = None) -> gpd.GeoDataFrame:
    """Modelled 5G stations on air at the end of a fiscal year (``stations`` schema).

    ``baseline`` is ``"fy2021"``, ``"fy2022"`` or ``"fy2023"`` (default): the
    stations whose ``since_fy`` is not later, calibrated to MIC's coverage of
    that year (the years nest). See :func:`denen_gis.io.baselines.baseline_year`.
    """
    from denen_gis.io.baselines import stations_at

    return stations_at(_read_geoparquet("stations").copy(), baseline)


def load_stations_4g() -> gpd.GeoDataFrame:
    """Modelled 4G (LTE) sites reaching 99.9% of people (``stations`` schema, modelled)."""
    return _read_geoparquet("stations_4g").copy()


def load_candidates(baseline: str | None = None) -> gpd.GeoDataFrame:
    """Modelled candidate sites (``candidates`` schema) for a baseline year.

    Two kinds (column ``kind``): ``upgrade`` (NR on an existing 4G site without
    5G at the end of the baseline year, including the sites that got 5G only in
    a later year) and ``new_tower`` (in the 4G not-spots, with backhaul).
    """
    from denen_gis.io.baselines import candidates_at

    return candidates_at(
        _read_geoparquet("candidates").copy(), _read_geoparquet("stations").copy(), baseline
    )


def load_fiveg_calibration() -> pd.DataFrame:
    """Calibration of the modelled baselines: ``fy``, ``pref_code``, ``mic_pct``,
    ``target_pct``, ``model_pct`` (``pref_code`` ``"00"`` = national)."""
    return pd.read_csv(data_dir() / "fiveg_calibration.csv", dtype={"pref_code": str})


def load_datacenters() -> gpd.GeoDataFrame:
    """Existing data-centre capacity and candidate regional sites (``datacenters`` schema)."""
    return _read_geoparquet("datacenters").copy()


def load_cables() -> gpd.GeoDataFrame:
    """Submarine cable routes (``cables`` schema)."""
    return _read_geoparquet("cables").copy()


def load_landings() -> gpd.GeoDataFrame:
    """Cable landing stations, existing and candidate (``landings`` schema)."""
    return _read_geoparquet("landings").copy()


def population_by(grid: pd.DataFrame, column: str = "pref_code") -> pd.Series:
    """Population [persons] summed by a column of the grid."""
    return grid.groupby(column, sort=True)["population"].sum().astype(np.int64)


_LOADERS = {
    "prefectures": load_prefectures,
    "municipalities": load_municipalities,
    "population": load_population_grid,
    "stations": load_stations,
    "candidates": load_candidates,
    "datacenters": load_datacenters,
    "cables": load_cables,
    "landings": load_landings,
}


def _parquet_facts(path: Path) -> dict[str, object]:
    """Rows, CRS, geometry type and population sum of a GeoParquet file.

    Read from the file's metadata and its ``population`` column only, so that
    ``denen-gis data info`` need not build and validate every geometry.
    """
    import json

    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path)
    geo = json.loads((meta.schema_arrow.metadata or {}).get(b"geo", b"{}"))
    column = geo.get("columns", {}).get(geo.get("primary_column", "geometry"), {})
    types = column.get("geometry_types", [])
    crs_id = (column.get("crs") or {}).get("id", {})
    crs = f"{crs_id.get('authority', 'EPSG')}:{crs_id.get('code', CRS_EPSG)}"
    names = meta.schema_arrow.names
    pop = (
        int(pq.read_table(path, columns=["population"]).column(0).to_numpy().sum())
        if "population" in names
        else None
    )
    return {
        "rows": meta.metadata.num_rows,
        "crs": crs,
        "geometry": "/".join(sorted({t.removeprefix("Multi") for t in types})) or "Polygon",
        "population": pop,
    }


def dataset_summary() -> pd.DataFrame:
    """One row per embedded layer: file, kind, rows, CRS, geometry type, population.

    Layers whose file has not been built yet are listed with ``rows = 0``.
    Figures come from the files' metadata (fast); the loaders validate the
    layers when they are used.
    """
    rows = []
    folder = data_dir()
    for layer, (fname, kind) in DATASET_FILES.items():
        path = folder / fname
        if not path.is_file():
            rows.append(
                {
                    "layer": layer,
                    "file": fname,
                    "kind": kind,
                    "rows": 0,
                    "crs": "",
                    "geometry": "",
                    "population": None,
                    "size_kb": 0,
                }
            )
            continue
        rows.append(
            {
                "layer": layer,
                "file": fname,
                "kind": kind,
                **_parquet_facts(path),
                "size_kb": round(path.stat().st_size / 1024),
            }
        )
    for name, fname, loader in (
        ("hubs", "hubs.csv", load_hubs),
        ("backbone_links", "backbone_links.csv", load_backbone_links),
    ):
        path = folder / fname
        table = loader() if path.is_file() else None
        rows.append(
            {
                "layer": name,
                "file": fname,
                "kind": "table",
                "rows": 0 if table is None else len(table),
                "crs": "EPSG:6668 (lon/lat)" if name == "hubs" else "",
                "geometry": "",
                "population": None,
                "size_kb": round(path.stat().st_size / 1024) if path.is_file() else 0,
            }
        )
    return pd.DataFrame(rows)


#: Side of a cell of the embedded grid [m] (JIS X 0410 4th-order mesh).
CELL_SIZE_M = 500


def dataset_facts() -> dict[str, object]:
    """Headline figures of the embedded dataset, for ``denen-gis data info``.

    Returns
    -------
    dict
        ``population``, ``households``, ``cells`` (inhabited), ``cell_size_m``,
        ``municipalities``, ``census_population`` (prefecture figures of
        record), ``urban_population``, ``urban_share``,
        ``urban_threshold_per_km2``, ``nearest_municipality_cells`` and
        ``nearest_municipality_population`` (cells whose centre lies outside
        every municipal polygon), and ``prefectures``: one dict per prefecture
        with ``pref_code``, ``name_en``, ``name_ja``, ``block``,
        ``census_population``, ``population``, ``urban_population``,
        ``households`` and ``cells``.
    """
    import pyarrow.parquet as pq

    from denen_gis.urban import DID_MIN_DENSITY_500M

    # Only the columns needed, grouped with bincount: fast enough for the CLI budget.
    cols = ["population", "households", "pref_code", "urban", "muni_by_nearest"]
    arrow = pq.read_table(_path("population"), columns=cols)
    pop = arrow.column("population").to_numpy().astype(np.int64)
    households = arrow.column("households").to_numpy().astype(np.int64)
    urban = arrow.column("urban").to_numpy(zero_copy_only=False).astype(bool)
    nearest = arrow.column("muni_by_nearest").to_numpy(zero_copy_only=False).astype(bool)
    pref = arrow.column("pref_code").cast("int32").to_numpy()
    prefs = pd.read_parquet(
        _path("prefectures"), columns=["code", "name_en", "name_ja", "block", "population"]
    )
    n_munis = pq.ParquetFile(_path("municipalities")).metadata.num_rows
    size = 48
    by_pref = pd.DataFrame(
        {
            "population": np.bincount(pref, weights=pop, minlength=size),
            "households": np.bincount(pref, weights=households, minlength=size),
            "cells": np.bincount(pref, minlength=size),
            "urban_population": np.bincount(pref[urban], weights=pop[urban], minlength=size),
        },
        index=[f"{i:02d}" for i in range(size)],
    )
    by_pref = by_pref.reindex(prefs["code"]).fillna(0).astype(np.int64)
    prefectures = [
        {
            "pref_code": code,
            "name_en": name_en,
            "name_ja": name_ja,
            "block": block,
            "census_population": int(census),
            "population": int(by_pref.at[code, "population"]),
            "urban_population": int(by_pref.at[code, "urban_population"]),
            "households": int(by_pref.at[code, "households"]),
            "cells": int(by_pref.at[code, "cells"]),
        }
        for code, name_en, name_ja, block, census in zip(
            prefs["code"],
            prefs["name_en"],
            prefs["name_ja"],
            prefs["block"],
            prefs["population"],
            strict=True,
        )
    ]
    total = int(pop.sum())
    urban_pop = int(pop[urban].sum())
    return {
        "population": total,
        "households": int(households.sum()),
        "cells": len(pop),
        "cell_size_m": CELL_SIZE_M,
        "municipalities": n_munis,
        "census_population": int(prefs["population"].sum()),
        "urban_population": urban_pop,
        "urban_share": urban_pop / total if total else 0.0,
        "urban_threshold_per_km2": DID_MIN_DENSITY_500M,
        "nearest_municipality_cells": int(nearest.sum()),
        "nearest_municipality_population": int(pop[nearest].sum()),
        "prefectures": prefectures,
    }


def municipality_table() -> pd.DataFrame:
    """One row per municipality (no geometry), sorted by code.

    Columns: ``muni_code``, ``name_ja``, ``pref_code``, ``pref_name_ja``,
    ``parent_code``, ``population``, ``urban_population``, ``urban_share``
    [0-1], ``households``, ``cells``, ``population_preliminary``.
    """
    cols = [
        "muni_code",
        "name_ja",
        "pref_code",
        "pref_name_ja",
        "parent_code",
        "population",
        "urban_population",
        "households",
        "cells",
        "population_preliminary",
    ]
    table = pd.read_parquet(_path("municipalities"), columns=cols)
    share = table["urban_population"] / table["population"].where(table["population"] > 0)
    table.insert(6, "urban_share", share.fillna(0.0))
    return table.sort_values("muni_code", ignore_index=True)


def load_hubs() -> pd.DataFrame:
    """Backbone hubs: one per prefecture at the prefectural office (``hubs.csv``).

    Columns: ``code``, ``name_en``, ``name_ja``, ``block``, ``office_en``,
    ``office_ja``, ``lon``, ``lat`` [degrees, JGD2011], ``sea_of_japan_coast``,
    ``population`` [persons].
    """
    path = data_dir() / "hubs.csv"
    if not path.is_file():
        msg = f"embedded hubs table is missing ({path}); run python data/build/infrastructure.py"
        raise InputError(msg)
    frame = pd.read_csv(path, dtype={"code": str})
    frame["sea_of_japan_coast"] = frame["sea_of_japan_coast"].astype(bool)
    return frame


def load_backbone_links() -> pd.DataFrame:
    """Land backbone links between hubs (``backbone_links.csv``).

    Columns: ``link_id``, ``from_code``, ``to_code``, ``kind`` (land|strait),
    ``great_circle_km``, ``route_factor``, ``length_km`` [km], ``note``.
    """
    path = data_dir() / "backbone_links.csv"
    if not path.is_file():
        msg = (
            f"embedded backbone links are missing ({path}); run python data/build/infrastructure.py"
        )
        raise InputError(msg)
    return pd.read_csv(path, dtype={"from_code": str, "to_code": str})


__all__ += ["load_backbone_links", "load_hubs"]
