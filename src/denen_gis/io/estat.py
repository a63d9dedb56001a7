"""Read e-Stat grid-square (地域メッシュ) census population files into a grid.

One e-Stat file is a CP932 text per 1st-order mesh, e.g.
``tblT001141H5339.txt`` (2020, 500 m, mesh 5339), usually inside a ``.zip``
of the same name; :mod:`denen_gis.io.estat_text` describes the layouts,
labels, table codes and secrecy flags and parses one text
(:func:`~denen_gis.io.estat_text.parse_estat_text`). This module reads the
files and zips, checks the mesh codes across them and builds the
``population`` layer (:func:`read_estat_mesh`), and reads a population grid
from any supported file (:func:`read_population_grid`).

Secrecy processing (秘匿処理) keeps totals exact: a ``*`` total is 0 (counted
and logged), every number is kept as given, and merges into a cell of no
file read are logged.
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from denen_gis.errors import InputError
from denen_gis.io.estat_text import (
    ESTAT_MESH_TABLES,
    HOUSEHOLD_ITEMS,
    HOUSEHOLD_LABELS,
    POPULATION_ITEMS,
    POPULATION_LABEL,
    POPULATION_LABELS,
    EstatTable,
    parse_estat_text,
)
from denen_gis.io.files import LAYER_EXTENSIONS, read_layer
from denen_gis.io.japan import grid_from_table
from denen_gis.mesh import mesh_indices
from denen_gis.paths import refuse_special_file

__all__ = [
    "ESTAT_MESH_TABLES",
    "HOUSEHOLD_ITEMS",
    "HOUSEHOLD_LABELS",
    "POPULATION_ITEMS",
    "POPULATION_LABEL",
    "POPULATION_LABELS",
    "EstatTable",
    "parse_estat_text",
    "read_estat_mesh",
    "read_population_grid",
]

logger = logging.getLogger(__name__)

_LEVEL_NAMES = {3: "1 km", 4: "500 m", 5: "250 m"}


def _decode(data: bytes, source: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        msg = (
            f"{source}: is UTF-16 or binary, not e-Stat CP932 text; use the original "
            "e-Stat .txt (or re-save it as Shift_JIS/CP932)"
        )
        raise InputError(msg)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    # CP932 Japanese text is almost never valid UTF-8, so UTF-8 first is safe
    # and accepts files that a user re-saved in UTF-8.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        msg = (
            f"{source}: line {line} is not CP932 (Shift_JIS) text at byte {exc.start}; "
            "use the original e-Stat .txt file"
        )
        raise InputError(msg) from None


def _check_codes(table: EstatTable) -> int:
    """Validate the mesh codes of a table; return their level."""
    codes = table.table["mesh_code"].to_numpy(dtype=str)
    if codes.size == 0:
        return 0
    try:
        return mesh_indices(codes)[2]
    except InputError:
        pass
    # Error path only: find the first offending row to name it.
    lengths = np.char.str_len(codes)
    values, counts = np.unique(lengths, return_counts=True)
    common = int(values[np.argmax(counts)])
    for i, code in enumerate(codes.tolist()):
        try:
            level = mesh_indices([code])[2]
        except InputError:
            reason = (
                "has a character that is not a digit"
                if not code.isdigit()
                else f"unknown mesh code: not a JIS X 0410 code over Japan ({len(code)} digits)"
            )
        else:
            if len(code) == common:
                continue
            reason = f"{len(code)} digits where the file has {common}-digit codes (level {level})"
        line = int(table.table["line"].iloc[i])
        msg = f"{table.source}: line {line}, column KEY_CODE: mesh code {code!r}: {reason}"
        raise InputError(msg)
    msg = f"{table.source}: column KEY_CODE has invalid mesh codes"
    raise InputError(msg)


def _tables_of(path: Path) -> list[EstatTable]:
    if not path.exists():
        msg = f"{path}: file not found; check the path"
        raise InputError(msg)
    if path.suffix.lower() != ".zip":
        return [parse_estat_text(_decode(path.read_bytes(), str(path)), source=str(path))]
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                m
                for m in archive.infolist()
                if m.filename.lower().endswith(".txt") and not m.is_dir()
            ]
            if not members:
                msg = f"{path}: the zip holds no .txt table; expected e.g. tblT001140H5339.txt"
                raise InputError(msg)
            out = []
            for member in members:
                source = f"{path}:{member.filename}"
                out.append(parse_estat_text(_decode(archive.read(member), source), source=source))
            return out
    except zipfile.BadZipFile as exc:
        msg = f"{path}: not a readable zip file ({exc})"
        raise InputError(msg) from None


def read_estat_mesh(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    require_households: bool = False,
) -> gpd.GeoDataFrame:
    """Read e-Stat grid-square population files into a population layer.

    Accepts the 2010, 2015 and 2020 census layouts at 1 km, 500 m and 250 m
    (see :mod:`denen_gis.io.estat_text` for the tables and labels).

    Parameters
    ----------
    paths
        One ``.txt`` file or ``.zip`` of them, or several (one per 1st-order
        mesh); their cells are concatenated. All must be of one mesh level
        (1 km, 500 m or 250 m).
    require_households
        Fail when a file has no total-households column (by default the
        ``households`` column is left out when any file lacks it).

    Returns
    -------
    geopandas.GeoDataFrame
        ``population`` schema: ``mesh_code``, ``population`` [persons],
        ``households`` [households] (when every file has them),
        ``area_km2`` [km^2] and the cell polygon, in EPSG:6668, in file order.

    Raises
    ------
    InputError
        Unreadable file or encoding, no population column, a bad value, an
        unknown mesh code, mixed levels or a mesh code present twice; the
        message names the file(s) and the line and column.
    """
    path_list = [Path(paths)] if isinstance(paths, str | os.PathLike) else [Path(p) for p in paths]
    if not path_list:
        msg = "e-Stat import: no files given"
        raise InputError(msg)
    tables: list[EstatTable] = []
    for path in path_list:
        tables.extend(_tables_of(path))
    _check_levels(tables)
    with_hh = _households_kept(tables, require=require_households)
    allrows = _all_rows(tables)
    _log_secrecy(allrows)
    keep = ["mesh_code", "population"] + (["households"] if with_hh else [])
    source = tables[0].source if len(tables) == 1 else f"{len(tables)} e-Stat files"
    frame = grid_from_table(allrows[keep], source=source)
    if "households" in frame.columns:
        frame["households"] = frame["households"].astype(np.int64)
    logger.info(
        "read %d cells, %d persons from %s", len(frame), int(frame["population"].sum()), source
    )
    return frame


def _check_levels(tables: Sequence[EstatTable]) -> None:
    """Check the mesh codes of every table and that all are of one level.

    A table whose code names another level than its mesh codes is logged.
    """
    levels: dict[int, str] = {}
    for t in tables:
        level = _check_codes(t)
        if not level:
            continue
        levels.setdefault(level, t.source)
        census = t.census
        if census is not None and census[1] != level:
            logger.warning(
                "%s: item %s belongs to the %d %s table but the file holds %s mesh codes",
                t.source,
                t.item_code,
                census[0],
                _LEVEL_NAMES[census[1]],
                _LEVEL_NAMES.get(level, f"level-{level}"),
            )
    if len(levels) > 1:
        (l1, s1), (l2, s2) = list(levels.items())[:2]
        msg = (
            f"{s1} holds level-{l1} mesh codes but {s2} level-{l2}; "
            "import one mesh size (1 km, 500 m or 250 m) at a time"
        )
        raise InputError(msg)


def _households_kept(tables: Sequence[EstatTable], *, require: bool) -> bool:
    """Whether every table has households; fail when some lack them and ``require``."""
    without_hh = [t.source for t in tables if t.household_item is None]
    if without_hh and require:
        msg = (
            f"{without_hh[0]}: no total-households column (labels "
            f"{'/'.join(HOUSEHOLD_LABELS)}); use a 人口及び世帯 table such as tblT001141"
        )
        raise InputError(msg)
    if without_hh and len(without_hh) < len(tables):
        logger.warning(
            "%d of %d files have no households column (first: %s): households left out",
            len(without_hh),
            len(tables),
            without_hh[0],
        )
    return not without_hh


def _all_rows(tables: Sequence[EstatTable]) -> pd.DataFrame:
    """The rows of all tables with their ``source``; fail when empty or a code repeats."""
    parts = [t.table.assign(source=t.source) for t in tables]
    allrows = pd.concat(parts, ignore_index=True)
    if allrows.empty:
        msg = f"{', '.join(t.source for t in tables)}: no cells after the two header rows"
        raise InputError(msg)
    dup = allrows["mesh_code"].duplicated(keep=False).to_numpy()
    if dup.any():
        code = allrows["mesh_code"].to_numpy()[np.flatnonzero(dup)[0]]
        where = allrows.loc[allrows["mesh_code"] == code, ["source", "line"]].head(2)
        (s1, n1), (s2, n2) = where.itertuples(index=False)
        msg = (
            f"mesh code {code!r} appears twice: {s1} line {n1} and {s2} line {n2}; "
            "give each file once"
        )
        raise InputError(msg)
    return allrows


def _log_secrecy(allrows: pd.DataFrame) -> None:
    """Log the suppressed cells and merges whose receiving cell was not read."""
    n_supp = int(allrows["suppressed"].sum())
    if n_supp:
        logger.warning(
            "%d of %d cells have suppressed population ('*'): counted as 0; the people are "
            "included in the cell named by HTKSAKI",
            n_supp,
            len(allrows),
        )
    merged = allrows["htksyori"].to_numpy() == 2
    if merged.any():
        saki = allrows["htksaki"].to_numpy()[merged]
        known = set(allrows["mesh_code"].tolist())
        outside = [s for s in saki.tolist() if s and s not in known]
        logger.info(
            "%d cells have their breakdown merged into another cell (HTKSYORI 2); "
            "their totals are kept as given",
            int(merged.sum()),
        )
        if outside and n_supp:
            logger.warning(
                "%d merged cells name a receiving cell (HTKSAKI) in no file read, e.g. %s: "
                "read the neighbouring 1st-order mesh files too",
                len(outside),
                outside[0],
            )


_ESTAT_SUFFIXES = (".txt", ".zip")


_GRID_COLUMNS = ("mesh_code", "population", "pref_code", "urban")


def _check_column_names(path: Path, columns: list[str]) -> None:
    """Refuse a column that is one of ours but for case or hidden characters.

    Other columns are dropped, so ``Urban`` or ``urban`` with a NUL byte would
    otherwise vanish and the modelled value would silently take its place.
    """
    for col in columns:
        plain = "".join(ch for ch in col if ch.isprintable()).strip().lower()
        if col not in _GRID_COLUMNS and plain in _GRID_COLUMNS:
            msg = f"{path}: column {col!r} is not spelled {plain!r} exactly; rename it {plain!r}"
            raise InputError(msg)


def _read_csv_grid(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        msg = f"{path}: file not found; check the path"
        raise InputError(msg)
    try:
        table = pd.read_csv(path, dtype={"mesh_code": str, "pref_code": str}, encoding="utf-8-sig")
    except UnicodeDecodeError:
        msg = f"{path}: not UTF-8 text; save the CSV as UTF-8"
        raise InputError(msg) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"{path}: cannot read it as CSV ({str(exc).splitlines()[0]})"
        raise InputError(msg) from None
    table.columns = [str(c).strip() for c in table.columns]
    _check_column_names(path, list(table.columns))
    for col in ("mesh_code", "population"):
        if col not in table.columns:
            msg = (
                f"{path}: missing column {col!r}; a grid CSV has columns "
                f"mesh_code,population[,pref_code,urban] (found {list(table.columns)})"
            )
            raise InputError(msg)
    if table.empty:
        msg = f"{path} has a header but no rows; add one row per cell (mesh_code,population)"
        raise InputError(msg)
    keep = [c for c in ("mesh_code", "population", "pref_code", "urban") if c in table.columns]
    table = table[keep].copy()
    if table["mesh_code"].isna().any():
        row = int(np.flatnonzero(table["mesh_code"].isna().to_numpy())[0])
        msg = f"{path}: column 'mesh_code' is empty in row {row}"
        raise InputError(msg)
    table["mesh_code"] = table["mesh_code"].str.strip()
    if "pref_code" in table.columns:
        table["pref_code"] = table["pref_code"].str.strip().str.zfill(2)
    try:
        mesh_indices(table["mesh_code"].to_numpy(dtype=str))
    except InputError as exc:
        msg = f"{path}: column 'mesh_code': {exc}"
        raise InputError(msg) from None
    return grid_from_table(table, source=str(path))


def read_population_grid(
    path_or_paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> gpd.GeoDataFrame:
    """Read a population grid from any supported file (what ``--population FILE`` reads).

    Parameters
    ----------
    path_or_paths
        - e-Stat mesh files (``.txt`` or ``.zip``), one or several:
          :func:`read_estat_mesh`;
        - a ``.csv`` with columns ``mesh_code,population[,pref_code,urban]``:
          cell polygons come from the codes;
        - a layer file (``.gpkg``, ``.geojson``, ``.parquet``, ``.shp``) of the
          ``population`` schema.

    Returns
    -------
    geopandas.GeoDataFrame
        The validated ``population`` layer in EPSG:6668.
    """
    if isinstance(path_or_paths, str | os.PathLike):
        paths = [Path(path_or_paths)]
    else:
        paths = [Path(p) for p in path_or_paths]
    for p in paths:
        refuse_special_file(p)
    if not paths:
        msg = "population grid: no file given"
        raise InputError(msg)
    suffixes = {p.suffix.lower() for p in paths}
    if suffixes <= set(_ESTAT_SUFFIXES):
        return read_estat_mesh(paths)
    if len(paths) > 1:
        msg = (
            f"{paths[0]}: several population files can only be e-Stat .txt/.zip files; "
            "give one CSV or layer file"
        )
        raise InputError(msg)
    path = paths[0]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv_grid(path)
    if suffix in LAYER_EXTENSIONS:
        return read_layer(path, "population")
    msg = (
        f"{path}: unknown population file type {suffix or '(none)'!r}; use e-Stat .txt/.zip, "
        f".csv or one of {', '.join(sorted(LAYER_EXTENSIONS))}"
    )
    raise InputError(msg)
