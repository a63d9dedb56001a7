"""Make the README screenshot of the site explorer (``docs/img/explorer.png``).

Usage: ``python benchmarks/screenshot_explorer.py [--prefecture 32] [--out docs/img/explorer.png]``.
Runs ``denen-gis explore --prefecture 32`` (Shimane, the optimizer's plan
preselected), opens the page in headless Chromium (``/usr/bin/chromium``) with
every request except ``file:``/``data:`` aborted, asks the page once for
"suggest the next site" so that the message and a new site show, shows the
Izumo-Matsue plain at zoom 10 (``--view``) and saves a 1400 x 860 screenshot.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def main() -> None:
    """Write the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefecture", default="32")
    parser.add_argument("--lang", default="en")
    parser.add_argument(
        "--view", default="35.40,132.85,10", help="lat,lon,zoom of the screenshot (Izumo-Matsue)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "explorer.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from denen_gis.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "explorer.html"
        code = cli(
            ["explore", "--prefecture", args.prefecture, "--lang", args.lang,
             "--out", str(page_path)]
        )  # fmt: skip
        if code:
            raise SystemExit(code)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            page.route(
                "**/*",
                lambda r: (
                    r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort()
                ),
            )
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_selector("body[data-ready=true]", timeout=60000)
            lat, lon, zoom = (float(v) for v in args.view.split(","))
            page.evaluate(
                "(function () { var e = window.denenExplorer; e.suggest();"
                f" e.map.setView([{lat}, {lon}], {zoom}, {{animate: false}}); }})()"
            )
            page.wait_for_timeout(1500)  # let the frames of the move finish
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
