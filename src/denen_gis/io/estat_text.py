"""Parse one e-Stat grid-square (地域メッシュ) census population text.

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
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from denen_gis.errors import InputError
from denen_gis.schema import INT64_LIMIT, MAX_CELL_POPULATION

__all__ = [
    "ESTAT_MESH_TABLES",
    "HOUSEHOLD_ITEMS",
    "HOUSEHOLD_LABELS",
    "POPULATION_ITEMS",
    "POPULATION_LABEL",
    "POPULATION_LABELS",
    "EstatTable",
    "parse_estat_text",
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
    most = MAX_CELL_POPULATION if what == "people" else INT64_LIMIT - 1
    big = arr > most  # before the cast: int64 would wrap 2**63 and more to negative numbers
    if big.any():
        i = int(np.flatnonzero(big)[0])
        msg = (
            f"{source}: line {lines[i]}, {where} is {raw.iloc[i]}, more than {most:,} {what} "
            "in one cell; use the original e-Stat file"
        )
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
