"""The national backbone graph: prefecture hubs, land links, cables and DC sites.

The backbone is a :class:`networkx.Graph` whose nodes are

- ``hub:<code>``: one hub per prefecture (the prefectural office);
- ``landing:<landing_id>``: cable landing stations (also pass-through points of
  a cable where no station is built);
- ``dc:<site_id>``: data-centre sites, each joined to its prefecture hub by a
  local link.

Every edge has ``length_km`` [km], ``kind`` (``land``, ``strait``, ``cable``,
``backhaul``, ``dc_access``) and ``id``; cable edges also ``system`` and
``status``. Route km of a land link is the great-circle distance times a route
factor (1.4: fibre follows roads and railways). Latency over the graph lives in
:mod:`denen_gis.layers.network`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np
import pandas as pd
import shapely

from denen_gis.errors import InputError
from denen_gis.geodesy import haversine_km

__all__ = [
    "DEFAULT_CAPACITY_TBPS",
    "MAX_BACKHAUL_KM",
    "ROUTE_FACTOR",
    "TOUCH_KM",
    "build_backbone",
    "hub_node",
]

log = logging.getLogger(__name__)

#: Ratio of fibre route km to great-circle km on land (fibre follows roads and rail).
ROUTE_FACTOR = 1.4
#: Capacity of a link whose table gives none [Tbps] (modelled).
DEFAULT_CAPACITY_TBPS = 20.0
#: Landings without a prefecture code join the nearest hub only within this range [km].
MAX_BACKHAUL_KM = 150.0
#: A landing without ``cable_id`` lies on every cable passing within this distance [km].
TOUCH_KM = 2.0


def hub_node(code: str) -> str:
    """Node name of a prefecture hub."""
    return f"hub:{code}"


def _require(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{source}: missing column(s) {missing}; columns present: {list(frame.columns)}"
        raise InputError(msg)


def _xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if "lon" in frame.columns and "lat" in frame.columns:
        return frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)
    geom = frame.geometry.to_numpy()
    return shapely.get_x(geom), shapely.get_y(geom)


def _add_edge(g: nx.Graph, u: str, v: str, **attrs: object) -> None:
    # Parallel links of one id collapse into one edge: the shorter one carries the traffic.
    if g.has_edge(u, v) and g.edges[u, v]["length_km"] <= attrs["length_km"]:
        return
    attrs.setdefault("capacity_tbps", DEFAULT_CAPACITY_TBPS)
    g.add_edge(u, v, **attrs)


def _add_route(
    g: nx.Graph, u: str, v: str, via: tuple[float, float] | None, **attrs: object
) -> None:
    """A physically separate route: a direct edge, or through a ``route:`` node when
    ``u``-``v`` already has one (both halves share the route's id, length and capacity)."""
    if not g.has_edge(u, v):
        _add_edge(g, u, v, **attrs)
        return
    node = f"route:{attrs['id']}"
    lon, lat = (
        via
        if via is not None
        else (
            (g.nodes[u]["lon"] + g.nodes[v]["lon"]) / 2,
            (g.nodes[u]["lat"] + g.nodes[v]["lat"]) / 2,
        )
    )
    g.add_node(node, kind="route", lon=float(lon), lat=float(lat), pref_code="")
    half = {**attrs, "length_km": float(attrs["length_km"]) / 2}  # type: ignore[arg-type]
    _add_edge(g, u, node, **half)
    _add_edge(g, node, v, **half)


def _cable_members(
    cables: pd.DataFrame, landings: pd.DataFrame, lon: np.ndarray, lat: np.ndarray
) -> dict[str, list[str]]:
    """Landing ids on each cable id, from ``cable_id`` lists and (when blank) geometry."""
    on_cable: dict[str, list[str]] = {}
    for lid, ids in zip(landings["landing_id"], landings["cable_id"].astype(str), strict=True):
        for cid in filter(None, (c.strip() for c in ids.split(","))):
            on_cable.setdefault(cid, []).append(lid)
    # TeleGeography landing points do not name their cables: a landing without
    # cable_id joins every cable that passes within TOUCH_KM of it.
    blank = landings["cable_id"].astype(str).str.strip().isin(["", "nan", "None"]).to_numpy()
    if blank.any() and len(cables):
        tree = shapely.STRtree(cables.geometry.to_numpy())
        pts = shapely.points(lon[blank], lat[blank])
        tol_deg = TOUCH_KM / 111.0
        li, ci = tree.query(pts, predicate="dwithin", distance=tol_deg)
        blank_ids = landings["landing_id"].to_numpy()[blank]
        for a, c in zip(li, ci, strict=True):
            on_cable.setdefault(str(cables["cable_id"].iloc[c]), []).append(blank_ids[a])
    return on_cable


def _add_cable(
    g: nx.Graph, row: object, members: list[str], landing_pos: dict[str, tuple[float, float]]
) -> None:
    """Join a cable's landings in their order along its line, lengths pro rata."""
    cid = str(row.cable_id)  # type: ignore[attr-defined]
    line = row.geometry  # type: ignore[attr-defined]
    if isinstance(line, shapely.MultiLineString):
        line = shapely.line_merge(line)
    xy = shapely.get_coordinates(line)
    geo_km = float(haversine_km(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1]).sum())
    total_km = float(getattr(row, "length_km", geo_km) or geo_km)
    if not np.isfinite(total_km) or total_km <= 0:
        total_km = geo_km
    pts = shapely.points([landing_pos[m] for m in members])
    frac = np.asarray(shapely.line_locate_point(line, pts, normalized=True), dtype=float)
    order = np.argsort(frac, kind="stable")
    status = str(getattr(row, "status", "existing"))
    system = str(getattr(row, "system", cid))
    cap = float(getattr(row, "capacity_tbps", DEFAULT_CAPACITY_TBPS))
    cap = cap if np.isfinite(cap) and cap > 0 else DEFAULT_CAPACITY_TBPS
    for a, b in itertools.pairwise(order):
        km = max(float(frac[b] - frac[a]) * total_km, 0.1)
        _add_edge(
            g,
            f"landing:{members[a]}",
            f"landing:{members[b]}",
            length_km=km,
            kind="cable",
            id=cid,
            system=system,
            status=status,
            capacity_tbps=cap,
            line=tuple(map(tuple, xy)),
        )


def _active_set(landings: pd.DataFrame, active_landings: Iterable[str] | None) -> set[str]:
    """Landing ids with a station; default: every landing that is not a candidate."""
    if active_landings is None:
        if "status" in landings.columns:
            return set(landings.loc[landings["status"].astype(str) != "candidate", "landing_id"])
        return set(landings["landing_id"])
    active = set(active_landings)
    unknown = sorted(active - set(landings["landing_id"]))
    if unknown:
        msg = f"active_landings: unknown landing id(s) {unknown}; use ids of the landings layer"
        raise InputError(msg)
    return active


def _add_backhaul(
    g: nx.Graph,
    landings: pd.DataFrame,
    hubs: pd.DataFrame,
    *,
    used: set[str],
    active: set[str],
    route_factor: float,
) -> None:
    """Landing node attributes, and a backhaul link from each active landing to its hub."""
    lon, lat = _xy(landings)
    hx, hy = _xy(hubs)
    codes = hubs["code"].astype(str).to_numpy()
    pref = (
        landings["pref_code"].astype(str)
        if "pref_code" in landings.columns
        else pd.Series([""] * len(landings))
    )
    intl = (
        landings["international"].fillna(False).astype(bool).to_numpy()
        if "international" in landings.columns
        else np.zeros(len(landings), dtype=bool)
    )
    for lid, code, x, y, is_intl in zip(landings["landing_id"], pref, lon, lat, intl, strict=True):
        node = f"landing:{lid}"
        # An international landing is a node even when no domestic cable lands there.
        if lid not in used and not (is_intl and lid in active):
            continue
        g.add_node(node)
        g.nodes[node].update(
            kind="landing",
            lon=float(x),
            lat=float(y),
            pref_code=code,
            active=lid in active,
            international=bool(is_intl),
        )
        if lid not in active:
            continue
        d = haversine_km(x, y, hx, hy)
        if code in set(codes):
            k = int(np.flatnonzero(codes == code)[0])
        else:
            k = int(np.argmin(d))
            if d[k] > MAX_BACKHAUL_KM:
                continue
        _add_edge(
            g,
            node,
            hub_node(codes[k]),
            length_km=float(d[k]) * route_factor,
            kind="backhaul",
            id=f"BH-{lid}",
            system="",
            status="modelled",
            # The backhaul carries what its cables bring ashore.
            capacity_tbps=max(
                (float(d.get("capacity_tbps", 0.0)) for _, _, d in g.edges(node, data=True)),
                default=DEFAULT_CAPACITY_TBPS,
            ),
        )


def _add_cables(
    g: nx.Graph,
    cables: pd.DataFrame,
    landings: pd.DataFrame,
    hubs: pd.DataFrame,
    *,
    route_factor: float,
    include_planned: bool,
    active_landings: Iterable[str] | None,
) -> None:
    _require(cables, ["cable_id"], "cables")
    _require(landings, ["landing_id", "cable_id"], "landings")
    cables = cables.reset_index(drop=True)
    if not include_planned and "status" in cables.columns:
        cables = cables[cables["status"].astype(str) != "planned"]
    lon, lat = _xy(landings)
    landing_pos = {lid: (x, y) for lid, x, y in zip(landings["landing_id"], lon, lat, strict=True)}
    on_cable = _cable_members(cables, landings, lon, lat)
    used: set[str] = set()
    for row in cables.itertuples(index=False):
        members = on_cable.get(str(row.cable_id), [])
        if len(members) < 2:
            log.warning(
                "cable %s has %d landing(s) in the landings layer; skipped",
                row.cable_id,
                len(members),
            )
            continue
        _add_cable(g, row, members, landing_pos)
        used.update(members)
    active = _active_set(landings, active_landings)
    _add_backhaul(g, landings, hubs, used=used, active=active, route_factor=route_factor)


def _add_hubs(g: nx.Graph, hubs: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """One node per prefecture hub; returns ``code -> (lon, lat)``."""
    hx, hy = _xy(hubs)
    codes = hubs["code"].astype(str).to_numpy()
    for i, code in enumerate(codes):
        attrs = {"kind": "hub", "lon": float(hx[i]), "lat": float(hy[i]), "pref_code": code}
        for col in ("population", "name_en", "block", "exchange"):
            if col in hubs.columns:
                attrs[col] = hubs[col].iloc[i]
        g.add_node(hub_node(code), **attrs)
    return {c: (hx[i], hy[i]) for i, c in enumerate(codes)}


def _add_links(
    g: nx.Graph,
    links: pd.DataFrame,
    pos: dict[str, tuple[float, float]],
    *,
    route_factor: float,
) -> None:
    """Land links between hubs (great-circle km x ``route_factor`` without ``length_km``)."""
    for i, row in enumerate(links.reset_index(drop=True).itertuples(index=False)):
        a, b = str(row.from_code), str(row.to_code)
        for c in (a, b):
            if c not in pos:
                msg = (
                    f"backbone links row {i}: prefecture code {c!r} has no hub; "
                    "add it to the hubs table or fix the link"
                )
                raise InputError(msg)
        length = getattr(row, "length_km", None)
        if length is None or not np.isfinite(float(length)):
            length = float(haversine_km(*pos[a], *pos[b])) * route_factor
        via = (getattr(row, "via_lon", None), getattr(row, "via_lat", None))
        via_xy = (float(via[0]), float(via[1])) if via[0] is not None else None
        if via_xy is not None and not np.all(np.isfinite(via_xy)):
            via_xy = None
        line = (pos[a], via_xy, pos[b]) if via_xy is not None else (pos[a], pos[b])
        cap = float(getattr(row, "capacity_tbps", DEFAULT_CAPACITY_TBPS))
        _add_route(
            g,
            hub_node(a),
            hub_node(b),
            via_xy,
            length_km=float(length),
            kind=str(getattr(row, "kind", "land")),
            id=str(getattr(row, "link_id", f"L-{a}-{b}")),
            system=str(getattr(row, "corridor", "")),
            status=str(getattr(row, "status", "modelled")),
            capacity_tbps=cap if np.isfinite(cap) and cap > 0 else DEFAULT_CAPACITY_TBPS,
            line=tuple((float(x), float(y)) for x, y in line),
        )


def _add_datacenters(
    g: nx.Graph,
    datacenters: pd.DataFrame,
    pos: dict[str, tuple[float, float]],
    *,
    route_factor: float,
) -> None:
    """One node per DC site, joined to its prefecture hub by a local link."""
    _require(datacenters, ["site_id", "pref_code"], "datacenters")
    dx, dy = _xy(datacenters)
    sites = datacenters["site_id"].astype(str)
    prefs = datacenters["pref_code"].astype(str)
    for i, (sid, code) in enumerate(zip(sites, prefs, strict=True)):
        if code not in pos:
            msg = f"datacenters row {i} ({sid}): prefecture code {code!r} has no hub"
            raise InputError(msg)
        km = max(float(haversine_km(dx[i], dy[i], *pos[code])) * route_factor, 0.1)
        attrs = {
            "kind": "dc",
            "lon": float(dx[i]),
            "lat": float(dy[i]),
            "pref_code": code,
            "site_id": sid,
        }
        for col in ("status", "capacity_mw", "name"):
            if col in datacenters.columns:
                attrs[col] = datacenters[col].iloc[i]
        g.add_node(f"dc:{sid}", **attrs)
        g.add_edge(
            f"dc:{sid}",
            hub_node(code),
            length_km=km,
            kind="dc_access",
            id=f"DA-{sid}",
            system="",
            status="modelled",
            capacity_tbps=DEFAULT_CAPACITY_TBPS,
        )


def _check_connected(g: nx.Graph) -> None:
    """InputError naming the components that cannot reach the main one."""
    parts = sorted(nx.connected_components(g), key=len, reverse=True)
    if len(parts) > 1:
        cut = "; ".join(
            ",".join(sorted(p)[:6]) + (" ..." if len(p) > 6 else "") for p in parts[1:4]
        )
        msg = (
            f"backbone is disconnected: {len(parts) - 1} component(s) cannot reach the "
            f"main network ({cut}); add a link to the backbone links or a cable"
        )
        raise InputError(msg)


def build_backbone(
    hubs: pd.DataFrame,
    links: pd.DataFrame,
    cables: pd.DataFrame | None = None,
    landings: pd.DataFrame | None = None,
    *,
    datacenters: pd.DataFrame | None = None,
    route_factor: float = ROUTE_FACTOR,
    include_planned: bool = True,
    active_landings: Iterable[str] | None = None,
    require_connected: bool = True,
) -> nx.Graph:
    """Backbone graph of prefecture hubs, land links, cables and DC sites.

    Parameters
    ----------
    hubs
        One row per prefecture: ``code`` and ``lon``/``lat`` [degrees] (or a
        point geometry); ``population`` [persons] and ``name_en`` are kept as
        node attributes when present.
    links
        Land links: ``from_code``, ``to_code``; optional ``link_id``, ``kind``
        and ``length_km`` [km] (else great-circle km x ``route_factor``).
    cables, landings
        Cable layers (embedded or TeleGeography-style). Each landing lists the
        cables it is on in ``cable_id`` (comma-separated); the landings of a
        cable are ordered along its line and joined in sequence, with lengths
        in proportion to the cable's ``length_km``.
    datacenters
        DC sites (``site_id``, ``pref_code``, point geometry or lon/lat), each
        joined to its prefecture hub by a local link.
    route_factor
        Route km per great-circle km of land, backhaul and DC access links.
    include_planned
        Keep cables whose ``status`` is ``planned`` (the Sea of Japan cable).
    active_landings
        Landing ids that have a station with backhaul to the hub; the others
        are pass-through points of the cable. Default: every landing whose
        ``status`` is not ``candidate``.
    require_connected
        Raise when the graph falls apart.

    Raises
    ------
    InputError
        Missing columns, unknown prefecture codes, or (with
        ``require_connected``) a disconnected backbone: the message names the
        components that cannot reach the main one.

    Examples
    --------
    >>> import pandas as pd
    >>> hubs = pd.DataFrame({"code": ["01", "02"], "lon": [141.35, 140.74],
    ...                      "lat": [43.06, 40.82]})
    >>> links = pd.DataFrame({"from_code": ["01"], "to_code": ["02"]})
    >>> g = build_backbone(hubs, links)
    >>> round(g.edges["hub:01", "hub:02"]["length_km"])  # 254 km great circle x 1.4
    356
    """
    if not route_factor >= 1:
        msg = f"route_factor must be >= 1, got {route_factor}"
        raise InputError(msg)
    _require(hubs, ["code"], "hubs")
    _require(links, ["from_code", "to_code"], "backbone links")
    hubs = hubs.reset_index(drop=True)
    g = nx.Graph()
    pos = _add_hubs(g, hubs)
    _add_links(g, links, pos, route_factor=route_factor)
    if cables is not None and landings is not None:
        _add_cables(
            g,
            cables,
            landings,
            hubs,
            route_factor=route_factor,
            include_planned=include_planned,
            active_landings=active_landings,
        )
    if datacenters is not None:
        _add_datacenters(g, datacenters, pos, route_factor=route_factor)
    if require_connected:
        _check_connected(g)
    log.info("backbone: %d nodes, %d edges", g.number_of_nodes(), g.number_of_edges())
    return g
