"""Benchmark the 5G site-selection models on synthetic Japan-like instances.

Cells and candidate sites lie in the Japan bounding box (a local plane in km):
most cells cluster around cities, the rest are spread out; each site covers
its ~``10 * n_cells / n_sites`` nearest cells (small radii in cities, large in
the country, found with a KD-tree), so a cell has ~10 covering sites. Costs
grow with the radius; existing stations cover the densest cores.

Two cost models: ``equal`` (every site 50 M yen, budget for p = 5% of the
sites: p = 100 at 20k x 2k, the instance the goals in issue 4 were measured
on) and ``varied`` (cost grows with the radius; a budget knapsack, harder).
For each size it reports our model end to end (instance with its coverage
sets, solve, chosen sites written as a GeoPackage layer; objective, bound, gap,
peak memory), the LP bound, the lazy greedy, the equity variants and, for the
small size, PySAL spopt's MCLP (PuLP + CBC; ``pip install spopt pulp``, the
``[bench]`` extra). Results are appended to ``benchmarks/results/optimize.jsonl``
and printed as a markdown table.

Usage::

    python benchmarks/bench_optimize.py --sizes 5k 20k --time-limit 60
    python benchmarks/bench_optimize.py --sizes 20k --costs equal --seeds 0 1 2 --no-equity \
        --no-lp --spopt-sizes
    python benchmarks/bench_optimize.py --sizes 20k --engines SCIP HIGHS CBC
    python benchmarks/bench_optimize.py --sizes 100k --time-limit 120 --no-equity --no-lp \
        --spopt-sizes
    python benchmarks/bench_optimize.py --families --sizes 5k 20k --degrees 2 5 10 20 \
        --spopt-sizes 5k 20k --time-limit 120

``--families`` runs random instances whose cells are covered by 2 to 20 sites on
average, equal and varied costs, and times our ``solve_max_coverage``, scipy's
``milp`` (HiGHS) on the plain MCLP and spopt's MCLP (equal costs: it has no budget)
side by side; each solver's chosen sites are scored the same way (people newly
covered).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from denen_gis.optimize import (
    reduce_coverage,
    solve_max_coverage,
    solve_max_min_fairness,
)
from denen_gis.optimize._mip import solve_mip

SIZES = {"5k": (5_000, 500), "20k": (20_000, 2_000), "100k": (100_000, 10_000)}
RESULTS = Path(__file__).resolve().parent / "results" / "optimize.jsonl"
KM_PER_DEG = 111.2
#: Bounding box of the synthetic instances (west, south, east, north) [deg].
BBOX = (129.5, 31.0, 145.5, 45.5)
#: Latitude of the local plane's x scale [deg].
LAT0 = 0.5 * (BBOX[1] + BBOX[3])


def make_instance(
    n_cells: int, n_sites: int, *, seed: int = 0, equal_costs: bool = False, degree: float = 10.0
) -> dict:
    """Synthetic instance: coverage (csr), population, costs, groups, existing coverage.

    ``degree`` is the mean number of sites that cover a cell.
    """
    rng = np.random.default_rng(seed)
    west, south, east, north = BBOX
    kx = KM_PER_DEG * np.cos(np.radians(LAT0))

    def to_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return np.column_stack([(lon - west) * kx, (lat - south) * KM_PER_DEG])

    n_city = 60
    cities = to_km(rng.uniform(west, east, n_city), rng.uniform(south, north, n_city))
    city_w = rng.pareto(1.2, n_city) + 1
    n_urban = int(0.7 * n_cells)
    which = rng.choice(n_city, n_urban, p=city_w / city_w.sum())
    spread = rng.uniform(8, 30, n_city)[which]
    near = cities[which] + rng.normal(size=(n_urban, 2)) * spread[:, None]
    far = to_km(
        rng.uniform(west, east, n_cells - n_urban), rng.uniform(south, north, n_cells - n_urban)
    )
    cells = np.vstack([near, far])
    dist_city = cKDTree(cities).query(cells)[0]
    population = np.where(
        dist_city < 12, rng.lognormal(7.8, 0.8, n_cells), rng.lognormal(4.8, 1.0, n_cells)
    ).round()
    urban = population >= 1500
    seats = cells[rng.choice(n_cells, 47, replace=False)]
    pref_idx = cKDTree(seats).query(cells)[1]
    pref_code = np.array([f"{i + 1:02d}" for i in range(47)], dtype=object)[pref_idx]

    tree = cKDTree(cells)
    m = max(1, round(degree * n_cells / n_sites))
    site_xy = cells[rng.choice(n_cells, n_sites, replace=False)] + rng.normal(size=(n_sites, 2))
    dist, idx = tree.query(site_xy, k=m)
    idx = idx.reshape(n_sites, m)
    radius_km = np.asarray(dist).reshape(n_sites, m)[:, -1]
    rows = idx.ravel()
    cols = np.repeat(np.arange(n_sites), m)
    coverage = sp.csr_matrix(
        (np.ones(rows.size, dtype=bool), (rows, cols)), shape=(n_cells, n_sites)
    )
    if equal_costs:
        costs = np.full(n_sites, 50.0)
    else:
        costs = (30 + 2.0 * radius_km) * rng.uniform(0.8, 1.2, n_sites)
    # existing stations: at the most populous cells, covering their m/2 nearest cells
    n_exist = max(1, int(0.03 * n_sites))
    exist_at = cells[np.argsort(-population)[: n_exist * 4 : 4]]
    covered_before = np.zeros(n_cells, dtype=bool)
    covered_before[tree.query(exist_at, k=max(1, m // 2))[1].ravel()] = True
    budget = 0.05 * n_sites * float(costs.mean())
    return {
        "coverage": coverage,
        "population": population,
        "costs_myen": costs,
        "covered_before": covered_before,
        "pref_code": pref_code,
        "urban": urban,
        "budget_myen": budget,
        "cells_xy": cells,
        "sites_xy": site_xy,
        "radius_km": radius_km,
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_ours(args: tuple) -> dict:
    """One solve in a fresh process so that peak memory belongs to this solve only."""
    size, engine, time_limit, seed, variant, costs = args
    n_cells, n_sites = SIZES[size]
    t0 = time.perf_counter()
    inst = make_instance(n_cells, n_sites, seed=seed, equal_costs=costs == "equal")
    gen_s = time.perf_counter() - t0
    common = dict(
        budget_myen=inst["budget_myen"],
        covered_before=inst["covered_before"],
        urban=inst["urban"],
        groups=inst["pref_code"],
        time_limit_s=time_limit,
        seed=seed,
        workers=1,
        engine=engine,
    )
    t0 = time.perf_counter()
    if variant == "fairness":
        res = solve_max_min_fairness(
            inst["coverage"], inst["population"], inst["costs_myen"], **common
        )
    else:
        weight = 2.0 if variant == "rural_weight_2" else 1.0
        res = solve_max_coverage(
            inst["coverage"], inst["population"], inst["costs_myen"], rural_weight=weight, **common
        )
    solve_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    layer_s = _write_chosen(inst, res.chosen)
    return {
        "size": size,
        "costs": costs,
        "seed": seed,
        "method": f"ours {variant} {res.engine}",
        "generate_s": round(gen_s, 3),
        "total_s": round(solve_s, 3),
        "layer_s": round(layer_s, 3),
        "end_to_end_s": round(gen_s + solve_s + layer_s, 3),
        "objective": res.objective,
        "bound": res.best_bound,
        "gap": res.gap,
        "status": res.status,
        "peak_mb": round(_peak_mb(), 1),
        "cells_after": res.size_after.cells,
        "sites_after": res.size_after.sites,
        "pairs_before": res.size_before.nonzeros,
        "pairs_after": res.size_after.nonzeros,
        "min_share": res.details.get("min_share"),
        "min_share_bound": res.details.get("min_share_bound"),
    }


def _write_chosen(inst: dict, chosen: np.ndarray) -> float:
    """Write the chosen sites as a GeoPackage point layer; the seconds it took."""
    import tempfile

    import geopandas as gpd

    from denen_gis.io.files import write_layer

    t0 = time.perf_counter()
    xy = inst["sites_xy"][chosen]
    lon = BBOX[0] + xy[:, 0] / (KM_PER_DEG * np.cos(np.radians(LAT0)))
    lat = BBOX[1] + xy[:, 1] / KM_PER_DEG
    frame = gpd.GeoDataFrame(
        {"site": chosen, "cost_myen": inst["costs_myen"][chosen]},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:6668",
    )
    with tempfile.TemporaryDirectory() as tmp:
        write_layer(frame, Path(tmp) / "chosen_sites.gpkg")
    return time.perf_counter() - t0


def _lp_and_build(size: str, seed: int, costs: str) -> list[dict]:
    """LP relaxation bound, and model build time (reduction + matrix assembly) alone."""
    n_cells, n_sites = SIZES[size]
    inst = make_instance(n_cells, n_sites, seed=seed, equal_costs=costs == "equal")
    cov = inst["coverage"]
    t0 = time.perf_counter()
    allowed = inst["costs_myen"] <= inst["budget_myen"]
    codes = np.unique(inst["pref_code"].astype(str), return_inverse=True)[1].ravel()
    red = reduce_coverage(
        cov,
        inst["population"],
        covered_before=inst["covered_before"],
        allowed_sites=allowed,
        group_codes=codes,
        urban=inst["urban"],
    )
    reduce_s = time.perf_counter() - t0
    n_s, n_d = red.n_sites, red.n_demands
    costs = inst["costs_myen"][red.site_index]
    t0 = time.perf_counter()
    matrix = sp.vstack(
        [
            sp.hstack([-red.matrix.astype(float), sp.identity(n_d, format="csr")]),
            sp.csr_matrix(np.concatenate([costs, np.zeros(n_d)])[None, :]),
        ],
        format="csr",
    )
    build_s = time.perf_counter() - t0
    sol = solve_mip(
        matrix,
        row_lb=np.full(n_d + 1, -np.inf),
        row_ub=np.concatenate([np.zeros(n_d), [inst["budget_myen"]]]),
        var_lb=np.zeros(n_s + n_d),
        var_ub=np.ones(n_s + n_d),
        objective=np.concatenate([np.zeros(n_s), red.weight]),
        integer=np.zeros(n_s + n_d, dtype=bool),
        maximize=True,
        engine="HIGHS",
        time_limit_s=120,
    )
    return [
        {
            "size": size,
            "costs": costs,
            "seed": seed,
            "method": "LP relaxation (HiGHS)",
            "total_s": round(sol.wall_time_s, 3),
            "bound": sol.objective,
            "reduce_s": round(reduce_s, 3),
            "matrix_build_s": round(build_s, 3),
            "pairs_before": int(cov.nnz),
            "pairs_after": int(red.matrix.nnz),
            "build_us_per_pair": round(1e6 * (reduce_s + build_s) / cov.nnz, 3),
        }
    ]


def _run_spopt(size: str, seed: int, time_limit: float) -> list[dict]:
    """spopt MCLP (p sites, PuLP + CBC) against ours on the same equal-cost instance."""
    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError:
        return [{"size": size, "method": "spopt MCLP", "status": "not installed"}]
    n_cells, n_sites = SIZES[size]
    inst = make_instance(n_cells, n_sites, seed=seed, equal_costs=True)
    p = round(inst["budget_myen"] / 50.0)
    keep = ~inst["covered_before"]
    cells = inst["cells_xy"][keep]
    # distance in units of each site's radius: covered iff <= 1
    dist = np.linalg.norm(cells[:, None, :] - inst["sites_xy"][None, :, :], axis=2)
    scaled = dist / inst["radius_km"][None, :]
    t0 = time.perf_counter()
    model = MCLP.from_cost_matrix(scaled, inst["population"][keep], 1.0 + 1e-9, p_facilities=p)
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=int(time_limit)))
    spopt_s = time.perf_counter() - t0
    chosen = np.flatnonzero([v.value() > 0.5 for v in model.fac_vars])
    covered = (scaled[:, chosen] <= 1.0 + 1e-9).any(axis=1)
    spopt_obj = float(inst["population"][keep][covered].sum())
    t0 = time.perf_counter()
    ours = solve_max_coverage(
        inst["coverage"],
        inst["population"],
        inst["costs_myen"],
        budget_myen=p * 50.0,
        covered_before=inst["covered_before"],
        time_limit_s=time_limit,
    )
    ours_s = time.perf_counter() - t0
    return [
        {
            "size": size,
            "method": f"spopt MCLP p={p} (CBC)",
            "total_s": round(spopt_s, 3),
            "objective": spopt_obj,
            "status": pulp.LpStatus[model.problem.status],
        },
        {
            "size": size,
            "method": f"ours p={p} {ours.engine}",
            "total_s": round(ours_s, 3),
            "objective": ours.objective,
            "bound": ours.best_bound,
            "gap": ours.gap,
            "status": ours.status,
        },
    ]


def _newly_covered(inst: dict, chosen: np.ndarray) -> float:
    """People newly covered by ``chosen`` (recomputed the same way for every solver)."""
    cov = inst["coverage"]
    hit = np.asarray(cov[:, chosen].sum(axis=1)).ravel() > 0
    return float(inst["population"][hit & ~inst["covered_before"]].sum())


def _family_ours(inst: dict, budget: float, time_limit: float) -> dict:
    t0 = time.perf_counter()
    res = solve_max_coverage(
        inst["coverage"],
        inst["population"],
        inst["costs_myen"],
        budget_myen=budget,
        covered_before=inst["covered_before"],
        time_limit_s=time_limit,
    )
    return {
        "ours_s": round(time.perf_counter() - t0, 3),
        "ours_obj": _newly_covered(inst, res.chosen),
        "ours_status": f"{res.status} {res.engine}",
    }


def _family_highs(inst: dict, budget: float, time_limit: float) -> dict:
    """scipy's ``milp`` (HiGHS) on the plain MCLP.

    Max ``sum p_i y_i`` with ``y_i <= sum_j a_ij x_j`` and ``c x <= B``, x binary.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    t0 = time.perf_counter()
    keep = ~inst["covered_before"] & (inst["population"] > 0)
    a = inst["coverage"][keep].astype(float)
    n_d, n_s = a.shape
    costs = inst["costs_myen"]
    rows = sp.vstack(
        [
            sp.hstack([-a, sp.identity(n_d, format="csr")]),
            sp.hstack([sp.csr_matrix(costs[None, :]), sp.csr_matrix((1, n_d))]),
        ],
        format="csr",
    )
    res = milp(
        np.concatenate([np.zeros(n_s), -inst["population"][keep]]),
        constraints=LinearConstraint(
            rows, -np.inf, np.concatenate([np.zeros(n_d), [budget * (1 + 1e-12)]])
        ),
        integrality=np.concatenate([np.ones(n_s), np.zeros(n_d)]),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit},
    )
    elapsed = time.perf_counter() - t0
    if res.x is None:
        return {"highs_s": round(elapsed, 3), "highs_obj": None, "highs_status": res.message}
    chosen = np.flatnonzero(res.x[:n_s] > 0.5)
    return {
        "highs_s": round(elapsed, 3),
        "highs_obj": _newly_covered(inst, chosen),
        "highs_status": "OPTIMAL" if res.status == 0 else f"status {res.status}",
    }


def _family_spopt(inst: dict, p: int, time_limit: float) -> dict:
    """spopt's MCLP with ``p`` sites (PuLP + CBC): equal costs only (it has no budget)."""
    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError:
        return {"spopt_status": "not installed"}
    keep = ~inst["covered_before"]
    cells = inst["cells_xy"][keep]
    # distance in units of each site's radius: covered iff <= 1
    dist = np.linalg.norm(cells[:, None, :] - inst["sites_xy"][None, :, :], axis=2)
    scaled = dist / inst["radius_km"][None, :]
    del dist
    t0 = time.perf_counter()
    model = MCLP.from_cost_matrix(scaled, inst["population"][keep], 1.0 + 1e-9, p_facilities=p)
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=int(time_limit)))
    elapsed = time.perf_counter() - t0
    chosen = np.flatnonzero([v.value() > 0.5 for v in model.fac_vars])
    return {
        "spopt_s": round(elapsed, 3),
        "spopt_obj": _newly_covered(inst, chosen),
        "spopt_status": pulp.LpStatus[model.problem.status],
    }


def _run_family(args: tuple) -> dict:
    """Ours, scipy HiGHS ``milp`` and (equal costs) spopt on one random instance."""
    size, degree, costs, seed, time_limit, with_spopt = args
    n_cells, n_sites = SIZES[size]
    inst = make_instance(n_cells, n_sites, seed=seed, equal_costs=costs == "equal", degree=degree)
    row: dict = {"size": size, "degree": degree, "costs": costs, "seed": seed}
    row["mean_degree"] = round(inst["coverage"].nnz / n_cells, 2)
    if costs == "equal":
        p = round(inst["budget_myen"] / 50.0)
        budget = p * 50.0
        row["p"] = p
    else:
        budget = inst["budget_myen"]
    row.update(_family_ours(inst, budget, time_limit))
    row.update(_family_highs(inst, budget, time_limit))
    if with_spopt and costs == "equal":
        row.update(_family_spopt(inst, p, time_limit))
    return row


def _save(rows: list[dict]) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as fh:
        for row in rows:
            fh.write(json.dumps({"when": stamp, "machine": platform.node(), **row}) + "\n")


def _families_and_save(args: argparse.Namespace) -> int:
    rows = families_main(args)
    if not args.no_save:
        _save([{"bench": "families", **row} for row in rows])
    return 0


def families_main(args: argparse.Namespace) -> list[dict]:
    """Random families (mean coverage degree 2-20): ours against HiGHS and spopt, one run."""
    ctx = mp.get_context("fork")
    rows = []
    for size in args.sizes:
        for degree in args.degrees:
            for costs in args.costs:
                for seed in args.seeds:
                    spopt = size in args.spopt_sizes
                    job = (size, degree, costs, seed, args.time_limit, spopt)
                    # a fresh process per instance: no solver state carried between them
                    with ctx.Pool(1) as pool:
                        rows.append(pool.apply(_run_family, (job,)))
                    print(json.dumps(rows[-1]), file=sys.stderr)
    cols = [
        "size",
        "degree",
        "mean_degree",
        "costs",
        "seed",
        "ours_s",
        "ours_obj",
        "ours_status",
        "highs_s",
        "highs_obj",
        "highs_status",
        "spopt_s",
        "spopt_obj",
        "spopt_status",
    ]
    print("| " + " | ".join(cols) + " | ours/HiGHS | spopt/ours |")
    print("|" + "---|" * (len(cols) + 2))
    for row in rows:
        ratio_h = row["highs_s"] / row["ours_s"] if row.get("highs_s") else None
        ratio_s = row["spopt_s"] / row["ours_s"] if row.get("spopt_s") else None
        extra = [
            "" if ratio_h is None else f"{1 / ratio_h:.2f}",
            "" if ratio_s is None else f"{ratio_s:.1f}x",
        ]
        print("| " + " | ".join([*(_fmt(row.get(c)) for c in cols), *extra]) + " |")
    return rows


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["5k", "20k"], choices=list(SIZES))
    parser.add_argument("--engines", nargs="+", default=["auto"])
    parser.add_argument("--time-limit", type=float, default=60.0, help="per solve [s]")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--costs",
        nargs="+",
        default=["equal", "varied"],
        choices=["equal", "varied"],
        help="site cost models (equal: p = 5%% of the sites; varied: budget knapsack)",
    )
    parser.add_argument("--no-equity", action="store_true", help="skip the equity variants")
    parser.add_argument("--spopt-sizes", nargs="*", default=["5k"], choices=list(SIZES))
    parser.add_argument("--no-lp", action="store_true", help="skip the HiGHS LP relaxation row")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument(
        "--families",
        action="store_true",
        help="random families by coverage degree: ours, scipy HiGHS milp and spopt side by side",
    )
    parser.add_argument(
        "--degrees", type=float, nargs="+", default=[2, 5, 10, 20], help="mean sites per cell"
    )
    args = parser.parse_args(argv)
    if args.families:
        return _families_and_save(args)

    jobs = []
    for size in args.sizes:
        for costs in args.costs:
            for seed in args.seeds:
                for engine in args.engines:
                    jobs.append((size, engine, args.time_limit, seed, "plain", costs))
                jobs.append((size, "greedy", args.time_limit, seed, "plain", costs))
                if not args.no_equity:
                    jobs.append((size, "auto", args.time_limit, seed, "rural_weight_2", costs))
                    jobs.append((size, "auto", args.time_limit, seed, "fairness", costs))
    rows: list[dict] = []
    ctx = mp.get_context("fork")
    for job in jobs:
        with ctx.Pool(1) as pool:
            rows.append(pool.apply(_run_ours, (job,)))
        print(json.dumps(rows[-1]), file=sys.stderr)
    for size in [] if args.no_lp else args.sizes:
        with ctx.Pool(1) as pool:
            rows += pool.apply(_lp_and_build, (size, args.seeds[0], args.costs[0]))
        print(json.dumps(rows[-1]), file=sys.stderr)
    for size in args.spopt_sizes:
        rows += _run_spopt(size, args.seeds[0], args.time_limit)
        print(json.dumps(rows[-2:]), file=sys.stderr)

    if not args.no_save:
        _save(rows)
    cols = [
        "size",
        "costs",
        "seed",
        "method",
        "end_to_end_s",
        "total_s",
        "objective",
        "bound",
        "gap",
        "status",
        "peak_mb",
        "cells_after",
        "pairs_after",
        "min_share",
        "matrix_build_s",
        "reduce_s",
    ]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(_fmt(row.get(c)) for c in cols) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
