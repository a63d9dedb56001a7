"""The offline base map: prefecture outlines over a sea-coloured background.

No tiles are needed: the map div is painted sea blue (CSS) and the 47
prefectures are drawn as simplified land polygons. Online tile layers (GSI
standard and pale, OpenStreetMap) are offered as opt-in base layers in the
layer control, off by default, and left out entirely with ``offline_only``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import folium
import geopandas as gpd
import numpy as np
import shapely

from denen_gis.errors import InputError
from denen_gis.geodesy import CRS_EPSG
from denen_gis.render._elements import FitBounds, GeoJsonLayer, add_panes, js_json
from denen_gis.render.i18n import check_lang, tr

__all__ = [
    "GSI_ATTRIBUTION",
    "JAPAN_CENTER",
    "LAND_COLOUR",
    "OSM_ATTRIBUTION",
    "PREF_DATA_VAR",
    "TILE_LAYERS",
    "add_base_layers",
    "new_map",
    "prefecture_payload",
    "simplify_prefectures",
]

logger = logging.getLogger(__name__)

LAND_COLOUR = "#f3f0e8"
#: Centre of the default view (lat, lon) [degrees].
JAPAN_CENTER = (37.0, 137.5)
GSI_ATTRIBUTION = "<a href='https://maps.gsi.go.jp/development/ichiran.html'>地理院タイル</a>"
OSM_ATTRIBUTION = (
    "&copy; <a href='https://www.openstreetmap.org/copyright'>OpenStreetMap</a> contributors"
)
#: Online base layers: key -> (URL template, attribution, max zoom).
TILE_LAYERS: dict[str, tuple[str, str, int]] = {
    "gsi_std": ("https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png", GSI_ATTRIBUTION, 18),
    "gsi_pale": ("https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png", GSI_ATTRIBUTION, 18),
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", OSM_ATTRIBUTION, 19),
}
#: Name of the page-global JS variable holding the prefecture outlines.
PREF_DATA_VAR = "denen_prefectures"

_REQUIRED = ("code", "name_ja", "name_en")


def simplify_prefectures(
    prefectures: gpd.GeoDataFrame, *, tolerance_deg: float = 0.01
) -> gpd.GeoDataFrame:
    """Prefecture outlines simplified for display, coordinates on a grid.

    Parameters
    ----------
    prefectures
        ``regions`` layer: ``code``, ``name_ja``, ``name_en``, polygons.
    tolerance_deg
        Douglas-Peucker tolerance and coordinate grid [degrees]; 0.01 is about
        1 km, invisible at national zoom and small enough for a 2-5 MB page.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code``, ``name_ja``, ``name_en`` and geometry in EPSG:6668; islands
        that collapse below the tolerance are dropped.
    """
    if not isinstance(prefectures, gpd.GeoDataFrame):
        msg = "prefectures: expected a GeoDataFrame of the regions layer"
        raise InputError(msg)
    missing = [c for c in _REQUIRED if c not in prefectures.columns]
    if missing:
        msg = (
            f"prefectures: missing column(s) {missing}; "
            "pass the regions layer (code, name_ja, name_en)"
        )
        raise InputError(msg)
    if tolerance_deg <= 0:
        msg = f"tolerance_deg must be > 0, got {tolerance_deg}"
        raise InputError(msg)
    frame = prefectures
    if frame.crs is None:
        msg = "prefectures: the layer has no CRS; set EPSG:6668"
        raise InputError(msg)
    if frame.crs.to_epsg() != CRS_EPSG:
        frame = frame.to_crs(CRS_EPSG)
    geom = shapely.simplify(frame.geometry.to_numpy(), tolerance_deg, preserve_topology=True)
    geom = shapely.set_precision(geom, tolerance_deg / 4.0)
    keep = ~(shapely.is_empty(geom) | shapely.is_missing(geom))
    out = gpd.GeoDataFrame(
        {c: frame[c].astype(str).to_numpy()[keep] for c in _REQUIRED},
        geometry=geom[keep],
        crs=CRS_EPSG,
    )
    return out


def prefecture_payload(simplified: gpd.GeoDataFrame) -> str:
    """GeoJSON text (script-safe) of simplified outlines with ``code`` properties only.

    Names stay out of the shared geometry: each layer adds its own escaped labels.
    """
    features = []
    for code, geom in zip(simplified["code"], simplified.geometry, strict=True):
        features.append(
            {
                "type": "Feature",
                "properties": {"code": str(code)},
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    return js_json({"type": "FeatureCollection", "features": rounded_features(features)})


def rounded_features(obj: object) -> object:
    """GeoJSON-like data with every float rounded to 4 decimals (about 10 m in degrees).

    Six decimals would be 10 cm; four keep an offline page small.
    """
    if isinstance(obj, float):
        return round(obj, 4)
    if isinstance(obj, list | tuple):
        return [rounded_features(v) for v in obj]
    if isinstance(obj, dict):
        return {k: rounded_features(v) for k, v in obj.items()}
    return obj


def add_base_layers(
    m: folium.Map,
    payload: str,
    *,
    lang: str = "en",
    offline_only: bool = False,
) -> None:
    """Add the offline outline base layer and, unless ``offline_only``, the tile options.

    Parameters
    ----------
    m
        The map.
    payload
        Output of :func:`prefecture_payload`.
    lang
        ``"en"`` or ``"ja"`` for the layer names.
    offline_only
        Leave out the online tile layers entirely.
    """
    check_lang(lang)
    add_panes(m)
    GeoJsonLayer(
        PREF_DATA_VAR,
        payload,
        name=tr("offline_base", lang),
        pane="denen-base",
        key="code",
        base_style={
            "color": "#8a8a8a",
            "weight": 0.6,
            "fillColor": LAND_COLOUR,
            "fillOpacity": 1.0,
            "opacity": 1.0,
        },
        overlay=False,
        show=True,
    ).add_to(m)
    if offline_only:
        return
    for key in ("gsi_pale", "gsi_std", "osm"):
        url, attribution, max_zoom = TILE_LAYERS[key]
        folium.TileLayer(
            tiles=url,
            attr=attribution,
            name=tr(key, lang),
            overlay=False,
            show=False,
            max_zoom=max_zoom,
            max_native_zoom=max_zoom,
        ).add_to(m)


def new_map(
    *,
    bounds: tuple[float, float, float, float] | None = None,
    map_kwargs: Mapping[str, object] | None = None,
) -> folium.Map:
    """An empty folium map with no tiles, fitted to ``bounds`` (west, south, east, north)."""
    m = folium.Map(
        location=JAPAN_CENTER,
        zoom_start=5,
        tiles=None,
        control_scale=False,
        **{"minZoom": 4, "maxZoom": 18, **dict(map_kwargs or {})},
    )
    if bounds is not None:
        w, s, e, n = (float(v) for v in bounds)
        if np.isfinite([w, s, e, n]).all():
            FitBounds([[s, w], [n, e]]).add_to(m)
    return m
