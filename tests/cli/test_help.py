"""``--help`` of every command and sub-command, and ``--version``.

The command tree is walked from the click group that typer builds, so a new
command is covered as soon as it is registered; the expected list below makes
a command that disappears fail too.
"""

from __future__ import annotations

from typing import Any

import pytest
import typer

from denen_gis import __version__
from denen_gis.cli import app, main

EXPECTED_COMMANDS = {
    "coverage",
    "compare",
    "data",
    "data import",
    "data import cables",
    "data import estat",
    "data import n03",
    "data info",
    "explore",
    "map",
    "map coverage",
    "map infrastructure",
    "optimize",
    "optimize 5g",
    "optimize datacenters",
    "optimize landings",
    "plan",
    "resilience",
    "rollout",
    "sweep",
}


def _walk(command: Any, path: tuple[str, ...] = ()) -> dict[str, Any]:
    # duck-typed: typer >= 0.2x builds its commands on a vendored copy of click
    found = {" ".join(path): command}
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            found.update(_walk(sub, (*path, name)))
    return found


COMMANDS = _walk(typer.main.get_command(app))


def _has_force(command: Any) -> bool:
    return any("--force" in getattr(p, "opts", ()) for p in getattr(command, "params", ()))


def test_every_expected_command_is_registered():
    missing = EXPECTED_COMMANDS - set(COMMANDS)
    assert not missing, f"commands missing: {sorted(missing)}"


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=lambda p: p or "root")
def test_help_exits_0_and_lists_every_option(path, capsys):
    command = COMMANDS[path]
    code = main([*path.split(), "--help"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert err == ""
    assert out.startswith(f"Usage: denen-gis {path}".rstrip())
    assert "--help" in out
    for param in command.params:
        if param.param_type_name == "option" and not getattr(param, "hidden", False):
            for flag in (*param.opts, *param.secondary_opts):
                assert flag in out, f"{path or 'denen-gis'} --help does not show {flag}"
        elif param.param_type_name == "argument":
            assert param.name in out
    if hasattr(command, "commands"):
        for name in command.commands:
            assert name in out


def test_group_without_a_command_names_its_commands_in_one_line(capsys):
    code = main(["optimize"])
    out, err = capsys.readouterr()
    # a usage error like any other (tests/cli/test_terminal.py covers every group)
    assert code == 2
    assert out == ""
    assert err.strip() == (
        "denen-gis: error: missing command; one of: 5g, datacenters, landings "
        "(see denen-gis optimize --help)"
    )


def test_denen_gis_alone_shows_the_help(capsys):
    code = main([])
    out, err = capsys.readouterr()
    assert code == 0
    assert err == ""
    assert out.startswith("Usage: denen-gis [OPTIONS] COMMAND")


def test_version(capsys):
    code = main(["--version"])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.strip() == f"denen-gis {__version__}"
    assert err == ""


def test_unknown_command_is_a_usage_error(capsys):
    code = main(["no-such-command"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "no-such-command" in err
    assert "Traceback" not in out + err


def test_unknown_option_is_a_usage_error(capsys):
    code = main(["plan", "--no-such-option"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "--no-such-option" in err


@pytest.mark.parametrize("path", sorted(p for p, c in COMMANDS.items() if _has_force(c)))
def test_force_help_names_what_out_is(path):
    """A map's --out is a file and the other commands' a folder; --force says which it replaces."""
    (force,) = [p for p in COMMANDS[path].params if "--force" in p.opts]
    wanted = "file" if path.startswith(("map ", "explore")) else "folder"
    assert wanted in force.help, f"{path} --force: {force.help}"
