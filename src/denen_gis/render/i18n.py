"""Map and report labels in English and Japanese.

A small dictionary, not a translation framework: every label a map or report
shows has an ``en`` and a ``ja`` text, and :func:`tr` picks one.
"""

from __future__ import annotations

from denen_gis.errors import InputError

__all__ = ["LABELS", "LANGS", "check_lang", "tr"]

#: Languages with a full set of labels.
LANGS = ("en", "ja")

#: Label key -> {language: text}. Placeholders use str.format names.
LABELS: dict[str, dict[str, str]] = {
    "offline_base": {"en": "Prefectures (offline)", "ja": "都道府県境界（オフライン）"},
    "gsi_std": {"en": "GSI standard map (online)", "ja": "地理院地図 標準（オンライン）"},
    "gsi_pale": {"en": "GSI pale map (online)", "ja": "地理院地図 淡色（オンライン）"},
    "osm": {"en": "OpenStreetMap (online)", "ja": "OpenStreetMap（オンライン）"},
    "coverage_by_pref": {"en": "5G coverage by prefecture", "ja": "都道府県別5Gカバー率"},
    "coverage_by_muni": {"en": "5G coverage by municipality", "ja": "市区町村別5Gカバー率"},
    "municipality": {"en": "Municipality", "ja": "市区町村"},
    "people_unit": {"en": "people", "ja": "人"},
    "coverage_short": {"en": "5G coverage", "ja": "5Gカバー率"},
    "density": {"en": "Population density (1 km)", "ja": "人口密度（1kmメッシュ）"},
    "uncovered_before": {"en": "Uncovered people, before", "ja": "圏外人口（整備前）"},
    "uncovered_after": {"en": "Uncovered people, after", "ja": "圏外人口（整備後）"},
    "urban_rural": {"en": "Urban / rural (DID rule)", "ja": "都市部・農村部（DID基準）"},
    "urban": {"en": "Urban", "ja": "都市部"},
    "rural": {"en": "Rural", "ja": "農村部"},
    "new_sites": {"en": "New 5G sites", "ja": "新規5G基地局"},
    "stations": {"en": "Existing 5G stations (per 10 km)", "ja": "既存5G基地局（10km集計）"},
    "stations_in_cell": {"en": "stations in this 10 km cell", "ja": "局（10kmメッシュ内）"},
    "datacenters": {"en": "Data centres", "ja": "データセンター"},
    "cables": {"en": "Submarine cables", "ja": "海底ケーブル"},
    "landings": {"en": "Landing stations", "ja": "陸揚げ局"},
    "backbone": {"en": "Backbone links", "ja": "基幹回線"},
    "rtt": {"en": "Round-trip time to nearest DC", "ja": "最寄りDCまでの往復遅延"},
    "resilience": {"en": "Which cut hurts most", "ja": "断線の影響（大きい順）"},
    "scenario": {"en": "Scenario", "ja": "シナリオ"},
    "date": {"en": "Date", "ja": "作成日"},
    "modelled": {"en": "Modelled layers", "ja": "推計レイヤー"},
    "none": {"en": "none", "ja": "なし"},
    "prefecture": {"en": "Prefecture", "ja": "都道府県"},
    "population": {"en": "Population [persons]", "ja": "人口［人］"},
    "people_km2": {"en": "People per km²", "ja": "人/km²"},
    "uncovered_people": {"en": "Uncovered people per 1 km cell", "ja": "1kmメッシュ当たり圏外人口"},
    "coverage_before": {"en": "Coverage before [%]", "ja": "整備前カバー率［%］"},
    "coverage_after": {"en": "Coverage after [%]", "ja": "整備後カバー率［%］"},
    "target": {"en": "Target [%]", "ja": "目標［%］"},
    "gap": {"en": "Gap to target [pp]", "ja": "目標との差［pt］"},
    "coverage_pct": {"en": "Population coverage [%]", "ja": "人口カバー率［%］"},
    "site": {"en": "Site", "ja": "地点"},
    "station_type": {"en": "Station type", "ja": "基地局種別"},
    "cost": {"en": "Cost [million yen]", "ja": "費用［百万円］"},
    "fiscal_year": {"en": "Fiscal year", "ja": "年度"},
    "people_added": {"en": "People newly covered", "ja": "新たにカバーされる人口"},
    "status": {"en": "Status", "ja": "状況"},
    "existing": {"en": "existing", "ja": "既存"},
    "funded": {"en": "funded", "ja": "補助採択"},
    "candidate": {"en": "candidate", "ja": "候補"},
    "planned": {"en": "planned", "ja": "計画"},
    "chosen": {"en": "chosen", "ja": "選定"},
    "capacity": {"en": "Capacity [MW]", "ja": "容量［MW］"},
    "name": {"en": "Name", "ja": "名称"},
    "length": {"en": "Length [km]", "ja": "延長［km］"},
    "land": {"en": "land", "ja": "陸上"},
    "submarine": {"en": "submarine", "ja": "海底"},
    "rtt_ms": {"en": "RTT [ms]", "ja": "往復遅延［ms］"},
    "element": {"en": "Element cut", "ja": "断線箇所"},
    "population_cut": {"en": "People cut off", "ja": "孤立する人口"},
    "rtt_increase": {"en": "RTT increase [ms]", "ja": "遅延増加［ms］"},
    "difference": {"en": "Difference (right − left)", "ja": "差分（右 − 左）"},
    "legend": {"en": "Legend", "ja": "凡例"},
    "sea": {"en": "Sea", "ja": "海"},
    "no_data": {"en": "no data", "ja": "データなし"},
    "site_count": {"en": "sites", "ja": "地点"},
    "calibrated": {"en": "calibrated to official totals", "ja": "公的統計の総数に合わせて推計"},
    "m_population": {"en": "1 km population grid", "ja": "1kmメッシュ人口"},
    "m_stations": {"en": "existing 5G stations", "ja": "既存5G基地局"},
    "m_coverage": {"en": "5G coverage (link budget)", "ja": "5Gカバー範囲（回線設計）"},
    "m_candidates": {"en": "candidate sites and costs", "ja": "候補地点と費用"},
    "m_latency": {"en": "latency (route km × fibre delay)", "ja": "遅延（経路長×光ファイバ遅延）"},
    "m_capacity": {"en": "data-centre capacity", "ja": "データセンター容量"},
    "site_explain": {
        "en": "Adds 5G coverage for {people} people at {cost} million yen ({per} yen per person).",
        "ja": "{cost}百万円で{people}人に新たに5Gを提供（1人当たり{per}円）。",
    },
    "newly_covered": {"en": "Newly covered people", "ja": "新たにカバーされる人口"},
    "size_by_capacity": {"en": "circle area ∝ capacity", "ja": "円の面積は容量に比例"},
    "dc_chosen": {"en": "chosen site", "ja": "選定地点"},
    "more_rows": {"en": "more rows", "ja": "行省略"},
    # Report
    "report_title": {"en": "denen-gis run summary", "ja": "denen-gis 実行結果の概要"},
    "headline": {"en": "Headline figures", "ja": "主要指標"},
    "by_prefecture": {"en": "Coverage by prefecture", "ja": "都道府県別カバー率"},
    "urban_rural_table": {"en": "Urban and rural", "ja": "都市部と農村部"},
    "lowest_munis": {
        "en": "Lowest municipalities ({n} lowest by coverage, population at least {floor})",
        "ja": "カバー率の低い市区町村（下位{n}、人口{floor}人以上）",
    },
    "solver": {"en": "Solver report", "ja": "ソルバー報告"},
    "plot_coverage": {
        "en": "Coverage by prefecture, before and after",
        "ja": "都道府県別カバー率（整備前・整備後）",
    },
    "before": {"en": "before", "ja": "整備前"},
    "after": {"en": "after", "ja": "整備後"},
    "budget": {"en": "Budget [million yen]", "ja": "予算［百万円］"},
    "urban_rural_gap": {"en": "Urban−rural gap [pp]", "ja": "都市・農村格差［pt］"},
    "budget_curve": {"en": "Coverage for the budget", "ja": "予算とカバー率"},
    "cost_curve": {"en": "Cost of the last percent", "ja": "最後の1%の費用"},
    "national_target": {"en": "National coverage target [%]", "ja": "全国カバー率目標［%］"},
    "cumulative_cost": {"en": "Cumulative cost [million yen]", "ja": "累積費用［百万円］"},
    "marginal_cost": {
        "en": "Marginal cost [yen per person]",
        "ja": "限界費用［円／人］",
    },
    "unreachable": {"en": "unreachable", "ja": "到達不能"},
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if it has labels, else raise :class:`InputError`."""
    if lang not in LANGS:
        msg = f"lang must be one of {list(LANGS)}, got {lang!r}"
        raise InputError(msg)
    return lang


def tr(key: str, lang: str = "en") -> str:
    """The label ``key`` in ``lang`` (``"en"`` or ``"ja"``).

    Examples
    --------
    >>> tr("urban", "ja")
    '都市部'
    """
    check_lang(lang)
    return LABELS[key][lang]
