"""Latency over the backbone: the RTT model, shortest paths and access to the nearest DC.

The backbone graph itself is built in :mod:`denen_gis.layers.backbone`
(:func:`build_backbone`, re-exported here for existing callers).

Latency model (:class:`LatencyModel`): light in fibre travels at c/n with a
group index n of about 1.47, i.e. 1/(299,792.458 km/s / 1.47) = 4.9 µs/km one
way; we use 5 µs/km. The round-trip time of a path is

    RTT [ms] = 2 x route km x delay + hops x hop_ms + fixed_ms

where ``hop_ms`` (0.1 ms) covers the router/ROADM processing in both directions
at each link traversed and ``fixed_ms`` (0.5 ms) the access network and the DC
edge equipment. Route km of a land link is the great-circle distance times a
route factor (1.4: fibre follows roads and railways); a mesh cell reaches its
prefecture hub over great-circle km x the same factor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from denen_gis.errors import InputError
from denen_gis.geodesy import haversine_km
from denen_gis.layers.backbone import ROUTE_FACTOR, build_backbone, hub_node
from denen_gis.mesh import mesh_centroids

__all__ = [
    "FIBRE_DELAY_US_PER_KM",
    "ROUTE_FACTOR",
    "AccessResult",
    "GraphArrays",
    "LatencyModel",
    "build_backbone",
    "demand_groups",
    "graph_to_arrays",
    "hub_node",
    "nearest_rtt_ms",
    "rtt_matrix_ms",
    "rtt_to_nearest_dc",
    "summarize_rtt",
]

#: One-way delay in fibre [µs/km]: 1/(c/n) with n = 1.47 is 4.9 µs/km, rounded up.
FIBRE_DELAY_US_PER_KM = 5.0


def _require(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{source}: missing column(s) {missing}; columns present: {list(frame.columns)}"
        raise InputError(msg)


@dataclass(frozen=True)
class LatencyModel:
    """Round-trip time of fibre paths.

    Parameters
    ----------
    delay_us_per_km
        One-way propagation delay [µs/km].
    hop_ms
        Round-trip equipment delay added per link traversed [ms].
    fixed_ms
        Round-trip delay of the access network and DC edge, once per path [ms].
    route_factor
        Route km per great-circle km for local links (mesh cell to hub) [-].
    """

    delay_us_per_km: float = FIBRE_DELAY_US_PER_KM
    hop_ms: float = 0.1
    fixed_ms: float = 0.5
    route_factor: float = ROUTE_FACTOR

    def __post_init__(self) -> None:
        for name in ("delay_us_per_km", "hop_ms", "fixed_ms"):
            if not getattr(self, name) >= 0:
                msg = f"LatencyModel: {name} must be >= 0, got {getattr(self, name)}"
                raise InputError(msg)
        if not self.route_factor >= 1:
            msg = f"LatencyModel: route_factor must be >= 1, got {self.route_factor}"
            raise InputError(msg)

    def link_ms(self, length_km: npt.ArrayLike) -> np.ndarray:
        """RTT contribution of links of ``length_km`` route km [ms]."""
        return 2.0 * np.asarray(length_km, dtype=float) * self.delay_us_per_km / 1000.0 + (
            self.hop_ms
        )

    def local_ms(self, distance_km: npt.ArrayLike) -> np.ndarray:
        """RTT of a local path of great-circle ``distance_km`` (no hop term) [ms]."""
        return (
            2.0
            * np.asarray(distance_km, dtype=float)
            * self.route_factor
            * self.delay_us_per_km
            / 1000.0
        )


@dataclass(frozen=True)
class GraphArrays:
    """The backbone as arrays for scipy: node order, edge endpoints and RTT weights."""

    nodes: tuple[str, ...]
    index: dict[str, int] = field(repr=False)
    u: np.ndarray = field(repr=False)
    v: np.ndarray = field(repr=False)
    edge_ms: np.ndarray = field(repr=False)
    edge_kind: tuple[str, ...] = field(repr=False)
    edge_id: tuple[str, ...] = field(repr=False)

    def matrix(self, keep: np.ndarray | None = None) -> sparse.csr_matrix:
        """Symmetric CSR matrix of edge RTT [ms], only edges where ``keep``."""
        u, v, w = self.u, self.v, self.edge_ms
        if keep is not None:
            u, v, w = u[keep], v[keep], w[keep]
        n = len(self.nodes)
        # csgraph treats explicit zeros as missing edges: keep a tiny positive weight.
        w = np.maximum(w, 1e-9)
        return sparse.coo_matrix(
            (np.concatenate([w, w]), (np.concatenate([u, v]), np.concatenate([v, u]))),
            shape=(n, n),
        ).tocsr()

    def indices(self, names: Iterable[str], what: str = "node") -> np.ndarray:
        """Positions of the named nodes; InputError naming the unknown ones."""
        names = list(names)
        bad = [n for n in names if n not in self.index]
        if bad:
            msg = f"{what}: {bad[:5]} not in the backbone graph; use node names like 'hub:13'"
            raise InputError(msg)
        return np.array([self.index[n] for n in names], dtype=np.int64)


def graph_to_arrays(graph: nx.Graph, *, latency: LatencyModel | None = None) -> GraphArrays:
    """Arrays of a backbone graph with RTT edge weights [ms] under ``latency``."""
    latency = latency or LatencyModel()
    nodes = tuple(graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    edges = list(graph.edges(data=True))
    u = np.array([index[a] for a, _, _ in edges], dtype=np.int64)
    v = np.array([index[b] for _, b, _ in edges], dtype=np.int64)
    km = np.array([d["length_km"] for _, _, d in edges], dtype=float)
    return GraphArrays(
        nodes=nodes,
        index=index,
        u=u,
        v=v,
        edge_ms=latency.link_ms(km),
        edge_kind=tuple(str(d.get("kind", "")) for _, _, d in edges),
        edge_id=tuple(str(d.get("id", "")) for _, _, d in edges),
    )


def rtt_matrix_ms(
    graph: nx.Graph | GraphArrays,
    sources: Sequence[str],
    targets: Sequence[str],
    *,
    latency: LatencyModel | None = None,
) -> np.ndarray:
    """Round-trip time [ms] between node sets, shape ``(len(sources), len(targets))``.

    Runs scipy's Dijkstra from the smaller of the two sets (a few hundred nodes:
    far faster than networkx for many sources). Unreachable pairs are ``inf``.

    Examples
    --------
    >>> import pandas as pd
    >>> hubs = pd.DataFrame({"code": ["a", "b"], "lon": [135.0, 136.0], "lat": [35.0, 35.0]})
    >>> g = build_backbone(hubs, pd.DataFrame({"from_code": ["a"], "to_code": ["b"],
    ...                                        "length_km": [100.0]}))
    >>> rtt_matrix_ms(g, ["hub:a"], ["hub:b"]).round(2).tolist()  # 2*100*0.005+0.1+0.5
    [[1.6]]
    """
    latency = latency or LatencyModel()
    arrays = graph if isinstance(graph, GraphArrays) else graph_to_arrays(graph, latency=latency)
    src = arrays.indices(sources, "sources")
    tgt = arrays.indices(targets, "targets")
    mat = arrays.matrix()
    if len(src) <= len(tgt):
        dist = csgraph.dijkstra(mat, directed=False, indices=src)[:, tgt]
    else:
        dist = csgraph.dijkstra(mat, directed=False, indices=tgt)[:, src].T
    return dist + latency.fixed_ms


def nearest_rtt_ms(
    arrays: GraphArrays,
    sites: np.ndarray,
    *,
    keep: np.ndarray | None = None,
    fixed_ms: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """RTT [ms] from every node to its nearest site and that site's node index.

    One multi-source Dijkstra; ``keep`` masks edges (for cut analysis).
    Unreachable nodes get ``inf`` and index -1.
    """
    if len(sites) == 0:
        n = len(arrays.nodes)
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    dist, _, src = csgraph.dijkstra(
        arrays.matrix(keep), directed=False, indices=sites, min_only=True, return_predecessors=True
    )
    return dist + fixed_ms, np.asarray(src, dtype=np.int64)


def demand_groups(
    grid: pd.DataFrame,
    graph: nx.Graph,
    *,
    latency: LatencyModel | None = None,
) -> pd.DataFrame:
    """Merge mesh cells into (prefecture, urban) demand groups with their local RTT.

    A cell reaches the backbone at its prefecture hub; its RTT to any DC is the
    hub's RTT plus the local term of :meth:`LatencyModel.local_ms`. Because that
    term does not depend on the DC, groups with their population-weighted mean
    local term give exactly the cell-level population-weighted RTT (and the
    group maximum over populated cells gives the worst cell).

    Returns
    -------
    DataFrame
        ``pref_code``, ``urban``, ``node``, ``population`` [persons], ``cells``,
        ``local_ms`` (population-weighted mean) and ``local_max_ms`` (the
        farthest populated cell; the farthest cell when none has people) [ms].
    """
    latency = latency or LatencyModel()
    _require(grid, ["mesh_code", "pref_code", "population"], "population grid")
    lon, lat = mesh_centroids(grid["mesh_code"].astype(str).to_numpy())
    pref = grid["pref_code"].astype(str).to_numpy()
    nodes = [hub_node(c) for c in np.unique(pref)]
    missing = [n for n in nodes if n not in graph]
    if missing:
        msg = f"population grid: prefecture hub(s) {missing[:5]} not in the backbone graph"
        raise InputError(msg)
    hub_lon = pd.Series({n: graph.nodes[n]["lon"] for n in nodes})
    hub_lat = pd.Series({n: graph.nodes[n]["lat"] for n in nodes})
    node = np.array([hub_node(c) for c in pref])
    local = latency.local_ms(
        haversine_km(lon, lat, hub_lon.reindex(node).to_numpy(), hub_lat.reindex(node).to_numpy())
    )
    pop = grid["population"].to_numpy(dtype=float)
    urban = (
        grid["urban"].to_numpy(dtype=bool)
        if "urban" in grid.columns
        else np.zeros(len(grid), dtype=bool)
    )
    frame = pd.DataFrame(
        {
            "pref_code": pref,
            "urban": urban,
            "node": node,
            "population": pop,
            "local_w": local * pop,
            "local": local,
            # Empty cells do not count towards the worst cell of a group.
            "local_pop": np.where(pop > 0, local, np.nan),
        }
    )
    out = (
        frame.groupby(["pref_code", "urban", "node"], sort=True)
        .agg(
            population=("population", "sum"),
            cells=("population", "size"),
            local_w=("local_w", "sum"),
            local_max_all=("local", "max"),
            local_max_ms=("local_pop", "max"),
        )
        .reset_index()
    )
    out["local_max_ms"] = out["local_max_ms"].fillna(out["local_max_all"])
    out["local_ms"] = np.where(
        out["population"] > 0,
        out["local_w"] / out["population"].where(out["population"] > 0, 1),
        0.0,
    )
    out["population"] = out["population"].round().astype(np.int64)
    return out[["pref_code", "urban", "node", "population", "cells", "local_ms", "local_max_ms"]]


def summarize_rtt(
    rtt_ms: npt.ArrayLike,
    population: npt.ArrayLike,
    urban: npt.ArrayLike | None = None,
    *,
    worst_ms: npt.ArrayLike | None = None,
) -> dict[str, float]:
    """Population-weighted RTT [ms] overall, urban and rural, worst, and people cut off.

    Rows with infinite RTT count as cut off and are left out of the means.

    Parameters
    ----------
    rtt_ms
        RTT of each row [ms] (a cell, or the population-weighted mean of a
        demand group); ``inf`` for rows with no path.
    population
        Population of each row [persons].
    urban
        Urban flag of each row (``None``: urban/rural means are NaN).
    worst_ms
        Worst RTT within each row [ms], e.g. the farthest populated cell of a
        demand group (``rtt_ms`` plus ``local_max_ms - local_ms``). Default:
        ``rtt_ms`` (rows are cells).

    Returns
    -------
    dict
        ``population``, ``mean_rtt_ms``, ``urban_rtt_ms``, ``rural_rtt_ms``,
        ``max_rtt_ms`` (the worst row of ``worst_ms`` with people and a path),
        ``population_cut_off``, ``urban_cut_off``, ``rural_cut_off``.

    Examples
    --------
    >>> s = summarize_rtt([1.0, 3.0], [300, 100], worst_ms=[2.0, 4.5])
    >>> s["mean_rtt_ms"], s["max_rtt_ms"]
    (1.5, 4.5)
    """
    rtt = np.asarray(rtt_ms, dtype=float)
    pop = np.asarray(population, dtype=float)
    urb = np.asarray(urban, dtype=bool) if urban is not None else np.zeros(len(rtt), dtype=bool)
    ok = np.isfinite(rtt)
    worst = rtt if worst_ms is None else np.asarray(worst_ms, dtype=float)
    if worst.shape != rtt.shape:
        msg = f"worst_ms needs one value per row of rtt_ms ({rtt.shape}), got {worst.shape}"
        raise InputError(msg)

    def mean(mask: np.ndarray) -> float:
        w = pop[mask & ok]
        return float(np.average(rtt[mask & ok], weights=w)) if w.sum() > 0 else float("nan")

    everyone = np.ones(len(rtt), dtype=bool)
    return {
        "population": float(pop.sum()),
        "mean_rtt_ms": mean(everyone),
        "urban_rtt_ms": mean(urb) if urban is not None else float("nan"),
        "rural_rtt_ms": mean(~urb) if urban is not None else float("nan"),
        "max_rtt_ms": float(worst[ok & (pop > 0)].max())
        if (ok & (pop > 0)).any()
        else float("nan"),
        "population_cut_off": float(pop[~ok].sum()),
        "urban_cut_off": float(pop[~ok & urb].sum()),
        "rural_cut_off": float(pop[~ok & ~urb].sum()),
    }


@dataclass(frozen=True)
class AccessResult:
    """RTT from every prefecture hub (and mesh cell) to its nearest DC.

    Attributes
    ----------
    by_prefecture
        ``pref_code``, ``rtt_ms`` [ms] at the hub and ``nearest_dc`` (site id).
    by_cell
        RTT [ms] of each grid cell, in grid order (``None`` without a grid).
    summary
        :func:`summarize_rtt` of the cells (or of the hubs' populations).
    """

    by_prefecture: pd.DataFrame
    by_cell: np.ndarray | None
    summary: dict[str, float]


def rtt_to_nearest_dc(
    graph: nx.Graph,
    *,
    sites: Iterable[str] | None = None,
    grid: pd.DataFrame | None = None,
    latency: LatencyModel | None = None,
) -> AccessResult:
    """RTT [ms] from each prefecture hub and mesh cell to the nearest DC.

    Parameters
    ----------
    graph
        Backbone from :func:`build_backbone` with DC nodes.
    sites
        Site ids to count as open DCs (default: every DC node).
    grid
        Population grid (``mesh_code``, ``pref_code``, ``population``, ``urban``):
        a cell's RTT is its hub's plus the local term.
    latency
        Latency model.

    Raises
    ------
    InputError
        No DC in the graph, or an unknown site id.
    """
    latency = latency or LatencyModel()
    arrays = graph_to_arrays(graph, latency=latency)
    if sites is None:
        dc_nodes = [n for n, d in graph.nodes(data=True) if d.get("kind") == "dc"]
    else:
        dc_nodes = [f"dc:{s}" for s in sites]
    if not dc_nodes:
        msg = "sites: no data centre in the backbone graph; pass datacenters to build_backbone"
        raise InputError(msg)
    dist, src = nearest_rtt_ms(arrays, arrays.indices(dc_nodes, "sites"), fixed_ms=latency.fixed_ms)
    hubs = [n for n, d in graph.nodes(data=True) if d.get("kind") == "hub"]
    hi = arrays.indices(hubs)
    by_pref = pd.DataFrame(
        {
            "pref_code": [graph.nodes[h]["pref_code"] for h in hubs],
            "rtt_ms": dist[hi],
            "nearest_dc": [arrays.nodes[s][3:] if s >= 0 else "" for s in src[hi]],
        }
    )
    if grid is None:
        pop = np.array([float(graph.nodes[h].get("population", 0)) for h in hubs])
        return AccessResult(by_pref, None, summarize_rtt(by_pref["rtt_ms"], pop))
    lon, lat = mesh_centroids(grid["mesh_code"].astype(str).to_numpy())
    pref = grid["pref_code"].astype(str).to_numpy()
    table = by_pref.set_index("pref_code")
    hub_lon = np.array([graph.nodes[hub_node(c)]["lon"] for c in table.index])
    hub_lat = np.array([graph.nodes[hub_node(c)]["lat"] for c in table.index])
    pos = table.index.get_indexer(pref)
    if (pos < 0).any():
        bad = pref[pos < 0][0]
        msg = f"population grid: pref_code {bad!r} has no hub in the backbone graph"
        raise InputError(msg)
    cell = table["rtt_ms"].to_numpy()[pos] + latency.local_ms(
        haversine_km(lon, lat, hub_lon[pos], hub_lat[pos])
    )
    urban = grid["urban"].to_numpy(dtype=bool) if "urban" in grid.columns else None
    return AccessResult(by_pref, cell, summarize_rtt(cell, grid["population"], urban))
