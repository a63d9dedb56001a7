"""Coverage metrics: national, per prefecture, per block, urban vs rural, Gini.

Pure functions on per-cell arrays. :func:`coverage_metrics` returns a frozen
:class:`CoverageMetrics` whose :meth:`~CoverageMetrics.to_dict` is ready for
JSON.

Shares are population shares: ``coverage_pct = 100 * covered population /
population``. Groups with no population have ``coverage_pct = NaN`` and are
left out of the lowest-prefecture pick and of the Gini.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from denen_gis.errors import InputError

__all__ = ["CoverageMetrics", "coverage_metrics", "gini"]


def gini(values: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> float:
    """Weighted Gini coefficient of non-negative values.

    ``G = sum_i sum_j w_i w_j |x_i - x_j| / (2 W^2 mu)`` with ``W = sum w`` and
    ``mu = sum w x / W``: half the weighted mean absolute difference over the
    weighted mean. With equal weights this is the usual (population) Gini;
    weights act as repeat counts. Computed in O(n log n) by sorting. All values
    equal (including all zero) give 0.

    Parameters
    ----------
    values
        Non-negative values (e.g. prefecture coverage shares).
    weights
        Non-negative weights (e.g. prefecture population); equal when ``None``.
        Entries with zero weight do not count.

    Examples
    --------
    >>> gini([1.0, 1.0, 1.0])
    0.0
    >>> gini([0.0, 1.0])
    0.5
    >>> gini([0.0, 1.0], weights=[3, 1])
    0.75
    """
    x = np.asarray(values, dtype=float).ravel()
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float).ravel()
    if x.shape != w.shape:
        msg = f"gini: {x.size} values but {w.size} weights; give one weight per value"
        raise InputError(msg)
    if not (np.isfinite(x).all() and np.isfinite(w).all()):
        msg = "gini: values and weights must be finite numbers"
        raise InputError(msg)
    if (x < 0).any() or (w < 0).any():
        msg = "gini: values and weights must not be negative"
        raise InputError(msg)
    keep = w > 0
    x, w = x[keep], w[keep]
    total_w = w.sum()
    if x.size == 0 or total_w == 0:
        msg = "gini: needs at least one value with a positive weight"
        raise InputError(msg)
    mean = float((w * x).sum() / total_w)
    if mean == 0:
        return 0.0
    order = np.argsort(x, kind="stable")
    # Differences are unchanged by a shift; shifting by the minimum makes equal
    # values exactly zero, so the Gini of equal values is exactly 0.
    y, w = x[order] - x[order[0]], w[order]
    # Pairs (i, j) with j before i in sorted order: w_i w_j (y_i - y_j).
    cum_w = np.cumsum(w) - w
    cum_wy = np.cumsum(w * y) - w * y
    half_sum = float((w * (y * cum_w - cum_wy)).sum())
    return float(max(0.0, half_sum / (total_w**2 * mean)))


def _pct(covered: npt.ArrayLike, total: npt.ArrayLike) -> np.ndarray:
    c = np.asarray(covered, dtype=float)
    t = np.asarray(total, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(t > 0, 100.0 * c / np.where(t > 0, t, 1.0), np.nan)


def _clean(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    if frame is None:
        return None
    return [{k: _clean(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


@dataclass(frozen=True)
class CoverageMetrics:
    """Coverage of a population grid, nationally and by group.

    Attributes
    ----------
    population
        Total population [persons].
    covered_population
        Population in covered cells [persons].
    coverage_pct
        National population coverage [%].
    area_km2, covered_area_km2
        Total and covered area [km^2] (NaN when no areas were given).
    urban_pct, rural_pct
        Population coverage of urban and of rural cells [%] (NaN if none).
    urban_rural_gap_pp
        ``urban_pct - rural_pct`` [percentage points].
    by_pref
        One row per prefecture: ``pref_code``, ``population``,
        ``covered_population``, ``coverage_pct``, ``area_km2``,
        ``covered_area_km2``, sorted by code.
    by_block
        The same by regional block (column ``block``), or ``None``.
    lowest_pref, lowest_pref_pct
        The populated prefecture with the lowest coverage, and its coverage [%].
    gini
        Population-weighted Gini of prefecture coverage shares (see :func:`gini`).
    """

    population: int
    covered_population: int
    coverage_pct: float
    area_km2: float
    covered_area_km2: float
    urban_pct: float
    rural_pct: float
    urban_rural_gap_pp: float
    by_pref: pd.DataFrame
    by_block: pd.DataFrame | None
    lowest_pref: str | None
    lowest_pref_pct: float
    gini: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN as ``None``; tables as lists of records)."""
        scalars = (
            "population",
            "covered_population",
            "coverage_pct",
            "area_km2",
            "covered_area_km2",
            "urban_pct",
            "rural_pct",
            "urban_rural_gap_pp",
            "lowest_pref",
            "lowest_pref_pct",
            "gini",
        )
        out: dict[str, Any] = {k: _clean(getattr(self, k)) for k in scalars}
        out["by_pref"] = _records(self.by_pref)
        out["by_block"] = _records(self.by_block)
        return out


def _by_group(
    key: np.ndarray, name: str, pop: np.ndarray, cov: np.ndarray, area: np.ndarray
) -> pd.DataFrame:
    # Integer group ids and bincount: a string-keyed groupby of 466k cells is slow.
    ids, groups = pd.factorize(np.asarray(key), sort=True)
    n = len(groups)

    def total(values: np.ndarray) -> np.ndarray:  # NaN counts as 0, as in a groupby sum
        return np.bincount(ids, weights=np.nan_to_num(values), minlength=n)

    g = pd.DataFrame(
        {
            name: np.asarray(groups, dtype=object),
            "population": total(pop.astype(np.float64)),
            "covered_population": total(np.where(cov, pop, 0).astype(np.float64)),
            "area_km2": total(area),
            "covered_area_km2": total(np.where(cov, area, 0.0)),
        }
    )
    g["coverage_pct"] = _pct(g["covered_population"], g["population"])
    cols = [
        name,
        "population",
        "covered_population",
        "coverage_pct",
        "area_km2",
        "covered_area_km2",
    ]
    out = g[cols].copy()
    out["population"] = out["population"].astype(np.int64)
    out["covered_population"] = out["covered_population"].astype(np.int64)
    return out


def coverage_metrics(
    population: npt.ArrayLike,
    covered: npt.ArrayLike,
    *,
    pref_code: npt.ArrayLike,
    urban: npt.ArrayLike,
    area_km2: npt.ArrayLike | None = None,
    block: npt.ArrayLike | None = None,
) -> CoverageMetrics:
    """Coverage metrics from per-cell arrays.

    Parameters
    ----------
    population
        Population of each cell [persons], non-negative whole numbers.
    covered
        Whether each cell is covered (bool or 0/1).
    pref_code
        Prefecture code of each cell.
    urban
        Whether each cell is urban (census DID rule).
    area_km2
        Area of each cell [km^2]; areas are reported as NaN when omitted.
    block
        Regional block of each cell, for the per-block table.

    Examples
    --------
    >>> m = coverage_metrics([100, 300], [True, False], pref_code=["01", "02"],
    ...                      urban=[True, False])
    >>> m.coverage_pct, m.urban_rural_gap_pp, m.lowest_pref
    (25.0, 100.0, '02')
    """
    pop = np.asarray(population)
    n = pop.shape[0] if pop.ndim == 1 else -1
    arrays = {"covered": covered, "pref_code": pref_code, "urban": urban}
    if area_km2 is not None:
        arrays["area_km2"] = area_km2
    if block is not None:
        arrays["block"] = block
    for name, arr in arrays.items():
        if np.asarray(arr).shape != (n,):
            msg = (
                f"coverage_metrics: {name} has shape {np.asarray(arr).shape}; "
                f"give one value per cell like population {pop.shape}"
            )
            raise InputError(msg)
    pop_f = pop.astype(float)
    good = np.isfinite(pop_f) & (pop_f >= 0) & (pop_f == np.round(pop_f))
    if not good.all():
        i = int(np.flatnonzero(~good)[0])
        msg = f"coverage_metrics: population row {i} is {pop[i]!r}; use whole persons >= 0"
        raise InputError(msg)
    pop_i = pop_f.astype(np.int64)
    cov_raw = np.asarray(covered)
    if cov_raw.dtype != bool and not np.isin(cov_raw, [0, 1]).all():
        msg = "coverage_metrics: covered must be bool or 0/1 per cell"
        raise InputError(msg)
    cov = cov_raw.astype(bool)
    urb = np.asarray(urban).astype(bool)
    area = np.full(n, np.nan) if area_km2 is None else np.asarray(area_km2, dtype=float)
    prefs = np.asarray(pref_code).astype(str)

    total = int(pop_i.sum())
    covered_pop = int(pop_i[cov].sum())
    urban_pct = float(_pct(pop_i[cov & urb].sum(), pop_i[urb].sum()))
    rural_pct = float(_pct(pop_i[cov & ~urb].sum(), pop_i[~urb].sum()))
    by_pref = _by_group(prefs, "pref_code", pop_i, cov, area)
    by_block = (
        None
        if block is None
        else _by_group(np.asarray(block).astype(str), "block", pop_i, cov, area)
    )
    populated = by_pref[by_pref["population"] > 0]
    if len(populated):
        low = populated.iloc[int(np.argmin(populated["coverage_pct"].to_numpy()))]
        lowest, lowest_pct = str(low["pref_code"]), float(low["coverage_pct"])
        g = gini(populated["coverage_pct"].to_numpy() / 100.0, populated["population"].to_numpy())
    else:
        lowest, lowest_pct, g = None, math.nan, math.nan
    return CoverageMetrics(
        population=total,
        covered_population=covered_pop,
        coverage_pct=float(_pct(covered_pop, total)),
        area_km2=float(area.sum()) if area_km2 is not None else math.nan,
        covered_area_km2=float(area[cov].sum()) if area_km2 is not None else math.nan,
        urban_pct=urban_pct,
        rural_pct=rural_pct,
        urban_rural_gap_pp=urban_pct - rural_pct,
        by_pref=by_pref,
        by_block=by_block,
        lowest_pref=lowest,
        lowest_pref_pct=lowest_pct,
        gini=g,
    )
