"""Offline pages: every CDN link inlined or dropped, nothing fetched."""

from __future__ import annotations

import folium
import pytest
from folium.plugins import DualMap, Fullscreen, MarkerCluster

from denen_gis.errors import InputError
from denen_gis.render.assets import BUNDLED_ASSETS, asset_text, fetched_urls, make_offline


def test_plain_folium_page_fetches_cdns():
    # The check below must be able to fail: folium alone links CDNs.
    html = folium.Map(tiles=None).get_root().render()
    urls = fetched_urls(html)
    assert any("leaflet" in u for u in urls)
    assert all(u.startswith("https://") for u in urls)


def test_make_offline_inlines_every_asset():
    m = folium.Map(tiles=None)
    MarkerCluster().add_to(m)
    html = make_offline(m).render()
    assert fetched_urls(html) == []
    for name in (
        "leaflet",
        "leaflet_css",
        "jquery",
        "bootstrap",
        "bootstrap_css",
        "markerclusterjs",
        "markerclustercss",
    ):
        assert f'data-asset="{name}"' in html
    for dropped in ("awesome", "glyphicons"):
        assert dropped not in html.lower()
    assert "sourceMappingURL" not in html


def test_make_offline_is_idempotent():
    m = folium.Map(tiles=None)
    make_offline(m)
    first = make_offline(m).render()
    second = make_offline(m).render()
    assert first.count('data-asset="leaflet"') == 1
    assert second.count('data-asset="leaflet"') == 1


def test_dualmap_gets_inline_sync():
    dual = DualMap(tiles=None)
    html = make_offline(dual).render()
    assert fetched_urls(html) == []
    assert 'data-asset="Leaflet.Sync"' in html
    assert "L.Map.include" in html


def test_plugin_without_offline_copy_is_an_error():
    m = folium.Map(tiles=None)
    Fullscreen().add_to(m)
    with pytest.raises(InputError, match="no offline copy"):
        make_offline(m).render()


def test_leaflet_images_are_data_uris():
    css = asset_text("leaflet_css")
    assert "url(images/" not in css
    assert "data:image/png;base64," in css
    js = asset_text("leaflet")
    assert "L.Icon.Default.mergeOptions" in js
    assert "</script" not in js


@pytest.mark.parametrize("name", sorted(BUNDLED_ASSETS))
def test_every_asset_is_readable(name):
    text = asset_text(name)
    assert len(text) > 500
    assert "sourceMappingURL" not in text


def test_unknown_asset_name():
    with pytest.raises(InputError, match="no bundled copy"):
        asset_text("leaflet-draw")


def test_fetched_urls_finds_each_kind():
    html = (
        '<html><head><script src="https://a/x.js"></script>'
        '<link rel="stylesheet" href="//b/y.css"><style>@import "c.css"; '
        "div{background:url('https://d/z.png')} i{background:url(data:image/png;base64,AA)}"
        '</style></head><body><img src="e.png"><a href="https://not-fetched/">x</a>'
        '<div style="background-image:url(f.png)"></div><img src="data:image/png;base64,AA">'
        "</body></html>"
    )
    assert fetched_urls(html) == [
        "https://a/x.js",
        "//b/y.css",
        "https://d/z.png",
        "c.css",
        "e.png",
        "f.png",
    ]
