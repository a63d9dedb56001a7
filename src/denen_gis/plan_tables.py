"""Before/after tables of a plan: per prefecture, urban/rural, per new site.

Pure functions from coverage metrics (and the coverage matrix) to tables; the
pipeline puts them into the :class:`~denen_gis.pipeline.Plan`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from denen_gis.layers.metrics import CoverageMetrics

__all__ = ["prefecture_before_after", "site_contributions", "urban_rural_table"]


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
