"""Read e-Stat grid-square (地域メッシュ) census population files.

e-Stat publishes the Population Census by JIS X 0410 mesh as one text file
per 1st-order mesh, e.g. ``tblT001141H5339.txt`` (2020, 500 m, mesh 5339),
usually inside a ``.zip`` of the same name. The layout, the same in 2010,
2015 and 2020:

- CP932 (Shift_JIS) text, CRLF line ends, comma-separated, no quotes;
- header row 1: item codes ``KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001141001,...``
  (the secrecy columns ``HTKSYORI,HTKSAKI,GASSAN`` may be absent);
- header row 2: Japanese labels;
- then one row per inhabited cell: mesh code (8, 9 or 10 digits) and values.

The tables of population and households (人口及び世帯 / 男女別人口総数及び世帯総数)
and their total-population item (table code + ``001``):

======  ===========  ===========  ===========  =========================
census  1 km (S)     500 m (H)    250 m (Q)    total-population label
======  ===========  ===========  ===========  =========================
2010    T000608      T000609      T000649      ``人口総数``
2015    T000846      T000847      T000876      ``人口（総数）``
2020    T001140      T001141      T001142      ``　人口（総数）``
2020    T001100      T001101      T001102      (first release, JGD2000)
======  ===========  ===========  ===========  =========================

The population column is found by its label, compared after NFKC
normalisation and with all spaces removed, so ``人口（総数）``,
``　人口（総数）``, ``人口(総数)``, ``人口総数`` and ``人口 総数`` all match
(:data:`POPULATION_LABELS`); when no label matches, by its item code
(:data:`POPULATION_ITEMS`). Households likewise (``世帯総数``, ``世帯数``;
:data:`HOUSEHOLD_ITEMS` for 2020 ``...034`` and 2010 1 km ``T000608004``);
they are optional.

Secrecy processing (秘匿処理). Cells with very few people are merged into a
neighbour. In the 2020 files, a merged cell has ``HTKSYORI`` 2 and names the
receiving cell in ``HTKSAKI``; the receiving cell has ``HTKSYORI`` 1 and
lists the merged cells in ``GASSAN``; the breakdown of the merged cell is
``*`` while its population and household totals are given. Older tables may
show ``*`` for the totals too, with the people counted in the receiving cell.
The rule applied here keeps totals exact in both cases: a ``*`` total is 0
(counted and logged), and every number is kept as given. ``-`` (no such
value) is 0.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
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

#: Census population-and-household mesh tables: table code -> (census year, mesh level).
ESTAT_MESH_TABLES: dict[str, tuple[int, int]] = {
    "T000608": (2010, 3),
    "T000609": (2010, 4),
    "T000649": (2010, 5),
    "T000846": (2015, 3),
    "T000847": (2015, 4),
    "T000876": (2015, 5),
    "T001100": (2020, 3),
    "T001101": (2020, 4),
    "T001102": (2020, 5),
    "T001140": (2020, 3),
    "T001141": (2020, 4),
    "T001142": (2020, 5),
}
#: Item codes of the total population (first item of each table).
POPULATION_ITEMS = frozenset(f"{t}001" for t in ESTAT_MESH_TABLES)
#: Item codes of the total number of households, where the layout is known.
HOUSEHOLD_ITEMS = frozenset(
    [*(f"{t}034" for t, (year, _) in ESTAT_MESH_TABLES.items() if year == 2020), "T000608004"]
)
#: Label of the total-population item in the 2015/2020 files.
POPULATION_LABEL = "人口（総数）"
#: Labels e-Stat has used for the total population (matched after normalisation).
POPULATION_LABELS = ("人口（総数）", "人口総数")
#: Labels e-Stat has used for the total number of households.
HOUSEHOLD_LABELS = ("世帯総数", "世帯数")
_SUPPRESSED = "*"
_NO_VALUE = ("-", "－")
_SPACE = re.compile(r"\s+")
_LEVEL_NAMES = {3: "1 km", 4: "500 m", 5: "250 m"}


def _label_key(label: str) -> str:
    """A label compared without width, space or parenthesis-style differences.

    Examples
    --------
    >>> _label_key("　人口（総数）") == _label_key("人口(総数)") == "人口(総数)"
    True
    """
    return _SPACE.sub("", unicodedata.normalize("NFKC", label))


_POPULATION_KEYS = frozenset(_label_key(x) for x in POPULATION_LABELS)
_HOUSEHOLD_KEYS = frozenset(_label_key(x) for x in HOUSEHOLD_LABELS)


@dataclass(frozen=True)
class EstatTable:
    """Population (and households) of the cells of one e-Stat file.

    Attributes
    ----------
    source
        File name used in messages (``archive.zip:member.txt`` for zip members).
    table
        Columns ``mesh_code`` (str), ``population`` [persons] (int64),
        ``suppressed`` (bool, population was ``*``), ``households`` (int64,
        only when the file has them), ``htksyori`` (int64 secrecy flag, 0 when
        the file has no such column), ``htksaki`` (str, receiving cell or
        ``""``) and ``line`` (1-based line of the file, for messages).
    item_code
        Item code of the population column (e.g. ``T001141001``).
    household_item
        Item code of the household column, or ``None`` when there is none.
    """

    source: str
    table: pd.DataFrame
    item_code: str
    household_item: str | None = None

    @property
    def n_suppressed(self) -> int:
        """Number of cells whose population was suppressed (``*``)."""
        return int(self.table["suppressed"].sum())

    @property
    def census(self) -> tuple[int, int] | None:
        """``(census year, mesh level)`` of the table, when its code is known."""
        return ESTAT_MESH_TABLES.get(self.item_code[:7])


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


def _columns_seen(codes: Sequence[str], labels: Sequence[str], limit: int = 10) -> str:
    pairs = [
        f"{codes[i] if i < len(codes) else '?'}={labels[i] if i < len(labels) else ''}"
        for i in range(1, max(len(codes), len(labels)))
    ]
    more = f" and {len(pairs) - limit} more" if len(pairs) > limit else ""
    return "[" + ", ".join(pairs[:limit]) + "]" + more


def _find_column(
    codes: Sequence[str],
    labels: Sequence[str],
    *,
    keys: frozenset[str],
    items: frozenset[str],
    other_keys: frozenset[str],
    what: str,
    source: str,
) -> int | None:
    """Index of the column of ``what``: by label first, then by item code.

    A column whose item code says ``what`` but whose label names another
    known item (``other_keys``) is a contradiction in the file: an error.
    """
    label_keys = [_label_key(x) for x in labels]
    by_label = [i for i in range(1, len(label_keys)) if label_keys[i] in keys]
    by_code = [i for i in range(1, len(codes)) if codes[i] in items]
    if by_label:
        coded = [i for i in by_label if i in by_code]
        col = coded[0] if coded else by_label[0]
        if by_code and col not in by_code:
            logger.warning(
                "%s: %s column found by its label %r in column %s, not at item code %s",
                source,
                what,
                labels[col],
                codes[col] if col < len(codes) else col + 1,
                codes[by_code[0]],
            )
        return col
    for i in by_code:
        lab = label_keys[i] if i < len(label_keys) else ""
        if lab in other_keys:
            msg = (
                f"{source}: item {codes[i]} is the {what} in e-Stat's tables but line 2 "
                f"labels it {labels[i]!r}; the two header rows disagree: use the original file"
            )
            raise InputError(msg)
        return i
    return None


def _parse_counts(
    raw: pd.Series, lines: np.ndarray, *, item: str, label: str, what: str, source: str
) -> tuple[np.ndarray, np.ndarray]:
    """Whole non-negative counts of one column; ``*`` and ``-`` are 0.

    Returns the counts (int64) and the mask of ``*`` cells.
    """
    suppressed = (raw == _SUPPRESSED).to_numpy()
    no_value = raw.isin(_NO_VALUE).to_numpy()
    values = pd.to_numeric(raw.where(~(suppressed | no_value), "0"), errors="coerce")
    where = f"column {item} ({label})"
    bad = values.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"{source}: line {lines[i]}, {where} has {raw.iloc[i]!r}, not a number of {what}; "
            "use the original e-Stat file"
        )
        raise InputError(msg)
    arr = values.to_numpy(dtype=float)
    neg = arr < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        noun = "population" if what == "people" else f"number of {what}"
        msg = f"{source}: line {lines[i]}, {where} is {raw.iloc[i]}, a negative {noun}"
        raise InputError(msg)
    frac = arr != np.round(arr)
    if frac.any():
        i = int(np.flatnonzero(frac)[0])
        msg = f"{source}: line {lines[i]}, {where} is {raw.iloc[i]}, not a whole number of {what}"
        raise InputError(msg)
    return arr.astype(np.int64), suppressed


def parse_estat_text(text: str, *, source: str = "e-Stat file") -> EstatTable:
    """Parse the decoded text of one e-Stat mesh file (2010, 2015 or 2020 layout).

    Parameters
    ----------
    text
        The whole file as text (line ends of any kind).
    source
        How to name the file in messages.

    Raises
    ------
    InputError
        Missing headers or population column (the message lists the columns
        seen), short rows, a value that is not a whole number; the message
        names the file, the line and the column.

    Examples
    --------
    >>> t = "KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001140001\\r\\n,,,,人口（総数）\\r\\n"
    >>> t += "53394611,1,,53394612,120\\r\\n53394612,2,53394611,,*\\r\\n"
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
    codes = [_norm(c).upper() for c in rows[0]]
    labels = [c.strip() for c in rows[1]]
    col = _find_column(
        codes,
        labels,
        keys=_POPULATION_KEYS,
        items=POPULATION_ITEMS,
        other_keys=_HOUSEHOLD_KEYS,
        what="total population",
        source=source,
    )
    if col is None:
        msg = (
            f"{source}: no total-population column: no label {'/'.join(POPULATION_LABELS)} "
            f"on line 2 and no item code T…001 of a census mesh table on line 1 "
            f"(columns seen: {_columns_seen(codes, labels)}); use a 人口及び世帯 table "
            "such as tblT001141 (2020 500 m)"
        )
        raise InputError(msg)
    hh_col = _find_column(
        codes,
        labels,
        keys=_HOUSEHOLD_KEYS,
        items=HOUSEHOLD_ITEMS,
        other_keys=_POPULATION_KEYS,
        what="total households",
        source=source,
    )
    item = codes[col] if col < len(codes) else f"column {col + 1}"
    label = labels[col] if col < len(labels) and labels[col] else POPULATION_LABEL
    body = [(n + 3, r) for n, r in enumerate(rows[2:]) if any(cell.strip() for cell in r)]
    need = max(col, hh_col or 0)
    short = [n for n, r in body if len(r) <= need]
    if short:
        msg = f"{source}: line {short[0]} has too few columns to hold {item} ({label})"
        raise InputError(msg)
    lines = np.array([n for n, _ in body], dtype=np.int64)
    keys = np.array([r[0].strip() for _, r in body], dtype=str)
    population, suppressed = _parse_counts(
        pd.Series([r[col].strip() for _, r in body], dtype=object),
        lines,
        item=item,
        label=label,
        what="people",
        source=source,
    )
    columns: dict[str, object] = {
        "mesh_code": keys,
        "population": population,
        "suppressed": suppressed,
    }
    hh_item = None
    if hh_col is not None:
        hh_item = codes[hh_col] if hh_col < len(codes) else f"column {hh_col + 1}"
        columns["households"], _ = _parse_counts(
            pd.Series([r[hh_col].strip() for _, r in body], dtype=object),
            lines,
            item=hh_item,
            label=labels[hh_col] if hh_col < len(labels) else "",
            what="households",
            source=source,
        )
    columns.update(_secrecy(codes, body, lines, source=source))
    columns["line"] = lines
    table = pd.DataFrame(columns)
    return EstatTable(source=source, table=table, item_code=item, household_item=hh_item)


def _secrecy(
    codes: Sequence[str], body: Sequence[tuple[int, list[str]]], lines: np.ndarray, *, source: str
) -> dict[str, np.ndarray]:
    """``htksyori`` (0, 1 or 2) and ``htksaki`` of each row; 0 and "" without those columns."""
    n = len(body)
    if "HTKSYORI" not in codes:
        return {"htksyori": np.zeros(n, dtype=np.int64), "htksaki": np.full(n, "", dtype=object)}
    i = codes.index("HTKSYORI")
    raw = pd.Series([r[i].strip() if i < len(r) else "" for _, r in body], dtype=object)
    flag = pd.to_numeric(raw.replace("", "0"), errors="coerce")
    bad = ~flag.isin([0, 1, 2]).to_numpy()
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        msg = (
            f"{source}: line {lines[k]}, column HTKSYORI has {raw.iloc[k]!r}; e-Stat's secrecy "
            "flag is 0, 1 (receives merged cells) or 2 (merged into HTKSAKI)"
        )
        raise InputError(msg)
    j = codes.index("HTKSAKI") if "HTKSAKI" in codes else None
    saki = [r[j].strip() if j is not None and j < len(r) else "" for _, r in body]
    return {"htksyori": flag.to_numpy(dtype=np.int64), "htksaki": np.array(saki, dtype=object)}


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
    (see the module notes for the tables and labels).

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
    levels: dict[int, str] = {}
    for t in tables:
        level = _check_codes(t)
        if level:
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
    without_hh = [t.source for t in tables if t.household_item is None]
    if without_hh and require_households:
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
    _log_secrecy(allrows)
    keep = ["mesh_code", "population"] + ([] if without_hh else ["households"])
    source = tables[0].source if len(tables) == 1 else f"{len(tables)} e-Stat files"
    frame = grid_from_table(allrows[keep], source=source)
    if "households" in frame.columns:
        frame["households"] = frame["households"].astype(np.int64)
    logger.info(
        "read %d cells, %d persons from %s", len(frame), int(frame["population"].sum()), source
    )
    return frame


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
