"""Before/after tables of a plan: per prefecture, urban/rural, per new site.

Pure functions from coverage metrics (and the coverage matrix) to tables; the
pipeline puts them into the :class:`~denen_gis.pipeline.Plan`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from denen_gis.layers.metrics import CoverageMetrics

__all__ = [
    "municipality_before_after",
    "municipality_coverage",
    "prefecture_before_after",
    "site_contributions",
    "urban_rural_table",
]


def site_contributions(
    coverage: Any, chosen: np.ndarray, population: np.ndarray, newly_covered: np.ndarray
) -> np.ndarray:
    """People each chosen site adds [persons], shared equally where chosen sites overlap.

    The contributions sum to the population of the newly covered cells.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1, 1], [0, 1]], dtype=bool))
    >>> site_contributions(m, np.array([0, 1]), np.array([10, 6]), np.array([True, True]))
    array([ 5., 11.])
    """
    sub = coverage.tocsc()[:, chosen].tocsr().astype(np.float64)
    sub = sub.multiply(newly_covered[:, None].astype(np.float64)).tocsr()
    n_sites = np.asarray(sub.sum(axis=1)).ravel()
    share = np.divide(
        population.astype(np.float64), n_sites, out=np.zeros(len(n_sites)), where=n_sites > 0
    )
    return np.asarray(sub.T @ share).ravel()


def prefecture_before_after(
    before: CoverageMetrics,
    after: CoverageMetrics,
    prefectures: pd.DataFrame,
    *,
    target_prefecture: float | None,
) -> pd.DataFrame:
    """Per-prefecture before/after coverage [%] with names and the gap to the target."""
    b = before.by_pref.set_index("pref_code")
    a = after.by_pref.set_index("pref_code")
    names = prefectures.set_index("code")
    table = pd.DataFrame(
        {
            "pref_code": b.index,
            "name_en": names["name_en"].reindex(b.index).to_numpy(),
            "name_ja": names["name_ja"].reindex(b.index).to_numpy(),
            "population": b["population"].to_numpy(),
            "covered_before": b["covered_population"].to_numpy(),
            "covered_after": a["covered_population"].reindex(b.index).to_numpy(),
            "coverage_before_pct": b["coverage_pct"].to_numpy(),
            "coverage_after_pct": a["coverage_pct"].reindex(b.index).to_numpy(),
        }
    )
    table["gain_pp"] = table["coverage_after_pct"] - table["coverage_before_pct"]
    if target_prefecture is not None:
        table["target_pct"] = 100.0 * target_prefecture
        table["gap_pp"] = np.maximum(table["target_pct"] - table["coverage_after_pct"], 0.0)
    return table.reset_index(drop=True)


def urban_rural_table(before: CoverageMetrics, after: CoverageMetrics) -> pd.DataFrame:
    """Coverage [%] of urban, rural and all people, before and after."""
    return pd.DataFrame(
        {
            "group": ["urban", "rural", "all"],
            "coverage_before_pct": [before.urban_pct, before.rural_pct, before.coverage_pct],
            "coverage_after_pct": [after.urban_pct, after.rural_pct, after.coverage_pct],
        }
    )


def _pct(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.divide(
        100.0 * part, whole, out=np.zeros(len(whole), dtype=np.float64), where=whole > 0
    )


def municipality_coverage(
    grid: pd.DataFrame, covered: np.ndarray, municipalities: pd.DataFrame | None
) -> pd.DataFrame:
    """People and covered people per municipality of the grid, sorted by code.

    Parameters
    ----------
    grid
        Cells with ``muni_code`` and ``population`` [persons] (and ``pref_code``).
    covered
        Covered flag per cell.
    municipalities
        Names (``muni_code``, ``name_ja``, ``pref_code``); ``None``: names left empty.

    Returns
    -------
    pandas.DataFrame
        ``muni_code``, ``name_ja``, ``pref_code``, ``population``,
        ``covered_population`` [persons] and ``coverage_pct`` [%]; empty when
        the grid has no ``muni_code``.

    Examples
    --------
    >>> g = pd.DataFrame({"muni_code": ["31201", "31202", "31201"],
    ...                   "pref_code": ["31"] * 3, "population": [10, 30, 10]})
    >>> municipality_coverage(g, np.array([True, False, False]), None)[
    ...     ["muni_code", "covered_population", "coverage_pct"]].to_dict("list")
    {'muni_code': ['31201', '31202'], 'covered_population': [10, 0], 'coverage_pct': [50.0, 0.0]}
    """
    cols = ["muni_code", "name_ja", "pref_code", "population", "covered_population"]
    if "muni_code" not in grid.columns or grid.empty:
        return pd.DataFrame(columns=[*cols, "coverage_pct"])
    inverse, codes = pd.factorize(grid["muni_code"].astype(str), sort=True)
    codes = np.asarray(codes, dtype=object)
    pop = grid["population"].to_numpy().astype(np.int64)
    covered = np.asarray(covered, dtype=bool)
    people = np.bincount(inverse, weights=pop, minlength=len(codes)).astype(np.int64)
    reached = np.bincount(inverse[covered], weights=pop[covered], minlength=len(codes))
    table = pd.DataFrame({"muni_code": codes})
    if municipalities is not None and len(municipalities):
        names = municipalities.set_index(municipalities["muni_code"].astype(str))
        table["name_ja"] = names["name_ja"].reindex(codes).fillna("").to_numpy()
        table["pref_code"] = names["pref_code"].reindex(codes).fillna("").to_numpy()
    else:
        table["name_ja"] = ""
        table["pref_code"] = [c[:2] for c in codes]
    table["population"] = people
    table["covered_population"] = reached.astype(np.int64)
    table["coverage_pct"] = _pct(table["covered_population"].to_numpy(), people)
    return table[table["muni_code"] != ""].reset_index(drop=True)


def municipality_before_after(
    grid: pd.DataFrame,
    covered_before: np.ndarray,
    covered_after: np.ndarray,
    municipalities: pd.DataFrame | None,
) -> pd.DataFrame:
    """Per-municipality before/after coverage: ``muni_code``, ``name_ja``, ``pref_code``,
    ``population``, ``covered_before``, ``covered_after`` [persons],
    ``coverage_before_pct``, ``coverage_after_pct`` [%] and ``gain_pp``.
    """
    b = municipality_coverage(grid, covered_before, municipalities)
    a = municipality_coverage(grid, covered_after, municipalities)
    table = b.drop(columns=["covered_population", "coverage_pct"]).assign(
        covered_before=b["covered_population"].to_numpy(),
        covered_after=a["covered_population"].to_numpy(),
        coverage_before_pct=b["coverage_pct"].to_numpy(),
        coverage_after_pct=a["coverage_pct"].to_numpy(),
    )
    table["gain_pp"] = table["coverage_after_pct"] - table["coverage_before_pct"]
    return table
