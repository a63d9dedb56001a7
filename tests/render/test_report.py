"""Run reports: summary.html (self-contained), summary.md and plots."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from PIL import Image

from denen_gis.errors import InputError
from denen_gis.render import fetched_urls, plot_budget_curve, plot_coverage, write_report

from .conftest import XSS


@pytest.fixture()
def tables():
    by_pref = pd.DataFrame(
        {
            "pref_code": ["05", "13", "32"],
            "name_en": ["Akita", "Tokyo", XSS],
            "coverage_before_pct": [61.0, 99.5, 70.2],
            "coverage_after_pct": [88.0, 99.9, 91.0],
            "target_pct": [90.0, 99.0, 90.0],
            "gap_pp": [2.0, 0.0, 0.0],
        }
    )
    urban_rural = pd.DataFrame(
        {
            "class": ["urban", "rural"],
            "population": [90_000_000, 35_000_000],
            "coverage_before_pct": [99.1, 72.4],
            "coverage_after_pct": [99.3, 90.6],
        }
    )
    budget = pd.DataFrame(
        {
            "budget_myen": [0, 1000, 2000, 4000],
            "coverage_pct": [93.0, 95.5, 96.8, 97.9],
            "urban_rural_gap_pp": [26.7, 15.0, 9.1, 4.2],
        }
    )
    return by_pref, urban_rural, budget


def test_write_report(tmp_path, tables):
    by_pref, urban_rural, budget = tables
    files = write_report(
        tmp_path / "out",
        headline={"People newly covered": 1_234_567, "Cost [million yen]": 9876.5, XSS: "x"},
        by_prefecture=by_pref,
        urban_rural=urban_rural,
        solver={"status": "OPTIMAL", "gap": 0.0, "wall_s": 1.25},
        budget_curve=budget,
        scenario_name="FY2026 grant",
        date="2025-04-01",
    )
    assert files.html.name == "summary.html" and files.markdown.name == "summary.md"
    assert [p.name for p in files.plots] == ["coverage_by_prefecture.png", "budget_curve.png"]
    html = files.html.read_text(encoding="utf-8")
    md = files.markdown.read_text(encoding="utf-8")
    assert fetched_urls(html) == []
    assert html.count("data:image/png;base64,") == 2
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert XSS not in md
    for text in ("1,234,567", "9,876", "OPTIMAL", "FY2026 grant", "Akita", "rural"):
        assert text in html and text in md
    assert "(coverage_by_prefecture.png)" in md and "(budget_curve.png)" in md
    assert md.index("People newly covered") < md.index("(budget_curve.png)") < md.index("Akita")
    for plot in files.plots:
        with Image.open(plot) as im:
            assert im.format == "PNG" and im.size[0] > 400
    assert sorted(p.name for p in files.html.parent.iterdir()) == [
        "budget_curve.png",
        "coverage_by_prefecture.png",
        "summary.html",
        "summary.md",
    ]


def test_report_without_solver_or_after(tmp_path, tables):
    by_pref, urban_rural, _ = tables
    files = write_report(
        tmp_path,
        headline={},
        by_prefecture=by_pref[["pref_code", "coverage_before_pct"]],
        urban_rural=urban_rural,
        solver=None,
    )
    assert "Solver report" not in files.html.read_text(encoding="utf-8")
    assert len(files.plots) == 1


def test_japanese_report_has_no_glyph_warnings(tmp_path, tables):
    by_pref, urban_rural, budget = tables
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        files = write_report(
            tmp_path,
            headline={"人口": 1},
            by_prefecture=by_pref,
            urban_rural=urban_rural,
            budget_curve=budget,
            lang="ja",
        )
    assert "都道府県別カバー率" in files.html.read_text(encoding="utf-8")


def test_plot_errors(tmp_path, tables):
    by_pref, _, budget = tables
    with pytest.raises(InputError, match="coverage_pct"):
        plot_budget_curve(budget.drop(columns="coverage_pct"), tmp_path / "b.png")
    with pytest.raises(InputError, match="pref_code"):
        plot_coverage(by_pref.drop(columns="pref_code"), tmp_path / "c.png")
    with pytest.raises(InputError, match="lang"):
        plot_coverage(by_pref, tmp_path / "c.png", lang="de")
    assert list(tmp_path.iterdir()) == []
