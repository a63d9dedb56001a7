"""``denen-gis plan``, ``compare``, ``sweep`` and ``map``: the main job."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer
from rich.table import Table

from denen_gis.cli._checks import check_solver_options, check_work_limit, option_error
from denen_gis.cli._common import (
    FORCE,
    FORCE_FILE,
    MUNICIPALITY_HELP,
    WORK_LIMIT,
    check_out,
    check_out_file,
    console,
    err_console,
    print_json,
    require_command,
    with_municipalities,
)
from denen_gis.cli._run import print_plan, progress_bar
from denen_gis.errors import InputError
from denen_gis.scenario import Scenario, fy2030_scenario, load_scenario
from denen_gis.scenario_checks import MAX_MYEN, MAX_SWEEP_POINTS, check_point_count

__all__ = ["register"]


def _scenario_arg(path: Path | None, municipalities: list[str] | None = None) -> Scenario:
    s = Scenario() if path is None else load_scenario(path)
    return with_municipalities(s, municipalities)


def plan_cmd(
    scenario: Path | None = typer.Argument(
        None,
        help="Scenario TOML (default: the national FY2030 targets, 99% nationally and in every "
        "prefecture from the FY2023 baseline, as in scenarios/fy2030_national.toml, "
        "writing to maps/plan).",
    ),
    out: Path | None = typer.Option(None, "--out", help="Output folder (overrides the scenario)."),
    json_out: bool = typer.Option(False, "--json", help="Print plan.json to stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or tables."),
    no_maps: bool = typer.Option(False, "--no-maps", help="Skip the HTML maps."),
    force: bool = FORCE,
    municipality: list[str] | None = typer.Option(None, "--municipality", help=MUNICIPALITY_HELP),
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        help="Modelled 5G network to start from: fy2021, fy2022 or fy2023 "
        "(overrides the scenario's [fiveg] baseline).",
    ),
    work_limit: float | None = WORK_LIMIT,
) -> None:
    """Run a scenario: coverage, 5G sites, data centres, landings, resilience; write outputs."""
    from dataclasses import replace

    from denen_gis.io.baselines import baseline_year
    from denen_gis.outputs import plan_json, write_plan
    from denen_gis.pipeline import plan

    check_work_limit(work_limit)
    s = fy2030_scenario() if scenario is None else load_scenario(scenario)
    s = with_municipalities(s, municipality)
    if baseline is not None:
        s = replace(s, fiveg=replace(s.fiveg, baseline=f"fy{baseline_year(baseline)}"))
    if work_limit is not None:
        s = replace(s, run=replace(s.run, work_limit=work_limit))
    target = out if out is not None else _scenario_output(s)
    check_out(target, force=force, scenarios=[s])
    with progress_bar(quiet=quiet or json_out) as bar:
        result = plan(s, progress=bar)
    folder = write_plan(result, target, maps=not no_maps, force=force)
    if json_out:
        print_json(json.loads(plan_json(result)))  # the same as plan.json
        return
    if not quiet:
        print_plan(result, title=f"{s.run.name}: 5G coverage by prefecture")
        _print_infrastructure(result.summary)
        t = result.summary["timings"]["total_s"]
        err_console.print(
            f"Outputs in {folder} (plan.json, summary.html, maps, plan.gpkg, CSV); {t:.1f} s."
        )


def _scenario_output(s: Scenario) -> Path:
    """The scenario's ``output`` folder, refusing names that are not a folder of its own."""
    raw = s.run.output
    if Path(raw).name in ("", ".", ".."):
        msg = f"{s.source}: output = {raw!r}: name a folder of its own (e.g. 'maps/plan')"
        raise InputError(msg)
    path = s.resolve(raw)
    if path is None:  # pragma: no cover - an empty name is refused above
        msg = f"{s.source}: no output folder"
        raise InputError(msg)
    return path


def _print_infrastructure(summary: dict) -> None:
    dc = summary.get("datacenters")
    if dc:
        a, b = dc["before"], dc["after"]
        console.print(
            f"Data centres: {len(dc['chosen'])} regional sites ({', '.join(dc['chosen'])}); "
            f"RTT to nearest DC {a['mean_rtt_ms']:.2f} -> {b['mean_rtt_ms']:.2f} ms (urban "
            f"{b['urban_rtt_ms']:.2f}, rural {b['rural_rtt_ms']:.2f}); Tokyo-area capacity "
            f"{100 * dc['capacity_before']['tokyo_area_share']:.1f}% -> "
            f"{100 * dc['capacity_after']['tokyo_area_share']:.1f}%.",
        )
    ld = summary.get("landings")
    if ld:
        console.print(f"Sea of Japan cable landings: {', '.join(ld['chosen'])}.")
    res = summary.get("resilience")
    if res:
        w0, w1 = res["today"]["worst_cut"], res["with_plan"]["worst_cut"]
        console.print(
            f"Worst single cut today: {w0['kind']} {w0['id']} ({w0['population_cut_off']:,.0f} "
            f"people cut off, {w0['rtt_increase_ms']:+.3f} ms); with the plan: {w1['kind']} "
            f"{w1['id']} ({w1['population_cut_off']:,.0f}, {w1['rtt_increase_ms']:+.3f} ms).",
        )
        for line in res.get("relief") or []:
            console.print(f"- {line}")


def compare_cmd(
    scenario_a: Path = typer.Argument(..., help="First scenario TOML."),
    scenario_b: Path = typer.Argument(..., help="Second scenario TOML."),
    out: Path = typer.Option(Path("maps/compare"), "--out", help="Output folder."),
    json_out: bool = typer.Option(False, "--json", help="Print the difference tables as JSON."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    force: bool = FORCE,
) -> None:
    """Run two scenarios; write the side-by-side map and the difference tables."""
    from denen_gis.io.outdir import atomic_directory
    from denen_gis.outputs import (
        comparison_table,
        headline_comparison,
        write_comparison,
        write_plan,
    )
    from denen_gis.pipeline import plan

    scenarios = [_scenario_arg(path) for path in (scenario_a, scenario_b)]
    check_out(out, force=force, scenarios=scenarios)
    plans = []
    for s in scenarios:
        with progress_bar(quiet=quiet or json_out) as bar:
            plans.append(plan(s, progress=bar))
    a, b = plans
    protect = [f for s in scenarios for f in s.input_files()]
    with atomic_directory(out, force=force, protect=protect) as tmp:
        write_comparison(a, b, Path(tmp))
        write_plan(a, Path(tmp) / "a", maps=False)
        write_plan(b, Path(tmp) / "b", maps=False)
    heads = headline_comparison(a, b)
    diff = comparison_table(a, b)
    if json_out:
        print_json(
            {
                "a": str(scenario_a),
                "b": str(scenario_b),
                "headline": heads.to_dict(orient="records"),
                "by_prefecture": diff.to_dict(orient="records"),
            }
        )
        return
    table = Table(title=f"A = {a.scenario.run.name}   B = {b.scenario.run.name}")
    for col in ("figure", "A", "B", "B - A"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    for r in heads.itertuples():
        table.add_row(r.figure, f"{r.a:,.2f}", f"{r.b:,.2f}", f"{r.difference:+,.2f}")
    console.print(table)
    err_console.print(
        f"Side-by-side map and tables in {out}/ (comparison_map.html, "
        "comparison_*.csv, a/ and b/).",
    )


def _budgets(spec: str) -> list[float]:
    try:
        if ":" in spec:
            lo, hi, n = spec.split(":")
            count = int(n)
            if count < 2:
                raise ValueError
            step = (float(hi) - float(lo)) / (count - 1)
            values = [float(lo) + i * step for i in range(count)]
        else:
            values = [float(x) for x in spec.split(",") if x.strip()]
            count = len(values)
    except ValueError:
        msg = (
            f"--budgets {spec!r}: use LOW:HIGH:COUNT (e.g. 10000:200000:10) or a "
            "comma-separated list [million yen]"
        )
        raise InputError(msg) from None
    check_point_count(count, f"--budgets {spec}")
    if not values:
        msg = f"--budgets {spec!r}: give 1 to {MAX_SWEEP_POINTS} budgets"
        raise InputError(msg)
    if not all(math.isfinite(v) and 0 <= v < MAX_MYEN for v in values):
        msg = (
            f"--budgets {spec!r}: budgets must be finite, >= 0 and below {MAX_MYEN:g} [million yen]"
        )
        raise InputError(msg)
    return values


def _targets(spec: str) -> list[float]:
    """``LOW:HIGH:STEP`` or a comma-separated list of national targets [%]."""
    try:
        if ":" in spec:
            lo, hi, step = (float(x) for x in spec.split(":"))
            if not step > 0 or hi < lo:
                raise ValueError
            count = math.floor((hi - lo) / step + 1e-6) + 1
            values = []
        else:
            values = [float(x) for x in spec.split(",") if x.strip()]
            count = len(values)
    except (ValueError, OverflowError):
        msg = (
            f"--targets {spec!r}: use LOW:HIGH:STEP (e.g. 98.0:99.9:0.1) or a "
            "comma-separated list [% of people covered]"
        )
        raise InputError(msg) from None
    check_point_count(count, f"--targets {spec}")
    if ":" in spec:
        values = [round(lo + i * step, 6) for i in range(count)]
    bad = [v for v in values if not 0 < v <= 100]
    if bad:
        msg = f"--targets {spec!r}: {bad[0]:g} is not a coverage target; use percent in (0, 100]"
        raise InputError(msg)
    return values


def sweep_cmd(
    scenario: Path | None = typer.Argument(
        None, help="Scenario TOML (default: national; coverage objective for --budgets)."
    ),
    budgets: str = typer.Option(
        "10000:200000:10", "--budgets", help="LOW:HIGH:COUNT or a list [million yen]."
    ),
    targets: str | None = typer.Option(
        None,
        "--targets",
        help="Sweep national coverage targets instead of budgets: LOW:HIGH:STEP or a list [%], "
        "e.g. 98.0:99.9:0.1; least cost at each.",
    ),
    floor: float | None = typer.Option(
        None, "--floor", help="With --targets: every prefecture at least this coverage [%]."
    ),
    parallel: int = typer.Option(
        2, "--parallel", min=1, max=64, help="Solves at a time (threads)."
    ),
    scheduler: str | None = typer.Option(
        None, "--dask", help="Run on Dask: 'local' or a scheduler address (needs [dask])."
    ),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Time limit per solve [s]."),
    work_limit: float | None = WORK_LIMIT,
    out: Path = typer.Option(Path("maps/sweep"), "--out", help="Output folder."),
    json_out: bool = typer.Option(False, "--json", help="Print the table as JSON."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    force: bool = FORCE,
    municipality: list[str] | None = typer.Option(None, "--municipality", help=MUNICIPALITY_HELP),
) -> None:
    """Coverage against budget (the Pareto front), or cost against coverage target (--targets)."""
    # Parsed before the heavy imports: a bad list fails at once.
    budget_list = _budgets(budgets) if targets is None else []
    target_list = _targets(targets) if targets is not None else []
    check_solver_options(time_limit=time_limit)
    check_work_limit(work_limit)
    from dataclasses import replace

    from denen_gis.budget_sweep import sweep
    from denen_gis.io.files import write_csv_atomic
    from denen_gis.io.outdir import atomic_directory
    from denen_gis.render import plot_budget_curve
    from denen_gis.scenario import Scenario

    if floor is not None and targets is None:
        msg = "--floor: a prefecture floor needs --targets (a sweep over coverage targets)"
        raise InputError(msg)
    if floor is not None and not 0 < floor <= 100:
        raise option_error("--floor", floor, "a prefecture coverage floor in percent, in (0, 100]")
    s = _scenario_arg(scenario)
    s = with_municipalities(s, municipality)
    if time_limit is not None:
        s = replace(s, run=replace(s.run, time_limit_s=time_limit))
    if work_limit is not None:
        s = replace(s, run=replace(s.run, work_limit=work_limit))
    check_out(out, force=force, scenarios=[s])
    if targets is not None:
        _sweep_targets(s, target_list, floor, parallel, scheduler, out, json_out, quiet, force)
        return
    if scenario is None:
        s = replace(s, fiveg=replace(Scenario().fiveg, objective="coverage", budget_myen=0.0))
    with progress_bar(quiet=quiet or json_out) as bar:
        table = sweep(s, budget_list, parallel=parallel, scheduler=scheduler, progress=bar)
    with atomic_directory(out, force=force, protect=s.input_files()) as tmp:
        write_csv_atomic(table, Path(tmp) / "sweep.csv")
        plot_budget_curve(table, Path(tmp) / "budget_curve.png", lang=s.run.lang)
    if json_out:
        print_json(table.to_dict(orient="records"))
        return
    t = Table(title=f"Budget sweep: {s.run.name}")
    for col in (
        "budget M yen",
        "cost M yen",
        "sites",
        "coverage %",
        "rural %",
        "gap pp",
        "lowest %",
        "solver",
        "Pareto",
    ):
        t.add_column(col, justify="right")
    for r in table.itertuples():
        t.add_row(
            f"{r.budget_myen:,.0f}",
            f"{r.cost_myen:,.0f}",
            f"{r.new_sites:,}",
            f"{r.coverage_pct:.2f}",
            f"{r.rural_pct:.1f}",
            f"{r.urban_rural_gap_pp:.1f}",
            f"{r.lowest_pref_pct:.1f}",
            r.status,
            "yes" if r.pareto else "",
        )
    console.print(t)
    err_console.print(f"wrote {out}/sweep.csv and budget_curve.png")


def _sweep_targets(
    s: Scenario,
    targets: list[float],
    floor: float | None,
    parallel: int,
    scheduler: str | None,
    out: Path,
    json_out: bool,
    quiet: bool,
    force: bool,
) -> None:
    import json

    from denen_gis.budget_sweep import sweep_targets
    from denen_gis.io.files import write_csv_atomic
    from denen_gis.io.outdir import atomic_directory
    from denen_gis.render import plot_cost_curve

    with progress_bar(quiet=quiet or json_out) as bar:
        table = sweep_targets(
            s, targets, floor_pct=floor, parallel=parallel, scheduler=scheduler, progress=bar
        )
    records = json.loads(table.to_json(orient="records"))
    with atomic_directory(out, force=force, protect=s.input_files()) as tmp:
        write_csv_atomic(table, Path(tmp) / "target_sweep.csv")
        (Path(tmp) / "target_sweep.json").write_text(
            json.dumps({"scenario": s.run.name, "floor_pct": floor, "rows": records}, indent=1),
            encoding="utf-8",
        )
        plot_cost_curve(table, Path(tmp) / "cost_curve.png", lang=s.run.lang)
    if json_out:
        print_json(records)
        return
    floor_note = "" if floor is None else f", every prefecture >= {floor:g}%"
    t = Table(title=f"Cost of the last percent: {s.run.name}{floor_note}")
    for col in (
        "target %",
        "cost M yen",
        "sites",
        "coverage %",
        "lowest %",
        "marginal yen/person",
        "average yen/person",
        "solver",
    ):
        t.add_column(col, justify="right")
    for r in table.itertuples():
        if not r.reachable:
            t.add_row(
                f"{r.target_pct:.2f}",
                "unreachable",
                "",
                f"best {r.coverage_pct:.3f}",
                f"best {r.lowest_pref_pct:.1f}",
                "",
                "",
                r.status,
            )
            continue
        t.add_row(
            f"{r.target_pct:.2f}",
            f"{r.cost_myen:,.0f}",
            f"{r.new_sites:,}",
            f"{r.coverage_pct:.2f}",
            f"{r.lowest_pref_pct:.1f}",
            _yen(r.marginal_yen_per_person),
            _yen(r.average_yen_per_person),
            r.status,
        )
    console.print(t)
    err_console.print(f"wrote {out}/target_sweep.csv, target_sweep.json and cost_curve.png")


def _yen(value: float) -> str:
    return "" if value != value else f"{value:,.0f}"  # nan: no one added


map_app = typer.Typer(
    help="Draw today's maps (no solving): coverage or infrastructure.",
    callback=require_command,
    invoke_without_command=True,
)


@map_app.command("coverage")
def map_coverage(
    scenario: Path | None = typer.Option(None, "--scenario", help="Scenario TOML for inputs."),
    out: Path = typer.Option(Path("maps/coverage_map.html"), "--out", help="HTML file."),
    lang: str = typer.Option("en", "--lang", help="Labels: en or ja."),
    offline_only: bool = typer.Option(
        False, "--offline-only", help="Leave out the optional online tile layers."
    ),
    force: bool = FORCE_FILE,
    municipality: list[str] | None = typer.Option(None, "--municipality", help=MUNICIPALITY_HELP),
) -> None:
    """Coverage today: population, urban/rural, uncovered people, per-prefecture choropleth."""
    from denen_gis.io.japan import load_municipalities, municipality_table
    from denen_gis.pipeline import prepare_inputs
    from denen_gis.plan_tables import municipality_coverage, prefecture_before_after
    from denen_gis.render import coverage_map, save_map

    s = _scenario_arg(scenario, municipality)
    check_out_file(out, force=force, scenarios=[s])
    inputs = prepare_inputs(s)
    by_pref = prefecture_before_after(
        inputs.before, inputs.before, inputs.prefectures, target_prefecture=None
    )
    cells = inputs.grid.assign(covered_before=inputs.covered_before)
    m = coverage_map(
        cells,
        inputs.prefectures,
        by_prefecture=by_pref,
        stations=inputs.stations,
        scenario_name=inputs.scenario.run.name,
        lang=lang,
        offline_only=offline_only,
        municipalities=load_municipalities(),
        by_municipality=municipality_coverage(
            inputs.grid, inputs.covered_before, municipality_table()
        ),
    )
    path = save_map(m, out)
    err_console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


@map_app.command("infrastructure")
def map_infrastructure(
    scenario: Path | None = typer.Option(None, "--scenario", help="Scenario TOML."),
    out: Path = typer.Option(Path("maps/infrastructure_map.html"), "--out", help="HTML file."),
    lang: str = typer.Option("en", "--lang", help="Labels: en or ja."),
    force: bool = FORCE_FILE,
) -> None:
    """Data centres (existing and chosen), backbone, cables, landings, RTT and resilience."""
    from dataclasses import replace

    from denen_gis.outputs import plan_infrastructure_map
    from denen_gis.pipeline import plan
    from denen_gis.render import save_map

    s = _scenario_arg(scenario)
    if not (s.datacenters.enabled or s.landings.enabled or s.resilience):
        msg = (
            f"{s.source}: data centres, landings and resilience are all disabled, so there "
            "is no infrastructure to draw; enable one of them (e.g. [datacenters] enabled = true)"
        )
        raise InputError(msg)
    check_out_file(out, force=force, scenarios=[s])
    s = replace(s, fiveg=replace(s.fiveg, enabled=False), run=replace(s.run, lang=lang))
    result = plan(s)

    path = save_map(plan_infrastructure_map(result), out)
    err_console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


def register(app: typer.Typer) -> None:
    """Add ``plan``, ``compare``, ``sweep`` and ``map``."""
    app.command("plan")(plan_cmd)
    app.command("compare")(compare_cmd)
    app.command("sweep")(sweep_cmd)
    app.add_typer(map_app, name="map")
