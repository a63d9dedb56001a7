"""Leaflet building blocks shared by the maps: escaping, controls and layers.

Every layer here draws from data serialised as JSON with ``<``, ``>`` and
``&`` escaped, so no value can close the surrounding ``<script>``; every
string that becomes HTML passes :func:`esc` first.
"""

from __future__ import annotations

import html
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import branca.element as be
import folium
import geopandas as gpd
import pandas as pd
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.plugins import MarkerCluster
from folium.template import Template

from denen_gis.errors import InputError

__all__ = [
    "PANES",
    "FitBounds",
    "GeoJsonLayer",
    "HtmlControl",
    "ImageLayer",
    "JsData",
    "PointLayer",
    "ScaleBar",
    "add_panes",
    "bin_labels",
    "checked_points",
    "esc",
    "fmt_num",
    "js_json",
    "legend_section",
    "table_html",
]

#: Custom panes (name -> (z-index, receives pointer events)). Leaflet's own:
#: tiles 200, overlays 400, markers 600, tooltips 650, popups 700.
PANES: dict[str, tuple[int, bool]] = {
    "denen-base": (250, False),
    "denen-choro": (390, True),
    "denen-raster": (420, False),
    "denen-lines": (440, True),
    "denen-points": (640, True),
}

_CSS = """<style>
.folium-map.leaflet-container { background: %(sea)s; }
.denen-box { background: rgba(255,255,255,0.93); padding: 6px 9px; border-radius: 5px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.35); color: #222; max-width: 360px;
  font: 12px/1.35 system-ui, "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", sans-serif; }
.denen-box h4 { font-size: 13px; font-weight: 600; margin: 0 0 3px; }
.denen-box h5 { font-size: 12px; font-weight: 600; margin: 5px 0 2px; }
.denen-box table { border-collapse: collapse; }
.denen-box th, .denen-box td { padding: 1px 5px; text-align: right; white-space: nowrap; }
.denen-box th:first-child, .denen-box td:first-child { text-align: left; }
.denen-box tr:nth-child(even) td { background: #f3f3f3; }
.denen-title { max-width: 520px; text-align: center; }
.denen-title.denen-narrow { max-width: 300px; }
.denen-legend { max-height: 42vh; overflow-y: auto; }
.leaflet-control-layers { font-size: 12px; line-height: 1.3; }
.leaflet-control-layers label { margin-bottom: 0; }
.denen-scroll { max-height: 38vh; overflow-y: auto; }
.denen-sw { display: inline-block; width: 14px; height: 10px; margin-right: 5px;
  border: 1px solid #777; vertical-align: middle; }
.denen-dot { display: inline-block; width: 11px; height: 11px; margin-right: 5px;
  border-radius: 50%%; border: 1px solid #333; vertical-align: middle; }
.denen-line { display: inline-block; width: 22px; height: 0; margin-right: 5px;
  border-top: 3px solid #333; vertical-align: middle; }
.denen-topcenter { left: 50%%; transform: translateX(-50%%); }
.denen-topcenter .leaflet-control { float: none; margin-left: 0; }
img.denen-pixelated { image-rendering: pixelated; image-rendering: crisp-edges; }
.denen-popup table td { padding: 1px 6px 1px 0; }
.denen-popup b { font-weight: 600; }
</style>"""

SEA_COLOUR = "#b7d3e9"


def esc(value: object) -> str:
    """Escape a value for HTML, also inside JavaScript template literals.

    ``html.escape`` plus backtick, ``$`` and backslash, so that a string cannot
    start markup, close an attribute or run ``${...}`` in folium templates.

    Examples
    --------
    >>> esc("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    text = "" if value is None else str(value)
    return (
        html.escape(text, quote=True)
        .replace("`", "&#96;")
        .replace("$", "&#36;")
        .replace("\\", "&#92;")
    )


def fmt_num(value: object, digits: int = 0) -> str:
    """A number with thousands separators, or an en dash when missing."""
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return esc(value)
    if math.isnan(f) or math.isinf(f):
        return "–"
    return f"{f:,.{digits}f}"


def js_json(obj: Any) -> str:
    """JSON safe to place inside ``<script>``: ``<``, ``>``, ``&`` and ``'`` escaped."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def table_html(
    rows: Iterable[Sequence[object]], header: Sequence[str] | None = None, *, escape: bool = True
) -> str:
    """An HTML table; cells are escaped unless ``escape=False`` (already HTML)."""
    parts = ["<table>"]
    if header is not None:
        parts.append("<tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>")
    for row in rows:
        cells = (esc(c) if escape else str(c) for c in row)
        parts.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    parts.append("</table>")
    return "".join(parts)


def frame_table_html(frame: pd.DataFrame, *, max_rows: int = 60, digits: int = 1) -> str:
    """A DataFrame as an escaped HTML table (numbers formatted, first ``max_rows``)."""
    rows = []
    for rec in frame.head(max_rows).itertuples(index=False):
        rows.append(
            [
                fmt_num(v, digits) if isinstance(v, int | float) and not isinstance(v, bool) else v
                for v in rec
            ]
        )
    out = table_html(rows, [str(c) for c in frame.columns])
    if len(frame) > max_rows:
        out += f"<div>… {len(frame) - max_rows} more rows</div>"
    return out


def bin_labels(bins: Sequence[float], unit: str = "", digits: int = 0) -> list[str]:
    """Class labels for ``len(bins) + 1`` classes: ``< b0``, ``b0–b1``, ..., ``≥ bn``."""
    edges = [fmt_num(b, digits) for b in bins]
    labels = [f"< {edges[0]}{unit}"]
    labels += [f"{a}–{b}{unit}" for a, b in itertools.pairwise(edges)]
    labels.append(f"≥ {edges[-1]}{unit}")
    return labels


def legend_section(title: str, entries: Sequence[tuple[str, str, str]]) -> str:
    """One legend block: ``entries`` are ``(kind, colour, label)``.

    ``kind`` is ``"swatch"`` (area), ``"dot"`` (point), ``"line"`` or
    ``"dash"`` (lines). Labels and colours are escaped.
    """
    items = []
    for kind, colour, label in entries:
        c = esc(colour)
        if kind == "dot":
            mark = f'<span class="denen-dot" style="background:{c}"></span>'
        elif kind in ("line", "dash"):
            style = "dashed" if kind == "dash" else "solid"
            mark = f'<span class="denen-line" style="border-top:3px {style} {c}"></span>'
        else:
            mark = f'<span class="denen-sw" style="background:{c}"></span>'
        items.append(f"<div>{mark}{esc(label)}</div>")
    return f"<h5>{esc(title)}</h5>" + "".join(items)


def checked_points(
    frame: gpd.GeoDataFrame | None, required: Sequence[str], source: str
) -> gpd.GeoDataFrame | None:
    """The points layer in EPSG:6668 after checking columns, CRS and geometry type;
    ``None`` when ``frame`` is ``None`` or empty.
    """
    if frame is None:
        return None
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"{source}: expected a GeoDataFrame of points"
        raise InputError(msg)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        msg = f"{source}: missing column(s) {missing}; columns present: {list(frame.columns)}"
        raise InputError(msg)
    if len(frame) == 0:
        return None
    if frame.crs is None:
        msg = f"{source}: the layer has no CRS; set one (e.g. EPSG:6668)"
        raise InputError(msg)
    out = frame.to_crs(6668) if frame.crs.to_epsg() != 6668 else frame
    kinds = set(out.geom_type.unique())
    if kinds != {"Point"}:
        msg = f"{source}: geometry must be points, found {sorted(kinds)}"
        raise InputError(msg)
    return out.reset_index(drop=True)


def _ensure_css(element: be.Element) -> None:
    root = element.get_root()
    if isinstance(root, be.Figure) and "denen_css" not in root.header._children:
        root.header.add_child(be.Element(_CSS % {"sea": SEA_COLOUR}), name="denen_css")


def add_panes(m: folium.Map) -> None:
    """Create the custom panes of :data:`PANES` on a map (once)."""
    for name, (z, pointer) in PANES.items():
        key = f"pane_{name}"
        if key not in m._children:
            m.add_child(folium.map.CustomPane(name, z_index=z, pointer_events=pointer), name=key)


class JsData(be.Element):
    """``<script>var name = {...};</script>`` in the page header (defined once per page)."""

    def __init__(self, var: str, payload: str) -> None:
        super().__init__()
        self._name = "JsData"
        self.var = var
        self.payload = payload

    def render(self, **kwargs: object) -> str:
        return f"<script>var {self.var} = {self.payload};</script>"


class HtmlControl(be.MacroElement):
    """A Leaflet control holding HTML that is already escaped.

    ``position`` is a Leaflet corner or ``"topcenter"``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }};
          {%- if this.position == 'topcenter' %}
          if (!map._controlCorners.topcenter) {
            map._controlCorners.topcenter = L.DomUtil.create(
              'div', 'leaflet-top denen-topcenter', map._controlContainer);
          }
          {%- endif %}
          var ctl = L.control({position: {{ this.position|tojson }}});
          ctl.onAdd = function () {
            var div = L.DomUtil.create('div', {{ this.css_class|tojson }});
            div.innerHTML = {{ this.html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
          };
          ctl.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self, html_text: str, *, position: str = "bottomright", css_class: str = ""
    ) -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.html = html_text
        self.position = position
        self.css_class = f"leaflet-control denen-box {css_class}".strip()

    def render(self, **kwargs: object) -> None:
        _ensure_css(self)
        super().render(**kwargs)


class ScaleBar(be.MacroElement):
    """Leaflet's metric scale bar (``L.control.scale``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, maxWidth: 160, position: {{ this.position|tojson }}})
          .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, position: str = "bottomleft") -> None:
        super().__init__()
        self._name = "ScaleBar"
        self.position = position


class FitBounds(be.MacroElement):
    """Fit the view to ``[[south, west], [north, east]]`` at once (no zoom animation)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }},
          {animate: false, padding: [20, 20]});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: Sequence[Sequence[float]]) -> None:
        super().__init__()
        self._name = "FitBounds"
        self.bounds = [[float(v) for v in b] for b in bounds]


class GeoJsonLayer(Layer):
    """A GeoJSON layer whose features are styled and labelled by a key property.

    The geometry lives once in the page (:class:`JsData` named ``data_var``);
    several layers can draw the same geometry with their own ``styles``,
    ``tips`` (tooltip HTML) and ``popups`` (popup HTML), all keyed by
    ``feature.properties[key]``. With ``only_keyed`` a feature is drawn only if
    its key has a style.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
          var styles = {{ this.styles|tojson }};
          var tips = {{ this.tips|tojson }};
          var popups = {{ this.popups|tojson }};
          var base = {{ this.base_style|tojson }};
          var key = {{ this.key|tojson }};
          function styleOf(f) {
            var s = styles[f.properties[key]];
            return s ? Object.assign({}, base, s) : base;
          }
          return L.geoJSON({{ this.data_var }}, {
            pane: {{ this.pane|tojson }},
            {%- if this.only_keyed %}
            filter: function (f) { return styles.hasOwnProperty(f.properties[key]); },
            {%- endif %}
            style: styleOf,
            onEachFeature: function (f, layer) {
              var k = f.properties[key];
              if (tips[k]) { layer.bindTooltip(tips[k], {sticky: true}); }
              if (popups[k]) { layer.bindPopup(popups[k], {maxWidth: 340}); }
              {%- if this.highlight %}
              layer.on('mouseover', function () { layer.setStyle({weight: 3, color: '#222'}); });
              layer.on('mouseout', function () { layer.setStyle(styleOf(f)); });
              {%- endif %}
            }
          });
        })();
        {% endmacro %}
        """
    )

    def __init__(  # noqa: PLR0913 -- map options are keyword-only parameters
        self,
        data_var: str,
        payload: str,
        *,
        name: str,
        pane: str,
        key: str,
        base_style: Mapping[str, object],
        styles: Mapping[str, Mapping[str, object]] | None = None,
        tips: Mapping[str, str] | None = None,
        popups: Mapping[str, str] | None = None,
        only_keyed: bool = False,
        highlight: bool = False,
        overlay: bool = True,
        show: bool = True,
        control: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=overlay, show=show, control=control)
        self._name = "GeoJsonLayer"
        self.data_var = data_var
        self.payload = payload
        self.pane = pane
        self.key = key
        self.base_style = dict(base_style)
        self.styles = {str(k): dict(v) for k, v in (styles or {}).items()}
        self.tips = {str(k): v for k, v in (tips or {}).items()}
        self.popups = {str(k): v for k, v in (popups or {}).items()}
        self.only_keyed = only_keyed
        self.highlight = highlight

    def render(self, **kwargs: object) -> None:
        root = self.get_root()
        if self.data_var not in root.header._children:
            root.header.add_child(JsData(self.data_var, self.payload), name=self.data_var)
        super().render(**kwargs)


class ImageLayer(Layer):
    """An image (a ``data:`` URI) stretched over lat/lon bounds; not interactive.

    ``z_index`` orders images within their pane whatever order they are toggled in.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.imageOverlay(
          {{ this.url|tojson }}, {{ this.bounds|tojson }},
          {pane: {{ this.pane|tojson }}, opacity: {{ this.opacity|tojson }},
           zIndex: {{ this.z_index|tojson }}, interactive: false,
           className: 'denen-pixelated'});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        url: str,
        bounds: Sequence[Sequence[float]],
        *,
        name: str,
        pane: str = "denen-raster",
        opacity: float = 1.0,
        z_index: int = 1,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, show=show, control=True)
        self._name = "ImageLayer"
        self.z_index = int(z_index)
        self.url = url
        self.bounds = [list(map(float, b)) for b in bounds]
        self.pane = pane
        self.opacity = float(opacity)

    def render(self, **kwargs: object) -> None:
        _ensure_css(self)
        super().render(**kwargs)


class PointLayer(JSCSSMixin, Layer):
    """Circle markers built in the browser from compact rows, clustered on request.

    Each row is ``[lat, lon, radius_px, fill, stroke, weight, popup_html, tooltip_html]``;
    popups and tooltips must already be escaped HTML (or empty).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
          var group = {% if this.cluster -%}
            L.markerClusterGroup({maxClusterRadius: 40, showCoverageOnHover: false})
          {%- else -%} L.featureGroup() {%- endif %};
          var rows = {{ this.rows|tojson }};
          for (var i = 0; i < rows.length; i++) {
            var r = rows[i];
            var m = L.circleMarker([r[0], r[1]], {
              radius: r[2], fillColor: r[3], color: r[4], weight: r[5],
              fillOpacity: {{ this.fill_opacity|tojson }}, pane: {{ this.pane|tojson }}});
            if (r[6]) { m.bindPopup(r[6], {maxWidth: 340}); }
            if (r[7]) { m.bindTooltip(r[7]); }
            group.addLayer(m);
          }
          return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        rows: Sequence[Sequence[object]],
        *,
        name: str,
        cluster: bool = False,
        pane: str = "denen-points",
        fill_opacity: float = 0.85,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, show=show, control=True)
        self._name = "PointLayer"
        self.rows = [list(r) for r in rows]
        self.cluster = cluster
        self.pane = pane
        self.fill_opacity = float(fill_opacity)
        # Instance attributes: only clustered layers pull in the plugin.
        self.default_js = list(MarkerCluster.default_js) if cluster else []
        self.default_css = list(MarkerCluster.default_css) if cluster else []

    def render(self, **kwargs: object) -> None:
        _ensure_css(self)
        super().render(**kwargs)
