"""Landing stations of the Sea of Japan cable, chosen with OR-Tools CP-SAT.

Each coast-side prefecture (``sea_of_japan_coast``) backhauls its traffic over
land to the nearest landing station; building a station costs
``cost_per_landing_myen``. :func:`solve_landings` (pure on arrays) chooses the
stations minimising

    cost_per_landing_myen x stations
    + backhaul_myen_per_mperson_km x sum(population x backhaul km) / 1e6

with exactly ``count`` stations when given (then only the backhaul matters).
:func:`plan_landings` builds the arrays from the landings layer and the land
backbone: backhaul km is the shortest land route (hub to hub, route factor
included) to the landing's prefecture hub plus the landing's own backhaul.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from ortools.sat.python import cp_model
from scipy import sparse
from scipy.sparse import csgraph

from denen_gis.errors import InfeasibleError, InputError
from denen_gis.geodesy import haversine_km
from denen_gis.layers.network import ROUTE_FACTOR
from denen_gis.optimize._validate import check_seed, check_solver_settings, check_work_limit

__all__ = [
    "DEFAULT_FIXED_LANDINGS",
    "LandingPlan",
    "LandingResult",
    "plan_landings",
    "solve_landings",
]

log = logging.getLogger(__name__)

#: Landings fixed by default: both ends of the Hokkaido-Akita cable and the Kyushu end.
DEFAULT_FIXED_LANDINGS = ("SOJ-ISHIKARI", "SOJ-AKITA", "SOJ-FUKUOKA")
#: Modelled cost of one landing station with its beach manhole and backhaul [million yen].
COST_PER_LANDING_MYEN = 3000.0
#: Modelled cost of backhaul [million yen per million person-km].
BACKHAUL_MYEN_PER_MPERSON_KM = 1.0


@dataclass(frozen=True)
class LandingResult:
    """Result of :func:`solve_landings`.

    Attributes
    ----------
    chosen
        Indices of the chosen landings, sorted.
    assignment
        Landing index serving each demand.
    objective
        Total cost [million yen] (stations + backhaul).
    backhaul_mperson_km
        Population-weighted backhaul [million person-km].
    best_bound, gap, status, wall_time_s
        Solver report (bound in million yen).
    """

    chosen: np.ndarray
    assignment: np.ndarray
    objective: float
    backhaul_mperson_km: float
    best_bound: float
    gap: float
    status: str
    wall_time_s: float


def solve_landings(
    weights: npt.ArrayLike,
    backhaul_km: npt.ArrayLike,
    *,
    count: int | None = None,
    cost_per_landing_myen: float = COST_PER_LANDING_MYEN,
    backhaul_myen_per_mperson_km: float = BACKHAUL_MYEN_PER_MPERSON_KM,
    fixed: Iterable[int] = (),
    excluded: Iterable[int] = (),
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 2,
    work_limit: float | None = None,
) -> LandingResult:
    """Choose landing stations minimising station cost plus population backhaul.

    Parameters
    ----------
    weights
        Population of each coast-side demand [persons], shape ``(m,)``.
    backhaul_km
        Land route from each demand to each candidate landing [km], ``(m, n)``.
    count
        Exactly this many stations (``None``: the cheapest number).
    cost_per_landing_myen, backhaul_myen_per_mperson_km
        Cost of a station [million yen] and of backhaul [million yen per
        million person-km].
    fixed, excluded
        Landing indices that must / must not be chosen.
    time_limit_s, seed, workers, work_limit
        CP-SAT settings; ``work_limit`` is CP-SAT's deterministic time
        (``max_deterministic_time``), so that with one worker the answer does
        not depend on the machine's speed.

    Raises
    ------
    InputError
        Bad shapes, negative values, ``count`` out of range, conflicting
        fixed/excluded landings, ``time_limit_s <= 0`` or ``workers < 1``.

    Examples
    --------
    >>> r = solve_landings([300.0, 100.0], [[0.0, 50.0], [50.0, 0.0]], count=1)
    >>> r.chosen.tolist(), round(r.backhaul_mperson_km, 4)
    ([0], 0.005)
    """
    t0 = time.perf_counter()
    check_solver_settings(time_limit_s, workers)
    check_seed(seed)
    w = np.asarray(weights, dtype=float)
    d = np.asarray(backhaul_km, dtype=float)
    _check_landing_arrays(w, d, cost_per_landing_myen, backhaul_myen_per_mperson_km)
    fix, exc = _check_landing_choice(d.shape[1], fixed, excluded, count)
    ok = np.ones(d.shape[1], dtype=bool)
    ok[exc] = False
    allow = np.isfinite(d) & ok[None, :]
    lonely = np.flatnonzero(~allow.any(axis=1) & (w > 0))
    if lonely.size:
        msg = f"demand row(s) {lonely[:5].tolist()} reach no eligible landing over land"
        raise InfeasibleError(msg)
    # Integer model: backhaul in units of 1e-3 million yen (thousand yen).
    unit = 1e-3
    coef = np.where(
        allow, w[:, None] * np.where(allow, d, 0) / 1e6 * backhaul_myen_per_mperson_km / unit, 0
    )
    model, y, x = _landing_model(
        np.rint(coef).astype(np.int64),
        allow,
        station=round(cost_per_landing_myen / unit),
        fix=fix,
        exc=exc,
        count=count,
    )
    solver = cp_model.CpSolver()
    # Leave SIGINT to the caller: CP-SAT's own handler resets it when the solve ends,
    # after which Ctrl-C would kill the process without cleaning up.
    solver.parameters.catch_sigint_signal = False
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    if work_limit is not None:
        solver.parameters.max_deterministic_time = check_work_limit(work_limit)
    status = solver.solve(model)
    if status == cp_model.MODEL_INVALID:  # inputs are checked: an invalid model is a bug
        msg = "CP-SAT rejected the landing model (MODEL_INVALID): a bug, please report it"
        raise RuntimeError(msg)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        msg = f"no landing plan found (CP-SAT {solver.status_name(status)}); raise time_limit_s"
        raise InfeasibleError(msg)
    m, n = d.shape
    chosen = np.array([j for j in range(n) if solver.value(y[j])], dtype=np.int64)
    assignment = np.full(m, -1, dtype=np.int64)
    for (i, j), v in x.items():
        if solver.value(v):
            assignment[i] = j
    served = d[np.arange(m), assignment]
    backhaul = float((w * served).sum() / 1e6)
    obj = len(chosen) * cost_per_landing_myen + backhaul * backhaul_myen_per_mperson_km
    obj_int = float(solver.objective_value)
    bound_int = float(solver.best_objective_bound)
    gap = 0.0 if obj_int <= 0 else max(0.0, (obj_int - bound_int) / obj_int)
    return LandingResult(
        chosen=chosen,
        assignment=assignment,
        objective=obj,
        backhaul_mperson_km=backhaul,
        best_bound=bound_int * unit,
        gap=gap,
        status=solver.status_name(status),
        wall_time_s=time.perf_counter() - t0,
    )


def _check_landing_arrays(
    w: np.ndarray, d: np.ndarray, cost_per_landing_myen: float, backhaul_myen: float
) -> None:
    """Shapes and signs of the weights, the backhaul matrix and the unit costs."""
    if d.ndim != 2 or d.shape[0] != len(w) or d.shape[1] == 0:
        msg = f"backhaul_km must have shape (demands, landings) = ({len(w)}, n>0), got {d.shape}"
        raise InputError(msg)
    if (w < 0).any() or not np.isfinite(w).all() or np.isnan(d).any() or (d < 0).any():
        msg = "weights and backhaul_km must be >= 0 (use inf for unreachable pairs)"
        raise InputError(msg)
    if cost_per_landing_myen < 0 or backhaul_myen < 0:
        msg = "cost_per_landing_myen and backhaul_myen_per_mperson_km must be >= 0"
        raise InputError(msg)


def _check_landing_choice(
    n: int, fixed: Iterable[int], excluded: Iterable[int], count: int | None
) -> tuple[list[int], list[int]]:
    """Fixed and excluded landing indices (sorted) and the count, checked."""
    fix = sorted({int(j) for j in fixed})
    exc = sorted({int(j) for j in excluded})
    if any(j < 0 or j >= n for j in fix + exc):
        msg = f"fixed/excluded: landing index out of range 0..{n - 1}"
        raise InputError(msg)
    if set(fix) & set(exc):
        msg = f"landing(s) {sorted(set(fix) & set(exc))} are both fixed and excluded"
        raise InputError(msg)
    n_ok = n - len(exc)
    if count is not None and not (max(len(fix), 1) <= count <= n_ok):
        msg = (
            f"count = {count} must lie between {max(len(fix), 1)} (fixed landings) and "
            f"{n_ok} (eligible landings)"
        )
        raise InputError(msg)
    return fix, exc


def _landing_model(
    coef: np.ndarray,
    allow: np.ndarray,
    *,
    station: int,
    fix: list[int],
    exc: list[int],
    count: int | None,
) -> tuple[cp_model.CpModel, list[cp_model.IntVar], dict[tuple[int, int], cp_model.IntVar]]:
    """CP-SAT model: open landings ``y``, each demand on one open landing ``x``."""
    m, n = allow.shape
    model = cp_model.CpModel()
    y = [model.new_bool_var(f"y{j}") for j in range(n)]
    for j in exc:
        model.add(y[j] == 0)
    for j in fix:
        model.add(y[j] == 1)
    if count is not None:
        model.add(sum(y) == count)
    else:
        model.add(sum(y) >= 1)
    x = {}
    for i in range(m):
        cols = np.flatnonzero(allow[i])
        for j in cols:
            x[i, int(j)] = model.new_bool_var(f"x{i}_{j}")
            model.add_implication(x[i, int(j)], y[int(j)])
        model.add_exactly_one(x[i, int(j)] for j in cols)
    model.minimize(
        sum(station * v for v in y) + sum(int(coef[i, j]) * v for (i, j), v in x.items())
    )
    return model, y, x


@dataclass(frozen=True)
class LandingPlan:
    """Landing stations chosen on the embedded (or user) layers.

    Attributes
    ----------
    result
        Solver result (indices into ``candidates``).
    chosen
        Chosen landing ids, in the order along the coast of the input.
    candidates
        Candidate landings with a ``chosen`` flag and ``population_served``.
    demand
        Coast-side prefectures with ``landing_id`` and ``backhaul_km``.
    summary
        Costs, backhaul, and the comparison with the reported landing set.
    """

    result: LandingResult
    chosen: tuple[str, ...]
    candidates: pd.DataFrame = field(repr=False)
    demand: pd.DataFrame = field(repr=False)
    summary: dict[str, object] = field(repr=False)


def _land_km(hubs: pd.DataFrame, links: pd.DataFrame, route_factor: float) -> pd.DataFrame:
    codes = hubs["code"].astype(str).tolist()
    idx = {c: i for i, c in enumerate(codes)}
    a = np.array([idx[str(c)] for c in links["from_code"]])
    b = np.array([idx[str(c)] for c in links["to_code"]])
    if "length_km" in links.columns:
        km = links["length_km"].to_numpy(dtype=float)
    else:
        x, y = hubs["lon"].to_numpy(float), hubs["lat"].to_numpy(float)
        km = haversine_km(x[a], y[a], x[b], y[b]) * route_factor
    n = len(codes)
    mat = sparse.coo_matrix((np.r_[km, km], (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
    return pd.DataFrame(csgraph.dijkstra(mat, directed=False), index=codes, columns=codes)


def plan_landings(  # noqa: PLR0913 -- solver API: the model's options are keyword-only parameters
    landings: pd.DataFrame,
    hubs: pd.DataFrame,
    links: pd.DataFrame,
    *,
    count: int | None = 5,
    systems: Iterable[str] = ("sea_of_japan", "hokkaido_akita"),
    fixed: Iterable[str] = DEFAULT_FIXED_LANDINGS,
    excluded: Iterable[str] = (),
    cost_per_landing_myen: float = COST_PER_LANDING_MYEN,
    backhaul_myen_per_mperson_km: float = BACKHAUL_MYEN_PER_MPERSON_KM,
    route_factor: float = ROUTE_FACTOR,
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 2,
    work_limit: float | None = None,
) -> LandingPlan:
    """Choose the Sea of Japan cable's landing stations for the coast-side prefectures.

    Parameters
    ----------
    landings
        Landings layer (``landing_id``, ``pref_code``, point geometry;
        ``system`` selects the candidates when present).
    hubs
        Hubs table (``code``, ``lon``, ``lat``, ``population``,
        ``sea_of_japan_coast``).
    links
        Land backbone links (``from_code``, ``to_code``, ``length_km``).
    count
        Number of stations (``None``: the cheapest number).
    systems
        Cable systems whose landings are candidates.
    fixed, excluded
        Landing ids that must / must not be chosen.
    cost_per_landing_myen, backhaul_myen_per_mperson_km, route_factor
        Cost model and the route factor of landing backhaul.
    time_limit_s, seed, workers, work_limit
        CP-SAT settings; ``work_limit`` is CP-SAT's
        deterministic time (machine-independent), ``time_limit_s`` then a safety ceiling.

    Raises
    ------
    InputError
        Missing columns, unknown landing ids, no candidate, ``time_limit_s <= 0``
        or ``workers < 1``.
    """
    check_solver_settings(time_limit_s, workers)
    for col in ("code", "lon", "lat", "population", "sea_of_japan_coast"):
        if col not in hubs.columns:
            msg = f"hubs: missing column {col!r}"
            raise InputError(msg)
    cand, ids = _candidate_landings(landings, systems, fixed, excluded)
    coast = hubs[hubs["sea_of_japan_coast"].astype(str).str.lower().isin(["true", "1"])]
    if coast.empty:
        msg = "hubs: no prefecture has sea_of_japan_coast set"
        raise InputError(msg)
    land = _land_km(hubs, links, route_factor)
    lx, ly, lpref, own = _landing_to_hub_km(cand, hubs, route_factor)
    dcodes = coast["code"].astype(str).tolist()
    backhaul = land.loc[dcodes, list(lpref)].to_numpy() + own[None, :]
    weights = coast["population"].to_numpy(dtype=float)
    res = solve_landings(
        weights,
        backhaul,
        count=count,
        cost_per_landing_myen=cost_per_landing_myen,
        backhaul_myen_per_mperson_km=backhaul_myen_per_mperson_km,
        fixed=[ids.index(s) for s in fixed],
        excluded=[ids.index(s) for s in excluded],
        time_limit_s=time_limit_s,
        seed=seed,
        workers=workers,
        work_limit=work_limit,
    )
    chosen = tuple(ids[j] for j in res.chosen)
    demand = pd.DataFrame(
        {
            "code": dcodes,
            "name_en": coast["name_en"].tolist() if "name_en" in coast else dcodes,
            "population": weights.astype(np.int64),
            "landing_id": [ids[j] for j in res.assignment],
            "backhaul_km": backhaul[np.arange(len(dcodes)), res.assignment],
        }
    )
    out = _candidate_table(cand, lx, ly, chosen, demand)
    reported = [
        s
        for s in ids
        if "status" in cand.columns and cand.loc[ids.index(s), "status"] in ("planned", "existing")
    ]
    summary: dict[str, object] = {
        "count": len(chosen),
        "chosen": list(chosen),
        "total_cost_myen": res.objective,
        "station_cost_myen": len(chosen) * cost_per_landing_myen,
        "backhaul_mperson_km": res.backhaul_mperson_km,
        "mean_backhaul_km": float(np.average(demand["backhaul_km"], weights=weights)),
        "max_backhaul_km": float(demand["backhaul_km"].max()),
        "reported_landings": reported,
        "solver": {
            "status": res.status,
            "objective": res.objective,
            "best_bound": res.best_bound,
            "gap": res.gap,
            "wall_time_s": res.wall_time_s,
        },
    }
    if reported:
        rep = [ids.index(s) for s in reported]
        rep_km = backhaul[:, rep].min(axis=1)
        summary["reported_mean_backhaul_km"] = float(np.average(rep_km, weights=weights))
    log.info("landings: chose %s", chosen)
    return LandingPlan(result=res, chosen=chosen, candidates=out, demand=demand, summary=summary)


def _candidate_landings(
    landings: pd.DataFrame, systems: Iterable[str], fixed: Iterable[str], excluded: Iterable[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Candidate landings on the given systems and their ids; fixed/excluded ids checked."""
    cand = landings.reset_index(drop=True)
    if "system" in cand.columns:
        cand = cand[cand["system"].astype(str).isin(list(systems))].reset_index(drop=True)
    if cand.empty:
        msg = f"landings: no candidate landing on the systems {list(systems)}"
        raise InputError(msg)
    ids = cand["landing_id"].astype(str).tolist()
    for name, given in (("fixed", list(fixed)), ("excluded", list(excluded))):
        bad = [s for s in given if s not in ids]
        if bad:
            msg = f"{name}: unknown landing id(s) {bad[:5]}; candidates are {ids}"
            raise InputError(msg)
    both = sorted(set(fixed) & set(excluded))
    if both:
        msg = f"excluded: landing id(s) {both[:5]} are both fixed and excluded; drop one"
        raise InputError(msg)
    return cand, ids


def _landing_to_hub_km(
    cand: pd.DataFrame, hubs: pd.DataFrame, route_factor: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Landing coordinates, prefecture codes and land route to their prefecture's hub [km]."""
    hubpos = hubs.set_index(hubs["code"].astype(str))[["lon", "lat"]].astype(float)
    geom = cand.geometry.to_numpy()
    lx, ly = shapely.get_x(geom), shapely.get_y(geom)
    lpref = cand["pref_code"].astype(str).to_numpy()
    unknown = [p for p in lpref if p not in hubpos.index]
    if unknown:
        msg = f"landings: pref_code {unknown[0]!r} has no hub"
        raise InputError(msg)
    own = (
        haversine_km(
            lx, ly, hubpos.loc[lpref, "lon"].to_numpy(), hubpos.loc[lpref, "lat"].to_numpy()
        )
        * route_factor
    )
    return lx, ly, lpref, own


def _candidate_table(
    cand: pd.DataFrame,
    lx: np.ndarray,
    ly: np.ndarray,
    chosen: tuple[str, ...],
    demand: pd.DataFrame,
) -> pd.DataFrame:
    """Candidates without geometry: coordinates, chosen flag and population served."""
    out = pd.DataFrame(cand.drop(columns=cand.geometry.name))
    out["lon"], out["lat"] = lx, ly
    out["chosen"] = out["landing_id"].isin(chosen)
    out["population_served"] = (
        out["landing_id"]
        .map(demand.groupby("landing_id")["population"].sum())
        .fillna(0)
        .astype(np.int64)
    )
    return out
