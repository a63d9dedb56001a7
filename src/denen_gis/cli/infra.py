"""``denen-gis optimize datacenters|landings`` and ``denen-gis resilience``.

Options, one call into :mod:`denen_gis.infrastructure` (on the embedded
dataset), and rich tables with urban vs rural RTT and capacity concentration;
``--out DIR`` writes GeoPackage, CSV and JSON (each written to a temporary
file, then moved into place).
"""

from __future__ import annotations

from pathlib import Path

import typer

from denen_gis.cli._checks import (
    check_amount,
    check_positive,
    check_solver_options,
    check_work_limit,
    option_error,
)
from denen_gis.cli._common import FORCE, check_out, print_json, split_values
from denen_gis.cli._groups import optimize_app
from denen_gis.cli._infra_output import (
    csv_file,
    gpkg_file,
    json_file,
    print_landings,
    print_resilience,
    print_siting,
    write_files,
)
from denen_gis.errors import InputError
from denen_gis.scenario_checks import MAX_COUNT

__all__ = ["MAX_TOP", "register"]

#: Most rows ``--top`` may ask for (the worst-cuts table).
MAX_TOP = 10_000
#: Most new data-centre sites ``--k`` may ask for.
MAX_K = 1_000


def _check_counts(*, k: int, max_per_block: int | None, min_separation_km: float | None) -> None:
    """Refuse counts and distances that are negative or absurdly large (exit 2)."""
    if not 0 <= k <= MAX_K:
        msg = f"--k must be between 0 and {MAX_K}, got {k}"
        raise InputError(msg)
    if max_per_block is not None and max_per_block < 1:
        msg = f"--max-per-block must be at least 1, got {max_per_block}"
        raise InputError(msg)
    if min_separation_km is not None and not 0 <= min_separation_km < 5000:
        msg = f"--min-separation-km must be between 0 and 5000 km, got {min_separation_km}"
        raise InputError(msg)


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
    work_limit: float | None = typer.Option(
        None,
        "--work-limit",
        help="CP-SAT's deterministic time instead of seconds: with --workers 1 the same value "
        "gives the same answer on any machine (--time-limit stays a safety ceiling).",
    ),
    latency_only: bool = typer.Option(
        False,
        "--latency-only",
        help="Drop the policy's criteria (hazard, cooling, renewable, land, landings) and "
        "the hazard rule: site on RTT alone.",
    ),
    out: Path | None = typer.Option(None, "--out", help="Write GeoPackage/CSV/JSON here."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    force: bool = FORCE,
) -> None:
    """Choose regional data-centre sites (p-median / p-center) with OR-Tools."""
    from denen_gis.infrastructure import DatacenterOptions, SolverLimits, datacenter_study
    from denen_gis.outputs import stable_summary

    if objective not in ("median", "center"):
        msg = f"--objective must be median or center, got {objective!r}"
        raise InputError(msg)
    _check_counts(k=k, max_per_block=max_per_block, min_separation_km=min_separation_km)
    check_work_limit(work_limit)
    check_solver_options(time_limit=time_limit, workers=workers, seed=seed)
    check_positive("--backup-max-rtt-ms", backup_max_rtt_ms, unit=" [ms]")
    check_amount("--budget-myen", budget_myen)
    check_out(out, force=force)
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
        **({"criteria": None, "hazard_rule": False} if latency_only else {}),
    )
    siting = datacenter_study(
        options, SolverLimits(time_limit, seed, workers, work_limit), include_planned=sea_of_japan
    )
    if out is not None:
        chosen = siting.chosen_sites
        write_files(
            out,
            {
                "datacenters_plan.gpkg": gpkg_file({"sites": siting.plan.sites, "chosen": chosen}),
                "datacenters_chosen.csv": csv_file(chosen),
                "datacenters_demand.csv": csv_file(siting.plan.demand),
                "datacenters_summary.json": json_file(stable_summary(siting.to_dict())),
            },
            force=force,
        )
    if json_out:
        print_json(stable_summary(siting.to_dict()))
        return
    print_siting(siting, title=f"Chosen data-centre sites (k = {k}, {objective})")


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
    work_limit: float | None = typer.Option(
        None,
        "--work-limit",
        help="CP-SAT's deterministic time instead of seconds: with --workers 1 the same value "
        "gives the same answer on any machine (--time-limit stays a safety ceiling).",
    ),
    out: Path | None = typer.Option(None, "--out", help="Write GeoPackage/CSV/JSON here."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    force: bool = FORCE,
) -> None:
    """Choose the Sea of Japan cable's landing stations (backhaul vs station cost)."""
    from denen_gis.infrastructure import LandingOptions, SolverLimits, landing_study
    from denen_gis.outputs import stable_summary

    if not 0 <= count <= MAX_COUNT:
        raise option_error("--count", count, f"between 0 and {MAX_COUNT}")
    check_solver_options(time_limit=time_limit, workers=workers, seed=seed)
    for name, value in (
        ("--cost-per-landing-myen", cost_per_landing_myen),
        ("--backhaul-myen-per-mperson-km", backhaul_myen),
    ):
        if not 0 <= value < 1e9:  # also refuses inf and nan
            msg = f"{name} must be a finite amount >= 0 and below 1e9, got {value}"
            raise InputError(msg)
    check_work_limit(work_limit)
    check_out(out, force=force)
    options = LandingOptions(
        count=count or None,
        fixed=tuple(split_values(fixed)) if fixed else LandingOptions().fixed,
        excluded=tuple(split_values(exclude)),
        cost_per_landing_myen=cost_per_landing_myen,
        backhaul_myen_per_mperson_km=backhaul_myen,
    )
    study = landing_study(options, SolverLimits(time_limit, seed, workers, work_limit))
    choice = study.choice
    candidates = choice.plan.candidates
    if out is not None:
        write_files(
            out,
            {
                "landings_plan.gpkg": gpkg_file({"landings": candidates}),
                "landings_chosen.csv": csv_file(candidates[candidates["chosen"]]),
                "landings_demand.csv": csv_file(choice.plan.demand),
                "landings_summary.json": json_file(stable_summary(study.to_dict())),
            },
            force=force,
        )
    if json_out:
        print_json(stable_summary(study.to_dict()))
        return
    print_landings(study)


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
    hazards: Path | None = typer.Option(
        None,
        "--hazards",
        help="Hazard zones (GeoPackage/GeoJSON polygons with an 'id') instead of the "
        "four built-in modelled zones.",
    ),
    n2: bool = typer.Option(True, "--n2/--no-n2", help="Run the exhaustive N-2."),
    out: Path | None = typer.Option(None, "--out", help="Write CSV/JSON here."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    force: bool = FORCE,
) -> None:
    """Hazard scenarios, N-1 and N-2: who is cut off, what capacity is left."""
    from denen_gis.infrastructure import resilience_study
    from denen_gis.io.hazards import read_hazards

    if not 1 <= top <= MAX_TOP:
        msg = f"--top must be between 1 and {MAX_TOP}, got {top}"
        raise InputError(msg)
    check_positive("--max-rtt-ms", max_rtt_ms, unit=" [ms]")
    check_out(out, force=force, extra=[hazards])  # a folder holding --hazards is never replaced
    zones = read_hazards(hazards) if hazards is not None else None
    study = resilience_study(
        plan_site_ids=split_values(sites),
        include_planned=sea_of_japan,
        max_rtt_ms=max_rtt_ms,
        hazards=zones,
        n2=n2,
    )
    if out is not None:
        files = {
            f"resilience_cuts_{i}.csv": csv_file(r.cuts.assign(scenario=name))
            for i, (name, r) in enumerate(study.reports.items())
        }
        files["resilience_comparison.csv"] = csv_file(study.comparison)
        files["resilience_summary.json"] = json_file(study.to_dict())
        files["hazard_map.html"] = _hazard_map(study)
        shown = (
            "resilience_cuts_*.csv, resilience_comparison.csv, resilience_summary.json, "
            "hazard_map.html"
        )
        write_files(out, files, force=force, shown=shown, protect=[hazards])
    if json_out:
        print_json(study.to_dict())
        return
    print_resilience(study, top=top)


def _hazard_map(study: object) -> object:
    """Writer of the infrastructure map with one toggle layer per hazard zone."""
    from denen_gis.infrastructure.studies import hazard_layers
    from denen_gis.io import japan
    from denen_gis.render.maps import infrastructure_map, save_map

    zones, routes = hazard_layers(study.hazards)  # type: ignore[attr-defined]

    def write(path: Path) -> None:
        m = infrastructure_map(
            japan.load_prefectures(),
            datacenters=japan.load_datacenters(),
            cables=japan.load_cables(),
            landings=japan.load_landings(),
            hazards=zones,
            hazard_routes=routes,
            title="Hazard scenarios (modelled zones)",
        )
        save_map(m, path)

    return write


def register(app: typer.Typer) -> None:
    """Add ``resilience`` to the main app (the optimize commands register on import)."""
    app.command("resilience")(resilience_cmd)
