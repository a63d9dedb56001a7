"""End-to-end tests of ``denen-gis plan``, ``compare``, ``sweep`` and ``map``.

Every run goes through :func:`denen_gis.cli.main` (which returns the exit
code) on a one-prefecture scenario (Tottori, about 3,400 cells and 380
candidate sites) with the data-centre, landing and resilience steps off, so
that each solve takes about a second.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from denen_gis.cli import main
from denen_gis.render.assets import fetched_urls

TOTTORI = """\
[scenario]
name = "{name}"
seed = 0
workers = 1
time_limit_s = 30

[inputs]
candidates = "{candidates}"

[region]
prefectures = ["Tottori"]

[fiveg]
objective = "{objective}"
{fiveg}

[datacenters]
enabled = false

[landings]
enabled = false

[resilience]
enabled = false
"""


#: The test scenario's name: rich markup and an emoji code, to be printed literally.
NAME = "Tottori test [red]x[/red] :smile: [/]"


def write_scenario(
    folder: Path,
    filename: str = "tottori.toml",
    *,
    name: str = "Tottori test",
    objective: str = "coverage",
    fiveg: str = "budget_myen = 200",
    candidates: str = "",
) -> Path:
    """A one-prefecture scenario file in ``folder``."""
    path = folder / filename
    text = TOTTORI.format(name=name, objective=objective, fiveg=fiveg, candidates=candidates)
    path.write_text(text, encoding="utf-8")
    return path


def run(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` with stdout and stderr captured (for module-scoped fixtures)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _strip_volatile(value: Any) -> Any:
    """plan.json without clock readings: ``created``, ``timings`` and durations ``*_s``.

    (Solver reports carry their own ``wall_time_s`` and, for some engines,
    ``details.lp_s``; configured limits such as ``time_limit_s`` are equal in
    both runs anyway.)
    """
    if isinstance(value, dict):
        return {
            k: _strip_volatile(v)
            for k, v in value.items()
            if k not in ("created", "timings") and not k.endswith("_s")
        }
    if isinstance(value, list):
        return [_strip_volatile(v) for v in value]
    return value


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plan_cli")


@pytest.fixture(scope="module")
def scenario(workdir: Path) -> Path:
    return write_scenario(workdir, name=NAME)


@pytest.fixture(scope="module")
def json_run(workdir: Path, scenario: Path) -> tuple[int, str, str, Path]:
    out = workdir / "out_json"
    code, stdout, stderr = run(["plan", str(scenario), "--out", str(out), "--json"])
    return code, stdout, stderr, out


# --- plan -----------------------------------------------------------------------------


def test_plan_json_on_stdout_matches_the_written_plan(json_run):
    code, stdout, stderr, out = json_run
    assert code == 0, stderr
    printed = json.loads(stdout)  # nothing but JSON on stdout
    written = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert printed == written
    assert printed["region"] == ["31"]
    assert printed["scenario"]["scenario"]["name"] == NAME
    h = printed["headline"]
    assert 0 < h["cost_myen"] <= 200
    assert h["new_sites"] == len(printed["fiveg"]["chosen_site_ids"]) > 0
    assert h["coverage_after_pct"] > h["coverage_before_pct"]
    assert h["people_added"] > 0
    # steps that the scenario turns off leave no section behind
    assert "datacenters" not in printed and "resilience" not in printed


def test_plan_writes_every_output(json_run):
    code, stdout, _, out = json_run
    assert code == 0
    expected = {
        "plan.json",
        "by_prefecture.csv",
        "urban_rural.csv",
        "new_sites.csv",
        "plan.gpkg",
        "summary.html",
        "summary.md",
        "coverage_map.html",
    }
    assert expected <= {p.name for p in out.iterdir()}
    # no infrastructure map without the data-centre step
    assert not (out / "infrastructure_map.html").exists()
    summary = json.loads(stdout)
    sites = pd.read_csv(out / "new_sites.csv")
    assert sorted(sites["site_id"]) == sorted(summary["fiveg"]["chosen_site_ids"])
    assert sites["cost_myen"].sum() == pytest.approx(summary["headline"]["cost_myen"])
    by_pref = pd.read_csv(out / "by_prefecture.csv", dtype={"pref_code": str})
    assert by_pref["pref_code"].tolist() == ["31"]
    layers = {name for name, _ in pyogrio.list_layers(out / "plan.gpkg")}
    assert {"prefectures", "cells", "stations_existing", "sites_new"} <= layers
    html = (out / "coverage_map.html").read_text(encoding="utf-8")
    assert fetched_urls(html) == []


def test_plan_tables_on_stdout(workdir, scenario, capsys):
    code = main(["plan", str(scenario), "--out", str(workdir / "out_tables"), "--no-maps"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Tottori" in out and "鳥取県" in out
    assert f"{NAME}: 5G coverage by prefecture" in " ".join(out.split())  # literal, no markup
    assert "Coverage" in out and "new sites" in out
    # the engine that proved the answer: on the census grid the LP bound closes
    # the greedy start for Tottori, so the report may name the greedy
    assert re.search(r"Solver: (SCIP|HIGHS|CBC|greedy|LP\+greedy) (OPTIMAL|FEASIBLE)", out)
    # "Outputs in DIR" names written files: a note on stderr, not a result
    assert str(workdir / "out_tables") in err.replace("\n", "")
    assert str(workdir / "out_tables") not in out.replace("\n", "")


def test_quiet_prints_nothing_and_writes_outputs(workdir, scenario, capsys):
    out_dir = workdir / "out_quiet"
    code = main(["plan", str(scenario), "--out", str(out_dir), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == ""
    assert (out_dir / "plan.json").is_file()
    assert (out_dir / "coverage_map.html").is_file()


def test_no_maps_skips_only_the_maps(workdir, scenario, capsys):
    out_dir = workdir / "out_nomaps"
    code = main(["plan", str(scenario), "--out", str(out_dir), "--quiet", "--no-maps"])
    assert code == 0, capsys.readouterr().err
    names = {p.name for p in out_dir.iterdir()}
    assert not any(n.endswith("_map.html") for n in names)
    assert {"plan.json", "summary.html", "plan.gpkg", "new_sites.csv"} <= names


def test_same_seed_gives_the_same_plan(json_run, workdir, scenario, capsys):
    _, _, _, first = json_run
    second = workdir / "out_again"
    code = main(["plan", str(scenario), "--out", str(second), "--quiet", "--no-maps"])
    assert code == 0, capsys.readouterr().err
    a = json.loads((first / "plan.json").read_text(encoding="utf-8"))
    b = json.loads((second / "plan.json").read_text(encoding="utf-8"))
    assert a["created"] and a["timings"]["total_s"] > 0
    assert _strip_volatile(a) == _strip_volatile(b)


def test_out_overrides_the_scenario_output(tmp_path, capsys):
    scenario = write_scenario(tmp_path)
    text = scenario.read_text(encoding="utf-8").replace(
        "time_limit_s = 30", 'time_limit_s = 30\noutput = "from_scenario"'
    )
    scenario.write_text(text, encoding="utf-8")
    code = main(["plan", str(scenario), "--quiet", "--no-maps"])
    assert code == 0, capsys.readouterr().err
    # relative to the scenario file, not to the working directory
    assert (tmp_path / "from_scenario" / "plan.json").is_file()


# --- errors ---------------------------------------------------------------------------


def test_bad_key_is_one_line_naming_file_key_and_line(tmp_path, capsys):
    scenario = write_scenario(tmp_path, fiveg="budget_myen = 200\nbugdet = 5")
    line = scenario.read_text(encoding="utf-8").splitlines().index("bugdet = 5") + 1
    out_dir = tmp_path / "never"
    code = main(["plan", str(scenario), "--out", str(out_dir)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(scenario) in lines[0]
    assert "fiveg.bugdet" in lines[0]
    assert f"line {line}" in lines[0]
    assert "Traceback" not in err
    assert not out_dir.exists()
    assert list(tmp_path.iterdir()) == [scenario]  # no temporary folder left either


@pytest.mark.parametrize(
    ("fiveg", "key"),
    [
        ("budget_myen = -1", "fiveg.budget_myen"),
        ("budget_myen = 200\ntarget_national = 1.2", "fiveg.target_national"),
        ('budget_myen = "lots"', "fiveg.budget_myen"),
    ],
)
def test_bad_values_exit_2(tmp_path, capsys, fiveg, key):
    scenario = write_scenario(tmp_path, fiveg=fiveg)
    code = main(["plan", str(scenario), "--out", str(tmp_path / "never")])
    _, err = capsys.readouterr()
    assert code == 2
    assert key in err and "line" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "never").exists()


def test_missing_scenario_file_exits_2(tmp_path, capsys):
    code = main(["plan", str(tmp_path / "nowhere.toml")])
    _, err = capsys.readouterr()
    assert code == 2
    assert "nowhere.toml" in err and "not found" in err


def test_infeasible_target_exits_3_with_the_shortfall(tmp_path, capsys):
    # two candidate sites cannot bring Tottori to 100%
    cands = gpd.GeoDataFrame(
        {
            "site_id": ["T1", "T2"],
            "station_type": ["nr700_macro", "nr700_macro"],
            "cost_myen": [30.0, 40.0],
        },
        geometry=[Point(134.24, 35.50), Point(133.55, 35.43)],
        crs=6668,
    )
    cands.to_file(tmp_path / "cands.gpkg", driver="GPKG")
    scenario = write_scenario(
        tmp_path,
        objective="min-cost",
        fiveg="target_national = 0.5\ntarget_prefecture = 1.0",
        candidates="cands.gpkg",
    )
    out_dir = tmp_path / "never"
    code = main(["plan", str(scenario), "--out", str(out_dir)])
    out, err = capsys.readouterr()
    assert code == 3
    assert out == ""
    assert "target cannot be met" in err
    assert "Traceback" not in err
    header = next(line for line in err.splitlines() if "best_share" in line)
    assert header.split() == ["group", "target", "best_share", "gap"]
    rows = [line.split() for line in err.splitlines() if "prefecture" in line.split()]
    assert rows, err
    row = rows[-1]
    # "<index> prefecture 31 <target> <best> <gap>"
    assert row[1:3] == ["prefecture", "31"]
    target, best, gap = (float(v) for v in row[3:6])
    assert target == 1.0 and 0 < best < 1 and gap == pytest.approx(target - best, abs=1e-4)
    # the national target of 50% is met by the existing stations: not in the table
    assert not any("national" in line for line in err.splitlines()[1:])
    assert not out_dir.exists()


def test_ctrl_c_exits_130_with_one_line(tmp_path, capsys, monkeypatch):
    import denen_gis.pipeline

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(denen_gis.pipeline, "plan", interrupted)
    scenario = write_scenario(tmp_path)
    out_dir = tmp_path / "never"
    code = main(["plan", str(scenario), "--out", str(out_dir)])
    out, err = capsys.readouterr()
    assert code == 130
    assert out == ""
    assert err.strip().splitlines() == ["denen-gis: interrupted"]
    assert not out_dir.exists()


# --- compare, sweep, map --------------------------------------------------------------


@pytest.fixture(scope="module")
def compare_run(workdir: Path, scenario: Path) -> tuple[int, str, str, Path]:
    b = write_scenario(
        workdir, "tottori_b.toml", name="Tottori B [bold]:smile:[/]", fiveg="budget_myen = 300"
    )
    out = workdir / "compare"
    code, stdout, stderr = run(["compare", str(scenario), str(b), "--out", str(out), "--quiet"])
    return code, stdout, stderr, out


def test_compare_writes_map_and_tables(compare_run):
    code, stdout, stderr, out = compare_run
    assert code == 0, stderr
    names = {p.name for p in out.iterdir()}
    assert {
        "comparison_map.html",
        "comparison_by_prefecture.csv",
        "comparison_headline.csv",
        "a",
        "b",
    } <= names
    assert (out / "a" / "plan.json").is_file() and (out / "b" / "plan.json").is_file()
    html = (out / "comparison_map.html").read_text(encoding="utf-8")
    assert fetched_urls(html) == []
    heads = pd.read_csv(out / "comparison_headline.csv").set_index("figure")
    cov = heads.loc["coverage after [%]"]
    assert cov["b"] >= cov["a"]  # a larger budget never covers fewer people
    assert cov["difference"] == pytest.approx(cov["b"] - cov["a"])
    assert heads.loc["cost [million yen]", "a"] <= 200
    assert heads.loc["cost [million yen]", "b"] <= 300
    by_pref = pd.read_csv(out / "comparison_by_prefecture.csv", dtype={"pref_code": str})
    assert by_pref["pref_code"].tolist() == ["all", "31"]
    assert f"A = {NAME} B = Tottori B [bold]:smile:[/]" in " ".join(stdout.split())


def test_compare_table_keeps_units(compare_run):
    _, stdout, _, _ = compare_run
    assert "cost [million yen]" in stdout
    assert "urban-rural gap after [points]" in stdout


def test_compare_json(workdir, scenario, capsys):
    code = main(["compare", str(scenario), str(scenario), "--out", str(workdir / "cmp2"), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["a"] == data["b"] == str(scenario)
    assert all(r["difference"] == 0 for r in data["headline"])
    assert {r["pref_code"] for r in data["by_prefecture"]} == {"all", "31"}


def test_sweep_json_and_files(workdir, scenario, capsys):
    out_dir = workdir / "sweep"
    code = main(["sweep", str(scenario), "--budgets", "200,400", "--out", str(out_dir), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = json.loads(out)
    assert [r["budget_myen"] for r in rows] == [0.0, 200.0, 400.0]
    assert rows[0]["status"] == "TODAY" and rows[0]["new_sites"] == 0
    for r in rows:
        assert r["cost_myen"] <= r["budget_myen"]
    cov = [r["coverage_pct"] for r in rows]
    assert cov == sorted(cov) and cov[2] > cov[0]
    assert all(r["pareto"] for r in rows)  # coverage strictly rises with cost here
    table = pd.read_csv(out_dir / "sweep.csv")
    assert table["budget_myen"].tolist() == [0.0, 200.0, 400.0]
    assert (out_dir / "budget_curve.png").stat().st_size > 1000


def test_sweep_needs_a_budget_objective(tmp_path, capsys):
    scenario = write_scenario(tmp_path, objective="min-cost", fiveg="target_national = 0.9")
    code = main(["sweep", str(scenario), "--budgets", "100", "--out", str(tmp_path / "s")])
    _, err = capsys.readouterr()
    assert code == 2
    assert "objective" in err
    assert not (tmp_path / "s").exists()


def test_sweep_bad_budgets_exit_2(scenario, tmp_path, capsys):
    code = main(["sweep", str(scenario), "--budgets", "a:b", "--out", str(tmp_path / "s")])
    _, err = capsys.readouterr()
    assert code == 2
    assert "--budgets" in err


def test_map_coverage(workdir, scenario, capsys):
    out_file = workdir / "maps" / "coverage_today.html"
    code = main(
        ["map", "coverage", "--scenario", str(scenario), "--out", str(out_file), "--offline-only"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "wrote" in err and "coverage_today.html" in err and out == ""
    html = out_file.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert fetched_urls(html) == []
    assert "Tottori" in html or "鳥取" in html


def test_map_infrastructure_writes_an_offline_page(tmp_path, capsys):
    from denen_gis.render import fetched_urls

    scenario = tmp_path / "infra.toml"
    scenario.write_text(
        '[scenario]\nname = "infra map"\ntime_limit_s = 10\n'
        '[region]\nprefectures = ["Tottori"]\n'
        "[fiveg]\nenabled = false\n",
        encoding="utf-8",
    )
    out = tmp_path / "infra.html"
    code = main(["map", "infrastructure", "--scenario", str(scenario), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    html = out.read_text(encoding="utf-8")
    assert "SOJ-AKITA" in html and "F-TOMAKOMAI" in html
    assert [u for u in fetched_urls(html) if u.startswith("http")] == []


# --- work limit -------------------------------------------------------------------------


def test_work_limit_is_echoed_reported_and_printed(tmp_path, capsys):
    scenario = write_scenario(tmp_path)
    out_dir = tmp_path / "worked"
    code = main(["plan", str(scenario), "--out", str(out_dir), "--no-maps", "--work-limit", "0.5"])
    out, err = capsys.readouterr()
    assert code == 0, err
    p = json.loads((out_dir / "plan.json").read_text(encoding="utf-8"))
    assert p["scenario"]["scenario"]["work_limit"] == 0.5
    work = p["fiveg"]["details"]["work"]
    assert work["limit"] == 0.5 and 0 < work["used"] <= 0.5 + 1e-9
    assert work["stopped_by_time_limit"] is False
    assert f"Work limit: {work['used']:.2f} of 0.5 units used." in out
    assert "Warning" not in err


@pytest.mark.parametrize(
    ("argv", "key"),
    [
        (["--work-limit", "-1"], "--work-limit"),
        (["--work-limit", "nan"], "--work-limit"),
        ([], "scenario.work_limit"),  # from the file: work_limit = 0
    ],
)
def test_bad_work_limit_exits_2_in_one_line(tmp_path, capsys, argv, key):
    scenario = write_scenario(tmp_path)
    if not argv:
        text = scenario.read_text(encoding="utf-8")
        scenario.write_text(text.replace("time_limit_s = 30", "work_limit = 0"), encoding="utf-8")
    code = main(["plan", str(scenario), "--out", str(tmp_path / "never"), *argv])
    _, err = capsys.readouterr()
    assert code == 2
    assert key in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "never").exists()
