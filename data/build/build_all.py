"""Rebuild every file of the embedded dataset in ``data/`` from the official sources.

Usage::

    python data/build/build_all.py [--estat-dir DIR] [--n03-dir DIR]
                                   [--preliminary CSV] [--out DIR]

Defaults (relative to the repository root): ``../shared/data/estat_census2020_mesh500``
(the 151 e-Stat files of the 2020 census 500 m mesh), ``../shared/data/n03_2021``
(MLIT N03 2021 TopoJSON) and
``../shared/data/census2020_municipal_population_preliminary.csv``; output ``data/``.
Only this build reads those folders; the package never does.

Steps run in order because later layers depend on earlier ones: population
grid, prefectures and municipalities (official, with every check of
``data/SOURCES.md``), then the modelled 5G stations and candidate sites
(calibrated on the grid), then data centres, backbone and cables. The result is
byte-for-byte deterministic (``--check-twice`` builds twice and compares).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import infrastructure  # noqa: E402
import population  # noqa: E402
import stations  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
DEFAULT_ESTAT = SHARED / "estat_census2020_mesh500"
DEFAULT_N03 = SHARED / "n03_2021"
DEFAULT_PRELIMINARY = SHARED / "census2020_municipal_population_preliminary.csv"
#: Files written by the build (the hand-compiled sources stay in data/build/sources).
BUILT_FILES = (
    "population_500m.parquet",
    "prefectures.parquet",
    "municipalities.parquet",
    "stations_5g.parquet",
    "candidates_5g.parquet",
    "stations_4g.parquet",
    "fiveg_calibration.csv",
    "hubs.csv",
    "backbone_links.csv",
    "cables.parquet",
    "landings.parquet",
    "datacenters.parquet",
)


STEPS = ("population", "stations", "infrastructure")


def build(
    out_dir: Path, estat_dir: Path, n03_dir: Path, preliminary: Path, only: str | None = None
) -> None:
    """Run every build step (or only ``only``) into ``out_dir``."""
    for name, step in (
        ("population", lambda: population.build(out_dir, estat_dir, n03_dir, preliminary)),
        ("stations", lambda: stations.main(out_dir)),
        ("infrastructure", lambda: infrastructure.build(out_dir)),
    ):
        if only is not None and name != only:
            continue
        t0 = time.perf_counter()
        step()
        print(f"[{name}] done in {time.perf_counter() - t0:.1f} s", flush=True)


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every built file in ``folder``."""
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in BUILT_FILES}


def main(argv: list[str] | None = None) -> None:
    """Parse the options and build."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--estat-dir",
        type=Path,
        default=DEFAULT_ESTAT,
        help="folder of the 151 e-Stat files tblT001141H*.zip "
        "(default: ../shared/data/estat_census2020_mesh500 from the repository root)",
    )
    parser.add_argument(
        "--n03-dir",
        type=Path,
        default=DEFAULT_N03,
        help="folder of the N03 2021 TopoJSON files "
        "(default: ../shared/data/n03_2021 from the repository root)",
    )
    parser.add_argument(
        "--preliminary",
        type=Path,
        default=DEFAULT_PRELIMINARY,
        help="e-Stat 2020 preliminary counts by municipality (default: "
        "../shared/data/census2020_municipal_population_preliminary.csv from the repository root)",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "data", help="output folder (default: data/)"
    )
    parser.add_argument(
        "--check-twice",
        action="store_true",
        help="build a second time into a temporary folder and require identical sha256",
    )
    parser.add_argument(
        "--step",
        choices=STEPS,
        default=None,
        help="run only this step, on the outputs of the earlier steps already in --out",
    )
    args = parser.parse_args(argv)
    if args.step in (None, "population"):
        for path in (args.estat_dir, args.n03_dir, args.preliminary):
            if not path.exists():
                parser.error(f"{path} does not exist (see data/SOURCES.md for the sources)")
    build(args.out, args.estat_dir, args.n03_dir, args.preliminary, args.step)
    if args.step is not None:
        return
    first = digests(args.out)
    for name, digest in first.items():
        print(f"{digest}  {name}")
    if args.check_twice:
        with tempfile.TemporaryDirectory() as tmp:
            build(Path(tmp), args.estat_dir, args.n03_dir, args.preliminary)
            second = digests(Path(tmp))
        differ = [n for n in BUILT_FILES if first[n] != second[n]]
        if differ:
            raise SystemExit(f"the build is not deterministic: {', '.join(differ)} differ")
        print("second build identical (sha256)")


if __name__ == "__main__":
    main()
