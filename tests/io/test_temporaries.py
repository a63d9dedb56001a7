"""The signal cleanup removes temporaries even while a writer keeps working (issue 16).

In the CLI the cleanup runs in the main thread while the command's worker
thread may still be inside GDAL, creating files in the temporary output folder;
the process exits right after the cleanup, so anything created in between was
left behind (a probe found ``.out.tmp-*/.plan.tmp-*.gpkg`` after a Ctrl-C).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from denen_gis.io import temporaries
from denen_gis.io.temporaries import remove_temporaries, stop_writes, track_temporary


@pytest.fixture(autouse=True)
def _fresh_state():
    yield
    temporaries._STOPPING.clear()
    temporaries._IN_PROGRESS.clear()


_WRITER = """
import sys, time
folder = sys.argv[1]
print("ready", flush=True)
i = 0
end = time.monotonic() + 20
while time.monotonic() < end:
    try:
        with open(f"{folder}/.layer.tmp-{i % 50}.gpkg", "wb") as fh:
            fh.write(b"x" * 4096)
    except OSError:
        pass
    i += 1
"""


def _busy_writer(folder: Path) -> subprocess.Popen:
    """Another process that keeps creating files by path in ``folder``, as GDAL does.

    A process, not a thread: GDAL writes without the GIL, a Python thread would not.
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(folder)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.05)
    return proc


def test_a_folder_being_written_into_is_removed_whole(tmp_path):
    folder = tmp_path / ".out.tmp-abc"
    folder.mkdir()
    with track_temporary(folder):
        writer = _busy_writer(folder)
        try:
            stop_writes()
            remove_temporaries()
            left = sorted(p.name for p in tmp_path.iterdir())
        finally:
            writer.kill()
            writer.communicate()
    assert left == []


def test_a_file_created_again_under_a_removed_name_is_removed(tmp_path, monkeypatch):
    tmp = tmp_path / ".x.tmp-1.gpkg"
    tmp.write_bytes(b"old")
    real = temporaries._remove
    calls = []

    def remove_then_recreate(path):  # the writer creates the file again right after
        real(path)
        calls.append(path)
        if len(calls) == 1:
            path.write_bytes(b"late")

    monkeypatch.setattr(temporaries, "_remove", remove_then_recreate)
    with track_temporary(tmp):
        stop_writes()
        remove_temporaries()
    assert not tmp.exists()


def test_a_removed_folder_leaves_no_doomed_name(tmp_path):
    folder = tmp_path / ".out.tmp-x"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "f.csv").write_text("a\n", encoding="utf-8")
    with track_temporary(folder):
        stop_writes()
        remove_temporaries()
    assert list(tmp_path.iterdir()) == []
