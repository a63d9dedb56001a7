"""The hazard rule of DC siting: under every hazard zone each region keeps a reachable DC.

For each zone and each region (the eight blocks, Okinawa apart) with a hub
left standing, the sites that survive the zone and lie in a component of the
surviving backbone that holds one of the region's hubs form a *cover set*: the
plan must open at least one of them (an existing DC in the set meets it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import pandas as pd

from denen_gis.layers.hazards import hazard_failure
from denen_gis.layers.shared_risk import region_of_hub

__all__ = ["HazardRule", "hazard_cover_sets"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HazardRule:
    """Cover sets (site indices) and the (zone, region) pairs no site can serve."""

    covers: tuple[tuple[int, ...], ...]
    labels: tuple[str, ...]
    unmet: tuple[str, ...]


def hazard_cover_sets(graph: nx.Graph, site_ids: Sequence[str], zones: pd.DataFrame) -> HazardRule:
    """One cover set per (zone ``id``, region) of ``zones`` (polygon ``geometry``).

    Examples
    --------
    >>> import networkx as nx, pandas as pd, shapely
    >>> g = nx.Graph()
    >>> g.add_node("hub:a", kind="hub", lon=0.0, lat=0.0, block="R")
    >>> g.add_node("dc:x", kind="dc", lon=0.0, lat=0.1)
    >>> g.add_node("dc:y", kind="dc", lon=5.0, lat=0.0)
    >>> g.add_edge("hub:a", "dc:x", id="DA-x"); g.add_edge("hub:a", "dc:y", id="DA-y")
    >>> z = pd.DataFrame({"id": ["z"], "geometry": [shapely.box(4, -1, 6, 1)]})
    >>> hazard_cover_sets(g, ["x", "y"], z).covers
    ((0,),)
    """
    pos = {f"dc:{s}": i for i, s in enumerate(site_ids)}
    covers, labels, unmet = [], [], []
    for zid, zone in zip(zones["id"].astype(str), zones["geometry"], strict=True):
        f = hazard_failure(graph, zone)
        h = graph.copy()
        h.remove_nodes_from(f.nodes)
        h.remove_edges_from(
            [(u, v) for u, v, d in h.edges(data=True) if str(d.get("id", "")) in f.edge_ids]
        )
        comp = {n: k for k, part in enumerate(nx.connected_components(h)) for n in part}
        regions: dict[str, set[int]] = {}
        for n, d in h.nodes(data=True):
            if d.get("kind") == "hub":
                regions.setdefault(region_of_hub(d), set()).add(comp[n])
        for region, parts in sorted(regions.items()):
            sites = tuple(sorted(pos[n] for n in h.nodes if n in pos and comp[n] in parts))
            label = f"{zid}/{region}"
            if sites:
                covers.append(sites)
                labels.append(label)
            else:
                unmet.append(label)
                log.info("hazard rule: no DC site reachable for %s", label)
    return HazardRule(covers=tuple(covers), labels=tuple(labels), unmet=tuple(unmet))
