"""Hazard zones as shared-risk groups: one zone fails every element inside it.

The four built-in zones are **modelled** polygons drawn from the public
descriptions of the disasters the Cabinet Office plans for (see
``data/SOURCES.md``, "Hazard zones"); they are coarse outlines of where the
strongest shaking and tsunami are expected, not official hazard maps:

- ``nankai``: the Pacific coast from Suruga Bay (Shizuoka) to the Hyuganada
  (Miyazaki), the focal area of the Nankai Trough megaquake;
- ``japan_trench``: the Pacific coast from northern Ibaraki through Sanriku to
  Hidaka, Tokachi and Nemuro (Japan and Chishima trenches);
- ``tokyo_inland``: 30 km around southern central Tokyo (an M7 quake directly
  beneath the capital);
- ``sea_of_japan``: the Noto peninsula and the Sea of Japan coast from Noto to
  Joetsu (the 2024 Noto quake and the coast faults beside it).

A zone fails every node (hub, landing, data centre) whose point lies inside
and every link whose line (cable route, or hub - waypoint - hub for a land
route) crosses it. Users may give their own polygons (:func:`read_hazards`
in :mod:`denen_gis.io.hazards`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from denen_gis.geodesy import CRS_EPSG

__all__ = [
    "HAZARD_IDS",
    "HazardFailure",
    "builtin_hazards",
    "hazard_failure",
]

log = logging.getLogger(__name__)

_TOKYO_XY = (139.75, 35.65)
_TOKYO_RADIUS_KM = 30.0

_ZONES: dict[str, tuple[str, tuple[tuple[float, float], ...]]] = {
    "nankai": (
        "Nankai Trough megaquake (modelled zone: Suruga Bay to the Hyuganada)",
        (
            (138.9, 35.15),
            (138.2, 35.15),
            (137.5, 34.9),
            (137.0, 34.95),
            (136.6, 34.85),
            (136.2, 34.55),
            (135.6, 34.4),
            (135.1, 34.35),
            (134.6, 34.2),
            (134.0, 33.8),
            (133.5, 33.7),
            (132.8, 33.3),
            (132.4, 33.0),
            (131.9, 33.1),
            (131.2, 32.6),
            (131.0, 31.9),
            (131.0, 31.3),
            (131.3, 30.8),
            (132.5, 31.0),
            (134.0, 32.2),
            (136.0, 32.9),
            (138.0, 33.3),
            (139.3, 34.4),
            (139.2, 35.0),
        ),
    ),
    "japan_trench": (
        "Japan and Chishima trench megaquakes (modelled zone: Ibaraki to Nemuro)",
        (
            (140.3, 36.3),
            (140.75, 37.5),
            (140.8, 38.2),
            (141.0, 38.6),
            (141.4, 39.0),
            (141.4, 40.0),
            (141.2, 40.7),
            (141.0, 41.4),
            (141.4, 42.5),
            (142.5, 42.7),
            (143.5, 43.1),
            (145.0, 43.5),
            (146.2, 43.6),
            (146.0, 42.5),
            (143.5, 41.0),
            (142.8, 39.0),
            (142.0, 36.3),
        ),
    ),
    "sea_of_japan": (
        "Sea of Japan coast quake (modelled zone: Noto peninsula to Joetsu, as Noto 2024)",
        (
            (136.6, 36.7),
            (136.5, 37.3),
            (136.7, 37.8),
            (137.5, 37.9),
            (138.6, 37.6),
            (138.6, 37.1),
            (137.6, 36.85),
            (137.0, 36.8),
        ),
    ),
}

#: Ids of the built-in hazard scenarios, in report order.
HAZARD_IDS: tuple[str, ...] = ("nankai", "japan_trench", "tokyo_inland", "sea_of_japan")


def _tokyo_circle() -> shapely.Polygon:
    lon0, lat0 = _TOKYO_XY
    ang = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    dlat = _TOKYO_RADIUS_KM / 111.32
    dlon = dlat / np.cos(np.radians(lat0))
    return shapely.Polygon(np.column_stack([lon0 + dlon * np.cos(ang), lat0 + dlat * np.sin(ang)]))


def builtin_hazards() -> gpd.GeoDataFrame:
    """The four modelled hazard zones: ``id``, ``name``, ``source``, polygon geometry.

    Examples
    --------
    >>> builtin_hazards()["id"].tolist()
    ['nankai', 'japan_trench', 'tokyo_inland', 'sea_of_japan']
    """
    names, geoms = [], []
    for hid in HAZARD_IDS:
        if hid == "tokyo_inland":
            names.append("Tokyo inland quake (modelled zone: 30 km around southern central Tokyo)")
            geoms.append(_tokyo_circle())
            continue
        name, ring = _ZONES[hid]
        names.append(name)
        geoms.append(shapely.Polygon(ring))
    return gpd.GeoDataFrame(
        {"id": list(HAZARD_IDS), "name": names, "source": "modelled"},
        geometry=geoms,
        crs=CRS_EPSG,
    )


@dataclass(frozen=True)
class HazardFailure:
    """Nodes and elements a hazard zone fails.

    Attributes
    ----------
    nodes
        Failed node names (hubs, landings, DCs, route waypoints inside the zone).
    edge_ids
        Ids of failed links (each id is one physical route or cable segment).
    """

    nodes: frozenset[str]
    edge_ids: frozenset[str]

    @property
    def failed_elements(self) -> int:
        """Failed links plus failed hubs, landings and DCs (waypoints not counted)."""
        named = [n for n in self.nodes if not n.startswith("route:")]
        return len(self.edge_ids) + len(named)


def _edge_line(graph: nx.Graph, u: str, v: str, data: dict) -> shapely.LineString:
    line = data.get("line")
    if line is not None and len(line) >= 2:
        return shapely.LineString(line)
    a, b = graph.nodes[u], graph.nodes[v]
    return shapely.LineString([(a["lon"], a["lat"]), (b["lon"], b["lat"])])


def hazard_failure(graph: nx.Graph, zone: shapely.Geometry) -> HazardFailure:
    """Every node inside ``zone`` and every link whose line crosses it.

    Examples
    --------
    >>> import networkx as nx, shapely
    >>> g = nx.Graph()
    >>> g.add_node("hub:a", lon=0.0, lat=0.0); g.add_node("hub:b", lon=2.0, lat=0.0)
    >>> g.add_edge("hub:a", "hub:b", id="L-a-b")
    >>> f = hazard_failure(g, shapely.box(0.9, -1, 1.1, 1))
    >>> sorted(f.edge_ids), sorted(f.nodes)
    (['L-a-b'], [])
    """
    names = list(graph.nodes)
    xy = np.array([(graph.nodes[n]["lon"], graph.nodes[n]["lat"]) for n in names], dtype=float)
    shapely.prepare(zone)
    inside = shapely.contains_xy(zone, xy[:, 0], xy[:, 1]) if len(names) else np.array([])
    nodes = frozenset(n for n, k in zip(names, inside, strict=True) if k)
    edges = list(graph.edges(data=True))
    lines = [_edge_line(graph, u, v, d) for u, v, d in edges]
    hit = shapely.intersects(zone, np.array(lines, dtype=object)) if lines else np.array([])
    edge_ids = frozenset(str(d.get("id", "")) for (_, _, d), h in zip(edges, hit, strict=True) if h)
    log.info("hazard zone fails %d nodes and %d links", len(nodes), len(edge_ids))
    return HazardFailure(nodes=nodes, edge_ids=edge_ids)
