"""OR-Tools site-selection models: 5G coverage, regional data centres, cable landings.

Array-level models take a sparse coverage matrix (cells x candidate sites),
population per cell and cost per site, and return a frozen
:class:`SiteSelectionResult`; :func:`select_sites` is the thin id-based wrapper.
See ``docs/optimization.md`` for the formulations and the engine choice.
"""

from __future__ import annotations

from denen_gis.optimize import effort
from denen_gis.optimize.coverage_models import solve_max_coverage, solve_min_cost
from denen_gis.optimize.datacenters import (
    DatacenterPlan,
    SitingResult,
    plan_datacenters,
    solve_dc_siting,
)
from denen_gis.optimize.fairness import solve_max_min_fairness
from denen_gis.optimize.greedy import (
    GreedySolution,
    greedy_max_coverage,
    greedy_min_cost,
    local_search_max_coverage,
    local_search_min_cost,
)
from denen_gis.optimize.landings import LandingPlan, LandingResult, plan_landings, solve_landings
from denen_gis.optimize.reduce import ReducedProblem, dominated_sites, reduce_coverage
from denen_gis.optimize.result import ModelSize, SiteSelectionResult
from denen_gis.optimize.rollout import solve_rollout
from denen_gis.optimize.site_selection import select_sites
from denen_gis.optimize.targets import Targets

__all__ = [
    "DatacenterPlan",
    "GreedySolution",
    "LandingPlan",
    "LandingResult",
    "ModelSize",
    "ReducedProblem",
    "SiteSelectionResult",
    "SitingResult",
    "Targets",
    "dominated_sites",
    "effort",
    "greedy_max_coverage",
    "greedy_min_cost",
    "local_search_max_coverage",
    "local_search_min_cost",
    "plan_datacenters",
    "plan_landings",
    "reduce_coverage",
    "select_sites",
    "solve_dc_siting",
    "solve_landings",
    "solve_max_coverage",
    "solve_max_min_fairness",
    "solve_min_cost",
    "solve_rollout",
]
