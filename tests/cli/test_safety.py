"""The CLI's safety contract (docs/cli.md, issue 16): nothing lost, ever.

Output folders are checked before any loading or solving (a folder with
files that denen-gis did not write is refused without ``--force``; one that
holds the scenario or an input always); signals stop a run with 130/143 and
no temporary left; ranges that size memory are bounded; every usage, input
or OS error is one line with exit 2.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from denen_gis.cli import main
from denen_gis.io.outdir import MARKER

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

SMALL = """\
[scenario]
name = "{name}"
output = "{output}"
time_limit_s = 30

[region]
prefectures = ["Tottori"]

[fiveg]
objective = "coverage"
budget_myen = 200

[datacenters]
enabled = {dc}

[landings]
enabled = false

[resilience]
enabled = false
"""


def _scenario(folder: Path, *, output: str = "out", dc: str = "false", name: str = "t") -> Path:
    path = folder / "s.toml"
    path.write_text(SMALL.format(output=output, dc=dc, name=name), encoding="utf-8")
    return path


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("denen-gis: error: "), err
    return lines[0]


def _foreign(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    keep = folder / "thesis.docx"
    keep.write_text("years of work", encoding="utf-8")
    return keep


# --- output folders ---------------------------------------------------------------------


def test_plan_out_on_a_folder_with_a_foreign_file_exits_2_and_keeps_it(tmp_path, capsys):
    keep = _foreign(tmp_path / "Documents")
    started = time.perf_counter()
    code = main(["plan", str(_scenario(tmp_path)), "--out", str(tmp_path / "Documents"), "-q"])
    assert code == 2
    assert time.perf_counter() - started < 10  # refused before loading and solving
    assert "--force" in _one_error_line(capsys.readouterr().err)
    assert keep.read_text(encoding="utf-8") == "years of work"


@pytest.mark.parametrize(
    "command",
    [
        ["coverage"],
        ["optimize", "5g", "--scenario", "{scenario}"],
        ["rollout", "--scenario", "{scenario}", "--years", "2027:2028"],
        ["sweep", "{scenario}", "--budgets", "100,200"],
        ["compare", "{scenario}", "{scenario}"],
        ["optimize", "landings"],
        ["resilience"],
    ],
)
def test_every_command_with_out_refuses_a_foreign_folder(tmp_path, capsys, command):
    keep = _foreign(tmp_path / "mine")
    scenario = str(_scenario(tmp_path))
    args = [a.replace("{scenario}", scenario) for a in command]
    assert main([*args, "--out", str(tmp_path / "mine")]) == 2
    _one_error_line(capsys.readouterr().err)
    assert keep.exists()


def test_force_never_replaces_the_folder_of_the_scenario(tmp_path, capsys):
    scenario = _scenario(tmp_path)
    assert main(["plan", str(scenario), "--out", str(tmp_path), "--force", "-q"]) == 2
    assert "s.toml" in _one_error_line(capsys.readouterr().err)
    assert scenario.exists()


@pytest.mark.parametrize("output", [".", ".."])
def test_scenario_output_dot_exits_2_and_deletes_nothing(tmp_path, capsys, output):
    inner = tmp_path / "inner"
    inner.mkdir()
    scenario = _scenario(inner, output=output)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main(["plan", str(scenario), "-q"]) == 2
    assert "output" in _one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_force_replaces_a_foreign_folder_and_marks_it(tmp_path, capsys):
    out = tmp_path / "o"
    keep = _foreign(out)
    code = main(["plan", str(_scenario(tmp_path)), "--out", str(out), "--force", "-q", "--no-maps"])
    assert code == 0, capsys.readouterr().err
    assert not keep.exists() and (out / MARKER).exists() and (out / "plan.json").exists()
    # A folder that denen-gis wrote is replaced without --force.
    assert main(["plan", str(_scenario(tmp_path)), "--out", str(out), "-q", "--no-maps"]) == 0


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_out_through_a_link_checks_and_replaces_the_target_and_keeps_the_link(tmp_path, capsys):
    keep = _foreign(tmp_path / "Documents")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "Documents")
    args = ["plan", str(_scenario(tmp_path)), "--out", str(link), "-q", "--no-maps"]
    assert main(args) == 2
    assert "--force" in _one_error_line(capsys.readouterr().err)
    assert keep.exists() and link.is_symlink()
    assert main([*args, "--force"]) == 0, capsys.readouterr().err
    assert link.is_symlink() and (link / "plan.json").exists() and not keep.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Documents", "link", "s.toml"]


def test_out_with_dotdot_over_a_missing_folder_leaves_no_stray_folder(tmp_path, capsys):
    out = tmp_path / "sub" / ".." / "o"
    code = main(["plan", str(_scenario(tmp_path)), "--out", str(out), "-q", "--no-maps"])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o", "s.toml"]


def test_map_out_refuses_a_folder_and_a_foreign_file(tmp_path, capsys):
    (tmp_path / "x.html").mkdir()
    assert main(["map", "coverage", "--out", str(tmp_path / "x.html")]) == 2
    _one_error_line(capsys.readouterr().err)
    page = tmp_path / "page.html"
    page.write_text("<html>my own page</html>", encoding="utf-8")
    assert main(["map", "coverage", "--out", str(page)]) == 2
    assert "--force" in _one_error_line(capsys.readouterr().err)
    assert page.read_text(encoding="utf-8") == "<html>my own page</html>"


# --- bounds -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "word"),
    [
        (["rollout", "--years", "1:100000"], "--years"),
        (["rollout", "--years", "2030:2027"], "--years"),
        (["sweep", "--budgets", "0:1000:100000"], "--budgets"),
        (["sweep", "--budgets", "nan,100"], "--budgets"),
        (["resilience", "--top", "-5"], "--top"),
        (["optimize", "datacenters", "--min-separation-km", "-10"], "--min-separation-km"),
        (["optimize", "datacenters", "--max-per-block", "-1"], "--max-per-block"),
        (["optimize", "datacenters", "--k", "100000"], "--k"),
        (["optimize", "landings", "--cost-per-landing-myen", "inf"], "--cost-per-landing-myen"),
        (["optimize", "5g", "--seed", str(2**31)], "seed"),
        (["optimize", "5g", "--rural-weight", "1e300"], "--rural-weight"),
    ],
)
def test_ranges_and_counts_are_bounded_at_once(capsys, command, word):
    started = time.perf_counter()
    assert main(command) == 2
    assert time.perf_counter() - started < 10
    assert word in _one_error_line(capsys.readouterr().err)


# --- one-line errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["plan", "--bogus"],
        ["no-such-command"],
        ["rollout", "--years"],
        ["sweep", "--parallel", "x"],
    ],
)
def test_usage_errors_are_one_line(capsys, command):
    assert main(command) == 2
    _one_error_line(capsys.readouterr().err)


def test_deeply_nested_toml_is_one_line(tmp_path, capsys):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    assert main(["plan", str(path), "-q"]) == 2
    _one_error_line(capsys.readouterr().err)


def test_map_infrastructure_with_every_step_disabled_exits_2(tmp_path, capsys):
    scenario = _scenario(tmp_path)  # data centres, landings and resilience off
    assert main(["map", "infrastructure", "--scenario", str(scenario)]) == 2
    assert "disabled" in _one_error_line(capsys.readouterr().err)


def _cli(args: str, **kwargs) -> subprocess.CompletedProcess:
    cmd = f"{sys.executable} -m denen_gis {args}"
    return subprocess.run(
        cmd, shell=True, env=ENV, capture_output=True, text=True, timeout=60, **kwargs
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_full_stdout_is_one_line_exit_2():
    done = _cli("data info > /dev/full")
    assert done.returncode == 2
    assert "No space left" in _one_error_line(done.stderr)


# --- signals ----------------------------------------------------------------------------

# A command that does a small CP-SAT data-centre solve, then holds an output
# folder open (its temporary exists) until a signal arrives.
_DRIVER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path

    import numpy as np

    from denen_gis.cli import app, main


    @app.command("hold")
    def hold(out: Path) -> None:
        from denen_gis.io.outdir import atomic_directory
        from denen_gis.optimize.dc_siting import solve_dc_siting

        d = np.array([[0, 5, 9, 9], [5, 0, 5, 9], [9, 5, 0, 5], [9, 9, 5, 0]], dtype=float)
        solve_dc_siting([1000, 1000, 1000, 1000], d, k=2, workers=1, time_limit_s=5)
        with atomic_directory(out):
            print("ready", flush=True)
            time.sleep(60)


    sys.argv = ["denen-gis", "hold", sys.argv[1]]
    sys.exit(main())
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_a_signal_after_a_cp_sat_solve_exits_cleanly(tmp_path, signum, code, word):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-c", _DRIVER, str(out)],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        if line.strip() != "ready":
            pytest.skip(f"driver did not start: {proc.stderr.read()[-500:]}")
        assert any(p.name.startswith(".out.tmp-") for p in tmp_path.iterdir())
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, err
    assert err.strip().splitlines()[-1] == f"denen-gis: {word}"
    assert list(tmp_path.iterdir()) == []  # no temporary folder, no output


# --- plan.json --------------------------------------------------------------------------


def test_two_identical_runs_differ_only_in_created_and_timings(tmp_path, capsys):
    import json

    scenario = _scenario(tmp_path)
    texts = []
    for name in ("a", "b"):
        code = main(["plan", str(scenario), "--out", str(tmp_path / name), "-q", "--no-maps"])
        assert code == 0, capsys.readouterr().err
        texts.append(json.loads((tmp_path / name / "plan.json").read_text(encoding="utf-8")))
    a, b = texts
    assert "lp_s" in json.dumps(a["timings"]) or "wall_time_s" in json.dumps(a["timings"])
    for d in (a, b):
        assert d.pop("created") and d.pop("timings")["total_s"] > 0
    assert a == b


# --- the contract in docs/cli.md --------------------------------------------------------

DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def test_docs_state_every_exit_code():
    import re

    table = DOC.split("## Exit codes", 1)[1].split("\n\n", 2)[1]
    codes = {int(m) for m in re.findall(r"^\| (\d+) \|", table, flags=re.M)}
    assert codes == {0, 1, 2, 3, 130, 143}


def test_docs_state_the_limits_the_code_uses():
    from denen_gis.cli.fiveg import MAX_SITE_IDS, MAX_YEARS
    from denen_gis.cli.infra import MAX_K, MAX_TOP
    from denen_gis.io.outdir import MIN_FREE_BYTES
    from denen_gis.io.sources import MAX_CELL_POPULATION
    from denen_gis.scenario import MAX_COUNT, MAX_WORKERS
    from denen_gis.scenario_checks import MAX_SWEEP_POINTS

    section = DOC.split("## Outputs", 1)[1].split("\n## ", 1)[0]
    for phrase in (
        f"{MAX_YEARS} years",
        f"{MAX_SWEEP_POINTS} budgets",
        f"1-{MAX_TOP:,}",
        f"{MAX_SITE_IDS:,} ids",
        f"--k` at most {MAX_K:,}",
        f"counts at most {MAX_COUNT:,}",
        f"most {MAX_WORKERS}",
        f"{MAX_CELL_POPULATION // 1_000_000} million people",
        f"{MIN_FREE_BYTES // (1024 * 1024)} MB free",
        f"`{MARKER}`",
        "`created`",
        "`timings`",
    ):
        assert phrase in " ".join(section.split()), phrase


def _commands():
    import typer.main

    from denen_gis.cli import app

    def walk(cmd, path):
        if hasattr(cmd, "commands"):  # a group (typer may vendor its own click)
            for name, sub in cmd.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path), cmd

    yield from walk(typer.main.get_command(app), [])


def test_every_command_with_out_has_force():
    with_out = {
        name: {p.name for p in cmd.params}
        for name, cmd in _commands()
        if any("--out" in getattr(p, "opts", ()) for p in cmd.params)
    }
    without = sorted(n for n, params in with_out.items() if "force" not in params)
    # data import writes one layer file (atomic and verified), not a folder
    assert without == ["data import cables", "data import estat", "data import n03"], without
    assert len(with_out) >= 12
    for name in with_out:
        if not name.startswith("data "):
            assert f"`{name.split()[0]}" in DOC


def test_messages_show_names_not_numpy_reprs(capsys):
    import numpy as np

    from denen_gis.cli import _error

    names = np.array(["Hokkaido", "Aomori"])
    assert _error(f"unknown {names[0]!r}, {np.int64(3)!r}, {np.float64(1.5)!r}, {np.True_!r}") == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line == "denen-gis: error: unknown 'Hokkaido', 3, 1.5, True"
