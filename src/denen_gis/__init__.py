"""denen-gis: plan Japan's regional digital infrastructure.

Population, 5G coverage, data-centre sites and the Sea of Japan cable on one
map; the urban-rural gap measured; OR-Tools chooses the sites that close it for
the money.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from denen_gis.errors import DenenError, InfeasibleError, InputError

try:
    __version__ = version("denen-gis")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

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


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    msg = f"module 'denen_gis' has no attribute {name!r}"
    raise AttributeError(msg)
