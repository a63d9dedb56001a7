"""No module of denen_gis imports another module's private (underscored) names.

A private name is a promise that only its own module uses it; a shared helper
gets a public name in a module made for it (e.g. ``optimize/covering.py``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import denen_gis

SRC = Path(denen_gis.__file__).parent

# Imports of private names that are allowed (none today); a new one needs a reason here.
KNOWN: set[tuple[str, str, str]] = set()


def private_imports(root: Path) -> set[tuple[str, str, str]]:
    """(module path, imported module, name) for every ``from X import _name`` under root."""
    found = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.module is None:
                continue
            for alias in node.names:
                name = alias.name
                if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
                    found.add((path.relative_to(root).as_posix(), node.module, name))
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    unexpected = sorted(private_imports(SRC) - KNOWN)
    assert unexpected == [], f"private names imported across modules: {unexpected}"


def test_the_scan_finds_a_private_import(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from pkg.b import _helper, public, __version__\n")
    assert private_imports(tmp_path) == {("a.py", "pkg.b", "_helper")}
