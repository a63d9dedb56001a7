"""Benchmark the site explorer page: build time, file size, load time and click latency.

Usage: ``python benchmarks/bench_explorer.py [--prefecture 01] [--page FILE.html]``.
Builds the page for the prefecture (default Hokkaido, the largest) unless
``--page`` names one already written, then loads it in headless Chromium
(``/usr/bin/chromium``) with every request except ``file:``/``data:`` aborted.

Goals (issue 14): Hokkaido loads in at most 3 s (navigation to the page ready,
``body[data-ready]``, best of 3), answers a click in at most 100 ms (a real
mouse click on a candidate: from the browser's click event to the panel, map
and figures updated, and to the next animation frame; median of 10 clicks), and the file
stays at most 10 MB. Appends a JSON line to ``benchmarks/results/explorer.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _block(route) -> None:
    if route.request.url.startswith(("file:", "data:")):
        route.continue_()
    else:
        route.abort()


def measure_page(path: Path, *, loads: int = 3, clicks: int = 10) -> dict[str, object]:
    """Load time [s] (best of ``loads``) and click latencies [ms] of one explorer page."""
    from playwright.sync_api import sync_playwright

    out: dict[str, object] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        best = float("inf")
        for _ in range(loads):
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.route("**/*", _block)
            start = time.perf_counter()
            page.goto(path.resolve().as_uri(), wait_until="load")
            page.wait_for_selector("body[data-ready=true]", timeout=60000)
            best = min(best, time.perf_counter() - start)
            out["page_timings_ms"] = page.evaluate("window.denenExplorer.timings")
            page.close()
        out["load_s"] = round(best, 3)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.route("**/*", _block)
        page.goto(path.resolve().as_uri(), wait_until="load")
        page.wait_for_selector("body[data-ready=true]", timeout=60000)
        page.evaluate(
            "document.addEventListener('click', function () {"
            " window.__click = performance.now(); }, true)"
        )
        ids = page.evaluate("window.denenExplorer.state().selected")
        ids = (ids * clicks)[:clicks] if ids else []
        refresh, frame = [], []
        for sid in ids:
            page.evaluate(
                "void window.denenExplorer.map.setView("
                f"window.denenExplorer.siteLatLng({json.dumps(sid)}), 13, {{animate: false}})"
            )
            # let the frames of the move finish before the click is timed
            page.evaluate(
                "new Promise(function (r) { requestAnimationFrame(function () {"
                " requestAnimationFrame(function () { setTimeout(r, 200); }); }); })"
            )
            point = page.evaluate(f"window.denenExplorer.sitePoint({json.dumps(sid)})")
            before = page.evaluate("window.denenExplorer.lastFrame()")
            page.mouse.click(point["x"], point["y"])
            page.wait_for_function(f"window.denenExplorer.lastFrame() > {before}")
            down, done, painted = page.evaluate(
                "[window.__click, window.denenExplorer.lastRefresh(),"
                " window.denenExplorer.lastFrame()]"
            )
            refresh.append(done - down)
            frame.append(painted - down)
        if refresh:
            out["click_to_panel_ms"] = round(statistics.median(refresh), 1)
            out["click_to_frame_ms"] = round(statistics.median(frame), 1)
            out["click_to_frame_max_ms"] = round(max(frame), 1)
        out["toggle_ms"] = page.evaluate(
            "(function(){ var e = window.denenExplorer, id = e.state().selected[0] ||"
            " null; if (!id) { return null; } var t = performance.now(); e.toggle(id);"
            " e.toggle(id); return (performance.now() - t) / 2; })()"
        )
        out["suggest_ms"] = page.evaluate(
            "(function(){ var t = performance.now(); window.denenExplorer.suggest();"
            " return performance.now() - t; })()"
        )
        page.close()
        browser.close()
    return out


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefecture", default="01")
    parser.add_argument("--page", type=Path, default=None, help="An explorer page already built.")
    args = parser.parse_args()
    record: dict[str, object] = {"when": time.strftime("%Y-%m-%dT%H:%M:%S")}
    with tempfile.TemporaryDirectory() as tmp:
        path = args.page
        if path is None:
            from denen_gis.explorer import build_explorer, write_explorer

            start = time.perf_counter()
            data = build_explorer(prefectures=(args.prefecture,))
            record["build_s"] = round(time.perf_counter() - start, 1)
            start = time.perf_counter()
            path = write_explorer(data, Path(tmp) / "explorer.html")
            record["write_s"] = round(time.perf_counter() - start, 2)
            record.update(
                prefecture=args.prefecture,
                cells=len(data.inputs.grid),
                sites=len(data.site_ids),
                plan_sites=len(data.plan_site_ids),
            )
        record["page"] = str(args.page) if args.page else None
        record["size_mb"] = round(path.stat().st_size / 1e6, 2)
        record.update(measure_page(path))
    print(json.dumps(record))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    with (results / "explorer.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
