"""Measure how many seconds one work unit of the 5G models takes on this machine.

A work-limited 5G solve (``work_limit=``, ``[scenario] work_limit``) counts
PDLP iterations, MIP nodes and local-search steps in units that
:mod:`denen_gis.optimize.effort` converts from the model's size at fixed rates,
chosen so that a unit is about one second on the reference machine. This
script runs the models on a work clock and prints, per kind of phase, the
units charged, the seconds spent and their ratio (seconds per unit): near 1 on
the reference machine, larger on a slower one. The plans do not depend on it.

Instances: the national FY2030 least-cost model on the embedded data (the main
job), and random 5k x 500 budgeted-coverage instances at coverage degree 2 and
10 (``bench_optimize.make_instance``).

Usage::

    python benchmarks/calibrate_work.py [--work 20] [--no-national]

Appends a JSON line to ``benchmarks/results/work_calibration.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_optimize import make_instance  # noqa: E402

from denen_gis.optimize import effort, solve_max_coverage  # noqa: E402


def _phases(clock: effort.WorkClock) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = defaultdict(lambda: {"units": 0.0, "seconds": 0.0, "n": 0})
    for kind, units, seconds in clock.phases:
        out[kind]["units"] += units
        out[kind]["seconds"] += seconds
        out[kind]["n"] += 1
    for row in out.values():
        row["s_per_unit"] = row["seconds"] / row["units"] if row["units"] > 0 else float("nan")
    return dict(out)


def _random(degree: float, work: float) -> dict:
    inst = make_instance(5_000, 500, seed=0, degree=degree)
    t = time.perf_counter()
    with effort.work_clock(work, wall_limit_s=20 * work) as clock:
        res = solve_max_coverage(
            inst["coverage"],
            inst["population"],
            inst["costs_myen"],
            budget_myen=inst["budget_myen"],
            covered_before=inst["covered_before"],
            groups=inst["pref_code"],
            time_limit_s=20 * work,
        )
    return {
        "instance": f"random 5k x 500, degree {degree:g}, varied costs",
        "wall_s": round(time.perf_counter() - t, 2),
        "units": round(clock.used, 3),
        "gap": res.gap,
        "stopped_by_time_limit": clock.stopped_by_time_limit,
        "phases": _phases(clock),
    }


def _national(work: float) -> dict:
    from denen_gis.prepare import prepare_inputs
    from denen_gis.scenario import fy2030_scenario

    s = fy2030_scenario()
    s = replace(s, run=replace(s.run, time_limit_s=20 * work))
    run = prepare_inputs(s)
    matrix = run.candidate_matrix()
    t = time.perf_counter()
    with effort.work_clock(work, wall_limit_s=20 * work) as clock:
        res = run.select(matrix)
    return {
        "instance": "national FY2030 least cost (embedded data)",
        "wall_s": round(time.perf_counter() - t, 2),
        "units": round(clock.used, 3),
        "gap": res.gap,
        "stopped_by_time_limit": clock.stopped_by_time_limit,
        "phases": _phases(clock),
    }


def main() -> None:
    """Run the calibration."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=float, default=20.0, help="work limit [units]")
    parser.add_argument("--no-national", action="store_true", help="random instances only")
    args = parser.parse_args()
    runs = [_random(2.0, args.work), _random(10.0, args.work)]
    if not args.no_national:
        runs.append(_national(args.work))
    record = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "cpus": os.cpu_count(),
        "load_1min": os.getloadavg()[0],
        "python": platform.python_version(),
        "work_limit": args.work,
        "runs": runs,
    }
    for r in runs:
        print(f"{r['instance']}: {r['units']:.2f} units in {r['wall_s']:.1f} s")
        for kind, row in r["phases"].items():
            print(
                f"  {kind:6s} {row['n']:3d} calls {row['units']:8.3f} units "
                f"{row['seconds']:8.2f} s  {row['s_per_unit']:6.2f} s/unit"
            )
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    with (results / "work_calibration.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
