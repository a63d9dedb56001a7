"""Output files of the infrastructure commands are read back before they replace anything."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from denen_gis.cli._infra_output import gpkg_file, json_file, write_files
from denen_gis.errors import InputError

SITES = pd.DataFrame({"site_id": ["a", "b"], "lon": [133.0, 134.0], "lat": [35.4, 35.5]})


def test_the_gpkg_holds_every_layer_in_jgd2011(tmp_path):
    out = tmp_path / "out"
    write_files(out, {"plan.gpkg": gpkg_file({"sites": SITES, "chosen": SITES.iloc[:1]})})
    assert len(gpd.read_file(out / "plan.gpkg", layer="sites")) == 2
    chosen = gpd.read_file(out / "plan.gpkg", layer="chosen")
    assert list(chosen["site_id"]) == ["a"] and chosen.crs.to_epsg() == 6668


def test_a_silently_short_gpkg_write_keeps_the_old_output(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_files(out, {"plan.gpkg": gpkg_file({"sites": SITES}), "s.json": json_file({"n": 2})})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = pyogrio.write_dataframe

    def short(frame, path, **kwargs):  # GDAL on a full disk: no error, rows missing
        real(frame.iloc[:0], path, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", short)
    with pytest.raises(
        InputError, match=r"^\S*out/plan\.gpkg: cannot write it \(the new file reads back 0 rows"
    ):
        write_files(out, {"plan.gpkg": gpkg_file({"sites": SITES}), "s.json": json_file({})})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
