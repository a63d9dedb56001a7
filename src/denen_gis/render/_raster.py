"""Mesh cells to a palette PNG in Web Mercator, as a ``data:`` URI.

A national 1 km grid has hundreds of thousands of cells: as GeoJSON that is
tens of megabytes, as an 8-bit palette PNG a few hundred kilobytes. Mesh cells
are a regular latitude/longitude grid (``denen_gis.mesh.mesh_indices``), so a
cell is a pixel; the rows are resampled to equal steps of Mercator y because
Leaflet stretches an image overlay linearly in projected coordinates.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from denen_gis.errors import InputError
from denen_gis.mesh import LEVEL_SIZE_DEG

__all__ = ["MeshRaster", "hex_rgb", "mercator_rows", "palette_png"]


@dataclass(frozen=True)
class MeshRaster:
    """Pixel positions of mesh cells on one level's grid.

    ``row``/``col`` are the mesh indices of each cell; the image spans rows
    ``row_min..row_max`` and columns ``col_min..col_max``.
    """

    row: npt.NDArray[np.int64]
    col: npt.NDArray[np.int64]
    level: int

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) [pixels] before Mercator resampling."""
        return (int(self.row.max() - self.row.min() + 1), int(self.col.max() - self.col.min() + 1))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) [degrees] of the image."""
        dlat, dlon = LEVEL_SIZE_DEG[self.level]
        return (
            100.0 + float(self.col.min()) * dlon,
            float(self.row.min()) * dlat,
            100.0 + float(self.col.max() + 1) * dlon,
            float(self.row.max() + 1) * dlat,
        )


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` -> (r, g, b)."""
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _merc_y(lat_deg: npt.ArrayLike) -> np.ndarray:
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    return np.log(np.tan(np.pi / 4.0 + lat / 2.0))


def mercator_rows(south_deg: float, north_deg: float, n_rows: int) -> np.ndarray:
    """For each output row (north first) the source row counted from the north.

    The source has ``n_rows`` equal latitude steps; the output has about as
    many rows, at equal steps of Mercator y.
    """
    y_s, y_n = _merc_y(south_deg), _merc_y(north_deg)
    # Keep the mean pixel height: rows scale with the Mercator stretch of the band.
    stretch = (y_n - y_s) / np.radians(north_deg - south_deg)
    mid = np.cos(np.radians((north_deg + south_deg) / 2.0))
    n_out = max(1, round(n_rows * stretch * mid))
    y = y_n - (np.arange(n_out) + 0.5) * (y_n - y_s) / n_out
    lat = np.degrees(2.0 * np.arctan(np.exp(y)) - np.pi / 2.0)
    dlat = (north_deg - south_deg) / n_rows
    return np.clip(np.floor((north_deg - lat) / dlat).astype(np.int64), 0, n_rows - 1)


def palette_png(
    raster: MeshRaster,
    classes: npt.ArrayLike,
    colours: list[str],
    *,
    alpha: int = 230,
) -> str:
    """A palette PNG ``data:`` URI: class ``k`` (1-based) of each cell in ``colours[k-1]``.

    Class 0 is transparent. The image is north-up, Mercator-resampled, and
    covers :attr:`MeshRaster.bounds`.
    """
    cls = np.asarray(classes)
    if cls.shape != raster.row.shape:
        msg = f"raster classes: {cls.shape[0]} values for {raster.row.shape[0]} cells"
        raise InputError(msg)
    if len(colours) > 254:
        msg = f"raster: at most 254 colours, got {len(colours)}"
        raise InputError(msg)
    h, w = raster.shape
    img = np.zeros((h, w), dtype=np.uint8)
    img[raster.row.max() - raster.row, raster.col - raster.col.min()] = cls.astype(np.uint8)
    _, south, _, north = raster.bounds
    img = img[mercator_rows(south, north, h)]
    pal = [0, 0, 0]
    for c in colours:
        pal.extend(hex_rgb(c))
    image = Image.frombytes("P", (img.shape[1], img.shape[0]), np.ascontiguousarray(img).tobytes())
    image.putpalette(pal + [0, 0, 0] * (256 - len(pal) // 3))
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True, transparency=bytes([0] + [alpha] * len(colours)))
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
