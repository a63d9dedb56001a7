"""The census-grid build (data/build/population.py) on tiny fixtures made in code."""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from denen_gis.mesh import mesh_centroids

BUILD_DIR = Path(__file__).resolve().parents[2] / "data" / "build"


@pytest.fixture(scope="module")
def build():
    sys.path.insert(0, str(BUILD_DIR))
    try:
        spec = importlib.util.spec_from_file_location(
            "population_build", BUILD_DIR / "population.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BUILD_DIR))
    return module


def _estat_zip(path: Path, rows: list[str]) -> Path:
    codes = ",".join(f"T001141{i:03d}" for i in range(1, 51))
    labels = ",".join(["人口（総数）"] + ["　x"] * 32 + ["世帯総数"] + ["　y"] * 16)
    text = "\r\n".join([f"KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,{codes}", f",,,,{labels}", *rows])
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(path.with_suffix(".txt").name, (text + "\r\n").encode("cp932"))
    return path


def _row(code: str, pop: str, households: str, flag: str = "0") -> str:
    values = [pop] + ["0"] * 32 + [households] + ["0"] * 16
    return ",".join([code, flag, "", "", *values])


def test_households_are_read_from_the_same_cp932_file(build, tmp_path):
    path = _estat_zip(
        tmp_path / "tblT001141H5339.zip",
        [_row("533946111", "120", "50"), _row("533946112", "7", "-", flag="2")],
    )
    table = build._households(path)
    assert table["mesh_code"].tolist() == ["533946111", "533946112"]
    assert table["households"].tolist() == [50, 0]


def test_suppressed_households_stop_the_build(build, tmp_path):
    path = _estat_zip(tmp_path / "tblT001141H5339.zip", [_row("533946111", "120", "*")])
    with pytest.raises(SystemExit, match="suppressed"):
        build._households(path)


def test_cells_go_to_their_municipality_or_the_nearest(build):
    codes = np.array(["533946111", "533946112", "533946113", "533946114"])
    lon, lat = mesh_centroids(codes)
    west = shapely.box(lon[0] - 0.002, lat[0] - 0.002, lon[0] + 0.002, lat[0] + 0.002)
    east = shapely.box(lon[1] - 0.002, lat[1] - 0.002, lon[1] + 0.002, lat[1] + 0.002)
    munis = gpd.GeoDataFrame({"muni_code": ["13101", "13102"]}, geometry=[west, east], crs=6668)
    cells = pd.DataFrame({"mesh_code": codes})
    muni, nearest = build.assign_municipalities(cells, munis)
    # Cells 3 and 4 lie north of both boxes: the nearest box takes each.
    assert muni[:2].tolist() == ["13101", "13102"]
    assert nearest.tolist() == [False, False, True, True]
    for i in (2, 3):
        d = [shapely.distance(shapely.Point(lon[i], lat[i]), g) for g in (west, east)]
        assert muni[i] == ["13101", "13102"][int(np.argmin(d))]


def test_calibration_finds_the_threshold_closest_to_the_target_share(build, monkeypatch):
    # Two clusters of six 500 m cells (~0.27 km^2 each): A at 1,000 people per cell
    # (~3,700/km^2), B at 2,000 (~7,400/km^2), far apart; plus ten sparse cells.
    a = [f"53394611{q}" for q in (1, 2, 3, 4)] + ["533946121", "533946123"]
    b = [f"53394615{q}" for q in (1, 2, 3, 4)] + ["533946161", "533946163"]
    sparse = [f"5339468{c}1" for c in range(10)]
    codes = np.array(a + b + sparse)
    pop = np.array([1000] * 6 + [2000] * 6 + [10] * 10)
    target = 12_000 / pop.sum()  # only cluster B urban
    monkeypatch.setattr(build, "DID_SHARE_2020", target)
    threshold = build.calibrate_urban_threshold(codes, pop)
    assert build.urban_share(codes, pop, threshold) == pytest.approx(target)
    assert 3_600 < threshold < 7_600
    assert threshold == float(int(threshold))
