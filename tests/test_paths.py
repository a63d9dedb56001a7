"""Input paths that are pipes, sockets or devices are refused before anything opens them."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from denen_gis.errors import InputError
from denen_gis.paths import refuse_special_file

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def test_a_named_pipe_is_refused_with_its_key(tmp_path: Path) -> None:
    fifo = tmp_path / "pop.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"^s.toml: inputs.population: .*pop.csv: is a named pipe"):
        refuse_special_file(fifo, key="s.toml: inputs.population: ")


def test_a_socket_and_a_device_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(InputError, match="is a socket"):
            refuse_special_file(path)
    with pytest.raises(InputError, match="is a character device"):
        refuse_special_file("/dev/null")


def test_files_folders_and_missing_paths_pass(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n", encoding="utf-8")
    for path in (tmp_path / "a.csv", tmp_path, tmp_path / "missing.csv", "bad\0name"):
        refuse_special_file(path)


def test_a_symlink_to_a_pipe_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link.gpkg").symlink_to(tmp_path / "fifo")
    with pytest.raises(InputError, match=r"link\.gpkg: is a named pipe"):
        refuse_special_file(tmp_path / "link.gpkg")
