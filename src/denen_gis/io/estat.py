"""Read e-Stat grid-square (地域メッシュ) census population files.

e-Stat publishes the Population Census by JIS X 0410 mesh as one text file
per 1st-order mesh, e.g. ``tblT001140H5339.txt`` (2020, 1 km, mesh 5339),
often inside a ``.zip`` of the same name. The layout:

- CP932 (Shift_JIS) text, CRLF line ends, comma-separated, no quotes;
- header row 1: item codes ``KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001140001,...``;
- header row 2: Japanese labels; the total population is ``人口（総数）``
  (labels of sub-items start with a full-width space ``　``);
- then one row per cell: mesh code (8, 9 or 10 digits) and values.

The item codes change between censuses and levels (2015 ``T000847...``; 2020
``T001140``/``T001141``/``T001142`` for 1 km/500 m/250 m), so the
population column is found by its *label*.

Secrecy processing (秘匿処理). Cells with very few households are merged
into a neighbour: ``HTKSYORI`` is 1 for such a cell, whose values are shown
as ``*`` and whose ``HTKSAKI`` names the cell that received them; the
receiving cell has ``HTKSYORI`` 2 and lists the merged cells in ``GASSAN``.
The rule applied here keeps totals exact: a ``*`` cell gets population 0
(and is counted and logged), and every cell with a number keeps it as given,
so the merged people stay in the receiving cell. ``-`` (no such value) is 0.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from denen_gis.errors import InputError
from denen_gis.io.files import LAYER_EXTENSIONS, read_layer
from denen_gis.io.japan import grid_from_table
from denen_gis.mesh import mesh_indices

__all__ = [
    "POPULATION_LABEL",
    "EstatTable",
    "parse_estat_text",
    "read_estat_mesh",
    "read_population_grid",
]

logger = logging.getLogger(__name__)

#: Label of the total-population item in the second header row.
POPULATION_LABEL = "人口（総数）"
_LABEL_KEY = unicodedata.normalize("NFKC", POPULATION_LABEL)
_SUPPRESSED = "*"
_NO_VALUE = ("-", "－")


@dataclass(frozen=True)
class EstatTable:
    """Population of the cells of one e-Stat file.

    Attributes
    ----------
    source
        File name used in messages (``archive.zip:member.txt`` for zip members).
    table
        Columns ``mesh_code`` (str), ``population`` [persons] (int64),
        ``suppressed`` (bool, value was ``*``) and ``line`` (1-based line of
        the file, for messages).
    item_code
        Item code of the population column (e.g. ``T001140001``).
    """

    source: str
    table: pd.DataFrame
    item_code: str

    @property
    def n_suppressed(self) -> int:
        """Number of cells whose population was suppressed (``*``)."""
        return int(self.table["suppressed"].sum())


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


def _norm(label: str) -> str:
    return unicodedata.normalize("NFKC", label).strip()


def parse_estat_text(text: str, *, source: str = "e-Stat file") -> EstatTable:
    """Parse the decoded text of one e-Stat mesh file.

    Parameters
    ----------
    text
        The whole file as text (line ends of any kind).
    source
        How to name the file in messages.

    Raises
    ------
    InputError
        Missing headers or population column, short rows, a value that is
        not a whole number of people; the message names the file, the line
        and the column.

    Examples
    --------
    >>> t = "KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001140001\\r\\n,,,,人口（総数）\\r\\n"
    >>> t += "53394611,0,,,120\\r\\n53394612,1,53394611,,*\\r\\n"
    >>> parse_estat_text(t).table["population"].tolist()
    [120, 0]
    """
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2 or not rows[0] or _norm(rows[0][0]).upper() != "KEY_CODE":
        first = rows[0][0] if rows and rows[0] else ""
        msg = (
            f"{source}: line 1 should start with KEY_CODE (item codes), found {first[:20]!r}; "
            "is this an e-Stat grid-square (メッシュ) statistics file?"
        )
        raise InputError(msg)
    codes = [c.strip() for c in rows[0]]
    labels = [_norm(c) for c in rows[1]]
    hits = [i for i, lab in enumerate(labels) if lab == _LABEL_KEY]
    if not hits:
        shown = [lab for lab in labels if lab][:6]
        msg = (
            f"{source}: line 2 has no column labelled {POPULATION_LABEL!r} "
            f"(labels: {shown}); use a population table such as tblT001140"
        )
        raise InputError(msg)
    col = hits[0]
    item = codes[col] if col < len(codes) else f"column {col + 1}"
    body = [(n + 3, r) for n, r in enumerate(rows[2:]) if any(cell.strip() for cell in r)]
    short = [n for n, r in body if len(r) <= col]
    if short:
        msg = f"{source}: line {short[0]} has too few columns to hold {item} ({POPULATION_LABEL})"
        raise InputError(msg)
    lines = np.array([n for n, _ in body], dtype=np.int64)
    keys = np.array([r[0].strip() for _, r in body], dtype=str)
    raw = pd.Series([r[col].strip() for _, r in body], dtype=object)
    suppressed = (raw == _SUPPRESSED).to_numpy()
    no_value = raw.isin(_NO_VALUE).to_numpy()
    values = pd.to_numeric(raw.where(~(suppressed | no_value), "0"), errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"{source}: line {lines[i]}, column {item} ({POPULATION_LABEL}) has {raw.iloc[i]!r}, "
            "not a number of people"
        )
        raise InputError(msg)
    arr = values.to_numpy(dtype=float)
    neg = arr < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        msg = (
            f"{source}: line {lines[i]}, column {item} ({POPULATION_LABEL}) is "
            f"{raw.iloc[i]}, a negative population"
        )
        raise InputError(msg)
    frac = arr != np.round(arr)
    if frac.any():
        i = int(np.flatnonzero(frac)[0])
        msg = (
            f"{source}: line {lines[i]}, column {item} ({POPULATION_LABEL}) is "
            f"{raw.iloc[i]}, not a whole number of people"
        )
        raise InputError(msg)
    table = pd.DataFrame(
        {
            "mesh_code": keys,
            "population": arr.astype(np.int64),
            "suppressed": suppressed,
            "line": lines,
        }
    )
    return EstatTable(source=source, table=table, item_code=item)


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
) -> gpd.GeoDataFrame:
    """Read e-Stat grid-square population files into a population layer.

    Parameters
    ----------
    paths
        One ``.txt`` file or ``.zip`` of them, or several (one per 1st-order
        mesh); their cells are concatenated. All must be of one mesh level
        (1 km, 500 m or 250 m).

    Returns
    -------
    geopandas.GeoDataFrame
        ``population`` schema: ``mesh_code``, ``population`` [persons],
        ``area_km2`` [km^2] and the cell polygon, in EPSG:6668.

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
    levels: dict[int, str] = {}
    for t in tables:
        level = _check_codes(t)
        if level:
            levels.setdefault(level, t.source)
    if len(levels) > 1:
        (l1, s1), (l2, s2) = list(levels.items())[:2]
        msg = (
            f"{s1} holds level-{l1} mesh codes but {s2} level-{l2}; "
            "import one mesh size (1 km, 500 m or 250 m) at a time"
        )
        raise InputError(msg)
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
    n_supp = int(allrows["suppressed"].sum())
    if n_supp:
        logger.warning(
            "%d of %d cells have suppressed population ('*'): counted as 0; the people are "
            "included in the cell named by HTKSAKI",
            n_supp,
            len(allrows),
        )
    source = tables[0].source if len(tables) == 1 else f"{len(tables)} e-Stat files"
    frame = grid_from_table(allrows[["mesh_code", "population"]], source=source)
    logger.info(
        "read %d cells, %d persons from %s", len(frame), int(frame["population"].sum()), source
    )
    return frame


_ESTAT_SUFFIXES = (".txt", ".zip")


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
    for col in ("mesh_code", "population"):
        if col not in table.columns:
            msg = (
                f"{path}: missing column {col!r}; a grid CSV has columns "
                f"mesh_code,population[,pref_code,urban] (found {list(table.columns)})"
            )
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
