"""End-to-end tests of ``denen-gis optimize 5g`` and ``denen-gis rollout`` on Tottori."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from denen_gis.cli import main

TOTTORI = ["--region", "Tottori"]


def test_optimize_5g_coverage_within_budget(tmp_path, capsys):
    out_dir = tmp_path / "out"
    code = main(
        [
            "optimize",
            "5g",
            *TOTTORI,
            "--objective",
            "coverage",
            "--budget-myen",
            "600",
            "--json",
            "--out",
            str(out_dir),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)
    h = summary["headline"]
    assert summary["region"] == ["31"]
    assert 0 < h["cost_myen"] <= 600
    assert summary["fiveg"]["cost_myen"] == pytest.approx(h["cost_myen"])
    assert h["coverage_after_pct"] > h["coverage_before_pct"]
    assert h["rural_pct_after"] >= h["rural_pct_before"]
    assert summary["fiveg"]["objective_name"].startswith("people newly covered")
    # the people added by the new sites are the objective of the coverage model
    # (per-site form); MIC's exact area rule adds those only the union of discs covers
    union_only = summary["area_rule"]["people_added_by_exact_rule"]
    assert summary["fiveg"]["objective"] + union_only == pytest.approx(h["people_added"])
    # optimize 5g runs the 5G model only
    for section in ("datacenters", "landings", "resilience"):
        assert section not in summary
    assert summary["scenario"]["resilience"] is False
    sites = pd.read_csv(out_dir / "new_sites.csv")
    assert len(sites) == h["new_sites"]
    assert sites["cost_myen"].sum() <= 600 + 1e-6
    assert sites["people_added"].sum() + union_only == pytest.approx(h["people_added"], abs=1)
    assert (out_dir / "coverage_map.html").is_file()


def test_optimize_5g_table(capsys):
    code = main(
        ["optimize", "5g", *TOTTORI, "--objective", "coverage", "--budget-myen", "100", "-q"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "5G plan (coverage)" in out
    assert "Tottori" in out and "Solver:" in out


def test_unknown_included_site_is_named(capsys):
    code = main(
        [
            "optimize",
            "5g",
            *TOTTORI,
            "--objective",
            "coverage",
            "--budget-myen",
            "100",
            "--include-sites",
            "NO-SUCH-SITE",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert "NO-SUCH-SITE" in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_site_both_included_and_excluded(capsys):
    code = main(
        [
            "optimize",
            "5g",
            *TOTTORI,
            "--objective",
            "coverage",
            "--budget-myen",
            "100",
            "--include-sites",
            "C31-10890,C31-10891",
            "--exclude-sites",
            "C31-10891",
        ]
    )
    _, err = capsys.readouterr()
    assert code == 2
    assert "C31-10891" in err and "included and excluded" in err
    assert "C31-10890" not in err


@pytest.mark.parametrize(
    ("options", "key"),
    [
        (["--objective", "coverage", "--budget-myen", "-5"], "--budget-myen"),
        (["--target-national", "1.5"], "--target-national"),
        (["--target-prefecture", "1.01"], "--target-prefecture"),
        (["--objective", "coverage"], "budget_myen"),  # a budget objective without a budget
        (["--objective", "cheapest"], "objective"),
    ],
)
def test_bad_parameters_exit_2(capsys, options, key):
    code = main(["optimize", "5g", *TOTTORI, *options])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert key in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_unknown_region_exits_2(capsys):
    code = main(["optimize", "5g", "--region", "Atlantis", "--objective", "coverage",
                 "--budget-myen", "100"])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 2
    assert "Atlantis" in err


def test_rollout_two_years(tmp_path, capsys):
    code = main(
        [
            "rollout",
            *TOTTORI,
            "--years",
            "2027:2028",
            "--budget-per-year-myen",
            "300",
            "--time-limit",
            "5",
            "--json",
            "--out",
            str(tmp_path / "rollout"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)
    by_year = summary["rollout"]["by_year"]
    assert [r["year"] for r in by_year] == [2027, 2028]
    for r in by_year:
        assert r["budget_myen"] == 300
        assert 0 < r["spent_myen"] <= 300 + 1e-6
        assert r["sites_built"] > 0
    assert by_year[1]["coverage_pct"] >= by_year[0]["coverage_pct"]
    assert by_year[0]["coverage_pct"] > summary["headline"]["coverage_before_pct"]
    assert summary["headline"]["coverage_after_pct"] == pytest.approx(by_year[-1]["coverage_pct"])
    assert summary["headline"]["cost_myen"] == pytest.approx(sum(r["spent_myen"] for r in by_year))
    sites = pd.read_csv(tmp_path / "rollout" / "new_sites.csv")
    assert set(sites["year"]) == {2027, 2028}
    spent = sites.groupby("year")["cost_myen"].sum()
    assert (spent <= 300 + 1e-6).all()
    assert spent.to_dict() == pytest.approx({r["year"]: r["spent_myen"] for r in by_year})


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--years", "2030:2027"], "--years"),
        (["--years", "soon"], "--years"),
        (["--years", "2027:2028", "--target", "2031:0.9"], "--target"),
    ],
)
def test_rollout_bad_options_exit_2(capsys, options, fragment):
    code = main(["rollout", *TOTTORI, *options])
    _, err = capsys.readouterr()
    assert code == 2
    assert fragment in err
    assert "Traceback" not in err


def _clock_readings(node, path=""):
    """Paths of the ``*_s`` numbers (clock readings, not limits) outside ``timings``."""
    if isinstance(node, dict):
        return [
            p
            for k, v in node.items()
            if k != "timings"
            for p in (
                [f"{path}.{k}"]
                if k.endswith("_s") and "limit" not in k and isinstance(v, int | float)
                else _clock_readings(v, f"{path}.{k}")
            )
        ]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _clock_readings(v, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize(
    "argv",
    [
        ["optimize", "5g", "--objective", "coverage", "--budget-myen", "100"],
        ["rollout", "--years", "2027:2028", "--budget-per-year-myen", "50"],
    ],
    ids=["optimize 5g", "rollout"],
)
def test_two_work_limited_json_runs_differ_only_in_created_and_timings(capsys, argv):
    """Issue 16: the clock readings of --json sit under timings.solvers, as in plan.json."""
    runs = []
    for _ in range(2):
        code = main([*argv, *TOTTORI, "--work-limit", "1", "--workers", "1", "--json"])
        out, err = capsys.readouterr()
        assert code == 0, err
        runs.append(json.loads(out))
    a, b = runs
    assert "fiveg.wall_time_s" in a["timings"]["solvers"]
    assert _clock_readings(a) == []
    for run in runs:
        del run["created"], run["timings"]
    assert a == b
