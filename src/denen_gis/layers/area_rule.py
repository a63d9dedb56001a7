"""MIC's area rule: a mesh cell is covered when more than half of its area is served.

MIC counts a 500 m mesh as covered when more than half of its area lies in the
service area (the union of the operators' areas; k-tai.watch 1388925). Here the
area of each cell is sampled on an ``n x n`` sub-grid of points (default 4 x 4)
and a site serves a point within its radius for the cell's environment:

- :func:`area_coverage` gives, for every cell, whether more than half of its
  points are served by *some* site (the exact union rule, used by every
  coverage figure) and, for every (cell, site) pair, the share of the cell that
  site serves alone (the per-site form the optimizer uses: a site covers a cell
  when it alone serves more than half of it).

Sites are paired with cells by a KD-tree query at the radius plus the cell's
half-diagonal (:func:`~denen_gis.layers.coverage_sets.coverage_pairs`, never all
pairs); a pair whose centre distance plus the half-diagonal is within the radius
serves the whole cell, and only the remaining boundary pairs are sampled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from denen_gis.errors import InputError
from denen_gis.geodesy import haversine_km
from denen_gis.layers.coverage_sets import CoveragePairs, coverage_pairs

__all__ = ["AreaCoverage", "area_coverage"]

FloatArray = npt.NDArray[np.float64]

#: Boundary pairs sampled per chunk (bounds the temporary arrays to ~100 MB).
_CHUNK = 400_000


@dataclass(frozen=True)
class AreaCoverage:
    """Coverage of cells by sites under the area rule.

    Attributes
    ----------
    covered
        Per cell: more than half of its sample points are served by some site.
    served_share
        Per cell: share of its sample points served by some site (0-1).
    pairs
        The (cell, site) pairs that serve at least one point of the cell, in
        cell order, with the centre distance [km].
    pair_share
        Share of the cell served by the pair's site alone (0-1), per pair.
    """

    covered: npt.NDArray[np.bool_]
    served_share: FloatArray
    pairs: CoveragePairs
    pair_share: FloatArray

    def per_site_matrix(self) -> sp.csr_matrix:
        """Boolean ``n_cells x n_sites``: ``[i, j]`` when site j alone serves > half of cell i."""
        keep = self.pair_share > 0.5
        n = self.pairs.shape[0]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.pairs.rows[keep], minlength=n), out=indptr[1:])
        return sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=bool), self.pairs.cols[keep], indptr),
            shape=self.pairs.shape,
        )


def _sample_masks(
    bounds: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    rows: npt.NDArray[np.int64],
    site_lon: FloatArray,
    site_lat: FloatArray,
    radius_km: FloatArray,
    n: int,
) -> npt.NDArray[np.uint32]:
    """Bit ``k`` set when sample point ``k`` of the pair's cell is within the site's radius."""
    west, south, east, north = (b[rows] for b in bounds)
    frac = (np.arange(n) + 0.5) / n
    mask = np.zeros(rows.size, dtype=np.uint32)
    for a, fy in enumerate(frac):
        lat = south + fy * (north - south)
        for b, fx in enumerate(frac):
            lon = west + fx * (east - west)
            inside = haversine_km(lon, lat, site_lon, site_lat) <= radius_km
            mask |= inside.astype(np.uint32) << np.uint32(a * n + b)
    return mask


def _popcount(mask: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
    return np.unpackbits(mask.view(np.uint8).reshape(-1, 4), axis=1).sum(axis=1).astype(np.int64)


def area_coverage(
    bounds: tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike, npt.ArrayLike],
    cell_urban: npt.ArrayLike,
    site_lon: npt.ArrayLike,
    site_lat: npt.ArrayLike,
    *,
    radius_urban_km: npt.ArrayLike,
    radius_rural_km: npt.ArrayLike,
    samples_per_side: int = 4,
) -> AreaCoverage:
    """Cells served over more than half of their area (union of site discs), and per-site shares.

    Parameters
    ----------
    bounds
        ``(west, south, east, north)`` of every cell [degrees], e.g.
        :func:`denen_gis.mesh.mesh_bounds`.
    cell_urban
        Whether each cell is urban (selects the site's radius).
    site_lon, site_lat
        Site locations [degrees].
    radius_urban_km, radius_rural_km
        Radius of each site in urban and rural cells [km].
    samples_per_side
        Sample points per side of a cell (2-5; 4 gives 16 points).

    Examples
    --------
    Two sites on the east and west edges of a cell (0.91 x 1.11 km) each serve
    6 of its 16 points: neither covers it alone, together they serve 12:

    >>> b = ([139.0], [35.0], [139.01], [35.01])
    >>> res = area_coverage(b, [False], [139.0, 139.01], [35.005, 35.005],
    ...                     radius_urban_km=0.5, radius_rural_km=0.5)
    >>> res.pair_share.tolist(), float(res.served_share[0]), bool(res.covered[0])
    ([0.375, 0.375], 0.75, True)
    >>> res.per_site_matrix().toarray().tolist()
    [[False, False]]
    """
    if not 2 <= samples_per_side <= 5:
        msg = f"samples_per_side must be 2-5, got {samples_per_side}"
        raise InputError(msg)
    w, s, e, n_ = (np.asarray(b, dtype=float) for b in bounds)
    urban = np.asarray(cell_urban, dtype=bool)
    slon = np.asarray(site_lon, dtype=float)
    slat = np.asarray(site_lat, dtype=float)
    r_urb = np.broadcast_to(np.asarray(radius_urban_km, dtype=float), slon.shape)
    r_rur = np.broadcast_to(np.asarray(radius_rural_km, dtype=float), slon.shape)
    clon, clat = 0.5 * (w + e), 0.5 * (s + n_)
    half_diag = 0.5 * haversine_km(w, s, e, n_) if w.size else np.zeros(0)
    h = float(half_diag.max()) if half_diag.size else 0.0
    wide = coverage_pairs(
        clon, clat, urban, slon, slat, radius_urban_km=r_urb + h, radius_rural_km=r_rur + h
    )
    radius = np.where(urban[wide.rows], r_urb[wide.cols], r_rur[wide.cols])
    k = samples_per_side * samples_per_side
    full_mask = np.uint32((1 << k) - 1)
    mask = np.where(wide.distance_km + half_diag[wide.rows] <= radius, full_mask, np.uint32(0))
    todo = np.flatnonzero(mask == 0)
    for start in range(0, todo.size, _CHUNK):
        sel = todo[start : start + _CHUNK]
        mask[sel] = _sample_masks(
            (w, s, e, n_),
            wide.rows[sel],
            slon[wide.cols[sel]],
            slat[wide.cols[sel]],
            radius[sel],
            samples_per_side,
        )
    keep = mask != 0
    pairs = CoveragePairs(
        wide.rows[keep], wide.cols[keep], wide.distance_km[keep], (w.size, slon.size)
    )
    mask = mask[keep]
    union = np.zeros(w.size, dtype=np.uint32)
    if pairs.rows.size:
        starts = np.flatnonzero(np.r_[True, pairs.rows[1:] != pairs.rows[:-1]])
        union[pairs.rows[starts]] = np.bitwise_or.reduceat(mask, starts)
    served = _popcount(union) / k
    return AreaCoverage(
        covered=served > 0.5,
        served_share=served,
        pairs=pairs,
        pair_share=_popcount(mask) / k,
    )
