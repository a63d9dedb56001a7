"""Self-contained map pages: every script and style sheet inlined.

Folium links Leaflet, jQuery, Bootstrap, Font Awesome and its plugins from
CDNs. Planners open our maps on municipal networks with no internet, so
:func:`make_offline` swaps each of those links for the file's text, read from
the installed ``xstatic`` packages (``xstatic.pkg.<name>.BASE_DIR``), and drops
what no package carries (Leaflet.awesome-markers, the Bootstrap 3 glyphicons,
Font Awesome fonts). denen-gis draws no icon fonts: sites are circle markers.

The swap happens while the page renders (a last child of the root figure
rewrites the header), so links that plugins add during rendering are caught as
well. A link that has no offline copy is an error, never a silent CDN request.
"""

from __future__ import annotations

import base64
import logging
import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import branca.element as be
from folium.template import Template

from denen_gis.errors import InputError

__all__ = [
    "BUNDLED_ASSETS",
    "DROPPED_ASSETS",
    "OfflineAssets",
    "asset_text",
    "fetched_urls",
    "make_offline",
]

logger = logging.getLogger(__name__)

#: Folium asset name -> (kind, xstatic package, file under its BASE_DIR).
BUNDLED_ASSETS: dict[str, tuple[str, str, str]] = {
    "leaflet": ("js", "leaflet", "leaflet.js"),
    "leaflet_css": ("css", "leaflet", "leaflet.css"),
    "jquery": ("js", "jquery", "jquery.min.js"),
    "bootstrap": ("js", "bootstrap", "js/bootstrap.bundle.min.js"),
    "bootstrap_css": ("css", "bootstrap", "css/bootstrap.min.css"),
    "markerclusterjs": ("js", "leaflet_markercluster", "leaflet.markercluster.js"),
    "markerclustercss": ("css", "leaflet_markercluster", "MarkerCluster.css"),
    "markerclusterdefaultcss": ("css", "leaflet_markercluster", "MarkerCluster.Default.css"),
}

#: Folium assets with no offline copy: dropped, and nothing in denen-gis uses them.
DROPPED_ASSETS: frozenset[str] = frozenset(
    {
        "awesome_markers",
        "awesome_markers_css",
        "awesome_markers_font_css",
        "awesome_rotate_css",
        "glyphicons_css",
    }
)

# Leaflet.Sync (used by folium.plugins.DualMap) is not packaged; this is the
# part DualMap needs: two maps that follow each other's centre and zoom.
_SYNC_JS = """
L.Map.include({
  sync: function (other) {
    var self = this;
    if (!self._denenSync) {
      self._denenSync = [];
      self.on('move zoomend moveend', function () {
        if (self._denenSyncBusy) { return; }
        self._denenSync.forEach(function (target) {
          target._denenSyncBusy = true;
          target.setView(self.getCenter(), self.getZoom(), {animate: false});
          target._denenSyncBusy = false;
        });
      });
    }
    self._denenSync.push(other);
    return self;
  }
});
"""

_ICON_FILES = {
    "iconUrl": "marker-icon.png",
    "iconRetinaUrl": "marker-icon-2x.png",
    "shadowUrl": "marker-shadow.png",
}

_SOURCE_MAP = re.compile(r"^\s*(//|/\*)# sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\((['\"]?)images/([\w.-]+\.png)\1\)")


def _xstatic_dir(package: str) -> Path:
    import importlib

    try:
        module = importlib.import_module(f"xstatic.pkg.{package}")
    except ImportError as exc:
        msg = (
            f"offline map assets: the package xstatic-{package.replace('_', '-')} is not "
            "installed; pip install denen-gis again to get it"
        )
        raise InputError(msg) from exc
    return Path(module.BASE_DIR)


def _data_uri(path: Path, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


@lru_cache(maxsize=16)
def asset_text(name: str) -> str:
    """Text of one bundled asset, ready to inline.

    Source-map comments are removed (a browser with dev tools would fetch them),
    ``</script`` is escaped, and Leaflet's image URLs become ``data:`` URIs.

    Parameters
    ----------
    name
        A key of :data:`BUNDLED_ASSETS` or ``"Leaflet.Sync"``.

    Examples
    --------
    >>> "L.version" in asset_text("leaflet") or "version" in asset_text("leaflet")
    True
    """
    if name == "Leaflet.Sync":
        return _SYNC_JS
    if name not in BUNDLED_ASSETS:
        msg = f"offline map assets: no bundled copy of {name!r}; one of {sorted(BUNDLED_ASSETS)}"
        raise InputError(msg)
    kind, package, rel = BUNDLED_ASSETS[name]
    base = _xstatic_dir(package)
    text = (base / rel).read_text(encoding="utf-8")
    text = _SOURCE_MAP.sub("", text)
    if kind == "css":
        images = base / "images"
        text = _CSS_URL.sub(lambda m: f"url('{_data_uri(images / m.group(2))}')", text)
        text = text.replace("</style", "<\\/style")
    else:
        text = text.replace("</script", "<\\/script")
    if name == "leaflet":
        # Default marker icons come from data: URIs, never from a relative path.
        images = base / "images"
        opts = ", ".join(f"{k}: '{_data_uri(images / f)}'" for k, f in _ICON_FILES.items())
        text += f"\n;L.Icon.Default.imagePath = '';\nL.Icon.Default.mergeOptions({{{opts}}});\n"
    return text


class _InlineAsset(be.Element):
    """A ``<script>`` or ``<style>`` element holding one asset's text."""

    def __init__(self, name: str, kind: str) -> None:
        super().__init__()
        self._name = "InlineAsset"
        self.asset = name
        self.kind = kind

    def render(self, **kwargs: object) -> str:
        tag = "script" if self.kind == "js" else "style"
        return f'<{tag} data-asset="{self.asset}">\n{asset_text(self.asset)}\n</{tag}>'


class OfflineAssets(be.MacroElement):
    """Rewrite the page header so that no script or style sheet is fetched.

    Added as the last child of the root :class:`branca.element.Figure`; when
    rendered, every :class:`~branca.element.JavascriptLink` and
    :class:`~branca.element.CssLink` of the header becomes inline text or is
    dropped (:data:`DROPPED_ASSETS`).
    """

    _template = Template("")

    def __init__(self) -> None:
        super().__init__()
        self._name = "OfflineAssets"

    def render(self, **kwargs: object) -> None:
        figure = self.get_root()
        header = figure.header
        items = list(header._children.items())
        rebuilt: dict[str, be.Element] = {}
        for key, child in items:
            if isinstance(child, be.JavascriptLink | be.CssLink):
                kind = "js" if isinstance(child, be.JavascriptLink) else "css"
                if key in DROPPED_ASSETS:
                    logger.debug("offline map: dropped %s (%s)", key, child.url)
                    continue
                if key not in BUNDLED_ASSETS and key != "Leaflet.Sync":
                    msg = (
                        f"offline map: the page links {key!r} ({child.url}), which has no "
                        "offline copy; remove that plugin or save with offline=False"
                    )
                    raise InputError(msg)
                asset = _InlineAsset(key, kind)
                asset._parent = header
                rebuilt[key] = asset
            else:
                rebuilt[key] = child
        header._children.clear()
        header._children.update(rebuilt)


def make_offline(fig_or_map: be.Element) -> be.Figure:
    """Make the page of a folium map (or DualMap, or Figure) self-contained.

    Returns the root figure; calling it twice is harmless.

    Examples
    --------
    >>> import folium
    >>> m = folium.Map(tiles=None)
    >>> html = make_offline(m).render()
    >>> fetched_urls(html)
    []
    """
    root = fig_or_map.get_root()
    if not isinstance(root, be.Figure):
        msg = "make_offline: the map is not attached to a Figure; pass a folium.Map or DualMap"
        raise InputError(msg)
    if not any(isinstance(c, OfflineAssets) for c in root._children.values()):
        root.add_child(OfflineAssets(), name="denen_offline_assets")
    else:
        # Keep it last so that it sees links added by every other element.
        root._children.move_to_end("denen_offline_assets")
    return root


class _FetchFinder(HTMLParser):
    _ATTRS: ClassVar[dict[str, tuple[str, ...]]] = {
        "script": ("src",),
        "link": ("href",),
        "img": ("src", "srcset"),
        "iframe": ("src",),
        "source": ("src", "srcset"),
        "video": ("src", "poster"),
        "audio": ("src",),
        "embed": ("src",),
        "object": ("data",),
        "input": ("src",),
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = self._ATTRS.get(tag, ())
        for key, value in attrs:
            if value and (key in wanted or key == "style" or key == "background"):
                if key == "style":
                    self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", value)
                else:
                    self.urls.append(value.strip())

    def handle_data(self, data: str) -> None:
        if self.lasttag == "style":
            self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", data)
            self.urls += re.findall(r"@import\s+['\"]([^'\"]+)", data)


def fetched_urls(html: str) -> list[str]:
    """URLs that a browser would fetch from this page and that are not ``data:``.

    Looks at ``src``/``href`` of scripts, style sheets, images and frames, and
    at ``url(...)``/``@import`` in style sheets and style attributes.
    """
    finder = _FetchFinder()
    finder.feed(html)
    finder.close()
    return [u for u in finder.urls if not u.startswith(("data:", "#"))]
