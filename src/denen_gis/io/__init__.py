"""Inputs: the embedded Japan dataset, layer files and official file formats.

Every reader returns a layer checked by :func:`denen_gis.schema.validate_layer`
in EPSG:6668, and raises :class:`denen_gis.errors.InputError` naming the file,
the row or column on bad input.

- :mod:`denen_gis.io.japan`: the embedded dataset (``load_*``).
- :mod:`denen_gis.io.files`: GeoPackage/GeoJSON/GeoParquet/Shapefile layers and
  atomic writes.
- :mod:`denen_gis.io.estat`: e-Stat grid-square census population.
- :mod:`denen_gis.io.n03`: MLIT N03 administrative boundaries.
- :mod:`denen_gis.io.telegeography`: TeleGeography submarine cables (read only;
  CC BY-NC-SA, never shipped).
"""

from denen_gis.io.estat import read_estat_mesh, read_population_grid
from denen_gis.io.files import (
    atomic_path,
    read_layer,
    read_vector,
    write_layer,
    write_layers,
    write_text_atomic,
)
from denen_gis.io.japan import (
    DATASET_FILES,
    data_dir,
    dataset_summary,
    grid_from_table,
    load_cables,
    load_candidates,
    load_datacenters,
    load_landings,
    load_population_grid,
    load_prefectures,
    load_stations,
    population_by,
)
from denen_gis.io.n03 import read_n03
from denen_gis.io.outdir import atomic_directory, check_output_folder
from denen_gis.io.telegeography import check_landings_touch, read_submarine_cables

__all__ = [
    "DATASET_FILES",
    "atomic_directory",
    "atomic_path",
    "check_landings_touch",
    "check_output_folder",
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
    "read_estat_mesh",
    "read_layer",
    "read_n03",
    "read_population_grid",
    "read_submarine_cables",
    "read_vector",
    "write_layer",
    "write_layers",
    "write_text_atomic",
]
