"""5G plan figures beside the optimizer's: the exact area rule, cost by kind, subsidy budget."""

from __future__ import annotations

import time
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from denen_gis.layers.coverage import compute_coverage

__all__ = ["SUBSIDY_BUDGET_FY2025_MYEN", "backtest", "cost_context", "exact_after"]


#: National budget of MIC's mobile area-expansion grant (携帯電話等エリア整備事業), FY2025
#: [million yen] (research_12.md sec. 3a).
SUBSIDY_BUDGET_FY2025_MYEN = 1200.0


def cost_context(new_sites: pd.DataFrame) -> dict[str, Any]:
    """New sites and cost per candidate kind, and the cost beside the national subsidy budget.

    Costs are total project costs (operator capex before any subsidy); MIC's grant
    pays 1/2 or 2/3 of eligible rural sites.
    """
    kinds = (
        new_sites["kind"].astype(str).to_numpy()
        if "kind" in new_sites.columns
        else np.full(len(new_sites), "new_tower")
    )
    cost = new_sites["cost_myen"].to_numpy(dtype=float) if len(new_sites) else np.zeros(0)
    by_type = {
        k: {"new_sites": int((kinds == k).sum()), "cost_myen": float(cost[kinds == k].sum())}
        for k in ("upgrade", "new_tower")
    }
    total = float(cost.sum())
    return {
        "by_type": by_type,
        "cost_basis": "total project cost = operator capex before any subsidy",
        "subsidy_budget_fy2025_myen": SUBSIDY_BUDGET_FY2025_MYEN,
        "cost_over_subsidy_budget": total / SUBSIDY_BUDGET_FY2025_MYEN,
        "subsidy_if_granted_myen": {"one_half": total / 2, "two_thirds": total * 2 / 3},
    }


def exact_after(
    inputs: Any, new_sites: gpd.GeoDataFrame, covered_per_site: np.ndarray
) -> tuple[np.ndarray, dict[str, Any]]:
    """Coverage after the plan under MIC's exact area rule (union of every disc).

    ``inputs`` is the run's :class:`denen_gis.pipeline.PreparedRun`.

    The optimizer counts a cell as covered by a new site only when that site
    alone serves more than half of it (the per-site form); the exact rule also
    counts cells that several sites serve together. Returns the exact flags
    and the difference in people.
    """
    t = time.perf_counter()
    cols = ["site_id", "station_type", "height_m", "geometry"]
    both = pd.concat(
        [
            inputs.stations[[c for c in cols if c in inputs.stations.columns]],
            new_sites[[c for c in cols if c in new_sites.columns]],
        ],
        ignore_index=True,
    )
    both = gpd.GeoDataFrame(both, geometry="geometry", crs=inputs.grid.crs)
    exact = inputs.covered_before | covered_per_site
    if len(both):
        exact = (
            exact
            | compute_coverage(inputs.grid, both, link_budget=inputs.link_budget)
            .cells["covered"]
            .to_numpy()
        )
    pop = inputs.population
    info = {
        "rule": "a 500 m mesh is covered when more than half of its area is served (MIC)",
        "per_site_pct": 100 * float(pop[covered_per_site].sum() / pop.sum()),
        "per_site_covered_population": int(pop[covered_per_site].sum()),
        "exact_pct": 100 * float(pop[exact].sum() / pop.sum()),
        "people_added_by_exact_rule": float(pop[exact & ~covered_per_site].sum()),
        "seconds": time.perf_counter() - t,
    }
    return exact, info


def backtest(by_pref: pd.DataFrame, baseline: str, against: str) -> dict[str, Any]:
    """Predicted per-prefecture gains beside MIC's, where MIC gives both years.

    ``by_pref`` has ``pref_code``, ``coverage_before_pct`` and
    ``coverage_after_pct``. The predicted gain of a prefecture is after - before;
    MIC's gain is its figure for ``against`` minus its figure for ``baseline``.
    ``corr`` is the Pearson correlation of the gains, ``mae_pp`` their mean
    absolute difference, ``level_mae_pp`` the mean absolute difference of the
    after-plan coverage from MIC's ``against`` figure (all where known). The
    model is never tuned to these figures.
    """
    from denen_gis.io.japan import load_fiveg_calibration

    cal = load_fiveg_calibration()
    y0, y1 = int(baseline[2:]), int(against[2:])
    mic0 = cal[cal["fy"] == y0].set_index("pref_code")["mic_pct"]
    mic1 = cal[cal["fy"] == y1].set_index("pref_code")["mic_pct"]
    t = by_pref[["pref_code", "coverage_before_pct", "coverage_after_pct"]].copy()
    t["mic_before_pct"] = t["pref_code"].map(mic0)
    t["mic_after_pct"] = t["pref_code"].map(mic1)
    t["gain_pp"] = t["coverage_after_pct"] - t["coverage_before_pct"]
    t["mic_gain_pp"] = t["mic_after_pct"] - t["mic_before_pct"]
    both = t.dropna(subset=["mic_gain_pp"])
    level = t.dropna(subset=["mic_after_pct"])
    corr = (
        float(np.corrcoef(both["gain_pp"], both["mic_gain_pp"])[0, 1])
        if len(both) >= 3
        else float("nan")
    )
    return {
        "baseline": baseline,
        "against": against,
        "prefectures_compared": len(both),
        "corr": corr,
        "mae_pp": float((both["gain_pp"] - both["mic_gain_pp"]).abs().mean()),
        "level_mae_pp": float((level["coverage_after_pct"] - level["mic_after_pct"]).abs().mean()),
        "level_prefectures": len(level),
        "rows": t.round(3).to_dict(orient="records"),
        "tuned": False,
    }
