"""The site explorer page: one self-contained HTML file, Leaflet and the app inlined.

The page is not a folium map: it is a small application (``explorer.js`` and
``explorer.css`` beside this module) over Leaflet, both inlined, with the
region's data embedded as one JSON object whose large arrays are base64 typed
arrays (cells: grid row/column, population, covered today, municipality;
sites: the delta-encoded indices of the cells each would newly cover). Every
figure on the page is computed from those arrays in the browser.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import geopandas as gpd
import shapely

from denen_gis.errors import InputError
from denen_gis.render._elements import esc, js_json
from denen_gis.render.assets import asset_text
from denen_gis.render.basemap import prefecture_payload, simplify_prefectures
from denen_gis.render.i18n import check_lang

__all__ = ["EXPLORER_LABELS", "GENERATOR", "explorer_html", "region_outlines"]

#: Marks a page written by the explorer (a page that may be replaced without --force).
GENERATOR = "denen-gis site explorer"

#: Explorer label key -> {language: text}.
EXPLORER_LABELS: dict[str, dict[str, str]] = {
    "title": {"en": "5G site explorer", "ja": "5G基地局 整備シミュレーター"},
    "people_covered": {"en": "People covered", "ja": "カバー人口"},
    "coverage": {"en": "Coverage", "ja": "カバー率"},
    "cost": {"en": "Cost [million yen]", "ja": "費用［百万円］"},
    "sites_chosen": {"en": "Sites chosen", "ja": "選択した地点"},
    "plan": {"en": "Optimizer's plan", "ja": "最適化案に戻す"},
    "clear": {"en": "Clear all", "ja": "すべて解除"},
    "suggest": {"en": "Suggest the next site", "ja": "次の地点を提案"},
    "export": {"en": "Export scenario (TOML)", "ja": "シナリオを書き出し（TOML）"},
    "print": {"en": "Print", "ja": "印刷"},
    "search": {"en": "Search sites (id or type)", "ja": "地点を検索（IDまたは種別）"},
    "sites": {"en": "Candidate sites", "ja": "候補地点"},
    "regions": {"en": "Prefecture and municipalities", "ja": "都道府県・市区町村"},
    "region": {"en": "Region", "ja": "地域"},
    "population": {"en": "Population", "ja": "人口"},
    "floor": {"en": "≥ {pct}%", "ja": "{pct}%以上"},
    "chosen_table": {"en": "Chosen sites", "ja": "選択した地点"},
    "site": {"en": "Site", "ja": "地点"},
    "kind": {"en": "Type", "ja": "種別"},
    "unique": {
        "en": "People only this site covers",
        "ja": "この地点だけがカバーする人口",
    },
    "gain": {"en": "People it would add", "ja": "追加される人口"},
    "legend_covered": {"en": "Covered today", "ja": "整備済み"},
    "legend_uncovered": {"en": "Uncovered people", "ja": "圏外人口"},
    "legend_new": {"en": "Covered by the chosen sites", "ja": "選択地点でカバー"},
    "legend_site": {"en": "Candidate (click to toggle)", "ja": "候補地点（クリックで選択）"},
    "legend_chosen": {"en": "Chosen site", "ja": "選択した地点"},
    "nothing_to_add": {
        "en": "No site adds anyone now.",
        "ja": "追加でカバーできる人口はありません。",
    },
    "suggested": {"en": "Suggested: {id}", "ja": "提案: {id}"},
    "plan_note": {"en": "No optimizer plan: {note}", "ja": "最適化案なし: {note}"},
    "yes": {"en": "yes", "ja": "達成"},
    "no": {"en": "no", "ja": "未達"},
    "none_chosen": {"en": "No site chosen.", "ja": "地点が選択されていません。"},
    "modelled": {
        "en": "Modelled: outdoor median coverage; candidate sites and costs are modelled. "
        "A new site counts for a 500 m cell when it alone serves more than half of it "
        "(as the optimizer counts); the plan's report also counts cells that several "
        "sites serve together (MIC's rule), slightly more.",
        "ja": "推計値: 屋外・中央値のカバー範囲。候補地点と費用は推計です。"
        "新設地点は単独で500mメッシュの半分超を覆う場合に算入します(最適化と同じ)。"
        "計画の報告書は複数地点で覆うメッシュも数えるため、わずかに多くなります。",
    },
    "persons": {"en": "people", "ja": "人"},
    "myen": {"en": "M yen", "ja": "百万円"},
    "scenario": {"en": "Scenario", "ja": "シナリオ"},
}


@lru_cache(maxsize=4)
def _package_text(name: str) -> str:
    return resources.files("denen_gis.render").joinpath(name).read_text(encoding="utf-8")


def region_outlines(
    prefectures_all: gpd.GeoDataFrame,
    region: gpd.GeoDataFrame,
    *,
    margin_deg: float = 1.0,
) -> str:
    """GeoJSON text of the simplified prefecture outlines near a region.

    Parameters
    ----------
    prefectures_all
        ``regions`` layer of every prefecture.
    region
        The region's prefectures (their bounds, widened by ``margin_deg``
        [degrees], pick the outlines drawn).
    """
    if region.empty:
        msg = "explorer: the region has no prefecture polygons"
        raise InputError(msg)
    w, s, e, n = region.total_bounds
    box = shapely.box(w - margin_deg, s - margin_deg, e + margin_deg, n + margin_deg)
    near = prefectures_all[prefectures_all.intersects(box)]
    # Coarser than the national maps' 0.01 deg would show; the cells carry the detail.
    return prefecture_payload(simplify_prefectures(near, tolerance_deg=0.005))


def _labels(lang: str) -> dict[str, str]:
    return {k: v[lang] for k, v in EXPLORER_LABELS.items()}


def explorer_html(payload: dict[str, Any], *, outlines: str, lang: str = "en") -> str:
    """The whole explorer page.

    Parameters
    ----------
    payload
        The region's data (see :func:`denen_gis.explorer.explorer_payload`).
    outlines
        GeoJSON text of the base map outlines (:func:`region_outlines`).
    lang
        ``"en"`` or ``"ja"``.
    """
    check_lang(lang)
    labels = _labels(lang)
    title = f"{labels['title']}: {payload.get('region_name', '')}"
    head = (
        '<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="generator" content="{GENERATOR}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n"
        f'<style data-asset="leaflet_css">\n{asset_text("leaflet_css")}\n</style>\n'
        f'<style data-asset="explorer_css">\n{_package_text("explorer.css")}\n</style>\n'
        "</head>\n"
    ).replace("{lang}", lang)
    app_js = _package_text("explorer.js").replace("</script", "<\\/script")
    body = (
        "<body>\n"
        f'<header class="dx-header"><h1>{esc(title)}</h1>'
        f'<p class="dx-note">{esc(labels["modelled"])}</p></header>\n'
        '<main class="dx-main"><div id="dx-map" role="application" '
        f'aria-label="{esc(labels["title"])}"></div>'
        '<aside id="dx-panel" aria-live="polite"></aside></main>\n'
        f'<script data-asset="leaflet">\n{asset_text("leaflet")}\n</script>\n'
        f'<script id="dx-data" type="application/json">{js_json(payload)}</script>\n'
        f'<script id="dx-outlines" type="application/json">{outlines}</script>\n'
        f'<script id="dx-labels" type="application/json">{js_json(labels)}</script>\n'
        f'<script data-asset="explorer_js">\n{app_js}\n</script>\n'
        "</body>\n</html>\n"
    )
    return head + body
