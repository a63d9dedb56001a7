"""Budget sweeps: the coverage and urban-rural gap against cost (the Pareto front).

The layers and the candidate coverage matrix of a scenario are prepared once
(:func:`denen_gis.pipeline.prepare_inputs`); each budget is one solve, run in
threads or on a Dask cluster.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from denen_gis.errors import InputError
from denen_gis.pipeline import PreparedRun, ProgressCallback, as_scenario, prepare_inputs
from denen_gis.scenario import Scenario

__all__ = ["sweep"]


def _sweep_one(inputs: PreparedRun, matrix: Any, budget_myen: float) -> dict[str, Any]:
    result = inputs.select(matrix, budget_myen=budget_myen)
    m = inputs.metrics(np.asarray(result.covered_after, dtype=bool))
    return {
        "budget_myen": float(budget_myen),
        "cost_myen": float(result.cost_myen),
        "new_sites": len(result.chosen),
        "coverage_pct": m.coverage_pct,
        "urban_pct": m.urban_pct,
        "rural_pct": m.rural_pct,
        "urban_rural_gap_pp": m.urban_rural_gap_pp,
        "lowest_pref": m.lowest_pref,
        "lowest_pref_pct": m.lowest_pref_pct,
        "gini": m.gini,
        "status": result.status,
        "gap": result.gap,
        "wall_time_s": result.wall_time_s,
    }


def sweep(
    scenario: Scenario | str | Path | None,
    budgets_myen: Iterable[float],
    *,
    parallel: int = 1,
    scheduler: str | None = None,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Run a budget-based 5G scenario across budgets: the coverage/gap-vs-cost table.

    The layers and the candidate coverage matrix are prepared once; each budget
    is one solve. Solves run ``parallel`` at a time in threads (OR-Tools
    releases the GIL while it solves), or on a Dask cluster when
    ``scheduler`` is given (``"local"`` for a local cluster, or a scheduler
    address; needs the ``[dask]`` extra).

    Returns
    -------
    pandas.DataFrame
        One row per budget, sorted by budget, with the row for budget 0 (today)
        first: ``budget_myen``, ``cost_myen``, ``new_sites``, ``coverage_pct``,
        ``urban_pct``, ``rural_pct``, ``urban_rural_gap_pp``, ``lowest_pref``,
        ``lowest_pref_pct``, ``gini``, ``status``, ``gap``, ``wall_time_s``, and
        ``pareto`` (no other budget gives more coverage for less cost).
    """
    s = as_scenario(scenario)
    if s.fiveg.objective not in ("coverage", "fairness"):
        msg = (
            f"{s.source}: a budget sweep needs fiveg.objective = 'coverage' or 'fairness', "
            f"not {s.fiveg.objective!r}"
        )
        raise InputError(msg)
    budgets = sorted({float(b) for b in budgets_myen})
    if not budgets or budgets[0] < 0:
        msg = "budgets: give one or more budgets >= 0 [million yen]"
        raise InputError(msg)
    if parallel < 1:
        msg = f"parallel: must be at least 1, got {parallel}"
        raise InputError(msg)
    report = progress or (lambda step, frac: None)
    report("load layers", 0.0)
    inputs = prepare_inputs(s)
    matrix = inputs.candidate_matrix()
    rows: list[dict[str, Any]] = []
    if scheduler is not None:
        rows = _sweep_dask(inputs, matrix, budgets, scheduler, report)
    else:
        from concurrent.futures import ThreadPoolExecutor, as_completed

        with ThreadPoolExecutor(max_workers=parallel) as pool:
            futures = [pool.submit(_sweep_one, inputs, matrix, b) for b in budgets]
            for done, fut in enumerate(as_completed(futures), start=1):
                rows.append(fut.result())
                report(f"budget {done}/{len(budgets)}", done / len(budgets))
    m0 = inputs.before
    today = {
        "budget_myen": 0.0,
        "cost_myen": 0.0,
        "new_sites": 0,
        "coverage_pct": m0.coverage_pct,
        "urban_pct": m0.urban_pct,
        "rural_pct": m0.rural_pct,
        "urban_rural_gap_pp": m0.urban_rural_gap_pp,
        "lowest_pref": m0.lowest_pref,
        "lowest_pref_pct": m0.lowest_pref_pct,
        "gini": m0.gini,
        "status": "TODAY",
        "gap": 0.0,
        "wall_time_s": 0.0,
    }
    table = pd.DataFrame([today, *[r for r in rows if r["budget_myen"] > 0]])
    table = table.sort_values("budget_myen", ignore_index=True)
    cost = table["cost_myen"].to_numpy()
    cov = table["coverage_pct"].to_numpy()
    table["pareto"] = [
        not np.any((cost <= c) & (cov > v) | (cost < c) & (cov >= v))
        for c, v in zip(cost, cov, strict=True)
    ]
    report("done", 1.0)
    return table


def _sweep_dask(
    inputs: PreparedRun, matrix: Any, budgets: list[float], scheduler: str, report: ProgressCallback
) -> list[dict[str, Any]]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        msg = "scheduler: Dask is not installed; pip install 'denen-gis[dask]'"
        raise InputError(msg) from None
    cluster = (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None)
        if scheduler == "local"
        else None
    )
    try:
        try:
            client = Client(cluster if cluster is not None else scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            msg = f"--dask {scheduler}: cannot reach the Dask scheduler ({exc}); check the address"
            raise InputError(msg) from None
        with client:
            [shared_inputs, shared_matrix] = client.scatter([inputs, matrix], broadcast=True)
            futures = [
                client.submit(_sweep_one, shared_inputs, shared_matrix, b, pure=False)
                for b in budgets
            ]
            rows = []
            for done, fut in enumerate(as_completed(futures), start=1):
                rows.append(fut.result())
                report(f"budget {done}/{len(budgets)}", done / len(budgets))
            return rows
    finally:
        if cluster is not None:
            cluster.close()
