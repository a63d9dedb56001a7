"""The site explorer: payload, Python model, page, and the page in headless Chromium.

One module-scoped build of Tottori (31, about 4,100 cells and 350 candidates)
feeds every test; the browser tests load the written page with every request
that is not ``file:``/``data:`` aborted.
"""

from __future__ import annotations

import base64
import os
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest

from denen_gis.errors import InputError
from denen_gis.explorer import (
    build_explorer,
    explorer_payload,
    explorer_state,
    write_explorer,
)
from denen_gis.render.assets import fetched_urls
from denen_gis.scenario import scenario_from_dict

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

SCENARIO = {
    "scenario": {"name": "explorer test", "time_limit_s": 30},
    "region": {"prefectures": ["31"]},
    "fiveg": {"objective": "coverage", "budget_myen": 400.0},
    "datacenters": {"enabled": False},
    "landings": {"enabled": False},
    "resilience": False,
}


@pytest.fixture(scope="module")
def data():
    return build_explorer(scenario_from_dict(SCENARIO))


@pytest.fixture(scope="module")
def page_path(data, tmp_path_factory):
    return write_explorer(data, tmp_path_factory.mktemp("explorer") / "explorer.html")


def _decode(text: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype)


def _gain(data, selected: list[str]) -> dict[str, int]:
    """People each unchosen site would add to ``selected`` (brute force on the matrix)."""
    covered = data.inputs.covered_before.copy()
    ids = data.site_ids
    for sid in selected:
        covered[data.matrix[:, ids.index(sid)].nonzero()[0]] = True
    pop = data.inputs.population
    out = {}
    for j, sid in enumerate(ids):
        if sid not in selected:
            cells = data.matrix[:, j].nonzero()[0]
            out[sid] = int(pop[cells][~covered[cells]].sum())
    return out


# ---- Python side ----------------------------------------------------------------------


def test_payload_lists_each_sites_uncovered_cells(data):
    p = explorer_payload(data)
    sites = p["sites"]
    offsets = _decode(sites["offsets"], "<u4")
    deltas = _decode(sites["cells"], "<u4").astype(np.int64)
    before = data.inputs.covered_before
    assert len(offsets) == len(data.site_ids) + 1
    for j in range(len(data.site_ids)):
        cells = np.cumsum(deltas[offsets[j] : offsets[j + 1]])
        expected = data.matrix[:, j].nonzero()[0]
        assert cells.tolist() == sorted(expected[~before[expected]].tolist())
    cells = p["cells"]
    assert _decode(cells["pop"], "<i4").tolist() == data.inputs.population.tolist()
    assert _decode(cells["covered"], "u1").astype(bool).tolist() == before.tolist()
    munis = [m["code"] for m in p["munis"]]
    muni = _decode(cells["muni"], "<u2")
    assert [munis[i] for i in muni] == data.inputs.grid["muni_code"].astype(str).tolist()
    assert all(m["name"] != m["code"] for m in p["munis"])  # names from municipalities.parquet


def test_state_is_coverage_today_plus_the_union_of_the_chosen_sites(data):
    ids = data.site_ids
    chosen = [ids[3], ids[40], ids[41], ids[-1]]
    st = explorer_state(data, chosen)
    reach = np.zeros(len(data.inputs.population), dtype=bool)
    for sid in chosen:
        reach[data.matrix[:, ids.index(sid)].nonzero()[0]] = True
    covered = data.inputs.covered_before | reach
    pop = data.inputs.population
    assert st["covered_population"] == int(pop[covered].sum())
    assert st["population"] == int(pop.sum())
    assert st["coverage_pct"] == pytest.approx(100 * pop[covered].sum() / pop.sum(), abs=1e-12)
    assert st["selected"] == sorted(chosen, key=ids.index)
    for sid in chosen:
        without = [s for s in chosen if s != sid]
        assert st["unique_people"][sid] == (
            st["covered_population"] - explorer_state(data, without)["covered_population"]
        )


def test_the_optimizers_plan_is_within_its_budget(data):
    assert data.plan_site_ids
    st = explorer_state(data, data.plan_site_ids)
    assert 0 < st["cost_myen"] <= 400.0
    assert st["covered_population"] > data.covered_before_population


def test_unknown_site_id_is_an_input_error(data):
    with pytest.raises(InputError, match="unknown site id"):
        explorer_state(data, ["no-such-site"])


def test_page_is_self_contained(page_path):
    html = page_path.read_text(encoding="utf-8")
    assert fetched_urls(html) == []
    assert 'data-asset="leaflet"' in html and 'data-asset="explorer_js"' in html
    assert page_path.stat().st_size < 2_000_000


def test_page_labels_in_japanese(data, tmp_path):
    html = write_explorer(data, tmp_path / "ja.html", lang="ja").read_text(encoding="utf-8")
    assert '<html lang="ja">' in html and "最適化案に戻す" in html
    with pytest.raises(InputError, match="lang"):
        write_explorer(data, tmp_path / "x.html", lang="fr")


def test_write_refuses_to_replace_a_foreign_file_without_force(data, tmp_path):
    mine = tmp_path / "notes.html"
    mine.write_text("my own notes", encoding="utf-8")
    with pytest.raises(InputError, match="--force"):
        write_explorer(data, mine)
    assert mine.read_text(encoding="utf-8") == "my own notes"
    write_explorer(data, mine, force=True)
    write_explorer(data, mine)  # an explorer page may be replaced
    with pytest.raises(InputError, match="folder"):
        write_explorer(data, tmp_path)


# ---- in the browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, page_path):
    pg = browser.new_page(viewport={"width": 1280, "height": 800})
    problems: list[str] = []

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            problems.append(f"blocked {r.request.url}")
            r.abort()

    pg.route("**/*", route)
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda exc: problems.append(str(exc)))
    pg.goto(page_path.resolve().as_uri(), wait_until="load")
    pg.wait_for_selector("body[data-ready=true]", timeout=20000)
    yield pg
    assert problems == []
    pg.close()


def _state(pg) -> dict:
    return pg.evaluate("window.denenExplorer.state()")


def _same(st: dict, model: dict) -> None:
    for key in ("covered_population", "population", "coverage_pct", "cost_myen", "selected"):
        assert st[key] == model[key], key


@pytest.mark.browser
def test_click_a_candidate_on_the_map_updates_the_panel(page, data):
    start = _state(page)
    _same(start, explorer_state(data, data.plan_site_ids))
    # the unchosen site that adds the most people, so its circle is not hidden by a neighbour
    gains = _gain(data, start["selected"])
    site = max(gains, key=gains.get)
    page.evaluate(f"window.denenExplorer.map.setView([{_latlon(data, site)}], 14)")
    point = page.evaluate(f"window.denenExplorer.sitePoint({site!r})")
    before_text = page.inner_text("#dx-covered")
    page.mouse.click(point["x"], point["y"])
    after = _state(page)
    assert site in after["selected"]
    _same(after, explorer_state(data, after["selected"]))
    assert page.inner_text("#dx-covered") != before_text
    assert (
        page.inner_text("#dx-covered").replace(",", "").startswith(str(after["covered_population"]))
    )
    assert page.inner_text("#dx-count") == str(len(after["selected"]))
    assert site in page.inner_text("#dx-chosen")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "explorer.png"))


def _latlon(data, site: str) -> str:
    row = data.inputs.candidates.set_index("site_id").loc[site]
    return f"{row.geometry.y}, {row.geometry.x}"


@pytest.mark.browser
def test_state_after_toggles_equals_the_python_model(page, data):
    ids = data.site_ids
    rng = np.random.default_rng(14)
    selected = set(data.plan_site_ids)
    for sid in [*rng.choice(ids, size=12, replace=False).tolist(), data.plan_site_ids[0]]:
        page.evaluate(f"window.denenExplorer.toggle({sid!r})")
        selected ^= {sid}
        model = explorer_state(data, sorted(selected))
        _same(_state(page), model)
    assert page.evaluate("window.denenExplorer.uniquePeople()") == model["unique_people"]
    # the regions table: the whole region first, then each municipality, against 90 and 99 %
    rows = page.locator("#dx-regions tbody tr")
    assert rows.count() == 1 + len(data.municipalities)
    page.click("#dx-clear")
    _same(_state(page), explorer_state(data, []))
    assert "✗" in page.inner_text("#dx-regions")
    page.click("#dx-plan")
    _same(_state(page), explorer_state(data, data.plan_site_ids))


@pytest.mark.browser
def test_suggest_adds_the_best_people_per_yen_site(page, data):
    start = _state(page)["selected"]
    gains = _gain(data, start)
    costs = dict(zip(data.site_ids, data.inputs.candidates["cost_myen"], strict=True))
    best = max(gains[s] / costs[s] for s in gains if gains[s] > 0)
    picked = page.evaluate("window.denenExplorer.suggest()")
    assert gains[picked] / costs[picked] == pytest.approx(best, rel=1e-12)
    assert picked in _state(page)["selected"]
    assert picked in page.inner_text("#dx-message")


@pytest.mark.browser
def test_site_list_is_keyboard_usable(page):
    page.fill("#dx-search", "C31-")
    item = page.locator("#dx-list li").first
    sid = item.get_attribute("data-site")
    was = sid in _state(page)["selected"]
    item.focus()
    page.keyboard.press("Enter")
    assert (sid in _state(page)["selected"]) is not was
    page.keyboard.press(" ")
    assert (sid in _state(page)["selected"]) is was
    page.focus("#dx-clear")
    page.keyboard.press("Enter")
    assert _state(page)["selected"] == []


@pytest.mark.browser
def test_print_view_shows_the_chosen_sites_table(page):
    page.emulate_media(media="print")
    assert page.locator("#dx-chosen").is_visible()
    assert not page.locator("#dx-buttons, .dx-buttons").first.is_visible()
    assert not page.locator("#dx-list").is_visible()


@pytest.mark.browser
def test_exported_toml_reproduces_the_choice_with_plan(page, data, tmp_path):
    from denen_gis.pipeline import plan

    ids = data.site_ids
    for sid in (ids[5], ids[77], data.plan_site_ids[-1]):
        page.evaluate(f"window.denenExplorer.toggle({sid!r})")
    st = _state(page)
    with page.expect_download() as dl:
        page.click("#dx-export")
    path = tmp_path / "choice.toml"
    dl.value.save_as(path)
    assert path.read_text(encoding="utf-8") == page.evaluate("window.denenExplorer.exportToml()")
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert doc["fiveg"]["include_sites"] == st["selected"]
    start = time.perf_counter()
    result = plan(path)
    assert time.perf_counter() - start < 300
    assert sorted(result.new_sites["site_id"], key=ids.index) == st["selected"]
    assert result.headline.cost_myen == pytest.approx(st["cost_myen"], abs=1e-9)
    # The page counts as the optimizer does (a site covers a cell when it alone serves more
    # than half of it); plan.json's headline adds the cells several sites serve together.
    per_site = result.summary["area_rule"]["per_site_covered_population"]
    assert per_site == st["covered_population"]
    assert int(result.summary["coverage_after"]["covered_population"]) >= per_site


def test_every_label_has_english_and_japanese():
    from denen_gis.render.explorer import EXPLORER_LABELS

    for key, texts in EXPLORER_LABELS.items():
        assert set(texts) == {"en", "ja"} and all(texts.values()), key


def test_values_from_the_inputs_cannot_start_markup():
    from denen_gis.render.explorer import explorer_html

    evil = "</script><script>alert(1)</script>"
    html = explorer_html({"region_name": evil, "note": evil}, outlines="{}", lang="en")
    assert evil not in html and "alert(1)" in html
    assert fetched_urls(html) == []
