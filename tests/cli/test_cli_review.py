"""Command line: scenario keys survive option defaults; user mistakes exit 2 without a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

import denen_gis.pipeline as pipeline
from denen_gis.cli import main
from denen_gis.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


class _CapturedError(InputError):
    pass


def test_optimize_5g_keeps_the_scenario_objective(monkeypatch):
    seen = {}

    def fake_plan(s, progress=None):
        seen["scenario"] = s
        raise _CapturedError("stop")

    monkeypatch.setattr(pipeline, "plan", fake_plan)
    code = main(["optimize", "5g", "--scenario", str(ROOT / "scenarios/tohoku_budget.toml"), "-q"])
    assert code == 2
    assert seen["scenario"].fiveg.objective == "coverage"


@pytest.mark.parametrize("command", [["optimize", "5g"], ["rollout"]])
@pytest.mark.parametrize("kind", ["folder", "latin1"])
def test_unreadable_scenario_is_exit_2(tmp_path, capsys, command, kind):
    if kind == "folder":
        path = tmp_path
    else:
        path = tmp_path / "s.toml"
        path.write_bytes(b'[scenario]\nname = "\xe9"\n')
    code = main([*command, "--scenario", str(path), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
