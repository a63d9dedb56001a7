"""``denen-gis explore``: one offline page for a region (Tottori, 31, in these tests)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from denen_gis.cli import main
from denen_gis.render.assets import fetched_urls

SCENARIO = """\
[scenario]
name = "explore cli"
time_limit_s = 30

[region]
prefectures = ["Shimane"]

[fiveg]
objective = "coverage"
budget_myen = 300
"""


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("explore")
    scenario = folder / "s.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    page = folder / "maps" / "tottori.html"
    # --prefecture replaces the scenario's region (Shimane) with Tottori
    code, out, err = run(
        ["explore", "--scenario", str(scenario), "--prefecture", "31", "--out", str(page),
         "--lang", "ja"]
    )  # fmt: skip
    assert code == 0, err
    assert out == ""  # the note goes to stderr; stdout carries results only
    return page, err


def test_explore_writes_one_offline_page(written):
    page, out = written
    out = " ".join(out.split())
    html = page.read_text(encoding="utf-8")
    assert f"wrote {page}" in out
    sites = re.search(r"(\d+) candidate sites, the optimizer's plan has (\d+)", out)
    assert sites and int(sites[1]) > 0 and 0 < int(sites[2]) <= int(sites[1])
    assert fetched_urls(html) == []
    assert '<html lang="ja">' in html
    assert "鳥取県" in html
    assert 'prefectures = [\\"31\\"]' in html  # the exported scenario's region


def test_explore_refuses_a_foreign_file_and_a_folder(tmp_path):
    foreign = tmp_path / "mine.html"
    foreign.write_text("<p>my notes</p>", encoding="utf-8")
    code, _, err = run(["explore", "--prefecture", "31", "--out", str(foreign)])
    assert code == 2 and "--force" in err
    assert foreign.read_text(encoding="utf-8") == "<p>my notes</p>"
    code, _, err = run(["explore", "--prefecture", "31", "--out", str(tmp_path)])
    assert code == 2 and "folder" in err


def test_explore_needs_a_region(tmp_path):
    code, _, err = run(["explore", "--out", str(tmp_path / "x.html")])
    assert code == 2 and "region" in err


def test_explore_rejects_an_unknown_language(tmp_path):
    code, _, err = run(["explore", "--prefecture", "31", "--lang", "fr",
                        "--out", str(tmp_path / "x.html")])  # fmt: skip
    assert code == 2 and "lang" in err


def test_explore_is_listed_in_help(capsys):
    code, out, _ = run(["--help"])
    assert code == 0 and "explore" in out
