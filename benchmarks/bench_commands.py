"""Benchmark: ``denen-gis coverage`` and ``denen-gis data info`` end to end (issue 11 budgets).

Usage::

    python benchmarks/bench_commands.py [--repeat N]

Runs each command ``N`` times (default 2) in a fresh Python process, as a user
would (start-up and imports included), and prints the wall time and the peak
resident memory of each run against its budget: ``coverage --json`` 15 s,
``data info --json`` 5 s, both 2 GB. Appends one JSON line per run to
``benchmarks/results/commands.jsonl``; exits 1 when a run is over budget.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_data_info import run_once

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "commands.jsonl"
BUDGET_MB = 2048.0
#: Command -> wall-time budget [s].
COMMANDS = {
    "coverage --json": 15.0,
    "coverage --json --municipality 松江市": 15.0,
    "data info --json": 5.0,
}


def main() -> None:
    """Run every command, print and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    opts = parser.parse_args()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    over = []
    for command, budget_s in COMMANDS.items():
        for i in range(opts.repeat):
            res = run_once(command.split())
            if res["seconds_wall"] > budget_s or res["peak_rss_mb"] > BUDGET_MB:
                over.append(command)
            print(
                f"denen-gis {command} (run {i + 1}): {res['seconds_wall']:.2f} s wall "
                f"({res['seconds_in_process']:.2f} s after start-up), "
                f"peak {res['peak_rss_mb']:.0f} MB; budget {budget_s:g} s, {BUDGET_MB:g} MB"
            )
            record = {
                "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
                "command": f"denen-gis {command}",
                "run": i + 1,
                **res,
                "budget_s": budget_s,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "load_1min": os.getloadavg()[0],
            }
            with RESULTS.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    if over:
        raise SystemExit(f"over budget: {sorted(set(over))}")


if __name__ == "__main__":
    main()
