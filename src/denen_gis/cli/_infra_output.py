"""Tables and output files of the infrastructure commands (``cli/infra.py``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
from rich.table import Table

from denen_gis.cli._common import console, err_console, to_jsonable

if TYPE_CHECKING:  # the commands import the models lazily, so --help stays fast
    from denen_gis.infrastructure import DatacenterSiting, LandingStudy, ResilienceStudy

__all__ = [
    "csv_file",
    "gpkg_file",
    "json_file",
    "print_landings",
    "print_resilience",
    "print_siting",
    "write_files",
]

Writer = Callable[[Path], None]


def write_files(
    out: Path,
    files: Mapping[str, Writer],
    *,
    force: bool = False,
    shown: str | None = None,
    protect: Iterable[Path | None] = (),
) -> None:
    """Write the files into a new folder that replaces ``out`` as a whole; say so on stderr.

    ``out`` is replaced only if it is new, empty or an earlier denen-gis output
    (or with ``force``), and never if it holds a ``protect`` file (an input),
    see :func:`denen_gis.io.outdir.atomic_directory`.
    """
    from denen_gis.io.outdir import atomic_directory

    # The folder is swapped in as a whole: its files need no atomic write of their
    # own, and an error naming one of them is told with ``out`` for the temporary.
    with atomic_directory(out, force=force, protect=protect) as tmp:
        for name, write in files.items():
            (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
            write(Path(tmp) / name)
    err_console.print(f"wrote {out}/{shown or ', '.join(files)}")


def csv_file(frame: pd.DataFrame) -> Writer:
    from denen_gis.io.files import write_csv_atomic

    return lambda p: write_csv_atomic(frame, p)


def json_file(value: Any) -> Writer:
    text = json.dumps(to_jsonable(value), ensure_ascii=False, indent=2)
    return lambda p: p.write_text(text, encoding="utf-8")


def gpkg_file(layers: Mapping[str, pd.DataFrame]) -> Writer:
    """A GeoPackage of point layers (``lon``/``lat``), each read back before it counts."""
    from denen_gis.io.files import write_layers

    return lambda p: write_layers({name: _points(f) for name, f in layers.items()}, p)


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


def print_siting(siting: DatacenterSiting, *, title: str) -> None:
    """Chosen sites, RTT before and after, capacity shares and the solver line."""
    table = _table(
        title,
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
    if "reasons" in siting.chosen_sites.columns:
        console.print("Why each site (funded sites are fixed and explained the same way):")
        for row in siting.chosen_sites.itertuples(index=False):
            console.print(f"- {row.site_id} ({row.status}): {row.reasons}")
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


def print_landings(study: LandingStudy) -> None:
    """Candidate landings, RTT without and with the cable, capacity and costs."""
    choice = study.choice
    candidates = choice.plan.candidates
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


def print_resilience(study: ResilienceStudy, *, top: int) -> None:
    """RTT with nothing cut, the worst cut per case, the top cuts, capacity and relief."""
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
    _print_hazards(study)
    for line in study.relief_from_cable_and_dcs or ["no single cut cuts off fewer people"]:
        console.print(f"- {line}")


def _print_hazards(study: ResilienceStudy) -> None:
    """One row per hazard scenario and case; then the worst N-2 failures."""
    table = _table(
        "Hazard scenarios (modelled zones; people whose hub lies inside count as cut off)",
        (
            "scenario",
            "case",
            "failed",
            "cut off: core",
            "intl",
            "DCs",
            "capacity Tbps",
            "detour ms",
        ),
        left=2,
    )
    short = {
        "without_cable": "no cable",
        "with_cable": "cable",
        "with_cable_and_plan_dcs": "cable+DCs",
    }
    for h in study.hazards:
        for case, m in h.cases.items():
            table.add_row(
                h.id,
                short.get(case, case),
                str(h.failed_elements),
                f"{m.isolated_from_core:,}",
                f"{m.isolated_from_international:,}",
                f"{m.isolated_from_datacenters:,}",
                f"{m.interregional_capacity_tbps:,.0f}",
                f"{m.rtt_detour_ms:+.3f}",
            )
    console.print(table)
    console.print(
        "detour: population-weighted RTT increase to the nearest DC over the people "
        "connected before and after; the people cut off are in the columns before it.",
    )
    for case, u in study.latency.items():
        console.print(
            f"user round trip, {case}: {u.user_ms:.2f} ms = 5G radio {u.radio_ms:.1f} ms "
            f"(ITU-R M.2410 target) + backbone via the core exchange {u.via_exchange_ms:.2f} ms "
            f"(backbone only, nearest DC directly: {u.backbone_only_ms:.2f} ms)",
        )
    if study.n2 is None:
        return
    n2 = study.n2
    console.print(
        f"N-2: {n2.pairs:,} pairs of {n2.elements} elements in {n2.seconds:.1f} s; worst:",
    )
    for w in n2.worst[:5]:
        console.print(
            f"- {' + '.join(w['elements'])}: {w['people_cut_off']:,} people cut off "
            f"(core {w['isolated_from_core']:,}, intl {w['isolated_from_international']:,}, "
            f"DCs {w['isolated_from_datacenters']:,})",
        )
