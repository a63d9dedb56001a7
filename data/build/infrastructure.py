"""Build the data-centre, backbone and cable layers of the embedded dataset.

Run ``python data/build/infrastructure.py [OUT_DIR]`` (default: the ``data/``
folder next to this script) or import it and call :func:`build`. The build is
deterministic: the hand-compiled tables in ``data/build/sources/`` plus the
prefecture polygons of ``data/prefectures.parquet`` give byte-identical layers.

Outputs
-------
``hubs.csv``
    One backbone hub per prefecture at the prefectural office (GSI).
``backbone_links.csv``
    Land links between neighbouring prefectures' hubs and the strait crossings;
    ``length_km`` = great-circle km x the route factor.
``datacenters.parquet``
    Existing capacity (modelled), funded and candidate regional sites.
``landings.parquet`` / ``cables.parquet``
    Landing stations and sea-routed submarine cable segments: the modelled
    Pacific-side trunk, the Kyushu-Okinawa link, the Hokkaido-Akita cable and the
    planned Sea of Japan cable. Routes are shortest paths on a sea raster that
    keeps ``CLEARANCE_DEG`` off the coast, then simplified without touching land;
    only the straight shore ends at the landings may cross the coarse coastline.

See ``data/SOURCES.md`` ("Data centres, backbone and cables") for what is
official and what is modelled.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from denen_gis.geodesy import CRS_EPSG, haversine_km, unit_vectors
from denen_gis.layers.network import ROUTE_FACTOR
from denen_gis.layers.resilience import OSAKA_AREA, SEISMIC_REGIONS, TOKYO_AREA
from denen_gis.schema import validate_layer

__all__ = [
    "CLEARANCE_DEG",
    "MAX_SHORE_KM",
    "RASTER_DEG",
    "SOURCES_DIR",
    "SeaRouter",
    "build",
    "build_backbone_links",
    "build_cables",
    "build_datacenters",
    "build_hubs",
    "sea_router",
]

log = logging.getLogger(__name__)

SOURCES_DIR = Path(__file__).resolve().parent / "sources"
#: Sea raster cell size [degrees] (about 3 km).
RASTER_DEG = 0.03
#: Clearance kept between raster cell centres and land [degrees]. It exceeds half
#: the raster diagonal (0.0212 deg), so a straight step between two free cell
#: centres can never touch land.
CLEARANCE_DEG = 0.025
#: Longest allowed straight shore end from a landing to the sea route [km].
MAX_SHORE_KM = 15.0
#: Modelled unit cost of a new data centre [million yen per MW of IT load].
UNIT_COST_MYEN_PER_MW = 1100.0
#: Modelled land/labour cost factor by area.
AREA_COST_FACTOR = {"tokyo": 1.4, "osaka": 1.2, "other": 1.0}
#: Modelled renewable-energy potential by block (0-1), after the ranking of the
#: MOE REPOS potential maps: wind in Hokkaido/Tohoku, solar and geothermal in
#: Kyushu, hydro on the Sea of Japan side of Chubu, little spare land in Kanto.
RENEWABLE_BY_BLOCK = {
    "Hokkaido": 0.9,
    "Tohoku": 0.8,
    "Kyushu-Okinawa": 0.7,
    "Chubu": 0.55,
    "Chugoku": 0.5,
    "Shikoku": 0.5,
    "Kinki": 0.3,
    "Kanto": 0.2,
}
#: Core exchanges (Tokyo and Osaka: the national IXs and most carrier hand-over)
#: and regional exchanges, by prefecture code of the hub that hosts them.
EXCHANGES = {"13": "core", "27": "core"} | dict.fromkeys(
    ("01", "04", "15", "17", "23", "34", "38", "40", "47"), "regional"
)
#: Modelled capacity of the one route between neighbouring hubs without a
#: listed second corridor [Tbps].
BASE_CAPACITY_TBPS = 20.0
_STR = {"code": str, "pref_code": str, "from_code": str, "to_code": str}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SOURCES_DIR / name, dtype=_STR, keep_default_na=False)


def build_hubs(prefectures: gpd.GeoDataFrame) -> pd.DataFrame:
    """One hub per prefecture at its office, with block, coast flag and population."""
    offices = _read("prefectural_offices.csv")
    prefs = pd.DataFrame(prefectures.drop(columns=prefectures.geometry.name))
    hubs = offices.merge(
        prefs[["code", "name_en", "name_ja", "block", "sea_of_japan_coast", "population"]],
        on="code",
        how="left",
        validate="one_to_one",
    )
    if hubs["name_en"].isna().any() or len(hubs) != 47:
        msg = "prefectural_offices.csv: every one of the 47 prefecture codes must appear once"
        raise ValueError(msg)
    hubs["sea_of_japan_coast"] = hubs["sea_of_japan_coast"].astype(bool)
    hubs["exchange"] = hubs["code"].map(EXCHANGES).fillna("none")
    cols = [
        "code",
        "name_en",
        "name_ja",
        "block",
        "office_en",
        "office_ja",
        "lon",
        "lat",
        "sea_of_japan_coast",
        "population",
        "exchange",
    ]
    return hubs[cols].sort_values("code").reset_index(drop=True)


def _via_points(
    a: np.ndarray, b: np.ndarray, offset_km: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mid-route waypoints ``offset_km`` left of the direction a -> b (lon, lat)."""
    mid_lat = (a[:, 1] + b[:, 1]) / 2
    kx = 111.32 * np.cos(np.radians(mid_lat))
    dx = (b[:, 0] - a[:, 0]) * kx
    dy = (b[:, 1] - a[:, 1]) * 111.32
    norm = np.maximum(np.hypot(dx, dy), 1e-9)
    # Left normal of (dx, dy) is (-dy, dx); a negative offset lies to the right.
    lon = (a[:, 0] + b[:, 0]) / 2 + offset_km * (-dy / norm) / kx
    lat = mid_lat + offset_km * (dx / norm) / 111.32
    return np.round(lon, 4), np.round(lat, 4)


def build_backbone_links(
    prefectures: gpd.GeoDataFrame, hubs: pd.DataFrame, *, route_factor: float = ROUTE_FACTOR
) -> pd.DataFrame:
    """Land routes between neighbouring hubs, the strait crossings and second corridors.

    Every neighbouring pair has one straight (expressway) route; the pairs in
    ``sources/backbone_routes.csv`` also get a physically separate corridor
    through a waypoint offset from the straight line. Geometry and capacity are
    modelled; ``status`` says so.
    """
    pairs: dict[tuple[str, str], tuple[str, str]] = {}
    for code, neigh in zip(prefectures["code"], prefectures["neighbors"], strict=True):
        for other in filter(None, str(neigh).split(",")):
            key = (min(code, other), max(code, other))
            pairs.setdefault(key, ("land", "shared prefecture border"))
    for row in _read("straits.csv").itertuples(index=False):
        key = (min(row.from_code, row.to_code), max(row.from_code, row.to_code))
        pairs[key] = (row.kind, row.name)
    keys = sorted(pairs)
    base = pd.DataFrame(
        {
            "link_id": [f"L-{x}-{y}" for x, y in keys],
            "from_code": [k[0] for k in keys],
            "to_code": [k[1] for k in keys],
            "kind": [pairs[k][0] for k in keys],
            "corridor": ["expressway" if pairs[k][0] == "land" else "strait" for k in keys],
            "offset_km": 0.0,
            "capacity_tbps": BASE_CAPACITY_TBPS,
            "note": [pairs[k][1] for k in keys],
        }
    )
    extra = _read("backbone_routes.csv")
    missing = sorted(set(zip(extra["from_code"], extra["to_code"], strict=True)) - set(keys))
    if missing:
        msg = f"backbone_routes.csv: pairs {missing} are not neighbouring hubs"
        raise ValueError(msg)
    kind = dict(zip(keys, base["kind"], strict=True))
    extra = pd.DataFrame(
        {
            "link_id": [
                f"L-{a}-{b}-{c}"
                for a, b, c in extra[["from_code", "to_code", "corridor"]].itertuples(index=False)
            ],
            "from_code": extra["from_code"],
            "to_code": extra["to_code"],
            "kind": [
                kind[(a, b)] for a, b in zip(extra["from_code"], extra["to_code"], strict=True)
            ],
            "corridor": extra["corridor"],
            "offset_km": extra["offset_km"].astype(float),
            "capacity_tbps": extra["capacity_tbps"].astype(float),
            "note": extra["note"],
        }
    )
    links = pd.concat([base, extra], ignore_index=True)
    # A listed second corridor marks a trunk pair: its straight route carries as much.
    trunk = extra.groupby(["from_code", "to_code"])["capacity_tbps"].max()
    key = pd.MultiIndex.from_frame(links[["from_code", "to_code"]])
    straight = links["offset_km"].to_numpy() == 0
    links.loc[straight, "capacity_tbps"] = np.fmax(
        trunk.reindex(key).to_numpy()[straight], BASE_CAPACITY_TBPS
    )
    pos = hubs.set_index("code")[["lon", "lat"]]
    a = pos.loc[links["from_code"]].to_numpy()
    b = pos.loc[links["to_code"]].to_numpy()
    gc = haversine_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    # A corridor runs beside the straight one, never more than a quarter of the
    # hub distance away (short pairs such as Kyoto-Otsu would loop otherwise).
    offset = links["offset_km"].to_numpy()
    offset = np.sign(offset) * np.minimum(np.abs(offset), 0.25 * gc)
    vlon, vlat = _via_points(a, b, offset)
    path = haversine_km(a[:, 0], a[:, 1], vlon, vlat) + haversine_km(vlon, vlat, b[:, 0], b[:, 1])
    links["via_lon"] = vlon
    links["via_lat"] = vlat
    links["great_circle_km"] = np.round(gc, 1)
    links["route_factor"] = route_factor
    links["length_km"] = np.round(path * route_factor, 1)
    links["status"] = "modelled"
    cols = [
        "link_id",
        "from_code",
        "to_code",
        "kind",
        "corridor",
        "great_circle_km",
        "route_factor",
        "length_km",
        "capacity_tbps",
        "via_lon",
        "via_lat",
        "status",
        "note",
    ]
    return links[cols].sort_values(["from_code", "to_code", "link_id"]).reset_index(drop=True)


class SeaRouter:
    """Shortest sea paths on a raster that keeps clear of the land polygons."""

    def __init__(
        self,
        land: shapely.Geometry,
        bounds: tuple[float, float, float, float],
        *,
        raster_deg: float = RASTER_DEG,
        clearance_deg: float = CLEARANCE_DEG,
    ) -> None:
        west, south, east, north = bounds
        self.land = land
        shapely.prepare(land)
        nx_ = int(np.ceil((east - west) / raster_deg))
        ny_ = int(np.ceil((north - south) / raster_deg))
        xs = west + raster_deg * (np.arange(nx_) + 0.5)
        ys = south + raster_deg * (np.arange(ny_) + 0.5)
        gx, gy = np.meshgrid(xs, ys)
        blocked_geom = shapely.buffer(land, clearance_deg, quad_segs=4)
        shapely.prepare(blocked_geom)
        free = ~shapely.contains_xy(blocked_geom, gx, gy)
        ids = -np.ones(free.shape, dtype=np.int64)
        ids[free] = np.arange(int(free.sum()))
        self.lon = gx[free]
        self.lat = gy[free]
        rows, cols, wts = [], [], []
        for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
            ca = slice(0, nx_ - dx) if dx >= 0 else slice(-dx, nx_)
            cb = slice(dx, nx_) if dx >= 0 else slice(0, nx_ + dx)
            a = ids[0 : ny_ - dy, ca]
            b = ids[dy:ny_, cb]
            ok = (a >= 0) & (b >= 0)
            ia, ib = a[ok], b[ok]
            rows.append(ia)
            cols.append(ib)
            wts.append(haversine_km(self.lon[ia], self.lat[ia], self.lon[ib], self.lat[ib]))
        r, c, w = (np.concatenate(v) for v in (rows, cols, wts))
        n = len(self.lon)
        self.graph = sparse.coo_matrix(
            (np.concatenate([w, w]), (np.concatenate([r, c]), np.concatenate([c, r]))),
            shape=(n, n),
        ).tocsr()
        _, label = csgraph.connected_components(self.graph, directed=False)
        main = np.bincount(label).argmax()
        self._main = np.flatnonzero(label == main)
        self._tree = cKDTree(unit_vectors(self.lon[self._main], self.lat[self._main]))

    def snap(self, lon: float, lat: float) -> int:
        """Index of the nearest free cell of the open sea."""
        _, k = self._tree.query(unit_vectors([lon], [lat])[0])
        return int(self._main[k])

    def route(self, start: tuple[float, float], end: tuple[float, float]) -> shapely.LineString:
        """Sea route from ``start`` to ``end`` (lon, lat), simplified off the land."""
        s, t = self.snap(*start), self.snap(*end)
        _, pred = csgraph.dijkstra(self.graph, directed=False, indices=s, return_predecessors=True)
        path = [t]
        while path[-1] != s:
            nxt = pred[path[-1]]
            if nxt < 0:
                msg = f"no sea route between {start} and {end}"
                raise ValueError(msg)
            path.append(int(nxt))
        path.reverse()
        sea = np.column_stack([self.lon[path], self.lat[path]])
        if len(sea) >= 2:
            line = shapely.LineString(sea)
            tol = 0.1
            while tol > 1e-3:
                simple = shapely.simplify(line, tol, preserve_topology=False)
                if not simple.intersects(self.land):
                    break
                tol /= 2
            else:
                simple = line
            sea = shapely.get_coordinates(simple)
        coords = np.vstack([[start], sea, [end]])
        return shapely.LineString(coords)


def sea_router(prefectures: gpd.GeoDataFrame, points: np.ndarray, **kwargs: float) -> SeaRouter:
    """A :class:`SeaRouter` over the prefecture polygons covering ``points`` (lon, lat)."""
    land = shapely.union_all(prefectures.geometry.to_numpy())
    w, s, e, n = land.bounds
    w = min(w, points[:, 0].min()) - 1.0
    s = min(s, points[:, 1].min()) - 1.0
    e = max(e, points[:, 0].max()) + 1.0
    n = max(n, points[:, 1].max()) + 1.0
    return SeaRouter(land, (w, s, e, n), **kwargs)


def _line_km(line: shapely.LineString) -> float:
    xy = shapely.get_coordinates(line)
    return float(haversine_km(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1]).sum())


def build_cables(
    prefectures: gpd.GeoDataFrame, *, raster_deg: float = RASTER_DEG
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Sea-routed cable segments and their landing stations."""
    stations = _read("landing_stations.csv")
    segments = _read("cable_segments.csv")
    pos = stations.set_index("landing_id")[["lon", "lat"]].astype(float)
    router = sea_router(prefectures, pos.to_numpy(), raster_deg=raster_deg)
    geoms, lengths, shore = [], [], []
    for seg in segments.itertuples(index=False):
        a = tuple(pos.loc[seg.from_landing])
        b = tuple(pos.loc[seg.to_landing])
        line = router.route(a, b)
        xy = shapely.get_coordinates(line)
        ends = haversine_km(xy[[0, -2], 0], xy[[0, -2], 1], xy[[1, -1], 0], xy[[1, -1], 1])
        geoms.append(line)
        lengths.append(round(_line_km(line), 1))
        shore.append(round(float(ends.max()), 2))
        log.info("cable %s: %.0f km", seg.cable_id, lengths[-1])
    cables = gpd.GeoDataFrame(
        {
            "cable_id": segments["cable_id"],
            "name": [
                f"{n}: {a} - {b}"
                for n, a, b in zip(
                    segments["name"], segments["from_landing"], segments["to_landing"], strict=True
                )
            ],
            "status": segments["status"],
            "length_km": [
                float(r) if r else m
                for r, m in zip(segments["reported_length_km"], lengths, strict=True)
            ],
            "route_km": lengths,
            "length_source": [
                "reported" if r else "modelled route" for r in segments["reported_length_km"]
            ],
            "system": segments["system"],
            "from_landing": segments["from_landing"],
            "to_landing": segments["to_landing"],
            "max_shore_end_km": shore,
            "capacity_tbps": segments["capacity_tbps"].astype(float),
            "capacity_source": segments["capacity_source"],
            "route": "modelled: shortest sea path on a 0.03 deg raster, simplified",
        },
        geometry=geoms,
        crs=CRS_EPSG,
    )
    on_cable: dict[str, list[str]] = {lid: [] for lid in stations["landing_id"]}
    system: dict[str, str] = {}
    for seg in segments.itertuples(index=False):
        for lid in (seg.from_landing, seg.to_landing):
            on_cable[lid].append(seg.cable_id)
            system.setdefault(lid, seg.system)
    landings = gpd.GeoDataFrame(
        {
            "landing_id": stations["landing_id"],
            "name": stations["name"],
            "name_ja": stations["name_ja"],
            "cable_id": [",".join(on_cable[x]) for x in stations["landing_id"]],
            "pref_code": stations["pref_code"],
            "status": stations["status"],
            "system": [system.get(x, "") for x in stations["landing_id"]],
            "international": stations["international"].astype(str).eq("True"),
        },
        geometry=shapely.points(stations["lon"].astype(float), stations["lat"].astype(float)),
        crs=CRS_EPSG,
    )
    return (
        validate_layer(cables, "cables", source="cables"),
        validate_layer(landings, "landings", source="landings"),
    )


def _area(code: str) -> str:
    if code in TOKYO_AREA:
        return "tokyo"
    if code in OSAKA_AREA:
        return "osaka"
    return "other"


def build_datacenters(
    prefectures: gpd.GeoDataFrame, landings: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Existing capacity and candidate sites with modelled attributes."""
    sites = _read("datacenter_sites.csv")
    lon = sites["lon"].astype(float).to_numpy()
    lat = sites["lat"].astype(float).to_numpy()
    block = sites["pref_code"].map(prefectures.set_index("code")["block"])
    active = landings[landings["status"] != "candidate"]
    lx, ly = active.geometry.x.to_numpy(), active.geometry.y.to_numpy()
    landing_km = haversine_km(lon[:, None], lat[:, None], lx[None, :], ly[None, :]).min(axis=1)
    # Modelled annual mean temperature from latitude (fit to Naha 23 C, Tokyo 16 C,
    # Sapporo 9 C); free-cooling hours grow as it falls below about 20 C.
    t_mean = 23.0 - 0.82 * (lat - 26.0)
    cooling = np.clip((20.0 - t_mean) / 15.0, 0.0, 1.0)
    renewable = block.map(RENEWABLE_BY_BLOCK).to_numpy(dtype=float)
    coast = shapely.union_all(prefectures.geometry.to_numpy()).boundary
    pts = shapely.points(lon, lat)
    near = shapely.get_coordinates(shapely.shortest_line(pts, coast))[1::2]
    coast_km = haversine_km(lon, lat, near[:, 0], near[:, 1])
    seismic = sites["pref_code"].isin(set().union(*SEISMIC_REGIONS.values())).to_numpy()
    # Modelled hazard: a base level everywhere in Japan, more in the defined seismic
    # regions (strong shaking), more within 5 km of the coast (tsunami, storm surge).
    hazard = np.clip(0.2 + 0.5 * seismic + 0.2 * (coast_km < 5.0), 0.0, 1.0)
    factor = sites["pref_code"].map(lambda c: AREA_COST_FACTOR[_area(c)]).to_numpy(dtype=float)
    capacity = sites["capacity_mw"].astype(float).to_numpy()
    cost = np.where(
        sites["status"] == "existing", 0.0, np.round(capacity * UNIT_COST_MYEN_PER_MW * factor, -1)
    )
    frame = gpd.GeoDataFrame(
        {
            "site_id": sites["site_id"],
            "name": sites["name"],
            "name_ja": sites["name_ja"],
            "pref_code": sites["pref_code"],
            "status": sites["status"],
            "capacity_mw": capacity,
            "cost_myen": cost,
            "block": block.to_numpy(),
            "area": [_area(c) for c in sites["pref_code"]],
            "landing_km": np.round(landing_km, 1),
            "coast_km": np.round(coast_km, 1),
            "cooling_index": np.round(cooling, 3),
            "renewable_index": renewable,
            "hazard_index": np.round(hazard, 3),
            "note": sites["note"],
        },
        geometry=pts,
        crs=CRS_EPSG,
    )
    return validate_layer(frame, "datacenters", source="datacenters")


def build(out_dir: str | Path | None = None) -> dict[str, Path]:
    """Write every infrastructure layer into ``out_dir`` and return their paths."""
    out = Path(out_dir) if out_dir is not None else Path(__file__).resolve().parents[1]
    out.mkdir(parents=True, exist_ok=True)
    # The prefectures of this build (out_dir), not of the installed dataset.
    path = out / "prefectures.parquet"
    prefectures = validate_layer(gpd.read_parquet(path), "regions", source=str(path))
    hubs = build_hubs(prefectures)
    links = build_backbone_links(prefectures, hubs)
    cables, landings = build_cables(prefectures)
    dcs = build_datacenters(prefectures, landings)
    paths = {
        "hubs": out / "hubs.csv",
        "backbone_links": out / "backbone_links.csv",
        "cables": out / "cables.parquet",
        "landings": out / "landings.parquet",
        "datacenters": out / "datacenters.parquet",
    }
    hubs.to_csv(paths["hubs"], index=False, lineterminator="\n")
    links.to_csv(paths["backbone_links"], index=False, lineterminator="\n")
    for key, frame in (("cables", cables), ("landings", landings), ("datacenters", dcs)):
        frame.to_parquet(paths[key], index=False)
    return paths


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name, path in build(sys.argv[1] if len(sys.argv) > 1 else None).items():
        print(f"{name}: {path}")
