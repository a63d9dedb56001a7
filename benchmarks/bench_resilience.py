"""Benchmark the national resilience study: hazard scenarios and exhaustive N-2.

Usage: ``python benchmarks/bench_resilience.py``. Builds the national backbone
(with the Sea of Japan cable and the funded DCs), times the four hazard
scenarios in three cases and the exhaustive N-2 over every link, landing and
DC; appends a JSON line to ``benchmarks/results/resilience.jsonl``. The target
is N-2 <= 60 s on 2 cores.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

from denen_gis.infrastructure.steps import backbone, embedded_inputs
from denen_gis.infrastructure.studies import hazard_outcomes
from denen_gis.layers.hazards import builtin_hazards
from denen_gis.layers.shared_risk import failure_network, n_minus_k

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Run the benchmark."""
    inputs = embedded_inputs()
    existing = inputs.site_ids("existing")
    plan = existing + inputs.site_ids("funded")
    g0, g1 = backbone(inputs, include_planned=False), backbone(inputs)
    graphs = {
        "without_cable": (g0, existing),
        "with_cable": (g1, existing),
        "with_cable_and_plan_dcs": (g1, plan),
    }
    t0 = time.perf_counter()
    outcomes = hazard_outcomes(graphs, builtin_hazards())
    hazards_s = time.perf_counter() - t0
    net = failure_network(g1, sites=plan)
    t0 = time.perf_counter()
    n2 = n_minus_k(net, k=2)
    n2_s = time.perf_counter() - t0
    record = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "cpus": os.cpu_count(),
        "load_1min": round(os.getloadavg()[0], 1),
        "python": platform.python_version(),
        "nodes": g1.number_of_nodes(),
        "edges": g1.number_of_edges(),
        "elements": n2.elements,
        "n2_pairs": n2.pairs,
        "n2_s": round(n2_s, 2),
        "hazards_s": round(hazards_s, 2),
        "hazards": [h.id for h in outcomes],
        "n2_worst": n2.worst[0]["elements"],
    }
    print(json.dumps(record, indent=2))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    with (results / "resilience.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
