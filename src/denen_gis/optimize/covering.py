"""The covering toolkit shared by every 5G model: one preparation step and the steps around a solve.

Every 5G model (:mod:`~denen_gis.optimize.coverage_models`,
:mod:`~denen_gis.optimize.fairness`, :mod:`~denen_gis.optimize.rollout`) runs the
same steps:

1. :func:`check_run` checks the time limit and resolves the engine;
2. :func:`prepare_covering` checks the arrays, takes the included sites' coverage
   out and reduces the model (:mod:`denen_gis.optimize.reduce`), giving a frozen
   :class:`PreparedCovering`;
3. the model builds and solves its own rows on ``prepared.reduced``;
4. :func:`finish_result` maps the reduced model's sites back to the caller's and
   returns the frozen :class:`~denen_gis.optimize.result.SiteSelectionResult`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from denen_gis.errors import InputError
from denen_gis.optimize import effort
from denen_gis.optimize._mip import MipSolution
from denen_gis.optimize._validate import CheckedArrays, check_budget, check_inputs, check_sites
from denen_gis.optimize.reduce import ReducedProblem, reduce_coverage
from denen_gis.optimize.result import SiteSelectionResult, group_table, relative_gap

__all__ = [
    "DEFAULT_ENGINE",
    "GREEDY_ONLY_BELOW_S",
    "PreparedCovering",
    "RunSettings",
    "check_run",
    "check_rural_weight",
    "covered_weight",
    "covering_rows",
    "finish_result",
    "gap_status",
    "mip_hint",
    "pick_better",
    "prepare_covering",
]

log = logging.getLogger(__name__)

#: Engine used when ``engine="auto"``; chosen by measurement (docs/optimization.md).
DEFAULT_ENGINE = "SCIP"
#: Below this time limit [s] the models return the greedy answer at once.
GREEDY_ONLY_BELOW_S = 0.5


@dataclass(frozen=True)
class PreparedCovering:
    """Checked inputs, the included sites' coverage and the reduced model.

    Attributes
    ----------
    inputs
        The checked arrays, one entry per cell / candidate site of the caller.
    include, exclude
        Sorted site indices that must / must not be built.
    covered0
        Cells covered before the model chooses anything: existing stations and
        included sites.
    reduced
        The reduced model (demands x sites) and its mapping back to cells and sites.
    group_names, group_codes
        Sorted distinct group labels and each cell's index into them.
    started
        ``time.perf_counter()`` when the preparation began (the result's wall time).
    clock_started
        The model clock's reading then (:func:`denen_gis.optimize.effort.now`):
        the phases' limits count from it, in seconds or in work units.
    budget_left
        Budget left after the included sites [million yen] (``inf`` without one).
    """

    inputs: CheckedArrays
    include: np.ndarray
    exclude: np.ndarray
    covered0: np.ndarray
    reduced: ReducedProblem
    group_names: np.ndarray
    group_codes: np.ndarray
    started: float
    budget_left: float = math.inf
    clock_started: float = 0.0

    @property
    def site_costs_myen(self) -> np.ndarray:
        """Cost of each reduced model site [million yen]."""
        return self.inputs.costs_myen[self.reduced.site_index]

    @property
    def included_cost_myen(self) -> float:
        """Cost of the included sites [million yen]."""
        return float(self.inputs.costs_myen[self.include].sum())

    def elapsed_s(self) -> float:
        """The model clock's reading since the preparation began (seconds, or work units)."""
        return effort.now() - self.clock_started

    def remaining_s(self, time_limit_s: float) -> float:
        """What is left of ``time_limit_s`` (seconds, or work units) since the preparation."""
        return time_limit_s - self.elapsed_s()


def prepare_covering(
    coverage: object,
    population: object,
    costs_myen: object,
    *,
    covered_before: object,
    groups: object,
    urban: object,
    include: Iterable[int],
    exclude: Iterable[int],
    budget_myen: float | None,
    budget_name: str = "budget_myen",
    site_cost_cap: float | None = None,
) -> PreparedCovering:
    """Check the arrays and reduce the covering model (the one preparation of every 5G model).

    Parameters
    ----------
    coverage, population, costs_myen, covered_before, groups, urban
        As in :func:`~denen_gis.optimize.solve_max_coverage`.
    include, exclude
        Site indices that must / must not be built.
    budget_myen
        Budget [million yen], or ``None`` for a model without one.
    budget_name
        Parameter name used in the budget's error message.
    site_cost_cap
        Sites dearer than this [million yen] leave the model; default what is
        left of the budget.

    Returns
    -------
    PreparedCovering
    """
    started = time.perf_counter()
    clock_started = effort.now()
    inputs = check_inputs(
        coverage,
        population,
        costs_myen,
        covered_before=covered_before,
        groups=groups,
        urban=urban,
    )
    inc, exc = check_sites(include, exclude, inputs.n_sites)
    inc_cost = float(inputs.costs_myen[inc].sum())
    left = math.inf
    if budget_myen is not None:
        budget = check_budget(budget_name, budget_myen, inc_cost)
        left = budget - inc_cost
    covered0 = inputs.covered_before.copy()
    if inc.size:
        covered0 |= np.asarray(inputs.coverage[:, inc].sum(axis=1)).ravel() > 0
    allowed = np.ones(inputs.n_sites, dtype=bool)
    allowed[inc] = False
    allowed[exc] = False
    # a site dearer than what is left of the budget can never be built
    cap = left if site_cost_cap is None else site_cost_cap
    allowed &= inputs.costs_myen <= cap * (1 + 1e-12) + 1e-9
    group_names, group_codes = np.unique(inputs.groups.astype(str), return_inverse=True)
    reduced = reduce_coverage(
        inputs.coverage,
        inputs.population,
        covered_before=covered0,
        allowed_sites=allowed,
        group_codes=group_codes.ravel(),
        urban=inputs.urban,
        costs_myen=inputs.costs_myen,
    )
    log.info(
        "model reduced from %d cells x %d sites (%d pairs) to %d demands x %d sites (%d pairs)",
        reduced.size_before.cells,
        reduced.size_before.sites,
        reduced.size_before.nonzeros,
        reduced.size_after.cells,
        reduced.size_after.sites,
        reduced.size_after.nonzeros,
    )
    return PreparedCovering(
        inputs,
        inc,
        exc,
        covered0,
        reduced,
        group_names,
        group_codes.ravel(),
        started,
        left,
        clock_started,
    )


def covering_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Rows ``y_k - sum_j a_kj x_j <= 0`` over variables ``[x, y]``."""
    n_dem = matrix.shape[0]
    return sp.hstack([-matrix.astype(np.float64), sp.identity(n_dem, format="csr")], format="csr")


def finish_result(
    prep: PreparedCovering,
    model_chosen: np.ndarray,
    *,
    objective: float,
    best_bound: float,
    status: str,
    engine: str,
    objective_name: str,
    year: np.ndarray | None = None,
    details: Mapping[str, object] | None = None,
) -> SiteSelectionResult:
    """Map the reduced model's chosen sites back to the caller's and build the result."""
    inputs = prep.inputs
    chosen_model = prep.reduced.site_index[np.asarray(model_chosen, dtype=np.int64)]
    chosen = np.concatenate([prep.include, chosen_model]).astype(np.int64)
    order = np.argsort(chosen, kind="stable")
    chosen = chosen[order]
    if year is not None:
        year = np.asarray(year, dtype=np.int64)[order]
    covered_after = prep.covered0.copy()
    if chosen_model.size:
        covered_after |= np.asarray(inputs.coverage[:, chosen_model].sum(axis=1)).ravel() > 0
    table = group_table(
        inputs.population, inputs.covered_before, covered_after, inputs.groups, inputs.urban
    )
    gap = relative_gap(objective, best_bound)
    return SiteSelectionResult(
        chosen=chosen,
        objective=float(objective),
        best_bound=float(best_bound),
        gap=gap,
        status=status,
        wall_time_s=time.perf_counter() - prep.started,
        engine=engine,
        size_before=prep.reduced.size_before,
        size_after=prep.reduced.size_after,
        cost_myen=float(inputs.costs_myen[chosen].sum()),
        covered_after=covered_after,
        groups=table,
        objective_name=objective_name,
        year=year,
        details=_with_work(details),
    )


def _with_work(details: Mapping[str, object] | None) -> dict:
    """``details`` plus, on a work clock, the work report under ``"work"``."""
    out = dict(details or {})
    clock = effort.current()
    if clock is not None:
        out["work"] = clock.report()
    return out


def _resolve_engine(engine: str) -> str:
    name = engine.upper()
    if name == "AUTO":
        return DEFAULT_ENGINE
    if name not in ("SCIP", "HIGHS", "CBC", "GREEDY"):
        msg = f"engine={engine!r} is unknown; use 'auto', 'SCIP', 'HIGHS', 'CBC' or 'greedy'"
        raise InputError(msg)
    return name


@dataclass(frozen=True)
class RunSettings:
    """How a model is solved: checked time limit [s], resolved engine and solver knobs."""

    time_limit_s: float
    engine: str
    seed: int = 0
    workers: int = 1
    rel_gap: float = 1e-4


def check_run(
    time_limit_s: float,
    engine: str,
    *,
    seed: int = 0,
    workers: int = 1,
    rel_gap: float = 1e-4,
    greedy_allowed: bool = False,
) -> RunSettings:
    """Check the time limit [s] and resolve the engine name (upper case).

    ``engine="greedy"`` is accepted only where the model has a greedy-only mode
    (``greedy_allowed``, max coverage). On a work clock
    (:func:`denen_gis.optimize.effort.clocked`) the settings' ``time_limit_s``
    is the work limit in units, which the model's phases share, and CBC (which
    has no node limit here) is refused.
    """
    value = float(time_limit_s)
    if not value > 0:
        msg = f"time_limit_s: {time_limit_s!r} is not a time limit; pass seconds > 0"
        raise InputError(msg)
    name = _resolve_engine(engine)
    if name == "GREEDY" and not greedy_allowed:
        msg = "engine='greedy' solves only solve_max_coverage; use 'auto' here"
        raise InputError(msg)
    clock = effort.current()
    if clock is not None:
        if name == "CBC":
            msg = (
                "engine='CBC' has no work limit here; use 'auto', 'SCIP' or 'HIGHS' with work_limit"
            )
            raise InputError(msg)
        value = clock.limit
    return RunSettings(value, name, seed, workers, rel_gap)


def check_rural_weight(rural_weight: float) -> float:
    """Check the weight of a rural person relative to an urban one (finite, >= 0)."""
    weight_rural = float(rural_weight)
    if not (math.isfinite(weight_rural) and weight_rural >= 0):
        msg = f"rural_weight: {rural_weight!r} is not a weight; pass a finite value >= 0"
        raise InputError(msg)
    return weight_rural


def mip_hint(matrix: sp.csr_matrix, chosen: np.ndarray, n_sites: int) -> np.ndarray:
    """Values of ``[x, y]`` for a plan: the chosen sites and the demands they cover."""
    x = np.zeros(n_sites)
    x[chosen] = 1.0
    y = (matrix @ x) > 0
    return np.concatenate([x, y.astype(np.float64)])


def covered_weight(matrix: sp.csr_matrix, weight: np.ndarray, chosen: np.ndarray) -> float:
    """Total weight of the demands that the chosen sites cover."""
    x = np.zeros(matrix.shape[1])
    x[chosen] = 1.0
    return float(weight[(matrix @ x) > 0].sum())


def pick_better(
    sol: MipSolution,
    fallback: np.ndarray,
    fallback_value: float,
    n_sites: int,
    *,
    maximize: bool,
) -> tuple[np.ndarray, float, float, str, str]:
    """MIP answer, or the fallback when the MIP found nothing or something worse."""
    if sol.values is None:
        return fallback, fallback_value, math.nan, "FEASIBLE", "greedy"
    chosen = np.flatnonzero(sol.values[:n_sites] > 0.5)
    better = sol.objective >= fallback_value if maximize else sol.objective <= fallback_value
    if not better:
        return fallback, fallback_value, sol.best_bound, "FEASIBLE", f"{sol.engine}+greedy"
    return chosen, sol.objective, sol.best_bound, sol.status, sol.engine


def gap_status(value: float, bound: float, rel_gap: float) -> str:
    """``OPTIMAL`` when the proven gap is within ``rel_gap``, else ``FEASIBLE``."""
    if math.isfinite(bound) and abs(value - bound) <= rel_gap * max(abs(value), 1e-9) + 1e-9:
        return "OPTIMAL"
    return "FEASIBLE"
