"""Who is cut off, and how much capacity is left, when a set of elements fails.

An *element* is one physical thing that fails as a whole: a link id (a land
route, a strait crossing or a cable segment; a route drawn through a waypoint
has two edges with one id), a landing station or a data centre. A failure is
a set of elements and failed nodes (a hazard zone fails both).

Measures of a failure (:func:`measure_failure`):

- people cut off from every **core exchange** (hubs with ``exchange == "core"``:
  Tokyo and Osaka), from every **international landing** and from every open
  **data centre** [persons]: the population of hubs whose component holds none
  (a failed hub's people are cut off from all three);
- the **interregional capacity** [Tbps]: for each of the nine regions (the
  eight blocks, Okinawa apart from Kyushu) the max flow from its hubs to all
  other hubs over the surviving links (networkx max flow = min cut), and the
  smallest of the nine: what the weakest region can still exchange;
- ``people_at_failed_hubs`` [persons]: the part of the people cut off whose own
  prefecture hub lies in the failure (no route can help them);
- the **RTT detour** [ms] to the nearest data centre of the people connected
  both before and after, population-weighted over exactly those people; the
  people cut off are reported apart and never enter the mean.

Connectivity is computed with scipy's connected components on edge masks, so
exhaustive N-2 (:func:`n_minus_k`) over a few hundred elements takes seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from denen_gis.errors import InputError
from denen_gis.layers.network import LatencyModel, graph_to_arrays, nearest_rtt_ms

__all__ = [
    "FailureMeasures",
    "FailureNetwork",
    "NkResult",
    "failure_network",
    "measure_failure",
    "n_minus_k",
    "region_of_hub",
]

log = logging.getLogger(__name__)

_LINK_KINDS = ("land", "strait", "cable")


def region_of_hub(data: dict) -> str:
    """The region of a hub: its block, with Okinawa (47) apart from Kyushu."""
    if str(data.get("pref_code", "")) == "47":
        return "Okinawa"
    return str(data.get("block", "")) or "?"


@dataclass(frozen=True)
class FailureNetwork:
    """A backbone as arrays for fast failure analysis.

    ``edge_elem`` maps each edge to its element index (-1: not an element, such
    as a backhaul); ``node_elem`` maps each node likewise (landings, open DCs).
    """

    graph: nx.Graph = field(repr=False)
    nodes: tuple[str, ...]
    u: np.ndarray = field(repr=False)
    v: np.ndarray = field(repr=False)
    edge_ids: tuple[str, ...] = field(repr=False)
    edge_elem: np.ndarray = field(repr=False)
    node_elem: np.ndarray = field(repr=False)
    elements: tuple[str, ...]
    element_kind: tuple[str, ...]
    population: np.ndarray = field(repr=False)
    core: np.ndarray = field(repr=False)
    international: np.ndarray = field(repr=False)
    dcs: np.ndarray = field(repr=False)

    def edge_mask(self, failed_elements: Iterable[int], failed_nodes: np.ndarray) -> np.ndarray:
        """Edges that survive: not of a failed element, both ends alive."""
        keep = ~failed_nodes[self.u] & ~failed_nodes[self.v]
        failed = np.fromiter(failed_elements, dtype=np.int64)
        if failed.size:
            keep &= ~np.isin(self.edge_elem, failed)
        return keep

    def node_mask(
        self, failed_elements: Iterable[int], extra: np.ndarray | None = None
    ) -> np.ndarray:
        """Failed nodes: node elements in ``failed_elements`` plus ``extra``."""
        dead = np.zeros(len(self.nodes), dtype=bool) if extra is None else extra.copy()
        failed = np.fromiter(failed_elements, dtype=np.int64)
        if failed.size:
            dead |= np.isin(self.node_elem, failed)
        return dead

    def isolated(self, keep: np.ndarray, dead: np.ndarray) -> tuple[int, int, int]:
        """People cut off from every core exchange, international landing and DC."""
        n = len(self.nodes)
        u, v = self.u[keep], self.v[keep]
        mat = sparse.coo_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n, n)).tocsr()
        ncomp, label = csgraph.connected_components(mat, directed=False)
        out = []
        people = self.population > 0
        for targets in (self.core, self.international, self.dcs):
            has = np.zeros(ncomp, dtype=bool)
            has[label[targets & ~dead]] = True
            cut = people & (dead | ~has[label])
            out.append(round(float(self.population[cut].sum())))
        return out[0], out[1], out[2]


def failure_network(graph: nx.Graph, *, sites: Sequence[str] | None = None) -> FailureNetwork:
    """Arrays of ``graph`` for failure analysis; ``sites``: open DC ids (default: all).

    Raises
    ------
    InputError
        An unknown site id.
    """
    nodes = tuple(graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    edges = list(graph.edges(data=True))
    u = np.array([index[a] for a, _, _ in edges], dtype=np.int64)
    v = np.array([index[b] for _, b, _ in edges], dtype=np.int64)
    ids = tuple(str(d.get("id", "")) for _, _, d in edges)
    kinds = [str(d.get("kind", "")) for _, _, d in edges]
    open_dcs = _open_dcs(graph, sites)
    elements: list[str] = []
    elem_kind: list[str] = []
    where: dict[str, int] = {}
    edge_elem = np.full(len(edges), -1, dtype=np.int64)
    for e, (eid, kind) in enumerate(zip(ids, kinds, strict=True)):
        if kind in _LINK_KINDS:
            if eid not in where:
                where[eid] = len(elements)
                elements.append(eid)
                elem_kind.append("cable" if kind == "cable" else "link")
            edge_elem[e] = where[eid]
    node_elem = np.full(len(nodes), -1, dtype=np.int64)
    for i, n in enumerate(nodes):
        kind = graph.nodes[n].get("kind")
        if kind == "landing" or (kind == "dc" and n in open_dcs):
            node_elem[i] = len(elements)
            elements.append(n)
            elem_kind.append(str(kind))
    attr = graph.nodes
    return FailureNetwork(
        graph=graph,
        nodes=nodes,
        u=u,
        v=v,
        edge_ids=ids,
        edge_elem=edge_elem,
        node_elem=node_elem,
        elements=tuple(elements),
        element_kind=tuple(elem_kind),
        population=np.array(
            [
                float(attr[n].get("population", 0.0)) if attr[n].get("kind") == "hub" else 0.0
                for n in nodes
            ]
        ),
        core=np.array([attr[n].get("exchange") == "core" for n in nodes], dtype=bool),
        international=np.array(
            [
                bool(attr[n].get("international")) and bool(attr[n].get("active", True))
                for n in nodes
            ],
            dtype=bool,
        ),
        dcs=np.array([n in open_dcs for n in nodes], dtype=bool),
    )


def _open_dcs(graph: nx.Graph, sites: Sequence[str] | None) -> set[str]:
    all_dcs = {n for n, d in graph.nodes(data=True) if d.get("kind") == "dc"}
    if sites is None:
        return all_dcs
    chosen = {f"dc:{s}" for s in sites}
    unknown = sorted(chosen - all_dcs)
    if unknown:
        msg = f"sites: unknown DC site(s) {unknown[:5]}; use site ids of the datacenters layer"
        raise InputError(msg)
    return chosen


@dataclass(frozen=True)
class FailureMeasures:
    """The measures of one failure (see the module docstring for definitions)."""

    isolated_from_core: int
    isolated_from_international: int
    isolated_from_datacenters: int
    interregional_capacity_tbps: float
    capacity_by_region_tbps: dict[str, float]
    connected_people: int
    rtt_detour_ms: float
    people_at_failed_hubs: int = 0

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready values."""
        return {
            "isolated_from_core": self.isolated_from_core,
            "isolated_from_international": self.isolated_from_international,
            "isolated_from_datacenters": self.isolated_from_datacenters,
            "interregional_capacity_tbps": self.interregional_capacity_tbps,
            "capacity_by_region_tbps": dict(self.capacity_by_region_tbps),
            "connected_people": self.connected_people,
            "rtt_detour_ms": self.rtt_detour_ms,
            "people_at_failed_hubs": self.people_at_failed_hubs,
        }


def _capacity_by_region(
    net: FailureNetwork, keep: np.ndarray, dead: np.ndarray
) -> dict[str, float]:
    """Max flow [Tbps] from each region's hubs to every other hub over surviving edges."""
    g = net.graph
    h = nx.Graph()
    for e in np.flatnonzero(keep):
        a, b = net.nodes[net.u[e]], net.nodes[net.v[e]]
        cap = float(g.edges[a, b].get("capacity_tbps", 0.0))
        h.add_edge(a, b, capacity=cap)
    regions: dict[str, list[str]] = {}
    for i, n in enumerate(net.nodes):
        d = g.nodes[n]
        if d.get("kind") == "hub":
            regions.setdefault(region_of_hub(d), []).append("" if dead[i] else n)
    out = {}
    for name in sorted(regions):
        src = [n for n in regions[name] if n and n in h]
        dst = [n for r, hubs in regions.items() if r != name for n in hubs if n and n in h]
        if not src or not dst:
            out[name] = 0.0
            continue
        f = h.copy()
        f.add_edges_from(("_S", n) for n in src)
        f.add_edges_from((n, "_T") for n in dst)
        out[name] = round(float(nx.maximum_flow_value(f, "_S", "_T")), 3)
    return out


def measure_failure(
    net: FailureNetwork,
    *,
    failed_nodes: Iterable[str] = (),
    failed_edge_ids: Iterable[str] = (),
    latency: LatencyModel | None = None,
) -> FailureMeasures:
    """Measures of the failure of ``failed_nodes`` and the links ``failed_edge_ids``."""
    latency = latency or LatencyModel()
    index = {n: i for i, n in enumerate(net.nodes)}
    dead = np.zeros(len(net.nodes), dtype=bool)
    dead[[index[n] for n in failed_nodes if n in index]] = True
    ids = set(failed_edge_ids)
    keep = ~dead[net.u] & ~dead[net.v] & ~np.isin(np.array(net.edge_ids, dtype=object), list(ids))
    core, intl, dcs = net.isolated(keep, dead)
    cap = _capacity_by_region(net, keep, dead)
    arrays = graph_to_arrays(net.graph, latency=latency)
    sites_all = np.flatnonzero(net.dcs)
    before, _ = nearest_rtt_ms(arrays, sites_all, fixed_ms=latency.fixed_ms)
    after, _ = nearest_rtt_ms(
        arrays, sites_all[~dead[sites_all]], keep=keep, fixed_ms=latency.fixed_ms
    )
    after = np.where(dead, np.inf, after)
    both = (net.population > 0) & np.isfinite(before) & np.isfinite(after)
    pop = net.population[both]
    detour = float(((after[both] - before[both]) * pop).sum() / pop.sum()) if pop.sum() > 0 else 0.0
    return FailureMeasures(
        isolated_from_core=core,
        isolated_from_international=intl,
        isolated_from_datacenters=dcs,
        interregional_capacity_tbps=min(cap.values()) if cap else 0.0,
        capacity_by_region_tbps=cap,
        connected_people=round(float(pop.sum())),
        rtt_detour_ms=round(max(detour, 0.0), 4),
        people_at_failed_hubs=round(float(net.population[dead].sum())),
    )


def _harmless_second(
    net: FailureNetwork,
    keep: np.ndarray,
    edges_of: Sequence[np.ndarray],
    node_of: Sequence[np.ndarray],
    target: np.ndarray,
    candidates: Iterable[int],
) -> list[bool]:
    """For each candidate element j: failing it on top cannot change any measure.

    True when j's links are already gone, or are one bridge-free route (a
    single edge, or two edges in series through a waypoint) of the surviving
    graph; or when j is a node that is neither a target (DC, international
    landing) nor an articulation point. The components then stay the same
    except for nodes without people or targets.
    """
    h = nx.Graph()
    h.add_edges_from(zip(net.u[keep].tolist(), net.v[keep].tolist(), strict=True))
    bridges = {(min(a, b), max(a, b)) for a, b in nx.bridges(h)}
    cut_nodes = set(nx.articulation_points(h))
    out = []
    for j in candidates:
        if len(node_of[j]):
            node = int(node_of[j][0])
            out.append(not target[node] and node not in cut_nodes)
            continue
        live = edges_of[j][keep[edges_of[j]]]
        if len(live) == 0:
            out.append(True)
            continue
        series = len(live) == 1 or (
            len(live) == 2
            and len({int(net.u[e]) for e in live} | {int(net.v[e]) for e in live}) == 3
            and all(h.degree(x) == 2 for x in _shared(net, live))
        )
        pairs = {
            (min(int(net.u[e]), int(net.v[e])), max(int(net.u[e]), int(net.v[e]))) for e in live
        }
        out.append(series and not (pairs & bridges))
    return out


def _shared(net: FailureNetwork, live: np.ndarray) -> set[int]:
    a = {int(net.u[live[0]]), int(net.v[live[0]])}
    b = {int(net.u[live[1]]), int(net.v[live[1]])}
    return a & b


@dataclass(frozen=True)
class NkResult:
    """Exhaustive N-k: every set of ``k`` elements failed together.

    ``worst`` lists the worst failures first: ``elements`` (names), and the
    people cut off from core exchanges, international landings and DCs, and
    ``people_cut_off`` (from at least one of them: the largest of the three).
    """

    k: int
    elements: int
    pairs: int
    seconds: float
    worst: tuple[dict[str, object], ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "k": self.k,
            "elements": self.elements,
            "pairs": self.pairs,
            "seconds": self.seconds,
            "worst": [dict(w) for w in self.worst],
        }


def n_minus_k(net: FailureNetwork, *, k: int = 2, top: int = 10) -> NkResult:
    """Fail every set of ``k`` elements (links, landings, DCs); rank by people cut off.

    Only connectivity is evaluated (one connected-components call per set).

    Raises
    ------
    InputError
        ``k`` not 1 or 2.
    """
    if k not in (1, 2):
        msg = f"k must be 1 or 2, got {k}"
        raise InputError(msg)
    start = time.perf_counter()
    m = len(net.elements)
    edges_of = [np.flatnonzero(net.edge_elem == i) for i in range(m)]
    node_of = [np.flatnonzero(net.node_elem == i) for i in range(m)]
    node_edges = [
        np.flatnonzero(np.isin(net.u, nodes) | np.isin(net.v, nodes)) if len(nodes) else nodes
        for nodes in node_of
    ]
    target = net.dcs | net.international

    def state(combo: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        keep = np.ones(len(net.u), dtype=bool)
        dead = np.zeros(len(net.nodes), dtype=bool)
        for i in combo:
            keep[edges_of[i]] = False
            keep[node_edges[i]] = False
            dead[node_of[i]] = True
        return keep, dead

    rows: list[tuple[int, int, int, int, tuple[int, ...]]] = []
    n_sets = 0
    for i in range(m):
        keep_i, dead_i = state((i,))
        res_i = net.isolated(keep_i, dead_i)
        if k == 1:
            rows.append((max(res_i), *res_i, (i,)))
            n_sets += 1
            continue
        unchanged = _harmless_second(net, keep_i, edges_of, node_of, target, range(i + 1, m))
        for j in range(i + 1, m):
            n_sets += 1
            res = res_i if unchanged[j - i - 1] else net.isolated(*state((i, j)))
            rows.append((max(res), *res, (i, j)))
    rows.sort(key=lambda r: (-r[0], -r[1], -r[3], r[4]))
    worst = tuple(
        {
            "elements": [net.elements[i] for i in r[4]],
            "kinds": [net.element_kind[i] for i in r[4]],
            "people_cut_off": r[0],
            "isolated_from_core": r[1],
            "isolated_from_international": r[2],
            "isolated_from_datacenters": r[3],
        }
        for r in rows[:top]
    )
    seconds = round(time.perf_counter() - start, 3)
    log.info("N-%d: %d sets of %d elements in %.1f s", k, n_sets, m, seconds)
    return NkResult(k=k, elements=m, pairs=n_sets, seconds=seconds, worst=worst)
