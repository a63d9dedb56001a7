"""Select municipalities by code or name, and cells and sites by region unit.

A planner names a region the way they know it: a 5-digit N03 code (``32203``,
also with the check digit ``322032``), a Japanese name (``松江市``), a name
after its prefecture (``東京都府中市``), or a designated city whose wards it
then means (``札幌市`` / ``01100``). Names that exist more than once (``府中市``,
``伊達市``) are an error that lists the candidates; unknown names suggest
close matches. Prefecture and municipality selections add up (a union).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from denen_gis.errors import InputError
from denen_gis.io.japan import load_municipalities
from denen_gis.io.sources import region_codes, region_of_points

__all__ = [
    "filter_municipalities",
    "filter_region_units",
    "filter_sites_by_region",
    "municipalities_input",
    "municipality_codes",
    "region_units",
    "sites_in_municipalities",
]


def _muni_code_key(value: str) -> str | None:
    """A 5-digit municipality code from ``value`` (5 digits, 6 with the check digit, or 4)."""
    v = value.strip()
    if not v.isdigit():
        return None
    if len(v) == 6:
        return v[:5]
    return v.zfill(5) if len(v) in (4, 5) else None


def _muni_label(row: pd.Series) -> str:
    return f"{row['name_ja']} {row['muni_code']} ({row['pref_name_ja']})"


def _designated_city(munis: pd.DataFrame, code: str) -> list[str]:
    return munis.loc[munis["parent_code"] == code, "muni_code"].tolist()


def _by_code(munis: pd.DataFrame, code: str, given: str) -> list[str]:
    if code in set(munis["muni_code"]):
        return [code]
    wards = _designated_city(munis, code)
    if wards:
        return wards
    msg = f"unknown municipality code {given!r}; see denen-gis data info --municipalities"
    raise InputError(msg)


def _split_prefecture(munis: pd.DataFrame, name: str) -> tuple[pd.DataFrame, str]:
    """Rows of the prefecture a name starts with ('島根県松江市'), and the rest of the name."""
    for pref in sorted(set(munis["pref_name_ja"]), key=len, reverse=True):
        if name.startswith(pref) and len(name) > len(pref):
            return munis[munis["pref_name_ja"] == pref], name[len(pref) :]
    return munis, name


def _by_name(munis: pd.DataFrame, given: str) -> list[str]:
    rows, name = _split_prefecture(munis, given.strip())
    hits = rows[rows["name_ja"] == name]
    cities = rows.loc[rows["parent_name_ja"] == name, ["parent_code", "pref_name_ja"]]
    cities = cities.drop_duplicates("parent_code")
    units = [(str(c), [str(c)]) for c in hits["muni_code"]]
    units += [(str(c), _designated_city(munis, str(c))) for c in cities["parent_code"]]
    if len(units) == 1:
        return units[0][1]
    if len(units) > 1:
        labels = [_muni_label(r) for _, r in hits.iterrows()]
        labels += [
            f"{name} {r.parent_code} ({r.pref_name_ja}, designated city)"
            for r in cities.itertuples()
        ]
        msg = (
            f"municipality name {given!r} is ambiguous: {'; '.join(labels)}; "
            "give the code or the prefecture too (e.g. '{0}{1}')".format(
                hits["pref_name_ja"].iloc[0] if len(hits) else cities["pref_name_ja"].iloc[0],
                name,
            )
        )
        raise InputError(msg)
    names = sorted(set(munis["name_ja"]) | (set(munis["parent_name_ja"]) - {""}))
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    msg = f"unknown municipality {given!r}{hint} (see denen-gis data info --municipalities)"
    raise InputError(msg)


def municipality_codes(municipalities: pd.DataFrame, selectors: Iterable[str]) -> list[str]:
    """Municipality codes selected by codes or Japanese names (sorted, unique).

    A selector is a code (``"32203"``, or with its check digit ``"322032"``),
    a name (``"松江市"``), or a name after its prefecture (``"東京都府中市"``).
    A designated city (``"札幌市"`` or ``"01100"``) selects all its wards.

    Raises
    ------
    InputError
        For an unknown code or name (with close matches) and for a name held
        by several municipalities (with each candidate's code and prefecture).

    Examples
    --------
    >>> from denen_gis.io.japan import load_municipalities
    >>> municipality_codes(load_municipalities(), ["松江市", "32203"])
    ['32201', '32203']
    >>> len(municipality_codes(load_municipalities(), ["札幌市"]))
    10
    """
    munis = pd.DataFrame(municipalities.drop(columns="geometry", errors="ignore"))
    for col in ("muni_code", "name_ja", "pref_code", "pref_name_ja", "parent_code"):
        munis[col] = munis[col].fillna("").astype(str) if col in munis.columns else ""
    if "parent_name_ja" not in munis.columns:
        munis["parent_name_ja"] = ""
    munis["parent_name_ja"] = munis["parent_name_ja"].fillna("").astype(str)
    chosen: set[str] = set()
    for given in selectors:
        text = str(given).strip()
        if not text:
            continue
        code = _muni_code_key(text)
        chosen.update(_by_code(munis, code, text) if code else _by_name(munis, text))
    return sorted(chosen)


def filter_municipalities(
    frame: gpd.GeoDataFrame, codes: Iterable[str], *, column: str = "muni_code"
) -> gpd.GeoDataFrame:
    """Rows of ``frame`` whose ``column`` is one of the municipality ``codes`` (index reset)."""
    if column not in frame.columns:
        msg = f"a municipality filter needs a {column!r} column (the embedded grid has one)"
        raise InputError(msg)
    keep = frame[column].astype(str).isin({str(c) for c in codes}).to_numpy()
    return frame.loc[keep].reset_index(drop=True)


def municipalities_input() -> gpd.GeoDataFrame:
    """The embedded municipalities (N03 2021, with the designated cities' wards)."""
    return load_municipalities()


def filter_region_units(
    frame: gpd.GeoDataFrame,
    *,
    prefectures: Iterable[str] = (),
    municipalities: Iterable[str] = (),
) -> gpd.GeoDataFrame:
    """Rows in any of the whole ``prefectures`` or any of the ``municipalities`` (index reset).

    The frame needs ``pref_code`` for the first and ``muni_code`` for the second.
    """
    prefs, munis = list(prefectures), {str(c) for c in municipalities}
    keep = np.zeros(len(frame), dtype=bool)
    if prefs:
        keep |= frame["pref_code"].astype(str).isin(set(prefs)).to_numpy()
    if munis:
        if "muni_code" not in frame.columns:
            msg = "a municipality filter needs a 'muni_code' column (the embedded grid has one)"
            raise InputError(msg)
        keep |= frame["muni_code"].astype(str).isin(munis).to_numpy()
    return frame.loc[keep].reset_index(drop=True)


def sites_in_municipalities(
    sites: gpd.GeoDataFrame,
    codes: Iterable[str],
    *,
    municipalities: gpd.GeoDataFrame | None = None,
    max_distance_deg: float = 0.01,
) -> np.ndarray:
    """Whether each site (point) lies in one of the municipalities ``codes``.

    Sites on the coast just outside the polygons count within
    ``max_distance_deg`` (0.01 degree is about 1 km).
    """
    munis = municipalities if municipalities is not None else load_municipalities()
    chosen = munis[munis["muni_code"].astype(str).isin({str(c) for c in codes})]
    if chosen.empty or sites.empty:
        return np.zeros(len(sites), dtype=bool)
    regions = gpd.GeoDataFrame(
        {"code": chosen["muni_code"].astype(str).to_numpy()},
        geometry=chosen.geometry.to_numpy(),
        crs=chosen.crs,
    )
    found = region_of_points(
        sites.geometry.x.to_numpy(),
        sites.geometry.y.to_numpy(),
        regions,
        max_distance_deg=max_distance_deg,
    )
    return found != ""


def region_units(
    prefectures: gpd.GeoDataFrame,
    *,
    blocks: Iterable[str] = (),
    codes: Iterable[str] = (),
    sea_of_japan_coast: bool = False,
    municipalities: Iterable[str] = (),
) -> tuple[list[str], list[str]]:
    """Prefectures selected whole, and municipalities selected, by a region filter.

    The filters add up. With only municipalities, no prefecture is selected
    whole; with no filter at all, every prefecture is (see
    :func:`region_codes` and :func:`municipality_codes`).

    Examples
    --------
    >>> from denen_gis.io.japan import load_prefectures
    >>> region_units(load_prefectures(), municipalities=["松江市"])
    ([], ['32201'])
    """
    blocks, codes, selectors = list(blocks), list(codes), list(municipalities)
    munis = municipality_codes(municipalities_input(), selectors) if selectors else []
    if munis and not (blocks or codes or sea_of_japan_coast):
        return [], munis
    whole = region_codes(
        prefectures, blocks=blocks, codes=codes, sea_of_japan_coast=sea_of_japan_coast
    )
    return whole, munis


def filter_sites_by_region(
    sites: gpd.GeoDataFrame,
    *,
    prefectures: Iterable[str] = (),
    municipalities: Iterable[str] = (),
) -> gpd.GeoDataFrame:
    """Sites (with ``pref_code``) in the prefectures selected whole or in the municipalities.

    A site's municipality is the polygon that holds it (sites need not carry
    a ``muni_code``).
    """
    whole, munis = set(prefectures), list(municipalities)
    pref = sites["pref_code"].astype(str)
    keep = pref.isin(whole).to_numpy().copy()
    if munis:
        near = pref.isin({m[:2] for m in munis}).to_numpy() & ~keep
        keep[near] = sites_in_municipalities(sites.loc[near], munis)
    return sites.loc[keep].reset_index(drop=True)
