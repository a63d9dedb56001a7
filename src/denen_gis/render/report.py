"""Run reports: ``summary.html`` (self-contained) and ``summary.md`` with plots.

The HTML report has inline CSS and its plots as ``data:`` URIs, so it opens
offline; the Markdown report links the PNG files written beside it. Plots use
matplotlib's Agg canvas directly (no pyplot state, no display needed).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from denen_gis.errors import InputError
from denen_gis.io.files import atomic_path
from denen_gis.render._elements import esc, fmt_num
from denen_gis.render.i18n import check_lang, tr

__all__ = [
    "LOWEST_MIN_POPULATION",
    "LOWEST_MUNICIPALITIES",
    "ReportFiles",
    "lowest_municipalities",
    "plot_budget_curve",
    "plot_cost_curve",
    "plot_coverage",
    "write_report",
]

logger = logging.getLogger(__name__)

_CSS = """
body { font: 14px/1.45 system-ui, "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", sans-serif;
  color: #222; max-width: 1100px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 2px; } h2 { font-size: 17px; margin-top: 26px;
  border-bottom: 1px solid #ddd; padding-bottom: 3px; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { padding: 3px 9px; border-bottom: 1px solid #e5e5e5; text-align: right; }
th { background: #f2f2f2; } th:first-child, td:first-child { text-align: left; }
.headline td:first-child { font-weight: 600; }
img { max-width: 100%; border: 1px solid #eee; }
"""


@dataclass(frozen=True)
class ReportFiles:
    """Files written by :func:`write_report`."""

    html: Path
    markdown: Path
    plots: tuple[Path, ...]


_JA_FONTS = (
    "Noto Sans CJK JP",
    "IPAexGothic",
    "IPAGothic",
    "Hiragino Sans",
    "Yu Gothic",
    "Meiryo",
    "TakaoGothic",
    "VL Gothic",
)


def _plot_style(lang: str) -> tuple[str, dict[str, object]]:
    """Label language and rc settings: Japanese only with a font that has its glyphs."""
    if lang != "ja":
        return lang, {}
    names = {f.name for f in font_manager.fontManager.ttflist}
    for font in _JA_FONTS:
        if font in names:
            return "ja", {"font.family": [font, "DejaVu Sans"]}
    logger.info("no Japanese font for matplotlib; plot labels in English")
    return "en", {}


def _atomic_write(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _save_figure(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    _atomic_write(path, buf.getvalue())
    return path


def _need(frame: pd.DataFrame, cols: tuple[str, ...], source: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        msg = f"{source}: missing column(s) {missing}; columns present: {list(frame.columns)}"
        raise InputError(msg)


def plot_coverage(
    by_prefecture: pd.DataFrame, path: str | os.PathLike[str], *, lang: str = "en"
) -> Path:
    """Bar chart of coverage [%] per prefecture, before and after, with targets.

    Parameters
    ----------
    by_prefecture
        ``pref_code``, ``coverage_before_pct`` and optionally
        ``coverage_after_pct``, ``target_pct`` and ``name_en`` (tick labels).
    path
        PNG file to write.
    lang
        ``"en"`` or ``"ja"`` (Japanese only when a Japanese font is installed).
    """
    check_lang(lang)
    _need(by_prefecture, ("pref_code", "coverage_before_pct"), "by_prefecture")
    lang, rc = _plot_style(lang)
    with matplotlib.rc_context(rc):
        return _plot_coverage(by_prefecture, Path(path), lang)


def _plot_coverage(by_prefecture: pd.DataFrame, path: Path, lang: str) -> Path:
    table = by_prefecture.sort_values("pref_code", key=lambda s: s.astype(str).str.zfill(2))
    labels = (table["name_en"] if "name_en" in table.columns else table["pref_code"]).astype(str)
    x = np.arange(len(table))
    fig = Figure(figsize=(max(6.0, 0.28 * len(table) + 2.0), 4.2), layout="constrained")
    ax = fig.add_subplot()
    has_after = "coverage_after_pct" in table.columns
    width = 0.4 if has_after else 0.8
    before = pd.to_numeric(table["coverage_before_pct"], errors="coerce")
    ax.bar(
        x - (width / 2 if has_after else 0),
        before,
        width,
        color="#9ecae1",
        label=tr("before", lang),
    )
    if has_after:
        after = pd.to_numeric(table["coverage_after_pct"], errors="coerce")
        ax.bar(x + width / 2, after, width, color="#08519c", label=tr("after", lang))
    if "target_pct" in table.columns:
        ax.scatter(
            x,
            pd.to_numeric(table["target_pct"], errors="coerce"),
            marker="_",
            s=160,
            color="#d62728",
            zorder=3,
            label=tr("target", lang),
        )
    lo = float(np.nanmin(before.to_numpy(dtype=float))) if len(before) else 0.0
    ax.set_ylim(max(0.0, np.floor(lo / 10.0) * 10.0 - 10.0), 100.5)
    ax.set_xticks(x, labels, rotation=90, fontsize=7)
    ax.set_ylabel(tr("coverage_pct", lang))
    ax.set_title(tr("plot_coverage", lang))
    ax.grid(axis="y", alpha=0.3)
    fig.legend(loc="outside upper right", ncol=3, fontsize=8)
    return _save_figure(fig, path)


def plot_budget_curve(
    table: pd.DataFrame, path: str | os.PathLike[str], *, lang: str = "en"
) -> Path:
    """Coverage [%] against budget [million yen] (the Pareto front), urban-rural gap on a 2nd axis.

    Parameters
    ----------
    table
        ``budget_myen``, ``coverage_pct`` and optionally ``urban_rural_gap_pp``,
        one row per solved budget.
    path
        PNG file to write.
    lang
        ``"en"`` or ``"ja"``.
    """
    check_lang(lang)
    _need(table, ("budget_myen", "coverage_pct"), "budget table")
    lang, rc = _plot_style(lang)
    with matplotlib.rc_context(rc):
        return _plot_budget(table, Path(path), lang)


def _plot_budget(table: pd.DataFrame, path: Path, lang: str) -> Path:
    data = table.sort_values("budget_myen")
    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(
        data["budget_myen"],
        data["coverage_pct"],
        marker="o",
        color="#08519c",
        label=tr("coverage_pct", lang),
    )
    ax.set_xlabel(tr("budget", lang))
    ax.set_ylabel(tr("coverage_pct", lang), color="#08519c")
    ax.grid(alpha=0.3)
    if "urban_rural_gap_pp" in data.columns:
        ax2 = ax.twinx()
        ax2.plot(
            data["budget_myen"],
            data["urban_rural_gap_pp"],
            marker="s",
            linestyle="--",
            color="#d95f0e",
            label=tr("urban_rural_gap", lang),
        )
        ax2.set_ylabel(tr("urban_rural_gap", lang), color="#d95f0e")
    ax.set_title(tr("budget_curve", lang))
    return _save_figure(fig, path)


def plot_cost_curve(table: pd.DataFrame, path: str | os.PathLike[str], *, lang: str = "en") -> Path:
    """Cumulative cost and marginal cost per person covered against the coverage target.

    Parameters
    ----------
    table
        ``target_pct``, ``cost_myen``, ``marginal_yen_per_person`` and
        ``reachable``, one row per target (as ``sweep_targets`` returns it).
    path
        PNG file to write.
    lang
        ``"en"`` or ``"ja"``.
    """
    check_lang(lang)
    _need(
        table,
        ("target_pct", "cost_myen", "marginal_yen_per_person", "reachable"),
        "target table",
    )
    lang, rc = _plot_style(lang)
    with matplotlib.rc_context(rc):
        return _plot_cost(table, Path(path), lang)


def _plot_cost(table: pd.DataFrame, path: Path, lang: str) -> Path:
    data = table.sort_values("target_pct")
    ok = data[data["reachable"].astype(bool)]
    fig = Figure(figsize=(7.0, 6.0), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(ok["target_pct"], ok["cost_myen"], marker="o", color="#08519c")
    top.set_ylabel(tr("cumulative_cost", lang))
    top.grid(alpha=0.3)
    marginal = ok[ok["marginal_yen_per_person"] > 0]
    bottom.plot(
        marginal["target_pct"], marginal["marginal_yen_per_person"], marker="s", color="#d95f0e"
    )
    if len(marginal):
        bottom.set_yscale("log")
    bottom.set_ylabel(tr("marginal_cost", lang))
    bottom.set_xlabel(tr("national_target", lang))
    bottom.grid(alpha=0.3, which="both")
    for x in data.loc[~data["reachable"].astype(bool), "target_pct"]:
        for ax in (top, bottom):
            ax.axvline(float(x), color="#999999", linestyle=":", linewidth=1)
    if (~data["reachable"].astype(bool)).any():
        top.text(
            0.99,
            0.02,
            "··· " + tr("unreachable", lang),
            transform=top.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
            color="#666666",
        )
    top.set_title(tr("cost_curve", lang))
    return _save_figure(fig, path)


def _cell(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return fmt_num(value)
    if isinstance(value, float | np.floating):
        return fmt_num(value, 0 if abs(float(value)) >= 1000 else 2)
    return str(value)


def _rows(frame: pd.DataFrame) -> list[list[str]]:
    return [[_cell(v) for v in rec] for rec in frame.itertuples(index=False)]


def _html_table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><tr>{head}</tr>{body}</table>"


def _md_escape(text: str) -> str:
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", " ")
    )


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = [
        "| " + " | ".join(_md_escape(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(_md_escape(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _dict_rows(values: Mapping[str, object]) -> list[list[str]]:
    return [[str(k), _cell(v)] for k, v in values.items()]


#: How many municipalities the report lists as the lowest by coverage.
LOWEST_MUNICIPALITIES = 10
#: Smallest population [persons] of a municipality listed as one of the lowest
#: (below it a single uncovered hamlet swings the share).
LOWEST_MIN_POPULATION = 1000


def lowest_municipalities(by_municipality: pd.DataFrame | None) -> pd.DataFrame | None:
    """The :data:`LOWEST_MUNICIPALITIES` municipalities of at least
    :data:`LOWEST_MIN_POPULATION` people with the lowest coverage (after if
    known, else before); ``None`` when there is no table or no such municipality.
    """
    if by_municipality is None or by_municipality.empty:
        return None
    col = next(
        (
            c
            for c in ("coverage_after_pct", "coverage_before_pct", "coverage_pct")
            if c in by_municipality.columns
        ),
        None,
    )
    big = by_municipality[by_municipality["population"] >= LOWEST_MIN_POPULATION]
    if col is None or big.empty:
        return None
    keep = [
        c
        for c in (
            "muni_code",
            "name_ja",
            "pref_code",
            "population",
            "coverage_before_pct",
            "coverage_after_pct",
            "coverage_pct",
        )
        if c in big.columns
    ]
    return big.nsmallest(LOWEST_MUNICIPALITIES, col)[keep].round(1).reset_index(drop=True)


def write_report(
    folder: str | os.PathLike[str],
    *,
    headline: Mapping[str, object],
    by_prefecture: pd.DataFrame,
    urban_rural: pd.DataFrame,
    by_municipality: pd.DataFrame | None = None,
    solver: Mapping[str, object] | None = None,
    budget_curve: pd.DataFrame | None = None,
    title: str | None = None,
    scenario_name: str = "",
    lang: str = "en",
    date: str | dt.date | None = None,
) -> ReportFiles:
    """Write ``summary.html``, ``summary.md`` and the plots into ``folder``.

    Parameters
    ----------
    folder
        Output folder (created if needed).
    headline
        Headline figures, label -> value (e.g. people covered, cost [million yen]).
    by_prefecture
        Per-prefecture table; ``pref_code`` and ``coverage_before_pct`` (and
        ``coverage_after_pct``, ``target_pct``) are plotted, every column is listed.
    urban_rural
        Urban/rural table, listed as given (e.g. class, population, coverage before/after).
    by_municipality
        Optional per-municipality table (``muni_code``, ``name_ja``,
        ``population``, ``coverage_before_pct`` and ``coverage_after_pct``); the
        :data:`LOWEST_MUNICIPALITIES` lowest by coverage among those of at least
        :data:`LOWEST_MIN_POPULATION` people are listed.
    solver
        Solver report (status, objective, bound, gap, wall time ...), listed as given.
    budget_curve
        Optional ``budget_myen``/``coverage_pct``/``urban_rural_gap_pp`` table;
        plotted with :func:`plot_budget_curve`.
    title, scenario_name, lang, date
        Header of the report.

    Returns
    -------
    ReportFiles
        Paths of the files written.
    """
    check_lang(lang)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    date_text = (
        dt.date.today().isoformat()
        if date is None
        else date.isoformat()
        if isinstance(date, dt.date)
        else str(date)
    )
    title_text = title or tr("report_title", lang)
    plots = [plot_coverage(by_prefecture, out / "coverage_by_prefecture.png", lang=lang)]
    if budget_curve is not None:
        plots.append(plot_budget_curve(budget_curve, out / "budget_curve.png", lang=lang))

    sections: list[tuple[str, list[str], list[list[str]], str]] = [
        (tr("headline", lang), ["", ""], _dict_rows(headline), "headline"),
        (
            tr("by_prefecture", lang),
            [str(c) for c in by_prefecture.columns],
            _rows(by_prefecture),
            "",
        ),
        (
            tr("urban_rural_table", lang),
            [str(c) for c in urban_rural.columns],
            _rows(urban_rural),
            "",
        ),
    ]
    lowest = lowest_municipalities(by_municipality)
    if lowest is not None:
        name = tr("lowest_munis", lang).format(
            n=LOWEST_MUNICIPALITIES, floor=f"{LOWEST_MIN_POPULATION:,}"
        )
        sections.append((name, [str(c) for c in lowest.columns], _rows(lowest), ""))
    if solver:
        sections.append((tr("solver", lang), ["", ""], _dict_rows(solver), "headline"))

    meta = f"{tr('scenario', lang)}: {scenario_name or '–'} · {tr('date', lang)}: {date_text}"
    html_parts = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{esc(title_text)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title_text)}</h1><p class='meta'>{esc(meta)}</p>",
    ]
    md_parts = [f"# {_md_escape(title_text)}", "", _md_escape(meta), ""]
    plot_titles = {
        "coverage_by_prefecture": tr("plot_coverage", lang),
        "budget_curve": tr("budget_curve", lang),
    }
    for k, (name, header, rows, cls) in enumerate(sections):
        html_parts.append(f"<h2>{esc(name)}</h2>")
        md_parts += [f"## {_md_escape(name)}", ""]
        if cls == "headline":
            body = "".join(f"<tr><td>{esc(a)}</td><td>{esc(b)}</td></tr>" for a, b in rows)
            html_parts.append(f'<table class="headline">{body}</table>')
            md_parts += [f"- **{_md_escape(a)}**: {_md_escape(b)}" for a, b in rows] + [""]
        else:
            html_parts.append(_html_table(header, rows))
            md_parts += [_md_table(header, rows), ""]
        if k == 0:  # plots right after the headline figures
            for plot in plots:
                data = base64.b64encode(plot.read_bytes()).decode("ascii")
                caption = plot_titles.get(plot.stem, plot.stem)
                html_parts.append(
                    f'<h2>{esc(caption)}</h2><img alt="{esc(caption)}" '
                    f'src="data:image/png;base64,{data}">'
                )
                md_parts += [f"![{_md_escape(caption)}]({plot.name})", ""]
    html_parts.append("</body></html>")
    html_path, md_path = out / "summary.html", out / "summary.md"
    _atomic_write(html_path, "\n".join(html_parts).encode("utf-8"))
    _atomic_write(md_path, "\n".join(md_parts).encode("utf-8"))
    logger.info("report written to %s", out)
    return ReportFiles(html_path, md_path, tuple(plots))
