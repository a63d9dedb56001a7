"""The embedded Japan dataset shipped in ``data/``.

Each loader returns a validated layer in EPSG:6668. The files are rebuilt by
``python data/build/build_all.py`` (see ``data/SOURCES.md`` for sources,
licences and what is official and what is modelled).

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

from denen_gis.errors import InputError
from denen_gis.geodesy import CRS_EPSG, box_area_km2
from denen_gis.mesh import mesh_bounds, mesh_polygons
from denen_gis.schema import validate_layer

__all__ = [
    "DATASET_FILES",
    "data_dir",
    "dataset_summary",
    "grid_from_table",
    "load_cables",
    "load_candidates",
    "load_datacenters",
    "load_landings",
    "load_population_grid",
    "load_prefectures",
    "load_stations",
    "population_by",
]

#: File name of each layer of the embedded dataset, with its schema kind.
DATASET_FILES: dict[str, tuple[str, str]] = {
    "prefectures": ("prefectures.parquet", "regions"),
    "population": ("population_1km.parquet", "population"),
    "stations": ("stations_5g.parquet", "stations"),
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
    """The 47 prefectures with 2020 Census population (``regions`` schema)."""
    return _read_geoparquet("prefectures").copy()


def grid_from_table(table: pd.DataFrame, *, source: str = "population grid") -> gpd.GeoDataFrame:
    """Build the population-grid layer from a table keyed by mesh code.

    Cell polygons and ``area_km2`` are derived from ``mesh_code``, so grid
    files need not store geometry.
    """
    if "mesh_code" not in table.columns:
        msg = f"{source}: missing column 'mesh_code'"
        raise InputError(msg)
    codes = table["mesh_code"].astype(str).to_numpy()
    frame = gpd.GeoDataFrame(
        table.reset_index(drop=True).copy(), geometry=mesh_polygons(codes), crs=CRS_EPSG
    )
    frame["mesh_code"] = codes
    if "area_km2" not in frame.columns:
        frame["area_km2"] = box_area_km2(*mesh_bounds(codes))
    return validate_layer(frame, "population", source=source)


@lru_cache(maxsize=2)
def _population_grid() -> gpd.GeoDataFrame:
    path = _path("population")
    if not path.is_file():
        msg = f"embedded population grid is missing ({path}); rebuild the dataset"
        raise InputError(msg)
    table = pd.read_parquet(path)
    table["mesh_code"] = table["mesh_code"].astype(str)
    return grid_from_table(table, source=str(path))


def load_population_grid() -> gpd.GeoDataFrame:
    """Modelled 1 km population grid calibrated to the 2020 Census (``population`` schema).

    Columns: ``mesh_code``, ``pref_code``, ``population`` [persons],
    ``area_km2``, ``urban`` (census DID rule), and the cell polygon.
    """
    return _population_grid().copy()


def load_stations() -> gpd.GeoDataFrame:
    """Modelled existing 5G stations, calibrated to FY2022 coverage (``stations`` schema)."""
    return _read_geoparquet("stations").copy()


def load_candidates() -> gpd.GeoDataFrame:
    """Modelled candidate sites for new 5G stations (``candidates`` schema)."""
    return _read_geoparquet("candidates").copy()


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
    "population": load_population_grid,
    "stations": load_stations,
    "candidates": load_candidates,
    "datacenters": load_datacenters,
    "cables": load_cables,
    "landings": load_landings,
}


def dataset_summary() -> pd.DataFrame:
    """One row per embedded layer: file, kind, rows, CRS, geometry type, population.

    Layers whose file has not been built yet are listed with ``rows = 0``.
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
        frame = _LOADERS[layer]()
        pop = int(frame["population"].sum()) if "population" in frame.columns else None
        rows.append(
            {
                "layer": layer,
                "file": fname,
                "kind": kind,
                "rows": len(frame),
                "crs": f"EPSG:{frame.crs.to_epsg()}",
                "geometry": "/".join(
                    sorted({t.removeprefix("Multi") for t in frame.geom_type.unique()})
                ),
                "population": pop,
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
