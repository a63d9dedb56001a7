"""Dependencies point one way: io -> layers -> optimize -> render -> pipeline/cli."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "denen_gis"
# What each part may import from the package (besides itself and the low-level modules).
LOW = {"_json", "errors", "geodesy", "mesh", "paths", "schema", "urban"}
ALLOWED = {
    "io": LOW,
    "layers": LOW | {"io"},
    "optimize": LOW | {"io", "layers"},
    "render": LOW | {"io"},
    "scenario": LOW | {"scenario_checks"},
    "scenario_checks": LOW,
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
        assert n <= 600, f"{path.relative_to(SRC)} has {n} lines"


def _module_name(path: Path) -> str:
    parts = ["denen_gis", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, lazy (in-function) imports included."""
    paths = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                for alias in node.names:
                    # `from denen_gis import outputs` imports a module; `from x import f`
                    # a name of module x.
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in paths else base)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
        graph[name] = {t for t in targets if t in paths and t != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_lazy_and_package_imports():
    graph = _import_graph()
    assert "denen_gis.layers.metrics" in graph["denen_gis.prepare"]
    assert "denen_gis.infrastructure" in graph["denen_gis.pipeline"]  # inside plan()


def test_no_module_imports_one_that_imports_it_back():
    cycle = _cycle(_import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])
