"""Shared pieces of the planning commands: progress bars and result tables."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from denen_gis.cli._common import console, err_console

if TYPE_CHECKING:  # the planning API loads geopandas and OR-Tools: not at CLI start
    from denen_gis.pipeline import Plan

__all__ = ["print_plan", "progress_bar"]


@contextlib.contextmanager
def progress_bar(*, quiet: bool) -> Iterator[Any]:
    """A progress callback ``(step, fraction)`` drawing a bar on stderr (or nothing).

    Nothing with ``quiet`` or when stderr is not a terminal: in a log file or a
    pipe a bar cannot redraw, and it would leave a blank line before an error.
    """
    if quiet or not err_console.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description:<28}", markup=False),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=1.0)

        def update(step: str, fraction: float) -> None:
            bar.update(task, description=step, completed=fraction)

        yield update


def _pref_name(p: Plan, code: str | None) -> str:
    names = dict(zip(p.by_prefecture["pref_code"], p.by_prefecture["name_en"], strict=True))
    return f"{names.get(code, '')} ({code})".strip() if code else "none"


def _bound(v: Any) -> str:
    return "unknown" if v is None or not math.isfinite(v) else f"{v:,.1f}"


def _pct(v: Any) -> str:
    return "" if v is None or v != v else f"{v:.1f}"


def print_plan(p: Plan, *, title: str) -> None:
    """Print the per-prefecture before/after table, the headline and the solver report."""
    table = Table(title=title)
    cols = [
        ("code", "right"),
        ("prefecture", "left"),
        ("population", "right"),
        ("before %", "right"),
        ("after %", "right"),
        ("gain pp", "right"),
    ]
    rows = p.by_prefecture
    has_target = "target_pct" in rows.columns
    if has_target:
        cols.append(("gap to target pp", "right"))
    for name, justify in cols:
        table.add_column(name, justify=justify)
    for r in rows.to_dict(orient="records"):
        cells = [
            r["pref_code"],
            f"{r['name_en']} {r['name_ja']}",
            f"{r['population']:,}",
            _pct(r["coverage_before_pct"]),
            _pct(r["coverage_after_pct"]),
            _pct(r["gain_pp"]),
        ]
        if has_target:
            cells.append(_pct(r["gap_pp"]))
        table.add_row(*cells)
    console.print(table)
    h = p.headline
    console.print(
        f"Coverage {h.coverage_before_pct:.2f}% -> {h.coverage_after_pct:.2f}% "
        f"(+{h.people_added:,} people) with {h.new_sites:,} new sites for "
        f"{h.cost_myen:,.0f} million yen. Rural {h.rural_pct_before:.1f}% -> "
        f"{h.rural_pct_after:.1f}%; urban-rural gap {h.urban_rural_gap_before_pp:.1f} -> "
        f"{h.urban_rural_gap_after_pp:.1f} points; lowest prefecture "
        f"{_pref_name(p, h.lowest_pref_after)} at {h.lowest_pref_after_pct:.1f}%.",
    )
    f = p.fiveg
    if f is not None:
        gap = f"{100 * f.gap:.3f}%" if math.isfinite(f.gap) else "n/a"
        sb, sa = f.size_before, f.size_after
        console.print(
            f"Solver: {f.engine} {f.status}, objective {f.objective:,.1f} "
            f"({f.objective_name}), bound {_bound(f.best_bound)}, gap {gap}, "
            f"{f.wall_time_s:.1f} s; model {sb.cells:,}x{sb.sites:,} -> "
            f"{sa.cells:,}x{sa.sites:,} after reduction.",
        )
        print_work(f.details.get("work"))
        print_cost_context(p.summary.get("fiveg") or {}, p.summary.get("area_rule") or {})
        print_backtest(p.summary.get("backtest") or {})


def print_work(work: Any) -> None:
    """How much of its work limit the 5G solve used, and a warning when time stopped it."""
    if not isinstance(work, dict):
        return
    console.print(f"Work limit: {work['used']:.2f} of {work['limit']:g} units used.")
    if work.get("stopped_by_time_limit"):
        err_console.print(
            "Warning: the time limit stopped the 5G solve before its work limit, so another "
            "machine may give another plan; raise time_limit_s for a repeatable run.",
        )


def print_backtest(bt: dict) -> None:
    """The backtest's correlation and mean absolute error against MIC (never tuned)."""
    if not bt:
        return
    console.print(
        f"Backtest {bt['baseline']} -> {bt['against']} (never tuned): predicted prefecture "
        f"gains against MIC's over {bt['prefectures_compared']} prefectures with both "
        f"years: correlation {bt['corr']:.3f}, MAE {bt['mae_pp']:.2f} pp; after-plan "
        f"coverage against MIC's {bt['against']} figures ({bt['level_prefectures']} "
        f"prefectures): MAE {bt['level_mae_pp']:.2f} pp.",
    )


def print_cost_context(fiveg: dict, area_rule: dict) -> None:
    """Cost by candidate kind beside the national subsidy budget; the exact area-rule check."""
    by_type = fiveg.get("by_type")
    if by_type:
        total = sum(v["cost_myen"] for v in by_type.values())
        parts = ", ".join(
            f"{k}: {v['new_sites']:,} sites, {v['cost_myen']:,.0f} M yen"
            for k, v in by_type.items()
        )
        console.print(
            f"From baseline {fiveg.get('baseline', '?')} ({fiveg.get('basis', '')}): {parts}. "
            f"{total:,.0f} M yen is operator capex (total project cost), "
            f"{fiveg['cost_over_subsidy_budget']:.1f}x the FY2025 national subsidy budget of "
            f"{fiveg['subsidy_budget_fy2025_myen']:,.0f} M yen; a 1/2-2/3 grant would be "
            f"{total / 2:,.0f}-{total * 2 / 3:,.0f} M yen of subsidy.",
        )
    if area_rule:
        console.print(
            f"Area rule: {area_rule['exact_pct']:.2f}% exact (union of discs) vs "
            f"{area_rule['per_site_pct']:.2f}% in the optimizer's per-site form "
            f"(+{area_rule['people_added_by_exact_rule']:,.0f} people).",
        )
