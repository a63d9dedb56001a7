"""Output folders that ``--force`` never replaces, and messages free of temporary names.

Issue 16 ("Nothing lost, ever"): ``/``, the home folder and a folder that holds
the working folder are refused even with ``force``; an error raised while the
files are written into the hidden temporary folder names the user's output
folder, and a GDAL error of several kB is shortened to one readable reason.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from denen_gis.errors import InputError
from denen_gis.io.files import write_error
from denen_gis.io.outdir import atomic_directory, check_output_folder


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home" / "user"
    folder.mkdir(parents=True)
    (folder / "thesis.docx").write_text("years of work", encoding="utf-8")
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.mark.parametrize("force", [False, True])
def test_home_folder_is_refused_even_with_force(home: Path, force: bool) -> None:
    for name in (str(home), "~"):
        with pytest.raises(InputError, match="home folder") as info:
            check_output_folder(name, force=force)
        assert "\n" not in str(info.value)
    assert (home / "thesis.docx").exists()


def test_root_is_refused_even_with_force(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="output folder"):
        check_output_folder("/", force=True)
    link = tmp_path / "root"
    link.symlink_to("/")
    with pytest.raises(InputError, match=r"root folder .* never replaced"):
        check_output_folder(link, force=True)


def test_folder_holding_the_working_folder_is_refused_even_with_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "project" / "sub"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    for name in (tmp_path / "project", work):
        with pytest.raises(InputError, match="working folder"):
            check_output_folder(name, force=True)
    with (
        pytest.raises(InputError, match="working folder"),
        atomic_directory(tmp_path / "project", force=True),
    ):
        pass
    assert work.is_dir()
    # A sibling of the working folder, or a folder inside it, is fine.
    assert check_output_folder(tmp_path / "other", force=True) == tmp_path / "other"
    assert check_output_folder("maps/plan", force=True) == work / "maps" / "plan"


def test_a_folder_inside_home_is_fine(home: Path) -> None:
    assert check_output_folder(home / "maps", force=True) == home / "maps"


def test_full_disk_inside_the_block_names_the_output_not_the_temporary(tmp_path: Path) -> None:
    out = tmp_path / "cov"
    with pytest.raises(OSError) as info, atomic_directory(out) as tmp:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp / "cells.gpkg"))
    assert info.value.errno == errno.ENOSPC
    assert info.value.filename == str(out / "cells.gpkg")
    assert ".tmp-" not in str(info.value)
    with pytest.raises(InputError) as info2, atomic_directory(out) as tmp:
        raise write_error(tmp / "cells.gpkg", OSError(errno.ENOSPC, "No space left on device"))
    assert str(info2.value).startswith(f"{out / 'cells.gpkg'}: cannot write it")
    assert ".tmp-" not in str(info2.value)
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_long_gdal_error_is_shortened_to_its_first_sentence(tmp_path: Path) -> None:
    sql = "INSERT INTO cells VALUES (" + ", ".join(["?"] * 2000) + ")"
    exc = RuntimeError(f"sqlite3_exec({sql}) failed: database or disk is full. More text: {sql}")
    assert len(str(exc)) > 5000
    message = str(write_error(tmp_path / "x.gpkg", exc))
    assert "sqlite3_exec(...) failed: database or disk is full" in message
    assert "INSERT" not in message
    assert len(message) < 200 + len(str(tmp_path)) + 100
    # One long line without any sentence end is cut too.
    message = str(write_error(tmp_path / "x.gpkg", RuntimeError("x" * 5000)))
    assert len(message) < 200 + len(str(tmp_path)) + 100
