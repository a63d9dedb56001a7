"""Run the Examples sections of every module of ``denen_gis`` as doctests.

Modules are found by walking the package, so a new module is tested as soon
as it exists; a module without examples is skipped (and says so).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import denen_gis

#: Importing ``denen_gis.__main__`` runs the command line.
NOT_IMPORTABLE = {"denen_gis.__main__"}

MODULES = sorted(
    {"denen_gis"}
    | {
        m.name
        for m in pkgutil.walk_packages(denen_gis.__path__, prefix="denen_gis.")
        if m.name not in NOT_IMPORTABLE
    }
)

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def test_the_package_is_walked():
    # a broken walk (e.g. a wrong path) would skip everything silently
    for name in ("denen_gis.scenario", "denen_gis.pipeline", "denen_gis.layers.coverage",
                 "denen_gis.optimize.site_selection", "denen_gis.mesh"):  # fmt: skip
        assert name in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name):
    module = importlib.import_module(name)
    tests = [t for t in doctest.DocTestFinder().find(module, name) if t.examples]
    if not tests:
        pytest.skip(f"{name} has no examples")
    result = doctest.testmod(module, optionflags=FLAGS, report=False, verbose=False)
    assert result.attempted == sum(len(t.examples) for t in tests)
    assert result.failed == 0, f"{result.failed} example(s) of {name} failed; run python -m doctest"


def test_a_wrong_example_is_caught():
    """The harness itself: a failing example must be counted as a failure."""
    import types

    module = types.ModuleType("denen_gis_fake_module")
    module.__doc__ = ">>> 1 + 1\n3\n"
    result = doctest.testmod(module, optionflags=FLAGS, report=False)
    assert (result.attempted, result.failed) == (1, 1)
