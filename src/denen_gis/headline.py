"""The headline figures of a plan: coverage, gap and cost before and after.

:class:`Headline` is the typed form of the ``headline`` section of
``plan.json``; code reads its attributes, and :meth:`Headline.to_dict` writes
the section with the same keys.

Examples
--------
>>> h = Headline(population=100, coverage_before_pct=50.0, coverage_after_pct=80.0,
...              urban_pct_before=60.0, urban_pct_after=90.0, rural_pct_before=40.0,
...              rural_pct_after=70.0, urban_rural_gap_before_pp=20.0,
...              urban_rural_gap_after_pp=20.0, lowest_pref_before="31",
...              lowest_pref_before_pct=50.0, lowest_pref_after="31",
...              lowest_pref_after_pct=80.0, gini_before=0.0, gini_after=0.0,
...              new_sites=2, cost_myen=120.0, people_added=30)
>>> h.coverage_after_pct - h.coverage_before_pct
30.0
>>> h.to_dict()["people_added"]
30
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from denen_gis.layers.metrics import CoverageMetrics

__all__ = ["Headline"]


@dataclass(frozen=True)
class Headline:
    """Headline figures of a plan, before and after the chosen sites.

    Attributes
    ----------
    population
        People in the region [persons].
    coverage_before_pct, coverage_after_pct
        Population coverage of the region [%].
    urban_pct_before, urban_pct_after, rural_pct_before, rural_pct_after
        Coverage of urban and of rural people [%] (NaN when the region has none).
    urban_rural_gap_before_pp, urban_rural_gap_after_pp
        Urban minus rural coverage [percentage points].
    lowest_pref_before, lowest_pref_after
        Code of the populated prefecture with the lowest coverage (``None`` if none).
    lowest_pref_before_pct, lowest_pref_after_pct
        Its coverage [%].
    gini_before, gini_after
        Population-weighted Gini of prefecture coverage shares [0-1].
    new_sites
        Number of new sites [count].
    cost_myen
        Cost of the new sites [million yen].
    people_added
        People newly covered [persons].
    """

    population: int
    coverage_before_pct: float
    coverage_after_pct: float
    urban_pct_before: float
    urban_pct_after: float
    rural_pct_before: float
    rural_pct_after: float
    urban_rural_gap_before_pp: float
    urban_rural_gap_after_pp: float
    lowest_pref_before: str | None
    lowest_pref_before_pct: float
    lowest_pref_after: str | None
    lowest_pref_after_pct: float
    gini_before: float
    gini_after: float
    new_sites: int
    cost_myen: float
    people_added: int

    @classmethod
    def from_metrics(
        cls, before: CoverageMetrics, after: CoverageMetrics, *, new_sites: int, cost_myen: float
    ) -> Headline:
        """The headline of coverage ``before`` and ``after`` a set of new sites."""
        return cls(
            population=before.population,
            coverage_before_pct=before.coverage_pct,
            coverage_after_pct=after.coverage_pct,
            urban_pct_before=before.urban_pct,
            urban_pct_after=after.urban_pct,
            rural_pct_before=before.rural_pct,
            rural_pct_after=after.rural_pct,
            urban_rural_gap_before_pp=before.urban_rural_gap_pp,
            urban_rural_gap_after_pp=after.urban_rural_gap_pp,
            lowest_pref_before=before.lowest_pref,
            lowest_pref_before_pct=before.lowest_pref_pct,
            lowest_pref_after=after.lowest_pref,
            lowest_pref_after_pct=after.lowest_pref_pct,
            gini_before=before.gini,
            gini_after=after.gini,
            new_sites=new_sites,
            cost_myen=cost_myen,
            people_added=int(after.covered_population - before.covered_population),
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``headline`` section of ``plan.json`` (keys are the attribute names)."""
        return asdict(self)
