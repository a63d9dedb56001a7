"""``denen-gis data import ...``: real-layout fixtures in, layers out, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import box

from denen_gis.cli import main
from denen_gis.io.files import read_layer

HEADER = (
    "KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001140001,T001140002",
    ",,,,人口（総数）,人口（総数）　男",
)


def _estat(path: Path, rows: list[str]) -> Path:
    path.write_bytes(("\r\n".join([*HEADER, *rows]) + "\r\n").encode("cp932"))
    return path


def _n03(path: Path) -> Path:
    frame = gpd.GeoDataFrame(
        {
            "N03_001": ["新潟県", "新潟県"],
            "N03_002": [None, None],
            "N03_003": ["新潟市", None],
            "N03_004": ["北区", "上越市"],
            "N03_007": ["15101", "15222"],
        },
        geometry=[box(139.1, 37.85, 139.3, 37.95), box(138.0, 36.9, 138.4, 37.2)],
        crs=6668,
    )
    pyogrio.write_dataframe(frame, path, encoding="cp932")
    return path


def _telegeography(folder: Path, *, landing_lon: float = 138.25) -> tuple[Path, Path]:
    cables = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "id": "soj",
                    "name": "Sea of Japan",
                    "color": "#000",
                    "feature_id": "soj-0",
                },
                "geometry": {
                    "type": "MultiLineString",
                    "coordinates": [[[141.35, 43.2], [138.25, 37.18]]],
                },
            }
        ],
    }
    landings = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "ishikari", "name": "Ishikari, Japan", "is_tbd": False},
                "geometry": {"type": "Point", "coordinates": [141.35, 43.2]},
            },
            {
                "type": "Feature",
                "properties": {"id": "naoetsu", "name": "Naoetsu, Japan", "is_tbd": False},
                "geometry": {"type": "Point", "coordinates": [landing_lon, 37.18]},
            },
        ],
    }
    c, lp = folder / "cable-geo.json", folder / "landing-point-geo.json"
    c.write_text(json.dumps(cables))
    lp.write_text(json.dumps(landings))
    return c, lp


def _one_error_line(capfd: pytest.CaptureFixture[str], *needles: str) -> None:
    err = capfd.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("denen-gis: error:")
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_import_estat(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    a = _estat(
        tmp_path / "tblT001140H5339.txt",
        ["53394611,2,,53394612,1200,600", "53394612,1,53394611,,*,*"],
    )
    b = _estat(tmp_path / "tblT001140H5340.txt", ["53404600,0,,,30,15"])
    out = tmp_path / "grid.gpkg"
    assert main(["data", "import", "estat", str(a), str(b), "--out", str(out)]) == 0
    stdout = capfd.readouterr().out
    assert "3 cells, population 1,230" in stdout and "km²" in stdout
    grid = read_layer(out, "population")
    assert grid["population"].tolist() == [1200, 0, 30]


def test_import_estat_bad_value(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    a = _estat(tmp_path / "tblT001140H5339.txt", ["53394611,0,,,12,6", "53394612,0,,,-3,1"])
    out = tmp_path / "grid.gpkg"
    assert main(["data", "import", "estat", str(a), "--out", str(out)]) == 2
    _one_error_line(capfd, "tblT001140H5339.txt", "line 4", "T001140001", "negative")
    assert not out.exists()


def test_import_estat_failure_keeps_old_output(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    good = _estat(tmp_path / "good.txt", ["53394611,0,,,12,6"])
    bad = _estat(tmp_path / "bad.txt", ["9999,0,,,12,6"])
    out = tmp_path / "grid.parquet"
    assert main(["data", "import", "estat", str(good), "--out", str(out)]) == 0
    before = out.read_bytes()
    assert main(["data", "import", "estat", str(bad), "--out", str(out)]) == 2
    _one_error_line(capfd, "bad.txt", "line 3", "KEY_CODE")
    assert out.read_bytes() == before


def test_import_estat_missing_file(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "grid.gpkg"
    assert main(["data", "import", "estat", str(tmp_path / "none.txt"), "--out", str(out)]) == 2
    _one_error_line(capfd, "none.txt: file not found")


def test_import_n03(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    src = _n03(tmp_path / "N03-15.shp")
    src.with_suffix(".cpg").unlink()  # old releases: Shift_JIS without .cpg
    out = tmp_path / "municipalities.geojson"
    assert main(["data", "import", "n03", str(src), "--out", str(out)]) == 0
    stdout = capfd.readouterr().out
    assert "2 municipalities in 1 prefecture(s)" in stdout
    regions = read_layer(out, "regions")
    assert regions["name_ja"].tolist() == ["新潟市北区", "上越市"]


def test_import_n03_no_crs(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    src = _n03(tmp_path / "N03.shp")
    src.with_suffix(".prj").unlink()
    assert main(["data", "import", "n03", str(src), "--out", str(tmp_path / "o.gpkg")]) == 2
    _one_error_line(capfd, "N03.shp: the layer has no CRS")


def test_import_cables(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    c, lp = _telegeography(tmp_path)
    out = tmp_path / "cables.gpkg"
    args = [
        "data",
        "import",
        "cables",
        str(c),
        str(lp),
        "--out",
        str(out),
        "--bbox",
        "122,20,154,46",
    ]
    assert main(args) == 0
    stdout = capfd.readouterr().out
    assert "1 cables" in stdout and "2 landing points" in stdout
    assert sorted(pyogrio.list_layers(out)[:, 0]) == ["cables", "landings"]
    assert read_layer(out, "cables")["length_km"].iloc[0] == pytest.approx(720, rel=0.05)
    assert len(read_layer(out, "landings")) == 2


def test_import_cables_far_landing(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    c, lp = _telegeography(tmp_path, landing_lon=137.5)
    out = tmp_path / "cables.gpkg"
    assert main(["data", "import", "cables", str(c), str(lp), "--out", str(out)]) == 2
    _one_error_line(capfd, "landing-point-geo.json", "'naoetsu' (Naoetsu, Japan)")
    assert not out.exists()
    assert main(["data", "import", "cables", str(c), str(lp), "--out", str(out), "--no-check"]) == 0


@pytest.mark.parametrize(
    ("extra", "needle"),
    [(["--bbox", "1,2,3"], "--bbox '1,2,3'"), (["--out", "x.geojson"], "give a .gpkg file")],
)
def test_import_cables_bad_options(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], extra: list[str], needle: str
) -> None:
    c, lp = _telegeography(tmp_path)
    args = ["data", "import", "cables", str(c), str(lp), "--out", str(tmp_path / "o.gpkg"), *extra]
    assert main(args) == 2
    _one_error_line(capfd, needle)
