"""Sweeps: coverage against budget (the Pareto front) and cost against coverage target.

The layers and the candidate coverage matrix of a scenario are prepared once
(:func:`denen_gis.pipeline.prepare_inputs`); each budget or target is one
solve, run in threads or on a Dask cluster.

:func:`sweep` solves the scenario's budget model at each budget;
:func:`sweep_targets` solves the least cost at each national coverage target
(optionally with a per-prefecture floor), the cost of the last percent: the
cumulative cost curve and the marginal cost per person covered.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from denen_gis.errors import InfeasibleError, InputError
from denen_gis.optimize.coverage_models import solve_min_cost
from denen_gis.optimize.targets import Targets
from denen_gis.pipeline import PreparedRun, ProgressCallback, as_scenario, prepare_inputs
from denen_gis.scenario import Scenario
from denen_gis.scenario_checks import check_point_count

__all__ = [
    "marginal_costs",
    "sweep",
    "sweep_targets",
    "sweep_targets_arrays",
]


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


def _run_all(
    task: Callable[..., dict[str, Any]],
    shared: tuple[Any, ...],
    points: Sequence[Any],
    *,
    parallel: int,
    scheduler: str | None,
    report: ProgressCallback,
    label: str,
) -> list[dict[str, Any]]:
    """``task(*shared, point)`` for every point, in threads or on Dask; rows in any order."""
    if scheduler is not None:
        return _run_dask(task, shared, points, scheduler, report, label)
    from concurrent.futures import ThreadPoolExecutor, as_completed

    rows: list[dict[str, Any]] = []
    # OR-Tools and HiGHS release the GIL while they solve, so threads run in parallel.
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = [pool.submit(task, *shared, p) for p in points]
        for done, fut in enumerate(as_completed(futures), start=1):
            rows.append(fut.result())
            report(f"{label} {done}/{len(points)}", done / len(points))
    return rows


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
    address; needs the ``[dask]`` extra). At most :data:`MAX_SWEEP_POINTS` budgets.

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
    check_point_count(len(budgets), "budgets")
    _check_parallel(parallel)
    report = progress or (lambda step, frac: None)
    report("load layers", 0.0)
    inputs = prepare_inputs(s)
    matrix = inputs.candidate_matrix()
    rows = _run_all(
        _sweep_one,
        (inputs, matrix),
        budgets,
        parallel=parallel,
        scheduler=scheduler,
        report=report,
        label="budget",
    )
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


def _check_parallel(parallel: int) -> None:
    if parallel < 1:
        msg = f"parallel: must be at least 1, got {parallel}"
        raise InputError(msg)


def _check_targets(targets_pct: Iterable[float], floor_pct: float | None) -> list[float]:
    try:
        targets = sorted({round(float(t), 9) for t in targets_pct})
    except (TypeError, ValueError):
        msg = "targets_pct: give coverage targets as numbers in percent (e.g. 98.5)"
        raise InputError(msg) from None
    if not targets:
        msg = "targets_pct: give one or more national coverage targets [%]"
        raise InputError(msg)
    check_point_count(len(targets), "targets")
    bad = [t for t in targets if not 0 < t <= 100]
    if bad:
        msg = f"targets_pct: {bad[0]:g} is not a coverage target; use percent in (0, 100]"
        raise InputError(msg)
    if floor_pct is not None and not 0 < floor_pct <= 100:
        msg = f"floor_pct: {floor_pct:g} is not a prefecture floor; use percent in (0, 100]"
        raise InputError(msg)
    return targets


def _unreachable(target_pct: float, exc: InfeasibleError) -> dict[str, Any]:
    """The row of a target out of reach: the best coverage every allowed site gives."""
    best = exc.best
    total = best[best["kind"] == "total"]["share_after"]
    prefs = best[best["kind"] == "prefecture"]
    lowest = prefs.loc[prefs["share_after"].idxmin()] if len(prefs) else None
    covered = float(best[best["kind"] == "total"]["covered_after"].iloc[0])
    return {
        "target_pct": target_pct,
        "reachable": False,
        "cost_myen": math.nan,
        "new_sites": 0,
        "coverage_pct": 100.0 * float(total.iloc[0]),
        "people_covered": covered,
        "lowest_pref": None if lowest is None else str(lowest["group"]),
        "lowest_pref_pct": math.nan if lowest is None else 100.0 * float(lowest["share_after"]),
        "status": "UNREACHABLE",
        "gap": math.nan,
        "wall_time_s": 0.0,
    }


def _target_arrays_one(
    coverage: Any, population: np.ndarray, costs_myen: np.ndarray, options: dict, target: float
) -> dict[str, Any]:
    floor = options.pop("floor_pct", None)
    targets = Targets(
        national=target / 100.0, per_prefecture=None if floor is None else floor / 100
    )
    try:
        res = solve_min_cost(coverage, population, costs_myen, targets=targets, **options)
    except InfeasibleError as exc:
        return _unreachable(target, exc)
    pop = np.asarray(population, dtype=float)
    covered = float(pop[np.asarray(res.covered_after, dtype=bool)].sum())
    return {
        "target_pct": target,
        "reachable": True,
        "cost_myen": float(res.cost_myen),
        "new_sites": len(res.chosen),
        "coverage_pct": 100.0 * covered / float(pop.sum()),
        "people_covered": covered,
        "status": res.status,
        "gap": res.gap,
        "wall_time_s": res.wall_time_s,
    }


def sweep_targets_arrays(
    coverage: sp.spmatrix | np.ndarray,
    population: np.ndarray,
    costs_myen: np.ndarray,
    targets_pct: Iterable[float],
    *,
    covered_before: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    floor_pct: float | None = None,
    time_limit_s: float = 60.0,
    parallel: int = 1,
) -> pd.DataFrame:
    """Least cost at each national coverage target on plain arrays (core of :func:`sweep_targets`).

    Parameters
    ----------
    coverage
        (n_cells x n_sites) bool matrix: site j covers cell i.
    population
        Population per cell [persons].
    costs_myen
        Cost per site [million yen].
    targets_pct
        National coverage targets [%] (people already covered included).
    covered_before, groups
        Cells covered today; group (prefecture) code per cell for ``floor_pct``.
    floor_pct
        Coverage every group must reach [%] at each target (``None``: no floor).
    time_limit_s, parallel
        Time limit per solve [s]; solves at a time (threads).

    Returns
    -------
    pandas.DataFrame
        As :func:`marginal_costs` returns it.

    Examples
    --------
    >>> import numpy as np
    >>> cov = np.array([[1, 0], [0, 1]], dtype=bool)
    >>> t = sweep_targets_arrays(cov, np.array([6.0, 4.0]), np.array([3.0, 1.0]), [40, 60, 100])
    >>> t["cost_myen"].tolist(), t["marginal_yen_per_person"].round().tolist()
    ([1.0, 3.0, 4.0], [250000.0, 1000000.0, 250000.0])
    """
    targets = _check_targets(targets_pct, floor_pct)
    _check_parallel(parallel)
    pop = np.asarray(population, dtype=float)
    before = np.zeros(pop.size, dtype=bool) if covered_before is None else covered_before
    options = {
        "covered_before": before,
        "groups": groups,
        "time_limit_s": time_limit_s,
        "floor_pct": floor_pct,
    }

    def task(t: float) -> dict[str, Any]:
        return _target_arrays_one(coverage, pop, costs_myen, dict(options), t)

    rows = _run_all(
        task, (), targets, parallel=parallel, scheduler=None, report=lambda *_: None, label=""
    )
    people0 = float(pop[np.asarray(before, dtype=bool)].sum())
    return marginal_costs(pd.DataFrame(rows), people_before=people0)


def marginal_costs(table: pd.DataFrame, *, people_before: float) -> pd.DataFrame:
    """Sort by target, keep costs non-decreasing, add the marginal and average cost per person.

    A solution for a higher target also meets every lower one, so a lower
    target whose solve stopped at a dearer answer (a time limit) takes the
    cheaper one; ``solved_at_pct`` says which target's solution each row shows.

    Parameters
    ----------
    table
        One row per target: ``target_pct``, ``reachable``, ``cost_myen``,
        ``people_covered`` [persons] and any other columns.
    people_before
        People covered today [persons].

    Returns
    -------
    pandas.DataFrame
        ``table`` sorted by ``target_pct`` with ``solved_at_pct``,
        ``people_added`` [persons], ``marginal_cost_myen`` (cost over the
        previous reachable target, or today for the first),
        ``marginal_people`` [persons], ``marginal_yen_per_person`` (``nan``
        when no one is added) and ``average_yen_per_person`` (cost over
        people added since today). Unreachable rows have ``nan`` costs.
    """
    out = table.sort_values("target_pct", ignore_index=True).copy()
    out["solved_at_pct"] = out["target_pct"].astype(float)
    reach = np.flatnonzero(out["reachable"].to_numpy(dtype=bool))
    for pos in range(len(reach) - 2, -1, -1):
        i, j = reach[pos], reach[pos + 1]
        if out.at[j, "cost_myen"] < out.at[i, "cost_myen"]:
            keep = ["target_pct", "reachable"]
            for col in out.columns.difference(keep):
                out.at[i, col] = out.at[j, col]
    nan = np.full(len(out), np.nan)
    out["people_added"] = out["people_covered"].astype(float) - people_before
    out["marginal_cost_myen"], out["marginal_people"] = nan.copy(), nan.copy()
    prev_cost, prev_people = 0.0, people_before
    for i in reach:
        cost, people = float(out.at[i, "cost_myen"]), float(out.at[i, "people_covered"])
        out.at[i, "marginal_cost_myen"] = cost - prev_cost
        out.at[i, "marginal_people"] = people - prev_people
        prev_cost, prev_people = cost, people
    with np.errstate(divide="ignore", invalid="ignore"):
        dpeople = out["marginal_people"].to_numpy(dtype=float)
        added = out["people_added"].to_numpy(dtype=float)
        out["marginal_yen_per_person"] = np.where(
            dpeople > 0, 1e6 * out["marginal_cost_myen"].to_numpy(dtype=float) / dpeople, np.nan
        )
        out["average_yen_per_person"] = np.where(
            added > 0, 1e6 * out["cost_myen"].to_numpy(dtype=float) / added, np.nan
        )
    out.loc[~out["reachable"].to_numpy(dtype=bool), "people_added"] = np.nan
    return out


def _target_one(inputs: PreparedRun, matrix: Any, point: tuple[float, float | None]) -> dict:
    target, floor = point
    s = inputs.scenario
    fiveg = replace(
        s.fiveg,
        enabled=True,
        objective="min-cost",
        budget_myen=None,
        target_national=target / 100.0,
        target_prefecture=None if floor is None else floor / 100.0,
    )
    run = replace(inputs, scenario=replace(s, fiveg=fiveg))
    try:
        result = run.select(matrix)
    except InfeasibleError as exc:
        return _unreachable(target, exc)
    covered = np.asarray(result.covered_after, dtype=bool)
    m = inputs.metrics(covered)
    return {
        "target_pct": target,
        "reachable": True,
        "cost_myen": float(result.cost_myen),
        "new_sites": len(result.chosen),
        "coverage_pct": m.coverage_pct,
        "people_covered": float(inputs.population[covered].sum()),
        "lowest_pref": m.lowest_pref,
        "lowest_pref_pct": m.lowest_pref_pct,
        "status": result.status,
        "gap": result.gap,
        "wall_time_s": result.wall_time_s,
    }


def sweep_targets(
    scenario: Scenario | str | Path | None,
    targets_pct: Iterable[float],
    *,
    floor_pct: float | None = None,
    parallel: int = 1,
    scheduler: str | None = None,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Least cost at each national coverage target: the cost of the last percent.

    The scenario's layers, candidates, radio settings, included/excluded sites,
    rural target and solver limits are used; its national and per-prefecture
    targets are replaced by each ``targets_pct`` and by ``floor_pct``. Solves
    run as in :func:`sweep` (threads, or Dask with ``scheduler``). A target
    beyond what every candidate reaches is a row with ``reachable`` false,
    status ``UNREACHABLE`` and the best reachable coverage, not an error.

    Parameters
    ----------
    scenario
        Scenario, TOML path or ``None`` (the defaults).
    targets_pct
        National coverage targets [%], at most :data:`MAX_SWEEP_POINTS`.
    floor_pct
        Coverage every prefecture of the region must also reach [%].
    parallel, scheduler, progress
        As in :func:`sweep`.

    Returns
    -------
    pandas.DataFrame
        One row per target (sorted): ``target_pct``, ``reachable``,
        ``cost_myen`` (cumulative, new sites), ``new_sites``, ``coverage_pct``,
        ``people_covered``, ``lowest_pref``, ``lowest_pref_pct``, ``status``,
        ``gap``, ``wall_time_s`` and the columns of :func:`marginal_costs`
        (``marginal_yen_per_person`` is the cost of each additional person).
    """
    s = as_scenario(scenario)
    targets = _check_targets(targets_pct, floor_pct)
    _check_parallel(parallel)
    report = progress or (lambda step, frac: None)
    report("load layers", 0.0)
    inputs = prepare_inputs(s)
    matrix = inputs.candidate_matrix()
    rows = _run_all(
        _target_one,
        (inputs, matrix),
        [(t, floor_pct) for t in targets],
        parallel=parallel,
        scheduler=scheduler,
        report=report,
        label="target",
    )
    people0 = float(inputs.population[np.asarray(inputs.covered_before, dtype=bool)].sum())
    report("done", 1.0)
    return marginal_costs(pd.DataFrame(rows), people_before=people0)


def _run_dask(
    task: Callable[..., dict[str, Any]],
    shared: tuple[Any, ...],
    points: Sequence[Any],
    scheduler: str,
    report: ProgressCallback,
    label: str,
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
            scattered = client.scatter(list(shared), broadcast=True) if shared else []
            futures = [client.submit(task, *scattered, p, pure=False) for p in points]
            rows = []
            for done, fut in enumerate(as_completed(futures), start=1):
                rows.append(fut.result())
                report(f"{label} {done}/{len(points)}", done / len(points))
            return rows
    finally:
        if cluster is not None:
            cluster.close()
