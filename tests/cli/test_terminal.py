"""What reaches the terminal (docs/cli.md, issue 16).

User text (scenario names, file names, ids) is printed literally: no rich
markup, emoji codes or highlighting. Every write to stdout survives a closed
pipe (exit 0, nothing on stderr) and a full disk (one line, exit 2). A group
called without its sub-command is a one-line usage error.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.table import Table

from denen_gis.cli import main
from denen_gis.cli._common import console, err_console

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "denen_gis"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

#: Text that rich would alter (markup, an emoji code) or refuse (a stray closing tag).
MARKUP = "[red]x[/red] :smile: [bold]y [link=file:z]z[/link] [/]"


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("denen-gis: error: "), err
    return lines[0]


# --- literal output ---------------------------------------------------------------------


@pytest.mark.parametrize("con", [console, err_console], ids=["console", "err_console"])
def test_consoles_print_user_text_literally(con):
    table = Table(title=MARKUP)
    table.add_column("figure")
    table.add_row(MARKUP)
    with con.capture() as captured:
        con.print(MARKUP, soft_wrap=True)
        con.print(table, width=200)
    text = captured.get()
    assert text.count(MARKUP) == 3, text
    assert "\N{SMILING FACE WITH OPEN MOUTH AND SMILING EYES}" not in text


def _calls(tree: ast.AST, names: set[str]) -> list[ast.Call]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in names:
                found.append(node)
    return found


def _false(call: ast.Call, key: str) -> bool:
    return any(
        k.arg == key and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in call.keywords
    )


def test_every_console_and_progress_column_is_literal_by_construction():
    consoles = columns = 0
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(ROOT)
        for call in _calls(tree, {"Console", "_Console"}):
            consoles += 1
            for key in ("markup", "emoji", "highlight"):
                assert _false(call, key), f"{where}:{call.lineno}: Console without {key}=False"
        for call in _calls(tree, {"TextColumn"}):
            columns += 1
            assert _false(call, "markup"), f"{where}:{call.lineno}: TextColumn without markup=False"
        for call in _calls(tree, {"Progress"}):
            assert any(k.arg == "console" for k in call.keywords), f"{where}:{call.lineno}"
    assert consoles >= 2 and columns >= 1


def test_an_error_echoing_a_path_keeps_it_literal(capsys):
    name = f"{MARKUP}.csv"
    assert main(["coverage", "--population", name]) == 2
    err = capsys.readouterr().err
    assert name in _one_error_line(err)


# --- stdout: closed pipes and full disks ------------------------------------------------

STDOUT_COMMANDS = [
    ["--version"],
    ["--help"],
    ["optimize", "--help"],
    ["data", "info", "--municipalities"],
    ["data", "info", "--municipalities", "--json"],
]


def test_the_cli_prints_to_stdout_only_through_print_text():
    for path in sorted((SRC / "cli").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in _calls(tree, {"print"}):
            if isinstance(call.func, ast.Name):
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                assert path.name == "_common.py", f"{where}: plain print(); use print_text()"


@pytest.mark.parametrize("args", STDOUT_COMMANDS, ids=" ".join)
def test_a_reader_that_goes_away_ends_the_run_quietly(args):
    with subprocess.Popen(
        [sys.executable, "-m", "denen_gis", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    ) as proc:
        proc.stdout.close()  # the reader is gone before the first write (like `| head -0`)
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=60)
    assert code == 0, err
    assert err == ""


@pytest.mark.parametrize(
    ("command", "lines"), [("data info", 2), ("data info --municipalities", 1)]
)
def test_head_of_a_long_listing_exits_0_quietly(command, lines):
    done = subprocess.run(
        f"set -o pipefail; {sys.executable} -m denen_gis {command} | head -{lines}",
        shell=True,
        executable="/bin/bash",
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.count("\n") == lines


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("args", STDOUT_COMMANDS, ids=" ".join)
def test_a_full_stdout_is_one_line_exit_2(args):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "denen_gis", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            env=ENV,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    assert "No space left" in _one_error_line(done.stderr)


# --- a group without its sub-command ----------------------------------------------------


@pytest.mark.parametrize(
    ("group", "commands"),
    [
        ("optimize", "5g, datacenters, landings"),
        ("map", "coverage, infrastructure"),
        ("data", "info, import"),
        ("data import", "estat, n03, cables"),
    ],
)
def test_a_group_without_a_command_is_one_line_exit_2(capsys, group, commands):
    assert main(group.split()) == 2
    out, err = capsys.readouterr()
    assert out == ""
    line = _one_error_line(err)
    assert line == (
        f"denen-gis: error: missing command; one of: {commands} (see denen-gis {group} --help)"
    )


def test_denen_gis_alone_shows_the_help(capsys):
    assert main([]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("Usage: denen-gis ")
    assert "optimize" in out and "--version" in out


def test_docs_state_the_terminal_contract():
    doc = " ".join((ROOT / "docs" / "cli.md").read_text(encoding="utf-8").split())
    assert "Text is printed literally" in doc
    assert "missing command; one of: 5g, datacenters, landings" in doc
    assert "data info --municipalities | head -1" in doc


def test_an_error_after_the_progress_started_is_one_line_in_a_log():
    """stderr to a file or pipe: no progress bar, so no blank line before the error."""
    done = subprocess.run(
        [
            *(sys.executable, "-m", "denen_gis", "optimize", "5g", "--region", "31"),
            *("--objective", "coverage", "--budget-myen", "100", "--include-sites", "NO-SUCH-ID"),
        ],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("denen-gis: error: --include-sites: 'NO-SUCH-ID'"), done.stderr
    assert done.stderr.count("\n") == 1, repr(done.stderr)
