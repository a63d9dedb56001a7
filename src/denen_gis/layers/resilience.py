"""Resilience of data-centre access: N-1 cuts and capacity concentration.

:func:`n_minus_1` removes each cable segment, land link, landing backhaul or DC
in turn and reports the population cut off (no path to any DC, or none within
``max_rtt_ms``) and the change of population-weighted RTT, urban and rural.
:func:`compare_cuts` lines two such tables up (before/after the Sea of Japan
cable or the new DCs), so a planner can read off statements like "with the new
cable, a cut of the Pacific trunk between Kitaibaraki and Chikura no longer
cuts off N people" (:func:`relief_statements`).

:func:`capacity_concentration` gives the share of DC capacity in the Tokyo
area, the Osaka area and each modelled seismic region.

Region sets (modelled, documented in ``docs/infrastructure.md``):

- Tokyo area: Saitama, Chiba, Tokyo, Kanagawa (the subsidy rule's definition);
- Osaka area: Kyoto, Osaka, Hyogo, Nara (Keihanshin);
- ``southern_kanto``: the four Tokyo-area prefectures plus Ibaraki, the core
  of the Cabinet Office's Tokyo inland earthquake (首都直下地震) zone;
- ``nankai_trough``: the prefectures with the strongest modelled shaking and
  tsunami along the Nankai trough: Shizuoka, Aichi, Mie, Wakayama, Osaka,
  Hyogo, Tokushima, Kagawa, Ehime, Kochi, Oita, Miyazaki.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from denen_gis.errors import InputError
from denen_gis.layers.network import (
    LatencyModel,
    graph_to_arrays,
    nearest_rtt_ms,
    summarize_rtt,
)

__all__ = [
    "OSAKA_AREA",
    "SEISMIC_REGIONS",
    "TOKYO_AREA",
    "ResilienceReport",
    "capacity_concentration",
    "compare_cuts",
    "n_minus_1",
    "relief_statements",
]

log = logging.getLogger(__name__)

#: Tokyo area of the DC subsidy rule: Saitama, Chiba, Tokyo, Kanagawa.
TOKYO_AREA: tuple[str, ...] = ("11", "12", "13", "14")
#: Osaka area (Keihanshin): Kyoto, Osaka, Hyogo, Nara.
OSAKA_AREA: tuple[str, ...] = ("26", "27", "28", "29")
#: Modelled seismic regions (prefecture codes).
SEISMIC_REGIONS: dict[str, tuple[str, ...]] = {
    "southern_kanto": ("08", "11", "12", "13", "14"),
    "nankai_trough": ("22", "23", "24", "27", "28", "30", "36", "37", "38", "39", "44", "45"),
}

_CUT_KINDS = ("cable", "land", "strait", "backhaul")


def capacity_concentration(
    datacenters: pd.DataFrame, *, sites: Iterable[str] | None = None
) -> dict[str, float]:
    """Share of DC capacity by area and seismic region.

    Parameters
    ----------
    datacenters
        ``site_id``, ``pref_code``, ``status``, ``capacity_mw`` [MW].
    sites
        Site ids added to the existing capacity (a plan). ``None``: existing only.

    Returns
    -------
    dict
        ``total_mw``, ``tokyo_area_share``, ``osaka_area_share``,
        ``tokyo_osaka_share``, ``<region>_share`` per seismic region, and
        ``max_seismic_share`` (all shares 0-1).

    Examples
    --------
    >>> import pandas as pd
    >>> dc = pd.DataFrame({"site_id": ["a", "b"], "pref_code": ["13", "01"],
    ...                    "status": ["existing", "candidate"], "capacity_mw": [60.0, 40.0]})
    >>> capacity_concentration(dc, sites=["b"])["tokyo_area_share"]
    0.6
    """
    for col in ("site_id", "pref_code", "status", "capacity_mw"):
        if col not in datacenters.columns:
            msg = f"datacenters: missing column {col!r} for capacity concentration"
            raise InputError(msg)
    chosen = {str(s) for s in sites} if sites is not None else set()
    unknown = sorted(chosen - set(datacenters["site_id"].astype(str)))
    if unknown:
        msg = f"sites: unknown site id(s) {unknown[:5]}; use ids of the datacenters layer"
        raise InputError(msg)
    use = (datacenters["status"].astype(str) == "existing") | datacenters["site_id"].isin(chosen)
    cap = datacenters.loc[use, "capacity_mw"].to_numpy(dtype=float)
    pref = datacenters.loc[use, "pref_code"].astype(str).to_numpy()
    total = float(cap.sum())

    def share(codes: Iterable[str]) -> float:
        return float(cap[np.isin(pref, list(codes))].sum() / total) if total > 0 else 0.0

    out = {
        "total_mw": total,
        "tokyo_area_share": share(TOKYO_AREA),
        "osaka_area_share": share(OSAKA_AREA),
        "tokyo_osaka_share": share(TOKYO_AREA + OSAKA_AREA),
    }
    for name, codes in SEISMIC_REGIONS.items():
        out[f"{name}_share"] = share(codes)
    out["max_seismic_share"] = max(out[f"{n}_share"] for n in SEISMIC_REGIONS)
    return out


@dataclass(frozen=True)
class ResilienceReport:
    """Result of :func:`n_minus_1`.

    Attributes
    ----------
    baseline
        :func:`~denen_gis.layers.network.summarize_rtt` with nothing removed.
    cuts
        One row per removed element, worst first: ``element`` (edge|dc),
        ``kind``, ``id``, ``a``, ``b``, ``population_cut_off``,
        ``urban_cut_off``, ``rural_cut_off`` [persons], ``mean_rtt_ms``,
        ``urban_rtt_ms``, ``rural_rtt_ms`` [ms] (population-weighted, over
        people still served), ``rtt_increase_ms`` [ms] (population-weighted
        over the people served both before and after the cut: never negative,
        the people cut off never lower it) and ``max_rtt_ms`` [ms] (the worst
        populated cell still served).
    worst
        The first row of ``cuts`` as a dict.
    """

    baseline: dict[str, float]
    cuts: pd.DataFrame
    worst: dict[str, object]


def _demand_arrays(
    graph: nx.Graph, demand: pd.DataFrame | None
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Demand nodes, population, mean local RTT, worst-cell extra RTT, urban flags."""
    if demand is None:
        hubs = [n for n, d in graph.nodes(data=True) if d.get("kind") == "hub"]
        pop = np.array([float(graph.nodes[h].get("population", 0.0)) for h in hubs])
        return hubs, pop, np.zeros(len(hubs)), np.zeros(len(hubs)), None
    for col in ("node", "population"):
        if col not in demand.columns:
            msg = f"demand: missing column {col!r}; build it with network.demand_groups"
            raise InputError(msg)
    local = (
        demand["local_ms"].to_numpy(dtype=float)
        if "local_ms" in demand.columns
        else np.zeros(len(demand))
    )
    # The worst cell of a group lies local_max_ms - local_ms beyond the group's mean.
    extra = (
        np.maximum(demand["local_max_ms"].to_numpy(dtype=float) - local, 0.0)
        if "local_max_ms" in demand.columns
        else np.zeros(len(demand))
    )
    urban = demand["urban"].to_numpy(dtype=bool) if "urban" in demand.columns else None
    return (
        list(demand["node"].astype(str)),
        demand["population"].to_numpy(dtype=float),
        local,
        extra,
        urban,
    )


def n_minus_1(
    graph: nx.Graph,
    demand: pd.DataFrame | None = None,
    *,
    sites: Iterable[str] | None = None,
    kinds: Iterable[str] = _CUT_KINDS,
    include_dcs: bool = True,
    max_rtt_ms: float | None = None,
    latency: LatencyModel | None = None,
) -> ResilienceReport:
    """Remove each link (of ``kinds``) and each DC in turn; measure the damage.

    Parameters
    ----------
    graph
        Backbone with DC nodes (:func:`~denen_gis.layers.network.build_backbone`).
    demand
        Demand groups (``node``, ``population``, ``local_ms``, ``urban``) from
        :func:`~denen_gis.layers.network.demand_groups`; default: hub
        populations.
    sites
        Open DC site ids (default: every DC node).
    kinds
        Edge kinds to cut: ``cable``, ``land``, ``strait``, ``backhaul``.
    include_dcs
        Also remove each open DC in turn.
    max_rtt_ms
        A group also counts as cut off when its population-weighted RTT
        exceeds this [ms].
    latency
        Latency model.

    Raises
    ------
    InputError
        No open DC, unknown site ids or demand nodes, or a bad ``max_rtt_ms``.
    """
    latency = latency or LatencyModel()
    if max_rtt_ms is not None and not max_rtt_ms > 0:
        msg = f"max_rtt_ms must be > 0, got {max_rtt_ms}"
        raise InputError(msg)
    arrays = graph_to_arrays(graph, latency=latency)
    dc_nodes = _open_dc_nodes(graph, sites)
    dc_idx = arrays.indices(dc_nodes, "sites")
    nodes, pop, local, extra, urban = _demand_arrays(graph, demand)
    didx = arrays.indices(nodes, "demand")
    limit = np.inf if max_rtt_ms is None else float(max_rtt_ms)

    def rtt_of(keep: np.ndarray | None, sites_idx: np.ndarray) -> np.ndarray:
        dist, _ = nearest_rtt_ms(arrays, sites_idx, keep=keep, fixed_ms=latency.fixed_ms)
        rtt = dist[didx] + local
        return np.where(rtt <= limit, rtt, np.inf)

    base_rtt = rtt_of(None, dc_idx)

    def evaluate(keep: np.ndarray | None, sites_idx: np.ndarray) -> dict[str, float]:
        rtt = rtt_of(keep, sites_idx)
        out = summarize_rtt(rtt, pop, urban, worst_ms=rtt + extra)
        # The increase over the people served before and after: the people cut off
        # are counted apart and never lower the mean.
        both = np.isfinite(rtt) & np.isfinite(base_rtt) & (pop > 0)
        w = pop[both]
        out["rtt_increase_ms"] = (
            float(((rtt[both] - base_rtt[both]) * w).sum() / w.sum()) if w.sum() > 0 else 0.0
        )
        return out

    base = evaluate(None, dc_idx)
    base.pop("rtt_increase_ms")
    rows = []
    kinds = set(kinds)
    unknown = sorted(kinds - set(_CUT_KINDS))
    if unknown:
        msg = f"kinds: unknown edge kind(s) {unknown}; use {list(_CUT_KINDS)}"
        raise InputError(msg)
    for e, kind in enumerate(arrays.edge_kind):
        if kind not in kinds:
            continue
        keep = np.ones(len(arrays.u), dtype=bool)
        keep[e] = False
        res = evaluate(keep, dc_idx)
        rows.append(
            {
                "element": "edge",
                "kind": kind,
                "id": arrays.edge_id[e],
                "a": arrays.nodes[arrays.u[e]],
                "b": arrays.nodes[arrays.v[e]],
                **res,
            }
        )
    if include_dcs:
        for k, node in enumerate(dc_nodes):
            res = evaluate(None, np.delete(dc_idx, k))
            rows.append({"element": "dc", "kind": "dc", "id": node[3:], "a": node, "b": "", **res})
    cuts = _rank_cuts(rows, base)
    worst = cuts.iloc[0].to_dict() if len(cuts) else {}
    log.info("N-1: %d elements, worst %s", len(cuts), worst.get("id"))
    return ResilienceReport(baseline=base, cuts=cuts, worst=worst)


def _open_dc_nodes(graph: nx.Graph, sites: Iterable[str] | None) -> list[str]:
    """DC nodes to analyse: the given site ids, else every DC node of the graph."""
    if sites is None:
        dc_nodes = [n for n, d in graph.nodes(data=True) if d.get("kind") == "dc"]
    else:
        dc_nodes = [f"dc:{s}" for s in sites]
    if not dc_nodes:
        msg = "sites: no open data centre to analyse; pass datacenters to build_backbone"
        raise InputError(msg)
    return dc_nodes


def _rank_cuts(rows: list[dict], base: dict[str, float]) -> pd.DataFrame:
    """One row per cut element, worst first (population cut off, then RTT increase)."""
    cuts = pd.DataFrame(rows)
    if cuts.empty:
        cuts = pd.DataFrame(columns=["element", "kind", "id", "a", "b", *base])
    if "rtt_increase_ms" not in cuts.columns:
        cuts["rtt_increase_ms"] = cuts["mean_rtt_ms"] - base["mean_rtt_ms"]
    return (
        cuts.drop(columns="population")
        .sort_values(
            ["population_cut_off", "rtt_increase_ms", "id"],
            ascending=[False, False, True],
            kind="stable",
        )
        .reset_index(drop=True)
    )


def compare_cuts(before: ResilienceReport, after: ResilienceReport) -> pd.DataFrame:
    """Line up two N-1 tables element by element.

    An element is matched by ``element``, ``id`` and its two end nodes (in
    either order): the segments of one cable share the cable's id, so the id
    alone does not name a segment.

    Returns one row per element present before (elements new in ``after``,
    such as the new cable's segments, are appended), with ``*_before`` and
    ``*_after`` columns and ``relieved_population`` (cut off before minus
    after [persons]), most relieved first.

    Raises
    ------
    InputError
        A table that lists one element twice.
    """
    cols = [
        "element",
        "kind",
        "id",
        "a",
        "b",
        "population_cut_off",
        "mean_rtt_ms",
        "rtt_increase_ms",
        "urban_rtt_ms",
        "rural_rtt_ms",
    ]
    key = ["element", "id", "_ends"]
    b = _with_ends(before.cuts[cols], "before")
    a = _with_ends(after.cuts, "after")[
        [
            *key,
            "kind",
            "a",
            "b",
            "population_cut_off",
            "mean_rtt_ms",
            "rtt_increase_ms",
            "urban_rtt_ms",
            "rural_rtt_ms",
        ]
    ].rename(columns={"kind": "_kind", "a": "_a", "b": "_b"})
    out = b.merge(a, on=key, how="outer", suffixes=("_before", "_after"))
    new = out["kind"].isna()
    for col in ("kind", "a", "b"):
        out[col] = out[col].where(~new, out[f"_{col}"])
    out = out.drop(columns=["_ends", "_kind", "_a", "_b"])
    out["relieved_population"] = out["population_cut_off_before"].fillna(0) - out[
        "population_cut_off_after"
    ].fillna(0)
    return out.sort_values(
        ["relieved_population", "rtt_increase_ms_before", "id"],
        ascending=[False, False, True],
        kind="stable",
    ).reset_index(drop=True)


def _with_ends(cuts: pd.DataFrame, name: str) -> pd.DataFrame:
    """``cuts`` with ``_ends``: its end nodes in sorted order (edges are undirected)."""
    pairs = zip(cuts["a"].astype(str), cuts["b"].astype(str), strict=True)
    ends = ["|".join(sorted(p)) for p in pairs]
    out = cuts.assign(_ends=ends)
    dup = out.duplicated(["element", "id", "_ends"])
    if dup.any():
        row = out[dup].iloc[0]
        msg = (
            f"compare_cuts: the {name} table lists {row['element']} {row['id']!r} between "
            f"{row['a']} and {row['b']} twice; pass a table from n_minus_1"
        )
        raise InputError(msg)
    return out


def relief_statements(
    comparison: pd.DataFrame, *, limit: int = 5, min_rtt_relief_ms: float = 0.001
) -> list[str]:
    """Plain sentences for the cuts that the change makes harmless (or milder).

    Cuts that cut off fewer people come first; when there are none, the cuts
    whose population-weighted RTT increase falls by more than
    ``min_rtt_relief_ms`` [ms] are described instead.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"kind": ["cable"], "id": ["PAC-05"], "a": ["landing:X"],
    ...                   "b": ["landing:Y"], "population_cut_off_before": [1000.0],
    ...                   "population_cut_off_after": [0.0], "relieved_population": [1000.0]})
    >>> relief_statements(t)[0]
    'a cut of cable PAC-05 between X and Y no longer cuts off 1,000 people (before 1,000, after 0)'
    """
    out = []
    rows = comparison[comparison["relieved_population"] > 0].head(limit)
    if rows.empty and "rtt_increase_ms_before" in comparison.columns:
        drop = comparison["rtt_increase_ms_before"].fillna(0) - comparison[
            "rtt_increase_ms_after"
        ].fillna(0)
        best = comparison.assign(drop=drop)
        best = best[
            (best["drop"] > min_rtt_relief_ms) & (best["population_cut_off_before"].fillna(0) == 0)
        ]
        for row in (
            best.sort_values("drop", ascending=False, kind="stable")
            .head(limit)
            .itertuples(index=False)
        ):
            a = str(row.a).split(":", 1)[-1]
            b = str(row.b).split(":", 1)[-1]
            where = f"between {a} and {b}" if b else f"at {a}"
            out.append(
                f"a cut of {row.kind} {row.id} {where} now raises the population-weighted RTT "
                f"by {row.rtt_increase_ms_after:+.3f} ms instead of "
                f"{row.rtt_increase_ms_before:+.3f} ms"
            )
        return out
    for row in rows.itertuples(index=False):
        a = str(row.a).split(":", 1)[-1]
        b = str(row.b).split(":", 1)[-1]
        where = f"between {a} and {b}" if b else f"at {a}"
        after = row.population_cut_off_after
        after = 0.0 if after != after else after
        verb = "no longer cuts off" if after == 0 else "cuts off fewer people, by"
        out.append(
            f"a cut of {row.kind} {row.id} {where} {verb} {row.relieved_population:,.0f} people "
            f"(before {row.population_cut_off_before:,.0f}, after {after:,.0f})"
        )
    return out
