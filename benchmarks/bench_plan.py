"""Benchmark the main job: `denen-gis plan` on the embedded dataset.

Usage: ``python benchmarks/bench_plan.py [SCENARIO] [--out DIR]``. Runs the whole
pipeline (coverage, 5G model, DC and landing models, resilience, all outputs) in a
child process and reports wall time, per-step timings from ``plan.json`` and the
peak resident memory of the child; appends a JSON line to
``benchmarks/results/plan.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario TOML (default: the FY2030 run of denen-gis plan)",
    )
    parser.add_argument("--out", default=None, help="output folder (default: a temporary one)")
    args = parser.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp()) / "plan"
    cmd = [sys.executable, "-m", "denen_gis", "plan", "--quiet", "--out", str(out)]
    if args.scenario:
        cmd.insert(4, args.scenario)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    plan = json.loads((out / "plan.json").read_text())
    record = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "scenario": args.scenario or "default (FY2030, work limit 60)",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(peak_mb),
        "timings": {k: round(v, 2) for k, v in plan["timings"].items()},
        "fiveg": {k: plan["fiveg"][k] for k in ("status", "engine", "gap", "cost_myen")}
        if plan.get("fiveg")
        else None,
        "coverage_after_pct": plan["headline"]["coverage_after_pct"],
    }
    print(json.dumps(record, indent=2))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    with (results / "plan.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
