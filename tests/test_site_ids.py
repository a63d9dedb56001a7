"""Issue 16: 5G include/exclude site ids are checked once, naming the key or option."""

from __future__ import annotations

import pytest

from denen_gis.cli import main
from denen_gis.errors import InputError
from denen_gis.scenario import load_scenario
from denen_gis.scenario_checks import MAX_SITE_IDS, check_site_ids

SHIMANE = ["--region", "32", "--objective", "coverage", "--budget-myen", "100", "-q"]


def test_unknown_ids_are_all_named_up_to_five():
    known = ["a", "b"]
    with pytest.raises(InputError) as info:
        check_site_ids([f"x{i}" for i in range(8)], [], known=known)
    msg = str(info.value)
    assert msg.startswith("fiveg.include_sites: ")
    assert "'x0'" in msg and "'x4'" in msg and "'x5'" not in msg and "and 3 more" in msg
    assert "\n" not in msg


def test_duplicates_and_conflicts():
    with pytest.raises(InputError, match=r"fiveg\.include_sites: .*'a'.*more than once"):
        check_site_ids(["a", "a"], [])
    with pytest.raises(InputError, match=r"fiveg\.exclude_sites: .*'b'.*both included"):
        check_site_ids(["a", "b"], ["b"], known=["a", "b"])
    with pytest.raises(InputError, match=r"--exclude-sites: .*'c'.*not among"):
        check_site_ids([], ["c"], known=["a"], command_line=True)
    check_site_ids(["a"], ["b"], known=["a", "b"])  # fine


def test_scenario_caps_the_list_length(tmp_path):
    p = tmp_path / "s.toml"
    ids = ", ".join(f"'s{i}'" for i in range(MAX_SITE_IDS + 1))
    p.write_text(f"[fiveg]\ninclude_sites = [{ids}]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"fiveg\.include_sites: .*at most 100,000"):
        load_scenario(p)


def test_scenario_duplicates_name_the_key(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text("[fiveg]\nexclude_sites = ['z', 'z']\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 2: fiveg\.exclude_sites: .*'z'"):
        load_scenario(p)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--include-sites", "U32-00194,U32-00194"], "--include-sites: "),
        (["--include-sites", "U32-00194", "--exclude-sites", "U32-00194"], "--exclude-sites: "),
    ],
)
def test_cli_names_the_option_at_once(capsys, options, expected):
    assert main(["optimize", "5g", *SHIMANE, *options]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and "U32-00194" in err
    assert len(err.splitlines()) == 1


def test_cli_unknown_ids_name_the_option_and_each_id(capsys):
    assert main(["optimize", "5g", *SHIMANE, "--include-sites", "NOPE1,NOPE2"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--include-sites: " in err and "'NOPE1', 'NOPE2'" in err
    assert len(err.splitlines()) == 1


def test_rollout_checks_scenario_ids_the_same_way(tmp_path, capsys):
    p = tmp_path / "s.toml"
    p.write_text("[fiveg]\ninclude_sites = ['NOPE1']\n", encoding="utf-8")
    code = main(["rollout", "--scenario", str(p), "--region", "32", "--years", "2027:2027",
                 "--budget-per-year-myen", "100", "-q"])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "fiveg.include_sites: " in err and "'NOPE1'" in err


def test_cli_repeats_name_the_option_even_with_a_scenario_file(tmp_path, capsys):
    p = tmp_path / "s.toml"
    p.write_text("[fiveg]\nrural_weight = 1.0\n", encoding="utf-8")
    argv = ["optimize", "5g", "--scenario", str(p), *SHIMANE, "--exclude-sites", "a,b,a"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "--exclude-sites: 'a' listed more than once" in err
