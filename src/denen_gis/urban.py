"""Urban/rural class of mesh cells by the census DID rule.

The census draws Densely Inhabited Districts (人口集中地区, DID) from basic unit
districts: contiguous districts of at least 4,000 people/km^2 that together
hold at least 5,000 people. On a mesh grid the same rule reads: cells whose
density is at least 4,000 people/km^2, joined to their edge neighbours, form
clusters; a cluster of at least 5,000 people is urban, everything else rural.
Mesh cells are not equal in area (1.17 km^2 at 24 N, 0.94 km^2 at 43 N), so
density is computed per cell from its ellipsoidal area.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from denen_gis.errors import InputError
from denen_gis.geodesy import box_area_km2
from denen_gis.mesh import mesh_bounds, mesh_indices

__all__ = ["DID_MIN_DENSITY", "DID_MIN_DENSITY_500M", "DID_MIN_POPULATION", "classify_urban"]

#: Minimum density of a DID cell [persons/km^2].
DID_MIN_DENSITY = 4000.0
#: Density threshold [persons/km^2] of the DID rule on the 2020 census 500 m
#: grid, calibrated once, nationally, by ``data/build/population.py`` so that
#: 70.0% of the people live in urban cells (the 2020 census DID share). A 500 m
#: cell mixes dense and sparse blocks, so the census 4,000/km^2 applied to
#: cells would count too few people as urban.
DID_MIN_DENSITY_500M = 2320.0
#: Minimum population of a DID cluster [persons].
DID_MIN_POPULATION = 5000


def classify_urban(
    mesh_codes: npt.ArrayLike,
    population: npt.ArrayLike,
    *,
    min_density: float = DID_MIN_DENSITY,
    min_population: float = DID_MIN_POPULATION,
) -> npt.NDArray[np.bool_]:
    """Urban (True) or rural for each cell by the DID rule.

    Parameters
    ----------
    mesh_codes
        JIS X 0410 codes, all of one level.
    population
        Population of each cell [persons].
    min_density
        Density threshold [persons/km^2].
    min_population
        Minimum population of an edge-connected cluster [persons].

    Examples
    --------
    >>> codes = ["53394611", "53394612", "53394613", "53390000"]
    >>> classify_urban(codes, [6000, 5000, 100, 4000]).tolist()
    [True, True, False, False]
    """
    codes = np.asarray(mesh_codes)
    pop = np.asarray(population, dtype=float)
    if codes.shape != pop.shape:
        msg = f"mesh codes ({codes.shape}) and population ({pop.shape}) differ in length"
        raise InputError(msg)
    if codes.size == 0:
        return np.zeros(0, dtype=bool)
    row, col, _ = mesh_indices(codes)
    density = pop / box_area_km2(*mesh_bounds(codes))
    dense = density >= min_density
    if not dense.any():
        return np.zeros(codes.size, dtype=bool)
    from scipy import ndimage  # imported here: slow to import, and data info needs only constants

    r0, c0 = row.min(), col.min()
    raster = np.zeros((row.max() - r0 + 1, col.max() - c0 + 1), dtype=bool)
    raster[row[dense] - r0, col[dense] - c0] = True
    labels, n = ndimage.label(raster)  # 4-connectivity: cells that share an edge
    cell_label = labels[row - r0, col - c0]
    cluster_pop = np.bincount(cell_label[dense], weights=pop[dense], minlength=n + 1)
    urban_label = cluster_pop >= min_population
    urban_label[0] = False
    return urban_label[cell_label] & dense
