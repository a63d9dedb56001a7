"""Layer files: round trips over every format, bad files, atomic writes."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Point

import denen_gis.io.files as files
import denen_gis.io.outdir as outdir
from denen_gis.errors import InputError
from denen_gis.io.files import (
    atomic_path,
    read_layer,
    read_vector,
    write_layer,
    write_layers,
    write_text_atomic,
)
from denen_gis.io.outdir import MARKER, atomic_directory

from .conftest import sample_layers

ALL_EXTS = [".gpkg", ".geojson", ".parquet", ".shp"]


def _norm(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Same column order, object text and int64 ints, for comparing across formats."""
    out = frame[[*sorted(c for c in frame.columns if c != "geometry"), "geometry"]].copy()
    # Shapefiles store rings clockwise: compare normalised geometries.
    out["geometry"] = shapely.normalize(out.geometry.to_numpy())
    for c in out.columns:
        if c == "geometry":
            continue
        if out[c].dtype.kind in "iu":
            out[c] = out[c].astype("int64")
        elif out[c].dtype.kind not in "fb":
            out[c] = out[c].astype(str).astype(object)
    return out


@pytest.mark.parametrize("ext", ALL_EXTS)
@pytest.mark.parametrize("kind", ["population", "landings", "cables"])
def test_round_trip(tmp_path: Path, ext: str, kind: str) -> None:
    layer = sample_layers()[kind]
    path = tmp_path / f"layer{ext}"
    write_layer(layer, path, kind=kind)
    back = read_layer(path, kind)
    expected = files.validate_layer(layer, kind)
    assert back.crs.to_epsg() == 6668
    assert_geodataframe_equal(_norm(back), _norm(expected), check_crs=True, check_geom_type=False)


def test_round_trip_keeps_japanese_text_in_shapefile(tmp_path: Path) -> None:
    layer = sample_layers()["landings"]
    write_layer(layer, tmp_path / "l.shp")
    assert read_layer(tmp_path / "l.shp", "landings")["name"].tolist() == ["直江津"]


@pytest.mark.parametrize("encoding", ["cp932", "utf-8"])
def test_shapefile_without_cpg_is_decoded(tmp_path: Path, encoding: str) -> None:
    layer = sample_layers()["landings"]
    path = tmp_path / "old.shp"
    pyogrio.write_dataframe(layer, path, encoding=encoding)
    path.with_suffix(".cpg").unlink()
    assert read_vector(path)["name"].tolist() == ["直江津"]


def test_transforms_from_4326(tmp_path: Path) -> None:
    layer = sample_layers()["landings"].set_crs(4326, allow_override=True)
    pyogrio.write_dataframe(layer, tmp_path / "l.gpkg")
    assert read_layer(tmp_path / "l.gpkg", "landings").crs.to_epsg() == 6668


def test_missing_file_named(tmp_path: Path) -> None:
    path = tmp_path / "nope.gpkg"
    with pytest.raises(InputError, match=r"nope\.gpkg: file not found"):
        read_layer(path, "population")


@pytest.mark.parametrize("ext", ALL_EXTS)
def test_unreadable_file_named(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"broken{ext}"
    path.write_bytes(b"\x00\x01not a layer at all\xff" * 10)
    with pytest.raises(InputError, match=rf"broken\{ext}: cannot read it"):
        read_layer(path, "population")


def test_unknown_extension_named(tmp_path: Path) -> None:
    path = tmp_path / "grid.xlsx"
    path.write_bytes(b"x")
    with pytest.raises(InputError, match=r"grid\.xlsx: unknown layer file extension '\.xlsx'"):
        read_layer(path, "population")
    with pytest.raises(InputError, match=r"grid\.kml"):
        write_layer(sample_layers()["landings"], tmp_path / "grid.kml")


def test_schema_error_names_file(tmp_path: Path) -> None:
    layer = sample_layers()["population"].drop(columns="population")
    write_layer(layer, tmp_path / "g.gpkg")
    with pytest.raises(InputError, match=r"g\.gpkg: missing column 'population'"):
        read_layer(tmp_path / "g.gpkg", "population")


def test_multilayer_gpkg(tmp_path: Path) -> None:
    layers = sample_layers()
    path = tmp_path / "two.gpkg"
    write_layers(
        {"cables": layers["cables"], "landings": layers["landings"]},
        path,
        kinds={"cables": "cables", "landings": "landings"},
    )
    assert sorted(pyogrio.list_layers(path)[:, 0]) == ["cables", "landings"]
    assert len(read_layer(path, "cables")) == 2  # picked by kind
    assert len(read_layer(path, "landings", layer="landings")) == 1
    with pytest.raises(InputError, match=r"two\.gpkg: holds 2 layers"):
        read_layer(path, "population")


def test_write_validates_when_kind_given(tmp_path: Path) -> None:
    bad = sample_layers()["population"].assign(population=[-1, 3])
    path = tmp_path / "g.gpkg"
    with pytest.raises(InputError, match="below the minimum"):
        write_layer(bad, path, kind="population")
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", ALL_EXTS)
def test_failed_write_leaves_old_file(
    tmp_path: Path, ext: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    layers = sample_layers()
    path = tmp_path / f"out{ext}"
    write_layer(layers["landings"], path, kind="landings")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(frame: gpd.GeoDataFrame, target: Path, *args: object, **kw: object) -> None:
        Path(target).write_bytes(b"half a file")  # a partial write, then failure
        raise OSError("disk full")

    monkeypatch.setattr(files, "_write_one", broken)
    with pytest.raises(InputError, match=rf"out\{ext}: cannot write it \(disk full\)"):
        write_layer(layers["landings"].assign(name=["other"]), path, kind="landings")
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before
    monkeypatch.undo()
    assert read_layer(path, "landings")["name"].tolist() == ["直江津"]


def test_write_layers_failure_leaves_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layers = sample_layers()
    path = tmp_path / "two.gpkg"
    write_layers({"cables": layers["cables"]}, path)
    before = path.read_bytes()
    real = pyogrio.write_dataframe
    calls = []

    def second_fails(frame: gpd.GeoDataFrame, target: Path, **kw: object) -> None:
        calls.append(kw["layer"])
        if len(calls) == 2:
            raise RuntimeError("crash")
        real(frame, target, **kw)

    monkeypatch.setattr(files.pyogrio, "write_dataframe", second_fails)
    with pytest.raises(RuntimeError, match="crash"):
        write_layers({"cables": layers["cables"], "landings": layers["landings"]}, path)
    assert calls == ["cables", "landings"]
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["two.gpkg"]


def test_atomic_path_success_and_error(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".txt" and not tmp.exists()
        tmp.write_text("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new"
    with pytest.raises(ZeroDivisionError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        _ = 1 / 0
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_path_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"), atomic_path(tmp_path / "x" / "a"):
        pass


def test_write_text_atomic(tmp_path: Path) -> None:
    write_text_atomic(tmp_path / "t.json", "{}")
    write_text_atomic(tmp_path / "t.json", "日本")
    assert (tmp_path / "t.json").read_text(encoding="utf-8") == "日本"
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]


def test_atomic_directory(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "old.html").write_text("old")
    (out / MARKER).write_text("")  # a previous denen-gis output
    with atomic_directory(out) as tmp:
        assert tmp.parent == tmp_path and tmp.is_dir()
        assert [p.name for p in tmp.iterdir()] == [MARKER]
        (tmp / "index.html").write_text("new")
        assert (out / "old.html").exists()
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "index.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["site"]

    with pytest.raises(RuntimeError), atomic_directory(out) as tmp:
        (tmp / "half.html").write_text("half")
        raise RuntimeError("render failed")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "index.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_atomic_directory_new_and_rename_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "new"
    with atomic_directory(out) as tmp:
        (tmp / "a").write_text("a")
    assert (out / "a").read_text() == "a"

    real = outdir.os.replace
    seen: list[Path] = []

    def fail_second(src: Path, dst: Path) -> None:
        seen.append(Path(dst))
        if len(seen) == 2:  # the old folder moved aside, then the swap fails
            raise OSError("rename failed")
        real(src, dst)

    monkeypatch.setattr(outdir.os, "replace", fail_second)
    with pytest.raises(OSError, match="rename failed"), atomic_directory(out) as tmp:
        (tmp / "b").write_text("b")
    monkeypatch.undo()
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "a"]
    assert [p.name for p in tmp_path.iterdir()] == ["new"]


def test_atomic_directory_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="not a folder"), atomic_directory(tmp_path / "f"):
        pass


def test_read_vector_gives_raw_columns(tmp_path: Path) -> None:
    g = gpd.GeoDataFrame({"anything": [1]}, geometry=[Point(0, 0)], crs=4326)
    pyogrio.write_dataframe(g, tmp_path / "x.geojson")
    assert read_vector(tmp_path / "x.geojson")["anything"].tolist() == [1]


def _long_names() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"pref_name_ja": ["鳥取県"], "municipality_code": ["31201"]},
        geometry=[Point(134.2, 35.5)],
        crs=6668,
    )


def test_shapefile_field_names_cut_are_one_log_line_not_python_warnings(tmp_path, caplog):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning escaping would fail here
        with caplog.at_level("WARNING", logger="denen_gis.io.files"):
            write_layer(_long_names(), tmp_path / "x.shp")
    notes = [r.getMessage() for r in caplog.records]
    assert len(notes) == 1
    assert "'pref_name_ja' to 'pref_name_'" in notes[0]
    assert "'municipality_code' to 'municipali'" in notes[0]


def test_a_failed_shapefile_write_says_nothing_of_field_names(tmp_path, caplog, monkeypatch):
    real = pyogrio.write_dataframe

    def short(frame, path, **kwargs):  # a full disk that GDAL does not report
        real(frame.iloc[:0], path, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", short)
    with caplog.at_level("WARNING", logger="denen_gis.io.files"), pytest.raises(InputError):
        write_layer(_long_names(), tmp_path / "x.shp")
    assert caplog.records == []
