"""The CLI's infrastructure studies on the embedded dataset.

``optimize datacenters``, ``optimize landings`` and ``resilience`` each call
one function here; it runs the steps of :mod:`denen_gis.infrastructure.steps`
and returns a frozen typed result whose ``to_dict()`` is the ``--json`` output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from denen_gis.infrastructure.figures import (
    CapacityShares,
    CutFigures,
    DatacenterOptions,
    LandingOptions,
    RttFigures,
    SolverLimits,
)
from denen_gis.infrastructure.steps import (
    DatacenterSiting,
    InfrastructureInputs,
    LandingChoice,
    active_landings,
    backbone,
    choose_landings,
    dc_access,
    embedded_inputs,
    site_datacenters,
)
from denen_gis.layers.hazards import builtin_hazards, hazard_failure
from denen_gis.layers.network import demand_groups
from denen_gis.layers.resilience import (
    ResilienceReport,
    capacity_concentration,
    compare_cuts,
    n_minus_1,
    relief_statements,
)
from denen_gis.layers.shared_risk import (
    FailureMeasures,
    NkResult,
    failure_network,
    measure_failure,
    n_minus_k,
)
from denen_gis.layers.user_latency import UserLatency, user_round_trip

__all__ = [
    "HazardOutcome",
    "LandingStudy",
    "ResilienceStudy",
    "datacenter_study",
    "hazard_layers",
    "hazard_outcomes",
    "landing_study",
    "resilience_study",
]


# ---------------------------------------------------------------------------
# the CLI's studies on the embedded dataset


def datacenter_study(
    options: DatacenterOptions,
    solver: SolverLimits,
    *,
    include_planned: bool = True,
    inputs: InfrastructureInputs | None = None,
) -> DatacenterSiting:
    """Backbone (with or without the planned cables), demand and DC siting."""
    inputs = inputs or embedded_inputs()
    graph = backbone(inputs, include_planned=include_planned)
    return site_datacenters(inputs, graph, demand_groups(inputs.grid, graph), options, solver)


@dataclass(frozen=True)
class LandingStudy:
    """Chosen landings, RTT to the existing DCs without and with the cable, capacity."""

    choice: LandingChoice
    rtt: Mapping[str, RttFigures]
    capacity: CapacityShares

    def to_dict(self) -> dict[str, Any]:
        """The landing summary with ``rtt`` by case and ``capacity``."""
        return {
            **self.choice.plan.summary,
            "rtt": {name: r.to_dict() for name, r in self.rtt.items()},
            "capacity": self.capacity.to_dict(),
        }


def landing_study(
    options: LandingOptions,
    solver: SolverLimits,
    *,
    inputs: InfrastructureInputs | None = None,
) -> LandingStudy:
    """Choose the landings, then compare RTT to the existing DCs without and with the cable."""
    inputs = inputs or embedded_inputs()
    choice = choose_landings(inputs, options, solver)
    existing = inputs.site_ids("existing")
    cases = {
        "without the cable": backbone(inputs, include_planned=False),
        "cable, chosen landings": backbone(
            inputs, include_planned=True, active=active_landings(inputs, choice)
        ),
    }
    rtt = {name: dc_access(g, sites=existing, grid=inputs.grid).rtt for name, g in cases.items()}
    capacity = CapacityShares.from_dict(capacity_concentration(inputs.datacenters))
    return LandingStudy(choice=choice, rtt=rtt, capacity=capacity)


#: The three cases of every hazard scenario, in report order.
HAZARD_CASES = ("without_cable", "with_cable", "with_cable_and_plan_dcs")


@dataclass(frozen=True)
class HazardOutcome:
    """One hazard scenario: what it fails and the measures in the three cases."""

    id: str
    name: str
    failed_elements: int
    failed: tuple[str, ...]
    cases: Mapping[str, FailureMeasures]
    zone: Any = field(default=None, repr=False)
    failed_lines: tuple[tuple[str, Any], ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """``id``, ``name``, ``failed_elements``, ``failed`` and one object per case."""
        return {
            "id": self.id,
            "name": self.name,
            "failed_elements": self.failed_elements,
            "failed": list(self.failed),
            **{case: m.to_dict() for case, m in self.cases.items()},
        }


def hazard_outcomes(
    graphs: Mapping[str, tuple[Any, Sequence[str]]], zones: pd.DataFrame
) -> tuple[HazardOutcome, ...]:
    """Measures of every zone in ``zones`` for each case of ``graphs`` (graph, open sites).

    ``failed_elements`` counts what the zone fails on the with-cable backbone.
    """
    nets = {case: failure_network(g, sites=sites) for case, (g, sites) in graphs.items()}
    out = []
    for row in zones.itertuples(index=False):
        zone = row.geometry
        cases, failure = {}, None
        for case, (g, _) in graphs.items():
            f = hazard_failure(g, zone)
            failure = f if case == "with_cable" or failure is None else failure
            cases[case] = measure_failure(
                nets[case], failed_nodes=f.nodes, failed_edge_ids=f.edge_ids
            )
        assert failure is not None  # graphs is never empty
        failed = sorted(failure.edge_ids) + sorted(
            n for n in failure.nodes if not n.startswith("route:")
        )
        g_cable = graphs.get("with_cable", next(iter(graphs.values())))[0]
        lines = _failed_lines(g_cable, failure.edge_ids)
        out.append(
            HazardOutcome(
                id=str(row.id),
                name=str(getattr(row, "name", row.id)),
                failed_elements=failure.failed_elements,
                failed=tuple(failed),
                cases=cases,
                zone=zone,
                failed_lines=lines,
            )
        )
    return tuple(out)


def _failed_lines(graph: Any, edge_ids: frozenset[str]) -> tuple[tuple[str, Any], ...]:
    """(link id, line) of every failed link that has a line, one per id."""
    import shapely

    out: dict[str, Any] = {}
    for _, _, d in graph.edges(data=True):
        eid = str(d.get("id", ""))
        if eid in edge_ids and d.get("line") is not None and eid not in out:
            out[eid] = shapely.LineString(d["line"])
    return tuple(sorted(out.items()))


def hazard_layers(outcomes: Sequence[HazardOutcome]) -> tuple[Any, Any]:
    """Zones (with the people cut off per case) and failed links, as GeoDataFrames."""
    import geopandas as gpd

    from denen_gis.geodesy import CRS_EPSG

    def cut(m: FailureMeasures) -> str:
        return (
            f"{m.isolated_from_core:,} cut off from the core exchanges, "
            f"{m.isolated_from_datacenters:,} from the DCs, "
            f"{m.interregional_capacity_tbps:,.0f} Tbps between regions"
        )

    zones = gpd.GeoDataFrame(
        {
            "id": [h.id for h in outcomes],
            "name": [h.name for h in outcomes],
            "failed_elements": [h.failed_elements for h in outcomes],
            "without_cable": [cut(h.cases["without_cable"]) for h in outcomes],
            "with_cable": [cut(h.cases["with_cable"]) for h in outcomes],
        },
        geometry=[h.zone for h in outcomes],
        crs=CRS_EPSG,
    )
    rows = [(h.id, lid, line) for h in outcomes for lid, line in h.failed_lines]
    routes = gpd.GeoDataFrame(
        {"hazard": [r[0] for r in rows], "link_id": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=CRS_EPSG,
    )
    return zones, routes


@dataclass(frozen=True)
class ResilienceStudy:
    """N-1 in three cases: today, with the cable, with the cable and the plan's DCs.

    ``reports`` are in that order; ``comparison`` compares the first with the last.
    """

    plan_sites: tuple[str, ...]
    max_rtt_ms: float | None
    reports: Mapping[str, ResilienceReport] = field(repr=False)
    capacity: Mapping[str, CapacityShares]
    relief_from_cable: tuple[str, ...]
    relief_from_cable_and_dcs: tuple[str, ...]
    comparison: pd.DataFrame = field(repr=False)
    hazards: tuple[HazardOutcome, ...] = ()
    n2: NkResult | None = None
    latency: Mapping[str, UserLatency] = field(default_factory=dict)

    def baseline(self, name: str) -> RttFigures:
        """RTT figures of case ``name`` with nothing cut."""
        return RttFigures.from_dict(self.reports[name].baseline)

    def worst(self, name: str) -> CutFigures:
        """The worst single cut of case ``name``."""
        return CutFigures.from_dict(self.reports[name].worst)

    def to_dict(self) -> dict[str, Any]:
        """The ``resilience --json`` object."""
        return {
            "plan_sites": list(self.plan_sites),
            "max_rtt_ms": self.max_rtt_ms,
            "scenarios": {
                n: {"baseline": r.baseline, "worst_cut": r.worst} for n, r in self.reports.items()
            },
            "capacity": {n: c.to_dict() for n, c in self.capacity.items()},
            "relief_from_cable": list(self.relief_from_cable),
            "relief_from_cable_and_dcs": list(self.relief_from_cable_and_dcs),
            "hazards": [h.to_dict() for h in self.hazards],
            "n2": self.n2.to_dict() if self.n2 is not None else None,
            "user_latency": {n: u.to_dict() for n, u in self.latency.items()},
        }


def resilience_study(
    *,
    plan_site_ids: Sequence[str] | None = None,
    include_planned: bool = True,
    max_rtt_ms: float | None = None,
    inputs: InfrastructureInputs | None = None,
    hazards: pd.DataFrame | None = None,
    n2: bool = True,
) -> ResilienceStudy:
    """N-1 of each cable segment, land link and DC in three cases, hazard scenarios, N-2.

    ``plan_site_ids`` are the plan's new DC sites (default: the funded ones).
    ``hazards``: zones (``id``, ``name``, polygons; default: the four built-in
    modelled zones). ``n2``: run the exhaustive N-2 on the backbone with the
    cable and the plan's DCs.

    Raises
    ------
    InputError
        An unknown site id.
    """
    from denen_gis.errors import InputError

    inputs = inputs or embedded_inputs()
    plan_ids = list(plan_site_ids) if plan_site_ids else inputs.site_ids("funded")
    unknown = sorted(set(plan_ids) - set(inputs.datacenters["site_id"]))
    if unknown:
        msg = f"--sites: unknown site id(s) {unknown[:5]}; see the datacenters layer"
        raise InputError(msg)
    existing = inputs.site_ids("existing")
    plan_sites = list(dict.fromkeys(existing + plan_ids))
    g0 = backbone(inputs, include_planned=False)
    g1 = backbone(inputs, include_planned=include_planned)
    demand = demand_groups(inputs.grid, g0)
    cable = "with the Sea of Japan cable" if include_planned else "without the new cable"
    cases = {
        "today (existing DCs, no new cable)": (g0, existing),
        f"{cable}, existing DCs": (g1, existing),
        f"{cable}, existing + plan DCs": (g1, plan_sites),
    }
    reports = {
        name: n_minus_1(g, demand, sites=sites, max_rtt_ms=max_rtt_ms)
        for name, (g, sites) in cases.items()
    }
    today, cable_only, cable_and_dcs = reports.values()
    comparison = compare_cuts(today, cable_only)
    comparison_all = compare_cuts(today, cable_and_dcs)
    dcs = inputs.datacenters
    zones = builtin_hazards() if hazards is None else hazards
    graphs = {
        "without_cable": (g0, existing),
        "with_cable": (g1, existing),
        "with_cable_and_plan_dcs": (g1, plan_sites),
    }
    outcomes = hazard_outcomes(graphs, zones)
    user = {case: user_round_trip(g, demand, sites=sites) for case, (g, sites) in graphs.items()}
    nk = n_minus_k(failure_network(g1, sites=plan_sites), k=2) if n2 else None
    return ResilienceStudy(
        plan_sites=tuple(plan_ids),
        max_rtt_ms=max_rtt_ms,
        reports=reports,
        capacity={
            "existing": CapacityShares.from_dict(capacity_concentration(dcs)),
            "existing + plan": CapacityShares.from_dict(
                capacity_concentration(dcs, sites=plan_ids)
            ),
        },
        relief_from_cable=tuple(relief_statements(comparison)),
        relief_from_cable_and_dcs=tuple(relief_statements(comparison_all)),
        comparison=comparison_all,
        hazards=outcomes,
        n2=nk,
        latency=user,
    )
