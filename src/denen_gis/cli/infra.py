"""``denen-gis optimize datacenters|landings`` and ``denen-gis resilience``.

All three run on the embedded dataset (hubs, backbone links, data centres,
cables, landings, 1 km population grid) and print rich tables with urban vs
rural RTT and capacity concentration; ``--out DIR`` writes GeoPackage, CSV and
JSON (each written to a temporary file, then moved into place).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import typer
from rich.table import Table

from denen_gis.cli._common import console, err_console, print_json, split_values, to_jsonable
from denen_gis.cli._groups import optimize_app
from denen_gis.errors import InputError

__all__ = ["register"]


@dataclass(frozen=True)
class _Dataset:
    hubs: pd.DataFrame
    links: pd.DataFrame
    datacenters: gpd.GeoDataFrame
    cables: gpd.GeoDataFrame
    landings: gpd.GeoDataFrame
    prefectures: gpd.GeoDataFrame
    grid: gpd.GeoDataFrame


def _load() -> _Dataset:
    from denen_gis.io import japan

    return _Dataset(
        japan.load_hubs(),
        japan.load_backbone_links(),
        japan.load_datacenters(),
        japan.load_cables(),
        japan.load_landings(),
        japan.load_prefectures(),
        japan.load_population_grid(),
    )


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    from denen_gis.io.files import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        write(tmp)


def _write_json(path: Path, value: Any) -> None:
    _atomic(
        path,
        lambda p: p.write_text(
            json.dumps(to_jsonable(value), ensure_ascii=False, indent=2), encoding="utf-8"
        ),
    )


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    _atomic(path, lambda p: frame.to_csv(p, index=False))


def _write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    def write(p: Path) -> None:
        for name, frame in layers.items():
            frame.to_file(p, layer=name, driver="GPKG", engine="pyogrio")

    _atomic(path, write)


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=6668
    )


def _rtt_table(title: str, rows: dict[str, dict[str, float]]) -> Table:
    table = Table(title=title)
    for col in ("scenario", "mean RTT ms", "urban ms", "rural ms", "worst cell ms", "cut off"):
        table.add_column(col, justify="left" if col == "scenario" else "right")
    for name, s in rows.items():
        table.add_row(
            name,
            f"{s['mean_rtt_ms']:.3f}",
            f"{s['urban_rtt_ms']:.3f}",
            f"{s['rural_rtt_ms']:.3f}",
            f"{s['max_rtt_ms']:.3f}",
            f"{s['population_cut_off']:,.0f}",
        )
    return table


def _capacity_table(rows: dict[str, dict[str, float]]) -> Table:
    table = Table(title="Capacity concentration (share of MW)")
    for col in (
        "scenario",
        "total MW",
        "Tokyo area",
        "Tokyo+Osaka",
        "southern Kanto",
        "Nankai trough",
    ):
        table.add_column(col, justify="left" if col == "scenario" else "right")
    for name, c in rows.items():
        table.add_row(
            name,
            f"{c['total_mw']:,.0f}",
            f"{100 * c['tokyo_area_share']:.1f}%",
            f"{100 * c['tokyo_osaka_share']:.1f}%",
            f"{100 * c['southern_kanto_share']:.1f}%",
            f"{100 * c['nankai_trough_share']:.1f}%",
        )
    return table


def _solver_line(s: dict[str, Any]) -> str:
    return (
        f"solver {s['status']}: objective {s['objective']:.4f}, best bound "
        f"{s['best_bound']:.4f}, gap {100 * s['gap']:.2f}%, {s['wall_time_s']:.2f} s"
    )


@optimize_app.command("datacenters")
def datacenters_cmd(
    k: int = typer.Option(13, "--k", help="New regional sites to open (funded ones count)."),
    objective: str = typer.Option(
        "median", "--objective", help="median (population-weighted RTT) or center (worst RTT)."
    ),
    max_per_block: int | None = typer.Option(
        None, "--max-per-block", help="At most N new sites per block."
    ),
    min_separation_km: float | None = typer.Option(
        None, "--min-separation-km", help="Least distance between new sites [km]."
    ),
    include_sites: list[str] | None = typer.Option(
        None, "--include-sites", help="Site ids to fix (comma-separated or repeated)."
    ),
    exclude_sites: list[str] | None = typer.Option(
        None, "--exclude-sites", help="Site ids to exclude (comma-separated or repeated)."
    ),
    allow_tokyo_area: bool = typer.Option(
        False, "--allow-tokyo-area", help="Let new sites lie in the Tokyo area."
    ),
    fix_funded: bool = typer.Option(
        True, "--fix-funded/--free-funded", help="Keep the funded sites in the plan."
    ),
    capacitated: bool = typer.Option(
        False, "--capacitated", help="Respect site capacity (single-sourcing)."
    ),
    backup_max_rtt_ms: float | None = typer.Option(
        None, "--backup-max-rtt-ms", help="Each demand keeps a second DC within this RTT [ms]."
    ),
    budget_myen: float | None = typer.Option(
        None, "--budget-myen", help="Most the new sites may cost [million yen]."
    ),
    sea_of_japan: bool = typer.Option(
        True,
        "--with-sea-of-japan/--without-sea-of-japan",
        help="Include the planned Sea of Japan cable.",
    ),
    time_limit: float = typer.Option(10.0, "--time-limit", help="Solver time limit [s]."),
    seed: int = typer.Option(0, "--seed", help="Solver random seed."),
    workers: int = typer.Option(2, "--workers", help="Solver worker threads."),
    out: Path | None = typer.Option(None, "--out", help="Write GeoPackage/CSV/JSON here."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Choose regional data-centre sites (p-median / p-center) with OR-Tools."""
    from denen_gis.layers.network import build_backbone, demand_groups
    from denen_gis.optimize.datacenters import plan_datacenters

    if objective not in ("median", "center"):
        msg = f"--objective must be median or center, got {objective!r}"
        raise InputError(msg)
    ds = _load()
    graph = build_backbone(
        ds.hubs,
        ds.links,
        ds.cables,
        ds.landings,
        datacenters=ds.datacenters,
        include_planned=sea_of_japan,
    )
    demand = demand_groups(ds.grid, graph)
    plan = plan_datacenters(
        ds.datacenters,
        graph,
        demand,
        k=k,
        objective=objective,
        regions=ds.prefectures,
        allow_tokyo_area=allow_tokyo_area,
        fix_funded=fix_funded,
        include_sites=split_values(include_sites),
        exclude_sites=split_values(exclude_sites),
        max_per_block=max_per_block,
        min_separation_km=min_separation_km,
        capacitated=capacitated,
        budget_myen=budget_myen,
        backup_max_rtt_ms=backup_max_rtt_ms,
        time_limit_s=time_limit,
        seed=seed,
        workers=workers,
    )
    summary = plan.summary
    if out is not None:
        chosen = plan.sites[plan.sites["chosen"]]
        _write_gpkg(
            out / "datacenters_plan.gpkg", {"sites": _points(plan.sites), "chosen": _points(chosen)}
        )
        _write_csv(out / "datacenters_chosen.csv", chosen)
        _write_csv(out / "datacenters_demand.csv", plan.demand)
        _write_json(out / "datacenters_summary.json", summary)
        err_console.print(
            f"wrote {out}/datacenters_plan.gpkg, datacenters_chosen.csv, "
            "datacenters_demand.csv, datacenters_summary.json",
            markup=False,
        )
    if json_out:
        print_json(summary)
        return
    table = Table(title=f"Chosen data-centre sites (k = {k}, {objective})")
    for col in ("site", "name", "pref", "block", "status", "MW", "cost myen", "people served"):
        table.add_column(
            col, justify="right" if col in ("MW", "cost myen", "people served") else "left"
        )
    for row in plan.sites[plan.sites["chosen"]].itertuples(index=False):
        table.add_row(
            row.site_id,
            f"{row.name} {row.name_ja}",
            row.pref_code,
            str(getattr(row, "block", "")),
            row.status,
            f"{row.capacity_mw:,.0f}",
            f"{row.cost_myen:,.0f}",
            f"{row.population_served:,}",
        )
    console.print(table)
    console.print(
        _rtt_table(
            "RTT to the nearest DC (population-weighted)",
            {"existing DCs": summary["before"], "with the plan": summary["after"]},
        )
    )
    console.print(
        _capacity_table(
            {"existing": summary["capacity_before"], "with the plan": summary["capacity_after"]}
        )
    )
    console.print(
        f"new capacity {summary['new_capacity_mw']:,.0f} MW for "
        f"{summary['new_cost_myen']:,.0f} million yen; " + _solver_line(summary["solver"])
    )


@optimize_app.command("landings")
def landings_cmd(
    count: int = typer.Option(5, "--count", help="Landing stations (0: the cheapest number)."),
    cost_per_landing_myen: float = typer.Option(
        3000.0, "--cost-per-landing-myen", help="Cost of one landing station [million yen]."
    ),
    backhaul_myen: float = typer.Option(
        1.0,
        "--backhaul-myen-per-mperson-km",
        help="Backhaul cost [million yen per million person-km].",
    ),
    fixed: list[str] | None = typer.Option(
        None, "--fixed", help="Landing ids to fix (default: Ishikari, Akita, Fukuoka)."
    ),
    exclude: list[str] | None = typer.Option(None, "--exclude", help="Landing ids to exclude."),
    time_limit: float = typer.Option(10.0, "--time-limit", help="Solver time limit [s]."),
    seed: int = typer.Option(0, "--seed", help="Solver random seed."),
    workers: int = typer.Option(2, "--workers", help="Solver worker threads."),
    out: Path | None = typer.Option(None, "--out", help="Write GeoPackage/CSV/JSON here."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Choose the Sea of Japan cable's landing stations (backhaul vs station cost)."""
    from denen_gis.layers.network import build_backbone, rtt_to_nearest_dc
    from denen_gis.layers.resilience import capacity_concentration
    from denen_gis.optimize.landings import DEFAULT_FIXED_LANDINGS, plan_landings

    if count < 0:
        msg = f"--count must be >= 0, got {count}"
        raise InputError(msg)
    ds = _load()
    fixed_ids = split_values(fixed) if fixed else list(DEFAULT_FIXED_LANDINGS)
    plan = plan_landings(
        ds.landings,
        ds.hubs,
        ds.links,
        count=count or None,
        fixed=fixed_ids,
        excluded=split_values(exclude),
        cost_per_landing_myen=cost_per_landing_myen,
        backhaul_myen_per_mperson_km=backhaul_myen,
        time_limit_s=time_limit,
        seed=seed,
        workers=workers,
    )
    existing = ds.datacenters.loc[ds.datacenters["status"] == "existing", "site_id"]
    active_other = ds.landings.loc[
        ~ds.landings["landing_id"].isin(plan.candidates["landing_id"])
        & (ds.landings["status"] != "candidate"),
        "landing_id",
    ]
    rtt = {}
    for name, planned, active in (
        ("without the cable", False, None),
        ("cable, chosen landings", True, [*active_other, *plan.chosen]),
    ):
        g = build_backbone(
            ds.hubs,
            ds.links,
            ds.cables,
            ds.landings,
            datacenters=ds.datacenters,
            include_planned=planned,
            active_landings=active,
        )
        rtt[name] = rtt_to_nearest_dc(g, sites=existing, grid=ds.grid).summary
    summary = {**plan.summary, "rtt": rtt, "capacity": capacity_concentration(ds.datacenters)}
    if out is not None:
        _write_gpkg(out / "landings_plan.gpkg", {"landings": _points(plan.candidates)})
        _write_csv(out / "landings_chosen.csv", plan.candidates[plan.candidates["chosen"]])
        _write_csv(out / "landings_demand.csv", plan.demand)
        _write_json(out / "landings_summary.json", summary)
        err_console.print(
            f"wrote {out}/landings_plan.gpkg, landings_chosen.csv, "
            "landings_demand.csv, landings_summary.json",
            markup=False,
        )
    if json_out:
        print_json(summary)
        return
    table = Table(title="Sea of Japan cable: landing stations")
    for col in ("landing", "name", "pref", "status", "chosen", "people served"):
        table.add_column(col, justify="right" if col == "people served" else "left")
    for row in plan.candidates.itertuples(index=False):
        table.add_row(
            row.landing_id,
            f"{row.name} {getattr(row, 'name_ja', '')}",
            row.pref_code,
            str(getattr(row, "status", "")),
            "yes" if row.chosen else "",
            f"{row.population_served:,}",
        )
    console.print(table)
    console.print(_rtt_table("RTT to the nearest existing DC (population-weighted)", rtt))
    console.print(_capacity_table({"existing": summary["capacity"]}))
    console.print(
        f"{summary['count']} stations: {summary['station_cost_myen']:,.0f} + backhaul "
        f"{summary['backhaul_mperson_km']:,.0f} million person-km (mean "
        f"{summary['mean_backhaul_km']:.0f} km) = {summary['total_cost_myen']:,.0f} million yen; "
        + _solver_line(summary["solver"])
    )


def resilience_cmd(
    sea_of_japan: bool = typer.Option(
        True,
        "--with-sea-of-japan/--without-sea-of-japan",
        help="Compare with the planned Sea of Japan cable.",
    ),
    sites: list[str] | None = typer.Option(
        None, "--sites", help="New DC site ids of the plan (default: the funded sites)."
    ),
    max_rtt_ms: float | None = typer.Option(
        None, "--max-rtt-ms", help="Also count people as cut off above this RTT [ms]."
    ),
    top: int = typer.Option(10, "--top", help="Rows of the worst-cuts table."),
    out: Path | None = typer.Option(None, "--out", help="Write CSV/JSON here."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """N-1 analysis: each cable segment, land link or DC removed in turn."""
    from denen_gis.layers.network import build_backbone, demand_groups
    from denen_gis.layers.resilience import (
        capacity_concentration,
        compare_cuts,
        n_minus_1,
        relief_statements,
    )

    ds = _load()
    dcs = ds.datacenters
    plan_ids = split_values(sites) if sites else list(dcs.loc[dcs["status"] == "funded", "site_id"])
    unknown = sorted(set(plan_ids) - set(dcs["site_id"]))
    if unknown:
        msg = f"--sites: unknown site id(s) {unknown[:5]}; see the datacenters layer"
        raise InputError(msg)
    existing = list(dcs.loc[dcs["status"] == "existing", "site_id"])
    plan_sites = list(dict.fromkeys(existing + plan_ids))
    g0 = build_backbone(
        ds.hubs, ds.links, ds.cables, ds.landings, datacenters=dcs, include_planned=False
    )
    g1 = build_backbone(
        ds.hubs, ds.links, ds.cables, ds.landings, datacenters=dcs, include_planned=sea_of_japan
    )
    demand = demand_groups(ds.grid, g0)
    cable = "with the Sea of Japan cable" if sea_of_japan else "without the new cable"
    scenarios = {
        "today (existing DCs, no new cable)": (g0, existing),
        f"{cable}, existing DCs": (g1, existing),
        f"{cable}, existing + plan DCs": (g1, plan_sites),
    }
    reports = {
        name: n_minus_1(g, demand, sites=s, max_rtt_ms=max_rtt_ms)
        for name, (g, s) in scenarios.items()
    }
    names = list(reports)
    comparison = compare_cuts(reports[names[0]], reports[names[1]])
    comparison_all = compare_cuts(reports[names[0]], reports[names[2]])
    capacity = {
        "existing": capacity_concentration(dcs),
        "existing + plan": capacity_concentration(dcs, sites=plan_ids),
    }
    summary = {
        "plan_sites": plan_ids,
        "max_rtt_ms": max_rtt_ms,
        "scenarios": {
            n: {"baseline": r.baseline, "worst_cut": r.worst} for n, r in reports.items()
        },
        "capacity": capacity,
        "relief_from_cable": relief_statements(comparison),
        "relief_from_cable_and_dcs": relief_statements(comparison_all),
    }
    if out is not None:
        for i, (name, r) in enumerate(reports.items()):
            _write_csv(out / f"resilience_cuts_{i}.csv", r.cuts.assign(scenario=name))
        _write_csv(out / "resilience_comparison.csv", comparison_all)
        _write_json(out / "resilience_summary.json", summary)
        err_console.print(
            f"wrote {out}/resilience_cuts_*.csv, resilience_comparison.csv, "
            "resilience_summary.json",
            markup=False,
        )
    if json_out:
        print_json(summary)
        return
    console.print(
        _rtt_table(
            "RTT to the nearest DC, nothing cut", {n: r.baseline for n, r in reports.items()}
        )
    )
    worst = Table(title="Worst single cut per scenario")
    for col in (
        "scenario",
        "element",
        "between",
        "cut off",
        "urban cut off",
        "rural cut off",
        "RTT +ms",
    ):
        worst.add_column(
            col, justify="left" if col in ("scenario", "element", "between") else "right"
        )
    for name, r in reports.items():
        w = r.worst
        worst.add_row(
            name,
            f"{w['kind']} {w['id']}",
            f"{w['a']} {w['b']}".strip(),
            f"{w['population_cut_off']:,.0f}",
            f"{w['urban_cut_off']:,.0f}",
            f"{w['rural_cut_off']:,.0f}",
            f"{w['rtt_increase_ms']:+.3f}",
        )
    console.print(worst)
    last = reports[names[2]]
    cuts = Table(title=f"Top {top} cuts: {names[2]}")
    for col in ("element", "between", "cut off", "mean ms", "urban ms", "rural ms", "RTT +ms"):
        cuts.add_column(col, justify="left" if col in ("element", "between") else "right")
    for row in last.cuts.head(top).itertuples(index=False):
        cuts.add_row(
            f"{row.kind} {row.id}",
            f"{row.a} {row.b}".strip(),
            f"{row.population_cut_off:,.0f}",
            f"{row.mean_rtt_ms:.3f}",
            f"{row.urban_rtt_ms:.3f}",
            f"{row.rural_rtt_ms:.3f}",
            f"{row.rtt_increase_ms:+.3f}",
        )
    console.print(cuts)
    console.print(_capacity_table(capacity))
    lines = summary["relief_from_cable_and_dcs"] or ["no single cut cuts off fewer people"]
    for line in lines:
        console.print(f"- {line}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``resilience`` to the main app (the optimize commands register on import)."""
    app.command("resilience")(resilience_cmd)
