"""denen-gis: plan Japan's regional digital infrastructure.

Population, 5G coverage, data-centre sites and the Sea of Japan cable on one
map; the urban-rural gap measured; OR-Tools chooses the sites that close it for
the money.
"""

from __future__ import annotations

from denen_gis.errors import DenenError, InfeasibleError, InputError

__all__ = [
    "DenenError",
    "Headline",
    "InfeasibleError",
    "InputError",
    "Plan",
    "Scenario",
    "__version__",
    "load_scenario",
    "plan",
    "plan_rollout",
    "sweep",
    "write_plan",
]

# The planning API pulls in geopandas, OR-Tools and folium: load it on first use so
# that `denen-gis --help` and the low-level modules stay quick to import.
_LAZY = {
    "Headline": "denen_gis.headline",
    "Plan": "denen_gis.pipeline",
    "plan": "denen_gis.pipeline",
    "plan_rollout": "denen_gis.pipeline",
    "sweep": "denen_gis.budget_sweep",
    "Scenario": "denen_gis.scenario",
    "load_scenario": "denen_gis.scenario",
    "write_plan": "denen_gis.outputs",
}


def _version() -> str:
    # importlib.metadata costs ~15 ms (email, socket, ...): only when asked for.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("denen-gis")
    except PackageNotFoundError:  # running from a source tree without install
        return "0.0.0"


def __getattr__(name: str) -> object:
    if name == "__version__":
        value = _version()
        globals()["__version__"] = value
        return value
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    msg = f"module 'denen_gis' has no attribute {name!r}"
    raise AttributeError(msg)
