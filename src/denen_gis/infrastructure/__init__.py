"""Infrastructure planning: backbone -> demand -> data-centre siting -> landings -> resilience.

The one place where the infrastructure steps are wired together. ``denen-gis
plan`` (through :mod:`denen_gis.pipeline`) calls :func:`run`; the commands
``optimize datacenters``, ``optimize landings`` and ``resilience`` call
:func:`datacenter_study`, :func:`landing_study` and :func:`resilience_study`.
Each step is a small function returning a frozen result with typed figures
(attributes, not string keys); ``to_dict()`` gives the JSON (the
``datacenters``, ``landings``, ``access`` and ``resilience`` sections of
``plan.json`` and the CLI's ``--json`` output).

Data-centre access is national by nature (a region's people reach DCs anywhere
on the backbone), so the models use the whole backbone; the grid gives the
demand of the region being planned.
"""

from __future__ import annotations

from denen_gis.infrastructure.figures import (
    CapacityShares,
    CutFigures,
    DatacenterOptions,
    LandingOptions,
    RttFigures,
    SolverFigures,
    SolverLimits,
)
from denen_gis.infrastructure.steps import (
    DatacenterSiting,
    DcAccess,
    InfrastructureInputs,
    InfrastructureOutcome,
    LandingChoice,
    PlanResilience,
    active_landings,
    backbone,
    choose_landings,
    dc_access,
    embedded_inputs,
    plan_resilience,
    run,
    scenario_inputs,
    site_datacenters,
)
from denen_gis.infrastructure.studies import (
    LandingStudy,
    ResilienceStudy,
    datacenter_study,
    landing_study,
    resilience_study,
)

__all__ = [
    "CapacityShares",
    "CutFigures",
    "DatacenterOptions",
    "DatacenterSiting",
    "DcAccess",
    "InfrastructureInputs",
    "InfrastructureOutcome",
    "LandingChoice",
    "LandingOptions",
    "LandingStudy",
    "PlanResilience",
    "ResilienceStudy",
    "RttFigures",
    "SolverFigures",
    "SolverLimits",
    "active_landings",
    "backbone",
    "choose_landings",
    "datacenter_study",
    "dc_access",
    "embedded_inputs",
    "landing_study",
    "plan_resilience",
    "resilience_study",
    "run",
    "scenario_inputs",
    "site_datacenters",
]
