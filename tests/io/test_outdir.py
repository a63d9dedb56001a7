"""Output folders and writes that never lose a user's files (issue 16).

The full-disk and read-only cases mount a private tmpfs; where the machine
does not allow mounting (no root, no CAP_SYS_ADMIN) they are skipped.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from denen_gis.errors import InputError
from denen_gis.io.files import write_csv_atomic, write_layer, write_layers, write_text_atomic
from denen_gis.io.outdir import MARKER, atomic_directory, check_output_folder


def _points(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(0)
    return gpd.GeoDataFrame(
        {"site_id": [f"S{i}" for i in range(n)], "value": np.arange(n)},
        geometry=shapely.points(135 + rng.random(n), 35 + rng.random(n)),
        crs=6668,
    )


def _mount(path: Path, *options: str) -> bool:
    path.mkdir(exist_ok=True)
    opts = ",".join(("size=256k", *options))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True, check=False
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A private 256 KiB tmpfs, unmounted after the test."""
    mnt = tmp_path / "disk"
    try:
        mounted = _mount(mnt)
    except FileNotFoundError:
        mounted = False
    if not mounted:
        pytest.skip("cannot mount a private tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(disk: Path) -> None:
    try:
        with (disk / "filler").open("wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError:  # the disk is full
        pass


# --- the output folder ----------------------------------------------------------


def test_foreign_folder_is_refused_and_kept(tmp_path: Path) -> None:
    out = tmp_path / "Documents"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work")
    with pytest.raises(InputError, match=r"did not write.*--force"):
        check_output_folder(out)
    with pytest.raises(InputError, match="did not write"), atomic_directory(out) as tmp:
        (tmp / "plan.json").write_text("{}")
    assert (out / "thesis.docx").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Documents"]


def test_force_replaces_a_foreign_folder(tmp_path: Path) -> None:
    out = tmp_path / "old"
    out.mkdir()
    (out / "stale.txt").write_text("x")
    with atomic_directory(out, force=True) as tmp:
        (tmp / "plan.json").write_text("{}")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "plan.json"]


def test_previous_output_and_empty_folder_are_replaced(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    out.mkdir()
    with atomic_directory(out) as tmp:  # empty folder
        (tmp / "a.csv").write_text("1")
    with atomic_directory(out) as tmp:  # our own output, marked
        (tmp / "b.csv").write_text("2")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "b.csv"]


def test_folder_holding_the_scenario_is_refused_even_with_force(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text("")
    (tmp_path / MARKER).write_text("")
    for force in (False, True):
        with pytest.raises(InputError, match=r"s\.toml, an input"):
            check_output_folder(tmp_path, force=force, protect=[scenario, None])
    assert scenario.exists()


@pytest.mark.parametrize("name", [".", "..", "", "maps/.."])
def test_names_that_are_not_folders(name: str) -> None:
    with pytest.raises(InputError, match="name the output folder"):
        check_output_folder(name)


@pytest.mark.parametrize("where", ["/proc/x", "/sys/denen", "/dev/plan"])
def test_kernel_file_systems(where: str) -> None:
    with pytest.raises(InputError, match="kernel file system"):
        check_output_folder(where)


def test_existing_file_with_a_folder_name(tmp_path: Path) -> None:
    (tmp_path / "x.html").write_text("")
    with pytest.raises(InputError, match="not a folder"):
        check_output_folder(tmp_path / "x.html")


def test_concurrent_runs_into_one_folder(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run(k: int) -> None:
        try:
            start.wait()
            with atomic_directory(out) as tmp:
                (tmp / "plan.json").write_text(str(k))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]
    assert (out / "plan.json").read_text() in {"0", "1", "2", "3"}


# --- full and read-only disks ----------------------------------------------------


def test_full_disk_is_refused_before_the_run(small_disk: Path) -> None:
    _fill(small_disk)
    with pytest.raises(InputError, match="MB free"):
        check_output_folder(small_disk / "plan")


def test_read_only_folder_is_refused_before_the_run(small_disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(InputError, match="not writable"):
        check_output_folder(small_disk / "plan")


@pytest.mark.parametrize("ext", [".shp", ".gpkg", ".geojson", ".parquet"])
def test_full_disk_keeps_the_old_file(small_disk: Path, ext: str) -> None:
    path = small_disk / f"sites{ext}"
    write_layer(_points(5), path)
    before = sorted(p.name for p in small_disk.iterdir())
    _fill(small_disk)
    with pytest.raises(InputError, match=r"sites.*cannot write it"):
        write_layer(_points(400), path)
    (small_disk / "filler").unlink()
    assert sorted(p.name for p in small_disk.iterdir()) == before
    kept = pyogrio.read_dataframe(path) if ext != ".parquet" else gpd.read_parquet(path)
    assert kept["site_id"].tolist() == [f"S{i}" for i in range(5)]


def test_full_disk_several_layers_and_text(small_disk: Path) -> None:
    _fill(small_disk)
    with pytest.raises(InputError, match="cannot write it"):
        write_layers({"a": _points(50)}, small_disk / "plan.gpkg")
    with pytest.raises(InputError, match="cannot write it"):
        write_text_atomic(small_disk / "plan.json", "x" * 100_000)
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def test_empty_sidecars_never_replace_a_good_shapefile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GDAL may write 0-byte sidecars without raising on a full disk."""
    import denen_gis.io.files as files

    path = tmp_path / "sites.shp"
    write_layer(_points(3), path)

    def empty_files(frame: gpd.GeoDataFrame, p: Path, fmt: str, layer: str) -> None:
        for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            p.with_suffix(suffix).write_bytes(b"")

    monkeypatch.setattr(files, "_write_one", empty_files)
    with pytest.raises(InputError, match="cannot write it"):
        write_layer(_points(10), path)
    monkeypatch.undo()
    assert len(pyogrio.read_dataframe(path)) == 3
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".cpg", ".dbf", ".prj", ".shp", ".shx"]


# --- CSV for spreadsheets ---------------------------------------------------------


def test_csv_cells_that_look_like_formulas_are_defused(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "Oki", "\tTab"],
            "people": [-5, 1, 2, 3, 4, 5],
        }
    )
    write_csv_atomic(frame, tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["name"].tolist() == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "Oki",
        "'\tTab",
    ]
    assert back["people"].tolist() == [-5, 1, 2, 3, 4, 5]
