"""Benchmark the national coverage map: file size, build time and drawing time in Chromium.

Usage: ``python benchmarks/bench_maps.py [--plan-dir DIR]``. Without ``--plan-dir``
it draws today's national coverage (embedded dataset, no solving); with the
output folder of ``denen-gis plan`` it measures that run's ``coverage_map.html``
and ``infrastructure_map.html``. Goals (issue: maps): the national coverage map
under 10 MB and drawn in headless Chromium in under 3 s, with the network
blocked. Appends a JSON line to ``benchmarks/results/maps.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"


def draw_seconds(path: Path, repeats: int = 3) -> float:
    """Best of ``repeats`` loads of ``path`` until the layer control is drawn [s]."""
    from playwright.sync_api import sync_playwright

    best = float("inf")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for _ in range(repeats):
            page = browser.new_page()
            page.route(
                "**/*",
                lambda r: (
                    r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort()
                ),
            )
            start = time.perf_counter()
            page.goto(path.resolve().as_uri(), wait_until="load")
            page.wait_for_selector(".leaflet-control-layers", timeout=30000)
            best = min(best, time.perf_counter() - start)
            page.close()
        browser.close()
    return best


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan-dir", type=Path, default=None)
    args = parser.parse_args()
    record: dict[str, object] = {"when": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if args.plan_dir is None:
        from denen_gis.pipeline import prepare_inputs
        from denen_gis.plan_tables import prefecture_before_after
        from denen_gis.render import coverage_map, save_map

        t0 = time.perf_counter()
        inputs = prepare_inputs()
        t1 = time.perf_counter()
        by_pref = prefecture_before_after(
            inputs.before, inputs.before, inputs.prefectures, target_prefecture=None
        )
        m = coverage_map(
            inputs.grid.assign(covered_before=inputs.covered_before),
            inputs.prefectures,
            by_prefecture=by_pref,
            stations=inputs.stations,
        )
        path = save_map(m, Path(tempfile.mkdtemp()) / "coverage_map.html")
        record["build_s"] = round(time.perf_counter() - t1, 2)
        record["load_inputs_s"] = round(t1 - t0, 2)
        maps = {"coverage_today": path}
    else:
        maps = {
            name: args.plan_dir / f"{name}.html"
            for name in ("coverage_map", "infrastructure_map")
            if (args.plan_dir / f"{name}.html").is_file()
        }
    for name, path in maps.items():
        record[f"{name}_mb"] = round(path.stat().st_size / 1e6, 2)
        record[f"{name}_draw_s"] = round(draw_seconds(path), 2)
    print(json.dumps(record, indent=2))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    with (results / "maps.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
