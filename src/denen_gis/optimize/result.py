"""The frozen result of every 5G site-selection model.

A :class:`SiteSelectionResult` carries what was chosen (and, for a rollout, in
which fiscal year), how good it is (objective, best bound, relative gap,
status), what it cost, how large the model was before and after reduction, and
the coverage it gives, per cell and per group (prefecture, urban/rural).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ModelSize", "SiteSelectionResult", "group_table", "relative_gap"]


@dataclass(frozen=True)
class ModelSize:
    """Size of a covering model: demand rows, candidate sites, covering pairs."""

    cells: int
    sites: int
    nonzeros: int

    def to_dict(self) -> dict[str, int]:
        return {"cells": self.cells, "sites": self.sites, "nonzeros": self.nonzeros}


def relative_gap(objective: float, bound: float) -> float:
    """Relative gap ``|bound - objective| / max(|objective|, 1e-9)`` (``nan`` if unknown)."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return float("nan")
    return abs(bound - objective) / max(abs(objective), 1e-9)


def group_table(
    population: np.ndarray,
    covered_before: np.ndarray,
    covered_after: np.ndarray,
    groups: np.ndarray,
    urban: np.ndarray,
) -> pd.DataFrame:
    """Population and coverage per prefecture, then per ``urban``/``rural``, then ``total``.

    Columns: ``kind`` (``prefecture``, ``urban_rural``, ``total``), ``group``,
    ``population`` [persons], ``covered_before``/``covered_after`` [persons] and
    ``share_before``/``share_after`` (0-1; ``nan`` for an empty group).
    """
    frames = []
    pop = np.asarray(population, dtype=np.float64)
    keys = [
        ("prefecture", np.asarray(groups).astype(str)),
        ("urban_rural", np.where(urban, "urban", "rural")),
        ("total", np.full(pop.shape[0], "total")),
    ]
    for kind, key in keys:
        frame = pd.DataFrame(
            {
                "group": key,
                "population": pop,
                "covered_before": pop * covered_before,
                "covered_after": pop * covered_after,
            }
        )
        agg = frame.groupby("group", sort=True).sum().reset_index()
        agg.insert(0, "kind", kind)
        frames.append(agg)
    table = pd.concat(frames, ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share_before"] = table["covered_before"] / table["population"]
        table["share_after"] = table["covered_after"] / table["population"]
    return table


@dataclass(frozen=True)
class SiteSelectionResult:
    """Outcome of one site-selection solve.

    Attributes
    ----------
    chosen
        Indices of the sites to build (included sites too), sorted.
    year
        Fiscal year in which each ``chosen`` site is built (rollout only, else ``None``).
    objective
        Objective value of ``chosen`` in the model's own units (people covered,
        weighted people, million yen, ...; see ``objective_name``).
    best_bound
        Best proven bound on the objective (``nan`` when unknown).
    gap
        Relative gap between objective and bound (0 when proven optimal).
    status
        ``OPTIMAL``, ``FEASIBLE`` (stopped at the time limit or the gap) or
        ``HEURISTIC`` (greedy answer with a bound, no MIP run).
    wall_time_s
        Wall-clock time of the whole call [s].
    engine
        What produced ``chosen``: ``SCIP``, ``HIGHS``, ``CBC``, ``greedy``,
        ``LP+greedy`` (LP rounding), ``year-by-year greedy`` (large rollouts);
        ``+swaps`` when the final local search improved it.
    size_before, size_after
        Model size before and after reduction.
    cost_myen
        Cost of ``chosen`` [million yen].
    covered_after
        Per cell: covered after building ``chosen`` (existing coverage included).
    groups
        Per-group table from :func:`group_table`.
    objective_name
        What ``objective`` measures.
    details
        Extra numbers of a model (for example ``min_share`` of fairness).
    """

    chosen: np.ndarray
    objective: float
    best_bound: float
    gap: float
    status: str
    wall_time_s: float
    engine: str
    size_before: ModelSize
    size_after: ModelSize
    cost_myen: float
    covered_after: np.ndarray
    groups: pd.DataFrame
    objective_name: str
    year: np.ndarray | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (per-cell coverage as the count of covered cells)."""

        def num(value: float) -> float | None:
            value = float(value)
            return value if math.isfinite(value) else None

        groups = self.groups.astype(object).where(self.groups.notna(), None)
        return {
            "chosen": [int(i) for i in self.chosen],
            "year": None if self.year is None else [int(y) for y in self.year],
            "objective": num(self.objective),
            "objective_name": self.objective_name,
            "best_bound": num(self.best_bound),
            "gap": num(self.gap),
            "status": self.status,
            "wall_time_s": float(self.wall_time_s),
            "engine": self.engine,
            "size_before": self.size_before.to_dict(),
            "size_after": self.size_after.to_dict(),
            "cost_myen": float(self.cost_myen),
            "cells_covered_after": int(np.count_nonzero(self.covered_after)),
            "groups": groups.to_dict(orient="records"),
            "details": {k: _plain(v) for k, v in self.details.items()},
        }


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    return value
