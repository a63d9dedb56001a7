"""Dependencies point one way: io -> layers -> optimize -> render -> pipeline/cli."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "denen_gis"
# What each part may import from the package (besides itself and the low-level modules).
LOW = {"_json", "errors", "geodesy", "mesh", "schema", "urban"}
ALLOWED = {
    "io": LOW,
    "layers": LOW | {"io"},
    "optimize": LOW | {"io", "layers"},
    "render": LOW | {"io"},
    "scenario": LOW,
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("denen_gis.")
        ):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("denen_gis."):
                    found.add(alias.name.split(".")[1])
    return found


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_no_module_imports_from_a_layer_above_it(part):
    paths = sorted((SRC / part).rglob("*.py")) if (SRC / part).is_dir() else [SRC / f"{part}.py"]
    assert paths
    for path in paths:
        bad = _imports(path) - ALLOWED[part] - {part}
        assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"


def test_low_level_modules_import_only_low_level():
    for name in LOW:
        bad = _imports(SRC / f"{name}.py") - LOW
        assert not bad, f"{name}.py imports {sorted(bad)}"


def test_no_module_is_too_large():
    for path in SRC.rglob("*.py"):
        n = len(path.read_text(encoding="utf-8").splitlines())
        assert n <= 850, f"{path.relative_to(SRC)} has {n} lines"
