"""The ``python`` code blocks of ``docs/tutorial.md`` run, in order, in one namespace.

Each block runs in a fresh temporary working directory (shared by the blocks
of the page, as in a Python session), so the files the tutorial writes never
land in the source tree.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.DOTALL | re.MULTILINE)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """``(first line number, code)`` of every fenced ``python`` block of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        if match.group(1) == "python":
            line = text.count("\n", 0, match.start(2)) + 1
            blocks.append((line, match.group(2)))
    return blocks


def test_blocks_are_found():
    sample = "text\n```python\nx = 1\n```\n```text\nout\n```\n```python\ny = x + 1\n```\n"
    path = Path(__file__).parent / "_sample_doc.md"
    try:
        path.write_text(sample, encoding="utf-8")
        assert python_blocks(path) == [(3, "x = 1\n"), (9, "y = x + 1\n")]
    finally:
        path.unlink(missing_ok=True)


def test_tutorial_runs(tmp_path, monkeypatch, capsys):
    blocks = python_blocks(DOCS / "tutorial.md")
    assert len(blocks) >= 10
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "tutorial"}
    for line, code in blocks:
        compiled = compile(code, f"docs/tutorial.md, block at line {line}", "exec")
        try:
            exec(compiled, namespace)
        except Exception as exc:  # name the block in the failure
            pytest.fail(f"docs/tutorial.md block at line {line} failed: {exc!r}")
    out = capsys.readouterr().out
    assert "coverage" in out
    # the tutorial wrote its outputs into the temporary folder only
    assert (tmp_path / "out" / "tottori" / "plan.json").is_file()


def test_top_level_api_stays_callable():
    """``denen_gis.plan``/``sweep``/... are functions however often they are looked up.

    A submodule with the same name as a lazily exported function replaces the
    function on the package as soon as it is imported.
    """
    import contextlib
    import importlib

    import denen_gis

    for name in ("plan", "plan_rollout", "sweep", "load_scenario"):
        first = getattr(denen_gis, name)
        for module in ("denen_gis.pipeline", "denen_gis.scenario"):
            importlib.import_module(module)
        with contextlib.suppress(ImportError):
            importlib.import_module(f"denen_gis.{name}")
        assert callable(getattr(denen_gis, name)), f"denen_gis.{name} is no longer a function"
        assert getattr(denen_gis, name) is first
