"""Make the README screenshots of a plan's maps (coverage and infrastructure).

Usage: ``python benchmarks/screenshot_maps.py PLAN_FOLDER [--out-dir docs/img]`` after
``denen-gis plan --out PLAN_FOLDER``. Opens ``coverage_map.html`` and
``infrastructure_map.html`` of that folder in headless Chromium (``/usr/bin/chromium``)
with every request except ``file:``/``data:`` aborted (the pages are offline) and saves
a 1400 x 900 screenshot of each.
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PAGES = ("coverage_map", "infrastructure_map")


def main() -> None:
    """Write the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan_folder", type=Path)
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort(),
        )
        for name in PAGES:
            html = args.plan_folder / f"{name}.html"
            if not html.is_file():
                raise SystemExit(f"{html}: not found; run denen-gis plan --out {args.plan_folder}")
            page.goto(html.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(2500)  # let Leaflet draw the layers
            out = args.out_dir / f"{name}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
            print(f"wrote {out}")
        browser.close()


if __name__ == "__main__":
    main()
