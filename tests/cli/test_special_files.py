"""A named pipe given as an input exits 2 at once instead of hanging (issue 16).

Opening a FIFO for reading blocks until a writer appears, so each case runs
in a subprocess with a timeout: a hang fails the test instead of the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "denen_gis", *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("denen-gis: error: "), err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["plan", "s.toml"], "s.toml"),
        (["coverage", "--population", "pop.csv"], "pop.csv"),
        (["coverage", "--stations", "st.gpkg"], "st.gpkg"),
    ],
)
def test_a_pipe_given_as_an_input_exits_2(tmp_path: Path, args: list[str], name: str) -> None:
    os.mkfifo(tmp_path / name)
    result = _run(args, tmp_path)
    assert result.returncode == 2, result.stderr
    assert f"{name}: is a named pipe" in _one_line(result.stderr)


def test_a_pipe_named_in_a_scenario_names_the_key(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pop.csv")
    (tmp_path / "s.toml").write_text(
        '[scenario]\nname = "t"\n[inputs]\npopulation = "pop.csv"\n', encoding="utf-8"
    )
    result = _run(["plan", "s.toml", "--out", "o"], tmp_path)
    assert result.returncode == 2, result.stderr
    assert "inputs.population: " in _one_line(result.stderr)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["map", "coverage", "--out", "page.html"],
        ["explore", "--prefecture", "31", "--out", "page.html"],
    ],
)
def test_a_pipe_given_as_the_output_page_exits_2(tmp_path: Path, args: list[str]) -> None:
    """The page checks read an existing file's head: a FIFO there would hang them."""
    os.mkfifo(tmp_path / "page.html")
    result = _run(args, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "page.html: is a named pipe (FIFO), not a file; " in _one_line(result.stderr)
    assert (tmp_path / "page.html").is_fifo()
