"""Checked inputs of :func:`~denen_gis.optimize.dc_siting.solve_dc_siting` (its check step).

:func:`check_siting_inputs` checks shapes, indices, ``k``, paired parameters,
costs and budget, and finds the (demand, site) pairs that may serve and back up
each demand; it returns a frozen :class:`SitingInputs` for the model builder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from denen_gis.errors import InfeasibleError, InputError
from denen_gis.optimize._validate import check_budget

__all__ = ["MAX_PENALTY_MS", "SitingInputs", "check_siting_inputs"]

#: Largest penalty of one site [ms]: five criteria at their largest weight
#: (:data:`~denen_gis.optimize.dc_criteria.MAX_CRITERION_MS`); it keeps CP-SAT's
#: integer objective (0.01 ms x thousands of persons) within 64 bits.
MAX_PENALTY_MS = 5e6


@dataclass(frozen=True)
class SitingInputs:
    """Checked arrays of :func:`solve_dc_siting` and the pairs each demand may use."""

    w: np.ndarray  # population per demand [persons]
    d: np.ndarray  # RTT demand x site [ms]
    k: int
    objective: str
    opened: np.ndarray  # always-open sites
    fix: np.ndarray
    new_ok: np.ndarray  # sites that may be opened new
    allow: np.ndarray  # (demand, site) pairs a demand may be served on
    backup_allow: np.ndarray | None  # pairs a demand may be backed up on
    capacity_mw: npt.ArrayLike | None
    load_mw: npt.ArrayLike | None
    block: Sequence[str] | None
    max_per_block: int | None
    lonlat: npt.ArrayLike | None
    min_separation_km: float | None
    cost: np.ndarray | None
    budget_myen: float | None
    backup_weight: float
    site_penalty_ms: np.ndarray | None = None  # per new site, in mean-RTT ms
    cover_sets: tuple[np.ndarray, ...] = ()  # at least one site of each must be open

    @property
    def usable(self) -> np.ndarray:
        """Sites that may serve a demand: always-open and eligible new ones."""
        usable = self.new_ok.copy()
        usable[self.opened] = True
        return usable


def check_siting_inputs(  # noqa: PLR0913 -- solver API: the model's options are keyword-only parameters
    weights: npt.ArrayLike,
    rtt_ms: npt.ArrayLike,
    *,
    k: int,
    objective: str,
    always_open: Iterable[int] | None,
    fixed: Iterable[int] | None,
    excluded: Iterable[int] | None,
    capacity_mw: npt.ArrayLike | None,
    load_mw: npt.ArrayLike | None,
    block: Sequence[str] | None,
    max_per_block: int | None,
    lonlat: npt.ArrayLike | None,
    min_separation_km: float | None,
    cost_myen: npt.ArrayLike | None,
    budget_myen: float | None,
    backup_max_rtt_ms: float | None,
    backup_weight: float,
    site_penalty_ms: npt.ArrayLike | None = None,
    cover_sets: Sequence[Iterable[int]] = (),
) -> SitingInputs:
    """Check every input of :func:`solve_dc_siting` and find the eligible pairs."""
    w = np.asarray(weights, dtype=float)
    d = np.asarray(rtt_ms, dtype=float)
    _check_inputs(w, d)
    n = d.shape[1]
    if objective not in ("median", "center"):
        msg = f"objective must be 'median' or 'center', got {objective!r}"
        raise InputError(msg)
    opened, fix, new_ok = _check_sites(n, always_open, fixed, excluded)
    _check_k(k, n_cand=int(new_ok.sum()), n_fixed=len(fix), n_open=len(opened))
    _check_companions(
        capacity_mw=capacity_mw,
        load_mw=load_mw,
        max_per_block=max_per_block,
        block=block,
        min_separation_km=min_separation_km,
        lonlat=lonlat,
        budget_myen=budget_myen,
        cost_myen=cost_myen,
    )
    cost = None
    if budget_myen is not None:
        cost = _check_costs(cost_myen, n)
        budget_myen = check_budget("budget_myen", budget_myen, float(cost[fix].sum()))
    if backup_max_rtt_ms is not None and k + len(opened) < 2:
        msg = "backup_max_rtt_ms needs at least two open sites (k + always-open >= 2)"
        raise InputError(msg)
    allow, backup_allow = _eligible_pairs(
        w,
        d,
        opened,
        new_ok,
        capacitated=capacity_mw is not None,
        backup_max_rtt_ms=backup_max_rtt_ms,
    )
    penalty = None
    if site_penalty_ms is not None:
        penalty = np.asarray(site_penalty_ms, dtype=float)
        ok = np.isfinite(penalty) & (penalty >= 0) & (penalty <= MAX_PENALTY_MS)
        if penalty.shape != (n,) or not ok.all():
            msg = (
                f"site_penalty_ms needs {n} finite values >= 0 and at most "
                f"{MAX_PENALTY_MS:g} ms (one per site)"
            )
            raise InputError(msg)
    covers = tuple(np.unique(np.asarray(list(c), dtype=np.int64)) for c in cover_sets)
    for c in covers:
        if c.size == 0 or c.min() < 0 or c.max() >= n:
            msg = f"cover_sets: every set needs site indices in 0..{n - 1}"
            raise InputError(msg)
    return SitingInputs(
        w=w,
        d=d,
        k=k,
        objective=objective,
        opened=opened,
        fix=fix,
        new_ok=new_ok,
        allow=allow,
        backup_allow=backup_allow,
        capacity_mw=capacity_mw,
        load_mw=load_mw,
        block=block,
        max_per_block=max_per_block,
        lonlat=lonlat,
        min_separation_km=min_separation_km,
        cost=cost,
        budget_myen=budget_myen,
        backup_weight=backup_weight,
        site_penalty_ms=penalty,
        cover_sets=covers,
    )


def _check_sites(
    n: int,
    always_open: Iterable[int] | None,
    fixed: Iterable[int] | None,
    excluded: Iterable[int] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Always-open, fixed sites and the mask of sites that may be opened new."""
    opened = _as_index(always_open, n, "always_open")
    fix = _as_index(fixed, n, "fixed")
    exc = _as_index(excluded, n, "excluded")
    if np.intersect1d(fix, exc).size:
        msg = f"site(s) {np.intersect1d(fix, exc).tolist()} are both fixed and excluded"
        raise InputError(msg)
    if np.intersect1d(fix, opened).size:
        msg = f"site(s) {np.intersect1d(fix, opened).tolist()} are already open; do not fix them"
        raise InputError(msg)
    new_ok = np.ones(n, dtype=bool)
    new_ok[opened] = False
    new_ok[exc] = False
    return opened, fix, new_ok


def _check_k(k: int, *, n_cand: int, n_fixed: int, n_open: int) -> None:
    """``k`` is a whole number between the fixed sites and the eligible candidates."""
    if not isinstance(k, int | np.integer) or k < 0:
        msg = f"k must be a whole number >= 0, got {k!r}"
        raise InputError(msg)
    if k > n_cand:
        msg = f"k = {k} is larger than the {n_cand} eligible candidate sites; lower k"
        raise InputError(msg)
    if k < n_fixed:
        msg = f"k = {k} is smaller than the {n_fixed} fixed sites; raise k or fix fewer"
        raise InputError(msg)
    if k == 0 and n_open == 0:
        msg = "k = 0 with no always-open site: nothing can serve the demand"
        raise InputError(msg)


def _check_companions(**given: object) -> None:
    """Paired parameters come together (capacity and load, block limit and labels, ...)."""
    if (given["capacity_mw"] is None) != (given["load_mw"] is None):
        msg = "capacity_mw and load_mw go together: give both for the capacitated model"
        raise InputError(msg)
    for needs, what, msg in (
        ("max_per_block", "block", "max_per_block needs block (one block label per site)"),
        ("min_separation_km", "lonlat", "min_separation_km needs lonlat (site coordinates)"),
        ("budget_myen", "cost_myen", "budget_myen needs cost_myen (one cost per site)"),
    ):
        if given[needs] is not None and given[what] is None:
            raise InputError(msg)


def _check_costs(cost_myen: npt.ArrayLike | None, n: int) -> np.ndarray:
    """One finite cost >= 0 per site [million yen]."""
    cost = np.asarray(cost_myen, dtype=float)
    if cost.shape != (n,):
        msg = f"cost_myen needs one cost per site, shape ({n},), got {cost.shape}"
        raise InputError(msg)
    bad = np.flatnonzero(~np.isfinite(cost) | (cost < 0))
    if bad.size:
        msg = f"cost_myen: site {int(bad[0])} costs {cost[bad[0]]!r}; costs must be >= 0"
        raise InputError(msg)
    return cost


def _eligible_pairs(
    w: np.ndarray,
    d: np.ndarray,
    opened: np.ndarray,
    new_ok: np.ndarray,
    *,
    capacitated: bool,
    backup_max_rtt_ms: float | None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(demand, site) pairs that may serve and back up each demand."""
    reach = np.isfinite(d)
    unreachable = np.flatnonzero(~reach.any(axis=1) & (w > 0))
    if unreachable.size:
        msg = f"demand row(s) {unreachable[:5].tolist()} reach no site; check the backbone"
        raise InputError(msg)
    usable = new_ok.copy()
    usable[opened] = True
    allow = reach & usable[None, :]
    if not capacitated and len(opened):
        # Without capacities a demand never uses a site farther than its nearest
        # always-open one: dropping those pairs leaves the optimum unchanged and
        # shrinks the model several-fold.
        near_open = d[:, opened].min(axis=1)
        allow &= d <= near_open[:, None] + 1e-9
    if backup_max_rtt_ms is None:
        return allow, None
    backup_allow = reach & usable[None, :] & (d <= backup_max_rtt_ms)
    short = np.flatnonzero((backup_allow.sum(axis=1) < 2) & (w > 0))
    if short.size:
        table = pd.DataFrame(
            {"demand": short, "sites_within_bound": backup_allow[short].sum(axis=1)}
        )
        msg = (
            f"{short.size} demand(s) have fewer than two sites within "
            f"backup_max_rtt_ms = {backup_max_rtt_ms:g} ms; raise the bound"
        )
        raise InfeasibleError(msg, shortfall=table)
    return allow, backup_allow


def _as_index(values: Iterable[int] | None, n: int, name: str) -> np.ndarray:
    idx = np.unique(np.asarray(list(values) if values is not None else [], dtype=np.int64))
    if len(idx) and (idx.min() < 0 or idx.max() >= n):
        msg = f"{name}: site index out of range 0..{n - 1}"
        raise InputError(msg)
    return idx


def _check_inputs(weights: np.ndarray, rtt: np.ndarray) -> None:
    if rtt.ndim != 2 or rtt.shape[0] != len(weights):
        msg = f"rtt_ms must have shape (demands, sites) = ({len(weights)}, n), got {rtt.shape}"
        raise InputError(msg)
    if rtt.shape[1] == 0:
        msg = "rtt_ms has no site columns; give at least one candidate site"
        raise InputError(msg)
    if (weights < 0).any() or not np.isfinite(weights).all():
        row = int(np.flatnonzero(~(weights >= 0))[0])
        msg = f"weights row {row} is {weights[row]}; population must be finite and >= 0"
        raise InputError(msg)
    if np.isnan(rtt).any() or (rtt < 0).any():
        msg = "rtt_ms has NaN or negative entries; use inf for unreachable pairs"
        raise InputError(msg)
