"""CLI tests of ``optimize datacenters``, ``optimize landings`` and ``resilience``."""

from __future__ import annotations

import itertools
import json

import geopandas as gpd
import pytest
import shapely

from denen_gis.cli import app, main


@pytest.fixture(scope="module", autouse=True)
def _registered():
    import denen_gis.cli.infra as infra

    if "resilience" not in {c.name for c in app.registered_commands}:
        infra.register(app)


def test_datacenters_json(capsys):
    assert main(["optimize", "datacenters", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["chosen"]) == 13
    assert out["after"]["rural_rtt_ms"] < out["before"]["rural_rtt_ms"]
    assert out["capacity_after"]["tokyo_area_share"] < out["capacity_before"]["tokyo_area_share"]
    assert out["solver"]["status"] == "OPTIMAL"
    assert out["hazard_rule"]["pairs"] > 0  # the policy's rule is on by default
    assert main(["optimize", "datacenters", "--json", "--latency-only"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["hazard_rule"] == {"pairs": 0, "unmet": []}
    # The criteria cost latency: RTT alone is at least as good on RTT.
    assert plain["after"]["mean_rtt_ms"] <= out["after"]["mean_rtt_ms"] + 1e-9


def test_datacenters_table_and_outputs(tmp_path, capsys):
    code = main(
        [
            "optimize",
            "datacenters",
            "--k",
            "9",
            "--objective",
            "center",
            "--max-per-block",
            "3",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "urban ms" in text and "Tokyo area" in text
    chosen = gpd.read_file(tmp_path / "datacenters_plan.gpkg", layer="chosen")
    assert len(chosen) == 9 and chosen.crs.to_epsg() == 6668
    assert "worst cell ms" in text
    summary = json.loads((tmp_path / "datacenters_summary.json").read_text())
    assert summary["objective"] == "center"
    assert summary["after"]["max_rtt_ms"] <= summary["before"]["max_rtt_ms"]
    assert summary["solver"]["best_bound"] <= summary["solver"]["objective"] + 1e-9
    # no temporary files left behind: only the output marker
    assert [p.name for p in tmp_path.glob(".*")] == [".denen-gis-output"]


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["optimize", "datacenters", "--k", "500"], "larger than"),
        (["optimize", "datacenters", "--include-sites", "NOPE"], "unknown site"),
        (["optimize", "datacenters", "--objective", "mean"], "--objective"),
        (["optimize", "landings", "--count", "99"], "count"),
        (["resilience", "--sites", "NOPE"], "unknown site"),
        (["optimize", "datacenters", "--time-limit", "-1"], "--time-limit"),
        (["optimize", "datacenters", "--workers", "0"], "workers"),
        (["optimize", "landings", "--time-limit", "0"], "--time-limit"),
        (["optimize", "landings", "--workers", "0"], "workers"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, match, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert match in err
    assert len(err.splitlines()) == 1


def test_landings_json(capsys):
    assert main(["optimize", "landings", "--count", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["count"] == 4
    assert "cable, chosen landings" in out["rtt"]
    assert out["capacity"]["tokyo_area_share"] == pytest.approx(0.6)


@pytest.mark.parametrize("command", ["datacenters", "landings"])
@pytest.mark.parametrize("value", ["-1", "nan", "0", "1e9"])
def test_bad_work_limit_is_one_line(capsys, command, value):
    assert main(["optimize", command, f"--work-limit={value}"]) == 2
    err = capsys.readouterr().err
    assert "--work-limit" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("command", "solver"), [("datacenters", "plan_datacenters"), ("landings", "plan_landings")]
)
def test_work_limit_reaches_cp_sat(monkeypatch, capsys, command, solver):
    from denen_gis.infrastructure import steps

    real, seen = getattr(steps, solver), {}

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(steps, solver, spy)
    argv = ["optimize", command, "--json", "--work-limit", "0.5", "--workers", "1"]
    assert main(argv) == 0, capsys.readouterr().err
    assert seen["work_limit"] == 0.5 and seen["workers"] == 1


@pytest.mark.parametrize("command", ["datacenters", "landings"])
def test_two_work_limited_json_runs_differ_only_in_timings(capsys, command):
    """The solver's wall time goes under timings.solvers, as in plan.json."""
    runs = []
    for _ in range(2):
        argv = ["optimize", command, "--json", "--work-limit", "2", "--workers", "1"]
        assert main(argv) == 0, capsys.readouterr().err
        runs.append(json.loads(capsys.readouterr().out))
    assert "solver.wall_time_s" in runs[0]["timings"]["solvers"]
    assert "wall_time_s" not in runs[0]["solver"]
    for run in runs:
        run.pop("timings")
    assert runs[0] == runs[1]


def test_resilience_json_and_table(tmp_path, capsys):
    assert main(["resilience", "--json", "--out", str(tmp_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    names = list(out["scenarios"])
    assert len(names) == 3 and "Sea of Japan" in names[1]
    for s in out["scenarios"].values():
        assert s["baseline"]["rural_rtt_ms"] >= s["baseline"]["urban_rtt_ms"]
        assert "population_cut_off" in s["worst_cut"]
    assert (tmp_path / "resilience_comparison.csv").is_file()
    assert [h["id"] for h in out["hazards"]] == [
        "nankai",
        "japan_trench",
        "tokyo_inland",
        "sea_of_japan",
    ]
    cases = ("without_cable", "with_cable", "with_cable_and_plan_dcs")
    keys = (
        "isolated_from_core",
        "isolated_from_international",
        "isolated_from_datacenters",
    )
    for h in out["hazards"]:
        assert isinstance(h["failed_elements"], int) and h["failed_elements"] > 0
        for case in cases:
            assert all(isinstance(h[case][k], int) for k in keys)
            assert isinstance(h[case]["interregional_capacity_tbps"], float)
        # The cable only adds routes: never more people cut off, never less capacity.
        for a, b in itertools.pairwise(cases):
            assert all(h[b][k] <= h[a][k] for k in keys)
            assert h[b]["interregional_capacity_tbps"] >= h[a]["interregional_capacity_tbps"]
    assert out["n2"]["pairs"] > 10_000 and isinstance(out["n2"]["seconds"], float)
    assert out["n2"]["worst"][0]["people_cut_off"] > 0
    zones = tmp_path / "zones.geojson"
    gpd.GeoDataFrame(
        {"id": ["kanmon"]}, geometry=[shapely.box(130.8, 33.8, 131.1, 34.05)], crs=4326
    ).to_file(zones)
    argv = ["resilience", "--without-sea-of-japan", "--top", "3", "--no-n2", "--hazards"]
    assert main([*argv, str(zones)]) == 0
    text = capsys.readouterr().out
    assert "without the new cable" in text and "Worst single cut" in text
    assert "kanmon" in text and "N-2:" not in text


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (
            [
                "optimize",
                "datacenters",
                "--include-sites",
                "C-AOMORI",
                "--exclude-sites",
                "C-AOMORI",
            ],
            "C-AOMORI",
        ),
        (["optimize", "landings", "--fixed", "SOJ-AKITA", "--exclude", "SOJ-AKITA"], "SOJ-AKITA"),
    ],
)
def test_include_exclude_conflict_names_the_ids(argv, names, capsys):
    """Issue 16: a site both fixed and excluded is named by its id, not an internal index."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert names in err and "excluded" in err
    assert "[28]" not in err and "[1]" not in err
    assert len(err.splitlines()) == 1


def test_datacenter_scenario_conflict_names_key_and_id(tmp_path):
    from denen_gis.errors import InputError
    from denen_gis.scenario import load_scenario

    p = tmp_path / "s.toml"
    p.write_text(
        "[datacenters]\ninclude_sites = ['C-AOMORI']\nexclude_sites = ['C-AOMORI']\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"datacenters\.\w+_sites: .*'C-AOMORI'"):
        load_scenario(p)
