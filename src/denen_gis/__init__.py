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

__all__ = ["DenenError", "InfeasibleError", "InputError", "__version__"]
