"""Coverage targets: the :class:`Targets` type, its rows in a covering model and reachability.

A target asks that a share of a group's population (national, a prefecture,
the rural population) be covered at the end, people already covered included.
:func:`target_rows` turns :class:`Targets` into one :class:`TargetRow` per
group, :func:`check_reachable` raises with a shortfall table when a row is out
of reach with every allowed site, and :func:`target_constraints` writes the
rows over the reduced model's demand variables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from denen_gis.errors import InfeasibleError, InputError
from denen_gis.optimize.covering import PreparedCovering
from denen_gis.optimize.result import group_table

__all__ = [
    "TARGET_TOL",
    "TargetRow",
    "Targets",
    "check_reachable",
    "resolve_targets",
    "target_constraints",
    "target_rows",
]

#: Targets are met up to this share of the group's population (float round-off).
TARGET_TOL = 1e-9


@dataclass(frozen=True)
class Targets:
    """Coverage targets as shares (0-1) of total population, already covered included.

    Parameters
    ----------
    national
        Share of the whole population to cover.
    per_prefecture
        Floor for every prefecture (a float), or per prefecture code (a dict).
    rural
        Share of the rural population to cover.

    Examples
    --------
    >>> Targets(national=0.95, per_prefecture={"01": 0.9}, rural=0.8).rural
    0.8
    """

    national: float | None = None
    per_prefecture: float | Mapping[str, float] | None = None
    rural: float | None = None

    def __post_init__(self) -> None:
        def check(name: str, value: object) -> None:
            try:
                share = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                msg = f"targets.{name}: expected a share in [0, 1], got {value!r}"
                raise InputError(msg) from None
            if not math.isfinite(share) or share < 0:
                msg = f"targets.{name}: {value!r} is not a share; pass a value in [0, 1]"
                raise InputError(msg)
            if share > 1:
                msg = (
                    f"targets.{name}: {share:g} is a target above 100%; shares run from "
                    "0 to 1 (0.95 = 95%)"
                )
                raise InputError(msg)

        if self.national is not None:
            check("national", self.national)
        if self.rural is not None:
            check("rural", self.rural)
        if isinstance(self.per_prefecture, Mapping):
            frozen = dict(self.per_prefecture)
            for code, share in frozen.items():
                check(f"per_prefecture[{code!r}]", share)
            object.__setattr__(self, "per_prefecture", frozen)
        elif self.per_prefecture is not None:
            check("per_prefecture", self.per_prefecture)

    def is_empty(self) -> bool:
        """True when no target is set."""
        return self.national is None and self.per_prefecture is None and self.rural is None


def resolve_targets(targets: Targets, group_names: np.ndarray) -> dict[str, float]:
    """Per-prefecture floors keyed by code (only those set)."""
    floors: dict[str, float] = {}
    per = targets.per_prefecture
    if isinstance(per, Mapping):
        known = set(group_names.tolist())
        for code, share in per.items():
            if str(code) not in known:
                msg = (
                    f"targets.per_prefecture: prefecture {code!r} has no cell in groups; "
                    f"use one of {', '.join(sorted(known)[:5])}..."
                )
                raise InputError(msg)
            floors[str(code)] = float(share)
    elif per is not None:
        floors = {str(code): float(per) for code in group_names}
    return floors


@dataclass(frozen=True)
class TargetRow:
    """One target: cells it counts, its population, required and reachable people."""

    label: str
    cells: np.ndarray
    population: float
    share: float


def target_rows(prep: PreparedCovering, targets: Targets) -> list[TargetRow]:
    """One row per target that ``targets`` sets: national, each prefecture floor, rural."""
    inputs = prep.inputs
    rows: list[TargetRow] = []
    pop = inputs.population
    if targets.national is not None:
        cells = np.ones(inputs.n_cells, dtype=bool)
        rows.append(TargetRow("national", cells, float(pop.sum()), float(targets.national)))
    for code, share in resolve_targets(targets, prep.group_names).items():
        cells = inputs.groups.astype(str) == code
        rows.append(TargetRow(f"prefecture {code}", cells, float(pop[cells].sum()), share))
    if targets.rural is not None:
        cells = ~inputs.urban
        rows.append(TargetRow("rural", cells, float(pop[cells].sum()), float(targets.rural)))
    return rows


def check_reachable(prep: PreparedCovering, rows: list[TargetRow], *, when: str = "") -> None:
    """Raise :class:`InfeasibleError` when a target is out of reach with every allowed site."""
    inputs = prep.inputs
    # cells with no population left the model, but they count nothing either way
    reach = prep.covered0 | (prep.reduced.cell_demand >= 0)
    records = []
    for row in rows:
        if row.population <= 0:
            continue
        best = float(inputs.population[row.cells & reach].sum()) / row.population
        if best < row.share - TARGET_TOL:
            records.append(
                {
                    "group": row.label,
                    "target": row.share,
                    "best_share": best,
                    "gap": row.share - best,
                }
            )
    if records:
        table = pd.DataFrame.from_records(records)
        worst = table.iloc[int(np.argmax(table["gap"].to_numpy()))]
        msg = (
            f"{len(records)} target(s){when} cannot be met even with every allowed site built; "
            f"worst: {worst['group']} target {worst['target']:.4g}, best {worst['best_share']:.4g}"
        )
        best_table = group_table(
            inputs.population, inputs.covered_before, reach, inputs.groups, inputs.urban
        )
        raise InfeasibleError(msg, shortfall=table, best=best_table)


def target_constraints(
    prep: PreparedCovering, rows: list[TargetRow], n_var: int, y_offset: int
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Rows ``sum_{k in G} w_k y_k >= need_G`` over ``n_var`` variables (y at ``y_offset``)."""
    red, pop = prep.reduced, prep.inputs.population
    data, cols, row_idx, need = [], [], [], []
    demand_of_cell = red.cell_demand
    for row in rows:
        required = row.share * row.population - float(pop[row.cells & prep.covered0].sum())
        required -= TARGET_TOL * row.population
        if required <= 0:
            continue
        cells = row.cells & (demand_of_cell >= 0)
        w = np.bincount(demand_of_cell[cells], weights=pop[cells], minlength=red.n_demands)
        nz = np.flatnonzero(w)
        data.append(w[nz])
        cols.append(nz + y_offset)
        row_idx.append(np.full(nz.size, len(need)))
        need.append(required)
    if not need:
        return sp.csr_matrix((0, n_var)), np.zeros(0)
    matrix = sp.csr_matrix(
        (np.concatenate(data), (np.concatenate(row_idx), np.concatenate(cols))),
        shape=(len(need), n_var),
    )
    return matrix, np.asarray(need)
