"""``denen-gis optimize datacenters|landings`` and ``denen-gis resilience``.

Options, one call into :mod:`denen_gis.infrastructure` (on the embedded
dataset), and rich tables with urban vs rural RTT and capacity concentration;
``--out DIR`` writes GeoPackage, CSV and JSON (each written to a temporary
file, then moved into place).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
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


Writer = Callable[[Path], None]


def _atomic(path: Path, write: Writer) -> None:
    from denen_gis.io.files import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        write(tmp)


def _write_files(out: Path, files: Mapping[str, Writer], *, shown: str | None = None) -> None:
    """Write each file atomically into ``out`` and say so on stderr."""
    for name, write in files.items():
        _atomic(out / name, write)
    err_console.print(f"wrote {out}/{shown or ', '.join(files)}", markup=False)


def _csv(frame: pd.DataFrame) -> Writer:
    return lambda p: frame.to_csv(p, index=False)


def _json(value: Any) -> Writer:
    text = json.dumps(to_jsonable(value), ensure_ascii=False, indent=2)
    return lambda p: p.write_text(text, encoding="utf-8")


def _gpkg(layers: Mapping[str, pd.DataFrame]) -> Writer:
    def write(p: Path) -> None:
        for name, frame in layers.items():
            _points(frame).to_file(p, layer=name, driver="GPKG", engine="pyogrio")

    return write


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=6668
    )


def _table(title: str, columns: tuple[str, ...], left: int = 1) -> Table:
    """A table whose first ``left`` columns are text and the rest numbers."""
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i < left else "right")
    return table


def _rtt_table(title: str, rows: Mapping[str, Any]) -> Table:
    table = _table(
        title, ("scenario", "mean RTT ms", "urban ms", "rural ms", "worst cell ms", "cut off")
    )
    for name, r in rows.items():
        table.add_row(
            name,
            f"{r.mean_rtt_ms:.3f}",
            f"{r.urban_rtt_ms:.3f}",
            f"{r.rural_rtt_ms:.3f}",
            f"{r.max_rtt_ms:.3f}",
            f"{r.population_cut_off:,.0f}",
        )
    return table


def _capacity_table(rows: Mapping[str, Any]) -> Table:
    table = _table(
        "Capacity concentration (share of MW)",
        ("scenario", "total MW", "Tokyo area", "Tokyo+Osaka", "southern Kanto", "Nankai trough"),
    )
    for name, c in rows.items():
        table.add_row(
            name,
            f"{c.total_mw:,.0f}",
            f"{100 * c.tokyo_area_share:.1f}%",
            f"{100 * c.tokyo_osaka_share:.1f}%",
            f"{100 * c.seismic_shares['southern_kanto']:.1f}%",
            f"{100 * c.seismic_shares['nankai_trough']:.1f}%",
        )
    return table


def _solver_line(s: Any) -> str:
    return (
        f"solver {s.status}: objective {s.objective:.4f}, best bound "
        f"{s.best_bound:.4f}, gap {100 * s.gap:.2f}%, {s.wall_time_s:.2f} s"
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
    from denen_gis.infrastructure import DatacenterOptions, SolverLimits, datacenter_study

    if objective not in ("median", "center"):
        msg = f"--objective must be median or center, got {objective!r}"
        raise InputError(msg)
    options = DatacenterOptions(
        k=k,
        objective=objective,
        allow_tokyo_area=allow_tokyo_area,
        fix_funded=fix_funded,
        include_sites=tuple(split_values(include_sites)),
        exclude_sites=tuple(split_values(exclude_sites)),
        max_per_block=max_per_block,
        min_separation_km=min_separation_km,
        capacitated=capacitated,
        budget_myen=budget_myen,
        backup_max_rtt_ms=backup_max_rtt_ms,
    )
    siting = datacenter_study(
        options, SolverLimits(time_limit, seed, workers), include_planned=sea_of_japan
    )
    if out is not None:
        chosen = siting.chosen_sites
        _write_files(
            out,
            {
                "datacenters_plan.gpkg": _gpkg({"sites": siting.plan.sites, "chosen": chosen}),
                "datacenters_chosen.csv": _csv(chosen),
                "datacenters_demand.csv": _csv(siting.plan.demand),
                "datacenters_summary.json": _json(siting.to_dict()),
            },
        )
    if json_out:
        print_json(siting.to_dict())
        return
    table = _table(
        f"Chosen data-centre sites (k = {k}, {objective})",
        ("site", "name", "pref", "block", "status", "MW", "cost myen", "people served"),
        left=5,
    )
    for row in siting.chosen_sites.itertuples(index=False):
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
            {"existing DCs": siting.before, "with the plan": siting.after},
        )
    )
    console.print(
        _capacity_table(
            {"existing": siting.capacity_before, "with the plan": siting.capacity_after}
        )
    )
    console.print(
        f"new capacity {siting.new_capacity_mw:,.0f} MW for "
        f"{siting.new_cost_myen:,.0f} million yen; " + _solver_line(siting.solver)
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
    from denen_gis.infrastructure import LandingOptions, SolverLimits, landing_study

    if count < 0:
        msg = f"--count must be >= 0, got {count}"
        raise InputError(msg)
    options = LandingOptions(
        count=count or None,
        fixed=tuple(split_values(fixed)) if fixed else LandingOptions().fixed,
        excluded=tuple(split_values(exclude)),
        cost_per_landing_myen=cost_per_landing_myen,
        backhaul_myen_per_mperson_km=backhaul_myen,
    )
    study = landing_study(options, SolverLimits(time_limit, seed, workers))
    choice = study.choice
    candidates = choice.plan.candidates
    if out is not None:
        _write_files(
            out,
            {
                "landings_plan.gpkg": _gpkg({"landings": candidates}),
                "landings_chosen.csv": _csv(candidates[candidates["chosen"]]),
                "landings_demand.csv": _csv(choice.plan.demand),
                "landings_summary.json": _json(study.to_dict()),
            },
        )
    if json_out:
        print_json(study.to_dict())
        return
    table = _table(
        "Sea of Japan cable: landing stations",
        ("landing", "name", "pref", "status", "chosen", "people served"),
        left=5,
    )
    for row in candidates.itertuples(index=False):
        table.add_row(
            row.landing_id,
            f"{row.name} {getattr(row, 'name_ja', '')}",
            row.pref_code,
            str(getattr(row, "status", "")),
            "yes" if row.chosen else "",
            f"{row.population_served:,}",
        )
    console.print(table)
    console.print(_rtt_table("RTT to the nearest existing DC (population-weighted)", study.rtt))
    console.print(_capacity_table({"existing": study.capacity}))
    console.print(
        f"{choice.count} stations: {choice.station_cost_myen:,.0f} + backhaul "
        f"{choice.backhaul_mperson_km:,.0f} million person-km (mean "
        f"{choice.mean_backhaul_km:.0f} km) = {choice.total_cost_myen:,.0f} million yen; "
        + _solver_line(choice.solver)
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
    from denen_gis.infrastructure import resilience_study

    study = resilience_study(
        plan_site_ids=split_values(sites), include_planned=sea_of_japan, max_rtt_ms=max_rtt_ms
    )
    if out is not None:
        files = {
            f"resilience_cuts_{i}.csv": _csv(r.cuts.assign(scenario=name))
            for i, (name, r) in enumerate(study.reports.items())
        }
        files["resilience_comparison.csv"] = _csv(study.comparison)
        files["resilience_summary.json"] = _json(study.to_dict())
        shown = "resilience_cuts_*.csv, resilience_comparison.csv, resilience_summary.json"
        _write_files(out, files, shown=shown)
    if json_out:
        print_json(study.to_dict())
        return
    _print_resilience(study, top)


def _print_resilience(study: Any, top: int) -> None:
    names = list(study.reports)
    console.print(
        _rtt_table("RTT to the nearest DC, nothing cut", {n: study.baseline(n) for n in names})
    )
    worst = _table(
        "Worst single cut per scenario",
        ("scenario", "element", "between", "cut off", "urban cut off", "rural cut off", "RTT +ms"),
        left=3,
    )
    for name in names:
        w = study.worst(name)
        worst.add_row(
            name,
            f"{w.kind} {w.id}",
            f"{w.a} {w.b}".strip(),
            f"{w.population_cut_off:,.0f}",
            f"{w.urban_cut_off:,.0f}",
            f"{w.rural_cut_off:,.0f}",
            f"{w.rtt_increase_ms:+.3f}",
        )
    console.print(worst)
    cuts = _table(
        f"Top {top} cuts: {names[2]}",
        ("element", "between", "cut off", "mean ms", "urban ms", "rural ms", "RTT +ms"),
        left=2,
    )
    for row in study.reports[names[2]].cuts.head(top).itertuples(index=False):
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
    console.print(_capacity_table(study.capacity))
    for line in study.relief_from_cable_and_dcs or ["no single cut cuts off fewer people"]:
        console.print(f"- {line}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``resilience`` to the main app (the optimize commands register on import)."""
    app.command("resilience")(resilience_cmd)
