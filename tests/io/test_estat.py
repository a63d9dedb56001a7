"""e-Stat grid-square census files: real layout (CP932, CRLF, two headers), bad inputs."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from denen_gis.errors import InputError
from denen_gis.geodesy import box_area_km2
from denen_gis.io.estat import parse_estat_text, read_estat_mesh, read_population_grid
from denen_gis.io.files import write_layer
from denen_gis.mesh import (
    LEVEL_DIGITS,
    LEVEL_SIZE_DEG,
    mesh_bounds,
    mesh_from_indices,
    mesh_parent,
)

from .conftest import (
    ESTAT_LEVEL_LETTER,
    ESTAT_TABLES,
    estat_bytes,
    estat_cells,
    estat_header,
    estat_row,
    write_estat,
)

HEADER_2015_500M = (
    "KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T000847001,T000847002,T000847003",
    ",,,,人口（総数）,男,女",
)


def test_reads_real_layout(estat_5339: Path, caplog: pytest.LogCaptureFixture) -> None:
    raw = estat_5339.read_bytes()
    assert b"\r\n" in raw and "人口（総数）".encode("cp932") in raw
    with caplog.at_level(logging.INFO, logger="denen_gis.io.estat"):
        grid = read_estat_mesh(estat_5339)
    assert grid["mesh_code"].tolist() == ["53394611", "53394612", "53394621"]
    # 2020 secrecy: the merged cell (HTKSYORI 2) keeps its totals, breakdown '*'
    assert grid["population"].tolist() == [1200, 3, 35]
    assert grid["households"].tolist() == [600, 2, 20]
    assert grid["population"].dtype == np.int64 and grid["households"].dtype == np.int64
    assert grid.crs.to_epsg() == 6668
    assert "suppressed population" not in caplog.text
    assert "1 cells have their breakdown merged" in caplog.text
    np.testing.assert_allclose(grid["area_km2"], box_area_km2(*mesh_bounds(grid["mesh_code"])))
    # Tokyo Station lies in the first cell
    assert grid.geometry.iloc[0].bounds == pytest.approx(
        (139.7625, 35.675, 139.775, 35.68333), abs=1e-5
    )


def test_suppressed_total_is_zero(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rows = [
        estat_row("53394611", 1200, htksyori=1, gassan="53394612"),
        estat_row("53394612", "*", htksyori=2, saki="53394611"),
        estat_row("53394621", 35),
    ]
    path = write_estat(tmp_path / "old.txt", rows)
    with caplog.at_level(logging.WARNING, logger="denen_gis.io.estat"):
        grid = read_estat_mesh(path)
    assert grid["population"].tolist() == [1200, 0, 35]
    assert "households" not in grid.columns
    assert "1 of 3 cells have suppressed population" in caplog.text
    assert "in no file read" not in caplog.text


def test_merge_into_a_cell_of_another_file_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_estat(
        tmp_path / "edge.txt",
        [estat_row("53394699", "*", htksyori=2, saki="53404600"), estat_row("53394611", 5)],
    )
    with caplog.at_level(logging.WARNING, logger="denen_gis.io.estat"):
        grid = read_estat_mesh(path)
    assert grid["population"].tolist() == [0, 5]
    assert "1 merged cells name a receiving cell (HTKSAKI) in no file read, e.g. 53404600" in (
        caplog.text
    )


def test_bad_secrecy_flag(tmp_path: Path) -> None:
    path = write_estat(tmp_path / "f.txt", [estat_row("53394611", 5, htksyori=7)])
    with pytest.raises(InputError, match=r"f\.txt: line 3, column HTKSYORI has '7'"):
        read_estat_mesh(path)


def test_population_column_found_by_label_not_code(tmp_path: Path) -> None:
    # 2015 500 m: item codes T000847...; columns reordered: label in the 6th column
    header = ("KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T000847002,T000847001", ",,,,　男,人口（総数）")
    path = write_estat(
        tmp_path / "tblT000847Q5339.txt",
        [["533946111", 0, "", "", 5, 11], ["533946114", 0, "", "", 1, 2]],
        header=header,
    )
    table = parse_estat_text(path.read_bytes().decode("cp932"), source=str(path))
    assert table.item_code == "T000847001"
    grid = read_estat_mesh(path)
    assert grid["population"].tolist() == [11, 2]


@pytest.mark.parametrize(("code", "level"), [("53394611", 3), ("533946114", 4), ("5339461143", 5)])
def test_levels(tmp_path: Path, code: str, level: int) -> None:
    path = write_estat(tmp_path / "t.txt", [estat_row(code, 7)])
    grid = read_estat_mesh(path)
    assert grid["mesh_code"].tolist() == [code]
    assert grid["area_km2"].iloc[0] == pytest.approx(1.03 / 4 ** (level - 3), rel=0.05)


def test_zip_and_many_files_concatenate(tmp_path: Path, estat_5339: Path) -> None:
    other = estat_bytes([estat_row("53404600", 10), estat_row("53404601", "-")])
    zpath = tmp_path / "tblT001140H5340.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("tblT001140H5340.txt", other)
    with pytest.raises(InputError, match="no total-households column"):
        read_estat_mesh([estat_5339, zpath], require_households=True)
    grid = read_estat_mesh([estat_5339, zpath])
    assert len(grid) == 5
    assert int(grid["population"].sum()) == 1248
    assert "households" not in grid.columns  # the second file has none
    assert read_estat_mesh(str(zpath))["mesh_code"].tolist() == ["53404600", "53404601"]


def test_label_with_halfwidth_parentheses_and_utf8(tmp_path: Path) -> None:
    header = ("KEY_CODE,T001140001", ",人口(総数)")
    path = write_estat(tmp_path / "u.txt", [["53394611", 3]], header=header, encoding="utf-8")
    assert read_estat_mesh(path)["population"].tolist() == [3]


def test_duplicate_code_names_both_files(tmp_path: Path, estat_5339: Path) -> None:
    second = write_estat(
        tmp_path / "again.txt", [estat_row("53394699", 1), estat_row("53394621", 4)]
    )
    with pytest.raises(InputError) as err:
        read_estat_mesh([estat_5339, second])
    msg = str(err.value)
    assert "'53394621' appears twice" in msg
    assert f"{estat_5339} line 5" in msg and f"{second} line 4" in msg


def test_mixed_levels_across_files(tmp_path: Path, estat_5339: Path) -> None:
    half = write_estat(tmp_path / "half.txt", [estat_row("533946114", 1)])
    with pytest.raises(InputError, match=r"tblT001140S5339\.txt holds level-3 .*half\.txt level-4"):
        read_estat_mesh([estat_5339, half])


def test_utf16_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "tblT001140H5339.txt"
    path.write_bytes(estat_bytes([estat_row("53394611", 1)]).decode("cp932").encode("utf-16"))
    with pytest.raises(InputError, match=r"tblT001140H5339\.txt: is UTF-16 or binary"):
        read_estat_mesh(path)


def test_binary_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    rng = np.random.default_rng(3)
    path.write_bytes(bytes(rng.integers(0, 256, 2000, dtype=np.uint8)))
    with pytest.raises(InputError, match=r"data\.txt: (is UTF-16 or binary|line \d+ is not CP932)"):
        read_estat_mesh(path)


def test_undecodable_line_named(tmp_path: Path) -> None:
    good = estat_bytes([estat_row("53394611", 1)])
    path = tmp_path / "bad.txt"
    path.write_bytes(good + b"53394612,0,,,\x81\x7f\xfd\r\n")  # invalid CP932 on line 4
    with pytest.raises(InputError, match=r"bad\.txt: line 4 is not CP932"):
        read_estat_mesh(path)


def test_no_population_column_lists_columns(tmp_path: Path) -> None:
    header = ("KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001102034,T001102035", ",,,,世帯総数,一般世帯数")
    path = write_estat(tmp_path / "households.txt", [["53394611", 0, "", "", 5, 5]], header=header)
    with pytest.raises(InputError) as err:
        read_estat_mesh(path)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}: no total-population column: no label 人口（総数）/人口総数")
    assert "columns seen: [HTKSYORI=, HTKSAKI=, GASSAN=, T001102034=世帯総数, T001102035=" in msg
    assert msg.endswith("use a 人口及び世帯 table such as tblT001141 (2020 500 m)")


def test_code_and_label_that_disagree(tmp_path: Path) -> None:
    # T001102001 is the total population of the 2020 250 m table, not households
    header = ("KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001102001", ",,,,世帯総数")
    path = write_estat(tmp_path / "h.txt", [["5339461111", 0, "", "", 5]], header=header)
    with pytest.raises(
        InputError,
        match=r"h\.txt: item T001102001 is the total population .*"
        r"labels it '世帯総数'",
    ):
        read_estat_mesh(path)


def test_not_an_estat_file(tmp_path: Path) -> None:
    path = tmp_path / "other.txt"
    path.write_text("a,b\r\n1,2\r\n", encoding="cp932")
    with pytest.raises(InputError, match=r"other\.txt: line 1 should start with KEY_CODE"):
        read_estat_mesh(path)


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ("abc", "has 'abc', not a number"),
        ("-5", "is -5, a negative population"),
        ("2.5", "not a whole number"),
        ("", "has '', not a number"),
        ("1e19", "is 1e19, more than 10,000,000 people in one cell"),
        ("9223372036854775808", "more than 10,000,000 people"),
    ],
)
def test_bad_population_value(tmp_path: Path, value: str, pattern: str) -> None:
    path = write_estat(tmp_path / "v.txt", [estat_row("53394611", 1), estat_row("53394612", value)])
    with pytest.raises(InputError) as err:
        read_estat_mesh(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: line 4, column T001140001 (人口（総数）)")
    assert pattern in msg


def test_short_row(tmp_path: Path) -> None:
    path = write_estat(tmp_path / "s.txt", [estat_row("53394611", 1), ["53394612", 0]])
    with pytest.raises(InputError, match=r"s\.txt: line 4 has too few columns to hold T001140001"):
        read_estat_mesh(path)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("99994611", "unknown mesh code"),
        ("5339461X", "not a digit"),
        ("533946114", "9 digits where the file has 8-digit codes"),
        ("53399611", "unknown mesh code"),
    ],
)
def test_unknown_mesh_code_names_line(tmp_path: Path, code: str, reason: str) -> None:
    path = write_estat(
        tmp_path / "m.txt", [estat_row("53394611", 1), estat_row("53394612", 2), estat_row(code, 3)]
    )
    with pytest.raises(InputError) as err:
        read_estat_mesh(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: line 5, column KEY_CODE: mesh code {code!r}")
    assert reason in msg


def test_missing_file_and_bad_zip(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.txt: file not found"):
        read_estat_mesh(tmp_path / "missing.txt")
    bad = tmp_path / "x.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError, match=r"x\.zip: not a readable zip"):
        read_estat_mesh(bad)
    empty = tmp_path / "e.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("readme.pdf", b"%PDF")
    with pytest.raises(InputError, match=r"e\.zip: the zip holds no \.txt"):
        read_estat_mesh(empty)
    with pytest.raises(InputError, match="no files given"):
        read_estat_mesh([])


def test_bad_zip_member_named(tmp_path: Path) -> None:
    zpath = tmp_path / "z.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("tblT001140H5339.txt", estat_bytes([estat_row("53394611", "x")]))
    with pytest.raises(InputError, match=r"z\.zip:tblT001140H5339\.txt: line 3, column T001140001"):
        read_estat_mesh(zpath)


def test_headers_only_is_an_error(tmp_path: Path) -> None:
    path = write_estat(tmp_path / "h.txt", [])
    with pytest.raises(InputError, match=r"h\.txt: no cells"):
        read_estat_mesh(path)


# --- read_population_grid dispatch -------------------------------------------------------


def test_population_grid_dispatch(tmp_path: Path, estat_5339: Path) -> None:
    from_estat = read_population_grid(estat_5339)
    assert len(from_estat) == 3

    csv = tmp_path / "grid.csv"
    pd.DataFrame(
        {
            "mesh_code": ["53394611", "53394612"],
            "population": [5, 6],
            "pref_code": ["13", "13"],
            "urban": [True, False],
        }
    ).to_csv(csv, index=False)
    from_csv = read_population_grid(csv)
    assert from_csv["pref_code"].tolist() == ["13", "13"]
    assert from_csv["urban"].tolist() == [True, False]
    assert from_csv["area_km2"].iloc[0] == pytest.approx(1.03, rel=0.02)

    layer = tmp_path / "grid.parquet"
    write_layer(from_csv, layer, kind="population")
    assert read_population_grid(layer)["population"].tolist() == [5, 6]
    assert len(read_population_grid([estat_5339])) == 3


def test_population_grid_csv_errors(tmp_path: Path) -> None:
    csv = tmp_path / "g.csv"
    pd.DataFrame({"mesh": ["53394611"], "population": [1]}).to_csv(csv, index=False)
    with pytest.raises(InputError, match=r"g\.csv: missing column 'mesh_code'"):
        read_population_grid(csv)
    pd.DataFrame({"mesh_code": ["53394611", "1234"], "population": [1, 2]}).to_csv(csv, index=False)
    with pytest.raises(InputError, match=r"g\.csv: column 'mesh_code'"):
        read_population_grid(csv)
    pd.DataFrame({"mesh_code": ["53394611", "53394612"], "population": [1, -2]}).to_csv(
        csv, index=False
    )
    with pytest.raises(InputError, match=r"g\.csv: column 'population' row 1 is -2"):
        read_population_grid(csv)
    csv.write_bytes("mesh_code,population\r\n53394611,人\r\n".encode("cp932"))
    with pytest.raises(InputError, match=r"g\.csv: not UTF-8"):
        read_population_grid(csv)


def test_population_grid_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"g\.xls: unknown population file type"):
        read_population_grid(tmp_path / "g.xls")
    with pytest.raises(InputError, match="several population files"):
        read_population_grid([tmp_path / "a.csv", tmp_path / "b.csv"])


# --- every census layout: 2010, 2015, 2020 at 1 km, 500 m and 250 m ------------------------


@pytest.mark.parametrize("packed", ["txt", "zip"])
@pytest.mark.parametrize(("year", "level"), sorted(ESTAT_TABLES))
def test_every_vintage_and_level(tmp_path: Path, year: int, level: int, packed: str) -> None:
    name = f"tbl{ESTAT_TABLES[(year, level)]}{ESTAT_LEVEL_LETTER[level]}5339"
    data = estat_bytes(estat_cells(year, level), header=estat_header(year, level))
    assert b"\r\n" in data
    data.decode("cp932")  # real CP932 text
    if packed == "txt":
        path = tmp_path / f"{name}.txt"
        path.write_bytes(data)
        source = str(path)
    else:
        path = tmp_path / f"{name}.zip"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr(f"{name}.txt", data)
        source = f"{path}:{name}.txt"
    table = parse_estat_text(data.decode("cp932"), source=source)
    assert table.item_code == f"{ESTAT_TABLES[(year, level)]}001"
    assert table.census == (year, level)
    assert table.household_item is not None
    grid = read_estat_mesh(path)
    merged = 3 if year == 2020 else 0  # 2020 keeps a merged cell's total; older tables show '*'
    assert grid["population"].tolist() == [1200, merged, 35, 1]
    assert grid["households"].tolist() == [600, 2 if year == 2020 else 0, 20, 0]
    assert {len(c) for c in grid["mesh_code"]} == {LEVEL_DIGITS[level]}
    dlat, dlon = LEVEL_SIZE_DEG[level]
    west, south, east, north = grid.geometry.iloc[0].bounds
    assert (north - south, east - west) == pytest.approx((dlat, dlon), abs=1e-9)
    assert float(grid["area_km2"].iloc[0]) == pytest.approx(1.03 / 4 ** (level - 3), rel=0.05)


_POPULATION_VARIANTS = [
    "人口（総数）",
    "　人口（総数）",
    "人口(総数)",
    "人口（総数) ",
    "人口総数",
    "人口　総数",
    " 人口 総数 ",
    "ｼﾞﾝｺｳ",  # not a variant: found by the item code instead
]


@pytest.mark.parametrize("label", _POPULATION_VARIANTS)
@pytest.mark.parametrize("hh_label", ["世帯総数", "　世帯総数", "世帯　総数", "世帯数"])
def test_label_variants(tmp_path: Path, label: str, hh_label: str) -> None:
    # columns in an unusual order, so that only the label or code can find them
    header = (
        "KEY_CODE,T000847002,T000847099,T000847001",
        f",人口（総数）　男,{hh_label},{label}",
    )
    path = write_estat(tmp_path / "v.txt", [["533946111", 5, 4, 11]], header=header)
    table = parse_estat_text(path.read_bytes().decode("cp932"), source=str(path))
    assert table.item_code == "T000847001"
    assert table.household_item == "T000847099"
    grid = read_estat_mesh(path)
    assert grid["population"].tolist() == [11]
    assert grid["households"].tolist() == [4]


@pytest.mark.parametrize("label", ["人口（総数）　男", "人口総数　女", "男", "総数"])
def test_labels_that_are_not_the_total(tmp_path: Path, label: str) -> None:
    header = ("KEY_CODE,T999999002", f",{label}")
    path = write_estat(tmp_path / "m.txt", [["53394611", 5]], header=header)
    with pytest.raises(InputError, match="no total-population column"):
        read_estat_mesh(path)


def test_population_found_by_code_when_labels_are_blank(tmp_path: Path) -> None:
    header = ("KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T000608001,T000608004", ",,,,,")
    path = write_estat(tmp_path / "b.txt", [["53394611", 0, "", "", 9, 4]], header=header)
    grid = read_estat_mesh(path)
    assert grid["population"].tolist() == [9]
    assert grid["households"].tolist() == [4]


def test_bad_household_value(tmp_path: Path) -> None:
    header = estat_header(2015, 4)
    rows = estat_cells(2015, 4)
    rows[2][-1] = "x"
    path = write_estat(tmp_path / "tblT000847H5339.txt", rows, header=header)
    with pytest.raises(
        InputError,
        match=r"line 5, column T000847025 \(世帯総数\) has 'x', not a number of households",
    ):
        read_estat_mesh(path)


def test_table_and_level_disagree_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_estat(tmp_path / "t.txt", estat_cells(2020, 5), header=estat_header(2020, 4))
    with caplog.at_level(logging.WARNING, logger="denen_gis.io.estat"):
        read_estat_mesh(path)
    assert "belongs to the 2020 500 m table but the file holds 250 m mesh codes" in caplog.text


# --- properties of the mesh arithmetic -----------------------------------------------------


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    level=st.sampled_from([3, 4, 5]),
    year=st.sampled_from([2010, 2015, 2020]),
    cells=st.lists(
        st.tuples(st.integers(0, 319), st.integers(0, 319), st.integers(0, 10**6)),
        min_size=1,
        max_size=30,
        unique_by=lambda c: (c[0], c[1]),
    ),
)
def test_cells_round_trip(
    tmp_path: Path, level: int, year: int, cells: list[tuple[int, int, int]]
) -> None:
    # cells of 1st-order mesh 5339 at `level`: indices inside it, then codes
    n = {3: 80, 4: 160, 5: 320}[level]
    cells = list({(r % n, c % n): p for r, c, p in cells}.items())
    row0, col0 = 53 * n, 39 * n
    rows = np.array([row0 + r for (r, _), _ in cells])
    cols = np.array([col0 + c for (_, c), _ in cells])
    codes = mesh_from_indices(rows, cols, level)
    pops = [p for _, p in cells]
    width = len(estat_header(year, level)[0].split(",")) - 4
    body = [[code, 0, "", "", p, *([0] * (width - 1))] for code, p in zip(codes, pops, strict=True)]
    path = write_estat(tmp_path / f"p{level}{year}.txt", body, header=estat_header(year, level))
    grid = read_estat_mesh(path)
    assert grid["mesh_code"].tolist() == codes.tolist()
    assert grid["population"].tolist() == pops
    assert all(c.startswith("5339") for c in grid["mesh_code"])
    # the polygon is the cell named by the code, and the parent 1 km cell holds it
    west, south, east, north = mesh_bounds(grid["mesh_code"])
    np.testing.assert_allclose(grid.bounds.to_numpy(), np.c_[west, south, east, north], atol=1e-9)
    parents = mesh_parent(grid["mesh_code"].to_numpy(dtype=str), 3)
    pw, ps, pe, pn = mesh_bounds(parents)
    assert (pw <= west + 1e-9).all() and (ps <= south + 1e-9).all()
    assert (pe >= east - 1e-9).all() and (pn >= north - 1e-9).all()
    # people are conserved when aggregated to 1 km
    by_km = grid.groupby(parents)["population"].sum()
    assert int(by_km.sum()) == sum(pops)
