"""Offline Folium maps and run reports.

The top analysis layer: takes plain GeoDataFrames/DataFrames with documented
columns (see :mod:`denen_gis.render.maps`) and writes self-contained HTML that
opens with no network, plus ``summary.html``/``summary.md`` run reports.
"""

from __future__ import annotations

from denen_gis.render.assets import fetched_urls, make_offline
from denen_gis.render.basemap import simplify_prefectures
from denen_gis.render.maps import (
    CoverageView,
    comparison_map,
    coverage_map,
    infrastructure_map,
    save_map,
)
from denen_gis.render.report import (
    ReportFiles,
    plot_budget_curve,
    plot_cost_curve,
    plot_coverage,
    write_report,
)

__all__ = [
    "CoverageView",
    "ReportFiles",
    "comparison_map",
    "coverage_map",
    "fetched_urls",
    "infrastructure_map",
    "make_offline",
    "plot_budget_curve",
    "plot_cost_curve",
    "plot_coverage",
    "save_map",
    "simplify_prefectures",
    "write_report",
]
