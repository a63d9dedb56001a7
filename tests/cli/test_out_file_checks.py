"""Issue 16: an unwritable map output names the user's path, never an internal probe name."""

from __future__ import annotations

import os

import pytest

from denen_gis.cli import main


@pytest.fixture
def no_loading(monkeypatch):
    from denen_gis import pipeline

    def boom(*args, **kwargs):
        raise AssertionError("the output was not checked before loading")

    monkeypatch.setattr(pipeline, "prepare_inputs", boom)


def _check(argv, out, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(out) in err, err
    assert ".check" not in err and ".map.html" not in err


@pytest.mark.parametrize("command", ["coverage", "infrastructure"])
def test_a_kernel_path_names_the_users_file(command, capsys, no_loading):
    out = "/proc/denen-gis-nowhere/map.html"
    _check(["map", command, "--out", out], out, capsys)


def test_a_file_as_the_parent_names_the_users_file(tmp_path, capsys, no_loading):
    (tmp_path / "plain.txt").write_text("x", encoding="utf-8")
    out = tmp_path / "plain.txt" / "map.html"
    _check(["map", "coverage", "--out", str(out)], out, capsys)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_names_the_users_file(tmp_path, capsys, no_loading):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        out = folder / "map.html"
        _check(["map", "coverage", "--out", str(out)], out, capsys)
    finally:
        folder.chmod(0o755)
