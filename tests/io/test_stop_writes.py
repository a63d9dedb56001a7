"""Once a run is stopping, no write starts (issue 16: no worker writes after the cleanup)."""

from __future__ import annotations

import threading

import pytest

from denen_gis.io import temporaries
from denen_gis.io.files import atomic_path
from denen_gis.io.outdir import atomic_directory


@pytest.fixture
def stopping(monkeypatch):
    event = threading.Event()
    monkeypatch.setattr(temporaries, "_STOPPING", event)
    temporaries.stop_writes()
    assert event.is_set()
    return event


def test_no_file_write_starts_after_stop(tmp_path, stopping):
    with pytest.raises(KeyboardInterrupt), atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("late")
    assert list(tmp_path.iterdir()) == []


def test_no_folder_write_starts_after_stop(tmp_path, stopping):
    with pytest.raises(KeyboardInterrupt), atomic_directory(tmp_path / "out") as tmp:
        (tmp / "late.txt").write_text("late")
    assert list(tmp_path.iterdir()) == []
