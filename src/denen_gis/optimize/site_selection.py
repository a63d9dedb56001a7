"""Thin wrapper: choose 5G sites by id, with the objective named by a string.

:func:`select_sites` maps site ids to column indices (an unknown id is an
:class:`~denen_gis.errors.InputError` that names it) and dispatches to the
array-level models of :mod:`denen_gis.optimize.coverage_models`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from denen_gis.errors import InputError
from denen_gis.optimize.coverage_models import solve_max_coverage, solve_min_cost
from denen_gis.optimize.fairness import solve_max_min_fairness
from denen_gis.optimize.result import SiteSelectionResult
from denen_gis.optimize.targets import Targets

__all__ = ["OBJECTIVES", "select_sites"]

#: Objectives accepted by :func:`select_sites`.
OBJECTIVES = ("coverage", "min-cost", "fairness")


def _ids_to_indices(name: str, ids: Iterable[object], site_ids: Sequence[object]) -> list[int]:
    lookup = {str(s): i for i, s in enumerate(site_ids)}
    out = []
    for sid in ids:
        if str(sid) not in lookup:
            msg = f"{name}: site id {sid!r} is not among the {len(lookup)} candidate site_ids"
            raise InputError(msg)
        out.append(lookup[str(sid)])
    return out


def select_sites(  # noqa: PLR0913 -- solver API: the model's options are keyword-only parameters
    coverage: sp.spmatrix | np.ndarray,
    *,
    population: np.ndarray,
    costs_myen: np.ndarray,
    site_ids: Sequence[object],
    pref_code: np.ndarray | None = None,
    urban: np.ndarray | None = None,
    covered_before: np.ndarray | None = None,
    objective: str = "coverage",
    budget_myen: float | None = None,
    targets: Targets | None = None,
    include_ids: Iterable[object] = (),
    exclude_ids: Iterable[object] = (),
    rural_weight: float = 1.0,
    fairness_on: str = "prefecture",
    time_limit_s: float = 60.0,
    seed: int = 0,
    workers: int = 1,
    engine: str = "auto",
    work_limit: float | None = None,
) -> SiteSelectionResult:
    """Choose candidate sites by id for one objective.

    Parameters
    ----------
    coverage
        (n_cells x n_sites) bool matrix: site j covers cell i.
    population
        Population per cell [persons].
    costs_myen
        Cost per site [million yen].
    site_ids
        Id of each site (column of ``coverage``); must be unique.
    pref_code, urban, covered_before
        Prefecture code, urban flag and existing coverage per cell.
    objective
        ``"coverage"`` (needs ``budget_myen``), ``"min-cost"`` (needs ``targets``)
        or ``"fairness"`` (needs ``budget_myen``).
    budget_myen
        Budget [million yen].
    targets
        Coverage targets for ``"min-cost"``.
    include_ids, exclude_ids
        Ids of sites that must / must not be built.
    rural_weight, fairness_on, time_limit_s, seed, workers, engine, work_limit
        Passed to the model.

    Examples
    --------
    >>> import numpy as np
    >>> res = select_sites(np.array([[1, 0], [0, 1]], dtype=bool), population=np.array([4.0, 6.0]),
    ...                    costs_myen=np.array([1.0, 1.0]), site_ids=["a", "b"], budget_myen=1.0)
    >>> res.chosen.tolist()
    [1]
    """
    ids = list(site_ids)
    if len({str(s) for s in ids}) != len(ids):
        msg = "site_ids: ids must be unique; rename or drop the duplicated candidates"
        raise InputError(msg)
    n_sites = coverage.shape[1]
    if len(ids) != n_sites:
        msg = f"site_ids: expected one id per coverage column ({n_sites}), got {len(ids)}"
        raise InputError(msg)
    include = _ids_to_indices("include_ids", include_ids, ids)
    exclude = _ids_to_indices("exclude_ids", exclude_ids, ids)
    common = dict(
        covered_before=covered_before,
        urban=urban,
        groups=pref_code,
        include=include,
        exclude=exclude,
        time_limit_s=time_limit_s,
        seed=seed,
        workers=workers,
        engine=engine,
        work_limit=work_limit,
    )
    if objective in ("coverage", "fairness") and budget_myen is None:
        msg = f"budget_myen: objective={objective!r} needs a budget [million yen]"
        raise InputError(msg)
    if objective == "coverage":
        return solve_max_coverage(
            coverage,
            population,
            costs_myen,
            budget_myen=float(budget_myen),  # type: ignore[arg-type]
            rural_weight=rural_weight,
            **common,  # type: ignore[arg-type]
        )
    if objective == "fairness":
        return solve_max_min_fairness(
            coverage,
            population,
            costs_myen,
            budget_myen=float(budget_myen),  # type: ignore[arg-type]
            fairness_on=fairness_on,
            **common,  # type: ignore[arg-type]
        )
    if objective == "min-cost":
        if targets is None:
            msg = "targets: objective='min-cost' needs Targets(national=..., ...)"
            raise InputError(msg)
        return solve_min_cost(coverage, population, costs_myen, targets=targets, **common)  # type: ignore[arg-type]
    msg = f"objective: {objective!r} is unknown; use one of {', '.join(OBJECTIVES)}"
    raise InputError(msg)
