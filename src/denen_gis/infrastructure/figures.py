"""Typed figures and options of the infrastructure steps.

The lower layers return JSON-ready dicts (``summarize_rtt``,
``capacity_concentration``, the solver summaries); these frozen types read
each dict once, so callers use attributes, and ``to_dict()`` gives the same
keys back in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from denen_gis.optimize.dc_criteria import DEFAULT_CRITERIA_MS
from denen_gis.optimize.landings import (
    BACKHAUL_MYEN_PER_MPERSON_KM,
    COST_PER_LANDING_MYEN,
    DEFAULT_FIXED_LANDINGS,
)

__all__ = [
    "CapacityShares",
    "CutFigures",
    "DatacenterOptions",
    "LandingOptions",
    "RttFigures",
    "SolverFigures",
    "SolverLimits",
]


# ---------------------------------------------------------------------------
# typed figures (read once from the lower layers' JSON-ready dicts)


@dataclass(frozen=True)
class RttFigures:
    """Population-weighted RTT [ms] and people cut off [persons] (see ``summarize_rtt``)."""

    population: float
    mean_rtt_ms: float
    urban_rtt_ms: float
    rural_rtt_ms: float
    max_rtt_ms: float
    population_cut_off: float
    urban_cut_off: float
    rural_cut_off: float

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> RttFigures:
        """Figures from :func:`~denen_gis.layers.network.summarize_rtt`'s dict."""
        return cls(**{f.name: float(values[f.name]) for f in fields(cls)})

    def to_dict(self) -> dict[str, float]:
        """The ``summarize_rtt`` dict, same keys and order."""
        return asdict(self)


@dataclass(frozen=True)
class CutFigures:
    """One removed element of an N-1 analysis (a row of ``ResilienceReport.cuts``)."""

    kind: str
    id: str
    a: str
    b: str
    population_cut_off: float
    urban_cut_off: float
    rural_cut_off: float
    rtt_increase_ms: float

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> CutFigures:
        """Figures from ``ResilienceReport.worst``."""
        return cls(
            kind=str(values["kind"]),
            id=str(values["id"]),
            a=str(values["a"]),
            b=str(values["b"]),
            population_cut_off=float(values["population_cut_off"]),
            urban_cut_off=float(values["urban_cut_off"]),
            rural_cut_off=float(values["rural_cut_off"]),
            rtt_increase_ms=float(values["rtt_increase_ms"]),
        )


_AREA_SHARES = ("total_mw", "tokyo_area_share", "osaka_area_share", "tokyo_osaka_share")


@dataclass(frozen=True)
class CapacityShares:
    """DC capacity [MW] and its shares by area and seismic region [0-1]."""

    total_mw: float
    tokyo_area_share: float
    osaka_area_share: float
    tokyo_osaka_share: float
    #: Share per seismic region of ``layers.resilience.SEISMIC_REGIONS``, by region name.
    seismic_shares: Mapping[str, float]
    max_seismic_share: float

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> CapacityShares:
        """Shares from :func:`~denen_gis.layers.resilience.capacity_concentration`."""
        seismic = {
            k.removesuffix("_share"): float(v)
            for k, v in values.items()
            if k not in _AREA_SHARES and k != "max_seismic_share"
        }
        return cls(
            **{k: float(values[k]) for k in _AREA_SHARES},
            seismic_shares=seismic,
            max_seismic_share=float(values["max_seismic_share"]),
        )

    def to_dict(self) -> dict[str, float]:
        """The ``capacity_concentration`` dict, same keys and order."""
        out = {k: float(getattr(self, k)) for k in _AREA_SHARES}
        out.update({f"{k}_share": v for k, v in self.seismic_shares.items()})
        out["max_seismic_share"] = self.max_seismic_share
        return out


@dataclass(frozen=True)
class SolverFigures:
    """Status, objective, best bound, relative gap and wall time [s] of one solve."""

    status: str
    objective: float
    best_bound: float
    gap: float
    wall_time_s: float

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> SolverFigures:
        """Figures from a plan summary's ``solver`` dict."""
        return cls(
            status=str(values["status"]),
            **{k: float(values[k]) for k in ("objective", "best_bound", "gap", "wall_time_s")},
        )


# ---------------------------------------------------------------------------
# options


@dataclass(frozen=True)
class SolverLimits:
    """Time limit [s], random seed, worker threads and work limit of every solve in a run."""

    time_limit_s: float = 10.0
    seed: int = 0
    workers: int = 2
    work_limit: float | None = None


@dataclass(frozen=True)
class DatacenterOptions:
    """The data-centre model's rules (see :func:`~denen_gis.optimize.plan_datacenters`)."""

    k: int = 13
    objective: str = "median"
    allow_tokyo_area: bool = False
    fix_funded: bool = True
    include_sites: tuple[str, ...] = ()
    exclude_sites: tuple[str, ...] = ()
    max_per_block: int | None = None
    min_separation_km: float | None = None
    capacitated: bool = False
    budget_myen: float | None = None
    backup_max_rtt_ms: float | None = None
    #: Weights of the policy's criteria [ms]; ``None``: latency alone.
    criteria: Mapping[str, float] | None = field(default_factory=lambda: dict(DEFAULT_CRITERIA_MS))
    #: Under every built-in hazard zone each region keeps a reachable DC.
    hazard_rule: bool = True


@dataclass(frozen=True)
class LandingOptions:
    """The landing model's rules (see :func:`~denen_gis.optimize.plan_landings`).

    ``count=None`` lets the model choose the cheapest number of stations.
    """

    count: int | None = 5
    fixed: tuple[str, ...] = DEFAULT_FIXED_LANDINGS
    excluded: tuple[str, ...] = ()
    cost_per_landing_myen: float = COST_PER_LANDING_MYEN
    backhaul_myen_per_mperson_km: float = BACKHAUL_MYEN_PER_MPERSON_KM
