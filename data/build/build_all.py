"""Rebuild every file of the embedded dataset in ``data/``.

Usage: ``python data/build/build_all.py [OUT_DIR]`` after
``pip install -e '.[build]'``. Steps run in order because later layers depend
on earlier ones: prefectures and population grid, then 5G stations and
candidate sites (calibrated on the grid), then data centres, backbone and
cables.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import infrastructure  # noqa: E402
import population  # noqa: E402
import stations  # noqa: E402


def main(out_dir: Path) -> None:
    """Run every build step into ``out_dir``."""
    for name, step in (
        ("population", population.main),
        ("stations", stations.main),
        ("infrastructure", infrastructure.build),
    ):
        t0 = time.perf_counter()
        step(out_dir)
        print(f"[{name}] done in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent)
