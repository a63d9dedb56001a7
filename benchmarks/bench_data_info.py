"""Benchmark: ``denen-gis data info`` on the embedded dataset (budget 5 s, 2 GB).

Usage::

    python benchmarks/bench_data_info.py [--repeat N] [--args "data info --json"]

Runs the command ``N`` times (default 3) in a fresh Python process each time,
as a user would, and prints the wall time and the peak resident memory of each
run; appends one JSON line per run to ``benchmarks/results/data_info.jsonl``.
Exits 1 when a run exceeds the budget.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "data_info.jsonl"
BUDGET_S = 5.0
BUDGET_MB = 2048.0

#: Runs the CLI in a child and reports its own peak RSS (ru_maxrss is in kB on Linux).
_CHILD = (
    "import resource, sys, time\n"
    "t0 = time.perf_counter()\n"
    "from denen_gis.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    "print(f'@@BENCH {time.perf_counter() - t0:.3f} "
    "{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} {code}', file=sys.stderr)\n"
)


def run_once(args: list[str]) -> dict[str, float]:
    """Wall time (whole process) and peak RSS [MB] of one run."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - t0
    line = next(x for x in proc.stderr.splitlines() if x.startswith("@@BENCH"))
    _, inner, rss, code = line.split()
    if int(code) != 0:
        raise SystemExit(f"command failed ({code}): {proc.stderr[-2000:]}")
    return {
        "seconds_wall": round(wall, 3),
        "seconds_in_process": float(inner),
        "peak_rss_mb": float(rss),
    }


def main() -> None:
    """Parse the options, run, record."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--args", default="data info --json", help="CLI arguments to time")
    opts = parser.parse_args()
    args = shlex.split(opts.args)
    over = False
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    for i in range(opts.repeat):
        res = run_once(args)
        over |= res["seconds_wall"] > BUDGET_S or res["peak_rss_mb"] > BUDGET_MB
        record = {
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "denen-gis " + " ".join(args),
            "run": i + 1,
            **res,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
        }
        print(
            f"run {i + 1}: {res['seconds_wall']:.2f} s wall "
            f"({res['seconds_in_process']:.2f} s after start-up), "
            f"peak {res['peak_rss_mb']:.0f} MB"
        )
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
    if over:
        raise SystemExit(f"over budget ({BUDGET_S:g} s, {BUDGET_MB:g} MB)")


if __name__ == "__main__":
    main()
