"""Issue 16: numeric options are checked before any loading, one line naming the option."""

from __future__ import annotations

import pytest

from denen_gis.cli import app, main

HUGE = str(10**400)


@pytest.fixture(scope="module", autouse=True)
def _registered():
    import denen_gis.cli.infra as infra

    if "resilience" not in {c.name for c in app.registered_commands}:
        infra.register(app)


@pytest.fixture
def no_loading(monkeypatch):
    """Fail the test if a command reaches its study or solve."""
    from denen_gis import infrastructure, pipeline

    def boom(*args, **kwargs):
        raise AssertionError("the options were not checked before loading")

    for name in ("datacenter_study", "landing_study", "resilience_study"):
        monkeypatch.setattr(infrastructure, name, boom)
    for name in ("plan", "plan_rollout"):
        monkeypatch.setattr(pipeline, name, boom)


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["optimize", "datacenters", "--backup-max-rtt-ms=-1"], "--backup-max-rtt-ms"),
        (["optimize", "datacenters", "--backup-max-rtt-ms=0"], "--backup-max-rtt-ms"),
        (["optimize", "datacenters", "--backup-max-rtt-ms=nan"], "--backup-max-rtt-ms"),
        (["optimize", "datacenters", "--backup-max-rtt-ms=inf"], "--backup-max-rtt-ms"),
        (["optimize", "datacenters", "--budget-myen=-1"], "--budget-myen"),
        (["optimize", "datacenters", "--budget-myen=nan"], "--budget-myen"),
        (["optimize", "datacenters", f"--budget-myen={HUGE}"], "--budget-myen"),
        (["optimize", "datacenters", "--time-limit=0"], "--time-limit"),
        (["optimize", "datacenters", "--time-limit=-1"], "--time-limit"),
        (["optimize", "datacenters", "--time-limit=nan"], "--time-limit"),
        (["optimize", "datacenters", "--time-limit=inf"], "--time-limit"),
        (["optimize", "datacenters", "--workers=0"], "--workers"),
        (["optimize", "datacenters", f"--workers={HUGE}"], "--workers"),
        (["optimize", "datacenters", "--seed=-1"], "--seed"),
        (["optimize", "datacenters", f"--seed={2**31}"], "--seed"),
        (["optimize", "datacenters", "--max-per-block=0"], "--max-per-block"),
        (["optimize", "datacenters", "--min-separation-km=nan"], "--min-separation-km"),
        (["optimize", "landings", "--time-limit=nan"], "--time-limit"),
        (["optimize", "landings", "--workers=-3"], "--workers"),
        (["optimize", "landings", "--seed=-1"], "--seed"),
        (["optimize", "landings", f"--count={HUGE}"], "--count"),
        (["resilience", "--max-rtt-ms=-5"], "--max-rtt-ms"),
        (["resilience", "--max-rtt-ms=nan"], "--max-rtt-ms"),
        (["optimize", "5g", "--time-limit=nan"], "--time-limit"),
        (["optimize", "5g", "--time-limit=0"], "--time-limit"),
        (["optimize", "5g", "--workers=0"], "--workers"),
        (["optimize", "5g", "--seed=-1"], "--seed"),
        (["optimize", "5g", "--objective=coverage", f"--budget-myen={HUGE}"], "--budget-myen"),
        (["optimize", "5g", "--objective=coverage", "--budget-myen=-1"], "--budget-myen"),
        (["optimize", "5g", "--rural-weight=nan"], "--rural-weight"),
        (["optimize", "5g", "--target-national=nan"], "--target-national"),
        (["rollout", "--time-limit=inf"], "--time-limit"),
        (["rollout", "--workers=0"], "--workers"),
        (["rollout", "--seed=-1"], "--seed"),
        (["rollout", f"--budget-per-year-myen={HUGE}"], "--budget-per-year-myen"),
        (["rollout", "--budget-per-year-myen=nan"], "--budget-per-year-myen"),
        (["rollout", "--rural-weight=-1"], "--rural-weight"),
    ],
)
def test_bad_numbers_are_one_line_naming_the_option(argv, option, capsys, no_loading):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("denen-gis: error: ") and option in err, err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("value", ["inf", "1e300"])
def test_indoor_loss_is_bounded_before_loading(value, capsys, monkeypatch):
    from denen_gis.io import sources

    monkeypatch.setattr(sources, "prefectures_input", lambda *a, **k: 1 / 0)
    assert main(["coverage", f"--indoor-penetration-db={value}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("denen-gis: error: --indoor-penetration-db must be")
    assert "LinkBudget" not in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("value", ["nan", "-1", "inf"])
def test_tolerance_km_is_checked_before_reading(value, capsys, tmp_path):
    cables, landings = tmp_path / "c.json", tmp_path / "l.json"
    argv = [
        "data",
        "import",
        "cables",
        str(cables),
        str(landings),
        "--out",
        str(tmp_path / "o.gpkg"),
    ]
    assert main([*argv, f"--tolerance-km={value}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("denen-gis: error: --tolerance-km must be"), err


def test_years_past_the_cap_say_the_cap(capsys):
    assert main(["rollout", "--years", "1:100000"]) == 2
    err = capsys.readouterr().err
    assert "--years" in err and "at most 50 fiscal years" in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["sweep", "--budgets", "1:2:1000"], "at most 200 per sweep"),
        (["sweep", "--targets", "90:99:0.000001"], "at most 200 per sweep"),
        (["sweep", "--budgets", f"1,{HUGE}"], "--budgets"),
        (["sweep", "--budgets", "1,1e300"], "--budgets"),
        (["sweep", "--time-limit=nan"], "--time-limit"),
    ],
)
def test_sweep_ranges_say_what_is_wrong(argv, expected, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["optimize", "5g", "--work-limit=1e9"], "--work-limit must be a finite number > 0 and at"),
        (["optimize", "5g", "--work-limit=1e300"], "at most 1e+06 work units"),
        (["rollout", "--work-limit=3e8"], "--work-limit"),
        (["plan", "--work-limit=1e20"], "--work-limit"),
        (["sweep", "--work-limit=1000001"], "--work-limit"),
        (["rollout", "--target", "2030:1.5"], "--target '2030:1.5'"),
        (["rollout", "--target", "2030:0.9:nan"], "--target '2030:0.9:nan'"),
        (["rollout", "--budget-per-year-myen", "nan"], "--budget-per-year-myen must be a finite"),
        (["rollout", "--budget-per-year-myen", "-1"], "--budget-per-year-myen must be a finite"),
        (["rollout", "--years", "2027:2030", "--budget-per-year-myen", "3e8"], "1e+09 over 4"),
        (["sweep", "--targets", "98,99", "--floor", "150"], "--floor"),
        (["sweep", "--targets", "98,150"], "--targets"),
    ],
)
def test_limits_and_shares_name_the_option_the_user_wrote(argv, expected, capsys, no_loading):
    """Issue 16: one line naming the option as typed, never an internal key."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("denen-gis: error: ") and expected in err, err
    assert len(err.splitlines()) == 1
    assert "targets.national" not in err and "targets:" not in err


def test_the_largest_work_limit_is_accepted_by_the_options(capsys, no_loading):
    assert main(["rollout", "--work-limit=1e6"]) == 1  # reached the (stubbed) solve
    assert "not checked before loading" in capsys.readouterr().err


def test_docs_give_the_caps_the_code_uses():
    """Issue 16: docs/cli.md once gave 1e9 as the per-year cap of a four-year rollout."""
    from pathlib import Path

    from denen_gis.scenario_checks import MAX_INDOOR_DB, MAX_MYEN, MAX_WEIGHT_MS, MAX_WORK_LIMIT

    docs = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
    text = " ".join(docs.read_text(encoding="utf-8").split())
    assert (
        f"`rollout --budget-per-year-myen` below {MAX_MYEN:.0e} divided by the number of years"
    ).replace("e+0", "e") in text
    assert f"{MAX_MYEN / 4:.1e}".replace("e+0", "e") + " for the default four years" in text
    assert f"at most {MAX_WORK_LIMIT:.0e} units".replace("e+0", "e") in text
    assert f"at most {MAX_WEIGHT_MS:.0e} ms".replace("e+0", "e") in text
    assert f"below {MAX_INDOOR_DB} dB" in text
