"""No command's ``--out`` ever replaces one of its own inputs (issue 16).

Every file that a command reads (a ``Path`` option or argument other than
``--out``) is protected: an output folder that holds it, or an output file
that is it, is refused with exit 2 and one line, with or without ``--force``.
The table below names one run per input; a test walks the typer app so that
a new file option cannot be added without a row here.
"""

from __future__ import annotations

import contextlib
import errno
import io
import typing
from pathlib import Path

import pyogrio
import pytest

from denen_gis.cli import app, main

SCENARIO = """\
[scenario]
name = "protect"
time_limit_s = 30

[region]
prefectures = ["Tottori"]

[fiveg]
objective = "coverage"
budget_myen = 200
"""

# (command, parameter) -> argv; {F} is the input file, {O} the output (a folder
# that holds {F}, or {F} itself for commands whose --out is one file).
IN_FOLDER = "in folder"
SAME_FILE = "same file"
CASES: dict[tuple[str, str], tuple[str, list[str]]] = {
    ("coverage", "population"): (IN_FOLDER, ["coverage", "--population", "{F}"]),
    ("coverage", "stations"): (IN_FOLDER, ["coverage", "--stations", "{F}"]),
    ("optimize 5g", "candidates"): (IN_FOLDER, ["optimize", "5g", "--candidates", "{F}"]),
    ("optimize 5g", "population"): (IN_FOLDER, ["optimize", "5g", "--population", "{F}"]),
    ("optimize 5g", "stations"): (IN_FOLDER, ["optimize", "5g", "--stations", "{F}"]),
    ("optimize 5g", "scenario"): (IN_FOLDER, ["optimize", "5g", "--scenario", "{S}"]),
    ("rollout", "scenario"): (IN_FOLDER, ["rollout", "--scenario", "{S}", "--years", "2027:2028"]),
    ("resilience", "hazards"): (IN_FOLDER, ["resilience", "--no-n2", "--hazards", "{F}"]),
    ("plan", "scenario"): (IN_FOLDER, ["plan", "{S}", "-q"]),
    ("compare", "scenario_a"): (IN_FOLDER, ["compare", "{S}", "{T}"]),
    ("compare", "scenario_b"): (IN_FOLDER, ["compare", "{T}", "{S}"]),
    ("sweep", "scenario"): (IN_FOLDER, ["sweep", "{S}", "--budgets", "100,200"]),
    ("explore", "scenario"): (SAME_FILE, ["explore", "--scenario", "{S}"]),
    ("map coverage", "scenario"): (SAME_FILE, ["map", "coverage", "--scenario", "{S}"]),
    ("map infrastructure", "scenario"): (SAME_FILE, ["map", "infrastructure", "--scenario", "{S}"]),
    ("data import estat", "files"): (SAME_FILE, ["data", "import", "estat", "{F}"]),
    ("data import n03", "file"): (SAME_FILE, ["data", "import", "n03", "{F}"]),
    ("data import cables", "cables"): (SAME_FILE, ["data", "import", "cables", "{F}", "{T}"]),
    ("data import cables", "landings"): (SAME_FILE, ["data", "import", "cables", "{T}", "{F}"]),
}


def _file_inputs(typer_app: typing.Any, path: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(command, parameter) of every ``Path`` parameter other than ``out``."""
    found = []
    for command in typer_app.registered_commands:
        name = " ".join((*path, command.name or command.callback.__name__))
        for param, hint in typing.get_type_hints(command.callback).items():
            args = typing.get_args(hint)
            nested = [a for arg in args for a in typing.get_args(arg)]
            if param not in ("out", "return") and Path in (hint, *args, *nested):
                found.append((name, param))
    for group in typer_app.registered_groups:
        found += _file_inputs(group.typer_instance, (*path, group.name))
    return found


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_every_file_input_of_every_command_has_a_case() -> None:
    found = _file_inputs(app)
    assert ("resilience", "hazards") in found  # the walk sees options
    assert ("data import n03", "file") in found  # and arguments
    assert sorted(found) == sorted(CASES)


@pytest.mark.parametrize("force", [True, False], ids=["force", "no-force"])
@pytest.mark.parametrize("case", sorted(CASES), ids=" ".join)
def test_out_never_replaces_an_input(tmp_path: Path, case: tuple[str, str], force: bool) -> None:
    kind, argv = CASES[case]
    folder = tmp_path / "work"
    folder.mkdir()
    other = tmp_path / "other.toml"
    other.write_text(SCENARIO, encoding="utf-8")
    scenario = folder / "s.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    suffix = ".gpkg" if case[0] == "data import cables" else ".csv"
    given = folder / f"mine{suffix}"
    given.write_text("mesh_code,population\n", encoding="utf-8")
    target = scenario if "{S}" in argv else given
    out = folder if kind == IN_FOLDER else target
    args = [
        a.replace("{F}", str(given)).replace("{S}", str(scenario)).replace("{T}", str(other))
        for a in argv
    ]
    if force and case[0].startswith("data import"):
        pytest.skip("data import has no --force: it replaces a layer file it can read back")
    before = target.read_bytes()
    code, _, err = run([*args, "--out", str(out), *(["--force"] if force else [])])
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("denen-gis: error: "), err
    assert "an input of this run" in lines[0], err
    assert target.read_bytes() == before


def test_explore_out_that_is_a_scenario_input_is_refused(tmp_path: Path) -> None:
    pop = tmp_path / "pop31.csv"
    pop.write_text("mesh_code,population\n", encoding="utf-8")
    scenario = tmp_path / "withinp.toml"
    scenario.write_text(SCENARIO + '\n[inputs]\npopulation = "pop31.csv"\n', encoding="utf-8")
    code, _, err = run(["explore", "--scenario", str(scenario), "--out", str(pop), "--force"])
    assert code == 2 and "an input of this run" in err, err
    assert pop.read_text(encoding="utf-8") == "mesh_code,population\n"


def test_resilience_force_keeps_the_folder_of_its_hazards(tmp_path: Path) -> None:
    folder = tmp_path / "hz"
    folder.mkdir()
    hazards = folder / "my_hazards.gpkg"
    hazards.write_bytes(b"not really a GeoPackage")
    code, _, err = run(
        ["resilience", "--no-n2", "--hazards", str(hazards), "--out", str(folder), "--force"]
    )
    assert code == 2 and "my_hazards.gpkg, an input of this run" in err, err
    assert hazards.read_bytes() == b"not really a GeoPackage"


# --- stdout carries results, stderr the "wrote ..." notes -------------------------------


def test_map_coverage_says_wrote_on_stderr_and_nothing_on_stdout(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    page = tmp_path / "map.html"
    code, out, err = run(["map", "coverage", "--scenario", str(scenario), "--out", str(page)])
    assert code == 0, err
    assert out == ""
    assert f"wrote {page}" in " ".join(err.split())
    assert page.exists()


def test_no_command_prints_a_wrote_note_on_stdout() -> None:
    """Every note that names written files goes through ``err_console``.

    stdout carries results (tables, JSON) and may be a full disk or a closed pipe.
    """
    import re

    cli = Path(__file__).resolve().parents[2] / "src" / "denen_gis" / "cli"
    wrong = []
    for source in sorted(cli.glob("*.py")):
        text = source.read_text(encoding="utf-8")
        for match in re.finditer(
            r"(\w+)\.print\(\s*f?[\"'](wrote |Outputs in |Side-by-side map)", text
        ):
            if match[1] != "err_console":
                wrong.append(f"{source.name}:{text.count(chr(10), 0, match.start()) + 1}")
    assert wrong == []


# --- errors name the user's files, in one short line ------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        pyogrio.errors.DataSourceError(
            "sqlite3_exec(INSERT INTO coverage_cells VALUES ("
            + ", ".join(["?"] * 2000)
            + ")) failed: database or disk is full"
        ),
    ],
    ids=["full-disk", "gdal-5kB"],
)
def test_coverage_write_error_names_the_output_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(pyogrio, "write_dataframe", fail)
    out = tmp_path / "cov"
    code, _, err = run(["coverage", "--municipality", "32203", "--out", str(out), "--json"])
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("denen-gis: error: "), err
    assert str(out / "coverage_cells.gpkg") in lines[0]
    assert ".tmp-" not in lines[0]
    reason = lines[0].split("cannot write it (", 1)[1].rsplit("); check", 1)[0]
    assert len(reason) <= 200 and "?, ?" not in reason, lines[0]
    assert not out.exists() and list(tmp_path.iterdir()) == []


# --- folders that --force never replaces ------------------------------------------------


@pytest.mark.parametrize("how", ["scenario output", "--out ~", "--out home", "--out cwd"])
def test_force_never_replaces_home_or_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    keep = home / "thesis.docx"
    keep.write_text("years of work", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    work = home / "project"
    work.mkdir()
    monkeypatch.chdir(work)
    scenario = tmp_path / "s.toml"
    output = 'output = "~"\n' if how == "scenario output" else ""
    scenario.write_text(SCENARIO.replace("[region]", output + "\n[region]"), encoding="utf-8")
    out = {"--out ~": ["--out", "~"], "--out home": ["--out", str(home)]}.get(how, [])
    if how == "--out cwd":
        out = ["--out", str(work)]
    code, _, err = run(["plan", str(scenario), *out, "--force", "-q"])
    assert code == 2, err
    assert "never replaced, even with --force" in err, err
    assert keep.read_text(encoding="utf-8") == "years of work"
