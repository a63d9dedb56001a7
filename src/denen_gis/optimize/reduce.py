"""Shrink a covering model before it reaches a solver.

Four reductions, all exact (the optimum of every model is unchanged):

- cells already covered, cells with no population and cells that no allowed
  candidate covers leave the model (their population still counts in shares);
- excluded sites, sites dearer than what is left of the budget, and sites that
  cover no remaining cell leave the model;
- with ``costs_myen`` given, dominated sites leave the model: site a is
  dominated when another allowed site b covers every remaining cell a covers
  at no higher cost (ties keep the lower index). Any plan with a can take b
  instead and cover at least as much for at most the same money, in every
  model (budget, targets, fairness, yearly budgets). Subsets are found with
  one sparse product ``A^T A`` (overlap == |a|), not pairwise loops;
- cells with the same coverage set *and* the same group (prefecture, urban)
  merge into one demand weighted by their population: the model's size falls
  by 10-50x on real grids, and nothing in any objective or target can tell the
  merged cells apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from denen_gis.optimize.result import ModelSize

__all__ = ["ReducedProblem", "dominated_sites", "reduce_coverage"]

# Two fixed 64-bit random keys per site: the row hash is their wrap-around sum
# over the row's sites; equal sets hash equal, and merges are verified exactly.
_HASH_SEED = 20240531


@dataclass(frozen=True)
class ReducedProblem:
    """A covering model after reduction.

    Attributes
    ----------
    matrix
        Bool CSR (demands x model sites).
    weight
        Population per demand [persons].
    site_index
        Original site index of each model site.
    demand_group
        Index into ``group_names`` of each demand.
    demand_urban
        Urban flag of each demand.
    cell_demand
        Per original cell: its demand, or -1 when it left the model.
    size_before, size_after
        Model size before and after reduction.
    """

    matrix: sp.csr_matrix
    weight: np.ndarray
    site_index: np.ndarray
    demand_group: np.ndarray
    demand_urban: np.ndarray
    cell_demand: np.ndarray
    size_before: ModelSize
    size_after: ModelSize

    @property
    def n_demands(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_sites(self) -> int:
        return int(self.matrix.shape[1])


def _row_hashes(matrix: sp.csr_matrix) -> np.ndarray:
    rng = np.random.default_rng(_HASH_SEED)
    keys = rng.integers(0, np.iinfo(np.uint64).max, size=(matrix.shape[1], 2), dtype=np.uint64)
    starts = matrix.indptr[:-1]
    # every row is non-empty here, so reduceat sums exactly the row's keys
    return np.add.reduceat(keys[matrix.indices], starts, axis=0)


def dominated_sites(matrix: sp.spmatrix, costs_myen: np.ndarray) -> np.ndarray:
    """Sites whose covered set is a subset of another site's at no lower cost.

    Parameters
    ----------
    matrix
        Bool (cells x sites) coverage of the cells still in the model.
    costs_myen
        Cost per site [million yen].

    Returns
    -------
    numpy.ndarray
        Bool mask: True where some other site covers a superset for at most
        the same cost (identical sets at equal cost keep the lowest index; a
        site covering nothing is not flagged here). Dominance is transitive
        and acyclic under this tie rule, so dropping every flagged site keeps
        at least one undominated dominator of each.
    """
    a = sp.csc_matrix(matrix, dtype=np.float64)
    size = np.diff(a.indptr)
    overlap = (a.T @ a).tocoo()
    r, c, v = overlap.row, overlap.col, overlap.data
    cost = np.asarray(costs_myen, dtype=np.float64)
    subset = (r != c) & (size[r] > 0) & (v >= size[r] - 0.5)
    cheaper = cost[c] < cost[r]
    tie = (cost[c] == cost[r]) & ((size[c] > size[r]) | (c < r))
    mask = np.zeros(a.shape[1], dtype=bool)
    mask[r[subset & (cheaper | tie)]] = True
    return mask


def reduce_coverage(
    coverage: sp.csr_matrix,
    population: np.ndarray,
    *,
    covered_before: np.ndarray,
    allowed_sites: np.ndarray,
    group_codes: np.ndarray,
    urban: np.ndarray,
    costs_myen: np.ndarray | None = None,
) -> ReducedProblem:
    """Reduce a covering model; see the module docstring for the rules.

    Parameters
    ----------
    coverage
        Bool CSR (n_cells x n_sites) with sorted indices.
    population
        Population per cell [persons].
    covered_before
        Cells already covered (existing stations and included sites).
    allowed_sites
        Bool mask of the sites the model may choose.
    group_codes
        Integer group (prefecture) code per cell.
    urban
        Urban flag per cell.
    costs_myen
        Cost per site [million yen]; when given, dominated sites are dropped.
    """
    n_cells, n_sites = coverage.shape
    before = ModelSize(n_cells, n_sites, int(coverage.nnz))
    site_index = np.flatnonzero(allowed_sites)
    sub = coverage[:, site_index].tocsr()
    keep = ~covered_before & (population > 0) & (np.diff(sub.indptr) > 0)
    rows = np.flatnonzero(keep)
    sub = sub[rows]
    useful = np.diff(sub.tocsc().indptr) > 0
    if costs_myen is not None and rows.size:
        useful &= ~dominated_sites(sub, np.asarray(costs_myen, dtype=np.float64)[site_index])
    site_index = site_index[useful]
    sub = sub[:, np.flatnonzero(useful)].tocsr()
    sub.sort_indices()
    cell_demand = np.full(n_cells, -1, dtype=np.int64)
    if rows.size == 0:
        empty = sp.csr_matrix((0, site_index.size), dtype=bool)
        return ReducedProblem(
            empty,
            np.zeros(0),
            site_index,
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=bool),
            cell_demand,
            before,
            ModelSize(0, int(site_index.size), 0),
        )
    hashes = _row_hashes(sub)
    key = np.column_stack(
        [
            hashes,
            np.diff(sub.indptr).astype(np.uint64),
            group_codes[rows].astype(np.uint64),
            urban[rows].astype(np.uint64),
        ]
    )
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    # exact check: every cell's set equals its representative's (a hash collision
    # would need 128 random bits to agree; if it ever happens, split the cell off)
    mismatch = np.asarray((sub != sub[first[inverse]]).sum(axis=1)).ravel() > 0
    if mismatch.any():
        inverse = inverse.copy()
        extra = np.flatnonzero(mismatch)
        inverse[extra] = first.size + np.arange(extra.size)
        first = np.concatenate([first, extra])
    matrix = sub[first].tocsr()
    weight = np.bincount(inverse, weights=population[rows], minlength=first.size)
    cell_demand[rows] = inverse
    after = ModelSize(int(matrix.shape[0]), int(matrix.shape[1]), int(matrix.nnz))
    return ReducedProblem(
        matrix,
        weight,
        site_index,
        group_codes[rows][first].astype(np.int64),
        urban[rows][first],
        cell_demand,
        before,
        after,
    )
