"""Benchmark the 5G site-selection models on the real national instance.

Builds the national model from the packaged Japan data (1 km population grid,
existing stations, candidate sites; ~6 s) and solves, each in a fresh forked
process so that ``peak_mb`` (max RSS) is its own:

- least cost to FY2025 targets (national 0.97, every prefecture 0.90);
- least cost to FY2030 targets (national 0.99, every prefecture 0.99);
- maximal coverage at three budgets;
- max-min fairness (prefectures) at one budget;
- a three-year rollout (20,000 million yen a year), year by year with the
  yearly-relaxation bound, and the same with the whole multi-year MIP handed to
  SCIP (the engine before, for comparison);
- Tohoku (6 prefectures) maximal coverage with ``rural_weight=2`` at 20,000
  million yen and a 20 s limit.

Rows are appended to ``benchmarks/results/national.jsonl`` and printed as a
markdown table.

Usage::

    python benchmarks/bench_national.py --time-limit 60
    python benchmarks/bench_national.py --only min-cost-fy2025 coverage-50000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "national.jsonl"

CASES = {
    "min-cost-fy2025": {"objective": "min-cost", "targets": (0.97, 0.90)},
    "min-cost-fy2030": {"objective": "min-cost", "targets": (0.99, 0.99)},
    "coverage-20000": {"objective": "coverage", "budget_myen": 20_000.0},
    "coverage-50000": {"objective": "coverage", "budget_myen": 50_000.0},
    "coverage-100000": {"objective": "coverage", "budget_myen": 100_000.0},
    "fairness-50000": {"objective": "fairness", "budget_myen": 50_000.0},
    "rollout-3x20000": {
        "objective": "rollout",
        "yearly_budgets_myen": {2026: 20_000.0, 2027: 20_000.0, 2028: 20_000.0},
    },
    "rollout-3x20000-whole-mip": {
        "objective": "rollout",
        "yearly_budgets_myen": {2026: 20_000.0, 2027: 20_000.0, 2028: 20_000.0},
        "whole_mip": True,
    },
    "tohoku-coverage-rw2-20000": {
        "objective": "coverage",
        "budget_myen": 20_000.0,
        "rural_weight": 2.0,
        "prefectures": ("02", "03", "04", "05", "06", "07"),
        "time_limit_s": 20.0,
    },
}


def _instance() -> dict:
    from denen_gis.io.japan import load_candidates, load_population_grid, load_stations
    from denen_gis.layers.coverage import compute_coverage, site_coverage_matrix

    g = load_population_grid()
    st = load_stations()
    c = load_candidates()
    covered = compute_coverage(g, st).cells["covered"].to_numpy()
    return {
        "coverage": site_coverage_matrix(g, c).tocsr(),
        "population": g.population.to_numpy(),
        "costs_myen": c.cost_myen.to_numpy(),
        "site_ids": c.site_id.tolist(),
        "pref_code": g.pref_code.to_numpy(),
        "urban": g.urban.to_numpy(),
        "covered_before": covered,
    }


_INSTANCE: dict = {}


def _run(args: tuple[str, float]) -> dict:
    from denen_gis.optimize import Targets, select_sites

    name, time_limit = args
    case = CASES[name]
    inst = dict(_INSTANCE)
    cov = inst.pop("coverage")
    time_limit = case.get("time_limit_s", time_limit)
    if "prefectures" in case:
        rows = np.isin(inst["pref_code"].astype(str), case["prefectures"])
        cov = cov[np.flatnonzero(rows)]
        for key in ("population", "pref_code", "urban", "covered_before"):
            inst[key] = inst[key][rows]
    kw: dict = {"objective": case["objective"], "time_limit_s": time_limit}
    if "rural_weight" in case:
        kw["rural_weight"] = case["rural_weight"]
    if "targets" in case:
        national, pref = case["targets"]
        kw["targets"] = Targets(national=national, per_prefecture=pref)
    elif "budget_myen" in case:
        kw["budget_myen"] = case["budget_myen"]
    t0 = time.perf_counter()
    if case["objective"] == "rollout":
        from denen_gis.optimize import rollout

        if case.get("whole_mip"):
            rollout.ROLLOUT_MIP_SITES = 10**12
        inst.pop("site_ids")
        res = rollout.solve_rollout(
            cov,
            inst.pop("population"),
            inst.pop("costs_myen"),
            yearly_budgets_myen=case["yearly_budgets_myen"],
            covered_before=inst["covered_before"],
            urban=inst["urban"],
            groups=inst["pref_code"],
            time_limit_s=time_limit,
        )
    else:
        res = select_sites(cov, **inst, **kw)
    total = time.perf_counter() - t0
    return {
        "case": name,
        "time_limit_s": time_limit,
        "total_s": round(total, 2),
        "objective": res.objective,
        "objective_name": res.objective_name,
        "bound": res.best_bound,
        "gap": res.gap,
        "status": res.status,
        "engine": res.engine,
        "sites_chosen": int(res.chosen.size),
        "cost_myen": res.cost_myen,
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "demands_after": res.size_after.cells,
        "sites_after": res.size_after.sites,
        "pairs_after": res.size_after.nonzeros,
        "lp_s": res.details.get("lp_s"),
        "min_share": res.details.get("min_share"),
        "min_share_bound": res.details.get("min_share_bound"),
    }


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="per solve [s]")
    parser.add_argument("--only", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    _INSTANCE.update(_instance())
    print(f"instance built in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    ctx = mp.get_context("fork")
    rows = []
    for name in args.only:
        with ctx.Pool(1) as pool:
            rows.append(pool.apply(_run, ((name, args.time_limit),)))
        print(json.dumps(rows[-1]), file=sys.stderr)
    if not args.no_save:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a") as fh:
            for row in rows:
                fh.write(json.dumps({"when": stamp, "machine": platform.node(), **row}) + "\n")
    cols = ["case", "total_s", "objective", "bound", "gap", "status", "engine", "peak_mb"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(_fmt(row.get(c)) for c in cols) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
