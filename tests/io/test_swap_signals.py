"""A signal during an output swap loses nothing (issue 16: nothing lost, ever).

The swap of an output folder (old moved aside, new moved in, old removed) and
of a shapefile's sidecars is interrupted at each rename, two ways:

- the interrupt is raised in the writing thread right before or after the
  rename (the swap's own error path runs), then the CLI's cleanup runs;
- the CLI's cleanup runs right after the rename as the signal handler does
  (the main thread, while the worker is between two renames) and the process
  would end there (``os._exit``): what is on disk then is checked.

Either way the output holds the complete old or the complete new files, and
no ``.old-*`` or temporary item is left beside it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from denen_gis._signals import stop_cleanup
from denen_gis.errors import InputError
from denen_gis.io import temporaries
from denen_gis.io.files import read_vector, write_layer
from denen_gis.io.outdir import MARKER, atomic_directory

OLD = {MARKER, "old.txt"}
NEW = {MARKER, "new.txt"}


@pytest.fixture(autouse=True)
def fresh_stop(monkeypatch):
    """The cleanup sets the stop flag: give each test its own."""
    monkeypatch.setattr(temporaries, "_STOPPING", threading.Event())


class _Interrupt:
    """os.replace that, on its ``step``-th call, interrupts before or after renaming."""

    def __init__(self, step: int, when: str, on_step=None) -> None:
        self.real = os.replace
        self.step, self.when, self.on_step = step, when, on_step
        self.calls = 0
        self.snapshot: dict[str, set[str] | None] | None = None

    def __call__(self, src, dst) -> None:
        self.calls += 1
        if self.calls != self.step:
            self.real(src, dst)
            return
        if self.when == "after":
            self.real(src, dst)
        if self.on_step is not None:
            self.snapshot = self.on_step()
        raise KeyboardInterrupt


def _listing(parent: Path) -> dict[str, set[str] | None]:
    return {
        p.name: ({q.name for q in p.iterdir()} if p.is_dir() else None) for p in parent.iterdir()
    }


def _old_output(parent: Path) -> Path:
    out = parent / "out"
    out.mkdir()
    (out / MARKER).write_text("")
    (out / "old.txt").write_text("old")
    return out


def _write_new(out: Path) -> None:
    with atomic_directory(out) as tmp:
        (tmp / "new.txt").write_text("new")


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", [1, 2])
def test_an_interrupt_in_the_folder_swap_keeps_old_or_new(tmp_path, monkeypatch, step, when):
    out = _old_output(tmp_path)
    monkeypatch.setattr(os, "replace", _Interrupt(step, when))
    with pytest.raises(KeyboardInterrupt):
        _write_new(out)
    stop_cleanup()
    monkeypatch.undo()
    assert _listing(tmp_path) in ({"out": OLD}, {"out": NEW})


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", [1, 2])
def test_the_signal_cleanup_in_the_folder_swap_keeps_old_or_new(tmp_path, monkeypatch, step, when):
    out = _old_output(tmp_path)

    def handler() -> dict[str, set[str] | None]:
        stop_cleanup()  # what the signal handler does, then os._exit
        return _listing(tmp_path)

    interrupt = _Interrupt(step, when, handler)
    monkeypatch.setattr(os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        _write_new(out)
    monkeypatch.undo()
    assert interrupt.snapshot in ({"out": OLD}, {"out": NEW})
    assert _listing(tmp_path) == interrupt.snapshot


def test_the_signal_cleanup_during_a_new_folder_swap_leaves_nothing_half(tmp_path, monkeypatch):
    def handler() -> dict[str, set[str] | None]:
        stop_cleanup()
        return _listing(tmp_path)

    interrupt = _Interrupt(1, "before", handler)
    monkeypatch.setattr(os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        _write_new(tmp_path / "out")
    monkeypatch.undo()
    assert interrupt.snapshot in ({}, {"out": NEW})


def _points(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [f"p{i}" for i in range(n)]},
        geometry=[Point(135 + i * 0.1, 35) for i in range(n)],
        crs=6668,
    )


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", range(1, 11))
def test_the_signal_cleanup_in_a_shapefile_swap_keeps_old_or_new(tmp_path, monkeypatch, step, when):
    target = tmp_path / "sites.shp"
    write_layer(_points(2), target)
    before = {p.name for p in tmp_path.iterdir()}

    def handler() -> dict[str, set[str] | None]:
        stop_cleanup()
        listing = _listing(tmp_path)
        listing["rows"] = {str(len(read_vector(target)))} if target.exists() else None
        return listing

    interrupt = _Interrupt(step, when, handler)
    monkeypatch.setattr(os, "replace", interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        write_layer(_points(3), target)
    monkeypatch.undo()
    if interrupt.snapshot is None:
        assert interrupt.calls < step
        return
    rows = interrupt.snapshot.pop("rows")
    assert set(interrupt.snapshot) == before, interrupt.snapshot
    assert rows in ({"2"}, {"3"})


def test_a_vanished_new_folder_never_costs_the_old_one(tmp_path, monkeypatch):
    """The new folder disappears before it is moved in: the old one is restored."""
    out = _old_output(tmp_path)
    real = os.replace
    calls = []

    def lose_new(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            temporaries._remove(Path(src))
            raise FileNotFoundError(2, "gone", str(src))
        real(src, dst)

    monkeypatch.setattr(os, "replace", lose_new)
    with pytest.raises(FileNotFoundError):
        _write_new(out)
    monkeypatch.undo()
    assert _listing(tmp_path) == {"out": OLD}


# A command that swaps an output folder in, slowly: after its first rename (the
# old folder moved aside) it says "swapping" and sleeps, so that a real signal
# arrives in the middle of the swap while the command runs in its worker thread.
_DRIVER = """
import os, sys, time
from pathlib import Path

from denen_gis.cli import app, main


@app.command("swap")
def swap(out: Path) -> None:
    from denen_gis.io.outdir import atomic_directory

    real = os.replace
    calls = []

    def slow(src, dst):
        real(src, dst)
        calls.append(dst)
        if len(calls) == 1:
            print("swapping", flush=True)
            time.sleep(1.5)

    with atomic_directory(out) as tmp:
        (tmp / "new.txt").write_text("new")
        os.replace = slow


sys.argv = ["denen-gis", "swap", sys.argv[1]]
sys.exit(main())
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize(("signum", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_real_signal_in_the_middle_of_a_swap(tmp_path, signum, code):
    import signal
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    _old_output(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-c", _DRIVER, str(tmp_path / "out")],
        env={**os.environ, "PYTHONPATH": str(root / "src")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        if line.strip() != "swapping":
            pytest.skip(f"driver did not start: {proc.stderr.read()[-500:]}")
        proc.send_signal(getattr(signal, signum))
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, err
    assert err.count("\n") == 1 and err.startswith("denen-gis: "), err
    assert _listing(tmp_path) in ({"out": OLD}, {"out": NEW})


def test_a_vanished_new_file_before_the_swap_keeps_the_old_set(tmp_path, monkeypatch):
    """One new sidecar disappears before anything moved: the old shapefile is not touched."""
    target = tmp_path / "sites.shp"
    write_layer(_points(2), target)
    before = _listing(tmp_path)
    real = os.replace

    def lose_new_shp(src, dst):
        for p in tmp_path.glob(".sites.tmp-*/sites.shp"):
            p.unlink()
        raise FileNotFoundError(2, "gone", str(src))

    monkeypatch.setattr(os, "replace", lose_new_shp)
    with pytest.raises(InputError):
        write_layer(_points(3), target)
    monkeypatch.setattr(os, "replace", real)
    assert _listing(tmp_path) == before
    assert len(read_vector(target)) == 2
