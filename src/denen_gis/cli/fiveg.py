"""``denen-gis optimize 5g`` and ``denen-gis rollout``: choose where to build 5G."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from denen_gis.cli._checks import (
    check_amount,
    check_share,
    check_solver_options,
    check_work_limit,
)
from denen_gis.cli._common import (
    FORCE,
    MUNICIPALITY_HELP,
    WORK_LIMIT,
    check_out,
    err_console,
    print_json,
    split_values,
)
from denen_gis.cli._groups import optimize_app
from denen_gis.cli._run import print_plan, progress_bar
from denen_gis.errors import InputError
from denen_gis.scenario_checks import MAX_MYEN, MAX_SITE_IDS, check_site_ids

__all__ = ["MAX_SITE_IDS", "MAX_YEARS", "register"]

#: Most fiscal years a rollout may plan (each year holds a copy of the model).
MAX_YEARS = 50
#: Most ``--target`` entries of a rollout.
MAX_TARGETS = MAX_YEARS


def _site_ids(include: list[str] | None, exclude: list[str] | None) -> tuple[list[str], list[str]]:
    """``--include-sites`` / ``--exclude-sites`` split and checked (length, repeats, overlap)."""
    inc, exc = split_values(include), split_values(exclude)
    for option, ids in (("--include-sites", inc), ("--exclude-sites", exc)):
        if len(ids) > MAX_SITE_IDS:  # before the set operations of the full check
            msg = f"{option}: {len(ids):,} ids given, at most {MAX_SITE_IDS:,}"
            raise InputError(msg)
    check_site_ids(inc, exc, command_line=True)
    return inc, exc


def _scenario(scenario: Path | None, overrides: dict[str, dict[str, Any]]) -> Any:
    """The scenario file (or the defaults) with command-line overrides applied."""
    from denen_gis.scenario import read_scenario_file, scenario_from_dict

    data: dict[str, Any] = {}
    base_dir, source, text = ".", "command line", ""
    if scenario is not None:
        data, text = read_scenario_file(scenario)
        base_dir = str(scenario.parent.resolve())
        source = str(scenario)
    for section, values in overrides.items():
        clean = {k: v for k, v in values.items() if v is not None and v != []}
        if clean:
            data.setdefault(section, {}).update(clean)
    return scenario_from_dict(data, source=source, text=text, base_dir=base_dir)


def optimize_5g(
    objective: str | None = typer.Option(
        None,
        "--objective",
        help="coverage (most people for the budget), min-cost "
        "(cheapest way to the targets) or fairness (raise the worst prefecture first); "
        "default: the scenario's, else min-cost.",
    ),
    budget_myen: float | None = typer.Option(None, "--budget-myen", help="Budget [million yen]."),
    target_national: float | None = typer.Option(
        None, "--target-national", help="National coverage target, share 0-1 (default 0.97)."
    ),
    target_prefecture: float | None = typer.Option(
        None, "--target-prefecture", help="Floor for every prefecture, share 0-1 (default 0.90)."
    ),
    target_rural: float | None = typer.Option(
        None, "--target-rural", help="Floor for rural people, share 0-1."
    ),
    rural_weight: float | None = typer.Option(
        None, "--rural-weight", help="Weight of a rural person relative to an urban one."
    ),
    fairness_on: str | None = typer.Option(
        None, "--fairness-on", help="fairness objective: 'prefecture' or 'rural'."
    ),
    include_sites: list[str] | None = typer.Option(
        None, "--include-sites", help="Candidate ids that must be built (comma-separated)."
    ),
    exclude_sites: list[str] | None = typer.Option(
        None, "--exclude-sites", help="Candidate ids that must not be built."
    ),
    candidates: Path | None = typer.Option(None, "--candidates", help="Candidate sites layer."),
    population: Path | None = typer.Option(None, "--population", help="Population grid file."),
    stations: Path | None = typer.Option(None, "--stations", help="Existing stations layer."),
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        help="Modelled 5G network to start from: fy2021, fy2022 or fy2023 (default fy2023).",
    ),
    region: list[str] | None = typer.Option(
        None, "--region", help="Prefectures (codes or names) or blocks (e.g. Tohoku)."
    ),
    municipality: list[str] | None = typer.Option(None, "--municipality", help=MUNICIPALITY_HELP),
    scenario: Path | None = typer.Option(
        None, "--scenario", help="Start from a scenario TOML; options override it."
    ),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Solver time limit [s]."),
    work_limit: float | None = WORK_LIMIT,
    seed: int | None = typer.Option(None, "--seed", help="Random seed (repeatable with 1 worker)."),
    workers: int | None = typer.Option(None, "--workers", help="Solver threads."),
    out: Path | None = typer.Option(None, "--out", help="Folder for the layers, tables and map."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    force: bool = FORCE,
) -> None:
    """Choose new 5G sites with OR-Tools on the embedded dataset or your files."""
    check_solver_options(
        time_limit=time_limit, workers=workers, seed=seed, rural_weight=rural_weight
    )
    check_work_limit(work_limit)
    check_amount("--budget-myen", budget_myen)
    for option, share in (
        ("--target-national", target_national),
        ("--target-prefecture", target_prefecture),
        ("--target-rural", target_rural),
    ):
        check_share(option, share)
    include, exclude = _site_ids(include_sites, exclude_sites)
    from denen_gis.pipeline import plan
    from denen_gis.scenario import BLOCKS

    regions = split_values(region)
    s = _scenario(
        scenario,
        {
            "fiveg": {
                "baseline": baseline,
                "objective": objective,
                "budget_myen": budget_myen,
                "target_national": target_national,
                "target_prefecture": target_prefecture,
                "target_rural": target_rural,
                "rural_weight": rural_weight,
                "fairness_on": fairness_on,
                "include_sites": include,
                "exclude_sites": exclude,
            },
            "inputs": {
                "candidates": str(candidates) if candidates else None,
                "population": str(population) if population else None,
                "stations": str(stations) if stations else None,
            },
            "region": {
                "blocks": [r for r in regions if r in BLOCKS],
                "prefectures": [r for r in regions if r not in BLOCKS],
                "municipalities": split_values(municipality),
            },
            "scenario": {
                "time_limit_s": time_limit,
                "work_limit": work_limit,
                "seed": seed,
                "workers": workers,
            },
            "datacenters": {"enabled": False},
            "landings": {"enabled": False},
        },
    )
    s = _without_infrastructure(s)
    check_out(out, force=force, scenarios=[s])
    with progress_bar(quiet=quiet or json_out) as bar:
        result = plan(s, progress=bar)
    if out is not None:
        from denen_gis.outputs import write_plan

        write_plan(result, out, force=force)
        err_console.print(f"wrote {out}")
    if json_out:
        from denen_gis.outputs import stable_summary

        print_json(stable_summary(result.summary))  # as plan.json: clock readings in timings
    else:
        print_plan(result, title=f"5G plan ({s.fiveg.objective})")


def _without_infrastructure(s: Any) -> Any:
    from dataclasses import replace

    return replace(s, resilience=False)


def _years(spec: str) -> list[int]:
    try:
        if ":" in spec:
            a, b = (int(x) for x in spec.split(":"))
        else:
            years = [int(x) for x in spec.split(",")]
    except ValueError:
        msg = f"--years {spec!r}: use FIRST:LAST (e.g. 2027:2030) or a comma-separated list"
        raise InputError(msg) from None
    if ":" in spec:
        if b < a:
            msg = f"--years {spec!r}: FIRST must not be after LAST"
            raise InputError(msg)
        if b - a >= MAX_YEARS:
            msg = f"--years {spec!r}: {b - a + 1:,} years, at most {MAX_YEARS} fiscal years"
            raise InputError(msg)
        years = list(range(a, b + 1))
    if not years or sorted(set(years)) != years:
        msg = f"--years {spec!r}: give increasing fiscal years"
        raise InputError(msg)
    if len(years) > MAX_YEARS or not all(1900 <= y <= 2200 for y in years):
        msg = f"--years {spec!r}: at most {MAX_YEARS} fiscal years, between 1900 and 2200"
        raise InputError(msg)
    return years


def _yearly_targets(specs: list[str] | None, years: list[int]) -> dict[int, Any]:
    from denen_gis.optimize import Targets

    out: dict[int, Any] = {}
    if len(specs or []) > MAX_TARGETS:
        msg = f"--target: {len(specs or [])} given, at most one per planning year"
        raise InputError(msg)
    for spec in specs or []:
        parts = spec.split(":")
        try:
            year = int(parts[0])
            national = float(parts[1]) if len(parts) > 1 and parts[1] else None
            per_pref = float(parts[2]) if len(parts) > 2 and parts[2] else None
        except ValueError:
            msg = f"--target {spec!r}: use YEAR:NATIONAL[:PREFECTURE], e.g. 2030:0.99:0.99"
            raise InputError(msg) from None
        if year not in years:
            msg = f"--target {spec!r}: year {year} is not one of the planning years {years}"
            raise InputError(msg)
        if any(v is not None and not 0 <= v <= 1 for v in (national, per_pref)):
            msg = (
                f"--target {spec!r}: NATIONAL and PREFECTURE are shares between 0 and 1 "
                "(0.99 = 99%)"
            )
            raise InputError(msg)
        out[year] = Targets(national=national, per_prefecture=per_pref)
    return out


def rollout(
    years: str = typer.Option("2027:2030", "--years", help="Fiscal years, FIRST:LAST or a list."),
    budget_per_year_myen: float = typer.Option(
        15000.0, "--budget-per-year-myen", help="Grant per fiscal year [million yen]."
    ),
    target: list[str] | None = typer.Option(
        None,
        "--target",
        help="YEAR:NATIONAL[:PREFECTURE] shares, e.g. 2030:0.99:0.99 (repeatable).",
    ),
    carry_over: bool = typer.Option(False, "--carry-over", help="Unspent budget rolls over."),
    rural_weight: float | None = typer.Option(None, "--rural-weight", help="Rural weight."),
    region: list[str] | None = typer.Option(None, "--region", help="Prefectures or blocks."),
    municipality: list[str] | None = typer.Option(None, "--municipality", help=MUNICIPALITY_HELP),
    scenario: Path | None = typer.Option(None, "--scenario", help="Scenario TOML for inputs."),
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        help="Modelled 5G network to start from: fy2021, fy2022 or fy2023 (default fy2023).",
    ),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Solver time limit [s]."),
    work_limit: float | None = WORK_LIMIT,
    seed: int | None = typer.Option(None, "--seed", help="Random seed."),
    workers: int | None = typer.Option(None, "--workers", help="Solver threads."),
    out: Path | None = typer.Option(None, "--out", help="Output folder."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    force: bool = FORCE,
) -> None:
    """Plan the 5G build year by year under the annual grant, maximising people covered."""
    year_list = _years(years)  # before the heavy imports: a bad range fails at once
    yearly_targets = _yearly_targets(target, year_list)
    check_solver_options(
        time_limit=time_limit, workers=workers, seed=seed, rural_weight=rural_weight
    )
    check_work_limit(work_limit)
    # The scenario's budget is the sum of the years' grants.
    check_amount(
        "--budget-per-year-myen",
        budget_per_year_myen,
        most=MAX_MYEN / len(year_list),
        why=f" ({MAX_MYEN:g} over {len(year_list)} years)",
    )
    from rich.table import Table

    from denen_gis.cli._common import console
    from denen_gis.pipeline import plan_rollout
    from denen_gis.scenario import BLOCKS

    regions = split_values(region)
    s = _scenario(
        scenario,
        {
            "fiveg": {
                "baseline": baseline,
                "objective": "coverage",
                "budget_myen": budget_per_year_myen * len(year_list),
                "rural_weight": rural_weight,
            },
            "region": {
                "blocks": [r for r in regions if r in BLOCKS],
                "prefectures": [r for r in regions if r not in BLOCKS],
                "municipalities": split_values(municipality),
            },
            "scenario": {
                "time_limit_s": time_limit,
                "work_limit": work_limit,
                "seed": seed,
                "workers": workers,
            },
        },
    )
    check_out(out, force=force, scenarios=[s])
    with progress_bar(quiet=quiet or json_out) as bar:
        result = plan_rollout(
            s,
            yearly_budgets_myen=dict.fromkeys(year_list, budget_per_year_myen),
            yearly_targets=yearly_targets,
            carry_over=carry_over,
            progress=bar,
        )
    if out is not None:
        from denen_gis.outputs import write_plan

        write_plan(result, out, force=force)
        err_console.print(f"wrote {out}")
    if json_out:
        from denen_gis.outputs import stable_summary

        print_json(stable_summary(result.summary))  # as plan.json: clock readings in timings
        return
    table = Table(title="5G rollout by fiscal year")
    for col in (
        "FY",
        "budget M yen",
        "spent M yen",
        "sites",
        "coverage %",
        "rural %",
        "gap pp",
        "lowest",
    ):
        table.add_column(col, justify="right")
    for r in result.summary["rollout"]["by_year"]:
        table.add_row(
            str(r["year"]),
            f"{r['budget_myen']:,.0f}",
            f"{r['spent_myen']:,.0f}",
            f"{r['sites_built']:,}",
            f"{r['coverage_pct']:.2f}",
            f"{r['rural_pct']:.1f}",
            f"{r['urban_rural_gap_pp']:.1f}",
            f"{r['lowest_pref']} {r['lowest_pref_pct']:.1f}%",
        )
    console.print(table)
    print_plan(result, title="Rollout: before and after the last year")


def register(app: typer.Typer) -> None:
    """Add ``optimize 5g`` and ``rollout``."""
    optimize_app.command("5g")(optimize_5g)
    app.command("rollout")(rollout)
