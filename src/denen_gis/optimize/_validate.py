"""Input checks shared by every site-selection model, run before anything is solved.

Each check raises :class:`~denen_gis.errors.InputError` with one line naming the
parameter, the offending entry and what to do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from denen_gis.errors import InputError

__all__ = [
    "MAX_WORK_LIMIT",
    "CheckedArrays",
    "check_budget",
    "check_inputs",
    "check_seed",
    "check_sites",
    "check_solver_settings",
    "check_work_limit",
]

#: Largest work limit [units] (about 11 days on the reference machine). Keep
#: equal to :data:`denen_gis.scenario_checks.MAX_WORK_LIMIT` (a test checks).
MAX_WORK_LIMIT = 1e6


@dataclass(frozen=True)
class CheckedArrays:
    """Arrays after checking: a canonical bool CSR matrix and 1-D arrays."""

    coverage: sp.csr_matrix
    population: np.ndarray
    costs_myen: np.ndarray
    covered_before: np.ndarray
    groups: np.ndarray
    urban: np.ndarray

    @property
    def n_cells(self) -> int:
        return int(self.coverage.shape[0])

    @property
    def n_sites(self) -> int:
        return int(self.coverage.shape[1])


def _vector(name: str, value: object, n: int, what: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.shape[0] != n:
        msg = (
            f"{name}: expected one value per {what} ({n}), got shape {arr.shape}; pass a 1-D array"
        )
        raise InputError(msg)
    return arr


def _nonnegative(name: str, arr: np.ndarray, unit: str) -> np.ndarray:
    try:
        out = arr.astype(np.float64)
    except (TypeError, ValueError):
        msg = f"{name}: values must be numbers [{unit}]; got dtype {arr.dtype}"
        raise InputError(msg) from None
    bad = ~np.isfinite(out) | (out < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = f"{name}: entry {i} is {out[i]!r}; values must be finite and >= 0 [{unit}]"
        raise InputError(msg)
    return out


def check_inputs(
    coverage: object,
    population: object,
    costs_myen: object,
    *,
    covered_before: object = None,
    groups: object = None,
    urban: object = None,
) -> CheckedArrays:
    """Check shapes, signs and dtypes of the common model inputs.

    Parameters
    ----------
    coverage
        Sparse or dense (n_cells x n_sites) matrix; non-zero means "site covers cell".
    population
        Population per cell [persons], >= 0.
    costs_myen
        Cost per candidate site [million yen], >= 0.
    covered_before
        Cells already covered (bool per cell); default none.
    groups
        Prefecture code per cell (str); default one group ``"all"``.
    urban
        Urban flag per cell (bool); default all urban (no rural cells).
    """
    if sp.issparse(coverage):
        matrix = sp.csr_matrix(coverage)
    else:
        dense = np.asarray(coverage)
        if dense.ndim != 2:
            msg = f"coverage: expected a 2-D (cells x sites) matrix, got shape {dense.shape}"
            raise InputError(msg)
        matrix = sp.csr_matrix(dense)
    if matrix.ndim != 2:
        msg = f"coverage: expected a 2-D (cells x sites) matrix, got shape {matrix.shape}"
        raise InputError(msg)
    matrix.eliminate_zeros()
    matrix = matrix.astype(bool)
    matrix.sum_duplicates()
    matrix.sort_indices()
    n_cells, n_sites = matrix.shape
    pop = _nonnegative("population", _vector("population", population, n_cells, "cell"), "persons")
    costs = _nonnegative(
        "costs_myen", _vector("costs_myen", costs_myen, n_sites, "site"), "million yen"
    )
    if covered_before is None:
        before = np.zeros(n_cells, dtype=bool)
    else:
        before = _vector("covered_before", covered_before, n_cells, "cell").astype(bool)
    if groups is None:
        grp = np.full(n_cells, "all", dtype=object)
    else:
        grp = _vector("groups", groups, n_cells, "cell").astype(str).astype(object)
    if urban is None:
        urb = np.ones(n_cells, dtype=bool)
    else:
        urb = _vector("urban", urban, n_cells, "cell").astype(bool)
    return CheckedArrays(matrix, pop, costs, before, grp, urb)


def _indices(name: str, values: Iterable[int], n_sites: int) -> np.ndarray:
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        msg = f"{name}: expected integer site indices, got {arr.dtype} {arr.shape}"
        raise InputError(msg)
    bad = (arr < 0) | (arr >= n_sites)
    if bad.any():
        msg = (
            f"{name}: site index {int(arr[bad][0])} is unknown; indices run from 0 to {n_sites - 1}"
        )
        raise InputError(msg)
    return np.unique(arr.astype(np.int64))


def check_sites(
    include: Iterable[int], exclude: Iterable[int], n_sites: int
) -> tuple[np.ndarray, np.ndarray]:
    """Check ``include``/``exclude`` site indices; return them sorted and unique."""
    inc = _indices("include", include, n_sites)
    exc = _indices("exclude", exclude, n_sites)
    both = np.intersect1d(inc, exc)
    if both.size:
        msg = (
            f"include/exclude: site {int(both[0])} is both included and excluded; drop it from one"
        )
        raise InputError(msg)
    return inc, exc


def check_budget(name: str, budget_myen: float, included_cost_myen: float) -> float:
    """Check a budget [million yen] against the cost of the included sites."""
    try:
        budget = float(budget_myen)
    except (TypeError, ValueError):
        msg = f"{name}: expected a number [million yen], got {budget_myen!r}"
        raise InputError(msg) from None
    if not np.isfinite(budget) or budget < 0:
        msg = f"{name}: {budget!r} is not a budget; pass a finite value >= 0 [million yen]"
        raise InputError(msg)
    if included_cost_myen > budget * (1 + 1e-12) + 1e-9:
        msg = (
            f"{name}: the included sites cost {included_cost_myen:.6g} million yen, more than the "
            f"budget of {budget:.6g}; raise the budget or include fewer sites"
        )
        raise InputError(msg)
    return budget


def check_solver_settings(time_limit_s: float, workers: int) -> None:
    """Reject a time limit that is not a positive number of seconds or fewer than one worker."""
    if isinstance(time_limit_s, bool) or not (
        isinstance(time_limit_s, int | float | np.integer | np.floating) and time_limit_s > 0
    ):
        msg = f"time_limit_s must be a number of seconds > 0, got {time_limit_s!r}"
        raise InputError(msg)
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        msg = f"workers must be a whole number >= 1, got {workers!r}"
        raise InputError(msg)


def check_work_limit(work_limit: float) -> float:
    """A deterministic work limit: a finite number > 0 and at most :data:`MAX_WORK_LIMIT`."""
    if isinstance(work_limit, bool) or not (
        isinstance(work_limit, int | float | np.integer | np.floating)
        and math.isfinite(work_limit)
        and 0 < work_limit <= MAX_WORK_LIMIT
    ):
        msg = (
            f"work_limit must be a finite number > 0 and at most {MAX_WORK_LIMIT:g} "
            f"work units, got {work_limit!r}"
        )
        raise InputError(msg)
    return float(work_limit)


def check_seed(seed: int) -> int:
    """A solver random seed: a whole number in [0, 2**31) (the solvers' 32-bit seed)."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**31:
        msg = f"seed must be a whole number between 0 and 2**31 - 1, got {seed!r}"
        raise InputError(msg)
    return int(seed)
